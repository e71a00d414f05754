// ReplayClient over loopback: our test server (echo or silent) on port 0 as the peer, the replay's
// connection recorded into the same capture. Assertions are about order and counts, never about durations.

#include "core/capturequeue.h"
#include "core/recorder.h"
#include "net/capturesession.h"
#include "replay/replayclient.h"
#include "replay/replaycompare.h"

#include <QCryptographicHash>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <atomic>

using namespace wsi;

namespace {

ReplayMessage message(Direction dir, const char* payload, qint64 offsetMs, int s2cBefore = 0, bool text = true)
{
    ReplayMessage m;
    m.direction = dir;
    m.text = text;
    m.payload = QByteArray(payload);
    m.offsetUs = offsetMs * 1000;
    m.s2cBefore = s2cBefore;
    return m;
}

// c2s "one" at 0 ms, its echo, binary "two" at 40 ms, its echo, "three" at 80 ms, its echo.
ReplayPlan echoPlan(const QUrl& url)
{
    ReplayPlan plan;
    plan.connection = 3;
    plan.url = url;
    plan.headers = { { "X-Replayed", "yes" } };
    plan.messages = {
        message(Direction::C2S, "one", 0),
        message(Direction::S2C, "one", 1),
        message(Direction::C2S, "two", 40, 1, false),
        message(Direction::S2C, "two", 41, 1, false),
        message(Direction::C2S, "three", 80, 2),
        message(Direction::S2C, "three", 81, 2),
    };
    return plan;
}

class Fixture
{
public:
    explicit Fixture(ServerMode mode = ServerMode::Echo)
    {
        CaptureSession::Options options;
        options.keepTimeline = false;
        session = std::make_unique<CaptureSession>(options);
        session->recorder()->addSink(queue);
        ServerOptions server;
        server.port = 0;
        server.behaviour.mode = mode;
        QSignalSpy started(session.get(), &CaptureSession::serverStarted);
        session->startServer(server);
        if (!started.wait(5000))
            qFatal("the test server did not start");
        url = started.first().first().toUrl();
        url.setPath(QStringLiteral("/replay"));
    }

    // Events of one connection recorded so far (taken from the queue and kept).
    QList<Event> eventsOf(quint32 connection)
    {
        CaptureBatch batch = queue->takeAll();
        for (Event& e : batch.events)
            events.append(std::move(e));
        QList<Event> out;
        for (const Event& e : events) {
            if (e.connection == connection)
                out.append(e);
        }
        return out;
    }

    static QList<QByteArray> payloads(const QList<Event>& events, Direction dir)
    {
        QList<QByteArray> out;
        for (const Event& e : events) {
            if (e.direction == dir && (e.kind == EventKind::Text || e.kind == EventKind::Binary))
                out.append(e.payload);
        }
        return out;
    }

    std::shared_ptr<CaptureQueue> queue = std::make_shared<CaptureQueue>();
    std::unique_ptr<CaptureSession> session;
    QList<Event> events;
    QUrl url;
};

// A WebSocket server by hand, for what our test server will not do: hold the handshake, close with any code,
// drop the TCP connection. Frames from the client are not read, only counted as bytes arriving.
class RawServer
{
public:
    RawServer()
    {
        if (!m_server.listen(QHostAddress::LocalHost))
            qFatal("the raw server cannot listen");
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_context, [this] {
            m_socket = m_server.nextPendingConnection();
            QObject::connect(m_socket, &QTcpSocket::readyRead, &m_context, [this] {
                m_received += m_socket->readAll();
                if (m_request.isEmpty() && m_received.contains("\r\n\r\n")) {
                    const qsizetype end = m_received.indexOf("\r\n\r\n") + 4;
                    m_request = m_received.left(end);
                    m_received.remove(0, end);
                }
            });
        });
    }

    QUrl url() const { return QUrl(QStringLiteral("ws://127.0.0.1:%1/raw").arg(m_server.serverPort())); }
    bool hasRequest() const { return !m_request.isEmpty(); }
    // Bytes that came after the handshake: the client's frames.
    qsizetype frameBytes() const { return m_received.size(); }

