// The client's automatic reconnection and keep-alive pings against a server we did not write: Python's
// websockets (Debian's python3-websockets), run by tests/integration/peer_echo_server.py under /usr/bin/python3,
// killed and started again on the same port.

#include "core/capturequeue.h"
#include "core/recorder.h"
#include "net/capturesession.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <memory>
#include <set>

using namespace wsi;

namespace {

constexpr int Timeout = 20000; // generous: a cold Python start on a busy machine

// One peer_echo_server.py process on a fixed port. It starts, imports the library and prints "ready"; listen()
// then opens the port at once, so the test chooses the moment independent of Python's start-up time.
class EchoServer
{
public:
    explicit EchoServer(quint16 port)
    {
        m_process.setProgram(QStringLiteral(WSI_PYTHON3));
        m_process.setArguments({ QStringLiteral(WSI_PEER_ECHO_SERVER), QString::number(port) });
        m_process.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        QObject::connect(&m_process, &QProcess::readyReadStandardOutput, &m_process, [this] {
            while (m_process.canReadLine())
                m_lines.append(QString::fromUtf8(m_process.readLine()).trimmed());
        });
        m_process.start();
    }
    ~EchoServer() { kill(); }
    EchoServer(const EchoServer&) = delete;
    EchoServer& operator=(const EchoServer&) = delete;

    bool waitReady() { return waitFor(QStringLiteral("ready")); }
    bool listen()
    {
        m_process.write("listen\n");
        return waitFor(QStringLiteral("listening "));
    }
    // SIGKILL: the kernel ends its TCP connections without a closing handshake, as when a server crashes.
    void kill()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        m_process.kill();
        m_process.waitForFinished(5000);
    }
    int openedConnections() const
    {
        return int(std::count_if(m_lines.cbegin(), m_lines.cend(),
            [](const QString& line) { return line.startsWith(QLatin1StringView("open ")); }));
    }
    QString describe() const { return m_lines.join(QLatin1StringView(" | ")); }

private:
    bool waitFor(const QString& prefix)
    {
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < Timeout) {
            for (const QString& line : std::as_const(m_lines)) {
                if (line.startsWith(prefix))
                    return true;
                if (line.startsWith(QLatin1StringView("error ")))
                    return false;
            }
            if (m_process.state() == QProcess::NotRunning)
                return false;
            QTest::qWait(10);
        }
        return false;
    }

    QProcess m_process;
    QStringList m_lines;
};

quint16 freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

// Everything the session recorded, taken from a queue of our own.
class Events
{
public:
    explicit Events(CaptureSession* session)
        : m_session(session)
        , m_queue(std::make_shared<CaptureQueue>())
    {
        m_session->recorder()->addSink(m_queue);
    }
    ~Events() { m_session->recorder()->removeSink(m_queue); }
    Events(const Events&) = delete;
    Events& operator=(const Events&) = delete;

    const std::vector<Event>& all()
    {
        CaptureBatch batch = m_queue->takeAll();
        m_events.insert(m_events.end(), batch.events.begin(), batch.events.end());
        return m_events;
    }
    std::vector<Event> of(quint32 connection, EventKind kind, Direction direction)
    {
        std::vector<Event> out;
        for (const Event& e : all()) {
            if (e.connection == connection && e.kind == kind && e.direction == direction)
                out.push_back(e);
        }
        return out;
    }
    bool hasKind(quint32 connection, EventKind kind)
    {
        for (const Event& e : all()) {
            if (e.connection == connection && e.kind == kind)
                return true;
        }
        return false;
    }

private:
    CaptureSession* m_session;
    std::shared_ptr<CaptureQueue> m_queue;
    std::vector<Event> m_events;
};

struct Reconnecting
{
    quint32 previous;
    quint32 next;
    int attempt;
    int maxAttempts;
    int delayMs;
};

