// Our client connections over loopback against our own test server: the auth helper's header, keep-alive
// pings, certificate errors refused or ignored on request, closes told in words, and reconnection with
// back-off (each attempt a new connection id) until it works or gives up. Python peers repeat the essentials
// in the integration tests.

#include "core/eventstore.h"
#include "net/capturesession.h"
#include "selfsigned.h"
#include "wire/handshake.h"

#include <QSignalSpy>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace wsi;

namespace {

QList<Event> eventsOf(const EventStore& store, quint32 connection, EventKind kind)
{
    QList<Event> out;
    for (qsizetype i = 0; i < store.count(); ++i) {
        if (store.connectionId(i) == connection && store.kind(i) == kind)
            out.append(store.event(i));
    }
    return out;
}

bool hasEvent(const EventStore& store, quint32 connection, EventKind kind, const QByteArray& contains)
{
    const QList<Event> events = eventsOf(store, connection, kind);
    return std::any_of(events.cbegin(), events.cend(), [&](const Event& e) { return e.payload.contains(contains); });
}

} // namespace

class TestClientEndpoint : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<CaptureSession> newSession(const ServerOptions& server = {}, quint16 port = 0)
    {
        auto session = std::make_unique<CaptureSession>(CaptureSession::Options {});
        if (!startServer(*session, server, port))
            return nullptr;
        return session;
    }

    static bool startServer(CaptureSession& session, ServerOptions server, quint16 port)
    {
        QSignalSpy started(&session, &CaptureSession::serverStarted);
        server.port = port;
        session.startServer(server);
        return started.wait(5000);
    }

    static quint32 connect(CaptureSession& session, const ClientOptions& base, const QUrl& url)
    {
        ClientOptions options = base;
        options.url = url;
        return session.connectClient(options);
    }

    QTemporaryDir m_dir;

