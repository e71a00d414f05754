#pragma once

#include "replayplan.h"

#include <QList>
#include <QObject>
#include <QPointer>

namespace wsi {

class CaptureSession;
class ReplayClientDriver;

struct ReplayClientOptions
{
    // The connection: ReplayPlan::clientOptions() gives the recorded URL, headers, origin and subprotocols;
    // change the URL or any of them before starting.
    ClientOptions connection;
    double speed = 1.0; // recorded timing scaled: 2 is twice as fast; 0 is as fast as possible
    // Instead of keeping time: before each send, wait until as many server messages have arrived as the
    // recording had at that point. A wait longer than replyTimeoutMs is reported (waitTimedOut) and the
    // replay goes on: a server that answers differently is what a comparison is there to show.
    bool paced = false;
    // The longest wait for replies: before a paced send, and after the last send for the replies still
    // expected (in either mode) before the replay closes the connection.
    int replyTimeoutMs = 10000;
    bool startPaused = false; // connect, then wait for resume() or step()
    // Once the recorded number of replies has arrived, the replay listens on for messages the recording did not
    // have (they show as extra in a comparison) until the server is quiet for a while: false (the default) for
    // the recorded gap from the last client message to the close, scaled by the speed, at least MinQuietMs and
    // at most replyTimeoutMs; true for the whole replyTimeoutMs (a strict check: `replay --expect`).
    bool strictQuiet = false;
    static constexpr int MinQuietMs = 200;
};

/*
 * Replays the client side of a recorded connection against a server: opens a new connection in the capture
 * (so it shows in the timeline and the record file like any other, under a new id) with the recorded
 * handshake, sends the recorded c2s messages on the recorded schedule scaled by a speed, or paced by the
 * server's replies, and keeps what the server sent for a comparison with the recording. Play, pause,
 * resume, step and stop; progress comes as signals. The sockets and the send timers live on the capture
 * thread (a driver reached by queued calls); this object lives on the caller's thread (the GUI's, or main's
 * in the headless command) and every signal is delivered there. One replay per object at a time.
 */
class ReplayClient : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReplayClient)

public:
    enum class State : quint8 {
        Idle, // not started yet
        Connecting,
        Playing,
        Paused,
        Finishing, // every message sent: waiting for the last replies, then closing
        Finished,
    };
    Q_ENUM(State)

    explicit ReplayClient(CaptureSession* session, QObject* parent = nullptr);
    // Stops a replay still running (its connection is closed).
    ~ReplayClient() override;

    // Opens the connection and starts sending (or waits, with startPaused). False, with the reason in *error,
    // when a replay is running already, the plan has nothing to send, or the capture has ended. A finished
    // replay may be started again (a new connection).
    bool start(const ReplayPlan& plan, const ReplayClientOptions& options, QString* error = nullptr);
    void pause();
    // Goes on from where it paused; the schedule continues from the position it had.
    void resume();
    // Sends the next message now and stays paused (pauses first when playing).
    void step();
    // Closes the connection (1000) without sending the rest; finished(false, "stopped ...") follows.
    void stop();

    State state() const { return m_state; }
    const ReplayPlan& plan() const { return m_plan; }
    quint32 connection() const { return m_connection; } // 0 before start
    int sentCount() const { return m_sent; }
    int totalCount() const { return m_total; } // c2s messages of the plan
    int receivedCount() const { return int(m_received.size()); }
    // The s2c messages received so far, in order, offsets from our connection's open: compare them with
    // plan().messagesFrom(Direction::S2C) (ReplayCompare).
    const QList<ReplayMessage>& received() const { return m_received; }

Q_SIGNALS:
    void stateChanged(wsi::ReplayClient::State state);
    // The handshake succeeded: messages go out from now on.
    void opened(quint32 connection);
    // The index-th c2s message (0-based) was handed to the socket, lateUs after it was due (timed mode; 0 paced).
    void messageSent(int index, qint64 lateUs);
    // The index-th s2c message (0-based) arrived.
    void messageReceived(int index, const wsi::ReplayMessage& message);
    void progress(int sent, int total, int received);
    // Paced: the wait before message `index` ended after replyTimeoutMs with received of expected replies; it
    // was sent anyway.
    void waitTimedOut(int index, int expected, int received);
    // The replay is over: ok when every message was sent and the connection then closed normally. reason says
    // how it ended ("5 messages sent, 7 received", "connection refused by ...", "the server closed the
    // connection after 2 of 5 messages: 1011 ...", "stopped after 2 of 5 messages").
    void finished(bool ok, const QString& reason);

private:
    void setState(State s);
    void onDriverState(State s);
    void onSent(int index, qint64 lateUs);
    void onReceived(const wsi::ReplayMessage& message);
    void onFinished(bool ok, const QString& reason);
    void post(void (ReplayClientDriver::*method)());

    QPointer<CaptureSession> m_session;
    ReplayClientDriver* m_driver = nullptr; // lives on the capture thread, a child of the engine
    ReplayPlan m_plan;
    State m_state = State::Idle;
    quint32 m_connection = 0;
    int m_sent = 0;
    int m_total = 0;
    QList<ReplayMessage> m_received;
};

} // namespace wsi
