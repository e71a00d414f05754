#include "formats/harexporter.h"
#include "formats/harreader.h"
#include "formats/sessionimport.h"

#include <QBuffer>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace wsi;

namespace {

// 2026-11-22T10:00:00Z plus an odd microsecond, so that nothing rounds to milliseconds by luck.
constexpr qint64 start = 1795341600000007;

Event recorded(quint32 connection, qint64 us, Direction direction, EventKind kind, const QByteArray& payload,
    quint16 closeCode = 0)
{
    Event e;
    e.connection = connection;
    e.timestampUs = us;
    e.monotonicNs = us * 1000;
    e.direction = direction;
    e.kind = kind;
    e.payload = payload;
    e.size = payload.size();
    if (direction != Direction::None)
        e.flags = FlagFin | (direction == Direction::C2S ? FlagMasked : 0);
    if (kind == EventKind::Close) {
        e.closeCode = closeCode;
        e.size = closeCode ? payload.size() + 2 : payload.size();
    }
    return e;
}

QByteArray allByteValues()
{
    QByteArray out;
    for (int i = 0; i < 256; ++i)
        out.append(char(i));
    return out;
}

QByteArray bigText()
{
    // 5 MiB of UTF-8 with multi-byte characters, quotes and control characters to escape.
    const QByteArray piece = QStringLiteral("grüße \"quoted\" \\ tab\t newline\n 😀 ").toUtf8();
    QByteArray out;
    out.reserve(5 * 1024 * 1024 + piece.size());
    while (out.size() + piece.size() <= 5 * 1024 * 1024)
        out += piece;
    while (out.size() < 5 * 1024 * 1024)
        out += 'x';
    return out;
}

QByteArray bigBinary()
{
    QByteArray out(5 * 1024 * 1024, Qt::Uninitialized);
    QRandomGenerator generator(42);
    generator.fillRange(reinterpret_cast<quint32*>(out.data()), out.size() / 4);
    return out;
}

const QByteArray secureRequest = "GET /socket?room=1&token=T0KEN HTTP/1.1\r\n"
                                 "Host: chat.example.com:8443\r\n"
                                 "Upgrade: websocket\r\n"
                                 "Connection: Upgrade\r\n"
                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                 "Sec-WebSocket-Version: 13\r\n"
                                 "Sec-WebSocket-Protocol: chat.v2\r\n"
                                 "Authorization: Bearer S3CRET\r\n"
                                 "Cookie: sid=C00KIE\r\n"
                                 "\r\n";
const QByteArray secureResponse = "HTTP/1.1 101 Switching Protocols\r\n"
                                  "Upgrade: websocket\r\n"
                                  "Connection: Upgrade\r\n"
                                  "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                                  "Sec-WebSocket-Protocol: chat.v2\r\n"
                                  "Set-Cookie: theme=SETC00KIE; Path=/\r\n"
                                  "\r\n";
const char* const secrets[] = { "S3CRET", "C00KIE", "SETC00KIE", "T0KEN", "PASSW0RD" };

/*
 * Four connections whose events interleave in time: a client with secrets and every kind of message
 * (connection 1), a server-role connection with a bare-LF request head and a close reason that is not
 * UTF-8 (2), a client whose handshake was not recorded (3) and one whose request got no answer (4).
 */
SessionData session(bool bigMessages)
{
    SessionData data;
    Connection c1;
    c1.id = 1;
    c1.url = QStringLiteral("wss://alice:PASSW0RD@chat.example.com:8443/socket?room=1&token=T0KEN");
    c1.peer = QStringLiteral("203.0.113.10:8443");
    c1.subprotocol = QStringLiteral("chat.v2");
    Connection c2;
    c2.id = 2;
    c2.role = ConnectionRole::Server;
    c2.url = QStringLiteral("ws://127.0.0.1:8765/chat?x=1");
    c2.peer = QStringLiteral("127.0.0.1:53122");
    Connection c3;
    c3.id = 3;
    c3.url = QStringLiteral("ws://[::1]:9000/raw");
    c3.peer = QStringLiteral("[::1]:9000");
    Connection c4;
    c4.id = 4;
    c4.url = QStringLiteral("ws://127.0.0.1:9/");
    data.connections = { c1, c2, c3, c4 };

    qint64 t = start;
    auto add = [&](quint32 c, Direction d, EventKind k, const QByteArray& payload, quint16 code = 0) {
        t += 1013; // a little over a millisecond
        data.events.push_back(recorded(c, t, d, k, payload, code));
    };
    const Direction none = Direction::None;
    const Direction c2s = Direction::C2S;
    const Direction s2c = Direction::S2C;
    add(1, none, EventKind::HandshakeRequest, secureRequest);
    add(1, none, EventKind::HandshakeResponse, secureResponse);
    add(1, none, EventKind::Open, "connected to " + c1.url.toUtf8());
    add(2, none, EventKind::HandshakeRequest, "GET /chat?x=1 HTTP/1.1\nHost: 127.0.0.1:8765\nUpgrade: websocket\n\n");
    add(2, none, EventKind::HandshakeResponse, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
    add(2, none, EventKind::Open, "client 127.0.0.1:53122 connected");
    add(4, none, EventKind::HandshakeRequest, "GET / HTTP/1.1\r\nHost: 127.0.0.1:9\r\n\r\n");
    add(1, c2s, EventKind::Text, "hello");
    add(2, s2c, EventKind::Text, "from the server role");
    add(1, c2s, EventKind::Text,
        QByteArray("quote \" backslash \\ newline \n tab \t nul \0 esc \x1b del \x7f end", 58));
    add(1, s2c, EventKind::Text, "\xEF\xBB\xBF starts with a byte order mark \xEF\xBB\xBF and has another");
    add(1, s2c, EventKind::Binary, allByteValues());
    add(4, none, EventKind::Error, "no answer to the upgrade request");
    add(1, c2s, EventKind::Text, "not UTF-8: \xC3\x28 \xFF\xFE \xED\xA0\x80");
    add(1, c2s, EventKind::Text, "");
    add(1, s2c, EventKind::Binary, "");
    add(1, c2s, EventKind::Ping, "are you there");
    add(1, s2c, EventKind::Pong, "are you there");
    add(3, c2s, EventKind::Text, "no handshake recorded");
    add(3, s2c, EventKind::Binary, QByteArray("\x00\x01", 2));
    if (bigMessages) {
        add(1, c2s, EventKind::Text, bigText());
        add(1, s2c, EventKind::Binary, bigBinary());
    }
    add(2, s2c, EventKind::Close, "\xFF\xFE", 4001);
    add(2, none, EventKind::Closed, "connection closed");
    add(1, c2s, EventKind::Close, "bye", 1000);
    add(1, s2c, EventKind::Text, "sent before the server saw the close");
    add(1, s2c, EventKind::Close, "bye", 1000);
    add(1, none, EventKind::Closed, "connection closed");
    add(3, c2s, EventKind::Close, "");
    add(3, none, EventKind::Note, "a note HAR has no place for");
    for (std::size_t i = 0; i < data.events.size(); ++i)
        data.events[i].seq = i + 1;
    return data;
}

// What a HAR can hold of a session: handshakes, open, text and binary messages, each connection's first close.
std::vector<Event> harView(const SessionData& data)
{
    std::vector<Event> out;
    QSet<quint32> closed;
    for (const Event& e : data.events) {
        switch (e.kind) {
        case EventKind::HandshakeRequest:
        case EventKind::HandshakeResponse:
        case EventKind::Open:
        case EventKind::Text:
        case EventKind::Binary:
            out.push_back(e);
            break;
        case EventKind::Close:
            if (!closed.contains(e.connection))
                out.push_back(e);
            closed.insert(e.connection);
            break;
        default:
            break;
        }
    }
    return out;
}

QByteArray exportToBytes(const SessionData& data, const ExportOptions& options)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    const auto exporter = SessionExporter::create(SessionFormat::Har, &buffer, options);
    for (const Connection& c : data.connections)
        exporter->addConnection(c);
    for (const Event& e : data.events)
        exporter->addEvent(e);
    QString error;
    if (!exporter->finish(&error))
        qWarning("finish: %s", qPrintable(error));
    return buffer.data();
}

QJsonObject parseHar(const QByteArray& har)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(har, &error);
    if (error.error != QJsonParseError::NoError)
        qWarning("the HAR is not JSON: %s at %d", qPrintable(error.errorString()), error.offset);
    return doc.object().value(QLatin1StringView("log")).toObject();
}

