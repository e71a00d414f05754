#include "formats/pcapexporter.h"
#include "formats/sessionreader.h"
#include "wire/frame.h"
#include "wire/handshake.h"
#include "wire/httphead.h"

#include <QBuffer>
#include <QHostAddress>
#include <QTest>
#include <QtEndian>

#include <zlib.h>

#include <dlfcn.h>

#include <atomic>
#include <optional>

using namespace wsi;

// Fault injection: while failDeflateInit is set, zlib's deflateInit2_ fails as it does without memory. The core
// library is linked statically into this test, so its calls reach this definition; it hands on to zlib's.
namespace {
std::atomic<bool> failDeflateInit = false;
}

extern "C" int deflateInit2_(z_streamp strm, int level, int method, int windowBits, int memLevel, int strategy,
    const char* version, int streamSize)
{
    if (failDeflateInit)
        return Z_MEM_ERROR;
    using Real = int (*)(z_streamp, int, int, int, int, int, const char*, int);
    static const auto real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "deflateInit2_"));
    return real(strm, level, method, windowBits, memLevel, strategy, version, streamSize);
}

namespace {

constexpr qint64 T0 = 1796000000000000; // 2026-11-30, in µs

Connection connection(
    quint32 id, ConnectionRole role, const char* url, const char* peer = "", const char* subprotocol = "")
{
    Connection c;
    c.id = id;
    c.role = role;
    c.url = QString::fromUtf8(url);
    c.peer = QString::fromUtf8(peer);
    c.subprotocol = QString::fromUtf8(subprotocol);
    return c;
}

Event ev(quint64 seq, quint32 conn, Direction d, EventKind kind, QByteArray payload = {}, quint8 flags = FlagFin,
    quint16 closeCode = 0)
{
    Event e;
    e.seq = seq;
    e.connection = conn;
    e.timestampUs = T0 + qint64(seq) * 1000;
    e.monotonicNs = e.timestampUs * 1000;
    e.direction = d;
    e.kind = kind;
    e.flags = d == Direction::None ? 0 : flags;
    e.closeCode = closeCode;
    e.size = kind == EventKind::Close && closeCode ? payload.size() + 2 : payload.size();
    e.payload = std::move(payload);
    return e;
}

Event frame(quint64 seq, Direction d, EventKind kind, QByteArray payload, quint8 flags = FlagFin, quint16 code = 0)
{
    return ev(seq, 1, d, kind, std::move(payload), flags | (d == Direction::C2S ? FlagMasked : 0), code);
}

const QByteArray requestHead = "GET /chat HTTP/1.1\r\nHost: 127.0.0.1:8765\r\nUpgrade: websocket\r\n"
                               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                               "Sec-WebSocket-Version: 13\r\n\r\n";
const QByteArray responseHead = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

// One server connection as `wsinspector serve` records it, with every kind of event.
struct Session
{
    QList<Connection> connections;
    std::vector<Event> events;
};

Session recordedSession()
{
    Session s;
    s.connections = { connection(1, ConnectionRole::Server, "ws://127.0.0.1:8765/chat", "127.0.0.1:53122") };
    s.events = {
        ev(1, 1, Direction::None, EventKind::HandshakeRequest, requestHead),
        ev(2, 1, Direction::None, EventKind::HandshakeResponse, responseHead),
        ev(3, 1, Direction::None, EventKind::Open, "client 127.0.0.1:53122 connected"),
        frame(4, Direction::C2S, EventKind::Text, "hello"),
        frame(5, Direction::S2C, EventKind::Text, "h\xc3\xa9llo \xe2\x82\xac"),
        frame(6, Direction::C2S, EventKind::Text, ""),
        frame(7, Direction::C2S, EventKind::Binary, QByteArray("\x00\x01\x02\xff", 4)),
        frame(8, Direction::S2C, EventKind::Binary, QByteArray(300, 'b')),
        frame(9, Direction::C2S, EventKind::Ping, "p1"),
        frame(10, Direction::S2C, EventKind::Pong, "p1"),
        ev(11, 1, Direction::None, EventKind::Note, "a note"),
        frame(12, Direction::C2S, EventKind::Text, "odd bits", FlagFin | FlagRsv3 | FlagFragment),
        frame(13, Direction::C2S, EventKind::Close, "bye", FlagFin, 1000),
        frame(14, Direction::S2C, EventKind::Close, "", FlagFin, 1000),
        ev(15, 1, Direction::None, EventKind::Error, "an error"),
        ev(16, 1, Direction::None, EventKind::Closed, "closed by the client"),
    };
    return s;
}

QByteArray exportPcap(const Session& s, bool includeSecrets = false)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    ExportOptions options;
    options.includeSecrets = includeSecrets;
    const std::unique_ptr<SessionExporter> exporter = SessionExporter::create(SessionFormat::Pcap, &buffer, options);
    if (!exporter)
        return {};
    for (const Connection& c : s.connections)
        exporter->addConnection(c);
    for (const Event& e : s.events)
        exporter->addEvent(e);
    QString error;
    if (!exporter->finish(&error))
        return {};
    return buffer.data();
}

struct Packet
{
    qint64 timestampUs = 0;
    quint32 capturedLength = 0;
    quint32 originalLength = 0;
    QByteArray frame; // Ethernet frame
    quint32 src = 0;
    quint32 dst = 0;
    quint16 ipLength = 0;
    quint16 srcPort = 0;
    quint16 dstPort = 0;
    quint32 seq = 0;
    quint32 ack = 0;
    quint8 flags = 0;
    QByteArray options;
    QByteArray payload;

    bool syn() const { return flags & 0x02; }
    bool fin() const { return flags & 0x01; }
    bool hasAck() const { return flags & 0x10; }
    bool fromClient() const { return dstPort == PcapExporter::ServerPortInCapture; }
};