    void answerHandshake()
    {
        QByteArray key;
        for (const QByteArray& line : m_request.split('\n')) {
            if (line.toLower().startsWith("sec-websocket-key:"))
                key = line.mid(line.indexOf(':') + 1).trimmed();
        }
        const QByteArray accept = QCryptographicHash::hash(
            QByteArray(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"), QCryptographicHash::Sha1)
                                      .toBase64();
        m_socket->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Accept: "
            + accept + "\r\n\r\n");
    }

    void sendClose(quint16 code, const QByteArray& reason)
    {
        QByteArray frame;
        frame += char(0x88);
        frame += char(2 + reason.size());
        frame += char(code >> 8);
        frame += char(code & 0xff);
        frame += reason;
        m_socket->write(frame);
    }

    void drop() { m_socket->abort(); }

private:
    QTcpServer m_server;
    QObject m_context;
    QTcpSocket* m_socket = nullptr;
    QByteArray m_request;
    QByteArray m_received;
};

// Waits until everything queued to the capture thread before now has run there.
void syncWithCaptureThread(CaptureSession* session)
{
    auto done = std::make_shared<std::atomic_bool>(false);
    session->invokeOnCaptureThread([done](CaptureEngine*) { done->store(true); });
    QTRY_VERIFY(done->load());
}

ReplayClientOptions optionsFor(const ReplayPlan& plan)
{
    ReplayClientOptions options;
    options.connection = plan.clientOptions();
    options.replyTimeoutMs = 2000;
    return options;
}

} // namespace

class TestReplayClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void playsEverythingInOrder();
    void asFastAsPossible();
    void pauseStepResume();
    void stop();
    void pacedWaitsForReplies();
    void pacedTimeoutGoesOn();
    void connectionRefused();
    void refusesToStartTwiceOrWithNothingToSend();
    void extraRepliesAreSeen();
    void strictQuietListensForTheReplyTimeout();
    void pacedShortfallIsCarriedForward();
    void stepWhileConnecting();
    void serverClosesFirst_data();
    void serverClosesFirst();
    void captureShutsDownMidRun();
    void refusesAPlanWithoutURL();
};

