#include "core/sessionstatistics.h"
#include "statsfixture.h"

#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace wsi;
using namespace wsi::statsfixture;

namespace {

Event withMonotonic(Event e, qint64 ns)
{
    e.monotonicNs = ns;
    return e;
}

// The size on the wire, when the payload was not kept.
Event withSize(Event e, qint64 size)
{
    e.size = size;
    return e;
}

Event closeEvent(quint32 connection, qint64 timestampUs, Direction direction, quint16 code, QByteArray reason)
{
    Event e = ev(connection, timestampUs, direction, EventKind::Close, std::move(reason), code);
    e.size = 2 + e.payload.size();
    return e;
}

Event closedEvent(quint32 connection, qint64 timestampUs, quint16 code)
{
    return withSize(ev(connection, timestampUs, Direction::None, EventKind::Closed, "connection closed", code), 0);
}

} // namespace

class TestSessionStatistics : public QObject, private TimelineFixture
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void emptyStatistics();
    void bucketsPerDirection();
    void controlFramesAreNotMessages();
    void bucketsOlderThanWindowDropped();
    void lateEventsOutsideWindowCountOnlyInTotals();
    void windowOfRecordingEndsAtLastEvent();
    void liveWindowEndsNow();
    void perConnectionTotals();
    void openTimeAndCloseCode();
    void closeCodeFromCloseFrameWhenNoClosedEvent();
    void failedConnection();
    void hugeConnectionIds();
    void pingRoundTrip();
    void pingRoundTripWallClockFallback();
    void pongWithOtherPayloadDoesNotMatch();
    void unansweredPingsAreBounded();
    void resetOnClear();
    void catchesUpWithExistingRows();
    void manyRowsInOneBatch();
    void secondOfNegativeTimes();

private:
    std::unique_ptr<SessionStatistics> m_stats;
};

void TestSessionStatistics::init()
{
    createTimeline();
    m_stats = std::make_unique<SessionStatistics>(m_model.get());
}

void TestSessionStatistics::cleanup()
{
    m_stats.reset();
    destroyTimeline();
}

void TestSessionStatistics::emptyStatistics()
{
    QVERIFY(!m_stats->hasEvents());
    QCOMPARE(m_stats->eventCount(), 0);
    QCOMPARE(m_stats->totals()[SessionStatistics::C2S], SessionStatistics::Traffic {});
    QVERIFY(m_stats->connections().empty());
    const auto window = m_stats->window(BaseSecond);
    QCOMPARE(window.size(), size_t(SessionStatistics::WindowSeconds));
    QCOMPARE(window.front().second, BaseSecond - SessionStatistics::WindowSeconds + 1);
    QCOMPARE(window.back().second, BaseSecond);
    for (const auto& b : window)
        QCOMPARE(b.traffic[SessionStatistics::C2S].messages, 0);
}