QJsonObject entryAt(const QJsonObject& log, int i)
{
    return log.value(QLatin1StringView("entries")).toArray().at(i).toObject();
}

} // namespace

class TestHarExporter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTripThroughFiles();
    void chromeShape();
    void messagesAndClose();
    void connectionsWithoutAHandshake();
    void secretsAreRedactedByDefault();
    void secretsOnRequest();
    void emptySession();
    void connectionsWithoutEvents();
    void manyMessagesFigures();
};

void TestHarExporter::roundTripThroughFiles()
{
    // JSONL -> HAR -> JSONL, through the functions the app uses.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString jsonl = dir.filePath(QStringLiteral("original.jsonl"));
    const QString har = dir.filePath(QStringLiteral("session.har"));
    const QString back = dir.filePath(QStringLiteral("back.jsonl"));
    ExportOptions options;
    options.includeSecrets = true;
    options.app = QStringLiteral("wsinspector 0.1.0");
    QString error;
    QVERIFY2(exportSession(session(true), jsonl, SessionFormat::Jsonl, options, &error), qPrintable(error));
    SessionData original;
    QVERIFY2(readSessionFile(jsonl, original, &error), qPrintable(error));
    QVERIFY2(exportSession(original, har, SessionFormat::Har, options, &error), qPrintable(error));
    SessionData fromHar;
    QVERIFY2(readSessionFile(har, fromHar, &error), qPrintable(error));
    QCOMPARE(fromHar.warnings, QStringList());
    QCOMPARE(fromHar.app, QStringLiteral("WebSocket Inspector 0.1.0"));
    QVERIFY2(exportSession(fromHar, back, SessionFormat::Jsonl, options, &error), qPrintable(error));
    SessionData result;
    QVERIFY2(readSessionFile(back, result, &error), qPrintable(error));

    QCOMPARE(result.connections.size(), original.connections.size());
    for (qsizetype i = 0; i < original.connections.size(); ++i) {
        const Connection& want = original.connections.at(i);
        const Connection& got = result.connections.at(i);
        QCOMPARE(got.id, want.id);
        QCOMPARE(got.role, want.role);
        QCOMPARE(got.url, want.url);
        QCOMPARE(got.peer, want.peer);
        QCOMPARE(got.subprotocol, want.subprotocol);
    }

    const std::vector<Event> expected = harView(original);
    QCOMPARE(result.events.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const Event& want = expected[i];
        const Event& got = result.events[i];
        const QByteArray where = "event " + QByteArray::number(qulonglong(i)) + " (" + kindName(want.kind).toUtf8()
            + " of connection " + QByteArray::number(want.connection) + ')';
        QVERIFY2(got.seq == i + 1, where.constData());
        QVERIFY2(got.connection == want.connection, where.constData());
        QVERIFY2(got.kind == want.kind, where.constData());
        QVERIFY2(got.direction == want.direction, where.constData());
        QVERIFY2(got.timestampUs == want.timestampUs,
            QByteArray(
                where + ": " + QByteArray::number(got.timestampUs) + " != " + QByteArray::number(want.timestampUs))
                .constData());
        QVERIFY2(got.closeCode == want.closeCode, where.constData());
        QVERIFY2(got.size == want.size, where.constData());
        QVERIFY2(got.payload == want.payload,
            QByteArray(where + ": " + got.payload.left(80).toHex() + " != " + want.payload.left(80).toHex())
                .constData());
    }
}

