#pragma once

#include "../core/connection.h"
#include "../wire/httphead.h"
#include "endpointoptions.h"

#include <QHash>
#include <QObject>
#include <QUrl>

class QHostAddress;
class QTcpServer;
class QTcpSocket;

namespace wsi {

class ProxyConnection;
class Recorder;

/*
 * The recording proxy: a TCP listener that a frontend connects to instead of its backend. For each upgrade
 * request it opens the upstream (ws:// or wss://, TLS verified unless told otherwise) with the client's path and
 * query appended to the upstream URL's path and the client's own headers (Host rewritten, Origin kept or
 * rewritten), relays the upstream's answer back as it came, and from then on relays the bytes of both
 * directions unchanged while a WireDecoder per direction records every frame (compressed messages inflated).
 * Extensions and subprotocols stay the two ends' business: their headers pass through untouched.
 *
 * A plain HTTP request gets 426 Upgrade Required with a short explanation; an upstream that cannot be reached
 * gets the client a 502 (504 when it does not answer in time) that says why. When one side goes away without
 * a close the other's TCP connection is dropped (recorded as 1006); shutdown() sends both sides a close 1001
 * where the streams allow. Each proxied connection is one Connection with role Proxy. Lives on the capture
 * thread.
 */
class ProxyEndpoint : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProxyEndpoint)

public:
    ProxyEndpoint(const ProxyOptions& options, Recorder* recorder, QObject* parent = nullptr);
    ~ProxyEndpoint() override;

    // Starts listening; on failure returns false with a reason for the user.
    bool listen(QString* error);
    // ws://HOST:PORT/ where clients connect (the port chosen when options.port was 0).
    QUrl url() const { return m_url; }
    const ProxyOptions& options() const { return m_options; }
    // Stops listening and ends every proxied connection: a close 1001 to each side whose stream allows one,
    // then the TCP connections after a short grace.
    void shutdown();
    // Proxied connections not yet finished (handshakes in progress included).
    int activeConnections() const { return int(m_connections.size()); }

    // The request target sent upstream for a client's request target: the target's path appended to the
    // upstream's path (one slash between them), the upstream's query and the target's joined with '&'. The
    // client's bytes are kept exactly as they came (escapes, case, invalid UTF-8): a signed URL stays valid.
    static QByteArray upstreamTargetFor(const QUrl& upstream, const QByteArray& target);
    // The same as a URL, for the record and the user (QUrl normalises escapes: never sent anywhere).
    static QUrl upstreamUrlFor(const QUrl& upstream, const QByteArray& target);
    // The request sent upstream for a client's request: the same method, headers and order, the target made
    // by upstreamTargetFor() from the upstream URL (the proxy's, not joined with the client's target), Host
    // set to the upstream's host[:port], Origin replaced when options.origin is set.
    static HttpHead upstreamRequest(const HttpHead& clientRequest, const QUrl& upstream, const ProxyOptions& options);

Q_SIGNALS:
    // A client's connection through the proxy completed its handshake with the upstream.
    void clientOpened(const wsi::ServerClient& client);
    void connectionStateChanged(quint32 id, wsi::ConnectionRole role, wsi::ConnectionState state);

private:
    struct Pending;
    // Whether connecting to the upstream would reach this very listener (bound to that address and port).
    static bool reachesItself(const QHostAddress& bound, quint16 port, const QUrl& upstream);
    void onNewConnection();
    void onPendingData(QTcpSocket* socket);
    quint32 registerConnection(QTcpSocket* socket, const QByteArray& target);
    // Answers a client ourselves with an HTTP error (recorded when id is set) and closes its connection.
    void reject(QTcpSocket* socket, quint32 id, int status, const QByteArray& why);
    // Ends a plain HTTP exchange after our answer: the client's further bytes are read and dropped (closing
    // with unread input would reset the connection and destroy the answer), then the connection closes.
    void finishHttp(QTcpSocket* socket);
    void dropPending(QTcpSocket* socket);
    void onFinished(quint32 id);

    ProxyOptions m_options;
    Recorder* m_recorder;
    QTcpServer* m_server;
    QUrl m_url;
    QHash<QTcpSocket*, Pending*> m_pending; // upgrade requests still being read
    QHash<quint32, ProxyConnection*> m_connections;
    bool m_shuttingDown = false;
};

} // namespace wsi
