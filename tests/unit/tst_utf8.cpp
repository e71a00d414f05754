#include "wire/utf8.h"

#include <QRandomGenerator>
#include <QStringDecoder>
#include <QTest>

using namespace wsi;

namespace {

QByteArray bytes(std::initializer_list<int> values)
{
    QByteArray out;
    for (int v : values)
        out.append(char(v));
    return out;
}

QByteArray utf8Of(char32_t codePoint)
{
    return QString::fromUcs4(&codePoint, 1).toUtf8();
}

// Qt's own strict verdict. Stateless, so that a sequence cut off at the end counts as an error instead of
// being kept for a next chunk. With that flag, Qt 6.4 and isValidUtf8 agree on every input below (overlong
// forms, surrogates, > U+10FFFF, F5..FF rejected; noncharacters such as U+FFFE accepted by both).
// The one difference is the default, stateful decoder: see statefulDecoderWaitsForMore().
bool qtAccepts(QByteArrayView data)
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    const QString decoded = decoder.decode(data);
    Q_UNUSED(decoded);
    return !decoder.hasError();
}

QByteArray hex(QByteArrayView data)
{
    return data.toByteArray().toHex(' ');
}

} // namespace

class TestUtf8 : public QObject
{
    Q_OBJECT

private slots:
    void valid_data();
    void valid();
    void invalid_data();
    void invalid();
    void truncatedAtEnd_data();
    void truncatedAtEnd();
    void everyPositionAroundTheAsciiFastPath();
    void secondSequenceAfterAsciiOfEveryLength();
    void singleBytes();
    void exhaustiveTwoBytesAgreeWithQt();
    void leadAndSecondBytesAgreeWithQt();
    void randomAgreesWithQt_data();
    void randomAgreesWithQt();
    void randomValidText();
    void statefulDecoderWaitsForMore();
};

void TestUtf8::valid_data()
{
    QTest::addColumn<QByteArray>("data");

    QTest::newRow("empty") << QByteArray();
    QTest::newRow("ascii") << QByteArray("Hello, WebSocket! {\"a\":1}");
    QTest::newRow("NUL") << QByteArray(3, '\0');
    QTest::newRow("U+007F") << bytes({ 0x7F });
    QTest::newRow("U+0080") << bytes({ 0xC2, 0x80 });
    QTest::newRow("U+00E9") << bytes({ 0xC3, 0xA9 });
    QTest::newRow("U+07FF") << bytes({ 0xDF, 0xBF });
    QTest::newRow("U+0800") << bytes({ 0xE0, 0xA0, 0x80 });
    QTest::newRow("U+20AC") << bytes({ 0xE2, 0x82, 0xAC });
    QTest::newRow("U+D7FF (last before surrogates)") << bytes({ 0xED, 0x9F, 0xBF });
    QTest::newRow("U+E000 (first after surrogates)") << bytes({ 0xEE, 0x80, 0x80 });
    QTest::newRow("U+FEFF (BOM)") << bytes({ 0xEF, 0xBB, 0xBF });
    QTest::newRow("U+FFFE (noncharacter)") << bytes({ 0xEF, 0xBF, 0xBE });
    QTest::newRow("U+FFFF") << bytes({ 0xEF, 0xBF, 0xBF });
    QTest::newRow("U+10000") << bytes({ 0xF0, 0x90, 0x80, 0x80 });
    QTest::newRow("U+1F600") << bytes({ 0xF0, 0x9F, 0x98, 0x80 });
    QTest::newRow("U+10FFFF") << bytes({ 0xF4, 0x8F, 0xBF, 0xBF });
    QTest::newRow("mixed") << QStringLiteral("a\u00e9\u20ac").toUtf8() + utf8Of(0x1F600) + "z";
    QTest::newRow("long ascii then multibyte") << QByteArray(37, 'x') + utf8Of(0x10FFFF) + QByteArray(9, 'y');
    QTest::newRow("RFC 6455 Autobahn-style greeting") << QStringLiteral("\u03ba\u1f79\u03c3\u03bc\u03b5").toUtf8();
}

