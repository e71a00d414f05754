#include "formats/harreader.h"
#include "formats/sessionimport.h"
#include "wire/httphead.h"

#include <QBuffer>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace wsi;

namespace {

// 2026-11-22T10:00:00Z in microseconds since the epoch.
constexpr qint64 tenOClock = 1795341600000000;

bool readBytes(const QByteArray& bytes, SessionData& data, QString* error, SessionReader::Progress progress = {},
    qint64 maxBytes = HarReader::defaultMaxBytes)
{
    QBuffer buffer;
    buffer.setData(bytes);
    buffer.open(QIODevice::ReadOnly);
    return HarReader::read(buffer, data, error, std::move(progress), maxBytes);
}

QByteArray fixture(const char* name)
{
    QFile file(QFINDTESTDATA(QString::fromLatin1("data/%1").arg(QLatin1StringView(name))));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", name);
    return file.readAll();
}

// One WebSocket entry with the given messages (a JSON array) and extra entry keys, in a log.
QByteArray harWith(const QByteArray& messages, const QByteArray& extra = {}, const QByteArray& response = {})
{
    const QByteArray resp = response.isEmpty()
        ? QByteArray(
            R"({"status": 101, "statusText": "Switching Protocols", "httpVersion": "HTTP/1.1", "headers": []})")
        : response;
    return R"({"log": {"version": "1.2", "creator": {"name": "t", "version": "1"}, "entries": [{)"
           R"("startedDateTime": "2026-11-22T10:00:00.000Z", "_resourceType": "websocket", )"
           R"("request": {"method": "GET", "url": "ws://h/x", "httpVersion": "HTTP/1.1", "headers": []}, )"
        + QByteArray("\"response\": ") + resp + ", \"_webSocketMessages\": " + messages + extra + "}]}}";
}

QList<EventKind> kinds(const SessionData& data)
{
    QList<EventKind> out;
    for (const Event& e : data.events)
        out.append(e.kind);
    return out;
}

QString warningsText(const SessionData& data)
{
    return data.warnings.join(u'\n');
}

HttpHead parsed(const Event& e)
{
    HttpHead head;
    const auto result = HttpHead::parse(e.payload, head);
    if (result.status != HttpHead::ParseStatus::Complete)
        qWarning("head does not parse: %s", e.payload.constData());
    return head;
}

} // namespace

class TestHarReader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void chrome();
    void firefox();
    void httpToolkit();
    void badInput_data();
    void badInput();
    void hugeSingleLine();
    void sizeLimit();
    void timesInMilliseconds();
    void timesBeyondTheClock_data();
    void timesBeyondTheClock();
    void connectionsMergeByTime();
    void warningsAreCapped();
    void progressAndCancel();
    void readSessionFileDispatches();
};

