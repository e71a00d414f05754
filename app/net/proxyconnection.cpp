#include "proxyconnection.h"

#include "../core/recorder.h"
#include "../wire/frame.h"
#include "../wire/handshake.h"
#include "../wire/permessagedeflate.h"
#include "../wire/wiredecoder.h"
#include "peeraddress.h"
#include "proxyendpoint.h"

#include <QDateTime>
#include <QPointer>
#include <QRandomGenerator>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTimer>

namespace wsi {

namespace {
// Back-pressure: while this much waits to be written to one side, the other side is not read, so that a fast
// sender facing a slow reader is slowed down by TCP instead of filling our memory. Reading resumes once the
// queue is down to the low mark.
constexpr qint64 WriteHighWater = qint64(4) << 20;
constexpr qint64 WriteLowWater = qint64(1) << 20;
// What a socket may buffer of its peer's input while we do not read it.
constexpr qint64 ReadBufferBytes = qint64(1) << 20;
// How much of the body of an upstream's refusal (403 with an explanation) is passed on to the client.
constexpr qint64 MaxRefusalBody = 64 * 1024;
// How long an orderly TCP shutdown of one side may take (its queued bytes written) before it is dropped.
constexpr int ShutdownMs = 2000;
// After the proxy sent its close frames on stopping, how long the sides have to answer before TCP ends.
constexpr int StopGraceMs = 1000;
// How long a client that was answered with an error may take to read it before its connection is dropped.
constexpr int AnswerLingerMs = 5000;
} // namespace

struct ProxyConnection::Side
{
    QTcpSocket* socket = nullptr;
    QSslSocket* tls = nullptr; // the same socket when it is a TLS one
    // What this side sends. Fed even when its frames are not recorded (m_decode false): the framing still
    // tells where a message ends and whether a close came.
    std::unique_ptr<WireDecoder> decoder;
    Direction direction = Direction::None; // of what this side sends
    QByteArray name; // "client" or "upstream", for the records
    QByteArray early; // bytes that came with the handshake head, relayed once the upgrade went through
    bool gone = false; // its TCP connection ended
    bool shuttingDown = false; // its orderly TCP shutdown began: nothing more is written to it
    bool paused = false; // not read while the other side's write queue is full
    bool closeSent = false; // the proxy sent it a close frame of its own
    bool closePending = false; // stopping: a close frame of ours goes to it once the stream is between messages
    bool streamEnded = false; // its decoder was told the stream ended
};

namespace {
// What waits to be written to a side. A QSslSocket encrypts a write at once into its TCP socket's buffer,
// where its bytesToWrite() no longer counts it: the encrypted bytes not yet sent count as well.
qint64 queuedBytes(const QTcpSocket* socket, const QSslSocket* tls)
{
    return tls ? tls->bytesToWrite() + tls->encryptedBytesToWrite() : socket->bytesToWrite();
}
} // namespace

ProxyConnection::ProxyConnection(quint32 id, QTcpSocket* client, const QByteArray& requestHead, const HttpHead& request,
    const QByteArray& rest, const QUrl& upstreamUrl, const ProxyOptions& options, Recorder* recorder, QObject* parent)
    : QObject(parent)
    , m_id(id)
    , m_options(options)
    , m_recorder(recorder)
    , m_requestHead(requestHead)
    , m_request(request)
    , m_upstreamUrl(upstreamUrl)
    , m_client(std::make_unique<Side>())
    , m_upstream(std::make_unique<Side>())
    , m_timer(new QTimer(this))
{
    m_client->socket = client;
    m_client->direction = Direction::C2S;
    m_client->name = "client";
    m_client->early = rest;
    m_upstream->direction = Direction::S2C;
    m_upstream->name = "upstream";
    client->setParent(this);
    client->setReadBufferSize(ReadBufferBytes);
    client->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    // Until the upstream accepted, what the client sends waits in its socket (bounded by the read buffer).
    connect(client, &QTcpSocket::readyRead, this, [this] {
        if (m_phase == Phase::Relaying || m_phase == Phase::Ending)
            readSide(*m_client);
        else if (m_phase == Phase::Refused)
            drainClient();
    });
    connect(client, &QTcpSocket::bytesWritten, this, [this] { onBytesWritten(*m_client); });
    connect(client, &QTcpSocket::disconnected, this, [this] { onSideDisconnected(*m_client); });
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, [this] {
        const QByteArray limit = QByteArray::number(m_options.handshakeTimeoutMs) + " ms";
        switch (m_phase) {
        case Phase::Connecting:
            failUpstream(
                504, "could not connect to the upstream " + m_upstreamUrl.authority().toUtf8() + " within " + limit);
            break;
        case Phase::Requested:
            failUpstream(504, "the upstream did not answer the upgrade request within " + limit);
            break;
        case Phase::Refused:
            // The rest of the refusal's body never came: what arrived was passed on.
            shutDownSide(*m_client, ShutdownMs);
            dropSide(*m_upstream);
            finishIfBothGone();
            break;
        case Phase::Ending:
            // The grace after our close frames is over.
            shutDownSide(*m_client, ShutdownMs);
            shutDownSide(*m_upstream, ShutdownMs);
            break;
        case Phase::Relaying:
        case Phase::Done:
            break;
        }
    });
}