quint16 be16(const QByteArray& b, qsizetype at)
{
    return qFromBigEndian<quint16>(b.constData() + at);
}

quint32 be32(const QByteArray& b, qsizetype at)
{
    return qFromBigEndian<quint32>(b.constData() + at);
}

quint32 le32(const QByteArray& b, qsizetype at)
{
    return qFromLittleEndian<quint32>(b.constData() + at);
}

// The RFC 1071 sum, folded; a header with its checksum in place sums to 0xFFFF.
quint16 onesComplementSum(QByteArrayView data, quint32 sum = 0)
{
    for (qsizetype i = 0; i < data.size(); i += 2) {
        const quint32 hi = uchar(data[i]);
        const quint32 lo = i + 1 < data.size() ? uchar(data[i + 1]) : 0;
        sum += hi << 8 | lo;
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    return quint16(sum);
}

// Reads the whole file; an empty string when it is well formed, else what is wrong.
QString parsePcap(const QByteArray& bytes, QList<Packet>& out)
{
    if (bytes.size() < 24)
        return QStringLiteral("shorter than the global header");
    qsizetype at = 24;
    while (at < bytes.size()) {
        if (bytes.size() - at < 16)
            return QStringLiteral("truncated record header at %1").arg(at);
        Packet p;
        p.timestampUs = qint64(le32(bytes, at)) * 1000000 + le32(bytes, at + 4);
        p.capturedLength = le32(bytes, at + 8);
        p.originalLength = le32(bytes, at + 12);
        at += 16;
        if (bytes.size() - at < qsizetype(p.capturedLength))
            return QStringLiteral("record at %1 runs past the end").arg(at);
        p.frame = bytes.mid(at, p.capturedLength);
        at += p.capturedLength;
        if (p.frame.size() < 54 || be16(p.frame, 12) != 0x0800)
            return QStringLiteral("record %1 is not Ethernet/IPv4").arg(out.size());
        const QByteArray ipHeader = p.frame.mid(14, 20);
        if (uchar(ipHeader[0]) != 0x45 || uchar(ipHeader[9]) != 6)
            return QStringLiteral("record %1: not a 20-byte IPv4 header carrying TCP").arg(out.size());
        if (onesComplementSum(ipHeader) != 0xFFFF)
            return QStringLiteral("record %1: bad IPv4 header checksum").arg(out.size());
        p.ipLength = be16(ipHeader, 2);
        if (p.ipLength != p.frame.size() - 14)
            return QStringLiteral("record %1: IPv4 total length %2 for %3 bytes")
                .arg(out.size())
                .arg(p.ipLength)
                .arg(p.frame.size() - 14);
        p.src = be32(ipHeader, 12);
        p.dst = be32(ipHeader, 16);
        const QByteArray tcp = p.frame.mid(34);
        QByteArray pseudo(12, '\0');
        qToBigEndian(p.src, pseudo.data());
        qToBigEndian(p.dst, pseudo.data() + 4);
        pseudo[9] = 6;
        qToBigEndian(quint16(tcp.size()), pseudo.data() + 10);
        if (onesComplementSum(QByteArray(pseudo + tcp)) != 0xFFFF)
            return QStringLiteral("record %1: bad TCP checksum").arg(out.size());
        p.srcPort = be16(tcp, 0);
        p.dstPort = be16(tcp, 2);
        p.seq = be32(tcp, 4);
        p.ack = be32(tcp, 8);
        const int dataOffset = (uchar(tcp[12]) >> 4) * 4;
        p.flags = uchar(tcp[13]);
        p.options = tcp.mid(20, dataOffset - 20);
        p.payload = tcp.mid(dataOffset);
        out.append(p);
    }
    return {};
}

// The bytes one side sent, in order.
QByteArray streamBytes(const QList<Packet>& packets, bool fromClient)
{
    QByteArray out;
    for (const Packet& p : packets) {
        if (p.fromClient() == fromClient)
            out += p.payload;
    }
    return out;
}

struct Side
{
    HttpHead head;
    QByteArray headBytes;
    QList<Frame> frames;
    QString error;
};

Side decodeSide(const QByteArray& bytes)
{
    Side side;
    const HttpHead::ParseResult r = HttpHead::parse(bytes, side.head);
    if (r.status != HttpHead::ParseStatus::Complete) {
        side.error = QStringLiteral("no complete HTTP head");
        return side;
    }
    side.headBytes = bytes.left(r.consumed);
    FrameParser parser;
    parser.feed(QByteArrayView(bytes).sliced(r.consumed));
    Frame f;
    FrameParser::Status status;
    while ((status = parser.next(f)) == FrameParser::Status::Frame)
        side.frames.append(f);
    if (status == FrameParser::Status::Failed)
        side.error = QString::fromUtf8(parser.error().message);
    else if (parser.buffered() != 0)
        side.error = QStringLiteral("%1 bytes left after the last frame").arg(parser.buffered());
    return side;
}

std::optional<QByteArray> inflateMessage(QByteArray data)
{
    data += QByteArray("\x00\x00\xff\xff", 4);
    z_stream z {};
    if (inflateInit2(&z, -15) != Z_OK)
        return std::nullopt;
    QByteArray out(1 << 20, Qt::Uninitialized);
    z.next_in = reinterpret_cast<Bytef*>(data.data());
    z.avail_in = uInt(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = uInt(out.size());
    const int rc = inflate(&z, Z_SYNC_FLUSH);
    out.truncate(out.size() - qsizetype(z.avail_out));
    inflateEnd(&z);
    if (rc != Z_OK && rc != Z_STREAM_END)
        return std::nullopt;
    return out;
}

} // namespace

class TestPcapExporter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fileHeader();
    void emptySession();
    void recordsAndChecksums();
    void tcpHandshakeAndFin();
    void sequenceAndAckContinuity();
    void framesDecodeToTheRecordedMessages();
    void onlyWireEventsMakePackets();
    void largeMessagesAreSegmented();
    void syntheticHandshake();
    void badOrMissingHeads_data();
    void badOrMissingHeads();
    void addresses_data();
    void addresses();
    void interleavedConnections();
    void reusedPeerGetsItsOwnStream();
    void eventsAfterClosedStartANewStream();
    void unclosedConnectionsEndAtTheEnd();
    void compressedMessages_data();
    void compressedMessages();
    void compressionFailure();
    void secretsAreRedacted();
    void repeatable();
    void finSetWithoutTheFlag();
    void designExampleSession();
};

