#include "core/eventstore.h"

#include <QCryptographicHash>
#include <QRandomGenerator>
#include <QTest>

#include <atomic>
#include <limits>
#include <mutex>
#include <thread>

using namespace wsi;

namespace {

QByteArray pattern(qsizetype size, quint32 seed)
{
    QByteArray out((size + 3) / 4 * 4, Qt::Uninitialized);
    QRandomGenerator rng(seed);
    rng.fillRange(reinterpret_cast<quint32*>(out.data()), out.size() / 4);
    out.truncate(size);
    return out;
}

// Every field on one line, so a mismatch names the field; big payloads are hashed.
QByteArray describe(const Event& e)
{
    auto bytes = [](const QByteArray& b) {
        return b.size() <= 48 ? b.toHex() : QCryptographicHash::hash(b, QCryptographicHash::Sha1).toHex();
    };
    return "seq=" + QByteArray::number(e.seq) + " ts=" + QByteArray::number(e.timestampUs)
        + " mono=" + QByteArray::number(e.monotonicNs) + " conn=" + QByteArray::number(e.connection)
        + " dir=" + QByteArray::number(int(e.direction)) + " kind=" + QByteArray::number(int(e.kind))
        + " flags=" + QByteArray::number(e.flags) + " code=" + QByteArray::number(e.closeCode)
        + " size=" + QByteArray::number(e.size) + " payload(" + QByteArray::number(e.payload.size())
        + ")=" + bytes(e.payload) + " note(" + QByteArray::number(e.note.size()) + ")=" + bytes(e.note);
}

// What the store returns for a row through its per-field accessors, assembled like an Event.
Event fromAccessors(const EventStore& store, qsizetype row)
{
    Event e;
    e.seq = store.seq(row);
    e.timestampUs = store.timestampUs(row);
    e.monotonicNs = store.monotonicNs(row);
    e.connection = store.connectionId(row);
    e.direction = store.direction(row);
    e.kind = store.kind(row);
    e.flags = store.flags(row);
    e.closeCode = store.closeCode(row);
    e.size = store.size(row);
    e.payload = store.payload(row).toByteArray();
    e.note = store.note(row).toByteArray();
    return e;
}

Event makeEvent(quint64 seq, QByteArray payload, QByteArray note = {})
{
    Event e;
    e.seq = seq;
    e.timestampUs = 1763805600123456 + qint64(seq) * 1000;
    e.monotonicNs = 5'000'000'000 + qint64(seq) * 7;
    e.connection = quint32(seq % 5 + 1);
    e.direction = Direction(seq % 3);
    e.kind = EventKind(seq % EventKindCount);
    e.flags = quint8(seq * 37);
    e.closeCode = e.kind == EventKind::Close ? quint16(1000 + seq % 16) : 0;
    e.size = payload.size();
    e.payload = std::move(payload);
    e.note = std::move(note);
    return e;
}

// Events with payloads from empty to a few KiB, so that records and the arena both span several chunks.
std::vector<Event> manyEvents(int n, quint32 seed)
{
    QRandomGenerator rng(seed);
    std::vector<Event> out;
    out.reserve(size_t(n));
    for (int i = 0; i < n; ++i) {
        const qsizetype size = rng.bounded(8) == 0 ? rng.bounded(4096) : rng.bounded(300);
        QByteArray note = rng.bounded(10) == 0 ? QByteArray("note ") + QByteArray::number(i) : QByteArray();
        out.push_back(makeEvent(quint64(i + 1), pattern(size, quint32(i)), std::move(note)));
    }
    return out;
}

Connection makeConnection(quint32 id, ConnectionRole role, const QString& url, const QString& subprotocol = {})
{
    Connection c;
    c.id = id;
    c.role = role;
    c.url = url;
    c.peer = QStringLiteral("127.0.0.1:5312%1").arg(id);
    c.subprotocol = subprotocol;
    return c;
}

} // namespace