ProxyConnection::~ProxyConnection() = default;

void ProxyConnection::record(EventKind kind, const QByteArray& payload, const QByteArray& note, quint16 closeCode)
{
    Event e = makeEvent(m_id, Direction::None, kind, payload);
    e.note = note;
    e.closeCode = closeCode;
    m_recorder->record(std::move(e));
}

void ProxyConnection::setState(ConnectionState s)
{
    if (m_state == s)
        return;
    m_state = s;
    Q_EMIT stateChanged(m_id, s);
}

ProxyConnection::Side& ProxyConnection::other(const Side& side)
{
    return &side == m_client.get() ? *m_upstream : *m_client;
}

bool ProxyConnection::accepts(const Side& to) const
{
    return to.socket && !to.gone && !to.shuttingDown && !to.closeSent;
}

void ProxyConnection::start()
{
    const HttpHead upstreamHead = ProxyEndpoint::upstreamRequest(m_request, m_options.upstream, m_options);
    m_upstreamRequest = upstreamHead.toBytes();
    // The target as it went, byte for byte: the recorded URL went through QUrl, which normalises escapes.
    const QByteArray server = m_upstreamUrl
                                  .toString(QUrl::RemoveUserInfo | QUrl::RemovePath | QUrl::RemoveQuery
                                      | QUrl::RemoveFragment | QUrl::FullyEncoded)
                                  .toUtf8();
    QByteArray note = "sent upstream as " + server + upstreamHead.target + " with Host: " + upstreamHead.header("Host");
    if (!m_options.origin.isEmpty())
        note += " and Origin: " + upstreamHead.header("Origin");
    record(EventKind::HandshakeRequest, m_requestHead, note);

    const bool secure = m_upstreamUrl.scheme() == QLatin1StringView("wss");
    const quint16 port = quint16(m_upstreamUrl.port(secure ? 443 : 80));
    m_timer->start(m_options.handshakeTimeoutMs);
    QTcpSocket* socket;
    if (secure) {
        auto* ssl = new QSslSocket(this);
        socket = ssl;
        m_upstream->tls = ssl;
        // bytesWritten tells that a write was encrypted; this, that it went out (what back-pressure waits for).
        connect(ssl, &QSslSocket::encryptedBytesWritten, this, [this] { onBytesWritten(*m_upstream); });
        connect(ssl, &QSslSocket::encrypted, this, &ProxyConnection::onUpstreamConnected);
        connect(ssl, &QSslSocket::sslErrors, this, [this, ssl](const QList<QSslError>& errors) {
            QByteArray problems;
            for (const QSslError& e : errors)
                problems += ' ' + e.errorString().toUtf8() + '.';
            if (m_options.ignoreCertificateErrors) {
                // Asked for explicitly; the timeline says what was let through, so it is never silent.
                record(EventKind::Note,
                    "upstream certificate problems ignored on request (--insecure, unsafe):" + problems);
                ssl->ignoreSslErrors();
                return;
            }
            failUpstream(502,
                "TLS certificate problem with the upstream " + m_upstreamUrl.host().toUtf8() + ':' + problems
                    + " (to proxy to it anyway, allow it explicitly with --insecure or \u201cignore certificate "
                      "errors\u201d; this is unsafe)");
        });
    } else {
        socket = new QTcpSocket(this);
        connect(socket, &QTcpSocket::connected, this, &ProxyConnection::onUpstreamConnected);
    }
    m_upstream->socket = socket;
    socket->setReadBufferSize(ReadBufferBytes);
    connect(socket, &QTcpSocket::readyRead, this, [this] {
        if (m_phase == Phase::Requested || m_phase == Phase::Refused)
            onUpstreamAnswer();
        else if (m_phase == Phase::Relaying || m_phase == Phase::Ending)
            readSide(*m_upstream);
    });
    connect(socket, &QTcpSocket::bytesWritten, this, [this] { onBytesWritten(*m_upstream); });
    connect(socket, &QTcpSocket::disconnected, this, [this] { onSideDisconnected(*m_upstream); });
    connect(socket, &QAbstractSocket::errorOccurred, this, &ProxyConnection::onUpstreamError);
    if (auto* ssl = qobject_cast<QSslSocket*>(socket))
        ssl->connectToHostEncrypted(m_upstreamUrl.host(), port);
    else
        socket->connectToHost(m_upstreamUrl.host(), port);
}