void TestPcapExporter::fileHeader()
{
    const QByteArray bytes = exportPcap(recordedSession());
    QVERIFY(bytes.size() > 24);
    QCOMPARE(bytes.left(4), QByteArray("\xd4\xc3\xb2\xa1")); // a1b2c3d4 little-endian: µs timestamps
    QCOMPARE(qFromLittleEndian<quint16>(bytes.constData() + 4), quint16(2));
    QCOMPARE(qFromLittleEndian<quint16>(bytes.constData() + 6), quint16(4));
    QCOMPARE(le32(bytes, 8), 0u); // thiszone
    QCOMPARE(le32(bytes, 12), 0u); // sigfigs
    QCOMPARE(le32(bytes, 16), 262144u); // snaplen
    QCOMPARE(le32(bytes, 20), 1u); // LINKTYPE_ETHERNET
}

void TestPcapExporter::emptySession()
{
    const QByteArray bytes = exportPcap(Session {});
    QCOMPARE(bytes.size(), 24);
}

void TestPcapExporter::recordsAndChecksums()
{
    const QByteArray bytes = exportPcap(recordedSession());
    QList<Packet> packets;
    const QString error = parsePcap(bytes, packets);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(!packets.isEmpty());
    for (const Packet& p : packets) {
        QCOMPARE(p.capturedLength, p.originalLength);
        QVERIFY(p.capturedLength <= PcapExporter::Snaplen);
        // Each host keeps one locally administered MAC.
        QCOMPARE(uchar(p.frame[0]) & 0x03, 0x02);
        QCOMPARE(uchar(p.frame[6]) & 0x03, 0x02);
    }
}

void TestPcapExporter::tcpHandshakeAndFin()
{
    QList<Packet> packets;
    QVERIFY(parsePcap(exportPcap(recordedSession()), packets).isEmpty());
    QVERIFY(packets.size() >= 6);

    const Packet& syn = packets[0];
    const Packet& synAck = packets[1];
    const Packet& ack = packets[2];
    QVERIFY(syn.syn() && !syn.hasAck() && syn.fromClient());
    QVERIFY(synAck.syn() && synAck.hasAck() && !synAck.fromClient());
    QCOMPARE(synAck.ack, syn.seq + 1);
    QVERIFY(!ack.syn() && ack.hasAck() && ack.fromClient() && ack.payload.isEmpty());
    QCOMPARE(ack.seq, syn.seq + 1);
    QCOMPARE(ack.ack, synAck.seq + 1);
    // At the connection's first event.
    for (const Packet* p : { &syn, &synAck, &ack })
        QCOMPARE(p->timestampUs, T0 + 1000);
    // Window scaling is offered on both SYNs, and only there.
    QVERIFY(syn.options.contains(QByteArray("\x03\x03", 2)));
    QVERIFY(synAck.options.contains(QByteArray("\x03\x03", 2)));
    QVERIFY(ack.options.isEmpty());

    // FIN from the server, FIN from the client, the last ACK; at the `closed` event.
    const Packet& fin1 = packets[packets.size() - 3];
    const Packet& fin2 = packets[packets.size() - 2];
    const Packet& last = packets[packets.size() - 1];
    QVERIFY(fin1.fin() && !fin1.fromClient());
    QVERIFY(fin2.fin() && fin2.fromClient());
    QCOMPARE(fin2.ack, fin1.seq + 1);
    QVERIFY(!last.fin() && last.hasAck() && !last.fromClient());
    QCOMPARE(last.ack, fin2.seq + 1);
    for (const Packet* p : { &fin1, &fin2, &last })
        QCOMPARE(p->timestampUs, T0 + 16000);
}

void TestPcapExporter::sequenceAndAckContinuity()
{
    Session s = recordedSession();
    s.events.insert(s.events.end() - 2, frame(100, Direction::S2C, EventKind::Binary, QByteArray(300000, 'x')));
    QList<Packet> packets;
    QVERIFY(parsePcap(exportPcap(s), packets).isEmpty());

    std::optional<quint32> next[2]; // client, server: the next sequence number each one uses
    for (const Packet& p : packets) {
        const int from = p.fromClient() ? 0 : 1;
        if (next[from])
            QCOMPARE(p.seq, *next[from]);
        else
            QVERIFY(p.syn());
        next[from] = p.seq + quint32(p.payload.size()) + (p.syn() || p.fin() ? 1 : 0);
        // Every segment after the first SYN acknowledges everything the other side has sent.
        if (p.hasAck())
            QCOMPARE(p.ack, *next[1 - from]);
    }
}

