#include "core/capturequeue.h"
#include "core/recorder.h"

#include <QTest>

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

using namespace wsi;

namespace {

Event textEvent(quint32 connection, QByteArray payload)
{
    return makeEvent(connection, Direction::C2S, EventKind::Text, std::move(payload));
}

std::vector<quint64> seqs(const std::vector<Event>& events)
{
    std::vector<quint64> out;
    out.reserve(events.size());
    for (const Event& e : events)
        out.push_back(e.seq);
    return out;
}

bool strictlyIncreasing(const std::vector<quint64>& v)
{
    return std::adjacent_find(v.begin(), v.end(), [](quint64 a, quint64 b) { return a >= b; }) == v.end();
}

} // namespace

class TestRecorder : public QObject
{
    Q_OBJECT

private slots:
    void seqStartsAtOne();
    void connectionIdsStartAtOne();
    void everySinkGetsEverythingInOrder();
    void lateSinkGetsOnlyLaterEvents();
    void removeSink();
    void queueHandsOverEverythingOnce();
    void concurrentRecording();
    void concurrentConnections();
    void restoreKeepsIdsAndContinuesAfterThem();
    void restoreOnlyBeforeAnythingIsRecorded();
};

void TestRecorder::seqStartsAtOne()
{
    Recorder recorder;
    QCOMPARE(recorder.lastSeq(), 0u);
    // Numbers are assigned even with nobody listening, so the journal and the GUI agree whenever they attach.
    QCOMPARE(recorder.record(textEvent(1, "a")), 1u);
    QCOMPARE(recorder.record(textEvent(1, "b")), 2u);
    Event preset = textEvent(1, "c");
    preset.seq = 1000; // whatever the endpoint put there is replaced
    QCOMPARE(recorder.record(preset), 3u);
    QCOMPARE(recorder.lastSeq(), 3u);

    auto sink = std::make_shared<CaptureQueue>();
    recorder.addSink(sink);
    QCOMPARE(recorder.record(textEvent(1, "d")), 4u);
    const CaptureBatch batch = sink->takeAll();
    QCOMPARE(batch.events.size(), size_t(1));
    QCOMPARE(batch.events.front().seq, 4u);
    QCOMPARE(batch.events.front().payload, QByteArray("d"));
}

void TestRecorder::connectionIdsStartAtOne()
{
    Recorder recorder;
    auto sink = std::make_shared<CaptureQueue>();
    recorder.addSink(sink);

    Connection c;
    c.id = 99; // ignored
    c.role = ConnectionRole::Server;
    c.url = QStringLiteral("ws://127.0.0.1:8765/");
    QCOMPARE(recorder.addConnection(c), 1u);
    c.role = ConnectionRole::Client;
    QCOMPARE(recorder.addConnection(c), 2u);

    Connection updated = c;
    updated.id = 1;
    updated.role = ConnectionRole::Server;
    updated.subprotocol = QStringLiteral("chat");
    recorder.updateConnection(updated);

    const CaptureBatch batch = sink->takeAll();
    QCOMPARE(batch.connections.size(), size_t(3));
    QCOMPARE(batch.connections[0].id, 1u);
    QCOMPARE(batch.connections[0].role, ConnectionRole::Server);
    QCOMPARE(batch.connections[0].url, c.url);
    QCOMPARE(batch.connections[1].id, 2u);
    QCOMPARE(batch.connections[1].role, ConnectionRole::Client);
    QCOMPARE(batch.connections[2], updated);
    QVERIFY(batch.events.empty());
}

void TestRecorder::everySinkGetsEverythingInOrder()
{
    Recorder recorder;
    std::vector<std::shared_ptr<CaptureQueue>> sinks;
    for (int i = 0; i < 3; ++i) {
        sinks.push_back(std::make_shared<CaptureQueue>());
        recorder.addSink(sinks.back());
    }
    Connection c;
    const quint32 id = recorder.addConnection(c);
    for (int i = 0; i < 100; ++i)
        recorder.record(textEvent(id, QByteArray::number(i)));

    const CaptureBatch first = sinks[0]->takeAll();
    QCOMPARE(first.events.size(), size_t(100));
    QCOMPARE(first.connections.size(), size_t(1));
    for (size_t i = 0; i < first.events.size(); ++i) {
        QCOMPARE(first.events[i].seq, quint64(i + 1));
        QCOMPARE(first.events[i].payload, QByteArray::number(qulonglong(i)));
        QCOMPARE(first.events[i].connection, id);
    }
    for (size_t s = 1; s < sinks.size(); ++s) {
        QCOMPARE(sinks[s]->pendingEvents(), size_t(100));
        const CaptureBatch other = sinks[s]->takeAll();
        QCOMPARE(seqs(other.events), seqs(first.events));
        QCOMPARE(other.connections.size(), size_t(1));
        // Implicitly shared: fanning out to three consumers does not copy message bytes.
        QCOMPARE(other.events.front().payload.constData(), first.events.front().payload.constData());
    }
}

