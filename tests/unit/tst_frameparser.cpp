#include "wire/frame.h"
#include "wire/utf8.h"

#include <QCryptographicHash>
#include <QList>
#include <QRandomGenerator>
#include <QTest>

#include <functional>
#include <optional>

using namespace wsi;

namespace {

constexpr quint32 RfcKey = 0x37fa213d; // the masking key of the RFC 6455 section 5.7 examples

QByteArray bytes(std::initializer_list<int> values)
{
    QByteArray out;
    out.reserve(qsizetype(values.size()));
    for (int v : values)
        out.append(char(v));
    return out;
}

// Deterministic payload that is not periodic with the 4-byte mask, so a wrong key phase shows.
QByteArray pattern(qsizetype size, quint32 seed = 1)
{
    QByteArray out((size + 3) / 4 * 4, Qt::Uninitialized);
    QRandomGenerator rng(seed);
    rng.fillRange(reinterpret_cast<quint32*>(out.data()), out.size() / 4);
    out.truncate(size);
    return out;
}

// The masking rule of RFC 6455 5.3, written the slow and obvious way, to check the fast one against.
QByteArray naiveMask(QByteArray data, quint32 key, qsizetype offset = 0)
{
    const uchar k[4] = { uchar(key >> 24), uchar(key >> 16), uchar(key >> 8), uchar(key) };
    for (qsizetype i = 0; i < data.size(); ++i)
        data[i] = char(uchar(data[i]) ^ k[(offset + i) % 4]);
    return data;
}

// One line per frame, so that a list comparison names the first frame that differs. Big payloads are hashed.
QByteArray describe(const Frame& f)
{
    QByteArray payload = f.payload.size() <= 32 ? f.payload.toHex()
                                                : QCryptographicHash::hash(f.payload, QCryptographicHash::Sha1).toHex();
    return "fin=" + QByteArray::number(f.fin) + " rsv=" + QByteArray::number(f.rsv)
        + " op=" + QByteArray::number(int(f.opcode)) + " masked=" + QByteArray::number(f.masked) + " key="
        + QByteArray::number(f.maskKey, 16) + " len=" + QByteArray::number(f.payload.size()) + " payload=" + payload;
}

QList<QByteArray> describeAll(const QList<Frame>& frames)
{
    QList<QByteArray> out;
    for (const Frame& f : frames)
        out.append(describe(f));
    return out;
}

// Takes every complete frame out of the parser; `last` gets the status that ended the loop.
QList<Frame> drain(FrameParser& parser, FrameParser::Status* last = nullptr)
{
    QList<Frame> out;
    Frame f;
    FrameParser::Status s;
    while ((s = parser.next(f)) == FrameParser::Status::Frame)
        out.append(f);
    if (last)
        *last = s;
    return out;
}

Frame makeFrame(Opcode op, QByteArray payload, bool fin = true, std::optional<quint32> key = {}, quint8 rsv = 0)
{
    Frame f;
    f.fin = fin;
    f.rsv = rsv;
    f.opcode = op;
    f.masked = key.has_value();
    f.maskKey = key.value_or(0);
    f.payload = std::move(payload);
    return f;
}

QByteArray encode(const Frame& f)
{
    return encodeFrame(f.opcode, f.payload, f.fin, f.masked ? std::optional<quint32>(f.maskKey) : std::nullopt, f.rsv);
}

// A stream with every opcode, every length encoding and its edges, masked and unmasked.
QList<Frame> mixedFrames(bool withHuge)
{
    QList<Frame> frames;
    quint32 seed = 10;
    const QList<qsizetype> dataSizes = withHuge ? QList<qsizetype> { 0, 1, 125, 126, 127, 65535, 65536, 1024 * 1024 }
                                                : QList<qsizetype> { 0, 1, 3, 125, 126, 300 };
    for (bool masked : { false, true }) {
        const std::optional<quint32> key = masked ? std::optional<quint32>(0xA1B2C3D4u + seed) : std::nullopt;
        for (qsizetype size : dataSizes) {
            // Only the binary frame goes up to 1 MiB, to keep byte-by-byte feeding quick.
            const qsizetype smaller = std::min<qsizetype>(size, 65536);
            frames.append(makeFrame(Opcode::Text, pattern(smaller, ++seed), false, key));
            frames.append(makeFrame(Opcode::Ping, pattern(size % 126, ++seed), true, key));
            frames.append(makeFrame(Opcode::Continuation, pattern(smaller, ++seed), true, key));
            ++seed;
            frames.append(makeFrame(Opcode::Binary, pattern(size, seed), true, key, quint8(seed % 8)));
            frames.append(makeFrame(Opcode::Pong, pattern(std::min<qsizetype>(size, 125), ++seed), true, key));
        }
        frames.append(makeFrame(Opcode::Close, closePayload(1000, "bye"), true, key));
    }
    return frames;
}

// The big stream is made once: the split tests all parse the same bytes.
const QList<Frame>& bigStream()
{
    static const QList<Frame> frames = mixedFrames(true);
    return frames;
}

QByteArray encodeAll(const QList<Frame>& frames)
{
    QByteArray out;
    for (const Frame& f : frames)
        out += encode(f);
    return out;
}

} // namespace