class TestEventStore : public QObject
{
    Q_OBJECT

private slots:
    void emptyStore();
    void fieldsRoundTrip_data();
    void fieldsRoundTrip();
    void allDirectionsKindsAndFlags();
    void payloadLargerThanAnArenaChunk();
    void manyEventsAcrossChunks();
    void longNoteIsCut();
    void connectionsLastDescriptionWins();
    void clearAndReuse();
    void memoryStaysCompact();
    void snapshotIsFrozen();
    void snapshotOutlivesClear();
    void snapshotReadWhileAppending();
};

void TestEventStore::emptyStore()
{
    EventStore store;
    QCOMPARE(store.count(), 0);
    QVERIFY(store.isEmpty());
    QCOMPARE(store.memoryBytes(), size_t(0));
    QVERIFY(store.connections().isEmpty());
    QCOMPARE(store.connection(1), nullptr);
    store.append({});
    QCOMPARE(store.count(), 0);
}

void TestEventStore::fieldsRoundTrip_data()
{
    QTest::addColumn<Event>("event");

    Event text = makeEvent(1, "hello");
    text.direction = Direction::C2S;
    text.kind = EventKind::Text;
    text.flags = FlagFin | FlagMasked;
    QTest::newRow("text") << text;

    Event empty = makeEvent(2, {});
    empty.kind = EventKind::Ping;
    QTest::newRow("empty payload") << empty;

    Event nuls = makeEvent(3, QByteArray("\0\x01\xff\0\0binary\0", 12));
    nuls.kind = EventKind::Binary;
    nuls.direction = Direction::S2C;
    QTest::newRow("binary with NULs") << nuls;

    // A close frame's size counts the 2 code bytes that the payload (the reason) does not hold.
    Event close = makeEvent(4, "bye");
    close.kind = EventKind::Close;
    close.closeCode = 1000;
    close.size = 5;
    QTest::newRow("close, size differs from payload") << close;

    Event maxCode = makeEvent(5, "x");
    maxCode.kind = EventKind::Close;
    maxCode.closeCode = 65535;
    QTest::newRow("close code 65535") << maxCode;

    Event noted = makeEvent(6, "payload", "Qt added the Host header itself");
    QTest::newRow("payload and note") << noted;

    Event noteOnly = makeEvent(7, {}, QStringLiteral("caf\u00e9").toUtf8());
    noteOnly.kind = EventKind::Open;
    noteOnly.direction = Direction::None;
    QTest::newRow("note without payload") << noteOnly;

    Event extremes = makeEvent(std::numeric_limits<quint64>::max(), "z");
    extremes.timestampUs = std::numeric_limits<qint64>::max();
    extremes.monotonicNs = std::numeric_limits<qint64>::min();
    extremes.connection = std::numeric_limits<quint32>::max();
    extremes.flags = 0xFF;
    extremes.size = std::numeric_limits<quint32>::max();
    QTest::newRow("extreme values") << extremes;

    Event negative = makeEvent(8, "before 1970");
    negative.timestampUs = -1'000'000;
    negative.monotonicNs = 0;
    QTest::newRow("timestamp before the epoch") << negative;

    Event bigSize = makeEvent(9, "first bytes only");
    bigSize.size = 10 * 1024 * 1024; // a message recorded without all its bytes
    QTest::newRow("size larger than the payload kept") << bigSize;
}

void TestEventStore::fieldsRoundTrip()
{
    QFETCH(Event, event);
    EventStore store;
    // Neighbours on both sides, so that offsets into the arena matter.
    store.append({ makeEvent(100, "before", "n1"), event, makeEvent(101, "after", "n2") });
    QCOMPARE(store.count(), 3);
    QVERIFY(!store.isEmpty());

    QCOMPARE(describe(fromAccessors(store, 1)), describe(event));
    QCOMPARE(describe(store.event(1)), describe(event));
    QCOMPARE(store.payload(1).size(), event.payload.size());
    QCOMPARE(store.note(1).size(), event.note.size());
    QCOMPARE(describe(store.event(0)), describe(makeEvent(100, "before", "n1")));
    QCOMPARE(describe(store.event(2)), describe(makeEvent(101, "after", "n2")));
    QCOMPARE(store.event(1).isFrame(), event.isFrame());
}

