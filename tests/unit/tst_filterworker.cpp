#include "core/filterworker.h"

#include <QTest>

#include <algorithm>
#include <atomic>
#include <mutex>

using namespace wsi;

namespace {

std::vector<Event> events(int n)
{
    std::vector<Event> out;
    for (int i = 0; i < n; ++i) {
        Event e;
        e.seq = quint64(i + 1);
        e.direction = i % 2 ? Direction::C2S : Direction::S2C;
        e.kind = EventKind::Text;
        e.connection = 1;
        e.payload = i % 10 == 0 ? QByteArray("needle ") + QByteArray::number(i) : QByteArray("hay");
        e.size = e.payload.size();
        out.push_back(e);
    }
    return out;
}

// Rows on which a backtracking-prone expression gives up only after its whole match limit: ~35 ms each
// without a limit of ours; with it, a fraction of a millisecond for a short payload, a few milliseconds for a
// payload of `words` repetitions (above BoundedRegex::MatchLimits' first tier).
std::vector<Event> costlyEvents(int n, int words = 1)
{
    std::vector<Event> out = events(n);
    const QByteArray payload = "{\"msg\":\""
        + QByteArray("the quick brown fox jumps over the lazy dog ").repeated(words) + "\",\"n\":\"1\"}";
    for (Event& e : out) {
        e.payload = payload;
        e.size = e.payload.size();
    }
    return out;
}

std::shared_ptr<const EventFilter> costlyFilter()
{
    FilterSpec spec;
    spec.text = QStringLiteral("^(\\W*\\w+\\W*)+:$");
    spec.regex = true;
    return std::make_shared<const EventFilter>(spec);
}

std::shared_ptr<const EventFilter> needleFilter(const QString& text = QStringLiteral("needle"))
{
    FilterSpec spec;
    spec.text = text;
    return std::make_shared<const EventFilter>(spec);
}

// Collects what the worker hands over (on its thread).
struct Results
{
    std::mutex mutex;
    std::vector<FilterWorker::Result> list;
    std::atomic<bool> workerGone = false; // set by the test once the worker is destroyed
    std::atomic<bool> lateResult = false; // a result came after that

    FilterWorker::ResultHandler handler()
    {
        return [this](FilterWorker::Result&& r) {
            if (workerGone.load())
                lateResult = true;
            const std::lock_guard lock(mutex);
            list.push_back(std::move(r));
        };
    }
    bool has(quint64 generation)
    {
        const std::lock_guard lock(mutex);
        return std::any_of(
            list.begin(), list.end(), [generation](const auto& r) { return r.generation == generation; });
    }
};

} // namespace

class TestFilterWorker : public QObject
{
    Q_OBJECT

private slots:
    void oneJob();
    void rangeIsClippedToSnapshot();
    void bigJobSameAsOneThread();
    void newerJobSupersedes();
    void cancelDropsTheResult();
    void destroyWhileBusy();
    void costlyRowsAreCounted();
    void costlyJobIsSuperseded();
    void costlyJobIsCancelled();
    void destroyWhileCostlyJobRuns();
};

void TestFilterWorker::oneJob()
{
    EventStore store;
    store.append(events(1000));
    Results results;
    FilterWorker worker(results.handler());
    QVERIFY(worker.waitForIdle(QDeadlineTimer(1000)));
    const quint64 generation = worker.start({ needleFilter(), store.snapshot(), 5, 995 });
    QCOMPARE(worker.generation(), generation);
    QVERIFY(worker.waitForIdle(QDeadlineTimer(10000)));
    QCOMPARE(results.list.size(), size_t(1));
    const FilterWorker::Result& r = results.list.front();
    QCOMPARE(r.generation, generation);
    QCOMPARE(r.from, 5);
    QCOMPARE(r.to, 995);
    QCOMPARE(r.rows.size(), size_t(99)); // 10, 20, ..., 990
    QCOMPARE(r.rows.front(), 10);
    QCOMPARE(r.rows.back(), 990);
    QVERIFY(r.elapsedNs >= 0);
}

void TestFilterWorker::rangeIsClippedToSnapshot()
{
    EventStore store;
    store.append(events(100));
    const EventStore::Snapshot snapshot = store.snapshot();
    store.append(events(100)); // after the snapshot: not seen
    Results results;
    FilterWorker worker(results.handler());
    worker.start({ needleFilter(), snapshot, 0, 1000 });
    QVERIFY(worker.waitForIdle(QDeadlineTimer(10000)));
    QCOMPARE(results.list.size(), size_t(1));
    QCOMPARE(results.list.front().to, 100);
    QCOMPARE(results.list.front().rows.size(), size_t(10));
}

void TestFilterWorker::bigJobSameAsOneThread()
{
    // Big enough to be split over helper threads on a machine with several cores; the rows must come back
    // complete and in order all the same.
    EventStore store;
    store.append(events(250000));
    const EventStore::Snapshot snapshot = store.snapshot();
    FilterSpec regex;
    regex.text = QStringLiteral("^needle \\d*[37]0$");
    regex.regex = true;
    for (const auto& filter : { needleFilter(), std::make_shared<const EventFilter>(regex) }) {
        std::vector<int> expected;
        QVERIFY(filter->collect(snapshot, 3, 249999, expected));
        QVERIFY(!expected.empty());
        Results results;
        FilterWorker worker(results.handler());
        worker.start({ filter, snapshot, 3, 249999 });
        QVERIFY(worker.waitForIdle(QDeadlineTimer(30000)));
        QCOMPARE(results.list.size(), size_t(1));
        QCOMPARE(results.list.front().rows, expected);
    }
}

