#include "wire/handshake.h"
#include "wire/httphead.h"

#include <QSet>
#include <QTest>

using namespace wsi;
using namespace wsi::handshake;

namespace {

constexpr QByteArrayView RfcKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr QByteArrayView RfcAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// Parses a head written as lines, the way it would arrive from a socket.
HttpHead head(const QList<QByteArray>& lines)
{
    QByteArray raw;
    for (const QByteArray& line : lines)
        raw += line + "\r\n";
    raw += "\r\n";
    HttpHead out;
    const HttpHead::ParseResult r = HttpHead::parse(raw, out);
    if (r.status != HttpHead::ParseStatus::Complete)
        qFatal("test head does not parse: %s", r.error.constData());
    return out;
}

QList<QByteArray> validRequestLines()
{
    return {
        "GET /chat HTTP/1.1",
        "Host: server.example.com",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Origin: http://example.com",
        "Sec-WebSocket-Protocol: chat, superchat",
        "Sec-WebSocket-Version: 13",
    };
}

// The valid request with the header called `name` (any case) replaced by `line`, or removed when empty.
QList<QByteArray> requestWith(QByteArrayView name, const QByteArray& line)
{
    QList<QByteArray> lines = validRequestLines();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        if (lines[i].startsWith(QByteArray(name.toByteArray() + ':'))) {
            if (line.isEmpty())
                lines.removeAt(i);
            else
                lines[i] = line;
            return lines;
        }
    }
    qFatal("no header %s in the valid request", name.toByteArray().constData());
    return lines;
}

QList<QByteArray> goodResponseLines()
{
    return {
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
    };
}

} // namespace

class TestHandshake : public QObject
{
    Q_OBJECT

private slots:
    void acceptKeyRfcExample();
    void newKeyIsFreshBase64Of16Bytes();

    void buildRequest_data();
    void buildRequest();

    void checkRequest_data();
    void checkRequest();

    void buildResponse_data();
    void buildResponse();
    void errorResponse();

    void checkResponse_data();
    void checkResponse();
    void clientServerRoundTrip();
};

void TestHandshake::acceptKeyRfcExample()
{
    QCOMPARE(acceptKey(RfcKey), RfcAccept.toByteArray());
}

void TestHandshake::newKeyIsFreshBase64Of16Bytes()
{
    QSet<QByteArray> seen;
    for (int i = 0; i < 100; ++i) {
        const QByteArray key = newKey();
        QCOMPARE(key.size(), 24);
        const auto decoded = QByteArray::fromBase64Encoding(key, QByteArray::AbortOnBase64DecodingErrors);
        QVERIFY(decoded);
        QCOMPARE(decoded.decoded.size(), 16);
        QVERIFY2(!seen.contains(key), "newKey() repeated itself");
        seen.insert(key);
    }
    // And what we generate, our own server accepts.
    HttpHead request = handshake::buildRequest({ QUrl(QStringLiteral("ws://localhost/")), {}, {}, {}, newKey() });
    QVERIFY(handshake::checkRequest(request).ok);
}

