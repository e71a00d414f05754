// Finding the captures a crash left unsaved. The journals are written by real CaptureSessions in child
// processes (this executable started again with --journal-child), so the locks are the ones the app takes; the
// children are killed with SIGKILL, which leaves the lock file behind exactly as a crash does.

#include "core/recorder.h"
#include "formats/journalrecovery.h"
#include "formats/jsonlcodec.h"
#include "net/capturesession.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QTest>

#include <cstdio>
#include <cstring>

using namespace wsi;

namespace {

// The child: journals `count` text events to path with a real CaptureSession, says "ready" once they are in the
// file, then waits to be killed.
int runJournalChild(const QString& path, int count)
{
    CaptureSession session(CaptureSession::Options { false, path });
    if (session.journalPath().isEmpty())
        return 1;
    Connection c;
    c.role = ConnectionRole::Server;
    const quint32 connection = session.recorder()->addConnection(c);
    for (int i = 0; i < count; ++i) {
        session.recorder()->record(
            makeEvent(connection, Direction::C2S, EventKind::Text, "message " + QByteArray::number(i)));
    }
    if (!session.flushJournal())
        return 1;
    std::puts("ready");
    std::fflush(stdout);
    return QCoreApplication::exec();
}

QByteArray header()
{
    return jsonl::encodeHeader(QDateTime(QDate(2026, 1, 2), QTime(3, 4, 5), Qt::UTC), QStringLiteral("test")) + '\n';
}

QByteArray eventLine(quint64 seq, qint64 ts, const QByteArray& payload)
{
    Event e = makeEvent(1, Direction::S2C, EventKind::Text, payload);
    e.seq = seq;
    e.timestampUs = ts;
    return jsonl::encodeEvent(e) + '\n';
}

bool writeFile(const QString& path, const QByteArray& content)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(content) == content.size();
}

// Sets a file's modification time back, as if it had been written that long ago: a lock younger than
// JournalRecovery::MinLockAgeMs is not judged, and the crashes here happen a moment before the scan.
bool backdate(const QString& path, int seconds = 60)
{
    QFile file(path);
    return file.open(QIODevice::ReadWrite)
        && file.setFileTime(QDateTime::currentDateTimeUtc().addSecs(-seconds), QFileDevice::FileModificationTime);
}

// A lock file as a dead process leaves it (nobody holds its flock), a minute ago; host empty means this machine.
bool writeDeadLock(const QString& journal, const QString& host = QSysInfo::machineHostName())
{
    const QString lock = JournalRecovery::lockPath(journal);
    return writeFile(lock, "999999\nwsinspector\n" + host.toUtf8() + '\n') && backdate(lock);
}

} // namespace

class TestJournalRecovery : public QObject
{
    Q_OBJECT

private:
    // Starts a child journaling `count` events to a new journal in m_folder; returns its path.
    QString startChild(QProcess& child, int count)
    {
        const QString path = QDir(m_folder).filePath(QStringLiteral("child-%1.jsonl").arg(++m_children));
        child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        child.start(QCoreApplication::applicationFilePath(),
            { QStringLiteral("--journal-child"), path, QString::number(count) });
        if (!child.waitForStarted(10000))
            return {};
        while (!child.canReadLine()) {
            if (!child.waitForReadyRead(20000))
                return {};
        }
        if (child.readLine().trimmed() != "ready")
            return {};
        // Old enough to be judged by its flock, which is what these tests are about.
        if (!backdate(JournalRecovery::lockPath(path)))
            return {};
        return path;
    }

    static void killChild(QProcess& child)
    {
        child.kill(); // SIGKILL: no handler, no cleanup, as in a crash
        // Reaped before anyone looks: a zombie still owns its pid.
        QVERIFY(child.waitForFinished(10000));
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);
    }

    QTemporaryDir m_dir;
    QString m_folder;
    int m_children = 0;
    int m_runs = 0; // data rows of one function get a folder each too

