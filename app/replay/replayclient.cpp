#include "replayclient.h"

#include "../core/recorder.h"
#include "../net/capturesession.h"
#include "replayclientdriver.h"

namespace wsi {

ReplayClient::ReplayClient(CaptureSession* session, QObject* parent)
    : QObject(parent)
    , m_session(session)
{
    qRegisterMetaType<wsi::ReplayMessage>();
    qRegisterMetaType<wsi::ReplayClient::State>();
}

ReplayClient::~ReplayClient()
{
    if (m_driver && m_session) {
        // The connection belongs to the engine: the driver asks it to close, then may go at once.
        m_session->invokeOnCaptureThread([driver = m_driver](CaptureEngine*) {
            driver->stop();
            delete driver;
        });
    }
}

bool ReplayClient::start(const ReplayPlan& plan, const ReplayClientOptions& options, QString* error)
{
    auto fail = [error](const QString& why) {
        if (error)
            *error = why;
        return false;
    };
    if (m_state != State::Idle && m_state != State::Finished)
        return fail(tr("a replay is running already"));
    if (!m_session)
        return fail(tr("the capture has ended"));
    if (plan.c2sCount() == 0)
        return fail(tr("connection %1 has no client messages to replay").arg(plan.connection));

    const QUrl target = options.connection.url.isEmpty() ? plan.url : options.connection.url;
    if (!target.isValid() || target.host().isEmpty())
        return fail(tr("connection %1 has no recorded URL; give the URL to connect to").arg(plan.connection));

    if (m_driver) {
        m_session->invokeOnCaptureThread([driver = m_driver](CaptureEngine*) { delete driver; });
        m_driver = nullptr;
    }
    m_plan = plan;
    m_sent = 0;
    m_total = plan.c2sCount();
    m_received.clear();

    ReplayClientOptions effective = options;
    if (effective.connection.url.isEmpty())
        effective.connection.url = plan.url;
    effective.connection.reconnect.enabled = false; // a replay is one conversation
    // Numbered now, opened by the driver on the capture thread (see ReplayClientDriver::attach).
    Connection c;
    c.role = ConnectionRole::Client;
    c.url = effective.connection.url.toString();
    m_connection = m_session->recorder()->addConnection(c);
    auto* driver = new ReplayClientDriver(
        std::make_shared<const ReplayPlan>(plan), effective, m_connection, m_session->recorder());
    // Queued: the driver emits on the capture thread.
    connect(driver, &ReplayClientDriver::stateChanged, this, &ReplayClient::onDriverState);
    connect(driver, &ReplayClientDriver::opened, this, &ReplayClient::opened);
    connect(driver, &ReplayClientDriver::sent, this, &ReplayClient::onSent);
    connect(driver, &ReplayClientDriver::received, this, &ReplayClient::onReceived);
    connect(driver, &ReplayClientDriver::waitTimedOut, this, &ReplayClient::waitTimedOut);
    connect(driver, &ReplayClientDriver::finished, this, &ReplayClient::onFinished);
    if (!m_session->adoptOnCaptureThread(driver, [driver](CaptureEngine* engine) { driver->attach(engine); }))
        return fail(tr("the capture has ended"));
    m_driver = driver;
    m_state = State::Idle; // a finished replay starts again
    setState(State::Connecting);
    return true;
}

void ReplayClient::post(void (ReplayClientDriver::*method)())
{
    if (!m_driver || !m_session)
        return;
    m_session->invokeOnCaptureThread([driver = m_driver, method](CaptureEngine*) { (driver->*method)(); });
}

void ReplayClient::pause()
{
    post(&ReplayClientDriver::pause);
}

void ReplayClient::resume()
{
    post(&ReplayClientDriver::resume);
}

void ReplayClient::step()
{
    post(&ReplayClientDriver::step);
}

void ReplayClient::stop()
{
    post(&ReplayClientDriver::stop);
}

void ReplayClient::setState(State s)
{
    if (m_state == s || m_state == State::Finished)
        return;
    m_state = s;
    Q_EMIT stateChanged(s);
}

void ReplayClient::onDriverState(State s)
{
    setState(s);
}

void ReplayClient::onSent(int index, qint64 lateUs)
{
    m_sent = index + 1;
    Q_EMIT messageSent(index, lateUs);
    Q_EMIT progress(m_sent, m_total, int(m_received.size()));
}

void ReplayClient::onReceived(const ReplayMessage& message)
{
    m_received.append(message);
    Q_EMIT messageReceived(int(m_received.size()) - 1, message);
    Q_EMIT progress(m_sent, m_total, int(m_received.size()));
}

void ReplayClient::onFinished(bool ok, const QString& reason)
{
    setState(State::Finished);
    Q_EMIT finished(ok, reason);
}

} // namespace wsi