void ProxyConnection::onUpstreamConnected()
{
    if (m_phase != Phase::Connecting)
        return;
    m_upstream->socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_upstream->socket->write(m_upstreamRequest);
    m_phase = Phase::Requested;
}

void ProxyConnection::onUpstreamError(QAbstractSocket::SocketError error)
{
    if (m_phase != Phase::Connecting && m_phase != Phase::Requested)
        return; // later ends are told by disconnected
    const bool secure = m_upstreamUrl.scheme() == QLatin1StringView("wss");
    const QByteArray where
        = m_upstreamUrl.host().toUtf8() + ':' + QByteArray::number(m_upstreamUrl.port(secure ? 443 : 80));
    switch (error) {
    case QAbstractSocket::HostNotFoundError:
        failUpstream(502,
            "could not find the upstream host \u201c" + m_upstreamUrl.host().toUtf8() + "\u201d (DNS lookup failed)");
        break;
    case QAbstractSocket::ConnectionRefusedError:
        failUpstream(502, "connection refused by the upstream " + where + " (is the server running?)");
        break;
    case QAbstractSocket::RemoteHostClosedError:
        failUpstream(502,
            m_phase == Phase::Requested
                ? QByteArray("the upstream closed the connection before answering the upgrade request")
                : secure ? QByteArray("the upstream closed the connection during the TLS handshake")
                         : QByteArray("the upstream closed the connection at once"));
        break;
    case QAbstractSocket::SslHandshakeFailedError:
        failUpstream(502, "TLS handshake with the upstream failed: " + m_upstream->socket->errorString().toUtf8());
        break;
    case QAbstractSocket::SocketTimeoutError:
        failUpstream(504, "connecting to the upstream " + where + " timed out");
        break;
    default:
        failUpstream(502, "could not reach the upstream " + where + ": " + m_upstream->socket->errorString().toUtf8());
        break;
    }
}

