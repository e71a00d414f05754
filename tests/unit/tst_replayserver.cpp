// ReplayServer over loopback: our own client endpoint connects to the mock and sees what the recording's
// server said, on the schedule or in answer to its messages. Order and counts only, no timing assertions.

#include "core/capturequeue.h"
#include "core/recorder.h"
#include "net/capturesession.h"
#include "replay/replayserver.h"

#include <QDeadlineTimer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

using namespace wsi;

namespace {

ReplayMessage message(Direction dir, const char* payload, qint64 offsetMs, int c2sBefore = 0, bool text = true)
{
    ReplayMessage m;
    m.direction = dir;
    m.text = text;
    m.payload = QByteArray(payload);
    m.offsetUs = offsetMs * 1000;
    m.c2sBefore = c2sBefore;
    return m;
}

// A greeting at the open, two answers to the first client message, one to the second.
ReplayPlan chatPlan()
{
    ReplayPlan plan;
    plan.connection = 4;
    plan.subprotocol = QStringLiteral("chat");
    plan.messages = {
        message(Direction::S2C, "hello", 5),
        message(Direction::C2S, "q1", 20, 0),
        message(Direction::S2C, "r1a", 30, 1),
        message(Direction::S2C, "r1b", 40, 1, false),
        message(Direction::C2S, "q2", 60, 1),
        message(Direction::S2C, "r2", 70, 2),
    };
    return plan;
}

class Fixture
{
public:
    Fixture()
    {
        CaptureSession::Options options;
        options.keepTimeline = false;
        session = std::make_unique<CaptureSession>(options);
        session->recorder()->addSink(queue);
    }

    QUrl start(ReplayServer& server, const ReplayPlan& plan, ReplayServerOptions options = {})
    {
        options.server.port = 0;
        QSignalSpy started(&server, &ReplayServer::started);
        QString error;
        if (!server.start(plan, options, &error))
            qFatal("the mock did not start: %s", qPrintable(error));
        if (!started.wait(5000))
            qFatal("the mock did not report its start");
        return started.first().first().toUrl();
    }

    quint32 connect(const QUrl& url, const QStringList& subprotocols = {})
    {
        ClientOptions options;
        options.url = url;
        options.subprotocols = subprotocols;
        const quint32 id = session->connectClient(options);
        QDeadlineTimer deadline(5000);
        while (session->connectionState(id) != ConnectionState::Open && !deadline.hasExpired())
            QTest::qWait(5);
        if (session->connectionState(id) != ConnectionState::Open)
            qFatal("the client did not connect to the mock");
        return id;
    }

    QList<Event> eventsOf(quint32 connection)
    {
        CaptureBatch batch = queue->takeAll();
        for (Event& e : batch.events)
            events.append(std::move(e));
        for (Connection& c : batch.connections)
            connections.insert(c.id, c);
        QList<Event> out;
        for (const Event& e : events) {
            if (e.connection == connection)
                out.append(e);
        }
        return out;
    }

    // "text:hello", "binary:r1b": what the client received, in order.
    QStringList received(quint32 connection)
    {
        QStringList out;
        for (const Event& e : eventsOf(connection)) {
            if (e.direction == Direction::S2C && (e.kind == EventKind::Text || e.kind == EventKind::Binary))
                out.append(kindName(e.kind) + u':' + QString::fromUtf8(e.payload));
        }
        return out;
    }

    std::shared_ptr<CaptureQueue> queue = std::make_shared<CaptureQueue>();
    std::unique_ptr<CaptureSession> session;
    QList<Event> events;
    QHash<quint32, Connection> connections;
};

QStringList strings(std::initializer_list<const char*> items)
{
    QStringList out;
    for (const char* s : items)
        out.append(QString::fromUtf8(s));
    return out;
}

} // namespace

class TestReplayServer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void schedule();
    void scheduleToEachClient();
    void scheduleLoops();
    void answers();
    void answersLoop();
    void closesAsRecorded();
    void startFailsOnABusyPort();
    void stopClosesTheClients();
    void refusesAPlanWithoutServerMessages();
    void stopBeforeStartedArrives();
    void refusesToLoopTheScheduleAsFastAsPossible();
    void loopingNoteWhenNothingIsAnswered();
};