void TestHarExporter::chromeShape()
{
    ExportOptions options;
    options.includeSecrets = true;
    options.app = QStringLiteral("wsinspector 0.1.0");
    const QJsonObject log = parseHar(exportToBytes(session(false), options));
    QCOMPARE(log.value(QLatin1StringView("version")).toString(), QStringLiteral("1.2"));
    const QJsonObject creator = log.value(QLatin1StringView("creator")).toObject();
    QCOMPARE(creator.value(QLatin1StringView("name")).toString(), QStringLiteral("WebSocket Inspector"));
    QCOMPARE(creator.value(QLatin1StringView("version")).toString(), QStringLiteral("0.1.0"));
    QVERIFY(log.value(QLatin1StringView("pages")).isArray());
    QCOMPARE(log.value(QLatin1StringView("entries")).toArray().size(), 4);

    const QJsonObject entry = entryAt(log, 0);
    QCOMPARE(entry.value(QLatin1StringView("_resourceType")).toString(), QStringLiteral("websocket"));
    const QString started = entry.value(QLatin1StringView("startedDateTime")).toString();
    QVERIFY2(QRegularExpression(QStringLiteral("^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z$"))
                 .match(started)
                 .hasMatch(),
        qPrintable(started));
    QCOMPARE(started, QStringLiteral("2026-11-22T10:00:00.001Z"));
    QCOMPARE(entry.value(QLatin1StringView("serverIPAddress")).toString(), QStringLiteral("203.0.113.10"));
    QVERIFY(entry.value(QLatin1StringView("cache")).isObject());

    // HAR 1.2: send, wait and receive are non-negative, and time is the sum of the timings.
    const QJsonObject timings = entry.value(QLatin1StringView("timings")).toObject();
    double sum = 0;
    for (const char* key : { "send", "wait", "receive" }) {
        QVERIFY2(timings.value(QLatin1StringView(key)).isDouble(), key);
        QVERIFY2(timings.value(QLatin1StringView(key)).toDouble() >= 0, key);
        sum += timings.value(QLatin1StringView(key)).toDouble();
    }
    QVERIFY(timings.value(QLatin1StringView("wait")).toDouble() > 1); // the response came 1.013 ms later
    QVERIFY(qAbs(entry.value(QLatin1StringView("time")).toDouble() - sum) < 0.01);

    const QJsonObject request = entry.value(QLatin1StringView("request")).toObject();
    QCOMPARE(request.value(QLatin1StringView("method")).toString(), QStringLiteral("GET"));
    QCOMPARE(request.value(QLatin1StringView("url")).toString(),
        QStringLiteral("wss://alice:PASSW0RD@chat.example.com:8443/socket?room=1&token=T0KEN"));
    QCOMPARE(request.value(QLatin1StringView("httpVersion")).toString(), QStringLiteral("HTTP/1.1"));
    const QJsonArray headers = request.value(QLatin1StringView("headers")).toArray();
    QCOMPARE(headers.size(), 8);
    QCOMPARE(headers.at(0).toObject().value(QLatin1StringView("name")).toString(), QStringLiteral("Host"));
    QCOMPARE(
        headers.at(0).toObject().value(QLatin1StringView("value")).toString(), QStringLiteral("chat.example.com:8443"));
    QCOMPARE(headers.at(7).toObject().value(QLatin1StringView("name")).toString(), QStringLiteral("Cookie"));
    const QJsonArray query = request.value(QLatin1StringView("queryString")).toArray();
    QCOMPARE(query.size(), 2);
    QCOMPARE(query.at(1).toObject().value(QLatin1StringView("name")).toString(), QStringLiteral("token"));
    QCOMPARE(request.value(QLatin1StringView("cookies")).toArray().size(), 0);
    QCOMPARE(request.value(QLatin1StringView("headersSize")).toInt(), secureRequest.size());
    QCOMPARE(request.value(QLatin1StringView("bodySize")).toInt(), 0);
    // The head rebuilds from the HAR fields exactly: no raw copy needed.
    QVERIFY(!request.contains(QLatin1StringView("_rawHead")));

    const QJsonObject response = entry.value(QLatin1StringView("response")).toObject();
    QCOMPARE(response.value(QLatin1StringView("status")).toInt(), 101);
    QCOMPARE(response.value(QLatin1StringView("statusText")).toString(), QStringLiteral("Switching Protocols"));
    QCOMPARE(response.value(QLatin1StringView("headers")).toArray().size(), 5);
    const QJsonObject content = response.value(QLatin1StringView("content")).toObject();
    QCOMPARE(content.value(QLatin1StringView("size")).toInt(-1), 0);
    QCOMPARE(content.value(QLatin1StringView("mimeType")).toString(QStringLiteral("?")), QString());
    QCOMPARE(response.value(QLatin1StringView("redirectURL")).toString(QStringLiteral("?")), QString());
    QVERIFY(!response.contains(QLatin1StringView("_rawHead")));
    QVERIFY(!entry.contains(QLatin1StringView("_subprotocol"))); // the response header says it
    QVERIFY(!entry.contains(QLatin1StringView("_peer"))); // serverIPAddress and the URL's port say it
    QVERIFY(!entry.contains(QLatin1StringView("_role")));

    // The server-role connection: its peer is the client, and its bare-LF head needs the raw copy.
    const QJsonObject server = entryAt(log, 1);
    QCOMPARE(server.value(QLatin1StringView("_role")).toString(), QStringLiteral("server"));
    QCOMPARE(server.value(QLatin1StringView("_peer")).toString(), QStringLiteral("127.0.0.1:53122"));
    QVERIFY(!server.contains(QLatin1StringView("serverIPAddress")));
    const QJsonObject serverRequest = server.value(QLatin1StringView("request")).toObject();
    QCOMPARE(QByteArray::fromBase64(serverRequest.value(QLatin1StringView("_rawHead")).toString().toLatin1()),
        QByteArray("GET /chat?x=1 HTTP/1.1\nHost: 127.0.0.1:8765\nUpgrade: websocket\n\n"));
    QCOMPARE(serverRequest.value(QLatin1StringView("headers")).toArray().size(), 2);
}