void TestHarReader::chrome()
{
    SessionData data;
    QString error;
    QVERIFY2(readBytes(fixture("chrome-websocket.har"), data, &error), qPrintable(error));
    QCOMPARE(data.warnings, QStringList { QStringLiteral("skipped 1 entry that is not a WebSocket connection") });
    QCOMPARE(data.app, QStringLiteral("WebInspector 537.36"));

    QCOMPARE(data.connections.size(), 1);
    const Connection& c = data.connections.first();
    QCOMPARE(c.id, 1u);
    QCOMPARE(c.role, ConnectionRole::Client);
    QCOMPARE(c.url, QStringLiteral("wss://chat.example.com/socket?room=1"));
    QCOMPARE(c.peer, QStringLiteral("203.0.113.10:443"));
    QCOMPARE(c.subprotocol, QStringLiteral("chat.v2"));

    QCOMPARE(kinds(data),
        (QList { EventKind::HandshakeRequest, EventKind::HandshakeResponse, EventKind::Open, EventKind::Text,
            EventKind::Text, EventKind::Binary, EventKind::Text }));
    for (std::size_t i = 0; i < data.events.size(); ++i) {
        QCOMPARE(data.events[i].seq, quint64(i + 1));
        QCOMPARE(data.events[i].connection, 1u);
        QCOMPARE(data.events[i].size, qint64(data.events[i].payload.size()));
    }

    const Event& request = data.events[0];
    QCOMPARE(request.timestampUs, tenOClock + 400000);
    QCOMPARE(request.direction, Direction::None);
    const HttpHead requestHead = parsed(request);
    QCOMPARE(requestHead.method, QByteArray("GET"));
    QCOMPARE(requestHead.target, QByteArray("/socket?room=1"));
    QCOMPARE(requestHead.headers.size(), 13);
    QCOMPARE(requestHead.headers.at(0), HttpHeader("Host", "chat.example.com"));
    QCOMPARE(requestHead.headers.at(10), HttpHeader("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="));
    QCOMPARE(requestHead.headers.at(12), HttpHeader("Sec-WebSocket-Protocol", "chat.v2"));
    QVERIFY(
        request.payload.startsWith("GET /socket?room=1 HTTP/1.1\r\nHost: chat.example.com\r\nConnection: Upgrade\r\n"));

    const Event& response = data.events[1];
    // startedDateTime plus blocked and wait (2.1 + 10.2 ms), the timings before the answer.
    QCOMPARE(response.timestampUs, tenOClock + 412300);
    QVERIFY(response.payload.startsWith("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"));
    QCOMPARE(parsed(response).header("Sec-WebSocket-Accept"), QByteArray("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    QCOMPARE(data.events[2].timestampUs, response.timestampUs);

    QCOMPARE(data.events[3].direction, Direction::C2S);
    QCOMPARE(data.events[3].timestampUs, tenOClock + 412345);
    QCOMPARE(data.events[3].payload, QStringLiteral("{\"op\":\"subscribe\",\"room\":\"général\"}").toUtf8());
    QVERIFY(data.events[3].flags & FlagFin);
    QVERIFY(data.events[3].flags & FlagMasked);
    QCOMPARE(data.events[4].direction, Direction::S2C);
    QCOMPARE(data.events[4].timestampUs, tenOClock + 453217);
    QCOMPARE(data.events[4].payload, QByteArray("{\"ok\":true}\nsecond line \xC3\xA9 \xF0\x9F\x98\x80\t\0end", 36));
    QVERIFY(!(data.events[4].flags & FlagMasked));
    QCOMPARE(data.events[5].direction, Direction::S2C);
    QCOMPARE(data.events[5].timestampUs, tenOClock + 500000);
    QCOMPARE(data.events[5].payload, QByteArray::fromHex("000102ff"));
    QCOMPARE(data.events[6].direction, Direction::C2S);
    QCOMPARE(data.events[6].timestampUs, tenOClock + 1250000);
    QCOMPARE(data.events[6].payload, QByteArray());
}

void TestHarReader::firefox()
{
    SessionData data;
    QString error;
    QVERIFY2(readBytes(fixture("firefox-websocket.har"), data, &error), qPrintable(error));
    QCOMPARE(data.warnings, QStringList { QStringLiteral("skipped 1 entry that is not a WebSocket connection") });

    // Firefox writes the upgrade with https:// and no _resourceType: the 101 with Upgrade: websocket tells.
    QCOMPARE(data.connections.size(), 2);
    QCOMPARE(data.connections[0].id, 1u);
    QCOMPARE(data.connections[0].url, QStringLiteral("wss://chat.example.com/socket?room=1"));
    QCOMPARE(data.connections[0].peer, QStringLiteral("203.0.113.10:443"));
    QCOMPARE(data.connections[0].subprotocol, QString());
    QCOMPARE(data.connections[1].id, 2u);
    QCOMPARE(data.connections[1].url, QStringLiteral("wss://chat.example.com/feed"));
    QCOMPARE(data.connections[1].peer, QStringLiteral("[2001:db8::7]:443"));

    QCOMPARE(kinds(data),
        (QList { EventKind::HandshakeRequest, EventKind::HandshakeResponse, EventKind::Open,
            EventKind::HandshakeRequest, EventKind::HandshakeResponse, EventKind::Open, EventKind::Text,
            EventKind::Text }));
    // Local time with an offset: 11:00:00.300+01:00 is 10:00:00.300 UTC.
    QCOMPARE(data.events[0].timestampUs, tenOClock + 300000);
    QCOMPARE(data.events[1].timestampUs, tenOClock + 341000);
    const HttpHead request = parsed(data.events[0]);
    QCOMPARE(request.target, QByteArray("/socket?room=1"));
    QCOMPARE(request.header("Sec-WebSocket-Key"), QByteArray("x3JJHMbDL1EzLkh9GBhXDw=="));
    QCOMPARE(parsed(data.events[1]).header("sec-websocket-accept"), QByteArray("HSmrc0sMlYUkAGmm5OPpG2HaGWk="));
    QCOMPARE(data.events[3].connection, 2u);
    QCOMPARE(data.events[3].timestampUs, tenOClock + 2000000);
    QCOMPARE(data.events[6].payload, QByteArray("tick 1"));
    QCOMPARE(data.events[6].timestampUs, tenOClock + 2100000);
    QCOMPARE(data.events[7].payload, QByteArray("tick 2"));
    QCOMPARE(data.events[7].direction, Direction::S2C);
}

void TestHarReader::httpToolkit()
{
    SessionData data;
    QString error;
    QVERIFY2(readBytes(fixture("httptoolkit-websocket.har"), data, &error), qPrintable(error));
    QCOMPARE(data.warnings, QStringList());
    QCOMPARE(data.connections.size(), 2);
    QCOMPARE(data.connections[0].url, QStringLiteral("wss://api.example.com/graphql"));
    QCOMPARE(data.connections[0].subprotocol, QStringLiteral("graphql-transport-ws"));
    QCOMPARE(data.connections[0].peer, QString()); // HTTP Toolkit drops serverIPAddress
    QCOMPARE(data.connections[1].url, QStringLiteral("ws://localhost:8080/"));

    QCOMPARE(kinds(data),
        (QList { EventKind::HandshakeRequest, EventKind::HandshakeResponse, EventKind::Open, EventKind::Text,
            EventKind::Text, EventKind::Binary, EventKind::Closed, EventKind::HandshakeRequest,
            EventKind::HandshakeResponse, EventKind::Open, EventKind::Text, EventKind::Closed }));
    QCOMPARE(parsed(data.events[0]).header("Sec-WebSocket-Protocol"), QByteArray("graphql-transport-ws"));
    const QByteArray init = R"({"type":"connection_init"})";
    QCOMPARE(data.events[3].payload, init);
    QCOMPARE(data.events[3].timestampUs, tenOClock + 1010200);
    QCOMPARE(data.events[4].timestampUs, tenOClock + 1015300);
    QCOMPARE(data.events[5].payload, QByteArray::fromHex("deadbeef"));

    // HTTP Toolkit does not say who closed, and its timestamp is not an epoch time: a "closed" event with the
    // code, at the connection's last moment.
    const Event& closed = data.events[6];
    QCOMPARE(closed.direction, Direction::None);
    QCOMPARE(closed.closeCode, quint16(1000));
    QVERIFY2(closed.payload.contains("bye"), closed.payload.constData());
    QCOMPARE(closed.timestampUs, tenOClock + 3500000);
    const Event& aborted = data.events[11];
    QCOMPARE(aborted.connection, 2u);
    QCOMPARE(aborted.payload, QByteArray("the connection was aborted"));
    QCOMPARE(aborted.timestampUs, tenOClock + 4002000);
}

void TestHarReader::badInput_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("loads");
    QTest::addColumn<QString>("message"); // the error, or one of the warnings

    auto fails = [](const char* name, const QByteArray& bytes, const char* error) {
        QTest::newRow(name) << bytes << false << QString::fromUtf8(error);
    };
    auto warns = [](const char* name, const QByteArray& bytes, const char* warning) {
        QTest::newRow(name) << bytes << true << QString::fromUtf8(warning);
    };
    const QByteArray text = R"({"type": "send", "time": 1795341600.5, "opcode": 1, "data": "hi"})";

    fails("empty file", "", "not a HAR file (the file is empty)");
    fails("only white space", " \n\t\n", "not a HAR file (the file is empty)");
    fails("not JSON", "hello", "line 1, column 1: illegal value");
    fails("truncated JSON", "{\n  \"log\": {\n    \"entries\": [", "line 3, column 16: ");
    fails("truncated in a string", "{\"log\": {\"entries\": [\"ab", "line 1, column 25: unterminated string");
    fails("a column counts characters", "{\"é\": ]", "line 1, column 7: ");
    fails("not UTF-8", "{\"log\": \"a\xff\"}", "line 1, column 11: invalid UTF8 string");
    fails("an array", "[1, 2]", "not a HAR file (no log.entries)");
    fails("no log", R"({"foo": 1})", "not a HAR file (no log.entries)");
    fails("log is a number", R"({"log": 5})", "not a HAR file (no log.entries)");
    fails("entries not an array", R"({"log": {"entries": {}}})",
        "not a HAR file (log.entries: expected an array, found an object)");
    fails("no entries", R"({"log": {"entries": []}})", "no WebSocket connections in this HAR file (0 entries)");
    fails("only HTTP", R"({"log": {"entries": [{"request": {"url": "https://h/"}, "response": {"status": 200}}]}})",
        "no WebSocket connections in this HAR file (1 entry)");
    fails("deeply nested", QByteArray(100000, '['), "line 1, column ");
    fails("the only WebSocket entry has no request", R"({"log": {"entries": [{"_resourceType": "websocket"}]}})",
        "no WebSocket entry in this HAR file could be read "
        "(log.entries[0].request: expected an object, found missing; entry skipped)");
    fails("request url a number", R"({"log": {"entries": [{"_resourceType": "websocket", "request": {"url": 5}}]}})",
        "no WebSocket entry in this HAR file could be read (log.entries[0].request.url: expected a string, found "
        "a number; entry skipped)");

    warns("entry not an object", R"({"log": {"entries": [7, {"request": {"url": "ws://h/"}}]}})",
        "log.entries[0]: expected an object, found a number; skipped");
    warns("status a string", harWith("[]", {}, R"({"status": "101", "headers": []})"),
        "log.entries[0].response.status: expected a number, found a string; the response head is left out");
    warns("status out of range", harWith("[]", {}, R"({"status": 10100, "headers": []})"),
        "log.entries[0].response.status: 10100 is not an HTTP status; the response head is left out");
    warns("response headers not an array", harWith("[]", {}, R"({"status": 101, "headers": "Upgrade: websocket"})"),
        "log.entries[0].response.headers: expected an array, found a string; no headers read");
    warns("a header without a value", harWith("[]", {}, R"({"status": 101, "headers": [{"name": "X"}]})"),
        "log.entries[0].response.headers[0]: expected {\"name\": string, \"value\": string}; skipped");
    warns("messages not an array", harWith("{}"),
        "log.entries[0]._webSocketMessages: expected an array, found an object; no messages read");
    warns("message not an object", harWith("[\"hi\", " + text + "]"),
        "log.entries[0]._webSocketMessages[0]: expected an object, found a string; skipped");
    warns("data not a string", harWith(R"([{"type": "send", "time": 1, "opcode": 1, "data": 5}])"),
        "log.entries[0]._webSocketMessages[0].data: expected a string, found a number; skipped");
    warns("opcode 3", harWith(R"([{"type": "send", "time": 1, "opcode": 3, "data": "x"}])"),
        "log.entries[0]._webSocketMessages[0].opcode: 3 is not a message opcode (1 text, 2 binary); skipped");
    warns("opcode a string", harWith(R"([{"type": "send", "time": 1, "opcode": "1", "data": "x"}])"),
        "log.entries[0]._webSocketMessages[0].opcode: expected a number, found a string; skipped");
    warns("opcode 1.5", harWith(R"([{"type": "send", "time": 1, "opcode": 1.5, "data": "x"}])"),
        "log.entries[0]._webSocketMessages[0].opcode: expected a number, found a number; skipped");
    warns("bad base64", harWith(R"([{"type": "receive", "time": 1, "opcode": 2, "data": "AA@C"}])"),
        "log.entries[0]._webSocketMessages[0].data: not valid base64; skipped");
    warns("bad base64 text",
        harWith(R"([{"type": "receive", "time": 1, "opcode": 1, "data": "é", "_encoding": "base64"}])"),
        "log.entries[0]._webSocketMessages[0].data: not valid base64; skipped");
    warns("time not a number", harWith("[" + text + R"(, {"type": "send", "time": "soon", "opcode": 1, "data": "x"}])"),
        "log.entries[0]._webSocketMessages[1].time: expected a number, found a string; the previous message's time "
        "is used");
    warns("time absurd", harWith(R"([{"type": "send", "time": 1e300, "opcode": 1, "data": "x"}])"),
        "log.entries[0]._webSocketMessages[0].time: not a usable time; the previous message's time is used");
    warns("unknown type", harWith(R"([{"type": "sent", "time": 1, "opcode": 1, "data": "x"}])"),
        "log.entries[0]._webSocketMessages[0].type: expected \"send\" or \"receive\", found \"sent\"; skipped");
    warns("bad date", harWith("[" + text + "]").replace("2026-11-22T10:00:00.000Z", "yesterday"),
        "log.entries[0].startedDateTime: not an ISO 8601 date: \"yesterday\"; the connection starts at its first "
        "message");
    warns("close not an object", harWith("[]", R"(, "_webSocketClose": 1000)"),
        "log.entries[0]._webSocketClose: expected an object, found a number; ignored");
    warns("close code too big", harWith("[]", R"(, "_webSocketClose": {"code": 70000, "by": "server"})"),
        "log.entries[0]._webSocketClose.code: expected a close code (0 to 65535); left out");
    warns("unknown role", harWith("[]", R"(, "_role": "observer")"),
        "log.entries[0]._role: unknown role \"observer\"; read as client");
}

void TestHarReader::badInput()
{
    QFETCH(QByteArray, bytes);
    QFETCH(bool, loads);
    QFETCH(QString, message);
    SessionData data;
    QString error;
    const bool ok = readBytes(bytes, data, &error);
    if (!loads) {
        QVERIFY2(!ok, qPrintable(warningsText(data)));
        QVERIFY2(error.startsWith(message), qPrintable(error));
        return;
    }
    QVERIFY2(ok, qPrintable(error));
    QVERIFY2(data.warnings.contains(message), qPrintable(warningsText(data)));
    QVERIFY(!data.connections.isEmpty());
}

void TestHarReader::hugeSingleLine()
{
    // 50 MB in one string: complete, then cut short. Either way a clear answer, and no quadratic time.
    const QByteArray big(50 * 1024 * 1024, 'a');
    QElapsedTimer timer;
    timer.start();
    SessionData data;
    QString error;
    const QByteArray start = R"({"log": {"entries": [{"comment": ")";
    QVERIFY(!readBytes(start + big + "\"}]}}", data, &error));
    QCOMPARE(error, QStringLiteral("no WebSocket connections in this HAR file (1 entry)"));
    QVERIFY(!readBytes(start + big, data, &error));
    QCOMPARE(error, QStringLiteral("line 1, column %1: unterminated string").arg(QString::number(big.size() + 35)));

    // A single 50 MB message loads.
    const QByteArray message = R"([{"type": "receive", "time": 1795341600.5, "opcode": 1, "data": ")" + big + "\"}]";
    QVERIFY2(readBytes(harWith(message), data, &error), qPrintable(error));
    QCOMPARE(data.events.back().payload.size(), big.size());
    qInfo("three 50 MB HAR files read in %lld ms", timer.elapsed());
}

