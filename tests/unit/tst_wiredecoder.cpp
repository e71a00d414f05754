#include "wire/frame.h"
#include "wire/permessagedeflate.h"
#include "wire/wiredecoder.h"

#include <QCryptographicHash>
#include <QList>
#include <QTest>

#include <optional>

using namespace wsi;

namespace {

using Sender = WireDecoder::Sender;

constexpr quint32 RfcKey = 0x37fa213d; // the masking key of the RFC 6455 section 5.7 examples

QByteArray bytes(std::initializer_list<int> values)
{
    QByteArray out;
    for (int v : values)
        out.append(char(v));
    return out;
}

QByteArray counting(qsizetype size)
{
    QByteArray out(size, Qt::Uninitialized);
    for (qsizetype i = 0; i < size; ++i)
        out[i] = char(i * 7 + i / 251);
    return out;
}

// One line per event, so that a list comparison names the first event that differs. Big payloads are hashed.
QByteArray describe(const Event& e)
{
    const QByteArray payload = e.kind == EventKind::Error ? e.payload
        : e.payload.size() <= 40                          ? e.payload.toHex()
                                 : "sha1:" + QCryptographicHash::hash(e.payload, QCryptographicHash::Sha1).toHex();
    return directionName(e.direction).toUtf8() + " " + kindName(e.kind).toUtf8()
        + " flags=" + QByteArray::number(e.flags, 16) + " code=" + QByteArray::number(e.closeCode)
        + " size=" + QByteArray::number(e.size) + " payload=" + payload + " note=" + e.note;
}

QList<QByteArray> describeAll(const QList<Event>& events)
{
    QList<QByteArray> out;
    for (const Event& e : events)
        out.append(describe(e));
    return out;
}

Event makeEv(Direction dir, EventKind kind, quint8 flags, qint64 size, QByteArray payload, QByteArray note = {},
    quint16 code = 0)
{
    Event e;
    e.direction = dir;
    e.kind = kind;
    e.flags = flags;
    e.size = size;
    e.payload = std::move(payload);
    e.note = std::move(note);
    e.closeCode = code;
    return e;
}

struct Setup
{
    Sender sender = Sender::Server;
    std::optional<DeflateParams> deflate;
    WireDecoder::Limits limits;
    bool finish = false; // the stream ends after the bytes: finish() is called
};

struct Result
{
    QList<QByteArray> events;
    bool lost = false;
    bool boundary = false;
    qint64 frames = 0;
};

struct RawResult
{
    QList<Event> events;
    bool lost = false;
    bool boundary = false;
    qint64 frames = 0;

    Result described() const { return { describeAll(events), lost, boundary, frames }; }
    // Every field the decoder fills; compared directly, since describing a 64 KiB payload at each of its 65537
    // split points would hash 4 GB.
    bool operator==(const RawResult& o) const
    {
        if (lost != o.lost || boundary != o.boundary || frames != o.frames || events.size() != o.events.size())
            return false;
        for (qsizetype i = 0; i < events.size(); ++i) {
            const Event& a = events[i];
            const Event& b = o.events[i];
            if (a.direction != b.direction || a.kind != b.kind || a.flags != b.flags || a.closeCode != b.closeCode
                || a.size != b.size || a.payload != b.payload || a.note != b.note)
                return false;
        }
        return true;
    }
};

// Feeds the stream in the given pieces (cuts are offsets, increasing).
RawResult decodeRaw(const Setup& s, const QByteArray& stream, const QList<qsizetype>& cuts = {})
{
    WireDecoder decoder(s.sender, s.limits);
    decoder.setDeflate(s.deflate);
    RawResult r;
    qsizetype at = 0;
    for (qsizetype cut : cuts) {
        decoder.feed(QByteArrayView(stream).sliced(at, cut - at), &r.events);
        at = cut;
    }
    decoder.feed(QByteArrayView(stream).sliced(at), &r.events);
    if (s.finish)
        decoder.finish(&r.events);
    [&] { QCOMPARE(decoder.bytesFed(), stream.size()); }();
    r.lost = decoder.isStreamLost();
    r.boundary = decoder.atMessageBoundary();
    r.frames = decoder.framesDecoded();
    return r;
}

Result decode(const Setup& s, const QByteArray& stream, const QList<qsizetype>& cuts = {})
{
    return decodeRaw(s, stream, cuts).described();
}

// Decodes the stream whole, then cut at every single offset and byte by byte, and checks that every way of
// feeding gives the same events and end state. Returns the events of the whole feed.
Result decodeEverySplit(const Setup& s, const QByteArray& stream)
{
    const RawResult whole = decodeRaw(s, stream);
    const Result described = whole.described();
    for (qsizetype cut = 0; cut <= stream.size(); ++cut) {
        const RawResult split = decodeRaw(s, stream, { cut });
        if (!(split == whole)) {
            qWarning("split at %lld differs", qlonglong(cut));
            [&] {
                QCOMPARE(split.described().events, described.events);
                QCOMPARE(split.lost, whole.lost);
                QCOMPARE(split.boundary, whole.boundary);
                QCOMPARE(split.frames, whole.frames);
            }();
            return described;
        }
    }
    WireDecoder decoder(s.sender, s.limits);
    decoder.setDeflate(s.deflate);
    RawResult bytewise;
    for (qsizetype i = 0; i < stream.size(); ++i) {
        decoder.feed(QByteArrayView(stream).sliced(i, 1), &bytewise.events);
        [&] { QVERIFY(!decoder.atMessageBoundary() || !decoder.midFrame()); }();
    }
    if (s.finish)
        decoder.finish(&bytewise.events);
    bytewise.lost = decoder.isStreamLost();
    bytewise.boundary = decoder.atMessageBoundary();
    bytewise.frames = decoder.framesDecoded();
    [&] {
        QCOMPARE(bytewise.described().events, described.events);
        QVERIFY(bytewise == whole);
    }();
    return described;
}

QByteArray masked(Opcode op, QByteArrayView payload, bool fin = true, quint8 rsv = 0)
{
    return encodeFrame(op, payload, fin, 0x01020304u, rsv);
}

QByteArray plain(Opcode op, QByteArrayView payload, bool fin = true, quint8 rsv = 0)
{
    return encodeFrame(op, payload, fin, std::nullopt, rsv);
}

const QByteArray Hello = QByteArrayLiteral("Hello");
const QByteArray HelloDeflated = bytes({ 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00 });

} // namespace

