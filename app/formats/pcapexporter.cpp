#include "pcapexporter.h"

#include "../wire/frame.h"
#include "../wire/handshake.h"
#include "../wire/httphead.h"
#include "../wire/permessagedeflate.h"

#include <QHostAddress>
#include <QIODevice>
#include <QUrl>
#include <QtEndian>

#include <algorithm>
#include <optional>

namespace wsi {

namespace {

constexpr quint8 TcpFin = 0x01;
constexpr quint8 TcpSyn = 0x02;
constexpr quint8 TcpPsh = 0x08;
constexpr quint8 TcpAck = 0x10;

constexpr qsizetype EthernetHeader = 14;
constexpr qsizetype IpHeader = 20;
constexpr qsizetype TcpHeader = 20;

// Window scale 7 on both SYNs: a 65535 window then means 8 MiB, so a big message written in one go does not
// show up as a full window in Wireshark's TCP analysis.
constexpr quint8 WindowScale = 7;
// The receiver acknowledges once this much is outstanding, as a real stack does every second full segment.
constexpr qint64 AckEvery = 2 * PcapExporter::MaxSegmentPayload;

constexpr quint16 FirstSyntheticPort = 49152;

// A 32-bit mix (the murmur3 finaliser): synthetic values that look random yet are the same on every export.
quint32 mix(quint64 x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb3fe1a85ec53ULL;
    x ^= x >> 33;
    return quint32(x);
}

quint32 fnv1a(QByteArrayView bytes)
{
    quint32 h = 2166136261u;
    for (char c : bytes) {
        h ^= uchar(c);
        h *= 16777619u;
    }
    return h;
}

struct Endpoint
{
    std::optional<quint32> ipv4;
    QString host;
    int port = -1;
};

std::optional<quint32> ipv4Literal(const QString& host)
{
    if (host.isEmpty())
        return std::nullopt;
    const QHostAddress address(host);
    bool ok = false;
    // Accepts IPv4-mapped IPv6 (::ffff:1.2.3.4) too: that is what a dual-stack server reports for IPv4 peers.
    const quint32 v4 = address.toIPv4Address(&ok);
    if (!ok)
        return std::nullopt;
    return v4;
}

Endpoint fromUrl(const QString& text)
{
    Endpoint out;
    const QUrl url(text);
    if (!url.isValid() || url.host().isEmpty())
        return out;
    out.host = url.host();
    out.ipv4 = ipv4Literal(out.host);
    out.port = url.port(url.scheme() == QLatin1StringView("wss") ? 443 : 80);
    return out;
}

// "1.2.3.4:5678" or "[::1]:5678", as the endpoints write Connection::peer.
Endpoint fromPeer(const QString& peer)
{
    Endpoint out;
    const qsizetype colon = peer.lastIndexOf(u':');
    if (colon <= 0)
        return out;
    QString host = peer.first(colon);
    if (host.startsWith(u'[') && host.endsWith(u']'))
        host = host.mid(1, host.size() - 2);
    bool ok = false;
    const int port = peer.sliced(colon + 1).toInt(&ok);
    if (!ok || port <= 0 || port > 0xFFFF)
        return out;
    out.host = host;
    out.ipv4 = ipv4Literal(host);
    out.port = port;
    return out;
}

// 10.64.0.0/10 for servers known by name, the same name always on the same address; never .0 or .255.
quint32 syntheticServerAddress(const QString& host)
{
    const quint32 h = fnv1a(host.toUtf8());
    return (10u << 24) | ((64u + (h & 0x3F)) << 16) | (((h >> 8) & 0xFF) << 8) | (1u + (h >> 16) % 254u);
}

// 10.1.0.0/16 for clients whose address was not recorded, one per connection id (they repeat after 65,024).
quint32 syntheticClientAddress(quint32 connection)
{
    return (10u << 24) | (1u << 16) | (((connection / 254u) & 0xFF) << 8) | (1u + connection % 254u);
}

QByteArray tupleKey(quint32 clientAddress, quint16 clientPort, quint32 serverAddress)
{
    QByteArray key(10, Qt::Uninitialized);
    qToBigEndian(clientAddress, key.data());
    qToBigEndian(clientPort, key.data() + 4);
    qToBigEndian(serverAddress, key.data() + 6);
    return key;
}

// A head must end with its blank line, or the HTTP dissector waits for the rest and never sees the upgrade.
QByteArray terminatedHead(QByteArray head)
{
    if (head.endsWith("\r\n\r\n") || head.endsWith("\n\n"))
        return head;
    if (head.endsWith("\r\n"))
        head += "\r\n";
    else if (head.endsWith('\n'))
        head += '\n';
    else
        head += "\r\n\r\n";
    return head;
}

// Whether a recorded head can go into the capture. One that does not parse (empty, garbled, or replaced by
// the redaction's placeholder) would keep Wireshark from seeing the upgrade and every frame after it, so a
// synthetic head takes its place.
bool isHead(const QByteArray& bytes, bool request)
{
    HttpHead head;
    return HttpHead::parse(terminatedHead(bytes), head).status == HttpHead::ParseStatus::Complete
        && head.isRequest() == request;
}

quint8 rsvBits(quint8 flags)
{
    return ((flags & FlagRsv1) ? 4 : 0) | ((flags & FlagRsv2) ? 2 : 0) | ((flags & FlagRsv3) ? 1 : 0);
}

std::optional<Opcode> opcodeFor(EventKind kind)
{
    switch (kind) {
    case EventKind::Text:
        return Opcode::Text;
    case EventKind::Binary:
        return Opcode::Binary;
    case EventKind::Ping:
        return Opcode::Ping;
    case EventKind::Pong:
        return Opcode::Pong;
    case EventKind::Close:
        return Opcode::Close;
    default:
        return std::nullopt;
    }
}

void appendLe32(QByteArray& out, quint32 v)
{
    char b[4];
    qToLittleEndian(v, b);
    out.append(b, 4);
}

// The Internet checksum's running sum (RFC 1071), over big-endian 16-bit words.
quint64 sumWords(const uchar* p, qsizetype n, quint64 sum = 0)
{
    qsizetype i = 0;
    for (; i + 1 < n; i += 2)
        sum += quint32(p[i]) << 8 | p[i + 1];
    if (i < n)
        sum += quint32(p[i]) << 8;
    return sum;
}

quint16 foldChecksum(quint64 sum)
{
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return quint16(~sum);
}

void putMac(uchar* at, quint32 address)
{
    // Locally administered unicast, carrying the IPv4 address so that each host keeps one MAC.
    at[0] = 0x02;
    at[1] = 0x00;
    qToBigEndian(address, at + 2);
}

} // namespace

PcapExporter::PcapExporter(QIODevice* out, const ExportOptions& options)
    : SessionExporter(out, options)
{
    // The global header, little-endian: the magic tells readers the byte order and microsecond timestamps.
    appendLe32(m_buffer, 0xa1b2c3d4);
    char version[4];
    qToLittleEndian<quint16>(2, version);
    qToLittleEndian<quint16>(4, version + 2);
    m_buffer.append(version, 4);
    appendLe32(m_buffer, 0); // thiszone: timestamps are UTC
    appendLe32(m_buffer, 0); // sigfigs
    appendLe32(m_buffer, Snaplen);
    appendLe32(m_buffer, 1); // LINKTYPE_ETHERNET
}

PcapExporter::~PcapExporter() = default;

quint32 PcapExporter::maskKeyForSeq(quint64 seq)
{
    const quint32 key = mix(seq ^ 0x6d61736bULL);
    // A zero key masks nothing; a reader of the capture should see the masking happen.
    return key ? key : 0x6d61736b;
}

void PcapExporter::writeConnection(const Connection& c)
{
    m_connections.insert(c.id, c);
}

void PcapExporter::writeEvent(const Event& e)
{
    m_lastEventUs = std::max(m_lastEventUs, e.timestampUs);
    writeWireEvent(e);
    flushIfFull();
}

void PcapExporter::writeWireEvent(const Event& e)
{
    Stream& s = streamFor(e.connection, e.timestampUs);
    switch (e.kind) {
    case EventKind::Open:
    case EventKind::Error:
    case EventKind::Note:
        return;
    case EventKind::Closed:
        if (s.started)
            finish(s, e.timestampUs);
        // Whatever comes next on this connection (a reconnection) starts from its own first event.
        s.firstEventUs = -1;
        return;
    case EventKind::HandshakeRequest:
        if (!s.started)
            start(e.connection, s, e.timestampUs);
        sendRequest(s, isHead(e.payload, true) ? e.payload : syntheticRequest(e.connection), e.timestampUs);
        return;
    case EventKind::HandshakeResponse:
        if (!s.started)
            start(e.connection, s, e.timestampUs);
        if (!s.requestSent)
            sendRequest(s, syntheticRequest(e.connection), e.timestampUs);
        if (isHead(e.payload, false))
            sendResponse(s, e.payload, e.timestampUs);
        else
            sendSyntheticResponse(e.connection, s, false, e.timestampUs);
        return;
    case EventKind::Text:
    case EventKind::Binary:
    case EventKind::Ping:
    case EventKind::Pong:
    case EventKind::Close:
        break;
    }
    // A frame without a direction cannot be put on either side of the stream.
    if (!e.isFrame())
        return;
    if (!s.started)
        start(e.connection, s, e.timestampUs);
    if (!s.requestSent)
        sendRequest(s, syntheticRequest(e.connection), e.timestampUs);
    const bool compressed = (e.flags & FlagCompressed) && (e.kind == EventKind::Text || e.kind == EventKind::Binary);
    if (!s.responseSent)
        sendSyntheticResponse(e.connection, s, compressed, e.timestampUs);

    const bool fromClient = e.direction == Direction::C2S;
    quint8 rsv = rsvBits(e.flags);
    QByteArray payload = e.kind == EventKind::Close ? closePayload(e.closeCode, e.payload) : e.payload;
    if (compressed) {
        // The recorded payload is the inflated message. It goes out compressed, with RSV1, when the 101 in the
        // capture agreed on permessage-deflate (Wireshark inflates it then); otherwise as it is, without RSV1,
        // since nothing would ever inflate it.
        if (s.deflateAgreed) {
            // Each message compressed on its own, which a reader decodes whether or not the context is kept
            // between messages, with the smallest window, which fits whatever max_window_bits was agreed on.
            MessageDeflater deflater(8, true);
            const QByteArray deflated = deflater.deflate(payload);
            // A compressed message is never empty (an empty one is a single 00 byte): empty means zlib failed.
            // The message then goes as it is, without RSV1, which permessage-deflate allows, rather than as an
            // empty frame claiming to be compressed.
            if (!deflated.isEmpty()) {
                payload = deflated;
                rsv |= 4;
            } else {
                rsv &= ~4;
            }
        } else {
            rsv &= ~4;
        }
    }
    const std::optional<quint32> key = fromClient ? std::optional<quint32>(maskKeyForSeq(e.seq)) : std::nullopt;
    // An event is always a whole message (fragments are joined before they are recorded), so its one frame is
    // the final one whatever the flags say: "fin" is optional in a session file and many leave it out, and a
    // frame without FIN shows in Wireshark as a fragment with no payload.
    sendData(s, fromClient, encodeFrame(*opcodeFor(e.kind), payload, true, key, rsv), e.timestampUs);
}

void PcapExporter::writeEnd()
{
    const qint64 end = std::max(m_lastPacketUs, m_lastEventUs);
    for (const quint32 id : m_startOrder) {
        Stream& s = m_streams[id];
        if (s.started)
            finish(s, end);
    }
    flush();
}

PcapExporter::Stream& PcapExporter::streamFor(quint32 connection, qint64 timestampUs)
{
    auto it = m_streams.find(connection);
    if (it == m_streams.end()) {
        it = m_streams.insert(connection, Stream {});
        it->firstEventUs = -1;
    }
    if (!it->started && it->firstEventUs < 0)
        it->firstEventUs = timestampUs;
    return *it;
}

void PcapExporter::start(quint32 connection, Stream& s, qint64 timestampUs)
{
    Connection c = m_connections.value(connection);
    c.id = connection;
    const Endpoint url = fromUrl(c.url);
    const Endpoint peer = fromPeer(c.peer);
    // A client's peer is the server; a server's (and a proxy's, facing its client) is the client.
    const bool peerIsServer = c.role == ConnectionRole::Client;

    quint32 serverAddress = 0;
    if (url.ipv4)
        serverAddress = *url.ipv4;
    else if (peerIsServer && peer.ipv4)
        serverAddress = *peer.ipv4;
    else
        serverAddress = syntheticServerAddress(url.host.isEmpty() && peerIsServer ? peer.host : url.host);

    quint32 clientAddress = syntheticClientAddress(connection);
    int clientPort = -1;
    if (!peerIsServer && peer.ipv4) {
        clientAddress = *peer.ipv4;
        // Below 1024 the client port would be asked before port 80 and could claim the stream.
        if (peer.port >= 1024)
            clientPort = peer.port;
    }
    // Every stream gets its own addresses and ports, so Wireshark never joins two connections into one.
    if (clientPort < 0 || m_usedTuples.contains(tupleKey(clientAddress, quint16(clientPort), serverAddress))) {
        const int span = 0x10000 - FirstSyntheticPort;
        const int preferred = int((connection + quint32(s.generation) * 7919u) % quint32(span));
        clientPort = FirstSyntheticPort + preferred;
        for (int i = 0; i < span; ++i) {
            const int candidate = FirstSyntheticPort + (preferred + i) % span;
            if (!m_usedTuples.contains(tupleKey(clientAddress, quint16(candidate), serverAddress))) {
                clientPort = candidate;
                break;
            }
        }
    }
    m_usedTuples.insert(tupleKey(clientAddress, quint16(clientPort), serverAddress));

    const quint64 streamKey = (quint64(connection) << 16) | quint64(s.generation & 0xFFFF);
    s.client = Host { clientAddress, quint16(clientPort), mix(streamKey * 2), 0, quint16(mix(streamKey * 4)) };
    s.server = Host { serverAddress, ServerPortInCapture, mix(streamKey * 2 + 1), 0, quint16(mix(streamKey * 4 + 1)) };
    s.client.acked = s.client.nextSeq;
    s.server.acked = s.server.nextSeq;
    s.started = true;
    s.requestSent = false;
    s.responseSent = false;
    s.requestHead.clear();
    if (std::find(m_startOrder.begin(), m_startOrder.end(), connection) == m_startOrder.end())
        m_startOrder.push_back(connection);

    // The handshake at the connection's first event, but not before packets already written: the file stays
    // in time order when connections interleave.
    const qint64 at
        = std::max(s.firstEventUs < 0 ? timestampUs : s.firstEventUs, std::min(m_lastPacketUs, timestampUs));
    // MSS (the loopback one: segments up to MaxSegmentPayload stay within it), NOP, window scale.
    const uchar options[8] = { 2, 4, 0xFF, 0xD7, 1, 3, 3, WindowScale };
    const QByteArrayView synOptions(reinterpret_cast<const char*>(options), sizeof options);
    sendSegment(s, true, TcpSyn, {}, at, synOptions);
    sendSegment(s, false, TcpSyn | TcpAck, {}, at, synOptions);
    sendSegment(s, true, TcpAck, {}, at);
}

void PcapExporter::finish(Stream& s, qint64 timestampUs)
{
    // The server ends TCP first (RFC 6455 7.1.1); the client answers with its own FIN.
    sendSegment(s, false, TcpFin | TcpAck, {}, timestampUs);
    sendSegment(s, true, TcpFin | TcpAck, {}, timestampUs);
    sendSegment(s, false, TcpAck, {}, timestampUs);
    s.started = false;
    ++s.generation;
}

void PcapExporter::sendRequest(Stream& s, QByteArray head, qint64 timestampUs)
{
    s.requestHead = terminatedHead(std::move(head));
    sendData(s, true, s.requestHead, timestampUs);
    s.requestSent = true;
}

void PcapExporter::sendResponse(Stream& s, QByteArray head, qint64 timestampUs)
{
    HttpHead response;
    s.deflateAgreed = HttpHead::parse(head, response).status == HttpHead::ParseStatus::Complete
        && response.status == 101 && negotiatedDeflate(response, nullptr).has_value();
    sendData(s, false, terminatedHead(std::move(head)), timestampUs);
    s.responseSent = true;
}

void PcapExporter::sendSyntheticResponse(quint32 connection, Stream& s, bool deflate, qint64 timestampUs)
{
    // The 101 that answers the request on the wire, so that its Sec-WebSocket-Accept matches.
    HttpHead request;
    HttpHead::parse(s.requestHead, request);
    const QString subprotocol = m_connections.value(connection).subprotocol;
    HttpHead response = handshake::buildResponse(
        request, subprotocol.isEmpty() ? QStringList() : QStringList { subprotocol }, nullptr);
    if (deflate)
        response.headers.append(HttpHeader("Sec-WebSocket-Extensions", "permessage-deflate"));
    sendResponse(s, response.toBytes(), timestampUs);
}

QByteArray PcapExporter::syntheticRequest(quint32 connection) const
{
    const Connection c = m_connections.value(connection);
    handshake::ClientRequest r;
    r.url = QUrl(c.url);
    if (!r.url.isValid() || r.url.host().isEmpty())
        r.url = QUrl(QStringLiteral("ws://localhost/"));
    if (!c.subprotocol.isEmpty())
        r.subprotocols = QStringList { c.subprotocol };
    QByteArray key(16, Qt::Uninitialized);
    for (int i = 0; i < 4; ++i)
        qToBigEndian(mix((quint64(connection) << 8) | quint64(i)), key.data() + 4 * i);
    r.key = key.toBase64();
    return handshake::buildRequest(r).toBytes();
}

void PcapExporter::sendData(Stream& s, bool fromClient, QByteArrayView data, qint64 timestampUs)
{
    Host& from = fromClient ? s.client : s.server;
    for (qsizetype at = 0; at < data.size(); at += MaxSegmentPayload) {
        const qsizetype n = std::min(MaxSegmentPayload, data.size() - at);
        const bool last = at + n == data.size();
        sendSegment(s, fromClient, TcpAck | (last ? TcpPsh : 0), data.sliced(at, n), timestampUs);
        if (qint64(quint32(from.nextSeq - from.acked)) >= AckEvery)
            sendSegment(s, !fromClient, TcpAck, {}, timestampUs);
    }
}

void PcapExporter::sendSegment(
    Stream& s, bool fromClient, quint8 tcpFlags, QByteArrayView payload, qint64 timestampUs, QByteArrayView tcpOptions)
{
    Host& from = fromClient ? s.client : s.server;
    Host& to = fromClient ? s.server : s.client;
    const qsizetype tcpLength = TcpHeader + tcpOptions.size() + payload.size();
    const qsizetype ipLength = IpHeader + tcpLength;
    const qsizetype frameLength = EthernetHeader + ipLength;
    Q_ASSERT(ipLength <= 0xFFFF);

    const qint64 ts = std::max<qint64>(timestampUs, 0);
    appendLe32(m_buffer, quint32(ts / 1000000));
    appendLe32(m_buffer, quint32(ts % 1000000));
    appendLe32(m_buffer, quint32(frameLength));
    appendLe32(m_buffer, quint32(frameLength));

    const qsizetype base = m_buffer.size();
    m_buffer.resize(base + EthernetHeader + IpHeader + TcpHeader);
    auto* p = reinterpret_cast<uchar*>(m_buffer.data() + base);
    std::fill(p, p + EthernetHeader + IpHeader + TcpHeader, uchar(0));

    putMac(p, to.address);
    putMac(p + 6, from.address);
    qToBigEndian<quint16>(0x0800, p + 12);

    uchar* ip = p + EthernetHeader;
    ip[0] = 0x45; // version 4, 5 words
    qToBigEndian<quint16>(quint16(ipLength), ip + 2);
    qToBigEndian<quint16>(from.ipId++, ip + 4);
    qToBigEndian<quint16>(0x4000, ip + 6); // don't fragment
    ip[8] = 64; // TTL
    ip[9] = 6; // TCP
    qToBigEndian(from.address, ip + 12);
    qToBigEndian(to.address, ip + 16);
    qToBigEndian<quint16>(foldChecksum(sumWords(ip, IpHeader)), ip + 10);

    uchar* tcp = ip + IpHeader;
    qToBigEndian(from.port, tcp);
    qToBigEndian(to.port, tcp + 2);
    qToBigEndian(from.nextSeq, tcp + 4);
    const bool ack = tcpFlags & TcpAck;
    qToBigEndian<quint32>(ack ? to.nextSeq : 0, tcp + 8);
    tcp[12] = uchar(((TcpHeader + tcpOptions.size()) / 4) << 4);
    tcp[13] = tcpFlags;
    qToBigEndian<quint16>(0xFFFF, tcp + 14); // window

    m_buffer.append(tcpOptions);
    m_buffer.append(payload);
    // The buffer may have moved: find the TCP header again to checksum it with the pseudo header.
    tcp = reinterpret_cast<uchar*>(m_buffer.data() + base + EthernetHeader + IpHeader);
    uchar pseudo[12];
    qToBigEndian(from.address, pseudo);
    qToBigEndian(to.address, pseudo + 4);
    pseudo[8] = 0;
    pseudo[9] = 6;
    qToBigEndian<quint16>(quint16(tcpLength), pseudo + 10);
    const quint64 sum = sumWords(tcp, tcpLength, sumWords(pseudo, sizeof pseudo));
    qToBigEndian<quint16>(foldChecksum(sum), tcp + 16);

    from.nextSeq += quint32(payload.size()) + ((tcpFlags & (TcpSyn | TcpFin)) ? 1 : 0);
    if (ack)
        to.acked = to.nextSeq;
    m_lastPacketUs = std::max(m_lastPacketUs, timestampUs);
}

void PcapExporter::flushIfFull()
{
    if (m_buffer.size() >= 1024 * 1024)
        flush();
}

void PcapExporter::flush()
{
    device()->write(m_buffer);
    m_buffer.clear();
}

} // namespace wsi