void TestPcapExporter::framesDecodeToTheRecordedMessages()
{
    const Session s = recordedSession();
    QList<Packet> packets;
    QVERIFY(parsePcap(exportPcap(s), packets).isEmpty());

    const Side client = decodeSide(streamBytes(packets, true));
    const Side server = decodeSide(streamBytes(packets, false));
    QVERIFY2(client.error.isEmpty(), qPrintable(client.error));
    QVERIFY2(server.error.isEmpty(), qPrintable(server.error));
    QCOMPARE(client.headBytes, requestHead);
    QCOMPARE(server.headBytes, responseHead);

    QList<Frame> c2s = client.frames;
    QList<Frame> s2c = server.frames;
    for (const Event& e : s.events) {
        if (!e.isFrame())
            continue;
        const bool fromClient = e.direction == Direction::C2S;
        QList<Frame>& frames = fromClient ? c2s : s2c;
        QVERIFY2(!frames.isEmpty(), qPrintable(QStringLiteral("no frame for seq %1").arg(e.seq)));
        const Frame f = frames.takeFirst();
        const QByteArray payload = e.kind == EventKind::Close ? closePayload(e.closeCode, e.payload) : e.payload;
        QCOMPARE(f.payload, payload);
        const Opcode expected = e.kind == EventKind::Text ? Opcode::Text
            : e.kind == EventKind::Binary                 ? Opcode::Binary
            : e.kind == EventKind::Ping                   ? Opcode::Ping
            : e.kind == EventKind::Pong                   ? Opcode::Pong
                                                          : Opcode::Close;
        QCOMPARE(f.opcode, expected);
        QVERIFY(f.fin); // an event is a whole message, whatever its flags say
        QCOMPARE(f.rsv,
            quint8(((e.flags & FlagRsv1) ? 4 : 0) | ((e.flags & FlagRsv2) ? 2 : 0) | ((e.flags & FlagRsv3) ? 1 : 0)));
        // Client frames masked with the key from seq, server frames not masked.
        QCOMPARE(f.masked, fromClient);
        if (fromClient)
            QCOMPARE(f.maskKey, PcapExporter::maskKeyForSeq(e.seq));
    }
    QVERIFY(c2s.isEmpty());
    QVERIFY(s2c.isEmpty());

    // The masking really happened: "hello" is not in the capture as it is.
    QVERIFY(!streamBytes(packets, true).contains("hello"));
}

void TestPcapExporter::onlyWireEventsMakePackets()
{
    const Session s = recordedSession();
    QList<Packet> packets;
    QVERIFY(parsePcap(exportPcap(s), packets).isEmpty());
    // 3 for the TCP handshake, 2 heads, 10 frames, 3 to end; nothing for open, note, error and closed.
    QCOMPARE(packets.size(), 3 + 2 + 10 + 3);
    // Each segment with data carries the timestamp of its event.
    QList<qint64> dataTimes;
    for (const Packet& p : packets) {
        if (!p.payload.isEmpty())
            dataTimes.append(p.timestampUs);
    }
    QList<qint64> eventTimes;
    for (const Event& e : s.events) {
        if (e.isFrame() || e.kind == EventKind::HandshakeRequest || e.kind == EventKind::HandshakeResponse)
            eventTimes.append(e.timestampUs);
    }
    QCOMPARE(dataTimes, eventTimes);
}

void TestPcapExporter::largeMessagesAreSegmented()
{
    QByteArray big(200000, Qt::Uninitialized);
    for (qsizetype i = 0; i < big.size(); ++i)
        big[i] = char(i * 131 % 251);
    Session s;
    s.connections = { connection(1, ConnectionRole::Server, "ws://127.0.0.1:8765/", "127.0.0.1:40000") };
    s.events = {
        ev(1, 1, Direction::None, EventKind::HandshakeRequest, requestHead),
        ev(2, 1, Direction::None, EventKind::HandshakeResponse, responseHead),
        frame(3, Direction::S2C, EventKind::Binary, big),
        frame(4, Direction::C2S, EventKind::Text, QByteArray(70000, 'c')),
        frame(5, Direction::S2C, EventKind::Text, "small"),
    };
    QList<Packet> packets;
    const QString error = parsePcap(exportPcap(s), packets);
    QVERIFY2(error.isEmpty(), qPrintable(error));

    int fullSegments = 0;
    int pureAcks = 0;
    for (const Packet& p : packets) {
        QVERIFY(p.payload.size() <= PcapExporter::MaxSegmentPayload);
        QVERIFY(p.ipLength <= 0xFFFF);
        if (p.payload.size() == PcapExporter::MaxSegmentPayload)
            ++fullSegments;
        if (p.payload.isEmpty() && p.hasAck() && !p.syn() && !p.fin())
            ++pureAcks;
    }
    // 200,014 bytes of frame in 4 segments, 70,008 in 2.
    QCOMPARE(fullSegments, 3 + 1);
    // The receiver acknowledges on the way (once more than two full segments are outstanding), besides the
    // handshake's ACK and the last one.
    QVERIFY2(pureAcks >= 3, qPrintable(QString::number(pureAcks)));

    const Side server = decodeSide(streamBytes(packets, false));
    QVERIFY2(server.error.isEmpty(), qPrintable(server.error));
    QCOMPARE(server.frames.size(), 2);
    QCOMPARE(server.frames[0].payload, big);
    QCOMPARE(server.frames[1].payload, QByteArray("small"));
    const Side client = decodeSide(streamBytes(packets, true));
    QCOMPARE(client.frames.size(), 1);
    QCOMPARE(client.frames[0].payload, QByteArray(70000, 'c'));
}

