#pragma once

#include "../core/connection.h"
#include "../core/event.h"
#include "../wire/httphead.h"
#include "endpointoptions.h"

#include <QAbstractSocket>
#include <QList>
#include <QObject>
#include <QUrl>

#include <memory>

class QTcpSocket;
class QTimer;

namespace wsi {

class Recorder;
class WireDecoder;

/*
 * One connection through the recording proxy, from the client's complete upgrade request on: opens the
 * upstream (TCP, or TLS for wss:// with the certificate verified unless told otherwise), sends it the
 * rewritten request, relays the upstream's answer back as it came and, after a 101, the bytes of both
 * directions unchanged. A WireDecoder per direction reads a copy of what is relayed and records every frame;
 * the proxy never holds bytes back for it. A side that does not read what it is sent slows the other side
 * down (its reads pause) instead of letting buffers grow. Lives on the capture thread; takes ownership of the
 * client socket.
 */
class ProxyConnection : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProxyConnection)

public:
    // id: the connection as registered with the recorder; requestHead: the client's request head as it came
    // (parsed: request); rest: what the client sent after it (its first frames, relayed once the upstream
    // accepted).
    ProxyConnection(quint32 id, QTcpSocket* client, const QByteArray& requestHead, const HttpHead& request,
        const QByteArray& rest, const QUrl& upstreamUrl, const ProxyOptions& options, Recorder* recorder,
        QObject* parent = nullptr);
    ~ProxyConnection() override;

    // Records the client's request and connects to the upstream; the rest happens as the sockets report.
    void start();
    quint32 id() const { return m_id; }
    ConnectionState state() const { return m_state; }
    bool isFinished() const { return m_state == ConnectionState::Closed; }
    // Ends the connection as the proxy stops: a close frame with this code to each side whose stream allows
    // one (the other side's frames carried no close yet, and their framing was followed): at once when that
    // stream is between two messages, otherwise as soon as its message is over, the message still relayed.
    // Both TCP connections end when both closes were answered, or after a short grace. Before the upstream
    // answered, the client gets a 503 instead.
    void close(quint16 code, const QByteArray& reason);
    // Drops both TCP connections at once.
    void abort();

Q_SIGNALS:
    void opened(const wsi::ServerClient& client);
    void stateChanged(quint32 id, wsi::ConnectionState state);
    // Both TCP connections are gone and `closed` is recorded; the owner may delete the object then.
    void finished(quint32 id);

private:
    enum class Phase : quint8 {
        Connecting, // to the upstream
        Requested, // the request went upstream, its answer is awaited
        Refused, // the upstream answered with something else than 101: its body is relayed, then both close
        Relaying,
        Ending, // one side ended or we stopped: the other is shut down
        Done,
    };
    struct Side;

    void onUpstreamConnected();
    void onUpstreamError(QAbstractSocket::SocketError error);
    void onUpstreamAnswer();
    void acceptUpgrade(const HttpHead& response, const QByteArray& rest);
    void relayRefusal();
    // Reads and drops what the client sent: its input goes nowhere once the upgrade failed.
    void drainClient();
    // Answers the client ourselves (the upstream could not be reached) and ends the connection.
    void failUpstream(int status, const QByteArray& why);

    void readSide(Side& from);
    void relay(Side& from, const QByteArray& bytes);
    // Records m_decoded with the time of the read that made it.
    void recordDecoded(qint64 us, qint64 ns);
    // The side's stream is over (its TCP connection ended or was dropped): its decoder emits a message it
    // cut off. Once per side, before `closed` is recorded.
    void endStream(Side& side);
    // Whether bytes may still be written to a side: connected, not shutting down, no close frame of ours sent.
    bool accepts(const Side& to) const;
    void onSideDisconnected(Side& side);
    void onBytesWritten(Side& side);
    void injectClose(Side& to, quint16 code, const QByteArray& reason);
    // Ends a side's TCP connection after what is queued for it was written (dropped if that takes too long).
    void shutDownSide(Side& side, int timeoutMs);
    // Drops a side's TCP connection at once.
    void dropSide(Side& side);
    void finishIfBothGone();
    void finish();

    void record(EventKind kind, const QByteArray& payload, const QByteArray& note = {}, quint16 closeCode = 0);
    void setState(ConnectionState s);
    Side& other(const Side& side);

    quint32 m_id;
    ProxyOptions m_options;
    Recorder* m_recorder;
    QByteArray m_requestHead;
    HttpHead m_request;
    QByteArray m_upstreamRequest; // as sent upstream
    QUrl m_upstreamUrl;
    std::unique_ptr<Side> m_client;
    std::unique_ptr<Side> m_upstream;
    QTimer* m_timer; // the upstream's answer, then the grace of an ending connection
    QByteArray m_answer; // the upstream's answer being read
    qint64 m_refusalBodyLeft = 0; // body bytes of a non-101 answer still relayed
    Phase m_phase = Phase::Connecting;
    ConnectionState m_state = ConnectionState::Connecting;
    bool m_decode = true; // false after an extension answer the decoders cannot follow: nothing recorded of frames
    bool m_stopping = false; // close() was called: our close frames went (or wait to go) to the sides
    quint16 m_stopCode = 0; // the close frame close() sends, kept for a side it has to wait for
    QByteArray m_stopReason;
    bool m_closedRecorded = false;
    quint16 m_closeCode = 0; // the first close frame's code seen (or sent by us); 0: none
    QByteArray m_closeWhy;
    QList<Event> m_decoded; // what the decoder made of the bytes being relayed; kept for its storage
};

} // namespace wsi
