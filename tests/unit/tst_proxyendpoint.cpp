// The recording proxy over loopback: the URL and request rewriting as pure functions, then real relaying
// between our own endpoints (a test server as the upstream, our client through the proxy) and hand-driven
// sockets that do what polite peers never would (request and frame in one write, compressed frames, a drop in
// the middle of a frame, vanishing). The proxy runs in its own CaptureSession (its capture thread), so the
// test's sockets may block while it works.

#include "core/eventstore.h"
#include "net/capturesession.h"
#include "net/proxyendpoint.h"
#include "selfsigned.h"
#include "wire/frame.h"
#include "wire/handshake.h"
#include "wire/httphead.h"
#include "wire/permessagedeflate.h"

#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

using namespace wsi;

namespace {

QList<Event> eventsOf(CaptureSession& session, quint32 connection, std::optional<EventKind> kind = {})
{
    session.flush();
    const EventStore& store = *session.store();
    QList<Event> out;
    for (qsizetype i = 0; i < store.count(); ++i) {
        if (store.connectionId(i) == connection && (!kind || store.kind(i) == *kind))
            out.append(store.event(i));
    }
    return out;
}

QList<Event> messagesOf(CaptureSession& session, quint32 connection, Direction direction)
{
    QList<Event> out;
    for (const Event& e : eventsOf(session, connection)) {
        if (e.direction == direction && (e.kind == EventKind::Text || e.kind == EventKind::Binary))
            out.append(e);
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

// The ids of the connections a session recorded with this role, oldest first.
QList<quint32> connectionsOf(CaptureSession& session, ConnectionRole role)
{
    session.flush();
    QList<quint32> ids;
    for (const Connection& c : session.store()->connections()) {
        if (c.role == role)
            ids.append(c.id);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

std::optional<Connection> connectionById(CaptureSession& session, quint32 id)
{
    session.flush();
    for (const Connection& c : session.store()->connections()) {
        if (c.id == id)
            return c;
    }
    return std::nullopt;
}

// The one `closed` event of a connection (nullopt while there is none).
std::optional<Event> closedOf(CaptureSession& session, quint32 connection)
{
    const QList<Event> closed = eventsOf(session, connection, EventKind::Closed);
    if (closed.isEmpty())
        return std::nullopt;
    return closed.constFirst();
}

bool anyPayloadContains(const QList<Event>& events, const QByteArray& text)
{
    return std::any_of(events.cbegin(), events.cend(), [&](const Event& e) { return e.payload.contains(text); });
}

QByteArray upgradeRequest(const QByteArray& target = "/", const QByteArray& extraHeaders = {})
{
    return "GET " + target
        + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + extraHeaders + "\r\n";
}

// Sends one request on a fresh connection and reads until the other end closes it.
QByteArray httpExchange(const QUrl& server, const QByteArray& request)
{
    QTcpSocket socket;
    socket.connectToHost(server.host(), quint16(server.port()));
    if (!socket.waitForConnected(5000))
        return {};
    socket.write(request);
    QByteArray answer;
    QDeadlineTimer deadline(15000);
    while (socket.state() == QAbstractSocket::ConnectedState && !deadline.hasExpired()) {
        socket.waitForReadyRead(100);
        answer += socket.readAll();
    }
    return answer + socket.readAll();
}

// Writes at once: the test's thread blocks in other sockets' waits, where a buffered write would never go out.
void send(QAbstractSocket& socket, const QByteArray& bytes)
{
    socket.write(bytes);
    while (socket.bytesToWrite() > 0 && socket.waitForBytesWritten(5000)) { }
}

// Lets a socket hand its queued bytes over for as long as its peer takes them: returns what is left once nothing
// moved for a second (or all went). A proxy that is slow to take (a debug build, a loaded machine) is waited for,
// so that what it refuses to take is measured, not how fast it is.
qint64 settledBacklog(QAbstractSocket& socket)
{
    qint64 left = socket.bytesToWrite();
    QDeadlineTimer quiet(1000);
    for (QDeadlineTimer deadline(60000); left > 0 && !quiet.hasExpired() && !deadline.hasExpired();) {
        socket.waitForBytesWritten(100);
        if (const qint64 now = socket.bytesToWrite(); now != left) {
            left = now;
            quiet.setRemainingTime(1000);
        }
    }
    return left;
}

// Reads from a socket until `done` holds for what arrived (or the time is up); returns all of it.
template <typename Done> QByteArray readUntil(QAbstractSocket& socket, QByteArray& buffer, Done done, int ms = 10000)
{
    for (QDeadlineTimer deadline(ms); !done(buffer) && !deadline.hasExpired();) {
        if (!socket.waitForReadyRead(50) && socket.state() != QAbstractSocket::ConnectedState)
            break;
        buffer += socket.readAll();
    }
    buffer += socket.readAll();
    return buffer;
}

QByteArray headOf(const QByteArray& bytes)
{
    const qsizetype end = bytes.indexOf("\r\n\r\n");
    return end < 0 ? QByteArray() : bytes.left(end + 4);
}

// The frames in a byte stream after its HTTP head.
QList<Frame> framesIn(const QByteArray& stream)
{
    FrameParser parser;
    parser.feed(stream);
    QList<Frame> out;
    Frame f;
    while (parser.next(f) == FrameParser::Status::Frame)
        out.append(f);
    return out;
}

quint16 closeCodeOf(const Frame& f)
{
    return f.payload.size() >= 2 ? qFromBigEndian<quint16>(f.payload.constData()) : 0;
}

// A listener whose connections are QSslSockets when asked for: their TLS handshake is the test's to start.
class SocketServer : public QTcpServer
{
public:
    bool tls = false;

protected:
    void incomingConnection(qintptr descriptor) override
    {
        QTcpSocket* socket = tls ? new QSslSocket(this) : new QTcpSocket(this);
        socket->setSocketDescriptor(descriptor);
        addPendingConnection(socket);
    }
};

// An upstream driven by hand: a listener on the test's thread whose accepted sockets the test reads and writes.
class ScriptedUpstream
{
public:
    // With a certificate, a wss:// upstream.
    bool listen(const test::SelfSigned* tls = nullptr)
    {
        if (tls) {
            m_server.tls = true;
            m_certificate = *tls;
        }
        return m_server.listen(QHostAddress::LocalHost);
    }
    QUrl url(const QString& path = QStringLiteral("/")) const
    {
        return QUrl(QStringLiteral("%1://127.0.0.1:%2%3")
                        .arg(m_server.tls ? QStringLiteral("wss") : QStringLiteral("ws"))
                        .arg(m_server.serverPort())
                        .arg(path));
    }
    // The next accepted connection with its complete upgrade request read (into *request, head only).
    QTcpSocket* accept(QByteArray* request, QByteArray* afterHead = nullptr)
    {
        if (!m_server.hasPendingConnections() && !m_server.waitForNewConnection(10000))
            return nullptr;
        QTcpSocket* socket = m_server.nextPendingConnection();
        if (auto* tls = qobject_cast<QSslSocket*>(socket)) {
            tls->setLocalCertificate(m_certificate.certificate);
            tls->setPrivateKey(m_certificate.key, QSsl::Ec);
            tls->startServerEncryption();
            if (!tls->waitForEncrypted(10000))
                return nullptr;
        }
        QByteArray buffer;
        readUntil(*socket, buffer, [](const QByteArray& b) { return b.contains("\r\n\r\n"); });
        *request = headOf(buffer);
        if (afterHead)
            *afterHead = buffer.mid(request->size());
        return request->isEmpty() ? nullptr : socket;
    }
    static QByteArray switchingProtocols(const QByteArray& request, const QByteArray& extraHeaders = {})
    {
        HttpHead head;
        HttpHead::parse(request, head);
        return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: "
            + handshake::acceptKey(head.header("Sec-WebSocket-Key").trimmed()) + "\r\n" + extraHeaders + "\r\n";
    }

private:
    SocketServer m_server;
    test::SelfSigned m_certificate;
};

// A raw client of the proxy: a blocking socket on the test's thread.
struct RawClient
{
    QTcpSocket socket;
    QByteArray received;

    bool connectTo(const QUrl& url)
    {
        socket.connectToHost(url.host(), quint16(url.port()));
        return socket.waitForConnected(5000);
    }
    // Sends bytes and waits for a complete HTTP head in return; true for a 101.
    bool upgrade(const QByteArray& bytes)
    {
        send(socket, bytes);
        readUntil(socket, received, [](const QByteArray& b) { return b.contains("\r\n\r\n"); });
        return received.startsWith("HTTP/1.1 101");
    }
    QByteArray afterHead() const { return received.mid(headOf(received).size()); }
    // Reads until n frames arrived after the head; returns the frames.
    QList<Frame> waitForFrames(qsizetype n, int ms = 10000)
    {
        readUntil(
            socket, received, [&](const QByteArray& b) { return framesIn(b.mid(headOf(b).size())).size() >= n; }, ms);
        return framesIn(afterHead());
    }
    bool waitForDisconnect(int ms = 10000)
    {
        QDeadlineTimer deadline(ms);
        while (socket.state() != QAbstractSocket::UnconnectedState && !deadline.hasExpired()) {
            socket.waitForReadyRead(50);
            received += socket.readAll();
        }
        return socket.state() == QAbstractSocket::UnconnectedState;
    }
};

QByteArray masked(Opcode op, const QByteArray& payload, quint8 rsv = 0, bool fin = true)
{
    return encodeFrame(op, payload, fin, QRandomGenerator::global()->generate(), rsv);
}

} // namespace

class TestProxyEndpoint : public QObject
{
    Q_OBJECT

private:
    static std::unique_ptr<CaptureSession> newSession()
    {
        return std::make_unique<CaptureSession>(CaptureSession::Options {});
    }

    // A capture with the proxy running on a free port, or null (with the reason in *failure).
    static std::unique_ptr<CaptureSession> newProxy(ProxyOptions options, QString* failure = nullptr)
    {
        auto session = newSession();
        QSignalSpy started(session.get(), &CaptureSession::proxyStarted);
        QSignalSpy failed(session.get(), &CaptureSession::proxyStartFailed);
        options.host = QStringLiteral("127.0.0.1");
        options.port = 0;
        if (options.handshakeTimeoutMs == ProxyOptions {}.handshakeTimeoutMs)
            options.handshakeTimeoutMs = 5000;
        session->startProxy(options);
        for (QDeadlineTimer deadline(10000); started.isEmpty() && failed.isEmpty() && !deadline.hasExpired();)
            QTest::qWait(10);
        if (started.isEmpty()) {
            if (failure)
                *failure = failed.constFirst().constFirst().toString();
            return nullptr;
        }
        return session;
    }

    // A capture with an echo test server (the upstream), or null.
    static std::unique_ptr<CaptureSession> newUpstream(ServerOptions options = {})
    {
        auto session = newSession();
        QSignalSpy started(session.get(), &CaptureSession::serverStarted);
        options.port = 0;
        session->startServer(options);
        if (!started.wait(10000))
            return nullptr;
        return session;
    }

    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        qRegisterMetaType<ServerClient>();
        QVERIFY(m_dir.isValid());
    }

    void upstreamUrlFor_data()
    {
        QTest::addColumn<QString>("upstream");
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<QString>("expected");
        QTest::newRow("path appended") << "wss://api.example/base" << QByteArray("/chat?x=1")
                                       << "wss://api.example/base/chat?x=1";
        QTest::newRow("one slash between") << "ws://up:8080/base/" << QByteArray("/chat") << "ws://up:8080/base/chat";
        QTest::newRow("doubled slashes of the client")
            << "ws://up/base" << QByteArray("//chat/") << "ws://up/base/chat/";
        QTest::newRow("root of the proxy is the upstream's path")
            << "ws://up/base" << QByteArray("/") << "ws://up/base";
        QTest::newRow("upstream without path") << "ws://up" << QByteArray("/") << "ws://up/";
        QTest::newRow("upstream without path, client path") << "ws://up" << QByteArray("/a/b") << "ws://up/a/b";
        QTest::newRow("queries joined") << "ws://up/base?token=1" << QByteArray("/room?x=2&y=3")
                                        << "ws://up/base/room?token=1&x=2&y=3";
        QTest::newRow("upstream query kept") << "ws://up/base?token=1" << QByteArray("/") << "ws://up/base?token=1";
        QTest::newRow("encoded bytes kept") << "ws://up/" << QByteArray("/a%20b?q=%2F%26") << "ws://up/a%20b?q=%2F%26";
        QTest::newRow("absolute form") << "ws://up/base" << QByteArray("ws://127.0.0.1:9000/x?y=1")
                                       << "ws://up/base/x?y=1";
        QTest::newRow("port and ipv6 kept") << "ws://[::1]:9001/" << QByteArray("/z") << "ws://[::1]:9001/z";
    }

    void upstreamUrlFor()
    {
        QFETCH(QString, upstream);
        QFETCH(QByteArray, target);
        QFETCH(QString, expected);
        QCOMPARE(ProxyEndpoint::upstreamUrlFor(QUrl(upstream), target).toString(QUrl::FullyEncoded), expected);
    }

    void upstreamRequest_data()
    {
        QTest::addColumn<QString>("upstreamUrl");
        QTest::addColumn<QString>("origin");
        QTest::addColumn<QByteArray>("expected");
        const QByteArray rest
            = "Upgrade: websocket\r\nConnection: Upgrade\r\nCookie: a=1\r\nAuthorization: Bearer t\r\n";
        QTest::newRow("host rewritten in place, default port left out")
            << "wss://api.example/base" << QString()
            << QByteArray("GET /base/chat?x=1 HTTP/1.1\r\nhost: api.example\r\n" + rest
                   + "Origin: http://localhost:5173\r\n\r\n");
        QTest::newRow("explicit port named") << "ws://127.0.0.1:8765/" << QString()
                                             << QByteArray("GET /chat?x=1 HTTP/1.1\r\nhost: 127.0.0.1:8765\r\n" + rest
                                                    + "Origin: http://localhost:5173\r\n\r\n");
        QTest::newRow("ipv6 in brackets") << "ws://[::1]:81/x" << QString()
                                          << QByteArray("GET /x/chat?x=1 HTTP/1.1\r\nhost: [::1]:81\r\n" + rest
                                                 + "Origin: http://localhost:5173\r\n\r\n");
        QTest::newRow("origin rewritten") << "wss://api.example:443/" << QStringLiteral("https://app.example")
                                          << QByteArray("GET /chat?x=1 HTTP/1.1\r\nhost: api.example\r\n" + rest
                                                 + "Origin: https://app.example\r\n\r\n");
    }

    void upstreamRequest()
    {
        QFETCH(QString, upstreamUrl);
        QFETCH(QString, origin);
        QFETCH(QByteArray, expected);
        HttpHead client;
        const QByteArray sent = "GET /chat?x=1 HTTP/1.1\r\nhost: 127.0.0.1:9000\r\nUpgrade: websocket\r\n"
                                "Connection: Upgrade\r\nCookie: a=1\r\nAuthorization: Bearer t\r\n"
                                "Origin: http://localhost:5173\r\n\r\n";
        QCOMPARE(HttpHead::parse(sent, client).status, HttpHead::ParseStatus::Complete);
        ProxyOptions options;
        options.origin = origin;
        QCOMPARE(ProxyEndpoint::upstreamRequest(client, QUrl(upstreamUrl), options).toBytes(), expected);
    }

    // The client's target goes upstream byte for byte: QUrl would decode %7E and %41 and replace invalid
    // UTF-8, which breaks a signed URL.
    void upstreamTargetFor_data()
    {
        QTest::addColumn<QString>("upstream");
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("escapes kept as they came")
            << "ws://up/base" << QByteArray("/a%7Eb%41?x=%7e&s=%2F%2b") << QByteArray("/base/a%7Eb%41?x=%7e&s=%2F%2b");
        QTest::newRow("invalid UTF-8 kept, raw and escaped")
            << "ws://up/base" << QByteArray("/caf\xc3?n=\xff%FF") << QByteArray("/base/caf\xc3?n=\xff%FF");
        QTest::newRow("queries joined, the upstream's first")
            << "ws://up/base?token=1" << QByteArray("/r?sig=AbC%2b") << QByteArray("/base/r?token=1&sig=AbC%2b");
        QTest::newRow("absolute form, its bytes kept")
            << "ws://up/base" << QByteArray("ws://127.0.0.1:9000/a%7E?b=%41") << QByteArray("/base/a%7E?b=%41");
        QTest::newRow("absolute form without a path")
            << "ws://up/base" << QByteArray("ws://127.0.0.1:9000?x=1") << QByteArray("/base?x=1");
        QTest::newRow("fragment left out") << "ws://up/base" << QByteArray("/a#frag") << QByteArray("/base/a");
        QTest::newRow("root") << "ws://up/base" << QByteArray("/") << QByteArray("/base");
        QTest::newRow("root of a root") << "ws://up" << QByteArray("/") << QByteArray("/");
    }

    void upstreamTargetFor()
    {
        QFETCH(QString, upstream);
        QFETCH(QByteArray, target);
        QFETCH(QByteArray, expected);
        QCOMPARE(ProxyEndpoint::upstreamTargetFor(QUrl(upstream), target), expected);
        HttpHead client;
        client.method = "GET";
        client.target = target;
        client.version = "HTTP/1.1";
        QCOMPARE(ProxyEndpoint::upstreamRequest(client, QUrl(upstream), {}).target, expected);
    }

    void originAddedWhenTheClientSentNone()
    {
        HttpHead client;
        HttpHead::parse("GET / HTTP/1.1\r\nHost: x\r\n\r\n", client);
        ProxyOptions options;
        options.origin = QStringLiteral("https://app.example");
        const HttpHead out = ProxyEndpoint::upstreamRequest(client, QUrl(QStringLiteral("ws://up/")), options);
        QCOMPARE(out.header("Origin"), QByteArray("https://app.example"));
        QCOMPARE(out.header("Host"), QByteArray("up"));
    }

    void badUpstreamIsRefusedAtStart()
    {
        ProxyOptions options;
        options.upstream = QUrl(QStringLiteral("http://example.com/"));
        QString failure;
        QVERIFY(!newProxy(options, &failure));
        QVERIFY2(failure.contains(QStringLiteral("ws://")), qPrintable(failure));
    }

    // Our client → proxy → our echo server: messages byte-exact both ways, the handshake as each side saw it.
    void relaysMessagesBothWays_data()
    {
        QTest::addColumn<QString>("origin");
        QTest::newRow("origin kept") << QString();
        QTest::newRow("origin rewritten") << QStringLiteral("https://rewritten.example");
    }

    void relaysMessagesBothWays()
    {
        QFETCH(QString, origin);
        ServerOptions serverOptions;
        serverOptions.subprotocols = { QStringLiteral("chat.v2") };
        auto upstream = newUpstream(serverOptions);
        QVERIFY(upstream);
        ProxyOptions options;
        options.upstream = upstream->serverUrl().resolved(QUrl(QStringLiteral("/base")));
        options.origin = origin;
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        QSignalSpy opened(proxy.get(), &CaptureSession::proxyClientOpened);

        auto peers = newSession();
        ClientOptions client;
        client.url = proxy->proxyUrl().resolved(QUrl(QStringLiteral("/room?x=1")));
        client.subprotocols = { QStringLiteral("chat.v1"), QStringLiteral("chat.v2") };
        client.origin = QStringLiteral("http://localhost:5173");
        client.headers = { { "Cookie", "session=abc" } };
        const quint32 id = peers->connectClient(client);
        QTRY_COMPARE_WITH_TIMEOUT(peers->connectionState(id), ConnectionState::Open, 10000);

        QByteArray binary;
        for (int i = 0; i < 256; ++i)
            binary.append(char(i));
        const QByteArray big(300 * 1024, 'z');
        peers->sendText(id, QStringLiteral("hello \u00e9\u2603"));
        peers->sendBinary(id, binary);
        peers->sendText(id, QString::fromLatin1(big));
        const QByteArrayList sent { QByteArray("hello \xc3\xa9\xe2\x98\x83"), binary, big };
        QTRY_COMPARE_WITH_TIMEOUT(payloads(messagesOf(*peers, id, Direction::S2C)), sent, 10000);

        // The proxy recorded the same messages, each way, and its connection.
        QCOMPARE(connectionsOf(*proxy, ConnectionRole::Proxy).size(), 1);
        const quint32 pid = connectionsOf(*proxy, ConnectionRole::Proxy).constFirst();
        QTRY_COMPARE(payloads(messagesOf(*proxy, pid, Direction::C2S)), sent);
        QTRY_COMPARE(payloads(messagesOf(*proxy, pid, Direction::S2C)), sent);
        const QList<Event> c2s = messagesOf(*proxy, pid, Direction::C2S);
        QVERIFY(c2s.constFirst().flags & FlagMasked);
        QCOMPARE(c2s.constFirst().kind, EventKind::Text);
        QCOMPARE(c2s.at(1).kind, EventKind::Binary);
        QVERIFY(!(messagesOf(*proxy, pid, Direction::S2C).constFirst().flags & FlagMasked));
        const std::optional<Connection> recorded = connectionById(*proxy, pid);
        QVERIFY(recorded);
        QCOMPARE(recorded->url, options.upstream.toString() + QStringLiteral("/room?x=1"));
        QCOMPARE(recorded->subprotocol, QStringLiteral("chat.v2"));
        QVERIFY(recorded->peer.startsWith(QStringLiteral("127.0.0.1:")));

        // Handshake: the client's request as it was, the note saying how it went upstream; the upstream saw the
        // rewritten Host and path, the Cookie, and the Origin kept or rewritten.
        const QList<Event> requests = eventsOf(*proxy, pid, EventKind::HandshakeRequest);
        QCOMPARE(requests.size(), 1);
        const QByteArray proxyHost = "127.0.0.1:" + QByteArray::number(proxy->proxyUrl().port());
        const QByteArray upstreamHost = "127.0.0.1:" + QByteArray::number(upstream->serverUrl().port());
        QVERIFY2(requests.constFirst().payload.startsWith("GET /room?x=1 HTTP/1.1\r\n"),
            requests.constFirst().payload.constData());
        QVERIFY(requests.constFirst().payload.contains(QByteArray("\r\nHost: " + proxyHost + "\r\n")));
        QVERIFY2(requests.constFirst().note.contains(QByteArray("Host: " + upstreamHost)),
            requests.constFirst().note.constData());
        QVERIFY(requests.constFirst().note.contains("/base/room?x=1"));
        const quint32 uid = connectionsOf(*upstream, ConnectionRole::Server).constFirst();
        const QList<Event> upstreamSaw = eventsOf(*upstream, uid, EventKind::HandshakeRequest);
        QCOMPARE(upstreamSaw.size(), 1);
        const QByteArray& head = upstreamSaw.constFirst().payload;
        QVERIFY2(head.startsWith("GET /base/room?x=1 HTTP/1.1\r\n"), head.constData());
        QVERIFY(head.contains(QByteArray("\r\nHost: " + upstreamHost + "\r\n")));
        QVERIFY(head.contains("\r\nCookie: session=abc\r\n"));
        const QByteArray expectedOrigin = origin.isEmpty() ? QByteArray("http://localhost:5173") : origin.toUtf8();
        QVERIFY2(head.contains(QByteArray("\r\nOrigin: " + expectedOrigin + "\r\n")), head.constData());
        const QList<Event> responses = eventsOf(*proxy, pid, EventKind::HandshakeResponse);
        QCOMPARE(responses.size(), 1);
        QVERIFY(responses.constFirst().payload.startsWith("HTTP/1.1 101 Switching Protocols\r\n"));
        QVERIFY(responses.constFirst().payload.contains("Sec-WebSocket-Protocol: chat.v2"));

        // The subprotocol was negotiated end to end, and the pane is told who came.
        QTRY_COMPARE(opened.size(), 1);
        const ServerClient who = opened.constFirst().constFirst().value<ServerClient>();
        QCOMPARE(who.id, pid);
        QCOMPARE(who.path, QStringLiteral("/room?x=1"));
        QCOMPARE(who.subprotocol, QStringLiteral("chat.v2"));
        QCOMPARE(who.origin, QStringLiteral("http://localhost:5173"));
        QCOMPARE(proxy->proxyClients().size(), 1);
        const std::optional<Connection> ours = connectionById(*peers, id);
        QVERIFY(ours);
        QCOMPARE(ours->subprotocol, QStringLiteral("chat.v2"));

        // A normal close passes through, and the proxy records it with the initiator's code.
        peers->closeConnection(id, 1000, QStringLiteral("bye"));
        QTRY_COMPARE_WITH_TIMEOUT(closedOf(*proxy, pid).has_value(), true, 10000);
        QCOMPARE(closedOf(*proxy, pid)->closeCode, quint16(1000));
        QTRY_COMPARE(proxy->proxyClients().size(), 0);
        QTRY_COMPARE(peers->connectionState(id), ConnectionState::Closed);
        QCOMPARE(eventsOf(*proxy, pid, EventKind::Close).size(), 2); // the client's and the echo of the upstream
        QCOMPARE(eventsOf(*proxy, pid, EventKind::Error).size(), 0);
    }

    // A client that sends its first frame in the same write as its request: the frame is relayed, not lost.
    void requestAndFirstFrameInOneWrite()
    {
        auto upstream = newUpstream();
        QVERIFY(upstream);
        ProxyOptions options;
        options.upstream = upstream->serverUrl();
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        RawClient raw;
        QVERIFY(raw.connectTo(proxy->proxyUrl()));
        QVERIFY(raw.upgrade(upgradeRequest("/") + masked(Opcode::Text, "early bird")));
        const QList<Frame> frames = raw.waitForFrames(1);
        QCOMPARE(frames.size(), 1);
        QCOMPARE(frames.constFirst().payload, QByteArray("early bird"));
        const quint32 pid = connectionsOf(*proxy, ConnectionRole::Proxy).constFirst();
        QTRY_COMPARE(payloads(messagesOf(*proxy, pid, Direction::C2S)), QByteArrayList { "early bird" });
        QTRY_COMPARE(payloads(messagesOf(*proxy, pid, Direction::S2C)), QByteArrayList { "early bird" });
    }

    // permessage-deflate: the compressed bytes are relayed unchanged, and recorded inflated.
    void compressedFramesAreRecordedInflated()
    {
        ScriptedUpstream upstream;
        QVERIFY(upstream.listen());
        ProxyOptions options;
        options.upstream = upstream.url();
        auto proxy = newProxy(options);
        QVERIFY(proxy);

        RawClient raw;
        QVERIFY(raw.connectTo(proxy->proxyUrl()));
        send(raw.socket,
            upgradeRequest("/z", "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"));
        QByteArray request;
        QTcpSocket* server = upstream.accept(&request);
        QVERIFY(server);
        QVERIFY(request.contains("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"));

        // The upstream's first compressed messages follow its 101 in the same write.
        MessageDeflater serverDeflater(15, false);
        const QByteArray s1 = QByteArray("{\"greeting\":\"hello hello hello hello\"}");
        const QByteArray s2 = QByteArray("{\"greeting\":\"hello hello hello again\"}");
        // One statement per message: with context takeover their order matters, and the operands of one
        // expression may be evaluated in any order.
        const QByteArray z1 = serverDeflater.deflate(s1);
        const QByteArray z2 = serverDeflater.deflate(s2);
        const QByteArray fromServer
            = ScriptedUpstream::switchingProtocols(request, "Sec-WebSocket-Extensions: permessage-deflate\r\n")
            + encodeFrame(Opcode::Text, z1, true, {}, 4) + encodeFrame(Opcode::Text, z2, true, {}, 4);
        send(*server, fromServer);
        readUntil(raw.socket, raw.received, [&](const QByteArray& b) { return b.size() >= fromServer.size(); });
        QCOMPARE(raw.received, fromServer); // byte for byte

        MessageDeflater clientDeflater(15, false);
        const QByteArray c1(5000, 'a');
        QByteArray c2;
        for (int i = 0; i < 200; ++i)
            c2 += "line " + QByteArray::number(i) + '\n';
        const QByteArray y1 = clientDeflater.deflate(c1);
        const QByteArray y2 = clientDeflater.deflate(c2);
        const QByteArray fromClient = masked(Opcode::Text, y1, 4) + masked(Opcode::Binary, y2, 4);
        send(raw.socket, fromClient);
        QByteArray atServer;
        readUntil(*server, atServer, [&](const QByteArray& b) { return b.size() >= fromClient.size(); });
        QCOMPARE(atServer, fromClient);

        const quint32 pid = connectionsOf(*proxy, ConnectionRole::Proxy).constFirst();
        QTRY_COMPARE(payloads(messagesOf(*proxy, pid, Direction::S2C)), (QByteArrayList { s1, s2 }));
        QTRY_COMPARE(payloads(messagesOf(*proxy, pid, Direction::C2S)), (QByteArrayList { c1, c2 }));
        for (const Event& e : messagesOf(*proxy, pid, Direction::C2S) + messagesOf(*proxy, pid, Direction::S2C)) {
            QVERIFY(e.flags & FlagCompressed);
            QVERIFY(e.size < e.payload.size()); // the size on the wire, compressed
        }
        QCOMPARE(eventsOf(*proxy, pid, EventKind::Error).size(), 0);
        delete server;
    }

    void plainHttpGets426()
    {
        ScriptedUpstream upstream;
        QVERIFY(upstream.listen());
        ProxyOptions options;
        options.upstream = upstream.url(QStringLiteral("/api"));
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        const QByteArray answer = httpExchange(proxy->proxyUrl(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        QVERIFY2(answer.startsWith("HTTP/1.1 426 Upgrade Required\r\n"), answer.left(200).constData());
        QVERIFY(answer.contains("\r\nUpgrade: websocket\r\n"));
        QVERIFY2(answer.contains(upstream.url(QStringLiteral("/api")).toString().toUtf8()), answer.constData());
        QVERIFY(answer.contains(proxy->proxyUrl().toString().toUtf8()));
        // Not a WebSocket connection: nothing recorded. A malformed request after it is recorded, and the capture
        // thread handles one after the other: once its records are in, the 426 would have left its own.
        const QByteArray bad = httpExchange(proxy->proxyUrl(), "NONSENSE\r\n\r\n");
        QVERIFY2(bad.startsWith("HTTP/1.1 400 "), bad.left(200).constData());
        // The 400's connection, once its end is recorded.
        auto badOne = [&]() -> std::optional<quint32> {
            for (quint32 id : connectionsOf(*proxy, ConnectionRole::Proxy)) {
                const QList<Event> requests = eventsOf(*proxy, id, EventKind::HandshakeRequest);
                if (!requests.isEmpty() && requests.constFirst().payload.startsWith("NONSENSE")
                    && closedOf(*proxy, id).has_value())
                    return id;
            }
            return std::nullopt;
        };
        QTRY_VERIFY(badOne().has_value());
        QCOMPARE(connectionsOf(*proxy, ConnectionRole::Proxy), QList<quint32> { *badOne() });
        const EventStore& store = *proxy->store();
        for (qsizetype i = 0; i < store.count(); ++i)
            QCOMPARE(store.connectionId(i), *badOne());
    }

    // Anyone who reaches the proxy may read its 426 page: a token in the upstream's query stays out of it.
    void plainHttpPageHoldsNoSecret()
    {
        ScriptedUpstream upstream;
        QVERIFY(upstream.listen());
        ProxyOptions options;
        options.upstream = upstream.url(QStringLiteral("/api"));
        options.upstream.setQuery(QStringLiteral("access_token=s3cr3t-value&room=1"));
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        const QByteArray answer = httpExchange(proxy->proxyUrl(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        QVERIFY2(answer.startsWith("HTTP/1.1 426 Upgrade Required\r\n"), answer.left(200).constData());
        QVERIFY2(!answer.contains("s3cr3t-value"), answer.constData());
        QVERIFY2(answer.contains("room=1"), answer.constData());
    }

    void upstreamDownGives502()
    {
        quint16 closedPort;
        {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost));
            closedPort = probe.serverPort();
        }
        ProxyOptions options;
        options.upstream = QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(closedPort));
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        const QByteArray answer = httpExchange(proxy->proxyUrl(), upgradeRequest("/x"));
        QVERIFY2(answer.startsWith("HTTP/1.1 502 Bad Gateway\r\n"), answer.left(200).constData());
        QVERIFY2(answer.contains(
                     QByteArray("connection refused by the upstream 127.0.0.1:" + QByteArray::number(closedPort))),
            answer.constData());
        const quint32 pid = connectionsOf(*proxy, ConnectionRole::Proxy).constFirst();
        QTRY_VERIFY(closedOf(*proxy, pid).has_value());
        const QList<Event> errors = eventsOf(*proxy, pid, EventKind::Error);
        QCOMPARE(errors.size(), 1);
        QVERIFY(errors.constFirst().payload.startsWith("connection refused by the upstream"));
        QVERIFY(eventsOf(*proxy, pid, EventKind::HandshakeResponse).constFirst().payload.startsWith("HTTP/1.1 502"));

        // Our own client sees the refusal in words as well.
        auto peers = newSession();
        ClientOptions client;
        client.url = proxy->proxyUrl();
        const quint32 id = peers->connectClient(client);
        QTRY_COMPARE_WITH_TIMEOUT(peers->connectionState(id), ConnectionState::Closed, 10000);
        QVERIFY(anyPayloadContains(eventsOf(*peers, id, EventKind::Error), "502"));
    }

    void wssUpstreamIsVerified()
    {
        if (!QSslSocket::supportsSsl())
            QFAIL("Qt has no TLS backend here (Debian package libssl3)");
        const test::SelfSigned made = test::makeSelfSigned(m_dir.path());
        QVERIFY2(made.error.isEmpty(), qPrintable(made.error));
        ServerOptions serverOptions;
        serverOptions.tlsCertificatePath = made.certificate;
        serverOptions.tlsKeyPath = made.key;
        auto upstream = newUpstream(serverOptions);
        QVERIFY(upstream);
        QCOMPARE(upstream->serverUrl().scheme(), QStringLiteral("wss"));

        ProxyOptions options;
        options.upstream = upstream->serverUrl();
        {
            auto proxy = newProxy(options);
            QVERIFY(proxy);
            const QByteArray answer = httpExchange(proxy->proxyUrl(), upgradeRequest());
            QVERIFY2(answer.startsWith("HTTP/1.1 502 Bad Gateway\r\n"), answer.left(300).constData());
            QVERIFY2(answer.contains("certificate"), answer.constData());
            QVERIFY(answer.contains("--insecure"));
            const quint32 pid = connectionsOf(*proxy, ConnectionRole::Proxy).constFirst();
            QTRY_VERIFY(closedOf(*proxy, pid).has_value());
            QVERIFY(anyPayloadContains(eventsOf(*proxy, pid, EventKind::Error), "TLS certificate problem"));
        }
        options.ignoreCertificateErrors = true;
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        RawClient raw;
        QVERIFY(raw.connectTo(proxy->proxyUrl()));
        QVERIFY(raw.upgrade(upgradeRequest()));
        send(raw.socket, masked(Opcode::Text, "over tls"));
        const QList<Frame> frames = raw.waitForFrames(1);
        QCOMPARE(frames.size(), 1);
        QCOMPARE(frames.constFirst().payload, QByteArray("over tls"));
        const quint32 pid = connectionsOf(*proxy, ConnectionRole::Proxy).constFirst();
        QVERIFY(anyPayloadContains(eventsOf(*proxy, pid, EventKind::Note), "certificate problems ignored"));
    }

    // A refusal from the upstream reaches the client as it was, body included, and is recorded as an error.
    void upstreamRefusalIsRelayed()
    {
        ScriptedUpstream upstream;
        QVERIFY(upstream.listen());
        ProxyOptions options;
        options.upstream = upstream.url();
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        RawClient raw;
        QVERIFY(raw.connectTo(proxy->proxyUrl()));
        send(raw.socket, upgradeRequest("/private"));
        QByteArray request;
        std::unique_ptr<QTcpSocket> server(upstream.accept(&request));
        QVERIFY(server);
        const QByteArray refusal = "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 17\r\n\r\n"
                                   "no entry for you\n";
        send(*server, refusal);
        QVERIFY(raw.waitForDisconnect());
        QCOMPARE(raw.received, refusal);
        const quint32 pid = connectionsOf(*proxy, ConnectionRole::Proxy).constFirst();
        QTRY_VERIFY(closedOf(*proxy, pid).has_value());
        const QList<Event> errors = eventsOf(*proxy, pid, EventKind::Error);
        QCOMPARE(errors.size(), 1);
        QCOMPARE(errors.constFirst().payload, QByteArray("upstream refused the upgrade: 403 Forbidden"));
        QVERIFY(eventsOf(*proxy, pid, EventKind::HandshakeResponse).constFirst().payload.startsWith("HTTP/1.1 403"));
        QCOMPARE(eventsOf(*proxy, pid, EventKind::Open).size(), 0);
    }

    // An upstream that accepts TCP and says nothing: 504 after the handshake time.
    void silentUpstreamGives504()
    {
        ScriptedUpstream upstream;
        QVERIFY(upstream.listen());
        ProxyOptions options;
        options.upstream = upstream.url();
        // Long enough that a starved machine still reads the complete request in time (else a 408 came).
        options.handshakeTimeoutMs = 1500;
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        const QByteArray answer = httpExchange(proxy->proxyUrl(), upgradeRequest());
        QVERIFY2(answer.startsWith("HTTP/1.1 504 Gateway Timeout\r\n"), answer.left(200).constData());
        QVERIFY2(answer.contains("did not answer the upgrade request within 1500 ms"), answer.constData());
    }

    // A client that never completes its request: 408, recorded with what it sent.
    void slowClientGets408()
    {
        ScriptedUpstream upstream;
        QVERIFY(upstream.listen());
        ProxyOptions options;
        options.upstream = upstream.url();
        options.handshakeTimeoutMs = 1500;
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        const QByteArray answer = httpExchange(proxy->proxyUrl(), "GET / HTTP/1.1\r\nHost: x\r\n");
        QVERIFY2(answer.startsWith("HTTP/1.1 408 Request Timeout\r\n"), answer.left(200).constData());
        const QList<quint32> ids = connectionsOf(*proxy, ConnectionRole::Proxy);
        QCOMPARE(ids.size(), 1);
        QCOMPARE(eventsOf(*proxy, ids.constFirst(), EventKind::HandshakeRequest).constFirst().payload,
            QByteArray("GET / HTTP/1.1\r\nHost: x\r\n"));
    }

    // An extension answer the decoders cannot follow: recorded as an error, the bytes still relayed.
    void malformedExtensionAnswerIsRelayedUndecoded()
    {
        ScriptedUpstream upstream;
        QVERIFY(upstream.listen());
        ProxyOptions options;
        options.upstream = upstream.url();
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        RawClient raw;
        QVERIFY(raw.connectTo(proxy->proxyUrl()));
        send(raw.socket, upgradeRequest("/", "Sec-WebSocket-Extensions: permessage-deflate\r\n"));
        QByteArray request;
        std::unique_ptr<QTcpSocket> server(upstream.accept(&request));
        QVERIFY(server);
        const QByteArray frame = encodeFrame(Opcode::Text, "opaque", true, {}, 4);
        send(*server,
            ScriptedUpstream::switchingProtocols(
                request, "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=99\r\n")
                + frame);
        QCOMPARE(raw.waitForFrames(1).size(), 1);
        QCOMPARE(raw.afterHead(), frame);
        const quint32 pid = connectionsOf(*proxy, ConnectionRole::Proxy).constFirst();
        QTRY_COMPARE(eventsOf(*proxy, pid, EventKind::Error).size(), 1);
        QVERIFY(eventsOf(*proxy, pid, EventKind::Error).constFirst().payload.contains("Sec-WebSocket-Extensions"));
        QCOMPARE(eventsOf(*proxy, pid, EventKind::Open).size(), 1);
    }

    // Stopping while the upstream has not answered yet: the client gets a 503 that says so.
    void stopDuringTheUpstreamHandshake()
    {
        ScriptedUpstream upstream;
        QVERIFY(upstream.listen());
        ProxyOptions options;
        options.upstream = upstream.url();
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        RawClient raw;
        QVERIFY(raw.connectTo(proxy->proxyUrl()));
        send(raw.socket, upgradeRequest());
        QByteArray request;
        std::unique_ptr<QTcpSocket> server(upstream.accept(&request));
        QVERIFY(server);
        proxy->stopProxy();
        QVERIFY(raw.waitForDisconnect());
        QVERIFY2(raw.received.startsWith("HTTP/1.1 503 Service Unavailable\r\n"), raw.received.constData());
        QVERIFY(raw.received.contains("stopped"));
        const quint32 pid = connectionsOf(*proxy, ConnectionRole::Proxy).constFirst();
        QTRY_VERIFY(closedOf(*proxy, pid).has_value());
    }

    // The upstream's TCP connection ends in the middle of a frame: 1006, the client dropped, the proxy goes on.
    void upstreamDropMidMessage()
    {
        ScriptedUpstream upstream;
        QVERIFY(upstream.listen());
        ProxyOptions options;
        options.upstream = upstream.url();
        auto proxy = newProxy(options);
        QVERIFY(proxy);

        RawClient raw;
        QVERIFY(raw.connectTo(proxy->proxyUrl()));
        send(raw.socket, upgradeRequest());
        QByteArray request;
        QTcpSocket* server = upstream.accept(&request);
        QVERIFY(server);
        const QByteArray frame = encodeFrame(Opcode::Text, QByteArray(1000, 'x'));
        send(*server, ScriptedUpstream::switchingProtocols(request) + frame.left(300));
        server->waitForBytesWritten(5000);
        readUntil(raw.socket, raw.received, [](const QByteArray& b) { return b.size() >= 300; });
        QVERIFY(raw.received.startsWith("HTTP/1.1 101"));
        server->abort();
        delete server;
        QVERIFY(raw.waitForDisconnect());
        QCOMPARE(raw.afterHead(), frame.left(300)); // what came was passed on

        const quint32 pid = connectionsOf(*proxy, ConnectionRole::Proxy).constFirst();
        QTRY_VERIFY(closedOf(*proxy, pid).has_value());
        QCOMPARE(closedOf(*proxy, pid)->closeCode, quint16(1006));
        QVERIFY2(closedOf(*proxy, pid)->payload.contains("upstream"), closedOf(*proxy, pid)->payload.constData());
        QVERIFY(closedOf(*proxy, pid)->payload.contains("middle of a frame"));
        QTRY_COMPARE(proxy->proxyClients().size(), 0);

        // A new connection is served as before.
        RawClient next;
        QVERIFY(next.connectTo(proxy->proxyUrl()));
        send(next.socket, upgradeRequest("/again"));
        QTcpSocket* second = upstream.accept(&request);
        QVERIFY(second);
        QVERIFY(request.startsWith("GET /again "));
        send(*second, ScriptedUpstream::switchingProtocols(request) + encodeFrame(Opcode::Text, "welcome back"));
        const QList<Frame> frames = next.waitForFrames(1);
        QCOMPARE(frames.size(), 1);
        QCOMPARE(frames.constFirst().payload, QByteArray("welcome back"));
        delete second;
    }

    // The client vanishes without a close: the upstream's connection is dropped, 1006.
    void clientVanishes()
    {
        ScriptedUpstream upstream;
        QVERIFY(upstream.listen());
        ProxyOptions options;
        options.upstream = upstream.url();
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        auto raw = std::make_unique<RawClient>();
        QVERIFY(raw->connectTo(proxy->proxyUrl()));
        send(raw->socket, upgradeRequest());
        QByteArray request;
        std::unique_ptr<QTcpSocket> server(upstream.accept(&request));
        QVERIFY(server);
        send(*server, ScriptedUpstream::switchingProtocols(request));
        readUntil(raw->socket, raw->received, [](const QByteArray& b) { return b.contains("\r\n\r\n"); });
        send(raw->socket, masked(Opcode::Text, "last words"));
        QByteArray atServer;
        readUntil(*server, atServer, [](const QByteArray& b) { return !framesIn(b).isEmpty(); });
        raw->socket.abort();
        raw.reset();
        QDeadlineTimer deadline(10000);
        while (server->state() != QAbstractSocket::UnconnectedState && !deadline.hasExpired())
            server->waitForReadyRead(50);
        QCOMPARE(server->state(), QAbstractSocket::UnconnectedState);
        const quint32 pid = connectionsOf(*proxy, ConnectionRole::Proxy).constFirst();
        QTRY_VERIFY(closedOf(*proxy, pid).has_value());
        QCOMPARE(closedOf(*proxy, pid)->closeCode, quint16(1006));
        QVERIFY(closedOf(*proxy, pid)->payload.contains("client"));
        QCOMPARE(payloads(messagesOf(*proxy, pid, Direction::C2S)), QByteArrayList { "last words" });
        QCOMPARE(eventsOf(*proxy, pid, EventKind::Closed).size(), 1);
    }

    // Stopping the proxy: both sides get a close 1001, recorded as the proxy's own frames.
    void stopSendsClose1001BothWays()
    {
        ScriptedUpstream upstream;
        QVERIFY(upstream.listen());
        ProxyOptions options;
        options.upstream = upstream.url();
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        RawClient raw;
        QVERIFY(raw.connectTo(proxy->proxyUrl()));
        send(raw.socket, upgradeRequest());
        QByteArray request;
        std::unique_ptr<QTcpSocket> server(upstream.accept(&request));
        QVERIFY(server);
        send(*server, ScriptedUpstream::switchingProtocols(request));
        readUntil(raw.socket, raw.received, [](const QByteArray& b) { return b.contains("\r\n\r\n"); });
        QTRY_COMPARE(proxy->proxyClients().size(), 1);

        const QUrl proxyUrl = proxy->proxyUrl(); // empty once stopped
        QSignalSpy stopped(proxy.get(), &CaptureSession::proxyStopped);
        proxy->stopProxy();
        QVERIFY(stopped.wait(5000));
        QVERIFY(!proxy->isProxyRunning());
        const QList<Frame> toClient = raw.waitForFrames(1);
        QCOMPARE(toClient.size(), 1);
        QCOMPARE(toClient.constFirst().opcode, Opcode::Close);
        QVERIFY(!toClient.constFirst().masked);
        QCOMPARE(closeCodeOf(toClient.constFirst()), quint16(1001));
        QByteArray atServer;
        readUntil(*server, atServer, [](const QByteArray& b) { return !framesIn(b).isEmpty(); });
        const QList<Frame> toServer = framesIn(atServer);
        QCOMPARE(toServer.size(), 1);
        QCOMPARE(toServer.constFirst().opcode, Opcode::Close);
        QVERIFY(toServer.constFirst().masked);
        QCOMPARE(closeCodeOf(toServer.constFirst()), quint16(1001));
        // Both answer; the connections end soon after.
        send(raw.socket, masked(Opcode::Close, closePayload(1001, {})));
        send(*server, encodeFrame(Opcode::Close, closePayload(1001, {})));
        QVERIFY(raw.waitForDisconnect());

        const quint32 pid = connectionsOf(*proxy, ConnectionRole::Proxy).constFirst();
        QTRY_VERIFY(closedOf(*proxy, pid).has_value());
        QCOMPARE(closedOf(*proxy, pid)->closeCode, quint16(1001));
        int ours = 0;
        for (const Event& e : eventsOf(*proxy, pid, EventKind::Close)) {
            if (e.note.contains("proxy")) {
                ++ours;
                QCOMPARE(e.closeCode, quint16(1001));
            }
        }
        QCOMPARE(ours, 2);
        // Nobody can connect any more: nothing listens on the port.
        QTcpSocket late;
        late.connectToHost(proxyUrl.host(), quint16(proxyUrl.port()));
        QVERIFY(!late.waitForConnected(5000));
        QCOMPARE(late.error(), QAbstractSocket::ConnectionRefusedError);
    }

    void connectionLimitGives503()
    {
        auto upstream = newUpstream();
        QVERIFY(upstream);
        ProxyOptions options;
        options.upstream = upstream->serverUrl();
        options.maxConnections = 1;
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        RawClient first;
        QVERIFY(first.connectTo(proxy->proxyUrl()));
        QVERIFY(first.upgrade(upgradeRequest()));
        const QByteArray answer = httpExchange(proxy->proxyUrl(), upgradeRequest());
        QVERIFY2(answer.startsWith("HTTP/1.1 503 Service Unavailable\r\n"), answer.left(200).constData());
        // The first still works.
        send(first.socket, masked(Opcode::Text, "still here"));
        const QList<Frame> frames = first.waitForFrames(1);
        QCOMPARE(frames.size(), 1);
        QCOMPARE(frames.constFirst().payload, QByteArray("still here"));
    }

    // A client that does not read while the upstream floods: the proxy stops reading the upstream instead of
    // buffering everything, and nothing is lost once the client reads again.
    void backPressureBoundsBuffering()
    {
        ScriptedUpstream upstream;
        QVERIFY(upstream.listen());
        ProxyOptions options;
        options.upstream = upstream.url();
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        RawClient raw;
        QVERIFY(raw.connectTo(proxy->proxyUrl()));
        raw.socket.setReadBufferSize(64 * 1024);
        send(raw.socket, upgradeRequest());
        QByteArray request;
        std::unique_ptr<QTcpSocket> server(upstream.accept(&request));
        QVERIFY(server);
        const QByteArray head = ScriptedUpstream::switchingProtocols(request);
        send(*server, head);
        const QByteArray chunk = encodeFrame(Opcode::Binary, QByteArray(1 << 20, 'b'));
        constexpr int Frames = 64;
        for (int i = 0; i < Frames; ++i)
            server->write(chunk); // left queued on purpose
        // Give the proxy time to take what it would; the socket reports how much it could not hand over.
        const qint64 stuck = settledBacklog(*server);
        qInfo("upstream bytes not taken while the client does not read: %lld of %lld", stuck,
            qint64(Frames) * chunk.size());
        QVERIFY2(stuck > qint64(16) << 20, "the proxy absorbed what its client does not read");

        // The client reads: everything arrives.
        raw.socket.setReadBufferSize(0);
        const qint64 expected = head.size() + qint64(Frames) * chunk.size();
        QDeadlineTimer deadline(60000);
        qint64 got = 0;
        QByteArray start;
        while (got < expected && !deadline.hasExpired()) {
            server->waitForBytesWritten(10);
            raw.socket.waitForReadyRead(10);
            const QByteArray bytes = raw.socket.readAll();
            if (start.size() < 4096)
                start += bytes.left(4096);
            got += bytes.size();
        }
        QCOMPARE(got, expected);
        QVERIFY(start.startsWith(head));
        const quint32 pid = connectionsOf(*proxy, ConnectionRole::Proxy).constFirst();
        QTRY_COMPARE_WITH_TIMEOUT(messagesOf(*proxy, pid, Direction::S2C).size(), Frames, 20000);
    }

    // The other direction: an upstream that does not read slows the client down, over TLS too, where a
    // QSslSocket's bytesToWrite() leaves out what it already encrypted.
    void backPressureTowardsTheUpstream_data()
    {
        QTest::addColumn<bool>("tls");
        QTest::newRow("ws") << false;
        QTest::newRow("wss") << true;
    }

    void backPressureTowardsTheUpstream()
    {
        QFETCH(bool, tls);
        test::SelfSigned made;
        if (tls) {
            if (!QSslSocket::supportsSsl())
                QFAIL("Qt has no TLS backend here (Debian package libssl3)");
            made = test::makeSelfSigned(m_dir.path());
            QVERIFY2(made.error.isEmpty(), qPrintable(made.error));
        }
        ScriptedUpstream upstream;
        QVERIFY(upstream.listen(tls ? &made : nullptr));
        ProxyOptions options;
        options.upstream = upstream.url();
        options.ignoreCertificateErrors = true;
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        RawClient raw;
        QVERIFY(raw.connectTo(proxy->proxyUrl()));
        send(raw.socket, upgradeRequest());
        QByteArray request;
        std::unique_ptr<QTcpSocket> server(upstream.accept(&request));
        QVERIFY(server);
        // The upstream takes little and, until told, the test does not read it.
        server->setReadBufferSize(64 * 1024);
        send(*server, ScriptedUpstream::switchingProtocols(request));
        readUntil(raw.socket, raw.received, [](const QByteArray& b) { return b.contains("\r\n\r\n"); });
        QVERIFY(raw.received.startsWith("HTTP/1.1 101"));

        const QByteArray chunk = masked(Opcode::Binary, QByteArray(1 << 20, 'c'));
        constexpr int Frames = 64;
        for (int i = 0; i < Frames; ++i)
            raw.socket.write(chunk); // left queued on purpose
        const qint64 stuck = settledBacklog(raw.socket);
        qInfo("client bytes not taken while the upstream does not read: %lld of %lld", stuck,
            qint64(Frames) * chunk.size());
        QVERIFY2(stuck > qint64(16) << 20, "the proxy absorbed what its upstream does not read");

        // The upstream reads: everything arrives, unchanged.
        server->setReadBufferSize(0);
        const qint64 expected = qint64(Frames) * chunk.size();
        QDeadlineTimer deadline(60000);
        qint64 got = 0;
        QByteArray start;
        while (got < expected && !deadline.hasExpired()) {
            raw.socket.waitForBytesWritten(10);
            server->waitForReadyRead(10);
            const QByteArray bytes = server->readAll();
            if (start.size() < 4096)
                start += bytes.left(4096);
            got += bytes.size();
        }
        QCOMPARE(got, expected);
        QVERIFY(start.startsWith(chunk.left(4096)));
        const quint32 pid = connectionsOf(*proxy, ConnectionRole::Proxy).constFirst();
        QTRY_COMPARE_WITH_TIMEOUT(messagesOf(*proxy, pid, Direction::C2S).size(), Frames, 20000);
    }

    // Fragments and pings from the upstream: relayed as they were, recorded in their order on the wire (the
    // ping before the message it interrupted). Then the upstream closes between two fragments: an orderly end
    // for both, and the message it cut off is still recorded.
    void upstreamFragmentsPingsAndAClose()
    {
        ScriptedUpstream upstream;
        QVERIFY(upstream.listen());
        ProxyOptions options;
        options.upstream = upstream.url();
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        RawClient raw;
        QVERIFY(raw.connectTo(proxy->proxyUrl()));
        send(raw.socket, upgradeRequest());
        QByteArray request;
        std::unique_ptr<QTcpSocket> server(upstream.accept(&request));
        QVERIFY(server);
        const QByteArray s2c = encodeFrame(Opcode::Text, "Hel", false) + encodeFrame(Opcode::Ping, "p1")
            + encodeFrame(Opcode::Continuation, "lo", false) + encodeFrame(Opcode::Continuation, " you", true)
            + encodeFrame(Opcode::Pong, "unasked");
        send(*server, ScriptedUpstream::switchingProtocols(request) + s2c);
        QCOMPARE(raw.waitForFrames(5).size(), 5);
        QCOMPARE(raw.afterHead(), s2c);
        const QByteArray pong = masked(Opcode::Pong, "p1");
        send(raw.socket, pong);
        QByteArray atServer;
        readUntil(*server, atServer, [&](const QByteArray& b) { return b.size() >= pong.size(); });
        QCOMPARE(atServer, pong);

        const quint32 pid = connectionsOf(*proxy, ConnectionRole::Proxy).constFirst();
        QTRY_COMPARE(eventsOf(*proxy, pid, EventKind::Pong).size(), 2);
        QList<Event> s2cEvents;
        for (const Event& e : eventsOf(*proxy, pid)) {
            if (e.direction == Direction::S2C)
                s2cEvents.append(e);
        }
        QCOMPARE(s2cEvents.size(), 3);
        QCOMPARE(s2cEvents.at(0).kind, EventKind::Ping);
        QCOMPARE(s2cEvents.at(0).payload, QByteArray("p1"));
        QCOMPARE(s2cEvents.at(1).kind, EventKind::Text);
        QCOMPARE(s2cEvents.at(1).payload, QByteArray("Hello you"));
        QVERIFY(s2cEvents.at(1).flags & FlagFragment);
        QVERIFY(s2cEvents.at(1).flags & FlagFin);
        QCOMPARE(s2cEvents.at(2).kind, EventKind::Pong);
        QCOMPARE(s2cEvents.at(2).payload, QByteArray("unasked"));
        const QList<Event> c2sPongs = eventsOf(*proxy, pid, EventKind::Pong);
        QVERIFY(std::any_of(c2sPongs.cbegin(), c2sPongs.cend(),
            [](const Event& e) { return e.direction == Direction::C2S && e.payload == "p1"; }));

        // A new message's first fragment, then the upstream's close and the end of its TCP connection.
        const QByteArray last
            = encodeFrame(Opcode::Text, "cut", false) + encodeFrame(Opcode::Close, closePayload(1001, "going"));
        send(*server, last);
        server->disconnectFromHost();
        QVERIFY(raw.waitForDisconnect());
        QCOMPARE(raw.afterHead(), s2c + last);
        QTRY_VERIFY(closedOf(*proxy, pid).has_value());
        QCOMPARE(closedOf(*proxy, pid)->closeCode, quint16(1001));
        QVERIFY2(closedOf(*proxy, pid)->payload.contains("closed by the upstream"),
            closedOf(*proxy, pid)->payload.constData());
        const QList<Event> texts = messagesOf(*proxy, pid, Direction::S2C);
        QCOMPARE(texts.size(), 2);
        QCOMPARE(texts.constLast().payload, QByteArray("cut"));
        QVERIFY(!(texts.constLast().flags & FlagFin));
        QVERIFY2(texts.constLast().note.contains("cut off"), texts.constLast().note.constData());
        // The cut message, recorded when the stream ended, comes before the end of the connection.
        const QList<Event> all = eventsOf(*proxy, pid);
        QCOMPARE(all.constLast().kind, EventKind::Closed);
        QCOMPARE(eventsOf(*proxy, pid, EventKind::Error).size(), 0);
    }

    // A side whose framing was lost (or never decoded) ends its connection: whether it sent a close frame
    // cannot be known, so the other side is shut down in order, not reset, and no 1006 is claimed. With an
    // extension answer the decoders cannot follow the framing is still followed: a close there is a close, and
    // a TCP end without one is a vanishing.
    void closingWhatWasNotDecoded_data()
    {
        QTest::addColumn<QByteArray>("extensionAnswer");
        QTest::addColumn<QByteArray>("frames");
        QTest::addColumn<bool>("withClose");
        QTest::addColumn<quint16>("code");
        QTest::addColumn<QByteArray>("why");
        const QByteArray undecodable = "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=99\r\n";
        const QByteArray close = encodeFrame(Opcode::Close, closePayload(1000, "bye"));
        const QByteArray lost = QByteArray("\x83\x00", 2); // a reserved opcode: the framing is lost
        QTest::newRow("lost framing, then a close")
            << QByteArray() << QByteArray(encodeFrame(Opcode::Text, "a") + lost + close) << true << quint16(0)
            << QByteArray("unknown");
        QTest::newRow("lost framing, no close") << QByteArray() << QByteArray(encodeFrame(Opcode::Text, "a") + lost)
                                                << false << quint16(0) << QByteArray("unknown");
        QTest::newRow("undecoded, a close")
            << undecodable << QByteArray(encodeFrame(Opcode::Text, "z", true, {}, 4) + close) << true << quint16(1000)
            << QByteArray("closed by the upstream");
        QTest::newRow("undecoded, vanished") << undecodable << QByteArray(encodeFrame(Opcode::Text, "z", true, {}, 4))
                                             << false << quint16(1006) << QByteArray("without a closing handshake");
    }

    void closingWhatWasNotDecoded()
    {
        QFETCH(QByteArray, extensionAnswer);
        QFETCH(QByteArray, frames);
        QFETCH(bool, withClose);
        QFETCH(quint16, code);
        QFETCH(QByteArray, why);
        ScriptedUpstream upstream;
        QVERIFY(upstream.listen());
        ProxyOptions options;
        options.upstream = upstream.url();
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        RawClient raw;
        QVERIFY(raw.connectTo(proxy->proxyUrl()));
        send(raw.socket, upgradeRequest("/", "Sec-WebSocket-Extensions: permessage-deflate\r\n"));
        QByteArray request;
        std::unique_ptr<QTcpSocket> server(upstream.accept(&request));
        QVERIFY(server);
        send(*server, ScriptedUpstream::switchingProtocols(request, extensionAnswer) + frames);
        readUntil(raw.socket, raw.received, [&](const QByteArray& b) { return b.endsWith(frames); });
        QCOMPARE(raw.afterHead(), frames);
        if (withClose)
            server->disconnectFromHost(); // in order
        else
            server->abort();
        QVERIFY(raw.waitForDisconnect());
        QCOMPARE(raw.afterHead(), frames);
        const quint32 pid = connectionsOf(*proxy, ConnectionRole::Proxy).constFirst();
        QTRY_VERIFY(closedOf(*proxy, pid).has_value());
        const Event closed = *closedOf(*proxy, pid);
        QCOMPARE(closed.closeCode, code);
        QVERIFY2(closed.payload.contains(why), closed.payload.constData());
        // Dropped (reset) only when it vanished with its framing followed.
        QCOMPARE(closed.payload.contains("dropped"), code == 1006);
    }

    // Stopping while one side is in the middle of a message: the message still goes through whole, then
    // that stream gets the proxy's close; the other stream gets its close at once. Without decoding too, since
    // the framing is followed all the same.
    void stopLetsTheMessageInFlightFinish_data()
    {
        QTest::addColumn<bool>("fromClient");
        QTest::addColumn<bool>("decoded");
        QTest::newRow("client mid-message") << true << true;
        QTest::newRow("upstream mid-message") << false << true;
        QTest::newRow("client mid-message, undecoded") << true << false;
        QTest::newRow("upstream mid-message, undecoded") << false << false;
    }

    void stopLetsTheMessageInFlightFinish()
    {
        QFETCH(bool, fromClient);
        QFETCH(bool, decoded);
        ScriptedUpstream upstream;
        QVERIFY(upstream.listen());
        ProxyOptions options;
        options.upstream = upstream.url();
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        RawClient raw;
        QVERIFY(raw.connectTo(proxy->proxyUrl()));
        send(raw.socket, upgradeRequest("/", "Sec-WebSocket-Extensions: permessage-deflate\r\n"));
        QByteArray request;
        std::unique_ptr<QTcpSocket> server(upstream.accept(&request));
        QVERIFY(server);
        send(*server,
            ScriptedUpstream::switchingProtocols(request,
                decoded ? QByteArray()
                        : "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=99\r\n"));
        readUntil(raw.socket, raw.received, [](const QByteArray& b) { return b.contains("\r\n\r\n"); });

        QAbstractSocket& sender = fromClient ? static_cast<QAbstractSocket&>(raw.socket) : *server;
        QAbstractSocket& receiver = fromClient ? *server : static_cast<QAbstractSocket&>(raw.socket);
        QByteArray atReceiver;
        QByteArray atSender;
        auto frame = [&](Opcode op, const QByteArray& payload, bool fin) {
            return fromClient ? masked(op, payload, 0, fin) : encodeFrame(op, payload, fin);
        };
        const QByteArray first = frame(Opcode::Text, "first half, ", false);
        const QByteArray second = frame(Opcode::Continuation, "second half", true);
        send(sender, first + second.left(5));
        readUntil(receiver, atReceiver, [&](const QByteArray& b) { return b.size() >= first.size() + 5; });
        QCOMPARE(atReceiver, first + second.left(5));

        QSignalSpy stopped(proxy.get(), &CaptureSession::proxyStopped);
        proxy->stopProxy();
        QVERIFY(stopped.wait(5000));
        // The sender's incoming stream was between messages: its close comes at once.
        if (fromClient) {
            QList<Frame> toClient = raw.waitForFrames(1);
            QCOMPARE(toClient.size(), 1);
            QCOMPARE(toClient.constFirst().opcode, Opcode::Close);
            QCOMPARE(closeCodeOf(toClient.constFirst()), quint16(1001));
        } else {
            readUntil(*server, atSender, [](const QByteArray& b) { return !framesIn(b).isEmpty(); });
            QCOMPARE(framesIn(atSender).size(), 1);
            QCOMPARE(framesIn(atSender).constFirst().opcode, Opcode::Close);
            QCOMPARE(closeCodeOf(framesIn(atSender).constFirst()), quint16(1001));
        }
        // The rest of the message is relayed, and then the proxy's close.
        send(sender, second.mid(5));
        readUntil(receiver, atReceiver, [&](const QByteArray& b) { return framesIn(b).size() >= 3; });
        const QList<Frame> got = framesIn(atReceiver);
        QCOMPARE(got.size(), 3);
        QCOMPARE(atReceiver.left(first.size() + second.size()), first + second);
        QCOMPARE(got.at(2).opcode, Opcode::Close);
        QCOMPARE(closeCodeOf(got.at(2)), quint16(1001));
        QCOMPARE(got.at(2).masked, fromClient); // towards the upstream a client's frame, masked

        // Both answer; the connection ends with the proxy's code.
        send(raw.socket, masked(Opcode::Close, closePayload(1001, {})));
        send(*server, encodeFrame(Opcode::Close, closePayload(1001, {})));
        QVERIFY(raw.waitForDisconnect());
        const quint32 pid = connectionsOf(*proxy, ConnectionRole::Proxy).constFirst();
        QTRY_VERIFY(closedOf(*proxy, pid).has_value());
        QCOMPARE(closedOf(*proxy, pid)->closeCode, quint16(1001));
        if (decoded) {
            const QList<Event> messages = messagesOf(*proxy, pid, fromClient ? Direction::C2S : Direction::S2C);
            QCOMPARE(payloads(messages), QByteArrayList { "first half, second half" });
        } else {
            QVERIFY(messagesOf(*proxy, pid, Direction::C2S).isEmpty());
            QVERIFY(messagesOf(*proxy, pid, Direction::S2C).isEmpty());
        }
        int ours = 0;
        for (const Event& e : eventsOf(*proxy, pid, EventKind::Close))
            ours += e.note.contains("sent by the proxy") ? 1 : 0;
        QCOMPARE(ours, 2);
    }

    // An upstream that refuses: what the client sends meanwhile is read and dropped, so closing its
    // connection cannot reset it (and destroy the refusal on its way).
    void refusalDrainsTheClient()
    {
        ScriptedUpstream upstream;
        QVERIFY(upstream.listen());
        ProxyOptions options;
        options.upstream = upstream.url();
        options.handshakeTimeoutMs = 20000; // the refusal's body is sent late on purpose
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        RawClient raw;
        QVERIFY(raw.connectTo(proxy->proxyUrl()));
        send(raw.socket, upgradeRequest("/private"));
        QByteArray request;
        std::unique_ptr<QTcpSocket> server(upstream.accept(&request));
        QVERIFY(server);
        const QByteArray head = "HTTP/1.1 403 Forbidden\r\nContent-Length: 17\r\n\r\n";
        send(*server, head);
        readUntil(raw.socket, raw.received, [](const QByteArray& b) { return b.contains("\r\n\r\n"); });
        QCOMPARE(raw.received, head);

        // Frames the client sent before it saw the answer: more than the proxy's read buffer and the kernel's.
        const QByteArray frame = masked(Opcode::Binary, QByteArray(1 << 20, 'j'));
        for (int i = 0; i < 32; ++i)
            raw.socket.write(frame);
        for (QDeadlineTimer deadline(15000); raw.socket.bytesToWrite() > 0 && !deadline.hasExpired();)
            raw.socket.waitForBytesWritten(100);
        QCOMPARE(raw.socket.bytesToWrite(), 0); // all taken

        const QByteArray body = "no entry for you\n";
        send(*server, body);
        QVERIFY(raw.waitForDisconnect());
        QCOMPARE(raw.received, head + body);
        const quint32 pid = connectionsOf(*proxy, ConnectionRole::Proxy).constFirst();
        QTRY_VERIFY(closedOf(*proxy, pid).has_value());
        QCOMPARE(closedOf(*proxy, pid)->closeCode, quint16(0));
    }

    // A proxy whose upstream is its own address would relay each connection to itself without end.
    void pointedAtItselfIsRefused_data()
    {
        QTest::addColumn<QString>("listenHost");
        QTest::addColumn<QString>("upstreamHost");
        QTest::addColumn<bool>("refused");
        QTest::newRow("same address") << "127.0.0.1"
                                      << "127.0.0.1" << true;
        QTest::newRow("localhost by name") << "127.0.0.1"
                                           << "localhost" << true;
        QTest::newRow("listening everywhere") << "0.0.0.0"
                                              << "127.0.0.1" << true;
        QTest::newRow("another loopback address") << "127.0.0.1"
                                                  << "127.0.0.2" << false;
    }

    void pointedAtItselfIsRefused()
    {
        QFETCH(QString, listenHost);
        QFETCH(QString, upstreamHost);
        QFETCH(bool, refused);
        quint16 port;
        {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost));
            port = probe.serverPort();
        }
        ProxyOptions options;
        options.host = listenHost;
        options.port = port;
        options.upstream = QUrl(QStringLiteral("ws://%1:%2/x").arg(upstreamHost).arg(port));
        auto session = newSession();
        QSignalSpy started(session.get(), &CaptureSession::proxyStarted);
        QSignalSpy failed(session.get(), &CaptureSession::proxyStartFailed);
        session->startProxy(options);
        QTRY_VERIFY_WITH_TIMEOUT(!started.isEmpty() || !failed.isEmpty(), 10000);
        QCOMPARE(failed.isEmpty(), !refused);
        if (!refused)
            return;
        const QString reason = failed.constFirst().constFirst().toString();
        QVERIFY2(reason.contains(QStringLiteral("itself")), qPrintable(reason));
        QVERIFY(!session->isProxyRunning());
        // Nothing was left listening.
        QTcpSocket probe;
        probe.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(!probe.waitForConnected(5000));
    }

    // The exact bytes of the client's target reach the upstream: a signed URL survives the proxy.
    void exactTargetReachesTheUpstream()
    {
        ScriptedUpstream upstream;
        QVERIFY(upstream.listen());
        ProxyOptions options;
        options.upstream = upstream.url(QStringLiteral("/base"));
        auto proxy = newProxy(options);
        QVERIFY(proxy);
        RawClient raw;
        QVERIFY(raw.connectTo(proxy->proxyUrl()));
        send(raw.socket, upgradeRequest("/a%7Eb%41?x=%7e&sig=AbC%2b%2F"));
        QByteArray request;
        std::unique_ptr<QTcpSocket> server(upstream.accept(&request));
        QVERIFY(server);
        QVERIFY2(request.startsWith("GET /base/a%7Eb%41?x=%7e&sig=AbC%2b%2F HTTP/1.1\r\n"), request.constData());
        const quint32 pid = connectionsOf(*proxy, ConnectionRole::Proxy).constFirst();
        const QList<Event> requests = eventsOf(*proxy, pid, EventKind::HandshakeRequest);
        QCOMPARE(requests.size(), 1);
        QVERIFY2(requests.constFirst().note.contains("/base/a%7Eb%41?x=%7e&sig=AbC%2b%2F with Host:"),
            requests.constFirst().note.constData());
    }
};

QTEST_GUILESS_MAIN(TestProxyEndpoint)
#include "tst_proxyendpoint.moc"
