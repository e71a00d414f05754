#include "serverendpoint.h"

#include "../core/recorder.h"
#include "../wire/handshake.h"
#include "peeraddress.h"
#include "wsconnection.h"

#include <QHostInfo>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace wsi {

struct ServerEndpoint::Pending
{
    QByteArray buffer;
    QTimer* timer = nullptr; // child of the socket; deleted with the Pending so it can never fire late

    ~Pending() { delete timer; }
};

namespace {
// Upgrade requests still being read; more are refused at once, so a connection flood cannot use up memory.
constexpr int MaxPendingHandshakes = 256;
// How long a refused client may take to read our answer before its connection is dropped.
constexpr int RejectLingerMs = 5000;
} // namespace

ServerEndpoint::ServerEndpoint(const ServerOptions& options, Recorder* recorder, QObject* parent)
    : QObject(parent)
    , m_options(options)
    , m_recorder(recorder)
    , m_server(new QTcpServer(this))
{
    connect(m_server, &QTcpServer::newConnection, this, &ServerEndpoint::onNewConnection);
}

ServerEndpoint::~ServerEndpoint()
{
    qDeleteAll(m_pending);
}

bool ServerEndpoint::listen(QString* error)
{
    QHostAddress address;
    if (m_options.host == QLatin1StringView("localhost")) {
        address = QHostAddress(QHostAddress::LocalHost);
    } else if (!address.setAddress(m_options.host)) {
        const QHostInfo info = QHostInfo::fromName(m_options.host);
        if (info.addresses().isEmpty()) {
            *error
                = tr("cannot listen on \u201c%1\u201d: not an address and not a known host name").arg(m_options.host);
            return false;
        }
        address = info.addresses().constFirst();
    }
    m_server->setMaxPendingConnections(64);
    const int tries = 1 + std::max(0, m_options.tryNextPorts);
    for (int i = 0; i < tries; ++i) {
        const quint16 port = m_options.port == 0 ? 0 : quint16(m_options.port + i);
        if (m_server->listen(address, port)) {
            m_url = QUrl(QStringLiteral("ws://%1:%2/").arg(hostForUrl(address)).arg(m_server->serverPort()));
            return true;
        }
        if (m_options.port == 0 || m_server->serverError() != QAbstractSocket::AddressInUseError)
            break;
    }
    if (m_server->serverError() == QAbstractSocket::AddressInUseError && tries > 1) {
        *error = tr("ports %1 to %2 on %3 are all in use")
                     .arg(m_options.port)
                     .arg(m_options.port + tries - 1)
                     .arg(address.toString());
    } else {
        *error = tr("cannot listen on %1 port %2: %3")
                     .arg(address.toString())
                     .arg(m_options.port)
                     .arg(m_server->errorString());
    }
    return false;
}

void ServerEndpoint::shutdown()
{
    m_server->close();
    for (QTcpSocket* socket : m_pending.keys())
        dropPending(socket);
    for (WsConnection* c : std::as_const(m_connections)) {
        if (c->state() == ConnectionState::Open)
            c->close(1001, "test server stopped");
    }
}

void ServerEndpoint::onNewConnection()
{
    while (QTcpSocket* socket = m_server->nextPendingConnection()) {
        if (m_pending.size() >= MaxPendingHandshakes) {
            // Nothing was said on it yet, so nothing is lost to the timeline; its client sees a reset.
            socket->abort();
            socket->deleteLater();
            continue;
        }
        auto* pending = new Pending;
        pending->timer = new QTimer(socket);
        pending->timer->setSingleShot(true);
        m_pending.insert(socket, pending);
        connect(pending->timer, &QTimer::timeout, this, [this, socket] {
            // A connection that never sent a byte is a port probe, not worth a timeline entry.
            const Pending* p = m_pending.value(socket);
            if (!p)
                return;
            if (!p->buffer.isEmpty()) {
                const quint32 id = registerConnection(socket, {});
                m_recorder->record(makeEvent(id, Direction::None, EventKind::HandshakeRequest, p->buffer));
                reject(socket, id, 408,
                    "the upgrade request was not complete within " + QByteArray::number(m_options.handshakeTimeoutMs)
                        + " ms");
                return;
            }
            dropPending(socket);
        });
        pending->timer->start(m_options.handshakeTimeoutMs);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onPendingData(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            if (m_pending.contains(socket))
                dropPending(socket);
        });
    }
}

void ServerEndpoint::dropPending(QTcpSocket* socket)
{
    delete m_pending.take(socket);
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
}

quint32 ServerEndpoint::registerConnection(QTcpSocket* socket, const QByteArray& target, const QString& subprotocol)
{
    Connection c;
    c.role = ConnectionRole::Server;
    QUrl url = m_url;
    if (!target.isEmpty()) {
        const QUrl relative = QUrl::fromEncoded(target);
        url.setPath(relative.path());
        url.setQuery(relative.query());
    }
    c.url = url.toString();
    c.peer = peerOf(socket);
    c.subprotocol = subprotocol;
    return m_recorder->addConnection(c);
}

