#include "replayserver.h"

#include "../net/capturesession.h"
#include "replayserverdriver.h"

namespace wsi {

ReplayServer::ReplayServer(CaptureSession* session, QObject* parent)
    : QObject(parent)
    , m_session(session)
{
    qRegisterMetaType<wsi::ReplayMessage>();
}

ReplayServer::~ReplayServer()
{
    if (m_driver && m_session)
        m_session->invokeOnCaptureThread([driver = m_driver](CaptureEngine*) { driver->stopAndDelete(); });
}

bool ReplayServer::start(const ReplayPlan& plan, const ReplayServerOptions& options, QString* error)
{
    auto fail = [error](const QString& why) {
        if (error)
            *error = why;
        return false;
    };
    if (m_driver)
        return fail(tr("the replay server is running already"));
    if (!m_session)
        return fail(tr("the capture has ended"));
    if (plan.s2cCount() == 0)
        return fail(tr("connection %1 has no server messages to replay").arg(plan.connection));
    // On the schedule, looping with no time between the messages would send them in a tight circle for ever.
    if (options.loop && !options.answer && !(options.speed > 0))
        return fail(tr("looping the recorded schedule needs a speed above 0 (as fast as possible would never pause)"));
    m_plan = plan;
    auto* driver = new ReplayServerDriver(std::make_shared<const ReplayPlan>(plan), options, m_session->recorder());
    // Each signal is checked against the driver of now: one that was stopped (or replaced by a new start) may
    // still have signals on their way, and they are not about this server any more.
    connect(driver, &ReplayServerDriver::started, this, [this, driver](const QUrl& url) {
        if (m_driver != driver)
            return;
        m_url = url;
        Q_EMIT started(url);
    });
    connect(driver, &ReplayServerDriver::startFailed, this, [this, driver](const QString& reason) {
        if (m_driver != driver)
            return;
        // Nothing listens: the driver can go, and a corrected start may follow.
        if (m_session)
            m_session->invokeOnCaptureThread([driver](CaptureEngine*) { delete driver; });
        m_driver = nullptr;
        Q_EMIT startFailed(reason);
    });
    // Stopped from the capture's side (the capture ended); a stop() of ours has let go of the driver already.
    connect(driver, &ReplayServerDriver::stopped, this, [this, driver] {
        if (m_driver != driver)
            return;
        m_driver = nullptr;
        m_url = QUrl();
        Q_EMIT stopped();
    });
    connect(driver, &ReplayServerDriver::clientOpened, this, [this, driver](quint32 connection, const QString& peer) {
        if (m_driver == driver)
            Q_EMIT clientOpened(connection, peer);
    });
    connect(driver, &ReplayServerDriver::messageSent, this, [this, driver](quint32 connection, int index, int cycle) {
        if (m_driver == driver)
            Q_EMIT messageSent(connection, index, cycle);
    });
    connect(driver, &ReplayServerDriver::messageReceived, this,
        [this, driver](quint32 connection, int index, const wsi::ReplayMessage& message) {
            if (m_driver == driver)
                Q_EMIT messageReceived(connection, index, message);
        });
    connect(driver, &ReplayServerDriver::clientClosed, this, [this, driver](quint32 connection) {
        if (m_driver == driver)
            Q_EMIT clientClosed(connection);
    });
    if (!m_session->adoptOnCaptureThread(driver, [driver](CaptureEngine* engine) { driver->attach(engine); }))
        return fail(tr("the capture has ended"));
    m_driver = driver;
    return true;
}

void ReplayServer::stop()
{
    if (!m_driver)
        return;
    if (m_session)
        m_session->invokeOnCaptureThread([driver = m_driver](CaptureEngine*) { driver->stopAndDelete(); });
    m_driver = nullptr;
    m_url = QUrl();
    Q_EMIT stopped();
}

} // namespace wsi
