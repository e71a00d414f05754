#include "cli/commandline.h"
#include "formats/sessionformat.h"

#include <QTest>

using namespace wsi;

namespace {

CommandLine parse(const QStringList& args)
{
    return CommandLine::parse(QStringList { QStringLiteral("wsinspector") } + args);
}

QStringList words(const char* line)
{
    return QString::fromUtf8(line).split(u' ', Qt::SkipEmptyParts);
}

} // namespace

using Action = CommandLine::Action;

class TestCommandLine : public QObject
{
    Q_OBJECT

private slots:
    void guiForms_data();
    void guiForms();
    void guiErrors_data();
    void guiErrors();
    void versionAndHelp_data();
    void versionAndHelp();

    void serveDefaults();
    void serveOptions_data();
    void serveOptions();
    void serveBehaviourOptions();
    void serveErrors_data();
    void serveErrors();

    void connectDefaults();
    void connectUrls_data();
    void connectUrls();
    void connectHeaders();
    void connectOptions();
    void connectAuth_data();
    void connectAuth();
    void connectAuthFromFile_data();
    void connectAuthFromFile();
    void authFromValue_data();
    void authFromValue();
    void connectErrors_data();
    void connectErrors();
    void connectHelp();

    void convertForms_data();
    void convertForms();
    void convertErrors_data();
    void convertErrors();
    void convertExtensionsAreTheKnownOnes();
    void convertHelp();

    void replayDefaults();
    void replayForms();
    void replayErrors_data();
    void replayErrors();

    void proxyDefaults();
    void proxyForms_data();
    void proxyForms();
    void proxyErrors_data();
    void proxyErrors();
    void helpText();
};

void TestCommandLine::guiForms_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("servePort"); // -1: no server
    QTest::addColumn<QUrl>("connectUrl");

    const QUrl none;
    QTest::newRow("no arguments") << QStringList() << QString() << -1 << none;
    QTest::newRow("file") << words("session.jsonl") << QStringLiteral("session.jsonl") << -1 << none;
    QTest::newRow("file with spaces") << QStringList { QStringLiteral("my session.jsonl") }
                                      << QStringLiteral("my session.jsonl") << -1 << none;
    QTest::newRow("--serve") << words("--serve") << QString() << 8765 << none;
    QTest::newRow("--serve 9000") << words("--serve 9000") << QString() << 9000 << none;
    QTest::newRow("--serve 0") << words("--serve 0") << QString() << 0 << none;
    QTest::newRow("--serve then a file") << words("--serve capture.jsonl") << QStringLiteral("capture.jsonl") << 8765
                                         << none;
    QTest::newRow("--serve port then a file")
        << words("--serve 9000 capture.jsonl") << QStringLiteral("capture.jsonl") << 9000 << none;
    QTest::newRow("file then --serve") << words("capture.jsonl --serve") << QStringLiteral("capture.jsonl") << 8765
                                       << none;
    QTest::newRow("--connect") << words("--connect ws://h:1/x") << QString() << -1
                               << QUrl(QStringLiteral("ws://h:1/x"));
    QTest::newRow("--connect wss with query") << words("--connect wss://echo.example.org/chat?room=1") << QString()
                                              << -1 << QUrl(QStringLiteral("wss://echo.example.org/chat?room=1"));
    QTest::newRow("--connect IPv6") << words("--connect ws://[::1]:8765/") << QString() << -1
                                    << QUrl(QStringLiteral("ws://[::1]:8765/"));
    QTest::newRow("--serve and --connect") << words("--serve 9000 --connect ws://127.0.0.1:9000/") << QString() << 9000
                                           << QUrl(QStringLiteral("ws://127.0.0.1:9000/"));
}

void TestCommandLine::guiForms()
{
    QFETCH(QStringList, args);
    QFETCH(QString, file);
    QFETCH(int, servePort);
    QFETCH(QUrl, connectUrl);

    const CommandLine c = parse(args);
    QVERIFY2(c.action == Action::Gui, qPrintable(c.error));
    QCOMPARE(c.error, QString());
    QCOMPARE(c.file, file);
    QCOMPARE(c.guiServePort.has_value(), servePort >= 0);
    if (servePort >= 0)
        QCOMPARE(int(*c.guiServePort), servePort);
    QCOMPARE(c.guiConnectUrl, connectUrl);
}

void TestCommandLine::guiErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("mentions");

    QTest::newRow("--connect without URL") << words("--connect") << QStringLiteral("--connect");
    QTest::newRow("--connect http") << words("--connect http://example.com/") << QStringLiteral("http://example.com/");
    QTest::newRow("--connect not a URL") << words("--connect notaurl") << QStringLiteral("notaurl");
    QTest::newRow("--connect without host") << words("--connect ws://") << QStringLiteral("ws://");
    QTest::newRow("--connect file URL") << words("--connect file:///tmp/x") << QStringLiteral("file:///tmp/x");
    QTest::newRow("unknown option") << words("--bogus") << QStringLiteral("--bogus");
    QTest::newRow("unknown short option") << words("-x") << QStringLiteral("-x");
    QTest::newRow("two files") << words("a.jsonl b.jsonl") << QStringLiteral("b.jsonl");
    // A number after --serve is a port; one out of range is an error, not a file called "70000".
    QTest::newRow("--serve 70000") << words("--serve 70000") << QStringLiteral("70000");
}

void TestCommandLine::guiErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, mentions);

    const CommandLine c = parse(args);
    QCOMPARE(c.action, Action::Error);
    QVERIFY2(c.error.contains(mentions), qPrintable(c.error));
    QVERIFY2(!c.error.contains(u'\n'), "the reason is one line");
}

void TestCommandLine::versionAndHelp_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("action");
    QTest::newRow("--version") << words("--version") << int(Action::Version);
    QTest::newRow("-v") << words("-v") << int(Action::Version);
    QTest::newRow("--help") << words("--help") << int(Action::Help);
    QTest::newRow("-h") << words("-h") << int(Action::Help);
    QTest::newRow("--help after a file") << words("x.jsonl --help") << int(Action::Help);
    QTest::newRow("serve --help") << words("serve --port 1 --help") << int(Action::Help);
    QTest::newRow("proxy --help") << words("proxy --listen 1 --help") << int(Action::Help);
    QTest::newRow("--version after --serve") << words("--serve --version") << int(Action::Version);
}

void TestCommandLine::versionAndHelp()
{
    QFETCH(QStringList, args);
    QFETCH(int, action);
    QCOMPARE(int(parse(args).action), action);
}

void TestCommandLine::serveDefaults()
{
    const CommandLine c = parse(words("serve"));
    QCOMPARE(c.action, Action::Serve);
    QCOMPARE(c.server.host, QStringLiteral("127.0.0.1")); // safe default: loopback only
    QCOMPARE(c.server.port, quint16(8765));
    QCOMPARE(c.server.behaviour.mode, ServerMode::Echo);
    QCOMPARE(c.server.maxMessageBytes, qint64(64) * 1024 * 1024);
    QCOMPARE(c.server.maxConnections, 1000);
    QCOMPARE(c.server.tryNextPorts, 0); // headless binds the exact port or fails
    QCOMPARE(c.recordFile, QString());
    QVERIFY(!c.guiServePort);
    QCOMPARE(c.file, QString());
}