void TestHarExporter::messagesAndClose()
{
    ExportOptions options;
    options.includeSecrets = true;
    const QJsonObject entry = entryAt(parseHar(exportToBytes(session(false), options)), 0);
    const QJsonArray messages = entry.value(QLatin1StringView("_webSocketMessages")).toArray();
    // Text and binary only, in order: pings, pongs and closes are not in Chrome's list.
    QCOMPARE(messages.size(), 8);
    const QJsonObject hello = messages.at(0).toObject();
    QCOMPARE(hello.value(QLatin1StringView("type")).toString(), QStringLiteral("send"));
    QCOMPARE(hello.value(QLatin1StringView("opcode")).toInt(), 1);
    QCOMPARE(hello.value(QLatin1StringView("data")).toString(), QStringLiteral("hello"));
    QVERIFY(!hello.contains(QLatin1StringView("_encoding")));
    // Epoch seconds with the microseconds: start + 8 steps of 1013 µs.
    QCOMPARE(qint64(std::llround(hello.value(QLatin1StringView("time")).toDouble() * 1e6)), start + 8 * 1013);

    const QJsonObject bom = messages.at(2).toObject();
    QCOMPARE(bom.value(QLatin1StringView("type")).toString(), QStringLiteral("receive"));
    QVERIFY(bom.value(QLatin1StringView("data")).toString().startsWith(QChar(0xFEFF)));

    const QJsonObject binary = messages.at(3).toObject();
    QCOMPARE(binary.value(QLatin1StringView("opcode")).toInt(), 2);
    QCOMPARE(QByteArray::fromBase64(binary.value(QLatin1StringView("data")).toString().toLatin1()), allByteValues());
    QVERIFY(!binary.contains(QLatin1StringView("_encoding")));

    const QJsonObject invalid = messages.at(4).toObject();
    QCOMPARE(invalid.value(QLatin1StringView("opcode")).toInt(), 1);
    QCOMPARE(invalid.value(QLatin1StringView("_encoding")).toString(), QStringLiteral("base64"));
    QCOMPARE(QByteArray::fromBase64(invalid.value(QLatin1StringView("data")).toString().toLatin1()),
        QByteArray("not UTF-8: \xC3\x28 \xFF\xFE \xED\xA0\x80"));

    QCOMPARE(messages.at(5).toObject().value(QLatin1StringView("data")).toString(QStringLiteral("?")), QString());
    QCOMPARE(messages.at(6).toObject().value(QLatin1StringView("opcode")).toInt(), 2);
    QCOMPARE(messages.at(7).toObject().value(QLatin1StringView("data")).toString(),
        QStringLiteral("sent before the server saw the close"));

    const QJsonObject close = entry.value(QLatin1StringView("_webSocketClose")).toObject();
    QCOMPARE(close.value(QLatin1StringView("code")).toInt(), 1000);
    QCOMPARE(close.value(QLatin1StringView("reason")).toString(), QStringLiteral("bye"));
    QCOMPARE(close.value(QLatin1StringView("by")).toString(), QStringLiteral("client"));
    QVERIFY(close.value(QLatin1StringView("time")).toDouble()
        > messages.at(6).toObject().value(QLatin1StringView("time")).toDouble());

    const QJsonObject serverClose = entryAt(parseHar(exportToBytes(session(false), options)), 1)
                                        .value(QLatin1StringView("_webSocketClose"))
                                        .toObject();
    QCOMPARE(serverClose.value(QLatin1StringView("code")).toInt(), 4001);
    QCOMPARE(serverClose.value(QLatin1StringView("by")).toString(), QStringLiteral("server"));
    QCOMPARE(serverClose.value(QLatin1StringView("_encoding")).toString(), QStringLiteral("base64"));
    QCOMPARE(QByteArray::fromBase64(serverClose.value(QLatin1StringView("reason")).toString().toLatin1()),
        QByteArray("\xFF\xFE"));
}