void ServerEndpoint::reject(QTcpSocket* socket, quint32 id, int status, const QByteArray& why)
{
    const QByteArray reason = handshake::reasonPhrase(status);
    HttpHeaders extra;
    if (status == 426)
        extra.append(HttpHeader("Sec-WebSocket-Version", "13"));
    const QByteArray response = handshake::errorResponse(status, reason, QByteArray(why + '\n'), extra);
    socket->write(response);
    Event answer
        = makeEvent(id, Direction::None, EventKind::HandshakeResponse, response.left(response.indexOf("\r\n\r\n") + 4));
    m_recorder->record(std::move(answer));
    m_recorder->record(makeEvent(id, Direction::None, EventKind::Error,
        "rejected the upgrade request: " + QByteArray::number(status) + ' ' + reason + " (" + why + ')'));
    m_recorder->record(makeEvent(id, Direction::None, EventKind::Closed, QByteArrayLiteral("connection closed")));
    delete m_pending.take(socket);
    socket->disconnect(this);
    // disconnectFromHost() writes the answer out before closing; a client that does not read it is dropped.
    connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    QTimer::singleShot(RejectLingerMs, socket, [socket] { socket->abort(); });
    socket->disconnectFromHost();
}

void ServerEndpoint::onPendingData(QTcpSocket* socket)
{
    Pending* pending = m_pending.value(socket);
    if (!pending)
        return;
    pending->buffer += socket->readAll();
    HttpHead request;
    const HttpHead::ParseResult parsed = HttpHead::parse(pending->buffer, request);
    if (parsed.status == HttpHead::ParseStatus::Incomplete)
        return;
    if (parsed.status == HttpHead::ParseStatus::Invalid) {
        const quint32 id = registerConnection(socket, {});
        const qsizetype maxHead = HttpHead::Limits {}.maxHeadBytes;
        const bool tooBig = pending->buffer.size() >= maxHead;
        // What arrived, as far as a head may go: the timeline shows what was wrong with it.
        m_recorder->record(makeEvent(id, Direction::None, EventKind::HandshakeRequest, pending->buffer.left(maxHead)));
        reject(socket, id, tooBig ? 431 : 400, "malformed HTTP request: " + parsed.error);
        return;
    }
    const QByteArray head = pending->buffer.left(parsed.consumed);
    const QByteArray rest = pending->buffer.mid(parsed.consumed);
    const handshake::Verdict verdict = handshake::checkRequest(request);
    if (!verdict.ok) {
        const quint32 id = registerConnection(socket, request.target);
        m_recorder->record(makeEvent(id, Direction::None, EventKind::HandshakeRequest, head));
        reject(socket, id, verdict.status, verdict.reason);
        return;
    }
    if (m_connections.size() >= m_options.maxConnections) {
        const quint32 id = registerConnection(socket, request.target);
        m_recorder->record(makeEvent(id, Direction::None, EventKind::HandshakeRequest, head));
        reject(socket, id, 503,
            "the test server already has its maximum of " + QByteArray::number(m_options.maxConnections)
                + " connections");
        return;
    }

    QByteArray chosen;
    const HttpHead response = handshake::buildResponse(request, {}, &chosen);
    const quint32 id = registerConnection(socket, request.target, QString::fromUtf8(chosen));
    m_recorder->record(makeEvent(id, Direction::None, EventKind::HandshakeRequest, head));
    const QByteArray responseBytes = response.toBytes();
    socket->write(responseBytes);
    m_recorder->record(makeEvent(id, Direction::None, EventKind::HandshakeResponse, responseBytes));
    m_recorder->record(
        makeEvent(id, Direction::None, EventKind::Open, "client " + peerOf(socket).toUtf8() + " connected"));

    delete m_pending.take(socket);
    socket->disconnect(this);
    auto* connection
        = new WsConnection(id, ConnectionRole::Server, socket, rest, m_recorder, m_options.maxMessageBytes, this);
    m_connections.insert(id, connection);
    if (m_options.behaviour.mode == ServerMode::Echo) {
        connect(connection, &WsConnection::messageReceived, connection,
            [connection](quint32, bool text, const QByteArray& payload) {
                if (text)
                    connection->sendText(payload);
                else
                    connection->sendBinary(payload);
            });
    }
    connect(connection, &WsConnection::stateChanged, this, [this](quint32 cid, ConnectionState state) {
        Q_EMIT connectionStateChanged(cid, ConnectionRole::Server, state);
    });
    connect(connection, &WsConnection::finished, this, [this](quint32 cid) {
        if (WsConnection* c = m_connections.take(cid))
            c->deleteLater();
    });
    Q_EMIT connectionStateChanged(id, ConnectionRole::Server, ConnectionState::Open);
}

} // namespace wsi
