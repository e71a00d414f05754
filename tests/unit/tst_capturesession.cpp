// Loopback tests of the capture stack: our client endpoint against our test server, both recorded into one
// timeline, plus raw-socket peers that misbehave on purpose. Real sockets on 127.0.0.1, port 0.

#include "core/capturequeue.h"
#include "core/eventstore.h"
#include "core/recorder.h"
#include "core/timelinemodel.h"
#include "formats/sessionreader.h"
#include "net/capturesession.h"
#include "wire/frame.h"
#include "wire/handshake.h"

#include <QFileInfo>
#include <QLockFile>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

using namespace wsi;

namespace {

struct Row
{
    qsizetype row;
    Event event;
};

QList<Event> eventsOf(const EventStore& store, quint32 connection)
{
    QList<Event> out;
    for (qsizetype i = 0; i < store.count(); ++i) {
        if (store.connectionId(i) == connection)
            out.append(store.event(i));
    }
    return out;
}

QStringList strings(std::initializer_list<const char*> items)
{
    QStringList out;
    for (const char* s : items)
        out.append(QString::fromLatin1(s));
    return out;
}

// The kinds and directions of a connection's events, as "kind/dir" strings, for readable comparisons.
QStringList shapeOf(const QList<Event>& events)
{
    QStringList out;
    for (const Event& e : events)
        out.append(kindName(e.kind) + u'/' + directionName(e.direction));
    return out;
}

std::optional<quint32> serverConnectionId(const EventStore& store, qsizetype nth = 0)
{
    QList<quint32> ids;
    for (const Connection& c : store.connections()) {
        if (c.role == ConnectionRole::Server)
            ids.append(c.id);
    }
    std::sort(ids.begin(), ids.end());
    if (nth >= ids.size())
        return std::nullopt;
    return ids[nth];
}

// A hand-driven WebSocket client over a raw socket, for sending what a polite client never would.
class RawClient
{
public:
    bool open(const QUrl& url)
    {
        m_socket.connectToHost(url.host(), quint16(url.port()));
        if (!m_socket.waitForConnected(5000))
            return false;
        const QByteArray key = handshake::newKey();
        m_socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: "
            + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n");
        QByteArray response;
        while (!response.contains("\r\n\r\n")) {
            if (!m_socket.waitForReadyRead(5000))
                return false;
            response += m_socket.readAll();
        }
        m_pending = response.mid(response.indexOf("\r\n\r\n") + 4);
        return response.startsWith("HTTP/1.1 101");
    }
    void sendRaw(const QByteArray& bytes)
    {
        m_socket.write(bytes);
        m_socket.flush();
    }
    // Reads frames until a close frame arrives; returns its code (0 on timeout or none).
    quint16 waitForCloseCode()
    {
        FrameParser parser;
        parser.feed(m_pending);
        for (int i = 0; i < 100; ++i) {
            Frame f;
            while (parser.next(f) == FrameParser::Status::Frame) {
                if (f.opcode == Opcode::Close)
                    return f.payload.size() >= 2 ? qFromBigEndian<quint16>(f.payload.constData()) : 1005;
            }
            if (!m_socket.waitForReadyRead(100) && m_socket.state() != QAbstractSocket::ConnectedState)
                return 0;
            parser.feed(m_socket.readAll());
        }
        return 0;
    }
    QTcpSocket& socket() { return m_socket; }

private:
    QTcpSocket m_socket;
    QByteArray m_pending;
};

QByteArray maskedFrame(Opcode op, const QByteArray& payload, bool fin = true)
{
    return encodeFrame(op, payload, fin, 0x11223344u);
}

} // namespace

class TestCaptureSession : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<CaptureSession> newSession(const ServerOptions& server = {})
    {
        CaptureSession::Options options;
        options.journalPath = m_dir.filePath(QStringLiteral("journal-%1.jsonl").arg(++m_sessions));
        auto session = std::make_unique<CaptureSession>(options);
        QSignalSpy started(session.get(), &CaptureSession::serverStarted);
        ServerOptions o = server;
        o.port = 0;
        session->startServer(o);
        if (!started.wait(5000))
            return nullptr;
        return session;
    }

    QTemporaryDir m_dir;
    int m_sessions = 0;