void TestEventStore::allDirectionsKindsAndFlags()
{
    std::vector<Event> events;
    quint64 seq = 0;
    for (Direction d : { Direction::None, Direction::C2S, Direction::S2C }) {
        for (int k = 0; k < EventKindCount; ++k) {
            for (int flags : { 0x00, int(FlagFin), FlagRsv1 | FlagCompressed, FlagFragment | FlagMasked, 0x7F, 0xFF }) {
                ++seq;
                Event e = makeEvent(seq, QByteArray::number(seq));
                e.direction = d;
                e.kind = EventKind(k);
                e.flags = quint8(flags);
                events.push_back(e);
            }
        }
    }
    EventStore store;
    store.append(events);
    QCOMPARE(store.count(), qsizetype(events.size()));
    for (qsizetype row = 0; row < store.count(); ++row) {
        QCOMPARE(store.direction(row), events[size_t(row)].direction);
        QCOMPARE(store.kind(row), events[size_t(row)].kind);
        QCOMPARE(store.flags(row), events[size_t(row)].flags);
        QCOMPARE(describe(store.event(row)), describe(events[size_t(row)]));
    }
}

void TestEventStore::payloadLargerThanAnArenaChunk()
{
    const QByteArray big = pattern(3 * 1024 * 1024 + 17, 3);
    const QByteArray almostChunk = pattern(1024 * 1024 - 5, 4);
    const std::vector<Event> events {
        makeEvent(1, "small before"),
        makeEvent(2, big, "note after a big payload"),
        makeEvent(3, "small after"),
        makeEvent(4, almostChunk),
        makeEvent(5, pattern(10, 5), "does not fit in the rest of the chunk"),
        makeEvent(6, big),
        makeEvent(7, {}),
    };
    EventStore store;
    store.append(events);
    QCOMPARE(store.count(), qsizetype(events.size()));
    for (qsizetype row = 0; row < store.count(); ++row) {
        QCOMPARE(describe(store.event(row)), describe(events[size_t(row)]));
        QVERIFY(store.payload(row) == events[size_t(row)].payload);
    }
}

void TestEventStore::manyEventsAcrossChunks()
{
    // 10,000 events in batches of random size: more than two record chunks (4096 each) and several arena
    // chunks. Everything is checked at the end, so growing the store must not have moved or overwritten
    // anything written earlier.
    const std::vector<Event> events = manyEvents(10000, 77);
    EventStore store;
    QRandomGenerator rng(78);
    qsizetype payloadBytes = 0;
    for (size_t at = 0; at < events.size();) {
        const size_t n = std::min(events.size() - at, size_t(rng.bounded(1, 1500)));
        store.append(std::vector<Event>(events.begin() + qsizetype(at), events.begin() + qsizetype(at + n)));
        at += n;
        QCOMPARE(store.count(), qsizetype(at));
    }
    for (const Event& e : events)
        payloadBytes += e.payload.size();
    QVERIFY2(payloadBytes > 3 * 1024 * 1024, "the test should span several arena chunks");

    for (qsizetype row = 0; row < store.count(); ++row) {
        const Event& want = events[size_t(row)];
        if (describe(store.event(row)) != describe(want) || describe(fromAccessors(store, row)) != describe(want))
            QFAIL(qPrintable(
                QStringLiteral("row %1 differs: %2").arg(row).arg(QString::fromLatin1(describe(store.event(row))))));
    }
    // The chunk edges by name.
    for (qsizetype row : { 4095, 4096, 4097, 8191, 8192, 9999 })
        QCOMPARE(store.seq(row), quint64(row + 1));
}

