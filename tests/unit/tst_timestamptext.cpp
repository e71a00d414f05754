#include "formats/timestamptext.h"

#include <QTest>

using namespace wsi;

class TestTimestampText : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void text_data();
    void text();
};

void TestTimestampText::text_data()
{
    QTest::addColumn<qint64>("us");
    QTest::addColumn<int>("digits");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("epoch") << qint64(0) << 6 << QByteArray("1970-01-01 00:00:00.000000");
    QTest::newRow("one microsecond") << qint64(1) << 6 << QByteArray("1970-01-01 00:00:00.000001");
    // Floor division: before 1970 the fraction still counts forward from the second before.
    QTest::newRow("one microsecond before") << qint64(-1) << 6 << QByteArray("1969-12-31 23:59:59.999999");
    QTest::newRow("one second before") << qint64(-1000000) << 6 << QByteArray("1969-12-31 23:59:59.000000");
    QTest::newRow("a second and a half before") << qint64(-1500000) << 6 << QByteArray("1969-12-31 23:59:58.500000");
    QTest::newRow("2026") << qint64(1796040000123456) << 6 << QByteArray("2026-11-30 12:00:00.123456");
    // Fewer digits truncate, they do not round: .9999 is still in the same millisecond.
    QTest::newRow("milliseconds") << qint64(1796040000123999) << 3 << QByteArray("2026-11-30 12:00:00.123");
    QTest::newRow("milliseconds before 1970") << qint64(-1) << 3 << QByteArray("1969-12-31 23:59:59.999");
    QTest::newRow("one digit") << qint64(1796040000987654) << 1 << QByteArray("2026-11-30 12:00:00.9");
}

void TestTimestampText::text()
{
    QFETCH(qint64, us);
    QFETCH(int, digits);
    QFETCH(QByteArray, expected);
    QCOMPARE(utcTimestampText(us, u"yyyy-MM-dd HH:mm:ss", digits), expected);
}

QTEST_GUILESS_MAIN(TestTimestampText)
#include "tst_timestamptext.moc"
