#include "formats/redaction.h"

#include <QTest>

using namespace wsi;

namespace {

Event handshake(EventKind kind, const QByteArray& head)
{
    Event e;
    e.seq = 1;
    e.connection = 1;
    e.kind = kind;
    e.payload = head;
    e.size = head.size();
    return e;
}

const QByteArray cleanRequest = "GET /chat?room=1 HTTP/1.1\r\n"
                                "Host: example.com\r\n"
                                "Upgrade: websocket\r\n"
                                "Connection: Upgrade\r\n"
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                "Sec-WebSocket-Version: 13\r\n"
                                "\r\n";

} // namespace

class TestRedaction : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void secretHeaders_data();
    void secretHeaders();
    void secretQueryParameters_data();
    void secretQueryParameters();
    void urls_data();
    void urls();
    void connectionUrl();
    void heads_data();
    void heads();
    void cleanHeadIsUntouched();
    void redactingTwiceChangesNothing();
    void messagesAreLeftAlone();
    void urlsInMessagesAndNotes_data();
    void urlsInMessagesAndNotes();
};

void TestRedaction::secretHeaders_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<bool>("secret");
    QTest::newRow("Authorization") << QByteArray("Authorization") << true;
    QTest::newRow("lower case") << QByteArray("authorization") << true;
    QTest::newRow("upper case") << QByteArray("AUTHORIZATION") << true;
    QTest::newRow("mixed case") << QByteArray("aUtHoRiZaTiOn") << true;
    QTest::newRow("Proxy-Authorization") << QByteArray("proxy-authorization") << true;
    QTest::newRow("Cookie") << QByteArray("Cookie") << true;
    QTest::newRow("Set-Cookie") << QByteArray("SET-COOKIE") << true;
    QTest::newRow("X-Api-Key") << QByteArray("x-api-key") << true;
    QTest::newRow("X-Auth-Token") << QByteArray("X-Auth-Token") << true;
    QTest::newRow("Sec-WebSocket-Key is a nonce, not a secret") << QByteArray("Sec-WebSocket-Key") << false;
    QTest::newRow("Host") << QByteArray("Host") << false;
    QTest::newRow("a longer name") << QByteArray("Authorization2") << false;
    QTest::newRow("a prefix") << QByteArray("Author") << false;
    QTest::newRow("empty") << QByteArray() << false;
}

void TestRedaction::secretHeaders()
{
    QFETCH(QByteArray, name);
    QFETCH(bool, secret);
    QCOMPARE(redaction::isSecretHeader(name), secret);
}

void TestRedaction::secretQueryParameters_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("secret");
    QTest::newRow("token") << QStringLiteral("token") << true;
    QTest::newRow("TOKEN") << QStringLiteral("TOKEN") << true;
    QTest::newRow("Access_Token") << QStringLiteral("Access_Token") << true;
    QTest::newRow("api_key") << QStringLiteral("api_key") << true;
    QTest::newRow("apikey") << QStringLiteral("apikey") << true;
    QTest::newRow("password") << QStringLiteral("password") << true;
    QTest::newRow("signature") << QStringLiteral("X-Amz-Signature") << true;
    QTest::newRow("room") << QStringLiteral("room") << false;
    QTest::newRow("tokens") << QStringLiteral("tokens") << false;
    QTest::newRow("empty") << QString() << false;
}

void TestRedaction::secretQueryParameters()
{
    QFETCH(QString, name);
    QFETCH(bool, secret);
    QCOMPARE(redaction::isSecretQueryParameter(name), secret);
}