Reconnecting reconnectingAt(const QSignalSpy& spy, qsizetype i)
{
    const QList<QVariant>& s = spy.at(i);
    return { s.at(0).value<quint32>(), s.at(1).value<quint32>(), s.at(2).toInt(), s.at(3).toInt(), s.at(4).toInt() };
}

bool reachedState(const QSignalSpy& states, quint32 connection, ConnectionState state)
{
    for (const QList<QVariant>& s : states) {
        if (s.at(0).value<quint32>() == connection && s.at(2).value<ConnectionState>() == state)
            return true;
    }
    return false;
}

} // namespace

class TestClientReconnect : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<CaptureSession> newSession()
    {
        CaptureSession::Options options;
        options.keepTimeline = false;
        options.journalPath = m_dir.filePath(QStringLiteral("journal-%1.jsonl").arg(++m_sessions));
        return std::make_unique<CaptureSession>(options);
    }

    static ClientOptions clientOptions(
        quint16 port, int initialDelayMs = 100, int maxDelayMs = 400, int maxAttempts = 5)
    {
        ClientOptions o;
        o.url = QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(port));
        o.reconnect.enabled = true;
        o.reconnect.initialDelayMs = initialDelayMs;
        o.reconnect.maxDelayMs = maxDelayMs;
        o.reconnect.maxAttempts = maxAttempts;
        return o;
    }

    QTemporaryDir m_dir;
    int m_sessions = 0;

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
        qRegisterMetaType<ConnectionState>();
        qRegisterMetaType<ConnectionRole>();
    }

    // The server dies: each attempt is a new connection id, the waits double from 100 ms up to 400 ms; once the
    // server is back on the same port, an attempt opens and echoes.
    void reconnectsWithBackoffUntilTheServerIsBack()
    {
        const quint16 port = freePort();
        QVERIFY(port != 0);
        auto first = std::make_unique<EchoServer>(port);
        QVERIFY2(first->waitReady() && first->listen(), qPrintable(first->describe()));
        EchoServer second(port);
        QVERIFY2(second.waitReady(), qPrintable(second.describe()));

        auto session = newSession();
        Events events(session.get());
        QSignalSpy states(session.get(), &CaptureSession::connectionStateChanged);
        QSignalSpy reconnecting(session.get(), &CaptureSession::clientReconnecting);
        QSignalSpy gaveUp(session.get(), &CaptureSession::clientGaveUp);
        // Room for attempts while the Python server is told to listen again (a loaded machine may take a second
        // or more for that): with 5, the last came 1.2 s after the third.
        constexpr int MaxAttempts = 10;
        const ClientOptions options = clientOptions(port, 100, 400, MaxAttempts);
        const quint32 id = session->connectClient(options);
        QTRY_VERIFY_WITH_TIMEOUT(reachedState(states, id, ConnectionState::Open), Timeout);

        first->kill();
        // Three failed attempts in a row (refused: nobody listens), then the server comes back.
        QTRY_VERIFY_WITH_TIMEOUT(reconnecting.size() >= 3, Timeout);
        QVERIFY2(second.listen(), qPrintable(second.describe()));
        // The attempt after the next wait (or the one after it) finds the server listening again.
        QTRY_VERIFY_WITH_TIMEOUT(reconnecting.size() > 0
                && reachedState(
                    states, reconnectingAt(reconnecting, reconnecting.size() - 1).next, ConnectionState::Open),
            Timeout);
        QCOMPARE(gaveUp.size(), 0);

        std::set<quint32> ids { id };
        quint32 previous = id;
        QStringList delays;
        for (qsizetype i = 0; i < reconnecting.size(); ++i) {
            const Reconnecting r = reconnectingAt(reconnecting, i);
            delays.append(QString::number(r.delayMs));
            QCOMPARE(r.previous, previous);
            QVERIFY2(ids.insert(r.next).second, "each attempt is a new connection id");
            QCOMPARE(r.attempt, int(i + 1));
            QCOMPARE(r.maxAttempts, MaxAttempts);
            QCOMPARE(r.delayMs, options.reconnect.delayForAttempt(r.attempt));
            previous = r.next;
        }
        qInfo("attempts after the server died: %lld, waits %s ms", qlonglong(reconnecting.size()),
            qPrintable(delays.join(QLatin1StringView(", "))));
        QCOMPARE(reconnectingAt(reconnecting, 0).delayMs, 100);
        QCOMPARE(reconnectingAt(reconnecting, 1).delayMs, 200);
        QCOMPARE(reconnectingAt(reconnecting, 2).delayMs, 400);
        QVERIFY(reconnecting.size() <= MaxAttempts);

        const quint32 last = previous;
        session->sendText(last, QStringLiteral("after the restart"));
        QTRY_VERIFY_WITH_TIMEOUT(!events.of(last, EventKind::Text, Direction::S2C).empty(), Timeout);
        QCOMPARE(events.of(last, EventKind::Text, Direction::S2C).front().payload, QByteArray("after the restart"));
        QCOMPARE(second.openedConnections(), 1);

        // A connection the user closes is not reconnected.
        session->closeConnection(last);
        QTRY_VERIFY_WITH_TIMEOUT(reachedState(states, last, ConnectionState::Closed), Timeout);
        const qsizetype attempts = reconnecting.size();
        QTest::qWait(600);
        QCOMPARE(reconnecting.size(), attempts);
    }

    // The server stays down: after exactly maxAttempts attempts the client gives up.
    void givesUpAfterMaxAttempts()
    {
        const quint16 port = freePort();
        QVERIFY(port != 0);
        EchoServer server(port);
        QVERIFY2(server.waitReady() && server.listen(), qPrintable(server.describe()));

        auto session = newSession();
        QSignalSpy states(session.get(), &CaptureSession::connectionStateChanged);
        QSignalSpy reconnecting(session.get(), &CaptureSession::clientReconnecting);
        QSignalSpy gaveUp(session.get(), &CaptureSession::clientGaveUp);
        const ClientOptions options = clientOptions(port);
        const quint32 id = session->connectClient(options);
        QTRY_VERIFY_WITH_TIMEOUT(reachedState(states, id, ConnectionState::Open), Timeout);

        server.kill();
        QTRY_COMPARE_WITH_TIMEOUT(gaveUp.size(), 1, Timeout);
        QCOMPARE(reconnecting.size(), 5);
        QStringList delays;
        for (qsizetype i = 0; i < reconnecting.size(); ++i) {
            const Reconnecting r = reconnectingAt(reconnecting, i);
            QCOMPARE(r.attempt, int(i + 1));
            delays.append(QString::number(r.delayMs));
        }
        QCOMPARE(delays.join(u','), QStringLiteral("100,200,400,400,400"));
        const quint32 last = reconnectingAt(reconnecting, 4).next;
        QCOMPARE(gaveUp.at(0).at(0).value<quint32>(), last);
        QCOMPARE(gaveUp.at(0).at(1).toInt(), 5);
        QTRY_VERIFY_WITH_TIMEOUT(reachedState(states, last, ConnectionState::Closed), Timeout);
        QTest::qWait(1000);
        QCOMPARE(reconnecting.size(), 5);
        QCOMPARE(gaveUp.size(), 1);
    }

    // Closing a client that waits to reconnect cancels the reconnection: no attempt reaches the server, which is
    // back and listening.
    void closeCancelsAWaitingReconnection()
    {
        const quint16 port = freePort();
        QVERIFY(port != 0);
        auto first = std::make_unique<EchoServer>(port);
        QVERIFY2(first->waitReady() && first->listen(), qPrintable(first->describe()));
        EchoServer second(port);
        QVERIFY2(second.waitReady(), qPrintable(second.describe()));

        auto session = newSession();
        Events events(session.get());
        QSignalSpy states(session.get(), &CaptureSession::connectionStateChanged);
        QSignalSpy reconnecting(session.get(), &CaptureSession::clientReconnecting);
        QSignalSpy gaveUp(session.get(), &CaptureSession::clientGaveUp);
        // The wait before the attempt must outlast what the test does before it closes (start the Python
        // server listening, notice the reconnection): on a loaded machine that took longer than 400 ms.
        constexpr int DelayMs = 2000;
        const quint32 id = session->connectClient(clientOptions(port, DelayMs, DelayMs));
        QTRY_VERIFY_WITH_TIMEOUT(reachedState(states, id, ConnectionState::Open), Timeout);

        first->kill();
        QVERIFY2(second.listen(), qPrintable(second.describe()));
        QTRY_COMPARE_WITH_TIMEOUT(reconnecting.size(), 1, Timeout);
        const Reconnecting r = reconnectingAt(reconnecting, 0);
        QCOMPARE(r.previous, id);
        QCOMPARE(r.delayMs, DelayMs);
        session->closeConnection(r.next);
        QTRY_VERIFY_WITH_TIMEOUT(reachedState(states, r.next, ConnectionState::Closed), Timeout);

        QTest::qWait(DelayMs + 500); // past the moment the attempt would have been made
        QCOMPARE(reconnecting.size(), 1);
        QCOMPARE(gaveUp.size(), 0);
        QVERIFY(!reachedState(states, r.next, ConnectionState::Open));
        QVERIFY(!events.hasKind(r.next, EventKind::HandshakeRequest));
        QCOMPARE(second.openedConnections(), 0);
    }

    // Keep-alive: a ping every 150 ms while open, each answered by a pong with its round trip.
    void keepAlivePings()
    {
        const quint16 port = freePort();
        QVERIFY(port != 0);
        EchoServer server(port);
        QVERIFY2(server.waitReady() && server.listen(), qPrintable(server.describe()));

        auto session = newSession();
        Events events(session.get());
        QSignalSpy states(session.get(), &CaptureSession::connectionStateChanged);
        ClientOptions options;
        options.url = QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(port));
        options.pingIntervalMs = 150;
        QElapsedTimer since;
        since.start();
        const quint32 id = session->connectClient(options);
        QTRY_VERIFY_WITH_TIMEOUT(reachedState(states, id, ConnectionState::Open), Timeout);
        QTest::qWait(1000);
        QTRY_VERIFY_WITH_TIMEOUT(events.of(id, EventKind::Pong, Direction::S2C).size() >= 4, Timeout);

        const std::vector<Event> pings = events.of(id, EventKind::Ping, Direction::C2S);
        const std::vector<Event> pongs = events.of(id, EventKind::Pong, Direction::S2C);
        // Not many more than one per interval: the bound follows the time that really passed (a loaded machine
        // may take well over the second waited here), about 12 for the usual 1.1 s.
        const qint64 mostPings = since.elapsed() / 100 + 2;
        QVERIFY2(pings.size() >= 4 && qint64(pings.size()) <= mostPings,
            qPrintable(QStringLiteral("%1 pings in %2 ms").arg(pings.size()).arg(since.elapsed())));
        QStringList gaps;
        for (size_t i = 1; i < pings.size(); ++i) {
            const qint64 gapMs = (pings[i].monotonicNs - pings[i - 1].monotonicNs) / 1000000;
            gaps.append(QString::number(gapMs));
        }
        // The intervals are reported, not asserted: a timer that fires late on a loaded machine is followed by
        // one that comes early (Qt keeps the schedule), so single gaps say nothing; the count above bounds them.
        qInfo("%zu pings, %zu pongs; intervals %s ms", pings.size(), pongs.size(),
            qPrintable(gaps.join(QLatin1StringView(", "))));
        for (const Event& pong : pongs)
            QVERIFY2(pong.note.contains("round trip"), pong.note.constData());
        session->closeConnection(id);
        QTRY_VERIFY_WITH_TIMEOUT(reachedState(states, id, ConnectionState::Closed), Timeout);
    }
};

QTEST_GUILESS_MAIN(TestClientReconnect)
#include "tst_clientreconnect.moc"
