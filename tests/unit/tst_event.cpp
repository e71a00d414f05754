#include "core/event.h"

#include <QTest>

using namespace wsi;

class TestEvent : public QObject
{
    Q_OBJECT

private slots:
    void closeRequestProblem_data();
    void closeRequestProblem();
};

void TestEvent::closeRequestProblem_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("reason");
    // A word the problem must mention (which of code and reason is wrong); empty: no problem.
    QTest::addColumn<QString>("mentions");

    for (int code : { 1000, 1001, 1003, 1007, 1011, 1014, 3000, 3999, 4000, 4999 })
        QTest::addRow("%d sendable", code) << code << QString() << QString();
    // Reserved (1004), only ever reported, never sent (1005, 1006, 1015), or unassigned below 3000.
    for (int code : { 1004, 1005, 1006, 1015, 1016, 2000, 2999 })
        QTest::addRow("%d reserved", code) << code << QString() << QStringLiteral("may send");
    for (int code : { -1, 0, 999, 5000, 65535, 65536 + 1000 })
        QTest::addRow("%d out of range", code) << code << QString() << QStringLiteral("not a close code");

    const QString fits(MaxCloseReasonBytes, QLatin1Char('a'));
    QTest::newRow("reason of 123 bytes") << 1000 << fits << QString();
    QTest::newRow("reason of 124 bytes") << 1000 << fits + QLatin1Char('a') << QStringLiteral("124 bytes");
    // Bytes of UTF-8 are counted, not characters: 62 two-byte letters are 124 bytes.
    QTest::newRow("two-byte letters") << 4000 << QString(62, QChar(0x00e9)) << QStringLiteral("124 bytes");
    QTest::newRow("61 two-byte letters") << 4000 << QString(61, QChar(0x00e9)) << QString();
    // The code is what is wrong first: a long reason does not hide it.
    QTest::newRow("bad code and long reason") << 1005 << fits + fits << QStringLiteral("1005");
}

void TestEvent::closeRequestProblem()
{
    QFETCH(int, code);
    QFETCH(QString, reason);
    QFETCH(QString, mentions);
    const QString problem = wsi::closeRequestProblem(code, reason);
    if (mentions.isEmpty()) {
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    } else {
        QVERIFY2(problem.contains(mentions), qPrintable(problem));
    }
}

QTEST_GUILESS_MAIN(TestEvent)
#include "tst_event.moc"
