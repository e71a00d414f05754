#include "servecommand.h"

#include "../core/replyrules.h"
#include "../formats/sessionpaths.h"
#include "../net/capturesession.h"
#include "commandline.h"
#include "eventprinter.h"

#include <QCoreApplication>
#include <QFile>
#include <QSocketNotifier>

#include <csignal>
#include <cstdio>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace wsi {

namespace {
int signalPipe[2] = { -1, -1 };

void onSignal(int)
{
    // Only async-signal-safe work here: wake the event loop through the pipe.
    const char c = 1;
    [[maybe_unused]] const ssize_t n = ::write(signalPipe[1], &c, 1);
}

// Turns SIGINT/SIGTERM into a quit of the event loop, so that the session ends cleanly.
bool watchTermination(QObject* context)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, signalPipe) != 0)
        return false;
    auto* notifier = new QSocketNotifier(signalPipe[0], QSocketNotifier::Read, context);
    QObject::connect(notifier, &QSocketNotifier::activated, context, [notifier] {
        notifier->setEnabled(false);
        char c;
        [[maybe_unused]] const ssize_t n = ::read(signalPipe[0], &c, 1);
        QCoreApplication::quit();
    });
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    return true;
}

void printLine(std::FILE* f, const QString& line)
{
    const QByteArray bytes = line.toLocal8Bit() + '\n';
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), f);
    std::fflush(f);
}
// True when the path names what standard output is (e.g. --record /dev/stdout): the journal then owns
// stdout and the human-readable lines move to stderr so the two do not interleave.
bool isStandardOutput(const QString& path)
{
    struct stat out = {};
    struct stat file = {};
    if (::fstat(STDOUT_FILENO, &out) != 0 || ::stat(QFile::encodeName(path).constData(), &file) != 0)
        return false;
    return out.st_dev == file.st_dev && out.st_ino == file.st_ino;
}
} // namespace

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
    if (!watchTermination(&context)) {
        printLine(stderr, QStringLiteral("wsinspector: cannot install the signal handlers"));
        return 1;
    }
    CaptureSession::Options options;
    options.keepTimeline = false;
    options.journalPath = commandLine.recordFile.isEmpty() ? defaultJournalPath() : commandLine.recordFile;

    std::FILE* const human = isStandardOutput(options.journalPath) ? stderr : stdout;
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
        if (!session.journalPath().isEmpty())
            printLine(human,
                QStringLiteral("stopped; %1 events recorded to %2")
                    .arg(printer.printedEvents())
                    .arg(session.journalPath()));
    }
    return exitCode;
}

} // namespace wsi