// An imported session has no handshake: the capture still shows the upgrade, so Wireshark decodes the frames.
void TestPcapExporter::syntheticHandshake()
{
    Session s;
    s.connections = { connection(1, ConnectionRole::Client, "wss://example.com:9443/feed?x=1", "", "chat.v2") };
    s.events = { frame(1, Direction::C2S, EventKind::Text, "hi"), frame(2, Direction::S2C, EventKind::Text, "yo") };
    QList<Packet> packets;
    QVERIFY(parsePcap(exportPcap(s), packets).isEmpty());

    const Side client = decodeSide(streamBytes(packets, true));
    const Side server = decodeSide(streamBytes(packets, false));
    QVERIFY2(client.error.isEmpty(), qPrintable(client.error));
    QVERIFY2(server.error.isEmpty(), qPrintable(server.error));
    QCOMPARE(client.head.method, QByteArray("GET"));
    QCOMPARE(client.head.target, QByteArray("/feed?x=1"));
    // The real host and port stay visible in the Host header while the capture's server port is 80.
    QCOMPARE(client.head.header("Host"), QByteArray("example.com:9443"));
    QVERIFY(handshake::checkRequest(client.head).ok);
    QCOMPARE(client.head.header("Sec-WebSocket-Protocol"), QByteArray("chat.v2"));
    const handshake::Verdict verdict = handshake::checkResponse(
        server.head, client.head.header("Sec-WebSocket-Key"), QStringList { QStringLiteral("chat.v2") });
    QVERIFY2(verdict.ok, verdict.reason.constData());
    QCOMPARE(server.head.header("Sec-WebSocket-Protocol"), QByteArray("chat.v2"));
    QCOMPARE(client.frames.size(), 1);
    QCOMPARE(client.frames[0].payload, QByteArray("hi"));
    QCOMPARE(server.frames[0].payload, QByteArray("yo"));
    // The heads go out with the first frame.
    QCOMPARE(packets[3].timestampUs, T0 + 1000);
    QCOMPARE(packets[4].timestampUs, T0 + 1000);
}

// A recorded request without its response, cut short or unreadable, still leads to a complete upgrade.
void TestPcapExporter::badOrMissingHeads_data()
{
    QTest::addColumn<QByteArray>("recorded");
    QTest::addColumn<bool>("kept");
    QByteArray cut = requestHead;
    cut.chop(2);
    QTest::newRow("no blank line") << cut << true;
    QTest::newRow("cut between headers") << requestHead.left(requestHead.indexOf("Sec-WebSocket-Version")) << true;
    QTest::newRow("not HTTP") << QByteArray("[redacted: an unparsable head]") << false;
    QTest::newRow("a response") << responseHead << false;
    QTest::newRow("empty") << QByteArray() << false;
}

void TestPcapExporter::badOrMissingHeads()
{
    QFETCH(QByteArray, recorded);
    QFETCH(bool, kept);
    Session s;
    s.connections = { connection(1, ConnectionRole::Server, "ws://127.0.0.1:8765/", "127.0.0.1:40000") };
    s.events = { ev(1, 1, Direction::None, EventKind::HandshakeRequest, recorded),
        frame(2, Direction::S2C, EventKind::Text, "x") };
    QList<Packet> packets;
    // With secrets, so that the head reaches the exporter exactly as recorded.
    QVERIFY(parsePcap(exportPcap(s, true), packets).isEmpty());
    const Side client = decodeSide(streamBytes(packets, true));
    const Side server = decodeSide(streamBytes(packets, false));
    QVERIFY2(client.error.isEmpty(), qPrintable(client.error));
    QVERIFY2(server.error.isEmpty(), qPrintable(server.error));
    QVERIFY(client.head.isRequest());
    if (kept)
        QVERIFY(client.headBytes.startsWith(recorded));
    else
        QVERIFY(handshake::checkRequest(client.head).ok);
    QCOMPARE(server.head.status, 101);
    QCOMPARE(server.head.header("Sec-WebSocket-Accept"), handshake::acceptKey(client.head.header("Sec-WebSocket-Key")));
    QCOMPARE(server.frames.size(), 1);
}

void TestPcapExporter::addresses_data()
{
    QTest::addColumn<Connection>("c");
    QTest::addColumn<QString>("server");
    QTest::addColumn<QString>("client");
    QTest::addColumn<int>("clientPort"); // -1: synthetic

    QTest::newRow("server, IPv4 peer") << connection(
        1, ConnectionRole::Server, "ws://127.0.0.1:8765/", "127.0.0.1:53122")
                                       << QStringLiteral("127.0.0.1") << QStringLiteral("127.0.0.1") << 53122;
    QTest::newRow("server on all interfaces, mapped peer")
        << connection(1, ConnectionRole::Server, "ws://192.168.1.5:9000/", "[::ffff:192.168.1.7]:40001")
        << QStringLiteral("192.168.1.5") << QStringLiteral("192.168.1.7") << 40001;
    QTest::newRow("server, IPv6 peer") << connection(1, ConnectionRole::Server, "ws://[::1]:8765/", "[::1]:50000")
                                       << QString() << QString() << -1;
    QTest::newRow("client by address") << connection(1, ConnectionRole::Client, "ws://10.9.8.7:80/", "10.9.8.7:80")
                                       << QStringLiteral("10.9.8.7") << QString() << -1;
    QTest::newRow("client by name, resolved")
        << connection(1, ConnectionRole::Client, "wss://example.com/", "93.184.216.34:443")
        << QStringLiteral("93.184.216.34") << QString() << -1;
    QTest::newRow("client by name, unresolved")
        << connection(1, ConnectionRole::Client, "wss://example.com/") << QString() << QString() << -1;
    QTest::newRow("privileged peer port")
        << connection(1, ConnectionRole::Server, "ws://127.0.0.1:8765/", "127.0.0.1:79") << QStringLiteral("127.0.0.1")
        << QStringLiteral("127.0.0.1") << -1;
    QTest::newRow("not described") << Connection {} << QString() << QString() << -1;
}

