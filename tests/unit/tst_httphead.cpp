#include "wire/httphead.h"

#include <QTest>

using namespace wsi;

Q_DECLARE_METATYPE(wsi::HttpHead::ParseStatus)

namespace {

const QByteArray request = "GET /chat?room=1 HTTP/1.1\r\n"
                           "Host: 127.0.0.1:8765\r\n"
                           "upgrade: websocket\r\n"
                           "CONNECTION: keep-alive, Upgrade\r\n"
                           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           "Sec-WebSocket-Version: 13\r\n"
                           "X-Dup: one\r\n"
                           "x-dup: two\r\n"
                           "\r\n";

const QByteArray response = "HTTP/1.1 101 Switching Protocols\r\n"
                            "Upgrade: websocket\r\n"
                            "Connection: Upgrade\r\n"
                            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                            "\r\n";

QByteArray headWithHeaders(int count)
{
    QByteArray out = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < count; ++i)
        out += "X-Header-" + QByteArray::number(i) + ": v\r\n";
    return out + "\r\n";
}

} // namespace

class TestHttpHead : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesRequest();
    void parsesResponse_data();
    void parsesResponse();
    void lineEnds_data();
    void lineEnds();
    void stopsAtTheBlankLine();
    void incomplete_data();
    void incomplete();
    void malformed_data();
    void malformed();
    void headSizeLimit_data();
    void headSizeLimit();
    void headerCountLimit_data();
    void headerCountLimit();
    void headerLookup();
    void headerContainsToken_data();
    void headerContainsToken();
    void toBytesRoundTrip_data();
    void toBytesRoundTrip();
    void extraHeaderProblem_data();
    void extraHeaderProblem();
};

void TestHttpHead::parsesRequest()
{
    HttpHead head;
    const auto result = HttpHead::parse(request, head);
    QCOMPARE(result.status, HttpHead::ParseStatus::Complete);
    QCOMPARE(result.consumed, request.size());
    QVERIFY(result.error.isEmpty());
    QVERIFY(head.isRequest());
    QCOMPARE(head.method, QByteArray("GET"));
    QCOMPARE(head.target, QByteArray("/chat?room=1"));
    QCOMPARE(head.version, QByteArray("HTTP/1.1"));
    QCOMPARE(head.status, 0);
    // Order, duplicates and the spelling of names are kept as they were on the wire.
    const HttpHeaders expected { { "Host", "127.0.0.1:8765" }, { "upgrade", "websocket" },
        { "CONNECTION", "keep-alive, Upgrade" }, { "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==" },
        { "Sec-WebSocket-Version", "13" }, { "X-Dup", "one" }, { "x-dup", "two" } };
    QCOMPARE(head.headers, expected);
}

void TestHttpHead::parsesResponse_data()
{
    QTest::addColumn<QByteArray>("startLine");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("reason");
    QTest::addColumn<QByteArray>("version");
    QTest::newRow("101") << QByteArray("HTTP/1.1 101 Switching Protocols") << 101 << QByteArray("Switching Protocols")
                         << QByteArray("HTTP/1.1");
    QTest::newRow("no reason") << QByteArray("HTTP/1.1 101") << 101 << QByteArray() << QByteArray("HTTP/1.1");
    QTest::newRow("empty reason") << QByteArray("HTTP/1.1 400 ") << 400 << QByteArray() << QByteArray("HTTP/1.1");
    QTest::newRow("HTTP/1.0") << QByteArray("HTTP/1.0 403 Forbidden here") << 403 << QByteArray("Forbidden here")
                              << QByteArray("HTTP/1.0");
}

void TestHttpHead::parsesResponse()
{
    QFETCH(QByteArray, startLine);
    QFETCH(int, status);
    QFETCH(QByteArray, reason);
    QFETCH(QByteArray, version);
    HttpHead head;
    const QByteArray data = startLine + "\r\nUpgrade: websocket\r\n\r\n";
    const auto result = HttpHead::parse(data, head);
    QCOMPARE(result.status, HttpHead::ParseStatus::Complete);
    QCOMPARE(result.consumed, data.size());
    QVERIFY(!head.isRequest());
    QCOMPARE(head.status, status);
    QCOMPARE(head.reason, reason);
    QCOMPARE(head.version, version);
    QCOMPARE(head.headers, (HttpHeaders { { "Upgrade", "websocket" } }));
}

