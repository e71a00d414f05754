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

// What a client connection is asked to do. Extra headers go into the upgrade request as given.
struct ClientOptions
{
    QUrl url;
    QList<QPair<QByteArray, QByteArray>> headers;
    QStringList subprotocols;
    QString origin; // empty: no Origin header
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
