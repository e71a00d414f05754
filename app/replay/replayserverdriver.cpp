#include "replayserverdriver.h"

#include "../core/recorder.h"
#include "../net/captureengine.h"
#include "../net/serverendpoint.h"
#include "../net/wsconnection.h"
#include "replaysendloop.h"

#include <QTimer>

#include <algorithm>

namespace wsi {

namespace {
// Looping a recording whose messages all came at once would otherwise be a flood with no pause at all.
constexpr qint64 MinCycleUs = 1000;
} // namespace

ReplayServerDriver::ReplayServerDriver(
    std::shared_ptr<const ReplayPlan> plan, const ReplayServerOptions& options, Recorder* recorder)
    : m_plan(std::move(plan))
    , m_toSend(m_plan->messagesFrom(Direction::S2C))
    , m_options(options)
    , m_recorder(recorder)
{
    const QList<ReplayMessage> c2s = m_plan->messagesFrom(Direction::C2S);
    m_groups.resize(c2s.size() + 1);
    m_groupBaseUs.resize(c2s.size() + 1);
    for (qsizetype k = 0; k < c2s.size(); ++k)
        m_groupBaseUs[k + 1] = c2s[k].offsetUs;
    for (int i = 0; i < m_toSend.size(); ++i)
        m_groups[std::clamp<qsizetype>(m_toSend[i].c2sBefore, 0, c2s.size())].append(i);
    if (m_plan->close && m_plan->close->direction == Direction::S2C) {
        m_closeGroup = int(std::count_if(c2s.cbegin(), c2s.cend(),
            [this](const ReplayMessage& m) { return m.offsetUs <= m_plan->close->offsetUs; }));
    }
    const qint64 lastUs = m_toSend.isEmpty() ? 0 : m_toSend.last().offsetUs;
    m_cycleUs = std::max(lastUs, MinCycleUs);
}

ReplayServerDriver::~ReplayServerDriver() = default;

qint64 ReplayServerDriver::scaledNs(qint64 us) const
{
    return ReplayClock::scaledNs(us, m_options.speed);
}

void ReplayServerDriver::attach(CaptureEngine* engine)
{
    m_engine = engine;
    connect(engine, &CaptureEngine::shuttingDown, this, &ReplayServerDriver::stop);
    ServerOptions options = m_options.server;
    options.behaviour = ServerBehaviour {};
    options.behaviour.mode = ServerMode::Silent; // the recording answers, nothing else
    options.subprotocols.clear();
    if (!m_plan->subprotocol.isEmpty())
        options.subprotocols.append(m_plan->subprotocol);
    auto* server = new ServerEndpoint(options, m_recorder, this);
    QString error;
    if (!server->listen(&error)) {
        delete server;
        m_stopped = true;
        Q_EMIT startFailed(error);
        return;
    }
    m_server = server;
    connect(server, &ServerEndpoint::clientOpened, this, &ReplayServerDriver::onClientOpened);
    // Told to the engine's listeners too, so that the capture knows the states of these connections as it knows
    // the test server's.
    connect(server, &ServerEndpoint::connectionStateChanged, engine, &CaptureEngine::connectionStateChanged);
    Q_EMIT started(server->url());
}

void ReplayServerDriver::onClientOpened(const ServerClient& client)
{
    WsConnection* c = m_server ? m_server->connection(client.id) : nullptr;
    if (!c || m_stopped)
        return;
    const quint32 id = client.id;
    Playback p;
    p.connection = c;
    p.timer = new QTimer(c);
    p.timer->setSingleShot(true);
    p.timer->setTimerType(Qt::PreciseTimer);
    connect(p.timer, &QTimer::timeout, this, [this, id] { advance(id); });
    connect(c, &WsConnection::messageReceived, this,
        [this](quint32 cid, bool text, const QByteArray& payload) { onClientMessage(cid, text, payload); });
    connect(c, &WsConnection::finished, this, &ReplayServerDriver::onConnectionFinished);
    p.openNs = monotonicNowNs();
    p.clock = ReplayClock(m_options.speed);
    p.clock.start(p.openNs);
    const QByteArray mode = m_options.answer ? QByteArray("answering each client message as recorded")
                                             : QByteArray("on the recorded schedule");
    note(id,
        "mock of recorded connection " + QByteArray::number(m_plan->connection) + ": "
            + QByteArray::number(m_toSend.size()) + " server messages, " + mode + (m_options.loop ? ", looping" : ""));
    if (m_options.answer)
        trigger(p, 0, p.openNs);
    m_playbacks.insert(id, p);
    Q_EMIT clientOpened(id, client.peer);
    advance(id);
}

void ReplayServerDriver::trigger(Playback& p, int group, qint64 nowNs)
{
    const qint64 baseUs = m_groupBaseUs[group];
    for (int index : std::as_const(m_groups[group]))
        p.queue.append({ index, nowNs + scaledNs(m_toSend[index].offsetUs - baseUs) });
    if (group == m_closeGroup && !m_options.loop)
        p.queue.append({ -1, nowNs + scaledNs(m_plan->close->offsetUs - baseUs) });
}

void ReplayServerDriver::onClientMessage(quint32 id, bool text, const QByteArray& payload)
{
    const auto it = m_playbacks.find(id);
    if (it == m_playbacks.end())
        return;
    Playback& p = *it;
    const qint64 now = monotonicNowNs();
    const int k = p.clientMessages++;
    ReplayMessage m;
    m.direction = Direction::C2S;
    m.text = text;
    m.payload = payload;
    m.offsetUs = (now - p.openNs) / 1000;
    m.c2sBefore = k;
    Q_EMIT messageReceived(id, k, m);
    if (!m_options.answer || m_stopped)
        return;
    const int recordedC2s = int(m_groups.size()) - 1;
    int group = k + 1;
    if (group > recordedC2s) {
        if (m_options.loop && recordedC2s > 0) {
            group = k % recordedC2s + 1;
            p.cycle = k / recordedC2s;
        } else {
            if (!p.toldUnanswered) {
                p.toldUnanswered = true;
                // Looping answers again only what the recording answered: with no client message in it, nothing.
                note(id,
                    "client message " + QByteArray::number(k + 1) + " has no recorded answer: the recording has "
                        + QByteArray::number(recordedC2s) + " client messages"
                        + (m_options.loop ? QByteArray() : QByteArray(" (--loop answers them again)")));
            }
            return;
        }
    }
    trigger(p, group, now);
    advance(id);
}

void ReplayServerDriver::advance(quint32 id)
{
    const auto it = m_playbacks.find(id);
    if (it == m_playbacks.end() || m_stopped)
        return;
    Playback& p = *it;
    if (p.connection->state() != ConnectionState::Open)
        return;
    p.timer->stop();
    if (m_options.answer)
        advanceAnswers(id, p);
    else
        advanceSchedule(id, p);
}

void ReplayServerDriver::advanceSchedule(quint32 id, Playback& p)
{
    const int total = int(m_toSend.size());
    auto nsUntilNext = [&]() -> std::optional<qint64> {
        if (p.next >= total) {
            if (!m_options.loop || total == 0)
                return std::nullopt;
            p.next = 0;
            ++p.cycle;
            p.cycleBaseUs += m_cycleUs;
        }
        return p.clock.nsUntil(p.cycleBaseUs + m_toSend[p.next].offsetUs, monotonicNowNs());
    };
    if (ReplaySendLoop::run(p.timer, p.connection, nsUntilNext, [&] { send(id, p, p.next++); })
        == ReplaySendLoop::Outcome::Waiting)
        return;
    // Everything played once: close as the recorded server did, when it closed first.
    if (m_closeGroup >= 0 && !p.closeDone) {
        const qint64 untilNs = p.clock.nsUntil(m_plan->close->offsetUs, monotonicNowNs());
        if (untilNs > 0) {
            p.timer->start(ReplayClock::timerMs(untilNs));
            return;
        }
        closeAsRecorded(id, p);
    }
}

void ReplayServerDriver::advanceAnswers(quint32 id, Playback& p)
{
    // In recorded order: a later trigger's messages wait for the earlier ones. The recorded server's close (index
    // -1) ends the playback.
    auto nsUntilNext = [&]() -> std::optional<qint64> {
        if (p.queue.isEmpty() || p.closeDone)
            return std::nullopt;
        return p.queue.first().second - monotonicNowNs();
    };
    auto sendNext = [&] {
        const int index = p.queue.takeFirst().first;
        if (index < 0)
            closeAsRecorded(id, p);
        else
            send(id, p, index);
    };
    ReplaySendLoop::run(p.timer, p.connection, nsUntilNext, sendNext);
}

void ReplayServerDriver::send(quint32 id, Playback& p, int index)
{
    const ReplayMessage& m = m_toSend[index];
    if (m.text)
        p.connection->sendText(m.payload);
    else
        p.connection->sendBinary(m.payload);
    Q_EMIT messageSent(id, index, p.cycle);
}

void ReplayServerDriver::closeAsRecorded(quint32, Playback& p)
{
    if (p.closeDone)
        return;
    p.closeDone = true;
    const ReplayClose& close = *m_plan->close;
    // A code a server may not send (1005: the frame had none) becomes a plain normal closure.
    const bool sendable = close.code != 0 && closeRequestProblem(close.code, QString::fromUtf8(close.reason)).isEmpty();
    p.connection->close(sendable ? close.code : 1000, sendable ? close.reason : QByteArray());
}

void ReplayServerDriver::onConnectionFinished(quint32 id)
{
    if (m_playbacks.remove(id))
        Q_EMIT clientClosed(id);
}

void ReplayServerDriver::note(quint32 id, const QByteArray& text)
{
    m_recorder->record(makeEvent(id, Direction::None, EventKind::Note, text));
}

bool ReplayServerDriver::hasLiveConnections() const
{
    if (!m_server)
        return false;
    const QList<WsConnection*> connections = m_server->connections();
    return std::any_of(connections.cbegin(), connections.cend(),
        [](const WsConnection* c) { return c->state() != ConnectionState::Closed; });
}

void ReplayServerDriver::stop()
{
    if (m_stopped)
        return;
    m_stopped = true;
    for (Playback& p : m_playbacks)
        p.timer->stop();
    if (m_server)
        m_server->shutdown();
    Q_EMIT stopped();
}

void ReplayServerDriver::stopAndDelete()
{
    stop();
    if (!hasLiveConnections()) {
        deleteLater();
        return;
    }
    connect(m_server, &ServerEndpoint::connectionStateChanged, this, [this] {
        if (!hasLiveConnections())
            deleteLater();
    });
}

} // namespace wsi