private Q_SLOTS:
    void authHelperBecomesTheAuthorizationHeader_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("bearer") << int(ClientAuth::Kind::Bearer) << QByteArray("Authorization: Bearer s3cr3t-t0ken");
        // base64("ann:pä55:word") with the password's UTF-8 bytes
        QTest::newRow("basic") << int(ClientAuth::Kind::Basic)
                               << QByteArray("Authorization: Basic "
                                      + QByteArray("ann:p\xc3\xa4"
                                                   "55:word")
                                            .toBase64());
    }

    void authHelperBecomesTheAuthorizationHeader()
    {
        QFETCH(int, kind);
        QFETCH(QByteArray, expected);
        auto session = newSession();
        QVERIFY(session);
        ClientOptions options;
        options.auth.kind = ClientAuth::Kind(kind);
        options.auth.token = QStringLiteral(" s3cr3t-t0ken ");
        options.auth.user = QStringLiteral("ann");
        options.auth.password = QStringLiteral("p\u00e455:word");
        const quint32 id = connect(*session, options, session->serverUrl());
        QTRY_COMPARE(session->connectionState(id), ConnectionState::Open);
        const EventStore& store = *session->store();
        QTRY_VERIFY(!eventsOf(store, id, EventKind::HandshakeRequest).isEmpty());
        const QByteArray request = eventsOf(store, id, EventKind::HandshakeRequest).constFirst().payload;
        QVERIFY2(request.contains(QByteArray("\r\n" + expected + "\r\n")), request.constData());
        QCOMPARE(request.count("Authorization:"), 1);
    }

    void anExplicitAuthorizationHeaderWins()
    {
        auto session = newSession();
        QVERIFY(session);
        ClientOptions options;
        options.headers = { { "authorization", "Custom xyz" } };
        options.auth.kind = ClientAuth::Kind::Bearer;
        options.auth.token = QStringLiteral("ignored");
        const quint32 id = connect(*session, options, session->serverUrl());
        QTRY_COMPARE(session->connectionState(id), ConnectionState::Open);
        const EventStore& store = *session->store();
        QTRY_VERIFY(!eventsOf(store, id, EventKind::HandshakeRequest).isEmpty());
        const QByteArray request = eventsOf(store, id, EventKind::HandshakeRequest).constFirst().payload;
        QVERIFY(request.contains("\r\nauthorization: Custom xyz\r\n"));
        QVERIFY(!request.contains("Bearer"));
        QVERIFY(hasEvent(store, id, EventKind::Note, "Authorization header was given"));
    }

    void keepAlivePingsAreAnswered()
    {
        auto session = newSession();
        QVERIFY(session);
        ClientOptions options;
        // Two intervals without a pong drop the connection: short enough to keep the test quick, long enough
        // that a loaded machine answering late does not look like a dead peer.
        options.pingIntervalMs = 100;
        const quint32 id = connect(*session, options, session->serverUrl());
        QTRY_COMPARE(session->connectionState(id), ConnectionState::Open);
        const EventStore& store = *session->store();
        QTRY_VERIFY(eventsOf(store, id, EventKind::Pong).size() >= 3);
        const QList<Event> pings = eventsOf(store, id, EventKind::Ping);
        const QList<Event> pongs = eventsOf(store, id, EventKind::Pong);
        QCOMPARE(pings.constFirst().payload, QByteArray("keep-alive 1"));
        QCOMPARE(pings.at(1).payload, QByteArray("keep-alive 2"));
        QVERIFY(pongs.constFirst().note.startsWith("round trip "));
        // Pings stop with the connection.
        session->closeConnection(id);
        QTRY_COMPARE(session->connectionState(id), ConnectionState::Closed);
        session->flush();
        const qsizetype after = eventsOf(store, id, EventKind::Ping).size();
        QTest::qWait(200);
        session->flush();
        QCOMPARE(eventsOf(store, id, EventKind::Ping).size(), after);
    }

    void closeIsToldInWords()
    {
        auto session = newSession();
        QVERIFY(session);
        QSignalSpy opened(session.get(), &CaptureSession::serverClientOpened);
        const quint32 id = connect(*session, {}, session->serverUrl());
        QTRY_COMPARE(opened.size(), 1);
        QTRY_COMPARE(session->connectionState(id), ConnectionState::Open);
        session->closeConnection(
            opened.constFirst().constFirst().value<ServerClient>().id, 4001, QStringLiteral("bye"));
        QTRY_COMPARE(session->connectionState(id), ConnectionState::Closed);
        const EventStore& store = *session->store();
        QTRY_VERIFY(!eventsOf(store, id, EventKind::Closed).isEmpty());
        QCOMPARE(eventsOf(store, id, EventKind::Closed).constFirst().payload, QByteArray("closed by the server: bye"));
        QCOMPARE(eventsOf(store, id, EventKind::Closed).constFirst().closeCode, 4001);
    }

    void certificateErrorsAreRefusedUnlessIgnored()
    {
        if (!QSslSocket::supportsSsl())
            QFAIL("Qt has no TLS backend here (Debian package libssl3)");
        const test::SelfSigned made = test::makeSelfSigned(m_dir.path());
        QVERIFY2(made.error.isEmpty(), qPrintable(made.error));
        ServerOptions server;
        server.tlsCertificatePath = made.certificate;
        server.tlsKeyPath = made.key;
        auto session = newSession(server);
        QVERIFY(session);
        const EventStore& store = *session->store();

        // TLS handshakes: generous waits, a loaded machine can take seconds for one.
        const quint32 strict = connect(*session, {}, session->serverUrl());
        QTRY_COMPARE_WITH_TIMEOUT(session->connectionState(strict), ConnectionState::Closed, 20000);
        QTRY_VERIFY(hasEvent(store, strict, EventKind::Error, "TLS certificate problem:"));
        QVERIFY(hasEvent(store, strict, EventKind::Error, "self-signed"));

        ClientOptions trusting;
        trusting.ignoreCertificateErrors = true;
        const quint32 lenient = connect(*session, trusting, session->serverUrl());
        QTRY_COMPARE_WITH_TIMEOUT(session->connectionState(lenient), ConnectionState::Open, 20000);
        // The state comes by signal, the note (recorded before it) with the timeline's next batch.
        session->flush();
        QVERIFY(hasEvent(store, lenient, EventKind::Note, "certificate problems ignored on request (unsafe)"));
        session->sendText(lenient, QStringLiteral("over tls"));
        QTRY_VERIFY(hasEvent(store, lenient, EventKind::Text, "over tls")
            && eventsOf(store, lenient, EventKind::Text).size() == 2);
    }

    void reconnectsWithBackOffThenGivesUp()
    {
        auto session = newSession();
        QVERIFY(session);
        const QUrl url = session->serverUrl();
        ClientOptions options;
        options.reconnect = { true, 50, 150, 3 };
        QSignalSpy reconnecting(session.get(), &CaptureSession::clientReconnecting);
        QSignalSpy gaveUp(session.get(), &CaptureSession::clientGaveUp);
        const quint32 first = connect(*session, options, url);
        QTRY_COMPARE(session->connectionState(first), ConnectionState::Open);

        session->stopServer(); // closes its clients with 1001: not our wish, so we come back
        QTRY_COMPARE_WITH_TIMEOUT(gaveUp.size(), 1, 10000);
        QCOMPARE(reconnecting.size(), 3);
        QList<quint32> ids { first };
        for (int i = 0; i < 3; ++i) {
            const QList<QVariant>& r = reconnecting.at(i);
            QCOMPARE(r.at(0).toUInt(), ids.back()); // follows the chain
            ids.append(r.at(1).toUInt());
            QVERIFY(ids.back() > ids.at(ids.size() - 2));
            QCOMPARE(r.at(2).toInt(), i + 1); // attempt
            QCOMPARE(r.at(3).toInt(), 3); // of
            QCOMPARE(r.at(4).toInt(), QList<int>({ 50, 100, 150 }).at(i)); // doubling up to the cap
        }
        QCOMPARE(gaveUp.constFirst().at(0).toUInt(), ids.back());
        const EventStore& store = *session->store();
        session->flush();
        QVERIFY(hasEvent(store, first, EventKind::Note, "reconnecting in 0.1 s as connection"));
        QVERIFY(hasEvent(store, ids.back(), EventKind::Note, "gave up reconnecting after 3 attempts"));
        QVERIFY(hasEvent(store, ids.back(), EventKind::Error, "refused"));
        for (quint32 id : ids)
            QTRY_COMPARE(session->connectionState(id), ConnectionState::Closed);
    }

    void reconnectsWhenTheServerComesBack()
    {
        auto session = newSession();
        QVERIFY(session);
        const QUrl url = session->serverUrl();
        ClientOptions options;
        options.reconnect = { true, 200, 200, 0 }; // no limit
        QSignalSpy reconnecting(session.get(), &CaptureSession::clientReconnecting);
        const quint32 first = connect(*session, options, url);
        QTRY_COMPARE(session->connectionState(first), ConnectionState::Open);
        session->stopServer();
        QTRY_VERIFY(reconnecting.size() >= 2); // at least one attempt failed while it was down
        QVERIFY(startServer(*session, {}, quint16(url.port())));
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const quint32 latest = reconnecting.constLast().at(1).toUInt();
                return session->connectionState(latest) == ConnectionState::Open;
            }(),
            10000);
        const quint32 latest = reconnecting.constLast().at(1).toUInt();
        session->sendText(latest, QStringLiteral("back"));
        QTRY_COMPARE(eventsOf(*session->store(), latest, EventKind::Text).size(), 2);

        // Closing it is the user's wish: no reconnection after that.
        const qsizetype before = reconnecting.size();
        session->closeConnection(latest);
        QTRY_COMPARE(session->connectionState(latest), ConnectionState::Closed);
        QTest::qWait(400);
        QCOMPARE(reconnecting.size(), before);
    }

    void closingAWaitingReconnectCancelsIt()
    {
        auto session = newSession();
        QVERIFY(session);
        ClientOptions options;
        options.reconnect = { true, 60000, 60000, 0 };
        QSignalSpy reconnecting(session.get(), &CaptureSession::clientReconnecting);
        const quint32 first = connect(*session, options, session->serverUrl());
        QTRY_COMPARE(session->connectionState(first), ConnectionState::Open);
        session->stopServer();
        QTRY_COMPARE(reconnecting.size(), 1);
        const quint32 waiting = reconnecting.constFirst().at(1).toUInt();
        QCOMPARE(session->connectionState(waiting), ConnectionState::Connecting);
        session->closeConnection(waiting);
        QTRY_COMPARE(session->connectionState(waiting), ConnectionState::Closed);
        session->flush();
        QVERIFY(hasEvent(*session->store(), waiting, EventKind::Note, "reconnection cancelled"));
    }

    // A server that accepts and closes at once is not a success: the attempts keep counting and end.
    void aConnectionDroppedAtOnceKeepsBackingOff()
    {
        auto session = newSession();
        QVERIFY(session);
        QObject context;
        QObject::connect(session.get(), &CaptureSession::serverClientOpened, &context,
            [&session](const ServerClient& c) { session->closeConnection(c.id, 4401, QStringLiteral("expired")); });
        ClientOptions options;
        options.reconnect = { true, 20, 40, 3 };
        QSignalSpy reconnecting(session.get(), &CaptureSession::clientReconnecting);
        QSignalSpy gaveUp(session.get(), &CaptureSession::clientGaveUp);
        connect(*session, options, session->serverUrl());
        QTRY_COMPARE_WITH_TIMEOUT(gaveUp.size(), 1, 10000);
        QCOMPARE(reconnecting.size(), 3);
        for (int i = 0; i < 3; ++i)
            QCOMPARE(reconnecting.at(i).at(2).toInt(), i + 1);
    }

    // Closing the connection that just ended, before the window learnt of its reconnection, cancels it too.
    void closingTheEndedConnectionCancelsItsReconnect()
    {
        auto session = newSession();
        QVERIFY(session);
        ClientOptions options;
        options.reconnect = { true, 60000, 60000, 0 };
        QSignalSpy reconnecting(session.get(), &CaptureSession::clientReconnecting);
        const quint32 first = connect(*session, options, session->serverUrl());
        QTRY_COMPARE(session->connectionState(first), ConnectionState::Open);
        session->stopServer();
        QTRY_COMPARE(reconnecting.size(), 1);
        const quint32 waiting = reconnecting.constFirst().at(1).toUInt();
        session->closeConnection(first);
        QTRY_COMPARE(session->connectionState(waiting), ConnectionState::Closed);
    }

    // A peer that completes the handshake and then answers nothing: keep-alive notices and drops it.
    void keepAliveDropsADeadConnection()
    {
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost));
        QObject context;
        QObject::connect(&silent, &QTcpServer::newConnection, &context, [&silent] {
            QTcpSocket* s = silent.nextPendingConnection();
            QObject::connect(s, &QTcpSocket::readyRead, s, [s] {
                const QByteArray request = s->readAll();
                const qsizetype at = request.indexOf("Sec-WebSocket-Key: ");
                if (at < 0)
                    return;
                const QByteArray key = request.mid(at + 19, 24);
                s->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: "
                    + handshake::acceptKey(key) + "\r\n\r\n");
                s->disconnect(); // and never answers anything again
            });
        });
        auto session = std::make_unique<CaptureSession>(CaptureSession::Options {});
        ClientOptions options;
        options.pingIntervalMs = 50;
        const quint32 id
            = connect(*session, options, QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(silent.serverPort())));
        QTRY_COMPARE(session->connectionState(id), ConnectionState::Open);
        QTRY_COMPARE(session->connectionState(id), ConnectionState::Closed);
        session->flush();
        QVERIFY(hasEvent(*session->store(), id, EventKind::Error, "no pong for 100 ms"));
    }

    // What is written to a socket and not yet sent is counted, so a producer can wait for the network.
    void unsentBytesAreCounted()
    {
        QTcpServer deaf;
        QVERIFY(deaf.listen(QHostAddress::LocalHost));
        QTcpSocket* peer = nullptr;
        QObject context;
        QObject::connect(&deaf, &QTcpServer::newConnection, &context, [&] {
            peer = deaf.nextPendingConnection();
            QObject::connect(peer, &QTcpSocket::readyRead, peer, [p = peer] {
                if (p->property("upgraded").toBool())
                    return;
                const QByteArray request = p->peek(4096);
                const qsizetype at = request.indexOf("Sec-WebSocket-Key: ");
                if (at < 0 || !request.contains("\r\n\r\n"))
                    return;
                p->read(request.indexOf("\r\n\r\n") + 4);
                p->setProperty("upgraded", true);
                p->setReadBufferSize(1); // from now on it takes (almost) nothing: the kernel buffers fill up
                p->write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: "
                    + handshake::acceptKey(request.mid(at + 19, 24)) + "\r\n\r\n");
            });
        });
        auto session = std::make_unique<CaptureSession>(CaptureSession::Options {});
        const quint32 id = connect(*session, {}, QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(deaf.serverPort())));
        QTRY_COMPARE(session->connectionState(id), ConnectionState::Open);
        const QByteArray big(4 << 20, 'b');
        for (int i = 0; i < 16; ++i)
            session->sendBinary(id, big);
        // 64 MiB to mask and copy on the capture thread (a debug build, maybe a loaded machine): give it time.
        QTRY_VERIFY_WITH_TIMEOUT(session->unsentBytes() > (qint64(16) << 20), 20000);
        QVERIFY(session->isSendBacklogged());
        session->abortConnection(id);
        QTRY_COMPARE(session->connectionState(id), ConnectionState::Closed);
        QTRY_COMPARE(session->unsentBytes(), qint64(0));
    }

    void delaysDoubleUpToTheCap()
    {
        const ReconnectPolicy p { true, 1000, 30000, 10 };
        QCOMPARE(p.delayForAttempt(1), 1000);
        QCOMPARE(p.delayForAttempt(2), 2000);
        QCOMPARE(p.delayForAttempt(5), 16000);
        QCOMPARE(p.delayForAttempt(6), 30000);
        QCOMPARE(p.delayForAttempt(1000), 30000);
        QCOMPARE((ReconnectPolicy { true, 0, 0, 1 }).delayForAttempt(3), 0);
    }
};

QTEST_GUILESS_MAIN(TestClientEndpoint)
#include "tst_clientendpoint.moc"
