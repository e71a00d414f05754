#include "clientendpoint.h"

#include "../core/recorder.h"
#include "../wire/handshake.h"
#include "peeraddress.h"
#include "wsconnection.h"

#include <QSslSocket>
#include <QTcpSocket>
#include <QTimer>

#include <algorithm>

namespace wsi {

ClientEndpoint::ClientEndpoint(quint32 id, const ClientOptions& options, Recorder* recorder, QObject* parent)
    : QObject(parent)
    , m_id(id)
    , m_options(options)
    , m_recorder(recorder)
    , m_timer(new QTimer(this))
{
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, [this] {
        const QByteArray limit = QByteArray::number(m_options.handshakeTimeoutMs) + " ms";
        fail(m_requestSent ? QByteArray("the server did not answer the upgrade request within " + limit)
                           : QByteArray("could not connect within " + limit));
    });
}

ClientEndpoint::~ClientEndpoint() = default;

qint64 ClientEndpoint::openMs() const
{
    if (!m_wasOpened)
        return 0;
    return m_openMs >= 0 ? m_openMs : m_openSince.elapsed();
}

void ClientEndpoint::record(EventKind kind, const QByteArray& payload, const QByteArray& note)
{
    Event e = makeEvent(m_id, Direction::None, kind, payload);
    e.note = note;
    m_recorder->record(std::move(e));
}

void ClientEndpoint::setState(ConnectionState s)
{
    if (m_state == s)
        return;
    m_state = s;
    Q_EMIT stateChanged(m_id, s);
}

void ClientEndpoint::start()
{
    const QUrl& url = m_options.url;
    const QString scheme = url.scheme();
    if (!url.isValid() || (scheme != QLatin1StringView("ws") && scheme != QLatin1StringView("wss"))) {
        fail("not a WebSocket URL (use ws://host:port/path or wss://…): " + url.toString().toUtf8());
        return;
    }
    if (url.host().isEmpty()) {
        fail("the URL has no host: " + url.toString().toUtf8());
        return;
    }
    const bool secure = scheme == QLatin1StringView("wss");
    if (secure && !QSslSocket::supportsSsl()) {
        fail("wss:// needs TLS, but no TLS backend is available to Qt on this system");
        return;
    }
    const quint16 port = quint16(url.port(secure ? 443 : 80));
    m_timer->start(m_options.handshakeTimeoutMs);
    if (secure) {
        auto* ssl = new QSslSocket(this);
        m_socket = ssl;
        connect(ssl, &QSslSocket::encrypted, this, &ClientEndpoint::onConnected);
        connect(ssl, &QSslSocket::sslErrors, this, [this, ssl](const QList<QSslError>& errors) {
            QByteArray problems;
            for (const QSslError& e : errors)
                problems += ' ' + e.errorString().toUtf8() + '.';
            if (m_options.ignoreCertificateErrors) {
                // Asked for explicitly; the timeline says what was let through, so it is never silent.
                record(EventKind::Note, "certificate problems ignored on request (unsafe):" + problems);
                ssl->ignoreSslErrors();
                return;
            }
            fail("TLS certificate problem:" + problems
                + " (to connect anyway, allow it explicitly: \u201cignore certificate errors\u201d, or --insecure; "
                  "this is unsafe)");
        });
        ssl->connectToHostEncrypted(url.host(), port);
    } else {
        m_socket = new QTcpSocket(this);
        connect(m_socket, &QTcpSocket::connected, this, &ClientEndpoint::onConnected);
        m_socket->connectToHost(url.host(), port);
    }
    connect(m_socket, &QTcpSocket::readyRead, this, &ClientEndpoint::onReadyRead);
    connect(m_socket, &QAbstractSocket::errorOccurred, this, &ClientEndpoint::onSocketError);
}

void ClientEndpoint::onConnected()
{
    m_key = handshake::newKey();
    handshake::ClientRequest request;
    request.url = m_options.url;
    request.extraHeaders = m_options.headers;
    const QByteArray authorization = authorizationValue(m_options.auth);
    if (!authorization.isEmpty()) {
        const bool explicitHeader = std::any_of(request.extraHeaders.cbegin(), request.extraHeaders.cend(),
            [](const HttpHeader& h) { return h.first.compare("Authorization", Qt::CaseInsensitive) == 0; });
        if (explicitHeader)
            record(EventKind::Note, "an Authorization header was given: it is sent instead of the auth helper's");
        else
            request.extraHeaders.append({ "Authorization", authorization });
    }
    request.subprotocols = m_options.subprotocols;
    request.origin = m_options.origin;
    request.key = m_key;
    const QByteArray bytes = handshake::buildRequest(request).toBytes();
    m_socket->write(bytes);
    m_requestSent = true;
    record(EventKind::HandshakeRequest, bytes);
}

