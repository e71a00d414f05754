#pragma once

#include "../core/connection.h"
#include "endpointoptions.h"

#include <QHash>
#include <QObject>
#include <QUrl>

#include <atomic>
#include <memory>

class QTimer;

namespace wsi {

class ClientEndpoint;
class ProxyConnection;
class ProxyEndpoint;
class Recorder;
class ServerEndpoint;
class WsConnection;

/*
 * Owns every endpoint and lives on the capture thread. Its slots are called with queued invocations from
 * CaptureSession; what it reports goes back through its signals (queued across the thread boundary).
 * Sends are routed by connection id, to our clients and to the test server's clients alike.
 */
class CaptureEngine : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CaptureEngine)

public:
    // unsent: kept at the bytes written to sockets and not yet sent, over every connection.
    CaptureEngine(Recorder* recorder, std::shared_ptr<std::atomic<qint64>> unsent, QObject* parent = nullptr);
    ~CaptureEngine() override;

    void startServer(const wsi::ServerOptions& options);
    void stopServer();
    void setServerBehaviour(const wsi::ServerBehaviour& behaviour);
    void sendTextToServerClients(const QByteArray& utf8);
    // The recording proxy (one per capture): started, or stopped with its connections ended (close 1001).
    void startProxy(const wsi::ProxyOptions& options);
    void stopProxy();
    void openClient(quint32 id, const wsi::ClientOptions& options);
    void sendText(quint32 id, const QByteArray& utf8);
    void sendBinary(quint32 id, const QByteArray& data);
    void ping(quint32 id, const QByteArray& payload);
    void closeConnection(quint32 id, quint16 code, const QByteArray& reason);
    void abortConnection(quint32 id);
    // Ends everything: server stopped, every connection closed with 1001. Returns at once; the closing
    // handshakes complete while the thread's event loop still runs.
    void shutdown();
    // Drops every connection still open (their `closed` events are recorded), for when time is up.
    void abortAll();
    // Number of connections not yet finished.
    int liveConnections() const;
    // The open (or closing) connection with this id, a client of ours or of the test server; null when there
    // is none. For objects on this thread that follow a connection (the replay drivers).
    WsConnection* connection(quint32 id) const { return findConnection(id); }
    // The client endpoint of ours with this id while it connects or is open; null otherwise.
    ClientEndpoint* client(quint32 id) const { return m_clients.value(id); }

Q_SIGNALS:
    void serverStarted(const QUrl& url);
    void serverStartFailed(const QString& reason);
    void serverStopped();
    void serverClientOpened(const wsi::ServerClient& client);
    void proxyStarted(const QUrl& url);
    void proxyStartFailed(const QString& reason);
    void proxyStopped();
    void proxyClientOpened(const wsi::ServerClient& client);
    void connectionStateChanged(quint32 id, wsi::ConnectionRole role, wsi::ConnectionState state);
    void clientReconnecting(quint32 previous, quint32 next, int attempt, int maxAttempts, int delayMs);
    void clientGaveUp(quint32 connection, int attempts);
    // shutdown() began: objects adopted by the engine (CaptureSession::adoptOnCaptureThread) close what they
    // opened now, while the closing handshakes can still complete.
    void shuttingDown();

private:
    // A client connection waiting for its next reconnection attempt, under the id that attempt will use.
    struct PendingReconnect
    {
        quint32 previous = 0; // the connection whose end this follows
        ClientOptions options;
        int attempt = 0;
        QTimer* timer = nullptr;
    };
    void startClient(quint32 id, const ClientOptions& options, int attempt);
    void onClientFinished(quint32 id, const ClientOptions& options, int attempt);
    void cancelReconnects();
    void cancelReconnect(quint32 waitingId);
    WsConnection* findConnection(quint32 id) const;
    ProxyConnection* findProxyConnection(quint32 id) const;
    void notOpen(quint32 id, const char* what);

    Recorder* m_recorder;
    ServerEndpoint* m_server = nullptr;
    ProxyEndpoint* m_proxy = nullptr;
    QHash<quint32, ClientEndpoint*> m_clients;
    QHash<quint32, PendingReconnect> m_reconnects;
    bool m_shuttingDown = false;
    std::shared_ptr<std::atomic<qint64>> m_unsent;
};

} // namespace wsi