void TestRecorder::lateSinkGetsOnlyLaterEvents()
{
    Recorder recorder;
    recorder.record(textEvent(1, "early"));
    auto sink = std::make_shared<CaptureQueue>();
    recorder.addSink(sink);
    recorder.record(textEvent(1, "late"));
    const CaptureBatch batch = sink->takeAll();
    QCOMPARE(batch.events.size(), size_t(1));
    QCOMPARE(batch.events.front().seq, 2u);
}

void TestRecorder::removeSink()
{
    Recorder recorder;
    auto kept = std::make_shared<CaptureQueue>();
    auto removed = std::make_shared<CaptureQueue>();
    recorder.addSink(kept);
    recorder.addSink(removed);
    recorder.record(textEvent(1, "both"));
    recorder.removeSink(removed);
    recorder.record(textEvent(1, "kept only"));
    recorder.addConnection({});
    recorder.removeSink(removed); // twice: harmless
    recorder.removeSink(std::make_shared<CaptureQueue>()); // never added: harmless

    QCOMPARE(seqs(removed->takeAll().events), std::vector<quint64>({ 1 }));
    const CaptureBatch keptBatch = kept->takeAll();
    QCOMPARE(seqs(keptBatch.events), std::vector<quint64>({ 1, 2 }));
    QCOMPARE(keptBatch.connections.size(), size_t(1));
    // The removed queue is no longer referenced by the recorder.
    QCOMPARE(removed.use_count(), 1);
}

void TestRecorder::queueHandsOverEverythingOnce()
{
    CaptureQueue queue;
    QVERIFY(queue.takeAll().isEmpty());
    queue.push(Connection {});
    QCOMPARE(queue.pendingEvents(), size_t(0));
    queue.push(textEvent(1, "x"));
    queue.push(textEvent(1, "y"));
    QCOMPARE(queue.pendingEvents(), size_t(2));
    const CaptureBatch batch = queue.takeAll();
    QVERIFY(!batch.isEmpty());
    QCOMPARE(batch.connections.size(), size_t(1));
    QCOMPARE(batch.events.size(), size_t(2));
    QCOMPARE(batch.events[1].payload, QByteArray("y"));
    QCOMPARE(queue.pendingEvents(), size_t(0));
    QVERIFY(queue.takeAll().isEmpty());
}

void TestRecorder::concurrentRecording()
{
    constexpr int Threads = 4;
    constexpr int PerThread = 10000;
    constexpr size_t Total = size_t(Threads) * PerThread;

    Recorder recorder;
    auto polled = std::make_shared<CaptureQueue>(); // drained while the producers run, like the GUI does
    auto collected = std::make_shared<CaptureQueue>(); // drained once at the end, like a slow writer
    recorder.addSink(polled);
    recorder.addSink(collected);

    std::atomic<bool> go { false };
    std::vector<std::vector<quint64>> returned(Threads);
    std::vector<std::thread> producers;
    for (int t = 0; t < Threads; ++t) {
        producers.emplace_back([&, t] {
            while (!go.load())
                std::this_thread::yield();
            returned[size_t(t)].reserve(PerThread);
            for (int i = 0; i < PerThread; ++i)
                returned[size_t(t)].push_back(recorder.record(textEvent(quint32(t + 1), QByteArray::number(i))));
        });
    }
    std::vector<Event> polledEvents;
    std::thread consumer([&] {
        while (polledEvents.size() < Total) {
            CaptureBatch b = polled->takeAll();
            polledEvents.insert(
                polledEvents.end(), std::make_move_iterator(b.events.begin()), std::make_move_iterator(b.events.end()));
            if (b.isEmpty())
                std::this_thread::yield();
        }
    });
    go = true;
    for (std::thread& p : producers)
        p.join();
    consumer.join();

    QCOMPARE(recorder.lastSeq(), quint64(Total));
    const std::vector<Event> collectedEvents = collected->takeAll().events;
    for (const std::vector<Event>* events : { &std::as_const(polledEvents), &collectedEvents }) {
        QCOMPARE(events->size(), Total);
        const std::vector<quint64> s = seqs(*events);
        QVERIFY(strictlyIncreasing(s));
        // Strictly increasing and 40,000 of them from 1: exactly 1..40000, none lost, none doubled.
        QCOMPARE(s.front(), 1u);
        QCOMPARE(s.back(), quint64(Total));
        // Each producer's events keep their own order.
        std::vector<int> next(Threads, 0);
        for (const Event& e : *events) {
            const size_t t = e.connection - 1;
            QVERIFY(t < size_t(Threads));
            QCOMPARE(e.payload, QByteArray::number(next[t]++));
        }
    }
    QCOMPARE(seqs(polledEvents), seqs(collectedEvents));
    // What record() returned is what the sinks saw.
    std::vector<quint64> all;
    for (const auto& r : returned) {
        QVERIFY(strictlyIncreasing(r));
        all.insert(all.end(), r.begin(), r.end());
    }
    std::sort(all.begin(), all.end());
    QCOMPARE(all, seqs(collectedEvents));
}