void TestCommandLine::serveOptions_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<int>("mode");
    QTest::addColumn<QString>("record");
    QTest::addColumn<qint64>("maxMessage");
    QTest::addColumn<int>("maxConnections");

    const QString local = QStringLiteral("127.0.0.1");
    const int echo = int(ServerMode::Echo);
    const int silent = int(ServerMode::Silent);
    const qint64 m64 = qint64(64) * 1024 * 1024;
    QTest::newRow("--host") << words("--host 0.0.0.0") << QStringLiteral("0.0.0.0") << 8765 << echo << QString() << m64
                            << 1000;
    QTest::newRow("--host IPv6") << words("--host ::1") << QStringLiteral("::1") << 8765 << echo << QString() << m64
                                 << 1000;
    QTest::newRow("--port 0") << words("--port 0") << local << 0 << echo << QString() << m64 << 1000;
    QTest::newRow("--port 65535") << words("--port 65535") << local << 65535 << echo << QString() << m64 << 1000;
    QTest::newRow("--mode echo") << words("--mode echo") << local << 8765 << echo << QString() << m64 << 1000;
    QTest::newRow("--mode silent") << words("--mode silent") << local << 8765 << silent << QString() << m64 << 1000;
    QTest::newRow("--mode broadcast") << words("--mode broadcast") << local << 8765 << int(ServerMode::Broadcast)
                                      << QString() << m64 << 1000;
    QTest::newRow("--record") << words("--record /tmp/out.jsonl") << local << 8765 << echo
                              << QStringLiteral("/tmp/out.jsonl") << m64 << 1000;
    QTest::newRow("--max-message-size bytes")
        << words("--max-message-size 1048576") << local << 8765 << echo << QString() << qint64(1048576) << 1000;
    QTest::newRow("--max-message-size 16M")
        << words("--max-message-size 16M") << local << 8765 << echo << QString() << qint64(16) * 1024 * 1024 << 1000;
    QTest::newRow("--max-message-size 512k")
        << words("--max-message-size 512k") << local << 8765 << echo << QString() << qint64(512) * 1024 << 1000;
    QTest::newRow("--max-message-size 1G")
        << words("--max-message-size 1G") << local << 8765 << echo << QString() << qint64(1024) * 1024 * 1024 << 1000;
    QTest::newRow("--max-message-size 1")
        << words("--max-message-size 1") << local << 8765 << echo << QString() << qint64(1) << 1000;
    QTest::newRow("--max-connections") << words("--max-connections 5") << local << 8765 << echo << QString() << m64
                                       << 5;
    QTest::newRow("everything") << words("--host 0.0.0.0 --port 0 --mode silent --record r.jsonl "
                                         "--max-message-size 1K --max-connections 2")
                                << QStringLiteral("0.0.0.0") << 0 << silent << QStringLiteral("r.jsonl") << qint64(1024)
                                << 2;
    QTest::newRow("last one wins") << words("--port 1 --port 2") << local << 2 << echo << QString() << m64 << 1000;
}

void TestCommandLine::serveOptions()
{
    QFETCH(QStringList, args);
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(int, mode);
    QFETCH(QString, record);
    QFETCH(qint64, maxMessage);
    QFETCH(int, maxConnections);

    const CommandLine c = parse(QStringList { QStringLiteral("serve") } + args);
    QVERIFY2(c.action == Action::Serve, qPrintable(c.error));
    QCOMPARE(c.server.host, host);
    QCOMPARE(int(c.server.port), port);
    QCOMPARE(int(c.server.behaviour.mode), mode);
    QCOMPARE(c.recordFile, record);
    QCOMPARE(c.server.maxMessageBytes, maxMessage);
    QCOMPARE(c.server.maxConnections, maxConnections);
}

void TestCommandLine::serveBehaviourOptions()
{
    const CommandLine c = parse(words("serve --mode broadcast --broadcast-to-sender --rules r.json --push-every 250 "
                                      "--push {\"t\":{{timestamp}}} --subprotocol graphql-ws --subprotocol v2.chat "
                                      "--allow-origin http://localhost:5173 --allow-origin https://app.example "
                                      "--tls-cert c.pem --tls-key k.pem"));
    QVERIFY2(c.action == Action::Serve, qPrintable(c.error));
    QCOMPARE(c.server.behaviour.mode, ServerMode::Broadcast);
    QVERIFY(c.server.behaviour.broadcastToSender);
    QCOMPARE(c.rulesFile, QStringLiteral("r.json"));
    QVERIFY(!c.server.behaviour.rules); // read by the command, not by the parser
    QCOMPARE(c.server.behaviour.pushEveryMs, 250);
    QCOMPARE(c.server.behaviour.pushTemplate, QStringLiteral("{\"t\":{{timestamp}}}"));
    QCOMPARE(c.server.subprotocols, (QStringList { QStringLiteral("graphql-ws"), QStringLiteral("v2.chat") }));
    QCOMPARE(c.server.allowedOrigins,
        (QStringList { QStringLiteral("http://localhost:5173"), QStringLiteral("https://app.example") }));
    QCOMPARE(c.server.tlsCertificatePath, QStringLiteral("c.pem"));
    QCOMPARE(c.server.tlsKeyPath, QStringLiteral("k.pem"));
    QVERIFY(c.server.isTls());
}

void TestCommandLine::serveErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("mentions");

    QTest::newRow("--host without value") << words("--host") << QStringLiteral("--host");
    QTest::newRow("--host empty") << QStringList { QStringLiteral("--host"), QString() } << QStringLiteral("--host");
    QTest::newRow("--port without value") << words("--port") << QStringLiteral("--port");
    QTest::newRow("--port 70000") << words("--port 70000") << QStringLiteral("70000");
    QTest::newRow("--port 65536") << words("--port 65536") << QStringLiteral("65536");
    QTest::newRow("--port -1") << words("--port -1") << QStringLiteral("-1");
    QTest::newRow("--port abc") << words("--port abc") << QStringLiteral("abc");
    QTest::newRow("--mode without value") << words("--mode") << QStringLiteral("--mode");
    QTest::newRow("--push-every alone") << words("--push-every 100") << QStringLiteral("go together");
    QTest::newRow("--push alone") << words("--push tick") << QStringLiteral("go together");
    QTest::newRow("--push-every 5") << words("--push-every 5 --push x") << QStringLiteral("\u201c5\u201d");
    QTest::newRow("--push-every x") << words("--push-every x --push x") << QStringLiteral("\u201cx\u201d");
    QTest::newRow("--push bad template") << words("--push-every 100 --push {{nope}}") << QStringLiteral("nope");
    QTest::newRow("--subprotocol with a space")
        << QStringList { QStringLiteral("--subprotocol"), QStringLiteral("a b") } << QStringLiteral("--subprotocol");
    QTest::newRow("--subprotocol with a comma") << words("--subprotocol a,b") << QStringLiteral("--subprotocol");
    QTest::newRow("--allow-origin without value") << words("--allow-origin") << QStringLiteral("--allow-origin");
    QTest::newRow("--rules without file") << words("--rules") << QStringLiteral("--rules");
    QTest::newRow("--tls-cert alone") << words("--tls-cert c.pem") << QStringLiteral("go together");
    QTest::newRow("--tls-key alone") << words("--tls-key k.pem") << QStringLiteral("go together");
    QTest::newRow("--mode bogus") << words("--mode bogus") << QStringLiteral("bogus");
    QTest::newRow("--record without file") << words("--record") << QStringLiteral("--record");
    QTest::newRow("--max-message-size 0") << words("--max-message-size 0") << QStringLiteral("\u201c0\u201d");
    QTest::newRow("--max-message-size 2G") << words("--max-message-size 2G") << QStringLiteral("\u201c2G\u201d");
    QTest::newRow("--max-message-size -5") << words("--max-message-size -5") << QStringLiteral("-5");
    QTest::newRow("--max-message-size 16MB") << words("--max-message-size 16MB") << QStringLiteral("16MB");
    QTest::newRow("--max-message-size M") << words("--max-message-size M") << QStringLiteral("\u201cM\u201d");
    QTest::newRow("--max-message-size huge")
        << words("--max-message-size 99999999999G") << QStringLiteral("99999999999G");
    QTest::newRow("--max-message-size without value")
        << words("--max-message-size") << QStringLiteral("--max-message-size");
    QTest::newRow("--max-connections 0") << words("--max-connections 0") << QStringLiteral("\u201c0\u201d");
    QTest::newRow("--max-connections x") << words("--max-connections x") << QStringLiteral("\u201cx\u201d");
    QTest::newRow("unknown option") << words("--verbose") << QStringLiteral("--verbose");
    QTest::newRow("stray argument") << words("extra") << QStringLiteral("extra");
    QTest::newRow("good then bad") << words("--port 0 --bogus") << QStringLiteral("--bogus");
}

void TestCommandLine::serveErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, mentions);

    const CommandLine c = parse(QStringList { QStringLiteral("serve") } + args);
    QCOMPARE(c.action, Action::Error);
    QVERIFY2(c.error.contains(mentions), qPrintable(c.error));
    QVERIFY2(!c.error.contains(u'\n'), "the reason is one line");
}

