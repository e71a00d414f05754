#include "formats/jsonlcodec.h"
#include "wire/httphead.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QStringDecoder>
#include <QTest>
#include <QTimeZone>

using namespace wsi;

Q_DECLARE_METATYPE(wsi::Event)
Q_DECLARE_METATYPE(wsi::Connection)
Q_DECLARE_METATYPE(wsi::jsonl::DecodeStatus)

namespace {

Event makeSample(EventKind kind, Direction dir, QByteArray payload, quint8 flags = 0)
{
    Event e;
    e.seq = 42;
    e.connection = 7;
    e.timestampUs = 1763805600123456;
    e.monotonicNs = 987654321012345;
    e.direction = dir;
    e.kind = kind;
    e.flags = flags;
    e.size = payload.size();
    e.payload = std::move(payload);
    return e;
}

Event closeEvent(quint16 code, QByteArray reason)
{
    Event e = makeSample(EventKind::Close, Direction::C2S, std::move(reason), FlagFin | FlagMasked);
    e.closeCode = code;
    e.size = e.payload.size() + (code ? 2 : 0);
    return e;
}

QByteArray requestHead()
{
    HttpHead h;
    h.method = "GET";
    h.target = "/chat?room=1&x=%20";
    h.headers = { { "Host", "127.0.0.1:8765" }, { "upgrade", "websocket" }, { "Connection", "Upgrade" },
        { "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==" }, { "X-Custom-HEADER", "caf\xc3\xa9 \"q\"" },
        { "Sec-WebSocket-Version", "13" }, { "host", "duplicate, kept" } };
    return h.toBytes();
}

QByteArray responseHead(const QByteArray& reason = "Switching Protocols", const QByteArray& version = "HTTP/1.1")
{
    HttpHead h;
    h.status = 101;
    h.reason = reason;
    h.version = version;
    h.headers = { { "Upgrade", "websocket" }, { "CONNECTION", "upgrade" },
        { "Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" } };
    return h.toBytes();
}

QByteArray allControlCharacters()
{
    QByteArray out;
    for (int c = 0; c < 0x20; ++c)
        out += char(c);
    out += "\x7f\"\\/</script>\xe2\x80\xa8\xe2\x80\xa9";
    return out;
}

QByteArray randomBytes(qsizetype n, quint32 seed)
{
    QRandomGenerator rng(seed);
    QByteArray out(n, Qt::Uninitialized);
    for (auto& c : out)
        c = char(rng.bounded(256));
    return out;
}

// The first difference between two events, or an empty string.
QString eventDiff(const Event& a, const Event& b)
{
    auto d = [](const char* what, auto x, auto y) {
        return QStringLiteral("%1 differs: %2 vs %3")
            .arg(QLatin1StringView(what), QString::number(qint64(x)), QString::number(qint64(y)));
    };
    if (a.seq != b.seq)
        return d("seq", a.seq, b.seq);
    if (a.timestampUs != b.timestampUs)
        return d("ts", a.timestampUs, b.timestampUs);
    if (a.monotonicNs != b.monotonicNs)
        return d("mono", a.monotonicNs, b.monotonicNs);
    if (a.connection != b.connection)
        return d("connection", a.connection, b.connection);
    if (a.direction != b.direction)
        return d("direction", int(a.direction), int(b.direction));
    if (a.kind != b.kind)
        return d("kind", int(a.kind), int(b.kind));
    if (a.flags != b.flags)
        return d("flags", a.flags, b.flags);
    if (a.closeCode != b.closeCode)
        return d("closeCode", a.closeCode, b.closeCode);
    if (a.size != b.size)
        return d("size", a.size, b.size);
    if (a.payload != b.payload) {
        return QStringLiteral("payload differs: %1 vs %2")
            .arg(QString::fromLatin1(a.payload.left(64).toHex()), QString::fromLatin1(b.payload.left(64).toHex()));
    }
    if (a.note != b.note)
        return QStringLiteral("note differs: %1 vs %2")
            .arg(QString::fromLatin1(a.note.toHex()), QString::fromLatin1(b.note.toHex()));
    return {};
}

} // namespace

class TestJsonlCodec : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void contractLines_data();
    void contractLines();
    void connectionLine();
    void headerLine();
    void roundTrip_data();
    void roundTrip();
    void escaping();
    void jsonEscaper_data();
    void jsonEscaper();
    void jsonEscaperAtEveryPosition();
    void jsonEscaperOnLargeText();
    void invalidUtf8TextIsBase64();
    void handshakeFallsBackToRawBytes_data();
    void handshakeFallsBackToRawBytes();
    void connectionRoundTrip_data();
    void connectionRoundTrip();
    void lenientInput_data();
    void lenientInput();
    void badLines_data();
    void badLines();
    void stringEscapesFromOtherWriters_data();
    void stringEscapesFromOtherWriters();
    void escapedKnownKey();
    void deepNestingInUnknownKeys();
    void notJsonSaysWhere();
};