void TestPcapExporter::addresses()
{
    QFETCH(Connection, c);
    QFETCH(QString, server);
    QFETCH(QString, client);
    QFETCH(int, clientPort);
    c.id = 7;
    Session s;
    if (!c.url.isEmpty())
        s.connections = { c };
    s.events = { ev(1, 7, Direction::C2S, EventKind::Text, "a", FlagFin | FlagMasked) };
    QList<Packet> packets;
    QVERIFY(parsePcap(exportPcap(s), packets).isEmpty());
    const Packet& syn = packets[0];
    QCOMPARE(syn.dstPort, PcapExporter::ServerPortInCapture);
    if (!server.isEmpty())
        QCOMPARE(QHostAddress(syn.dst).toString(), server);
    else
        QCOMPARE(syn.dst >> 24, 10u); // 10.x for what has no IPv4 address
    if (!client.isEmpty())
        QCOMPARE(QHostAddress(syn.src).toString(), client);
    else
        QCOMPARE(syn.src >> 24, 10u);
    if (clientPort > 0)
        QCOMPARE(int(syn.srcPort), clientPort);
    else
        QVERIFY(syn.srcPort >= 49152);
    // Heads and frames still decode whatever the addresses.
    const Side side = decodeSide(streamBytes(packets, true));
    QVERIFY2(side.error.isEmpty(), qPrintable(side.error));
    QCOMPARE(side.frames.size(), 1);
}

void TestPcapExporter::interleavedConnections()
{
    Session s;
    s.connections = { connection(1, ConnectionRole::Server, "ws://127.0.0.1:8765/", "127.0.0.1:40001"),
        connection(2, ConnectionRole::Server, "ws://127.0.0.1:8765/", "127.0.0.1:40002") };
    for (quint64 seq = 1; seq <= 20; ++seq) {
        const quint32 conn = seq % 2 ? 1 : 2;
        s.events.push_back(ev(seq, conn, Direction::C2S, EventKind::Text,
            "message " + QByteArray::number(seq) + " on " + QByteArray::number(conn), FlagFin | FlagMasked));
    }
    s.events.push_back(ev(21, 1, Direction::None, EventKind::Closed));
    s.events.push_back(ev(22, 2, Direction::None, EventKind::Closed));
    QList<Packet> packets;
    QVERIFY(parsePcap(exportPcap(s), packets).isEmpty());

    // Packets are in event order, so in time order.
    for (qsizetype i = 1; i < packets.size(); ++i)
        QVERIFY(packets[i].timestampUs >= packets[i - 1].timestampUs);
    for (quint16 port : { quint16(40001), quint16(40002) }) {
        QList<Packet> mine;
        for (const Packet& p : packets) {
            if (p.srcPort == port || p.dstPort == port)
                mine.append(p);
        }
        const Side side = decodeSide(streamBytes(mine, true));
        QVERIFY2(side.error.isEmpty(), qPrintable(side.error));
        QCOMPARE(side.frames.size(), 10);
        const QByteArray suffix = " on " + QByteArray::number(port - 40000);
        for (const Frame& f : side.frames)
            QVERIFY2(f.payload.endsWith(suffix), f.payload.constData());
    }
}

// The same peer address and port for two connections (a port reused later, or an edited file): the second
// stream moves to another port so that Wireshark does not join them.
void TestPcapExporter::reusedPeerGetsItsOwnStream()
{
    Session s;
    s.connections = { connection(1, ConnectionRole::Server, "ws://127.0.0.1:8765/", "127.0.0.1:40001"),
        connection(2, ConnectionRole::Server, "ws://127.0.0.1:8765/", "127.0.0.1:40001") };
    s.events = { ev(1, 1, Direction::C2S, EventKind::Text, "one", FlagFin | FlagMasked),
        ev(2, 1, Direction::None, EventKind::Closed),
        ev(3, 2, Direction::C2S, EventKind::Text, "two", FlagFin | FlagMasked) };
    QList<Packet> packets;
    QVERIFY(parsePcap(exportPcap(s), packets).isEmpty());
    QList<quint16> synPorts;
    for (const Packet& p : packets) {
        if (p.syn() && !p.hasAck())
            synPorts.append(p.srcPort);
    }
    QCOMPARE(synPorts.size(), 2);
    QCOMPARE(synPorts[0], quint16(40001));
    QVERIFY(synPorts[1] != synPorts[0]);
}

// A client that reconnects keeps its connection id: after `closed`, the next frame opens a new TCP stream.
void TestPcapExporter::eventsAfterClosedStartANewStream()
{
    Session s;
    s.connections = { connection(1, ConnectionRole::Client, "ws://127.0.0.1:8765/", "127.0.0.1:8765") };
    s.events = { ev(1, 1, Direction::C2S, EventKind::Text, "first", FlagFin | FlagMasked),
        ev(2, 1, Direction::None, EventKind::Closed), ev(3, 1, Direction::None, EventKind::Note, "retrying"),
        ev(4, 1, Direction::C2S, EventKind::Text, "second", FlagFin | FlagMasked) };
    QList<Packet> packets;
    QVERIFY(parsePcap(exportPcap(s), packets).isEmpty());
    QList<const Packet*> syns;
    for (const Packet& p : packets) {
        if (p.syn() && !p.hasAck())
            syns.append(&p);
    }
    QCOMPARE(syns.size(), 2);
    QVERIFY(syns[0]->seq != syns[1]->seq);
    // The new stream starts at its own first event (the note), not at the first stream's.
    QCOMPARE(syns[1]->timestampUs, T0 + 3000);
}