void TestRedaction::urls_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("expected");
    auto row = [](const char* name, const char* url, const char* expected) {
        QTest::newRow(name) << QString::fromUtf8(url) << QString::fromUtf8(expected);
    };
    row("empty", "", "");
    row("no query", "ws://example.com/chat", "ws://example.com/chat");
    row("harmless query", "ws://example.com/chat?room=1&x=2", "ws://example.com/chat?room=1&x=2");
    row("only parameter", "ws://h/c?token=abc", "ws://h/c?token=[redacted]");
    row("first parameter", "ws://h/c?token=abc&room=1", "ws://h/c?token=[redacted]&room=1");
    row("middle parameter", "ws://h/c?a=1&token=abc&b=2", "ws://h/c?a=1&token=[redacted]&b=2");
    row("last parameter", "ws://h/c?room=1&access_token=abc", "ws://h/c?room=1&access_token=[redacted]");
    row("repeated parameter", "ws://h/c?token=abc&token=def", "ws://h/c?token=[redacted]&token=[redacted]");
    row("name in capitals", "ws://h/c?TOKEN=abc", "ws://h/c?TOKEN=[redacted]");
    row("percent-encoded name", "ws://h/c?%74oken=abc", "ws://h/c?%74oken=[redacted]");
    row("percent-encoded underscore", "ws://h/c?access%5Ftoken=abc", "ws://h/c?access%5Ftoken=[redacted]");
    row("value with = and escapes", "ws://h/c?token=a%20b=c", "ws://h/c?token=[redacted]");
    row("empty value", "ws://h/c?token=", "ws://h/c?token=");
    row("no value", "ws://h/c?token&x=1", "ws://h/c?token&x=1");
    row("empty pairs kept", "ws://h/c?a=1&&token=x&", "ws://h/c?a=1&&token=[redacted]&");
    row("empty query", "ws://h/c?", "ws://h/c?");
    row("query then fragment", "ws://h/c?token=abc#top", "ws://h/c?token=[redacted]#top");
    row("token in the fragment", "ws://h/c#access_token=abc&state=xyz", "ws://h/c#access_token=[redacted]&state=xyz");
    row("both", "ws://h/c?key=1#token=2", "ws://h/c?key=[redacted]#token=[redacted]");
    row("question mark in the fragment", "ws://h/c#x?token=abc", "ws://h/c#x?token=[redacted]");
    row("password", "ws://user:secret@h/c", "ws://user:[redacted]@h/c");
    row("password, port, query", "wss://user:p%40ss@h:8443/c?token=1",
        "wss://user:[redacted]@h:8443/c?token=[redacted]");
    row("@ in the password", "ws://user:p@ss@h/", "ws://user:[redacted]@h/");
    row("colon in the password", "ws://user:a:b@h/", "ws://user:[redacted]@h/");
    row("password, no path", "ws://user:secret@h?x=1", "ws://user:[redacted]@h?x=1");
    row("user without password", "ws://user@h/", "ws://user@h/");
    row("empty password", "ws://user:@h/", "ws://user:@h/");
    row("port is not a password", "ws://h:8080/c", "ws://h:8080/c");
    row("IPv6 host", "ws://[::1]:8080/c?token=x", "ws://[::1]:8080/c?token=[redacted]");
    row("@ in the query", "ws://h/c?mail=a@b", "ws://h/c?mail=a@b");
    row("request target", "/chat?token=abc", "/chat?token=[redacted]");
    row("plain request target", "/chat", "/chat");
    row("non-ASCII", "ws://h/ü?token=ä&ö=1", "ws://h/ü?token=[redacted]&ö=1");
}

void TestRedaction::urls()
{
    QFETCH(QString, url);
    QFETCH(QString, expected);
    QCOMPARE(redaction::redactUrl(url), expected);
}

void TestRedaction::connectionUrl()
{
    Connection c;
    c.id = 7;
    c.role = ConnectionRole::Server;
    c.url = QStringLiteral("ws://u:pw@h:1/x?token=t0ps3cret");
    c.peer = QStringLiteral("127.0.0.1:5000");
    c.subprotocol = QStringLiteral("chat");
    const Connection r = redaction::redacted(c);
    QCOMPARE(r.url, QStringLiteral("ws://u:[redacted]@h:1/x?token=[redacted]"));
    QCOMPARE(r.id, c.id);
    QCOMPARE(r.role, c.role);
    QCOMPARE(r.peer, c.peer);
    QCOMPARE(r.subprotocol, c.subprotocol);
}

