#include "replayclientdriver.h"

#include "../core/recorder.h"
#include "../net/captureengine.h"
#include "../net/clientendpoint.h"
#include "../net/wsconnection.h"
#include "replaysendloop.h"

#include <QTimer>

namespace wsi {

namespace {

bool isNormalClose(quint16 code)
{
    return code == 1000 || code == 1001 || code == 1005;
}

// After the recorded replies: the recorded quiet from the last client message to the end, scaled, bounded.
qint64 quietNs(const ReplayPlan& plan, const QList<ReplayMessage>& toSend, const ReplayClientOptions& options)
{
    const qint64 maxNs = qint64(options.replyTimeoutMs) * 1000000;
    if (options.strictQuiet)
        return maxNs;
    const qint64 endUs = plan.close ? plan.close->offsetUs : plan.durationUs;
    const qint64 gapUs = std::max<qint64>(0, endUs - (toSend.isEmpty() ? 0 : toSend.last().offsetUs));
    const qint64 scaled = ReplayClock::scaledNs(gapUs, options.paced ? 1.0 : options.speed);
    return std::min(maxNs, std::max(qint64(ReplayClientOptions::MinQuietMs) * 1000000, scaled));
}

} // namespace

ReplayClientDriver::ReplayClientDriver(
    std::shared_ptr<const ReplayPlan> plan, const ReplayClientOptions& options, quint32 connection, Recorder* recorder)
    : m_plan(std::move(plan))
    , m_toSend(m_plan->messagesFrom(Direction::C2S))
    , m_expectedReplies(m_plan->s2cCount())
    , m_options(options)
    , m_id(connection)
    , m_recorder(recorder)
    , m_clock(options.paced ? 0.0 : options.speed)
    , m_timer(new QTimer(this))
    , m_quietNs(quietNs(*m_plan, m_toSend, options))
{
    m_timer->setSingleShot(true);
    // A coarse timer may fire up to 5% early or late: at 1x over seconds, that is the error we are to avoid.
    m_timer->setTimerType(Qt::PreciseTimer);
    connect(m_timer, &QTimer::timeout, this, &ReplayClientDriver::onTimer);
    m_pauseRequested = options.startPaused;
}

ReplayClientDriver::~ReplayClientDriver() = default;

void ReplayClientDriver::attach(CaptureEngine* engine)
{
    m_engine = engine;
    connect(engine, &CaptureEngine::connectionStateChanged, this,
        [this](quint32 id, ConnectionRole, ConnectionState state) { onConnectionState(id, state); });
    connect(engine, &CaptureEngine::shuttingDown, this, [this] { finish(false, tr("the capture ended")); });
    const QByteArray pacing = m_options.paced ? QByteArray("paced by the server's replies")
        : m_clock.isAsFastAsPossible()        ? QByteArray("as fast as possible")
                                              : "at " + QByteArray::number(m_options.speed) + "x the recorded speed";
    note("replay of recorded connection " + QByteArray::number(m_plan->connection) + ": "
        + QByteArray::number(m_toSend.size()) + " messages to send, " + pacing);
    // Opened from here, after the driver listens: asked for separately, a fast handshake over loopback could be
    // over (and a first message in) before the driver came to listen.
    engine->openClient(m_id, m_options.connection);
}

void ReplayClientDriver::onConnectionState(quint32 id, ConnectionState state)
{
    if (id != m_id || m_finished)
        return;
    if (state == ConnectionState::Open && !m_opened) {
        m_opened = true;
        m_connection = m_engine->connection(id);
        if (m_connection)
            connect(m_connection, &WsConnection::messageReceived, this,
                [this](quint32, bool text, const QByteArray& payload) { onMessage(text, payload); });
        m_openNs = monotonicNowNs();
        m_clock.start(m_openNs);
        Q_EMIT opened(m_id);
        if (m_stopped) {
            closeConnection();
            return;
        }
        if (m_pauseRequested) {
            m_clock.pause(m_openNs);
            setState(ReplayClient::State::Paused);
            // Steps asked for while connecting go now, one message each, in order.
            for (; m_pendingSteps > 0 && !m_finished && !m_closing; --m_pendingSteps)
                step();
            m_pendingSteps = 0;
            return;
        }
        setState(ReplayClient::State::Playing);
        advance();
        return;
    }
    if (state != ConnectionState::Closed)
        return;
    m_timer->stop();
    const int total = int(m_toSend.size());
    if (!m_opened) {
        ClientEndpoint* client = m_engine ? m_engine->client(id) : nullptr;
        QString why = client && !client->failure().isEmpty() ? QString::fromUtf8(client->failure())
                                                             : tr("the connection could not be opened");
        finish(false, m_stopped ? tr("stopped before the connection opened") : why);
        return;
    }
    if (m_stopped) {
        finish(false, tr("stopped after %1").arg(progressText()));
        return;
    }
    WsConnection* c = m_connection;
    const bool serverClosed = c && c->closeReceived() && c->peerClosedFirst();
    if (m_next >= total && (m_closing || (serverClosed && isNormalClose(c->receivedCloseCode())))) {
        finish(true, progressText());
        return;
    }
    QString how;
    if (serverClosed)
        how = tr("the server closed the connection with %1")
                  .arg(eventPreview(EventKind::Close, c->receivedCloseCode(), c->receivedCloseReason()));
    else if (c && c->closeReceived())
        how = tr("the connection closed"); // we closed because of a protocol error
    else
        how = tr("the connection was lost without a closing handshake");
    finish(false, tr("%1 after %2").arg(how, progressText()));
}

QString ReplayClientDriver::progressText() const
{
    return tr("%1 of %2 messages sent, %3 received")
        .arg(QString::number(m_next), QString::number(m_toSend.size()), QString::number(m_received));
}

void ReplayClientDriver::onMessage(bool text, const QByteArray& payload)
{
    if (m_finished)
        return;
    const qint64 now = monotonicNowNs();
    ++m_received;
    ReplayMessage m;
    m.direction = Direction::S2C;
    m.text = text;
    m.payload = payload;
    m.offsetUs = (now - m_openNs) / 1000;
    m.c2sBefore = m_next;
    m.s2cBefore = m_received - 1;
    Q_EMIT received(m);
    m_lastActivityNs = now;
    if (m_state == ReplayClient::State::Finishing)
        checkFinishing();
    else if (m_state == ReplayClient::State::Playing && m_options.paced && m_waitSinceNs >= 0)
        advance();
}

void ReplayClientDriver::onTimer()
{
    if (m_state == ReplayClient::State::Playing)
        advance();
    else if (m_state == ReplayClient::State::Finishing)
        checkFinishing();
}

void ReplayClientDriver::advance()
{
    if (m_finished || m_closing || m_state != ReplayClient::State::Playing || !m_connection)
        return;
    auto send = [this] {
        const qint64 lateUs = m_options.paced ? 0 : m_clock.lateNs(m_toSend[m_next].offsetUs, monotonicNowNs()) / 1000;
        m_waitSinceNs = -1;
        sendNext(lateUs);
    };
    if (ReplaySendLoop::run(
            m_timer, m_connection, [this] { return nsUntilNext(); }, send)
        == ReplaySendLoop::Outcome::Done)
        beginFinishing();
}

std::optional<qint64> ReplayClientDriver::nsUntilNext()
{
    if (m_next >= m_toSend.size())
        return std::nullopt;
    const ReplayMessage& m = m_toSend[m_next];
    const qint64 now = monotonicNowNs();
    if (!m_options.paced)
        return m_clock.nsUntil(m.offsetUs, now);
    const int wanted = m.s2cBefore - m_shortfall;
    if (m_received >= wanted)
        return 0;
    if (m_waitSinceNs < 0)
        m_waitSinceNs = now;
    const qint64 leftNs = qint64(m_options.replyTimeoutMs) * 1000000 - (now - m_waitSinceNs);
    if (leftNs > 0)
        return leftNs;
    // The server said less than it did in the recording: say so, and go on (a comparison will show what
    // differs; stopping would hide everything after this point). What did not come is not waited for again.
    Q_EMIT waitTimedOut(m_next, m.s2cBefore, m_received);
    note("waited " + QByteArray::number(m_options.replyTimeoutMs) + " ms for " + QByteArray::number(m.s2cBefore)
        + " server messages before sending message " + QByteArray::number(m_next + 1) + ", "
        + QByteArray::number(m_received) + " arrived; sending it anyway");
    m_shortfall = m.s2cBefore - m_received;
    return 0;
}

void ReplayClientDriver::sendNext(qint64 lateUs)
{
    const ReplayMessage& m = m_toSend[m_next];
    if (m.text)
        m_connection->sendText(m.payload);
    else
        m_connection->sendBinary(m.payload);
    const int index = m_next++;
    m_lastActivityNs = monotonicNowNs();
    Q_EMIT sent(index, lateUs);
}

void ReplayClientDriver::pause()
{
    if (m_finished)
        return;
    if (!m_opened) {
        m_pauseRequested = true;
        return;
    }
    if (m_state != ReplayClient::State::Playing)
        return;
    m_timer->stop();
    m_clock.pause(monotonicNowNs());
    setState(ReplayClient::State::Paused);
}

void ReplayClientDriver::resume()
{
    if (m_finished)
        return;
    if (!m_opened) {
        m_pauseRequested = false;
        return;
    }
    if (m_state != ReplayClient::State::Paused)
        return;
    m_clock.resume(monotonicNowNs());
    m_waitSinceNs = -1; // a paced wait starts afresh: the pause was not the server's fault
    setState(ReplayClient::State::Playing);
    advance();
}

void ReplayClientDriver::step()
{
    if (m_finished || m_closing)
        return;
    if (!m_opened) {
        // Paused once open, and the steps asked for so far go then.
        m_pauseRequested = true;
        ++m_pendingSteps;
        return;
    }
    if (m_state == ReplayClient::State::Playing)
        pause();
    if (m_state != ReplayClient::State::Paused || !m_connection || m_next >= m_toSend.size())
        return;
    const qint64 now = monotonicNowNs();
    // The stepped message is on time by definition; the ones after it keep their recorded gaps to it.
    m_clock.seek(m_toSend[m_next].offsetUs, now);
    m_waitSinceNs = -1;
    sendNext(0);
    if (m_next >= m_toSend.size())
        beginFinishing();
}

void ReplayClientDriver::stop()
{
    if (m_finished || m_stopped)
        return;
    m_stopped = true;
    m_timer->stop();
    if (!m_opened) {
        // Gives up the attempt: its Closed state ends the replay.
        if (m_engine)
            m_engine->closeConnection(m_id, 1000, {});
        return;
    }
    closeConnection();
}

void ReplayClientDriver::beginFinishing()
{
    if (m_state == ReplayClient::State::Finishing)
        return;
    setState(ReplayClient::State::Finishing);
    m_lastActivityNs = monotonicNowNs();
    checkFinishing();
}

void ReplayClientDriver::checkFinishing()
{
    if (m_closing || m_finished)
        return;
    const qint64 now = monotonicNowNs();
    if (m_received >= m_expectedReplies) {
        // Every recorded reply is in: listen on until the server is quiet, so that what it says beyond the
        // recording is seen (extra). A server that never stops talking still gets closed, replyTimeoutMs on.
        if (m_repliesInNs < 0)
            m_repliesInNs = now;
        const qint64 quietLeftNs = m_quietNs - (now - m_lastActivityNs);
        const qint64 capLeftNs
            = std::max(m_quietNs, qint64(m_options.replyTimeoutMs) * 1000000) - (now - m_repliesInNs);
        const qint64 leftNs = std::min(quietLeftNs, capLeftNs);
        if (leftNs > 0) {
            m_timer->start(ReplayClock::timerMs(leftNs));
            return;
        }
        closeConnection();
        return;
    }
    // Quiet for replyTimeoutMs since the last send or reply: what has not come will not.
    const qint64 leftNs = qint64(m_options.replyTimeoutMs) * 1000000 - (now - m_lastActivityNs);
    if (leftNs > 0) {
        m_timer->start(ReplayClock::timerMs(leftNs));
        return;
    }
    note("no more server messages for " + QByteArray::number(m_options.replyTimeoutMs)
        + " ms: " + QByteArray::number(m_received) + " of the " + QByteArray::number(m_expectedReplies)
        + " recorded ones arrived");
    closeConnection();
}

void ReplayClientDriver::closeConnection()
{
    if (m_closing)
        return;
    m_closing = true;
    m_timer->stop();
    // Closed as the recorded client closed, when it did and the code is one a client may send.
    quint16 code = 1000;
    QByteArray reason = m_stopped ? QByteArrayLiteral("replay stopped") : QByteArrayLiteral("replay finished");
    if (!m_stopped && m_plan->close && m_plan->close->direction == Direction::C2S && m_plan->close->code != 0
        && closeRequestProblem(m_plan->close->code, QString::fromUtf8(m_plan->close->reason)).isEmpty()) {
        code = m_plan->close->code;
        reason = m_plan->close->reason;
    }
    if (m_connection && m_connection->state() == ConnectionState::Open)
        m_connection->close(code, reason);
    else if (m_engine)
        m_engine->closeConnection(m_id, code, reason);
}

void ReplayClientDriver::setState(ReplayClient::State s)
{
    if (m_state == s)
        return;
    m_state = s;
    Q_EMIT stateChanged(s);
}

void ReplayClientDriver::note(const QByteArray& text)
{
    m_recorder->record(makeEvent(m_id, Direction::None, EventKind::Note, text));
}

void ReplayClientDriver::finish(bool ok, const QString& reason)
{
    if (m_finished)
        return;
    m_finished = true;
    m_timer->stop();
    setState(ReplayClient::State::Finished);
    Q_EMIT finished(ok, reason);
}

} // namespace wsi