void TestSessionStatistics::bucketsPerDirection()
{
    m_model->append(batch({
        ev(1, at(0, 100), Direction::C2S, EventKind::Text, "hello"),
        ev(1, at(0, 900'000), Direction::C2S, EventKind::Binary, "abc"),
        ev(1, at(0, 999'999), Direction::S2C, EventKind::Text, "hello"),
        ev(1, at(1), Direction::S2C, EventKind::Text, "1234567890"),
    }));
    m_model->append(batch({ ev(1, at(1, 5), Direction::S2C, EventKind::Binary, "xy") }));

    QCOMPARE(m_stats->eventCount(), 5);
    QCOMPARE(m_stats->latestSecond(), BaseSecond + 1);
    const auto b0 = m_stats->bucket(BaseSecond);
    QCOMPARE(b0.traffic[SessionStatistics::C2S].messages, 2);
    QCOMPARE(b0.traffic[SessionStatistics::C2S].bytes, 8);
    QCOMPARE(b0.traffic[SessionStatistics::S2C].messages, 1);
    QCOMPARE(b0.traffic[SessionStatistics::S2C].bytes, 5);
    const auto b1 = m_stats->bucket(BaseSecond + 1);
    QCOMPARE(b1.traffic[SessionStatistics::C2S].messages, 0);
    QCOMPARE(b1.traffic[SessionStatistics::S2C].messages, 2);
    QCOMPARE(b1.traffic[SessionStatistics::S2C].bytes, 12);
    QCOMPARE(m_stats->bucket(BaseSecond - 1).traffic[SessionStatistics::C2S].messages, 0);

    const auto& totals = m_stats->totals();
    QCOMPARE(totals[SessionStatistics::C2S].messages, 2);
    QCOMPARE(totals[SessionStatistics::C2S].bytes, 8);
    QCOMPARE(totals[SessionStatistics::S2C].messages, 3);
    QCOMPARE(totals[SessionStatistics::S2C].bytes, 17);

    const auto window = m_stats->window(BaseSecond + 1);
    QCOMPARE(window.back().second, BaseSecond + 1);
    QCOMPARE(window.back().traffic[SessionStatistics::S2C].messages, 2);
    QCOMPARE(window[window.size() - 2].traffic[SessionStatistics::C2S].messages, 2);
}

void TestSessionStatistics::controlFramesAreNotMessages()
{
    m_model->append(batch({
        ev(1, at(0), Direction::None, EventKind::HandshakeRequest, "GET / HTTP/1.1\r\n"),
        ev(1, at(0), Direction::None, EventKind::Open, "connected"),
        ev(1, at(0), Direction::C2S, EventKind::Ping, "p"),
        ev(1, at(0), Direction::S2C, EventKind::Pong, "p"),
        closeEvent(1, at(0), Direction::C2S, 1000, "bye"),
        ev(1, at(0), Direction::None, EventKind::Note, "a note"),
        ev(1, at(0), Direction::None, EventKind::Error, "oops"),
    }));
    const auto& totals = m_stats->totals();
    QCOMPARE(totals[SessionStatistics::C2S].messages, 0);
    QCOMPARE(totals[SessionStatistics::C2S].bytes, 0);
    QCOMPARE(totals[SessionStatistics::C2S].controlFrames, 2);
    QCOMPARE(totals[SessionStatistics::S2C].controlFrames, 1);
    const auto b = m_stats->bucket(BaseSecond);
    QCOMPARE(b.traffic[SessionStatistics::C2S].messages, 0);
    QCOMPARE(b.traffic[SessionStatistics::C2S].controlFrames, 2);
    QCOMPARE(m_stats->eventCount(), 7);
}

void TestSessionStatistics::bucketsOlderThanWindowDropped()
{
    m_model->append(batch({
        ev(1, at(0), Direction::C2S, EventKind::Text, "old"),
        ev(1, at(10), Direction::C2S, EventKind::Text, "ten"),
    }));
    QCOMPARE(m_stats->bucket(BaseSecond).traffic[SessionStatistics::C2S].messages, 1);
    // 70 s later: second 0 is out of the window, second 10 (60 s before the newest) is out too, 11.. in.
    m_model->append(batch({ ev(1, at(70), Direction::C2S, EventKind::Text, "new") }));
    QCOMPARE(m_stats->bucket(BaseSecond).traffic[SessionStatistics::C2S].messages, 0);
    QCOMPARE(m_stats->bucket(BaseSecond + 10).traffic[SessionStatistics::C2S].messages, 0);
    QCOMPARE(m_stats->bucket(BaseSecond + 70).traffic[SessionStatistics::C2S].messages, 1);
    // The slot second 10 used (10 mod 60 = 70 mod 60) now belongs to second 70 alone.
    QCOMPARE(m_stats->bucket(BaseSecond + 70).traffic[SessionStatistics::C2S].bytes, 3);
    // A second 59 s before the newest is still shown.
    m_model->append(batch({ ev(1, at(11), Direction::S2C, EventKind::Text, "late but in") }));
    QCOMPARE(m_stats->bucket(BaseSecond + 11).traffic[SessionStatistics::S2C].messages, 1);
    QCOMPARE(m_stats->totals()[SessionStatistics::C2S].messages, 3);

    qint64 inWindow = 0;
    for (const auto& b : m_stats->window(BaseSecond + 70))
        inWindow += b.traffic[SessionStatistics::C2S].messages + b.traffic[SessionStatistics::S2C].messages;
    QCOMPARE(inWindow, 2);
}

void TestSessionStatistics::lateEventsOutsideWindowCountOnlyInTotals()
{
    m_model->append(batch({ ev(1, at(100), Direction::C2S, EventKind::Text, "now") }));
    m_model->append(batch({ ev(1, at(40), Direction::C2S, EventKind::Text, "very late") }));
    QCOMPARE(m_stats->totals()[SessionStatistics::C2S].messages, 2);
    QCOMPARE(m_stats->bucket(BaseSecond + 40).traffic[SessionStatistics::C2S].messages, 0);
    QCOMPARE(m_stats->bucket(BaseSecond + 100).traffic[SessionStatistics::C2S].messages, 1);
    QCOMPARE(m_stats->latestSecond(), BaseSecond + 100);
}

void TestSessionStatistics::windowOfRecordingEndsAtLastEvent()
{
    m_model->append(batch({ ev(1, at(5, 300'000), Direction::C2S, EventKind::Text, "x") }));
    QVERIFY(!m_stats->isLive());
    QCOMPARE(m_stats->windowEndSecond(nowUs()), BaseSecond + 5);
}

void TestSessionStatistics::liveWindowEndsNow()
{
    const qint64 now = nowUs();
    m_model->append(batch({ ev(1, now, Direction::C2S, EventKind::Text, "x") }));
    QVERIFY(m_stats->isLive());
    QCOMPARE(m_stats->windowEndSecond(now), SessionStatistics::secondOf(now));
    // Time goes on without traffic: the window keeps ending now, the event moves left.
    QCOMPARE(m_stats->windowEndSecond(now + 30'000'000), SessionStatistics::secondOf(now) + 30);
    const auto window = m_stats->window(SessionStatistics::secondOf(now) + 30);
    QCOMPARE(window[size_t(SessionStatistics::WindowSeconds - 31)].traffic[SessionStatistics::C2S].messages, 1);
}

void TestSessionStatistics::perConnectionTotals()
{
    m_model->append(batch(
        {
            ev(2, at(1), Direction::C2S, EventKind::Text, "aaaa"),
            ev(1, at(2), Direction::S2C, EventKind::Binary, "bb"),
            ev(2, at(3), Direction::S2C, EventKind::Text, "cccccc"),
            withSize(ev(2, at(4), Direction::S2C, EventKind::Text), 1000),
        },
        { conn(1, ConnectionRole::Client, QStringLiteral("ws://example.test/")),
            conn(2, ConnectionRole::Server, QStringLiteral("ws://127.0.0.1:8765/"),
                QStringLiteral("127.0.0.1:5000")) }));

    const auto& all = m_stats->connections();
    QCOMPARE(all.size(), size_t(2));
    QCOMPARE(all[0].id, 2u); // order of first appearance
    QCOMPARE(all[1].id, 1u);
    const auto* c2 = m_stats->connection(2);
    QVERIFY(c2);
    QCOMPARE(c2->traffic[SessionStatistics::C2S].messages, 1);
    QCOMPARE(c2->traffic[SessionStatistics::C2S].bytes, 4);
    QCOMPARE(c2->traffic[SessionStatistics::S2C].messages, 2);
    QCOMPARE(c2->traffic[SessionStatistics::S2C].bytes, 1006);
    QCOMPARE(c2->firstUs, at(1));
    QCOMPARE(c2->lastUs, at(4));
    const auto* c1 = m_stats->connection(1);
    QVERIFY(c1);
    QCOMPARE(c1->traffic[SessionStatistics::S2C].bytes, 2);
    QCOMPARE(c1->traffic[SessionStatistics::C2S].messages, 0);
    QVERIFY(!m_stats->connection(3));
    QCOMPARE(m_stats->store()->connection(2)->peer, QStringLiteral("127.0.0.1:5000"));
}

void TestSessionStatistics::openTimeAndCloseCode()
{
    m_model->append(batch({
        ev(1, at(0), Direction::None, EventKind::HandshakeRequest, "GET / HTTP/1.1\r\n"),
        ev(1, at(0, 500), Direction::None, EventKind::HandshakeResponse, "HTTP/1.1 101\r\n"),
        ev(1, at(1), Direction::None, EventKind::Open, "connected"),
        ev(2, at(1), Direction::None, EventKind::HandshakeRequest, "GET / HTTP/1.1\r\n"),
    }));
    const auto* c1 = m_stats->connection(1);
    QCOMPARE(c1->state, ConnectionState::Open);
    QCOMPARE(c1->openedUs, at(1));
    QCOMPARE(m_stats->connection(2)->state, ConnectionState::Connecting);
    QCOMPARE(m_stats->openDurationUs(*m_stats->connection(2), nowUs()), -1);
    // A recording: still open means open until its last event, not until today.
    m_model->append(batch({ ev(1, at(3), Direction::C2S, EventKind::Text, "x") }));
    QCOMPARE(m_stats->openDurationUs(*m_stats->connection(1), nowUs()), 2'000'000);

    m_model->append(batch({
        closeEvent(1, at(4), Direction::C2S, 1001, "going away"),
    }));
    QCOMPARE(m_stats->connection(1)->state, ConnectionState::Closing);
    QVERIFY(m_stats->connection(1)->hasCloseCode);
    QCOMPARE(m_stats->connection(1)->closeCode, quint16(1001));
    m_model->append(batch({
        closeEvent(1, at(4, 10), Direction::S2C, 1000, "ok"),
        closedEvent(1, at(5, 250'000), 1000),
        ev(1, at(9), Direction::None, EventKind::Note, "a remark afterwards"),
    }));
    const auto* c = m_stats->connection(1);
    QCOMPARE(c->state, ConnectionState::Closed);
    QCOMPARE(c->closedUs, at(5, 250'000));
    QCOMPARE(c->closeCode, quint16(1000)); // the closed event says how it ended
    QCOMPARE(c->closeReason, QByteArray("going away"));
    QCOMPARE(m_stats->openDurationUs(*c, nowUs()), 4'250'000);
    QCOMPARE(c->traffic[SessionStatistics::C2S].controlFrames, 1);
    QCOMPARE(c->traffic[SessionStatistics::S2C].controlFrames, 1);
}

void TestSessionStatistics::closeCodeFromCloseFrameWhenNoClosedEvent()
{
    m_model->append(batch({
        ev(1, at(0), Direction::C2S, EventKind::Text, "no open event in this recording"),
        closeEvent(1, at(2), Direction::S2C, 4000, "custom"),
    }));
    const auto* c = m_stats->connection(1);
    QCOMPARE(c->openedUs, at(0)); // the first frame stands for the open
    QCOMPARE(c->state, ConnectionState::Closing);
    QCOMPARE(c->closeCode, quint16(4000));
    QCOMPARE(c->closedUs, -1);
    QCOMPARE(m_stats->openDurationUs(*c, nowUs()), 2'000'000);
    // Lost connection: the closed event carries 1006 and wins.
    m_model->append(batch({ closedEvent(1, at(3), 1006) }));
    QCOMPARE(m_stats->connection(1)->closeCode, quint16(1006));
}

void TestSessionStatistics::failedConnection()
{
    m_model->append(batch({ ev(7, at(0), Direction::None, EventKind::Error, "connection refused") }));
    const auto* c = m_stats->connection(7);
    QCOMPARE(c->errors, 1);
    QCOMPARE(c->state, ConnectionState::Connecting);
    QCOMPARE(c->openedUs, -1);
}

void TestSessionStatistics::hugeConnectionIds()
{
    // Ids from a foreign recording need not be small; they must still be told apart.
    m_model->append(batch({
        ev(4'000'000'000u, at(0), Direction::C2S, EventKind::Text, "a"),
        ev(3, at(0), Direction::C2S, EventKind::Text, "bb"),
        ev(4'000'000'001u, at(0), Direction::S2C, EventKind::Text, "ccc"),
        ev(4'000'000'000u, at(1), Direction::C2S, EventKind::Text, "dddd"),
    }));
    QCOMPARE(m_stats->connections().size(), size_t(3));
    QCOMPARE(m_stats->connection(4'000'000'000u)->traffic[SessionStatistics::C2S].bytes, 5);
    QCOMPARE(m_stats->connection(4'000'000'001u)->traffic[SessionStatistics::S2C].bytes, 3);
    QCOMPARE(m_stats->connection(3)->traffic[SessionStatistics::C2S].bytes, 2);
    QVERIFY(!m_stats->connection(4'000'000'002u));
    QVERIFY(!m_stats->connection(2));
}

void TestSessionStatistics::pingRoundTrip()
{
    m_model->append(batch({
        withMonotonic(ev(1, at(0), Direction::C2S, EventKind::Ping, "1"), 1'000'000'000),
        withMonotonic(ev(1, at(0, 100), Direction::C2S, EventKind::Ping, "2"), 1'000'100'000),
    }));
    m_model->append(batch({
        withMonotonic(ev(1, at(0, 900), Direction::S2C, EventKind::Pong, "1"), 1'003'000'000),
    }));
    const auto* c = m_stats->connection(1);
    QCOMPARE(c->rttCount, 1);
    QCOMPARE(c->lastRttNs, 3'000'000); // monotonic clock, not the (coarser) wall clock
    m_model->append(batch({
        withMonotonic(ev(1, at(0, 950), Direction::S2C, EventKind::Pong, "2"), 1'005'100'000),
    }));
    c = m_stats->connection(1);
    QCOMPARE(c->rttCount, 2);
    QCOMPARE(c->lastRttNs, 5'000'000);
    QCOMPARE(c->averageRttNs(), 4'000'000);
    // Each ping is answered once: a second pong "2" matches nothing.
    m_model->append(batch({ withMonotonic(ev(1, at(1), Direction::S2C, EventKind::Pong, "2"), 2'000'000'000) }));
    QCOMPARE(m_stats->connection(1)->rttCount, 2);

    // The server pings, the client answers: same rule the other way round; empty payloads pair in order.
    m_model->append(batch({
        withMonotonic(ev(2, at(2), Direction::S2C, EventKind::Ping, {}), 10'000),
        withMonotonic(ev(2, at(2), Direction::S2C, EventKind::Ping, {}), 20'000),
        withMonotonic(ev(2, at(2), Direction::C2S, EventKind::Pong, {}), 30'000),
        withMonotonic(ev(2, at(2), Direction::C2S, EventKind::Pong, {}), 35'000),
    }));
    const auto* c2 = m_stats->connection(2);
    QCOMPARE(c2->rttCount, 2);
    QCOMPARE(c2->rttSumNs, 20'000 + 15'000);
    QCOMPARE(c2->lastRttNs, 15'000);
}

void TestSessionStatistics::pingRoundTripWallClockFallback()
{
    // A recording read from a file has no monotonic clock.
    m_model->append(batch({
        ev(1, at(0), Direction::C2S, EventKind::Ping, "abc"),
        ev(1, at(0, 1'500), Direction::S2C, EventKind::Pong, "abc"),
    }));
    QCOMPARE(m_stats->connection(1)->lastRttNs, 1'500'000);
}

void TestSessionStatistics::pongWithOtherPayloadDoesNotMatch()
{
    m_model->append(batch({
        ev(1, at(0), Direction::C2S, EventKind::Ping, "abc"),
        ev(1, at(0, 10), Direction::S2C, EventKind::Pong, "abd"), // other payload
        ev(1, at(0, 20), Direction::C2S, EventKind::Pong, "abc"), // same direction as the ping
        ev(2, at(0, 30), Direction::S2C, EventKind::Pong, "abc"), // other connection
        ev(1, at(0, 40), Direction::S2C, EventKind::Pong, {}), // unsolicited heartbeat
    }));
    QCOMPARE(m_stats->connection(1)->rttCount, 0);
    QCOMPARE(m_stats->connection(1)->lastRttNs, -1);
    QCOMPARE(m_stats->connection(1)->averageRttNs(), -1);
    QCOMPARE(m_stats->connection(2)->rttCount, 0);
    // The ping is still waiting and is answered later.
    m_model->append(batch({ ev(1, at(0, 50), Direction::S2C, EventKind::Pong, "abc") }));
    QCOMPARE(m_stats->connection(1)->rttCount, 1);
    QCOMPARE(m_stats->connection(1)->lastRttNs, 50'000);
}

void TestSessionStatistics::unansweredPingsAreBounded()
{
    std::vector<Event> events;
    for (int i = 0; i < 100; ++i)
        events.push_back(ev(1, at(0, i), Direction::C2S, EventKind::Ping, QByteArray::number(i)));
    m_model->append(batch(std::move(events)));
    QCOMPARE(m_stats->connection(1)->rttCount, 0);
    // The oldest waiting pings were forgotten; the newest are still matched.
    m_model->append(batch({
        ev(1, at(1), Direction::S2C, EventKind::Pong, "0"),
        ev(1, at(1), Direction::S2C, EventKind::Pong, "99"),
    }));
    QCOMPARE(m_stats->connection(1)->rttCount, 1);
    QCOMPARE(m_stats->connection(1)->lastRttNs, (1'000'000 - 99) * 1000);
}

void TestSessionStatistics::resetOnClear()
{
    m_model->append(batch({
        ev(1, at(0), Direction::C2S, EventKind::Text, "x"),
        ev(1, at(0), Direction::C2S, EventKind::Ping, "p"),
    }));
    const quint64 revision = m_stats->revision();
    QSignalSpy spy(m_stats.get(), &SessionStatistics::statisticsReset);
    m_model->clear();
    QCOMPARE(spy.count(), 1);
    QVERIFY(m_stats->revision() > revision);
    QVERIFY(!m_stats->hasEvents());
    QCOMPARE(m_stats->eventCount(), 0);
    QVERIFY(m_stats->connections().empty());
    QCOMPARE(m_stats->totals()[SessionStatistics::C2S].messages, 0);
    QCOMPARE(m_stats->bucket(BaseSecond).traffic[SessionStatistics::C2S].messages, 0);

    // Counting starts again from the first row; the old ping is forgotten.
    m_model->append(batch({
        ev(1, at(0), Direction::S2C, EventKind::Pong, "p"),
        ev(1, at(0), Direction::S2C, EventKind::Text, "yy"),
    }));
    QCOMPARE(m_stats->eventCount(), 2);
    QCOMPARE(m_stats->connection(1)->rttCount, 0);
    QCOMPARE(m_stats->bucket(BaseSecond).traffic[SessionStatistics::S2C].bytes, 2);
    QCOMPARE(m_stats->bucket(BaseSecond).traffic[SessionStatistics::C2S].messages, 0);
}

void TestSessionStatistics::catchesUpWithExistingRows()
{
    m_model->append(batch({ ev(3, at(0), Direction::C2S, EventKind::Text, "before") }));
    SessionStatistics late(m_model.get());
    QCOMPARE(late.eventCount(), 1);
    QCOMPARE(late.connection(3)->traffic[SessionStatistics::C2S].bytes, 6);
    m_model->append(batch({ ev(3, at(0), Direction::C2S, EventKind::Text, "after") }));
    QCOMPARE(late.connection(3)->traffic[SessionStatistics::C2S].messages, 2);
}

void TestSessionStatistics::manyRowsInOneBatch()
{
    // 200,000 events over 100 s and 10 connections, in one batch: the window holds the last 60 s.
    constexpr int Count = 200'000;
    constexpr int PerSecond = Count / 100;
    std::vector<Event> events;
    events.reserve(Count);
    for (int i = 0; i < Count; ++i) {
        events.push_back(withSize(ev(quint32(1 + i % 10), at(i / PerSecond, i % PerSecond),
                                      i % 2 ? Direction::S2C : Direction::C2S, EventKind::Text),
            10));
    }
    m_model->append(batch(std::move(events)));
    QCOMPARE(m_stats->eventCount(), Count);
    QCOMPARE(m_stats->latestSecond(), BaseSecond + 99);
    QCOMPARE(m_stats->connections().size(), size_t(10));
    QCOMPARE(m_stats->totals()[SessionStatistics::C2S].messages, Count / 2);
    QCOMPARE(m_stats->totals()[SessionStatistics::S2C].bytes, qint64(Count / 2) * 10);
    // Connection 4 gets every tenth event from i = 3 on: all odd, all server to client.
    QCOMPARE(m_stats->connection(4)->traffic[SessionStatistics::S2C].messages, Count / 10);
    QCOMPARE(m_stats->connection(4)->traffic[SessionStatistics::C2S].messages, 0);
    const auto window = m_stats->window(m_stats->windowEndSecond(nowUs()));
    QCOMPARE(window.front().second, BaseSecond + 40);
    for (const auto& b : window) {
        QCOMPARE(b.traffic[SessionStatistics::C2S].messages, PerSecond / 2);
        QCOMPARE(b.traffic[SessionStatistics::S2C].bytes, qint64(PerSecond / 2) * 10);
    }
}

void TestSessionStatistics::secondOfNegativeTimes()
{
    QCOMPARE(SessionStatistics::secondOf(0), 0);
    QCOMPARE(SessionStatistics::secondOf(999'999), 0);
    QCOMPARE(SessionStatistics::secondOf(1'000'000), 1);
    QCOMPARE(SessionStatistics::secondOf(-1), -1);
    QCOMPARE(SessionStatistics::secondOf(-1'000'000), -1);
    QCOMPARE(SessionStatistics::secondOf(-1'000'001), -2);
}

QTEST_GUILESS_MAIN(TestSessionStatistics)

#include "tst_sessionstatistics.moc"