void TestReplayClient::playsEverythingInOrder()
{
    Fixture f;
    const ReplayPlan plan = echoPlan(f.url);
    ReplayClient replay(f.session.get());
    QSignalSpy finished(&replay, &ReplayClient::finished);
    QSignalSpy sent(&replay, &ReplayClient::messageSent);
    QSignalSpy received(&replay, &ReplayClient::messageReceived);
    QSignalSpy opened(&replay, &ReplayClient::opened);
    QSignalSpy states(&replay, &ReplayClient::stateChanged);
    QString error;
    QVERIFY2(replay.start(plan, optionsFor(plan), &error), qPrintable(error));
    QCOMPARE(replay.state(), ReplayClient::State::Connecting);
    QVERIFY(replay.connection() != 0);
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.first().at(0).toBool(), true);
    QCOMPARE(finished.first().at(1).toString(), QStringLiteral("3 of 3 messages sent, 3 received"));
    QCOMPARE(opened.size(), 1);
    QCOMPARE(opened.first().first().toUInt(), replay.connection());
    QCOMPARE(sent.size(), 3);
    for (int i = 0; i < 3; ++i)
        QCOMPARE(sent[i].first().toInt(), i);
    QCOMPARE(received.size(), 3);
    QCOMPARE(replay.sentCount(), 3);
    QCOMPARE(replay.totalCount(), 3);
    QCOMPARE(replay.receivedCount(), 3);
    QCOMPARE(replay.state(), ReplayClient::State::Finished);
    QList<ReplayClient::State> seen;
    for (const QList<QVariant>& s : std::as_const(states))
        seen.append(s.first().value<ReplayClient::State>());
    QCOMPARE(seen,
        QList<ReplayClient::State>({ ReplayClient::State::Connecting, ReplayClient::State::Playing,
            ReplayClient::State::Finishing, ReplayClient::State::Finished }));

    // What came back is what the recording says the server sent, in order (an echo server).
    QCOMPARE(replay.received().size(), 3);
    QCOMPARE(replay.received()[0].payload, QByteArray("one"));
    QVERIFY(!replay.received()[1].text);
    QCOMPARE(replay.received()[2].payload, QByteArray("three"));
    QVERIFY(replay.received()[2].offsetUs >= replay.received()[0].offsetUs);

    // The replay is a connection of the capture like any other: handshake with the recorded header, the
    // messages, a note saying what it is, the closing handshake.
    QTRY_VERIFY(
        !f.eventsOf(replay.connection()).isEmpty() && f.eventsOf(replay.connection()).last().kind == EventKind::Closed);
    const QList<Event> events = f.eventsOf(replay.connection());
    QCOMPARE(Fixture::payloads(events, Direction::C2S), QList<QByteArray>({ "one", "two", "three" }));
    QCOMPARE(Fixture::payloads(events, Direction::S2C), QList<QByteArray>({ "one", "two", "three" }));
    QVERIFY(events.first().kind == EventKind::HandshakeRequest || events.first().kind == EventKind::Note);
    bool sawHeader = false;
    bool sawNote = false;
    for (const Event& e : events) {
        sawHeader |= e.kind == EventKind::HandshakeRequest && e.payload.contains("X-Replayed: yes\r\n");
        sawNote |= e.kind == EventKind::Note && e.payload.startsWith("replay of recorded connection 3: 3 messages");
        if (e.kind == EventKind::Close && e.direction == Direction::C2S)
            QCOMPARE(e.closeCode, 1000);
    }
    QVERIFY(sawHeader);
    QVERIFY(sawNote);
}

void TestReplayClient::asFastAsPossible()
{
    Fixture f;
    ReplayPlan plan = echoPlan(f.url);
    // Hours apart in the recording: only "as fast as possible" ends this test in time.
    for (ReplayMessage& m : plan.messages)
        m.offsetUs *= 1000000;
    ReplayClientOptions options = optionsFor(plan);
    options.speed = 0;
    ReplayClient replay(f.session.get());
    QSignalSpy finished(&replay, &ReplayClient::finished);
    QVERIFY(replay.start(plan, options));
    QVERIFY(finished.wait(10000));
    QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
    QCOMPARE(replay.receivedCount(), 3);
}

void TestReplayClient::pauseStepResume()
{
    Fixture f;
    const ReplayPlan plan = echoPlan(f.url);
    ReplayClientOptions options = optionsFor(plan);
    options.startPaused = true;
    ReplayClient replay(f.session.get());
    QSignalSpy sent(&replay, &ReplayClient::messageSent);
    QSignalSpy finished(&replay, &ReplayClient::finished);
    QSignalSpy progress(&replay, &ReplayClient::progress);
    QVERIFY(replay.start(plan, options));
    QTRY_COMPARE(replay.state(), ReplayClient::State::Paused);
    // Paused: nothing goes out, however long we wait (the whole plan would take 80 ms).
    QTest::qWait(300);
    QCOMPARE(sent.size(), 0);

    replay.step();
    QTRY_COMPARE(sent.size(), 1);
    QTRY_COMPARE(replay.receivedCount(), 1);
    QCOMPARE(replay.state(), ReplayClient::State::Paused);
    QTest::qWait(300);
    QCOMPARE(sent.size(), 1);
    QCOMPARE(replay.sentCount(), 1);
    QVERIFY(!progress.isEmpty());
    QCOMPARE(progress.last().at(0).toInt(), 1);
    QCOMPARE(progress.last().at(1).toInt(), 3);
    QCOMPARE(progress.last().at(2).toInt(), 1);

    replay.resume();
    QVERIFY(finished.wait(10000));
    QVERIFY(finished.first().at(0).toBool());
    QCOMPARE(sent.size(), 3);
    QCOMPARE(replay.receivedCount(), 3);

    // A finished replay starts again, on a new connection.
    const quint32 first = replay.connection();
    QSignalSpy again(&replay, &ReplayClient::finished);
    QVERIFY(replay.start(plan, optionsFor(plan)));
    QVERIFY(replay.connection() > first);
    QVERIFY(again.wait(10000));
    QVERIFY(again.first().at(0).toBool());
    QCOMPARE(replay.receivedCount(), 3);
}

