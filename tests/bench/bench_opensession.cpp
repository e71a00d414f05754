// Opening a big session file as the app does. Writes a session of EVENTS events (default 1,000,000) with a
// realistic mix — handshakes with headers for each of 200 connections, text messages of 20 to 200 bytes, some
// binary ones, pings and pongs, closes — then times, each on its own: the whole MainWindow open path (offscreen,
// openSession to sessionOpened, then the first repaint, then Save As), readSessionFile alone, and the model append
// alone; and the peak resident memory after the window path, which runs first. Prints figures; asserts nothing.
// Usage: bench_opensession [EVENTS] [--keep PATH] [--file PATH]
//   --keep: write the session to PATH and leave it there; --file: open PATH, an existing session, instead

#include "core/eventstore.h"
#include "core/timelinemodel.h"
#include "core/timelineviewmodel.h"
#include "formats/sessionexporter.h"
#include "formats/sessionimport.h"
#include "mainwindow.h"
#include "net/capturesession.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>
#include <ctime>
#include <sys/resource.h>

namespace {

constexpr quint32 Connections = 200;

qint64 peakResidentBytes()
{
    rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return qint64(usage.ru_maxrss) * 1024; // kilobytes on Linux
}

// CPU time of the calling thread: on a loaded machine, what the work cost rather than how long it waited.
qint64 threadCpuMs()
{
    timespec ts {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return qint64(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

double mb(qint64 bytes)
{
    return double(bytes) / (1024.0 * 1024.0);
}

QByteArray randomText(QRandomGenerator& random, int length)
{
    static const QByteArray words[] = { "\"type\"", "\"msg\"", "\"user\"", "hello", "world", "price", "12.50", "true",
        "{", "}", ":", ",", "\"id\"", "42", "caf\xc3\xa9", "\"ts\"", "1763805600", "ok", "[", "]" };
    QByteArray text;
    text.reserve(length + 16);
    while (text.size() < length)
        text += words[random.bounded(int(std::size(words)))];
    text.truncate(length);
    // Never end in the middle of a multi-byte character: the mix stays valid UTF-8 text, as most traffic is.
    while (!text.isEmpty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80)
        text.chop(1);
    if (!text.isEmpty() && static_cast<unsigned char>(text.back()) >= 0xC0)
        text.chop(1);
    return text;
}

bool writeSession(const QString& path, qint64 count)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    wsi::ExportOptions options;
    options.includeSecrets = true;
    options.app = QStringLiteral("bench_opensession");
    const auto exporter = wsi::SessionExporter::create(wsi::SessionFormat::Jsonl, &file, options);
    QRandomGenerator random(20261122);
    quint64 seq = 0;
    qint64 ts = 1763805600000000;
    auto emitEvent = [&](quint32 conn, wsi::Direction dir, wsi::EventKind kind, QByteArray payload) {
        wsi::Event e;
        e.seq = ++seq;
        ts += 1 + random.bounded(200);
        e.timestampUs = ts;
        e.monotonicNs = ts * 1000;
        e.connection = conn;
        e.direction = dir;
        e.kind = kind;
        e.flags = dir == wsi::Direction::None
            ? 0
            : quint8(wsi::FlagFin | (dir == wsi::Direction::C2S ? wsi::FlagMasked : 0));
        e.size = payload.size();
        e.payload = std::move(payload);
        exporter->addEvent(e);
    };
    const qint64 perConnection = 5; // open, request, response, close, closed
    const qint64 messages = std::max<qint64>(0, count - qint64(Connections) * perConnection);
    for (quint32 id = 1; id <= Connections; ++id) {
        exporter->addConnection(
            wsi::Connection { id, id % 2 ? wsi::ConnectionRole::Client : wsi::ConnectionRole::Server,
                QStringLiteral("ws://127.0.0.1:8765/feed/%1").arg(id), QStringLiteral("127.0.0.1:%1").arg(50000 + id),
                QStringLiteral("json.v1") });
        emitEvent(id, wsi::Direction::None, wsi::EventKind::Open, "connecting");
        emitEvent(id, wsi::Direction::None, wsi::EventKind::HandshakeRequest,
            "GET /feed/" + QByteArray::number(id)
                + " HTTP/1.1\r\nHost: 127.0.0.1:8765\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                  "Sec-WebSocket-Protocol: json.v1\r\nUser-Agent: bench\r\n\r\n");
        emitEvent(id, wsi::Direction::None, wsi::EventKind::HandshakeResponse,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: json.v1\r\n\r\n");
    }
    for (qint64 i = 0; i < messages; ++i) {
        const quint32 conn = 1 + random.bounded(Connections);
        const wsi::Direction dir = random.bounded(3) == 0 ? wsi::Direction::C2S : wsi::Direction::S2C;
        const int pick = random.bounded(100);
        if (pick < 90) {
            emitEvent(conn, dir, wsi::EventKind::Text, randomText(random, 20 + random.bounded(181)));
        } else if (pick < 97) {
            QByteArray bytes(16 + random.bounded(241), Qt::Uninitialized);
            for (char& c : bytes)
                c = char(random.bounded(256));
            emitEvent(conn, dir, wsi::EventKind::Binary, bytes);
        } else {
            emitEvent(conn, dir, pick < 99 ? wsi::EventKind::Ping : wsi::EventKind::Pong, QByteArray());
        }
    }
    for (quint32 id = 1; id <= Connections; ++id) {
        emitEvent(id, wsi::Direction::C2S, wsi::EventKind::Close, "bye");
        emitEvent(id, wsi::Direction::None, wsi::EventKind::Closed, "closed cleanly");
    }
    return exporter->finish(nullptr);
}

} // namespace

int main(int argc, char* argv[])
{
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments();
    qint64 events = 1000000;
    QString keep;
    QString existing;
    for (qsizetype i = 1; i < args.size(); ++i) {
        if (args.at(i) == u"--keep" && i + 1 < args.size())
            keep = args.at(++i);
        else if (args.at(i) == u"--file" && i + 1 < args.size())
            existing = args.at(++i);
        else
            events = args.at(i).toLongLong();
    }
    QTemporaryDir dir;
    const QString path = !existing.isEmpty() ? existing
        : keep.isEmpty()                     ? dir.filePath(QStringLiteral("bench.jsonl"))
                                             : keep;

    QElapsedTimer timer;
    timer.start();
    if (existing.isEmpty()) {
        if (!writeSession(path, events)) {
            std::fprintf(stderr, "cannot write %s\n", qPrintable(path));
            return 1;
        }
        std::printf("session: %lld events, %.1f MB, written in %lld ms\n", static_cast<long long>(events),
            mb(QFileInfo(path).size()), static_cast<long long>(timer.elapsed()));
    } else {
        std::printf("session: %s, %.1f MB\n", qPrintable(path), mb(QFileInfo(path).size()));
    }
    const qint64 baseRss = peakResidentBytes();

    {
        wsi::CaptureSession session(wsi::CaptureSession::Options { true, QString() });
        wsi::MainWindow window(&session);
        window.show();
        if (!QTest::qWaitForWindowExposed(&window))
            std::fprintf(stderr, "the window was not exposed\n");
        QSignalSpy opened(&window, &wsi::MainWindow::sessionOpened);
        timer.start();
        window.openSession(path);
        if (!opened.wait(600000))
            std::fprintf(stderr, "no sessionOpened after 10 minutes\n");
        const qint64 openedMs = timer.elapsed();
        QCoreApplication::processEvents(); // the first paint of the full timeline
        const qint64 paintedMs = timer.elapsed();
        std::printf("MainWindow open path: %lld ms to sessionOpened, %lld ms to the first repaint; %lld rows\n",
            static_cast<long long>(openedMs), static_cast<long long>(paintedMs),
            static_cast<long long>(session.model()->rowCount()));
        std::printf("peak resident memory: %.0f MB (%.0f MB before opening; the store holds %.0f MB)\n",
            mb(peakResidentBytes()), mb(baseRss), mb(qint64(session.store()->memoryBytes())));

        // And back to disk, as File › Save As does it.
        QSignalSpy saved(&window, &wsi::MainWindow::sessionSaved);
        const QString savedPath = dir.filePath(QStringLiteral("saved.jsonl"));
        timer.start();
        if (!window.saveSessionAs(savedPath) || !saved.wait(600000))
            std::fprintf(stderr, "saving failed\n");
        std::printf("MainWindow save as: %lld ms (%.1f MB)\n", static_cast<long long>(timer.elapsed()),
            mb(QFileInfo(savedPath).size()));
    }

    wsi::SessionData data;
    QString error;
    timer.start();
    const qint64 cpuBefore = threadCpuMs();
    if (!wsi::readSessionFile(path, data, &error)) {
        std::fprintf(stderr, "cannot read: %s\n", qPrintable(error));
        return 1;
    }
    const qint64 readMs = timer.elapsed();
    std::printf("readSessionFile: %lld ms, %lld ms of CPU (%zu events, %lld warnings)\n",
        static_cast<long long>(readMs), static_cast<long long>(threadCpuMs() - cpuBefore), data.events.size(),
        static_cast<long long>(data.warnings.size()));

    wsi::EventStore store;
    wsi::TimelineModel model(&store);
    wsi::TimelineViewModel viewModel;
    viewModel.setSourceModel(&model);
    wsi::CaptureBatch batch;
    batch.connections.assign(data.connections.cbegin(), data.connections.cend());
    batch.events = std::move(data.events);
    timer.start();
    model.append(batch);
    std::printf("model append (store + timeline + view model): %lld ms\n", static_cast<long long>(timer.elapsed()));
    return 0;
}