void TestUtf8::valid()
{
    QFETCH(QByteArray, data);
    QVERIFY(isValidUtf8(data));
    QVERIFY2(qtAccepts(data), "the test's expectation disagrees with QStringDecoder");
}

void TestUtf8::invalid_data()
{
    QTest::addColumn<QByteArray>("data");

    QTest::newRow("overlong NUL C0 80") << bytes({ 0xC0, 0x80 });
    QTest::newRow("overlong C1 BF") << bytes({ 0xC1, 0xBF });
    QTest::newRow("overlong E0 80 80") << bytes({ 0xE0, 0x80, 0x80 });
    QTest::newRow("overlong E0 9F BF (U+07FF)") << bytes({ 0xE0, 0x9F, 0xBF });
    QTest::newRow("overlong F0 80 80 80") << bytes({ 0xF0, 0x80, 0x80, 0x80 });
    QTest::newRow("overlong F0 8F BF BF (U+FFFF)") << bytes({ 0xF0, 0x8F, 0xBF, 0xBF });
    QTest::newRow("surrogate ED A0 80 (U+D800)") << bytes({ 0xED, 0xA0, 0x80 });
    QTest::newRow("surrogate ED BF BF (U+DFFF)") << bytes({ 0xED, 0xBF, 0xBF });
    QTest::newRow("surrogate pair CESU-8") << bytes({ 0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80 });
    QTest::newRow("above U+10FFFF F4 90 80 80") << bytes({ 0xF4, 0x90, 0x80, 0x80 });
    QTest::newRow("F5 80 80 80") << bytes({ 0xF5, 0x80, 0x80, 0x80 });
    QTest::newRow("stray continuation 80") << bytes({ 0x80 });
    QTest::newRow("stray continuation BF after ascii") << QByteArray("abc") + bytes({ 0xBF });
    QTest::newRow("two continuations after 2-byte char") << bytes({ 0xC3, 0xA9, 0xA9 });
    QTest::newRow("lead byte then ascii") << bytes({ 0xC3, 'a' });
    QTest::newRow("3-byte lead, bad third") << bytes({ 0xE2, 0x82, 0x41 });
    QTest::newRow("4-byte lead, bad fourth") << bytes({ 0xF0, 0x9F, 0x98, 0xC0 });
    QTest::newRow("5-byte form F8") << bytes({ 0xF8, 0x88, 0x80, 0x80, 0x80 });
    QTest::newRow("6-byte form FC") << bytes({ 0xFC, 0x84, 0x80, 0x80, 0x80, 0x80 });
    for (int b = 0xF5; b <= 0xFF; ++b)
        QTest::addRow("byte %X in text", b) << QByteArray("ok") + char(b) + "ok";
    QTest::newRow("invalid after 16 ascii bytes") << QByteArray(16, 'a') + bytes({ 0xC0, 0x80 });
    QTest::newRow("valid text then surrogate")
        << QStringLiteral("\u00e9t\u00e9 ").toUtf8() + bytes({ 0xED, 0xA0, 0x80 });
}

void TestUtf8::invalid()
{
    QFETCH(QByteArray, data);
    QVERIFY(!isValidUtf8(data));
    QVERIFY2(!qtAccepts(data), "the test's expectation disagrees with QStringDecoder");
}

void TestUtf8::truncatedAtEnd_data()
{
    QTest::addColumn<QByteArray>("complete");
    for (char32_t cp : { 0x80u, 0x7FFu, 0x800u, 0x20ACu, 0xFFFFu, 0x10000u, 0x1F600u, 0x10FFFFu })
        QTest::addRow("U+%04X", uint(cp)) << utf8Of(cp);
}

void TestUtf8::truncatedAtEnd()
{
    QFETCH(QByteArray, complete);
    QVERIFY(isValidUtf8(complete));
    for (qsizetype n = 1; n < complete.size(); ++n) {
        const QByteArray cut = QByteArray("text ") + complete.first(n);
        QVERIFY2(!isValidUtf8(cut), hex(cut).constData());
        QVERIFY2(!qtAccepts(cut), hex(cut).constData());
        // Cut in the middle and continued with ASCII is just as broken.
        const QByteArray resumed = complete.first(n) + "abcdefghij";
        QVERIFY2(!isValidUtf8(resumed), hex(resumed).constData());
    }
}