void TestCommandLine::connectDefaults()
{
    const CommandLine c = parse(words("connect ws://127.0.0.1:8765/chat"));
    QVERIFY2(c.action == Action::Connect, qPrintable(c.error));
    QCOMPARE(c.client.url, QUrl(QStringLiteral("ws://127.0.0.1:8765/chat")));
    QVERIFY(c.client.headers.isEmpty());
    QVERIFY(c.client.subprotocols.isEmpty());
    QCOMPARE(c.client.origin, QString());
    QCOMPARE(c.client.auth.kind, ClientAuth::Kind::None);
    QVERIFY(!c.client.ignoreCertificateErrors); // safe default: TLS verification on
    QCOMPARE(c.client.pingIntervalMs, 0);
    QVERIFY(!c.client.reconnect.enabled);
    QVERIFY(c.sendTexts.isEmpty());
    QCOMPARE(c.sendFile, QString());
    QCOMPARE(c.recordFile, QString());
    QVERIFY(!c.interactive);
}

void TestCommandLine::connectUrls_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QUrl>("url");
    QTest::newRow("ws") << words("ws://h:1/x") << QUrl(QStringLiteral("ws://h:1/x"));
    QTest::newRow("wss with query") << words("wss://echo.example.org/chat?room=1")
                                    << QUrl(QStringLiteral("wss://echo.example.org/chat?room=1"));
    QTest::newRow("IPv6") << words("ws://[::1]:8765/") << QUrl(QStringLiteral("ws://[::1]:8765/"));
    QTest::newRow("URL after the options") << words("--send hi ws://h/") << QUrl(QStringLiteral("ws://h/"));
    QTest::newRow("URL between options") << words("--origin http://o ws://h/ --send hi")
                                         << QUrl(QStringLiteral("ws://h/"));
}

void TestCommandLine::connectUrls()
{
    QFETCH(QStringList, args);
    QFETCH(QUrl, url);
    const CommandLine c = parse(QStringList { QStringLiteral("connect") } + args);
    QVERIFY2(c.action == Action::Connect, qPrintable(c.error));
    QCOMPARE(c.client.url, url);
}

void TestCommandLine::connectHeaders()
{
    // Names keep their casing, values their inner spaces; the spaces around a value are not part of it.
    const CommandLine c = parse({ QStringLiteral("connect"), QStringLiteral("ws://h/"), QStringLiteral("-H"),
        QStringLiteral("X-CuStOm-Name:  two  spaces inside  "), QStringLiteral("--header"), QStringLiteral("x-empty:"),
        QStringLiteral("-H"), QStringLiteral("Authorization: Token abc"), QStringLiteral("-H"),
        QStringLiteral("X-Url: http://a:b@c/d"), QStringLiteral("-H"), QStringLiteral("X-Tab:\ta\tb") });
    QVERIFY2(c.action == Action::Connect, qPrintable(c.error));
    const QList<QPair<QByteArray, QByteArray>> expected {
        { "X-CuStOm-Name", "two  spaces inside" },
        { "x-empty", "" },
        { "Authorization", "Token abc" },
        { "X-Url", "http://a:b@c/d" },
        { "X-Tab", "a\tb" },
    };
    QCOMPARE(c.client.headers, expected);
    QCOMPARE(c.client.auth.kind, ClientAuth::Kind::None);
}

void TestCommandLine::connectOptions()
{
    const CommandLine c = parse({ QStringLiteral("connect"), QStringLiteral("wss://h:9443/x"),
        QStringLiteral("--subprotocol"), QStringLiteral("graphql-ws"), QStringLiteral("--subprotocol"),
        QStringLiteral("v2.chat"), QStringLiteral("--subprotocol"), QStringLiteral("graphql-ws"),
        QStringLiteral("--origin"), QStringLiteral("http://localhost:5173"), QStringLiteral("--insecure"),
        QStringLiteral("--send"), QStringLiteral("first message"), QStringLiteral("--send"), QString(),
        QStringLiteral("--send"), QStringLiteral("-dash"), QStringLiteral("--send-file"), QStringLiteral("b.bin"),
        QStringLiteral("--ping-every"), QStringLiteral("200"), QStringLiteral("--record"), QStringLiteral("r.jsonl"),
        QStringLiteral("--interactive") });
    QVERIFY2(c.action == Action::Connect, qPrintable(c.error));
    QCOMPARE(c.client.url, QUrl(QStringLiteral("wss://h:9443/x")));
    // In order of preference; a repeated one is offered once.
    QCOMPARE(c.client.subprotocols, (QStringList { QStringLiteral("graphql-ws"), QStringLiteral("v2.chat") }));
    QCOMPARE(c.client.origin, QStringLiteral("http://localhost:5173"));
    QVERIFY(c.client.ignoreCertificateErrors);
    // In order; an empty message and one that starts with a dash are messages like any other.
    QCOMPARE(c.sendTexts, (QStringList { QStringLiteral("first message"), QString(), QStringLiteral("-dash") }));
    QCOMPARE(c.sendFile, QStringLiteral("b.bin")); // read by the command: parsing has no side effects
    QCOMPARE(c.client.pingIntervalMs, 200);
    QCOMPARE(c.recordFile, QStringLiteral("r.jsonl"));
    QVERIFY(c.interactive);

    const CommandLine shortForms = parse(words("connect ws://h/ -k -i --ping-every 10"));
    QVERIFY2(shortForms.action == Action::Connect, qPrintable(shortForms.error));
    QVERIFY(shortForms.client.ignoreCertificateErrors);
    QVERIFY(shortForms.interactive);
    QCOMPARE(shortForms.client.pingIntervalMs, 10);
    QCOMPARE(parse(words("connect ws://h/ --ping-every 3600000")).client.pingIntervalMs, 3600000);
    QCOMPARE(int(parse(words("connect ws://h/ --help")).action), int(Action::Help));
}

void TestCommandLine::connectAuth_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("token");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("password");
    QTest::addColumn<QByteArray>("header");

    const int bearer = int(ClientAuth::Kind::Bearer);
    const int basic = int(ClientAuth::Kind::Basic);
    QTest::newRow("--bearer") << words("--bearer abc.def-123") << bearer << QStringLiteral("abc.def-123") << QString()
                              << QString() << QByteArray("Bearer abc.def-123");
    QTest::newRow("--basic") << words("--basic ann:secret") << basic << QString() << QStringLiteral("ann")
                             << QStringLiteral("secret") << QByteArray("Basic YW5uOnNlY3JldA==");
    QTest::newRow("--basic password with colons")
        << words("--basic ann:a:b:c") << basic << QString() << QStringLiteral("ann") << QStringLiteral("a:b:c")
        << QByteArray("Basic ") + QByteArray("ann:a:b:c").toBase64();
    QTest::newRow("--basic empty password") << words("--basic ann:") << basic << QString() << QStringLiteral("ann")
                                            << QString() << QByteArray("Basic YW5uOg==");
    QTest::newRow("--basic with a space")
        << QStringList { QStringLiteral("--basic"), QStringLiteral("A B:p w") } << basic << QString()
        << QStringLiteral("A B") << QStringLiteral("p w") << QByteArray("Basic ") + QByteArray("A B:p w").toBase64();
}

void TestCommandLine::connectAuth()
{
    QFETCH(QStringList, args);
    QFETCH(int, kind);
    QFETCH(QString, token);
    QFETCH(QString, user);
    QFETCH(QString, password);
    QFETCH(QByteArray, header);

    const CommandLine c = parse(QStringList { QStringLiteral("connect"), QStringLiteral("ws://h/") } + args);
    QVERIFY2(c.action == Action::Connect, qPrintable(c.error));
    QCOMPARE(int(c.client.auth.kind), kind);
    QCOMPARE(c.client.auth.token, token);
    QCOMPARE(c.client.auth.user, user);
    QCOMPARE(c.client.auth.password, password);
    QCOMPARE(authorizationValue(c.client.auth), header);
    QVERIFY(c.client.headers.isEmpty()); // the engine turns auth into the header
}

void TestCommandLine::connectAuthFromFile_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("file");

    // Parsing reads no file: these do not exist, and that is for the command to say.
    QTest::newRow("--bearer @FILE") << words("--bearer @/no/such/token") << int(ClientAuth::Kind::Bearer)
                                    << QStringLiteral("/no/such/token");
    QTest::newRow("--basic @FILE") << words("--basic @relative/credentials.txt") << int(ClientAuth::Kind::Basic)
                                   << QStringLiteral("relative/credentials.txt");
    QTest::newRow("file name with a space")
        << QStringList { QStringLiteral("--bearer"), QStringLiteral("@my token.txt") } << int(ClientAuth::Kind::Bearer)
        << QStringLiteral("my token.txt");
}

