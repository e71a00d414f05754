#include "formats/redaction.h"
#include "formats/sessionexporter.h"

#include <QBuffer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
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
    void withoutUserInfo_data();
    void withoutUserInfo();
    void connectionUrl();
    void heads_data();
    void heads();
    void cleanHeadIsUntouched();
    void redactingTwiceChangesNothing();
    void messagesAreLeftAlone();
    void compressedMessageKeepsItsWireSize();
    void urlsInMessagesAndNotes_data();
    void urlsInMessagesAndNotes();
    void subprotocols_data();
    void subprotocols();
    void keptOnlyWithIncludeSecrets_data();
    void keptOnlyWithIncludeSecrets();
    void secretsNeverReachTheBytes_data();
    void secretsNeverReachTheBytes();
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
    QTest::newRow("X-CSRF-Token") << QByteArray("X-CSRF-Token") << true;
    QTest::newRow("X-XSRF-Token") << QByteArray("x-xsrf-token") << true;
    QTest::newRow("underscores") << QByteArray("X_Auth_Token") << true;
    QTest::newRow("camelCase") << QByteArray("xAuthToken") << true;
    QTest::newRow("ending in -Secret") << QByteArray("X-Client-Secret") << true;
    QTest::newRow("ending in -Key") << QByteArray("Ocp-Apim-Subscription-Key") << true;
    QTest::newRow("ending in -Auth") << QByteArray("X-Auth") << true;
    QTest::newRow("ending in -Password") << QByteArray("X-Admin-Password") << true;
    QTest::newRow("X-Amz-Security-Token") << QByteArray("X-Amz-Security-Token") << true;
    QTest::newRow("Sec-WebSocket-Key is a nonce, not a secret") << QByteArray("Sec-WebSocket-Key") << false;
    QTest::newRow("Sec-WebSocket-Accept") << QByteArray("Sec-WebSocket-Accept") << false;
    QTest::newRow("Sec-WebSocket-Protocol (entries judged one by one)")
        << QByteArray("Sec-WebSocket-Protocol") << false;
    QTest::newRow("Host") << QByteArray("Host") << false;
    QTest::newRow("Referer (URLs judged on their own)") << QByteArray("Referer") << false;
    QTest::newRow("a longer name") << QByteArray("Authorization2") << false;
    QTest::newRow("a prefix") << QByteArray("Author") << false;
    QTest::newRow("ending in a word with key in it") << QByteArray("X-Monkey") << false;
    QTest::newRow("key not last") << QByteArray("X-Key-Id") << false;
    QTest::newRow("author") << QByteArray("X-Author") << false;
    QTest::newRow("tokens") << QByteArray("X-Tokens-Left") << false;
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
    // Other spellings of the same names.
    for (const char* name :
        { "accessToken", "Access-Token", "ACCESS_TOKEN", "accesstoken", "apiKey", "APIKey", "api.key", "auth_key",
            "authKey", "sessionToken", "sessionId", "JSESSIONID", "PHPSESSID", "client_secret", "clientSecret",
            "refreshToken", "id_token", "X-Amz-Credential", "X-Amz-Security-Token", "oauth_signature", "oauth_token",
            "sig", "x-auth", "userSession", "new_password", "passwordConfirm", "passphrase", "jwt", "id_jwt", "key",
            "code", "auth", "authorization", "session", "sid", "pwd", "subscription-key", "privateKey", "secret" })
        QTest::addRow("%s", name) << QString::fromUtf8(name) << true;
    // Names that only look like one: masking them would break reading the URL.
    for (const char* name : { "room", "tokens", "tokenizer", "monkey", "keyboard", "turkey", "keyId", "sort_key",
             "author", "authorId", "authority", "authors", "secretary", "passage", "bypass", "design", "signup",
             "assignee", "zip_code", "codec", "session_count", "sessions", "sidebar", "state", "nonce" })
        QTest::addRow("%s", name) << QString::fromUtf8(name) << false;
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
    // The whole user info goes: a token is often where the user name is.
    row("password", "ws://user:secret@h/c", "ws://[redacted]@h/c");
    row("password, port, query", "wss://user:p%40ss@h:8443/c?token=1", "wss://[redacted]@h:8443/c?token=[redacted]");
    row("@ in the password", "ws://user:p@ss@h/", "ws://[redacted]@h/");
    row("colon in the password", "ws://user:a:b@h/", "ws://[redacted]@h/");
    row("password, no path", "ws://user:secret@h?x=1", "ws://[redacted]@h?x=1");
    row("token as the user name", "wss://T0KEN@h/", "wss://[redacted]@h/");
    row("key with an empty password", "wss://key:@h/", "wss://[redacted]@h/");
    row("user without password", "ws://user@h/", "ws://[redacted]@h/");
    row("already masked", "ws://[redacted]@h/", "ws://[redacted]@h/");
    row("empty user info", "ws://@h/", "ws://@h/");
    row("port is not a password", "ws://h:8080/c", "ws://h:8080/c");
    row("other spellings", "ws://h/c?accessToken=a&Access-Token=b&apiKey=c&auth_key=d&sessionToken=e&monkey=f",
        "ws://h/c?accessToken=[redacted]&Access-Token=[redacted]&apiKey=[redacted]&auth_key=[redacted]"
        "&sessionToken=[redacted]&monkey=f");
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

