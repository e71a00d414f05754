#pragma once

#include "replayclock.h"
#include "replayplan.h"
#include "replayserver.h"

#include <QHash>
#include <QObject>

#include <memory>

class QTimer;

namespace wsi {

class CaptureEngine;
class Recorder;
class ServerEndpoint;
class WsConnection;
struct ServerClient;

/*
 * The capture-thread half of a ReplayServer: owns a ServerEndpoint (silent: it answers nothing by itself)
 * and, for each client that connects, plays the plan's s2c messages on that connection, on the schedule or
 * in answer mode. Made by ReplayServer, adopted by the engine; calls come queued from ReplayServer and every
 * signal goes back queued. Stops when the engine shuts down.
 */
class ReplayServerDriver : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReplayServerDriver)

public:
    ReplayServerDriver(std::shared_ptr<const ReplayPlan> plan, const ReplayServerOptions& options, Recorder* recorder);
    ~ReplayServerDriver() override;

    // On the capture thread: starts listening (started or startFailed follows).
    void attach(CaptureEngine* engine);
    void stop();

Q_SIGNALS:
    void started(const QUrl& url);
    void startFailed(const QString& reason);
    void stopped();
    void clientOpened(quint32 connection, const QString& peer);
    void messageSent(quint32 connection, int index, int cycle);
    void messageReceived(quint32 connection, int index, const wsi::ReplayMessage& message);
    void clientClosed(quint32 connection);

private:
    // One connected client and where its playback stands.
    struct Playback
    {
        WsConnection* connection = nullptr;
        QTimer* timer = nullptr; // child of the connection
        ReplayClock clock;
        qint64 openNs = 0;
        int next = 0; // index into m_toSend
        int cycle = 0;
        qint64 cycleBaseUs = 0; // schedule mode, looping: recording time at which this cycle began
        int clientMessages = 0;
        // Answer mode: the messages triggered so far, in order, each with the time it is due.
        QList<QPair<int, qint64>> queue; // (index into m_toSend, monotonic ns due)
        bool closeDone = false;
        bool toldUnanswered = false;
    };

    void onClientOpened(const ServerClient& client);
    void onClientMessage(quint32 id, bool text, const QByteArray& payload);
    void onConnectionFinished(quint32 id);
    void advance(quint32 id);
    void advanceSchedule(quint32 id, Playback& p);
    void advanceAnswers(quint32 id, Playback& p);
    void send(quint32 id, Playback& p, int index);
    void note(quint32 id, const QByteArray& text);

    std::shared_ptr<const ReplayPlan> m_plan;
    QList<ReplayMessage> m_toSend; // the s2c messages
    // Answer mode: for each recorded c2s message k (and -1 for "before the first", at 0), the range of
    // m_toSend that followed it.
    QList<int> m_firstAfterC2s; // m_firstAfterC2s[k + 1] = first s2c index with c2sBefore > k
    QList<qint64> m_c2sOffsetsUs;
    ReplayServerOptions m_options;
    Recorder* m_recorder;
    CaptureEngine* m_engine = nullptr;
    ServerEndpoint* m_server = nullptr;
    QHash<quint32, Playback> m_playbacks;
    bool m_stopped = false;
};

} // namespace wsi