void TestEventStore::longNoteIsCut()
{
    // A note is a short remark; the record keeps at most 65535 bytes of it.
    const QByteArray note(70000, 'n');
    EventStore store;
    store.append({ makeEvent(1, "p", note), makeEvent(2, "q", "short") });
    QCOMPARE(store.note(0).size(), 65535);
    QVERIFY(store.note(0) == note.first(65535));
    QCOMPARE(store.payload(0), QByteArrayView("p"));
    QCOMPARE(store.note(1), QByteArrayView("short"));
    QCOMPARE(store.payload(1), QByteArrayView("q"));
}

void TestEventStore::connectionsLastDescriptionWins()
{
    EventStore store;
    const QString url = QStringLiteral("ws://127.0.0.1:8765/chat");
    store.applyConnection(makeConnection(1, ConnectionRole::Server, url));
    store.applyConnection(makeConnection(2, ConnectionRole::Client, QStringLiteral("wss://echo.example/")));
    QCOMPARE(store.connections().size(), 2);
    QVERIFY(store.connection(1));
    QCOMPARE(store.connection(1)->role, ConnectionRole::Server);
    QCOMPARE(store.connection(1)->subprotocol, QString());

    // The handshake response brings the subprotocol: the connection is described again.
    const Connection updated = makeConnection(1, ConnectionRole::Server, url, QStringLiteral("chat"));
    store.applyConnection(updated);
    QCOMPARE(store.connections().size(), 2);
    QCOMPARE(*store.connection(1), updated);
    QCOMPARE(store.connection(2)->url, QStringLiteral("wss://echo.example/"));
    QCOMPARE(store.connection(3), nullptr);

    // Connections live independently of events.
    QCOMPARE(store.count(), 0);
}

void TestEventStore::clearAndReuse()
{
    EventStore store;
    store.applyConnection(makeConnection(1, ConnectionRole::Client, QStringLiteral("ws://h/")));
    store.append(manyEvents(5000, 1));
    QVERIFY(store.memoryBytes() > 0);
    store.clear();
    QCOMPARE(store.count(), 0);
    QVERIFY(store.isEmpty());
    QVERIFY(store.connections().isEmpty());
    QCOMPARE(store.connection(1), nullptr);
    QCOMPARE(store.memoryBytes(), size_t(0));

    const std::vector<Event> again = manyEvents(4100, 2);
    store.append(again);
    QCOMPARE(store.count(), 4100);
    QCOMPARE(describe(store.event(0)), describe(again.front()));
    QCOMPARE(describe(store.event(4099)), describe(again.back()));
}

void TestEventStore::memoryStaysCompact()
{
    // DESIGN.md: at most 48 bytes of overhead per event beyond its payload. Capacity, not timing, is
    // measured: records come in chunks of 4096 and payloads in 1 MiB arena chunks, so allow about one
    // partly filled chunk of each (3 MiB in all) on top.
    constexpr int N = 100000;
    constexpr int PayloadSize = 32;
    EventStore store;
    std::vector<Event> batch;
    const QByteArray payload(PayloadSize, 'p');
    for (int i = 0; i < N; ++i) {
        batch.push_back(makeEvent(quint64(i + 1), payload));
        if (batch.size() == 4096 || i == N - 1) {
            store.append(batch);
            batch.clear();
        }
    }
    QCOMPARE(store.count(), N);
    const size_t payloadBytes = size_t(N) * PayloadSize;
    const size_t bound = 48 * size_t(N) + payloadBytes + 3 * 1024 * 1024;
    qDebug("memoryBytes() = %zu for %d events of %d bytes (%.1f bytes/event beyond payload)", store.memoryBytes(), N,
        PayloadSize, double(store.memoryBytes() - payloadBytes) / N);
    QVERIFY2(store.memoryBytes() < bound, qPrintable(QStringLiteral("%1 >= %2").arg(store.memoryBytes()).arg(bound)));
    QVERIFY(store.memoryBytes() >= 48 * size_t(N) + payloadBytes);
}

