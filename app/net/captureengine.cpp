#include "captureengine.h"

#include "../core/recorder.h"
#include "clientendpoint.h"
#include "proxyconnection.h"
#include "proxyendpoint.h"
#include "serverendpoint.h"
#include "wsconnection.h"

#include <QTimer>

namespace wsi {

namespace {
// A connection that stayed open this long counts as a success: the next failure starts the attempts afresh.
// One dropped sooner (a server that accepts and then closes at once) keeps backing off.
constexpr qint64 StableOpenMs = 5000;
} // namespace

CaptureEngine::CaptureEngine(Recorder* recorder, std::shared_ptr<std::atomic<qint64>> unsent, QObject* parent)
    : QObject(parent)
    , m_recorder(recorder)
    , m_unsent(std::move(unsent))
{ }

CaptureEngine::~CaptureEngine() = default;

void CaptureEngine::startServer(const ServerOptions& options)
{
    if (m_server) {
        Q_EMIT serverStarted(m_server->url());
        return;
    }
    auto* server = new ServerEndpoint(options, m_recorder, this);
    server->setUnsentCounter(m_unsent);
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

void CaptureEngine::startProxy(const ProxyOptions& options)
{
    // Starting again means new options (another upstream, say): the running proxy ends first.
    if (m_proxy)
        stopProxy();
    auto* proxy = new ProxyEndpoint(options, m_recorder, this);
    QString error;
    if (!proxy->listen(&error)) {
        delete proxy;
        Q_EMIT proxyStartFailed(error);
        return;
    }
    m_proxy = proxy;
    connect(proxy, &ProxyEndpoint::connectionStateChanged, this, &CaptureEngine::connectionStateChanged);
    connect(proxy, &ProxyEndpoint::clientOpened, this, &CaptureEngine::proxyClientOpened);
    Q_EMIT proxyStarted(proxy->url());
}

void CaptureEngine::stopProxy()
{
    if (!m_proxy)
        return;
    ProxyEndpoint* proxy = std::exchange(m_proxy, nullptr);
    proxy->shutdown();
    // The connections finish their closing handshakes before they go away with the endpoint.
    QObject::connect(proxy, &ProxyEndpoint::connectionStateChanged, proxy, [proxy] {
        if (proxy->activeConnections() == 0)
            proxy->deleteLater();
    });
    if (proxy->activeConnections() == 0)
        proxy->deleteLater();
    Q_EMIT proxyStopped();
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
    startClient(id, options, 0);
}

void CaptureEngine::startClient(quint32 id, const ClientOptions& options, int attempt)
{
    auto* client = new ClientEndpoint(id, options, m_recorder, this);
    client->setUnsentCounter(m_unsent);
    m_clients.insert(id, client);
    connect(client, &ClientEndpoint::stateChanged, this,
        [this](quint32 cid, ConnectionState s) { Q_EMIT connectionStateChanged(cid, ConnectionRole::Client, s); });
    connect(client, &ClientEndpoint::finished, this,
        [this, options, attempt](quint32 cid) { onClientFinished(cid, options, attempt); });
    Q_EMIT connectionStateChanged(id, ConnectionRole::Client, ConnectionState::Connecting);
    client->start();
}

void CaptureEngine::onClientFinished(quint32 id, const ClientOptions& options, int attempt)
{
    ClientEndpoint* client = m_clients.take(id);
    if (!client)
        return;
    const bool byUser = client->closedByUser();
    // Counting starts again after a connection that lasted; one that was dropped at once counts as a failure.
    const int next = client->wasOpened() && client->openMs() >= StableOpenMs ? 1 : attempt + 1;
    client->deleteLater();
    const ReconnectPolicy& policy = options.reconnect;
    if (!policy.enabled || byUser || m_shuttingDown)
        return;
    if (policy.maxAttempts > 0 && next > policy.maxAttempts) {
        m_recorder->record(makeEvent(id, Direction::None, EventKind::Note,
            "gave up reconnecting after " + QByteArray::number(policy.maxAttempts)
                + (policy.maxAttempts == 1 ? " attempt" : " attempts")));
        Q_EMIT clientGaveUp(id, policy.maxAttempts);
        return;
    }
    // Each attempt is a connection of its own in the timeline; it is announced now, so the window can follow.
    Connection c;
    c.role = ConnectionRole::Client;
    c.url = options.url.toString();
    const quint32 nextId = m_recorder->addConnection(c);
    const int delay = policy.delayForAttempt(next);
    const QByteArray of = policy.maxAttempts > 0 ? " of " + QByteArray::number(policy.maxAttempts) : QByteArray();
    m_recorder->record(makeEvent(id, Direction::None, EventKind::Note,
        "reconnecting in " + QByteArray::number(delay / 1000.0, 'f', 1) + " s as connection "
            + QByteArray::number(nextId) + " (attempt " + QByteArray::number(next) + of + ')'));
    PendingReconnect pending;
    pending.previous = id;
    pending.options = options;
    pending.attempt = next;
    pending.timer = new QTimer(this);
    pending.timer->setSingleShot(true);
    connect(pending.timer, &QTimer::timeout, this, [this, nextId, id] {
        PendingReconnect p = m_reconnects.take(nextId);
        p.timer->deleteLater();
        m_recorder->record(makeEvent(nextId, Direction::None, EventKind::Note,
            "reconnection attempt " + QByteArray::number(p.attempt) + " for connection " + QByteArray::number(id)));
        startClient(nextId, p.options, p.attempt);
    });
    pending.timer->start(delay);
    m_reconnects.insert(nextId, pending);
    Q_EMIT clientReconnecting(id, nextId, next, policy.maxAttempts, delay);
}

void CaptureEngine::cancelReconnects()
{
    const QList<quint32> waiting = m_reconnects.keys();
    for (quint32 id : waiting)
        cancelReconnect(id);
}

void CaptureEngine::cancelReconnect(quint32 waitingId)
{
    const auto it = m_reconnects.find(waitingId);
    if (it == m_reconnects.end())
        return;
    delete it->timer;
    m_reconnects.erase(it);
    m_recorder->record(makeEvent(waitingId, Direction::None, EventKind::Note, "reconnection cancelled"));
    m_recorder->record(makeEvent(waitingId, Direction::None, EventKind::Closed, "never connected"));
    Q_EMIT connectionStateChanged(waitingId, ConnectionRole::Client, ConnectionState::Closed);
}

WsConnection* CaptureEngine::findConnection(quint32 id) const
{
    if (ClientEndpoint* c = m_clients.value(id))
        return c->connection();
    return m_server ? m_server->connection(id) : nullptr;
}

ProxyConnection* CaptureEngine::findProxyConnection(quint32 id) const
{
    // Also those of a stopped proxy that are still closing: they are the engine's grandchildren until then.
    for (ProxyConnection* c : findChildren<ProxyConnection*>()) {
        if (c->id() == id && !c->isFinished())
            return c;
    }
    return nullptr;
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
    // A client waiting to reconnect is closed under its new id, or under the old one when the user acted on the
    // connection that just ended (the engine may have seen the drop first).
    for (auto it = m_reconnects.cbegin(); it != m_reconnects.cend(); ++it) {
        if (it.key() == id || it->previous == id) {
            cancelReconnect(it.key());
            return;
        }
    }
    if (ClientEndpoint* c = m_clients.value(id)) {
        c->close(code, reason);
        return;
    }
    if (WsConnection* c = findConnection(id)) {
        c->close(code, reason);
        return;
    }
    if (ProxyConnection* c = findProxyConnection(id))
        c->close(code, reason);
}

void CaptureEngine::abortConnection(quint32 id)
{
    for (auto it = m_reconnects.cbegin(); it != m_reconnects.cend(); ++it) {
        if (it.key() == id || it->previous == id) // nothing to drop yet: the waiting attempt is cancelled
            return cancelReconnect(it.key());
    }

    if (WsConnection* c = findConnection(id)) {
        c->abort();
        return;
    }
    if (ProxyConnection* c = findProxyConnection(id)) {
        c->abort();
        return;
    }
    if (ClientEndpoint* c = m_clients.value(id))
        c->close(1001, "going away"); // still connecting: give up the attempt
}

void CaptureEngine::shutdown()
{
    m_shuttingDown = true;
    Q_EMIT shuttingDown();
    cancelReconnects();
    stopServer();
    stopProxy();
    // A copy: closing a client that is still connecting finishes it at once, which takes it out of m_clients.
    const QList<ClientEndpoint*> clients = m_clients.values();
    for (ClientEndpoint* c : clients)
        c->close(1001, "going away");
}

void CaptureEngine::abortAll()
{
    for (WsConnection* c : findChildren<WsConnection*>()) {
        if (c->state() != ConnectionState::Closed)
            c->abort();
    }
    for (ProxyConnection* c : findChildren<ProxyConnection*>())
        c->abort();
    const QList<ClientEndpoint*> clients = m_clients.values(); // see shutdown()
    for (ClientEndpoint* c : clients) {
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
    // Proxied connections, of a stopped proxy too.
    for (const ProxyConnection* c : findChildren<ProxyConnection*>()) {
        if (!c->isFinished())
            ++n;
    }
    return n;
}

} // namespace wsi