void TestReplayClient::stop()
{
    Fixture f;
    ReplayPlan plan = echoPlan(f.url);
    plan.messages[2].offsetUs = 3600000000; // "two" would come in an hour
    ReplayClient replay(f.session.get());
    QSignalSpy sent(&replay, &ReplayClient::messageSent);
    QSignalSpy finished(&replay, &ReplayClient::finished);
    QVERIFY(replay.start(plan, optionsFor(plan)));
    QTRY_COMPARE(sent.size(), 1);
    replay.stop();
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.first().at(0).toBool(), false);
    QCOMPARE(finished.first().at(1).toString(), QStringLiteral("stopped after 1 of 3 messages sent, 1 received"));
    QTRY_VERIFY(f.eventsOf(replay.connection()).last().kind == EventKind::Closed);
}

void TestReplayClient::pacedWaitsForReplies()
{
    // The recording: "a", then two server messages, then "b". Our echo server answers "a" once: paced
    // replay must not send "b" until the second reply came; the plan is built so the second is the echo of an
    // extra "a2". So: a (needs 0), a2 (needs 0), b (needs 2).
    Fixture f;
    ReplayPlan plan;
    plan.url = f.url;
    plan.messages = {
        message(Direction::C2S, "a", 0),
        message(Direction::C2S, "a2", 0),
        message(Direction::S2C, "a", 500),
        message(Direction::S2C, "a2", 500),
        message(Direction::C2S, "b", 100000, 2), // at 1x, a hundred seconds: paced ignores time
        message(Direction::S2C, "b", 100001, 2),
    };
    ReplayClientOptions options = optionsFor(plan);
    options.paced = true;
    ReplayClient replay(f.session.get());
    QSignalSpy sent(&replay, &ReplayClient::messageSent);
    QSignalSpy timedOut(&replay, &ReplayClient::waitTimedOut);
    QSignalSpy finished(&replay, &ReplayClient::finished);
    // Each send is seen together with the number of replies there were when it went out.
    QList<int> repliesAtSend;
    QObject context;
    connect(&replay, &ReplayClient::messageSent, &context, [&](int) { repliesAtSend.append(replay.receivedCount()); });
    QVERIFY(replay.start(plan, options));
    QVERIFY(finished.wait(10000));
    QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
    QCOMPARE(timedOut.size(), 0);
    QCOMPARE(sent.size(), 3);
    QCOMPARE(repliesAtSend.size(), 3);
    QVERIFY(repliesAtSend[2] >= 2);
    const QList<Event> events = f.eventsOf(replay.connection());
    // On the wire, "b" follows both echoes.
    QStringList order;
    for (const Event& e : events) {
        if (e.kind == EventKind::Text)
            order.append(directionName(e.direction) + u':' + QString::fromUtf8(e.payload));
    }
    QCOMPARE(order.indexOf(QStringLiteral("c2s:b")), 4);
}

