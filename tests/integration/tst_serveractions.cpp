// The test server's actions (close with a code, abort, send to one client or to all, behaviour switches while it
// runs) seen by a client we did not write: Python's websockets (Debian's python3-websockets), run by
// tests/integration/peer_client.py under /usr/bin/python3 and driven line by line through its stdin/stdout.

#include "core/eventstore.h"
#include "net/capturesession.h"

#include <QFileInfo>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace wsi;

namespace {

constexpr int Timeout = 20000; // generous: a cold Python start on a busy machine
constexpr int Quiet = 1000; // how long "nothing arrives" is watched

// One peer_client.py process: what it printed, one line each ("open PORT SUB", "recv \"TEXT\"", "closed CODE
// \"REASON\"", "error ..."), and commands for its stdin.
class Peer
{
public:
    explicit Peer(const QUrl& url, const QStringList& subprotocols = {})
    {
        m_process.setProgram(QStringLiteral(WSI_PYTHON3));
        m_process.setArguments(QStringList { QStringLiteral(WSI_PEER_CLIENT), url.toString() } + subprotocols);
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        QObject::connect(&m_process, &QProcess::readyReadStandardOutput, &m_process, [this] {
            while (m_process.canReadLine())
                m_lines.append(QString::fromUtf8(m_process.readLine()).trimmed());
        });
        m_process.start();
    }
    ~Peer()
    {
        if (m_process.state() != QProcess::NotRunning) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }
    Peer(const Peer&) = delete;
    Peer& operator=(const Peer&) = delete;

    const QStringList& lines() const { return m_lines; }
    // The lines that start with prefix.
    QStringList linesWith(QLatin1StringView prefix) const
    {
        QStringList out;
        for (const QString& line : m_lines) {
            if (line.startsWith(prefix))
                out.append(line);
        }
        return out;
    }
    QStringList received() const { return linesWith(QLatin1StringView("recv")); }
    // The local port, once "open PORT SUB" was printed; 0 before.
    quint16 localPort() const
    {
        const QStringList open = linesWith(QLatin1StringView("open "));
        return open.isEmpty() ? 0 : quint16(open.first().split(u' ').value(1).toUInt());
    }
    QString closedLine() const
    {
        const QStringList closed = linesWith(QLatin1StringView("closed "));
        return closed.isEmpty() ? QString() : closed.first();
    }
    void send(const QString& text) { m_process.write(QByteArray("send " + text.toUtf8() + '\n')); }
    QProcess& process() { return m_process; }
    QString describe() const { return m_lines.join(QLatin1StringView(" | ")); }

private:
    QProcess m_process;
    QStringList m_lines;
};

QString recvLine(const char* text)
{
    // peer_client.py prints payloads with json.dumps; these tests only use ASCII without quotes or backslashes.
    return QStringLiteral("recv \"%1\"").arg(QLatin1StringView(text));
}

} // namespace

