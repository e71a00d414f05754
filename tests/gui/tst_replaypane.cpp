// The Replay pane against real peers: a session file written here (JSONL, as the contract in DESIGN.md spells
// it) replayed as a client against the capture's own test server (an echo server: it answers what it is sent,
// so where the recording says otherwise the comparison must show it), and served back as a mock server to a
// QWebSocket client. Every error is read from the pane; nothing may open a dialog.

#include "core/eventstore.h"
#include "mainwindow.h"
#include "net/capturesession.h"
#include "replay/replayserver.h"
#include "replaycomparemodel.h"
#include "replaypane.h"

#include <QAction>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QWebSocket>

using namespace wsi;

namespace {

constexpr qint64 T0 = 1795341600000000; // µs

template <typename T> T* child(QWidget* parent, const char* name)
{
    T* found = parent->findChild<T*>(QLatin1String(name));
    if (!found)
        qWarning("no child %s", name);
    return found;
}

QByteArray eventLine(int seq, int conn, qint64 atMs, const char* dir, const char* kind, const QByteArray& rest)
{
    return QByteArray(R"({"type":"event","seq":)") + QByteArray::number(seq) + R"(,"conn":)" + QByteArray::number(conn)
        + R"(,"ts":)" + QByteArray::number(T0 + atMs * 1000) + R"(,"dir":")" + dir + R"(","kind":")" + kind + '"' + rest
        + "}\n";
}

QByteArray textLine(int seq, int conn, qint64 atMs, const char* dir, const QByteArray& json)
{
    return eventLine(seq, conn, atMs, dir, "text", R"(,"data":)" + json);
}

