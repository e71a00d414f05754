#include "core/hexdump.h"

#include <QLocale>
#include <QTest>

using namespace wsi;

namespace {

QByteArray counting(int n)
{
    QByteArray out;
    for (int i = 0; i < n; ++i)
        out += char(i);
    return out;
}

} // namespace

class TestHexDump : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase() { QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates)); }
    void exactLines_data();
    void exactLines();
    void asciiColumn();
    void utf8Text();
    void cap();
    void noCapWhenEverythingFits();
    void rangesMatchTheWholeDump();
    void rangeClipping();
    void asciiColumnAligned();
};

void TestHexDump::exactLines_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QString>("expected");
    QTest::addRow("0 bytes") << QByteArray() << QString();
    QTest::addRow("1 byte") << QByteArray("A")
                            << QStringLiteral("00000000  41                                                |A|\n");
    QTest::addRow("15 bytes") << counting(
        15) << QStringLiteral("00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e     |...............|\n");
    QTest::addRow("16 bytes") << counting(
        16) << QStringLiteral("00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|\n");
    QTest::addRow("17 bytes") << counting(16) + QByteArray("z")
                              << QStringLiteral(
                                     "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|\n"
                                     "00000010  7a                                                |z|\n");
    QTest::addRow("hello") << QByteArray("Hello, world!\n\x00\x01\xff", 17)
                           << QStringLiteral(
                                  "00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 00 01  |Hello, world!...|\n"
                                  "00000010  ff                                                |.|\n");
}

void TestHexDump::exactLines()
{
    QFETCH(QByteArray, data);
    QFETCH(QString, expected);
    QCOMPARE(HexDump::dump(data), expected);
    QCOMPARE(HexDump::lines(data, 0, HexDump::lineCount(data.size())), expected);
}

void TestHexDump::asciiColumn()
{
    // Printable ASCII is 0x20..0x7e; DEL, controls and high bytes are dots.
    const QByteArray data("\x1f\x20\x7e\x7f\x80\xff\x09\x0a"
                          "az",
        10);
    const QString line = HexDump::dump(data);
    QVERIFY2(line.endsWith(QStringLiteral("|. ~.....az|\n")), qPrintable(line));
    QVERIFY(line.startsWith(QStringLiteral("00000000  1f 20 7e 7f 80 ff 09 0a  61 7a ")));
}

void TestHexDump::utf8Text()
{
    const QByteArray text = QStringLiteral("h\u00e9 \u20ac!").toUtf8(); // é is 2 bytes, € is 3
    QCOMPARE(text.size(), 8);
    QCOMPARE(HexDump::dump(text),
        QStringLiteral("00000000  68 c3 a9 20 e2 82 ac 21                           |h.. ...!|\n"));
}

void TestHexDump::cap()
{
    const QString cut = HexDump::dump(QByteArray(100, 'x'), 32);
    const QStringList lines = cut.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 3);
    QVERIFY(lines[0].startsWith(QStringLiteral("00000000  78")));
    QVERIFY(lines[1].startsWith(QStringLiteral("00000010  78")));
    QCOMPARE(lines[2], QStringLiteral("\u2026 68 more bytes"));
    QCOMPARE(HexDump::omittedText(1234567), QStringLiteral("\u2026 1,234,567 more bytes"));

    // A cap inside a line cuts the line there.
    const QStringList odd = HexDump::dump(QByteArray(20, 'y'), 5).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(odd.size(), 2);
    QVERIFY(odd[0].endsWith(QStringLiteral("|yyyyy|")));
    QCOMPARE(odd[1], QStringLiteral("\u2026 15 more bytes"));

    QCOMPARE(HexDump::dump(QByteArray(3, 'z'), 0), QStringLiteral("\u2026 3 more bytes\n"));
}

void TestHexDump::noCapWhenEverythingFits()
{
    const QByteArray data(HexDump::DefaultMaxBytes, 'q');
    const QString dump = HexDump::dump(data);
    QVERIFY(!dump.contains(QChar(0x2026)));
    QCOMPARE(dump.count(QLatin1Char('\n')), HexDump::DefaultMaxBytes / 16);
    QVERIFY(HexDump::dump(QByteArray(data + "q")).contains(QStringLiteral("\u2026 1 more bytes")));
}

void TestHexDump::rangesMatchTheWholeDump()
{
    QByteArray data;
    for (int i = 0; i < 1000; ++i)
        data += char(i * 7);
    const QString whole = HexDump::dump(data);
    QCOMPARE(HexDump::lineCount(data.size()), 63);
    QString pieced;
    for (qsizetype line = 0; line < HexDump::lineCount(data.size()); line += 10)
        pieced += HexDump::lines(data, line, 10);
    QCOMPARE(pieced, whole);
    QCOMPARE(HexDump::lines(data, 62, 1), whole.split(QLatin1Char('\n')).at(62) + QLatin1Char('\n'));
}

void TestHexDump::rangeClipping()
{
    const QByteArray data(40, 'a'); // 3 lines
    QCOMPARE(HexDump::lines(data, 3, 5), QString());
    QCOMPARE(HexDump::lines(data, 2, 100).count(QLatin1Char('\n')), 1);
    QCOMPARE(HexDump::lines(data, -4, 1), HexDump::lines(data, 0, 1));
    QCOMPARE(HexDump::lines(data, 0, -1), QString());
    QCOMPARE(HexDump::lines({}, 0, 1), QString());
}

void TestHexDump::asciiColumnAligned()
{
    // Every line, full or short, has its ASCII column at the same place, so the dump reads as a table.
    const QByteArray data(37, 'b');
    const QStringList lines = HexDump::dump(data).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 3);
    for (const QString& line : lines)
        QCOMPARE(line.indexOf(QLatin1Char('|')), 60);
    QVERIFY(lines[2].startsWith(QStringLiteral("00000020  62 62 62 62 62 ")));
}

QTEST_GUILESS_MAIN(TestHexDump)
#include "tst_hexdump.moc"
