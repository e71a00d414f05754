// ReplayPlan from sessions read the way the app reads them: a JSONL file (written line by line with the
// codec, read back by SessionReader) and a Chrome HAR (the fixture tst_harreader reads).

#include "core/eventstore.h"
#include "formats/jsonlcodec.h"
#include "formats/sessionimport.h"
#include "formats/sessionreader.h"
#include "replay/replayplan.h"
#include "wire/httphead.h"

#include <QBuffer>
#include <QTest>

using namespace wsi;

namespace {

constexpr qint64 T0 = 1795341600000000; // µs

QByteArray L(const char* s)
{
    return QByteArray(s);
}

Event ev(quint32 conn, qint64 atMs, Direction dir, EventKind kind, QByteArray payload = {}, quint16 code = 0)
{
    Event e;
    e.connection = conn;
    e.timestampUs = T0 + atMs * 1000;
    e.monotonicNs = e.timestampUs * 1000;
    e.direction = dir;
    e.kind = kind;
    e.payload = std::move(payload);
    e.size = e.payload.size();
    e.closeCode = code;
    if (kind == EventKind::Close && code)
        e.size += 2;
    return e;
}

Event request(quint32 conn, qint64 atMs, const HttpHeaders& headers, const QByteArray& target = "/chat")
{
    HttpHead h;
    h.method = "GET";
    h.target = target;
    h.headers = headers;
    return ev(conn, atMs, Direction::None, EventKind::HandshakeRequest, h.toBytes());
}

Event response(quint32 conn, qint64 atMs)
{
    HttpHead h;
    h.status = 101;
    h.reason = "Switching Protocols";
    h.headers = { { "Upgrade", "websocket" }, { "Connection", "Upgrade" } };
    return ev(conn, atMs, Direction::None, EventKind::HandshakeResponse, h.toBytes());
}

// Writes the session as JSONL and reads it back as the app would.
SessionData roundTrip(const QList<Connection>& connections, const QList<Event>& events)
{
    QByteArray file
        = jsonl::encodeHeader(QDateTime::fromMSecsSinceEpoch(T0 / 1000, Qt::UTC), QStringLiteral("wsinspector test"))
        + '\n';
    for (const Connection& c : connections)
        file += jsonl::encodeConnection(c) + '\n';
    quint64 seq = 0;
    for (Event e : events) {
        e.seq = ++seq;
        file += jsonl::encodeEvent(e) + '\n';
    }
    QBuffer buffer(&file);
    buffer.open(QIODevice::ReadOnly);
    SessionData data;
    QString error;
    if (!SessionReader::read(buffer, data, &error))
        qFatal("the test session does not load: %s", qPrintable(error));
    return data;
}

Connection conn(quint32 id, ConnectionRole role, const char* url, const char* subprotocol = "")
{
    Connection c;
    c.id = id;
    c.role = role;
    c.url = QString::fromUtf8(url);
    c.subprotocol = QString::fromUtf8(subprotocol);
    return c;
}

// Connection 1: a chat with both directions and a client close; 2: only server pushes; 5: a failed attempt.
SessionData chatSession()
{
    const HttpHeaders headers = {
        { "Host", "127.0.0.1:8765" },
        { "Upgrade", "websocket" },
        { "Connection", "Upgrade" },
        { "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==" },
        { "Sec-WebSocket-Version", "13" },
        { "Sec-WebSocket-Extensions", "permessage-deflate" },
        { "Origin", "http://localhost:3000" },
        { "Sec-WebSocket-Protocol", "chat, json" },
        { "Cookie", "session=abc" },
        { "Authorization", "[redacted]" },
        { "X-Trace", "7" },
    };
    return roundTrip(
        {
            conn(1, ConnectionRole::Server, "ws://127.0.0.1:8765/chat", "chat"),
            conn(2, ConnectionRole::Client, "ws://feed.example/ticker"),
            conn(5, ConnectionRole::Client, "ws://127.0.0.1:9/"),
        },
        {
            request(1, 0, headers),
            response(1, 1),
            ev(1, 2, Direction::None, EventKind::Open, "client 127.0.0.1:50000 connected"),
            ev(2, 3, Direction::None, EventKind::Open, "connected"),
            ev(1, 102, Direction::C2S, EventKind::Text, "{\"op\":\"hello\"}"),
            ev(2, 120, Direction::S2C, EventKind::Text, "tick 1"),
            ev(1, 152, Direction::S2C, EventKind::Text, "{\"ok\":true}"),
            ev(1, 162, Direction::S2C, EventKind::Ping, "p"),
            ev(1, 172, Direction::S2C, EventKind::Binary, QByteArray("\x00\x01", 2)),
            ev(1, 302, Direction::C2S, EventKind::Binary, QByteArray("\xff", 1)),
            ev(1, 402, Direction::C2S, EventKind::Close, "bye", 1000),
            ev(1, 403, Direction::S2C, EventKind::Close, "bye", 1000),
            ev(1, 404, Direction::None, EventKind::Closed, "closed by the client"),
            ev(5, 500, Direction::None, EventKind::Error, "connection refused"),
            ev(2, 620, Direction::S2C, EventKind::Text, "tick 2"),
        });
}

QStringList headerLines(const QList<QPair<QByteArray, QByteArray>>& headers)
{
    QStringList out;
    for (const auto& h : headers)
        out.append(QString::fromUtf8(h.first + ": " + h.second));
    return out;
}

} // namespace