class TestFrameParser : public QObject
{
    Q_OBJECT

private slots:
    void roundTrip_data();
    void roundTrip();
    void flagsRoundTrip_data();
    void flagsRoundTrip();
    void lengthEncoding_data();
    void lengthEncoding();

    void rfcExamples_data();
    void rfcExamples();

    void oneFeedManyFrames();
    void byteByByte();
    void randomChunks_data();
    void randomChunks();
    void everyTwoWaySplit();
    void headerSplitsOfBigFrames();

    void errors_data();
    void errors();
    void errorAfterGoodFrames();
    void controlFrameRulesLeftToCaller();
    void frameAtLimitIsAccepted();
    void oversizedFrameFailsFromHeaderAlone();
    void lenientLengthEncoding();
    void oversizedFramesSkipped();
    void skippingBuffersNothing();
    void partialFrame();

    void closePayload_data();
    void closePayload();
    void validCloseCodes_data();
    void validCloseCodes();
    void applyMaskMatchesNaive();
    void applyMaskInPieces();
    void applyMaskRfcExample();
};

void TestFrameParser::roundTrip_data()
{
    QTest::addColumn<int>("opcode");
    QTest::addColumn<qsizetype>("size");
    QTest::addColumn<bool>("masked");

    const QList<qsizetype> dataSizes { 0, 125, 126, 65535, 65536, 1024 * 1024 };
    for (Opcode op : { Opcode::Continuation, Opcode::Text, Opcode::Binary }) {
        for (qsizetype size : dataSizes) {
            for (bool masked : { false, true }) {
                QTest::addRow("op%d-%lld-%s", int(op), qlonglong(size), masked ? "masked" : "plain")
                    << int(op) << size << masked;
            }
        }
    }
    // Control frames carry at most 125 bytes.
    for (Opcode op : { Opcode::Close, Opcode::Ping, Opcode::Pong }) {
        for (qsizetype size : { 0, 1, 125 }) {
            for (bool masked : { false, true }) {
                QTest::addRow("op%d-%lld-%s", int(op), qlonglong(size), masked ? "masked" : "plain")
                    << int(op) << size << masked;
            }
        }
    }
}

void TestFrameParser::roundTrip()
{
    QFETCH(int, opcode);
    QFETCH(qsizetype, size);
    QFETCH(bool, masked);

    const QByteArray payload = pattern(size, quint32(size) + 7);
    const quint32 key = 0x01020304u ^ quint32(size);
    const QByteArray wire = encodeFrame(Opcode(opcode), payload, true, masked ? std::optional(key) : std::nullopt);

    const qsizetype lengthBytes = size < 126 ? 0 : size <= 0xFFFF ? 2 : 8;
    const qsizetype headerSize = 2 + lengthBytes + (masked ? 4 : 0);
    QCOMPARE(wire.size(), headerSize + size);
    QCOMPARE(uchar(wire[0]), uchar(0x80 | opcode));
    QCOMPARE(bool(uchar(wire[1]) & 0x80), masked);
    // On the wire the payload is masked with the key that the header announces.
    QCOMPARE(wire.mid(headerSize), masked ? naiveMask(payload, key) : payload);

    FrameParser parser;
    parser.feed(wire);
    Frame f;
    QCOMPARE(parser.next(f), FrameParser::Status::Frame);
    QCOMPARE(f.fin, true);
    QCOMPARE(f.rsv, quint8(0));
    QCOMPARE(int(f.opcode), opcode);
    QCOMPARE(f.masked, masked);
    QCOMPARE(f.maskKey, masked ? key : 0u);
    QCOMPARE(f.payload.size(), size);
    QVERIFY(f.payload == payload); // not QCOMPARE: a 1 MiB mismatch would print the whole buffer
    QCOMPARE(parser.next(f), FrameParser::Status::NeedMore);
    QCOMPARE(parser.buffered(), 0);
}

void TestFrameParser::flagsRoundTrip_data()
{
    QTest::addColumn<bool>("fin");
    QTest::addColumn<int>("rsv");
    for (bool fin : { true, false }) {
        for (int rsv = 0; rsv < 8; ++rsv)
            QTest::addRow("fin%d-rsv%d", int(fin), rsv) << fin << rsv;
    }
}

void TestFrameParser::flagsRoundTrip()
{
    QFETCH(bool, fin);
    QFETCH(int, rsv);
    // The framing layer reports RSV bits and FIN as they are; judging them is the connection's job.
    const QByteArray wire = encodeFrame(Opcode::Binary, "abc", fin, std::nullopt, quint8(rsv));
    QCOMPARE(uchar(wire[0]), uchar((fin ? 0x80 : 0) | (rsv << 4) | 0x2));
    FrameParser parser;
    parser.feed(wire);
    Frame f;
    QCOMPARE(parser.next(f), FrameParser::Status::Frame);
    QCOMPARE(f.fin, fin);
    QCOMPARE(int(f.rsv), rsv);
    QCOMPARE(f.payload, QByteArray("abc"));
}

