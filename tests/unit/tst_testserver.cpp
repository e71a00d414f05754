// The one-click test server end to end over loopback: its behaviours (echo, broadcast, silent, rules, push)
// and how they change while it runs, the browser test page and other plain HTTP, origins, subprotocols, the
// connection limit, per-client actions and wss. Our own client endpoints and raw sockets are the peers here;
// the integration tests repeat the essentials with Python's websockets and Chromium.

#include "core/eventstore.h"
#include "core/replyrules.h"
#include "net/capturesession.h"
#include "selfsigned.h"
#include "wire/frame.h"
#include "wire/handshake.h"
#include "wire/httphead.h"

#include <QSignalSpy>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace wsi;

namespace {

QList<Event> messagesOf(const EventStore& store, quint32 connection, Direction direction)
{
    QList<Event> out;
    for (qsizetype i = 0; i < store.count(); ++i) {
        if (store.connectionId(i) == connection && store.direction(i) == direction
            && (store.kind(i) == EventKind::Text || store.kind(i) == EventKind::Binary))
            out.append(store.event(i));
    }
    return out;
}

QByteArrayList payloads(const QList<Event>& events)
{
    QByteArrayList out;
    for (const Event& e : events)
        out.append(e.payload);
    return out;
}

// Sends one request on a fresh connection and reads until the server closes it.
QByteArray httpExchange(QAbstractSocket& socket, const QUrl& server, const QByteArray& request)
{
    socket.connectToHost(server.host(), quint16(server.port()));
    if (!socket.waitForConnected(5000))
        return {};
    socket.write(request);
    QByteArray answer;
    QDeadlineTimer deadline(10000);
    while (socket.state() == QAbstractSocket::ConnectedState && !deadline.hasExpired()) {
        socket.waitForReadyRead(200);
        answer += socket.readAll();
    }
    return answer + socket.readAll();
}

QByteArray upgradeRequest(const QByteArray& extraHeaders = {})
{
    return "GET /room HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + extraHeaders + "\r\n";
}

} // namespace