void TestHttpHead::lineEnds_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::newRow("CRLF") << request;
    QByteArray lf = request;
    lf.replace("\r\n", "\n");
    QTest::newRow("LF") << lf;
    QByteArray mixed = request;
    mixed.replace("Host: 127.0.0.1:8765\r\n", "Host: 127.0.0.1:8765\n");
    mixed.chop(2);
    mixed += "\n";
    QTest::newRow("mixed") << mixed;
}

void TestHttpHead::lineEnds()
{
    QFETCH(QByteArray, data);
    HttpHead head;
    const auto result = HttpHead::parse(data, head);
    QCOMPARE(result.status, HttpHead::ParseStatus::Complete);
    QCOMPARE(result.consumed, data.size());
    HttpHead canonical;
    QCOMPARE(HttpHead::parse(request, canonical).status, HttpHead::ParseStatus::Complete);
    QCOMPARE(head.headers, canonical.headers);
    QCOMPARE(head.toBytes(), request);
}

void TestHttpHead::stopsAtTheBlankLine()
{
    // The first frame may arrive in the same packet as the head; it is not the head's business.
    const QByteArray frame("\x81\x05hello\r\n\r\n", 11);
    HttpHead head;
    const auto result = HttpHead::parse(QByteArray(response + frame), head);
    QCOMPARE(result.status, HttpHead::ParseStatus::Complete);
    QCOMPARE(result.consumed, response.size());
    QCOMPARE(head.headers.size(), 3);

    // Even a body larger than the head limit does not matter once the head is complete.
    const QByteArray body(64 * 1024, 'b');
    QCOMPARE(HttpHead::parse(QByteArray(response + body), head).status, HttpHead::ParseStatus::Complete);
}

void TestHttpHead::incomplete_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::newRow("nothing") << QByteArray();
    QTest::newRow("half a start line") << QByteArray("GET /ch");
    QTest::newRow("start line only") << QByteArray("GET / HTTP/1.1\r\n");
    QTest::newRow("no blank line") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\n");
    QTest::newRow("half the blank line") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\n\r");
    QTest::newRow("response, half a header") << QByteArray("HTTP/1.1 101 OK\r\nUpgr");
    for (qsizetype n = 1; n < request.size(); n += 23)
        QTest::addRow("request cut at %lld", qint64(n)) << request.left(n);
}

void TestHttpHead::incomplete()
{
    QFETCH(QByteArray, data);
    HttpHead head;
    head.method = "untouched";
    const auto result = HttpHead::parse(data, head);
    QCOMPARE(result.status, HttpHead::ParseStatus::Incomplete);
    QCOMPARE(result.consumed, 0);
    QCOMPARE(head.method, QByteArray("untouched"));
}