class TestWireDecoder : public QObject
{
    Q_OBJECT

private slots:
    void rfcExamples_data();
    void rfcExamples();
    void protocolErrors_data();
    void protocolErrors();
    void contextTakeover_data();
    void contextTakeover();
    void repeatedErrorsReportedOnce();
    void messageSizeLimit();
    void inflatedSizeLimit_data();
    void inflatedSizeLimit();
    void manyFragmentsNote();
    void boundaries();
    void closeState();
    void nonMinimalLengths();
    void framesOverTheLimit_data();
    void framesOverTheLimit();
    void frameLimitFollowsMessageLimit();
    void finishCutOff_data();
    void finishCutOff();
    void finishAfterLoss();
    void finishTwice();
};

void TestWireDecoder::rfcExamples_data()
{
    QTest::addColumn<bool>("client");
    QTest::addColumn<bool>("deflate");
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<QList<QByteArray>>("expected");

    const auto S = Direction::S2C;
    const auto C = Direction::C2S;
    const quint8 Fin = FlagFin;
    // RFC 6455 5.7
    QTest::newRow("6455 single unmasked text") << false << false << bytes({ 0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f })
                                               << describeAll({ makeEv(S, EventKind::Text, Fin, 5, Hello) });
    QTest::newRow("6455 single masked text")
        << true << false << bytes({ 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 })
        << describeAll({ makeEv(C, EventKind::Text, Fin | FlagMasked, 5, Hello) });
    QTest::newRow("6455 fragmented text")
        << false << false << bytes({ 0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f })
        << describeAll({ makeEv(S, EventKind::Text, Fin | FlagFragment, 5, Hello, "2 frames: 3 + 2 bytes") });
    QTest::newRow("6455 unmasked ping") << false << false << bytes({ 0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f })
                                        << describeAll({ makeEv(S, EventKind::Ping, Fin, 5, Hello) });
    QTest::newRow("6455 masked pong") << true << false
                                      << bytes({ 0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 })
                                      << describeAll({ makeEv(C, EventKind::Pong, Fin | FlagMasked, 5, Hello) });
    QTest::newRow("6455 256-byte binary") << false << false << bytes({ 0x82, 0x7e, 0x01, 0x00 }) + counting(256)
                                          << describeAll({ makeEv(S, EventKind::Binary, Fin, 256, counting(256)) });
    QTest::newRow("6455 64 KiB binary") << false << false
                                        << bytes({ 0x82, 0x7f, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00 }) + counting(65536)
                                        << describeAll({ makeEv(S, EventKind::Binary, Fin, 65536, counting(65536)) });
    // A control frame between fragments keeps its place; the message comes out once its last frame arrived.
    QTest::newRow("ping between fragments")
        << true << false
        << masked(Opcode::Text, "Hel", false) + masked(Opcode::Ping, "p") + masked(Opcode::Continuation, "lo")
        << describeAll({ makeEv(C, EventKind::Ping, Fin | FlagMasked, 1, "p"),
               makeEv(C, EventKind::Text, Fin | FlagMasked | FlagFragment, 5, Hello, "2 frames: 3 + 2 bytes") });
    QTest::newRow("close with reason") << false << false << plain(Opcode::Close, closePayload(1001, "away"))
                                       << describeAll({ makeEv(S, EventKind::Close, Fin, 6, "away", {}, 1001) });
    QTest::newRow("close without code") << false << false << plain(Opcode::Close, {})
                                        << describeAll({ makeEv(S, EventKind::Close, Fin, 0, {}) });

    // RFC 7692 7.2.3
    const quint8 Z = Fin | FlagRsv1 | FlagCompressed;
    QTest::newRow("7692 compressed Hello")
        << false << true << bytes({ 0xc1, 0x07 }) + HelloDeflated
        << describeAll({ makeEv(S, EventKind::Text, Z, 7, Hello, "compressed: 7 → 5 bytes") });
    QTest::newRow("7692 fragmented compressed")
        << false << true << bytes({ 0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00 })
        << describeAll({ makeEv(
               S, EventKind::Text, Z | FlagFragment, 7, Hello, "2 frames: 3 + 4 bytes; compressed: 7 → 5 bytes") });
    QTest::newRow("7692 shared window")
        << false << true << bytes({ 0xc1, 0x07 }) + HelloDeflated + bytes({ 0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00 })
        << describeAll({ makeEv(S, EventKind::Text, Z, 7, Hello, "compressed: 7 → 5 bytes"),
               makeEv(S, EventKind::Text, Z, 5, Hello, "compressed: 5 → 5 bytes") });
    QTest::newRow("7692 no compression block")
        << false << true << bytes({ 0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00 })
        << describeAll({ makeEv(S, EventKind::Text, Z, 11, Hello, "compressed: 11 → 5 bytes") });
    QTest::newRow("7692 BFINAL block, then the window goes on")
        << false << true
        << bytes({ 0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00 })
            + bytes({ 0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00 })
        << describeAll({ makeEv(S, EventKind::Text, Z, 8, Hello, "compressed: 8 → 5 bytes"),
               makeEv(S, EventKind::Text, Z, 5, Hello, "compressed: 5 → 5 bytes") });
    QTest::newRow("7692 masked compressed from the client")
        << true << true << encodeFrame(Opcode::Text, HelloDeflated, true, RfcKey, 4)
        << describeAll({ makeEv(C, EventKind::Text, Z | FlagMasked, 7, Hello, "compressed: 7 → 5 bytes") });
    QTest::newRow("7692 uncompressed message when deflate was agreed")
        << false << true << plain(Opcode::Binary, "raw")
        << describeAll({ makeEv(S, EventKind::Binary, Fin, 3, "raw") });
}

