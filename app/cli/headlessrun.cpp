#include "headlessrun.h"

#include "../formats/sessionpaths.h"
#include "console.h"
#include "eventprinter.h"

#include <QCoreApplication>
#include <QFileInfo>

namespace wsi {

using console::printLine;

HeadlessRun::HeadlessRun()
{
    QObject::connect(&m_watcher, &SignalWatcher::terminationRequested, &m_context, [this] {
        if (m_onTermination)
            m_onTermination();
        else
            QCoreApplication::quit();
    });
}

bool HeadlessRun::isValid() const
{
    if (m_watcher.isValid())
        return true;
    printLine(stderr, QStringLiteral("wsinspector: cannot install the signal handlers"));
    return false;
}

CaptureSession::Options HeadlessRun::sessionOptions(const QString& recordFile)
{
    CaptureSession::Options options;
    options.keepTimeline = false;
    options.journalPath = recordFile.isEmpty() ? defaultJournalPath() : recordFile;
    options.removeEmptyJournal = recordFile.isEmpty();
    return options;
}

void HeadlessRun::onTermination(std::function<void()> fn)
{
    m_onTermination = std::move(fn);
}

void HeadlessRun::watch(CaptureSession* session)
{
    QObject::connect(session, &CaptureSession::journalFailed, &m_context, [this](const QString& reason) {
        printLine(stderr, QStringLiteral("wsinspector: cannot record the session: ") + reason);
        m_journalFailed = true;
        fail(1);
    });
}

void HeadlessRun::fail(int exitCode)
{
    if (m_exitCode == 0)
        m_exitCode = exitCode;
    QCoreApplication::exit(exitCode);
}

void HeadlessRun::exec(CaptureSession* session, EventPrinter* printer, const std::function<void()>& afterLoop)
{
    QCoreApplication::exec();
    if (afterLoop)
        afterLoop();
    session->shutdown();
    if (printer)
        printer->drain();
}

void HeadlessRun::reportStopped(const CaptureSession& session, const EventPrinter& printer, std::FILE* out)
{
    const QString path = session.journalPath();
    if (path.isEmpty())
        return;
    // An empty journal of our own is deleted at the end (CaptureSession::Options::removeEmptyJournal).
    if (!QFileInfo::exists(path))
        printLine(out, QStringLiteral("stopped; no events recorded"));
    else
        printLine(out, QStringLiteral("stopped; %1 events recorded to %2").arg(printer.printedEvents()).arg(path));
}

} // namespace wsi