void TestFrameParser::lengthEncoding_data()
{
    QTest::addColumn<qsizetype>("size");
    QTest::addColumn<QByteArray>("header");
    QTest::newRow("0") << qsizetype(0) << bytes({ 0x82, 0x00 });
    QTest::newRow("125") << qsizetype(125) << bytes({ 0x82, 0x7D });
    QTest::newRow("126") << qsizetype(126) << bytes({ 0x82, 0x7E, 0x00, 0x7E });
    QTest::newRow("65535") << qsizetype(65535) << bytes({ 0x82, 0x7E, 0xFF, 0xFF });
    QTest::newRow("65536") << qsizetype(65536) << bytes({ 0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0, 0 });
    QTest::newRow("1MiB") << qsizetype(1024 * 1024) << bytes({ 0x82, 0x7F, 0, 0, 0, 0, 0, 0x10, 0, 0 });
}

void TestFrameParser::lengthEncoding()
{
    QFETCH(qsizetype, size);
    QFETCH(QByteArray, header);
    // The encoder must use the shortest form: our own parser (and every strict peer) rejects anything else.
    const QByteArray wire = encodeFrame(Opcode::Binary, QByteArray(size, 'x'));
    QCOMPARE(wire.first(header.size()).toHex(' '), header.toHex(' '));
    QCOMPARE(wire.size(), header.size() + size);
}

void TestFrameParser::rfcExamples_data()
{
    QTest::addColumn<QByteArray>("wire");
    QTest::addColumn<QList<QByteArray>>("expected");

    const QByteArray hello("Hello");
    QTest::newRow("unmasked Hello") << bytes({ 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f })
                                    << describeAll({ makeFrame(Opcode::Text, hello) });
    QTest::newRow("masked Hello") << bytes({ 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 })
                                  << describeAll({ makeFrame(Opcode::Text, hello, true, RfcKey) });
    QTest::newRow("fragmented Hel+lo") << bytes({ 0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c,
        0x6f }) << describeAll({ makeFrame(Opcode::Text, "Hel", false), makeFrame(Opcode::Continuation, "lo", true) });
    QTest::newRow("unmasked ping Hello") << bytes({ 0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f })
                                         << describeAll({ makeFrame(Opcode::Ping, hello) });
    QTest::newRow("masked pong Hello") << bytes({ 0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 })
                                       << describeAll({ makeFrame(Opcode::Pong, hello, true, RfcKey) });
    const QByteArray b256 = pattern(256, 256);
    QTest::newRow("256 bytes binary") << bytes({ 0x82, 0x7E, 0x01, 0x00 }) + b256
                                      << describeAll({ makeFrame(Opcode::Binary, b256) });
    const QByteArray b64k = pattern(65536, 65536);
    QTest::newRow("64 KiB binary") << bytes({ 0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00 }) + b64k
                                   << describeAll({ makeFrame(Opcode::Binary, b64k) });
}

void TestFrameParser::rfcExamples()
{
    QFETCH(QByteArray, wire);
    QFETCH(QList<QByteArray>, expected);

    FrameParser parser;
    parser.feed(wire);
    FrameParser::Status last;
    const QList<Frame> frames = drain(parser, &last);
    QCOMPARE(describeAll(frames), expected);
    QCOMPARE(last, FrameParser::Status::NeedMore);

    // And the encoder writes exactly these bytes back.
    QCOMPARE(encodeAll(frames).toHex(' '), wire.toHex(' '));
}

void TestFrameParser::oneFeedManyFrames()
{
    const QList<Frame>& frames = bigStream();
    FrameParser parser;
    parser.feed(encodeAll(frames));
    FrameParser::Status last;
    QCOMPARE(describeAll(drain(parser, &last)), describeAll(frames));
    QCOMPARE(last, FrameParser::Status::NeedMore);
    QCOMPARE(parser.buffered(), 0);
}

void TestFrameParser::byteByByte()
{
    const QList<Frame>& frames = bigStream();
    const QByteArray wire = encodeAll(frames);
    FrameParser parser;
    QList<Frame> got;
    for (qsizetype i = 0; i < wire.size(); ++i) {
        parser.feed(wire.sliced(i, 1));
        got += drain(parser);
    }
    QCOMPARE(describeAll(got), describeAll(frames));
    QCOMPARE(parser.buffered(), 0);
}

void TestFrameParser::randomChunks_data()
{
    QTest::addColumn<quint32>("seed");
    QTest::addColumn<int>("maxChunk");
    for (quint32 seed : { 1u, 2u, 3u }) {
        for (int maxChunk : { 7, 300, 70000 })
            QTest::addRow("seed%u-upto%d", seed, maxChunk) << seed << maxChunk;
    }
}

