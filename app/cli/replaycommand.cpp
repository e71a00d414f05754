#include "replaycommand.h"

#include "../formats/sessionimport.h"
#include "../net/capturesession.h"
#include "../replay/replayclient.h"
#include "../replay/replaycompare.h"
#include "../replay/replayserver.h"
#include "commandline.h"
#include "console.h"
#include "eventprinter.h"
#include "headlessrun.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <csignal>
#include <cstdio>

namespace wsi {

using console::printLine;

namespace {

// Long enough for any message a person reads on a terminal; the record file has them whole.
constexpr int MessagePreviewChars = 65536;

QString prefix()
{
    return QStringLiteral("wsinspector: replay: ");
}

QByteArray messageLine(const char* arrow, const ReplayMessage& m)
{
    const QString text = eventPreview(m.text ? EventKind::Text : EventKind::Binary, 0, m.payload, MessagePreviewChars);
    QByteArray line = arrow;
    if (!m.text)
        line += "[binary " + QByteArray::number(m.payload.size()) + (m.payload.size() == 1 ? " byte] " : " bytes] ");
    return line + text.toUtf8();
}

QString speedText(double speed)
{
    return speed <= 0 ? QStringLiteral("as fast as possible")
                      : QStringLiteral("at %1x the recorded speed").arg(QString::number(speed));
}

int runClient(
    const CommandLine& commandLine, const ReplayPlan& plan, CaptureSession& session, HeadlessRun& run, std::FILE* human)
{
    QList<JsonPathPattern> ignore;
    QString error;
    ReplayCompare::parseIgnorePaths(commandLine.ignorePaths, &ignore, &error); // checked when parsing

    ReplayClientOptions options;
    options.connection = plan.clientOptions(commandLine.replayUrl);
    options.speed = commandLine.replaySpeed;
    options.paced = commandLine.replayPaced;
    options.replyTimeoutMs = commandLine.replyTimeoutMs;
    // A strict check listens the whole reply timeout for messages the recording did not have.
    options.strictQuiet = commandLine.expect;
    const QList<ReplayMessage> toSend = plan.messagesFrom(Direction::C2S);
    const QList<ReplayMessage> recordedReplies = plan.messagesFrom(Direction::S2C);

    auto count = [](qsizetype n, const QString& one, const QString& many) -> QString {
        return QString::number(n) + u' ' + (n == 1 ? one : many);
    };
    printLine(stderr,
        QStringLiteral("replaying connection %1 of %2 to %3: %4 to send (%5 recorded), %6")
            .arg(QString::number(plan.connection), commandLine.replayFile, options.connection.url.toString(),
                count(toSend.size(), QStringLiteral("message"), QStringLiteral("messages")),
                count(recordedReplies.size(), QStringLiteral("server message"), QStringLiteral("server messages")),
                options.paced ? QStringLiteral("paced by the server's replies") : speedText(options.speed)));
    for (const QString& warning : plan.warnings)
        printLine(stderr, QStringLiteral("! ") + warning);

    ReplayClient replay(&session);
    QObject context;
    bool interrupted = false;
    bool ok = false;
    bool opened = false;
    QString reason;
    QElapsedTimer clock;
    qint64 firstSentNs = -1;
    qint64 lastSentNs = -1;
    run.onTermination([&] {
        // The first one stops the replay politely (its connection closes); a second does not wait any more.
        if (interrupted) {
            if (reason.isEmpty())
                reason = QStringLiteral("interrupted");
            QCoreApplication::exit(0);
            return;
        }
        interrupted = true;
        replay.stop();
    });
    run.watch(&session);
    QObject::connect(&replay, &ReplayClient::opened, &context, [&] {
        opened = true;
        printLine(stderr, QStringLiteral("connected to ") + options.connection.url.toString());
    });
    QObject::connect(&replay, &ReplayClient::messageSent, &context, [&](int index) {
        const qint64 now = clock.nsecsElapsed();
        if (firstSentNs < 0)
            firstSentNs = now;
        lastSentNs = now;
        printLine(human, messageLine("> ", toSend.value(index)));
    });
    QObject::connect(&replay, &ReplayClient::messageReceived, &context,
        [&](int, const ReplayMessage& m) { printLine(human, messageLine("< ", m)); });
    QObject::connect(&replay, &ReplayClient::waitTimedOut, &context, [&](int index, int expected, int received) {
        printLine(stderr,
            QStringLiteral("! message %1: waited %2 ms for %3 server messages, %4 arrived; sent anyway")
                .arg(QString::number(index + 1), QString::number(options.replyTimeoutMs), QString::number(expected),
                    QString::number(received)));
    });
    QObject::connect(&replay, &ReplayClient::finished, &context, [&](bool success, const QString& why) {
        ok = success;
        reason = why;
        QCoreApplication::exit(0);
    });
    clock.start();
    if (!replay.start(plan, options, &error)) {
        printLine(stderr, prefix() + error);
        return 1;
    }
    run.exec(&session);
    if (run.journalFailed())
        return 1;
    if (!ok && !interrupted) {
        printLine(stderr, prefix() + reason);
        if (!opened)
            return 1;
    } else {
        printLine(human,
            QStringLiteral("replay %1: %2").arg(ok ? QStringLiteral("finished") : QStringLiteral("ended"), reason));
    }
    // The schedule's accuracy: from the first send to the last, against the same span in the recording.
    if (!options.paced && options.speed > 0 && replay.sentCount() >= 2 && toSend.size() >= 2) {
        const double recordedMs
            = double(toSend.value(replay.sentCount() - 1).offsetUs - toSend.first().offsetUs) / 1000.0 / options.speed;
        const double tookMs = double(lastSentNs - firstSentNs) / 1e6;
        QString line = QStringLiteral("timing: %1 ms from the first message sent to the last; %2 ms expected")
                           .arg(QString::number(tookMs, 'f', 1), QString::number(recordedMs, 'f', 1));
        if (recordedMs > 0)
            line += QStringLiteral(" (%1%2%)")
                        .arg(tookMs >= recordedMs ? QStringLiteral("+") : QString())
                        .arg(QString::number((tookMs - recordedMs) / recordedMs * 100.0, 'f', 2));
        printLine(human, line);
    }
    const ReplayComparison comparison = ReplayCompare(ignore).compare(recordedReplies, replay.received());
    printLine(human, QStringLiteral("compared with the recording: ") + comparison.summary());
    if (commandLine.expect) {
        for (const ReplayCompareRow& row : comparison.rows) {
            for (const QString& line : row.describe())
                printLine(human, line);
        }
    }
    if (interrupted)
        return 0;
    if (!ok)
        return 1;
    return commandLine.expect && !comparison.matches() ? 1 : 0;
}

int runServer(
    const CommandLine& commandLine, const ReplayPlan& plan, CaptureSession& session, HeadlessRun& run, std::FILE* human)
{
    if (exposesBeyondLoopback(commandLine.server.host))
        printLine(stderr,
            QStringLiteral("wsinspector: warning: listening on %1 makes the mock server reachable from other "
                           "machines; use --host 127.0.0.1 to keep it to this one")
                .arg(commandLine.server.host));
    for (const QString& warning : plan.warnings)
        printLine(stderr, QStringLiteral("! ") + warning);
    ReplayServerOptions options;
    options.server = commandLine.server;
    options.speed = commandLine.replaySpeed;
    options.answer = commandLine.replayAnswer;
    options.loop = commandLine.replayLoop;

    QObject context;
    run.watch(&session);
    EventPrinter printer(session.recorder(), human);
    ReplayServer server(&session);
    QObject::connect(&server, &ReplayServer::startFailed, &context, [&run](const QString& reason) {
        printLine(stderr, prefix() + reason);
        run.fail(1);
    });
    QObject::connect(&server, &ReplayServer::started, &context, [&](const QUrl& url) {
        printLine(human, QStringLiteral("listening on ") + url.toString());
        printLine(human, QStringLiteral("recording to ") + session.journalPath());
        const QString mode = options.answer ? QStringLiteral("in answer to each client's messages")
                                            : QStringLiteral("on the recorded schedule");
        printLine(human,
            QStringLiteral("replaying connection %1 of %2 to each client: %3 server messages %4, %5%6")
                .arg(QString::number(plan.connection), commandLine.replayFile, QString::number(plan.s2cCount()), mode,
                    speedText(options.speed), options.loop ? QStringLiteral(", looping") : QString()));
    });
    QString error;
    if (!server.start(plan, options, &error)) {
        printLine(stderr, prefix() + error);
        return 1;
    }
    run.exec(&session, &printer, [&server] { server.stop(); });
    HeadlessRun::reportStopped(session, printer, human);
    return run.exitCode();
}

} // namespace

int ReplayCommand::run(const CommandLine& commandLine)
{
    SessionData data;
    QString error;
    if (!readSessionFile(commandLine.replayFile, data, &error)) {
        printLine(stderr, prefix() + error);
        return 1;
    }
    for (qsizetype i = 0; i < data.warnings.size() && i < maxPrintedWarnings; ++i)
        printLine(stderr, QStringLiteral("%1%2: %3").arg(prefix(), commandLine.replayFile, data.warnings.at(i)));
    if (data.warnings.size() > maxPrintedWarnings)
        printLine(stderr,
            QStringLiteral("%1%2: %3 more warnings")
                .arg(prefix(), commandLine.replayFile, QString::number(data.warnings.size() - maxPrintedWarnings)));
    const std::optional<ReplayPlan> plan
        = ReplayPlan::build(data, commandLine.replayConnection, commandLine.replayRole, commandLine.replayFile, &error);
    if (!plan) {
        printLine(stderr, prefix() + error);
        // What there is to choose from, so that the next try can name one.
        const QList<ReplayCandidate> candidates = ReplayPlan::candidates(data);
        if (!candidates.isEmpty()) {
            printLine(stderr, QStringLiteral("connections with messages in %1:").arg(commandLine.replayFile));
            for (const ReplayCandidate& c : candidates)
                printLine(stderr, QStringLiteral("  ") + c.describe());
        }
        return 1;
    }
    data = SessionData(); // the plan holds what is needed; a big file need not stay in memory

    // Checked before anything is recorded: the replay would only fail later, with a journal made for nothing.
    if (commandLine.replayRole == ReplayRole::Client && commandLine.replayUrl.isEmpty()
        && (!plan->url.isValid() || plan->url.host().isEmpty())) {
        printLine(stderr,
            prefix()
                + QStringLiteral("connection %1 has no recorded URL; give --url")
                      .arg(QString::number(plan->connection)));
        return 1;
    }

    // A closed stdout is no reason to die without flushing the record.
    std::signal(SIGPIPE, SIG_IGN);
    HeadlessRun run;
    if (!run.isValid())
        return 1;
    const CaptureSession::Options options = HeadlessRun::sessionOptions(commandLine.recordFile);
    std::FILE* const human = console::isStandardOutput(options.journalPath) ? stderr : stdout;
    CaptureSession session(options);
    return commandLine.replayRole == ReplayRole::Server ? runServer(commandLine, *plan, session, run, human)
                                                        : runClient(commandLine, *plan, session, run, human);
}

} // namespace wsi