void TestWireDecoder::rfcExamples()
{
    QFETCH(bool, client);
    QFETCH(bool, deflate);
    QFETCH(QByteArray, stream);
    QFETCH(QList<QByteArray>, expected);
    Setup s;
    s.sender = client ? Sender::Client : Sender::Server;
    if (deflate)
        s.deflate = DeflateParams {};
    const Result r = decodeEverySplit(s, stream);
    QCOMPARE(r.events, expected);
    QVERIFY(!r.lost);
    QVERIFY(r.boundary);
}

void TestWireDecoder::protocolErrors_data()
{
    QTest::addColumn<bool>("client");
    QTest::addColumn<bool>("deflate");
    QTest::addColumn<qint64>("maxFramePayload");
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<QByteArray>("error"); // what the first error event says, in part
    QTest::addColumn<bool>("lost");

    const qint64 NoLimit = 64 * 1024 * 1024;
    QTest::newRow("reserved data opcode")
        << false << false << NoLimit << bytes({ 0x83, 0x00 })
        << QByteArray("the server sent a frame with a reserved opcode (RFC 6455 §5.2)") << true;
    QTest::newRow("reserved control opcode") << true << false << NoLimit << masked(Opcode(0xB), "x")
                                             << QByteArray("reserved opcode (RFC 6455 §5.2)") << true;
    // The length is still readable: reported, and decoding goes on.
    QTest::newRow("length not minimal (16 bit)")
        << false << false << NoLimit << bytes({ 0x82, 0x7e, 0x00, 0x05, 1, 2, 3, 4, 5 })
        << QByteArray("the server sent a frame whose length is not minimally encoded (RFC 6455 §5.2)") << false;
    QTest::newRow("length not minimal (64 bit)")
        << true << false << NoLimit << bytes({ 0x82, 0xff, 0, 0, 0, 0, 0, 0, 0x01, 0x00, 1, 2, 3, 4 }) + counting(256)
        << QByteArray("the client sent a frame whose length is not minimally encoded (RFC 6455 §5.2)") << false;
    QTest::newRow("length with its top bit set")
        << false << false << NoLimit << bytes({ 0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0 })
        << QByteArray("most significant bit set (RFC 6455 §5.2)") << true;
    QTest::newRow("unmasked client frame") << true << false << NoLimit << plain(Opcode::Text, "x")
                                           << QByteArray("the client sent an unmasked frame (RFC 6455 §5.1)") << false;
    QTest::newRow("masked server frame") << false << false << NoLimit << masked(Opcode::Text, "x")
                                         << QByteArray("the server sent a masked frame (RFC 6455 §5.1)") << false;
    QTest::newRow("fragmented ping") << false << false << NoLimit << plain(Opcode::Ping, "p", false)
                                     << QByteArray("the server sent a fragmented control frame (RFC 6455 §5.5)")
                                     << false;
    QTest::newRow("long pong") << true << false << NoLimit << masked(Opcode::Pong, counting(126))
                               << QByteArray("a 126-byte payload, over the 125 bytes allowed (RFC 6455 §5.5)") << false;
    QTest::newRow("fragmented close, long")
        << false << false << NoLimit << plain(Opcode::Close, QByteArray(closePayload(1000, {}) + counting(200)), false)
        << QByteArray("fragmented control frame (RFC 6455 §5.5)") << false;
    QTest::newRow("continuation without a message")
        << false << false << NoLimit << plain(Opcode::Continuation, "x")
        << QByteArray("the server sent a continuation frame without a message to continue (RFC 6455 §5.4)") << false;
    QTest::newRow("new message inside a fragmented one")
        << true << false << NoLimit << masked(Opcode::Text, "a", false) + masked(Opcode::Binary, "b")
        << QByteArray("the client started a new message before the fragmented one ended (RFC 6455 §5.4)") << false;
    QTest::newRow("RSV1 without an extension")
        << false << false << NoLimit << plain(Opcode::Text, "x", true, 4)
        << QByteArray("the server sent a frame with RSV1 set, which no negotiated extension defines (RFC 6455 §5.2)")
        << false;
    QTest::newRow("RSV2")
        << false << true << NoLimit << plain(Opcode::Binary, "x", true, 2)
        << QByteArray("the server sent a frame with RSV2 set, which no negotiated extension defines (RFC 6455 §5.2)")
        << false;
    QTest::newRow("RSV3") << true << false << NoLimit << masked(Opcode::Ping, "x", true, 1)
                          << QByteArray("the client sent a frame with RSV3 set") << false;
    QTest::newRow("RSV1 on a continuation")
        << false << true << NoLimit
        << plain(Opcode::Text, HelloDeflated.first(3), false, 4)
            + plain(Opcode::Continuation, HelloDeflated.sliced(3), true, 4)
        << QByteArray("the server sent a continuation frame with RSV1 set (RFC 7692 §6.1)") << false;
    QTest::newRow("RSV1 on a ping") << true << true << NoLimit << masked(Opcode::Ping, "p", true, 4)
                                    << QByteArray("the client sent a control frame with RSV1 set (RFC 7692 §6.1)")
                                    << false;
    QTest::newRow("bad UTF-8 text") << false << false << NoLimit << plain(Opcode::Text, bytes({ 0xc3, 0x28 }))
                                    << QByteArray(
                                           "the server sent a text message that is not valid UTF-8 (RFC 6455 §8.1)")
                                    << false;
    QTest::newRow("bad UTF-8 split across fragments is fine") << false << false << NoLimit
                                                              << plain(Opcode::Text, bytes({ 0xc3 }), false)
            + plain(Opcode::Continuation, bytes({ 0xa9 })) + plain(Opcode::Text, bytes({ 0xed, 0xa0, 0x80 }))
                                                              << QByteArray("not valid UTF-8 (RFC 6455 §8.1)") << false;
    {
        MessageDeflater deflater(15, false);
        QTest::newRow("bad UTF-8 in inflated text")
            << true << true << NoLimit << masked(Opcode::Text, deflater.deflate(bytes({ 0xff, 0xfe, 0x41 })), true, 4)
            << QByteArray("the client sent a text message that is not valid UTF-8 (RFC 6455 §8.1)") << false;
    }
    QTest::newRow("corrupt compressed data")
        << false << true << NoLimit << plain(Opcode::Binary, bytes({ 0xff, 0xff }), true, 4)
        << QByteArray("the server sent a message that does not inflate: invalid "
                      "compressed data: invalid block type (RFC 7692 §7.2.2)")
        << false;
    QTest::newRow("close code 1005") << false << false << NoLimit << plain(Opcode::Close, bytes({ 0x03, 0xed }))
                                     << QByteArray(
                                            "the server sent a close frame with the invalid code 1005 (RFC 6455 §7.4)")
                                     << false;
    QTest::newRow("close code 999") << true << false << NoLimit << masked(Opcode::Close, bytes({ 0x03, 0xe7 }))
                                    << QByteArray("invalid code 999 (RFC 6455 §7.4)") << false;
    QTest::newRow("close code 5000") << true << false << NoLimit << masked(Opcode::Close, bytes({ 0x13, 0x88 }))
                                     << QByteArray("invalid code 5000 (RFC 6455 §7.4)") << false;
    QTest::newRow("close with one byte") << false << false << NoLimit << plain(Opcode::Close, bytes({ 0x03 }))
                                         << QByteArray(
                                                "the server sent a close frame with a 1-byte payload (RFC 6455 §5.5.1)")
                                         << false;
    QTest::newRow("close reason not UTF-8")
        << false << false << NoLimit << plain(Opcode::Close, bytes({ 0x03, 0xe8, 0xc0, 0xaf }))
        << QByteArray("the server sent a close reason that is not valid UTF-8 (RFC 6455 §5.5.1)") << false;
    QTest::newRow("data after close") << false << false << NoLimit << plain(Opcode::Close, closePayload(1000, {}))
                                      << QByteArray(
                                             "the server sent a data frame after its close frame (RFC 6455 §5.5.1)")
                                      << false;
}

