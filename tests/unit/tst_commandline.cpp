#include "cli/commandline.h"

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

    void unavailableCommands_data();
    void unavailableCommands();
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

void TestCommandLine::unavailableCommands_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("connect") << words("connect ws://127.0.0.1:8765/");
    QTest::newRow("replay") << words("replay session.jsonl");
    QTest::newRow("convert") << words("convert a.jsonl b.har");
    QTest::newRow("connect alone") << words("connect");
}

void TestCommandLine::unavailableCommands()
{
    QFETCH(QStringList, args);
    const CommandLine c = parse(args);
    QCOMPARE(c.action, Action::Error);
    QVERIFY2(c.error.contains(QLatin1StringView("not available")), qPrintable(c.error));
    QVERIFY2(c.error.contains(args.front()), qPrintable(c.error));
}

void TestCommandLine::helpText()
{
    const QString help = CommandLine::helpText();
    for (const char* needle : { "serve", "--serve", "--connect", "--record", "--port", "--host", "--mode", "broadcast",
             "--broadcast-to-sender", "--rules", "--push-every", "--push", "--subprotocol", "--allow-origin",
             "--tls-cert", "--tls-key", "{{counter}}", "|json", "--max-message-size", "--max-connections", "--version",
             "--help", WSI_VERSION }) {
        QVERIFY2(help.contains(QLatin1StringView(needle)), needle);
    }
    QVERIFY(help.endsWith(u'\n'));
}

QTEST_GUILESS_MAIN(TestCommandLine)
#include "tst_commandline.moc"