void TestFrameParser::randomChunks()
{
    QFETCH(quint32, seed);
    QFETCH(int, maxChunk);
    const QList<Frame>& frames = bigStream();
    const QByteArray wire = encodeAll(frames);
    QRandomGenerator rng(seed);
    FrameParser parser;
    QList<Frame> got;
    for (qsizetype at = 0; at < wire.size();) {
        const qsizetype n = std::min<qsizetype>(wire.size() - at, 1 + rng.bounded(maxChunk));
        parser.feed(wire.sliced(at, n));
        at += n;
        // Sometimes let chunks pile up before asking, so one feed completes several frames.
        if (rng.bounded(3) != 0)
            got += drain(parser);
    }
    got += drain(parser);
    QCOMPARE(describeAll(got), describeAll(frames));
    QCOMPARE(parser.buffered(), 0);
}

void TestFrameParser::everyTwoWaySplit()
{
    const QList<Frame> frames = mixedFrames(false);
    const QList<QByteArray> expected = describeAll(frames);
    const QByteArray wire = encodeAll(frames);
    for (qsizetype split = 0; split <= wire.size(); ++split) {
        FrameParser parser;
        parser.feed(wire.first(split));
        QList<Frame> got = drain(parser);
        parser.feed(wire.sliced(split));
        got += drain(parser);
        if (describeAll(got) != expected)
            QFAIL(qPrintable(QStringLiteral("different frames when split at byte %1").arg(split)));
    }
}

void TestFrameParser::headerSplitsOfBigFrames()
{
    // Split inside every header form: 16-bit and 64-bit lengths, with and without a mask key.
    for (qsizetype size : { 126, 65535, 65536 }) {
        for (bool masked : { false, true }) {
            const Frame frame = makeFrame(
                Opcode::Binary, pattern(size, 99), true, masked ? std::optional<quint32>(0xDEADBEEF) : std::nullopt);
            const QByteArray wire = encode(frame) + encodeFrame(Opcode::Text, "next");
            for (qsizetype split = 0; split <= 16; ++split) {
                FrameParser parser;
                parser.feed(wire.first(split));
                FrameParser::Status last;
                QList<Frame> got = drain(parser, &last);
                QCOMPARE(last, FrameParser::Status::NeedMore);
                QVERIFY(got.isEmpty());
                parser.feed(wire.sliced(split));
                got = drain(parser);
                QCOMPARE(describeAll(got), describeAll({ frame, makeFrame(Opcode::Text, "next") }));
            }
        }
    }
}

void TestFrameParser::errors_data()
{
    QTest::addColumn<QByteArray>("wire");
    QTest::addColumn<qint64>("limit");
    QTest::addColumn<int>("code");

    const qint64 defaultLimit = 64 * 1024 * 1024;
    for (int op : { 0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF }) {
        QTest::addRow("reserved opcode %X", op) << bytes({ 0x80 | op, 0x00 }) << defaultLimit << 1002;
        QTest::addRow("reserved opcode %X, not final, masked", op)
            << bytes({ op, 0x80, 1, 2, 3, 4 }) << defaultLimit << 1002;
    }
    QTest::newRow("fragmented close") << bytes({ 0x08, 0x00 }) << defaultLimit << 1002;
    QTest::newRow("fragmented ping") << bytes({ 0x09, 0x01, 'x' }) << defaultLimit << 1002;
    QTest::newRow("fragmented pong") << bytes({ 0x0A, 0x80, 1, 2, 3, 4 }) << defaultLimit << 1002;
    // The 7-bit length already tells; the parser must not wait for the extended length or payload.
    QTest::newRow("ping with 126 bytes") << bytes({ 0x89, 0x7E, 0x00, 0x7E }) + QByteArray(126, 'p') << defaultLimit
                                         << 1002;
    QTest::newRow("ping 16-bit length, header only") << bytes({ 0x89, 0x7E }) << defaultLimit << 1002;
    QTest::newRow("close 64-bit length, header only") << bytes({ 0x88, 0xFF }) << defaultLimit << 1002;
    QTest::newRow("pong 200 bytes masked")
        << bytes({ 0x8A, 0xFE, 0x00, 0xC8, 1, 2, 3, 4 }) + QByteArray(200, 'p') << defaultLimit << 1002;
    QTest::newRow("16-bit length 125") << bytes({ 0x82, 0x7E, 0x00, 0x7D }) << defaultLimit << 1002;
    QTest::newRow("16-bit length 0") << bytes({ 0x82, 0x7E, 0x00, 0x00 }) << defaultLimit << 1002;
    QTest::newRow("64-bit length 0") << bytes({ 0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0 }) << defaultLimit << 1002;
    QTest::newRow("64-bit length 125") << bytes({ 0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0x7D }) << defaultLimit << 1002;
    QTest::newRow("64-bit length 65535") << bytes({ 0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF }) << defaultLimit << 1002;
    QTest::newRow("64-bit length with MSB set")
        << bytes({ 0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0x01 }) << defaultLimit << 1002;
    QTest::newRow("64-bit length all ones")
        << bytes({ 0x82, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }) << defaultLimit << 1002;
    QTest::newRow("7-bit length over limit") << bytes({ 0x81, 0x65 }) << qint64(100) << 1009;
    QTest::newRow("16-bit length over limit") << bytes({ 0x82, 0x7E, 0x03, 0xE9 }) << qint64(1000) << 1009;
    QTest::newRow("16-bit over limit, mask key not yet seen")
        << bytes({ 0x82, 0xFE, 0x03, 0xE9 }) << qint64(1000) << 1009;
    QTest::newRow("64-bit length just over 64 MiB")
        << bytes({ 0x82, 0x7F, 0, 0, 0, 0, 0x04, 0, 0, 0x01 }) << defaultLimit << 1009;
    QTest::newRow("64-bit length 1 TiB") << bytes({ 0x82, 0x7F, 0, 0, 0x01, 0, 0, 0, 0, 0 }) << defaultLimit << 1009;
    QTest::newRow("continuation over limit") << bytes({ 0x00, 0x7E, 0x01, 0x00 }) << qint64(255) << 1009;
}

