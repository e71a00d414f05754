// How fast the timeline takes in a flood of small messages, what each event costs in memory, and how long a
// view needs to paint one screenful of rows. Prints its figures; asserts nothing (DESIGN.md: benchmarks are
// not timed tests). Usage: bench_eventstore [EVENTS]   (default 1,000,000)

#include "core/capturequeue.h"
#include "core/eventstore.h"
#include "core/timelinemodel.h"
#include "residentmemory.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QRandomGenerator>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <unistd.h>
#include <vector>

namespace {

constexpr qsizetype BatchSize = 4096; // what the GUI pump hands over at most per tick
constexpr qsizetype PayloadBytes = 32;
constexpr int VisibleRows = 50;
constexpr int RandomWindows = 1000;

// A batch as the capture thread would hand it over: alternating c2s messages and their s2c echoes, each
// payload its own 32-byte allocation like a frame read from a socket.
wsi::CaptureBatch makeBatch(quint64 firstSeq, qsizetype count, qint64 startUs)
{
    wsi::CaptureBatch batch;
    if (firstSeq == 1)
        batch.connections.push_back(wsi::Connection { 1, wsi::ConnectionRole::Server,
            QStringLiteral("ws://127.0.0.1:8765/"), QStringLiteral("127.0.0.1:50000"), QString() });
    batch.events.reserve(size_t(count));
    for (qsizetype i = 0; i < count; ++i) {
        const quint64 seq = firstSeq + quint64(i);
        wsi::Event e;
        e.seq = seq;
        e.timestampUs = startUs + qint64(seq) * 10;
        e.monotonicNs = qint64(seq) * 10000;
        e.connection = 1;
        e.direction = seq % 2 ? wsi::Direction::C2S : wsi::Direction::S2C;
        e.kind = wsi::EventKind::Text;
        e.flags = wsi::FlagFin | (seq % 2 ? wsi::FlagMasked : 0);
        e.payload = QByteArray::number(seq).rightJustified(10, '0') + QByteArray(" hello websocket timeline..");
        e.payload.resize(PayloadBytes, '.');
        e.size = e.payload.size();
        batch.events.push_back(std::move(e));
    }
    return batch;
}

struct AppendResult
{
    double appendSeconds = 0; // time spent inside append() only
    double totalSeconds = 0; // including making the batches
};

template <typename Sink> AppendResult appendAll(qsizetype events, Sink&& sink)
{
    AppendResult result;
    QElapsedTimer total;
    total.start();
    qint64 appendNs = 0;
    const qint64 startUs = 1763805600000000;
    for (qsizetype done = 0; done < events; done += BatchSize) {
        const wsi::CaptureBatch batch = makeBatch(quint64(done) + 1, std::min(BatchSize, events - done), startUs);
        QElapsedTimer t;
        t.start();
        sink(batch);
        appendNs += t.nsecsElapsed();
    }
    result.appendSeconds = double(appendNs) / 1e9;
    result.totalSeconds = double(total.nsecsElapsed()) / 1e9;
    return result;
}

// Asks for every cell of a screenful of rows what a QTableView asks while painting: the text, the alignment,
// and the roles the delegate reads for colours. Returns nanoseconds.
qint64 paintWindow(const wsi::TimelineModel& model, int firstRow, qsizetype* checksum)
{
    static const int roles[]
        = { Qt::DisplayRole, Qt::TextAlignmentRole, wsi::TimelineModel::KindRole, wsi::TimelineModel::DirectionRole };
    QElapsedTimer t;
    t.start();
    const int lastRow = std::min(firstRow + VisibleRows, model.rowCount());
    for (int row = firstRow; row < lastRow; ++row) {
        for (int column = 0; column < wsi::TimelineModel::ColumnCount; ++column) {
            const QModelIndex index = model.index(row, column);
            for (int role : roles) {
                const QVariant v = model.data(index, role);
                *checksum += v.isValid() ? v.toString().size() + 1 : 0;
            }
        }
    }
    return t.nsecsElapsed();
}

void report(const char* what, qsizetype events, const AppendResult& r)
{
    std::printf("%-44s %9.3f s  %8.2f M events/s  (with making the batches: %.3f s, %.2f M events/s)\n", what,
        r.appendSeconds, double(events) / r.appendSeconds / 1e6, r.totalSeconds, double(events) / r.totalSeconds / 1e6);
}

} // namespace

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    qsizetype events = 1000000;
    if (argc > 1) {
        events = qsizetype(std::strtoll(argv[1], nullptr, 10));
        if (events < VisibleRows) {
            std::fprintf(stderr, "usage: %s [EVENTS]   (EVENTS >= %d)\n", argv[0], VisibleRows);
            return 2;
        }
    }
    std::printf("bench_eventstore: %lld events of %lld-byte text, batches of %lld\n", (long long)events,
        (long long)PayloadBytes, (long long)BatchSize);

    // The GUI path: TimelineModel::append (one row insertion per batch) into its EventStore.
    wsi::EventStore store;
    wsi::TimelineModel model(&store);
    const qint64 rssBefore = residentBytes();
    const AppendResult viaModel = appendAll(events, [&](const wsi::CaptureBatch& b) { model.append(b); });
    const qint64 rssAfter = residentBytes();
    if (model.rowCount() != events) {
        std::fprintf(
            stderr, "bench_eventstore: the model has %d rows, expected %lld\n", model.rowCount(), (long long)events);
        return 1;
    }

    report("build the timeline (TimelineModel::append)", events, viaModel);
    std::printf("%-44s %9.1f bytes/event (RSS %.1f MiB -> %.1f MiB)\n", "resident memory growth",
        double(rssAfter - rssBefore) / double(events), double(rssBefore) / 1048576.0, double(rssAfter) / 1048576.0);
    std::printf("%-44s %9.1f bytes/event (%.1f MiB; payload itself %lld bytes/event)\n", "EventStore::memoryBytes()",
        double(store.memoryBytes()) / double(events), double(store.memoryBytes()) / 1048576.0, (long long)PayloadBytes);

    // One screenful, as a view scrolled to the bottom (following the live capture) and scrolled anywhere.
    qsizetype checksum = 0;
    const int rows = model.rowCount();
    const qint64 coldEndNs = paintWindow(model, rows - VisibleRows, &checksum);
    qint64 warmEndNs = 0;
    for (int i = 0; i < 10; ++i)
        warmEndNs += paintWindow(model, rows - VisibleRows, &checksum);
    QRandomGenerator random(20261122);
    std::vector<qint64> randomNs;
    randomNs.reserve(RandomWindows);
    for (int i = 0; i < RandomWindows; ++i)
        randomNs.push_back(paintWindow(model, random.bounded(rows - VisibleRows + 1), &checksum));
    std::sort(randomNs.begin(), randomNs.end());
    qint64 randomTotal = 0;
    for (qint64 ns : randomNs)
        randomTotal += ns;
    std::printf("%-44s %9.1f us first, %.1f us warm (%d rows x %d columns, 4 roles each)\n",
        "data() for the last screenful", double(coldEndNs) / 1e3, double(warmEndNs) / 10 / 1e3, VisibleRows,
        int(wsi::TimelineModel::ColumnCount));
    std::printf("%-44s %9.1f us mean, %.1f us median, %.1f us max (%d windows)\n",
        "data() for a screenful at random rows", double(randomTotal) / RandomWindows / 1e3,
        double(randomNs[randomNs.size() / 2]) / 1e3, double(randomNs.back()) / 1e3, RandomWindows);

    // The store alone, to see what the model adds.
    {
        wsi::EventStore bare;
        const AppendResult direct = appendAll(events, [&](const wsi::CaptureBatch& b) { bare.append(b.events); });
        report("EventStore::append alone", events, direct);
    }

    std::printf("(checksum %lld)\n", (long long)checksum);
    return 0;
}