void TestReplayClient::pacedTimeoutGoesOn()
{
    Fixture f(ServerMode::Silent); // never answers
    ReplayPlan plan = echoPlan(f.url);
    ReplayClientOptions options = optionsFor(plan);
    options.paced = true;
    options.replyTimeoutMs = 200;
    ReplayClient replay(f.session.get());
    QSignalSpy timedOut(&replay, &ReplayClient::waitTimedOut);
    QSignalSpy finished(&replay, &ReplayClient::finished);
    QVERIFY(replay.start(plan, options));
    QVERIFY(finished.wait(10000));
    // Every message went out all the same; the waits were reported with what had arrived.
    QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
    QCOMPARE(finished.first().at(1).toString(), QStringLiteral("3 of 3 messages sent, 0 received"));
    QCOMPARE(timedOut.size(), 2);
    QCOMPARE(timedOut[0].at(0).toInt(), 1);
    QCOMPARE(timedOut[0].at(1).toInt(), 1);
    QCOMPARE(timedOut[0].at(2).toInt(), 0);
    QCOMPARE(timedOut[1].at(0).toInt(), 2);
    QCOMPARE(timedOut[1].at(1).toInt(), 2);
    int notes = 0;
    for (const Event& e : f.eventsOf(replay.connection()))
        notes += e.kind == EventKind::Note && e.payload.startsWith("waited 200 ms for ");
    QCOMPARE(notes, 2);
}

void TestReplayClient::connectionRefused()
{
    Fixture f;
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost));
    const quint16 port = probe.serverPort();
    probe.close(); // nobody listens there now
    const ReplayPlan plan = echoPlan(QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(port)));
    ReplayClient replay(f.session.get());
    QSignalSpy finished(&replay, &ReplayClient::finished);
    QVERIFY(replay.start(plan, optionsFor(plan)));
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.first().at(0).toBool(), false);
    QCOMPARE(finished.first().at(1).toString(),
        QStringLiteral("connection refused by 127.0.0.1:%1 (is the server running?)").arg(port));
    QCOMPARE(replay.sentCount(), 0);
}

void TestReplayClient::refusesToStartTwiceOrWithNothingToSend()
{
    Fixture f;
    const ReplayPlan plan = echoPlan(f.url);
    ReplayClient replay(f.session.get());
    QString error;
    ReplayPlan nothing = plan;
    nothing.messages = { message(Direction::S2C, "x", 0) };
    QVERIFY(!replay.start(nothing, optionsFor(nothing), &error));
    QCOMPARE(error, QStringLiteral("connection 3 has no client messages to replay"));
    QVERIFY(replay.start(plan, optionsFor(plan), &error));
    QVERIFY(!replay.start(plan, optionsFor(plan), &error));
    QCOMPARE(error, QStringLiteral("a replay is running already"));

    // Destroyed while running: the connection is closed, nothing is left hanging.
    auto running = std::make_unique<ReplayClient>(f.session.get());
    ReplayPlan slow = plan;
    slow.messages[2].offsetUs = 3600000000; // "two" would come in an hour
    QSignalSpy opened(running.get(), &ReplayClient::opened);
    QVERIFY(running->start(slow, optionsFor(slow)));
    QVERIFY(opened.wait(5000));
    const quint32 id = running->connection();
    running.reset();
    QTRY_VERIFY(!f.eventsOf(id).isEmpty() && f.eventsOf(id).last().kind == EventKind::Closed);
    bool closedByUs = false;
    for (const Event& e : f.eventsOf(id))
        closedByUs |= e.kind == EventKind::Close && e.direction == Direction::C2S;
    QVERIFY(closedByUs);
}

void TestReplayClient::extraRepliesAreSeen()
{
    // The recording had no reply at all; today's server echoes. Counting alone, the replay would close as soon
    // as the last message went (0 of 0 replies in) and never see the echo.
    Fixture f;
    ReplayPlan plan;
    plan.connection = 3;
    plan.url = f.url;
    plan.messages = { message(Direction::C2S, "one", 0), message(Direction::C2S, "two", 10) };
    ReplayClient replay(f.session.get());
    QSignalSpy finished(&replay, &ReplayClient::finished);
    QVERIFY(replay.start(plan, optionsFor(plan)));
    QVERIFY(finished.wait(10000));
    QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
    QCOMPARE(finished.first().at(1).toString(), QStringLiteral("2 of 2 messages sent, 2 received"));
    QCOMPARE(replay.receivedCount(), 2);
    const ReplayComparison comparison = ReplayCompare().compare(plan.messagesFrom(Direction::S2C), replay.received());
    QCOMPARE(comparison.extra, 2);
    QVERIFY(!comparison.matches());
}