void TestFrameParser::errors()
{
    QFETCH(QByteArray, wire);
    QFETCH(qint64, limit);
    QFETCH(int, code);

    // Fed byte by byte, the parser asks for more until the offending header is complete, then fails.
    FrameParser parser(limit);
    Frame f;
    FrameParser::Status status = FrameParser::Status::NeedMore;
    qsizetype fed = 0;
    while (status == FrameParser::Status::NeedMore && fed < wire.size()) {
        parser.feed(wire.sliced(fed++, 1));
        status = parser.next(f);
    }
    QCOMPARE(status, FrameParser::Status::Failed);
    QCOMPARE(int(parser.error().closeCode), code);
    QVERIFY(!parser.error().message.isEmpty());
    QVERIFY2(fed <= 10, "the verdict needs no more than the frame header");
    QCOMPARE(parser.buffered(), 0);

    // Once failed, always failed: the stream is out of sync and nothing after it can be trusted.
    parser.feed(wire.sliced(fed));
    parser.feed(encodeFrame(Opcode::Text, "fine"));
    QCOMPARE(parser.next(f), FrameParser::Status::Failed);
    QCOMPARE(parser.next(f), FrameParser::Status::Failed);
    QCOMPARE(int(parser.error().closeCode), code);
    QCOMPARE(parser.buffered(), 0);

    // The same in one feed.
    FrameParser whole(limit);
    whole.feed(wire);
    QCOMPARE(whole.next(f), FrameParser::Status::Failed);
    QCOMPARE(int(whole.error().closeCode), code);
}

void TestFrameParser::errorAfterGoodFrames()
{
    FrameParser parser;
    parser.feed(QByteArray(encodeFrame(Opcode::Text, "one") + encodeFrame(Opcode::Binary, "two", true, 5u)
        + bytes({ 0x83, 0x00 }) + encodeFrame(Opcode::Text, "never")));
    FrameParser::Status last;
    const QList<Frame> got = drain(parser, &last);
    QCOMPARE(
        describeAll(got), describeAll({ makeFrame(Opcode::Text, "one"), makeFrame(Opcode::Binary, "two", true, 5u) }));
    QCOMPARE(last, FrameParser::Status::Failed);
    QCOMPARE(int(parser.error().closeCode), 1002);
}

void TestFrameParser::controlFrameRulesLeftToCaller()
{
    // Unchecked, a fragmented control frame and a 200-byte ping are frames like any other; the framing rules
    // that lose the stream still apply.
    FrameParser parser(1000);
    parser.setCheckControlFrames(false);
    const QByteArray longPing = pattern(200);
    parser.feed(QByteArray(encodeFrame(Opcode::Ping, longPing, true, 9u) + encodeFrame(Opcode::Close, "ab", false)
        + encodeFrame(Opcode::Pong, pattern(1001)) + encodeFrame(Opcode::Text, "never")));
    FrameParser::Status last;
    const QList<Frame> got = drain(parser, &last);
    QCOMPARE(describeAll(got),
        describeAll({ makeFrame(Opcode::Ping, longPing, true, 9u), makeFrame(Opcode::Close, "ab", false) }));
    QCOMPARE(last, FrameParser::Status::Failed);
    QCOMPARE(int(parser.error().closeCode), 1009);

    FrameParser checked;
    checked.feed(encodeFrame(Opcode::Close, "ab", false));
    Frame f;
    QCOMPARE(checked.next(f), FrameParser::Status::Failed);
}

void TestFrameParser::frameAtLimitIsAccepted()
{
    FrameParser parser(1000);
    const QByteArray payload = pattern(1000);
    parser.feed(encodeFrame(Opcode::Binary, payload, true, 0x11223344u));
    Frame f;
    QCOMPARE(parser.next(f), FrameParser::Status::Frame);
    QCOMPARE(f.payload, payload);

    FrameParser zero(0);
    zero.feed(QByteArray(encodeFrame(Opcode::Ping, {}) + encodeFrame(Opcode::Text, "x")));
    QCOMPARE(zero.next(f), FrameParser::Status::Frame);
    QCOMPARE(zero.next(f), FrameParser::Status::Failed);
    QCOMPARE(int(zero.error().closeCode), 1009);
}

