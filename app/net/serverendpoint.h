#pragma once

#include "../core/connection.h"
#include "../core/messagetemplate.h"
#include "endpointoptions.h"

#include <QHash>
#include <QObject>
#include <QSet>
#include <QUrl>

#include <atomic>
#include <memory>
#include <optional>

class QTcpServer;
class QTcpSocket;
class QTimer;

namespace wsi {

class Recorder;
class WsConnection;
struct HttpHead;

/*
 * The one-click test server: a TCP (or TLS) listener that reads each upgrade request itself (so the timeline
 * shows the request exactly as the client sent it and the answer exactly as we sent it), answers bad
 * requests with a clear HTTP error, serves the browser test page to plain GETs, and hands upgraded sockets
 * to a WsConnection. What it does with a message is its ServerBehaviour, which can change while it runs:
 * auto-reply rules first, then echo, broadcast or nothing; and a periodic push to every client. Lives on
 * the capture thread.
 */
class ServerEndpoint : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ServerEndpoint)

public:
    ServerEndpoint(const ServerOptions& options, Recorder* recorder, QObject* parent = nullptr);
    ~ServerEndpoint() override;

    // Starts listening; on failure returns false with a reason for the user.
    bool listen(QString* error);
    QUrl url() const { return m_url; }
    // Closes every connection with 1001 (going away) and stops listening.
    void shutdown();

    void setBehaviour(const ServerBehaviour& behaviour);
    void setUnsentCounter(std::shared_ptr<std::atomic<qint64>> counter) { m_unsentCounter = std::move(counter); }
    // Sends a text message to every open client.
    void sendTextToAll(const QByteArray& utf8);

    WsConnection* connection(quint32 id) const { return m_connections.value(id); }
    QList<WsConnection*> connections() const { return m_connections.values(); }

Q_SIGNALS:
    void connectionStateChanged(quint32 id, wsi::ConnectionRole role, wsi::ConnectionState state);
    void clientOpened(const wsi::ServerClient& client);

private:
    struct Pending;
    void onNewConnection();
    void onPendingData(QTcpSocket* socket);
    void reject(QTcpSocket* socket, quint32 id, int status, const QByteArray& why);
    void dropPending(QTcpSocket* socket);
    quint32 registerConnection(QTcpSocket* socket, const QByteArray& target, const QString& subprotocol = {});
    bool loadTls(QString* error);
    // Answers a request that does not ask for an upgrade: the test page, 404 or 405. Not a WebSocket
    // connection, so nothing is recorded.
    void servePlainHttp(QTcpSocket* socket, const HttpHead& request);
    // The allowed origins (any when none are set), plus this server's own test page.
    bool originAllowed(const QByteArray& origin, const QByteArray& host) const;
    void onMessage(WsConnection* from, bool text, const QByteArray& payload);
    void sendReply(WsConnection* to, const QByteArray& payload);
    // Whether a broadcast or push message may be queued for c now (open, and reading what it is sent).
    bool canTake(WsConnection* c);
    // Ends a plain HTTP exchange after our answer: reads and drops what the client still sends (a request
    // body; closing with unread input would reset the connection and destroy the answer), then closes.
    void finishHttp(QTcpSocket* socket);
    void push();

    ServerOptions m_options;
    Recorder* m_recorder;
    QTcpServer* m_server;
    QUrl m_url;
    QHash<QTcpSocket*, Pending*> m_pending;
    QHash<quint32, WsConnection*> m_connections;
    ServerBehaviour m_behaviour;
    TemplateGenerators m_generators;
    std::optional<MessageTemplate> m_pushTemplate;
    QTimer* m_pushTimer;
    std::shared_ptr<std::atomic<qint64>> m_unsentCounter;
    QSet<quint32> m_congested; // clients told about skipped messages, until they catch up
    QHash<quint32, int> m_delayedReplies; // client -> delayed replies waiting
    struct Tls;
    std::unique_ptr<Tls> m_tls;
};

} // namespace wsi