void TestCommandLine::connectAuthFromFile()
{
    QFETCH(QStringList, args);
    QFETCH(int, kind);
    QFETCH(QString, file);

    const CommandLine c = parse(QStringList { QStringLiteral("connect"), QStringLiteral("ws://h/") } + args);
    QVERIFY2(c.action == Action::Connect, qPrintable(c.error));
    QCOMPARE(int(c.client.auth.kind), kind);
    QCOMPARE(c.authFile, file);
    QVERIFY(c.client.auth.token.isEmpty());
    QVERIFY(c.client.auth.user.isEmpty());
    QVERIFY(c.client.auth.password.isEmpty());
    QVERIFY(c.client.headers.isEmpty());

    const CommandLine plain = parse(words("connect ws://h/ --bearer abc"));
    QVERIFY(plain.authFile.isEmpty());
}

void TestCommandLine::authFromValue_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("value");
    QTest::addColumn<QString>("problem"); // a part of it; empty when the value is fine
    QTest::addColumn<QString>("token");
    QTest::addColumn<QString>("user");
    QTest::addColumn<QString>("password");

    const int bearer = int(ClientAuth::Kind::Bearer);
    const int basic = int(ClientAuth::Kind::Basic);
    QTest::newRow("token") << bearer << QStringLiteral("abc.def") << QString() << QStringLiteral("abc.def") << QString()
                           << QString();
    QTest::newRow("empty token") << bearer << QString() << QStringLiteral("--bearer") << QString() << QString()
                                 << QString();
    QTest::newRow("token with a space") << bearer << QStringLiteral("a b") << QStringLiteral("--bearer") << QString()
                                        << QString() << QString();
    QTest::newRow("token with a line feed")
        << bearer << QStringLiteral("a\nb") << QStringLiteral("--bearer") << QString() << QString() << QString();
    QTest::newRow("user and password") << basic << QStringLiteral("ann:p:w") << QString() << QString()
                                       << QStringLiteral("ann") << QStringLiteral("p:w");
    QTest::newRow("no colon") << basic << QStringLiteral("ann") << QStringLiteral("USER:PASSWORD") << QString()
                              << QString() << QString();
    QTest::newRow("password with a CR") << basic << QStringLiteral("ann:pw\r") << QStringLiteral("USER:PASSWORD")
                                        << QString() << QString() << QString();
}

void TestCommandLine::authFromValue()
{
    QFETCH(int, kind);
    QFETCH(QString, value);
    QFETCH(QString, problem);
    QFETCH(QString, token);
    QFETCH(QString, user);
    QFETCH(QString, password);

    ClientAuth auth;
    const QString got = CommandLine::authFromValue(ClientAuth::Kind(kind), value, &auth);
    if (!problem.isEmpty()) {
        QVERIFY2(got.contains(problem), qPrintable(got));
        QCOMPARE(auth, ClientAuth {}); // left alone
        return;
    }
    QVERIFY2(got.isEmpty(), qPrintable(got));
    QCOMPARE(int(auth.kind), kind);
    QCOMPARE(auth.token, token);
    QCOMPARE(auth.user, user);
    QCOMPARE(auth.password, password);
}

void TestCommandLine::connectErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("mentions");

    auto row = [](const char* name, const QStringList& args, const QString& mentions) {
        QTest::newRow(name) << args << mentions;
    };
    const QString url = QStringLiteral("ws://h/");
    row("no URL", {}, QStringLiteral("URL"));
    row("options but no URL", words("--send hi"), QStringLiteral("URL"));
    row("http URL", words("http://example.com/"), QStringLiteral("http://example.com/"));
    row("https URL", words("https://example.com/"), QStringLiteral("https://example.com/"));
    row("not a URL", words("notaurl"), QStringLiteral("notaurl"));
    row("no host", words("ws://"), QStringLiteral("ws://"));
    row("file URL", words("file:///tmp/x"), QStringLiteral("file:///tmp/x"));
    row("two URLs", words("ws://a/ ws://b/"), QStringLiteral("ws://b/"));
    row("unknown option", { url, QStringLiteral("--verbose") }, QStringLiteral("--verbose"));
    row("unknown short option", { url, QStringLiteral("-x") }, QStringLiteral("-x"));
    row("serve option", { url, QStringLiteral("--port"), QStringLiteral("1") }, QStringLiteral("--port"));
    row("-H without value", { url, QStringLiteral("-H") }, QStringLiteral("-H"));
    row("-H without colon", { url, QStringLiteral("-H"), QStringLiteral("X-Token abc") },
        QStringLiteral("X-Token abc"));
    row("-H without name", { url, QStringLiteral("-H"), QStringLiteral(": abc") }, QStringLiteral(": abc"));
    row("-H name with a space", { url, QStringLiteral("-H"), QStringLiteral("X Token: abc") },
        QStringLiteral("X Token: abc"));
    row("-H space before the colon", { url, QStringLiteral("-H"), QStringLiteral("X-Token : abc") },
        QStringLiteral("X-Token : abc"));
    row("-H name with a bracket", { url, QStringLiteral("-H"), QStringLiteral("X[1]: abc") },
        QStringLiteral("X[1]: abc"));
    row("-H value with a line feed", { url, QStringLiteral("-H"), QStringLiteral("X-A: b\r\nX-Injected: 1") },
        QStringLiteral("X-A"));
    row("-H value with NUL", { url, QStringLiteral("-H"), QStringLiteral("X-A: b") + QChar(0) },
        QStringLiteral("control"));
    row("-H Host", { url, QStringLiteral("-H"), QStringLiteral("host: other") }, QStringLiteral("Host"));
    row("-H Upgrade", { url, QStringLiteral("-H"), QStringLiteral("Upgrade: h2c") }, QStringLiteral("Upgrade"));
    row("-H Connection", { url, QStringLiteral("-H"), QStringLiteral("Connection: close") },
        QStringLiteral("Connection"));
    row("-H Sec-WebSocket-Key", { url, QStringLiteral("-H"), QStringLiteral("Sec-WebSocket-Key: x") },
        QStringLiteral("Sec-WebSocket-Key"));
    row("-H Sec-WebSocket-Version", { url, QStringLiteral("-H"), QStringLiteral("sec-websocket-version: 8") },
        QStringLiteral("Sec-WebSocket-Version"));
    row("-H Sec-WebSocket-Extensions",
        { url, QStringLiteral("-H"), QStringLiteral("Sec-WebSocket-Extensions: permessage-deflate") },
        QStringLiteral("extensions"));
    row("-H Sec-WebSocket-Protocol", { url, QStringLiteral("-H"), QStringLiteral("Sec-WebSocket-Protocol: a") },
        QStringLiteral("--subprotocol"));
    row("-H Origin", { url, QStringLiteral("-H"), QStringLiteral("Origin: http://x") }, QStringLiteral("--origin"));
    row("-H Authorization and --bearer",
        { url, QStringLiteral("-H"), QStringLiteral("Authorization: x"), QStringLiteral("--bearer"),
            QStringLiteral("t") },
        QStringLiteral("--bearer"));
    row("--subprotocol without value", { url, QStringLiteral("--subprotocol") }, QStringLiteral("--subprotocol"));
    row("--subprotocol with a space", { url, QStringLiteral("--subprotocol"), QStringLiteral("a b") },
        QStringLiteral("--subprotocol"));
    row("--subprotocol with a comma", { url, QStringLiteral("--subprotocol"), QStringLiteral("a,b") },
        QStringLiteral("--subprotocol"));
    row("--subprotocol empty", { url, QStringLiteral("--subprotocol"), QString() }, QStringLiteral("--subprotocol"));
    row("--origin without value", { url, QStringLiteral("--origin") }, QStringLiteral("--origin"));
    row("--origin empty", { url, QStringLiteral("--origin"), QString() }, QStringLiteral("--origin"));
    row("--origin with a line feed", { url, QStringLiteral("--origin"), QStringLiteral("http://a\nX: 1") },
        QStringLiteral("--origin"));
    row("--bearer without value", { url, QStringLiteral("--bearer") }, QStringLiteral("--bearer"));
    row("--bearer empty", { url, QStringLiteral("--bearer"), QString() }, QStringLiteral("--bearer"));
    row("--bearer with a space", { url, QStringLiteral("--bearer"), QStringLiteral("a b") },
        QStringLiteral("--bearer"));
    row("--basic without value", { url, QStringLiteral("--basic") }, QStringLiteral("--basic"));
    row("--basic without colon", { url, QStringLiteral("--basic"), QStringLiteral("ann") },
        QStringLiteral("USER:PASSWORD"));
    row("--basic without user", { url, QStringLiteral("--basic"), QStringLiteral(":secret") },
        QStringLiteral("USER:PASSWORD"));
    row("--bearer @ without a file", { url, QStringLiteral("--bearer"), QStringLiteral("@") },
        QStringLiteral("--bearer @FILE"));
    row("--basic @ without a file", { url, QStringLiteral("--basic"), QStringLiteral("@") },
        QStringLiteral("--basic @FILE"));
    row("--bearer @FILE and --basic",
        { url, QStringLiteral("--bearer"), QStringLiteral("@t.txt"), QStringLiteral("--basic"), QStringLiteral("a:b") },
        QStringLiteral("only one"));
    row("-H Authorization and --basic @FILE",
        { url, QStringLiteral("-H"), QStringLiteral("Authorization: x"), QStringLiteral("--basic"),
            QStringLiteral("@c.txt") },
        QStringLiteral("--bearer/--basic"));
    row("--bearer and --basic",
        { url, QStringLiteral("--bearer"), QStringLiteral("t"), QStringLiteral("--basic"), QStringLiteral("a:b") },
        QStringLiteral("only one"));
    row("--send without value", { url, QStringLiteral("--send") }, QStringLiteral("--send"));
    row("--send-file without value", { url, QStringLiteral("--send-file") }, QStringLiteral("--send-file"));
    row("--send-file empty", { url, QStringLiteral("--send-file"), QString() }, QStringLiteral("--send-file"));
    row("two --send-file",
        { url, QStringLiteral("--send-file"), QStringLiteral("a"), QStringLiteral("--send-file"), QStringLiteral("b") },
        QStringLiteral("--send-file"));
    row("--ping-every without value", { url, QStringLiteral("--ping-every") }, QStringLiteral("--ping-every"));
    row("--ping-every 0", { url, QStringLiteral("--ping-every"), QStringLiteral("0") },
        QStringLiteral("\u201c0\u201d"));
    row("--ping-every 9", { url, QStringLiteral("--ping-every"), QStringLiteral("9") },
        QStringLiteral("\u201c9\u201d"));
    row("--ping-every -5", { url, QStringLiteral("--ping-every"), QStringLiteral("-5") },
        QStringLiteral("\u201c-5\u201d"));
    row("--ping-every abc", { url, QStringLiteral("--ping-every"), QStringLiteral("abc") },
        QStringLiteral("\u201cabc\u201d"));
    row("--ping-every 1.5", { url, QStringLiteral("--ping-every"), QStringLiteral("1.5") },
        QStringLiteral("\u201c1.5\u201d"));
    row("--ping-every too big", { url, QStringLiteral("--ping-every"), QStringLiteral("3600001") },
        QStringLiteral("3600001"));
    row("--ping-every overflow", { url, QStringLiteral("--ping-every"), QStringLiteral("99999999999") },
        QStringLiteral("99999999999"));
    row("--record without value", { url, QStringLiteral("--record") }, QStringLiteral("--record"));
    row("--record empty", { url, QStringLiteral("--record"), QString() }, QStringLiteral("--record"));
    row("good then bad", { url, QStringLiteral("--send"), QStringLiteral("x"), QStringLiteral("--bogus") },
        QStringLiteral("--bogus"));
}

