#pragma once

#include "../core/connection.h"
#include "../core/event.h"
#include "endpointoptions.h"

#include <QAbstractSocket>
#include <QElapsedTimer>
#include <QObject>

#include <atomic>
#include <memory>

class QTcpSocket;
class QTimer;

namespace wsi {

class Recorder;
class WsConnection;

/*
 * One client connection of ours: opens TCP (TLS for wss://), sends the upgrade request it built itself,
 * checks the server's answer, records both exactly as they crossed the wire, then hands the socket to a
 * WsConnection. Every failure is recorded as an error in words a user understands (host not found, refused,
 * TLS certificate problem, handshake rejected with the status). Lives on the capture thread.
 */
class ClientEndpoint : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ClientEndpoint)

public:
    ClientEndpoint(quint32 id, const ClientOptions& options, Recorder* recorder, QObject* parent = nullptr);
    ~ClientEndpoint() override;

    void start();
    quint32 id() const { return m_id; }
    ConnectionState state() const { return m_state; }
    // The open connection after a successful handshake, null before (and after a failed one).
    WsConnection* connection() const { return m_connection; }
    // Closes an open connection, or gives up a handshake in progress.
    void close(quint16 code, const QByteArray& reason);
    // True once close() was asked for: the end was the user's wish, not a reason to reconnect.
    bool closedByUser() const { return m_closedByUser; }
    // Why the connection could not be opened (or the attempt ended), as recorded; empty while it has not failed.
    QByteArray failure() const { return m_failure; }
    // True when the handshake succeeded at some point.
    bool wasOpened() const { return m_wasOpened; }
    // How long the connection was open, in ms (0 when it never opened, up to now while open).
    qint64 openMs() const;
    void setUnsentCounter(std::shared_ptr<std::atomic<qint64>> counter) { m_unsentCounter = std::move(counter); }

Q_SIGNALS:
    void stateChanged(quint32 id, wsi::ConnectionState state);
    void finished(quint32 id);

private:
    void onConnected();
    void onReadyRead();
    void onSocketError(QAbstractSocket::SocketError error);
    void fail(const QByteArray& why);
    void setState(ConnectionState s);
    void record(EventKind kind, const QByteArray& payload, const QByteArray& note = {});

    quint32 m_id;
    ClientOptions m_options;
    Recorder* m_recorder;
    QTcpSocket* m_socket = nullptr;
    QTimer* m_timer;
    QByteArray m_key;
    QByteArray m_buffer;
    bool m_requestSent = false;
    bool m_done = false;
    ConnectionState m_state = ConnectionState::Connecting;
    WsConnection* m_connection = nullptr;
    QTimer* m_keepAlive = nullptr;
    quint64 m_keepAliveCount = 0;
    int m_keepAliveUnanswered = 0; // keep-alive pings sent since the last pong
    QElapsedTimer m_openSince;
    qint64 m_openMs = -1; // set when it ends
    std::shared_ptr<std::atomic<qint64>> m_unsentCounter;
    bool m_closedByUser = false;
    bool m_wasOpened = false;
    QByteArray m_failure;
};

} // namespace wsi
