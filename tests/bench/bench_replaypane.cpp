// What the replay pane costs on a big capture, off the GUI thread and on it: listing the connections of a
// million-event capture (ReplayPlan::candidates straight from a store snapshot), planning one of its connections
// (ReplayPlan::build from the snapshot, which copies only that connection's payloads), and the comparison
// table fed message by message as a replay receives them, then compared again for new ignore paths.
// Prints figures; not a test. Usage: bench_replaypane [EVENTS] [MESSAGES]

#include "core/eventstore.h"
#include "replay/replayplan.h"
#include "replaycomparemodel.h"
#include "residentmemory.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <cstdio>

using namespace wsi;

namespace {

constexpr qint64 T0 = 1795341600000000;
constexpr int Connections = 100;

QByteArray jsonMessage(qint64 i)
{
    return QByteArrayLiteral(R"({"type":"tick","seq":)") + QByteArray::number(i) + QByteArrayLiteral(R"(,"ts":)")
        + QByteArray::number(T0 + i)
        + QByteArrayLiteral(R"(,"items":[{"id":1,"price":12.5},{"id":2,"price":7}],"note":"some text here"})");
}

void fill(EventStore& store, qint64 events)
{
    for (quint32 c = 1; c <= Connections; ++c)
        store.applyConnection({ c, ConnectionRole::Client, QStringLiteral("ws://127.0.0.1:8765/c%1").arg(c), {}, {} });
    std::vector<Event> batch;
    batch.reserve(4096);
    for (qint64 i = 0; i < events; ++i) {
        Event e;
        e.seq = quint64(i + 1);
        e.connection = quint32(i % Connections) + 1;
        e.timestampUs = T0 + i * 10;
        e.monotonicNs = e.timestampUs * 1000;
        e.direction = (i / Connections) % 2 ? Direction::S2C : Direction::C2S;
        e.kind = i < Connections ? EventKind::Open : EventKind::Text;
        if (e.kind == EventKind::Open)
            e.direction = Direction::None;
        else
            e.payload = jsonMessage(i);
        e.size = e.payload.size();
        batch.push_back(std::move(e));
        if (batch.size() == 4096) {
            store.append(batch);
            batch.clear();
        }
    }
    store.append(batch);
}

double ms(const QElapsedTimer& t)
{
    return double(t.nsecsElapsed()) / 1e6;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const qint64 events = argc > 1 ? QByteArray(argv[1]).toLongLong() : 1000000;
    const int messages = argc > 2 ? QByteArray(argv[2]).toInt() : 10000;

    EventStore store;
    fill(store, events);
    std::printf("capture: %lld events over %d connections, store %.0f MB\n", static_cast<long long>(events),
        Connections, double(store.memoryBytes()) / 1e6);

    const EventStore::Snapshot snapshot = store.snapshot();
    const qint64 before = residentBytes();
    QElapsedTimer t;
    t.start();
    QList<ReplayCandidate> candidates;
    {
        candidates = ReplayPlan::candidates(snapshot, store.connections());
        const qint64 during = residentBytes();
        std::printf("list connections: %.0f ms, %lld candidates, +%.0f MB resident while listing\n", ms(t),
            static_cast<long long>(candidates.size()), double(during - before) / 1e6);
    }

    t.restart();
    QString error;
    const std::optional<ReplayPlan> plan = ReplayPlan::build(
        snapshot, store.connections(), 7, ReplayRole::Client, QStringLiteral("the capture"), &error);
    std::printf("plan connection 7: %.0f ms, %d c2s and %d s2c messages%s\n", ms(t), plan ? plan->c2sCount() : 0,
        plan ? plan->s2cCount() : 0, plan ? "" : qPrintable(QStringLiteral(" (") + error + QLatin1Char(')')));

    // The comparison table, on the GUI thread in the pane: a message at a time, then new ignore paths.
    QList<ReplayMessage> recorded;
    for (int i = 0; i < messages; ++i) {
        ReplayMessage m;
        m.direction = Direction::S2C;
        m.payload = jsonMessage(i);
        recorded.append(m);
    }
    ReplayCompareModel model;
    model.reset(recorded);
    // The pane shows the summary after each message.
    QObject::connect(&model, &ReplayCompareModel::summaryChanged, &model, [&model] { (void)model.summary(); });
    t.restart();
    for (int i = 0; i < messages; ++i) {
        ReplayMessage m = recorded[i];
        m.payload = jsonMessage(i + (i % 10 == 0 ? 1 : 0)); // every tenth differs in seq and ts
        model.addReceived(m);
    }
    const double feedMs = ms(t);
    std::printf(
        "compare %d JSON messages as they arrive, with the summary after each: %.1f ms (%.1f us each), %d differ\n",
        messages, feedMs, feedMs * 1000 / messages, model.count(ReplayCompareRow::Status::Differ));
    QList<JsonPathPattern> ignore;
    ReplayCompare::parseIgnorePaths({ QStringLiteral("$.seq"), QStringLiteral("$..ts") }, &ignore, &error);
    t.restart();
    model.setIgnorePaths(ignore);
    std::printf("compare them all again with 2 ignore paths: %.1f ms, %d differ\n", ms(t),
        model.count(ReplayCompareRow::Status::Differ));
    t.restart();
    const QString summary = model.summary();
    std::printf("summary: %.2f ms (%s)\n", ms(t), qPrintable(summary));
    return 0;
}
