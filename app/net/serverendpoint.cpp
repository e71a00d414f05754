#include "serverendpoint.h"

#include "../core/recorder.h"
#include "../core/replyrules.h"
#include "../wire/handshake.h"
#include "../wire/utf8.h"
#include "listener.h"
#include "peeraddress.h"
#include "wsconnection.h"

#include <QFile>
#include <QHostInfo>
#include <QPointer>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace wsi {

// An upgrade request still being read (the listener's name for it).
struct ServerEndpoint::Pending : PendingRequest
{ };

struct ServerEndpoint::Tls
{
    QList<QSslCertificate> chain; // ours first, then its issuers
    QSslKey key;
};

namespace {
// Accepts TCP connections as QSslSocket and starts the server side of the TLS handshake on each; the
// upgrade request is read from the decrypted stream as usual.
class TlsServer : public QTcpServer
{
public:
    TlsServer(QList<QSslCertificate> chain, QSslKey key, QObject* parent)
        : QTcpServer(parent)
        , m_chain(std::move(chain))
        , m_key(std::move(key))
    { }

protected:
    void incomingConnection(qintptr descriptor) override
    {
        auto* socket = new QSslSocket(this);
        if (!socket->setSocketDescriptor(descriptor)) {
            delete socket;
            return;
        }
        socket->setLocalCertificateChain(m_chain);
        socket->setPrivateKey(m_key);
        socket->setPeerVerifyMode(QSslSocket::VerifyNone); // clients are not asked for certificates
        socket->startServerEncryption();
        addPendingConnection(socket);
    }

private:
    QList<QSslCertificate> m_chain;
    QSslKey m_key;
};

// The browser test page, served to a plain GET of "/": read from the resources once, not on every request.
const QByteArray& testPage()
{
    static const QByteArray page = [] {
        QFile file(QStringLiteral(":/wsinspector/testpage.html"));
        if (!file.open(QIODevice::ReadOnly))
            return QByteArrayLiteral("<!doctype html><title>WebSocket Inspector</title><p>The test page is missing "
                                     "from this build.</p>");
        return file.readAll();
    }();
    return page;
}

// Upgrade requests still being read; more are refused at once, so a connection flood cannot use up memory.
constexpr int MaxPendingHandshakes = 256;
// Delayed auto-replies that may wait for one client at once; a client flooding a delayed rule gets no more.
constexpr int MaxDelayedReplies = 1024;
} // namespace

ServerEndpoint::ServerEndpoint(const ServerOptions& options, Recorder* recorder, QObject* parent)
    : QObject(parent)
    , m_options(options)
    , m_recorder(recorder)
    , m_server(nullptr)
    , m_pushTimer(new QTimer(this))
{
    connect(m_pushTimer, &QTimer::timeout, this, &ServerEndpoint::push);
    setBehaviour(options.behaviour);
}

ServerEndpoint::~ServerEndpoint()
{
    qDeleteAll(m_pending);
}

bool ServerEndpoint::loadTls(QString* error)
{
    if (!QSslSocket::supportsSsl()) {
        *error = tr("cannot serve wss://: this Qt has no working TLS backend (is OpenSSL 3, libssl3, installed?)");
        return false;
    }
    auto readPem = [error](const QString& path, const QString& what, QByteArray* out) {
        QFile file(path);
        if (file.size() > 1024 * 1024) {
            *error = tr("the TLS %1 %2 is too big to be a PEM file").arg(what, path);
            return false;
        }
        if (!file.open(QIODevice::ReadOnly)) {
            *error = tr("cannot read the TLS %1 %2: %3").arg(what, path, file.errorString());
            return false;
        }
        *out = file.readAll();
        return true;
    };
    if (m_options.tlsKeyPath.isEmpty()) {
        *error = tr("a TLS certificate needs its private key too (--tls-key)");
        return false;
    }
    QByteArray certificatePem;
    QByteArray keyPem;
    if (!readPem(m_options.tlsCertificatePath, tr("certificate"), &certificatePem)
        || !readPem(m_options.tlsKeyPath, tr("key"), &keyPem))
        return false;
    auto tls = std::make_unique<Tls>();
    tls->chain = QSslCertificate::fromData(certificatePem, QSsl::Pem);
    if (tls->chain.isEmpty() || tls->chain.constFirst().isNull()) {
        *error = tr("%1 holds no PEM certificate (“-----BEGIN CERTIFICATE-----”)").arg(m_options.tlsCertificatePath);
        return false;
    }
    for (const QSsl::KeyAlgorithm algorithm : { QSsl::Rsa, QSsl::Ec, QSsl::Dsa }) {
        tls->key = QSslKey(keyPem, algorithm, QSsl::Pem, QSsl::PrivateKey);
        if (!tls->key.isNull())
            break;
    }
    if (tls->key.isNull()) {
        *error = tr("%1 holds no unencrypted PEM private key (RSA, EC or DSA; a key with a passphrase cannot "
                    "be used: remove it with “openssl pkey -in KEY -out PLAIN”)")
                     .arg(m_options.tlsKeyPath);
        return false;
    }
    m_tls = std::move(tls);
    return true;
}