void TestFrameParser::oversizedFrameFailsFromHeaderAlone()
{
    // A peer announcing 4 GiB must be refused at once, not after 4 GiB of buffering.
    FrameParser parser(1024 * 1024);
    parser.feed(bytes({ 0x82, 0xFF, 0, 0, 0, 0x01, 0, 0, 0, 0 }));
    Frame f;
    QCOMPARE(parser.next(f), FrameParser::Status::Failed);
    QCOMPARE(int(parser.error().closeCode), 1009);
    parser.feed(QByteArray(64 * 1024, 'x'));
    QCOMPARE(parser.buffered(), 0);
}

namespace {

// describe() plus what the watcher options add.
QByteArray describeFull(const Frame& f)
{
    return describe(f) + " length=" + QByteArray::number(f.length) + " skipped=" + QByteArray::number(f.payloadSkipped)
        + " notMinimal=" + QByteArray::number(f.lengthNotMinimal);
}

// Parses the stream fed whole, cut at every offset, and byte by byte; checks that all give the same frames and
// the same final status, and returns them described.
QList<QByteArray> parseEverySplit(
    const std::function<void(FrameParser&)>& setup, const QByteArray& stream, qint64 limit, FrameParser::Status* status)
{
    const auto run = [&](const QList<qsizetype>& cuts, bool bytewise) {
        FrameParser parser(limit);
        setup(parser);
        QList<QByteArray> out;
        FrameParser::Status last = FrameParser::Status::NeedMore;
        const auto take = [&] {
            for (const Frame& f : drain(parser, &last))
                out.append(describeFull(f));
        };
        qsizetype at = 0;
        QList<qsizetype> all = cuts;
        if (bytewise) {
            all.clear();
            for (qsizetype i = 1; i < stream.size(); ++i)
                all.append(i);
        }
        for (qsizetype cut : all) {
            parser.feed(QByteArrayView(stream).sliced(at, cut - at));
            take();
            at = cut;
        }
        parser.feed(QByteArrayView(stream).sliced(at));
        take();
        out.append(last == FrameParser::Status::Failed ? "failed" : "ok");
        return out;
    };
    const QList<QByteArray> whole = run({}, false);
    for (qsizetype cut = 0; cut <= stream.size(); ++cut) {
        const QList<QByteArray> split = run({ cut }, false);
        if (split != whole) {
            qWarning("split at %lld differs", qlonglong(cut));
            [&] { QCOMPARE(split, whole); }();
            break;
        }
    }
    [&] { QCOMPARE(run({}, true), whole); }();
    *status = whole.constLast() == "failed" ? FrameParser::Status::Failed : FrameParser::Status::NeedMore;
    return whole.first(whole.size() - 1);
}

Frame withLength(Frame f, bool notMinimal = false)
{
    f.length = f.payload.size();
    f.lengthNotMinimal = notMinimal;
    return f;
}

Frame skipped(Opcode op, qint64 length, std::optional<quint32> key = {}, bool fin = true)
{
    Frame f = makeFrame(op, {}, fin, key);
    f.length = length;
    f.payloadSkipped = true;
    return f;
}

} // namespace

void TestFrameParser::lenientLengthEncoding()
{
    // Lengths in more bytes than needed are read (a watcher reports them); a 64-bit length with its top bit set
    // is still an error, since no frame can be that long.
    const QByteArray five = pattern(5, 3);
    const QByteArray twoHundred = pattern(200, 4);
    QByteArray stream = bytes({ 0x81, 0xFE, 0x00, 0x05, 0x01, 0x02, 0x03, 0x04 })
        + naiveMask(five, 0x01020304u) // 16-bit length 5, masked
        + bytes({ 0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0x00, 0xC8 }) + twoHundred // 64-bit length 200
        + bytes({ 0x89, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0 }) // 64-bit length 0, a ping
        + encodeFrame(Opcode::Text, "ok") + bytes({ 0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1 })
        + encodeFrame(Opcode::Text, "never");
    FrameParser::Status status;
    const QList<QByteArray> got = parseEverySplit(
        [](FrameParser& p) {
            p.setCheckMinimalLength(false);
            p.setCheckControlFrames(false); // the ping's 7-bit length field says 127, which only that allows
        },
        stream, 1000, &status);
    QCOMPARE(got,
        QList<QByteArray>({ describeFull(withLength(makeFrame(Opcode::Text, five, true, 0x01020304u), true)),
            describeFull(withLength(makeFrame(Opcode::Binary, twoHundred), true)),
            describeFull(withLength(makeFrame(Opcode::Ping, {}), true)),
            describeFull(withLength(makeFrame(Opcode::Text, "ok"))) }));
    QCOMPARE(status, FrameParser::Status::Failed);

    // Checked (the default, for an endpoint), the first such frame fails.
    FrameParser strict(1000);
    strict.feed(stream);
    Frame f;
    QCOMPARE(strict.next(f), FrameParser::Status::Failed);
    QCOMPARE(strict.error().message, QByteArray("frame length not minimally encoded"));
}

