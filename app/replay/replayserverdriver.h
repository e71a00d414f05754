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
    // Closes every connection (1001) and stops listening.
    void stop();
    // stop(), then deletes itself once the closing handshakes are over (so that their ends are recorded).
    void stopAndDelete();

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
        // Answer mode: the messages triggered so far, in order, each with the time it is due; index -1 is the
        // recorded server's close.
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
    void closeAsRecorded(quint32 id, Playback& p);
    void trigger(Playback& p, int group, qint64 nowNs);
    qint64 scaledNs(qint64 us) const;
    bool hasLiveConnections() const;
    void note(quint32 id, const QByteArray& text);

    std::shared_ptr<const ReplayPlan> m_plan;
    QList<ReplayMessage> m_toSend; // the s2c messages
    // Answer mode: m_groups[k] are the s2c messages (indexes into m_toSend) that followed the k-th recorded c2s
    // message and came before the next one; m_groups[0] those before the first, sent at the open. Each group
    // starts from m_groupBaseUs[k], the offset of the c2s message that triggers it (0 for group 0).
    QList<QList<int>> m_groups;
    QList<qint64> m_groupBaseUs;
    int m_closeGroup = -1; // answer mode: the group after which the recorded server closed (-1: it did not)
    qint64 m_cycleUs = 0; // schedule mode, looping: how far apart the cycles start
    ReplayServerOptions m_options;
    Recorder* m_recorder;
    CaptureEngine* m_engine = nullptr;
    ServerEndpoint* m_server = nullptr;
    QHash<quint32, Playback> m_playbacks;
    bool m_stopped = false;
};

} // namespace wsi