void TestUtf8::everyPositionAroundTheAsciiFastPath()
{
    // The checker skips ASCII thirty-two bytes at a time, then eight, then one; a bad or good sequence must be seen
    // wherever it lands: in each step's first or last byte, across two steps, or in the tail after them.
    const QList<QByteArray> good { utf8Of(0xE9), utf8Of(0x20AC), utf8Of(0x1F600) };
    const QList<QByteArray> bad { bytes({ 0x80 }), bytes({ 0xC0, 0x80 }), bytes({ 0xED, 0xA0, 0x80 }),
        bytes({ 0xF4, 0x90, 0x80, 0x80 }), bytes({ 0xFF }) };
    for (qsizetype before = 0; before <= 72; ++before) {
        for (qsizetype after : { 0, 1, 7, 8, 9, 17, 31, 32, 33, 40 }) {
            const QByteArray pre(before, 'a');
            const QByteArray post(after, 'b');
            for (const QByteArray& g : good) {
                const QByteArray data = pre + g + post;
                QVERIFY2(isValidUtf8(data), hex(data).constData());
            }
            for (const QByteArray& b : bad) {
                const QByteArray data = pre + b + post;
                QVERIFY2(!isValidUtf8(data), hex(data).constData());
            }
            // A truncated sequence right at the end, after a run of ASCII.
            const QByteArray cut = pre + utf8Of(0x1F600).first(3);
            QVERIFY(!isValidUtf8(cut));
        }
    }
}

void TestUtf8::secondSequenceAfterAsciiOfEveryLength()
{
    // After a valid sequence the skipping starts again from wherever it ended: a bad byte behind any length of
    // ASCII must still be found, and a good one still accepted.
    for (qsizetype gap = 0; gap <= 70; ++gap) {
        const QByteArray start = utf8Of(0x20AC) + QByteArray(gap, 'x');
        for (qsizetype tail : { 0, 5, 31 }) {
            const QByteArray good = start + utf8Of(0xE9) + QByteArray(tail, 'y');
            QVERIFY2(isValidUtf8(good), hex(good).constData());
            const QByteArray bad = start + bytes({ 0xC3 }) + QByteArray(tail, 'y'); // a lead byte followed by ASCII
            QVERIFY2(!isValidUtf8(bad), hex(bad).constData());
        }
    }
    // The same from an odd address: words are read from wherever the text begins.
    const QByteArray buffer = QByteArray(3, 'z') + QByteArray(40, 'a') + bytes({ 0xFF }) + QByteArray(40, 'a');
    QVERIFY(!isValidUtf8(QByteArrayView(buffer).sliced(3)));
    QVERIFY(isValidUtf8(QByteArrayView(buffer).sliced(3, 40)));
}

void TestUtf8::singleBytes()
{
    for (int b = 0; b < 256; ++b) {
        const QByteArray one(1, char(b));
        QCOMPARE(isValidUtf8(one), b < 0x80);
        QCOMPARE(isValidUtf8(one), qtAccepts(one));
    }
}

void TestUtf8::exhaustiveTwoBytesAgreeWithQt()
{
    int disagreements = 0;
    for (int a = 0; a < 256; ++a) {
        for (int b = 0; b < 256; ++b) {
            const QByteArray data = bytes({ a, b });
            if (isValidUtf8(data) != qtAccepts(data)) {
                if (++disagreements <= 5)
                    qWarning("disagreement on %s", hex(data).constData());
            }
        }
    }
    QCOMPARE(disagreements, 0);
}

