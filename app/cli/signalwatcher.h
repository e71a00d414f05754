#pragma once

#include <QObject>

#include <csignal>

class QSocketNotifier;

namespace wsi {

/*
 * Turns SIGINT and SIGTERM into a Qt signal delivered by the event loop, so that a headless command can end
 * cleanly (close its connections, flush the record file) instead of dying mid-write. The handler itself only
 * writes a byte to a socket pair, which is all that is safe in a signal handler. One per process: a second
 * watcher created while the first lives is invalid and leaves the first one's set-up alone. The destructor
 * puts back the signal actions that were there before.
 */
class SignalWatcher : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SignalWatcher)

public:
    explicit SignalWatcher(QObject* parent = nullptr);
    ~SignalWatcher() override;

    // False when the socket pair or the handlers could not be set up.
    bool isValid() const { return m_notifier != nullptr; }

Q_SIGNALS:
    // Once per SIGINT or SIGTERM received.
    void terminationRequested(int signalNumber);

private:
    QSocketNotifier* m_notifier = nullptr; // set only on the watcher that owns the pipe and the handlers
    struct sigaction m_previousInt = {};
    struct sigaction m_previousTerm = {};
};

} // namespace wsi