bool ServerEndpoint::listen(QString* error)
{
    if (m_options.isTls() && !loadTls(error))
        return false;
    if (!m_options.isTls() && !m_options.tlsKeyPath.isEmpty()) {
        *error = tr("a TLS key needs its certificate too (--tls-cert)");
        return false;
    }
    m_server = m_tls ? new TlsServer(m_tls->chain, m_tls->key, this) : new QTcpServer(this);
    connect(m_server, &QTcpServer::newConnection, this, &ServerEndpoint::onNewConnection);
    listener::pauseOnAcceptErrors(m_server, "the test server");

    QHostAddress address;
    if (!listener::resolveHost(m_options.host, &address, error))
        return false;
    m_server->setMaxPendingConnections(64);
    const int tries = 1 + std::max(0, m_options.tryNextPorts);
    for (int i = 0; i < tries; ++i) {
        const quint16 port = m_options.port == 0 ? 0 : quint16(m_options.port + i);
        if (m_server->listen(address, port)) {
            m_url = QUrl(QStringLiteral("%1://%2:%3/")
                             .arg(m_tls ? QStringLiteral("wss") : QStringLiteral("ws"), hostForUrl(address))
                             .arg(m_server->serverPort()));
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
    m_pushTimer->stop();
    if (m_server)
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
        if (auto* tls = qobject_cast<QSslSocket*>(socket)) {
            connect(tls, &QSslSocket::errorOccurred, this, [this, tls](QAbstractSocket::SocketError error) {
                // A client that hangs up before saying anything is a port probe; any other failure before the
                // upgrade request (a certificate the browser refused, plain ws:// or http:// on a wss port) is
                // worth a line: without it, the timeline would not show that anyone came at all.
                if (!m_pending.contains(tls) || tls->isEncrypted() || error == QAbstractSocket::RemoteHostClosedError)
                    return;
                const quint32 id = registerConnection(tls, {});
                m_recorder->record(makeEvent(id, Direction::None, EventKind::Error,
                    "TLS handshake with " + peerOf(tls).toUtf8() + " failed: " + tls->errorString().toUtf8()));
                m_recorder->record(
                    makeEvent(id, Direction::None, EventKind::Closed, QByteArrayLiteral("connection closed")));
                dropPending(tls);
            });
        }
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
    listener::reject(socket, m_recorder, id, status, why);
    finishHttp(socket);
}

void ServerEndpoint::finishHttp(QTcpSocket* socket)
{
    delete m_pending.take(socket);
    socket->disconnect(this);
    listener::finish(socket);
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
    if (!request.hasHeader("Upgrade") && request.isRequest()) {
        servePlainHttp(socket, request);
        return;
    }
    const handshake::Verdict verdict = handshake::checkRequest(request);
    if (!verdict.ok) {
        const quint32 id = registerConnection(socket, request.target);
        m_recorder->record(makeEvent(id, Direction::None, EventKind::HandshakeRequest, head));
        reject(socket, id, verdict.status, verdict.reason);
        return;
    }
    const QByteArray origin = request.header("Origin").trimmed();
    if (!originAllowed(origin, request.header("Host").trimmed())) {
        const quint32 id = registerConnection(socket, request.target);
        m_recorder->record(makeEvent(id, Direction::None, EventKind::HandshakeRequest, head));
        reject(socket, id, 403,
            origin.isEmpty() ? QByteArray("no Origin header, and the test server only allows listed origins")
                             : "the origin " + origin + " is not one the test server allows");
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
    const HttpHead response = handshake::buildResponse(request, m_options.subprotocols, &chosen);
    const quint32 id = registerConnection(socket, request.target, QString::fromUtf8(chosen));
    m_recorder->record(makeEvent(id, Direction::None, EventKind::HandshakeRequest, head));
    const QByteArray responseBytes = response.toBytes();
    socket->write(responseBytes);
    m_recorder->record(makeEvent(id, Direction::None, EventKind::HandshakeResponse, responseBytes));
    m_recorder->record(
        makeEvent(id, Direction::None, EventKind::Open, "client " + peerOf(socket).toUtf8() + " connected"));

    ServerClient client;
    client.id = id;
    client.peer = peerOf(socket);
    client.path = QString::fromUtf8(request.target);
    client.subprotocol = QString::fromUtf8(chosen);
    client.origin = QString::fromUtf8(origin);
    client.userAgent = QString::fromUtf8(request.header("User-Agent").trimmed());
    client.opened = QDateTime::currentDateTimeUtc();

    delete m_pending.take(socket);
    socket->disconnect(this);
    auto* connection
        = new WsConnection(id, ConnectionRole::Server, socket, rest, m_recorder, m_options.maxMessageBytes, this);
    connection->setUnsentCounter(m_unsentCounter);
    m_connections.insert(id, connection);
    connect(connection, &WsConnection::messageReceived, this,
        [this, connection](quint32, bool text, const QByteArray& payload) { onMessage(connection, text, payload); });
    connect(connection, &WsConnection::stateChanged, this, [this](quint32 cid, ConnectionState state) {
        Q_EMIT connectionStateChanged(cid, ConnectionRole::Server, state);
    });
    connect(connection, &WsConnection::finished, this, [this](quint32 cid) {
        m_congested.remove(cid);
        m_delayedReplies.remove(cid);
        if (WsConnection* c = m_connections.take(cid))
            c->deleteLater();
    });
    Q_EMIT connectionStateChanged(id, ConnectionRole::Server, ConnectionState::Open);
    Q_EMIT clientOpened(client);
}

bool ServerEndpoint::originAllowed(const QByteArray& origin, const QByteArray& host) const
{
    if (m_options.allowedOrigins.isEmpty())
        return true;
    // Browsers send the scheme and host in lower case and no path; people type a trailing slash or capitals.
    auto normal = [](QString o) {
        o = o.trimmed().toLower();
        while (o.endsWith(u'/'))
            o.chop(1);
        return o;
    };
    const QString given = normal(QString::fromUtf8(origin));
    if (given.isEmpty())
        return false;
    // The test page served by this server (its origin is the host the browser asked for) is always welcome.
    const QString self = (m_tls ? QStringLiteral("https://") : QStringLiteral("http://")) + QString::fromUtf8(host);
    if (given == normal(self))
        return true;
    return std::any_of(m_options.allowedOrigins.cbegin(), m_options.allowedOrigins.cend(),
        [&](const QString& allowed) { return normal(allowed) == given; });
}

void ServerEndpoint::servePlainHttp(QTcpSocket* socket, const HttpHead& request)
{
    const bool head = request.method == "HEAD";
    QByteArray response;
    if (request.method != "GET" && !head) {
        response = handshake::errorResponse(405, handshake::reasonPhrase(405),
            "the test server answers GET (its test page) and WebSocket upgrades\n", { { "Allow", "GET, HEAD" } });
    } else {
        const qsizetype query = request.target.indexOf('?');
        const QByteArray path = query < 0 ? request.target : request.target.left(query);
        if (path == "/" || path == "/index.html") {
            const QByteArray& page = testPage();
            HttpHead answer;
            answer.status = 200;
            answer.reason = "OK";
            answer.headers = {
                { "Content-Type", "text/html; charset=utf-8" },
                { "Content-Length", QByteArray::number(page.size()) },
                { "Cache-Control", "no-store" },
                { "Connection", "close" },
            };
            response = answer.toBytes() + (head ? QByteArray() : page);
        } else {
            response = handshake::errorResponse(404, handshake::reasonPhrase(404),
                "nothing here: the test page is at / and WebSocket clients may connect to any path\n");
        }
    }
    if (head)
        response.truncate(response.indexOf("\r\n\r\n") + 4); // the head only, with the body's length
    socket->write(response);
    finishHttp(socket);
}

void ServerEndpoint::setBehaviour(const ServerBehaviour& behaviour)
{
    m_behaviour = behaviour;
    m_pushTemplate.reset();
    if (behaviour.pushEveryMs > 0) {
        QString error;
        // Callers check the template before; one that does not compile pushes nothing rather than garbage.
        m_pushTemplate = MessageTemplate::compile(behaviour.pushTemplate, &error);
    }
    if (m_pushTemplate) {
        if (!m_pushTimer->isActive() || m_pushTimer->interval() != behaviour.pushEveryMs)
            m_pushTimer->start(behaviour.pushEveryMs);
    } else {
        m_pushTimer->stop();
    }
}

bool ServerEndpoint::canTake(WsConnection* c)
{
    if (c->state() != ConnectionState::Open)
        return false;
    if (!c->isCongested()) {
        m_congested.remove(c->id());
        return true;
    }
    // A client that does not read would make us buffer everything the others say to it, without end.
    if (!m_congested.contains(c->id())) {
        m_congested.insert(c->id());
        m_recorder->record(makeEvent(c->id(), Direction::None, EventKind::Note,
            QByteArrayLiteral("the client does not read what it is sent: broadcast and push messages to it are "
                              "skipped until it catches up")));
    }
    return false;
}

void ServerEndpoint::sendTextToAll(const QByteArray& utf8)
{
    for (WsConnection* c : std::as_const(m_connections)) {
        if (canTake(c))
            c->sendText(utf8);
    }
}

void ServerEndpoint::push()
{
    if (!m_pushTemplate || m_connections.isEmpty())
        return;
    sendTextToAll(m_pushTemplate->render({}, m_generators));
}

void ServerEndpoint::sendReply(WsConnection* to, const QByteArray& payload)
{
    // A template fed with a binary message may not be text any more: it goes back as binary then.
    if (isValidUtf8(payload))
        to->sendText(payload);
    else
        to->sendBinary(payload);
}

void ServerEndpoint::onMessage(WsConnection* from, bool text, const QByteArray& payload)
{
    if (m_behaviour.rules) {
        if (auto reply = m_behaviour.rules->answer(text, payload, m_generators)) {
            if (reply->delayMs <= 0) {
                sendReply(from, reply->payload);
                return;
            }
            int& waiting = m_delayedReplies[from->id()];
            if (waiting >= MaxDelayedReplies) {
                if (waiting == MaxDelayedReplies) {
                    ++waiting; // noted once until the queue drains
                    m_recorder->record(makeEvent(from->id(), Direction::None, EventKind::Note,
                        "more than " + QByteArray::number(MaxDelayedReplies)
                            + " delayed replies are waiting for this client: further ones are dropped"));
                }
                return;
            }
            ++waiting;
            // The connection is the context: a client gone before the delay is simply not answered. A precise
            // timer: a coarse one may fire up to 5% early, and "after 500 ms" must not mean 475.
            QTimer::singleShot(
                reply->delayMs, Qt::PreciseTimer, from, [this, from, payload = std::move(reply->payload)] {
                    int& left = m_delayedReplies[from->id()];
                    left = std::min(left, MaxDelayedReplies) - 1;
                    if (from->state() == ConnectionState::Open)
                        sendReply(from, payload);
                });
            return;
        }
    }
    auto sendTo = [text, &payload](WsConnection* c) {
        if (text)
            c->sendText(payload);
        else
            c->sendBinary(payload);
    };
    switch (m_behaviour.mode) {
    case ServerMode::Echo:
        // The sender's own flow control (it stops being read while it does not read) bounds its echoes.
        if (from->state() == ConnectionState::Open)
            sendTo(from);
        break;
    case ServerMode::Broadcast:
        for (WsConnection* c : std::as_const(m_connections)) {
            if ((c != from || m_behaviour.broadcastToSender) && canTake(c))
                sendTo(c);
        }
        break;
    case ServerMode::Silent:
        break;
    }
}

} // namespace wsi