class TestReplayPlan : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void fromJsonl();
    void candidates();
    void firstUsableConnectionIsTheDefault();
    void errors_data();
    void errors();
    void openFallsBackToTheHandshakeAnswer();
    void redactedUrlPartsAreLeftOut();
    void redactedUserInfoIsLeftOut();
    void urlFromTheRequestWhenTheConnectionHasNone();
    void fromChromeHar();
    void clientOptions();
    void keptQueryParametersStayAsEncoded();
    void fromTheTimelineStore();
};

void TestReplayPlan::fromJsonl()
{
    const SessionData data = chatSession();
    QString error;
    const std::optional<ReplayPlan> plan
        = ReplayPlan::build(data, 1, ReplayRole::Client, QStringLiteral("s.jsonl"), &error);
    QVERIFY2(plan, qPrintable(error));
    QCOMPARE(plan->connection, 1u);
    QCOMPARE(plan->recordedRole, ConnectionRole::Server);
    QCOMPARE(plan->url, QUrl(QStringLiteral("ws://127.0.0.1:8765/chat")));
    // The client's own headers are left to the endpoint; Origin and the subprotocols have options of their own.
    QCOMPARE(headerLines(plan->headers),
        QStringList({ QStringLiteral("Cookie: session=abc"), QStringLiteral("X-Trace: 7") }));
    QCOMPARE(plan->origin, QStringLiteral("http://localhost:3000"));
    QCOMPARE(plan->subprotocols, QStringList({ QStringLiteral("chat"), QStringLiteral("json") }));
    QCOMPARE(plan->subprotocol, QStringLiteral("chat"));
    QCOMPARE(plan->warnings.size(), 1);
    QVERIFY2(plan->warnings.first().contains(QStringLiteral("Authorization")), qPrintable(plan->warnings.first()));

    // Data messages only, in order, offsets from the open event (at 2 ms); pings and closes are not replayed.
    QCOMPARE(plan->messages.size(), 4);
    const QList<ReplayMessage>& m = plan->messages;
    QCOMPARE(m[0].direction, Direction::C2S);
    QCOMPARE(m[0].payload, L("{\"op\":\"hello\"}"));
    QVERIFY(m[0].text);
    QCOMPARE(m[0].offsetUs, 100000);
    QCOMPARE(m[0].s2cBefore, 0);
    QCOMPARE(m[1].direction, Direction::S2C);
    QCOMPARE(m[1].offsetUs, 150000);
    QCOMPARE(m[1].c2sBefore, 1);
    QCOMPARE(m[2].direction, Direction::S2C);
    QVERIFY(!m[2].text);
    QCOMPARE(m[2].payload, QByteArray("\x00\x01", 2));
    QCOMPARE(m[2].offsetUs, 170000);
    QCOMPARE(m[2].s2cBefore, 1);
    QCOMPARE(m[3].direction, Direction::C2S);
    QVERIFY(!m[3].text);
    QCOMPARE(m[3].offsetUs, 300000);
    QCOMPARE(m[3].s2cBefore, 2); // paced replay waits for both server messages before this one
    QCOMPARE(m[3].c2sBefore, 1);

    QCOMPARE(plan->c2sCount(), 2);
    QCOMPARE(plan->s2cCount(), 2);
    QCOMPARE(plan->messagesFrom(Direction::S2C).size(), 2);
    QCOMPARE(plan->messagesFrom(Direction::S2C).at(1).payload, QByteArray("\x00\x01", 2));
    QVERIFY(plan->close);
    QCOMPARE(plan->close->direction, Direction::C2S);
    QCOMPARE(plan->close->code, 1000);
    QCOMPARE(plan->close->reason, L("bye"));
    QCOMPARE(plan->close->offsetUs, 400000);
    QCOMPARE(plan->durationUs, 402000);

    // The same connection as a server: its s2c messages.
    const std::optional<ReplayPlan> asServer
        = ReplayPlan::build(data, 1, ReplayRole::Server, QStringLiteral("s.jsonl"), &error);
    QVERIFY2(asServer, qPrintable(error));
    QCOMPARE(asServer->s2cCount(), 2);
}