void TestReplayServer::schedule()
{
    Fixture f;
    ReplayServer server(f.session.get());
    const ReplayPlan plan = chatPlan();
    const QUrl url = f.start(server, plan);
    QCOMPARE(server.url(), url);
    QVERIFY(server.isRunning());
    QSignalSpy opened(&server, &ReplayServer::clientOpened);
    QSignalSpy sent(&server, &ReplayServer::messageSent);
    const quint32 client = f.connect(url, strings({ "other", "chat" }));
    // Every server message on its schedule, whatever the client says (it says nothing here).
    QTRY_COMPARE(f.received(client), strings({ "text:hello", "text:r1a", "binary:r1b", "text:r2" }));
    QCOMPARE(opened.size(), 1);
    QCOMPARE(sent.size(), 4);
    const quint32 mockSide = opened.first().first().toUInt();
    for (int i = 0; i < 4; ++i) {
        QCOMPARE(sent[i].at(0).toUInt(), mockSide);
        QCOMPARE(sent[i].at(1).toInt(), i);
        QCOMPARE(sent[i].at(2).toInt(), 0);
    }
    // The recorded subprotocol was chosen among the client's offers; the mock's side is in the capture too.
    QCOMPARE(f.connections.value(client).subprotocol, QStringLiteral("chat"));
    QCOMPARE(f.connections.value(mockSide).role, ConnectionRole::Server);
    QCOMPARE(f.connections.value(mockSide).subprotocol, QStringLiteral("chat"));
    bool noted = false;
    for (const Event& e : f.eventsOf(mockSide))
        noted |= e.kind == EventKind::Note
            && e.payload.startsWith("mock of recorded connection 4: 4 server messages, on the recorded schedule");
    QVERIFY(noted);
    QCOMPARE(f.session->connectionState(mockSide), ConnectionState::Open);
}

void TestReplayServer::scheduleToEachClient()
{
    Fixture f;
    ReplayServer server(f.session.get());
    ReplayServerOptions options;
    options.speed = 0; // as fast as possible
    const QUrl url = f.start(server, chatPlan(), options);
    const quint32 first = f.connect(url);
    const quint32 second = f.connect(url);
    const QStringList all = strings({ "text:hello", "text:r1a", "binary:r1b", "text:r2" });
    QTRY_COMPARE(f.received(first), all);
    QTRY_COMPARE(f.received(second), all);
    // Without the offered subprotocol, none is chosen and the mock plays all the same.
    QCOMPARE(f.connections.value(first).subprotocol, QString());
}

void TestReplayServer::scheduleLoops()
{
    Fixture f;
    ReplayServer server(f.session.get());
    ReplayServerOptions options;
    options.loop = true;
    options.speed = 10;
    QSignalSpy sent(&server, &ReplayServer::messageSent);
    const QUrl url = f.start(server, chatPlan(), options);
    const quint32 client = f.connect(url);
    QTRY_VERIFY(f.received(client).size() >= 9);
    const QStringList got = f.received(client).mid(0, 9);
    QCOMPARE(got,
        strings({ "text:hello", "text:r1a", "binary:r1b", "text:r2", "text:hello", "text:r1a", "binary:r1b", "text:r2",
            "text:hello" }));
    QVERIFY(sent.size() >= 5);
    QCOMPARE(sent[4].at(1).toInt(), 0);
    QCOMPARE(sent[4].at(2).toInt(), 1); // the second cycle
}