void TestPcapExporter::unclosedConnectionsEndAtTheEnd()
{
    Session s;
    s.connections = { connection(1, ConnectionRole::Server, "ws://127.0.0.1:8765/", "127.0.0.1:40001"),
        connection(2, ConnectionRole::Server, "ws://127.0.0.1:8765/", "127.0.0.1:40002") };
    s.events = { ev(1, 1, Direction::C2S, EventKind::Text, "a", FlagFin | FlagMasked),
        ev(2, 2, Direction::C2S, EventKind::Text, "b", FlagFin | FlagMasked),
        ev(3, 2, Direction::None, EventKind::Note, "the last event") };
    QList<Packet> packets;
    QVERIFY(parsePcap(exportPcap(s), packets).isEmpty());
    int fins = 0;
    for (const Packet& p : packets) {
        if (p.fin()) {
            ++fins;
            QCOMPARE(p.timestampUs, T0 + 3000);
        }
    }
    QCOMPARE(fins, 4);
}

void TestPcapExporter::compressedMessages_data()
{
    QTest::addColumn<QByteArray>("response");
    QTest::addColumn<bool>("deflated");
    QByteArray agreed = responseHead;
    agreed.insert(agreed.size() - 2, "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10\r\n");
    QTest::newRow("permessage-deflate agreed") << agreed << true;
    QTest::newRow("not agreed") << responseHead << false;
}

void TestPcapExporter::compressedMessages()
{
    QFETCH(QByteArray, response);
    QFETCH(bool, deflated);
    const QByteArray message = QByteArray("compress me, compress me, compress me ").repeated(40);
    Session s;
    s.connections = { connection(1, ConnectionRole::Server, "ws://127.0.0.1:8765/", "127.0.0.1:40001") };
    s.events = { ev(1, 1, Direction::None, EventKind::HandshakeRequest, requestHead),
        ev(2, 1, Direction::None, EventKind::HandshakeResponse, response),
        frame(3, Direction::C2S, EventKind::Text, message, FlagFin | FlagRsv1 | FlagCompressed),
        frame(4, Direction::S2C, EventKind::Binary, message, FlagFin | FlagRsv1 | FlagCompressed),
        frame(5, Direction::S2C, EventKind::Text, "plain") };
    QList<Packet> packets;
    QVERIFY(parsePcap(exportPcap(s), packets).isEmpty());
    const Side client = decodeSide(streamBytes(packets, true));
    const Side server = decodeSide(streamBytes(packets, false));
    QCOMPARE(client.frames.size(), 1);
    QCOMPARE(server.frames.size(), 2);
    for (const Frame& f : { client.frames[0], server.frames[0] }) {
        if (deflated) {
            QCOMPARE(f.rsv, quint8(4));
            QVERIFY(f.payload.size() < message.size() / 4);
            const std::optional<QByteArray> inflated = inflateMessage(f.payload);
            QVERIFY(inflated);
            QCOMPARE(*inflated, message);
        } else {
            // Nothing would inflate it: the message goes as it is, without the bit that says otherwise.
            QCOMPARE(f.rsv, quint8(0));
            QCOMPARE(f.payload, message);
        }
    }
    QCOMPARE(server.frames[1].rsv, quint8(0));
    QCOMPARE(server.frames[1].payload, QByteArray("plain"));
}

void TestPcapExporter::compressionFailure()
{
    // If zlib cannot compress a message, it goes out whole and without RSV1, not as an empty "compressed" frame.
    const QByteArray message = QByteArray("compress me ").repeated(20);
    QByteArray agreed = responseHead;
    agreed.insert(agreed.size() - 2, "Sec-WebSocket-Extensions: permessage-deflate\r\n");
    Session s;
    s.connections = { connection(1, ConnectionRole::Server, "ws://127.0.0.1:8765/", "127.0.0.1:40001") };
    s.events = { ev(1, 1, Direction::None, EventKind::HandshakeRequest, requestHead),
        ev(2, 1, Direction::None, EventKind::HandshakeResponse, agreed),
        frame(3, Direction::C2S, EventKind::Text, message, FlagFin | FlagRsv1 | FlagCompressed),
        frame(4, Direction::S2C, EventKind::Binary, message, FlagFin | FlagRsv1 | FlagCompressed) };
    failDeflateInit = true;
    const QByteArray pcap = exportPcap(s);
    failDeflateInit = false;
    QList<Packet> packets;
    QVERIFY(parsePcap(pcap, packets).isEmpty());
    const Side client = decodeSide(streamBytes(packets, true));
    const Side server = decodeSide(streamBytes(packets, false));
    QCOMPARE(client.frames.size(), 1);
    QCOMPARE(server.frames.size(), 1);
    for (const Frame& f : { client.frames[0], server.frames[0] }) {
        QCOMPARE(f.rsv, quint8(0));
        QCOMPARE(f.payload, message);
    }

    // And with zlib back, the same session goes out compressed: the failure above was the injected one.
    packets.clear();
    QVERIFY(parsePcap(exportPcap(s), packets).isEmpty());
    const Side again = decodeSide(streamBytes(packets, false));
    QCOMPARE(again.frames.size(), 1);
    QCOMPARE(again.frames[0].rsv, quint8(4));
    QCOMPARE(inflateMessage(again.frames[0].payload), std::optional<QByteArray>(message));
}

void TestPcapExporter::secretsAreRedacted()
{
    Session s;
    s.connections = { connection(1, ConnectionRole::Client, "ws://127.0.0.1:8765/?token=s3cret", "127.0.0.1:8765") };
    QByteArray head = requestHead;
    head.insert(head.size() - 2, "Authorization: Bearer s3cret-bearer\r\n");
    s.events = { ev(1, 1, Direction::None, EventKind::HandshakeRequest, head),
        ev(2, 1, Direction::C2S, EventKind::Text, "payload stays", FlagFin | FlagMasked) };
    QList<Packet> packets;
    QVERIFY(parsePcap(exportPcap(s), packets).isEmpty());
    const QByteArray sent = streamBytes(packets, true);
    QVERIFY(!sent.contains("s3cret-bearer"));
    QVERIFY(sent.contains("Authorization: [redacted]"));
    QCOMPARE(decodeSide(sent).frames.value(0).payload, QByteArray("payload stays"));

    packets.clear();
    QVERIFY(parsePcap(exportPcap(s, true), packets).isEmpty());
    QVERIFY(streamBytes(packets, true).contains("Authorization: Bearer s3cret-bearer"));
}