void TestReplayClient::strictQuietListensForTheReplyTimeout()
{
    // Strict (--expect): an extra that comes well after the recorded gap is still seen. The server here echoes,
    // and the recording said the conversation ended 1 ms after the last message: only the strict wait is sure
    // to see an echo; the check is on what was received, never on how long it took.
    Fixture f;
    ReplayPlan plan = echoPlan(f.url);
    plan.messages.removeLast(); // the recording lacks the last echo
    plan.durationUs = 80001;
    ReplayClientOptions options = optionsFor(plan);
    options.strictQuiet = true;
    options.replyTimeoutMs = 1000;
    ReplayClient replay(f.session.get());
    QSignalSpy finished(&replay, &ReplayClient::finished);
    QVERIFY(replay.start(plan, options));
    QVERIFY(finished.wait(10000));
    QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
    QCOMPARE(replay.receivedCount(), 3);
    const ReplayComparison comparison = ReplayCompare().compare(plan.messagesFrom(Direction::S2C), replay.received());
    QCOMPARE(comparison.summary(), QStringLiteral("3 messages: 2 equal, 1 extra"));
}

void TestReplayClient::pacedShortfallIsCarriedForward()
{
    // The recorded server sent two messages after "a"; today's echo server sends one. "b" waits out the timeout
    // for the second; "c" must then wait only for the echo of "b", not again for a reply that never comes.
    Fixture f;
    ReplayPlan plan;
    plan.url = f.url;
    plan.messages = {
        message(Direction::C2S, "a", 0),
        message(Direction::S2C, "a", 1),
        message(Direction::S2C, "dropped", 2),
        message(Direction::C2S, "b", 3, 2),
        message(Direction::S2C, "b", 4, 2),
        message(Direction::C2S, "c", 5, 3),
        message(Direction::S2C, "c", 6, 3),
        message(Direction::C2S, "d", 7, 4),
        message(Direction::S2C, "d", 8, 4),
    };
    ReplayClientOptions options = optionsFor(plan);
    options.paced = true;
    options.replyTimeoutMs = 300;
    ReplayClient replay(f.session.get());
    QSignalSpy timedOut(&replay, &ReplayClient::waitTimedOut);
    QSignalSpy finished(&replay, &ReplayClient::finished);
    QList<int> repliesAtSend;
    QObject context;
    connect(&replay, &ReplayClient::messageSent, &context, [&](int) { repliesAtSend.append(replay.receivedCount()); });
    QVERIFY(replay.start(plan, options));
    QVERIFY(finished.wait(10000));
    QVERIFY2(finished.first().at(0).toBool(), qPrintable(finished.first().at(1).toString()));
    QCOMPARE(timedOut.size(), 1);
    QCOMPARE(timedOut[0].at(0).toInt(), 1); // before "b"
    QCOMPARE(timedOut[0].at(1).toInt(), 2);
    QCOMPARE(timedOut[0].at(2).toInt(), 1);
    // Still paced after the shortfall: each of "c" and "d" went after the echo of the message before it.
    QCOMPARE(repliesAtSend, QList<int>({ 0, 1, 2, 3 }));
    const ReplayComparison comparison = ReplayCompare().compare(plan.messagesFrom(Direction::S2C), replay.received());
    QCOMPARE(comparison.summary(), QStringLiteral("5 messages: 4 equal, 1 missing"));
}