void TestCommandLine::connectErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, mentions);

    const CommandLine c = parse(QStringList { QStringLiteral("connect") } + args);
    QCOMPARE(c.action, Action::Error);
    QVERIFY2(c.error.contains(mentions), qPrintable(c.error));
    QVERIFY2(c.error.startsWith(QLatin1StringView("connect")), qPrintable(c.error));
    QVERIFY2(!c.error.contains(u'\n'), "the reason is one line");
}

void TestCommandLine::connectHelp()
{
    // The command's help is the one help text; the GUI form --connect still parses as before.
    QCOMPARE(int(parse(words("connect -h")).action), int(Action::Help));
    const CommandLine gui = parse(words("--connect ws://h/"));
    QCOMPARE(gui.action, Action::Gui);
    QCOMPARE(gui.guiConnectUrl, QUrl(QStringLiteral("ws://h/")));
}

void TestCommandLine::convertForms_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("output");
    QTest::addColumn<bool>("includeSecrets");

    QTest::newRow("jsonl to jsonl") << words("a.jsonl b.jsonl") << QStringLiteral("a.jsonl")
                                    << QStringLiteral("b.jsonl") << false;
    QTest::newRow("to HAR") << words("a.jsonl b.har") << QStringLiteral("a.jsonl") << QStringLiteral("b.har") << false;
    QTest::newRow("to CSV") << words("a.jsonl b.csv") << QStringLiteral("a.jsonl") << QStringLiteral("b.csv") << false;
    QTest::newRow("to text") << words("a.jsonl b.txt") << QStringLiteral("a.jsonl") << QStringLiteral("b.txt") << false;
    QTest::newRow("to .log") << words("a.jsonl b.log") << QStringLiteral("a.jsonl") << QStringLiteral("b.log") << false;
    QTest::newRow("to pcap") << words("a.jsonl b.pcap") << QStringLiteral("a.jsonl") << QStringLiteral("b.pcap")
                             << false;
    QTest::newRow("extension in capitals")
        << words("a.jsonl B.PCAP") << QStringLiteral("a.jsonl") << QStringLiteral("B.PCAP") << false;
    QTest::newRow("HAR in") << words("capture.har out.jsonl") << QStringLiteral("capture.har")
                            << QStringLiteral("out.jsonl") << false;
    QTest::newRow("input of any name") << words("journal out.jsonl") << QStringLiteral("journal")
                                       << QStringLiteral("out.jsonl") << false;
    QTest::newRow("--include-secrets last")
        << words("a.jsonl b.har --include-secrets") << QStringLiteral("a.jsonl") << QStringLiteral("b.har") << true;
    QTest::newRow("--include-secrets first")
        << words("--include-secrets a.jsonl b.har") << QStringLiteral("a.jsonl") << QStringLiteral("b.har") << true;
    QTest::newRow("--include-secrets between")
        << words("a.jsonl --include-secrets b.har") << QStringLiteral("a.jsonl") << QStringLiteral("b.har") << true;
    QTest::newRow("paths with spaces") << QStringList { QStringLiteral("my session.jsonl"),
        QStringLiteral("my log.txt") } << QStringLiteral("my session.jsonl")
                                       << QStringLiteral("my log.txt") << false;
    QTest::newRow("-- before a dashed name")
        << words("-- -odd.jsonl out.csv") << QStringLiteral("-odd.jsonl") << QStringLiteral("out.csv") << false;
    QTest::newRow("the same name in other folders")
        << words("a/s.jsonl b/s.jsonl") << QStringLiteral("a/s.jsonl") << QStringLiteral("b/s.jsonl") << false;
    QTest::newRow("same base name, other format")
        << words("s.jsonl s.har") << QStringLiteral("s.jsonl") << QStringLiteral("s.har") << false;
}

void TestCommandLine::convertForms()
{
    QFETCH(QStringList, args);
    QFETCH(QString, input);
    QFETCH(QString, output);
    QFETCH(bool, includeSecrets);

    const CommandLine c = parse(QStringList { QStringLiteral("convert") } + args);
    QVERIFY2(c.action == Action::Convert, qPrintable(c.error));
    QCOMPARE(c.convertInput, input);
    QCOMPARE(c.convertOutput, output);
    QCOMPARE(c.includeSecrets, includeSecrets);
}

