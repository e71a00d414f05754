#include "servecommand.h"

#include "../core/replyrules.h"
#include "../formats/sessionpaths.h"
#include "../net/capturesession.h"
#include "commandline.h"
#include "console.h"
#include "eventprinter.h"
#include "signalwatcher.h"

#include <QCoreApplication>
#include <QFileInfo>

#include <cstdio>

namespace wsi {

using console::printLine;

int ServeCommand::run(const CommandLine& commandLine)
{
    ServerOptions server = commandLine.server;
    if (!commandLine.rulesFile.isEmpty()) {
        QString error;
        server.behaviour.rules = ReplyRules::fromFile(commandLine.rulesFile, &error);
        if (!server.behaviour.rules) {
            // "cannot read FILE: ..." names the file already; the file's content errors do not.
            printLine(stderr,
                error.contains(commandLine.rulesFile)
                    ? QStringLiteral("wsinspector: serve: ") + error
                    : QStringLiteral("wsinspector: serve: rules file %1: %2").arg(commandLine.rulesFile, error));
            return 2;
        }
    }
    if (exposesBeyondLoopback(server.host))
        printLine(stderr,
            QStringLiteral("wsinspector: warning: listening on %1 makes the test server reachable from other "
                           "machines; use --host 127.0.0.1 to keep it to this one")
                .arg(server.host));
    QObject context;
    SignalWatcher watcher;
    if (!watcher.isValid()) {
        printLine(stderr, QStringLiteral("wsinspector: cannot install the signal handlers"));
        return 1;
    }
    QObject::connect(&watcher, &SignalWatcher::terminationRequested, &context, [] { QCoreApplication::quit(); });
    CaptureSession::Options options;
    options.keepTimeline = false;
    options.journalPath = commandLine.recordFile.isEmpty() ? defaultJournalPath() : commandLine.recordFile;
    options.removeEmptyJournal = commandLine.recordFile.isEmpty();

    std::FILE* const human = console::isStandardOutput(options.journalPath) ? stderr : stdout;
    int exitCode = 0;
    {
        CaptureSession session(options);
        EventPrinter printer(session.recorder(), human);
        QObject::connect(&session, &CaptureSession::journalFailed, &context, [&exitCode](const QString& reason) {
            printLine(stderr, QStringLiteral("wsinspector: cannot record the session: ") + reason);
            exitCode = 1;
            QCoreApplication::exit(1);
        });
        QObject::connect(&session, &CaptureSession::serverStartFailed, &context, [&exitCode](const QString& reason) {
            printLine(stderr, QStringLiteral("wsinspector: ") + reason);
            exitCode = 1;
            QCoreApplication::exit(1);
        });
        QObject::connect(&session, &CaptureSession::serverStarted, &context, [&session, human](const QUrl& url) {
            printLine(human, QStringLiteral("listening on ") + url.toString());
            printLine(human, QStringLiteral("recording to ") + session.journalPath());
        });
        session.startServer(server);
        QCoreApplication::exec();
        session.shutdown();
        printer.drain();
        // An empty journal of our own is deleted at the end (CaptureSession::Options::removeEmptyJournal).
        if (!session.journalPath().isEmpty() && !QFileInfo::exists(session.journalPath()))
            printLine(human, QStringLiteral("stopped; no events recorded"));
        else if (!session.journalPath().isEmpty())
            printLine(human,
                QStringLiteral("stopped; %1 events recorded to %2")
                    .arg(printer.printedEvents())
                    .arg(session.journalPath()));
    }
    return exitCode;
}

} // namespace wsi