void TestReplayPlan::candidates()
{
    const QList<ReplayCandidate> list = ReplayPlan::candidates(chatSession());
    QCOMPARE(list.size(), 2); // connection 5 has nothing to replay
    QCOMPARE(list[0].id, 1u);
    QCOMPARE(list[0].role, ConnectionRole::Server);
    QCOMPARE(list[0].url, QStringLiteral("ws://127.0.0.1:8765/chat"));
    QCOMPARE(list[0].c2sMessages, 2);
    QCOMPARE(list[0].s2cMessages, 2);
    QCOMPARE(list[0].durationUs, 402000);
    QCOMPARE(list[1].id, 2u);
    QCOMPARE(list[1].c2sMessages, 0);
    QCOMPARE(list[1].s2cMessages, 2);
    QCOMPARE(list[1].durationUs, 617000);
    QCOMPARE(list[0].describe(), QStringLiteral("1  ws://127.0.0.1:8765/chat  2 c2s, 2 s2c, 0.4 s"));
}

void TestReplayPlan::firstUsableConnectionIsTheDefault()
{
    const SessionData data = chatSession();
    QString error;
    QCOMPARE(ReplayPlan::build(data, 0, ReplayRole::Client, QStringLiteral("s"), &error)->connection, 1u);
    QCOMPARE(ReplayPlan::build(data, 0, ReplayRole::Server, QStringLiteral("s"), &error)->connection, 1u);
    // Only connection 2 when 1's messages are gone.
    SessionData pushes = data;
    std::erase_if(pushes.events, [](const Event& e) { return e.connection == 1; });
    QCOMPARE(ReplayPlan::build(pushes, 0, ReplayRole::Server, QStringLiteral("s"), &error)->connection, 2u);
}

void TestReplayPlan::errors_data()
{
    QTest::addColumn<int>("which"); // 0: the chat session; 1: no events; 2: events, no messages; 3: s2c only
    QTest::addColumn<quint32>("id");
    QTest::addColumn<bool>("asClient");
    QTest::addColumn<QString>("expected");

    QTest::newRow("no such connection") << 0 << 7u << true
                                        << QStringLiteral("connection 7 is not in s.jsonl; it has 1, 2, 5");
    QTest::newRow("no c2s messages") << 0 << 2u << true
                                     << QStringLiteral("connection 2 in s.jsonl has no client (c2s) messages to replay "
                                                       "as a client (connections that have some: 1)");
    QTest::newRow("no messages at all") << 0 << 5u << false
                                        << QStringLiteral("connection 5 in s.jsonl has no server (s2c) messages to "
                                                          "replay as a server (connections that have some: 1, 2)");
    QTest::newRow("empty session") << 1 << 0u << true << QStringLiteral("s.jsonl holds no events: nothing to replay");
    QTest::newRow("no messages") << 2 << 0u << true << QStringLiteral("s.jsonl holds no messages: nothing to replay");
    QTest::newRow("nothing sent by any client")
        << 3 << 0u << true
        << QStringLiteral("no connection in s.jsonl has client (c2s) messages to replay as a client");
    QTest::newRow("nothing sent by any client, named")
        << 3 << 2u << true
        << QStringLiteral("connection 2 in s.jsonl has no client (c2s) messages to replay as a client");
}

