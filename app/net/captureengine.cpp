#include "captureengine.h"

#include "../core/recorder.h"
#include "clientendpoint.h"
#include "serverendpoint.h"
#include "wsconnection.h"

namespace wsi {

CaptureEngine::CaptureEngine(Recorder* recorder, QObject* parent)
    : QObject(parent)
    , m_recorder(recorder)
{ }

CaptureEngine::~CaptureEngine() = default;

void CaptureEngine::startServer(const ServerOptions& options)
{
    if (m_server) {
        Q_EMIT serverStarted(m_server->url());
        return;
    }
    auto* server = new ServerEndpoint(options, m_recorder, this);
    QString error;
    if (!server->listen(&error)) {
        delete server;
        Q_EMIT serverStartFailed(error);
        return;
    }
    m_server = server;
    connect(server, &ServerEndpoint::connectionStateChanged, this, &CaptureEngine::connectionStateChanged);
    connect(server, &ServerEndpoint::clientOpened, this, &CaptureEngine::serverClientOpened);
    Q_EMIT serverStarted(server->url());
}

void CaptureEngine::stopServer()
{
    if (!m_server)
        return;
    ServerEndpoint* server = std::exchange(m_server, nullptr);
    server->shutdown();
    // Let the closing handshakes finish before the connections go away with the endpoint.
    QObject::connect(server, &ServerEndpoint::connectionStateChanged, server, [server] {
        for (WsConnection* c : server->connections()) {
            if (c->state() != ConnectionState::Closed)
                return;
        }
        server->deleteLater();
    });
    if (server->connections().isEmpty())
        server->deleteLater();
    Q_EMIT serverStopped();
}

void CaptureEngine::setServerBehaviour(const ServerBehaviour& behaviour)
{
    if (m_server)
        m_server->setBehaviour(behaviour);
}

void CaptureEngine::sendTextToServerClients(const QByteArray& utf8)
{
    // Without a server there is no one to send to (and no connection to report it on).
    if (m_server)
        m_server->sendTextToAll(utf8);
}

void CaptureEngine::openClient(quint32 id, const ClientOptions& options)
{
    auto* client = new ClientEndpoint(id, options, m_recorder, this);
    m_clients.insert(id, client);
    connect(client, &ClientEndpoint::stateChanged, this,
        [this](quint32 cid, ConnectionState s) { Q_EMIT connectionStateChanged(cid, ConnectionRole::Client, s); });
    connect(client, &ClientEndpoint::finished, this, [this](quint32 cid) {
        if (ClientEndpoint* c = m_clients.take(cid))
            c->deleteLater();
    });
    Q_EMIT connectionStateChanged(id, ConnectionRole::Client, ConnectionState::Connecting);
    client->start();
}

WsConnection* CaptureEngine::findConnection(quint32 id) const
{
    if (ClientEndpoint* c = m_clients.value(id))
        return c->connection();
    return m_server ? m_server->connection(id) : nullptr;
}

void CaptureEngine::notOpen(quint32 id, const char* what)
{
    m_recorder->record(makeEvent(id, Direction::None, EventKind::Error,
        QByteArray("cannot ") + what + ": connection " + QByteArray::number(id) + " is not open"));
}

void CaptureEngine::sendText(quint32 id, const QByteArray& utf8)
{
    WsConnection* c = findConnection(id);
    if (!c || c->state() != ConnectionState::Open)
        return notOpen(id, "send");
    c->sendText(utf8);
}

void CaptureEngine::sendBinary(quint32 id, const QByteArray& data)
{
    WsConnection* c = findConnection(id);
    if (!c || c->state() != ConnectionState::Open)
        return notOpen(id, "send");
    c->sendBinary(data);
}

void CaptureEngine::ping(quint32 id, const QByteArray& payload)
{
    WsConnection* c = findConnection(id);
    if (!c || c->state() != ConnectionState::Open)
        return notOpen(id, "ping");
    c->ping(payload);
}

void CaptureEngine::closeConnection(quint32 id, quint16 code, const QByteArray& reason)
{
    if (ClientEndpoint* c = m_clients.value(id)) {
        c->close(code, reason);
        return;
    }
    if (WsConnection* c = findConnection(id))
        c->close(code, reason);
}

void CaptureEngine::abortConnection(quint32 id)
{
    if (WsConnection* c = findConnection(id)) {
        c->abort();
        return;
    }
    if (ClientEndpoint* c = m_clients.value(id))
        c->close(1001, "going away"); // still connecting: give up the attempt
}

void CaptureEngine::shutdown()
{
    stopServer();
    for (ClientEndpoint* c : std::as_const(m_clients))
        c->close(1001, "going away");
}

void CaptureEngine::abortAll()
{
    for (WsConnection* c : findChildren<WsConnection*>()) {
        if (c->state() != ConnectionState::Closed)
            c->abort();
    }
    for (ClientEndpoint* c : std::as_const(m_clients)) {
        if (!c->connection())
            c->close(1001, "going away");
    }
}

int CaptureEngine::liveConnections() const
{
    // Counts connections of stopped servers too: they may still be finishing their closing handshakes.
    int n = 0;
    for (const WsConnection* c : findChildren<WsConnection*>()) {
        if (c->state() != ConnectionState::Closed)
            ++n;
    }
    for (const ClientEndpoint* c : m_clients) {
        if (!c->connection())
            ++n; // still connecting
    }
    return n;
}

} // namespace wsi