void TestReplayServer::answers()
{
    Fixture f;
    ReplayServer server(f.session.get());
    ReplayServerOptions options;
    options.answer = true;
    QSignalSpy got(&server, &ReplayServer::messageReceived);
    const QUrl url = f.start(server, chatPlan(), options);
    const quint32 client = f.connect(url, strings({ "chat" }));
    // At the open: what the recorded server said before the first client message, and nothing else.
    QTRY_COMPARE(f.received(client), strings({ "text:hello" }));
    QTest::qWait(200); // the whole schedule would be over by now
    QCOMPARE(f.received(client), strings({ "text:hello" }));

    f.session->sendText(client, QStringLiteral("anything"));
    QTRY_COMPARE(f.received(client), strings({ "text:hello", "text:r1a", "binary:r1b" }));
    QTest::qWait(200);
    QCOMPARE(f.received(client).size(), 3);
    f.session->sendText(client, QStringLiteral("more"));
    QTRY_COMPARE(f.received(client), strings({ "text:hello", "text:r1a", "binary:r1b", "text:r2" }));
    QCOMPARE(got.size(), 2);
    QCOMPARE(got[1].at(1).toInt(), 1);
    QCOMPARE(got[1].at(2).value<ReplayMessage>().payload, QByteArray("more"));

    // A third message has no recorded answer: said once in the capture, nothing sent.
    f.session->sendText(client, QStringLiteral("again"));
    f.session->sendText(client, QStringLiteral("and again"));
    QTRY_COMPARE(got.size(), 4);
    const quint32 mockSide = got.first().at(0).toUInt();
    int notes = 0;
    for (const Event& e : f.eventsOf(mockSide))
        notes += e.kind == EventKind::Note && e.payload.startsWith("client message 3 has no recorded answer");
    QCOMPARE(notes, 1);
    QCOMPARE(f.received(client).size(), 4);
}

void TestReplayServer::answersLoop()
{
    Fixture f;
    ReplayServer server(f.session.get());
    ReplayServerOptions options;
    options.answer = true;
    options.loop = true;
    options.speed = 0;
    QSignalSpy sent(&server, &ReplayServer::messageSent);
    const QUrl url = f.start(server, chatPlan(), options);
    const quint32 client = f.connect(url);
    for (int i = 0; i < 3; ++i)
        f.session->sendText(client, QStringLiteral("m%1").arg(i));
    // The third client message is answered as the first was.
    QTRY_COMPARE(
        f.received(client), strings({ "text:hello", "text:r1a", "binary:r1b", "text:r2", "text:r1a", "binary:r1b" }));
    QCOMPARE(sent.last().at(2).toInt(), 1);
}

void TestReplayServer::closesAsRecorded()
{
    Fixture f;
    ReplayPlan plan = chatPlan();
    plan.close = ReplayClose { Direction::S2C, 4000, "done", 90000 };
    for (bool answer : { false, true }) {
        ReplayServer server(f.session.get());
        ReplayServerOptions options;
        options.answer = answer;
        const QUrl url = f.start(server, plan, options);
        const quint32 client = f.connect(url);
        if (answer) {
            f.session->sendText(client, QStringLiteral("1"));
            f.session->sendText(client, QStringLiteral("2"));
        }
        QTRY_COMPARE(f.session->connectionState(client), ConnectionState::Closed);
        QCOMPARE(f.received(client).size(), 4);
        bool closedBy4000 = false;
        for (const Event& e : f.eventsOf(client))
            closedBy4000 |= e.kind == EventKind::Close && e.direction == Direction::S2C && e.closeCode == 4000
                && e.payload == "done";
        QVERIFY2(closedBy4000, answer ? "answer mode" : "schedule mode");
    }
}

void TestReplayServer::startFailsOnABusyPort()
{
    Fixture f;
    QTcpServer busy;
    QVERIFY(busy.listen(QHostAddress::LocalHost));
    ReplayServer server(f.session.get());
    ReplayServerOptions options;
    options.server.port = busy.serverPort();
    QSignalSpy failed(&server, &ReplayServer::startFailed);
    QVERIFY(server.start(chatPlan(), options));
    QVERIFY(failed.wait(5000));
    QVERIFY2(failed.first().first().toString().contains(QString::number(busy.serverPort())),
        qPrintable(failed.first().first().toString()));
    QVERIFY(!server.isRunning());
    // A corrected start works.
    QVERIFY(f.start(server, chatPlan()).isValid());
}