void TestHarExporter::connectionsWithoutAHandshake()
{
    const QJsonObject log = parseHar(exportToBytes(session(false), {}));
    // No handshake recorded: a GET and a 101 made up, and marked so.
    const QJsonObject third = entryAt(log, 2);
    const QJsonObject request = third.value(QLatin1StringView("request")).toObject();
    QCOMPARE(request.value(QLatin1StringView("method")).toString(), QStringLiteral("GET"));
    QCOMPARE(request.value(QLatin1StringView("url")).toString(), QStringLiteral("ws://[::1]:9000/raw"));
    QCOMPARE(request.value(QLatin1StringView("headers")).toArray().size(), 0);
    QVERIFY(request.value(QLatin1StringView("_synthetic")).toBool());
    const QJsonObject response = third.value(QLatin1StringView("response")).toObject();
    QCOMPARE(response.value(QLatin1StringView("status")).toInt(), 101);
    QVERIFY(response.value(QLatin1StringView("_synthetic")).toBool());
    QCOMPARE(third.value(QLatin1StringView("serverIPAddress")).toString(), QStringLiteral("::1"));
    QVERIFY(!third.contains(QLatin1StringView("_peer")));
    const QJsonObject close = third.value(QLatin1StringView("_webSocketClose")).toObject();
    QVERIFY(!close.contains(QLatin1StringView("code")));

    // A request that got no answer: status 0, as browsers write it.
    const QJsonObject fourth = entryAt(log, 3);
    QCOMPARE(fourth.value(QLatin1StringView("response")).toObject().value(QLatin1StringView("status")).toInt(-1), 0);
    QVERIFY(!fourth.value(QLatin1StringView("response")).toObject().contains(QLatin1StringView("_synthetic")));
    QCOMPARE(fourth.value(QLatin1StringView("_webSocketMessages")).toArray().size(), 0);
}