void TestFrameParser::oversizedFramesSkipped()
{
    // Frames over the limit go by without their payload, and the frames after them are parsed as ever.
    const QByteArray stream = encodeFrame(Opcode::Text, "a", false)
        + encodeFrame(Opcode::Continuation, pattern(101), false, 7u) + encodeFrame(Opcode::Ping, pattern(300), true)
        + encodeFrame(Opcode::Continuation, pattern(100, 9), true, 8u)
        + encodeFrame(Opcode::Binary, pattern(70000), true, 5u)
        + encodeFrame(Opcode::Close, wsi::closePayload(1000, {}));
    FrameParser::Status status;
    const QList<QByteArray> got = parseEverySplit(
        [](FrameParser& p) {
            p.setSkipOversized(true);
            p.setCheckControlFrames(false);
        },
        stream, 100, &status);
    QCOMPARE(got,
        QList<QByteArray>({ describeFull(withLength(makeFrame(Opcode::Text, "a", false))),
            describeFull(skipped(Opcode::Continuation, 101, 7u, false)), describeFull(skipped(Opcode::Ping, 300)),
            describeFull(withLength(makeFrame(Opcode::Continuation, pattern(100, 9), true, 8u))),
            describeFull(skipped(Opcode::Binary, 70000, 5u)),
            describeFull(withLength(makeFrame(Opcode::Close, wsi::closePayload(1000, {})))) }));
    QCOMPARE(status, FrameParser::Status::NeedMore);
}

void TestFrameParser::skippingBuffersNothing()
{
    // A peer announcing 1 TiB costs nothing while it sends: the bytes go by, and the parser knows how many.
    FrameParser parser(1024);
    parser.setSkipOversized(true);
    parser.feed(QByteArray(encodeFrame(Opcode::Text, "x") + bytes({ 0x82, 0x7F, 0, 0, 0x01, 0, 0, 0, 0, 0 })));
    Frame f;
    QCOMPARE(parser.next(f), FrameParser::Status::Frame);
    QCOMPARE(parser.next(f), FrameParser::Status::NeedMore);
    QVERIFY(parser.midFrame());
    const QByteArray chunk(64 * 1024, 'x');
    for (int i = 0; i < 16; ++i) {
        parser.feed(chunk);
        QCOMPARE(parser.next(f), FrameParser::Status::NeedMore);
        QCOMPARE(parser.buffered(), 0);
    }
    QVERIFY(parser.midFrame());
    const FrameParser::Partial partial = parser.partial();
    QVERIFY(partial.headerComplete);
    QCOMPARE(partial.headerBytes, 10);
    QCOMPARE(partial.received, 16 * 64 * 1024);
    QCOMPARE(partial.frame.length, qint64(1) << 40);
    QVERIFY(partial.frame.payloadSkipped);
    QVERIFY(partial.frame.payload.isEmpty());
    QCOMPARE(partial.frame.opcode, Opcode::Binary);
}

void TestFrameParser::partialFrame()
{
    FrameParser parser;
    QCOMPARE(parser.partial().headerBytes, 0);
    QVERIFY(!parser.partial().headerComplete);
    QVERIFY(!parser.midFrame());

    // A masked 16-bit-length header, fed a byte at a time: complete only once its mask key is there.
    const QByteArray payload = pattern(300, 5);
    const QByteArray frame = encodeFrame(Opcode::Binary, payload, false, 0xCAFEBABEu, 4);
    for (qsizetype i = 0; i < 8; ++i) {
        parser.feed(frame.sliced(i, 1));
        Frame f;
        QCOMPARE(parser.next(f), FrameParser::Status::NeedMore);
        QVERIFY(parser.midFrame());
        QCOMPARE(parser.partial().headerBytes, i + 1);
        QCOMPARE(parser.partial().headerComplete, i == 7);
    }
    parser.feed(frame.sliced(8, 123));
    const FrameParser::Partial partial = parser.partial();
    QVERIFY(partial.headerComplete);
    QCOMPARE(partial.headerBytes, 8);
    QCOMPARE(partial.received, 123);
    QCOMPARE(partial.frame.length, 300);
    QCOMPARE(partial.frame.payload, payload.first(123)); // unmasked
    QVERIFY(!partial.frame.fin);
    QCOMPARE(partial.frame.rsv, quint8(4));
    QCOMPARE(partial.frame.opcode, Opcode::Binary);
    QVERIFY(partial.frame.masked);
    QCOMPARE(partial.frame.maskKey, 0xCAFEBABEu);
    QVERIFY(!partial.frame.payloadSkipped);

    parser.feed(frame.sliced(131));
    Frame f;
    QCOMPARE(parser.next(f), FrameParser::Status::Frame);
    QVERIFY(!parser.midFrame());
    QCOMPARE(parser.partial().headerBytes, 0);
}