void TestHarReader::sizeLimit()
{
    const QByteArray har = harWith("[]");
    SessionData data;
    QString error;
    QVERIFY(!readBytes(har, data, &error, {}, har.size() - 1));
    QVERIFY2(error.startsWith(QStringLiteral("the HAR file is too large to open")), qPrintable(error));
    QVERIFY2(readBytes(har, data, &error, {}, har.size()), qPrintable(error));
}

void TestHarReader::timesInMilliseconds()
{
    // Some tools write Chrome's message time in milliseconds.
    SessionData data;
    QString error;
    const QByteArray messages = R"([{"type": "send", "time": 1795341600500.25, "opcode": 1, "data": "x"}])";
    QVERIFY2(readBytes(harWith(messages), data, &error), qPrintable(error));
    QCOMPARE(data.events.back().timestampUs, tenOClock + 500250);
    QVERIFY2(
        warningsText(data).contains(QStringLiteral("times look like milliseconds")), qPrintable(warningsText(data)));
}

void TestHarReader::timesBeyondTheClock_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("warning"); // empty: none expected

    // Found by fuzz_har: a time in microseconds past about 2262 overflows the nanosecond clock derived from it.
    QTest::newRow("message in 2280") << harWith(R"([{"type": "send", "time": 9795341600.412346, "opcode": 1, )"
                                                R"("data": "x"}])")
                                     << QStringLiteral("log.entries[0]._webSocketMessages[0].time: not a usable "
                                                       "time; the previous message's time is used");
    QTest::newRow("milliseconds past the clock")
        << harWith(R"([{"type": "send", "time": 1e14, "opcode": 1, "data": "x"}])")
        << QStringLiteral(
               "log.entries[0]._webSocketMessages[0].time: not a usable time; the previous message's time is used");
    QTest::newRow("start in 9999") << harWith("[]").replace("2026-11-22T10:00:00.000Z", "9999-12-31T23:59:59.000Z")
                                   << QStringLiteral("log.entries[0].startedDateTime: not a usable date: "
                                                     "\"9999-12-31T23:59:59.000Z\"; the connection starts at its "
                                                     "first message");
    QTest::newRow("centuries of waiting") << harWith("[]", R"(, "timings": {"wait": 9e14, "send": 9e14})") << QString();
    QTest::newRow("HTTP Toolkit close far ahead")
        << harWith("[]", R"(, "_webSocketClose": {"code": 1000, "timestamp": 5e10})") << QString();
}