void TestPcapExporter::repeatable()
{
    const QByteArray first = exportPcap(recordedSession());
    QCOMPARE(exportPcap(recordedSession()), first);
}

// "fin" is optional in a session file, so events often load with flags 0: each is still a whole message, one
// final frame, or Wireshark shows a fragment with no payload. The RSV bits stay as recorded.
void TestPcapExporter::finSetWithoutTheFlag()
{
    Session s;
    s.connections = { connection(1, ConnectionRole::Server, "ws://127.0.0.1:8765/", "127.0.0.1:53122") };
    s.events = {
        ev(1, 1, Direction::None, EventKind::HandshakeRequest, requestHead),
        ev(2, 1, Direction::None, EventKind::HandshakeResponse, responseHead),
        frame(3, Direction::C2S, EventKind::Text, "no flags", 0),
        frame(4, Direction::S2C, EventKind::Binary, "bin", 0),
        frame(5, Direction::C2S, EventKind::Text, "rsv2 only", FlagRsv2),
        frame(6, Direction::S2C, EventKind::Close, "", 0, 1000),
    };
    QCOMPARE(s.events[2].flags & FlagFin, 0);
    QList<Packet> packets;
    QVERIFY(parsePcap(exportPcap(s), packets).isEmpty());
    const Side client = decodeSide(streamBytes(packets, true));
    const Side server = decodeSide(streamBytes(packets, false));
    QVERIFY2(client.error.isEmpty(), qPrintable(client.error));
    QVERIFY2(server.error.isEmpty(), qPrintable(server.error));
    QCOMPARE(client.frames.size(), 2);
    QCOMPARE(server.frames.size(), 2);
    for (const Frame& f : client.frames + server.frames)
        QVERIFY(f.fin);
    QCOMPARE(client.frames[0].payload, QByteArray("no flags"));
    QCOMPARE(client.frames[0].rsv, quint8(0));
    QCOMPARE(client.frames[1].payload, QByteArray("rsv2 only"));
    QCOMPARE(client.frames[1].rsv, quint8(2));
    QCOMPARE(server.frames[0].payload, QByteArray("bin"));
    QCOMPARE(server.frames[1].opcode, Opcode::Close);
}

// The example of DESIGN.md "Session file", which leaves "fin" out, read as `convert` reads it: every message is
// one final frame with its payload.
void TestPcapExporter::designExampleSession()
{
    QByteArray file
        = R"({"type":"session","format":"wsinspector-session","version":1,"created":"2026-11-22T10:00:00.000Z","app":"wsinspector 0.1.0"}
{"type":"connection","id":1,"role":"server","url":"ws://127.0.0.1:8765/chat","peer":"127.0.0.1:53122","subprotocol":""}
{"type":"event","seq":1,"conn":1,"ts":1763805600123456,"dir":"none","kind":"handshake-request","method":"GET","url":"/chat","headers":[["Host","127.0.0.1:8765"],["Upgrade","websocket"]]}
{"type":"event","seq":2,"conn":1,"ts":1763805600123900,"dir":"none","kind":"handshake-response","status":101,"headers":[["Upgrade","websocket"]]}
{"type":"event","seq":3,"conn":1,"ts":1763805600124000,"dir":"c2s","kind":"text","size":5,"data":"hello"}
{"type":"event","seq":4,"conn":1,"ts":1763805600124100,"dir":"s2c","kind":"binary","size":3,"data":"AAEC","enc":"base64"}
{"type":"event","seq":5,"conn":1,"ts":1763805600200000,"dir":"c2s","kind":"close","code":1000,"reason":"bye"}
)";
    QBuffer in(&file);
    QVERIFY(in.open(QIODevice::ReadOnly));
    SessionData data;
    QString error;
    QVERIFY2(SessionReader::read(in, data, &error), qPrintable(error));
    QCOMPARE(data.warnings, QStringList());
    QCOMPARE(data.events.size(), std::size_t(5));
    QCOMPARE(data.events[2].flags & FlagFin, 0);

    QList<Packet> packets;
    QVERIFY(parsePcap(exportPcap(Session { data.connections, data.events }), packets).isEmpty());
    const Side client = decodeSide(streamBytes(packets, true));
    const Side server = decodeSide(streamBytes(packets, false));
    QVERIFY2(client.error.isEmpty(), qPrintable(client.error));
    QVERIFY2(server.error.isEmpty(), qPrintable(server.error));
    QCOMPARE(client.frames.size(), 2);
    QCOMPARE(server.frames.size(), 1);
    QCOMPARE(client.frames[0].opcode, Opcode::Text);
    QVERIFY(client.frames[0].fin);
    QCOMPARE(client.frames[0].payload, QByteArray("hello"));
    QCOMPARE(server.frames[0].opcode, Opcode::Binary);
    QVERIFY(server.frames[0].fin);
    QCOMPARE(server.frames[0].payload, QByteArray("\x00\x01\x02", 3));
    QCOMPARE(client.frames[1].opcode, Opcode::Close);
    QVERIFY(client.frames[1].fin);
    QCOMPARE(client.frames[1].payload, closePayload(1000, "bye"));
}

QTEST_GUILESS_MAIN(TestPcapExporter)
#include "tst_pcapexporter.moc"