void TestHarExporter::secretsAreRedactedByDefault()
{
    const QByteArray har = exportToBytes(session(false), {});
    for (const char* secret : secrets)
        QVERIFY2(!har.contains(secret), secret);
    const QJsonObject entry = entryAt(parseHar(har), 0);
    const QJsonObject request = entry.value(QLatin1StringView("request")).toObject();
    QCOMPARE(request.value(QLatin1StringView("url")).toString(),
        QStringLiteral("wss://alice:[redacted]@chat.example.com:8443/socket?room=1&token=[redacted]"));
    QCOMPARE(request.value(QLatin1StringView("queryString"))
                 .toArray()
                 .at(1)
                 .toObject()
                 .value(QLatin1StringView("value"))
                 .toString(),
        QStringLiteral("[redacted]"));
    QHash<QString, QString> values;
    for (const QJsonValue& h : request.value(QLatin1StringView("headers")).toArray())
        values.insert(h.toObject().value(QLatin1StringView("name")).toString(),
            h.toObject().value(QLatin1StringView("value")).toString());
    QCOMPARE(values.value(QStringLiteral("Authorization")), QStringLiteral("[redacted]"));
    QCOMPARE(values.value(QStringLiteral("Cookie")), QStringLiteral("[redacted]"));
    QCOMPARE(values.value(QStringLiteral("Sec-WebSocket-Key")), QStringLiteral("dGhlIHNhbXBsZSBub25jZQ=="));
    for (const QJsonValue& h :
        entry.value(QLatin1StringView("response")).toObject().value(QLatin1StringView("headers")).toArray()) {
        if (h.toObject().value(QLatin1StringView("name")).toString() == u"Set-Cookie")
            QCOMPARE(h.toObject().value(QLatin1StringView("value")).toString(), QStringLiteral("[redacted]"));
    }

    // Read back, the redacted file is still a good session.
    SessionData data;
    QString error;
    QBuffer buffer;
    buffer.setData(har);
    buffer.open(QIODevice::ReadOnly);
    QVERIFY2(HarReader::read(buffer, data, &error), qPrintable(error));
    QCOMPARE(data.connections.size(), 4);
    QCOMPARE(data.warnings, QStringList());
}

