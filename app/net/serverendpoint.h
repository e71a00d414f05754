#pragma once

#include "../core/connection.h"
#include "endpointoptions.h"

#include <QHash>
#include <QObject>
#include <QUrl>

class QTcpServer;
class QTcpSocket;

namespace wsi {

class Recorder;
class WsConnection;

/*
 * The one-click test server: a TCP listener that reads each upgrade request itself (so the timeline shows
 * the request exactly as the client sent it and the answer exactly as we sent it), answers bad requests
 * with a clear HTTP error, and hands upgraded sockets to a WsConnection. In echo mode every message goes back
 * to its sender as the same kind. Lives on the capture thread.
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

    WsConnection* connection(quint32 id) const { return m_connections.value(id); }
    QList<WsConnection*> connections() const { return m_connections.values(); }

Q_SIGNALS:
    void connectionStateChanged(quint32 id, wsi::ConnectionRole role, wsi::ConnectionState state);

private:
    struct Pending;
    void onNewConnection();
    void onPendingData(QTcpSocket* socket);
    void reject(QTcpSocket* socket, quint32 id, int status, const QByteArray& why);
    void dropPending(QTcpSocket* socket);
    quint32 registerConnection(QTcpSocket* socket, const QByteArray& target, const QString& subprotocol = {});

    ServerOptions m_options;
    Recorder* m_recorder;
    QTcpServer* m_server;
    QUrl m_url;
    QHash<QTcpSocket*, Pending*> m_pending;
    QHash<quint32, WsConnection*> m_connections;
};

} // namespace wsi