void TestReplayServer::stopClosesTheClients()
{
    Fixture f;
    ReplayServer server(f.session.get());
    const QUrl url = f.start(server, chatPlan());
    const quint32 client = f.connect(url);
    QSignalSpy stopped(&server, &ReplayServer::stopped);
    server.stop();
    QCOMPARE(stopped.size(), 1);
    QVERIFY(!server.isRunning());
    QTRY_COMPARE(f.session->connectionState(client), ConnectionState::Closed);
    bool goingAway = false;
    for (const Event& e : f.eventsOf(client))
        goingAway |= e.kind == EventKind::Close && e.direction == Direction::S2C && e.closeCode == 1001;
    QVERIFY(goingAway);
}

void TestReplayServer::refusesAPlanWithoutServerMessages()
{
    Fixture f;
    ReplayServer server(f.session.get());
    ReplayPlan plan;
    plan.connection = 9;
    plan.messages = { message(Direction::C2S, "x", 0) };
    QString error;
    QVERIFY(!server.start(plan, {}, &error));
    QCOMPARE(error, QStringLiteral("connection 9 has no server messages to replay"));
}

void TestReplayServer::stopBeforeStartedArrives()
{
    Fixture f;
    ReplayServer server(f.session.get());
    QSignalSpy started(&server, &ReplayServer::started);
    QSignalSpy stopped(&server, &ReplayServer::stopped);
    QSignalSpy opened(&server, &ReplayServer::clientOpened);
    ReplayServerOptions options;
    options.server.port = 0;
    QVERIFY(server.start(chatPlan(), options));
    // Stopped before the first driver's "started" came back: it is on its way, and must not count.
    server.stop();
    QCOMPARE(stopped.size(), 1);
    QVERIFY(!server.isRunning());
    // A second start: the capture thread answers in order, so once its "started" is here, the first one's
    // (sent before) has been delivered too.
    QVERIFY(server.start(chatPlan(), options));
    QVERIFY(started.wait(5000));
    QCOMPARE(started.size(), 1);
    const QUrl url = started.first().first().toUrl();
    QCOMPARE(server.url(), url);
    QVERIFY(server.isRunning());
    QCOMPARE(stopped.size(), 1); // the first driver's own "stopped" was not passed on either
    // The running server is the second one, and it works.
    const quint32 client = f.connect(url);
    QTRY_COMPARE(opened.size(), 1);
    QTRY_VERIFY(!f.received(client).isEmpty());
}

void TestReplayServer::refusesToLoopTheScheduleAsFastAsPossible()
{
    Fixture f;
    ReplayServer server(f.session.get());
    ReplayServerOptions options;
    options.loop = true;
    options.speed = 0;
    QString error;
    QVERIFY(!server.start(chatPlan(), options, &error));
    QCOMPARE(error,
        QStringLiteral("looping the recorded schedule needs a speed above 0 (as fast as possible would never pause)"));
    QVERIFY(!server.isRunning());
    // In answer mode the client sets the pace: allowed (answersLoop).
}

void TestReplayServer::loopingNoteWhenNothingIsAnswered()
{
    Fixture f;
    ReplayServer server(f.session.get());
    ReplayPlan plan;
    plan.connection = 4;
    plan.messages = { message(Direction::S2C, "hello", 5) }; // a push-only recording: no client message at all
    ReplayServerOptions options;
    options.answer = true;
    options.loop = true;
    QSignalSpy got(&server, &ReplayServer::messageReceived);
    const QUrl url = f.start(server, plan, options);
    const quint32 client = f.connect(url);
    QTRY_COMPARE(f.received(client), strings({ "text:hello" }));
    f.session->sendText(client, QStringLiteral("anything"));
    QTRY_COMPARE(got.size(), 1);
    const quint32 mockSide = got.first().at(0).toUInt();
    auto notes = [&] {
        QStringList out;
        for (const Event& e : f.eventsOf(mockSide)) {
            if (e.kind == EventKind::Note && e.payload.startsWith("client message 1"))
                out.append(QString::fromUtf8(e.payload));
        }
        return out;
    };
    QTRY_VERIFY(!notes().isEmpty());
    // Looping is on already: the note does not advise it.
    QCOMPARE(notes(),
        QStringList(
            { QStringLiteral("client message 1 has no recorded answer: the recording has 0 client messages") }));
}

QTEST_GUILESS_MAIN(TestReplayServer)
#include "tst_replayserver.moc"
