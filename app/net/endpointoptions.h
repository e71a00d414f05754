#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <memory>

namespace wsi {

class ReplyRules;

// The auth helper of a client connection: turned into an Authorization header.
struct ClientAuth
{
    enum class Kind : quint8 {
        None,
        Bearer, // Authorization: Bearer TOKEN
        Basic, // Authorization: Basic base64(USER:PASSWORD)
    };
    Kind kind = Kind::None;
    QString token;
    QString user;
    QString password;

    bool operator==(const ClientAuth&) const = default;
};
// The Authorization header value for auth, e.g. "Bearer abc" or "Basic dXNlcjpwYXNz"; empty for Kind::None.
QByteArray authorizationValue(const ClientAuth& auth);

// Automatic reconnection after a connection that the user did not close ends (or an attempt fails): after
// initialDelayMs, doubling up to maxDelayMs, at most maxAttempts attempts in a row (0: no limit). Each attempt
// is a new connection with its own id; a successful one starts the count again.
struct ReconnectPolicy
{
    bool enabled = false;
    int initialDelayMs = 1000;
    int maxDelayMs = 30000;
    int maxAttempts = 10;

    // The wait before the given attempt (1, 2, ...), without jitter.
    int delayForAttempt(int attempt) const;
    bool operator==(const ReconnectPolicy&) const = default;
};

// What a client connection is asked to do. Extra headers go into the upgrade request as given.
struct ClientOptions
{
    QUrl url;
    QList<QPair<QByteArray, QByteArray>> headers;
    QStringList subprotocols;
    QString origin; // empty: no Origin header
    ClientAuth auth; // adds an Authorization header unless headers already has one
    bool ignoreCertificateErrors = false; // wss: accept any certificate (unsafe; recorded as a note)
    int pingIntervalMs = 0; // > 0: a keep-alive ping this often while open
    ReconnectPolicy reconnect;
    qint64 maxMessageBytes = 64 * 1024 * 1024;
    int handshakeTimeoutMs = 10000;
};

// What the test server does with a message when no auto-reply rule answers it.
enum class ServerMode : quint8 {
    Echo, // back to its sender, same kind
    Broadcast, // to every other client (and to the sender with ServerBehaviour::broadcastToSender)
    Silent, // recorded only
};

// The part of the test server that can change while it runs.
struct ServerBehaviour
{
    ServerMode mode = ServerMode::Echo;
    bool broadcastToSender = false;
    // Asked first for every message; null or empty: no rules. Immutable once built, shared across threads.
    std::shared_ptr<const ReplyRules> rules;
    int pushEveryMs = 0; // > 0: every so many ms, pushTemplate is rendered and sent to every client
    QString pushTemplate;
};

struct ServerOptions
{
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 8765; // 0: any free port
    // When the port is taken, try the following ones (the GUI's one-click start); headless uses the exact port.
    int tryNextPorts = 0;
    ServerBehaviour behaviour;
    QStringList subprotocols; // accepted; the client's first offer among them is chosen; empty: none is
    QStringList allowedOrigins; // empty: any Origin (or none); otherwise the Origin header must be one of them
    qint64 maxMessageBytes = 64 * 1024 * 1024;
    int maxConnections = 1000;
    int handshakeTimeoutMs = 10000;
    // wss: a PEM certificate (chain) and its unencrypted PEM private key; both empty: plain ws.
    QString tlsCertificatePath;
    QString tlsKeyPath;

    bool isTls() const { return !tlsCertificatePath.isEmpty(); }
};

// The recording proxy: listens like the test server, and opens for each client that upgrades a connection to
// the upstream, with the client's path and query appended to the upstream URL's path.
struct ProxyOptions
{
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 9000; // 0: any free port
    QUrl upstream; // ws:// or wss://
    bool ignoreCertificateErrors = false; // wss upstream: accept any certificate (--insecure; recorded as a note)
    QString origin; // empty: the client's Origin header is passed on as it is; otherwise rewritten to this
    qint64 maxMessageBytes = 64 * 1024 * 1024; // larger messages are relayed but recorded without payload
    int maxConnections = 1000;
    int handshakeTimeoutMs = 10000; // for the client's request and, separately, the upstream's answer
};

// True for a host that is reachable from other machines (anything but a loopback address or "localhost").
bool exposesBeyondLoopback(const QString& host);
// The browser test page of a test server at serverUrl: http:// for ws://, https:// for wss://, same host and port.
QUrl testPageUrl(const QUrl& serverUrl);

// A client of the test server, as its upgrade request described it (for the server pane's client list).
struct ServerClient
{
    quint32 id = 0;
    QString peer; // address:port
    QString path; // path and query of the request
    QString subprotocol; // the one chosen, or empty
    QString origin; // the Origin header, or empty
    QString userAgent;
    QDateTime opened;
};

} // namespace wsi

Q_DECLARE_METATYPE(wsi::ServerBehaviour)
Q_DECLARE_METATYPE(wsi::ServerClient)