// The lines of DESIGN.md's example are a contract: other tools parse them.
void TestJsonlCodec::contractLines_data()
{
    QTest::addColumn<Event>("event");
    QTest::addColumn<QByteArray>("line");

    auto base = [](quint64 seq, qint64 ts, Direction dir, EventKind kind, QByteArray payload) {
        Event e = makeSample(kind, dir, std::move(payload));
        e.seq = seq;
        e.connection = 1;
        e.timestampUs = ts;
        e.monotonicNs = ts * 1000; // what readers assume without "mono"
        return e;
    };
    {
        HttpHead h;
        h.method = "GET";
        h.target = "/chat";
        h.headers = { { "Host", "127.0.0.1:8765" }, { "Upgrade", "websocket" } };
        QTest::newRow("handshake-request")
            << base(1, 1763805600123456, Direction::None, EventKind::HandshakeRequest, h.toBytes())
            << QByteArray(
                   R"({"type":"event","seq":1,"conn":1,"ts":1763805600123456,"dir":"none","kind":"handshake-request",)"
                   R"("method":"GET","url":"/chat","headers":[["Host","127.0.0.1:8765"],["Upgrade","websocket"]]})");
    }
    {
        HttpHead h;
        h.status = 101;
        h.headers = { { "Upgrade", "websocket" } };
        QTest::newRow("handshake-response")
            << base(2, 1763805600123900, Direction::None, EventKind::HandshakeResponse, h.toBytes())
            << QByteArray(
                   R"({"type":"event","seq":2,"conn":1,"ts":1763805600123900,"dir":"none","kind":"handshake-response",)"
                   R"("status":101,"headers":[["Upgrade","websocket"]]})");
    }
    QTest::newRow("text")
        << base(3, 1763805600124000, Direction::C2S, EventKind::Text, "hello")
        << QByteArray(
               R"({"type":"event","seq":3,"conn":1,"ts":1763805600124000,"dir":"c2s","kind":"text","size":5,"data":"hello"})");
    QTest::newRow("binary")
        << base(4, 1763805600124100, Direction::S2C, EventKind::Binary, QByteArray("\x00\x01\x02", 3))
        << QByteArray(
               R"({"type":"event","seq":4,"conn":1,"ts":1763805600124100,"dir":"s2c","kind":"binary","size":3,"data":"AAEC","enc":"base64"})");
    Event close = base(5, 1763805600200000, Direction::C2S, EventKind::Close, "bye");
    close.closeCode = 1000;
    close.size = 5;
    QTest::newRow("close")
        << close
        << QByteArray(
               R"({"type":"event","seq":5,"conn":1,"ts":1763805600200000,"dir":"c2s","kind":"close","code":1000,"size":5,"reason":"bye"})");

    Event flagged = base(6, 1, Direction::C2S, EventKind::Text, "x");
    flagged.flags = FlagFin | FlagRsv1 | FlagRsv3 | FlagMasked | FlagCompressed | FlagFragment;
    flagged.monotonicNs = 5;
    flagged.note = "added by Qt";
    QTest::newRow("flags, remark and mono")
        << flagged
        << QByteArray(
               R"({"type":"event","seq":6,"conn":1,"ts":1,"dir":"c2s","kind":"text","size":1,"data":"x",)"
               R"("fin":true,"rsv":5,"masked":true,"compressed":true,"fragment":true,"note":"added by Qt","mono":5})");
    Event note = base(7, 2, Direction::None, EventKind::Note, "a note");
    note.note = "a remark";
    QTest::newRow("note")
        << note
        << QByteArray(
               R"({"type":"event","seq":7,"conn":1,"ts":2,"dir":"none","kind":"note","message":"a note","note":"a remark"})");
    QTest::newRow("error")
        << base(8, 3, Direction::None, EventKind::Error, "connection refused")
        << QByteArray(
               R"({"type":"event","seq":8,"conn":1,"ts":3,"dir":"none","kind":"error","error":"connection refused"})");
    QTest::newRow("open without message") << base(9, 4, Direction::None, EventKind::Open,
        {}) << QByteArray(R"({"type":"event","seq":9,"conn":1,"ts":4,"dir":"none","kind":"open"})");
    // The code a connection ended with, which the live capture records (found by fuzz_har: it was lost on save).
    Event closed = base(10, 5, Direction::None, EventKind::Closed, "connection lost without a closing handshake");
    closed.closeCode = 1006;
    QTest::newRow("closed with code")
        << closed
        << QByteArray(R"({"type":"event","seq":10,"conn":1,"ts":5,"dir":"none","kind":"closed","code":1006,)"
                      R"("message":"connection lost without a closing handshake"})");
}

void TestJsonlCodec::contractLines()
{
    QFETCH(Event, event);
    QFETCH(QByteArray, line);
    QCOMPARE(jsonl::encodeEvent(event), line);

    QByteArray appended = "previous\n";
    jsonl::appendEvent(appended, event);
    QCOMPARE(appended, "previous\n" + line + '\n');

    jsonl::DecodedLine decoded;
    QString error;
    QCOMPARE(jsonl::decodeLine(line, decoded, &error), jsonl::DecodeStatus::Ok);
    QCOMPARE(decoded.type, jsonl::LineType::Event);
    const QString diff = eventDiff(decoded.event, event);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
}

void TestJsonlCodec::connectionLine()
{
    Connection c;
    c.id = 1;
    c.role = ConnectionRole::Server;
    c.url = QStringLiteral("ws://127.0.0.1:8765/chat");
    c.peer = QStringLiteral("127.0.0.1:53122");
    const QByteArray expected
        = R"({"type":"connection","id":1,"role":"server","url":"ws://127.0.0.1:8765/chat","peer":"127.0.0.1:53122","subprotocol":""})";
    QCOMPARE(jsonl::encodeConnection(c), expected);
    QByteArray appended;
    jsonl::appendConnection(appended, c);
    QCOMPARE(appended, expected + '\n');
}

void TestJsonlCodec::headerLine()
{
    const QDateTime created(QDate(2026, 11, 22), QTime(11, 0, 0, 7), QTimeZone(3600));
    const QByteArray line = jsonl::encodeHeader(created, QStringLiteral("wsinspector 0.1.0"));
    QCOMPARE(line,
        QByteArray(
            R"({"type":"session","format":"wsinspector-session","version":1,"created":"2026-11-22T10:00:00.007Z","app":"wsinspector 0.1.0"})"));

    jsonl::DecodedLine decoded;
    QCOMPARE(jsonl::decodeLine(line, decoded), jsonl::DecodeStatus::Ok);
    QCOMPARE(decoded.type, jsonl::LineType::Session);
    QCOMPARE(decoded.header.format, QStringLiteral("wsinspector-session"));
    QCOMPARE(decoded.header.version, 1);
    QCOMPARE(decoded.header.created, QStringLiteral("2026-11-22T10:00:00.007Z"));
    QCOMPARE(decoded.header.app, QStringLiteral("wsinspector 0.1.0"));
}