void TestRedaction::withoutUserInfo_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("expected");
    auto row = [](const char* name, const char* url, const char* expected) {
        QTest::newRow(name) << QString::fromUtf8(url) << QString::fromUtf8(expected);
    };
    row("empty", "", "");
    row("none", "ws://h:1/c?x=%7E", "ws://h:1/c?x=%7E");
    row("user and password", "wss://user:secret@h:8443/c?token=1", "wss://h:8443/c?token=1");
    row("token as the user name", "wss://T0KEN@h/", "wss://h/");
    row("@ in the password", "ws://user:p@ss@h/", "ws://h/");
    row("no path", "ws://user:secret@h?x=1", "ws://h?x=1");
    row("empty user info", "ws://@h/", "ws://h/");
    row("@ in the query stays", "ws://h/c?mail=a@b", "ws://h/c?mail=a@b");
    row("@ in the path stays", "ws://h/a@b", "ws://h/a@b");
    row("not a URL", "user:pw@h", "user:pw@h");
    row("encoding kept as typed", "ws://u:p@h/a%2Fb?q=%41#f", "ws://h/a%2Fb?q=%41#f");
}

void TestRedaction::withoutUserInfo()
{
    QFETCH(QString, url);
    QFETCH(QString, expected);
    QCOMPARE(redaction::withoutUserInfo(url), expected);
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
    QCOMPARE(r.url, QStringLiteral("ws://[redacted]@h:1/x?token=[redacted]"));
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
        << QByteArray("GET ws://[redacted]@h/c?api_key=[redacted] HTTP/1.1\r\nHost: h\r\n\r\n");
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
    QTest::newRow("CSRF, XSRF and other token headers")
        << request
        << QByteArray("GET / HTTP/1.1\r\nX-CSRF-Token: S3CRET\r\nX-XSRF-TOKEN: T0KEN\r\nX-Custom-Secret: M0RE\r\n"
                      "X-Service-Key: AP1KEY\r\nX-Auth: S3CRET\r\nX-Key-Id: 42\r\n\r\n")
        << QByteArray("GET / HTTP/1.1\r\nX-CSRF-Token: [redacted]\r\nX-XSRF-TOKEN: [redacted]\r\n"
                      "X-Custom-Secret: [redacted]\r\nX-Service-Key: [redacted]\r\nX-Auth: [redacted]\r\n"
                      "X-Key-Id: 42\r\n\r\n");
    QTest::newRow("URLs in header values")
        << request
        << QByteArray("GET / HTTP/1.1\r\nOrigin: https://app.example.com\r\n"
                      "Referer: https://u:S3CRET@app.example.com/page?x=1&token=T0KEN\r\n"
                      "X-Forwarded-Uri: /ws?api_key=AP1KEY&room=2\r\nX-Original-Url: /plain\r\n"
                      "Link: <https://h/next?sig=M0RE>; rel=next\r\n\r\n")
        << QByteArray("GET / HTTP/1.1\r\nOrigin: https://app.example.com\r\n"
                      "Referer: https://[redacted]@app.example.com/page?x=1&token=[redacted]\r\n"
                      "X-Forwarded-Uri: /ws?api_key=[redacted]&room=2\r\nX-Original-Url: /plain\r\n"
                      "Link: <https://h/next?sig=[redacted]>; rel=next\r\n\r\n");
    QTest::newRow("Location in a response")
        << response << QByteArray("HTTP/1.1 302 Found\r\nLocation: /login?next=%2F&session=S3CRET\r\n\r\n")
        << QByteArray("HTTP/1.1 302 Found\r\nLocation: /login?next=%2F&session=[redacted]\r\n\r\n");
    QTest::newRow("credentials among the subprotocols")
        << request
        << QByteArray("GET / HTTP/1.1\r\n"
                      "Sec-WebSocket-Protocol: base64url.bearer.authorization.k8s.io.S3CRET, base64.binary.k8s.io\r\n"
                      "sec-websocket-protocol: chat,bearer,  T0KEN  ,v2\r\n"
                      "Sec-WebSocket-Protocol: access_token, eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.M0RE\r\n"
                      "Sec-WebSocket-Protocol: graphql-ws, eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.AP1KEY\r\n\r\n")
        << QByteArray(
               "GET / HTTP/1.1\r\n"
               "Sec-WebSocket-Protocol: base64url.bearer.authorization.k8s.io.[redacted], base64.binary.k8s.io\r\n"
               "sec-websocket-protocol: chat,bearer,  [redacted]  ,v2\r\n"
               "Sec-WebSocket-Protocol: access_token, [redacted]\r\n"
               "Sec-WebSocket-Protocol: graphql-ws, [redacted]\r\n\r\n");
    QTest::newRow("ordinary subprotocols are kept")
        << response
        << QByteArray("HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n")
        << QByteArray("HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n");
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

// A compressed message's size is what crossed the wire (compressed) while its payload is the inflated message:
// redaction leaves both alone, the size not "corrected" to the payload's.
void TestRedaction::compressedMessageKeepsItsWireSize()
{
    Event e;
    e.kind = EventKind::Text;
    e.direction = Direction::S2C;
    e.flags = FlagFin | FlagRsv1 | FlagCompressed;
    e.payload = QByteArray(300, 'a') + " ws://u:p@h/?token=abc";
    e.size = 12;
    e.note = "compressed: 12 \xe2\x86\x92 322 bytes";
    const Event out = redaction::redacted(e);
    QCOMPARE(out.size, qint64(12));
    QCOMPARE(out.payload, e.payload);
    QCOMPARE(out.flags, e.flags);
    QCOMPARE(out.note, e.note);
}

void TestRedaction::urlsInMessagesAndNotes_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("open") << int(EventKind::Open) << QByteArray("connected to wss://u:S3CRET@h/c?token=T0KEN")
                          << QByteArray("connected to wss://[redacted]@h/c?token=[redacted]");
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

void TestRedaction::subprotocols_data()
{
    QTest::addColumn<QString>("subprotocol");
    QTest::addColumn<QString>("expected");
    auto row = [](const char* name, const char* subprotocol, const char* expected) {
        QTest::newRow(name) << QString::fromUtf8(subprotocol) << QString::fromUtf8(expected);
    };
    row("empty", "", "");
    row("ordinary", "chat.v2", "chat.v2");
    row("a marker alone", "bearer", "bearer");
    row("a JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.S3CRET", "[redacted]");
    row("Kubernetes", "base64url.bearer.authorization.k8s.io.S3CRET",
        "base64url.bearer.authorization.k8s.io.[redacted]");
    row("not quite a JWT: two parts", "eyJhbGciOiJIUzI1NiJ9.S3CRET", "eyJhbGciOiJIUzI1NiJ9.S3CRET");
    row("already masked", "[redacted]", "[redacted]");
}

// A connection's subprotocol is what the server chose from the request's list: a token when the server echoed it.
void TestRedaction::subprotocols()
{
    QFETCH(QString, subprotocol);
    QFETCH(QString, expected);
    Connection c;
    c.id = 1;
    c.subprotocol = subprotocol;
    QCOMPARE(redaction::redacted(c).subprotocol, expected);
}

namespace {

// Through the exporter, as a user gets it: redaction happens there, or not at all with includeSecrets.
QByteArray exported(
    SessionFormat format, const QList<Connection>& connections, const std::vector<Event>& events, bool includeSecrets)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    ExportOptions options;
    options.includeSecrets = includeSecrets;
    options.app = QStringLiteral("wsinspector test");
    const std::unique_ptr<SessionExporter> exporter = SessionExporter::create(format, &buffer, options);
    for (const Connection& c : connections)
        exporter->addConnection(c);
    for (const Event& e : events)
        exporter->addEvent(e);
    QString error;
    if (!exporter->finish(&error))
        return {};
    return buffer.data();
}

Connection clientConnection(const char* url, const char* subprotocol = "")
{
    Connection c;
    c.id = 1;
    c.role = ConnectionRole::Client;
    c.url = QString::fromUtf8(url);
    c.peer = QStringLiteral("93.184.216.34:443");
    c.subprotocol = QString::fromUtf8(subprotocol);
    return c;
}

} // namespace

