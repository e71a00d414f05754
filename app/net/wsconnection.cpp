#include "wsconnection.h"

#include "../core/recorder.h"
#include "../wire/utf8.h"

#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTimer>
#include <QtEndian>

namespace wsi {

namespace {
// How long to wait for the peer's part of the closing handshake before dropping the TCP connection.
constexpr int CloseTimeoutMs = 3000;
// After that, how long an orderly TCP shutdown may take before the connection is dropped outright.
constexpr int DisconnectTimeoutMs = 1000;
constexpr int MaxPingsInFlight = 64;
// Flow control: with this much still unsent (a peer that does not read what it is sent, e.g. echoes), stop
// reading from the peer until the queue is down to the low mark, so memory stays bounded and TCP pushes back.
constexpr qint64 WriteHighWater = qint64(16) << 20;
constexpr qint64 WriteLowWater = qint64(4) << 20;
// What the socket may buffer of the peer's input while we are not reading it.
constexpr qint64 ReadBufferBytes = qint64(4) << 20;
} // namespace

WsConnection::WsConnection(quint32 id, ConnectionRole role, QTcpSocket* socket, const QByteArray& pending,
    Recorder* recorder, qint64 maxMessageBytes, QObject* parent)
    : QObject(parent)
    , m_id(id)
    , m_role(role)
    , m_socket(socket)
    , m_recorder(recorder)
    , m_maxMessageBytes(maxMessageBytes)
    , m_inbound(role == ConnectionRole::Server ? Direction::C2S : Direction::S2C)
    , m_outbound(role == ConnectionRole::Server ? Direction::S2C : Direction::C2S)
    , m_parser(maxMessageBytes)
    , m_closeTimer(new QTimer(this))
{
    m_socket->setParent(this);
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_closeTimer->setSingleShot(true);
    m_closeTimer->setInterval(CloseTimeoutMs);
    connect(m_closeTimer, &QTimer::timeout, this, &WsConnection::onCloseTimeout);
    m_socket->setReadBufferSize(ReadBufferBytes);
    connect(m_socket, &QTcpSocket::readyRead, this, &WsConnection::processIncoming);
    connect(m_socket, &QTcpSocket::bytesWritten, this, [this](qint64 written) {
        countWritten(written);
        if (m_readPaused && m_socket->bytesToWrite() <= WriteLowWater) {
            m_readPaused = false;
            processIncoming();
        }
    });
    connect(m_socket, &QTcpSocket::disconnected, this, &WsConnection::onDisconnected);
    connect(m_socket, &QAbstractSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
        // The peer closing TCP is the normal end after a closing handshake, and onDisconnected tells it
        // otherwise; everything else is worth a line in the timeline.
        if (error == QAbstractSocket::RemoteHostClosedError)
            return;
        record(Direction::None, EventKind::Error,
            QByteArrayLiteral("connection error: ") + m_socket->errorString().toUtf8(), 0);
    });
    if (!pending.isEmpty()) {
        m_parser.feed(pending);
        // Process after the owner has connected to our signals.
        QMetaObject::invokeMethod(this, &WsConnection::processIncoming, Qt::QueuedConnection);
    }
}

WsConnection::~WsConnection() = default;

void WsConnection::countWritten(qint64 bytes)
{
    const qint64 taken = std::min(bytes, m_unsent);
    m_unsent -= taken;
    if (m_unsentCounter && taken > 0)
        m_unsentCounter->fetch_sub(taken, std::memory_order_relaxed);
}

bool WsConnection::isCongested() const
{
    return m_socket->bytesToWrite() > WriteHighWater;
}

void WsConnection::record(
    Direction dir, EventKind kind, QByteArray payload, quint8 flags, qint64 size, quint16 closeCode, QByteArray note)
{
    Event e = makeEvent(m_id, dir, kind, std::move(payload));
    e.flags = flags;
    if (size >= 0)
        e.size = size;
    e.closeCode = closeCode;
    e.note = std::move(note);
    m_recorder->record(std::move(e));
}

void WsConnection::setState(ConnectionState s)
{
    if (m_state == s)
        return;
    m_state = s;
    Q_EMIT stateChanged(m_id, s);
}

void WsConnection::onCloseTimeout()
{
    if (m_finished)
        return;
    if (!m_disconnecting) {
        m_disconnecting = true;
        record(Direction::None, EventKind::Note,
            QByteArrayLiteral("no answer to the closing handshake in time; closing the TCP connection"), 0);
        // Read what is pending first: closing a socket with unread input makes the kernel send a reset,
        // which can destroy our close frame before the peer has read it.
        m_socket->skip(m_socket->bytesAvailable());
        m_socket->disconnectFromHost();
        // An orderly shutdown waits for unsent data, which a peer that does not read never takes.
        if (!m_finished)
            m_closeTimer->start(DisconnectTimeoutMs);
        return;
    }
    record(Direction::None, EventKind::Note,
        QByteArrayLiteral("the peer does not take the rest of our data; dropping the TCP connection"), 0);
    m_socket->abort();
    if (!m_finished)
        onDisconnected();
}