void TestJsonlCodec::roundTrip_data()
{
    QTest::addColumn<Event>("event");

    const auto fin = quint8(FlagFin);
    QTest::newRow("text") << makeSample(EventKind::Text, Direction::C2S, "hello", fin | FlagMasked);
    QTest::newRow("empty text") << makeSample(EventKind::Text, Direction::S2C, {}, fin);
    QTest::newRow("non-ASCII text") << makeSample(
        EventKind::Text, Direction::S2C, "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xef\xbf\xbf", fin);
    QTest::newRow("byte order mark") << makeSample(EventKind::Text, Direction::C2S, "\xef\xbb\xbfhi", fin);
    QTest::newRow("control characters") << makeSample(EventKind::Text, Direction::C2S, allControlCharacters(), fin);
    QTest::newRow("JSON inside text") << makeSample(
        EventKind::Text, Direction::C2S, R"({"type":"event","a":"\"quoted\"\n","b":[1,2]})", fin);
    QTest::newRow("invalid UTF-8: lone byte") << makeSample(EventKind::Text, Direction::C2S,
        "ab\xff"
        "cd",
        fin);
    QTest::newRow("invalid UTF-8: truncated") << makeSample(EventKind::Text, Direction::C2S, "ab\xe6\x97", fin);
    QTest::newRow("invalid UTF-8: overlong") << makeSample(EventKind::Text, Direction::C2S, "\xc0\x80", fin);
    QTest::newRow("invalid UTF-8: surrogate") << makeSample(EventKind::Text, Direction::C2S, "\xed\xa0\x80", fin);
    QTest::newRow("binary") << makeSample(EventKind::Binary, Direction::S2C, randomBytes(300, 1), fin);
    QTest::newRow("binary that is valid UTF-8") << makeSample(EventKind::Binary, Direction::S2C, "plain", fin);
    QTest::newRow("empty binary") << makeSample(EventKind::Binary, Direction::S2C, {}, fin);
    QTest::newRow("1 MiB text") << makeSample(EventKind::Text, Direction::C2S,
        QByteArray(1024 * 1024 - 3, 'a') + "\xc3\xa9\n", fin | FlagCompressed | FlagRsv1);
    QTest::newRow("1 MiB binary") << makeSample(EventKind::Binary, Direction::C2S, randomBytes(1024 * 1024, 2), fin);
    QTest::newRow("ping empty") << makeSample(EventKind::Ping, Direction::C2S, {}, fin | FlagMasked);
    QTest::newRow("ping text") << makeSample(EventKind::Ping, Direction::C2S, "are you there", fin);
    QTest::newRow("pong bytes") << makeSample(EventKind::Pong, Direction::S2C, QByteArray("\x00\xff\x10", 3), fin);
    QTest::newRow("close with code") << closeEvent(1000, "bye");
    QTest::newRow("close with code, no reason") << closeEvent(1001, {});
    QTest::newRow("close without code") << closeEvent(0, {});
    QTest::newRow("close, odd code and reason") << closeEvent(4999, "caf\xc3\xa9\n\"x\"");
    QTest::newRow("close, reason not UTF-8") << closeEvent(1007, "\xff\xfe");
    QTest::newRow("handshake request") << makeSample(EventKind::HandshakeRequest, Direction::None, requestHead());
    QTest::newRow("handshake response") << makeSample(EventKind::HandshakeResponse, Direction::None, responseHead());
    QTest::newRow("handshake response, no reason")
        << makeSample(EventKind::HandshakeResponse, Direction::None, responseHead({}));
    QTest::newRow("handshake response, HTTP/1.0")
        << makeSample(EventKind::HandshakeResponse, Direction::None, responseHead("OK", "HTTP/1.0"));
    QTest::newRow("handshake, bare LF") << makeSample(
        EventKind::HandshakeRequest, Direction::None, "GET / HTTP/1.1\nHost: x\n\n");
    QTest::newRow("handshake, not HTTP") << makeSample(
        EventKind::HandshakeResponse, Direction::None, "SSH-2.0-OpenSSH\r\n\xff");
    QTest::newRow("handshake, Latin-1 header")
        << makeSample(EventKind::HandshakeResponse, Direction::None, "HTTP/1.1 400 Bad\r\nX-Name: M\xfcller\r\n\r\n");
    QTest::newRow("handshake, truncated")
        << makeSample(EventKind::HandshakeRequest, Direction::None, "GET /x HTTP/1.1\r\nHost: a\r\n");
    QTest::newRow("handshake, empty") << makeSample(EventKind::HandshakeRequest, Direction::None, {});
    QTest::newRow("open") << makeSample(EventKind::Open, Direction::None, "connected to ws://x/");
    QTest::newRow("open, empty") << makeSample(EventKind::Open, Direction::None, {});
    QTest::newRow("closed") << makeSample(EventKind::Closed, Direction::None, "closed by peer");
    Event closedWithCode = makeSample(EventKind::Closed, Direction::None, "closed by the server: bye");
    closedWithCode.closeCode = 4000;
    QTest::newRow("closed with code") << closedWithCode;
    QTest::newRow("error") << makeSample(EventKind::Error, Direction::None, "Host not found \xe2\x80\x94 \"x\"");
    QTest::newRow("error, not UTF-8") << makeSample(EventKind::Error, Direction::None, "\xff");
    QTest::newRow("note") << makeSample(EventKind::Note, Direction::None, "just a note");

    Event remark = makeSample(EventKind::Note, Direction::None, "note text");
    remark.note = "and a remark \xe2\x9c\x93";
    QTest::newRow("note with a remark") << remark;
    Event remarked = makeSample(EventKind::HandshakeRequest, Direction::None, requestHead());
    remarked.note = "Qt added: Sec-WebSocket-Key\nHost";
    QTest::newRow("handshake with a remark") << remarked;
    Event badRemark = makeSample(EventKind::Text, Direction::C2S, "x", fin);
    badRemark.note = "\xff remark";
    QTest::newRow("remark not UTF-8") << badRemark;

    for (int bits = 0; bits < 0x80; bits += 0x0b) {
        QTest::addRow("flags 0x%02x", bits) << makeSample(EventKind::Binary, Direction::C2S, "f", quint8(bits));
    }
    Event sized = makeSample(EventKind::Text, Direction::C2S, "decompressed", fin | FlagCompressed);
    sized.size = 3;
    QTest::newRow("size differs from payload") << sized;
    Event sizedNote = makeSample(EventKind::Open, Direction::None, "x");
    sizedNote.size = 99;
    QTest::newRow("size differs on a non-frame") << sizedNote;
    Event clocks = makeSample(EventKind::Text, Direction::C2S, "t", fin);
    clocks.monotonicNs = clocks.timestampUs * 1000;
    QTest::newRow("mono equal to ts") << clocks;
    clocks.monotonicNs = 0;
    QTest::newRow("mono zero") << clocks;
    clocks.monotonicNs = (qint64(1) << 62) + 1; // beyond a double's 53 bits
    clocks.timestampUs = 0;
    QTest::newRow("mono huge, ts zero") << clocks;
    Event extremes = makeSample(EventKind::Text, Direction::S2C, "e", fin);
    extremes.seq = (quint64(1) << 60) + 3;
    extremes.connection = 0xffffffffu;
    extremes.timestampUs = -5;
    QTest::newRow("large ids, negative ts") << extremes;
}