void TestWireDecoder::protocolErrors()
{
    QFETCH(bool, client);
    QFETCH(bool, deflate);
    QFETCH(qint64, maxFramePayload);
    QFETCH(QByteArray, stream);
    QFETCH(QByteArray, error);
    QFETCH(bool, lost);

    Setup s;
    s.sender = client ? Sender::Client : Sender::Server;
    if (deflate)
        s.deflate = DeflateParams {};
    s.limits.maxFramePayload = maxFramePayload;
    // A well-formed message after the bad bytes shows whether decoding went on.
    const QByteArray good = client ? masked(Opcode::Text, "ok") : plain(Opcode::Text, "ok");
    const Result r = decodeEverySplit(s, stream + good);
    QCOMPARE(r.lost, lost);
    qsizetype errorAt = -1;
    for (qsizetype i = 0; i < r.events.size() && errorAt < 0; ++i) {
        if (r.events[i].contains(" error ") && r.events[i].contains(error))
            errorAt = i;
    }
    if (errorAt < 0)
        qWarning() << r.events;
    QVERIFY2(errorAt >= 0, error.constData());
    const QByteArray last = r.events.constLast();
    if (lost) {
        QCOMPARE(errorAt, r.events.size() - 1); // nothing decoded after the framing was lost
        QVERIFY(!r.boundary);
    } else {
        QVERIFY2(last.contains(" text ") && last.contains(QByteArray("payload=" + QByteArray("ok").toHex())),
            last.constData());
    }
}

void TestWireDecoder::contextTakeover_data()
{
    QTest::addColumn<bool>("client");
    QTest::addColumn<int>("windowBits");
    QTest::addColumn<bool>("senderResets");
    QTest::addColumn<bool>("agreedReset");
    QTest::addColumn<bool>("allInflate");

    QTest::newRow("server, takeover") << false << 15 << false << false << true;
    QTest::newRow("client, takeover, 10 bits") << true << 10 << false << false << true;
    QTest::newRow("server, no takeover") << false << 15 << true << true << true;
    QTest::newRow("client, no takeover, 8 bits") << true << 8 << true << true << true;
    // A sender that promised no context takeover but kept its window: the reset inflater cannot follow.
    QTest::newRow("broken promise") << false << 15 << false << true << false;
    // A sender that resets although it may keep the window is always readable.
    QTest::newRow("needless resets") << true << 12 << true << false << true;
}

