// The app under a flood: the main window (offscreen unless a display is set) with its test server started as
// `wsinspector --serve` does, flooded over loopback by raw clients sending 32-byte text messages as fast as
// the echo comes back. Prints, for 1 client and for 20 clients: messages/s until every echo was back,
// messages/s until every message and echo was in the timeline, the worst stall of the GUI event loop (a 5 ms
// QTimer heartbeat: the longest wait beyond its interval), whether the journal holds them all, and memory per event.
// Asserts nothing.
//
// Usage: bench_flood [MESSAGES]   (default 1,000,000 per run, spread over the run's clients)

#include "core/eventstore.h"
#include "core/timelinemodel.h"
#include "mainwindow.h"
#include "net/capturesession.h"
#include "residentmemory.h"
#include "wire/frame.h"
#include "wire/handshake.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QTemporaryDir>
#include <QTimer>

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

constexpr int PayloadBytes = 32;
constexpr int FramesPerWrite = 256;
// Messages a client may have sent without their echo back: enough to keep the pipe full, not so many that
// the flood turns into a test of buffer sizes.
constexpr qint64 Window = 8192;

struct Client
{
    int fd = -1;
    qint64 toSend = 0;
    qint64 sent = 0;
    qint64 received = 0;
    qsizetype blockOffset = 0; // bytes of the current block already written
    QByteArray carry; // a frame cut by the end of a read
};

int connectTo(quint16 port, QByteArray* error)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr = {};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        *error = "connect: " + QByteArray(std::strerror(errno));
        ::close(fd);
        return -1;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const QByteArray request = "GET /flood HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Key: "
        + wsi::handshake::newKey() + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (::write(fd, request.constData(), size_t(request.size())) != request.size()) {
        *error = "cannot send the upgrade request";
        ::close(fd);
        return -1;
    }
    QByteArray response;
    char buf[4096];
    while (!response.contains("\r\n\r\n")) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) {
            *error = "no upgrade response";
            ::close(fd);
            return -1;
        }
        response.append(buf, n);
    }
    if (!response.startsWith("HTTP/1.1 101")) {
        *error = "upgrade refused: " + response.left(response.indexOf('\r'));
        ::close(fd);
        return -1;
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

// Counts complete server frames (unmasked, payload < 126 bytes as the echoes of our messages are).
qint64 countFrames(Client& c, const char* data, qsizetype size)
{
    c.carry.append(data, size);
    qint64 frames = 0;
    qsizetype at = 0;
    while (c.carry.size() - at >= 2) {
        const qsizetype length = 2 + (quint8(c.carry[at + 1]) & 0x7f);
        if (c.carry.size() - at < length)
            break;
        ++frames;
        at += length;
    }
    c.carry.remove(0, at);
    return frames;
}

struct RunResult
{
    bool ok = false;
    QByteArray error;
    qint64 echoedNs = 0; // first send to last echo
};

// Floods the server from this thread; returns when every echo is back.
RunResult flood(quint16 port, int clients, qint64 messages)
{
    RunResult result;
    QByteArray block;
    for (int i = 0; i < FramesPerWrite; ++i) {
        QByteArray payload = QByteArray("{\"n\":") + QByteArray::number(i).rightJustified(4, '0') + ",\"msg\":\"flood";
        payload = payload.leftJustified(PayloadBytes - 2, '.') + "\"}";
        block += wsi::encodeFrame(wsi::Opcode::Text, payload, true, 0x5a5a1234u + quint32(i));
    }
    std::vector<Client> cs(static_cast<size_t>(clients));
    for (int i = 0; i < clients; ++i) {
        cs[size_t(i)].fd = connectTo(port, &result.error);
        if (cs[size_t(i)].fd < 0)
            return result;
        // Whole blocks per client, so that every write is one block or the rest of one.
        cs[size_t(i)].toSend = (messages / clients + FramesPerWrite - 1) / FramesPerWrite * FramesPerWrite;
    }
    QElapsedTimer clock;
    clock.start();
    std::vector<pollfd> fds(static_cast<size_t>(clients));
    std::vector<char> buf(1 << 16);
    for (;;) {
        bool done = true;
        for (int i = 0; i < clients; ++i) {
            Client& c = cs[size_t(i)];
            const bool wantWrite = c.sent < c.toSend && c.sent - c.received < Window;
            fds[size_t(i)] = { c.fd, short(POLLIN | (wantWrite ? POLLOUT : 0)), 0 };
            done = done && c.received >= c.toSend;
        }
        if (done)
            break;
        if (::poll(fds.data(), nfds_t(fds.size()), 10000) <= 0) {
            result.error = "the server stopped answering";
            return result;
        }
        for (int i = 0; i < clients; ++i) {
            Client& c = cs[size_t(i)];
            const short ev = fds[size_t(i)].revents;
            if (ev & (POLLERR | POLLHUP)) {
                result.error = "a connection was closed by the server";
                return result;
            }
            if (ev & POLLOUT) {
                const ssize_t n
                    = ::write(c.fd, block.constData() + c.blockOffset, size_t(block.size() - c.blockOffset));
                if (n > 0) {
                    c.blockOffset += n;
                    if (c.blockOffset == block.size()) {
                        c.blockOffset = 0;
                        c.sent += FramesPerWrite;
                    }
                }
            }
            if (ev & POLLIN) {
                const ssize_t n = ::read(c.fd, buf.data(), buf.size());
                if (n > 0)
                    c.received += countFrames(c, buf.data(), n);
            }
        }
    }
    result.echoedNs = clock.nsecsElapsed();
    for (Client& c : cs) {
        // A polite goodbye: close 1000, then the TCP end once the server answered.
        const QByteArray close = wsi::encodeFrame(wsi::Opcode::Close, wsi::closePayload(1000, {}), true, 0x01020304u);
        ::fcntl(c.fd, F_SETFL, ::fcntl(c.fd, F_GETFL) & ~O_NONBLOCK);
        [[maybe_unused]] const ssize_t w = ::write(c.fd, close.constData(), size_t(close.size()));
        ::shutdown(c.fd, SHUT_WR);
        while (::read(c.fd, buf.data(), buf.size()) > 0) { }
        ::close(c.fd);
    }
    result.ok = true;
    return result;
}

qint64 textEventsFrom(const wsi::EventStore& store, qsizetype fromRow)
{
    qint64 n = 0;
    for (qsizetype i = fromRow; i < store.count(); ++i)
        n += store.kind(i) == wsi::EventKind::Text;
    return n;
}

qint64 textLinesIn(const QString& path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    qint64 n = 0;
    while (!f.atEnd()) {
        const QByteArray line = f.readLine();
        n += line.contains("\"kind\":\"text\"");
    }
    return n;
}

} // namespace

