#pragma once

#include "../net/capturesession.h"
#include "signalwatcher.h"

#include <QObject>
#include <QString>

#include <cstdio>
#include <functional>

namespace wsi {

class EventPrinter;

/*
 * The frame every headless command that captures runs in (serve, connect, replay): SIGINT/SIGTERM caught
 * (by default they leave the event loop; a command may stop politely instead), a record file that cannot be
 * written ends the run with 1, then the event loop, then the capture shut down (closing handshakes recorded,
 * the journal flushed) and the last events printed. One per process (it holds the SignalWatcher).
 */
class HeadlessRun
{
public:
    HeadlessRun();
    Q_DISABLE_COPY_MOVE(HeadlessRun)

    // False, with the reason printed on stderr, when SIGINT and SIGTERM cannot be caught.
    bool isValid() const;
    // Records to recordFile, or to a new file in the sessions folder that is removed again when nothing was
    // recorded; no timeline is kept (nothing shows it).
    static CaptureSession::Options sessionOptions(const QString& recordFile);

    // What a SIGINT or SIGTERM does instead of leaving the event loop at once.
    void onTermination(std::function<void()> fn);
    // A journal failure of this session is printed and ends the run with exit code 1.
    void watch(CaptureSession* session);
    // Leaves the event loop; the exit code is kept unless a failure came first.
    void fail(int exitCode);

    // The event loop until something leaves it, then afterLoop (when given), session->shutdown() and
    // printer->drain() (when given).
    void exec(CaptureSession* session, EventPrinter* printer = nullptr, const std::function<void()>& afterLoop = {});
    // "stopped; N events recorded to FILE" (or "stopped; no events recorded" when the empty journal went).
    static void reportStopped(const CaptureSession& session, const EventPrinter& printer, std::FILE* out);

    int exitCode() const { return m_exitCode; }
    bool journalFailed() const { return m_journalFailed; }

private:
    SignalWatcher m_watcher;
    QObject m_context;
    std::function<void()> m_onTermination;
    int m_exitCode = 0;
    bool m_journalFailed = false;
};

} // namespace wsi