void ClientEndpoint::onReadyRead()
{
    if (m_done)
        return;
    m_buffer += m_socket->readAll();
    HttpHead response;
    const HttpHead::ParseResult parsed = HttpHead::parse(m_buffer, response);
    if (parsed.status == HttpHead::ParseStatus::Incomplete)
        return;
    if (parsed.status == HttpHead::ParseStatus::Invalid) {
        fail("the server's answer is not a valid HTTP response: " + parsed.error);
        return;
    }
    const QByteArray head = m_buffer.left(parsed.consumed);
    const QByteArray rest = m_buffer.mid(parsed.consumed);
    m_buffer.clear();
    record(EventKind::HandshakeResponse, head);
    const handshake::Verdict verdict = handshake::checkResponse(response, m_key, m_options.subprotocols);
    if (!verdict.ok) {
        fail("handshake rejected: " + verdict.reason);
        return;
    }
    m_timer->stop();
    m_done = true;

    Connection c;
    c.id = m_id;
    c.role = ConnectionRole::Client;
    c.url = m_options.url.toString();
    c.peer = peerOf(m_socket);
    c.subprotocol = QString::fromUtf8(response.header("Sec-WebSocket-Protocol").trimmed());
    m_recorder->updateConnection(c);
    record(EventKind::Open, "connected to " + m_options.url.toString().toUtf8());

    m_socket->disconnect(this);
    m_connection
        = new WsConnection(m_id, ConnectionRole::Client, m_socket, rest, m_recorder, m_options.maxMessageBytes, this);
    m_socket = nullptr;
    m_connection->setUnsentCounter(m_unsentCounter);
    connect(m_connection, &WsConnection::stateChanged, this, [this](quint32, ConnectionState s) {
        if (s != ConnectionState::Open && m_keepAlive)
            m_keepAlive->stop();
        setState(s);
    });
    connect(m_connection, &WsConnection::finished, this, [this](quint32) {
        m_openMs = m_openSince.elapsed();
        Q_EMIT finished(m_id);
    });
    m_wasOpened = true;
    m_openSince.start();
    if (m_options.pingIntervalMs > 0) {
        m_keepAlive = new QTimer(this);
        connect(m_connection, &WsConnection::pongReceived, this, [this] { m_keepAliveUnanswered = 0; });
        connect(m_keepAlive, &QTimer::timeout, this, [this] {
            if (!m_connection || m_connection->state() != ConnectionState::Open)
                return;
            // Two intervals without a pong: the peer or the path is gone (a half-open TCP connection would
            // otherwise look open for many minutes, and reconnection would never start).
            if (m_keepAliveUnanswered >= 2) {
                m_keepAlive->stop();
                record(EventKind::Error,
                    "no pong for " + QByteArray::number(2 * m_options.pingIntervalMs)
                        + " ms after keep-alive pings: the connection looks dead; dropping it");
                m_connection->abort();
                return;
            }
            ++m_keepAliveUnanswered;
            // A distinct payload per ping, so each pong is matched to its ping for the round trip.
            m_connection->ping("keep-alive " + QByteArray::number(++m_keepAliveCount));
        });
        m_keepAlive->start(m_options.pingIntervalMs);
    }
    setState(ConnectionState::Open);
}

void ClientEndpoint::onSocketError(QAbstractSocket::SocketError error)
{
    if (m_done)
        return;
    const QByteArray host = m_options.url.host().toUtf8();
    const QByteArray port
        = QByteArray::number(m_options.url.port(m_options.url.scheme() == QLatin1StringView("wss") ? 443 : 80));
    switch (error) {
    case QAbstractSocket::HostNotFoundError:
        fail("could not find the host \u201c" + host + "\u201d (DNS lookup failed)");
        break;
    case QAbstractSocket::ConnectionRefusedError:
        fail("connection refused by " + host + ':' + port + " (is the server running?)");
        break;
    case QAbstractSocket::RemoteHostClosedError:
        if (m_requestSent)
            fail("the server closed the connection before answering the upgrade request");
        else if (m_options.url.scheme() == QLatin1StringView("wss"))
            fail("the server closed the connection during the TLS handshake");
        else
            fail("the server closed the connection before the upgrade request was sent");
        break;
    case QAbstractSocket::SslHandshakeFailedError:
        fail("TLS handshake failed: " + m_socket->errorString().toUtf8());
        break;
    default:
        fail("connection failed: " + m_socket->errorString().toUtf8());
        break;
    }
}

void ClientEndpoint::fail(const QByteArray& why)
{
    if (m_done)
        return;
    m_done = true;
    m_failure = why;
    m_timer->stop();
    record(EventKind::Error, why);
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
    record(EventKind::Closed, "connection closed");
    setState(ConnectionState::Closed);
    Q_EMIT finished(m_id);
}

void ClientEndpoint::close(quint16 code, const QByteArray& reason)
{
    m_closedByUser = true;
    if (m_keepAlive)
        m_keepAlive->stop();
    if (m_connection) {
        m_connection->close(code, reason);
        return;
    }
    fail("connection attempt cancelled");
}

} // namespace wsi