void ProxyConnection::onUpstreamAnswer()
{
    if (m_phase == Phase::Refused) {
        relayRefusal();
        return;
    }
    m_answer += m_upstream->socket->readAll();
    HttpHead response;
    const HttpHead::ParseResult parsed = HttpHead::parse(m_answer, response);
    if (parsed.status == HttpHead::ParseStatus::Incomplete)
        return;
    if (parsed.status == HttpHead::ParseStatus::Invalid || response.isRequest()) {
        failUpstream(502,
            "the upstream's answer is not a valid HTTP response: "
                + (response.isRequest() ? QByteArray("it sent a request") : parsed.error));
        return;
    }
    const QByteArray head = m_answer.left(parsed.consumed);
    const QByteArray rest = m_answer.mid(parsed.consumed);
    m_answer.clear();
    record(EventKind::HandshakeResponse, head);
    m_client->socket->write(head);
    if (response.status == 101) {
        acceptUpgrade(response, rest);
        return;
    }
    record(EventKind::Error,
        "upstream refused the upgrade: " + QByteArray::number(response.status) + ' ' + response.reason);
    m_phase = Phase::Refused;
    // What the client sent after its request will never go anywhere; reading it keeps its TCP connection from
    // being reset when we close it (unread input), which could destroy the refusal on its way.
    m_client->early.clear();
    drainClient();
    bool ok = false;
    const qint64 length = response.header("Content-Length").trimmed().toLongLong(&ok);
    // Without a length the body runs to the end of the connection; either way only a bounded part is passed on.
    m_refusalBodyLeft = ok && length >= 0 ? std::min(length, MaxRefusalBody) : MaxRefusalBody;
    if (!ok && response.status == 304)
        m_refusalBodyLeft = 0;
    m_upstream->early = rest;
    m_timer->start(m_options.handshakeTimeoutMs); // for the rest of the body
    relayRefusal();
}

void ProxyConnection::drainClient()
{
    m_client->socket->skip(m_client->socket->bytesAvailable());
}

void ProxyConnection::relayRefusal()
{
    // Read after the upstream closed too: the end of the body may still be in the socket's buffer.
    QByteArray body = std::exchange(m_upstream->early, {});
    if (m_upstream->socket)
        body += m_upstream->socket->readAll();
    const QByteArray part = body.left(m_refusalBodyLeft);
    m_refusalBodyLeft -= part.size();
    m_client->socket->write(part);
    if (m_refusalBodyLeft > 0 && !m_upstream->gone)
        return; // more of the body to come (the handshake timer bounds the wait)
    m_timer->stop();
    m_phase = Phase::Ending;
    setState(ConnectionState::Closing);
    dropSide(*m_upstream);
    shutDownSide(*m_client, ShutdownMs);
    finishIfBothGone();
}

void ProxyConnection::acceptUpgrade(const HttpHead& response, const QByteArray& rest)
{
    m_timer->stop();
    QByteArray deflateError;
    const std::optional<DeflateParams> deflate = negotiatedDeflate(response, &deflateError);
    if (!deflateError.isEmpty()) {
        // Compressed frames could not be told from broken ones: rather nothing than a timeline of false errors.
        m_decode = false;
        record(EventKind::Error,
            "the upstream's Sec-WebSocket-Extensions answer cannot be followed (" + deflateError
                + "): the connection is relayed, but its frames are not decoded");
    }
    WireDecoder::Limits limits;
    // Undecoded, the decoders only follow the framing, and keep no payload.
    limits.maxMessageBytes = m_decode ? m_options.maxMessageBytes : 0;
    m_client->decoder = std::make_unique<WireDecoder>(WireDecoder::Sender::Client, limits);
    m_upstream->decoder = std::make_unique<WireDecoder>(WireDecoder::Sender::Server, limits);
    m_client->decoder->setDeflate(deflate);
    m_upstream->decoder->setDeflate(deflate);

    const QString subprotocol = QString::fromUtf8(response.header("Sec-WebSocket-Protocol").trimmed());
    Connection c;
    c.id = m_id;
    c.role = ConnectionRole::Proxy;
    c.url = m_upstreamUrl.toString();
    c.peer = peerOf(m_client->socket);
    c.subprotocol = subprotocol;
    m_recorder->updateConnection(c);
    record(EventKind::Open,
        "client " + c.peer.toUtf8() + " connected through the proxy to " + m_upstreamUrl.toString().toUtf8());
    m_phase = Phase::Relaying;

    ServerClient client;
    client.id = m_id;
    client.peer = c.peer;
    client.path = QString::fromUtf8(m_request.target);
    client.subprotocol = subprotocol;
    client.origin = QString::fromUtf8(m_request.header("Origin").trimmed());
    client.userAgent = QString::fromUtf8(m_request.header("User-Agent").trimmed());
    client.opened = QDateTime::currentDateTimeUtc();
    setState(ConnectionState::Open);
    Q_EMIT opened(client);

    // Frames that came in the same segments as the handshake heads go first, in their order on the wire.
    const QPointer<ProxyConnection> guard(this);
    if (!rest.isEmpty())
        relay(*m_upstream, rest);
    if (const QByteArray early = std::exchange(m_client->early, {}); !early.isEmpty())
        relay(*m_client, early);
    if (!guard || m_phase != Phase::Relaying)
        return;
    readSide(*m_upstream);
    readSide(*m_client);
}