void TestWireDecoder::contextTakeover()
{
    QFETCH(bool, client);
    QFETCH(int, windowBits);
    QFETCH(bool, senderResets);
    QFETCH(bool, agreedReset);
    QFETCH(bool, allInflate);

    const QList<QByteArray> messages = { QByteArray("{\"type\":\"quote\",\"symbol\":\"ACME\",\"price\":101.25}"),
        QByteArray("{\"type\":\"quote\",\"symbol\":\"ACME\",\"price\":101.50}"), QByteArray(),
        QByteArray("{\"type\":\"quote\",\"symbol\":\"ACME\",\"price\":101.75}"), counting(3000),
        QByteArray("{\"type\":\"quote\",\"symbol\":\"ACME\",\"price\":101.25}") };
    MessageDeflater deflater(windowBits, senderResets);
    QByteArray stream;
    for (const QByteArray& m : messages) {
        const QByteArray z = deflater.deflate(m);
        stream += client ? masked(Opcode::Binary, z, true, 4) : plain(Opcode::Binary, z, true, 4);
    }
    Setup s;
    s.sender = client ? Sender::Client : Sender::Server;
    DeflateParams p;
    (client ? p.clientMaxWindowBits : p.serverMaxWindowBits) = windowBits;
    (client ? p.clientNoContextTakeover : p.serverNoContextTakeover) = agreedReset;
    s.deflate = p;

    WireDecoder decoder(s.sender);
    decoder.setDeflate(s.deflate);
    QList<Event> events;
    decoder.feed(stream, &events);
    QList<QByteArray> payloads;
    int errors = 0;
    for (const Event& e : std::as_const(events)) {
        if (e.kind == EventKind::Error)
            ++errors;
        else if (e.flags & FlagCompressed)
            payloads.append(e.payload);
    }
    if (allInflate) {
        QCOMPARE(payloads, messages);
        QCOMPARE(errors, 0);
    } else {
        QCOMPARE(payloads.first(), messages.first());
        QVERIFY(payloads.size() < messages.size());
        QVERIFY(errors >= 1);
    }
    // And in any split.
    const qsizetype step = std::max<qsizetype>(1, stream.size() / 97);
    for (qsizetype cut = 0; cut <= stream.size(); cut += step)
        QCOMPARE(decode(s, stream, { cut }).events, describeAll(events));
}

void TestWireDecoder::repeatedErrorsReportedOnce()
{
    // A client that never masks, speaking an extension nobody agreed on (RSV1 and opaque bytes), and going on
    // after its close: one error for each rule, however many frames break it, and its bytes are not judged as
    // UTF-8 since the unknown extension may have transformed them.
    Setup s;
    s.sender = Sender::Client;
    QByteArray stream;
    for (int i = 0; i < 5; ++i)
        stream += plain(Opcode::Text, bytes({ 0xff, i }), true, 4);
    stream += plain(Opcode::Close, closePayload(1000, {})) + plain(Opcode::Text, "late") + plain(Opcode::Text, "later")
        + plain(Opcode::Ping, "control frames may follow");
    const Result r = decodeEverySplit(s, stream);
    QList<QByteArray> errors;
    for (const QByteArray& line : r.events) {
        if (line.contains(" error "))
            errors.append(line.sliced(line.indexOf("payload=") + 8));
    }
    QCOMPARE(errors,
        QList<QByteArray>({ "the client sent an unmasked frame (RFC 6455 §5.1) note=",
            "the client sent a frame with RSV1 set, which no negotiated extension defines (RFC 6455 §5.2) note=",
            "the client sent a data frame after its close frame (RFC 6455 §5.5.1) note=" }));
    QCOMPARE(r.events.size(), 5 + 1 + 2 + 1 + errors.size());
}

void TestWireDecoder::messageSizeLimit()
{
    Setup s;
    s.limits.maxMessageBytes = 10;
    const QByteArray stream = plain(Opcode::Binary, counting(6), false)
        + plain(Opcode::Continuation, counting(6), false) + plain(Opcode::Continuation, counting(6))
        + plain(Opcode::Text, "0123456789");
    const Result r = decodeEverySplit(s, stream);
    QCOMPARE(r.events,
        describeAll({ makeEv(Direction::S2C, EventKind::Binary, FlagFin | FlagFragment, 18, {},
                          "3 frames: 6 + 6 + 6 bytes; larger than the limit of 10 bytes: payload not kept"),
            makeEv(Direction::S2C, EventKind::Text, FlagFin, 10, "0123456789") }));
}

void TestWireDecoder::inflatedSizeLimit_data()
{
    QTest::addColumn<bool>("noContextTakeover");
    QTest::newRow("takeover: later messages cannot inflate") << false;
    QTest::newRow("no takeover: the next message inflates") << true;
}

void TestWireDecoder::inflatedSizeLimit()
{
    QFETCH(bool, noContextTakeover);
    MessageDeflater deflater(15, noContextTakeover);
    const QByteArray big(1000, 'a');
    const QByteArray bigZ = deflater.deflate(big);
    const QByteArray smallZ = deflater.deflate("small");
    Setup s;
    s.limits.maxMessageBytes = 100;
    DeflateParams p;
    p.serverNoContextTakeover = noContextTakeover;
    s.deflate = p;
    const Result r = decodeEverySplit(s, plain(Opcode::Text, bigZ, true, 4) + plain(Opcode::Text, smallZ, true, 4));
    QCOMPARE(r.events.size(), 2);
    QCOMPARE(r.events[0],
        describe(makeEv(Direction::S2C, EventKind::Text, FlagFin | FlagRsv1, bigZ.size(), {},
            "compressed: " + QByteArray::number(bigZ.size())
                + " bytes; inflated message larger than the limit of 100 bytes: payload not kept")));
    if (noContextTakeover) {
        QCOMPARE(r.events[1],
            describe(makeEv(Direction::S2C, EventKind::Text, FlagFin | FlagRsv1 | FlagCompressed, smallZ.size(),
                "small", "compressed: " + QByteArray::number(smallZ.size()) + " → 5 bytes")));
    } else {
        QCOMPARE(r.events[1],
            describe(makeEv(Direction::S2C, EventKind::Text, FlagFin | FlagRsv1, smallZ.size(), smallZ,
                "compressed, not inflated: the compression context was lost with an earlier message")));
    }
}

