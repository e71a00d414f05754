#pragma once

#include "../core/connection.h"
#include "../core/event.h"
#include "../wire/frame.h"

#include <QHash>
#include <QObject>

#include <atomic>
#include <memory>

class QTcpSocket;
class QTimer;

namespace wsi {

class Recorder;

/*
 * One open WebSocket connection after its handshake, either side of it (our client, or a client of our test
 * server): frames in and out over a TCP socket, every frame recorded. It enforces RFC 6455 on the peer
 * (masking by role, no RSV bits without an extension, fragmentation order, UTF-8 in text and close reasons,
 * the message size limit) and on a violation records an error, closes with the matching code and keeps the
 * rest of the application running. It answers pings and the closing handshake itself. Lives on the capture
 * thread; takes ownership of the socket.
 */
class WsConnection : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WsConnection)

public:
    WsConnection(quint32 id, ConnectionRole role, QTcpSocket* socket, const QByteArray& pending, Recorder* recorder,
        qint64 maxMessageBytes, QObject* parent = nullptr);
    ~WsConnection() override;

    quint32 id() const { return m_id; }
    ConnectionRole role() const { return m_role; }
    ConnectionState state() const { return m_state; }
    // True while so much is queued for the peer that more would only pile up in memory (it does not read).
    bool isCongested() const;
    // A counter shared by all connections of a capture, kept at the bytes written to sockets but not yet sent
    // (what a fast producer such as the composer's repeat must wait for).
    void setUnsentCounter(std::shared_ptr<std::atomic<qint64>> counter) { m_unsentCounter = std::move(counter); }

    // The peer's close frame, once one arrived: its code (1005 when it carried none) and reason, and whether
    // the peer closed first (rather than answering our close).
    bool closeReceived() const { return m_closeReceived; }
    quint16 receivedCloseCode() const { return m_receivedCloseCode; }
    QByteArray receivedCloseReason() const { return m_receivedCloseReason; }
    bool peerClosedFirst() const { return m_peerClosedFirst; }

    void sendText(const QByteArray& utf8);
    void sendBinary(const QByteArray& data);
    void ping(const QByteArray& payload);
    // Starts the closing handshake; the TCP connection ends when the peer answers (or after a timeout).
    void close(quint16 code, const QByteArray& reason);
    // Drops the TCP connection without a closing handshake.
    void abort();

Q_SIGNALS:
    void messageReceived(quint32 id, bool text, const QByteArray& payload);
    void stateChanged(quint32 id, wsi::ConnectionState state);
    // A pong arrived (answering any ping).
    void pongReceived(quint32 id);
    // Emitted once when the TCP connection is gone; the owner may delete the object then.
    void finished(quint32 id);

private:
    void processIncoming();
    void handleFrame(Frame& frame);
    void handleClose(const Frame& frame);
    void failConnection(quint16 code, const QByteArray& why);
    void sendFrame(Opcode opcode, const QByteArray& payload, EventKind kind);
    void sendClose(quint16 code, const QByteArray& reason);
    void record(Direction dir, EventKind kind, QByteArray payload, quint8 flags, qint64 size = -1,
        quint16 closeCode = 0, QByteArray note = {});
    void onDisconnected();
    void onCloseTimeout();
    void setState(ConnectionState s);

    quint32 m_id;
    ConnectionRole m_role;
    QTcpSocket* m_socket;
    Recorder* m_recorder;
    qint64 m_maxMessageBytes;
    Direction m_inbound;
    Direction m_outbound;
    ConnectionState m_state = ConnectionState::Open;
    FrameParser m_parser;

    // The message being reassembled from fragments.
    QByteArray m_message;
    Opcode m_messageOpcode = Opcode::Continuation;
    bool m_messageMasked = false;
    int m_messageFrames = 0;

    bool m_closeSent = false;
    bool m_closeReceived = false;
    quint16 m_receivedCloseCode = 0;
    QByteArray m_receivedCloseReason;
    bool m_peerClosedFirst = false;
    bool m_failed = false; // we failed the connection: only the peer's close frame is still read
    bool m_inputStopped = false; // nothing more is read (after the peer's close, or an unparsable stream)
    bool m_finished = false;
    bool m_disconnecting = false; // the close timeout passed once: TCP is being shut down
    bool m_readPaused = false; // too much unsent data: input waits until the peer takes some
    QTimer* m_closeTimer;
    QHash<QByteArray, qint64> m_pingsInFlight; // payload -> monotonic ns when sent
    std::shared_ptr<std::atomic<qint64>> m_unsentCounter;
    qint64 m_unsent = 0; // what this connection added to m_unsentCounter and has not taken back
    void countWritten(qint64 bytes);
};

} // namespace wsi
