// Crash recovery for real: the wsinspector binary runs offscreen with its test server, a client talks to it, and the
// app is killed with SIGKILL; then a MainWindow here, on the same data folder, must offer the unsaved capture and
// bring every message back. Also: a clean end (SIGTERM) offers nothing, an empty capture leaves nothing behind,
// and the bar's other answers (Discard, several captures, a capture that has already begun).

#include "core/eventstore.h"
#include "core/recorder.h"
#include "core/timelinemodel.h"
#include "formats/journalrecovery.h"
#include "formats/jsonlcodec.h"
#include "formats/sessionpaths.h"
#include "mainwindow.h"
#include "net/capturesession.h"
#include "recoverybar.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QPointer>
#include <QProcess>
#include <QPushButton>
#include <QSysInfo>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

using namespace wsi;

namespace {

constexpr int Messages = 300;

QByteArray headerLine(const QDateTime& created)
{
    return jsonl::encodeHeader(created, QStringLiteral("test")) + '\n';
}

QByteArray eventLine(quint32 connection, quint64 seq, Direction direction, const QByteArray& payload)
{
    Event e = makeEvent(connection, direction, EventKind::Text, payload);
    e.seq = seq;
    return jsonl::encodeEvent(e) + '\n';
}

// A journal as a crashed run leaves it: events, and a lock file whose owner is gone (nobody holds its flock).
QString writeCrashedJournal(const QString& folder, const QString& name, const QDateTime& created, int events)
{
    const QString path = QDir(folder).filePath(name);
    QByteArray content = headerLine(created);
    Connection c;
    c.id = 1;
    c.role = ConnectionRole::Server;
    content += jsonl::encodeConnection(c) + '\n';
    for (int i = 1; i <= events; ++i)
        content += eventLine(1, quint64(i), Direction::C2S, name.toUtf8() + ' ' + QByteArray::number(i));
    QFile file(path);
    QFile lock(JournalRecovery::lockPath(path));
    if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size() || !lock.open(QIODevice::WriteOnly)
        || lock.write("999999\nwsinspector\n" + QSysInfo::machineHostName().toUtf8() + '\n') <= 0)
        return {};
    return path;
}

quint16 freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

// The text messages of the store in one direction, in order.
QList<QByteArray> texts(const EventStore& store, Direction direction)
{
    QList<QByteArray> out;
    for (qsizetype i = 0; i < store.count(); ++i) {
        const Event e = store.event(i);
        if (e.kind == EventKind::Text && e.direction == direction)
            out.append(e.payload);
    }
    return out;
}

QStringList filesIn(const QString& folder)
{
    return QDir(folder).entryList(QDir::Files | QDir::Hidden, QDir::Name);
}

} // namespace

class TstRecoveryBar : public QObject
{
    Q_OBJECT

private:
    // The app, offscreen, on the test's own data and config folders.
    bool startApp(QProcess& app, const QStringList& arguments)
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        env.insert(QStringLiteral("XDG_DATA_HOME"), m_data);
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_config);
        app.setProcessEnvironment(env);
        app.setProcessChannelMode(QProcess::ForwardedChannels);
        app.start(QStringLiteral(WSI_APP_BINARY), arguments);
        return app.waitForStarted(10000);
    }

    // Connects a client to the app's test server; the app may still be starting.
    bool connectClient(QWebSocket& client, quint16 port)
    {
        const QUrl url(QStringLiteral("ws://127.0.0.1:%1/").arg(port));
        QDeadlineTimer deadline(30000);
        while (!deadline.hasExpired()) {
            client.open(url);
            QDeadlineTimer attempt(10000);
            while (client.state() != QAbstractSocket::ConnectedState
                && client.state() != QAbstractSocket::UnconnectedState && !attempt.hasExpired())
                QTest::qWait(20);
            if (client.state() == QAbstractSocket::ConnectedState)
                return true;
            QTest::qWait(200);
        }
        return false;
    }

    // Runs the app with its test server, sends `messages` texts and waits for every echo. Returns the echoes.
    int talkToApp(QProcess& app, int messages)
    {
        const quint16 port = freePort();
        if (port == 0 || !startApp(app, { QStringLiteral("--serve"), QString::number(port) }))
            return -1;
        QWebSocket client;
        int echoes = 0;
        connect(&client, &QWebSocket::textMessageReceived, this, [&echoes] { ++echoes; });
        if (!connectClient(client, port))
            return -1;
        for (int i = 0; i < messages; ++i)
            client.sendTextMessage(QStringLiteral("message %1").arg(i));
        QDeadlineTimer deadline(60000);
        while (echoes < messages && !deadline.hasExpired())
            QTest::qWait(20);
        client.abort(); // the app is about to die; our end need not say goodbye
        return echoes;
    }

    QTemporaryDir m_dir;
    QString m_data;
    QString m_config;
    QString m_sessions;