void TestHarReader::timesBeyondTheClock()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, warning);
    SessionData data;
    QString error;
    QVERIFY2(readBytes(bytes, data, &error), qPrintable(error));
    QVERIFY(!data.events.empty());
    if (!warning.isEmpty())
        QVERIFY2(data.warnings.contains(warning), qPrintable(warningsText(data)));
    for (const Event& e : data.events) {
        // The session file's range for "ts", which keeps ts * 1000 within 64 bits.
        QVERIFY2(std::abs(e.timestampUs) <= std::numeric_limits<qint64>::max() / 1000,
            qPrintable(QString::number(e.timestampUs)));
        QCOMPARE(e.monotonicNs, e.timestampUs * 1000);
    }
}

void TestHarReader::connectionsMergeByTime()
{
    // Entry 1 starts first but its messages come later; entry 2's array goes back in time once.
    const QByteArray har = R"({"log": {"entries": [)"
                           R"({"startedDateTime": "2026-11-22T10:00:00.000Z", "request": {"url": "ws://a/"},)"
                           R"( "response": {"status": 101, "timings": {}}, "_webSocketMessages": [)"
                           R"({"type": "send", "time": 1795341600.3, "opcode": 1, "data": "a1"},)"
                           R"({"type": "send", "time": 1795341600.5, "opcode": 1, "data": "a2"}]},)"
                           R"({"startedDateTime": "2026-11-22T10:00:00.100Z", "request": {"url": "ws://b/"},)"
                           R"( "response": {"status": 101}, "_webSocketMessages": [)"
                           R"({"type": "receive", "time": 1795341600.4, "opcode": 1, "data": "b1"},)"
                           R"({"type": "receive", "time": 1795341600.2, "opcode": 1, "data": "b2"},)"
                           R"({"type": "receive", "time": 1795341600.6, "opcode": 1, "data": "b3"}]}]}})";
    SessionData data;
    QString error;
    QVERIFY2(readBytes(har, data, &error), qPrintable(error));
    QStringList order;
    for (const Event& e : data.events) {
        if (e.kind == EventKind::Text)
            order.append(QString::fromUtf8(e.payload));
    }
    QCOMPARE(order,
        (QStringList { QStringLiteral("a1"), QStringLiteral("b1"), QStringLiteral("b2"), QStringLiteral("a2"),
            QStringLiteral("b3") }));
    for (std::size_t i = 0; i < data.events.size(); ++i)
        QCOMPARE(data.events[i].seq, quint64(i + 1));
    // The first events: a's handshake (t=0), then b's (t=0.1).
    QCOMPARE(data.events[0].connection, 1u);
    QCOMPARE(data.events[3].connection, 2u);
    QCOMPARE(data.events[3].kind, EventKind::HandshakeRequest);
}