void TestEventStore::snapshotIsFrozen()
{
    EventStore store;
    QCOMPARE(store.snapshot().count(), 0);
    QVERIFY(store.snapshot().isEmpty());
    QVERIFY(EventStore::Snapshot().isEmpty());

    const std::vector<Event> events = manyEvents(9000, 5);
    store.append(std::vector<Event>(events.begin(), events.begin() + 5000));
    const EventStore::Snapshot snapshot = store.snapshot();
    // Appends after the snapshot (filling its last record chunk and starting new record and arena chunks)
    // do not change what it sees.
    store.append(std::vector<Event>(events.begin() + 5000, events.end()));
    QCOMPARE(store.count(), 9000);
    QCOMPARE(snapshot.count(), 5000);
    QVERIFY(!snapshot.isEmpty());
    for (qsizetype row = 0; row < snapshot.count(); ++row) {
        const Event& want = events[size_t(row)];
        if (snapshot.seq(row) != want.seq || snapshot.timestampUs(row) != want.timestampUs
            || snapshot.monotonicNs(row) != want.monotonicNs || snapshot.connectionId(row) != want.connection
            || snapshot.direction(row) != want.direction || snapshot.kind(row) != want.kind
            || snapshot.flags(row) != want.flags || snapshot.closeCode(row) != want.closeCode
            || snapshot.size(row) != want.size || snapshot.payload(row) != want.payload
            || snapshot.note(row) != want.note)
            QFAIL(qPrintable(QStringLiteral("snapshot row %1 differs").arg(row)));
    }
    // A newer snapshot sees the new rows, the same bytes where both reach.
    const EventStore::Snapshot later = store.snapshot();
    QCOMPARE(later.count(), 9000);
    QCOMPARE(later.payload(8999), QByteArrayView(events.back().payload));
    QCOMPARE(later.payload(4999).data(), snapshot.payload(4999).data());
}

void TestEventStore::snapshotOutlivesClear()
{
    EventStore store;
    const std::vector<Event> events = manyEvents(6000, 9);
    store.append(events);
    const EventStore::Snapshot snapshot = store.snapshot();
    store.clear();
    QCOMPARE(store.count(), 0);
    QCOMPARE(store.memoryBytes(), size_t(0));
    // New events reuse nothing the snapshot still reads.
    store.append(manyEvents(6000, 10));
    QCOMPARE(snapshot.count(), 6000);
    for (qsizetype row : { 0, 1, 4095, 4096, 5999 }) {
        QCOMPARE(snapshot.seq(row), events[size_t(row)].seq);
        QCOMPARE(snapshot.payload(row), QByteArrayView(events[size_t(row)].payload));
        QCOMPARE(snapshot.note(row), QByteArrayView(events[size_t(row)].note));
    }
}

void TestEventStore::snapshotReadWhileAppending()
{
    // The filter worker's situation: another thread reads snapshots while this one appends batches (and
    // the store's chunk vectors reallocate). Run under ThreadSanitizer to see races, if any.
    EventStore store;
    store.append(manyEvents(100, 1));
    std::atomic<bool> done = false;
    std::atomic<int> errors = 0;
    std::mutex mutex;
    EventStore::Snapshot latest = store.snapshot();
    std::thread reader([&] {
        while (!done.load()) {
            EventStore::Snapshot s;
            {
                const std::lock_guard lock(mutex);
                s = latest;
            }
            for (qsizetype row = 0; row < s.count(); ++row) {
                if (s.seq(row) != quint64(row + 1) || s.payload(row).size() != s.size(row))
                    ++errors;
            }
        }
    });
    const std::vector<Event> events = manyEvents(30000, 1);
    for (size_t at = 100; at < events.size(); at += 700) {
        store.append(std::vector<Event>(
            events.begin() + qsizetype(at), events.begin() + qsizetype(std::min(at + 700, events.size()))));
        const std::lock_guard lock(mutex);
        latest = store.snapshot();
    }
    done = true;
    reader.join();
    QCOMPARE(errors.load(), 0);
    QCOMPARE(latest.count(), 30000);
}

QTEST_GUILESS_MAIN(TestEventStore)
#include "tst_eventstore.moc"