void ProxyConnection::failUpstream(int status, const QByteArray& why)
{
    if (m_phase != Phase::Connecting && m_phase != Phase::Requested)
        return;
    m_timer->stop();
    m_phase = Phase::Ending;
    if (m_upstream->socket) {
        m_upstream->socket->disconnect(this);
        dropSide(*m_upstream);
    }
    m_upstream->gone = true;
    const QByteArray response
        = handshake::errorResponse(status, handshake::reasonPhrase(status), QByteArray(why + '\n'));
    m_client->socket->write(response);
    record(EventKind::HandshakeResponse, response.left(response.indexOf("\r\n\r\n") + 4),
        "answered by the proxy: the upstream could not be reached");
    record(EventKind::Error, why);
    setState(ConnectionState::Closing);
    // The client reads our answer and closes (it says Connection: close); one that does not is dropped.
    drainClient();
    shutDownSide(*m_client, AnswerLingerMs);
    finishIfBothGone();
}

void ProxyConnection::readSide(Side& from)
{
    if (from.gone || !from.socket)
        return;
    const Side& to = other(from);
    if (accepts(to) && queuedBytes(to.socket, to.tls) > WriteHighWater) {
        from.paused = true;
        return;
    }
    from.paused = false;
    if (from.socket->bytesAvailable() > 0)
        relay(from, from.socket->readAll());
}

void ProxyConnection::relay(Side& from, const QByteArray& bytes)
{
    // Timestamps of the read: every frame decoded from these bytes arrived now.
    const qint64 us = nowUs();
    const qint64 ns = monotonicNowNs();
    Side& to = other(from);
    // Stopping does not cut a message short: a stream goes on until our close frame went into it.
    // Written, not flushed: a flush that fails aborts the socket at once, and its disconnected would then end the
    // streams while these bytes are still to be decoded. The event loop sends them right after the decoding.
    if (accepts(to))
        to.socket->write(bytes);
    // A lost stream is still fed: the decoder keeps counting its bytes.
    if (!from.decoder || from.streamEnded)
        return;
    // One list for every read, emptied after use: its storage is allocated once, not on each read.
    m_decoded.clear();
    from.decoder->feed(bytes, &m_decoded);
    if (m_decode)
        recordDecoded(us, ns);
    m_decoded.clear();
    if (from.decoder->closeSeen() && m_closeCode == 0) {
        m_closeCode = from.decoder->closeCode() ? from.decoder->closeCode() : 1005;
        m_closeWhy = "closed by the " + from.name;
    }
    if (to.closePending) {
        const WireDecoder& stream = *from.decoder;
        if (stream.closeSeen() || stream.isStreamLost() || !accepts(to)) {
            to.closePending = false; // the sender's own close went through, or no frame can go in any more
        } else if (stream.atMessageBoundary()) {
            to.closePending = false;
            injectClose(to, m_stopCode, m_stopReason);
        }
    }
    // Stopping: once both sides sent their close frames (answering ours) there is nothing left to wait for.
    if (m_phase == Phase::Ending && m_stopping && m_client->decoder->closeSeen() && m_upstream->decoder->closeSeen()) {
        shutDownSide(*m_client, ShutdownMs);
        shutDownSide(*m_upstream, ShutdownMs);
    }
}

void ProxyConnection::recordDecoded(qint64 us, qint64 ns)
{
    // Timestamps of the read: every frame decoded from its bytes arrived then.
    for (Event& e : m_decoded) {
        e.connection = m_id;
        e.timestampUs = us;
        e.monotonicNs = ns;
        m_recorder->record(std::move(e));
    }
}