void TestFilterWorker::newerJobSupersedes()
{
    EventStore store;
    store.append(events(300000));
    Results results;
    FilterWorker worker(results.handler());
    const quint64 first = worker.start({ needleFilter(), store.snapshot(), 0, store.count() });
    const quint64 second
        = worker.start({ needleFilter(QStringLiteral("needle 7")), store.snapshot(), 0, store.count() });
    QVERIFY(second > first);
    QVERIFY(worker.waitForIdle(QDeadlineTimer(30000)));
    // Only the newest job's answer: the first was either never started or stopped on its way.
    QCOMPARE(results.list.size(), size_t(1));
    QCOMPARE(results.list.front().generation, second);
    for (int row : results.list.front().rows)
        QVERIFY(store.payload(row).startsWith("needle 7"));
}

void TestFilterWorker::cancelDropsTheResult()
{
    // A job that takes seconds (every row runs the regular expression to its limit), so the cancel below always
    // comes first, however slowly this thread is scheduled on a loaded machine.
    EventStore store;
    store.append(costlyEvents(20000));
    Results results;
    FilterWorker worker(results.handler());
    const quint64 job = worker.start({ costlyFilter(), store.snapshot(), 0, store.count() });
    const quint64 after = worker.cancel();
    QVERIFY(after > job);
    QVERIFY(worker.waitForIdle(QDeadlineTimer(30000)));
    QVERIFY(results.list.empty());
    QCOMPARE(worker.generation(), after);
}

void TestFilterWorker::destroyWhileBusy()
{
    EventStore store;
    store.append(events(300000));
    Results results;
    {
        FilterWorker worker(results.handler());
        worker.start({ needleFilter(), store.snapshot(), 0, store.count() });
        store.clear(); // the job's snapshot keeps its rows
    }
    results.workerGone = true;
    // Destroyed without waiting: the job was stopped (or had finished) and nothing is handed over afterwards.
    QTest::qWait(50);
    QVERIFY(!results.lateResult);
    QVERIFY(results.list.size() <= 1);
}

void TestFilterWorker::costlyRowsAreCounted()
{
    EventStore store;
    std::vector<Event> rows = costlyEvents(50);
    rows[7].payload = "ok:";
    store.append(rows);
    Results results;
    FilterWorker worker(results.handler());
    worker.start({ costlyFilter(), store.snapshot(), 0, store.count() });
    QVERIFY(worker.waitForIdle(QDeadlineTimer(60000)));
    QCOMPARE(results.list.size(), size_t(1));
    QCOMPARE(results.list.front().costlyRows, 49);
    QCOMPARE(results.list.front().rows, std::vector<int> { 7 });

    // Longer rows get a bigger budget, and give up all the same.
    EventStore longer;
    longer.append(costlyEvents(5, 33));
    QVERIFY(longer.payload(0).size() > BoundedRegex::MatchLimits[0].maxChars);
    worker.start({ costlyFilter(), longer.snapshot(), 0, longer.count() });
    QVERIFY(worker.waitForIdle(QDeadlineTimer(60000)));
    QCOMPARE(results.list.size(), size_t(2));
    QCOMPARE(results.list.back().costlyRows, 5);
    QVERIFY(results.list.back().rows.empty());
}

void TestFilterWorker::costlyJobIsSuperseded()
{
    // Thousands of rows on which the expression backtracks: the worker must notice the newer job at its next
    // row, not after thousands (which took minutes).
    // Rows of ~1,500 characters: a few milliseconds each to give up, so that looking at the stop condition
    // only every StopCheckInterval rows would take tens of seconds.
    EventStore store;
    store.append(costlyEvents(5000, 33));
    store.append(events(100));
    Results results;
    FilterWorker worker(results.handler());
    const quint64 costly = worker.start({ costlyFilter(), store.snapshot(), 0, store.count() });
    QTest::qWait(20); // let it get going
    const quint64 newer = worker.start({ needleFilter(), store.snapshot(), 0, store.count() });
    QTRY_VERIFY_WITH_TIMEOUT(results.has(newer), 5000);
    QVERIFY(worker.waitForIdle(QDeadlineTimer(20000)));
    QVERIFY(!results.has(costly));
    QCOMPARE(results.list.size(), size_t(1));
    QCOMPARE(results.list.front().rows.size(), size_t(10));
    QCOMPARE(results.list.front().costlyRows, 0);
}

void TestFilterWorker::costlyJobIsCancelled()
{
    EventStore store;
    store.append(costlyEvents(5000));
    Results results;
    FilterWorker worker(results.handler());
    worker.start({ costlyFilter(), store.snapshot(), 0, store.count() });
    QTest::qWait(20);
    worker.cancel();
    QVERIFY(worker.waitForIdle(QDeadlineTimer(20000)));
    QVERIFY(results.list.empty());
}

void TestFilterWorker::destroyWhileCostlyJobRuns()
{
    EventStore store;
    store.append(costlyEvents(5000));
    Results results;
    {
        FilterWorker worker(results.handler());
        worker.start({ costlyFilter(), store.snapshot(), 0, store.count() });
        QTest::qWait(20);
    } // joins: the job stops at its next row
    results.workerGone = true;
    QTest::qWait(50);
    QVERIFY(!results.lateResult);
    QVERIFY(results.list.empty());
}

QTEST_GUILESS_MAIN(TestFilterWorker)
#include "tst_filterworker.moc"