void TestFrameParser::closePayload_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<QByteArray>("reason");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("1000 bye") << 1000 << QByteArray("bye") << bytes({ 0x03, 0xE8, 'b', 'y', 'e' });
    QTest::newRow("1000 no reason") << 1000 << QByteArray() << bytes({ 0x03, 0xE8 });
    QTest::newRow("4999") << 4999 << QByteArray("x") << bytes({ 0x13, 0x87, 'x' });
    QTest::newRow("code 0 is no payload") << 0 << QByteArray("ignored") << QByteArray();
    const QByteArray ascii123(123, 'a');
    QTest::newRow("123 bytes fit") << 1001 << ascii123 << bytes({ 0x03, 0xE9 }) + ascii123;
    QTest::newRow("200 ASCII bytes cut to 123")
        << 1001 << QByteArray(200, 'b') << bytes({ 0x03, 0xE9 }) + QByteArray(123, 'b');
    // U+00E9 is 2 bytes: byte 123 would split the 62nd character, so 61 characters (122 bytes) stay.
    const QByteArray e2 = QStringLiteral("\u00e9").toUtf8().repeated(70);
    QTest::newRow("2-byte chars") << 1000 << e2 << bytes({ 0x03, 0xE8 }) + e2.first(122);
    // 'a' then U+20AC (3 bytes) from byte 1: characters start at 1, 4, ..., 121, 124.
    const QByteArray e3 = "a" + QStringLiteral("\u20ac").toUtf8().repeated(50);
    QTest::newRow("3-byte chars") << 1000 << e3 << bytes({ 0x03, 0xE8 }) + e3.first(121);
    // U+1F600 is 4 bytes: 30 whole characters (120 bytes).
    const char32_t grin = 0x1F600;
    const QByteArray e4 = QString::fromUcs4(&grin, 1).toUtf8().repeated(40);
    QTest::newRow("4-byte chars") << 1000 << e4 << bytes({ 0x03, 0xE8 }) + e4.first(120);
    // A character ending exactly at byte 123 is kept whole.
    const QByteArray edge = QByteArray(120, 'c') + QStringLiteral("\u20ac").toUtf8() + "dd";
    QTest::newRow("char ends at 123") << 1000 << edge << bytes({ 0x03, 0xE8 }) + edge.first(123);
}

void TestFrameParser::closePayload()
{
    QFETCH(int, code);
    QFETCH(QByteArray, reason);
    QFETCH(QByteArray, expected);
    const QByteArray payload = wsi::closePayload(quint16(code), reason);
    QCOMPARE(payload.toHex(' '), expected.toHex(' '));
    QVERIFY(payload.size() <= 125);
    QVERIFY(isValidUtf8(payload.mid(2)));
}

void TestFrameParser::validCloseCodes_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<bool>("valid");
    for (int c : { 1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999 })
        QTest::addRow("%d", c) << c << true;
    // 1004 is reserved; 1005, 1006 and 1015 must never be sent in a close frame; 1016-2999 are unassigned.
    for (int c : { 0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535 })
        QTest::addRow("%d", c) << c << false;
}

void TestFrameParser::validCloseCodes()
{
    QFETCH(int, code);
    QFETCH(bool, valid);
    QCOMPARE(isValidCloseCode(quint16(code)), valid);
}

void TestFrameParser::applyMaskMatchesNaive()
{
    const quint32 key = 0x8badf00d;
    // Sizes around the 8-byte fast path, every key phase, and unaligned starts.
    QByteArray storage = pattern(64, 3);
    for (qsizetype align = 0; align < 4; ++align) {
        for (qsizetype size = 0; size <= 40; ++size) {
            for (qsizetype offset = 0; offset < 8; ++offset) {
                QByteArray buf = storage;
                applyMask(buf.data() + align, size, key, offset);
                const QByteArray expected = storage.first(align) + naiveMask(storage.sliced(align, size), key, offset)
                    + storage.sliced(align + size);
                if (buf != expected) {
                    QFAIL(qPrintable(
                        QStringLiteral("wrong mask at align %1, size %2, offset %3").arg(align).arg(size).arg(offset)));
                }
                applyMask(buf.data() + align, size, key, offset);
                QCOMPARE(buf, storage); // masking is its own inverse
            }
        }
    }
}

void TestFrameParser::applyMaskInPieces()
{
    // A connection unmasks a payload as it arrives; piecewise with a running offset equals all at once.
    const QByteArray data = pattern(1000, 5);
    const quint32 key = 0x12345678;
    const QByteArray whole = naiveMask(data, key);
    QRandomGenerator rng(42);
    QByteArray pieces = data;
    for (qsizetype at = 0; at < pieces.size();) {
        const qsizetype n = std::min<qsizetype>(pieces.size() - at, rng.bounded(1, 20));
        applyMask(pieces.data() + at, n, key, at);
        at += n;
    }
    QCOMPARE(pieces, whole);
}

void TestFrameParser::applyMaskRfcExample()
{
    QByteArray hello("Hello");
    applyMask(hello.data(), hello.size(), RfcKey);
    QCOMPARE(hello.toHex(' '), QByteArray("7f 9f 4d 51 58"));
    // "llo" is bytes 2..4 of the message, so its mask starts at key byte 2.
    QByteArray tail("llo");
    applyMask(tail.data(), tail.size(), RfcKey, 2);
    QCOMPARE(tail.toHex(' '), QByteArray("4d 51 58"));
}

QTEST_GUILESS_MAIN(TestFrameParser)
#include "tst_frameparser.moc"