void WsConnection::processIncoming()
{
    if (m_inputStopped) {
        m_socket->skip(m_socket->bytesAvailable());
        return;
    }
    if (m_socket->bytesToWrite() > WriteHighWater) {
        m_readPaused = true;
        return;
    }
    if (m_socket->bytesAvailable() > 0)
        m_parser.feed(m_socket->readAll());
    Frame frame;
    while (!m_inputStopped && !m_finished) {
        const FrameParser::Status status = m_parser.next(frame);
        if (status == FrameParser::Status::NeedMore)
            break;
        if (status == FrameParser::Status::Failed) {
            // The byte stream cannot be followed any more: ignore the rest until the TCP connection ends.
            m_inputStopped = true;
            if (!m_closeSent)
                failConnection(m_parser.error().closeCode, m_parser.error().message);
            break;
        }
        // After failing the connection only the peer's close frame matters (RFC 6455 7.1.7).
        if (m_failed && frame.opcode != Opcode::Close)
            continue;
        handleFrame(frame);
    }
}

void WsConnection::handleFrame(Frame& frame)
{
    const bool mustBeMasked = m_role == ConnectionRole::Server;
    if (frame.masked != mustBeMasked) {
        failConnection(1002, mustBeMasked ? "the client sent an unmasked frame" : "the server sent a masked frame");
        return;
    }
    if (frame.rsv != 0) {
        failConnection(1002, "RSV bits set but no extension was negotiated");
        return;
    }
    const quint8 maskFlag = frame.masked ? FlagMasked : 0;
    switch (frame.opcode) {
    case Opcode::Ping:
        record(m_inbound, EventKind::Ping, frame.payload, FlagFin | maskFlag);
        if (!m_closeSent)
            sendFrame(Opcode::Pong, frame.payload, EventKind::Pong);
        return;
    case Opcode::Pong: {
        QByteArray note;
        if (const auto it = m_pingsInFlight.constFind(frame.payload); it != m_pingsInFlight.cend()) {
            const double ms = double(monotonicNowNs() - it.value()) / 1e6;
            note = "round trip " + QByteArray::number(ms, 'f', 3) + " ms";
            m_pingsInFlight.erase(it);
        }
        record(m_inbound, EventKind::Pong, frame.payload, FlagFin | maskFlag, -1, 0, note);
        Q_EMIT pongReceived(m_id);
        return;
    }
    case Opcode::Close:
        handleClose(frame);
        return;
    case Opcode::Continuation:
        if (m_messageFrames == 0) {
            failConnection(1002, "continuation frame without a message to continue");
            return;
        }
        break;
    case Opcode::Text:
    case Opcode::Binary:
        if (m_messageFrames > 0) {
            failConnection(1002, "new message started before the previous fragmented one ended");
            return;
        }
        m_messageOpcode = frame.opcode;
        m_messageMasked = frame.masked;
        break;
    }
    if (m_message.size() + frame.payload.size() > m_maxMessageBytes) {
        failConnection(1009, "message larger than the limit of " + QByteArray::number(m_maxMessageBytes) + " bytes");
        return;
    }
    ++m_messageFrames;
    if (frame.fin && m_messageFrames == 1)
        m_message = std::move(frame.payload); // the common case: no copy
    else
        m_message.append(frame.payload);
    if (!frame.fin)
        return;

    const bool text = m_messageOpcode == Opcode::Text;
    quint8 flags = FlagFin | (m_messageMasked ? FlagMasked : 0);
    if (m_messageFrames > 1)
        flags |= FlagFragment;
    QByteArray message = std::move(m_message);
    m_message = QByteArray();
    m_messageFrames = 0;
    const bool validText = !text || isValidUtf8(message);
    record(m_inbound, text ? EventKind::Text : EventKind::Binary, message, flags);
    if (!validText) {
        failConnection(1007, "text message is not valid UTF-8");
        return;
    }
    if (!m_closeSent)
        Q_EMIT messageReceived(m_id, text, message);
}

void WsConnection::handleClose(const Frame& frame)
{
    m_closeReceived = true;
    m_inputStopped = true; // nothing after a close frame is meaningful
    quint16 code = 0;
    QByteArray reason;
    QByteArray problem;
    quint16 problemCode = 0;
    if (frame.payload.size() == 1) {
        problem = "close frame with a 1-byte payload";
        problemCode = 1002;
    } else if (frame.payload.size() >= 2) {
        code = qFromBigEndian<quint16>(frame.payload.constData());
        reason = frame.payload.mid(2);
        if (!isValidCloseCode(code)) {
            problem = "close frame with the invalid code " + QByteArray::number(code);
            problemCode = 1002;
        } else if (!isValidUtf8(reason)) {
            problem = "close reason is not valid UTF-8";
            problemCode = 1007;
        }
    }
    m_receivedCloseCode = code ? code : 1005;
    m_receivedCloseReason = reason;
    m_peerClosedFirst = !m_closeSent;
    record(m_inbound, EventKind::Close, reason, FlagFin | (frame.masked ? FlagMasked : 0), frame.payload.size(), code);
    if (!problem.isEmpty()) {
        record(Direction::None, EventKind::Error, problem, 0);
        if (!m_closeSent)
            sendClose(problemCode, problem);
    } else if (!m_closeSent) {
        // Echo the peer's code, as RFC 6455 5.5.1 suggests.
        sendClose(code, {});
    }
    setState(ConnectionState::Closing);
    // Both close frames have crossed now (or ours is on its way). The server ends TCP; a client may too
    // (RFC 6455 7.1.1), and must over TLS with servers that wait for its close_notify before closing. The
    // timer still guards a peer that never takes the rest of our data.
    m_socket->disconnectFromHost();
    if (!m_finished && !m_closeTimer->isActive())
        m_closeTimer->start(CloseTimeoutMs);
}