void TestWireDecoder::manyFragmentsNote()
{
    QByteArray stream = plain(Opcode::Binary, "a", false);
    for (int i = 0; i < 18; ++i)
        stream += plain(Opcode::Continuation, QByteArray(i % 3 + 1, 'b'), false);
    stream += plain(Opcode::Continuation, "cc");
    Setup s;
    const Result r = decode(s, stream);
    QCOMPARE(r.events.size(), 1);
    QVERIFY2(
        r.events[0].contains("note=20 frames: 1 + 1 + 2 + 3 + 1 + 2 + 3 + 1 + … + 2 bytes"), r.events[0].constData());
    QCOMPARE(r.frames, 20);
}

void TestWireDecoder::boundaries()
{
    WireDecoder decoder(Sender::Client);
    QList<Event> events;
    QVERIFY(decoder.atMessageBoundary());
    QVERIFY(!decoder.midFrame());
    const QByteArray first = masked(Opcode::Text, "Hel", false);
    decoder.feed(first.first(3), &events);
    QVERIFY(decoder.midFrame());
    QVERIFY(!decoder.atMessageBoundary());
    decoder.feed(first.sliced(3), &events);
    QVERIFY(!decoder.midFrame());
    QVERIFY(!decoder.atMessageBoundary()); // a fragmented message is open
    decoder.feed(masked(Opcode::Continuation, "lo"), &events);
    QVERIFY(decoder.atMessageBoundary());
    QCOMPARE(events.size(), 1);
    decoder.feed(bytes({ 0x83, 0x80 }), &events); // reserved opcode
    QVERIFY(decoder.isStreamLost());
    QVERIFY(!decoder.atMessageBoundary());
    decoder.feed(masked(Opcode::Text, "ignored"), &events);
    QCOMPARE(events.size(), 2);
    QCOMPARE(decoder.bytesFed(), first.size() + 8 + 2 + 13);
}

void TestWireDecoder::closeState()
{
    WireDecoder decoder(Sender::Server);
    QList<Event> events;
    QVERIFY(!decoder.closeSeen());
    decoder.feed(plain(Opcode::Close, closePayload(4001, "done")), &events);
    QVERIFY(decoder.closeSeen());
    QCOMPARE(decoder.closeCode(), quint16(4001));
    QCOMPARE(events.size(), 1);
    QCOMPARE(events[0].closeCode, quint16(4001));
    QCOMPARE(events[0].payload, QByteArray("done"));
}

void TestWireDecoder::nonMinimalLengths()
{
    // A peer whose encoder always uses the 64-bit form: one error for the stream, every frame decoded.
    Setup s;
    s.sender = Sender::Client;
    const QByteArray key = bytes({ 1, 2, 3, 4 });
    const auto frame64 = [&](int opcode, const QByteArray& payload) -> QByteArray {
        QByteArray out = bytes({ opcode, 0xff, 0, 0, 0, 0, 0, 0, 0, int(payload.size()) }) + key;
        QByteArray body = payload;
        applyMask(body.data(), body.size(), 0x01020304u);
        return out + body;
    };
    const QByteArray stream = frame64(0x01, "Hel") + frame64(0x89, "p") + frame64(0x80, "lo") + frame64(0x82, "xy");
    const Result r = decodeEverySplit(s, stream);
    const quint8 M = FlagFin | FlagMasked;
    const QByteArray error = "the client sent a frame whose length is not minimally encoded (RFC 6455 §5.2)";
    QCOMPARE(r.events,
        describeAll({ makeEv(Direction::None, EventKind::Error, 0, error.size(), error),
            makeEv(Direction::C2S, EventKind::Ping, M, 1, "p"),
            makeEv(Direction::C2S, EventKind::Text, M | FlagFragment, 5, Hello, "2 frames: 3 + 2 bytes"),
            makeEv(Direction::C2S, EventKind::Binary, M, 2, "xy") }));
    QVERIFY(!r.lost);
    QVERIFY(r.boundary);
}

void TestWireDecoder::framesOverTheLimit_data()
{
    QTest::addColumn<qint64>("maxFramePayload");
    QTest::addColumn<qint64>("maxMessageBytes");
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<QList<QByteArray>>("expected");

    const auto C = Direction::C2S;
    const quint8 M = FlagFin | FlagMasked;
    const qint64 Big = 64 * 1024 * 1024;
    const QByteArray ok = masked(Opcode::Text, "ok");
    const QByteArray okEvent = describe(makeEv(C, EventKind::Text, M, 2, "ok"));
    // Skipped, not lost: the frame's length is known, so the frames after it are decoded.
    QTest::newRow("frame over the message limit")
        << Big << qint64(100) << masked(Opcode::Binary, counting(101)) + ok
        << QList<QByteArray>({ describe(makeEv(C, EventKind::Binary, M, 101, {},
                                   "larger than the limit of 100 bytes: payload not kept")),
               okEvent });
    QTest::newRow("frame over a lower frame limit")
        << qint64(100) << Big << masked(Opcode::Binary, counting(101)) + ok
        << QList<QByteArray>({ describe(makeEv(C, EventKind::Binary, M, 101, {},
                                   "a frame larger than the limit of 100 bytes: payload not kept")),
               okEvent });
    QTest::newRow("skipped fragment")
        << Big << qint64(100)
        << masked(Opcode::Text, "ab", false) + masked(Opcode::Continuation, counting(200), false)
            + masked(Opcode::Continuation, "cd") + ok
        << QList<QByteArray>(
               { describe(makeEv(C, EventKind::Text, M | FlagFragment, 204, {},
                     "3 frames: 2 + 200 + 2 bytes; larger than the limit of 100 bytes: payload not kept")),
                   okEvent });
    // Control frames keep their 125 bytes whatever the message limit; an illegal longer one over the frame limit
    // is reported and skipped.
    QTest::newRow("ping under a small message limit")
        << Big << qint64(10) << masked(Opcode::Ping, counting(125)) + ok
        << QList<QByteArray>({ describe(makeEv(C, EventKind::Ping, M, 125, counting(125))), okEvent });
    const QByteArray longPing = "the client sent a control frame with a 300-byte payload, over the 125 bytes allowed "
                                "(RFC 6455 §5.5)";
    QTest::newRow("long ping skipped") << qint64(200) << Big << masked(Opcode::Ping, counting(300)) + ok
                                       << QList<QByteArray>({ describe(makeEv(Direction::None, EventKind::Error, 0,
                                                                  longPing.size(), longPing)),
                                              describe(makeEv(C, EventKind::Ping, M, 300, {},
                                                  "a frame larger than the limit of 200 bytes: payload not kept")),
                                              okEvent });
    // Compressed: the message could not be inflated without the skipped bytes.
    QTest::newRow("compressed frame over the limit")
        << Big << qint64(100) << masked(Opcode::Binary, counting(150), true, 4) + masked(Opcode::Binary, "raw")
        << describeAll({ makeEv(C, EventKind::Binary, M | FlagRsv1, 150, {},
                             "larger than the limit of 100 bytes: payload not kept"),
               makeEv(C, EventKind::Binary, M, 3, "raw") });
}