void TestReplayPlan::errors()
{
    QFETCH(int, which);
    QFETCH(quint32, id);
    QFETCH(bool, asClient);
    QFETCH(QString, expected);
    SessionData data = chatSession();
    if (which == 1)
        data = roundTrip({}, {});
    else if (which == 2)
        std::erase_if(
            data.events, [](const Event& e) { return e.kind == EventKind::Text || e.kind == EventKind::Binary; });
    else if (which == 3)
        std::erase_if(data.events, [](const Event& e) { return e.direction == Direction::C2S; });
    QString error;
    QVERIFY(!ReplayPlan::build(
        data, id, asClient ? ReplayRole::Client : ReplayRole::Server, QStringLiteral("s.jsonl"), &error));
    QCOMPARE(error, expected);
}

void TestReplayPlan::openFallsBackToTheHandshakeAnswer()
{
    const SessionData data = roundTrip({ conn(1, ConnectionRole::Client, "ws://h/") },
        {
            request(1, 0, {}),
            response(1, 40),
            ev(1, 90, Direction::C2S, EventKind::Text, "a"),
        });
    QString error;
    const std::optional<ReplayPlan> plan = ReplayPlan::build(data, 1, ReplayRole::Client, QStringLiteral("s"), &error);
    QVERIFY2(plan, qPrintable(error));
    QCOMPARE(plan->messages.first().offsetUs, 50000);
    QVERIFY(!plan->close);

    // Without a handshake either: the first event of the connection.
    const SessionData bare = roundTrip({ conn(1, ConnectionRole::Client, "ws://h/") },
        { ev(1, 10, Direction::S2C, EventKind::Text, "x"), ev(1, 30, Direction::C2S, EventKind::Text, "a") });
    QCOMPARE(
        ReplayPlan::build(bare, 1, ReplayRole::Client, QStringLiteral("s"), &error)->messages.last().offsetUs, 20000);
}

void TestReplayPlan::redactedUrlPartsAreLeftOut()
{
    const SessionData data
        = roundTrip({ conn(1, ConnectionRole::Client, "ws://me:[redacted]@h:81/p?token=[redacted]&room=1") },
            { ev(1, 0, Direction::None, EventKind::Open), ev(1, 1, Direction::C2S, EventKind::Text, "a") });
    QString error;
    const std::optional<ReplayPlan> plan = ReplayPlan::build(data, 1, ReplayRole::Client, QStringLiteral("s"), &error);
    QVERIFY2(plan, qPrintable(error));
    QCOMPARE(plan->url.toString(), QStringLiteral("ws://me@h:81/p?room=1"));
    QCOMPARE(plan->warnings.size(), 2);
    QVERIFY(plan->warnings.join(u'\n').contains(QStringLiteral("token")));
    QVERIFY(plan->warnings.join(u'\n').contains(QStringLiteral("password")));
}

// What exports write now: the whole user info masked.
void TestReplayPlan::redactedUserInfoIsLeftOut()
{
    const SessionData data = roundTrip({ conn(1, ConnectionRole::Client, "wss://[redacted]@h:81/p?room=1") },
        { ev(1, 0, Direction::None, EventKind::Open), ev(1, 1, Direction::C2S, EventKind::Text, "a") });
    QString error;
    const std::optional<ReplayPlan> plan = ReplayPlan::build(data, 1, ReplayRole::Client, QStringLiteral("s"), &error);
    QVERIFY2(plan, qPrintable(error));
    QCOMPARE(plan->url.toString(), QStringLiteral("wss://h:81/p?room=1"));
    QCOMPARE(plan->warnings.size(), 1);
    QVERIFY(plan->warnings.first().contains(QStringLiteral("user info")));
}

void TestReplayPlan::urlFromTheRequestWhenTheConnectionHasNone()
{
    const SessionData data = roundTrip({ conn(1, ConnectionRole::Proxy, "") },
        { request(1, 0, { { "Host", "example.com:8080" } }, "/live?x=1"),
            ev(1, 1, Direction::C2S, EventKind::Text, "a") });
    QString error;
    const std::optional<ReplayPlan> plan = ReplayPlan::build(data, 1, ReplayRole::Client, QStringLiteral("s"), &error);
    QVERIFY2(plan, qPrintable(error));
    QCOMPARE(plan->url, QUrl(QStringLiteral("ws://example.com:8080/live?x=1")));
}