void ProxyConnection::endStream(Side& side)
{
    if (!side.decoder || side.streamEnded)
        return;
    side.streamEnded = true;
    m_decoded.clear();
    side.decoder->finish(&m_decoded); // a message it cut off is recorded as it came
    if (m_decode)
        recordDecoded(nowUs(), monotonicNowNs());
    m_decoded.clear();
}

void ProxyConnection::onBytesWritten(Side& side)
{
    Side& reader = other(side);
    if (reader.paused && (!accepts(side) || queuedBytes(side.socket, side.tls) <= WriteLowWater))
        readSide(reader);
}

void ProxyConnection::onSideDisconnected(Side& side)
{
    if (side.gone)
        return;
    // What it sent last is still in the socket's buffer: pass it on and record it before anything else.
    if ((m_phase == Phase::Relaying || m_phase == Phase::Ending) && side.socket->bytesAvailable() > 0)
        relay(side, side.socket->readAll());
    endStream(side);
    side.gone = true;
    switch (m_phase) {
    case Phase::Connecting:
    case Phase::Requested:
        if (&side == m_upstream.get()) {
            onUpstreamError(QAbstractSocket::RemoteHostClosedError);
            return;
        }
        // The client gave up before the upstream answered.
        m_timer->stop();
        m_phase = Phase::Ending;
        m_closeWhy = "the client went away before the upstream answered";
        dropSide(*m_upstream);
        m_upstream->gone = true;
        finishIfBothGone();
        return;
    case Phase::Refused:
        if (&side == m_upstream.get()) {
            relayRefusal();
        } else {
            m_phase = Phase::Ending;
            dropSide(*m_upstream);
            finishIfBothGone();
        }
        return;
    case Phase::Relaying: {
        Side& rest = other(side);
        m_phase = Phase::Ending;
        setState(ConnectionState::Closing);
        const WireDecoder* stream = side.decoder.get();
        if (stream && stream->closeSeen()) {
            // An orderly end: the other side gets what is queued for it, then its TCP connection ends too.
            if (m_closeWhy.isEmpty())
                m_closeWhy = "closed by the " + side.name;
            shutDownSide(rest, ShutdownMs);
        } else if (!stream || stream->isStreamLost()) {
            // Whether a close frame came cannot be known: the end is taken as an orderly one rather than
            // resetting the other side's connection, and recorded without a code (see finish()).
            if (m_closeWhy.isEmpty())
                m_closeWhy = "the " + side.name
                    + "'s connection ended; whether it sent a close frame is unknown"
                      " (its stream was not decoded)";
            shutDownSide(rest, ShutdownMs);
        } else {
            m_closeCode = 1006;
            m_closeWhy = "the " + side.name + "'s connection ended without a closing handshake"
                + (side.decoder && side.decoder->midFrame() ? QByteArray(", in the middle of a frame") : QByteArray())
                + " (" + side.socket->errorString().toUtf8() + "); the " + rest.name + "'s connection was dropped";
            rest.socket->flush(); // what the vanished side said last goes out as far as it can
            dropSide(rest);
        }
        finishIfBothGone();
        return;
    }
    case Phase::Ending:
        finishIfBothGone();
        return;
    case Phase::Done:
        return;
    }
}

void ProxyConnection::injectClose(Side& to, quint16 code, const QByteArray& reason)
{
    const bool toUpstream = &to == m_upstream.get();
    std::optional<quint32> key;
    if (toUpstream)
        key = QRandomGenerator::global()->generate();
    const QByteArray payload = closePayload(code, reason);
    to.socket->write(encodeFrame(Opcode::Close, payload, true, key));
    to.closeSent = true;
    Event e = makeEvent(m_id, toUpstream ? Direction::C2S : Direction::S2C, EventKind::Close, reason);
    e.flags = FlagFin | (key ? FlagMasked : 0);
    e.size = payload.size();
    e.closeCode = code;
    e.note = "sent by the proxy (" + reason + "), not by the " + other(to).name;
    m_recorder->record(std::move(e));
}