void TestReplayClient::stepWhileConnecting()
{
    Fixture f;
    RawServer server;
    const ReplayPlan plan = echoPlan(server.url());
    ReplayClient replay(f.session.get());
    QSignalSpy sent(&replay, &ReplayClient::messageSent);
    QVERIFY(replay.start(plan, optionsFor(plan)));
    QTRY_VERIFY(server.hasRequest()); // the handshake is held: the replay is connecting
    QCOMPARE(replay.state(), ReplayClient::State::Connecting);
    replay.step();
    replay.step();
    syncWithCaptureThread(f.session.get()); // both steps reached the driver before the connection opened
    server.answerHandshake();
    QTRY_COMPARE(sent.size(), 2);
    QTRY_COMPARE(replay.state(), ReplayClient::State::Paused);
    QTRY_VERIFY(server.frameBytes() > 0);
    // Paused after the steps: the third message does not go by itself.
    syncWithCaptureThread(f.session.get());
    QCOMPARE(replay.sentCount(), 2);
    replay.stop();
}

void TestReplayClient::serverClosesFirst_data()
{
    QTest::addColumn<bool>("drop");
    QTest::addColumn<QString>("reason");
    QTest::newRow("1011") << false
                          << QStringLiteral("the server closed the connection with 1011 internal error: overloaded "
                                            "after 1 of 3 messages sent, 0 received");
    QTest::newRow("TCP dropped") << true
                                 << QStringLiteral("the connection was lost without a closing handshake after 1 of 3 "
                                                   "messages sent, 0 received");
}

void TestReplayClient::serverClosesFirst()
{
    QFETCH(bool, drop);
    QFETCH(QString, reason);
    Fixture f;
    RawServer server;
    ReplayPlan plan = echoPlan(server.url());
    plan.messages[2].offsetUs = 3600000000; // "two" would come in an hour: the server ends it before
    ReplayClient replay(f.session.get());
    QSignalSpy finished(&replay, &ReplayClient::finished);
    QVERIFY(replay.start(plan, optionsFor(plan)));
    QTRY_VERIFY(server.hasRequest());
    server.answerHandshake();
    QTRY_VERIFY(server.frameBytes() > 0); // "one" arrived
    if (drop)
        server.drop();
    else
        server.sendClose(1011, "overloaded");
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.first().at(0).toBool(), false);
    QCOMPARE(finished.first().at(1).toString(), reason);
    QCOMPARE(replay.state(), ReplayClient::State::Finished);
    QTRY_VERIFY(f.eventsOf(replay.connection()).last().kind == EventKind::Closed);
}

void TestReplayClient::captureShutsDownMidRun()
{
    Fixture f;
    ReplayPlan plan = echoPlan(f.url);
    plan.messages[2].offsetUs = 3600000000;
    ReplayClient replay(f.session.get());
    QSignalSpy sent(&replay, &ReplayClient::messageSent);
    QSignalSpy finished(&replay, &ReplayClient::finished);
    QVERIFY(replay.start(plan, optionsFor(plan)));
    QTRY_COMPARE(sent.size(), 1);
    f.session->shutdown();
    QVERIFY(finished.wait(10000));
    QCOMPARE(finished.first().at(0).toBool(), false);
    QCOMPARE(finished.first().at(1).toString(), QStringLiteral("the capture ended"));
    QCOMPARE(replay.state(), ReplayClient::State::Finished);
    // Calls after the end are harmless, and a new start is refused with the reason.
    replay.pause();
    replay.stop();
    QString error;
    QVERIFY(!replay.start(plan, optionsFor(plan), &error));
    QVERIFY2(!error.isEmpty(), "no reason for refusing a start after the capture ended");
}

void TestReplayClient::refusesAPlanWithoutURL()
{
    Fixture f;
    ReplayPlan plan = echoPlan(QUrl());
    ReplayClient replay(f.session.get());
    QString error;
    QVERIFY(!replay.start(plan, optionsFor(plan), &error));
    QCOMPARE(error, QStringLiteral("connection 3 has no recorded URL; give the URL to connect to"));
    ReplayClientOptions options = optionsFor(plan);
    options.connection.url = f.url;
    QSignalSpy finished(&replay, &ReplayClient::finished);
    QVERIFY(replay.start(plan, options, &error));
    QVERIFY(finished.wait(10000));
    QVERIFY(finished.first().at(0).toBool());
}

QTEST_GUILESS_MAIN(TestReplayClient)
#include "tst_replayclient.moc"