void TestHarReader::warningsAreCapped()
{
    QByteArray messages = "[";
    for (int i = 0; i < 300; ++i)
        messages += R"({"type": "send", "time": 1, "opcode": 7, "data": "x"},)";
    messages += R"({"type": "send", "time": 1, "opcode": 1, "data": "kept"}])";
    SessionData data;
    QString error;
    QVERIFY2(readBytes(harWith(messages), data, &error), qPrintable(error));
    QCOMPARE(data.warnings.size(), SessionReader::maxWarnings + 1);
    QCOMPARE(data.warnings.last(), QStringLiteral("200 more warnings were not listed"));
    QCOMPARE(data.events.back().payload, QByteArray("kept"));
}

void TestHarReader::progressAndCancel()
{
    QByteArray messages = "[";
    for (int i = 0; i < 40000; ++i)
        messages += R"({"type": "send", "time": 1795341600.5, "opcode": 1, "data": "0123456789"},)";
    messages += R"({"type": "send", "time": 1795341600.5, "opcode": 1, "data": "last"}])";
    const QByteArray har = harWith(messages);
    QVERIFY(har.size() > 2 * 1024 * 1024);

    SessionData data;
    QString error;
    QList<qint64> seen;
    QVERIFY2(readBytes(har, data, &error,
                 [&](qint64 done, qint64 total) {
                     if (total != har.size())
                         qWarning("total %lld", total);
                     seen.append(done);
                     return true;
                 }),
        qPrintable(error));
    QVERIFY(seen.size() >= 3);
    QVERIFY(std::is_sorted(seen.cbegin(), seen.cend()));
    QCOMPARE(seen.last(), qint64(har.size()));

    int calls = 0;
    QVERIFY(!readBytes(har, data, &error, [&](qint64, qint64) { return ++calls < 2; }));
    QCOMPARE(error, QStringLiteral("loading was cancelled"));
}