void TestRedaction::heads_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<QByteArray>("expected");
    const int request = int(EventKind::HandshakeRequest);
    const int response = int(EventKind::HandshakeResponse);

    QTest::newRow("secret headers in any case, target") << request
                                                        << QByteArray("GET /chat?room=1&token=T0KEN HTTP/1.1\r\n"
                                                                      "Host: example.com\r\n"
                                                                      "authorization: Bearer S3CRET\r\n"
                                                                      "COOKIE: sid=C00KIE; theme=dark\r\n"
                                                                      "X-Api-Key: AP1KEY\r\n"
                                                                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                                                      "\r\n")
                                                        << QByteArray("GET /chat?room=1&token=[redacted] HTTP/1.1\r\n"
                                                                      "Host: example.com\r\n"
                                                                      "authorization: [redacted]\r\n"
                                                                      "COOKIE: [redacted]\r\n"
                                                                      "X-Api-Key: [redacted]\r\n"
                                                                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                                                      "\r\n");
    QTest::newRow("absolute-form target with a password")
        << request << QByteArray("GET ws://u:S3CRET@h/c?api_key=T0KEN HTTP/1.1\r\nHost: h\r\n\r\n")
        << QByteArray("GET ws://u:[redacted]@h/c?api_key=[redacted] HTTP/1.1\r\nHost: h\r\n\r\n");
    QTest::newRow("Set-Cookie twice in a response") << response
                                                    << QByteArray("HTTP/1.1 101 Switching Protocols\r\n"
                                                                  "Upgrade: websocket\r\n"
                                                                  "Set-Cookie: a=C00KIE1; Path=/\r\n"
                                                                  "set-cookie: b=C00KIE2\r\n"
                                                                  "\r\n")
                                                    << QByteArray("HTTP/1.1 101 Switching Protocols\r\n"
                                                                  "Upgrade: websocket\r\n"
                                                                  "Set-Cookie: [redacted]\r\n"
                                                                  "set-cookie: [redacted]\r\n"
                                                                  "\r\n");
    QTest::newRow("bare LF line ends are kept") << request << QByteArray("GET / HTTP/1.1\nHost: h\nCookie: C00KIE\n\n")
                                                << QByteArray("GET / HTTP/1.1\nHost: h\nCookie: [redacted]\n\n");
    QTest::newRow("odd spacing") << request
                                 << QByteArray("GET / HTTP/1.1\r\nAuthorization:S3CRET\r\nCookie :   C00KIE  \r\n\r\n")
                                 << QByteArray(
                                        "GET / HTTP/1.1\r\nAuthorization:[redacted]\r\nCookie :   [redacted]\r\n\r\n");
    QTest::newRow("folded value")
        << request << QByteArray("GET / HTTP/1.1\r\nAuthorization: Bearer\r\n  S3CRET\r\n\tM0RE\r\nHost: h\r\n\r\n")
        << QByteArray("GET / HTTP/1.1\r\nAuthorization: [redacted]\r\n  [redacted]\r\n\t[redacted]\r\nHost: h\r\n\r\n");
    // What the server records when a client sends too much or stops half way: no blank line.
    QTest::newRow("truncated head")
        << request << QByteArray("GET /c?token=T0KEN HTTP/1.1\r\nHost: h\r\nCookie: C00KIE\r\nSec-WebSocket-Ke")
        << QByteArray("GET /c?token=[redacted] HTTP/1.1\r\nHost: h\r\nCookie: [redacted]\r\nSec-WebSocket-Ke");
    QTest::newRow("truncated in a secret value") << request << QByteArray("GET / HTTP/1.1\r\nAuthorization: Bearer S3C")
                                                 << QByteArray("GET / HTTP/1.1\r\nAuthorization: [redacted]");
    QTest::newRow("garbage start line") << request
                                        << QByteArray("\x16\x03\x01 garbage\r\nCookie: C00KIE\r\nX: 1\r\n\r\n")
                                        << QByteArray("\x16\x03\x01 garbage\r\nCookie: [redacted]\r\nX: 1\r\n\r\n");
    QTest::newRow("start line only, with a target")
        << request << QByteArray("GET /c?password=S3CRET") << QByteArray("GET /c?password=[redacted]");
    QTest::newRow("a response's start line is not a target")
        << response << QByteArray("HTTP/1.1 400 Bad ?token=x\r\n\r\n")
        << QByteArray("HTTP/1.1 400 Bad ?token=x\r\n\r\n");
    QTest::newRow("bytes after the head are not headers")
        << request << QByteArray("GET / HTTP/1.1\r\nHost: h\r\n\r\nCookie: not-a-header")
        << QByteArray("GET / HTTP/1.1\r\nHost: h\r\n\r\nCookie: not-a-header");
}