void TestCommandLine::convertErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("mentions");

    QTest::newRow("nothing") << QStringList() << QStringLiteral("IN OUT");
    QTest::newRow("only --include-secrets") << words("--include-secrets") << QStringLiteral("IN OUT");
    QTest::newRow("no output") << words("a.jsonl") << QStringLiteral("missing the output file");
    QTest::newRow("no output lists the extensions") << words("a.jsonl") << QStringLiteral(".pcap");
    QTest::newRow("unknown extension") << words("a.jsonl b.xml") << QStringLiteral("\u201cb.xml\u201d");
    QTest::newRow("unknown extension lists the known ones")
        << words("a.jsonl b.xml") << QStringLiteral(".jsonl, .har, .csv, .txt, .log, .pcap");
    QTest::newRow("no extension") << words("a.jsonl out") << QStringLiteral("\u201cout\u201d");
    QTest::newRow("a dot only") << words("a.jsonl out.") << QStringLiteral("known extensions");
    QTest::newRow("same file") << words("a.jsonl a.jsonl") << QStringLiteral("same file");
    QTest::newRow("same file, other spelling") << words("a.jsonl ./x/../a.jsonl") << QStringLiteral("same file");
    QTest::newRow("unknown option") << words("a.jsonl b.jsonl --redact") << QStringLiteral("\u201c--redact\u201d");
    QTest::newRow("unknown short option") << words("-x a.jsonl b.jsonl") << QStringLiteral("\u201c-x\u201d");
    QTest::newRow("three files") << words("a.jsonl b.jsonl c.jsonl") << QStringLiteral("\u201cc.jsonl\u201d");
    QTest::newRow("empty input name") << QStringList { QString(), QStringLiteral("b.jsonl") }
                                      << QStringLiteral("empty");
    QTest::newRow("empty output name") << QStringList { QStringLiteral("a.jsonl"), QString() }
                                       << QStringLiteral("empty");
}

void TestCommandLine::convertErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, mentions);

    const CommandLine c = parse(QStringList { QStringLiteral("convert") } + args);
    QCOMPARE(c.action, Action::Error);
    QVERIFY2(c.error.contains(mentions), qPrintable(c.error));
    QVERIFY2(c.error.startsWith(QLatin1StringView("convert")), qPrintable(c.error));
    QVERIFY2(!c.error.contains(u'\n'), "the reason is one line");
}

// The list in the messages is what sessionFormatForPath knows: every listed extension picks a format, and
// every format's own extension is listed.
void TestCommandLine::convertExtensionsAreTheKnownOnes()
{
    const QStringList listed = CommandLine::convertExtensions().split(QLatin1StringView(", "));
    for (const QString& extension : listed) {
        QVERIFY2(extension.startsWith(u'.'), qPrintable(extension));
        QVERIFY2(sessionFormatForPath(QStringLiteral("x") + extension).has_value(), qPrintable(extension));
    }
    for (SessionFormat f :
        { SessionFormat::Jsonl, SessionFormat::Har, SessionFormat::Csv, SessionFormat::Text, SessionFormat::Pcap })
        QVERIFY2(listed.contains(u'.' + sessionFormatExtension(f)), qPrintable(sessionFormatExtension(f)));
}

void TestCommandLine::convertHelp()
{
    QCOMPARE(int(parse(words("convert --help")).action), int(Action::Help));
    QCOMPARE(int(parse(words("convert a.jsonl -h")).action), int(Action::Help));
    // After --, "--help" is a file name.
    const CommandLine c = parse(words("convert -- --help out.jsonl"));
    QCOMPARE(c.action, Action::Convert);
    QCOMPARE(c.convertInput, QStringLiteral("--help"));
}

void TestCommandLine::replayDefaults()
{
    const CommandLine c = parse(words("replay session.jsonl"));
    QVERIFY2(c.action == Action::Replay, qPrintable(c.error));
    QCOMPARE(c.replayFile, QStringLiteral("session.jsonl"));
    QCOMPARE(c.replayRole, ReplayRole::Client);
    QCOMPARE(c.replayConnection, 0u);
    QVERIFY(c.replayUrl.isEmpty());
    QCOMPARE(c.replaySpeed, 1.0);
    QVERIFY(!c.replayPaced);
    QCOMPARE(c.replyTimeoutMs, 10000);
    QVERIFY(c.ignorePaths.isEmpty());
    QVERIFY(!c.expect);
    QVERIFY(!c.replayLoop);
    QVERIFY(!c.replayAnswer);
    QVERIFY(c.recordFile.isEmpty());
    // As server: the test server's defaults for where to listen.
    const CommandLine s = parse(words("replay s.har --as server"));
    QVERIFY2(s.action == Action::Replay, qPrintable(s.error));
    QCOMPARE(s.replayRole, ReplayRole::Server);
    QCOMPARE(s.server.host, QStringLiteral("127.0.0.1"));
    QCOMPARE(s.server.port, quint16(8765));
}

void TestCommandLine::replayForms()
{
    CommandLine c
        = parse(words("replay --connection 7 s.jsonl --url ws://staging.example:81/chat --speed 0.25 --expect "
                      "--ignore-path $.ts --ignore-path $.items[*].id --record out.jsonl --reply-timeout 500"));
    QVERIFY2(c.action == Action::Replay, qPrintable(c.error));
    QCOMPARE(c.replayFile, QStringLiteral("s.jsonl"));
    QCOMPARE(c.replayConnection, 7u);
    QCOMPARE(c.replayUrl, QUrl(QStringLiteral("ws://staging.example:81/chat")));
    QCOMPARE(c.replaySpeed, 0.25);
    QVERIFY(c.expect);
    QCOMPARE(c.ignorePaths, QStringList({ QStringLiteral("$.ts"), QStringLiteral("$.items[*].id") }));
    QCOMPARE(c.recordFile, QStringLiteral("out.jsonl"));
    QCOMPARE(c.replyTimeoutMs, 500);

    c = parse(words("replay s.jsonl --speed 0"));
    QCOMPARE(c.replaySpeed, 0.0); // as fast as possible
    c = parse(words("replay s.jsonl --paced"));
    QVERIFY(c.replayPaced);

    // --as may come after the options that depend on it.
    c = parse(words("replay s.jsonl --port 0 --host 0.0.0.0 --answer --loop --speed 2 --as server"));
    QVERIFY2(c.action == Action::Replay, qPrintable(c.error));
    QCOMPARE(c.replayRole, ReplayRole::Server);
    QCOMPARE(c.server.port, quint16(0));
    QCOMPARE(c.server.host, QStringLiteral("0.0.0.0"));
    QVERIFY(c.replayAnswer);
    QVERIFY(c.replayLoop);
    QCOMPARE(c.replaySpeed, 2.0);

    c = parse(words("replay s.jsonl --speed 0.01"));
    QCOMPARE(c.replaySpeed, 0.01); // the floor itself
    // Answer mode is paced by the client: looping it as fast as possible is no flood.
    c = parse(words("replay s.jsonl --as server --loop --answer --speed 0"));
    QVERIFY2(c.action == Action::Replay, qPrintable(c.error));

    c = parse(words("replay -- -odd.jsonl"));
    QCOMPARE(c.replayFile, QStringLiteral("-odd.jsonl"));
    QCOMPARE(int(parse(words("replay --help")).action), int(Action::Help));
}

