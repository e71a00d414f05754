#include "proxyendpoint.h"

#include "../core/recorder.h"
#include "../formats/redaction.h"
#include "../wire/handshake.h"
#include "listener.h"
#include "peeraddress.h"
#include "proxyconnection.h"

#include <QHostInfo>
#include <QNetworkInterface>
#include <QPointer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <utility>

namespace wsi {

// An upgrade request still being read (the listener's name for it).
struct ProxyEndpoint::Pending : PendingRequest
{ };

namespace {
// Upgrade requests still being read; more are refused at once, so a connection flood cannot use up memory.
constexpr int MaxPendingHandshakes = 256;

// "host" or "host:port" as a Host header names the upstream: the port only when it is not the scheme's own.
QByteArray hostHeaderFor(const QUrl& url)
{
    const bool secure = url.scheme() == QLatin1StringView("wss");
    QByteArray host = url.host(QUrl::FullyEncoded).toUtf8();
    if (host.contains(':'))
        host = '[' + host + ']';
    const int port = url.port();
    if (port >= 0 && port != (secure ? 443 : 80))
        host += ':' + QByteArray::number(port);
    return host;
}

void setHeader(HttpHead& head, QByteArrayView name, const QByteArray& value)
{
    for (HttpHeader& h : head.headers) {
        if (QByteArrayView(h.first).compare(name, Qt::CaseInsensitive) == 0) {
            h.second = value; // in place: the client's order and spelling of the name stay
            return;
        }
    }
    head.headers.append({ name.toByteArray(), value });
}
} // namespace

ProxyEndpoint::ProxyEndpoint(const ProxyOptions& options, Recorder* recorder, QObject* parent)
    : QObject(parent)
    , m_options(options)
    , m_recorder(recorder)
    , m_server(nullptr)
{ }

ProxyEndpoint::~ProxyEndpoint()
{
    qDeleteAll(m_pending);
}

QByteArray ProxyEndpoint::upstreamTargetFor(const QUrl& upstream, const QByteArray& target)
{
    // Bytes only, never through QUrl: it would turn %7E into ~ and %41 into A, and invalid UTF-8 into U+FFFD,
    // and a signed URL is only valid as it was signed.
    QByteArrayView t = target;
    if (!t.startsWith('/')) {
        // The absolute form ("ws://host/path?q", as some clients send to a proxy): its path and query count.
        if (const qsizetype scheme = t.indexOf("://"); scheme >= 0) {
            t = t.sliced(scheme + 3);
            qsizetype end = 0;
            while (end < t.size() && t[end] != '/' && t[end] != '?' && t[end] != '#')
                ++end;
            t = t.sliced(end);
        }
    }
    if (const qsizetype hash = t.indexOf('#'); hash >= 0)
        t.truncate(hash);
    const qsizetype question = t.indexOf('?');
    QByteArrayView path = question < 0 ? t : t.first(question);
    const QByteArrayView query = question < 0 ? QByteArrayView() : t.sliced(question + 1);
    while (path.startsWith('/'))
        path = path.sliced(1);

    QByteArray joined = upstream.path(QUrl::FullyEncoded).toUtf8();
    if (!path.isEmpty()) {
        while (joined.endsWith('/'))
            joined.chop(1);
        joined += '/' + path.toByteArray();
    }
    if (joined.isEmpty())
        joined = "/";
    QByteArray queries = upstream.query(QUrl::FullyEncoded).toUtf8();
    if (!query.isEmpty())
        queries = queries.isEmpty() ? query.toByteArray() : queries + '&' + query.toByteArray();
    return queries.isEmpty() ? joined : joined + '?' + queries;
}

QUrl ProxyEndpoint::upstreamUrlFor(const QUrl& upstream, const QByteArray& target)
{
    // For the record only; what goes upstream is upstreamTargetFor()'s bytes.
    const QByteArray joined = upstreamTargetFor(upstream, target);
    const qsizetype question = joined.indexOf('?');
    QUrl out = upstream;
    out.setFragment(QString());
    out.setPath(QString::fromUtf8(question < 0 ? joined : joined.left(question)), QUrl::TolerantMode);
    if (question < 0)
        out.setQuery(QString());
    else
        out.setQuery(QString::fromUtf8(joined.mid(question + 1)), QUrl::TolerantMode);
    return out;
}

bool ProxyEndpoint::reachesItself(const QHostAddress& bound, quint16 port, const QUrl& upstream)
{
    const bool secure = upstream.scheme() == QLatin1StringView("wss");
    if (upstream.port(secure ? 443 : 80) != port)
        return false; // the usual case, decided without a name lookup
    QList<QHostAddress> addresses;
    if (QHostAddress literal; literal.setAddress(upstream.host()))
        addresses.append(literal);
    else
        addresses = QHostInfo::fromName(upstream.host()).addresses();
    // Bound to every address, the listener answers on each of this machine's own; else on the one it bound.
    const bool anyV4 = bound == QHostAddress::Any || bound == QHostAddress::AnyIPv4;
    const bool anyV6 = bound == QHostAddress::Any || bound == QHostAddress::AnyIPv6;
    const QList<QHostAddress> own = anyV4 || anyV6 ? QNetworkInterface::allAddresses() : QList<QHostAddress>();
    for (const QHostAddress& a : std::as_const(addresses)) {
        const bool v4 = a.protocol() == QAbstractSocket::IPv4Protocol;
        if ((v4 ? anyV4 : anyV6) && (a.isLoopback() || own.contains(a)))
            return true;
        if (a.isEqual(bound, QHostAddress::TolerantConversion))
            return true;
    }
    return false;
}

HttpHead ProxyEndpoint::upstreamRequest(
    const HttpHead& clientRequest, const QUrl& upstream, const ProxyOptions& options)
{
    HttpHead out = clientRequest;
    out.target = upstreamTargetFor(upstream, clientRequest.target);
    setHeader(out, "Host", hostHeaderFor(upstream));
    if (!options.origin.isEmpty())
        setHeader(out, "Origin", options.origin.toUtf8());
    return out;
}

bool ProxyEndpoint::listen(QString* error)
{
    const QUrl& upstream = m_options.upstream;
    const QString scheme = upstream.scheme();
    if (!upstream.isValid() || (scheme != QLatin1StringView("ws") && scheme != QLatin1StringView("wss"))
        || upstream.host().isEmpty()) {
        *error = tr("the upstream must be a WebSocket URL such as ws://host:port/path or wss://host/path, not "
                    "\u201c%1\u201d")
                     .arg(upstream.toString());
        return false;
    }
    if (scheme == QLatin1StringView("wss") && !QSslSocket::supportsSsl()) {
        *error = tr("cannot proxy to wss://: this Qt has no working TLS backend (is OpenSSL 3, libssl3, installed?)");
        return false;
    }
    m_server = new QTcpServer(this);
    connect(m_server, &QTcpServer::newConnection, this, &ProxyEndpoint::onNewConnection);
    listener::pauseOnAcceptErrors(m_server, "the proxy");

    QHostAddress address;
    if (!listener::resolveHost(m_options.host, &address, error))
        return false;
    m_server->setMaxPendingConnections(64);
    if (!m_server->listen(address, m_options.port)) {
        *error = tr("cannot listen on %1 port %2: %3")
                     .arg(address.toString())
                     .arg(m_options.port)
                     .arg(m_server->errorString());
        return false;
    }
    m_url = QUrl(QStringLiteral("ws://%1:%2/").arg(hostForUrl(address)).arg(m_server->serverPort()));
    if (reachesItself(address, m_server->serverPort(), upstream)) {
        // Every connection would open another to the proxy itself, without end.
        *error = tr("the upstream %1 is this proxy's own address (listening on %2 port %3): it would relay every "
                    "connection to itself; give the address of the real server")
                     .arg(upstream.toString(QUrl::RemoveUserInfo), address.toString())
                     .arg(m_server->serverPort());
        m_server->close();
        delete std::exchange(m_server, nullptr);
        m_url = QUrl();
        return false;
    }
    return true;
}

void ProxyEndpoint::shutdown()
{
    m_shuttingDown = true;
    if (m_server)
        m_server->close();
    for (QTcpSocket* socket : m_pending.keys())
        dropPending(socket);
    // A copy: a connection still waiting for the upstream finishes at once, which takes it out of the hash.
    const QList<ProxyConnection*> connections = m_connections.values();
    for (ProxyConnection* c : connections)
        c->close(1001, "proxy stopped");
}

void ProxyEndpoint::onNewConnection()
{
    while (QTcpSocket* socket = m_server->nextPendingConnection()) {
        if (m_pending.size() >= MaxPendingHandshakes) {
            socket->abort();
            socket->deleteLater();
            continue;
        }
        auto* pending = new Pending;
        pending->timer = new QTimer(socket);
        pending->timer->setSingleShot(true);
        m_pending.insert(socket, pending);
        connect(pending->timer, &QTimer::timeout, this, [this, socket] {
            const Pending* p = m_pending.value(socket);
            if (!p)
                return;
            // A connection that never sent a byte is a port probe, not worth a timeline entry.
            if (p->buffer.isEmpty()) {
                dropPending(socket);
                return;
            }
            const quint32 id = registerConnection(socket, {});
            m_recorder->record(makeEvent(id, Direction::None, EventKind::HandshakeRequest, p->buffer));
            reject(socket, id, 408,
                "the upgrade request was not complete within " + QByteArray::number(m_options.handshakeTimeoutMs)
                    + " ms");
        });
        pending->timer->start(m_options.handshakeTimeoutMs);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onPendingData(socket); });
        connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
            if (m_pending.contains(socket))
                dropPending(socket);
        });
    }
}