// Connection 1: a client that sent three messages (two JSON, one plain) and got three answers, the second of
// which an echo server would not give ($.ts is 999, not 200). Connection 2: the server side of another
// connection that only ever sent (nothing for a client replay to send).
QByteArray sessionFile()
{
    QByteArray s;
    s += R"({"type":"session","format":"wsinspector-session","version":1,"created":"2026-11-22T10:00:00.000Z","app":"wsinspector 0.1.0"})"
         "\n";
    s += R"({"type":"connection","id":1,"role":"client","url":"ws://127.0.0.1:1/chat","peer":"127.0.0.1:1","subprotocol":"chat.v1"})"
         "\n";
    s += R"({"type":"connection","id":2,"role":"server","url":"ws://127.0.0.1:8765/feed","peer":"127.0.0.1:50000","subprotocol":""})"
         "\n";
    s += eventLine(1, 1, 0, "none", "handshake-request",
        R"(,"method":"GET","url":"/chat","headers":[["Host","127.0.0.1:1"],["Upgrade","websocket"],["Connection","Upgrade"],["Sec-WebSocket-Key","dGhlIHNhbXBsZSBub25jZQ=="],["Sec-WebSocket-Version","13"],["Origin","http://app.example"],["X-Replay-Test","yes"],["Sec-WebSocket-Protocol","chat.v1"]])");
    s += eventLine(2, 1, 1, "none", "handshake-response",
        R"(,"status":101,"headers":[["Upgrade","websocket"],["Sec-WebSocket-Protocol","chat.v1"]])");
    s += eventLine(3, 1, 2, "none", "open", R"(,"message":"connected")");
    s += textLine(4, 1, 50, "c2s", R"("{\"n\":1,\"ts\":100}")");
    s += textLine(5, 1, 60, "s2c", R"("{\"n\":1,\"ts\":100}")");
    s += textLine(6, 1, 100, "c2s", R"("{\"n\":2,\"ts\":200}")");
    s += textLine(7, 1, 110, "s2c", R"("{\"n\":2,\"ts\":999}")");
    s += textLine(8, 1, 150, "c2s", R"("plain")");
    s += textLine(9, 1, 160, "s2c", R"("plain")");
    s += eventLine(10, 1, 200, "c2s", "close", R"(,"code":1000,"size":2)");
    s += eventLine(11, 2, 0, "none", "open", {});
    s += textLine(12, 2, 10, "s2c", R"("tick 1")");
    s += textLine(13, 2, 20, "s2c", R"("tick 2")");
    return s;
}

const QList<QByteArray> recordedC2s = { R"({"n":1,"ts":100})", R"({"n":2,"ts":200})", "plain" };
const QList<QByteArray> recordedS2c = { R"({"n":1,"ts":100})", R"({"n":2,"ts":999})", "plain" };

QList<QByteArray> textsOf(const EventStore* store, quint32 connection, Direction direction)
{
    QList<QByteArray> out;
    for (qsizetype row = 0; row < store->count(); ++row) {
        if (store->connectionId(row) == connection && store->direction(row) == direction
            && store->kind(row) == EventKind::Text)
            out.append(store->payload(row).toByteArray());
    }
    return out;
}

struct Fixture
{
    QTemporaryDir dir;
    QString path;
    CaptureSession session { CaptureSession::Options { true, QString() } };
    ReplayPane pane { &session };

    bool load()
    {
        path = dir.filePath(QStringLiteral("recorded.jsonl"));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(sessionFile()) < 0)
            return false;
        file.close();
        pane.resize(640, 900);
        pane.show();
        if (!QTest::qWaitForWindowExposed(&pane))
            return false;
        pane.loadFile(path);
        return QTest::qWaitFor([this] { return pane.plan() && !pane.isBusy(); }, 10000);
    }

    // The test server (echo) on a free port; the replay's target is its /chat.
    bool startEchoServer()
    {
        ServerOptions options;
        options.port = 0;
        session.startServer(options);
        if (!QTest::qWaitFor([this] { return session.isServerRunning(); }, 5000))
            return false;
        child<QLineEdit>(&pane, "replayTargetUrlEdit")
            ->setText(session.serverUrl().resolved(QUrl(QStringLiteral("/chat"))).toString());
        return true;
    }

    void setSpeed(double speed)
    {
        auto* combo = child<QComboBox>(&pane, "replaySpeedCombo");
        combo->setCurrentIndex(combo->findData(speed));
    }

    void setIgnorePaths(const QString& text)
    {
        auto* edit = child<QPlainTextEdit>(&pane, "replayIgnorePathsEdit");
        edit->setPlainText(text);
    }

    bool finished() const { return pane.client()->state() == ReplayClient::State::Finished; }
    // For a failure: where the replay stands.
    QByteArray where() const
    {
        return QStringLiteral("state %1, sent %2, received %3: %4")
            .arg(int(pane.client()->state()))
            .arg(pane.client()->sentCount())
            .arg(pane.client()->receivedCount())
            .arg(pane.runMessage())
            .toUtf8();
    }
};

} // namespace

class TstReplayPane : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void listsTheConnectionsOfAFile()
    {
        Fixture f;
        QVERIFY(f.load());
        QCOMPARE(f.pane.source(), ReplayPane::Source::File);
        QCOMPARE(f.pane.candidates().size(), 2);
        auto* view = child<QTableView>(&f.pane, "replayCandidateView");
        QCOMPARE(view->model()->rowCount(), 2);
        QCOMPARE(view->model()->index(0, ReplayPane::CandidateIdColumn).data().toString(), QStringLiteral("1"));
        QCOMPARE(view->model()->index(0, ReplayPane::CandidateUrlColumn).data().toString(),
            QStringLiteral("ws://127.0.0.1:1/chat"));
        QCOMPARE(view->model()->index(0, ReplayPane::CandidateC2sColumn).data().toString(), QStringLiteral("3"));
        QCOMPARE(view->model()->index(0, ReplayPane::CandidateS2cColumn).data().toString(), QStringLiteral("3"));
        QCOMPARE(
            view->model()->index(0, ReplayPane::CandidateDurationColumn).data().toString(), QStringLiteral("198 ms"));
        QCOMPARE(view->model()->index(1, ReplayPane::CandidateRoleColumn).data().toString(), QStringLiteral("server"));

        // The first connection with something to send is chosen, and the setup comes from its recording.
        QCOMPARE(f.pane.selectedConnection(), 1u);
        QCOMPARE(child<QLineEdit>(&f.pane, "replayTargetUrlEdit")->text(), QStringLiteral("ws://127.0.0.1:1/chat"));
        QCOMPARE(child<QLineEdit>(&f.pane, "replaySubprotocolsEdit")->text(), QStringLiteral("chat.v1"));
        auto* headers = child<QTableWidget>(&f.pane, "replayHeadersTable");
        QStringList rows;
        for (int row = 0; row < headers->rowCount(); ++row)
            rows << headers->item(row, 0)->text() + QStringLiteral(": ") + headers->item(row, 1)->text();
        // What the client writes itself (Host, Upgrade, the key) is not offered again.
        QCOMPARE(
            rows, (QStringList { QStringLiteral("Origin: http://app.example"), QStringLiteral("X-Replay-Test: yes") }));
        QVERIFY(f.pane.playAction()->isEnabled());
        QVERIFY(!f.pane.pauseAction()->isEnabled());
        QVERIFY(!f.pane.stopAction()->isEnabled());
    }

    void typedTargetComesBackForTheNextStart()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("settings.ini")), QSettings::IniFormat);
        const QString typed = QStringLiteral("ws://localhost:9999/chat");
        {
            Fixture f;
            QVERIFY(f.load());
            auto* target = child<QLineEdit>(&f.pane, "replayTargetUrlEdit");
            // The recorded URL, untouched, is not worth keeping: the next recording brings its own.
            f.pane.saveSettings(settings);
            QVERIFY(!settings.contains(QStringLiteral("targetUrl")));
            target->setText(typed);
            f.pane.saveSettings(settings);
            QCOMPARE(settings.value(QStringLiteral("targetUrl")).toString(), typed);
        }
        // The next start: the typed target replaces the recorded one for the first connection chosen.
        Fixture f;
        f.pane.restoreSettings(settings);
        QVERIFY(f.load());
        QCOMPARE(f.pane.selectedConnection(), 1u);
        QCOMPARE(child<QLineEdit>(&f.pane, "replayTargetUrlEdit")->text(), typed);
        // Once only: a source read again fills the recorded URL, as it always did.
        f.pane.loadFile(f.path);
        QTRY_VERIFY(f.pane.plan() && !f.pane.isBusy());
        QTRY_COMPARE(child<QLineEdit>(&f.pane, "replayTargetUrlEdit")->text(), QStringLiteral("ws://127.0.0.1:1/chat"));
    }

    void typedTargetIsSavedWithoutAPassword()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("settings.ini"));
        {
            QSettings settings(path, QSettings::IniFormat);
            Fixture f;
            QVERIFY(f.load());
            child<QLineEdit>(&f.pane, "replayTargetUrlEdit")
                ->setText(QStringLiteral("wss://user:s3cret@staging.example:8443/chat?room=1"));
            f.pane.saveSettings(settings);
            // The rest of the URL is kept for the next start, character for character.
            QCOMPARE(settings.value(QStringLiteral("targetUrl")).toString(),
                QStringLiteral("wss://staging.example:8443/chat?room=1"));
        }
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray saved = file.readAll();
        QVERIFY2(saved.contains("staging.example") && !saved.contains("s3cret"), saved);
    }

    void opensAHar()
    {
        Fixture f;
        const QString har = QFINDTESTDATA("../unit/data/chrome-websocket.har");
        QVERIFY(!har.isEmpty());
        f.pane.loadFile(har);
        QTRY_VERIFY(f.pane.plan() && !f.pane.isBusy());
        QCOMPARE(f.pane.candidates().size(), 1);
        QCOMPARE(child<QLineEdit>(&f.pane, "replayTargetUrlEdit")->text(),
            QStringLiteral("wss://chat.example.com/socket?room=1"));
        QCOMPARE(child<QLineEdit>(&f.pane, "replaySubprotocolsEdit")->text(), QStringLiteral("chat.v2"));
        auto* headers = child<QTableWidget>(&f.pane, "replayHeadersTable");
        QCOMPARE(headers->rowCount(), 6); // Origin and the five a client may send again
        QCOMPARE(headers->item(0, 0)->text(), QStringLiteral("Origin"));
        QCOMPARE(headers->item(0, 1)->text(), QStringLiteral("https://chat.example.com"));
        QCOMPARE(child<QProgressBar>(&f.pane, "replayProgress")->maximum(), 2);
        // What the reader left out is said, without hiding what it read.
        QCOMPARE(f.pane.sourceMessage(),
            QStringLiteral("Some of the file was skipped:\nskipped 1 entry that is not a WebSocket connection"));
        QVERIFY(f.pane.planMessage().isEmpty());
    }

    void badFilesAreSaidInThePane()
    {
        Fixture f;
        f.pane.show();
        QVERIFY(QTest::qWaitForWindowExposed(&f.pane));
        f.pane.loadFile(f.dir.filePath(QStringLiteral("missing.jsonl")));
        QTRY_VERIFY(!f.pane.isBusy());
        QVERIFY2(f.pane.sourceMessage().startsWith(QStringLiteral("Could not read missing.jsonl")),
            qPrintable(f.pane.sourceMessage()));
        QVERIFY(f.pane.candidates().isEmpty());
        QVERIFY(!f.pane.playAction()->isEnabled());

        const QString garbage = f.dir.filePath(QStringLiteral("garbage.jsonl"));
        QFile file(garbage);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("this is not a session\n");
        file.close();
        f.pane.loadFile(garbage);
        QTRY_VERIFY(!f.pane.isBusy());
        QVERIFY2(f.pane.sourceMessage().startsWith(QStringLiteral("Could not read garbage.jsonl")),
            qPrintable(f.pane.sourceMessage()));
        QVERIFY(!f.pane.playAction()->isEnabled());

        // A session without a single message.
        const QString empty = f.dir.filePath(QStringLiteral("empty.jsonl"));
        QFile emptyFile(empty);
        QVERIFY(emptyFile.open(QIODevice::WriteOnly));
        emptyFile.write(sessionFile().left(sessionFile().indexOf('\n') + 1));
        emptyFile.close();
        f.pane.loadFile(empty);
        QTRY_VERIFY(!f.pane.isBusy());
        QVERIFY2(
            f.pane.sourceMessage().contains(QStringLiteral("nothing to replay")), qPrintable(f.pane.sourceMessage()));
    }

    void aConnectionWithoutClientMessages()
    {
        Fixture f;
        QVERIFY(f.load());
        f.pane.selectConnection(2);
        QTRY_VERIFY(!f.pane.isBusy());
        QVERIFY(!f.pane.plan());
        QVERIFY2(f.pane.planMessage().contains(QStringLiteral("no client (c2s) messages")),
            qPrintable(f.pane.planMessage()));
        QVERIFY(!f.pane.playAction()->isEnabled());
        QVERIFY(!f.pane.stepAction()->isEnabled());

        // As a mock server it has something to play.
        f.pane.setMode(ReplayPane::Mode::Server);
        QTRY_VERIFY(f.pane.plan());
        QCOMPARE(f.pane.plan()->s2cCount(), 2);
        QVERIFY(child<QPushButton>(&f.pane, "replayServerStartStopButton")->isEnabled());
    }

    void replaysAsClientAndCompares()
    {
        Fixture f;
        QVERIFY(f.load());
        QVERIFY(f.startEchoServer());
        f.setSpeed(ReplayPane::AsFastAsPossible);
        QTest::mouseClick(child<QToolButton>(&f.pane, "replayPlayButton"), Qt::LeftButton);
        QTRY_VERIFY2_WITH_TIMEOUT(f.finished(), f.where().constData(), 20000);
        QVERIFY2(f.pane.runMessage().startsWith(QStringLiteral("Done:")), qPrintable(f.pane.runMessage()));

        auto* progress = child<QProgressBar>(&f.pane, "replayProgress");
        QCOMPARE(progress->maximum(), 3);
        QCOMPARE(progress->value(), 3);
        QCOMPARE(child<QLabel>(&f.pane, "replayReceivedLabel")->text(), QStringLiteral("3 of 3 received"));

        // The replay is a new connection in the timeline, with the recorded messages in order.
        const quint32 replayed = f.pane.client()->connection();
        QVERIFY(replayed != 0);
        QTRY_COMPARE(textsOf(f.session.store(), replayed, Direction::C2S), recordedC2s);
        const Connection* described = f.session.store()->connection(replayed);
        QVERIFY(described);
        QVERIFY(described->url.endsWith(QLatin1String("/chat")));
        QVERIFY(f.pane.runMessage().contains(QStringLiteral("connection %1").arg(replayed)));

        // The echo answered {"n":2,"ts":200} where the recording has 999.
        ReplayCompareModel* compare = f.pane.compareModel();
        QCOMPARE(compare->rowCount(), 3);
        QCOMPARE(compare->count(ReplayCompareRow::Status::Equal), 2);
        QCOMPARE(compare->count(ReplayCompareRow::Status::Differ), 1);
        QCOMPARE(compare->index(1, ReplayCompareModel::StatusColumn).data().toString(), QStringLiteral("differs"));
        QCOMPARE(compare->index(1, ReplayCompareModel::PathsColumn).data().toString(), QStringLiteral("$.ts"));
        QCOMPARE(
            child<QLabel>(&f.pane, "replayCompareSummary")->text(), QStringLiteral("3 messages: 2 equal, 1 differs"));

        // The pair side by side, pretty printed.
        auto* view = child<QTableView>(&f.pane, "replayCompareView");
        view->setCurrentIndex(compare->index(1, 0));
        const QString recorded = child<QPlainTextEdit>(&f.pane, "replayRecordedText")->toPlainText();
        const QString received = child<QPlainTextEdit>(&f.pane, "replayReceivedText")->toPlainText();
        QVERIFY2(recorded.contains(QStringLiteral("\"ts\": 999")), qPrintable(recorded));
        QVERIFY2(received.contains(QStringLiteral("\"ts\": 200")), qPrintable(received));
        QVERIFY(recorded.contains(QLatin1Char('\n')));
        QVERIFY(child<QLabel>(&f.pane, "replayDifferencesLabel")->text().contains(QStringLiteral("$.ts")));

        // Ignoring $.ts makes them equal; a bad line is said and keeps the last good list.
        f.setIgnorePaths(QStringLiteral("$.ts"));
        QTRY_COMPARE(compare->count(ReplayCompareRow::Status::Differ), 0);
        QCOMPARE(compare->count(ReplayCompareRow::Status::Equal), 3);
        QCOMPARE(compare->index(1, ReplayCompareModel::StatusColumn).data().toString(), QStringLiteral("equal"));
        f.setIgnorePaths(QStringLiteral("$.ts\n$.[oops"));
        QTRY_VERIFY(!child<QLabel>(&f.pane, "replayIgnoreError")->text().isEmpty());
        QVERIFY(child<QLabel>(&f.pane, "replayIgnoreError")->text().startsWith(QStringLiteral("Line 2:")));
        QCOMPARE(compare->count(ReplayCompareRow::Status::Differ), 0);
        f.setIgnorePaths(QString());
        QTRY_COMPARE(compare->count(ReplayCompareRow::Status::Differ), 1);
        QVERIFY(child<QLabel>(&f.pane, "replayIgnoreError")->text().isEmpty());

        // Played again: a second connection, the comparison starts over.
        QTest::mouseClick(child<QToolButton>(&f.pane, "replayPlayButton"), Qt::LeftButton);
        QTRY_VERIFY(!f.finished());
        QTRY_VERIFY2_WITH_TIMEOUT(f.finished(), f.where().constData(), 20000);
        QVERIFY(f.pane.client()->connection() != replayed);
        QCOMPARE(compare->count(ReplayCompareRow::Status::Differ), 1);
    }

    void comparesWhileRunning()
    {
        Fixture f;
        QVERIFY(f.load());
        QVERIFY(f.startEchoServer());
        f.pane.step();
        QTRY_COMPARE(f.pane.client()->sentCount(), 1);
        QTRY_COMPARE(f.pane.compareModel()->receivedCount(), 1);
        ReplayCompareModel* compare = f.pane.compareModel();
        QCOMPARE(compare->index(0, ReplayCompareModel::StatusColumn).data().toString(), QStringLiteral("equal"));
        // Not received yet, and the replay is not over: awaited, not missing.
        QCOMPARE(compare->index(1, ReplayCompareModel::StatusColumn).data().toString(), QStringLiteral("awaited"));
        QCOMPARE(compare->index(2, ReplayCompareModel::StatusColumn).data(ReplayCompareModel::StatusRole).toInt(),
            int(ReplayCompareModel::Awaited));
        f.pane.stop();
        QTRY_VERIFY(f.finished());
        // Stopped: what did not come is missing now.
        QCOMPARE(compare->count(ReplayCompareRow::Status::Missing), 2);
        QCOMPARE(compare->awaitedCount(), 0);
    }

    void pauseAndStep()
    {
        Fixture f;
        QVERIFY(f.load());
        QVERIFY(f.startEchoServer());
        f.setSpeed(0.25);

        // Step from the start: connects paused and sends one message.
        QTest::mouseClick(child<QToolButton>(&f.pane, "replayStepButton"), Qt::LeftButton);
        QTRY_COMPARE(f.pane.client()->sentCount(), 1);
        QTRY_COMPARE(f.pane.client()->state(), ReplayClient::State::Paused);
        QVERIFY(f.pane.playAction()->isEnabled());
        QVERIFY(!f.pane.pauseAction()->isEnabled());
        QVERIFY(f.pane.stopAction()->isEnabled());
        QTest::qWait(400); // paused: nothing more goes out, however long we wait
        QCOMPARE(f.pane.client()->sentCount(), 1);
        QTRY_COMPARE(child<QProgressBar>(&f.pane, "replayProgress")->value(), 1);

        QTest::mouseClick(child<QToolButton>(&f.pane, "replayStepButton"), Qt::LeftButton);
        QTRY_COMPARE(f.pane.client()->sentCount(), 2);
        QCOMPARE(f.pane.client()->state(), ReplayClient::State::Paused);

        // Play, then pause again: the shortcut is F5 for both, whichever applies. A loaded machine may run the
        // last message out before we look, so the state is read from the signals, the actions only while playing.
        QSignalSpy states(f.pane.client(), &ReplayClient::stateChanged);
        f.pane.playAction()->trigger();
        QTRY_VERIFY(std::any_of(states.cbegin(), states.cend(), [](const QList<QVariant>& args) {
            return args.at(0).value<ReplayClient::State>() == ReplayClient::State::Playing;
        }));
        if (f.pane.client()->state() == ReplayClient::State::Playing) {
            QVERIFY(f.pane.pauseAction()->isEnabled());
            QVERIFY(!f.pane.playAction()->isEnabled());
        }
        QCOMPARE(f.pane.pauseAction()->shortcut(), f.pane.playAction()->shortcut());
        f.pane.pauseAction()->trigger();
        QTRY_VERIFY(f.pane.client()->state() == ReplayClient::State::Paused
            || f.pane.client()->state() == ReplayClient::State::Finishing
            || f.pane.client()->state() == ReplayClient::State::Finished);

        // Stop ends it, and says so.
        f.pane.stopAction()->trigger();
        QTRY_VERIFY2_WITH_TIMEOUT(f.finished(), f.where().constData(), 20000);
        QVERIFY(!f.pane.stopAction()->isEnabled());
        QVERIFY(f.pane.playAction()->isEnabled());
        const quint32 replayed = f.pane.client()->connection();
        QTRY_VERIFY(textsOf(f.session.store(), replayed, Direction::C2S).size() >= 2);
        QCOMPARE(textsOf(f.session.store(), replayed, Direction::C2S).mid(0, 2), recordedC2s.mid(0, 2));
    }

    void connectionErrorsAreSaid()
    {
        Fixture f;
        QVERIFY(f.load());
        // Not a WebSocket URL: nothing starts, the setup says why.
        child<QLineEdit>(&f.pane, "replayTargetUrlEdit")->setText(QStringLiteral("http://127.0.0.1/"));
        f.pane.play();
        QCOMPARE(f.pane.client()->state(), ReplayClient::State::Idle);
        QVERIFY2(f.pane.setupMessage().contains(QStringLiteral("ws://")), qPrintable(f.pane.setupMessage()));

        // A header the client cannot send.
        child<QLineEdit>(&f.pane, "replayTargetUrlEdit")->setText(QStringLiteral("ws://127.0.0.1:1/"));
        auto* headers = child<QTableWidget>(&f.pane, "replayHeadersTable");
        const int row = headers->rowCount();
        headers->insertRow(row);
        headers->setItem(row, 0, new QTableWidgetItem(QStringLiteral("Bad Name")));
        headers->setItem(row, 1, new QTableWidgetItem(QStringLiteral("x")));
        f.pane.play();
        QCOMPARE(f.pane.client()->state(), ReplayClient::State::Idle);
        QVERIFY2(f.pane.setupMessage().startsWith(QStringLiteral("Header row %1:").arg(row + 1)),
            qPrintable(f.pane.setupMessage()));
        headers->removeRow(row);

        // Nobody listens on port 1: the replay ends at once, and says why.
        f.pane.play();
        QTRY_VERIFY2_WITH_TIMEOUT(f.finished(), f.where().constData(), 20000);
        QVERIFY2(f.pane.runMessage().startsWith(QStringLiteral("The replay did not finish:")),
            qPrintable(f.pane.runMessage()));
        QVERIFY(f.pane.setupMessage().isEmpty());
        QVERIFY(f.pane.playAction()->isEnabled()); // and can be tried again
    }

    void replaysTheCurrentSession()
    {
        Fixture f;
        ServerOptions options;
        options.port = 0;
        f.session.startServer(options);
        QTRY_VERIFY(f.session.isServerRunning());
        ClientOptions client;
        client.url = f.session.serverUrl().resolved(QUrl(QStringLiteral("/live")));
        const quint32 recorded = f.session.connectClient(client);
        QTRY_COMPARE(f.session.connectionState(recorded), ConnectionState::Open);
        f.session.sendText(recorded, QStringLiteral("one"));
        f.session.sendText(recorded, QStringLiteral("two"));
        QTRY_COMPARE(textsOf(f.session.store(), recorded, Direction::S2C).size(), 2);

        f.pane.show(); // lists the capture the first time it is shown
        QVERIFY(QTest::qWaitForWindowExposed(&f.pane));
        QTRY_VERIFY(!f.pane.isBusy() && !f.pane.candidates().isEmpty());
        QCOMPARE(f.pane.source(), ReplayPane::Source::CurrentSession);
        const auto it = std::find_if(f.pane.candidates().cbegin(), f.pane.candidates().cend(),
            [recorded](const ReplayCandidate& c) { return c.id == recorded; });
        QVERIFY(it != f.pane.candidates().cend());
        QCOMPARE(it->c2sMessages, 2);
        QCOMPARE(it->s2cMessages, 2);

        f.pane.selectConnection(recorded);
        QTRY_VERIFY(f.pane.plan() && f.pane.plan()->connection == recorded && !f.pane.isBusy());
        QCOMPARE(child<QLineEdit>(&f.pane, "replayTargetUrlEdit")->text(), client.url.toString());
        f.setSpeed(ReplayPane::Paced);
        // F5 plays while the focus is in the pane.
        f.pane.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&f.pane));
        auto* target = child<QLineEdit>(&f.pane, "replayTargetUrlEdit");
        target->setFocus();
        QTest::keyClick(target, Qt::Key_F5);
        QTRY_VERIFY(f.pane.client()->state() != ReplayClient::State::Idle);
        QTRY_VERIFY2_WITH_TIMEOUT(f.finished(), f.where().constData(), 20000);
        const quint32 replayed = f.pane.client()->connection();
        QVERIFY(replayed != recorded);
        QTRY_COMPARE(textsOf(f.session.store(), replayed, Direction::C2S), (QList<QByteArray> { "one", "two" }));
        QVERIFY(f.pane.compareModel()->count(ReplayCompareRow::Status::Equal) == 2);

        // Reload lists the replay too, and keeps the chosen connection.
        child<QPushButton>(&f.pane, "replayReloadButton")->click();
        QTRY_VERIFY(!f.pane.isBusy()
            && std::any_of(f.pane.candidates().cbegin(), f.pane.candidates().cend(),
                [replayed](const ReplayCandidate& c) { return c.id == replayed; }));
        QTRY_VERIFY(f.pane.plan());
        QCOMPARE(f.pane.selectedConnection(), recorded);
    }

    void mockServerOnTheSchedule()
    {
        Fixture f;
        QVERIFY(f.load());
        f.pane.setMode(ReplayPane::Mode::Server);
        QTRY_VERIFY(f.pane.plan() && !f.pane.isBusy());
        auto* speed = child<QComboBox>(&f.pane, "replayServerSpeedCombo");
        speed->setCurrentIndex(speed->findData(ReplayPane::AsFastAsPossible));
        auto* button = child<QPushButton>(&f.pane, "replayServerStartStopButton");
        QVERIFY(button->isEnabled());
        button->click();
        QTRY_VERIFY(f.pane.server()->isRunning());
        const QString url = child<QLineEdit>(&f.pane, "replayServerUrlEdit")->text();
        QVERIFY2(url.startsWith(QStringLiteral("ws://127.0.0.1:")), qPrintable(url));
        QVERIFY(child<QPushButton>(&f.pane, "replayCopyServerUrlButton")->isEnabled());
        // While it serves, what it serves stays put.
        QVERIFY(!child<QTableView>(&f.pane, "replayCandidateView")->isEnabled());
        QVERIFY(!child<QSpinBox>(&f.pane, "replayServerPortSpin")->isEnabled());

        QWebSocket socket;
        QList<QString> received;
        QObject::connect(&socket, &QWebSocket::textMessageReceived, &socket,
            [&received](const QString& message) { received.append(message); });
        socket.open(QUrl(url));
        QTRY_COMPARE(received.size(), 3);
        QCOMPARE(received[0].toUtf8(), recordedS2c[0]);
        QCOMPARE(received[1].toUtf8(), recordedS2c[1]);
        QCOMPARE(received[2].toUtf8(), recordedS2c[2]);
        QTRY_COMPARE(child<QLabel>(&f.pane, "replayClientsServedLabel")->text(),
            QStringLiteral("1 client served, 1 connected now"));
        socket.close();
        QTRY_COMPARE(child<QLabel>(&f.pane, "replayClientsServedLabel")->text(),
            QStringLiteral("1 client served, 0 connected now"));

        button->click();
        QVERIFY(!f.pane.server()->isRunning());
        QVERIFY(child<QLineEdit>(&f.pane, "replayServerUrlEdit")->text().isEmpty());
        QVERIFY(child<QTableView>(&f.pane, "replayCandidateView")->isEnabled());
        QVERIFY2(f.pane.serverMessage().contains(QStringLiteral("1 client")), qPrintable(f.pane.serverMessage()));
    }

    void mockServerAnswers()
    {
        Fixture f;
        QVERIFY(f.load());
        f.pane.setMode(ReplayPane::Mode::Server);
        QTRY_VERIFY(f.pane.plan() && !f.pane.isBusy());
        auto* schedule = child<QComboBox>(&f.pane, "replayServerScheduleCombo");
        schedule->setCurrentIndex(schedule->findData(true));
        f.pane.startServer();
        QTRY_VERIFY(f.pane.server()->isRunning());

        QWebSocket socket;
        QList<QString> received;
        QObject::connect(&socket, &QWebSocket::textMessageReceived, &socket,
            [&received](const QString& message) { received.append(message); });
        socket.open(f.pane.server()->url());
        QTRY_COMPARE(socket.state(), QAbstractSocket::ConnectedState);
        QTest::qWait(300); // nothing was recorded before the first client message: nothing comes
        QVERIFY(received.isEmpty());
        socket.sendTextMessage(QStringLiteral("first"));
        QTRY_COMPARE(received.size(), 1);
        QCOMPARE(received[0].toUtf8(), recordedS2c[0]);
        socket.sendTextMessage(QStringLiteral("second"));
        QTRY_COMPARE(received.size(), 2);
        QCOMPARE(received[1].toUtf8(), recordedS2c[1]);
        socket.close();
        f.pane.stopServer();
    }

    void mockServerThatCannotListen()
    {
        Fixture f;
        QVERIFY(f.load());
        // The capture's own test server holds a port: the mock cannot have it too.
        ServerOptions options;
        options.port = 0;
        f.session.startServer(options);
        QTRY_VERIFY(f.session.isServerRunning());
        f.pane.setMode(ReplayPane::Mode::Server);
        QTRY_VERIFY(f.pane.plan() && !f.pane.isBusy());
        child<QSpinBox>(&f.pane, "replayServerPortSpin")->setValue(f.session.serverUrl().port());
        f.pane.startServer();
        QTRY_VERIFY(f.pane.serverMessage().startsWith(QStringLiteral("Could not start the mock server:")));
        QVERIFY(!f.pane.server()->isRunning());
        QVERIFY(child<QPushButton>(&f.pane, "replayServerStartStopButton")->isEnabled());
    }

    void dockInTheWindow()
    {
        CaptureSession session { CaptureSession::Options { true, QString() } };
        MainWindow window(&session);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.replayPane());
        auto* dock = window.findChild<QDockWidget*>(QStringLiteral("replayDock"));
        QVERIFY(dock);
        QVERIFY(!dock->isVisible());
        QAction* toggle = dock->toggleViewAction();
        QCOMPARE(toggle->shortcut(), QKeySequence(Qt::Key_F4));
        auto* view = window.menuBar()->findChild<QMenu*>(QStringLiteral("viewMenu"));
        QVERIFY(view && view->actions().contains(toggle));
        QTest::keyClick(&window, Qt::Key_F4);
        QTRY_VERIFY(dock->isVisible());
        // F8 still pauses the display.
        QTest::keyClick(&window, Qt::Key_F8);
        QVERIFY(window.findChild<QAction*>(QStringLiteral("pauseAction"))->isChecked());
    }
};

QTEST_MAIN(TstReplayPane)
#include "tst_replaypane.moc"