void TestCommandLine::replayErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("mentions");

    QTest::newRow("no file") << QStringList() << QStringLiteral("replay needs a session file");
    QTest::newRow("two files") << words("a.jsonl b.jsonl") << QStringLiteral("\u201cb.jsonl\u201d");
    QTest::newRow("empty file name") << QStringList { QString() } << QStringLiteral("empty");
    QTest::newRow("bad role") << words("s.jsonl --as proxy") << QStringLiteral("--as needs client or server");
    QTest::newRow("no role") << words("s.jsonl --as") << QStringLiteral("--as needs client or server");
    QTest::newRow("bad url") << words("s.jsonl --url http://x/") << QStringLiteral("not a ws:// or wss:// URL");
    QTest::newRow("no url") << words("s.jsonl --url") << QStringLiteral("--url needs");
    QTest::newRow("connection 0") << words("s.jsonl --connection 0") << QStringLiteral("connection id");
    QTest::newRow("connection text") << words("s.jsonl --connection two") << QStringLiteral("connection id");
    QTest::newRow("negative speed") << words("s.jsonl --speed -1") << QStringLiteral("invalid speed \u201c-1\u201d");
    QTest::newRow("speed text") << words("s.jsonl --speed fast") << QStringLiteral("invalid speed");
    QTest::newRow("speed nan") << words("s.jsonl --speed nan") << QStringLiteral("invalid speed");
    QTest::newRow("speed too high") << words("s.jsonl --speed 5000") << QStringLiteral("0.01 to 1000");
    // Just above 0, but below the floor: a recorded second would take minutes (and a tiny factor overflows).
    QTest::newRow("speed too low") << words("s.jsonl --speed 0.001")
                                   << QStringLiteral("invalid speed \u201c0.001\u201d");
    QTest::newRow("speed denormal") << words("s.jsonl --speed 1e-300") << QStringLiteral("0.01 to 1000");
    QTest::newRow("loop as fast as possible")
        << words("s.jsonl --as server --loop --speed 0") << QStringLiteral("--loop with --speed 0");
    QTest::newRow("speed and paced") << words("s.jsonl --speed 2 --paced")
                                     << QStringLiteral("either --speed or --paced");
    QTest::newRow("reply timeout") << words("s.jsonl --reply-timeout 0") << QStringLiteral("invalid reply timeout");
    QTest::newRow("bad ignore path") << words("s.jsonl --ignore-path ts")
                                     << QStringLiteral("invalid JSON path \u201cts\u201d");
    QTest::newRow("ignore path bracket") << words("s.jsonl --ignore-path $.a[") << QStringLiteral("not closed");
    QTest::newRow("bad port") << words("s.jsonl --as server --port 70000") << QStringLiteral("invalid port");
    QTest::newRow("client option as server")
        << words("s.jsonl --as server --expect") << QStringLiteral("--expect is for --as client");
    QTest::newRow("url as server") << words("s.jsonl --url ws://h/ --as server")
                                   << QStringLiteral("--url is for --as client");
    QTest::newRow("paced as server") << words("s.jsonl --as server --paced")
                                     << QStringLiteral("--paced is for --as client");
    QTest::newRow("server option as client") << words("s.jsonl --loop") << QStringLiteral("--loop is for --as server");
    QTest::newRow("answer as client") << words("s.jsonl --answer") << QStringLiteral("--answer is for --as server");
    QTest::newRow("port as client") << words("s.jsonl --port 1") << QStringLiteral("--port is for --as server");
    QTest::newRow("record over the input")
        << words("s.jsonl --record ./s.jsonl") << QStringLiteral("--record names the session");
    QTest::newRow("unknown option") << words("s.jsonl --frobnicate") << QStringLiteral("\u201c--frobnicate\u201d");
}

void TestCommandLine::replayErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, mentions);

    const CommandLine c = parse(QStringList { QStringLiteral("replay") } + args);
    QCOMPARE(c.action, Action::Error);
    QVERIFY2(c.error.contains(mentions), qPrintable(c.error));
    QVERIFY2(c.error.startsWith(QLatin1StringView("replay")), qPrintable(c.error));
    QVERIFY2(!c.error.contains(u'\n'), "the reason is one line");
}

void TestCommandLine::proxyDefaults()
{
    const CommandLine c = parse(words("proxy --listen 9000 --upstream ws://backend.example:8080/socket"));
    QVERIFY2(c.action == Action::Proxy, qPrintable(c.error));
    QCOMPARE(c.proxy.host, QStringLiteral("127.0.0.1")); // safe default: loopback only
    QCOMPARE(c.proxy.port, quint16(9000));
    QCOMPARE(c.proxy.upstream, QUrl(QStringLiteral("ws://backend.example:8080/socket")));
    QVERIFY(!c.proxy.ignoreCertificateErrors); // safe default: TLS verification on
    QCOMPARE(c.proxy.origin, QString());
    QCOMPARE(c.proxy.maxConnections, 1000);
    QCOMPARE(c.proxy.maxMessageBytes, qint64(64) * 1024 * 1024);
    QCOMPARE(c.recordFile, QString());
}

void TestCommandLine::proxyForms_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QUrl>("upstream");
    QTest::addColumn<bool>("insecure");
    QTest::addColumn<QString>("origin");
    QTest::addColumn<QString>("record");
    QTest::addColumn<int>("maxConnections");
    QTest::addColumn<qint64>("maxMessageBytes");

    const QString local = QStringLiteral("127.0.0.1");
    const QUrl ws(QStringLiteral("ws://127.0.0.1:8080/"));
    const qint64 mib64 = qint64(64) * 1024 * 1024;
    QTest::newRow("port only") << words("--listen 9000 --upstream ws://127.0.0.1:8080/") << local << 9000 << ws << false
                               << QString() << QString() << 1000 << mib64;
    QTest::newRow("port 0") << words("--listen 0 --upstream ws://127.0.0.1:8080/") << local << 0 << ws << false
                            << QString() << QString() << 1000 << mib64;
    QTest::newRow("host and port") << words("--listen 0.0.0.0:9001 --upstream ws://127.0.0.1:8080/")
                                   << QStringLiteral("0.0.0.0") << 9001 << ws << false << QString() << QString() << 1000
                                   << mib64;
    QTest::newRow("host name") << words("--listen localhost:9001 --upstream ws://127.0.0.1:8080/")
                               << QStringLiteral("localhost") << 9001 << ws << false << QString() << QString() << 1000
                               << mib64;
    QTest::newRow("IPv6") << words("--listen [::1]:9000 --upstream ws://127.0.0.1:8080/") << QStringLiteral("::1")
                          << 9000 << ws << false << QString() << QString() << 1000 << mib64;
    QTest::newRow("IPv6 any") << words("--listen [::]:0 --upstream ws://127.0.0.1:8080/") << QStringLiteral("::") << 0
                              << ws << false << QString() << QString() << 1000 << mib64;
    QTest::newRow("upstream first") << words("--upstream ws://127.0.0.1:8080/ --listen 9000") << local << 9000 << ws
                                    << false << QString() << QString() << 1000 << mib64;
    QTest::newRow("wss with path and query, insecure")
        << words("--listen 9000 --upstream wss://api.example.com/v1/ws?token=abc --insecure") << local << 9000
        << QUrl(QStringLiteral("wss://api.example.com/v1/ws?token=abc")) << true << QString() << QString() << 1000
        << mib64;
    QTest::newRow("-k") << words("-k --listen 9000 --upstream wss://h/") << local << 9000
                        << QUrl(QStringLiteral("wss://h/")) << true << QString() << QString() << 1000 << mib64;
    QTest::newRow("IPv6 upstream") << words("--listen 9000 --upstream ws://[::1]:8080/") << local << 9000
                                   << QUrl(QStringLiteral("ws://[::1]:8080/")) << false << QString() << QString()
                                   << 1000 << mib64;
    QTest::newRow("everything") << words("--listen 9000 --upstream ws://127.0.0.1:8080/ --origin http://localhost:5173 "
                                         "--record out.jsonl --max-connections 5 --max-message-size 16M")
                                << local << 9000 << ws << false << QStringLiteral("http://localhost:5173")
                                << QStringLiteral("out.jsonl") << 5 << qint64(16) * 1024 * 1024;
    QTest::newRow("--max-message-size in bytes")
        << words("--listen 9000 --upstream ws://127.0.0.1:8080/ --max-message-size 1048576") << local << 9000 << ws
        << false << QString() << QString() << 1000 << qint64(1048576);
    QTest::newRow("--max-message-size 1G, the largest")
        << words("--max-message-size 1g --listen 9000 --upstream ws://127.0.0.1:8080/") << local << 9000 << ws << false
        << QString() << QString() << 1000 << qint64(1) * 1024 * 1024 * 1024;
    QTest::newRow("--max-message-size 512K")
        << words("--listen 9000 --upstream ws://127.0.0.1:8080/ "
                 "--max-message-size 512K")
        << local << 9000 << ws << false << QString() << QString() << 1000 << qint64(512) * 1024;
}

void TestCommandLine::proxyForms()
{
    QFETCH(QStringList, args);
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QUrl, upstream);
    QFETCH(bool, insecure);
    QFETCH(QString, origin);
    QFETCH(QString, record);
    QFETCH(int, maxConnections);
    QFETCH(qint64, maxMessageBytes);

    const CommandLine c = parse(QStringList { QStringLiteral("proxy") } + args);
    QVERIFY2(c.action == Action::Proxy, qPrintable(c.error));
    QCOMPARE(c.proxy.host, host);
    QCOMPARE(int(c.proxy.port), port);
    QCOMPARE(c.proxy.upstream, upstream);
    QCOMPARE(c.proxy.ignoreCertificateErrors, insecure);
    QCOMPARE(c.proxy.origin, origin);
    QCOMPARE(c.recordFile, record);
    QCOMPARE(c.proxy.maxConnections, maxConnections);
    QCOMPARE(c.proxy.maxMessageBytes, maxMessageBytes);
}

