// How long the timeline's filter takes over a big log: each kind of condition over every event (the worker's
// job when the user types), and one live batch filtered as it arrives (on the GUI thread). Prints its
// figures; asserts nothing (DESIGN.md: benchmarks are not timed tests).
// Usage: bench_filter [EVENTS]   (default 1,000,000)

#include "core/capturequeue.h"
#include "core/eventfilter.h"
#include "core/eventstore.h"
#include "core/timelinemodel.h"
#include "core/timelineviewmodel.h"

#include <QCoreApplication>
#include <QElapsedTimer>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

constexpr qsizetype BatchSize = 4096;
constexpr qsizetype PayloadBytes = 32;
constexpr int Repeats = 5;
constexpr quint32 Connections = 8;

const char* const Types[] = { "msg", "join", "leave", "typing", "ack", "presence" };
const char* const Users[] = { "alice", "bob", "carol", "dave", "erin", "frank", "grace" };

// A chat-like mix: mostly text both ways, some binary, pings and pongs, and on each connection's first rows a
// handshake pair. Text payloads are small JSON objects cut or padded to 32 bytes.
wsi::Event makeEvent(quint64 seq)
{
    wsi::Event e;
    e.seq = seq;
    e.timestampUs = 1763805600000000 + qint64(seq) * 10;
    e.monotonicNs = qint64(seq) * 10000;
    e.connection = quint32(seq % Connections) + 1;
    const quint64 pick = (seq * 2654435761u) >> 7; // spread the choices, no visible period
    if (seq <= 2 * Connections) {
        e.kind = seq <= Connections ? wsi::EventKind::HandshakeRequest : wsi::EventKind::HandshakeResponse;
        e.payload = seq <= Connections ? QByteArray("GET /chat HTTP/1.1\r\nHost: h\r\n\r\n")
                                       : QByteArray("HTTP/1.1 101\r\n\r\n");
    } else if (pick % 50 == 0) {
        e.kind = pick % 100 == 0 ? wsi::EventKind::Ping : wsi::EventKind::Pong;
        e.direction = pick % 100 == 0 ? wsi::Direction::C2S : wsi::Direction::S2C;
    } else {
        e.kind = pick % 10 == 1 ? wsi::EventKind::Binary : wsi::EventKind::Text;
        e.direction = pick % 3 == 0 ? wsi::Direction::C2S : wsi::Direction::S2C;
        e.payload = QByteArray("{\"t\":\"") + Types[pick % 6] + "\",\"u\":\"" + Users[(pick / 7) % 7]
            + "\",\"id\":" + QByteArray::number(seq) + "}";
        e.payload.resize(PayloadBytes, ' ');
    }
    e.flags = wsi::FlagFin;
    e.size = e.payload.size();
    return e;
}

wsi::CaptureBatch makeBatch(quint64 firstSeq, qsizetype count)
{
    wsi::CaptureBatch batch;
    batch.events.reserve(size_t(count));
    for (qsizetype i = 0; i < count; ++i)
        batch.events.push_back(makeEvent(firstSeq + quint64(i)));
    return batch;
}

struct Case
{
    const char* name;
    wsi::FilterSpec spec;
};

