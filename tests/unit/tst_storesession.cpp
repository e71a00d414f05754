// sessionFromStore: the capture in the event store as SessionData, whole or narrowed to one connection, with or
// without payloads, and read by the replay plan as a session file would be.

#include "core/eventstore.h"
#include "formats/storesession.h"
#include "replay/replayplan.h"
#include "wire/httphead.h"

#include <QTest>

using namespace wsi;

namespace {

constexpr qint64 T0 = 1795341600000000; // µs

Event ev(quint64 seq, quint32 conn, qint64 atMs, Direction dir, EventKind kind, QByteArray payload = {})
{
    Event e;
    e.seq = seq;
    e.connection = conn;
    e.timestampUs = T0 + atMs * 1000;
    e.monotonicNs = e.timestampUs * 1000;
    e.direction = dir;
    e.kind = kind;
    e.payload = std::move(payload);
    e.size = e.payload.size();
    return e;
}

Event request(quint64 seq, quint32 conn, qint64 atMs)
{
    HttpHead h;
    h.method = "GET";
    h.target = "/chat";
    h.headers = { { "Host", "example.test" }, { "Upgrade", "websocket" }, { "X-Api-Key", "k1" },
        { "Sec-WebSocket-Protocol", "chat.v2" } };
    return ev(seq, conn, atMs, Direction::None, EventKind::HandshakeRequest, h.toBytes());
}

// Two interleaved connections, described out of order, and a third that is described but has no events.
void fill(EventStore& store)
{
    store.applyConnection({ 7, ConnectionRole::Server, QStringLiteral("ws://127.0.0.1:9/feed"), {}, {} });
    store.applyConnection({ 3, ConnectionRole::Client, QStringLiteral("ws://example.test/chat"), {}, {} });
    store.applyConnection({ 9, ConnectionRole::Client, QStringLiteral("ws://idle.test/"), {}, {} });
    std::vector<Event> events;
    events.push_back(request(1, 3, 0));
    events.push_back(ev(2, 3, 1, Direction::None, EventKind::Open));
    events.push_back(ev(3, 7, 2, Direction::None, EventKind::Open));
    events.push_back(ev(4, 3, 10, Direction::C2S, EventKind::Text, "hello"));
    events.push_back(ev(5, 7, 11, Direction::S2C, EventKind::Binary, QByteArray("\x00\x01", 2)));
    events.push_back(ev(6, 3, 20, Direction::S2C, EventKind::Text, "{\"n\":1}"));
    Event noted = ev(7, 3, 30, Direction::C2S, EventKind::Text, "bye");
    noted.note = "typed by hand";
    noted.flags = FlagFin | FlagMasked;
    events.push_back(noted);
    events.push_back(ev(8, 3, 31, Direction::C2S, EventKind::Close, "done"));
    store.append(events);
}

} // namespace