void TestJsonlCodec::roundTrip()
{
    QFETCH(Event, event);
    const QByteArray line = jsonl::encodeEvent(event);
    QVERIFY(!line.contains('\n'));
    QVERIFY(!line.contains('\r'));

    auto check = [&](const QByteArray& text, const char* variant) {
        jsonl::DecodedLine decoded;
        QString error;
        const auto status = jsonl::decodeLine(text, decoded, &error);
        if (status != jsonl::DecodeStatus::Ok)
            return QStringLiteral("%1: %2").arg(QLatin1StringView(variant), error);
        const QString diff = eventDiff(decoded.event, event);
        return diff.isEmpty() ? diff : QStringLiteral("%1: %2").arg(QLatin1StringView(variant), diff);
    };
    QString problem = check(line, "as written");
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    problem = check(line + "\r\n", "with CRLF");
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
    // Keys from a future version, with nested values, are skipped.
    QByteArray nested = line;
    nested.insert(nested.size() - 1, R"(,"future":{"list":[1.5e3,null,{"x":"\u00e9"}],"h":[["a","b"]]})");
    problem = check(nested, "unknown nested keys");
    QVERIFY2(problem.isEmpty(), qPrintable(problem));

    // Keys with escapes are keys like any other.
    QByteArray escapedKey = line;
    escapedKey.insert(escapedKey.size() - 1, R"(,"fut\u0075re":1)");
    problem = check(escapedKey, "escaped unknown key");
    QVERIFY2(problem.isEmpty(), qPrintable(problem));

    // QJsonDocument, like QString::fromUtf8, drops a byte order mark at the start of a string, so the
    // rewriting below cannot keep such a payload.
    if (event.payload.startsWith("\xef\xbb\xbf"))
        return;
    // Another writer: keys reordered, non-ASCII escaped as \uXXXX.
    const QJsonDocument doc = QJsonDocument::fromJson(line);
    QVERIFY(doc.isObject());
    problem = check(doc.toJson(QJsonDocument::Compact), "rewritten by QJsonDocument");
    QVERIFY2(problem.isEmpty(), qPrintable(problem));
}

void TestJsonlCodec::escaping()
{
    const Event e = makeSample(EventKind::Text, Direction::C2S, allControlCharacters() + "\xc3\xa9");
    const QByteArray line = jsonl::encodeEvent(e);
    for (char c : line)
        QVERIFY2(static_cast<unsigned char>(c) >= 0x20, "raw control character in the line");
    QVERIFY(line.contains(R"("data":"\u0000\u0001)"));
    QVERIFY(line.contains(R"(\b\t\n\u000b\f\r)"));
    QVERIFY(line.contains("\x7f\\\"\\\\/</script>\xe2\x80\xa8")); // DEL, quote, backslash; U+2028 left alone
    QVERIFY(line.contains("\xc3\xa9\",")); // non-ASCII stays UTF-8
    QVERIFY(!line.contains(R"("enc")"));
    QVERIFY(QJsonDocument::fromJson(line).isObject());
}

void TestJsonlCodec::invalidUtf8TextIsBase64()
{
    const QByteArray payload("ok \xff\xfe end");
    const QByteArray line = jsonl::encodeEvent(makeSample(EventKind::Text, Direction::C2S, payload));
    QVERIFY(line.contains(QByteArray("\"data\":\"" + payload.toBase64() + "\",\"enc\":\"base64\"")));
    QVERIFY(QJsonDocument::fromJson(line).isObject());
}

void TestJsonlCodec::handshakeFallsBackToRawBytes_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<bool>("structured");
    QTest::addColumn<bool>("raw");

    QTest::newRow("canonical") << requestHead() << true << false;
    QTest::newRow("bare LF") << QByteArray("GET / HTTP/1.1\nHost: x\n\n") << true << true;
    QTest::newRow("extra spaces") << QByteArray("GET / HTTP/1.1\r\nHost:   x\r\n\r\n") << true << true;
    QTest::newRow("not a head") << QByteArray("hello") << false << true;
}