class TestServerActions : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<CaptureSession> newSession(const ServerOptions& server = {})
    {
        CaptureSession::Options options;
        options.journalPath = m_dir.filePath(QStringLiteral("journal-%1.jsonl").arg(++m_sessions));
        auto session = std::make_unique<CaptureSession>(options);
        QSignalSpy started(session.get(), &CaptureSession::serverStarted);
        ServerOptions o = server;
        o.port = 0;
        session->startServer(o);
        if (!started.wait(Timeout))
            return nullptr;
        m_opened.clear();
        connect(session.get(), &CaptureSession::serverClientOpened, this,
            [this](const ServerClient& client) { m_opened.append(client); });
        return session;
    }

    // The server's description of the peer (matched by its local port), once both sides saw the connection.
    std::optional<ServerClient> clientOf(const Peer& peer) const
    {
        if (peer.localPort() == 0)
            return std::nullopt;
        const QString address = QStringLiteral("127.0.0.1:%1").arg(peer.localPort());
        for (const ServerClient& c : m_opened) {
            if (c.peer == address)
                return c;
        }
        return std::nullopt;
    }

    QTemporaryDir m_dir;
    int m_sessions = 0;
    QList<ServerClient> m_opened;

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFileInfo(QStringLiteral(WSI_PYTHON3)).isExecutable(),
            "/usr/bin/python3 is missing: install python3 and python3-websockets (packaging/install-deps.sh test)");
        QProcess probe;
        probe.start(QStringLiteral(WSI_PYTHON3), { QStringLiteral("-c"), QStringLiteral("import websockets") });
        QVERIFY(probe.waitForFinished(Timeout));
        QVERIFY2(probe.exitCode() == 0,
            "/usr/bin/python3 cannot import websockets: install Debian's python3-websockets "
            "(packaging/install-deps.sh test; make test does it)");
        QVERIFY(m_dir.isValid());
        qRegisterMetaType<ServerClient>();
        qRegisterMetaType<ServerBehaviour>();
    }

    void clientDescribedAsItConnects()
    {
        ServerOptions options;
        options.subprotocols = { QStringLiteral("chat.v2"), QStringLiteral("chat.v1") };
        auto session = newSession(options);
        QVERIFY(session);
        Peer peer(session->serverUrl().resolved(QUrl(QStringLiteral("/room?x=1"))),
            { QStringLiteral("chat.v1"), QStringLiteral("chat.v2") });
        QTRY_VERIFY2_WITH_TIMEOUT(clientOf(peer).has_value(), qPrintable(peer.describe()), Timeout);
        const ServerClient client = *clientOf(peer);
        QCOMPARE(client.path, QStringLiteral("/room?x=1"));
        QVERIFY2(client.userAgent.contains(QLatin1StringView("Python")), qPrintable(client.userAgent));
        QVERIFY(client.opened.isValid());
        // The client lists its preference: its first offer that the server accepts is chosen.
        QCOMPARE(peer.linesWith(QLatin1StringView("open ")).first().section(u' ', 2), client.subprotocol);
        QCOMPARE(client.subprotocol, QStringLiteral("chat.v1"));
    }

    void closeWithCodeAndReasonReachesTheClient()
    {
        auto session = newSession();
        QVERIFY(session);
        QSignalSpy states(session.get(), &CaptureSession::connectionStateChanged);
        Peer peer(session->serverUrl());
        QTRY_VERIFY2_WITH_TIMEOUT(clientOf(peer).has_value(), qPrintable(peer.describe()), Timeout);
        const ServerClient client = *clientOf(peer);

        session->closeConnection(client.id, 4001, QStringLiteral("bye"));
        QTRY_VERIFY2_WITH_TIMEOUT(!peer.closedLine().isEmpty(), qPrintable(peer.describe()), Timeout);
        QCOMPARE(peer.closedLine(), QStringLiteral("closed 4001 \"bye\""));
        QTRY_COMPARE_WITH_TIMEOUT(session->connectionState(client.id), ConnectionState::Closed, Timeout);
        bool sawClosed = false;
        for (const QList<QVariant>& s : states) {
            if (s.at(0).value<quint32>() == client.id && s.at(2).value<ConnectionState>() == ConnectionState::Closed)
                sawClosed = true;
        }
        QVERIFY(sawClosed);
        // (waitForFinished is false for a process that already ended, so wait on the state.)
        QTRY_COMPARE_WITH_TIMEOUT(peer.process().state(), QProcess::NotRunning, Timeout);
        QCOMPARE(peer.process().exitStatus(), QProcess::NormalExit);
        QCOMPARE(peer.process().exitCode(), 0);
    }

    void abortIsAnAbnormalClosureForTheClient()
    {
        auto session = newSession();
        QVERIFY(session);
        Peer peer(session->serverUrl());
        QTRY_VERIFY2_WITH_TIMEOUT(clientOf(peer).has_value(), qPrintable(peer.describe()), Timeout);
        const quint32 id = clientOf(peer)->id;
        peer.send(QStringLiteral("before"));
        QTRY_VERIFY2_WITH_TIMEOUT(peer.received().contains(recvLine("before")), qPrintable(peer.describe()), Timeout);

        session->abortConnection(id);
        QTRY_VERIFY2_WITH_TIMEOUT(!peer.closedLine().isEmpty(), qPrintable(peer.describe()), Timeout);
        QCOMPARE(peer.closedLine(), QStringLiteral("closed 1006 \"\""));
        QTRY_COMPARE_WITH_TIMEOUT(session->connectionState(id), ConnectionState::Closed, Timeout);
    }

    void sendToOneClientOrToAll()
    {
        auto session = newSession();
        QVERIFY(session);
        Peer a(session->serverUrl());
        Peer b(session->serverUrl());
        QTRY_VERIFY2_WITH_TIMEOUT(clientOf(a) && clientOf(b), qPrintable(a.describe() + u'/' + b.describe()), Timeout);
        const quint32 idA = clientOf(a)->id;
        QVERIFY(idA != clientOf(b)->id);

        session->sendText(idA, QStringLiteral("only-A"));
        QTRY_VERIFY2_WITH_TIMEOUT(a.received().contains(recvLine("only-A")), qPrintable(a.describe()), Timeout);
        session->sendTextToServerClients(QStringLiteral("to-all"));
        QTRY_VERIFY2_WITH_TIMEOUT(a.received().contains(recvLine("to-all")), qPrintable(a.describe()), Timeout);
        QTRY_VERIFY2_WITH_TIMEOUT(b.received().contains(recvLine("to-all")), qPrintable(b.describe()), Timeout);
        // Sent after "only-A": had B been given "only-A", it would have come first.
        QCOMPARE(b.received(), QStringList { recvLine("to-all") });
        QCOMPARE(a.received(), (QStringList { recvLine("only-A"), recvLine("to-all") }));
    }

    void switchingToSilentAndBackToEcho()
    {
        auto session = newSession();
        QVERIFY(session);
        Peer peer(session->serverUrl());
        QTRY_VERIFY2_WITH_TIMEOUT(clientOf(peer).has_value(), qPrintable(peer.describe()), Timeout);
        peer.send(QStringLiteral("one"));
        QTRY_VERIFY2_WITH_TIMEOUT(peer.received().contains(recvLine("one")), qPrintable(peer.describe()), Timeout);

        ServerBehaviour silent;
        silent.mode = ServerMode::Silent;
        session->setServerBehaviour(silent);
        peer.send(QStringLiteral("two"));
        // The quiet time counts from the moment the server has "two" (a loaded machine may take a while to get
        // it there): an echo would leave then. Were it still on its way, it could also meet the echo mode below.
        const quint32 serverId = clientOf(peer)->id;
        QTRY_VERIFY2_WITH_TIMEOUT(
            [&] {
                const EventStore& store = *session->store();
                for (qsizetype i = 0; i < store.count(); ++i) {
                    if (store.connectionId(i) == serverId && store.direction(i) == Direction::C2S
                        && store.kind(i) == EventKind::Text && store.payload(i) == "two")
                        return true;
                }
                return false;
            }(),
            qPrintable(peer.describe()), Timeout);
        QTest::qWait(Quiet);
        QCOMPARE(peer.received(), QStringList { recvLine("one") });

        session->setServerBehaviour(ServerBehaviour {}); // echo
        peer.send(QStringLiteral("three"));
        QTRY_VERIFY2_WITH_TIMEOUT(peer.received().size() == 2, qPrintable(peer.describe()), Timeout);
        QCOMPARE(peer.received(), (QStringList { recvLine("one"), recvLine("three") }));

        // The same connection survives it all and still closes cleanly.
        session->closeConnection(clientOf(peer)->id, 1000, QStringLiteral("done"));
        QTRY_COMPARE_WITH_TIMEOUT(peer.closedLine(), QStringLiteral("closed 1000 \"done\""), Timeout);
    }
};

QTEST_GUILESS_MAIN(TestServerActions)
#include "tst_serveractions.moc"