int main(int argc, char* argv[])
{
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStringList args = QCoreApplication::arguments().mid(1);
    // --port N: flood a server that already runs (e.g. `wsinspector serve`) instead of the app's own.
    int externalPort = 0;
    if (const qsizetype at = args.indexOf(QStringLiteral("--port")); at >= 0 && at + 1 < args.size()) {
        externalPort = args[at + 1].toInt();
        args.remove(at, 2);
    }
    const qint64 messages = args.isEmpty() ? 1000000 : args.front().toLongLong();
    if (messages <= 0 || externalPort < 0 || externalPort > 65535) {
        std::fprintf(stderr, "usage: bench_flood [--port N] [MESSAGES]\n");
        return 2;
    }
    if (externalPort > 0) {
        for (const int clients : { 1, 20 }) {
            const RunResult r = flood(quint16(externalPort), clients, messages);
            if (r.ok)
                std::printf("%2d clients: %.0f echoed msg/s\n", clients, double(messages) / (double(r.echoedNs) / 1e9));
            else
                std::printf("%2d clients: failed: %s\n", clients, r.error.constData());
        }
        return 0;
    }

    QTemporaryDir dir;
    wsi::CaptureSession::Options options;
    options.journalPath = dir.filePath(QStringLiteral("flood.jsonl"));
    wsi::CaptureSession session(options);
    wsi::MainWindow window(&session);
    window.resize(1280, 800);
    window.show();

    QEventLoop loop;
    QObject::connect(&session, &wsi::CaptureSession::serverStarted, &loop, &QEventLoop::quit);
    QObject::connect(&session, &wsi::CaptureSession::serverStartFailed, &loop, [&loop](const QString& why) {
        std::fprintf(stderr, "cannot start the server: %s\n", qPrintable(why));
        loop.exit(1);
    });
    window.startTestServer(0);
    if (loop.exec() != 0)
        return 1;
    const quint16 port = quint16(session.serverUrl().port());
    const wsi::EventStore& store = *session.store();

    // The heartbeat: how late the GUI thread gets to a 5 ms timer while the flood goes on.
    QElapsedTimer beatClock;
    qint64 lastBeatNs = 0;
    qint64 worstGapNs = 0;
    QTimer heartbeat;
    heartbeat.setTimerType(Qt::PreciseTimer);
    heartbeat.setInterval(5);
    QObject::connect(&heartbeat, &QTimer::timeout, &heartbeat, [&] {
        const qint64 now = beatClock.nsecsElapsed();
        worstGapNs = std::max(worstGapNs, now - lastBeatNs);
        lastBeatNs = now;
    });

    // How long the GUI thread spends on one batch: the store, the view model, the view and the statistics
    // all react inside the row insertion.
    QElapsedTimer batchClock;
    qint64 worstBatchNs = 0;
    QObject::connect(
        session.model(), &QAbstractItemModel::rowsAboutToBeInserted, &heartbeat, [&batchClock] { batchClock.start(); });
    QObject::connect(session.model(), &QAbstractItemModel::rowsInserted, &heartbeat,
        [&] { worstBatchNs = std::max(worstBatchNs, batchClock.nsecsElapsed()); });

    std::printf("flood of %lld 32-byte text messages per run, echo server in the app (%s platform)\n",
        static_cast<long long>(messages), qPrintable(QGuiApplication::platformName()));
    std::printf("%8s %14s %16s %14s %14s %22s %10s\n", "clients", "echoed msg/s", "recorded msg/s", "worst stall ms",
        "worst batch ms", "recorded", "RSS B/ev");
    const qint64 rssStart = residentBytes();
    qsizetype rowsStart = store.count();
    for (const int clients : { 1, 20 }) {
        const qsizetype firstRow = store.count();
        const qint64 rssBefore = residentBytes();
        std::atomic<bool> finished { false };
        RunResult result;
        QElapsedTimer runClock;
        runClock.start();
        std::thread flooder([&] {
            result = flood(port, clients, messages);
            finished = true;
        });
        beatClock.start();
        lastBeatNs = 0;
        worstGapNs = 0;
        worstBatchNs = 0;
        heartbeat.start();
        // Until every echo is back and both halves of every message are in the timeline (or a minute passes).
        const qint64 perClient = (messages / clients + FramesPerWrite - 1) / FramesPerWrite * FramesPerWrite;
        const qint64 expected = 2 * perClient * clients;
        qint64 recorded = 0;
        qsizetype countedUpTo = firstRow;
        QEventLoop wait;
        QTimer check;
        check.setInterval(20);
        QObject::connect(&check, &QTimer::timeout, &wait, [&] {
            recorded += textEventsFrom(store, countedUpTo);
            countedUpTo = store.count();
            if ((finished && (recorded >= expected || !result.ok)) || runClock.elapsed() > 120000)
                wait.quit();
        });
        check.start();
        wait.exec();
        const qint64 recordedNs = runClock.nsecsElapsed();
        heartbeat.stop();
        flooder.join();
        if (!result.ok) {
            std::printf("%8d  failed: %s\n", clients, result.error.constData());
            continue;
        }
        const double echoedRate = double(perClient * clients) / (double(result.echoedNs) / 1e9);
        const double recordedRate = double(perClient * clients) / (double(recordedNs) / 1e9);
        const qint64 events = store.count() - firstRow;
        const double perEvent = events > 0 ? double(residentBytes() - rssBefore) / double(events) : 0;
        std::printf("%8d %14.0f %16.0f %14.1f %14.1f %7.1f%% of %11lld %10.1f\n", clients, echoedRate, recordedRate,
            double(std::max<qint64>(0, worstGapNs - 5000000)) / 1e6, double(worstBatchNs) / 1e6,
            100.0 * double(recorded) / double(expected), static_cast<long long>(expected), perEvent);
        std::fflush(stdout);
        // Let the closing handshakes finish before the next run.
        QEventLoop settle;
        QTimer::singleShot(1000, &settle, &QEventLoop::quit);
        settle.exec();
    }
    const qint64 totalEvents = store.count() - rowsStart;
    const qint64 rssLive = residentBytes();
    malloc_trim(0);
    const qint64 rssTrimmed = residentBytes();
    std::printf("after the runs: process grew %.1f MB (%.1f bytes per event); %.1f MB (%.1f bytes per event) once "
                "malloc returns its free memory\n",
        double(rssLive - rssStart) / 1e6, double(rssLive - rssStart) / double(totalEvents),
        double(rssTrimmed - rssStart) / 1e6, double(rssTrimmed - rssStart) / double(totalEvents));
    session.shutdown();
    const qint64 journaled = textLinesIn(options.journalPath);
    std::printf("all runs: %lld events in the timeline, %lld text events in the journal, process grew %.1f MB "
                "(%.1f bytes per event, store %.1f bytes per event)\n",
        static_cast<long long>(totalEvents), static_cast<long long>(journaled),
        double(residentBytes() - rssStart) / 1e6, double(residentBytes() - rssStart) / double(totalEvents),
        double(store.memoryBytes()) / double(store.count()));
    return 0;
}