void TestHandshake::buildRequest_data()
{
    QTest::addColumn<QUrl>("url");
    QTest::addColumn<QString>("origin");
    QTest::addColumn<QStringList>("subprotocols");
    QTest::addColumn<HttpHeaders>("extra");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("host");
    QTest::addColumn<HttpHeaders>("after"); // headers expected after the five standard ones

    const QStringList none;
    const HttpHeaders noHeaders;
    auto url = [](const char* s) { return QUrl(QString::fromLatin1(s)); };

    QTest::newRow("plain") << url("ws://example.com/chat") << QString() << none << noHeaders << QByteArray("/chat")
                           << QByteArray("example.com") << noHeaders;
    QTest::newRow("no path") << url("ws://example.com") << QString() << none << noHeaders << QByteArray("/")
                             << QByteArray("example.com") << noHeaders;
    QTest::newRow("path and query") << url("ws://example.com/a/b?x=1&y=%20z") << QString() << none << noHeaders
                                    << QByteArray("/a/b?x=1&y=%20z") << QByteArray("example.com") << noHeaders;
    QTest::newRow("query only") << url("ws://example.com?token=abc") << QString() << none << noHeaders
                                << QByteArray("/?token=abc") << QByteArray("example.com") << noHeaders;
    QTest::newRow("space in path") << url("ws://example.com/a b") << QString() << none << noHeaders
                                   << QByteArray("/a%20b") << QByteArray("example.com") << noHeaders;
    QTest::newRow("explicit default port ws") << url("ws://example.com:80/") << QString() << none << noHeaders
                                              << QByteArray("/") << QByteArray("example.com") << noHeaders;
    QTest::newRow("explicit default port wss") << url("wss://example.com:443/") << QString() << none << noHeaders
                                               << QByteArray("/") << QByteArray("example.com") << noHeaders;
    QTest::newRow("non-default port") << url("ws://127.0.0.1:8765/") << QString() << none << noHeaders
                                      << QByteArray("/") << QByteArray("127.0.0.1:8765") << noHeaders;
    QTest::newRow("wss on port 80") << url("wss://example.com:80/") << QString() << none << noHeaders << QByteArray("/")
                                    << QByteArray("example.com:80") << noHeaders;
    QTest::newRow("ws on port 443") << url("ws://example.com:443/") << QString() << none << noHeaders << QByteArray("/")
                                    << QByteArray("example.com:443") << noHeaders;
    QTest::newRow("IPv6") << url("ws://[::1]/") << QString() << none << noHeaders << QByteArray("/")
                          << QByteArray("[::1]") << noHeaders;
    QTest::newRow("IPv6 with port") << url("ws://[::1]:9001/x") << QString() << none << noHeaders << QByteArray("/x")
                                    << QByteArray("[::1]:9001") << noHeaders;
    QTest::newRow("IPv6 long form") << url("wss://[2001:db8::7]:8443/") << QString() << none << noHeaders
                                    << QByteArray("/") << QByteArray("[2001:db8::7]:8443") << noHeaders;
    QTest::newRow("origin") << url("ws://h/") << QStringLiteral("http://localhost:3000") << none << noHeaders
                            << QByteArray("/") << QByteArray("h")
                            << HttpHeaders { { "Origin", "http://localhost:3000" } };
    QTest::newRow("one subprotocol") << url("ws://h/") << QString() << QStringList { QStringLiteral("chat") }
                                     << noHeaders << QByteArray("/") << QByteArray("h")
                                     << HttpHeaders { { "Sec-WebSocket-Protocol", "chat" } };
    QTest::newRow("subprotocols") << url("ws://h/") << QString()
                                  << QStringList { QStringLiteral("chat"), QStringLiteral("superchat") } << noHeaders
                                  << QByteArray("/") << QByteArray("h")
                                  << HttpHeaders { { "Sec-WebSocket-Protocol", "chat, superchat" } };
    const HttpHeaders extra { { "X-Token", "abc" }, { "Cookie", "a=1" }, { "X-Token", "second" } };
    QTest::newRow("extra headers after the standard ones, in order")
        << url("ws://h:1/") << QStringLiteral("https://o") << QStringList { QStringLiteral("v1") } << extra
        << QByteArray("/") << QByteArray("h:1")
        << HttpHeaders { { "Origin", "https://o" }, { "Sec-WebSocket-Protocol", "v1" } } + extra;
}

void TestHandshake::buildRequest()
{
    QFETCH(QUrl, url);
    QFETCH(QString, origin);
    QFETCH(QStringList, subprotocols);
    QFETCH(HttpHeaders, extra);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, host);
    QFETCH(HttpHeaders, after);

    QVERIFY(url.isValid());
    const QByteArray key = RfcKey.toByteArray();
    const HttpHead h = handshake::buildRequest({ url, extra, subprotocols, origin, key });
    QCOMPARE(h.method, QByteArray("GET"));
    QCOMPARE(h.target, target);
    QCOMPARE(h.version, QByteArray("HTTP/1.1"));
    const HttpHeaders expected = HttpHeaders {
        { "Host", host },
        { "Upgrade", "websocket" },
        { "Connection", "Upgrade" },
        { "Sec-WebSocket-Key", key },
        { "Sec-WebSocket-Version", "13" },
    } + after;
    QCOMPARE(h.headers, expected);
    QVERIFY(h.toBytes().startsWith(QByteArray("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\n")));
    // Whatever we build, a server following the RFC accepts.
    QVERIFY(handshake::checkRequest(h).ok);
}