void TestHttpHead::malformed_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::newRow("empty start line") << QByteArray("\r\nHost: a\r\n\r\n");
    QTest::newRow("request line, two parts") << QByteArray("GET /\r\n\r\n");
    QTest::newRow("request line, four parts") << QByteArray("GET / HTTP/1.1 extra\r\n\r\n");
    QTest::newRow("request line, double space") << QByteArray("GET  / HTTP/1.1\r\n\r\n");
    QTest::newRow("method not a token") << QByteArray("G(T / HTTP/1.1\r\n\r\n");
    QTest::newRow("not HTTP") << QByteArray("GET / FTP/1.0\r\n\r\n");
    QTest::newRow("status line alone") << QByteArray("HTTP/1.1\r\n\r\n");
    QTest::newRow("status with a letter") << QByteArray("HTTP/1.1 1O1 OK\r\n\r\n");
    QTest::newRow("status two digits") << QByteArray("HTTP/1.1 99 OK\r\n\r\n");
    QTest::newRow("status four digits") << QByteArray("HTTP/1.1 1010 OK\r\n\r\n");
    QTest::newRow("status below 100") << QByteArray("HTTP/1.1 042 OK\r\n\r\n");
    QTest::newRow("header without colon") << QByteArray("GET / HTTP/1.1\r\nHost a\r\n\r\n");
    QTest::newRow("header without name") << QByteArray("GET / HTTP/1.1\r\n: a\r\n\r\n");
    QTest::newRow("space in name") << QByteArray("GET / HTTP/1.1\r\nBad Name: a\r\n\r\n");
    QTest::newRow("space before colon") << QByteArray("GET / HTTP/1.1\r\nHost : a\r\n\r\n");
    QTest::newRow("folded header") << QByteArray("GET / HTTP/1.1\r\nX: a\r\n  continued\r\n\r\n");
    QTest::newRow("control character") << QByteArray("GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n");
    QTest::newRow("DEL") << QByteArray("GET / HTTP/1.1\r\nX: a\x7fz\r\n\r\n");
    QTest::newRow("NUL") << QByteArray("GET / HTTP/1.1\r\nX: a\0z\r\n\r\n", 27);
}

void TestHttpHead::malformed()
{
    QFETCH(QByteArray, data);
    HttpHead head;
    const auto result = HttpHead::parse(data, head);
    QCOMPARE(result.status, HttpHead::ParseStatus::Invalid);
    QVERIFY(!result.error.isEmpty());
}

void TestHttpHead::headSizeLimit_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<HttpHead::ParseStatus>("status");
    constexpr int limit = 16 * 1024;
    auto headOfSize = [](qsizetype size) {
        QByteArray head = "GET / HTTP/1.1\r\nX-Pad: ";
        head += QByteArray(size - head.size() - 4, 'p');
        head += "\r\n\r\n";
        return head;
    };
    QTest::newRow("exactly 16 KiB") << headOfSize(limit) << HttpHead::ParseStatus::Complete;
    QTest::newRow("16 KiB + 1") << headOfSize(limit + 1) << HttpHead::ParseStatus::Invalid;
    QTest::newRow("100 KiB") << headOfSize(100 * 1024) << HttpHead::ParseStatus::Invalid;
    // Waiting for the rest of a head that is already too big would let a peer hold memory forever.
    QTest::newRow("17 KiB, unfinished") << headOfSize(17 * 1024).chopped(4) << HttpHead::ParseStatus::Invalid;
    QTest::newRow("15 KiB, unfinished") << headOfSize(15 * 1024).chopped(4) << HttpHead::ParseStatus::Incomplete;
}

void TestHttpHead::headSizeLimit()
{
    QFETCH(QByteArray, data);
    QFETCH(HttpHead::ParseStatus, status);
    HttpHead head;
    QCOMPARE(HttpHead::parse(data, head).status, status);
}

void TestHttpHead::headerCountLimit_data()
{
    QTest::addColumn<int>("headers");
    QTest::addColumn<int>("maxHeaders");
    QTest::addColumn<HttpHead::ParseStatus>("status");
    QTest::newRow("100 of 100") << 100 << 100 << HttpHead::ParseStatus::Complete;
    QTest::newRow("101 of 100") << 101 << 100 << HttpHead::ParseStatus::Invalid;
    QTest::newRow("500 of 100") << 500 << 100 << HttpHead::ParseStatus::Invalid;
    QTest::newRow("2 of 2") << 2 << 2 << HttpHead::ParseStatus::Complete;
    QTest::newRow("3 of 2") << 3 << 2 << HttpHead::ParseStatus::Invalid;
}

void TestHttpHead::headerCountLimit()
{
    QFETCH(int, headers);
    QFETCH(int, maxHeaders);
    QFETCH(HttpHead::ParseStatus, status);
    HttpHead head;
    HttpHead::Limits limits;
    limits.maxHeaders = maxHeaders;
    const auto result = HttpHead::parse(headWithHeaders(headers), head, limits);
    QCOMPARE(result.status, status);
    if (status == HttpHead::ParseStatus::Complete)
        QCOMPARE(head.headers.size(), headers);
}

