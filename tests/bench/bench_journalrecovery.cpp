// How long crash recovery takes on big journals: finding and sizing up a crashed journal at start-up
// (JournalRecovery::inspect: one pass counting event lines), and Recover itself (reading the journal and
// restoring it into a new capture's timeline and journal). Prints figures; no pass/fail.
//
//   bench_journalrecovery [--scan-mb 1024] [--recover-mb 100]

#include "core/capturequeue.h"
#include "core/eventstore.h"
#include "formats/journalrecovery.h"
#include "formats/jsonlcodec.h"
#include "formats/sessionreader.h"
#include "net/capturesession.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>

#include <cstdio>

using namespace wsi;

namespace {

// A journal of about `megabytes` MB: chat-sized text messages both ways on a few connections, as the writer
// writes them. Returns the number of events.
qint64 writeJournal(const QString& path, qint64 megabytes)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return -1;
    QByteArray buffer = jsonl::encodeHeader(QDateTime::currentDateTimeUtc(), QStringLiteral("bench")) + '\n';
    for (quint32 id = 1; id <= 4; ++id) {
        Connection c;
        c.id = id;
        c.role = ConnectionRole::Server;
        jsonl::appendConnection(buffer, c);
    }
    const qint64 target = megabytes * 1024 * 1024;
    qint64 written = 0;
    qint64 events = 0;
    qint64 ts = QDateTime::currentMSecsSinceEpoch() * 1000;
    while (written + buffer.size() < target) {
        Event e = makeEvent(quint32(events % 4 + 1), events % 2 ? Direction::S2C : Direction::C2S, EventKind::Text,
            R"({"type":"chat","user":"someone","text":"message number )" + QByteArray::number(events) + "\"}");
        e.seq = quint64(++events);
        e.timestampUs = (ts += 250);
        jsonl::appendEvent(buffer, e);
        if (buffer.size() > 4 * 1024 * 1024) {
            written += file.write(buffer);
            buffer.truncate(0);
        }
    }
    written += file.write(buffer);
    return file.flush() ? events : -1;
}

void print(const char* what, double seconds, double megabytes)
{
    std::printf("%-52s %8.3f s  %8.0f MB/s\n", what, seconds, megabytes / seconds);
}

} // namespace

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    qint64 scanMb = 1024;
    qint64 recoverMb = 100;
    const QStringList args = QCoreApplication::arguments();
    for (int i = 1; i + 1 < args.size(); i += 2) {
        if (args[i] == QLatin1StringView("--scan-mb"))
            scanMb = args[i + 1].toLongLong();
        else if (args[i] == QLatin1StringView("--recover-mb"))
            recoverMb = args[i + 1].toLongLong();
    }
    QTemporaryDir dir;
    const QString big = dir.filePath(QStringLiteral("big.jsonl"));
    const qint64 bigEvents = writeJournal(big, scanMb);
    if (bigEvents < 0)
        return 1;
    const double bigMb = double(QFile(big).size()) / (1024 * 1024);
    std::printf("journal of %.0f MB, %lld events\n", bigMb, bigEvents);

    QElapsedTimer timer;
    timer.start();
    const CrashedJournal inspected = JournalRecovery::inspect(big);
    print("inspect (count events, last event time), warm cache", double(timer.nsecsElapsed()) / 1e9, bigMb);
    if (inspected.events != bigEvents)
        std::printf("  counted %lld events, expected %lld!\n", inspected.events, bigEvents);
    timer.restart();
    const bool holds = JournalRecovery::holdsEvents(big);
    std::printf("%-52s %8.6f s  (%s)\n", "holdsEvents (clean-shutdown check)", double(timer.nsecsElapsed()) / 1e9,
        holds ? "yes" : "no");
    QFile::remove(big);

    const QString small = dir.filePath(QStringLiteral("recover.jsonl"));
    const qint64 smallEvents = writeJournal(small, recoverMb);
    const double smallMb = double(QFile(small).size()) / (1024 * 1024);
    std::printf("journal of %.0f MB, %lld events\n", smallMb, smallEvents);
    timer.restart();
    SessionData data;
    QString error;
    if (!SessionReader::readFile(small, data, &error)) {
        std::printf("cannot read: %s\n", qPrintable(error));
        return 1;
    }
    print("Recover: read the journal", double(timer.nsecsElapsed()) / 1e9, smallMb);
    timer.restart();
    CaptureSession session(CaptureSession::Options { true, dir.filePath(QStringLiteral("new.jsonl")) });
    CaptureBatch batch;
    batch.connections.assign(data.connections.cbegin(), data.connections.cend());
    batch.events = std::move(data.events);
    session.restore(batch);
    session.flushJournal();
    print("Recover: restore + write the new journal", double(timer.nsecsElapsed()) / 1e9, smallMb);
    timer.restart();
    session.flush();
    print("Recover: all into the timeline (in slices)", double(timer.nsecsElapsed()) / 1e9, smallMb);
    std::printf("timeline holds %lld events\n", qint64(session.store()->count()));
    return 0;
}