void TestHarReader::readSessionFileDispatches()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    auto write = [&](const QString& name, const QByteArray& bytes) {
        QFile file(dir.filePath(name));
        file.open(QIODevice::WriteOnly);
        file.write(bytes);
        return file.fileName();
    };
    const QByteArray har = fixture("chrome-websocket.har");
    const QByteArray jsonl
        = R"({"type":"session","format":"wsinspector-session","version":1,"created":"2026-11-22T10:00:00.000Z","app":"wsinspector 0.1.0"})"
          "\n"
          R"({"type":"connection","id":4,"role":"server","url":"ws://127.0.0.1:8765/chat","peer":"","subprotocol":""})"
          "\n";
    SessionData data;
    QString error;
    QVERIFY2(readSessionFile(write(QStringLiteral("capture.har"), har), data, &error), qPrintable(error));
    QCOMPARE(data.connections.size(), 1);
    QCOMPARE(data.connections.first().url, QStringLiteral("wss://chat.example.com/socket?room=1"));
    // By content when the extension says nothing, or says the wrong thing.
    QVERIFY2(readSessionFile(write(QStringLiteral("capture.json"), har), data, &error), qPrintable(error));
    QCOMPARE(data.connections.first().url, QStringLiteral("wss://chat.example.com/socket?room=1"));
    QVERIFY2(readSessionFile(write(QStringLiteral("session.har"), jsonl), data, &error), qPrintable(error));
    QCOMPARE(data.connections.first().id, 4u);
    QVERIFY2(readSessionFile(write(QStringLiteral("session.jsonl"), jsonl), data, &error), qPrintable(error));
    QCOMPARE(data.connections.first().id, 4u);
    // A .har that is not JSON gets the HAR reader's message.
    QVERIFY(!readSessionFile(write(QStringLiteral("broken.har"), "{\"log\": {"), data, &error));
    QVERIFY2(error.startsWith(QStringLiteral("line 1, column")), qPrintable(error));
    QVERIFY(!readSessionFile(dir.filePath(QStringLiteral("missing.har")), data, &error));
    QVERIFY2(error.startsWith(QStringLiteral("cannot open")), qPrintable(error));
}

QTEST_GUILESS_MAIN(TestHarReader)
#include "tst_harreader.moc"
