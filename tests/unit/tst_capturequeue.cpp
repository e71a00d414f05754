#include "core/capturequeue.h"

#include <QTest>

#include <thread>

using namespace wsi;

namespace {

Event numbered(quint64 seq)
{
    Event e;
    e.seq = seq;
    e.kind = EventKind::Text;
    e.payload = QByteArray::number(seq);
    e.size = e.payload.size();
    return e;
}

std::vector<quint64> seqs(const std::vector<Event>& events)
{
    std::vector<quint64> out;
    for (const Event& e : events)
        out.push_back(e.seq);
    return out;
}

std::vector<quint64> range(quint64 from, quint64 to)
{
    std::vector<quint64> out;
    for (quint64 s = from; s <= to; ++s)
        out.push_back(s);
    return out;
}

} // namespace

class TestCaptureQueue : public QObject
{
    Q_OBJECT

private slots:
    void takesEverythingInOrder();
    void idleQueueGivesEmptyBatches();
    void recycledStorageTakesTheNextEvents();
    void hugeBatchIsNotKept();
    void producerAndConsumerOnTwoThreads();
};

void TestCaptureQueue::takesEverythingInOrder()
{
    CaptureQueue queue;
    Connection c;
    c.id = 7;
    queue.push(c);
    const Event first = numbered(1);
    queue.push(first); // copied
    queue.push(numbered(2)); // moved
    QCOMPARE(queue.pendingEvents(), size_t(2));
    const CaptureBatch batch = queue.takeAll();
    QCOMPARE(batch.connections.size(), size_t(1));
    QCOMPARE(batch.connections[0].id, quint32(7));
    QCOMPARE(seqs(batch.events), range(1, 2));
    QCOMPARE(batch.events[1].payload, QByteArray("2"));
    QCOMPARE(queue.pendingEvents(), size_t(0));
}

void TestCaptureQueue::idleQueueGivesEmptyBatches()
{
    CaptureQueue queue;
    QVERIFY(queue.takeAll().isEmpty());
    queue.push(numbered(1));
    QCOMPARE(queue.takeAll().events.size(), size_t(1));
    QVERIFY(queue.takeAll().isEmpty());
    QVERIFY(queue.takeAll().isEmpty());
}

void TestCaptureQueue::recycledStorageTakesTheNextEvents()
{
    CaptureQueue queue;
    for (quint64 s = 1; s <= 5000; ++s)
        queue.push(numbered(s));
    CaptureBatch batch = queue.takeAll();
    QCOMPARE(seqs(batch.events), range(1, 5000));
    const size_t capacity = batch.events.capacity();
    const Event* storage = batch.events.data();
    // Events pushed while the consumer still holds the batch go elsewhere, and nothing is lost or reordered.
    queue.push(numbered(5001));
    queue.recycle(std::move(batch));
    QVERIFY(batch.events.empty());
    for (quint64 s = 5002; s <= 6000; ++s)
        queue.push(numbered(s));
    CaptureBatch second = queue.takeAll();
    QCOMPARE(seqs(second.events), range(5001, 6000));
    queue.recycle(std::move(second));
    // The recycled vector is the one the next events went into: no new allocation, no regrowing.
    for (quint64 s = 6001; s <= 9000; ++s)
        queue.push(numbered(s));
    const CaptureBatch third = queue.takeAll();
    QCOMPARE(seqs(third.events), range(6001, 9000));
    QCOMPARE(third.events.data(), storage);
    QCOMPARE(third.events.capacity(), capacity);
}

void TestCaptureQueue::hugeBatchIsNotKept()
{
    CaptureQueue queue;
    for (quint64 s = 1; s <= 100000; ++s)
        queue.push(numbered(s));
    CaptureBatch burst = queue.takeAll();
    QCOMPARE(burst.events.size(), size_t(100000));
    const Event* storage = burst.events.data();
    queue.recycle(std::move(burst));
    queue.push(numbered(100001));
    const CaptureBatch next = queue.takeAll();
    QCOMPARE(seqs(next.events), range(100001, 100001));
    // The burst's memory went back rather than being pinned for a steady rate that needs far less.
    QVERIFY(next.events.data() != storage);
    QVERIFY(next.events.capacity() < 100000);
}

void TestCaptureQueue::producerAndConsumerOnTwoThreads()
{
    CaptureQueue queue;
    constexpr quint64 total = 200000;
    std::thread producer([&queue] {
        for (quint64 s = 1; s <= total; ++s)
            queue.push(numbered(s));
    });
    std::vector<quint64> got;
    while (got.size() < total) {
        CaptureBatch batch = queue.takeAll();
        for (const Event& e : batch.events)
            got.push_back(e.seq);
        queue.recycle(std::move(batch));
        if (got.size() < total)
            std::this_thread::yield();
    }
    producer.join();
    QCOMPARE(got, range(1, total));
    QVERIFY(queue.takeAll().isEmpty());
}

QTEST_GUILESS_MAIN(TestCaptureQueue)
#include "tst_capturequeue.moc"
