// The replay engine's own figures, over loopback against the capture's test server (one CaptureSession, as
// the GUI runs it): how fast "as fast as possible" goes (messages/s until the last echo was back), and how
// late the sends of a timed replay are against their schedule at 1x (the lateness the driver reports for each
// send: mean, 95th percentile, worst) and the drift of the whole span. Asserts nothing.
//
// Usage: bench_replay [MESSAGES]   (default 100,000 for the throughput run)

#include "net/capturesession.h"
#include "replay/replayclient.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>

#include <algorithm>
#include <cstdio>

using namespace wsi;

namespace {

QUrl startServer(CaptureSession& session, ServerMode mode)
{
    ServerOptions options;
    options.port = 0;
    options.behaviour.mode = mode;
    QUrl url;
    QEventLoop loop;
    QObject::connect(&session, &CaptureSession::serverStarted, &loop, [&](const QUrl& u) {
        url = u;
        loop.quit();
    });
    session.startServer(options);
    loop.exec();
    return url;
}

struct Run
{
    bool ok = false;
    QString reason;
    double seconds = 0;
    QList<qint64> lateUs;
    qint64 firstSentNs = -1;
    qint64 lastSentNs = -1;
};

Run replay(CaptureSession& session, const ReplayPlan& plan, double speed)
{
    ReplayClient client(&session);
    ReplayClientOptions options;
    options.connection = plan.clientOptions();
    options.speed = speed;
    Run run;
    QElapsedTimer clock;
    QEventLoop loop;
    QObject::connect(&client, &ReplayClient::messageSent, &loop, [&](int, qint64 lateUs) {
        run.lateUs.append(lateUs);
        const qint64 now = clock.nsecsElapsed();
        if (run.firstSentNs < 0)
            run.firstSentNs = now;
        run.lastSentNs = now;
    });
    QObject::connect(&client, &ReplayClient::finished, &loop, [&](bool ok, const QString& reason) {
        run.ok = ok;
        run.reason = reason;
        loop.quit();
    });
    clock.start();
    QString error;
    if (!client.start(plan, options, &error)) {
        std::printf("cannot start: %s\n", qPrintable(error));
        return run;
    }
    loop.exec();
    run.seconds = double(clock.nsecsElapsed()) / 1e9;
    return run;
}

ReplayPlan echoPlan(const QUrl& url, int messages, qint64 gapUs)
{
    ReplayPlan plan;
    plan.url = url;
    const QByteArray payload = QByteArray(48, 'x');
    for (int i = 0; i < messages; ++i) {
        ReplayMessage c2s;
        c2s.direction = Direction::C2S;
        c2s.payload = QByteArray::number(i).rightJustified(8, '0') + payload;
        c2s.offsetUs = i * gapUs;
        c2s.s2cBefore = i;
        ReplayMessage s2c = c2s;
        s2c.direction = Direction::S2C;
        s2c.c2sBefore = i + 1;
        plan.messages.append(c2s);
        plan.messages.append(s2c);
    }
    return plan;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const int messages = argc > 1 ? std::max(1, QByteArray(argv[1]).toInt()) : 100000;
    CaptureSession::Options options;
    options.keepTimeline = false;
    CaptureSession session(options);
    const QUrl url = startServer(session, ServerMode::Echo);

    const Run fast = replay(session, echoPlan(url, messages, 0), 0);
    std::printf("as fast as possible: %d messages of 56 bytes and their echoes in %.2f s: %.0f messages/s (%s)\n",
        messages, fast.seconds, messages / fast.seconds, qPrintable(fast.reason));

    // 1x: 100 messages 20 ms apart (1.98 s), each answered by the echo server.
    const int timed = 100;
    const qint64 gapUs = 20000;
    const Run run = replay(session, echoPlan(url, timed, gapUs), 1.0);
    QList<qint64> late = run.lateUs;
    std::sort(late.begin(), late.end());
    double mean = 0;
    for (qint64 l : late)
        mean += double(l);
    mean /= std::max<qsizetype>(1, late.size());
    const double spanMs = double(run.lastSentNs - run.firstSentNs) / 1e6;
    const double expectedMs = double((timed - 1) * gapUs) / 1000.0;
    std::printf("1x, %d messages %lld ms apart: lateness of a send against its schedule: mean %.0f us, p95 %lld us, "
                "worst %lld us; first to last %.1f ms for %.1f ms recorded (%+.2f%%) (%s)\n",
        timed, gapUs / 1000, mean, late.isEmpty() ? 0 : late[qsizetype(double(late.size() - 1) * 0.95)],
        late.isEmpty() ? 0 : late.last(), spanMs, expectedMs, (spanMs - expectedMs) / expectedMs * 100.0,
        qPrintable(run.reason));
    return 0;
}