void TestRecorder::concurrentConnections()
{
    Recorder recorder;
    auto sink = std::make_shared<CaptureQueue>();
    recorder.addSink(sink);
    std::vector<std::vector<quint32>> ids(4);
    std::vector<std::thread> threads;
    for (size_t t = 0; t < ids.size(); ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 1000; ++i)
                ids[t].push_back(recorder.addConnection({}));
        });
    }
    for (std::thread& th : threads)
        th.join();
    std::vector<quint32> all;
    for (const auto& v : ids)
        all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end());
    QCOMPARE(all.size(), size_t(4000));
    QCOMPARE(all.front(), 1u);
    QCOMPARE(all.back(), 4000u);
    QVERIFY(std::adjacent_find(all.begin(), all.end()) == all.end());
    const CaptureBatch batch = sink->takeAll();
    QCOMPARE(batch.connections.size(), size_t(4000));
    for (size_t i = 0; i < batch.connections.size(); ++i)
        QCOMPARE(batch.connections[i].id, quint32(i + 1)); // published in the order the ids were given
}

// A recovered journal goes to every sink as it was recorded, and the new capture is numbered after it.
void TestRecorder::restoreKeepsIdsAndContinuesAfterThem()
{
    Recorder recorder;
    auto a = std::make_shared<CaptureQueue>();
    auto b = std::make_shared<CaptureQueue>();
    recorder.addSink(a);
    recorder.addSink(b);
    CaptureBatch batch;
    Connection c;
    c.id = 4;
    batch.connections.push_back(c);
    Event first = textEvent(4, "one");
    first.seq = 17;
    Event second = textEvent(9, "two"); // a connection whose description was lost with the crash
    second.seq = 12;
    batch.events = { first, second };
    QVERIFY(recorder.restore(batch));
    for (const auto& sink : { a, b }) {
        const CaptureBatch taken = sink->takeAll();
        QCOMPARE(taken.connections.size(), size_t(1));
        QCOMPARE(taken.connections.front().id, quint32(4));
        QCOMPARE(seqs(taken.events), (std::vector<quint64> { 17, 12 }));
    }
    QCOMPARE(recorder.record(textEvent(4, "next")), quint64(18));
    QCOMPARE(recorder.addConnection(Connection {}), quint32(10));
}

void TestRecorder::restoreOnlyBeforeAnythingIsRecorded()
{
    CaptureBatch batch;
    Event e = textEvent(1, "old");
    e.seq = 1;
    batch.events = { e };

    Recorder recorded;
    auto sink = std::make_shared<CaptureQueue>();
    recorded.addSink(sink);
    recorded.record(textEvent(0, "new"));
    QVERIFY(!recorded.restore(batch));
    QCOMPARE(sink->takeAll().events.size(), size_t(1));

    Recorder connected;
    connected.addConnection(Connection {});
    QVERIFY(!connected.restore(batch));

    Recorder opened; // a session file was opened into the timeline
    opened.continueAfter(0, 5);
    QVERIFY(!opened.restore(batch));
}

QTEST_GUILESS_MAIN(TestRecorder)
#include "tst_recorder.moc"