void TestJsonlCodec::handshakeFallsBackToRawBytes()
{
    QFETCH(QByteArray, head);
    QFETCH(bool, structured);
    QFETCH(bool, raw);
    const QJsonObject o
        = QJsonDocument::fromJson(jsonl::encodeEvent(makeSample(EventKind::HandshakeRequest, Direction::None, head)))
              .object();
    QCOMPARE(o.contains(QLatin1StringView("method")), structured);
    QCOMPARE(o.contains(QLatin1StringView("headers")), structured);
    QCOMPARE(o.contains(QLatin1StringView("data")), raw);
}

void TestJsonlCodec::connectionRoundTrip_data()
{
    QTest::addColumn<Connection>("connection");
    Connection c;
    c.id = 3;
    c.role = ConnectionRole::Client;
    c.url = QStringLiteral("wss://example.org/p?q=\"1\"&r=\\");
    QTest::newRow("client") << c;
    c.role = ConnectionRole::Proxy;
    c.peer = QStringLiteral("[::1]:4242");
    c.subprotocol = QStringLiteral("graphql-ws");
    c.url = QString::fromUtf8("ws://h\xc3\xb6st/\xe2\x9c\x93\t");
    QTest::newRow("proxy, non-ASCII") << c;
    c.id = 0xffffffffu;
    c.role = ConnectionRole::Server;
    c.url.clear();
    c.peer.clear();
    c.subprotocol.clear();
    QTest::newRow("server, empty fields") << c;
}

void TestJsonlCodec::connectionRoundTrip()
{
    QFETCH(Connection, connection);
    jsonl::DecodedLine decoded;
    QString error;
    QCOMPARE(jsonl::decodeLine(jsonl::encodeConnection(connection), decoded, &error), jsonl::DecodeStatus::Ok);
    QCOMPARE(decoded.type, jsonl::LineType::Connection);
    QVERIFY(decoded.connection == connection);
}

// Files written by hand or by other tools: missing optional keys, spacing, other key orders.
void TestJsonlCodec::lenientInput_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<Event>("expected");

    Event text = makeSample(EventKind::Text, Direction::C2S, "hi");
    text.seq = 0;
    text.connection = 0;
    text.timestampUs = 0;
    text.monotonicNs = 0;
    QTest::newRow("minimal") << QByteArray(R"({"type":"event","kind":"text","dir":"c2s","data":"hi"})") << text;
    QTest::newRow("spaces and order") << QByteArray(
        " { \"data\" : \"hi\" , \"dir\":\"c2s\",\t\"kind\" : \"text\", \"type\":\"event\" } ")
                                      << text;
    QTest::newRow("unknown keys") << QByteArray(
        R"({"type":"event","kind":"text","dir":"c2s","data":"hi","opcode":1,"x":null,"y":[1,{"z":2.5}]})")
                                  << text;
    Event ts = text;
    ts.timestampUs = 1000;
    ts.monotonicNs = 1000000;
    QTest::newRow("mono defaults to ts") << QByteArray(
        R"({"type":"event","kind":"text","dir":"c2s","data":"hi","ts":1000})")
                                         << ts;

    Event close = makeSample(EventKind::Close, Direction::S2C, "bye");
    close.seq = 0;
    close.connection = 0;
    close.timestampUs = 0;
    close.monotonicNs = 0;
    close.closeCode = 1000;
    close.size = 5;
    QTest::newRow("close size derived") << QByteArray(
        R"({"type":"event","kind":"close","dir":"s2c","code":1000,"reason":"bye"})")
                                        << close;

    Event error = makeSample(EventKind::Error, Direction::None, "boom");
    error.seq = 0;
    error.connection = 0;
    error.timestampUs = 0;
    error.monotonicNs = 0;
    QTest::newRow("error under message") << QByteArray(
        R"({"type":"event","kind":"error","dir":"none","message":"boom"})")
                                         << error;

    Event request = makeSample(EventKind::HandshakeRequest, Direction::None, "GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
    request.seq = 0;
    request.connection = 0;
    request.timestampUs = 0;
    request.monotonicNs = 0;
    QTest::newRow("handshake, no size") << QByteArray(
        R"({"type":"event","kind":"handshake-request","dir":"none","method":"GET","url":"/x","headers":[["Host","h"]]})")
                                        << request;
}

void TestJsonlCodec::lenientInput()
{
    QFETCH(QByteArray, line);
    QFETCH(Event, expected);
    jsonl::DecodedLine decoded;
    QString error;
    QCOMPARE(jsonl::decodeLine(line, decoded, &error), jsonl::DecodeStatus::Ok);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QString diff = eventDiff(decoded.event, expected);
    QVERIFY2(diff.isEmpty(), qPrintable(diff));
}

