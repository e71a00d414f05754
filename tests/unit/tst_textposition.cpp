#include "core/textposition.h"

#include <QString>
#include <QTest>

using namespace wsi;

class TstTextPosition : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void utf16_data();
    void utf16();
    void utf8_data();
    void utf8();
};

void TstTextPosition::utf16_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<qsizetype>("offset");
    QTest::addColumn<qsizetype>("line");
    QTest::addColumn<qsizetype>("column");
    QTest::newRow("start") << QStringLiteral("abc") << qsizetype(0) << qsizetype(1) << qsizetype(1);
    QTest::newRow("first line") << QStringLiteral("abc") << qsizetype(2) << qsizetype(1) << qsizetype(3);
    QTest::newRow("second line") << QStringLiteral("ab\ncd") << qsizetype(4) << qsizetype(2) << qsizetype(2);
    QTest::newRow("at a line break") << QStringLiteral("ab\ncd") << qsizetype(3) << qsizetype(2) << qsizetype(1);
    QTest::newRow("clamped") << QStringLiteral("ab\ncd") << qsizetype(99) << qsizetype(2) << qsizetype(3);
    QTest::newRow("negative") << QStringLiteral("ab") << qsizetype(-4) << qsizetype(1) << qsizetype(1);
}

void TstTextPosition::utf16()
{
    QFETCH(QString, text);
    QFETCH(qsizetype, offset);
    QFETCH(qsizetype, line);
    QFETCH(qsizetype, column);
    const TextPosition at = textPosition(text, offset);
    QCOMPARE(at.line, line);
    QCOMPARE(at.column, column);
}

void TstTextPosition::utf8_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<qsizetype>("offset");
    QTest::addColumn<qsizetype>("line");
    QTest::addColumn<qsizetype>("column");
    QTest::newRow("ascii") << QByteArray("{\n  x") << qsizetype(5) << qsizetype(2) << qsizetype(4);
    // "é" is two bytes and one character: the column counts characters, as an editor does.
    QTest::newRow("two-byte character") << QByteArray("\"\xc3\xa9\" x") << qsizetype(5) << qsizetype(1) << qsizetype(5);
    QTest::newRow("on a later line") << QByteArray("\xc3\xa9\n\xc3\xa9x") << qsizetype(5) << qsizetype(2)
                                     << qsizetype(2);
    QTest::newRow("clamped") << QByteArray("ab") << qsizetype(10) << qsizetype(1) << qsizetype(3);
}

void TstTextPosition::utf8()
{
    QFETCH(QByteArray, text);
    QFETCH(qsizetype, offset);
    QFETCH(qsizetype, line);
    QFETCH(qsizetype, column);
    const TextPosition at = utf8TextPosition(text, offset);
    QCOMPARE(at.line, line);
    QCOMPARE(at.column, column);
}

QTEST_GUILESS_MAIN(TstTextPosition)
#include "tst_textposition.moc"
