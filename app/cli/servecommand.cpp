#include "servecommand.h"

#include "../core/replyrules.h"
#include "../net/capturesession.h"
#include "commandline.h"
#include "console.h"
#include "eventprinter.h"
#include "headlessrun.h"

#include <QCoreApplication>

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
    HeadlessRun run;
    if (!run.isValid())
        return 1;
    const CaptureSession::Options options = HeadlessRun::sessionOptions(commandLine.recordFile);
    std::FILE* const human = console::isStandardOutput(options.journalPath) ? stderr : stdout;
    {
        CaptureSession session(options);
        EventPrinter printer(session.recorder(), human);
        QObject context;
        run.watch(&session);
        QObject::connect(&session, &CaptureSession::serverStartFailed, &context, [&run](const QString& reason) {
            printLine(stderr, QStringLiteral("wsinspector: ") + reason);
            run.fail(1);
        });
        QObject::connect(&session, &CaptureSession::serverStarted, &context, [&session, human](const QUrl& url) {
            printLine(human, QStringLiteral("listening on ") + url.toString());
            printLine(human, QStringLiteral("recording to ") + session.journalPath());
        });
        session.startServer(server);
        run.exec(&session, &printer);
        HeadlessRun::reportStopped(session, printer, human);
    }
    return run.exitCode();
}

} // namespace wsi
