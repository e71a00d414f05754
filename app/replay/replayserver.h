#pragma once

#include "replayplan.h"

#include <QObject>
#include <QPointer>
#include <QUrl>

namespace wsi {

class CaptureSession;
class ReplayServerDriver;

struct ReplayServerOptions
{
    // Where to listen and the limits (host, port (0: any free one), TLS, maximum message size, connection count).
    // Its behaviour is not used: the recording answers, and the recorded subprotocol is chosen when a client
    // offers it.
    ServerOptions server;
    double speed = 1.0; // the recorded delays scaled: 2 is twice as fast; 0 is as fast as possible
    // Schedule mode (false): the s2c messages are sent at their recorded offsets from the connection's open.
    // Answer mode (true): the s2c messages recorded before the first c2s one are sent at the open, and the k-th
    // client message triggers those that followed the k-th recorded c2s message, each at its recorded delay
    // after that c2s message (scaled).
    bool answer = false;
    // Schedule mode: start over after the last message, the first one again its offset after the last. Answer
    // mode: the client message after the last recorded one is answered as the first was. Without loop, the
    // connection stays open after the last message (the mock never closes on its own unless the recorded
    // server closed first, which it then does at the recorded moment).
    bool loop = false;
};

/*
 * A mock server made of a recording: a local WebSocket server in the capture that plays the recorded s2c
 * messages of one connection to each client that connects, on the recorded schedule or in answer to the
 * client's messages, so that a frontend can run against yesterday's backend traffic with no backend. Every
 * connection lands in the capture like the test server's. The listener and its timers live on the capture
 * thread (a driver reached by queued calls); this object lives on the caller's thread and its signals are
 * delivered there.
 */
class ReplayServer : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReplayServer)

public:
    explicit ReplayServer(CaptureSession* session, QObject* parent = nullptr);
    // Stops the server (its connections are closed with 1001).
    ~ReplayServer() override;

    // Starts listening; started() or startFailed() follows. False, with the reason in *error, when it runs
    // already, the plan has no server messages, or the capture has ended.
    bool start(const ReplayPlan& plan, const ReplayServerOptions& options, QString* error = nullptr);
    // Closes every connection (1001) and stops listening; stopped() follows.
    void stop();

    bool isRunning() const { return m_url.isValid(); }
    QUrl url() const { return m_url; }
    const ReplayPlan& plan() const { return m_plan; }

Q_SIGNALS:
    void started(const QUrl& url);
    void startFailed(const QString& reason);
    void stopped();
    void clientOpened(quint32 connection, const QString& peer);
    // The index-th s2c message of the plan (0-based) went to the client (cycle counts loops, from 0).
    void messageSent(quint32 connection, int index, int cycle);
    // The client sent its index-th message (0-based) on this connection.
    void messageReceived(quint32 connection, int index, const wsi::ReplayMessage& message);
    void clientClosed(quint32 connection);

private:
    QPointer<CaptureSession> m_session;
    ReplayServerDriver* m_driver = nullptr; // lives on the capture thread, a child of the engine
    ReplayPlan m_plan;
    QUrl m_url;
};

} // namespace wsi