private Q_SLOTS:
    void everyFrameKindRecordedOnBothEnds()
    {
        auto session = newSession();
        QVERIFY(session);
        const EventStore& store = *session->store();
        ClientOptions options;
        options.url = session->serverUrl().resolved(QUrl(QStringLiteral("/chat?room=1")));
        options.headers = { { "X-Test", "yes" } };
        const quint32 client = session->connectClient(options);
        QTRY_COMPARE(session->connectionState(client), ConnectionState::Open);

        // One at a time, so that each echo arrives before the next message leaves.
        session->sendText(client, QStringLiteral("h\u00e9llo"));
        QTRY_COMPARE(eventsOf(store, client).size(), 5);
        session->sendBinary(client, QByteArray("\x00\x01\x02\xff", 4));
        QTRY_COMPARE(eventsOf(store, client).size(), 7);
        session->ping(client, "are you there");
        QTRY_COMPARE(eventsOf(store, client).size(), 9);
        session->closeConnection(client, 1000, QStringLiteral("bye"));
        QTRY_COMPARE(session->connectionState(client), ConnectionState::Closed);
        const auto server = serverConnectionId(store);
        QVERIFY(server);
        QTRY_COMPARE(session->connectionState(*server), ConnectionState::Closed);
        QTRY_VERIFY(!eventsOf(store, *server).isEmpty() && eventsOf(store, *server).back().kind == EventKind::Closed);
        // The client's end may be recorded after the server's, in a later timeline batch: take in everything
        // recorded (both states are Closed, so both ends are).
        session->flush();

        const QList<Event> c = eventsOf(store, client);
        const QList<Event> s = eventsOf(store, *server);
        const QStringList expected
            = strings({ "handshake-request/none", "handshake-response/none", "open/none", "text/c2s", "text/s2c",
                "binary/c2s", "binary/s2c", "ping/c2s", "pong/s2c", "close/c2s", "close/s2c", "closed/none" });
        QCOMPARE(shapeOf(c), expected);
        QCOMPARE(shapeOf(s), expected);

        // Both ends saw the very same handshake bytes.
        QCOMPARE(c[0].payload, s[0].payload);
        QCOMPARE(c[1].payload, s[1].payload);
        QVERIFY(c[0].payload.startsWith("GET /chat?room=1 HTTP/1.1\r\n"));
        QVERIFY(c[0].payload.contains("\r\nX-Test: yes\r\n"));
        QVERIFY(c[1].payload.startsWith("HTTP/1.1 101 Switching Protocols\r\n"));

        for (const QList<Event>* events : { &c, &s }) {
            QCOMPARE((*events)[3].payload, QStringLiteral("h\u00e9llo").toUtf8());
            QCOMPARE((*events)[4].payload, QStringLiteral("h\u00e9llo").toUtf8());
            QCOMPARE((*events)[3].size, 6);
            QCOMPARE((*events)[5].payload, QByteArray("\x00\x01\x02\xff", 4));
            QCOMPARE((*events)[6].payload, QByteArray("\x00\x01\x02\xff", 4));
            QCOMPARE((*events)[7].payload, QByteArray("are you there"));
            QCOMPARE((*events)[8].payload, QByteArray("are you there"));
            QCOMPARE((*events)[9].closeCode, 1000);
            QCOMPARE((*events)[9].payload, QByteArray("bye"));
            QCOMPARE((*events)[10].closeCode, 1000);
            // Client frames are masked on the wire, server frames are not.
            QVERIFY((*events)[3].flags & FlagMasked);
            QVERIFY(!((*events)[4].flags & FlagMasked));
        }
        QVERIFY(c[8].note.startsWith("round trip "));

        // The server's connection knows the path it was asked for and the client's address.
        const Connection* sc = store.connection(*server);
        QVERIFY(sc);
        QVERIFY(sc->url.endsWith(QLatin1StringView("/chat?room=1")));
        QVERIFY(sc->peer.startsWith(QLatin1StringView("127.0.0.1:")));
    }

    void serverClientsListsTheOpenOnes()
    {
        auto session = newSession();
        QVERIFY(session);
        QSignalSpy opened(session.get(), &CaptureSession::serverClientOpened);
        QVERIFY(session->serverClients().isEmpty());
        ClientOptions options;
        options.url = session->serverUrl().resolved(QUrl(QStringLiteral("/first")));
        const quint32 first = session->connectClient(options);
        QTRY_COMPARE(opened.size(), 1);
        options.url = session->serverUrl().resolved(QUrl(QStringLiteral("/second?x=1")));
        session->connectClient(options);
        QTRY_COMPARE(opened.size(), 2);
        QList<ServerClient> clients = session->serverClients();
        QCOMPARE(clients.size(), 2);
        QCOMPARE(clients[0].path, QStringLiteral("/first"));
        QCOMPARE(clients[1].path, QStringLiteral("/second?x=1"));
        QCOMPARE(clients[1].id, opened.at(1).at(0).value<ServerClient>().id);
        QVERIFY(clients[0].peer.startsWith(QLatin1StringView("127.0.0.1:")));

        // A closed one goes; stopping the server empties the list.
        session->closeConnection(first);
        QTRY_COMPARE(session->connectionState(clients[0].id), ConnectionState::Closed);
        clients = session->serverClients();
        QCOMPARE(clients.size(), 1);
        QCOMPARE(clients[0].path, QStringLiteral("/second?x=1"));
        QSignalSpy stopped(session.get(), &CaptureSession::serverStopped);
        session->stopServer();
        QVERIFY(stopped.wait(5000));
        QVERIFY(session->serverClients().isEmpty());
    }

    void serverInitiatedClose()
    {
        auto session = newSession();
        QVERIFY(session);
        const EventStore& store = *session->store();
        ClientOptions options;
        options.url = session->serverUrl();
        const quint32 client = session->connectClient(options);
        QTRY_COMPARE(session->connectionState(client), ConnectionState::Open);
        std::optional<quint32> server;
        QTRY_VERIFY((server = serverConnectionId(store)).has_value());
        session->closeConnection(*server, 4000, QStringLiteral("kicked"));
        QTRY_COMPARE(session->connectionState(client), ConnectionState::Closed);
        QTRY_VERIFY(!eventsOf(store, client).isEmpty() && eventsOf(store, client).back().kind == EventKind::Closed);
        const QList<Event> c = eventsOf(store, client);
        const Event& close = c[c.size() - 3];
        QCOMPARE(close.kind, EventKind::Close);
        QCOMPARE(close.direction, Direction::S2C);
        QCOMPARE(close.closeCode, 4000);
        QCOMPARE(close.payload, QByteArray("kicked"));
        QCOMPARE(c[c.size() - 2].direction, Direction::C2S); // the client's answer
        QCOMPARE(c.back().closeCode, 4000);
    }

    void badInputClosesWithTheRightCode_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("code");
        QTest::addColumn<QByteArray>("errorText");
        QTest::addRow("invalid UTF-8 text")
            << maskedFrame(Opcode::Text, QByteArray("ok \xc3\x28 bad")) << 1007 << QByteArray("not valid UTF-8");
        QTest::addRow("oversized message")
            << maskedFrame(Opcode::Binary, QByteArray(2048, 'x')) << 1009 << QByteArray("larger than the limit");
        QTest::addRow("oversized fragmented message") << maskedFrame(Opcode::Text, QByteArray(1000, 'a'), false)
                + maskedFrame(Opcode::Continuation, QByteArray(1000, 'b'))
                                                      << 1009 << QByteArray("larger than the limit");
        QTest::addRow("unmasked frame") << encodeFrame(Opcode::Text, "hi") << 1002 << QByteArray("unmasked");
        QTest::addRow("reserved opcode") << QByteArray("\x83\x80\x00\x00\x00\x00", 6) << 1002
                                         << QByteArray("reserved opcode");
        QTest::addRow("stray continuation")
            << maskedFrame(Opcode::Continuation, "x") << 1002 << QByteArray("continuation");
        QTest::addRow("RSV bit") << encodeFrame(Opcode::Text, "x", true, 1u, 4) << 1002 << QByteArray("RSV");
        QTest::addRow("invalid close code")
            << maskedFrame(Opcode::Close, closePayload(999, "")) << 1002 << QByteArray("invalid code");
    }

    void badInputClosesWithTheRightCode()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(int, code);
        QFETCH(QByteArray, errorText);
        ServerOptions options;
        options.maxMessageBytes = 1500;
        auto session = newSession(options);
        QVERIFY(session);
        const EventStore& store = *session->store();

        // A well-behaved client connected alongside must not notice anything.
        ClientOptions good;
        good.url = session->serverUrl();
        const quint32 goodClient = session->connectClient(good);
        QTRY_COMPARE(session->connectionState(goodClient), ConnectionState::Open);

        RawClient bad;
        QVERIFY(bad.open(session->serverUrl()));
        bad.sendRaw(bytes);
        QCOMPARE(int(bad.waitForCloseCode()), code);

        std::optional<quint32> badServerSide;
        QTRY_VERIFY((badServerSide = serverConnectionId(store, 1)).has_value());
        QTRY_VERIFY(std::ranges::any_of(eventsOf(store, *badServerSide),
            [&](const Event& e) { return e.kind == EventKind::Error && e.payload.contains(errorText); }));
        QTRY_VERIFY(std::ranges::any_of(eventsOf(store, *badServerSide), [&](const Event& e) {
            return e.kind == EventKind::Close && e.direction == Direction::S2C && e.closeCode == code;
        }));

        session->sendText(goodClient, QStringLiteral("still there?"));
        QTRY_VERIFY(std::ranges::any_of(eventsOf(store, goodClient), [](const Event& e) {
            return e.kind == EventKind::Text && e.direction == Direction::S2C && e.payload == "still there?";
        }));
    }

    void fragmentedMessageIsReassembled()
    {
        auto session = newSession();
        QVERIFY(session);
        RawClient raw;
        QVERIFY(raw.open(session->serverUrl()));
        raw.sendRaw(maskedFrame(Opcode::Text, "Hel", false) + maskedFrame(Opcode::Ping, "mid")
            + maskedFrame(Opcode::Continuation, "lo"));
        const EventStore& store = *session->store();
        std::optional<quint32> server;
        QTRY_VERIFY((server = serverConnectionId(store)).has_value());
        QTRY_VERIFY(eventsOf(store, *server).size() >= 7);
        const QList<Event> s = eventsOf(store, *server);
        QCOMPARE(shapeOf(s).mid(3, 4), strings({ "ping/c2s", "pong/s2c", "text/c2s", "text/s2c" }));
        QCOMPARE(s[5].payload, QByteArray("Hello"));
        QVERIFY(s[5].flags & FlagFragment);
    }

    void rejectedUpgradeIsRecorded()
    {
        auto session = newSession();
        QVERIFY(session);
        QTcpSocket socket;
        socket.connectToHost(QStringLiteral("127.0.0.1"), quint16(session->serverUrl().port()));
        QVERIFY(socket.waitForConnected(5000));
        // An upgrade in an old protocol version (a plain GET is answered with the test page instead).
        socket.write("GET /page HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n");
        QByteArray answer;
        QTRY_VERIFY((answer += socket.readAll()).contains("\r\n\r\n"));
        QVERIFY(answer.startsWith("HTTP/1.1 426 Upgrade Required\r\n"));
        const EventStore& store = *session->store();
        QTRY_VERIFY(store.count() >= 4);
        QStringList kinds;
        for (qsizetype i = 0; i < store.count(); ++i)
            kinds.append(kindName(store.kind(i)));
        QCOMPARE(kinds, strings({ "handshake-request", "handshake-response", "error", "closed" }));
        QVERIFY(store.payload(1).startsWith("HTTP/1.1 426"));
    }

    // A request that is not HTTP at all, and one that never ends: both answered, both shown as received.
    void badOrSlowRequestsAreShownAsReceived_data()
    {
        QTest::addColumn<QByteArray>("sent");
        QTest::addColumn<int>("status");
        QTest::newRow("malformed") << QByteArray("HELLO THERE\r\n\r\n") << 400;
        QTest::newRow("never finished") << QByteArray("GET / HTTP/1.1\r\nHost: x\r\n") << 408;
    }
    void badOrSlowRequestsAreShownAsReceived()
    {
        QFETCH(QByteArray, sent);
        QFETCH(int, status);
        ServerOptions o;
        o.handshakeTimeoutMs = 300;
        auto session = newSession(o);
        QVERIFY(session);
        QTcpSocket socket;
        socket.connectToHost(QStringLiteral("127.0.0.1"), quint16(session->serverUrl().port()));
        QVERIFY(socket.waitForConnected(5000));
        socket.write(sent);
        QByteArray answer;
        QTRY_VERIFY((answer += socket.readAll()).contains("\r\n\r\n"));
        QVERIFY2(answer.startsWith(QByteArray("HTTP/1.1 " + QByteArray::number(status) + ' ')), answer.constData());
        const EventStore& store = *session->store();
        QTRY_VERIFY(store.count() >= 4);
        QCOMPARE(store.kind(0), EventKind::HandshakeRequest);
        QCOMPARE(store.payload(0).toByteArray(), sent);
        QCOMPARE(store.kind(1), EventKind::HandshakeResponse);
    }

    void clientErrorsInWords()
    {
        CaptureSession::Options options;
        CaptureSession session(options);
        // A port that was free a moment ago: nobody listens there.
        quint16 port;
        {
            QTcpServer s;
            QVERIFY(s.listen(QHostAddress::LocalHost));
            port = s.serverPort();
        }
        ClientOptions refused;
        refused.url = QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(port));
        const quint32 a = session.connectClient(refused);
        ClientOptions badScheme;
        badScheme.url = QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(port));
        const quint32 b = session.connectClient(badScheme);
        QTRY_COMPARE(session.connectionState(a), ConnectionState::Closed);
        QTRY_COMPARE(session.connectionState(b), ConnectionState::Closed);
        // The states come by signal, the events with the timeline's batches: take in what was recorded.
        session.flush();
        QVERIFY(session.store()->count() >= 4);
        const QList<Event> ea = eventsOf(*session.store(), a);
        QVERIFY(std::ranges::any_of(
            ea, [](const Event& e) { return e.kind == EventKind::Error && e.payload.contains("connection refused"); }));
        const QList<Event> eb = eventsOf(*session.store(), b);
        QVERIFY(std::ranges::any_of(eb,
            [](const Event& e) { return e.kind == EventKind::Error && e.payload.contains("not a WebSocket URL"); }));
    }

    // A client that sends and sends but never reads its echoes: the server stops reading once its unsent
    // data piles up (so memory stays bounded), and a close it starts still ends the connection in time.
    void peerThatNeverReadsIsBoundedAndDropped()
    {
        auto session = newSession();
        QVERIFY(session);
        const EventStore& store = *session->store();
        RawClient raw;
        QVERIFY(raw.open(session->serverUrl()));
        std::optional<quint32> server;
        QTRY_VERIFY((server = serverConnectionId(store)).has_value());

        const QByteArray frame = maskedFrame(Opcode::Binary, QByteArray(64 * 1024, 'x'));
        // 256 MiB: more than every buffer on the way can hold (loopback TCP buffers alone may take 70 MiB).
        constexpr int Frames = 4096;
        raw.socket().setReadBufferSize(1); // and, for good measure, read nothing
        for (int i = 0; i < Frames; ++i)
            raw.socket().write(frame);

        auto received = [&] {
            int n = 0;
            for (const Event& e : eventsOf(store, *server))
                n += e.kind == EventKind::Binary && e.direction == Direction::C2S;
            return n;
        };
        // The server takes a good part, then stops reading while its echoes cannot leave: the count settles
        // below what was sent. (Were it to go on reading, it would settle only at Frames.)
        QTRY_VERIFY(received() > 100);
        int before = -1;
        for (int i = 0; i < 60 && received() != before; ++i) {
            before = received();
            QTest::qWait(500);
        }
        QVERIFY2(received() < Frames, qPrintable(QString::number(received())));
        session->closeConnection(*server, 1000, QStringLiteral("bye"));
        QTRY_COMPARE_WITH_TIMEOUT(session->connectionState(*server), ConnectionState::Closed, 15000);
        session->flush(); // the state arrives by signal; the events with the next pump
        const QList<Event> events = eventsOf(store, *server);
        QCOMPARE(events.back().kind, EventKind::Closed);
        QCOMPARE(events.back().closeCode, 1006);
    }

    // Quitting while a peer ignores the closing handshake: the connection is dropped at the deadline, and
    // the journal still tells how it ended.
    void shutdownJournalsTheEndOfEveryConnection()
    {
        auto session = newSession();
        QVERIFY(session);
        RawClient raw;
        QVERIFY(raw.open(session->serverUrl()));
        raw.socket().setReadBufferSize(1);
        std::optional<quint32> server;
        QTRY_VERIFY((server = serverConnectionId(*session->store())).has_value());
        const QString journal = session->journalPath();
        session->shutdown();
        session->sendText(*server, QStringLiteral("after the end")); // does nothing, safely
        QCOMPARE(session->connectionState(*server), ConnectionState::Closed);

        SessionData data;
        QString error;
        QVERIFY2(SessionReader::readFile(journal, data, &error), qPrintable(error));
        QVERIFY(std::ranges::any_of(
            data.events, [&](const Event& e) { return e.connection == *server && e.kind == EventKind::Closed; }));
    }

    // A second capture recorded into the same file continues its numbering instead of starting over.
    void appendingToAJournalContinuesTheIds()
    {
        const QString path = m_dir.filePath(QStringLiteral("appended.jsonl"));
        for (int round = 0; round < 2; ++round) {
            CaptureSession::Options options;
            options.journalPath = path;
            CaptureSession session(options);
            QSignalSpy started(&session, &CaptureSession::serverStarted);
            ServerOptions o;
            o.port = 0;
            session.startServer(o);
            QVERIFY(started.wait(5000));
            ClientOptions c;
            c.url = session.serverUrl();
            const quint32 client = session.connectClient(c);
            QTRY_COMPARE(session.connectionState(client), ConnectionState::Open);
            session.closeConnection(client, 1000, {});
            QTRY_COMPARE(session.connectionState(client), ConnectionState::Closed);
        }
        SessionData data;
        QString error;
        QVERIFY2(SessionReader::readFile(path, data, &error), qPrintable(error));
        QCOMPARE(data.warnings, QStringList());
        QCOMPARE(data.connections.size(), 4); // a client and a server connection per round
        QSet<quint32> ids;
        for (const Connection& c : data.connections)
            ids.insert(c.id);
        QCOMPARE(ids.size(), 4);
        quint64 last = 0;
        for (const Event& e : data.events) {
            QVERIFY(e.seq > last);
            last = e.seq;
        }
    }

    // While a session journals, "<journal>.lock" says so (crash recovery reads it); a clean end removes it.
    void journalIsLockedWhileCapturing()
    {
        const QString path = m_dir.filePath(QStringLiteral("locked.jsonl"));
        CaptureSession session(CaptureSession::Options { false, path });
        QVERIFY(QFileInfo::exists(path + QLatin1StringView(".lock")));
        QLockFile other(path + QLatin1StringView(".lock"));
        other.setStaleLockTime(0);
        QVERIFY(!other.tryLock(0));
        QCOMPARE(other.error(), QLockFile::LockFailedError);
        qint64 pid = 0;
        QString host;
        QString app;
        QVERIFY(other.getLockInfo(&pid, &host, &app));
        QCOMPARE(pid, QCoreApplication::applicationPid());

        session.shutdown();
        QVERIFY(!QFileInfo::exists(path + QLatin1StringView(".lock")));
        QVERIFY(QFileInfo::exists(path)); // kept by default, even with nothing in it
    }

    // Two captures appending to one file would interleave their lines: the second one is refused, and says why.
    void aJournalInUseIsRefused()
    {
        const QString path = m_dir.filePath(QStringLiteral("busy.jsonl"));
        CaptureSession first(CaptureSession::Options { false, path });
        QCOMPARE(first.journalPath(), path);
        CaptureSession second(CaptureSession::Options { false, path });
        QSignalSpy failed(&second, &CaptureSession::journalFailed);
        QVERIFY(failed.wait(2000));
        QVERIFY2(failed.first().first().toString().contains(QLatin1StringView("another running")),
            qPrintable(failed.first().first().toString()));
        QCOMPARE(second.journalPath(), QString());
        second.shutdown();
        // The refused session must not have touched the first one's lock.
        QVERIFY(QFileInfo::exists(path + QLatin1StringView(".lock")));
        first.shutdown();
        QVERIFY(!QFileInfo::exists(path + QLatin1StringView(".lock")));
    }

    // What a clean end leaves: the app's own empty journals go, everything else stays unless the user let it go.
    void cleanEndKeepsOrDeletesTheJournal_data()
    {
        QTest::addColumn<bool>("removeEmpty");
        QTest::addColumn<int>("connections");
        QTest::addColumn<int>("events");
        QTest::addColumn<bool>("keep");
        QTest::addColumn<bool>("remains");
        QTest::newRow("empty, own journal") << true << 0 << 0 << true << false;
        QTest::newRow("connections only, own journal") << true << 2 << 0 << true << false;
        QTest::newRow("events, own journal") << true << 1 << 1 << true << true;
        QTest::newRow("empty, --record file") << false << 0 << 0 << true << true;
        QTest::newRow("events, not kept") << true << 1 << 3 << false << false;
        QTest::newRow("--record file, not kept") << false << 1 << 3 << false << false;
    }

    void cleanEndKeepsOrDeletesTheJournal()
    {
        QFETCH(bool, removeEmpty);
        QFETCH(int, connections);
        QFETCH(int, events);
        QFETCH(bool, keep);
        QFETCH(bool, remains);
        const QString path = m_dir.filePath(QStringLiteral("end-%1.jsonl").arg(++m_sessions));
        CaptureSession session(CaptureSession::Options { false, path, removeEmpty });
        quint32 connection = 0;
        for (int i = 0; i < connections; ++i)
            connection = session.recorder()->addConnection(Connection {});
        for (int i = 0; i < events; ++i)
            session.recorder()->record(makeEvent(connection, Direction::C2S, EventKind::Text, "x"));
        session.setKeepJournal(keep);
        QCOMPARE(session.keepsJournal(), keep);
        session.shutdown();
        QCOMPARE(QFileInfo::exists(path), remains);
        QVERIFY(!QFileInfo::exists(path + QLatin1StringView(".lock")));
    }

    // The GUI may learn only after the capture ended that the user saved or discarded it.
    void notKeepingAfterTheEndDeletesAtOnce()
    {
        const QString path = m_dir.filePath(QStringLiteral("late.jsonl"));
        CaptureSession session(CaptureSession::Options { false, path });
        session.recorder()->record(makeEvent(0, Direction::None, EventKind::Note, "n"));
        session.shutdown();
        QVERIFY(QFileInfo::exists(path));
        session.setKeepJournal(false);
        QVERIFY(!QFileInfo::exists(path));
    }

    // Saved elsewhere up to a seq: the journal goes at the end only when nothing came after it; a connection
    // still open when the capture ends records its end after the save, and the journal is then all that holds it.
    void savedJournalGoesOnlyWhenNothingCameAfter_data()
    {
        QTest::addColumn<int>("after"); // events recorded after the save
        QTest::addColumn<bool>("liveClient"); // a client still connected at shutdown
        QTest::addColumn<bool>("remains");
        QTest::newRow("nothing after the save") << 0 << false << false;
        QTest::newRow("an event after the save") << 1 << false << true;
        QTest::newRow("a client still connected") << 0 << true << true;
    }

    void savedJournalGoesOnlyWhenNothingCameAfter()
    {
        QFETCH(int, after);
        QFETCH(bool, liveClient);
        QFETCH(bool, remains);
        auto session = newSession();
        QVERIFY(session);
        const QString journal = session->journalPath();
        RawClient raw;
        std::optional<quint32> server;
        if (liveClient) {
            QVERIFY(raw.open(session->serverUrl()));
            QTRY_VERIFY((server = serverConnectionId(*session->store())).has_value());
        }
        session->recorder()->record(makeEvent(0, Direction::None, EventKind::Note, "saved"));
        session->flush();
        session->setJournalSavedUpTo(session->recorder()->lastSeq());
        for (int i = 0; i < after; ++i)
            session->recorder()->record(makeEvent(0, Direction::None, EventKind::Note, "not saved"));
        session->shutdown();
        QCOMPARE(QFileInfo::exists(journal), remains);
        QVERIFY(!QFileInfo::exists(journal + QLatin1StringView(".lock")));
        QVERIFY(!QFileInfo::exists(journal + QLatin1StringView(".unsaved")));
        if (liveClient) {
            SessionData data;
            QString error;
            QVERIFY2(SessionReader::readFile(journal, data, &error), qPrintable(error));
            QVERIFY(std::ranges::any_of(
                data.events, [&](const Event& e) { return e.connection == *server && e.kind == EventKind::Closed; }));
        }
    }

    // Saved after the end (the window learns it late): the journal goes then, if nothing came after.
    void savedAfterTheEnd()
    {
        const QString path = m_dir.filePath(QStringLiteral("saved-late.jsonl"));
        CaptureSession session(CaptureSession::Options { false, path });
        session.recorder()->record(makeEvent(0, Direction::None, EventKind::Note, "a"));
        const quint64 first = session.recorder()->lastSeq();
        session.recorder()->record(makeEvent(0, Direction::None, EventKind::Note, "b"));
        session.shutdown();
        session.setJournalSavedUpTo(first);
        QVERIFY(QFileInfo::exists(path));
        session.setJournalSavedUpTo(session.recorder()->lastSeq());
        QVERIFY(!QFileInfo::exists(path));
    }

    // An end nobody was asked about (SIGTERM) leaves a marker beside a journal whose events were not saved, so
    // that the next start offers it; a saved or empty capture leaves none, nor does one whose only unsaved events
    // are the ends of connections that the shutdown closed.
    void unattendedEndMarksUnsavedJournals_data()
    {
        QTest::addColumn<int>("saved");
        QTest::addColumn<int>("unsaved");
        QTest::addColumn<bool>("liveClient");
        QTest::addColumn<bool>("journalRemains");
        QTest::addColumn<bool>("marked");
        QTest::newRow("unsaved") << 0 << 3 << false << true << true;
        QTest::newRow("saved, then more") << 2 << 1 << false << true << true;
        QTest::newRow("saved") << 2 << 0 << false << false << false;
        QTest::newRow("empty") << 0 << 0 << false << false << false;
        QTest::newRow("saved, a client still connected") << 2 << 0 << true << true << false;
    }

    void unattendedEndMarksUnsavedJournals()
    {
        QFETCH(int, saved);
        QFETCH(int, unsaved);
        QFETCH(bool, liveClient);
        QFETCH(bool, journalRemains);
        QFETCH(bool, marked);
        CaptureSession::Options options;
        options.journalPath = m_dir.filePath(QStringLiteral("unattended-%1.jsonl").arg(++m_sessions));
        options.removeEmptyJournal = true; // as the app's own journals
        CaptureSession session(options);
        RawClient raw;
        if (liveClient) {
            QSignalSpy started(&session, &CaptureSession::serverStarted);
            ServerOptions o;
            o.port = 0;
            session.startServer(o);
            QVERIFY(started.wait(5000));
            QVERIFY(raw.open(session.serverUrl()));
            QTRY_VERIFY(serverConnectionId(*session.store()).has_value());
        }
        for (int i = 0; i < saved; ++i)
            session.recorder()->record(makeEvent(0, Direction::None, EventKind::Note, "saved"));
        if (saved > 0 || liveClient)
            session.setJournalSavedUpTo(session.recorder()->lastSeq());
        for (int i = 0; i < unsaved; ++i)
            session.recorder()->record(makeEvent(0, Direction::None, EventKind::Note, "unsaved"));
        session.setEndingUnattended();
        session.shutdown();
        QCOMPARE(QFileInfo::exists(options.journalPath), journalRemains);
        QCOMPARE(QFileInfo::exists(options.journalPath + QLatin1StringView(".unsaved")), marked);
        QVERIFY(!QFileInfo::exists(options.journalPath + QLatin1StringView(".lock")));
    }

    // A recovered capture goes into the timeline and the new journal with its own ids, and the capture goes on
    // after them; once anything was recorded, restoring is refused.
    void restoreFillsTimelineAndJournal()
    {
        const QString path = m_dir.filePath(QStringLiteral("restored.jsonl"));
        CaptureSession session(CaptureSession::Options { true, path });
        CaptureBatch batch;
        Connection c;
        c.id = 7;
        c.role = ConnectionRole::Server;
        c.url = QStringLiteral("ws://127.0.0.1:1/");
        batch.connections.push_back(c);
        for (quint64 seq = 1; seq <= 3; ++seq) {
            Event e = makeEvent(7, Direction::C2S, EventKind::Text, QByteArray::number(seq));
            e.seq = seq * 10;
            batch.events.push_back(e);
        }
        QVERIFY(session.restore(batch));
        QVERIFY(session.flushJournal());
        QTRY_COMPARE(session.store()->count(), qsizetype(3));
        QVERIFY(!session.restore(batch)); // the first restore counts as recorded

        const quint64 next = session.recorder()->record(makeEvent(7, Direction::S2C, EventKind::Text, "n"));
        QCOMPARE(next, quint64(31));
        session.shutdown();
        SessionData data;
        QString error;
        QVERIFY2(SessionReader::readFile(path, data, &error), qPrintable(error));
        QCOMPARE(data.connections.size(), 1);
        QCOMPARE(data.connections.first().id, quint32(7));
        QCOMPARE(data.events.size(), size_t(4));
        QCOMPARE(data.events[0].seq, quint64(10));
        QCOMPARE(data.events[2].payload, QByteArray("3"));
        QCOMPARE(data.events[3].seq, quint64(31));

        CaptureSession busy(CaptureSession::Options { true, QString() });
        busy.recorder()->addConnection(Connection {});
        QVERIFY(!busy.restore(batch));
        QVERIFY(!busy.flushJournal()); // no journal
    }

    // The recording proxy through the session: started, a client of the same capture relayed through it to the
    // capture's own test server, listed while open, stopped (its connection ends with the proxy), started again
    // and ended with the session, its end journaled.
    void proxyStartStopRoundTrip()
    {
        qRegisterMetaType<ServerClient>();
        auto session = newSession();
        QVERIFY(session);
        QSignalSpy started(session.get(), &CaptureSession::proxyStarted);
        QSignalSpy failed(session.get(), &CaptureSession::proxyStartFailed);
        QSignalSpy stopped(session.get(), &CaptureSession::proxyStopped);
        QSignalSpy opened(session.get(), &CaptureSession::proxyClientOpened);
        ProxyOptions options;
        options.port = 0;
        options.upstream = session->serverUrl();
        session->startProxy(options);
        QVERIFY(started.wait(5000));
        QVERIFY(session->isProxyRunning());
        QCOMPARE(session->proxyUrl(), started.constFirst().constFirst().toUrl());
        QCOMPARE(session->proxyUrl().scheme(), QStringLiteral("ws"));

        ClientOptions client;
        client.url = session->proxyUrl();
        const quint32 id = session->connectClient(client);
        QTRY_COMPARE(session->connectionState(id), ConnectionState::Open);
        QTRY_COMPARE(opened.size(), 1);
        const quint32 proxied = opened.constFirst().constFirst().value<ServerClient>().id;
        QCOMPARE(session->connectionState(proxied), ConnectionState::Open);
        QCOMPARE(session->proxyClients().size(), 1);
        QCOMPARE(session->proxyClients().constFirst().id, proxied);
        session->sendText(id, QStringLiteral("round trip"));
        QTRY_COMPARE(shapeOf(eventsOf(*session->store(), proxied)).count(QStringLiteral("text/s2c")), 1);
        QCOMPARE(shapeOf(eventsOf(*session->store(), proxied)).count(QStringLiteral("text/c2s")), 1);

        session->stopProxy();
        QVERIFY(stopped.wait(5000));
        QVERIFY(!session->isProxyRunning());
        QVERIFY(!session->proxyUrl().isValid());
        QVERIFY(session->proxyClients().isEmpty());
        QTRY_COMPARE(session->connectionState(proxied), ConnectionState::Closed);
        QTRY_COMPARE(session->connectionState(id), ConnectionState::Closed);

        ProxyOptions bad;
        bad.port = 0;
        bad.upstream = QUrl(QStringLiteral("ftp://example.com/"));
        session->startProxy(bad);
        QVERIFY(failed.wait(5000));
        QVERIFY(!session->isProxyRunning());

        session->startProxy(options);
        QVERIFY(started.wait(5000));
        client.url = session->proxyUrl();
        const quint32 again = session->connectClient(client);
        QTRY_COMPARE(session->connectionState(again), ConnectionState::Open);
        QTRY_COMPARE(opened.size(), 2);
        const quint32 proxiedAgain = opened.at(1).constFirst().value<ServerClient>().id;
        const QString journal = session->journalPath();
        session->shutdown();
        QCOMPARE(session->connectionState(proxiedAgain), ConnectionState::Closed);
        QVERIFY(!session->isProxyRunning());
        SessionData data;
        QString error;
        QVERIFY2(SessionReader::readFile(journal, data, &error), qPrintable(error));
        QVERIFY(std::ranges::any_of(
            data.events, [&](const Event& e) { return e.connection == proxiedAgain && e.kind == EventKind::Closed; }));
        QVERIFY(std::ranges::any_of(data.connections,
            [&](const Connection& c) { return c.id == proxiedAgain && c.role == ConnectionRole::Proxy; }));
    }

    void portInUseTriesTheNext()
    {
        QTcpServer blocker;
        QVERIFY(blocker.listen(QHostAddress::LocalHost));
        CaptureSession session({});
        QSignalSpy started(&session, &CaptureSession::serverStarted);
        ServerOptions o;
        o.port = blocker.serverPort();
        o.tryNextPorts = 20;
        session.startServer(o);
        QVERIFY(started.wait(5000));
        QVERIFY(session.serverUrl().port() > blocker.serverPort());

        CaptureSession exact({});
        QSignalSpy failed(&exact, &CaptureSession::serverStartFailed);
        ServerOptions e;
        e.port = blocker.serverPort();
        exact.startServer(e);
        QVERIFY(failed.wait(5000));
        QVERIFY(!failed.front().front().toString().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestCaptureSession)
#include "tst_capturesession.moc"