void TestHttpHead::headerLookup()
{
    HttpHead head;
    QCOMPARE(HttpHead::parse("GET / HTTP/1.1\r\nX-Dup: one\r\nx-dup: two\r\nSpaced:   a b \t\r\nEmpty:\r\n\r\n", head)
                 .status,
        HttpHead::ParseStatus::Complete);
    QCOMPARE(head.header("x-DUP"), QByteArray("one")); // the first, by any spelling
    QCOMPARE(head.header("Spaced"), QByteArray("a b")); // surrounding blanks are not part of the value
    QVERIFY(head.hasHeader("EMPTY"));
    QVERIFY(head.header("Empty").isEmpty());
    QVERIFY(!head.hasHeader("Missing"));
    QVERIFY(head.header("Missing").isEmpty());
}

void TestHttpHead::headerContainsToken_data()
{
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<bool>("contains");
    QTest::newRow("single") << QByteArray("Connection: Upgrade") << QByteArray("Connection") << QByteArray("upgrade")
                            << true;
    QTest::newRow("list") << QByteArray("Connection: keep-alive, Upgrade") << QByteArray("connection")
                          << QByteArray("Upgrade") << true;
    QTest::newRow("no spaces") << QByteArray("Connection: keep-alive,UPGRADE") << QByteArray("CONNECTION")
                               << QByteArray("upgrade") << true;
    QTest::newRow("second header") << QByteArray("Connection: keep-alive\r\nconnection: upgrade")
                                   << QByteArray("Connection") << QByteArray("Upgrade") << true;
    QTest::newRow("only a prefix") << QByteArray("Connection: Upgrade2, keep-alive") << QByteArray("Connection")
                                   << QByteArray("Upgrade") << false;
    QTest::newRow("inside a word") << QByteArray("Connection: noUpgrade") << QByteArray("Connection")
                                   << QByteArray("Upgrade") << false;
    QTest::newRow("other header") << QByteArray("Upgrade: websocket") << QByteArray("Connection")
                                  << QByteArray("websocket") << false;
    QTest::newRow("absent") << QByteArray("Host: x") << QByteArray("Connection") << QByteArray("Upgrade") << false;
}

void TestHttpHead::headerContainsToken()
{
    QFETCH(QByteArray, headers);
    QFETCH(QByteArray, name);
    QFETCH(QByteArray, token);
    QFETCH(bool, contains);
    HttpHead head;
    QCOMPARE(HttpHead::parse(QByteArray("GET / HTTP/1.1\r\n" + headers + "\r\n\r\n"), head).status,
        HttpHead::ParseStatus::Complete);
    QCOMPARE(head.headerContainsToken(name, token), contains);
}

void TestHttpHead::toBytesRoundTrip_data()
{
    QTest::addColumn<QByteArray>("data");
    QTest::newRow("request") << request;
    QTest::newRow("response") << response;
    QTest::newRow("response without headers") << QByteArray("HTTP/1.1 404 Not Found\r\n\r\n");
    QTest::newRow("request without headers") << QByteArray("OPTIONS * HTTP/1.0\r\n\r\n");
}

void TestHttpHead::toBytesRoundTrip()
{
    QFETCH(QByteArray, data);
    HttpHead head;
    QCOMPARE(HttpHead::parse(data, head).status, HttpHead::ParseStatus::Complete);
    QCOMPARE(head.toBytes(), data);

    HttpHead again;
    QCOMPARE(HttpHead::parse(head.toBytes(), again).status, HttpHead::ParseStatus::Complete);
    QCOMPARE(again.method, head.method);
    QCOMPARE(again.target, head.target);
    QCOMPARE(again.status, head.status);
    QCOMPARE(again.reason, head.reason);
    QCOMPARE(again.version, head.version);
    QCOMPARE(again.headers, head.headers);
}