void ProxyEndpoint::dropPending(QTcpSocket* socket)
{
    delete m_pending.take(socket);
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
}

quint32 ProxyEndpoint::registerConnection(QTcpSocket* socket, const QByteArray& target)
{
    Connection c;
    c.role = ConnectionRole::Proxy;
    c.url = (target.isEmpty() ? m_options.upstream : upstreamUrlFor(m_options.upstream, target)).toString();
    c.peer = peerOf(socket);
    return m_recorder->addConnection(c);
}

void ProxyEndpoint::reject(QTcpSocket* socket, quint32 id, int status, const QByteArray& why)
{
    listener::reject(socket, m_recorder, id, status, why);
    finishHttp(socket);
}

void ProxyEndpoint::finishHttp(QTcpSocket* socket)
{
    delete m_pending.take(socket);
    socket->disconnect(this);
    listener::finish(socket);
}

void ProxyEndpoint::onPendingData(QTcpSocket* socket)
{
    Pending* pending = m_pending.value(socket);
    if (!pending)
        return;
    pending->buffer += socket->readAll();
    HttpHead request;
    const HttpHead::ParseResult parsed = HttpHead::parse(pending->buffer, request);
    if (parsed.status == HttpHead::ParseStatus::Incomplete)
        return;
    if (parsed.status == HttpHead::ParseStatus::Invalid || !request.isRequest()) {
        const quint32 id = registerConnection(socket, {});
        const qsizetype maxHead = HttpHead::Limits {}.maxHeadBytes;
        const bool tooBig = pending->buffer.size() >= maxHead;
        m_recorder->record(makeEvent(id, Direction::None, EventKind::HandshakeRequest, pending->buffer.left(maxHead)));
        reject(socket, id, tooBig ? 431 : 400,
            request.isRequest() || parsed.status == HttpHead::ParseStatus::Invalid
                ? "malformed HTTP request: " + parsed.error
                : QByteArray("an HTTP response is no request"));
        return;
    }
    const QByteArray head = pending->buffer.left(parsed.consumed);
    const QByteArray rest = pending->buffer.mid(parsed.consumed);
    if (!request.headerContainsToken("Upgrade", "websocket")) {
        // Not a WebSocket connection, so nothing is recorded: someone opened the proxy's address in a browser.
        // Anyone who can reach the proxy may read this page: no secret of the upstream's query goes into it.
        const QByteArray upstream = redaction::redactUrl(m_options.upstream.toString(QUrl::RemoveUserInfo)).toUtf8();
        const QByteArray body = "This is WebSocket Inspector's recording proxy for " + upstream
            + ".\nIt relays WebSocket connections only: point your WebSocket client at " + m_url.toString().toUtf8()
            + "PATH instead of " + upstream + (upstream.endsWith('/') ? "" : "/")
            + "PATH; the proxy opens the upstream for it and records every frame.\n";
        QByteArray response = handshake::errorResponse(
            426, handshake::reasonPhrase(426), body, { { "Upgrade", "websocket" }, { "Sec-WebSocket-Version", "13" } });
        if (request.method == "HEAD")
            response.truncate(response.indexOf("\r\n\r\n") + 4);
        socket->write(response);
        finishHttp(socket);
        return;
    }
    if (m_shuttingDown || m_connections.size() >= m_options.maxConnections) {
        const quint32 id = registerConnection(socket, request.target);
        m_recorder->record(makeEvent(id, Direction::None, EventKind::HandshakeRequest, head));
        reject(socket, id, 503,
            m_shuttingDown ? QByteArray("the proxy is stopping")
                           : "the proxy already relays its maximum of " + QByteArray::number(m_options.maxConnections)
                    + " connections");
        return;
    }

    const QUrl upstreamUrl = upstreamUrlFor(m_options.upstream, request.target);
    const quint32 id = registerConnection(socket, request.target);
    delete m_pending.take(socket);
    socket->disconnect(this);
    auto* connection = new ProxyConnection(id, socket, head, request, rest, upstreamUrl, m_options, m_recorder, this);
    m_connections.insert(id, connection);
    connect(connection, &ProxyConnection::opened, this, &ProxyEndpoint::clientOpened);
    connect(connection, &ProxyConnection::stateChanged, this, [this](quint32 cid, ConnectionState state) {
        if (state != ConnectionState::Closed) // Closed goes out once the connection left the hash
            Q_EMIT connectionStateChanged(cid, ConnectionRole::Proxy, state);
    });
    connect(connection, &ProxyConnection::finished, this, &ProxyEndpoint::onFinished);
    Q_EMIT connectionStateChanged(id, ConnectionRole::Proxy, ConnectionState::Connecting);
    connection->start();
}

void ProxyEndpoint::onFinished(quint32 id)
{
    if (ProxyConnection* c = m_connections.take(id))
        c->deleteLater();
    Q_EMIT connectionStateChanged(id, ConnectionRole::Proxy, ConnectionState::Closed);
}

} // namespace wsi