void TestJsonlCodec::badLines_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<jsonl::DecodeStatus>("status");
    QTest::addColumn<QString>("error");

    const auto notJson = jsonl::DecodeStatus::NotJson;
    const auto invalid = jsonl::DecodeStatus::Invalid;
    QTest::newRow("garbage") << QByteArray("hello world") << notJson << QStringLiteral("not valid JSON");
    QTest::newRow("binary") << QByteArray("\x89PNG\r\n\x1a\n\x00\x00", 10) << notJson
                            << QStringLiteral("not valid UTF-8, as JSON must be");
    QTest::newRow("array") << QByteArray("[1,2]") << notJson << QStringLiteral("not a JSON object");
    QTest::newRow("truncated") << QByteArray(R"({"type":"event","seq":1,"da)") << notJson
                               << QStringLiteral("not valid JSON");
    QTest::newRow("truncated in escape") << QByteArray(R"({"type":"event","data":"ab\)") << notJson
                                         << QStringLiteral("not valid JSON");
    QTest::newRow("trailing garbage") << QByteArray(R"({"type":"event"} x)") << notJson
                                      << QStringLiteral("not valid JSON");
    QTest::newRow("leading zero") << QByteArray(R"({"type":"event","seq":01})") << notJson
                                  << QStringLiteral("not valid JSON");
    QTest::newRow("invalid UTF-8 in string") << QByteArray("{\"type\":\"event\",\"data\":\"\xff\"}") << notJson
                                             << QStringLiteral("not valid UTF-8, as JSON must be");
    QTest::newRow("trailing comma") << QByteArray(R"({"type":"event","kind":"text","dir":"c2s",})") << notJson
                                    << QStringLiteral("not valid JSON");
    QTest::newRow("trailing comma, nested")
        << QByteArray(R"({"type":"event","x":[1,]})") << notJson << QStringLiteral("not valid JSON");
    QTest::newRow("bad literal") << QByteArray(R"({"type":"event","x":tru})") << notJson
                                 << QStringLiteral("not valid JSON");
    QTest::newRow("unclosed nesting") << QByteArray(R"({"type":"event","x":{"y":[1})") << notJson
                                      << QStringLiteral("not valid JSON");
    QTest::newRow("no type") << QByteArray(R"({"kind":"text"})") << invalid << QStringLiteral("missing \"type\"");
    QTest::newRow("unknown type") << QByteArray(R"({"type":"frame"})") << invalid
                                  << QStringLiteral("unknown line type \"frame\"");
    QTest::newRow("unknown kind") << QByteArray(R"({"type":"event","kind":"texty","dir":"c2s"})") << invalid
                                  << QStringLiteral("unknown kind \"texty\"");
    QTest::newRow("unknown dir") << QByteArray(R"({"type":"event","kind":"text","dir":"up"})") << invalid
                                 << QStringLiteral("unknown dir \"up\"");
    QTest::newRow("no kind") << QByteArray(R"({"type":"event","dir":"c2s"})") << invalid
                             << QStringLiteral("missing \"kind\"");
    QTest::newRow("no dir") << QByteArray(R"({"type":"event","kind":"text"})") << invalid
                            << QStringLiteral("missing \"dir\"");
    QTest::newRow("kind not a string") << QByteArray(R"({"type":"event","kind":1,"dir":"c2s"})") << invalid
                                       << QStringLiteral("\"kind\" is not a string");
    QTest::newRow("seq as string") << QByteArray(R"({"type":"event","kind":"text","dir":"c2s","seq":"1"})") << invalid
                                   << QStringLiteral("\"seq\" is not an integer");
    QTest::newRow("fractional ts") << QByteArray(R"({"type":"event","kind":"text","dir":"c2s","ts":1.5})") << invalid
                                   << QStringLiteral("\"ts\" is not an integer");
    QTest::newRow("negative size") << QByteArray(R"({"type":"event","kind":"text","dir":"c2s","size":-1})") << invalid
                                   << QStringLiteral("\"size\" is out of range (-1)");
    QTest::newRow("conn too big") << QByteArray(R"({"type":"event","kind":"text","dir":"c2s","conn":4294967296})")
                                  << invalid << QStringLiteral("\"conn\" is out of range (4294967296)");
    QTest::newRow("code too big") << QByteArray(R"({"type":"event","kind":"close","dir":"c2s","code":65536})")
                                  << invalid << QStringLiteral("\"code\" is out of range (65536)");
    QTest::newRow("rsv too big") << QByteArray(R"({"type":"event","kind":"text","dir":"c2s","rsv":8})") << invalid
                                 << QStringLiteral("\"rsv\" is out of range (8)");
    QTest::newRow("fin not bool") << QByteArray(R"({"type":"event","kind":"text","dir":"c2s","fin":1})") << invalid
                                  << QStringLiteral("\"fin\" is not true or false");
    QTest::newRow("bad base64") << QByteArray(
        R"({"type":"event","kind":"binary","dir":"c2s","data":"A*==","enc":"base64"})")
                                << invalid << QStringLiteral("\"data\" is not valid base64");
    QTest::newRow("unknown encoding") << QByteArray(
        R"({"type":"event","kind":"binary","dir":"c2s","data":"00","enc":"hex"})")
                                      << invalid << QStringLiteral("unknown \"enc\" \"hex\"");
    QTest::newRow("data not a string") << QByteArray(R"({"type":"event","kind":"text","dir":"c2s","data":[1]})")
                                       << invalid << QStringLiteral("\"data\" is not a string");
    QTest::newRow("request without method")
        << QByteArray(R"({"type":"event","kind":"handshake-request","dir":"none","url":"/"})") << invalid
        << QStringLiteral("missing \"method\"");
    QTest::newRow("bad status") << QByteArray(
        R"({"type":"event","kind":"handshake-response","dir":"none","status":42})")
                                << invalid << QStringLiteral("\"status\" is out of range (42)");
    QTest::newRow("headers not a list") << QByteArray(
        R"({"type":"event","kind":"handshake-response","dir":"none","status":101,"headers":"x"})")
                                        << invalid << QStringLiteral("\"headers\" is not a list");
    QTest::newRow("headers bad pair") << QByteArray(
        R"({"type":"event","kind":"handshake-response","dir":"none","status":101,"headers":[["a"]]})")
                                      << invalid
                                      << QStringLiteral("\"headers\" entries must be [name, value] pairs of strings");
    QTest::newRow("connection without id")
        << QByteArray(R"({"type":"connection","role":"client"})") << invalid << QStringLiteral("missing \"id\"");
    QTest::newRow("connection, unknown role") << QByteArray(R"({"type":"connection","id":1,"role":"spy"})") << invalid
                                              << QStringLiteral("unknown role \"spy\"");
    QTest::newRow("header without version") << QByteArray(R"({"type":"session","format":"wsinspector-session"})")
                                            << invalid << QStringLiteral("missing \"version\"");
}