// Every kind of secret, one row each: gone by default, there with includeSecrets, and what is not a secret
// kept either way.
void TestRedaction::keptOnlyWithIncludeSecrets_data()
{
    QTest::addColumn<Connection>("c");
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<QByteArray>("secret");
    QTest::addColumn<QByteArray>("kept");
    const QByteArray get = "GET /ws HTTP/1.1\r\nHost: api.example.com\r\n";
    const Connection plain = clientConnection("wss://api.example.com/ws");
    auto row
        = [&](const char* name, const Connection& c, const QByteArray& headers, const char* secret, const char* kept) {
              QTest::newRow(name) << c << QByteArray(get + headers + "\r\n") << QByteArray(secret) << QByteArray(kept);
          };
    row("Authorization", plain, "Authorization: Bearer S3CRET\r\n", "S3CRET", "Authorization");
    row("Cookie", plain, "Cookie: sid=S3CRET\r\n", "S3CRET", "Cookie");
    row("X-CSRF-Token", plain, "X-CSRF-Token: S3CRET\r\n", "S3CRET", "X-CSRF-Token");
    row("X-XSRF-Token", plain, "X-XSRF-Token: S3CRET\r\n", "S3CRET", "X-XSRF-Token");
    row("-Secret", plain, "X-Client-Secret: S3CRET\r\n", "S3CRET", "X-Client-Secret");
    row("-Key", plain, "X-Service-Key: S3CRET\r\n", "S3CRET", "X-Service-Key");
    row("-Auth", plain, "X-Auth: S3CRET\r\n", "S3CRET", "X-Auth");
    row("Referer query", plain, "Referer: https://app.example.com/p?accessToken=S3CRET&page=2\r\n", "S3CRET", "page=2");
    row("Location query", plain, "Location: /next?apiKey=S3CRET&step=3\r\n", "S3CRET", "step=3");
    row("X-Forwarded-Uri query", plain, "X-Forwarded-Uri: /ws?auth_key=S3CRET&room=1\r\n", "S3CRET", "room=1");
    row("Kubernetes subprotocol", plain,
        "Sec-WebSocket-Protocol: base64url.bearer.authorization.k8s.io.S3CRET, base64.binary.k8s.io\r\n", "S3CRET",
        "base64.binary.k8s.io");
    row("bearer subprotocol", plain, "Sec-WebSocket-Protocol: chat, bearer, S3CRET\r\n", "S3CRET", "chat, bearer");
    row("access_token subprotocol", plain,
        "Sec-WebSocket-Protocol: access_token, eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.S3CRET\r\n", "S3CRET",
        "access_token");
    row("JWT subprotocol", plain, "Sec-WebSocket-Protocol: v1, eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.S3CRET\r\n",
        "S3CRET", "v1");
    row("query spellings", clientConnection("wss://api.example.com/ws?sessionToken=S3CRET&room=1"), "", "S3CRET",
        "room=1");
    row("token as user name", clientConnection("wss://S3CRET@api.example.com/ws"), "", "S3CRET", "api.example.com");
    row("key and empty password", clientConnection("wss://S3CRET:@api.example.com/ws"), "", "S3CRET",
        "api.example.com");
    row("user and password", clientConnection("wss://alice:S3CRET@api.example.com/ws"), "", "S3CRET",
        "api.example.com");
    row("subprotocol field", clientConnection("wss://api.example.com/ws", "eyJhbGciOiJIUzI1NiJ9.eyJ9.S3CRET"), "",
        "S3CRET", "api.example.com");
}