void TestWireDecoder::framesOverTheLimit()
{
    QFETCH(qint64, maxFramePayload);
    QFETCH(qint64, maxMessageBytes);
    QFETCH(QByteArray, stream);
    QFETCH(QList<QByteArray>, expected);
    Setup s;
    s.sender = Sender::Client;
    s.deflate = DeflateParams {};
    s.limits.maxFramePayload = maxFramePayload;
    s.limits.maxMessageBytes = maxMessageBytes;
    const Result r = decodeEverySplit(s, stream);
    QCOMPARE(r.events, expected);
    QVERIFY(!r.lost);
    QVERIFY(r.boundary);
}

void TestWireDecoder::frameLimitFollowsMessageLimit()
{
    // A proxy configured to keep messages of 80 MiB keeps a single 70 MiB frame (more than the default limits),
    // and one configured with the default 64 MiB counts it without losing the stream.
    const qint64 size = 70 * 1024 * 1024;
    const QByteArray header = bytes({ 0x82, 0x7f, 0, 0, 0, 0, 0x04, 0x60, 0, 0 });
    const QByteArray chunk = counting(1024 * 1024);
    for (const qint64 limit : { qint64(80) * 1024 * 1024, WireDecoder::Limits {}.maxMessageBytes }) {
        WireDecoder::Limits limits;
        limits.maxMessageBytes = limit;
        WireDecoder decoder(Sender::Server, limits);
        QList<Event> events;
        decoder.feed(header, &events);
        for (qint64 at = 0; at < size; at += chunk.size())
            decoder.feed(chunk, &events);
        decoder.feed(plain(Opcode::Text, "next"), &events);
        QVERIFY(!decoder.isStreamLost());
        QCOMPARE(events.size(), 2);
        QCOMPARE(events[0].size, size);
        if (limit > size) {
            QCOMPARE(events[0].payload.size(), size);
            QCOMPARE(events[0].payload.first(chunk.size()), chunk);
            QVERIFY(events[0].note.isEmpty());
        } else {
            QVERIFY(events[0].payload.isEmpty());
            QCOMPARE(
                events[0].note, "larger than the limit of " + QByteArray::number(limit) + " bytes: payload not kept");
        }
        QCOMPARE(events[1].payload, QByteArray("next"));
    }
}

