#pragma once

#include "replayclient.h"
#include "replayclock.h"
#include "replayplan.h"

#include <QObject>
#include <QPointer>

#include <memory>
#include <optional>

class QTimer;

namespace wsi {

class CaptureEngine;
class Recorder;
class WsConnection;

/*
 * The capture-thread half of a ReplayClient: follows its client connection in the engine, sends the plan's
 * c2s messages when they are due (ReplayClock) or when the replies they wait for have arrived, counts what
 * the server sends, and closes at the end. Made by ReplayClient, adopted by the engine (CaptureSession::
 * adoptOnCaptureThread); every call comes queued from ReplayClient, every signal goes back queued.
 */
class ReplayClientDriver : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReplayClientDriver)

public:
    ReplayClientDriver(std::shared_ptr<const ReplayPlan> plan, const ReplayClientOptions& options, quint32 connection,
        Recorder* recorder);
    ~ReplayClientDriver() override;

    // On the capture thread: opens the connection (its id was given by the Recorder) and follows it.
    void attach(CaptureEngine* engine);
    void pause();
    void resume();
    void step();
    void stop();

Q_SIGNALS:
    void stateChanged(wsi::ReplayClient::State state);
    void opened(quint32 connection);
    void sent(int index, qint64 lateUs);
    void received(const wsi::ReplayMessage& message);
    void waitTimedOut(int index, int expected, int received);
    void finished(bool ok, const QString& reason);

private:
    void onConnectionState(quint32 id, ConnectionState state);
    void onMessage(bool text, const QByteArray& payload);
    // Sends whatever is due now and arms the timer for the next one.
    void advance();
    void sendNext(qint64 lateUs);
    // How long to wait before the next send: nullopt when all are sent, 0 when it is due now.
    std::optional<qint64> nsUntilNext();
    void beginFinishing();
    void checkFinishing();
    void closeConnection();
    void onTimer();
    QString progressText() const;
    void setState(ReplayClient::State s);
    void note(const QByteArray& text);
    void finish(bool ok, const QString& reason);

    std::shared_ptr<const ReplayPlan> m_plan;
    QList<ReplayMessage> m_toSend; // the c2s messages
    int m_expectedReplies = 0; // the s2c messages of the recording
    ReplayClientOptions m_options;
    quint32 m_id;
    Recorder* m_recorder;
    CaptureEngine* m_engine = nullptr;
    QPointer<WsConnection> m_connection;
    ReplayClock m_clock;
    QTimer* m_timer; // the next send, or the end of a wait
    ReplayClient::State m_state = ReplayClient::State::Connecting;
    bool m_pauseRequested = false; // paused before the connection opened
    int m_next = 0; // index into m_toSend
    int m_received = 0;
    qint64 m_openNs = 0;
    qint64 m_waitSinceNs = -1; // paced: when the wait for the next send's replies began
    // Paced: replies the server did not send when a wait timed out. Later sends wait for the recorded count less
    // these, or one missing reply would make every later send wait out the whole timeout.
    int m_shortfall = 0;
    int m_pendingSteps = 0; // step() before the connection opened: sent once it is
    qint64 m_quietNs = 0; // finishing, every recorded reply in: how long the server must be quiet before we close
    qint64 m_repliesInNs = -1; // when the recorded count of replies was reached
    qint64 m_lastActivityNs = 0; // finishing: the last send or reply
    bool m_closing = false;
    bool m_stopped = false;
    bool m_finished = false;
    bool m_opened = false;
};

} // namespace wsi