class TestTestServer : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<CaptureSession> newSession(ServerOptions server = {}, QString* failure = nullptr)
    {
        CaptureSession::Options options;
        auto session = std::make_unique<CaptureSession>(options);
        QSignalSpy started(session.get(), &CaptureSession::serverStarted);
        QSignalSpy failed(session.get(), &CaptureSession::serverStartFailed);
        server.port = 0;
        session->startServer(server);
        QDeadlineTimer deadline(10000);
        while (started.isEmpty() && failed.isEmpty() && !deadline.hasExpired())
            QTest::qWait(10);
        if (started.isEmpty()) {
            if (failure && !failed.isEmpty())
                *failure = failed.constFirst().constFirst().toString();
            return nullptr;
        }
        return session;
    }

    quint32 openClient(CaptureSession& session, const QString& path = QStringLiteral("/"),
        const QStringList& subprotocols = {}, const QString& origin = {})
    {
        ClientOptions options;
        options.url = session.serverUrl().resolved(QUrl(path));
        options.subprotocols = subprotocols;
        options.origin = origin;
        return session.connectClient(options);
    }

    // The server-side id of the index-th client that completed its handshake.
    static quint32 serverIdOf(const QSignalSpy& opened, int index)
    {
        return opened.at(index).constFirst().value<ServerClient>().id;
    }

    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        qRegisterMetaType<ServerClient>();
        QVERIFY(m_dir.isValid());
    }

    void testPageAndPlainHttp()
    {
        auto session = newSession();
        QVERIFY(session);
        const QUrl url = session->serverUrl();
        {
            QTcpSocket socket;
            const QByteArray answer = httpExchange(socket, url, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            QVERIFY2(answer.startsWith("HTTP/1.1 200 OK\r\n"), answer.left(200).constData());
            QVERIFY(answer.contains("\r\nContent-Type: text/html; charset=utf-8\r\n"));
            const QByteArray body = answer.mid(answer.indexOf("\r\n\r\n") + 4);
            QVERIFY(body.contains("<html"));
            QVERIFY(body.contains("WebSocket"));
            QVERIFY(answer.contains(QByteArray("\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n")));
        }
        {
            QTcpSocket socket;
            const QByteArray answer = httpExchange(socket, url, "HEAD /?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            QVERIFY(answer.startsWith("HTTP/1.1 200 OK\r\n"));
            QVERIFY(answer.endsWith("\r\n\r\n")); // the head only
        }
        {
            QTcpSocket socket;
            QVERIFY(httpExchange(socket, url, "GET /favicon.ico HTTP/1.1\r\nHost: x\r\n\r\n")
                        .startsWith("HTTP/1.1 404 Not Found\r\n"));
        }
        {
            QTcpSocket socket;
            const QByteArray answer = httpExchange(socket, url, "HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n");
            QVERIFY(answer.startsWith("HTTP/1.1 404 Not Found\r\n"));
            QVERIFY(answer.endsWith("\r\n\r\n")); // no body for HEAD
        }
        {
            // A request with a big body is answered, and the answer is not lost to a reset because the body
            // was still arriving when we closed.
            QTcpSocket socket;
            const QByteArray body(512 * 1024, 'x');
            const QByteArray answer = httpExchange(socket, url,
                "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n\r\n"
                    + body);
            QVERIFY2(answer.startsWith("HTTP/1.1 405 Method Not Allowed\r\n"), answer.left(100).constData());
        }
        {
            QTcpSocket socket;
            const QByteArray answer
                = httpExchange(socket, url, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
            QVERIFY(answer.startsWith("HTTP/1.1 405 Method Not Allowed\r\n"));
            QVERIFY(answer.contains("\r\nAllow: GET, HEAD\r\n"));
        }
        // Page requests are not WebSocket connections: nothing in the timeline.
        QTest::qWait(100);
        session->flush();
        QCOMPARE(session->store()->count(), 0);
        QVERIFY(session->store()->connections().isEmpty());
    }

    void testPageUrlFollowsTheScheme()
    {
        QCOMPARE(
            testPageUrl(QUrl(QStringLiteral("ws://127.0.0.1:8765/"))), QUrl(QStringLiteral("http://127.0.0.1:8765/")));
        QCOMPARE(
            testPageUrl(QUrl(QStringLiteral("wss://[::1]:9000/x?y"))), QUrl(QStringLiteral("https://[::1]:9000/")));
        QVERIFY(!exposesBeyondLoopback(QStringLiteral("127.0.0.1")));
        QVERIFY(!exposesBeyondLoopback(QStringLiteral("::1")));
        QVERIFY(!exposesBeyondLoopback(QStringLiteral("localhost")));
        QVERIFY(exposesBeyondLoopback(QStringLiteral("0.0.0.0")));
        QVERIFY(exposesBeyondLoopback(QStringLiteral("::")));
        QVERIFY(exposesBeyondLoopback(QStringLiteral("192.168.1.10")));
    }

    void originsOutsideTheListGet403()
    {
        ServerOptions options;
        options.allowedOrigins = { QStringLiteral("HTTP://LocalHost:5173/") }; // as a person might type it
        auto session = newSession(options);
        QVERIFY(session);
        QSignalSpy opened(session.get(), &CaptureSession::serverClientOpened);
        const quint32 good = openClient(*session, QStringLiteral("/"), {}, QStringLiteral("http://localhost:5173"));
        const quint32 bad = openClient(*session, QStringLiteral("/"), {}, QStringLiteral("http://evil.example"));
        const quint32 none = openClient(*session);
        QTRY_COMPARE(session->connectionState(good), ConnectionState::Open);
        QTRY_COMPARE(session->connectionState(bad), ConnectionState::Closed);
        QTRY_COMPARE(session->connectionState(none), ConnectionState::Closed);
        QCOMPARE(opened.size(), 1);
        QCOMPARE(
            opened.constFirst().constFirst().value<ServerClient>().origin, QStringLiteral("http://localhost:5173"));
        // The server's own test page is always allowed (its origin is the host the browser asked for).
        const quint32 page = openClient(
            *session, QStringLiteral("/"), {}, QStringLiteral("http://127.0.0.1:%1").arg(session->serverUrl().port()));
        QTRY_COMPARE(session->connectionState(page), ConnectionState::Open);
        // The refusal is in the timeline on both sides, with the status.
        const EventStore& store = *session->store();
        QTRY_VERIFY([&] {
            int refusals = 0;
            for (qsizetype i = 0; i < store.count(); ++i) {
                if (store.kind(i) == EventKind::HandshakeResponse
                    && store.payload(i).startsWith("HTTP/1.1 403 Forbidden"))
                    ++refusals;
            }
            return refusals == 4; // two refusals, each seen by the server and by our client
        }());
    }

    void subprotocolIsNegotiated()
    {
        ServerOptions options;
        options.subprotocols = { QStringLiteral("graphql-ws"), QStringLiteral("v2.chat") };
        auto session = newSession(options);
        QVERIFY(session);
        QSignalSpy opened(session.get(), &CaptureSession::serverClientOpened);
        const quint32 a = openClient(*session, QStringLiteral("/gql?token=1"), { QStringLiteral("v2.chat") });
        QTRY_COMPARE(opened.size(), 1);
        const quint32 b = openClient(*session, QStringLiteral("/"), { QStringLiteral("mqtt") });
        QTRY_COMPARE(opened.size(), 2);
        QTRY_COMPARE(session->connectionState(a), ConnectionState::Open);
        QTRY_COMPARE(session->connectionState(b), ConnectionState::Open);
        const ServerClient first = opened.at(0).constFirst().value<ServerClient>();
        QCOMPARE(first.subprotocol, QStringLiteral("v2.chat"));
        QCOMPARE(first.path, QStringLiteral("/gql?token=1"));
        QVERIFY(first.peer.startsWith(QStringLiteral("127.0.0.1:")));
        QVERIFY(first.opened.isValid());
        QVERIFY(opened.at(1).constFirst().value<ServerClient>().subprotocol.isEmpty());
    }

    void broadcastReachesTheOthers_data()
    {
        QTest::addColumn<bool>("toSender");
        QTest::newRow("others only") << false;
        QTest::newRow("sender too") << true;
    }

    void broadcastReachesTheOthers()
    {
        QFETCH(bool, toSender);
        ServerOptions options;
        options.behaviour.mode = ServerMode::Broadcast;
        options.behaviour.broadcastToSender = toSender;
        auto session = newSession(options);
        QVERIFY(session);
        QSignalSpy opened(session.get(), &CaptureSession::serverClientOpened);
        QList<quint32> clients;
        for (int i = 0; i < 3; ++i)
            clients.append(openClient(*session));
        for (quint32 c : clients)
            QTRY_COMPARE(session->connectionState(c), ConnectionState::Open);
        QTRY_COMPARE(opened.size(), 3);

        session->sendText(clients[0], QStringLiteral("hello all"));
        session->sendBinary(clients[1], QByteArray("\x01\x02", 2));
        const EventStore& store = *session->store();
        QTRY_COMPARE(payloads(messagesOf(store, clients[2], Direction::S2C)),
            (QByteArrayList { "hello all", QByteArray("\x01\x02", 2) }));
        if (toSender) {
            QTRY_COMPARE(payloads(messagesOf(store, clients[1], Direction::S2C)),
                (QByteArrayList { "hello all", QByteArray("\x01\x02", 2) }));
            QTRY_COMPARE(payloads(messagesOf(store, clients[0], Direction::S2C)),
                (QByteArrayList { "hello all", QByteArray("\x01\x02", 2) }));
        } else {
            QTRY_COMPARE(payloads(messagesOf(store, clients[1], Direction::S2C)), QByteArrayList { "hello all" });
            QTRY_COMPARE(
                payloads(messagesOf(store, clients[0], Direction::S2C)), QByteArrayList { QByteArray("\x01\x02", 2) });
            QTest::qWait(100);
            session->flush();
            QCOMPARE(messagesOf(store, clients[0], Direction::S2C).size(), 1);
            QCOMPARE(messagesOf(store, clients[1], Direction::S2C).size(), 1);
        }
        // The binary message kept its kind on the way.
        QCOMPARE(messagesOf(store, clients[2], Direction::S2C).at(1).kind, EventKind::Binary);
    }

    void behaviourChangesWhileRunning()
    {
        auto session = newSession();
        QVERIFY(session);
        const quint32 client = openClient(*session);
        QTRY_COMPARE(session->connectionState(client), ConnectionState::Open);
        const EventStore& store = *session->store();

        session->sendText(client, QStringLiteral("one"));
        QTRY_COMPARE(payloads(messagesOf(store, client, Direction::S2C)), QByteArrayList { "one" });

        ServerBehaviour silent;
        silent.mode = ServerMode::Silent;
        session->setServerBehaviour(silent);
        session->sendText(client, QStringLiteral("two"));
        QTRY_COMPARE(messagesOf(store, client, Direction::C2S).size(), 2);
        QTRY_COMPARE(messagesOf(store, client, Direction::S2C).size(), 1);

        QString error;
        ServerBehaviour rules;
        rules.rules = ReplyRules::fromJson("{\"rules\":[{\"match\":\"regex\",\"pattern\":\"^add ([0-9]+) ([0-9]+)$\","
                                           "\"reply\":\"{{2}}+{{1}} #{{counter}}\"}]}",
            &error);
        QVERIFY2(rules.rules, qPrintable(error));
        session->setServerBehaviour(rules);
        session->sendText(client, QStringLiteral("add 3 4"));
        session->sendText(client, QStringLiteral("no rule for me"));
        session->sendText(client, QStringLiteral("add 5 6"));
        QTRY_COMPARE(payloads(messagesOf(store, client, Direction::S2C)),
            (QByteArrayList { "one", "4+3 #1", "no rule for me", "6+5 #2" }));

        session->setServerBehaviour({}); // echo again
        session->sendText(client, QStringLiteral("three"));
        QTRY_COMPARE(messagesOf(store, client, Direction::S2C).constLast().payload, QByteArray("three"));
    }

    void delayedReplyComesLater()
    {
        QString error;
        ServerOptions options;
        options.behaviour.mode = ServerMode::Silent;
        options.behaviour.rules = ReplyRules::fromJson(
            "[{\"match\":\"substring\",\"pattern\":\"PING\",\"caseSensitive\":false,\"reply\":\"pong\","
            "\"delayMs\":300}]",
            &error);
        QVERIFY2(options.behaviour.rules, qPrintable(error));
        auto session = newSession(options);
        QVERIFY(session);
        const quint32 client = openClient(*session);
        QTRY_COMPARE(session->connectionState(client), ConnectionState::Open);
        const EventStore& store = *session->store();
        session->sendText(client, QStringLiteral("a ping"));
        QTRY_COMPARE(messagesOf(store, client, Direction::S2C).size(), 1);
        const QList<Event> sent = messagesOf(store, client, Direction::C2S);
        const QList<Event> got = messagesOf(store, client, Direction::S2C);
        QCOMPARE(got.constFirst().payload, QByteArray("pong"));
        // Timestamps are taken when frames leave and arrive: the answer cannot come before the delay.
        QVERIFY2(got.constFirst().timestampUs - sent.constFirst().timestampUs >= 290 * 1000,
            qPrintable(QString::number(got.constFirst().timestampUs - sent.constFirst().timestampUs)));
    }

    void pushReachesEveryClient()
    {
        ServerOptions options;
        options.behaviour.pushEveryMs = 50;
        options.behaviour.pushTemplate = QStringLiteral("{\"tick\":{{counter}}}");
        auto session = newSession(options);
        QVERIFY(session);
        const quint32 a = openClient(*session);
        const quint32 b = openClient(*session);
        const EventStore& store = *session->store();
        QTRY_VERIFY(messagesOf(store, a, Direction::S2C).size() >= 3);
        QTRY_VERIFY(messagesOf(store, b, Direction::S2C).size() >= 3);
        // One render per tick, sent to all: each client sees the counter go up, and the same ticks as the other.
        auto ticksOf = [&store](quint32 c) {
            QList<qint64> out;
            for (const QByteArray& p : payloads(messagesOf(store, c, Direction::S2C)))
                out.append(p.mid(8, p.size() - 9).toLongLong());
            return out;
        };
        const QList<qint64> ta = ticksOf(a);
        const QList<qint64> tb = ticksOf(b);
        QVERIFY(std::is_sorted(ta.cbegin(), ta.cend()) && ta.constFirst() >= 1);
        QVERIFY(std::is_sorted(tb.cbegin(), tb.cend()) && tb.constFirst() >= 1);
        QVERIFY(std::adjacent_find(ta.cbegin(), ta.cend()) == ta.cend());
        QVERIFY(tb.contains(ta.constLast()) || ta.contains(tb.constLast()));
        ServerBehaviour none; // push off (and echo)
        session->setServerBehaviour(none);
        // The change reaches the capture thread by a queued call, which a loaded machine may run late: a round
        // trip queued after it proves it is in force, and that every tick sent before it has arrived (same
        // connection, so in order). A fixed wait could take a tick still on its way as one sent after.
        session->sendText(a, QStringLiteral("sync"));
        QTRY_VERIFY_WITH_TIMEOUT(payloads(messagesOf(store, a, Direction::S2C)).contains("sync"), 20000);
        session->flush();
        const qsizetype after = messagesOf(store, a, Direction::S2C).size();
        QTest::qWait(300);
        session->flush();
        QCOMPARE(messagesOf(store, a, Direction::S2C).size(), after);
    }

    void perClientActions()
    {
        auto session = newSession();
        QVERIFY(session);
        QSignalSpy opened(session.get(), &CaptureSession::serverClientOpened);
        const quint32 a = openClient(*session);
        const quint32 b = openClient(*session);
        QTRY_COMPARE(opened.size(), 2);
        QTRY_COMPARE(session->connectionState(a), ConnectionState::Open);
        QTRY_COMPARE(session->connectionState(b), ConnectionState::Open);
        const EventStore& store = *session->store();
        // The server's ids in the order our clients connected are not guaranteed: match by the client's peer.
        const quint32 s1 = serverIdOf(opened, 0);
        const quint32 s2 = serverIdOf(opened, 1);

        session->sendTextToServerClients(QStringLiteral("to all"));
        QTRY_COMPARE(payloads(messagesOf(store, a, Direction::S2C)), QByteArrayList { "to all" });
        QTRY_COMPARE(payloads(messagesOf(store, b, Direction::S2C)), QByteArrayList { "to all" });

        session->sendText(s1, QStringLiteral("just you"));
        QTRY_COMPARE(messagesOf(store, a, Direction::S2C).size() + messagesOf(store, b, Direction::S2C).size(), 3);

        session->closeConnection(s1, 4001, QStringLiteral("bye now"));
        session->abortConnection(s2);
        QTRY_COMPARE(session->connectionState(a), ConnectionState::Closed);
        QTRY_COMPARE(session->connectionState(b), ConnectionState::Closed);
        QTRY_COMPARE(session->connectionState(s1), ConnectionState::Closed);
        QTRY_COMPARE(session->connectionState(s2), ConnectionState::Closed);
        // The client that was closed politely saw the code and the reason; the dropped one saw no close frame.
        // The states come through signals, the events through timeline batches: take in what was recorded.
        session->flush();
        bool sawCode = false;
        int closeFramesOnDropped = 0;
        quint32 politeClient = 0;
        for (qsizetype i = 0; i < store.count(); ++i) {
            if (store.kind(i) == EventKind::Close && store.direction(i) == Direction::S2C && store.closeCode(i) == 4001
                && store.connectionId(i) != s1) {
                sawCode = store.payload(i) == "bye now";
                politeClient = store.connectionId(i);
            }
        }
        QVERIFY(sawCode);
        const quint32 dropped = politeClient == a ? b : a;
        for (qsizetype i = 0; i < store.count(); ++i) {
            if (store.connectionId(i) == dropped && store.kind(i) == EventKind::Close)
                ++closeFramesOnDropped;
        }
        QCOMPARE(closeFramesOnDropped, 0);
    }

    void aClientThatDoesNotReadIsSkipped()
    {
        ServerOptions options;
        options.behaviour.mode = ServerMode::Broadcast;
        auto session = newSession(options);
        QVERIFY(session);
        QSignalSpy opened(session.get(), &CaptureSession::serverClientOpened);
        // A raw client that completes its handshake and then never reads; the kernel buffers fill up first.
        QTcpSocket deaf;
        deaf.setReadBufferSize(1);
        deaf.connectToHost(session->serverUrl().host(), quint16(session->serverUrl().port()));
        QVERIFY(deaf.waitForConnected(5000));
        deaf.write(upgradeRequest());
        QTRY_COMPARE(opened.size(), 1);
        const quint32 deafId = serverIdOf(opened, 0);
        const quint32 talker = openClient(*session);
        const quint32 listener = openClient(*session);
        QTRY_COMPARE(session->connectionState(talker), ConnectionState::Open);
        QTRY_COMPARE(session->connectionState(listener), ConnectionState::Open);
        const QString big(1024 * 1024, u'z');
        for (int i = 0; i < 40; ++i)
            session->sendText(talker, big);
        const EventStore& store = *session->store();
        QTRY_VERIFY_WITH_TIMEOUT(messagesOf(store, listener, Direction::S2C).size() == 40, 30000);
        bool noted = false;
        for (qsizetype i = 0; i < store.count(); ++i) {
            if (store.connectionId(i) == deafId && store.kind(i) == EventKind::Note
                && store.payload(i).contains("does not read"))
                noted = true;
        }
        QVERIFY(noted);
    }

    void repliesToBinaryStayBinary()
    {
        QString error;
        ServerOptions options;
        options.behaviour.mode = ServerMode::Silent;
        options.behaviour.rules = ReplyRules::fromJson(
            "[{\"match\":\"substring\",\"pattern\":\"ping\",\"reply\":\"got {{message}}\"}]", &error);
        QVERIFY2(options.behaviour.rules, qPrintable(error));
        auto session = newSession(options);
        QVERIFY(session);
        const quint32 client = openClient(*session);
        QTRY_COMPARE(session->connectionState(client), ConnectionState::Open);
        session->sendBinary(client, QByteArray("\xff ping", 6));
        session->sendBinary(client, QByteArray("ping ok"));
        const EventStore& store = *session->store();
        QTRY_COMPARE(messagesOf(store, client, Direction::S2C).size(), 2);
        const QList<Event> got = messagesOf(store, client, Direction::S2C);
        // Not UTF-8 any more: a text frame would be a protocol violation, so it goes back as binary.
        QCOMPARE(got[0].kind, EventKind::Binary);
        QCOMPARE(got[0].payload, QByteArray("got \xff ping", 10));
        QCOMPARE(got[1].kind, EventKind::Text);
        QCOMPARE(got[1].payload, QByteArray("got ping ok"));
    }

    void delayedRepliesAreBounded()
    {
        QString error;
        ServerOptions options;
        options.behaviour.mode = ServerMode::Silent;
        options.behaviour.rules = ReplyRules::fromJson(
            "[{\"match\":\"exact\",\"pattern\":\"later\",\"reply\":\"now\",\"delayMs\":600000}]", &error);
        QVERIFY2(options.behaviour.rules, qPrintable(error));
        auto session = newSession(options);
        QVERIFY(session);
        QSignalSpy opened(session.get(), &CaptureSession::serverClientOpened);
        const quint32 client = openClient(*session);
        QTRY_COMPARE(opened.size(), 1);
        QTRY_COMPARE(session->connectionState(client), ConnectionState::Open);
        for (int i = 0; i < 1100; ++i)
            session->sendText(client, QStringLiteral("later"));
        const EventStore& store = *session->store();
        const quint32 server = serverIdOf(opened, 0);
        QTRY_VERIFY([&] {
            for (qsizetype i = 0; i < store.count(); ++i) {
                if (store.connectionId(i) == server && store.kind(i) == EventKind::Note
                    && store.payload(i).contains("delayed replies"))
                    return true;
            }
            return false;
        }());
    }

    void connectionLimitRefusesTheExtraClient()
    {
        ServerOptions options;
        options.maxConnections = 2;
        auto session = newSession(options);
        QVERIFY(session);
        const quint32 a = openClient(*session);
        const quint32 b = openClient(*session);
        QTRY_COMPARE(session->connectionState(a), ConnectionState::Open);
        QTRY_COMPARE(session->connectionState(b), ConnectionState::Open);
        QTcpSocket third;
        const QByteArray answer = httpExchange(third, session->serverUrl(), upgradeRequest());
        QVERIFY2(answer.startsWith("HTTP/1.1 503 Service Unavailable\r\n"), answer.left(100).constData());
        // The two others still work.
        session->sendText(a, QStringLiteral("still here"));
        QTRY_COMPARE(payloads(messagesOf(*session->store(), a, Direction::S2C)), QByteArrayList { "still here" });
    }

    void wssWithAGeneratedCertificate()
    {
        if (!QSslSocket::supportsSsl())
            QFAIL("Qt has no TLS backend here (Debian package libssl3)");
        const test::SelfSigned made = test::makeSelfSigned(m_dir.path());
        QVERIFY2(made.error.isEmpty(), qPrintable(made.error));
        const QString cert = made.certificate;
        const QString key = made.key;

        ServerOptions options;
        options.tlsCertificatePath = cert;
        options.tlsKeyPath = key;
        auto session = newSession(options);
        QVERIFY(session);
        QCOMPARE(session->serverUrl().scheme(), QStringLiteral("wss"));

        // A client that trusts the certificate upgrades and gets its echo.
        QSslSocket socket;
        QSslConfiguration config = socket.sslConfiguration();
        config.setCaCertificates(QSslCertificate::fromPath(cert));
        socket.setSslConfiguration(config);
        socket.connectToHostEncrypted(
            QStringLiteral("127.0.0.1"), quint16(session->serverUrl().port()), QStringLiteral("localhost"));
        QVERIFY2(socket.waitForEncrypted(10000), qPrintable(socket.errorString()));
        socket.write(upgradeRequest());
        QByteArray answer;
        QTRY_VERIFY((answer += socket.readAll()).contains("\r\n\r\n"));
        QVERIFY(answer.startsWith("HTTP/1.1 101 Switching Protocols\r\n"));
        socket.write(encodeFrame(Opcode::Text, "secret hello", true, 0x01020304u));
        FrameParser parser;
        parser.feed(answer.mid(answer.indexOf("\r\n\r\n") + 4));
        Frame frame;
        const bool echoed = [&] {
            for (QDeadlineTimer deadline(10000); !deadline.hasExpired();) {
                if (parser.next(frame) == FrameParser::Status::Frame)
                    return true;
                socket.waitForReadyRead(100);
                parser.feed(socket.readAll());
            }
            return false;
        }();
        if (!echoed) {
            session->flush();
            for (qsizetype i = 0; i < session->store()->count(); ++i)
                qWarning() << kindName(session->store()->kind(i))
                           << session->store()->payload(i).first(
                                  std::min<qsizetype>(120, session->store()->payload(i).size()));
        }
        QVERIFY(echoed);
        QCOMPARE(frame.payload, QByteArray("secret hello"));

        // One that does not trust it fails the TLS handshake and never reaches the timeline.
        QSslSocket untrusting;
        untrusting.connectToHostEncrypted(QStringLiteral("127.0.0.1"), quint16(session->serverUrl().port()));
        QVERIFY(!untrusting.waitForEncrypted(10000));
        QVERIFY(!untrusting.sslHandshakeErrors().isEmpty());

        // Plain HTTP on the wss port: the failed TLS handshake is in the timeline, with who it was.
        QTcpSocket plain;
        httpExchange(plain, session->serverUrl(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        QTRY_VERIFY([&] {
            session->flush();
            for (qsizetype i = 0; i < session->store()->count(); ++i) {
                if (session->store()->kind(i) == EventKind::Error
                    && session->store()->payload(i).startsWith("TLS handshake with 127.0.0.1:"))
                    return true;
            }
            return false;
        }());

        // The test page comes over https.
        QSslSocket page;
        page.setSslConfiguration(config);
        page.connectToHostEncrypted(
            QStringLiteral("127.0.0.1"), quint16(session->serverUrl().port()), QStringLiteral("localhost"));
        QVERIFY(page.waitForEncrypted(10000));
        page.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
        QByteArray html;
        QTRY_VERIFY((html += page.readAll()).contains("</html>"));
        QVERIFY(html.startsWith("HTTP/1.1 200 OK\r\n"));
    }

    void badTlsFilesAreExplained()
    {
        const QString notPem = m_dir.filePath(QStringLiteral("not.pem"));
        QFile f(notPem);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("hello\n");
        f.close();
        ServerOptions options;
        options.tlsCertificatePath = m_dir.filePath(QStringLiteral("missing.pem"));
        options.tlsKeyPath = notPem;
        QString failure;
        QVERIFY(!newSession(options, &failure));
        QVERIFY2(failure.contains(QStringLiteral("missing.pem")), qPrintable(failure));
        options.tlsCertificatePath = notPem;
        QVERIFY(!newSession(options, &failure));
        QVERIFY2(failure.contains(QStringLiteral("no PEM certificate")), qPrintable(failure));
    }
};

QTEST_GUILESS_MAIN(TestTestServer)
#include "tst_testserver.moc"