private Q_SLOTS:
    void init()
    {
        // Each test (and row) looks at a folder of its own: what one leaves behind must not count in the next.
        m_folder = m_dir.filePath(QString::fromLatin1(QTest::currentTestFunction()) + u'-' + QString::number(++m_runs));
        QVERIFY(QDir().mkpath(m_folder));
    }

    // The heart of it: a running instance's journal is never offered; the same journal after SIGKILL is.
    void liveLockIsLeftAloneDeadOneIsOffered()
    {
        QProcess child;
        const QString journal = startChild(child, 5);
        QVERIFY(!journal.isEmpty());
        const QString lock = JournalRecovery::lockPath(journal);
        QVERIFY(QFileInfo::exists(lock));

        JournalRecovery recovery(m_folder);
        QCOMPARE(recovery.scan().size(), 0);
        QVERIFY(QFileInfo::exists(lock)); // judged, not touched
        QVERIFY(QFileInfo::exists(journal));

        const QDateTime beforeKill = QDateTime::currentDateTimeUtc();
        const qint64 pid = child.processId();
        killChild(child);
        QVERIFY(QFileInfo::exists(lock));

        const QList<CrashedJournal> found = recovery.scan();
        QCOMPARE(found.size(), 1);
        const CrashedJournal& crashed = found.first();
        QCOMPARE(crashed.path, journal);
        QCOMPARE(crashed.events, qint64(5));
        QCOMPARE(crashed.ownerPid, pid);
        QCOMPARE(crashed.size, QFileInfo(journal).size());
        QVERIFY(crashed.created.isValid());
        QVERIFY(crashed.lastEvent.isValid());
        QVERIFY(crashed.lastEvent >= crashed.created.addSecs(-1));
        QVERIFY(crashed.lastEvent <= beforeKill);
        QVERIFY(recovery.isClaimed(journal));
        QCOMPARE(recovery.scan().size(), 1); // scanning again finds the same one, once
    }

    // A claim keeps a second instance (here: a second object) from offering the same journal; a claim that ends
    // without an answer leaves the journal to be offered again.
    void claimedJournalIsOfferedOnceThenAgainNextTime()
    {
        QProcess child;
        const QString journal = startChild(child, 2);
        QVERIFY(!journal.isEmpty());
        killChild(child);
        {
            JournalRecovery first(m_folder);
            QCOMPARE(first.scan().size(), 1);
            JournalRecovery second(m_folder);
            QCOMPARE(second.scan().size(), 0);
        }
        QVERIFY(QFileInfo::exists(JournalRecovery::lockPath(journal)));
        JournalRecovery later(m_folder);
        QCOMPARE(later.scan().size(), 1);
    }

    // The journal of a capture running in this very process is not a crashed one either.
    void ownLiveJournalIsNotOffered()
    {
        const QString path = QDir(m_folder).filePath(QStringLiteral("own.jsonl"));
        CaptureSession session(CaptureSession::Options { false, path });
        session.recorder()->record(makeEvent(0, Direction::None, EventKind::Note, "n"));
        QVERIFY(session.flushJournal());
        QVERIFY(backdate(JournalRecovery::lockPath(path)));
        JournalRecovery recovery(m_folder);
        QCOMPARE(recovery.scan().size(), 0);
        session.shutdown();
        QCOMPARE(recovery.scan().size(), 0); // a clean end: no lock, nothing to offer
        QVERIFY(QFileInfo::exists(path));
    }

    // A crash before anything was captured leaves nothing worth a question: both files go without one.
    void emptyCrashedJournalsAreDeleted_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::newRow("header only") << header();
        Connection c;
        c.id = 1;
        QTest::newRow("connections only") << header() + jsonl::encodeConnection(c) + '\n';
        QTest::newRow("half an event line") << header() + eventLine(1, 1000, "cut").chopped(5);
        QTest::newRow("empty file") << QByteArray();
    }

    void emptyCrashedJournalsAreDeleted()
    {
        QFETCH(QByteArray, content);
        const QString journal = QDir(m_folder).filePath(QStringLiteral("empty.jsonl"));
        QVERIFY(writeFile(journal, content));
        QVERIFY(writeDeadLock(journal));
        JournalRecovery recovery(m_folder);
        QCOMPARE(recovery.scan().size(), 0);
        QVERIFY(!QFileInfo::exists(journal));
        QVERIFY(!QFileInfo::exists(JournalRecovery::lockPath(journal)));
    }

    void emptyJournalOfAKilledChildIsDeleted()
    {
        QProcess child;
        const QString journal = startChild(child, 0);
        QVERIFY(!journal.isEmpty());
        killChild(child);
        JournalRecovery recovery(m_folder);
        QCOMPARE(recovery.scan().size(), 0);
        QCOMPARE(QDir(m_folder).entryList(QDir::Files), QStringList());
    }

    void lockWithoutJournalIsCleanedUp()
    {
        const QString journal = QDir(m_folder).filePath(QStringLiteral("gone.jsonl"));
        QVERIFY(writeDeadLock(journal));
        JournalRecovery recovery(m_folder);
        QCOMPARE(recovery.scan().size(), 0);
        QVERIFY(!QFileInfo::exists(JournalRecovery::lockPath(journal)));
    }

    // A home folder shared by several machines: another host's lock cannot be judged from here.
    void lockOfAnotherHostIsLeftAlone()
    {
        const QString journal = QDir(m_folder).filePath(QStringLiteral("elsewhere.jsonl"));
        QVERIFY(writeFile(journal, header() + eventLine(1, 1000, "x")));
        QVERIFY(writeDeadLock(journal, QStringLiteral("some-other-host.example")));
        JournalRecovery recovery(m_folder);
        QCOMPARE(recovery.scan().size(), 0);
        QVERIFY(QFileInfo::exists(journal));
        QVERIFY(QFileInfo::exists(JournalRecovery::lockPath(journal)));
    }

    // QLockFile creates the file, takes its flock, then writes its owner: a scan that took the flock in between
    // would leave the new owner without one and offer its live journal. So a young lock is not judged at all, and
    // an empty (unreadable) one only once it is old: a crash between the creating and the writing.
    void youngOrUnreadableLocks_data()
    {
        QTest::addColumn<QByteArray>("lockContent");
        QTest::addColumn<int>("ageSeconds");
        QTest::addColumn<bool>("withJournal");
        QTest::addColumn<bool>("offered");
        QTest::addColumn<bool>("lockRemains");
        const QByteArray owner = "999999\nwsinspector\n" + QSysInfo::machineHostName().toUtf8() + '\n';
        QTest::newRow("empty, young: skipped") << QByteArray() << 0 << true << false << true;
        QTest::newRow("empty, old: offered") << QByteArray() << 60 << true << true << true;
        QTest::newRow("owner written, young: skipped") << owner << 1 << true << false << true;
        QTest::newRow("owner written, old: offered") << owner << 60 << true << true << true;
        // A CaptureSession takes its lock before its journal exists.
        QTest::newRow("empty, young, no journal yet: left alone") << QByteArray() << 0 << false << false << true;
        QTest::newRow("empty, old, no journal: cleaned up") << QByteArray() << 60 << false << false << false;
        // A clock set back: a lock from the future is young until it is that far in the past.
        QTest::newRow("owner written, a second ahead: skipped") << owner << -1 << true << false << true;
    }

    void youngOrUnreadableLocks()
    {
        QFETCH(QByteArray, lockContent);
        QFETCH(int, ageSeconds);
        QFETCH(bool, withJournal);
        QFETCH(bool, offered);
        QFETCH(bool, lockRemains);
        const QString journal = QDir(m_folder).filePath(QStringLiteral("young.jsonl"));
        const QString lock = JournalRecovery::lockPath(journal);
        if (withJournal)
            QVERIFY(writeFile(journal, header() + eventLine(1, 1000, "x")));
        QVERIFY(writeFile(lock, lockContent));
        QVERIFY(backdate(lock, ageSeconds));
        JournalRecovery recovery(m_folder);
        const QList<CrashedJournal> found = recovery.scan();
        QCOMPARE(found.size(), offered ? 1 : 0);
        QCOMPARE(recovery.isClaimed(journal), offered);
        QCOMPARE(QFileInfo::exists(lock), lockRemains);
        QCOMPARE(QFileInfo::exists(journal), withJournal);
        if (offered)
            QVERIFY(!found.first().closedUnsaved);
    }

    // A run ended by SIGTERM with an unsaved capture leaves a marker instead of its lock: offered as such, claimed
    // like a lock (a second instance does not offer it too), and gone with discard() or keep().
    void closedUnsavedIsOffered()
    {
        const QString journal = QDir(m_folder).filePath(QStringLiteral("unsaved.jsonl"));
        const QString marker = JournalRecovery::markerPath(journal);
        QVERIFY(writeFile(journal, header() + eventLine(1, 1000, "x") + eventLine(2, 2000, "y")));
        QVERIFY(writeFile(marker, "closed with unsaved events\n"));
        {
            JournalRecovery recovery(m_folder);
            const QList<CrashedJournal> found = recovery.scan();
            QCOMPARE(found.size(), 1);
            QCOMPARE(found.first().path, journal);
            QCOMPARE(found.first().events, qint64(2));
            QVERIFY(found.first().closedUnsaved);
            QCOMPARE(JournalRecovery(m_folder).scan().size(), 0); // claimed
        }
        QVERIFY(QFileInfo::exists(marker)); // not answered: offered again next time
        {
            JournalRecovery recovery(m_folder);
            QCOMPARE(recovery.scan().size(), 1);
            recovery.keep(journal);
            QVERIFY(QFileInfo::exists(journal));
            QVERIFY(!QFileInfo::exists(marker));
        }
        QCOMPARE(JournalRecovery(m_folder).scan().size(), 0);

        QVERIFY(writeFile(marker, QByteArray()));
        JournalRecovery recovery(m_folder);
        QCOMPARE(recovery.scan().size(), 1);
        QVERIFY(recovery.discard(journal));
        QVERIFY(!QFileInfo::exists(journal));
        QVERIFY(!QFileInfo::exists(marker));
    }

    // A marker beside a journal that a run is appending to again: the lock decides, the journal is live.
    void markedJournalInUseIsLeftAlone()
    {
        const QString journal = QDir(m_folder).filePath(QStringLiteral("again.jsonl"));
        const QString marker = JournalRecovery::markerPath(journal);
        QVERIFY(writeFile(journal, header() + eventLine(1, 1000, "x")));
        QVERIFY(writeFile(marker, QByteArray()));
        CaptureSession session(CaptureSession::Options { false, journal });
        QVERIFY(backdate(JournalRecovery::lockPath(journal)));
        JournalRecovery recovery(m_folder);
        QCOMPARE(recovery.scan().size(), 0);
        QVERIFY(QFileInfo::exists(marker));
        QVERIFY(QFileInfo::exists(journal));
    }

    // Markers that hold nothing to offer go: one without its journal, one beside a journal without events.
    void emptyOrOrphanMarkersAreCleanedUp()
    {
        const QDir dir(m_folder);
        const QString orphan = JournalRecovery::markerPath(dir.filePath(QStringLiteral("gone.jsonl")));
        const QString empty = dir.filePath(QStringLiteral("empty.jsonl"));
        QVERIFY(writeFile(orphan, QByteArray()));
        QVERIFY(writeFile(empty, header()));
        QVERIFY(writeFile(JournalRecovery::markerPath(empty), QByteArray()));
        JournalRecovery recovery(m_folder);
        QCOMPARE(recovery.scan().size(), 0);
        QCOMPARE(dir.entryList(QDir::Files), QStringList());
    }

    // The scan reports how far it got in bytes of journals, and stops when told to.
    void scanReportsProgressAndStops()
    {
        const QDir dir(m_folder);
        qint64 bytes = 0;
        for (int i = 0; i < 3; ++i) {
            const QString journal = dir.filePath(QStringLiteral("p%1.jsonl").arg(i));
            QVERIFY(writeFile(journal, header() + eventLine(1, 1000, QByteArray(1000 * (i + 1), 'x'))));
            QVERIFY(writeDeadLock(journal));
            bytes += QFileInfo(journal).size();
        }
        qint64 lastDone = -1;
        qint64 lastTotal = -1;
        {
            JournalRecovery recovery(m_folder);
            QCOMPARE(recovery
                         .scan([&](qint64 done, qint64 total) {
                             lastDone = done;
                             lastTotal = total;
                             return true;
                         })
                         .size(),
                3);
        }
        QCOMPARE(lastTotal, bytes);
        QCOMPARE(lastDone, bytes);

        JournalRecovery stopped(m_folder);
        int calls = 0;
        QCOMPARE(stopped.scan([&](qint64, qint64) { return ++calls < 2; }).size(), 0);
        // Nothing was claimed or deleted: the next scan offers all three.
        QCOMPARE(JournalRecovery(m_folder).scan().size(), 3);
    }

    // Journals without a lock ended cleanly (or predate locks): they are ordinary session files.
    void journalWithoutLockIsNotOffered()
    {
        QVERIFY(writeFile(QDir(m_folder).filePath(QStringLiteral("clean.jsonl")), header() + eventLine(1, 1, "x")));
        JournalRecovery recovery(m_folder);
        QCOMPARE(recovery.scan().size(), 0);
    }

    void severalAreOfferedOldestFirst()
    {
        const QDir dir(m_folder);
        const QList<QDateTime> created = { QDateTime(QDate(2026, 3, 1), QTime(9, 0), Qt::UTC),
            QDateTime(QDate(2026, 1, 1), QTime(9, 0), Qt::UTC), QDateTime(QDate(2026, 2, 1), QTime(9, 0), Qt::UTC) };
        for (int i = 0; i < created.size(); ++i) {
            const QString journal = dir.filePath(QStringLiteral("j%1.jsonl").arg(i));
            QVERIFY(writeFile(journal,
                jsonl::encodeHeader(created[i], QStringLiteral("test")) + '\n' + eventLine(1, 5, "x")
                    + eventLine(2, 6, "y")));
            QVERIFY(writeDeadLock(journal));
        }
        JournalRecovery recovery(m_folder);
        const QList<CrashedJournal> found = recovery.scan();
        QCOMPARE(found.size(), 3);
        QCOMPARE(found[0].created, created[1]);
        QCOMPARE(found[1].created, created[2]);
        QCOMPARE(found[2].created, created[0]);
        QCOMPARE(found[0].events, qint64(2));
    }

    void discardDeletesJournalAndLock()
    {
        QProcess child;
        const QString journal = startChild(child, 3);
        QVERIFY(!journal.isEmpty());
        killChild(child);
        JournalRecovery recovery(m_folder);
        QCOMPARE(recovery.scan().size(), 1);
        QVERIFY(recovery.discard(journal));
        QVERIFY(!QFileInfo::exists(journal));
        QVERIFY(!QFileInfo::exists(JournalRecovery::lockPath(journal)));
        QCOMPARE(recovery.journals().size(), 0);
        QString error;
        QVERIFY(!recovery.discard(journal, &error)); // no longer claimed
        QVERIFY(!error.isEmpty());
        QCOMPARE(JournalRecovery(m_folder).scan().size(), 0);
    }

    // Not ours to delete: a journal that was never claimed (a live one, or a clean one).
    void discardRefusesWhatIsNotClaimed()
    {
        QProcess child;
        const QString journal = startChild(child, 1);
        QVERIFY(!journal.isEmpty());
        JournalRecovery recovery(m_folder);
        QCOMPARE(recovery.scan().size(), 0);
        QVERIFY(!recovery.discard(journal));
        QVERIFY(QFileInfo::exists(journal));
        killChild(child);
    }

    void keepLeavesAnOrdinarySessionFile()
    {
        QProcess child;
        const QString journal = startChild(child, 3);
        QVERIFY(!journal.isEmpty());
        killChild(child);
        JournalRecovery recovery(m_folder);
        QCOMPARE(recovery.scan().size(), 1);
        recovery.keep(journal);
        QVERIFY(QFileInfo::exists(journal));
        QVERIFY(!QFileInfo::exists(JournalRecovery::lockPath(journal)));
        QCOMPARE(JournalRecovery(m_folder).scan().size(), 0);
    }

    void recoveredIntoDeletesTheOldOneOnlyWhenTheCopyIsThere()
    {
        QProcess child;
        const QString journal = startChild(child, 3);
        QVERIFY(!journal.isEmpty());
        killChild(child);
        JournalRecovery recovery(m_folder);
        QCOMPARE(recovery.scan().size(), 1);
        QString error;
        QVERIFY(!recovery.recoveredInto(journal, QDir(m_folder).filePath(QStringLiteral("missing.jsonl")), &error));
        QVERIFY(!error.isEmpty());
        QVERIFY(QFileInfo::exists(journal));
        QVERIFY(recovery.isClaimed(journal));

        const QString copy = m_dir.filePath(QStringLiteral("copy.jsonl"));
        QVERIFY(QFile::copy(journal, copy));
        QVERIFY2(recovery.recoveredInto(journal, copy, &error), qPrintable(error));
        QVERIFY(!QFileInfo::exists(journal));
        QVERIFY(!QFileInfo::exists(JournalRecovery::lockPath(journal)));
    }

    // The count looks at line starts only: lines longer than a read chunk, line starts split across chunks, a
    // half-written last line and lines that merely contain the marker must all come out right.
    void inspectCountsCompleteEventLines()
    {
        const QString journal = QDir(m_folder).filePath(QStringLiteral("counted.jsonl"));
        QByteArray content = header();
        Connection c;
        c.id = 1;
        content += jsonl::encodeConnection(c) + '\n';
        qint64 expected = 0;
        quint64 seq = 0;
        qint64 lastTs = 0;
        auto add = [&](const QByteArray& payload) {
            lastTs = 1767225600000000 + qint64(++seq) * 1000;
            content += eventLine(seq, lastTs, payload);
            ++expected;
        };
        add("a payload that says {\"type\":\"event\" in the middle");
        add(QByteArray(5 * 1024 * 1024, 'x')); // longer than a read chunk (4 MiB)
        // Events whose starts fall on every offset around the first chunk border.
        const qsizetype border = 4 * 1024 * 1024;
        while (content.size() < border + 64)
            add(QByteArray(qMax<qsizetype>(1, (border - content.size()) % 97), 'y'));
        for (int i = 0; i < 200; ++i)
            add(QByteArray(i % 7, 'z'));
        const qint64 completeLastTs = lastTs;
        content += eventLine(++seq, lastTs + 1000, "cut short by the crash").chopped(4);
        QVERIFY(writeFile(journal, content));

        const CrashedJournal inspected = JournalRecovery::inspect(journal);
        QCOMPARE(inspected.events, expected);
        QCOMPARE(inspected.size, content.size());
        QCOMPARE(inspected.lastEvent, QDateTime::fromMSecsSinceEpoch(completeLastTs / 1000, Qt::UTC));
        QCOMPARE(inspected.created, QDateTime(QDate(2026, 1, 2), QTime(3, 4, 5), Qt::UTC));
    }

    void holdsEvents_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<bool>("holds");
        Connection c;
        c.id = 1;
        QTest::newRow("empty file") << QByteArray() << false;
        QTest::newRow("header") << header() << false;
        QTest::newRow("connections") << header() + jsonl::encodeConnection(c) + '\n' << false;
        QTest::newRow("half an event") << header() + eventLine(1, 1, "x").chopped(1) << false;
        QTest::newRow("one event") << header() + eventLine(1, 1, "x") << true;
    }

    void holdsEvents()
    {
        QFETCH(QByteArray, content);
        QFETCH(bool, holds);
        const QString path = QDir(m_folder).filePath(QStringLiteral("holds.jsonl"));
        QVERIFY(writeFile(path, content));
        QCOMPARE(JournalRecovery::holdsEvents(path), holds);
        QVERIFY(!JournalRecovery::holdsEvents(path + QLatin1StringView(".missing")));
    }
};

int main(int argc, char* argv[])
{
    QCoreApplication app(argc, argv);
    if (argc == 4 && std::strcmp(argv[1], "--journal-child") == 0)
        return runJournalChild(QString::fromLocal8Bit(argv[2]), QByteArray(argv[3]).toInt());
    TestJournalRecovery test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_journalrecovery.moc"