void TestRedaction::keptOnlyWithIncludeSecrets()
{
    QFETCH(Connection, c);
    QFETCH(QByteArray, head);
    QFETCH(QByteArray, secret);
    QFETCH(QByteArray, kept);
    Event request = handshake(EventKind::HandshakeRequest, head);
    const QByteArray redacted = exported(SessionFormat::Jsonl, { c }, { request }, false);
    QVERIFY2(!redacted.contains(secret), redacted.constData());
    QVERIFY2(redacted.contains("[redacted]"), redacted.constData());
    QVERIFY2(redacted.contains(kept), redacted.constData());
    const QByteArray all = exported(SessionFormat::Jsonl, { c }, { request }, true);
    QVERIFY2(all.contains(secret), all.constData());
    QVERIFY2(all.contains(kept), all.constData());
    QVERIFY2(!all.contains("[redacted]"), all.constData());
}

void TestRedaction::secretsNeverReachTheBytes_data()
{
    QTest::addColumn<SessionFormat>("format");
    for (SessionFormat f :
        { SessionFormat::Jsonl, SessionFormat::Har, SessionFormat::Csv, SessionFormat::Text, SessionFormat::Pcap })
        QTest::addRow("%s", qPrintable(sessionFormatName(f))) << f;
}

// One session with every kind of secret at once, in every format: not a byte of any secret by default, the
// headers' secrets with includeSecrets (each format writes the handshake; not each one the URL or the
// subprotocol field).
void TestRedaction::secretsNeverReachTheBytes()
{
    QFETCH(SessionFormat, format);
    static const char* const secrets[] = { "USERT0KEN", "QT0KEN1", "QT0KEN2", "QT0KEN3", "QT0KEN4", "QT0KEN5",
        "AUTHS3CRET", "C00KIES3CRET", "CSRFS3CRET", "XSRFS3CRET", "CUSTOMS3CRET", "KEYS3CRET", "XAUTHS3CRET",
        "REFERERT0KEN", "FWDT0KEN", "K8ST0KEN", "BEARERT0KEN", "JWTS1G", "SETC00KIE", "LOCATI0NT0KEN" };
    const char* const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ3cyJ9.JWTS1G";
    const QByteArray query = "accessToken=QT0KEN1&Access-Token=QT0KEN2&apiKey=QT0KEN3&auth_key=QT0KEN4"
                             "&sessionToken=QT0KEN5&room=lobby";
    const Connection c = clientConnection(QByteArray("wss://USERT0KEN@api.example.com/ws?" + query).constData(), jwt);
    const QByteArray request = "GET /ws?" + query
        + " HTTP/1.1\r\nHost: api.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
          "Authorization: Bearer AUTHS3CRET\r\nCookie: sid=C00KIES3CRET\r\nX-CSRF-Token: CSRFS3CRET\r\n"
          "X-XSRF-Token: XSRFS3CRET\r\nX-Custom-Secret: CUSTOMS3CRET\r\nX-Service-Key: KEYS3CRET\r\n"
          "X-Auth: XAUTHS3CRET\r\nReferer: https://app.example.com/page?token=REFERERT0KEN\r\n"
          "X-Forwarded-Uri: /ws?api_key=FWDT0KEN\r\n"
          "Sec-WebSocket-Protocol: chat, base64url.bearer.authorization.k8s.io.K8ST0KEN, bearer, BEARERT0KEN, "
        + QByteArray(jwt) + "\r\n\r\n";
    const QByteArray response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                                "Set-Cookie: session=SETC00KIE; Path=/\r\n"
                                "Content-Location: /ws?session=LOCATI0NT0KEN\r\nSec-WebSocket-Protocol: "
        + QByteArray(jwt) + "\r\n\r\n";
    std::vector<Event> events;
    auto add = [&events](EventKind kind, Direction d, const QByteArray& payload) {
        Event e;
        e.seq = events.size() + 1;
        e.connection = 1;
        e.timestampUs = 1796000000000000 + qint64(e.seq) * 1000;
        e.monotonicNs = e.timestampUs * 1000;
        e.kind = kind;
        e.direction = d;
        e.flags = d == Direction::C2S ? FlagFin | FlagMasked : d == Direction::S2C ? FlagFin : 0;
        e.payload = payload;
        e.size = payload.size();
        events.push_back(e);
    };
    add(EventKind::HandshakeRequest, Direction::None, request);
    add(EventKind::HandshakeResponse, Direction::None, response);
    add(EventKind::Open, Direction::None, "connected to wss://USERT0KEN@api.example.com/ws?" + query);
    add(EventKind::Text, Direction::C2S, "hello");
    add(EventKind::Text, Direction::S2C, "hello back");

    const QByteArray redacted = exported(format, { c }, events, false);
    QVERIFY(!redacted.isEmpty());
    for (const char* secret : secrets)
        QVERIFY2(!redacted.contains(secret), secret);
    QVERIFY(redacted.contains("[redacted]"));
    QVERIFY(redacted.contains("room=lobby"));
    if (format == SessionFormat::Har) {
        // Nothing hides in base64 either: the redacted heads rebuild from HAR's own fields.
        QVERIFY(!redacted.contains("_rawHead"));
        QVERIFY(QJsonDocument::fromJson(redacted).isObject());
    }

    const QByteArray all = exported(format, { c }, events, true);
    for (const char* secret : { "AUTHS3CRET", "C00KIES3CRET", "CSRFS3CRET", "K8ST0KEN", "BEARERT0KEN", "SETC00KIE",
             "LOCATI0NT0KEN", "QT0KEN1" })
        QVERIFY2(all.contains(secret), secret);
}

QTEST_GUILESS_MAIN(TestRedaction)
#include "tst_redaction.moc"
