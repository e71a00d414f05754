#include "signalwatcher.h"

#include <QSocketNotifier>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>

namespace wsi {

namespace {
int signalPipe[2] = { -1, -1 };

void onSignal(int signalNumber)
{
    // Only async-signal-safe work here: wake the event loop through the pipe.
    const char c = char(signalNumber);
    [[maybe_unused]] const ssize_t n = ::write(signalPipe[1], &c, 1);
}

void closeSignalPipe()
{
    ::close(signalPipe[0]);
    ::close(signalPipe[1]);
    signalPipe[0] = signalPipe[1] = -1;
}
} // namespace

SignalWatcher::SignalWatcher(QObject* parent)
    : QObject(parent)
{
    // Another watcher owns the pipe and the handlers: this one stays invalid and, when it goes, touches neither.
    if (signalPipe[0] >= 0 || ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, signalPipe) != 0)
        return;
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (::sigaction(SIGINT, &sa, &m_previousInt) != 0) {
        closeSignalPipe();
        return;
    }
    if (::sigaction(SIGTERM, &sa, &m_previousTerm) != 0) {
        ::sigaction(SIGINT, &m_previousInt, nullptr);
        closeSignalPipe();
        return;
    }
    m_notifier = new QSocketNotifier(signalPipe[0], QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, [this] {
        char c = 0;
        if (::read(signalPipe[0], &c, 1) == 1)
            Q_EMIT terminationRequested(int(c));
    });
}

SignalWatcher::~SignalWatcher()
{
    if (!m_notifier)
        return; // set up nothing, so there is nothing to undo
    // Back to the actions from before: a signal after the watcher is gone must not write to a closed pipe.
    ::sigaction(SIGINT, &m_previousInt, nullptr);
    ::sigaction(SIGTERM, &m_previousTerm, nullptr);
    delete m_notifier;
    m_notifier = nullptr;
    closeSignalPipe();
}

} // namespace wsi