void TestUtf8::leadAndSecondBytesAgreeWithQt()
{
    // Every multi-byte lead with every second byte, completed with good and bad continuation bytes: this
    // covers the overlong, surrogate and above-U+10FFFF limits of the second byte exhaustively.
    const QList<int> tails { 0x80, 0xBF, 0x41, 0xC0 };
    int disagreements = 0;
    for (int lead = 0xC0; lead <= 0xFF; ++lead) {
        for (int second = 0; second < 256; ++second) {
            for (int third : tails) {
                for (int fourth : tails) {
                    const QByteArray data = bytes({ lead, second, third, fourth });
                    for (qsizetype n = 2; n <= 4; ++n) {
                        const QByteArrayView v = QByteArrayView(data).first(n);
                        if (isValidUtf8(v) != qtAccepts(v) && ++disagreements <= 5)
                            qWarning("disagreement on %s", hex(v).constData());
                    }
                }
            }
        }
    }
    QCOMPARE(disagreements, 0);
}

void TestUtf8::randomAgreesWithQt_data()
{
    QTest::addColumn<quint32>("seed");
    QTest::addColumn<bool>("interestingBytesOnly");
    QTest::newRow("uniform bytes") << 20261122u << false;
    QTest::newRow("boundary bytes") << 6455u << true;
}

void TestUtf8::randomAgreesWithQt()
{
    QFETCH(quint32, seed);
    QFETCH(bool, interestingBytesOnly);
    // Bytes at the edges of the UTF-8 ranges: a uniform draw rarely hits a valid multi-byte sequence.
    static const int interesting[] = { 0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
        0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFE, 0xFF };
    QRandomGenerator rng(seed);
    int disagreements = 0;
    int valid = 0;
    constexpr int Samples = 100000;
    for (int i = 0; i < Samples; ++i) {
        QByteArray data(rng.bounded(1, 13), Qt::Uninitialized);
        for (char& c : data) {
            c = interestingBytesOnly ? char(interesting[rng.bounded(int(std::size(interesting)))])
                                     : char(rng.bounded(256));
        }
        const bool ours = isValidUtf8(data);
        valid += ours;
        if (ours != qtAccepts(data) && ++disagreements <= 5)
            qWarning("disagreement on %s (ours: %d)", hex(data).constData(), int(ours));
    }
    QCOMPARE(disagreements, 0);
    QVERIFY2(valid > 0 && valid < Samples, "the sample should hold both valid and invalid inputs");
}

void TestUtf8::randomValidText()
{
    // Random code points of every length, encoded by Qt: always valid; any single flipped byte must be judged
    // as Qt judges it.
    QRandomGenerator rng(7);
    int disagreements = 0;
    for (int i = 0; i < 5000; ++i) {
        QList<char32_t> cps;
        const int n = rng.bounded(1, 40);
        for (int k = 0; k < n; ++k) {
            char32_t cp;
            switch (rng.bounded(4)) {
            case 0:
                cp = rng.bounded(0x80);
                break;
            case 1:
                cp = rng.bounded(0x80, 0x800);
                break;
            case 2:
                do
                    cp = rng.bounded(0x800, 0x10000);
                while (cp >= 0xD800 && cp <= 0xDFFF);
                break;
            default:
                cp = rng.bounded(0x10000, 0x110000);
                break;
            }
            cps.append(cp);
        }
        QByteArray data = QString::fromUcs4(cps.constData(), cps.size()).toUtf8();
        QVERIFY2(isValidUtf8(data), hex(data).constData());
        data[rng.bounded(data.size())] = char(rng.bounded(256));
        if (isValidUtf8(data) != qtAccepts(data) && ++disagreements <= 5)
            qWarning("disagreement on %s", hex(data).constData());
    }
    QCOMPARE(disagreements, 0);
}

void TestUtf8::statefulDecoderWaitsForMore()
{
    // A QStringDecoder without Flag::Stateless keeps a truncated tail for the next chunk and reports no error,
    // so it cannot be the final check of a complete message: isValidUtf8 rejects it.
    const QByteArray cut = QByteArray("price: ") + utf8Of(0x20AC).first(2);
    QStringDecoder stateful(QStringDecoder::Utf8);
    const QString decoded = stateful.decode(cut);
    QVERIFY(!stateful.hasError());
    QCOMPARE(decoded, QStringLiteral("price: "));
    QVERIFY(!isValidUtf8(cut));
    QVERIFY(!qtAccepts(cut));
}

QTEST_GUILESS_MAIN(TestUtf8)
#include "tst_utf8.moc"