void TestRedaction::heads()
{
    QFETCH(int, kind);
    QFETCH(QByteArray, head);
    QFETCH(QByteArray, expected);
    const Event in = handshake(EventKind(kind), head);
    const Event out = redaction::redacted(in);
    QCOMPARE(out.payload, expected);
    QCOMPARE(out.size, qint64(expected.size()));
    QCOMPARE(out.kind, in.kind);
    QCOMPARE(out.seq, in.seq);
    for (const char* secret : { "S3CRET", "C00KIE1", "C00KIE2", "C00KIE\r", "AP1KEY", "T0KEN", "M0RE" })
        QVERIFY2(!out.payload.contains(secret), secret);
}

void TestRedaction::cleanHeadIsUntouched()
{
    const Event in = handshake(EventKind::HandshakeRequest, cleanRequest);
    const Event out = redaction::redacted(in);
    QCOMPARE(out.payload, cleanRequest);
    // Nothing to hide: the payload is shared, not copied.
    QCOMPARE(out.payload.constData(), in.payload.constData());
}

void TestRedaction::redactingTwiceChangesNothing()
{
    const Event once = redaction::redacted(handshake(EventKind::HandshakeRequest,
        "GET /?token=x HTTP/1.1\r\nCookie: a=b\r\nAuthorization: Basic dXNlcjpwYXNz\r\n\r\n"));
    const Event twice = redaction::redacted(once);
    QCOMPARE(twice.payload, once.payload);
    QCOMPARE(redaction::redactUrl(redaction::redactUrl(QStringLiteral("ws://u:p@h/?key=1#token=2"))),
        redaction::redactUrl(QStringLiteral("ws://u:p@h/?key=1#token=2")));
}

void TestRedaction::messagesAreLeftAlone()
{
    for (EventKind kind : { EventKind::Text, EventKind::Binary, EventKind::Ping, EventKind::Pong, EventKind::Close }) {
        Event e;
        e.kind = kind;
        e.direction = Direction::C2S;
        e.payload = "Authorization: Bearer x ws://u:p@h/?token=abc";
        e.size = e.payload.size();
        const Event out = redaction::redacted(e);
        QCOMPARE(out.payload, e.payload);
        QCOMPARE(out.payload.constData(), e.payload.constData());
    }
}

void TestRedaction::urlsInMessagesAndNotes_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("open") << int(EventKind::Open) << QByteArray("connected to wss://u:S3CRET@h/c?token=T0KEN")
                          << QByteArray("connected to wss://u:[redacted]@h/c?token=[redacted]");
    QTest::newRow("error") << int(EventKind::Error)
                           << QByteArray("cannot reach ws://h/c?access_token=T0KEN: refused (twice)")
                           << QByteArray("cannot reach ws://h/c?access_token=[redacted]: refused (twice)");
    QTest::newRow("two urls in a note") << int(EventKind::Note)
                                        << QByteArray("from http://h/?key=T0KEN to \"wss://h/?sig=S3CRET\"")
                                        << QByteArray("from http://h/?key=[redacted] to \"wss://h/?sig=[redacted]\"");
    QTest::newRow("closed, nothing to hide")
        << int(EventKind::Closed) << QByteArray("connection closed") << QByteArray("connection closed");
}

void TestRedaction::urlsInMessagesAndNotes()
{
    QFETCH(int, kind);
    QFETCH(QByteArray, payload);
    QFETCH(QByteArray, expected);
    Event e;
    e.kind = EventKind(kind);
    e.payload = payload;
    e.size = payload.size();
    e.note = payload;
    const Event out = redaction::redacted(e);
    QCOMPARE(out.payload, expected);
    QCOMPARE(out.size, qint64(expected.size()));
    QCOMPARE(out.note, expected);
    QVERIFY(!out.payload.contains("S3CRET") && !out.payload.contains("T0KEN"));

    // A frame's note is a remark of ours, and gets the same treatment; its payload does not.
    Event frame;
    frame.kind = EventKind::Text;
    frame.direction = Direction::S2C;
    frame.payload = payload;
    frame.note = payload;
    const Event redactedFrame = redaction::redacted(frame);
    QCOMPARE(redactedFrame.payload, payload);
    QCOMPARE(redactedFrame.note, expected);
}

QTEST_GUILESS_MAIN(TestRedaction)
#include "tst_redaction.moc"