void TestHandshake::checkRequest_data()
{
    QTest::addColumn<QList<QByteArray>>("lines");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<int>("status");

    QTest::newRow("RFC 6455 example") << validRequestLines() << true << 101;
    QTest::newRow("minimal") << QList<QByteArray> { "GET / HTTP/1.1", "Host: h", "Upgrade: websocket",
        "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13" }
                             << true << 101;
    QTest::newRow("lower-case names and values")
        << QList<QByteArray> { "GET /chat HTTP/1.1", "host: h", "upgrade: WebSocket", "connection: upgrade",
               "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==", "SEC-WEBSOCKET-VERSION: 13" }
        << true << 101;
    QTest::newRow("Connection token list")
        << requestWith("Connection", "Connection: keep-alive, Upgrade") << true << 101;
    QTest::newRow("Connection token list, no spaces")
        << requestWith("Connection", "Connection: keep-alive,upgrade") << true << 101;
    QTest::newRow("Upgrade token list") << requestWith("Upgrade", "Upgrade: foo/1, websocket") << true << 101;
    QList<QByteArray> twoConnectionLines = requestWith("Connection", "Connection: keep-alive");
    twoConnectionLines.append("Connection: Upgrade");
    QTest::newRow("Connection split over two lines") << twoConnectionLines << true << 101;

    QList<QByteArray> post = validRequestLines();
    post[0] = "POST /chat HTTP/1.1";
    QTest::newRow("POST") << post << false << 405;
    QList<QByteArray> http10 = validRequestLines();
    http10[0] = "GET /chat HTTP/1.0";
    QTest::newRow("HTTP/1.0") << http10 << false << 400;
    QList<QByteArray> http12 = validRequestLines();
    http12[0] = "GET /chat HTTP/1.2";
    QTest::newRow("HTTP/1.2 is later than 1.1") << http12 << true << 101;
    QList<QByteArray> garbledVersion = validRequestLines();
    garbledVersion[0] = "GET /chat HTTP/one";
    QTest::newRow("garbled version") << garbledVersion << false << 400;
    QTest::newRow("no Upgrade") << requestWith("Upgrade", {}) << false << 426;
    QTest::newRow("Upgrade: h2c") << requestWith("Upgrade", "Upgrade: h2c") << false << 426;
    QTest::newRow("no Connection") << requestWith("Connection", {}) << false << 400;
    QTest::newRow("Connection: keep-alive only") << requestWith("Connection", "Connection: keep-alive") << false << 400;
    QTest::newRow("Connection: upgraded (not the token)")
        << requestWith("Connection", "Connection: upgraded") << false << 400;
    QTest::newRow("no Host") << requestWith("Host", {}) << false << 400;
    QTest::newRow("version 8") << requestWith("Sec-WebSocket-Version", "Sec-WebSocket-Version: 8") << false << 426;
    QTest::newRow("no version") << requestWith("Sec-WebSocket-Version", {}) << false << 426;
    QTest::newRow("no key") << requestWith("Sec-WebSocket-Key", {}) << false << 400;
    QTest::newRow("short key") << requestWith("Sec-WebSocket-Key", "Sec-WebSocket-Key: c2hvcnQ=") << false << 400;
    QTest::newRow("key of 17 bytes") << requestWith("Sec-WebSocket-Key", "Sec-WebSocket-Key: MDEyMzQ1Njc4OWFiY2RlZmc=")
                                     << false << 400;
    // 24 characters that a lenient decoder would still turn into 16 bytes.
    QTest::newRow("key with a stray character")
        << requestWith("Sec-WebSocket-Key", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j*Q==") << false << 400;
    QTest::newRow("key not base64") << requestWith("Sec-WebSocket-Key", "Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!==")
                                    << false << 400;
}

void TestHandshake::checkRequest()
{
    QFETCH(QList<QByteArray>, lines);
    QFETCH(bool, ok);
    QFETCH(int, status);

    const Verdict v = handshake::checkRequest(head(lines));
    QVERIFY2(v.ok == ok, v.reason.constData());
    QCOMPARE(v.status, status);
    QCOMPARE(v.reason.isEmpty(), ok); // a refusal always says why
}

void TestHandshake::buildResponse_data()
{
    QTest::addColumn<QList<QByteArray>>("protocolLines");
    QTest::addColumn<QStringList>("accepted");
    QTest::addColumn<QByteArray>("chosen");

    const QStringList none;
    QTest::newRow("nothing offered") << QList<QByteArray>() << QStringList { QStringLiteral("chat") } << QByteArray();
    QTest::newRow("offered, none accepted")
        << QList<QByteArray> { "Sec-WebSocket-Protocol: chat" } << none << QByteArray();
    QTest::newRow("offered, other accepted") << QList<QByteArray> { "Sec-WebSocket-Protocol: chat" }
                                             << QStringList { QStringLiteral("mqtt") } << QByteArray();
    // The client lists its preference; the server takes the first offer it speaks, not its own favourite.
    QTest::newRow("client order wins") << QList<QByteArray> { "Sec-WebSocket-Protocol: chat, superchat" }
                                       << QStringList { QStringLiteral("superchat"), QStringLiteral("chat") }
                                       << QByteArray("chat");
    QTest::newRow("second offer") << QList<QByteArray> { "Sec-WebSocket-Protocol: chat, superchat" }
                                  << QStringList { QStringLiteral("superchat") } << QByteArray("superchat");
    QTest::newRow("offers over two lines")
        << QList<QByteArray> { "Sec-WebSocket-Protocol: a", "sec-websocket-protocol: b , c" }
        << QStringList { QStringLiteral("c"), QStringLiteral("b") } << QByteArray("b");
}

void TestHandshake::buildResponse()
{
    QFETCH(QList<QByteArray>, protocolLines);
    QFETCH(QStringList, accepted);
    QFETCH(QByteArray, chosen);

    const HttpHead request = head(requestWith("Sec-WebSocket-Protocol", {}) + protocolLines);
    QVERIFY(handshake::checkRequest(request).ok);
    QByteArray picked("untouched");
    const HttpHead response = handshake::buildResponse(request, accepted, &picked);
    QCOMPARE(response.status, 101);
    QCOMPARE(response.reason, QByteArray("Switching Protocols"));
    QVERIFY(!response.isRequest());
    HttpHeaders expected {
        { "Upgrade", "websocket" },
        { "Connection", "Upgrade" },
        { "Sec-WebSocket-Accept", RfcAccept.toByteArray() },
    };
    if (!chosen.isEmpty())
        expected.append({ "Sec-WebSocket-Protocol", chosen });
    QCOMPARE(response.headers, expected);
    QCOMPARE(picked, chosen.isEmpty() ? QByteArray("untouched") : chosen);
    QVERIFY(handshake::buildResponse(request, accepted, nullptr).status == 101); // no out parameter is fine
}

void TestHandshake::errorResponse()
{
    const QByteArray body("only version 13 is spoken\n");
    const QByteArray raw
        = handshake::errorResponse(426, reasonPhrase(426), body, { { "Sec-WebSocket-Version", "13" } });
    QVERIFY(raw.startsWith("HTTP/1.1 426 Upgrade Required\r\n"));
    QVERIFY(raw.endsWith(QByteArray("\r\n\r\n" + body)));
    HttpHead parsed;
    const HttpHead::ParseResult r = HttpHead::parse(raw, parsed);
    QCOMPARE(r.status, HttpHead::ParseStatus::Complete);
    QCOMPARE(raw.size() - r.consumed, body.size());
    QCOMPARE(parsed.status, 426);
    QCOMPARE(parsed.header("content-length"), QByteArray::number(body.size()));
    QCOMPARE(parsed.header("Connection"), QByteArray("close"));
    QCOMPARE(parsed.header("Sec-WebSocket-Version"), QByteArray("13"));
    QVERIFY(parsed.header("Content-Type").startsWith("text/plain"));

    QCOMPARE(reasonPhrase(400), QByteArray("Bad Request"));
    QCOMPARE(reasonPhrase(405), QByteArray("Method Not Allowed"));
    QVERIFY(!reasonPhrase(599).isEmpty());
}

void TestHandshake::checkResponse_data()
{
    QTest::addColumn<QList<QByteArray>>("lines");
    QTest::addColumn<QStringList>("offered");
    QTest::addColumn<bool>("ok");
    QTest::addColumn<QByteArray>("reasonMentions");

    const QStringList none;
    const QStringList chat { QStringLiteral("chat"), QStringLiteral("superchat") };
    QTest::newRow("good") << goodResponseLines() << none << true << QByteArray();
    QTest::newRow("good, any case") << QList<QByteArray> { "HTTP/1.1 101 Switching Protocols", "upgrade: WebSocket",
        "connection: upgrade", "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" }
                                    << none << true << QByteArray();
    QTest::newRow("good, subprotocol chosen")
        << goodResponseLines() + QList<QByteArray> { "Sec-WebSocket-Protocol: chat" } << chat << true << QByteArray();
    QTest::newRow("good, none chosen of those offered") << goodResponseLines() << chat << true << QByteArray();

    QTest::newRow("200 instead of 101") << QList<QByteArray> { "HTTP/1.1 200 OK", "Content-Length: 0" } << none << false
                                        << QByteArray("200");
    QTest::newRow("404") << QList<QByteArray> { "HTTP/1.1 404 Not Found" } << none << false << QByteArray("404");
    QTest::newRow("426") << QList<QByteArray> { "HTTP/1.1 426 Upgrade Required", "Sec-WebSocket-Version: 13" } << none
                         << false << QByteArray("426");
    QList<QByteArray> badAccept = goodResponseLines();
    badAccept[3] = "Sec-WebSocket-Accept: " + acceptKey("AQIDBAUGBwgJCgsMDQ4PEA==");
    QTest::newRow("accept for another key") << badAccept << none << false << QByteArray("Accept");
    QList<QByteArray> noAccept = goodResponseLines();
    noAccept.removeAt(3);
    QTest::newRow("no accept") << noAccept << none << false << QByteArray("Accept");
    QList<QByteArray> noUpgrade = goodResponseLines();
    noUpgrade.removeAt(1);
    QTest::newRow("no Upgrade") << noUpgrade << none << false << QByteArray("Upgrade");
    QList<QByteArray> noConnection = goodResponseLines();
    noConnection.removeAt(2);
    QTest::newRow("no Connection") << noConnection << none << false << QByteArray("Connection");
    QTest::newRow("unoffered subprotocol") << goodResponseLines() + QList<QByteArray> { "Sec-WebSocket-Protocol: mqtt" }
                                           << chat << false << QByteArray("subprotocol");
    QTest::newRow("subprotocol when none offered")
        << goodResponseLines() + QList<QByteArray> { "Sec-WebSocket-Protocol: chat" } << none << false
        << QByteArray("subprotocol");
    QTest::newRow("two subprotocols") << goodResponseLines()
            + QList<QByteArray> { "Sec-WebSocket-Protocol: chat, superchat" }
                                      << chat << false << QByteArray("subprotocol");
    QTest::newRow("extension not offered")
        << goodResponseLines() + QList<QByteArray> { "Sec-WebSocket-Extensions: permessage-deflate" } << none << false
        << QByteArray("extension");
}

void TestHandshake::checkResponse()
{
    QFETCH(QList<QByteArray>, lines);
    QFETCH(QStringList, offered);
    QFETCH(bool, ok);
    QFETCH(QByteArray, reasonMentions);

    const Verdict v = handshake::checkResponse(head(lines), RfcKey, offered);
    QVERIFY2(v.ok == ok, v.reason.constData());
    if (!ok) {
        QVERIFY2(v.reason.contains(reasonMentions), v.reason.constData());
    } else {
        QCOMPARE(v.status, 101);
    }

    // A request is no answer at all.
    QVERIFY(!handshake::checkResponse(head(validRequestLines()), RfcKey, offered).ok);
}

void TestHandshake::clientServerRoundTrip()
{
    // Client builds, server checks and answers, client checks the answer: the whole upgrade in memory.
    const QByteArray key = newKey();
    const QStringList offered { QStringLiteral("v2.chat"), QStringLiteral("v1.chat") };
    const HttpHead request = handshake::buildRequest({ QUrl(QStringLiteral("ws://[::1]:8765/room?id=7")),
        { { "X-Trace", "1" } }, offered, QStringLiteral("http://localhost"), key });
    HttpHead onServer;
    QCOMPARE(HttpHead::parse(request.toBytes(), onServer).status, HttpHead::ParseStatus::Complete);
    QVERIFY(handshake::checkRequest(onServer).ok);
    QByteArray chosen;
    const HttpHead response = handshake::buildResponse(onServer, { QStringLiteral("v1.chat") }, &chosen);
    QCOMPARE(chosen, QByteArray("v1.chat"));
    HttpHead onClient;
    QCOMPARE(HttpHead::parse(response.toBytes(), onClient).status, HttpHead::ParseStatus::Complete);
    const Verdict v = handshake::checkResponse(onClient, key, offered);
    QVERIFY2(v.ok, v.reason.constData());
}

QTEST_GUILESS_MAIN(TestHandshake)
#include "tst_handshake.moc"