wsi::FilterSpec text(const char* t, bool caseSensitive = false, bool regex = false)
{
    wsi::FilterSpec spec;
    spec.text = QString::fromUtf8(t);
    spec.caseSensitive = caseSensitive;
    spec.regex = regex;
    return spec;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    qsizetype events = 1000000;
    if (argc > 1) {
        events = qsizetype(std::strtoll(argv[1], nullptr, 10));
        if (events < BatchSize) {
            std::fprintf(stderr, "usage: %s [EVENTS]   (EVENTS >= %lld)\n", argv[0], (long long)BatchSize);
            return 2;
        }
    }
    std::printf("bench_filter: %lld events of %lld-byte JSON text (mixed kinds, directions, %u connections), "
                "best and median of %d runs\n",
        (long long)events, (long long)PayloadBytes, Connections, Repeats);

    wsi::EventStore store;
    wsi::TimelineModel model(&store);
    for (qsizetype done = 0; done < events; done += BatchSize)
        model.append(makeBatch(quint64(done) + 1, std::min(BatchSize, events - done)));
    const wsi::EventStore::Snapshot snapshot = store.snapshot();

    std::vector<Case> cases;
    cases.push_back({ "substring, case-sensitive \"carol\"", text("carol", true) });
    cases.push_back({ "substring, case-insensitive \"CAROL\"", text("CAROL") });
    cases.push_back({ "substring, case-insensitive, no match \"zebra\"", text("zebra") });
    cases.push_back({ "substring, case-insensitive non-ASCII \"\xc3\xa9t\xc3\xa9\"", text("\xc3\xa9t\xc3\xa9") });
    cases.push_back({ "regex \"t\":\"(join|leave)\"", text("\"t\":\"(join|leave)\"", false, true) });
    cases.push_back({ "regex, case-sensitive \\d{5}7\\}", text("\\d{5}7\\}", true, true) });
    wsi::FilterSpec kind;
    kind.kinds = wsi::FilterSpec::kindBit(wsi::EventKind::Binary);
    cases.push_back({ "kind = binary", kind });
    wsi::FilterSpec direction;
    direction.directions = wsi::FilterSpec::directionBit(wsi::Direction::C2S);
    cases.push_back({ "direction = c2s", direction });
    wsi::FilterSpec connection;
    connection.connections = { 3 };
    cases.push_back({ "connection = 3", connection });
    wsi::FilterSpec combo = text("carol");
    combo.kinds = wsi::FilterSpec::kindBit(wsi::EventKind::Text);
    combo.directions = wsi::FilterSpec::directionBit(wsi::Direction::S2C);
    cases.push_back({ "text + kind + direction", combo });

    std::printf("\n%-52s %10s %10s %10s\n", "full filter, EventFilter::collect (one thread)", "best ms", "median ms",
        "matches");
    for (const Case& c : cases) {
        const wsi::EventFilter filter(c.spec);
        std::vector<double> ms;
        size_t matches = 0;
        for (int i = 0; i < Repeats; ++i) {
            std::vector<int> rows;
            QElapsedTimer t;
            t.start();
            filter.collect(snapshot, 0, snapshot.count(), rows);
            ms.push_back(double(t.nsecsElapsed()) / 1e6);
            matches = rows.size();
        }
        std::printf(
            "%-52s %10.1f %10.1f %10zu\n", c.name, *std::min_element(ms.begin(), ms.end()), median(ms), matches);
    }

    // The same through the view model: worker thread, queued answer, model reset.
    std::printf("\n%-52s %10s %10s %10s\n", "full filter, TimelineViewModel::setFilter to rows", "best ms", "median ms",
        "rows");
    wsi::TimelineViewModel view;
    view.setSourceModel(&model);
    for (const Case& c : cases) {
        std::vector<double> ms;
        for (int i = 0; i < Repeats; ++i) {
            view.setFilter(wsi::FilterSpec());
            QElapsedTimer t;
            t.start();
            view.setFilter(c.spec);
            if (!view.waitForFilter()) {
                std::fprintf(stderr, "bench_filter: the filter did not finish\n");
                return 1;
            }
            ms.push_back(double(t.nsecsElapsed()) / 1e6);
        }
        std::printf(
            "%-52s %10.1f %10.1f %10d\n", c.name, *std::min_element(ms.begin(), ms.end()), median(ms), view.rowCount());
    }

    // A live batch arriving while a filter is on: filtered on the GUI thread in TimelineModel::append's
    // rowsInserted, before the next batch.
    std::printf(
        "\n%-52s %10s %10s %10s\n", "incremental: one 4096-event batch (GUI thread)", "best ms", "median ms", "rows");
    const wsi::CaptureBatch batch = makeBatch(quint64(events) + 1, BatchSize);
    for (const Case& c : { cases[1], cases[4], cases[6] }) {
        view.setFilter(c.spec);
        view.waitForFilter();
        std::vector<double> appendMs;
        std::vector<double> filterMs;
        const wsi::EventFilter filter(c.spec);
        for (int i = 0; i < Repeats; ++i) {
            // The filter alone over the last 4096 rows, and the whole append (store + model + view model).
            std::vector<int> rows;
            QElapsedTimer t;
            t.start();
            filter.collect(store.snapshot(), store.count() - BatchSize, store.count(), rows);
            filterMs.push_back(double(t.nsecsElapsed()) / 1e6);
            t.restart();
            model.append(batch);
            appendMs.push_back(double(t.nsecsElapsed()) / 1e6);
        }
        std::printf("%-52s %10.2f %10.2f %10d   (filter alone: %.2f ms)\n",
            QByteArray(QByteArray("append + filter, ") + c.name).constData(),
            *std::min_element(appendMs.begin(), appendMs.end()), median(appendMs), view.rowCount(), median(filterMs));
    }
    return 0;
}