void TestJsonlCodec::badLines()
{
    QFETCH(QByteArray, line);
    QFETCH(jsonl::DecodeStatus, status);
    QFETCH(QString, error);
    jsonl::DecodedLine decoded;
    QString why;
    QCOMPARE(jsonl::decodeLine(line, decoded, &why), status);
    QVERIFY2(why.startsWith(error), qPrintable(why));
}

// What Python's json.dumps and other writers produce: \u escapes, escaped slashes, surrogate pairs.
void TestJsonlCodec::stringEscapesFromOtherWriters_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("escaped slash") << QByteArray(R"(a\/b)") << QByteArray("a/b");
    QTest::newRow("BMP escape") << QByteArray(R"(caf\u00e9 \u65E5)") << QByteArray("caf\xc3\xa9 \xe6\x97\xa5");
    QTest::newRow("surrogate pair") << QByteArray(R"(\ud83d\ude00!)") << QByteArray("\xf0\x9f\x98\x80!");
    QTest::newRow("NUL") << QByteArray(R"(a\u0000b)") << QByteArray("a\0b", 3);
    QTest::newRow("all short escapes") << QByteArray(R"(\"\\\/\b\f\n\r\t)") << QByteArray("\"\\/\b\f\n\r\t");
    // A surrogate half without its partner has no UTF-8 form: it becomes U+FFFD, the rest stays.
    QTest::newRow("lone high surrogate") << QByteArray(R"(a\ud83db)")
                                         << QByteArray("a\xef\xbf\xbd"
                                                       "b");
    QTest::newRow("lone low surrogate") << QByteArray(R"(\ude00)") << QByteArray("\xef\xbf\xbd");
    QTest::newRow("high then not low") << QByteArray(R"(\ud83d\u0041)")
                                       << QByteArray("\xef\xbf\xbd"
                                                     "A");
    QTest::newRow("byte order mark kept") << QByteArray("\xef\xbb\xbfhi") << QByteArray("\xef\xbb\xbfhi");
}

// Other writers may escape key characters; a known key is known however it is spelled.
void TestJsonlCodec::escapedKnownKey()
{
    jsonl::DecodedLine decoded;
    QString error;
    const QByteArray line = R"({"typ\u0065":"event","kind":"text","dir":"s2c","d\u0061ta":"hi"})";
    QCOMPARE(jsonl::decodeLine(line, decoded, &error), jsonl::DecodeStatus::Ok);
    QCOMPARE(decoded.event.payload, QByteArray("hi"));
}

// An unknown key may hold any depth of nesting: validated without recursion, whatever the depth.
void TestJsonlCodec::deepNestingInUnknownKeys()
{
    constexpr int Depth = 100000;
    const QByteArray arrays = QByteArray(Depth, '[') + QByteArray(Depth, ']');
    QByteArray objects;
    for (int i = 0; i < Depth; ++i)
        objects += "{\"a\":";
    objects += "1" + QByteArray(Depth, '}');
    for (const QByteArray& nested : { arrays, objects }) {
        jsonl::DecodedLine decoded;
        QString error;
        const QByteArray line = R"({"type":"event","kind":"text","dir":"s2c","data":"x","future":)" + nested + "}";
        QVERIFY2(jsonl::decodeLine(line, decoded, &error) == jsonl::DecodeStatus::Ok, qPrintable(error));
        QCOMPARE(decoded.event.payload, QByteArray("x"));
        // One bracket short is not JSON.
        QByteArray broken = line;
        broken.remove(broken.size() - 2, 1);
        QCOMPARE(jsonl::decodeLine(broken, decoded, &error), jsonl::DecodeStatus::NotJson);
    }
}

void TestJsonlCodec::notJsonSaysWhere()
{
    jsonl::DecodedLine decoded;
    QString error;
    const QByteArray doubleComma = R"({"type":"event",,"kind":"text"})";
    QCOMPARE(jsonl::decodeLine(doubleComma, decoded, &error), jsonl::DecodeStatus::NotJson);
    QCOMPARE(error, QStringLiteral("not valid JSON (at offset 16)"));
    const QByteArray cut = R"({"type":"ev)";
    QCOMPARE(jsonl::decodeLine(cut, decoded, &error), jsonl::DecodeStatus::NotJson);
    QCOMPARE(error, QStringLiteral("not valid JSON (the line ends too early)"));
}

void TestJsonlCodec::stringEscapesFromOtherWriters()
{
    QFETCH(QByteArray, json);
    QFETCH(QByteArray, bytes);
    jsonl::DecodedLine decoded;
    QString error;
    const QByteArray line = R"({"type":"event","kind":"text","dir":"s2c","data":")" + json + R"("})";
    QCOMPARE(jsonl::decodeLine(line, decoded, &error), jsonl::DecodeStatus::Ok);
    QCOMPARE(decoded.event.payload, bytes);
    QCOMPARE(decoded.event.size, bytes.size());
}