void TestWireDecoder::finishCutOff_data()
{
    QTest::addColumn<bool>("client");
    QTest::addColumn<bool>("deflate");
    QTest::addColumn<QByteArray>("stream");
    QTest::addColumn<QList<QByteArray>>("expected");

    const auto S = Direction::S2C;
    const auto C = Direction::C2S;
    const quint8 M = FlagMasked;
    const QByteArray hello = plain(Opcode::Text, Hello);
    const QByteArray helloEvent = describe(makeEv(S, EventKind::Text, FlagFin, 5, Hello));

    QTest::newRow("nothing") << false << false << QByteArray() << QList<QByteArray>();
    QTest::newRow("at a message boundary") << false << false << hello << QList<QByteArray>({ helloEvent });
    // Every frame of a fragmented message arrived but the last one: the fragments are the message as it was.
    QTest::newRow("fragments, then nothing")
        << true << false << masked(Opcode::Text, "Hel", false) + masked(Opcode::Continuation, "l", false)
        << describeAll({ makeEv(C, EventKind::Text, M | FlagFragment, 4, "Hell",
               "2 frames: 3 + 1 bytes; cut off: the stream ended before its last frame") });
    QTest::newRow("fragment, then part of a header")
        << false << false << plain(Opcode::Binary, "ab", false) + bytes({ 0x80 })
        << describeAll({ makeEv(S, EventKind::Binary, 0, 2, "ab",
               "cut off: the stream ended before its last frame (1 byte of a frame header left over)") });
    // The stream ends inside a frame whose header arrived: its payload so far is part of the record.
    QTest::newRow("single frame cut")
        << false << false << hello + plain(Opcode::Binary, counting(150)).first(4 + 100)
        << QList<QByteArray>({ helloEvent,
               describe(makeEv(S, EventKind::Binary, 0, 100, counting(100),
                   "cut off: the stream ended after 100 of the 150 payload bytes of its last frame")) });
    QTest::newRow("masked frame cut, unmasked")
        << true << false << masked(Opcode::Text, "Hello world").first(2 + 4 + 5)
        << describeAll({ makeEv(C, EventKind::Text, M, 5, Hello,
               "cut off: the stream ended after 5 of the 11 payload bytes of its last frame") });
    QTest::newRow("header only")
        << false << false << plain(Opcode::Text, "abc").first(2)
        << describeAll({ makeEv(S, EventKind::Text, 0, 0, {},
               "cut off: the stream ended after 0 of the 3 payload bytes of its last frame") });
    QTest::newRow("last fragment cut")
        << false << false << plain(Opcode::Text, "Hel", false) + plain(Opcode::Continuation, "lo").first(3)
        << describeAll({ makeEv(S, EventKind::Text, FlagFragment, 4, "Hell",
               "2 frames: 3 + 1 bytes; cut off: the stream ended after 1 of the 2 payload bytes of its last frame") });
    QTest::newRow("middle fragment cut")
        << false << false << plain(Opcode::Text, "Hel", false) + plain(Opcode::Continuation, "lo", false).first(3)
        << describeAll({ makeEv(S, EventKind::Text, FlagFragment, 4, "Hell",
               "2 frames: 3 + 1 bytes; cut off: the stream ended after 1 of the 2 payload bytes of its last frame") });
    // A control frame cut between fragments comes first, as it would have, then the cut message.
    QTest::newRow("ping cut between fragments")
        << false << false << plain(Opcode::Text, "Hel", false) + plain(Opcode::Ping, "ping").first(4)
        << describeAll({ makeEv(S, EventKind::Ping, 0, 2, "pi",
                             "cut off: the stream ended after 2 of the 4 payload bytes of its last frame"),
               makeEv(S, EventKind::Text, 0, 3, "Hel", "cut off: the stream ended before its last frame") });
    QTest::newRow("close cut after its code")
        << false << false << plain(Opcode::Close, closePayload(1001, "going")).first(2 + 4)
        << describeAll({ makeEv(S, EventKind::Close, 0, 4, "go",
               "cut off: the stream ended after 4 of the 7 payload bytes of its last frame", 1001) });
    QTest::newRow("close cut before its code")
        << true << false << masked(Opcode::Close, closePayload(1000, {})).first(2 + 4 + 1)
        << describeAll({ makeEv(C, EventKind::Close, M, 1, {},
               "cut off: the stream ended after 1 of the 2 payload bytes of its last frame") });
    const auto note
        = [](const QByteArray& text) { return makeEv(Direction::None, EventKind::Note, 0, text.size(), text); };
    QTest::newRow("part of a header") << false << false << hello + plain(Opcode::Binary, counting(70000)).first(5)
                                      << QList<QByteArray>({ helloEvent,
                                             describe(note("the server's stream ended 5 bytes into a frame header")) });
    QTest::newRow("one byte of a header")
        << true << false << bytes({ 0x81 })
        << describeAll({ note("the client's stream ended 1 byte into a frame header") });
    // Compressed data that did not all arrive is kept as it was, not inflated.
    QTest::newRow("compressed message cut")
        << false << true << bytes({ 0xc1, 0x07 }) + HelloDeflated.first(4)
        << describeAll({ makeEv(S, EventKind::Text, FlagRsv1, 4, HelloDeflated.first(4),
               "compressed, not inflated: the message is incomplete; cut off: the stream ended after 4 of the 7 "
               "payload bytes of its last frame") });
    // A frame over the limit that was being skipped: what went by is counted.
    QTest::newRow("skipped frame cut")
        << false << false
        << plain(Opcode::Binary, "ab", false) + plain(Opcode::Continuation, counting(300)).first(4 + 150)
        << describeAll({ makeEv(S, EventKind::Binary, FlagFragment, 152, {},
               "2 frames: 2 + 150 bytes; larger than the limit of 200 bytes: payload not kept; cut off: the stream "
               "ended after 150 of the 300 payload bytes of its last frame") });
    // Rules the cut frame breaks are still reported.
    QTest::newRow("unmasked client frame cut")
        << true << false << plain(Opcode::Binary, "abcdef").first(4)
        << QList<QByteArray>({ describe(makeEv(Direction::None, EventKind::Error, 0, 50,
                                   "the client sent an unmasked frame (RFC 6455 §5.1)")),
               describe(makeEv(C, EventKind::Binary, 0, 2, "ab",
                   "cut off: the stream ended after 2 of the 6 payload bytes of its last frame")) });
}

void TestWireDecoder::finishCutOff()
{
    QFETCH(bool, client);
    QFETCH(bool, deflate);
    QFETCH(QByteArray, stream);
    QFETCH(QList<QByteArray>, expected);
    Setup s;
    s.sender = client ? Sender::Client : Sender::Server;
    if (deflate)
        s.deflate = DeflateParams {};
    s.finish = true;
    s.limits.maxMessageBytes = 200; // for the skipped frame
    const Result r = decodeEverySplit(s, stream);
    QCOMPARE(r.events, expected);
    QVERIFY(!r.lost);
}

void TestWireDecoder::finishAfterLoss()
{
    // Once the framing is lost, nothing after the error is decoded, finish() included.
    Setup s;
    s.finish = true;
    const Result r = decodeEverySplit(s, plain(Opcode::Text, "a", false) + bytes({ 0x83, 0x05, 1, 2 }));
    QCOMPARE(r.events.size(), 1);
    QVERIFY(r.events[0].contains("reserved opcode"));
    QVERIFY(r.lost);
}

void TestWireDecoder::finishTwice()
{
    WireDecoder decoder(Sender::Server);
    QList<Event> events;
    decoder.feed(plain(Opcode::Text, "Hel", false), &events);
    QVERIFY(events.isEmpty());
    decoder.finish(&events);
    QCOMPARE(events.size(), 1);
    decoder.finish(&events);
    QCOMPARE(events.size(), 1);
    QCOMPARE(decoder.framesDecoded(), 1);
}

QTEST_GUILESS_MAIN(TestWireDecoder)
#include "tst_wiredecoder.moc"
