#include "proxycommand.h"

#include "../formats/redaction.h"
#include "../net/capturesession.h"
#include "commandline.h"
#include "console.h"
#include "eventprinter.h"
#include "headlessrun.h"

#include <cstdio>

namespace wsi {

using console::printLine;

int ProxyCommand::run(const CommandLine& commandLine)
{
    const ProxyOptions& proxy = commandLine.proxy;
    if (exposesBeyondLoopback(proxy.host))
        printLine(stderr,
            QStringLiteral("wsinspector: warning: listening on %1 makes the proxy reachable from other machines, "
                           "and through it the upstream; use --listen 127.0.0.1:%2 to keep it to this one")
                .arg(proxy.host)
                .arg(proxy.port));
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
        QObject::connect(&session, &CaptureSession::proxyStartFailed, &context, [&run](const QString& reason) {
            printLine(stderr, QStringLiteral("wsinspector: ") + reason);
            run.fail(1);
        });
        QObject::connect(&session, &CaptureSession::proxyStarted, &context, [&session, human, &proxy](const QUrl& url) {
            // Scripts and CI logs keep this line: a token in the upstream's query must not be in it.
            printLine(human,
                QStringLiteral("proxying %1 -> %2")
                    .arg(url.toString(), redaction::redactUrl(proxy.upstream.toString())));
            printLine(human, QStringLiteral("recording to ") + session.journalPath());
        });
        session.startProxy(proxy);
        run.exec(&session, &printer);
        HeadlessRun::reportStopped(session, printer, human);
    }
    return run.exitCode();
}

} // namespace wsi