private Q_SLOTS:
    void initTestCase() { QVERIFY2(QFileInfo::exists(QStringLiteral(WSI_APP_BINARY)), WSI_APP_BINARY); }

    void init()
    {
        // A home of its own per test, for the app and for the window here alike.
        const QString home = m_dir.filePath(QString::fromLatin1(QTest::currentTestFunction()));
        m_data = home + QLatin1StringView("/data");
        m_config = home + QLatin1StringView("/config");
        QVERIFY(QDir().mkpath(m_data) && QDir().mkpath(m_config));
        qputenv("XDG_DATA_HOME", QFile::encodeName(m_data));
        qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_config));
        m_sessions = sessionsFolder();
        QVERIFY(m_sessions.startsWith(m_data));
    }

    void recoversWhatTheKilledAppJournaled()
    {
        QProcess app;
        QCOMPARE(talkToApp(app, Messages), Messages);
        // The journal is written every 100 ms: wait a little longer, as the issue says, then crash.
        QTest::qWait(300);
        app.kill();
        QVERIFY(app.waitForFinished(10000));
        QCOMPARE(app.exitStatus(), QProcess::CrashExit);
        const QStringList left = filesIn(m_sessions);
        QCOMPARE(left.size(), 2); // the journal and its lock
        const QString oldJournal = QDir(m_sessions).filePath(left.first());

        CaptureSession session(CaptureSession::Options { true, defaultJournalPath(), true });
        MainWindow window(&session);
        window.show();
        window.offerRecovery(m_sessions);
        QPointer<RecoveryBar> bar = window.findChild<RecoveryBar*>();
        QVERIFY(bar);
        QVERIFY(bar->isVisible());
        QCOMPARE(bar->pending().size(), 1);
        const qint64 offered = bar->pending().first().events;
        const auto* text = bar->findChild<QLabel*>(QStringLiteral("recoveryText"));
        QVERIFY(text->text().contains(QLatin1StringView("quit unexpectedly")));
        QVERIFY2(text->text().contains(QLocale().toString(offered)), qPrintable(text->text()));

        bar->findChild<QPushButton*>(QStringLiteral("recoverButton"))->click();
        QTRY_VERIFY(bar.isNull());
        QTRY_COMPARE(session.store()->count(), qsizetype(offered));
        const QList<QByteArray> sent = texts(*session.store(), Direction::C2S);
        const QList<QByteArray> echoed = texts(*session.store(), Direction::S2C);
        qInfo("sent %d messages each way; recovered %lld c2s and %lld s2c texts, %lld events in all "
              "(journal flush interval 100 ms, killed 300 ms after the last echo)",
            Messages, qint64(sent.size()), qint64(echoed.size()), offered);
        QCOMPARE(sent.size(), Messages);
        QCOMPARE(echoed.size(), Messages);
        for (int i = 0; i < Messages; ++i) {
            QCOMPARE(sent[i], QStringLiteral("message %1").arg(i).toUtf8());
            QCOMPARE(echoed[i], sent[i]);
        }

        // The capture lives on in this run's journal; the old one is gone, lock and all.
        QVERIFY(!QFileInfo::exists(oldJournal));
        QVERIFY(!QFileInfo::exists(JournalRecovery::lockPath(oldJournal)));
        QVERIFY(session.flushJournal());
        QCOMPARE(JournalRecovery::inspect(session.journalPath()).events, offered);
        // What is captured next continues the numbering.
        const quint64 lastSeq = session.store()->event(session.store()->count() - 1).seq;
        QVERIFY(session.recorder()->record(makeEvent(0, Direction::None, EventKind::Note, "after")) > lastSeq);
    }

    // SIGTERM ends the app as quitting does: its journal is an ordinary file, not a crash to offer.
    void cleanEndOffersNothing()
    {
        QProcess app;
        QCOMPARE(talkToApp(app, 20), 20);
        app.terminate();
        QVERIFY(app.waitForFinished(20000));
        QCOMPARE(app.exitStatus(), QProcess::NormalExit);
        QCOMPARE(app.exitCode(), 0);
        const QStringList left = filesIn(m_sessions);
        QCOMPARE(left.size(), 1);
        QVERIFY(left.first().endsWith(QLatin1StringView(".jsonl")));
        QVERIFY(JournalRecovery::inspect(QDir(m_sessions).filePath(left.first())).events >= 40);

        CaptureSession session(CaptureSession::Options { true, QString() });
        MainWindow window(&session);
        window.offerRecovery(m_sessions);
        QVERIFY(!window.findChild<RecoveryBar*>());
    }

    // A run that captured nothing leaves nothing, whether it ends cleanly or is killed.
    void emptyCaptureLeavesNothing()
    {
        for (const bool kill : { false, true }) {
            QProcess app;
            QVERIFY(startApp(app, {}));
            QTRY_COMPARE_WITH_TIMEOUT(filesIn(m_sessions).size(), 2, 30000); // running: journal and lock
            if (kill)
                app.kill();
            else
                app.terminate();
            QVERIFY(app.waitForFinished(20000));
            if (!kill)
                QCOMPARE(filesIn(m_sessions), QStringList());
            CaptureSession session(CaptureSession::Options { true, QString() });
            MainWindow window(&session);
            window.offerRecovery(m_sessions);
            QVERIFY(!window.findChild<RecoveryBar*>());
            QCOMPARE(filesIn(m_sessions), QStringList());
        }
    }

    // Several captures are offered one after another, oldest first; Discard deletes one for good.
    void severalOneAfterAnother()
    {
        QVERIFY(QDir().mkpath(m_sessions));
        const QString older = writeCrashedJournal(
            m_sessions, QStringLiteral("older.jsonl"), QDateTime::currentDateTimeUtc().addSecs(-7200), 3);
        const QString newer = writeCrashedJournal(
            m_sessions, QStringLiteral("newer.jsonl"), QDateTime::currentDateTimeUtc().addSecs(-60), 5);
        QVERIFY(!older.isEmpty() && !newer.isEmpty());

        CaptureSession session(CaptureSession::Options { true, QString() });
        MainWindow window(&session);
        window.offerRecovery(m_sessions);
        QPointer<RecoveryBar> bar = window.findChild<RecoveryBar*>();
        QVERIFY(bar);
        QCOMPARE(bar->pending().size(), 2);
        QCOMPARE(bar->pending().first().path, older);
        const auto* text = bar->findChild<QLabel*>(QStringLiteral("recoveryText"));
        QVERIFY2(text->text().contains(QLatin1StringView("1 more")), qPrintable(text->text()));

        QVERIFY(bar->discard());
        QVERIFY(!QFileInfo::exists(older));
        QVERIFY(!QFileInfo::exists(JournalRecovery::lockPath(older)));
        QCOMPARE(bar->pending().size(), 1);
        QVERIFY2(text->text().contains(QLatin1StringView("5 events")), qPrintable(text->text()));

        // No journal in this session: the events come back, and their file stays as an ordinary session file.
        QVERIFY(bar->recover());
        QTRY_COMPARE(session.store()->count(), qsizetype(5));
        QTRY_VERIFY(bar.isNull());
        QVERIFY(QFileInfo::exists(newer));
        QVERIFY(!QFileInfo::exists(JournalRecovery::lockPath(newer)));
    }

    // Once the window's capture has begun, the old one cannot go before it: it opens elsewhere, its file kept.
    void captureAlreadyBegunOpensElsewhere()
    {
        QVERIFY(QDir().mkpath(m_sessions));
        const QString journal = writeCrashedJournal(
            m_sessions, QStringLiteral("late.jsonl"), QDateTime::currentDateTimeUtc().addSecs(-60), 4);
        QVERIFY(!journal.isEmpty());
        CaptureSession session(CaptureSession::Options { true, defaultJournalPath(), true });
        MainWindow window(&session);
        window.offerRecovery(m_sessions);
        QPointer<RecoveryBar> bar = window.findChild<RecoveryBar*>();
        QVERIFY(bar);
        QStringList launched;
        bool launches = false;
        bar->setLauncher([&](const QString& path) {
            launched.append(path);
            return launches;
        });
        session.recorder()->record(makeEvent(0, Direction::None, EventKind::Note, "the capture has begun"));
        QTRY_COMPARE(session.store()->count(), qsizetype(1));

        QVERIFY(!bar->recover()); // the new window could not be opened: still offered, with the reason
        QCOMPARE(launched, QStringList { journal });
        QVERIFY(bar->findChild<QLabel*>(QStringLiteral("recoveryProblem"))->isVisibleTo(bar));
        QVERIFY(QFileInfo::exists(JournalRecovery::lockPath(journal)));

        launches = true;
        QVERIFY(bar->recover());
        QCOMPARE(launched.size(), 2);
        QTRY_VERIFY(bar.isNull());
        QCOMPARE(session.store()->count(), qsizetype(1));
        QVERIFY(QFileInfo::exists(journal));
        QVERIFY(!QFileInfo::exists(JournalRecovery::lockPath(journal)));
    }
};

QTEST_MAIN(TstRecoveryBar)
#include "tst_recoverybar.moc"