void TestHttpHead::extraHeaderProblem_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("needle"); // empty: the header is fine

    QTest::newRow("plain") << QStringLiteral("X-Token") << QStringLiteral("abc") << QString();
    QTest::newRow("empty value") << QStringLiteral("X-Empty") << QString() << QString();
    QTest::newRow("tab and UTF-8 in the value") << QStringLiteral("X-A") << QStringLiteral("a\tb \u2713") << QString();
    QTest::newRow("Authorization") << QStringLiteral("authorization") << QStringLiteral("Bearer x") << QString();
    QTest::newRow("Cookie") << QStringLiteral("Cookie") << QStringLiteral("a=b") << QString();
    QTest::newRow("no name") << QString() << QStringLiteral("x") << QStringLiteral("no name");
    QTest::newRow("name with a space") << QStringLiteral("Bad Name") << QStringLiteral("x")
                                       << QStringLiteral("\u201cBad Name\u201d is not a valid header name");
    QTest::newRow("name with a bracket") << QStringLiteral("X[1]") << QStringLiteral("x")
                                         << QStringLiteral("not a valid header name");
    QTest::newRow("name with non-ASCII") << QStringLiteral("X-\u00e9") << QStringLiteral("x")
                                         << QStringLiteral("not a valid header name");
    QTest::newRow("name with a line feed")
        << QStringLiteral("X\nY") << QStringLiteral("x") << QStringLiteral("name contains control characters");
    QTest::newRow("value with CR LF") << QStringLiteral("X-A") << QStringLiteral("b\r\nX-Injected: 1")
                                      << QStringLiteral("the value of X-A contains control characters");
    QTest::newRow("value with NUL") << QStringLiteral("X-A") << (QStringLiteral("b") + QChar(0))
                                    << QStringLiteral("control characters");
    QTest::newRow("value with DEL") << QStringLiteral("X-A") << QStringLiteral("b\x7f")
                                    << QStringLiteral("control characters");
    QTest::newRow("Host") << QStringLiteral("host") << QStringLiteral("other")
                          << QStringLiteral("Host is written by the client itself");
    QTest::newRow("Upgrade") << QStringLiteral("Upgrade") << QStringLiteral("h2c")
                             << QStringLiteral("Upgrade is written by the client itself");
    QTest::newRow("Connection") << QStringLiteral("CONNECTION") << QStringLiteral("close")
                                << QStringLiteral("Connection is written by the client itself");
    QTest::newRow("Sec-WebSocket-Key") << QStringLiteral("Sec-WebSocket-Key") << QStringLiteral("x")
                                       << QStringLiteral("Sec-WebSocket-Key is written by the client itself");
    QTest::newRow("Sec-WebSocket-Version") << QStringLiteral("sec-websocket-version") << QStringLiteral("8")
                                           << QStringLiteral("Sec-WebSocket-Version is written by the client itself");
    QTest::newRow("Sec-WebSocket-Extensions")
        << QStringLiteral("Sec-WebSocket-Extensions") << QStringLiteral("permessage-deflate")
        << QStringLiteral("offers no extensions");
    QTest::newRow("Sec-WebSocket-Protocol") << QStringLiteral("Sec-WebSocket-Protocol") << QStringLiteral("chat")
                                            << QStringLiteral("Subprotocols field, --subprotocol");
    QTest::newRow("Origin") << QStringLiteral("origin") << QStringLiteral("http://x")
                            << QStringLiteral("Origin field, --origin");
}

void TestHttpHead::extraHeaderProblem()
{
    QFETCH(QString, name);
    QFETCH(QString, value);
    QFETCH(QString, needle);
    const QString problem = wsi::extraHeaderProblem(name, value);
    if (needle.isEmpty()) {
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        return;
    }
    QVERIFY2(problem.contains(needle), qPrintable(problem));
    // One line, whatever was typed: the reason never repeats a control character.
    QVERIFY(isHttpFieldValue(problem));
}

QTEST_GUILESS_MAIN(TestHttpHead)
#include "tst_httphead.moc"