void TestHarExporter::secretsOnRequest()
{
    ExportOptions options;
    options.includeSecrets = true;
    const QByteArray har = exportToBytes(session(false), options);
    for (const char* secret : secrets)
        QVERIFY2(har.contains(secret), secret);
    QVERIFY(!har.contains("[redacted]"));
}

void TestHarExporter::emptySession()
{
    const QByteArray har = exportToBytes(SessionData {}, {});
    const QJsonObject log = parseHar(har);
    QCOMPARE(log.value(QLatin1StringView("version")).toString(), QStringLiteral("1.2"));
    QVERIFY(log.value(QLatin1StringView("entries")).isArray());
    QCOMPARE(log.value(QLatin1StringView("entries")).toArray().size(), 0);
}

void TestHarExporter::connectionsWithoutEvents()
{
    // Found by fuzz_har: with no event to take a time from, the entry started "now", so the same session
    // converted twice gave two different files.
    SessionData data;
    Connection c;
    c.id = 1;
    c.url = QStringLiteral("ws://h/x");
    data.connections.append(c);
    const QByteArray har = exportToBytes(data, {});
    QCOMPARE(entryAt(parseHar(har), 0).value(QLatin1StringView("startedDateTime")).toString(),
        QStringLiteral("1970-01-01T00:00:00.000Z"));
    QTest::qWait(2);
    QCOMPARE(exportToBytes(data, {}), har);
}

void TestHarExporter::manyMessagesFigures()
{
    // Printed, not asserted: how long 100,000 messages take each way on this machine.
    SessionData data;
    Connection c;
    c.id = 1;
    c.url = QStringLiteral("ws://127.0.0.1:8765/");
    data.connections = { c };
    const int count = 100000;
    for (int i = 0; i < count; ++i) {
        const bool even = i % 2 == 0;
        data.events.push_back(recorded(1, start + i * 10, even ? Direction::C2S : Direction::S2C,
            even ? EventKind::Text : EventKind::Binary,
            even ? QByteArray(R"({"op":"tick","n":)" + QByteArray::number(i) + '}') : QByteArray(24, char(i))));
        data.events.back().seq = quint64(i + 1);
    }
    QElapsedTimer timer;
    timer.start();
    const QByteArray har = exportToBytes(data, {});
    const qint64 exportMs = timer.restart();
    SessionData back;
    QString error;
    QBuffer buffer;
    buffer.setData(har);
    buffer.open(QIODevice::ReadOnly);
    QVERIFY2(HarReader::read(buffer, back, &error), qPrintable(error));
    const qint64 importMs = timer.elapsed();
    QCOMPARE(back.events.size(), std::size_t(count)); // the made-up handshake of a HAR of ours is not read back
    qInfo(
        "%d messages: HAR of %.1f MB written in %lld ms, read in %lld ms", count, har.size() / 1e6, exportMs, importMs);
}

QTEST_GUILESS_MAIN(TestHarExporter)
#include "tst_harexporter.moc"