void TestJsonlCodec::jsonEscaper_data()
{
    QTest::addColumn<QByteArray>("utf8");
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QByteArray>("bomEscaped");
    QTest::newRow("plain") << QByteArray("h\xc3\xa9llo \xe2\x82\xac") << QByteArray("h\xc3\xa9llo \xe2\x82\xac")
                           << QByteArray("h\xc3\xa9llo \xe2\x82\xac");
    QTest::newRow("quotes and backslashes")
        << QByteArray("a\"b\\c") << QByteArray("a\\\"b\\\\c") << QByteArray("a\\\"b\\\\c");
    QTest::newRow("control characters") << QByteArray("\n\r\t\b\f\x01\x1f", 7)
                                        << QByteArray("\\n\\r\\t\\b\\f\\u0001\\u001f")
                                        << QByteArray("\\n\\r\\t\\b\\f\\u0001\\u001f");
    QTest::newRow("NUL") << QByteArray("a\0b", 3) << QByteArray("a\\u0000b") << QByteArray("a\\u0000b");
    // Our reader keeps a raw byte order mark; QJsonDocument drops one at the start of a string.
    QTest::newRow("byte order marks") << QByteArray("\xef\xbb\xbfx\xef\xbb\xbf")
                                      << QByteArray("\xef\xbb\xbfx\xef\xbb\xbf") << QByteArray("\\ufeffx\\ufeff");
    QTest::newRow("empty") << QByteArray() << QByteArray() << QByteArray();
}

void TestJsonlCodec::jsonEscaper()
{
    QFETCH(QByteArray, utf8);
    QFETCH(QByteArray, raw);
    QFETCH(QByteArray, bomEscaped);
    QByteArray out = "prefix:";
    jsonl::appendJsonEscaped(out, utf8);
    QCOMPARE(out, "prefix:" + raw);
    out.clear();
    jsonl::appendJsonEscaped(out, utf8, jsonl::ByteOrderMark::Escaped);
    QCOMPARE(out, bomEscaped);
    // Whatever other tools make of it, the escaped form is a JSON string that holds the same text.
    const QJsonDocument doc = QJsonDocument::fromJson("[\"" + bomEscaped + "\"]");
    QVERIFY(doc.isArray());
    // (QString::fromUtf8 would drop the leading mark too; the decoder is told to keep it.)
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::ConvertInitialBom);
    const QString text = decoder(utf8);
    QCOMPARE(doc.array().at(0).toString(), text);
}

namespace {
// The escaping rules byte by byte, as plainly as they can be written: what the word-at-a-time writer must match.
QByteArray referenceEscaped(const QByteArray& utf8, bool escapeBom)
{
    QByteArray out;
    for (qsizetype i = 0; i < utf8.size(); ++i) {
        const auto c = static_cast<unsigned char>(utf8[i]);
        if (escapeBom && utf8.mid(i, 3) == "\xef\xbb\xbf") {
            out += "\\ufeff";
            i += 2;
        } else if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\b') {
            out += "\\b";
        } else if (c == '\f') {
            out += "\\f";
        } else if (c < 0x20) {
            out += "\\u00" + QByteArray::number(c, 16).rightJustified(2, '0');
        } else {
            out += char(c);
        }
    }
    return out;
}
} // namespace

void TestJsonlCodec::jsonEscaperAtEveryPosition()
{
    // Plain text is copied eight bytes at a time: what needs escaping must be found wherever it falls in a word,
    // in a word's last bytes, or in the tail shorter than a word; a byte order mark may straddle two words.
    const QList<QByteArray> specials { QByteArray("\""), QByteArray("\\"), QByteArray("\n"), QByteArray(1, '\0'),
        QByteArray("\x1f"), QByteArray("\xef\xbb\xbf"), QByteArray("\xef\xbc\x81"), QByteArray("\xc3\xa9") };
    for (qsizetype before = 0; before <= 20; ++before) {
        for (qsizetype after : { 0, 1, 6, 7, 8, 9, 17 }) {
            for (const QByteArray& special : specials) {
                const QByteArray text = QByteArray(before, 'a') + special + QByteArray(after, 'b') + special;
                for (const bool escapeBom : { false, true }) {
                    // Into a buffer with room for the worst case (the journal's) and into one without.
                    for (const bool roomy : { false, true }) {
                        QByteArray out = "x";
                        if (roomy)
                            out.reserve(4096);
                        jsonl::appendJsonEscaped(
                            out, text, escapeBom ? jsonl::ByteOrderMark::Escaped : jsonl::ByteOrderMark::Raw);
                        QCOMPARE(out, "x" + referenceEscaped(text, escapeBom));
                    }
                }
            }
        }
    }
}

void TestJsonlCodec::jsonEscaperOnLargeText()
{
    // Longer than the 64 KiB the writer reserves room for at a time, dense with escapes (the worst case is six
    // bytes out for one in), with a byte order mark across the piece boundary; appended to what is there.
    QByteArray text;
    for (int i = 0; text.size() < 200 * 1024; ++i)
        text += "{\"id\":" + QByteArray::number(i) + ",\"s\":\"a\\b\\n\x01\xc3\xa9\"}";
    text.insert(64 * 1024 - 1, "\xef\xbb\xbf");
    text += QByteArray(70 * 1024, '\x02');
    for (const bool escapeBom : { false, true }) {
        for (const bool roomy : { false, true }) {
            QByteArray out = "prefix";
            if (roomy)
                out.reserve(8 * text.size());
            jsonl::appendJsonEscaped(out, text, escapeBom ? jsonl::ByteOrderMark::Escaped : jsonl::ByteOrderMark::Raw);
            QCOMPARE(out.size(), 6 + referenceEscaped(text, escapeBom).size());
            QVERIFY(out == "prefix" + referenceEscaped(text, escapeBom));
            // Without the room, the buffer grows as appending would, not to six times the text.
            if (!roomy)
                QVERIFY(out.capacity() < 2 * out.size() + 64 * 1024);
        }
    }
}

QTEST_GUILESS_MAIN(TestJsonlCodec)
#include "tst_jsonlcodec.moc"