void WsConnection::failConnection(quint16 code, const QByteArray& why)
{
    const QByteArray who = m_role == ConnectionRole::Server ? "client" : "server";
    record(Direction::None, EventKind::Error,
        "protocol error from the " + who + ": " + why + " (closing with " + QByteArray::number(code) + ")", 0, -1,
        code);
    m_message.clear();
    m_messageFrames = 0;
    if (!m_closeSent)
        sendClose(code, why);
    setState(ConnectionState::Closing);
    m_failed = true;
    // Wait for the peer's close frame (handleClose ends TCP then) rather than closing at once: a close with
    // the peer's data still unread resets the connection and may destroy our close frame in flight.
    if (!m_closeTimer->isActive())
        m_closeTimer->start(CloseTimeoutMs);
}

void WsConnection::sendFrame(Opcode opcode, const QByteArray& payload, EventKind kind)
{
    std::optional<quint32> key;
    if (m_role == ConnectionRole::Client)
        key = QRandomGenerator::global()->generate();
    const qint64 written = m_socket->write(encodeFrame(opcode, payload, true, key));
    if (m_unsentCounter && written > 0) {
        m_unsent += written;
        m_unsentCounter->fetch_add(written, std::memory_order_relaxed);
    }
    record(m_outbound, kind, payload, FlagFin | (key ? FlagMasked : 0));
}

void WsConnection::sendClose(quint16 code, const QByteArray& reason)
{
    const QByteArray payload = closePayload(code, reason);
    std::optional<quint32> key;
    if (m_role == ConnectionRole::Client)
        key = QRandomGenerator::global()->generate();
    m_socket->write(encodeFrame(Opcode::Close, payload, true, key));
    m_closeSent = true;
    record(m_outbound, EventKind::Close, payload.mid(2), FlagFin | (key ? FlagMasked : 0), payload.size(), code);
}

void WsConnection::sendText(const QByteArray& utf8)
{
    if (m_state != ConnectionState::Open)
        return;
    sendFrame(Opcode::Text, utf8, EventKind::Text);
}

void WsConnection::sendBinary(const QByteArray& data)
{
    if (m_state != ConnectionState::Open)
        return;
    sendFrame(Opcode::Binary, data, EventKind::Binary);
}

void WsConnection::ping(const QByteArray& payload)
{
    if (m_state != ConnectionState::Open)
        return;
    const QByteArray p = payload.left(125);
    if (m_pingsInFlight.size() >= MaxPingsInFlight)
        m_pingsInFlight.clear();
    m_pingsInFlight.insert(p, monotonicNowNs());
    sendFrame(Opcode::Ping, p, EventKind::Ping);
}

void WsConnection::close(quint16 code, const QByteArray& reason)
{
    if (m_closeSent || m_finished)
        return;
    sendClose(code, reason);
    setState(ConnectionState::Closing);
    m_closeTimer->start(CloseTimeoutMs);
}

void WsConnection::abort()
{
    if (m_finished)
        return;
    record(Direction::None, EventKind::Note, QByteArrayLiteral("TCP connection dropped"), 0);
    m_socket->abort();
    // abort() emits disconnected only when the socket was connected; make sure we finish either way.
    if (!m_finished)
        onDisconnected();
}

void WsConnection::onDisconnected()
{
    if (m_finished)
        return;
    m_finished = true;
    m_closeTimer->stop();
    countWritten(m_unsent); // what was never sent is not waiting any more
    QByteArray message;
    quint16 code;
    if (m_closeReceived) {
        code = m_receivedCloseCode;
        // Who ended it and why, in words; the timeline adds the code and its meaning.
        const QByteArray peer = m_role == ConnectionRole::Server ? "the client" : "the server";
        message = m_peerClosedFirst ? "closed by " + peer : QByteArray("closed by us, answered by " + peer);
        if (!m_receivedCloseReason.isEmpty() && isValidUtf8(m_receivedCloseReason))
            message += ": " + m_receivedCloseReason;
    } else {
        code = 1006;
        message = m_closeSent ? "connection closed before the peer answered the closing handshake"
                              : "connection lost without a closing handshake";
    }
    record(Direction::None, EventKind::Closed, message, 0, -1, code);
    setState(ConnectionState::Closed);
    Q_EMIT finished(m_id);
}

} // namespace wsi