void ProxyConnection::close(quint16 code, const QByteArray& reason)
{
    switch (m_phase) {
    case Phase::Connecting:
    case Phase::Requested:
        failUpstream(503, "the proxy was stopped before the upstream answered");
        return;
    case Phase::Refused:
        m_timer->stop();
        m_phase = Phase::Ending;
        dropSide(*m_upstream);
        shutDownSide(*m_client, ShutdownMs);
        finishIfBothGone();
        return;
    case Phase::Relaying:
        break;
    case Phase::Ending:
    case Phase::Done:
        return;
    }
    m_phase = Phase::Ending;
    m_stopping = true;
    setState(ConnectionState::Closing);
    if (m_closeCode == 0) {
        m_closeCode = code;
        m_closeWhy = "closed by the proxy: " + reason;
    }
    m_stopCode = code;
    m_stopReason = reason;
    // A close frame can only go between two messages of the stream it joins, and only one per stream: into a
    // stream in the middle of a message it goes once the message is over (relay()), within the grace.
    for (Side* to : { m_client.get(), m_upstream.get() }) {
        const WireDecoder* stream = other(*to).decoder.get();
        if (!accepts(*to) || !stream || stream->closeSeen() || stream->isStreamLost())
            continue;
        if (stream->atMessageBoundary())
            injectClose(*to, code, reason);
        else
            to->closePending = true;
    }
    const bool waiting
        = m_client->closeSent || m_upstream->closeSent || m_client->closePending || m_upstream->closePending;
    if (!waiting) {
        shutDownSide(*m_client, ShutdownMs);
        shutDownSide(*m_upstream, ShutdownMs);
        return;
    }
    m_timer->start(StopGraceMs);
}

void ProxyConnection::abort()
{
    if (m_phase == Phase::Done)
        return;
    m_timer->stop();
    if (m_phase != Phase::Ending && m_closeWhy.isEmpty()) {
        m_closeWhy = "dropped by the proxy";
        if (m_phase == Phase::Relaying)
            m_closeCode = 1006;
    }
    m_phase = Phase::Ending;
    dropSide(*m_client);
    dropSide(*m_upstream);
    m_upstream->gone = true;
    finishIfBothGone();
}

void ProxyConnection::shutDownSide(Side& side, int timeoutMs)
{
    if (side.gone || !side.socket)
        return;
    side.shuttingDown = true;
    side.socket->disconnectFromHost();
    if (!side.gone && side.socket->state() != QAbstractSocket::UnconnectedState) {
        // An orderly shutdown waits for the queued bytes, which a side that does not read never takes.
        QTimer::singleShot(timeoutMs, side.socket, [this, &side] {
            dropSide(side);
            finishIfBothGone();
        });
    } else if (!side.gone) {
        side.gone = true;
        finishIfBothGone();
    }
}

void ProxyConnection::dropSide(Side& side)
{
    if (side.gone || !side.socket) {
        side.gone = true;
        return;
    }
    // What it sent that was never read (it was paused, or ended with it) is cut by us, not by its sender.
    if (const qint64 unread = side.socket->bytesAvailable(); unread > 0 && m_decode)
        record(EventKind::Note,
            "the proxy dropped the " + side.name + "'s connection with " + QByteArray::number(unread)
                + " bytes it had sent still unread (neither relayed nor recorded)");
    endStream(side);
    side.gone = true; // before abort(), which may report disconnected at once
    side.socket->abort();
}

void ProxyConnection::finishIfBothGone()
{
    if (m_phase != Phase::Done && m_client->gone && m_upstream->gone)
        finish();
}

void ProxyConnection::finish()
{
    m_phase = Phase::Done;
    m_timer->stop();
    if (!m_closedRecorded) {
        m_closedRecorded = true;
        endStream(*m_client);
        endStream(*m_upstream);
        // Code 0: none is known. An open connection gets 1006 only where a side vanished with its stream
        // decoded and no close frame in it (set where that is seen), never as a guess.
        const QByteArray message = m_closeWhy.isEmpty() ? QByteArray("connection closed") : m_closeWhy;
        record(EventKind::Closed, message, {}, m_closeCode);
    }
    setState(ConnectionState::Closed);
    Q_EMIT finished(m_id);
}

} // namespace wsi