void TestReplayPlan::fromChromeHar()
{
    SessionData data;
    QString error;
    QVERIFY2(readSessionFile(QFINDTESTDATA("data/chrome-websocket.har"), data, &error), qPrintable(error));
    const QList<ReplayCandidate> list = ReplayPlan::candidates(data);
    QCOMPARE(list.size(), 1);
    QCOMPARE(list.first().url, QStringLiteral("wss://chat.example.com/socket?room=1"));
    const std::optional<ReplayPlan> plan
        = ReplayPlan::build(data, 0, ReplayRole::Client, QStringLiteral("chrome.har"), &error);
    QVERIFY2(plan, qPrintable(error));
    QCOMPARE(plan->url, QUrl(QStringLiteral("wss://chat.example.com/socket?room=1")));
    QCOMPARE(plan->origin, QStringLiteral("https://chat.example.com"));
    QCOMPARE(plan->subprotocols, QStringList({ QStringLiteral("chat.v2") }));
    QCOMPARE(plan->subprotocol, QStringLiteral("chat.v2"));
    const QStringList headers = headerLines(plan->headers);
    QCOMPARE(headers,
        QStringList({ QStringLiteral("Pragma: no-cache"), QStringLiteral("Cache-Control: no-cache"),
            QStringLiteral("User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                           "Chrome/131.0.0.0 Safari/537.36"),
            QStringLiteral("Accept-Encoding: gzip, deflate, br, zstd"),
            QStringLiteral("Accept-Language: en-US,en;q=0.9") }));
    QVERIFY(plan->warnings.isEmpty());
    QCOMPARE(plan->messages.size(), 4);
    QCOMPARE(plan->messages[0].direction, Direction::C2S);
    QCOMPARE(plan->messages[0].payload, QByteArray("{\"op\":\"subscribe\",\"room\":\"g\xc3\xa9n\xc3\xa9ral\"}"));
    QCOMPARE(plan->messages[1].direction, Direction::S2C);
    QCOMPARE(plan->messages[2].direction, Direction::S2C);
    QVERIFY(!plan->messages[2].text);
    QCOMPARE(plan->messages[2].payload, QByteArray("\x00\x01\x02\xff", 4));
    QCOMPARE(plan->messages[3].direction, Direction::C2S);
    QCOMPARE(plan->messages[3].payload, QByteArray());
    QCOMPARE(plan->messages[3].s2cBefore, 2);
    // Chrome's message times are seconds with microseconds: the gaps survive.
    QCOMPARE(plan->messages[3].offsetUs - plan->messages[0].offsetUs, 837655);
    QCOMPARE(plan->messages[1].offsetUs - plan->messages[0].offsetUs, 40872);
}

void TestReplayPlan::clientOptions()
{
    QString error;
    const std::optional<ReplayPlan> plan
        = ReplayPlan::build(chatSession(), 1, ReplayRole::Client, QStringLiteral("s"), &error);
    QVERIFY2(plan, qPrintable(error));
    ClientOptions recorded = plan->clientOptions();
    QCOMPARE(recorded.url, plan->url);
    QCOMPARE(recorded.headers, plan->headers);
    QCOMPARE(recorded.origin, plan->origin);
    QCOMPARE(recorded.subprotocols, plan->subprotocols);
    // Every recorded header is one the client endpoint accepts as extra.
    for (const auto& h : recorded.headers)
        QCOMPARE(extraHeaderProblem(QString::fromUtf8(h.first), QString::fromUtf8(h.second)), QString());
    const QUrl staging(QStringLiteral("wss://staging.example/chat"));
    QCOMPARE(plan->clientOptions(staging).url, staging);
}

void TestReplayPlan::keptQueryParametersStayAsEncoded()
{
    // "%2B" is a plus sign in the value; decoded and encoded again it would become "+", a space to many servers.
    const SessionData data
        = roundTrip({ conn(1, ConnectionRole::Client, "ws://h/p?r=x%2By&token=%5Bredacted%5D&q=a+b&e=%C3%A9&flag") },
            { ev(1, 0, Direction::None, EventKind::Open), ev(1, 1, Direction::C2S, EventKind::Text, "a") });
    QString error;
    const std::optional<ReplayPlan> plan = ReplayPlan::build(data, 1, ReplayRole::Client, QStringLiteral("s"), &error);
    QVERIFY2(plan, qPrintable(error));
    QCOMPARE(plan->url.toString(QUrl::FullyEncoded), QStringLiteral("ws://h/p?r=x%2By&q=a+b&e=%C3%A9&flag"));
    QCOMPARE(plan->warnings,
        QStringList({ QStringLiteral("the URL parameter token was redacted in the file: it is left out") }));

    // Nothing masked: the URL is the recorded one, untouched.
    const SessionData clean = roundTrip(
        { conn(1, ConnectionRole::Client, "ws://h/p?r=x%2By") }, { ev(1, 1, Direction::C2S, EventKind::Text, "a") });
    QCOMPARE(
        ReplayPlan::build(clean, 1, ReplayRole::Client, QStringLiteral("s"), &error)->url.toString(QUrl::FullyEncoded),
        QStringLiteral("ws://h/p?r=x%2By"));
}

void TestReplayPlan::fromTheTimelineStore()
{
    // The same session in the store the timeline fills: the plans and candidates match the file's.
    const SessionData data = chatSession();
    EventStore store;
    store.append(data.events);
    // The store hands its connections out of a hash, in no order: the plan takes them by id.
    QList<Connection> connections = data.connections;
    std::reverse(connections.begin(), connections.end());
    for (const Connection& c : std::as_const(connections))
        store.applyConnection(c);
    const EventStore::Snapshot snapshot = store.snapshot();

    const QList<ReplayCandidate> fromFile = ReplayPlan::candidates(data);
    const QList<ReplayCandidate> fromStore = ReplayPlan::candidates(snapshot, store.connections());
    QCOMPARE(fromStore.size(), fromFile.size());
    for (qsizetype i = 0; i < fromFile.size(); ++i)
        QCOMPARE(fromStore[i].describe(), fromFile[i].describe());

    for (const ReplayRole role : { ReplayRole::Client, ReplayRole::Server }) {
        QString error;
        const std::optional<ReplayPlan> a = ReplayPlan::build(data, 0, role, QStringLiteral("s"), &error);
        QVERIFY2(a, qPrintable(error));
        const std::optional<ReplayPlan> b
            = ReplayPlan::build(snapshot, store.connections(), 0, role, QStringLiteral("s"), &error);
        QVERIFY2(b, qPrintable(error));
        QCOMPARE(b->connection, a->connection);
        QCOMPARE(b->url, a->url);
        QCOMPARE(b->headers, a->headers);
        QCOMPARE(b->origin, a->origin);
        QCOMPARE(b->subprotocols, a->subprotocols);
        QCOMPARE(b->durationUs, a->durationUs);
        QCOMPARE(b->messages.size(), a->messages.size());
        for (qsizetype i = 0; i < a->messages.size(); ++i) {
            QCOMPARE(b->messages[i].payload, a->messages[i].payload);
            QCOMPARE(b->messages[i].offsetUs, a->messages[i].offsetUs);
            QCOMPARE(b->messages[i].s2cBefore, a->messages[i].s2cBefore);
            QCOMPARE(b->messages[i].c2sBefore, a->messages[i].c2sBefore);
        }
        QCOMPARE(b->close.has_value(), a->close.has_value());
    }

    // Errors name the capture as they name a file.
    QString error;
    QVERIFY(!ReplayPlan::build(
        snapshot, store.connections(), 7, ReplayRole::Client, QStringLiteral("the capture"), &error));
    QCOMPARE(error, QStringLiteral("connection 7 is not in the capture; it has 1, 2, 5"));
    EventStore empty;
    QVERIFY(!ReplayPlan::build(empty.snapshot(), {}, 0, ReplayRole::Client, QStringLiteral("the capture"), &error));
    QCOMPARE(error, QStringLiteral("the capture holds no events: nothing to replay"));
}

QTEST_GUILESS_MAIN(TestReplayPlan)
#include "tst_replayplan.moc"