void TestCommandLine::proxyErrors_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("mentions");

    const char* up = " --upstream ws://127.0.0.1:8080/";
    const auto with = [up](const char* listen) { return words(listen) + words(up); };
    QTest::newRow("nothing") << QStringList() << QStringLiteral("--listen");
    QTest::newRow("no --listen") << words(up) << QStringLiteral("--listen");
    QTest::newRow("no --upstream") << words("--listen 9000") << QStringLiteral("--upstream");
    QTest::newRow("--listen without value") << words("--listen") << QStringLiteral("--listen");
    QTest::newRow("--listen empty") << QStringList { QStringLiteral("--listen"), QString() }
                                    << QStringLiteral("--listen");
    QTest::newRow("--listen 70000") << with("--listen 70000") << QStringLiteral("\u201c70000\u201d");
    QTest::newRow("--listen -1") << with("--listen -1") << QStringLiteral("\u201c-1\u201d");
    QTest::newRow("--listen abc") << with("--listen abc") << QStringLiteral("\u201cabc\u201d");
    QTest::newRow("--listen host without port") << with("--listen localhost:") << QStringLiteral("localhost:");
    QTest::newRow("--listen colon port") << with("--listen :9000") << QStringLiteral("HOST:PORT");
    QTest::newRow("--listen bad port after host") << with("--listen 127.0.0.1:x") << QStringLiteral("\u201cx\u201d");
    QTest::newRow("--listen IPv6 without brackets") << with("--listen ::1:9000") << QStringLiteral("[::1]:9000");
    QTest::newRow("--listen IPv6 without port") << with("--listen [::1]") << QStringLiteral("[::1]");
    QTest::newRow("--listen IPv6 bracket not closed") << with("--listen [::1:9000") << QStringLiteral("[::1:9000");
    QTest::newRow("--listen not IPv6 in brackets")
        << with("--listen [localhost]:9000") << QStringLiteral("\u201clocalhost\u201d");
    QTest::newRow("two --listen") << with("--listen 1 --listen 2") << QStringLiteral("one --listen");
    QTest::newRow("--upstream without value") << words("--listen 9000 --upstream") << QStringLiteral("--upstream");
    QTest::newRow("--upstream http") << words("--listen 9000 --upstream http://127.0.0.1:8080/")
                                     << QStringLiteral("http://127.0.0.1:8080/");
    QTest::newRow("--upstream without scheme")
        << words("--listen 9000 --upstream localhost:8080") << QStringLiteral("\u201clocalhost:8080\u201d");
    QTest::newRow("--upstream without host") << words("--listen 9000 --upstream ws:///x") << QStringLiteral("ws:///x");
    QTest::newRow("--upstream not a URL") << words("--listen 9000 --upstream notaurl") << QStringLiteral("notaurl");
    QTest::newRow("--upstream bad port") << words("--listen 9000 --upstream ws://h:99999/")
                                         << QStringLiteral("ws://h:99999/");
    QTest::newRow("two --upstream") << words("--listen 9000 --upstream ws://a/ --upstream ws://b/")
                                    << QStringLiteral("one --upstream");
    QTest::newRow("--origin without value")
        << words(up) + words("--listen 9000 --origin") << QStringLiteral("--origin");
    QTest::newRow("--origin with a line break")
        << with("--listen 9000") + QStringList { QStringLiteral("--origin"), QStringLiteral("http://a\r\nX: y") }
        << QStringLiteral("--origin");
    QTest::newRow("--record without file") << words(up) + words("--listen 9000 --record") << QStringLiteral("--record");
    QTest::newRow("--max-connections 0") << with("--listen 9000 --max-connections 0")
                                         << QStringLiteral("\u201c0\u201d");
    QTest::newRow("--max-connections x") << with("--listen 9000 --max-connections x")
                                         << QStringLiteral("\u201cx\u201d");
    QTest::newRow("--max-connections without value")
        << words(up) + words("--listen 9000 --max-connections") << QStringLiteral("--max-connections");
    QTest::newRow("--max-message-size without value")
        << words(up) + words("--listen 9000 --max-message-size") << QStringLiteral("--max-message-size");
    QTest::newRow("--max-message-size 0")
        << with("--listen 9000 --max-message-size 0") << QStringLiteral("invalid size \u201c0\u201d (1 byte to 1G");
    QTest::newRow("--max-message-size 2G")
        << with("--listen 9000 --max-message-size 2G") << QStringLiteral("invalid size \u201c2G\u201d");
    QTest::newRow("--max-message-size -1")
        << with("--listen 9000 --max-message-size -1") << QStringLiteral("invalid size \u201c-1\u201d");
    QTest::newRow("--max-message-size 16X")
        << with("--listen 9000 --max-message-size 16X") << QStringLiteral("invalid size \u201c16X\u201d");
    // The proxy passes on each client's own Authorization and Cookie: credentials in the URL would reach nobody.
    QTest::newRow("--upstream with user and password")
        << words("--listen 9000 --upstream wss://user:s3cret@api.example.com/ws")
        << QStringLiteral("must not hold a user name or password");
    QTest::newRow("--upstream with a token as user name")
        << words("--listen 9000 --upstream ws://T0KEN@127.0.0.1:8080/") << QStringLiteral("Authorization");
    QTest::newRow("--upstream with user info, not ws")
        << words("--listen 9000 --upstream https://user:s3cret@api.example.com/")
        << QStringLiteral("must not hold a user name or password");
    QTest::newRow("--upstream with user info, not a valid URL")
        << words("--listen 9000 --upstream ws://user:s3cret@exa%mple/")
        << QStringLiteral("must not hold a user name or password");
    QTest::newRow("serve's --port") << with("--port 9000") << QStringLiteral("\u201c--port\u201d");
    QTest::newRow("stray argument") << with("--listen 9000 ws://x/") << QStringLiteral("\u201cws://x/\u201d");
}

void TestCommandLine::proxyErrors()
{
    QFETCH(QStringList, args);
    QFETCH(QString, mentions);

    const CommandLine c = parse(QStringList { QStringLiteral("proxy") } + args);
    QCOMPARE(c.action, Action::Error);
    QVERIFY2(c.error.contains(mentions), qPrintable(c.error));
    QVERIFY2(c.error.startsWith(QLatin1StringView("proxy")), qPrintable(c.error));
    QVERIFY2(!c.error.contains(u'\n'), "the reason is one line");
    // A password given by mistake is not repeated on the terminal.
    QVERIFY2(!c.error.contains(QLatin1StringView("s3cret")) && !c.error.contains(QLatin1StringView("T0KEN")),
        qPrintable(c.error));
}

void TestCommandLine::helpText()
{
    const QString help = CommandLine::helpText();
    for (const char* needle : { "serve", "--serve", "--connect", "--record", "--port", "--host", "--mode", "broadcast",
             "--broadcast-to-sender", "--rules", "--push-every", "--push", "--subprotocol", "--allow-origin",
             "--tls-cert", "--tls-key", "{{counter}}", "|json", "--max-message-size", "--max-connections", "--version",
             "--help", WSI_VERSION, "connect URL", "-H \"Name: value\"", "--origin", "--bearer", "--basic", "@FILE",
             "visible to other users", "--insecure", "--send", "--send-file", "--ping-every", "--interactive",
             "< [binary N bytes]", "convert IN OUT", "--include-secrets", "[redacted]", ".pcap", "replay FILE",
             "--as client|server", "--connection ID", "--speed X", "--url URL", "--paced", "--reply-timeout MS",
             "--expect", "--ignore-path P", "$.items[*].id", "$..id", "--answer", "--loop",
             "proxy --listen [HOST:]PORT --upstream URL", "[::1]:9000", "--upstream URL", "HTTP 502", "426",
             "proxying ws://HOST:PORT/ -> URL", "permessage-deflate", "recorded without it",
             "message 3 differs at\n                            $.price",
             // convert and the GUI read HAR files as well as sessions.
             "a .jsonl session or a .har file", "convert reads IN, a session (.jsonl) or a HAR file (.har" }) {
        QVERIFY2(help.contains(QLatin1StringView(needle)), needle);
    }
    QVERIFY(help.endsWith(u'\n'));
}

QTEST_GUILESS_MAIN(TestCommandLine)
#include "tst_commandline.moc"