class TstStoreSession : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void wholeCaptureKeepsEverything()
    {
        EventStore store;
        fill(store);
        const SessionData data = sessionFromStore(store.snapshot(), store.connections());
        QCOMPARE(data.connections.size(), 3);
        QCOMPARE(data.connections[0].id, 3u); // id order, whatever order the store's hash keeps
        QCOMPARE(data.connections[1].id, 7u);
        QCOMPARE(data.connections[2].id, 9u);
        QCOMPARE(data.connections[1].role, ConnectionRole::Server);
        QCOMPARE(data.events.size(), size_t(8));
        for (size_t i = 0; i < data.events.size(); ++i) {
            const Event expected = store.event(qsizetype(i));
            const Event& e = data.events[i];
            QCOMPARE(e.seq, expected.seq);
            QCOMPARE(e.connection, expected.connection);
            QCOMPARE(e.timestampUs, expected.timestampUs);
            QCOMPARE(e.kind, expected.kind);
            QCOMPARE(e.direction, expected.direction);
            QCOMPARE(e.payload, expected.payload);
            QCOMPARE(e.note, expected.note);
            QCOMPARE(e.flags, expected.flags);
            QCOMPARE(e.size, expected.size);
        }
    }

    void oneConnection()
    {
        EventStore store;
        fill(store);
        const SessionData data = sessionFromStore(store.snapshot(), store.connections(), { 7, true });
        QCOMPARE(data.connections.size(), 1);
        QCOMPARE(data.connections[0].url, QStringLiteral("ws://127.0.0.1:9/feed"));
        QCOMPARE(data.events.size(), size_t(2));
        QCOMPARE(data.events[1].payload, QByteArray("\x00\x01", 2));
    }

    void withoutPayloadsStillSizesConnections()
    {
        EventStore store;
        fill(store);
        const SessionData bare = sessionFromStore(store.snapshot(), store.connections(), { 0, false });
        QCOMPARE(bare.events.size(), size_t(8));
        for (const Event& e : bare.events) {
            QVERIFY(e.payload.isEmpty());
            QVERIFY(e.note.isEmpty());
        }
        QCOMPARE(bare.events[3].size, qint64(5)); // the size is kept, the bytes are not

        // What the replay pane lists comes out the same as from the full copy.
        const SessionData full = sessionFromStore(store.snapshot(), store.connections());
        const QList<ReplayCandidate> a = ReplayPlan::candidates(bare);
        const QList<ReplayCandidate> b = ReplayPlan::candidates(full);
        QCOMPARE(a.size(), 2); // 9 has no messages
        QCOMPARE(a.size(), b.size());
        for (qsizetype i = 0; i < a.size(); ++i) {
            QCOMPARE(a[i].id, b[i].id);
            QCOMPARE(a[i].url, b[i].url);
            QCOMPARE(a[i].c2sMessages, b[i].c2sMessages);
            QCOMPARE(a[i].s2cMessages, b[i].s2cMessages);
            QCOMPARE(a[i].durationUs, b[i].durationUs);
        }
        QCOMPARE(a[0].id, 3u);
        QCOMPARE(a[0].c2sMessages, 2);
        QCOMPARE(a[0].s2cMessages, 1);
        QCOMPARE(a[0].durationUs, qint64(30000)); // open at 1 ms, close at 31 ms
    }

    void planFromTheStore()
    {
        EventStore store;
        fill(store);
        const SessionData data = sessionFromStore(store.snapshot(), store.connections(), { 3, true });
        QString error;
        const std::optional<ReplayPlan> plan
            = ReplayPlan::build(data, 3, ReplayRole::Client, QStringLiteral("the capture"), &error);
        QVERIFY2(plan, qPrintable(error));
        QCOMPARE(plan->url, QUrl(QStringLiteral("ws://example.test/chat")));
        QCOMPARE(plan->subprotocols, QStringList { QStringLiteral("chat.v2") });
        QCOMPARE(plan->headers.size(), 1);
        QCOMPARE(plan->headers[0].first, QByteArray("X-Api-Key"));
        const QList<ReplayMessage> sent = plan->messagesFrom(Direction::C2S);
        QCOMPARE(sent.size(), 2);
        QCOMPARE(sent[0].payload, QByteArray("hello"));
        QCOMPARE(sent[0].offsetUs, qint64(9000));
        QCOMPARE(sent[1].s2cBefore, 1);
        QVERIFY(plan->close);
        QCOMPARE(plan->close->reason, QByteArray("done"));
    }

    void snapshotIgnoresLaterRows()
    {
        EventStore store;
        fill(store);
        const EventStore::Snapshot snapshot = store.snapshot();
        store.append({ ev(9, 3, 40, Direction::C2S, EventKind::Text, "later") });
        QCOMPARE(sessionFromStore(snapshot, store.connections()).events.size(), size_t(8));
    }

    void cancelStopsEarly()
    {
        EventStore store;
        std::vector<Event> events;
        for (int i = 0; i < 10000; ++i)
            events.push_back(ev(quint64(i + 1), 1, i, Direction::C2S, EventKind::Text, "x"));
        store.append(events);
        int asked = 0;
        const SessionData data = sessionFromStore(store.snapshot(), {}, {}, [&asked] { return ++asked > 1; });
        QVERIFY(data.events.size() > 0);
        QVERIFY(data.events.size() < size_t(10000));
    }

    void emptyStore()
    {
        EventStore store;
        const SessionData data = sessionFromStore(store.snapshot(), {});
        QVERIFY(data.events.empty());
        QVERIFY(data.connections.isEmpty());
        QVERIFY(ReplayPlan::candidates(data).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TstStoreSession)
#include "tst_storesession.moc"
