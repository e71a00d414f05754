// The session files of the main window: open (on a worker thread, with progress and cancel, into this window or a
// new one; given up without waiting when the window closes), save and save as (lossless, reopened identically,
// keeping the session's date, asking before replacing a file that held lines it could not show), the title and its
// unsaved mark, recent files, export scopes and secrets, drag and drop, the question asked when closing with
// unsaved events, and the journal a window leaves when it closes after a save.

#include "backgroundtask.h"
#include "core/capturequeue.h"
#include "core/eventstore.h"
#include "core/recorder.h"
#include "core/timelinemodel.h"
#include "core/timelineviewmodel.h"
#include "exportdialog.h"
#include "formats/sessionexporter.h"
#include "formats/sessionreader.h"
#include "mainwindow.h"
#include "net/capturesession.h"
#include "recentfilesmenu.h"
#include "timelineview.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QItemSelectionModel>
#include <QLabel>
#include <QMessageBox>
#include <QMimeData>
#include <QPointer>
#include <QProgressDialog>
#include <QPushButton>
#include <QRadioButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <QWebSocket>

#include <atomic>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace wsi;

namespace {

Event makeTestEvent(quint64 seq, quint32 connection, Direction direction, EventKind kind, QByteArray payload)
{
    Event e;
    e.seq = seq;
    e.connection = connection;
    e.timestampUs = 1763805600000000 + qint64(seq) * 1000;
    e.monotonicNs = e.timestampUs * 1000 + qint64(seq % 7);
    e.direction = direction;
    e.kind = kind;
    e.flags = direction == Direction::None ? 0 : quint8(FlagFin);
    e.size = payload.size();
    e.payload = std::move(payload);
    return e;
}

// A little of everything a capture holds: two connections with events and one without, a handshake with a
// secret, text, binary that is not UTF-8, flags, a close with a code, a note.
CaptureBatch richBatch()
{
    CaptureBatch batch;
    batch.connections.push_back(Connection { 1, ConnectionRole::Client,
        QStringLiteral("ws://127.0.0.1:9/chat?token=t0ken"), QStringLiteral("127.0.0.1:9"), QStringLiteral("v1") });
    batch.connections.push_back(Connection { 2, ConnectionRole::Server, QStringLiteral("ws://127.0.0.1:8765/"),
        QStringLiteral("127.0.0.1:50000"), QString() });
    batch.connections.push_back(
        Connection { 3, ConnectionRole::Client, QStringLiteral("ws://127.0.0.1:1/never"), QString(), QString() });
    quint64 seq = 0;
    auto add = [&](quint32 conn, Direction dir, EventKind kind, QByteArray payload) -> Event& {
        batch.events.push_back(makeTestEvent(++seq, conn, dir, kind, std::move(payload)));
        return batch.events.back();
    };
    add(1, Direction::None, EventKind::HandshakeRequest,
        "GET /chat?token=t0ken HTTP/1.1\r\nHost: 127.0.0.1:9\r\nAuthorization: Bearer s3cret\r\n"
        "Cookie: id=c00kie\r\n\r\n");
    add(1, Direction::None, EventKind::HandshakeResponse,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSet-Cookie: x=y\r\n\r\n");
    add(1, Direction::C2S, EventKind::Text, "hello \"world\"\n\ttabbed").flags |= FlagMasked;
    add(1, Direction::S2C, EventKind::Binary, QByteArray("\x00\x01\xfe\xff", 4)).flags |= FlagRsv1 | FlagCompressed;
    add(2, Direction::C2S, EventKind::Text, QByteArray("\xc3\x28 invalid", 10));
    add(2, Direction::S2C, EventKind::Ping, "p");
    Event& fragmented = add(2, Direction::C2S, EventKind::Text, "caf\xc3\xa9");
    fragmented.flags |= FlagFragment;
    fragmented.note = "reassembled from 3 frames";
    Event& close = add(1, Direction::C2S, EventKind::Close, "bye");
    close.closeCode = 1000;
    close.size = 5;
    add(1, Direction::None, EventKind::Closed, "closed cleanly");
    add(2, Direction::None, EventKind::Error, "boom");
    return batch;
}

CaptureBatch textBatch(quint64 firstSeq, int count, quint32 connections = 1)
{
    CaptureBatch batch;
    for (int i = 0; i < count; ++i) {
        const quint64 seq = firstSeq + quint64(i);
        batch.events.push_back(makeTestEvent(seq, quint32(seq % connections) + 1,
            seq % 2 ? Direction::C2S : Direction::S2C, EventKind::Text, "message " + QByteArray::number(seq)));
    }
    return batch;
}

// A session file of count text events, written as the app writes them.
bool writeSession(const QString& path, int count, const QDateTime& created = {})
{
    EventStore store;
    store.applyConnection(Connection { 1, ConnectionRole::Client, QStringLiteral("ws://x/"), QString(), QString() });
    store.append(textBatch(1, count).events);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    ExportOptions options;
    options.created = created;
    const auto exporter = SessionExporter::create(SessionFormat::Jsonl, &file, options);
    for (const Connection& c : store.connections())
        exporter->addConnection(c);
    for (qsizetype row = 0; row < store.count(); ++row)
        exporter->addEvent(store.event(row));
    return exporter->finish(nullptr);
}

bool readSession(const QString& path, SessionData& data)
{
    QString error;
    const bool ok = SessionReader::readFile(path, data, &error);
    if (!ok)
        qWarning() << path << error;
    return ok;
}

// Answers the next modal message box with the given button, from the event loop it runs. The timer goes with
// the answer; delete it to stop waiting for a box that should not come.
QPointer<QTimer> answerNextBox(QMessageBox::StandardButton button, QString* seenText = nullptr)
{
    auto* timer = new QTimer;
    timer->setInterval(10);
    QObject::connect(timer, &QTimer::timeout, timer, [timer, button, seenText] {
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        if (!box)
            return;
        if (seenText)
            *seenText = box->text() + u'\n' + box->informativeText();
        timer->deleteLater();
        box->button(button)->click();
    });
    timer->start();
    return timer;
}

// Answers the next modal file dialog with this file (empty: cancels it); *seen tells whether one came.
void answerNextFileDialog(const QString& path, bool* seen)
{
    auto* timer = new QTimer;
    timer->setInterval(10);
    QObject::connect(timer, &QTimer::timeout, timer, [timer, path, seen] {
        auto* dialog = qobject_cast<QFileDialog*>(QApplication::activeModalWidget());
        if (!dialog)
            return;
        *seen = true;
        timer->deleteLater();
        if (path.isEmpty()) {
            dialog->reject();
            return;
        }
        dialog->selectFile(path);
        static_cast<QDialog*>(dialog)->accept(); // QFileDialog's own is protected; this calls it all the same
    });
    timer->start();
}

// Lets a reader blocked on the fifo go on: a writer that comes and goes gives it an end of file. Does nothing
// while no reader has it open.
void unblockFifo(const QString& path)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0)
        ::close(fd);
}

QByteArray fileBytes(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// The file's header line says when the session began.
QString createdOf(const QString& path)
{
    SessionData data;
    return readSession(path, data) ? data.created : QString();
}

QMimeData* urlMime(const QStringList& paths)
{
    auto* mime = new QMimeData;
    QList<QUrl> urls;
    for (const QString& path : paths)
        urls << QUrl::fromLocalFile(path);
    mime->setUrls(urls);
    return mime;
}

} // namespace

class TstSessionFiles : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void openShowsProgressAndRows();
    void cancelOpenLeavesWindowEmpty();
    void openWithSkippedLines();
    void openHarWithOtherEntriesIsQuiet();
    void openIntoBusyWindowMakesSecondWindow();
    void ownedSessionEndsWithItsWindow();
    void saveThenReopenIsIdentical();
    void titleAndModifiedMark();
    void saveWithoutChangesIsNoOp();
    void recentFiles();
    void exportScopes();
    void exportEveryFormatAndOpenHar();
    void exportDialogSecretsOffByDefault();
    void dragAndDrop();
    void closePrompt();
    void closePromptSave();
    void closingWhileOpeningDoesNotWait();
    void closingAfterSaveKeepsWhatCameAfter();
    void saveOverFileWithSkippedLinesAsks();
    void saveAsKeepsTheSessionDate();

private:
    QTemporaryDir m_home;
    QTemporaryDir m_dir;
};

void TstSessionFiles::initTestCase()
{
    QVERIFY(m_home.isValid() && m_dir.isValid());
    // Settings (recent files), profiles and the journals of new windows go to throwaway folders.
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_home.filePath(QStringLiteral("config"))));
    qputenv("XDG_DATA_HOME", QFile::encodeName(m_home.filePath(QStringLiteral("data"))));
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, m_home.filePath(QStringLiteral("config")));
    QCoreApplication::setOrganizationName(QStringLiteral("wsinspector"));
    QCoreApplication::setApplicationName(QStringLiteral("wsinspector"));
}

void TstSessionFiles::init()
{
    BackgroundTask::setDialogDelay(500);
    RecentFilesMenu::clearFiles();
}

void TstSessionFiles::cleanup()
{
    // Windows made by the window under test (opened files) close with the test.
    for (QWidget* widget : QApplication::topLevelWidgets()) {
        if (auto* window = qobject_cast<MainWindow*>(widget); window && window->testAttribute(Qt::WA_DeleteOnClose))
            window->close();
    }
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
}

void TstSessionFiles::openShowsProgressAndRows()
{
    const QString path = m_dir.filePath(QStringLiteral("progress.jsonl"));
    QVERIFY(writeSession(path, 20000));
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy opened(&window, &MainWindow::sessionOpened);

    BackgroundTask::setDialogDelay(0);
    window.openSession(path);
    QVERIFY(window.isFileTaskRunning());
    auto* progress = window.findChild<QProgressDialog*>(QStringLiteral("fileProgressDialog"));
    QVERIFY(progress);
    QVERIFY(progress->isVisible());
    QCOMPARE(progress->windowModality(), Qt::WindowModal);
    QVERIFY(progress->labelText().contains(QStringLiteral("progress.jsonl")));

    QTRY_COMPARE(opened.size(), 1);
    QCOMPARE(opened.at(0).at(0).toString(), path);
    QCOMPARE(opened.at(0).at(1).value<MainWindow*>(), &window);
    QCOMPARE(session.model()->rowCount(), 20000);
    QCOMPARE(session.store()->payload(19999), QByteArrayView("message 20000"));
    QVERIFY(!window.isFileTaskRunning());
    QTRY_VERIFY(!window.findChild<QProgressDialog*>(QStringLiteral("fileProgressDialog")));
    QVERIFY(window.statusBar()->currentMessage().contains(QStringLiteral("20,000 events")));
}

void TstSessionFiles::cancelOpenLeavesWindowEmpty()
{
    const QString path = m_dir.filePath(QStringLiteral("cancel.jsonl"));
    QVERIFY(writeSession(path, 20000));
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy opened(&window, &MainWindow::sessionOpened);
    const QString title = window.windowTitle();

    BackgroundTask::setDialogDelay(0);
    window.openSession(path);
    auto* progress = window.findChild<QProgressDialog*>(QStringLiteral("fileProgressDialog"));
    QVERIFY(progress);
    auto* cancel = progress->findChild<QPushButton*>();
    QVERIFY(cancel);
    // Clicked before the result can be taken (that needs the event loop): whether or not the reading is
    // done by now, nothing of it may reach the timeline.
    cancel->click();
    QTRY_VERIFY(!window.isFileTaskRunning());
    QCOMPARE(opened.size(), 0);
    QCOMPARE(session.model()->rowCount(), 0);
    QCOMPARE(window.windowTitle(), title);
    QVERIFY(window.windowFilePath().isEmpty());
    QVERIFY(window.statusBar()->currentMessage().contains(QStringLiteral("cancelled")));
    QVERIFY(RecentFilesMenu::files().isEmpty());
    // A cancel is what the user wanted, not an error to report.
    QVERIFY(!window.findChild<QMessageBox*>(QStringLiteral("errorMessageBox")));

    // A small file is most likely read completely before the click: still nothing reaches the timeline.
    const QString small = m_dir.filePath(QStringLiteral("cancel-small.jsonl"));
    QVERIFY(writeSession(small, 3));
    QTRY_VERIFY(!window.findChild<QProgressDialog*>(QStringLiteral("fileProgressDialog")));
    window.openSession(small);
    // Until the reading has returned, without running the event loop (which would take the result).
    auto* task = window.findChild<BackgroundTask*>(QStringLiteral("fileTask"));
    QVERIFY(task);
    const QDeadlineTimer readDeadline(10000);
    while (!task->isWorkDone() && !readDeadline.hasExpired())
        QThread::msleep(1);
    QVERIFY(task->isWorkDone());
    progress = window.findChild<QProgressDialog*>(QStringLiteral("fileProgressDialog"));
    QVERIFY(progress);
    progress->findChild<QPushButton*>()->click();
    QTRY_VERIFY(!window.isFileTaskRunning());
    QCOMPARE(opened.size(), 0);
    QCOMPARE(session.model()->rowCount(), 0);
    QVERIFY(!window.findChild<QMessageBox*>(QStringLiteral("errorMessageBox")));

    // The window is still good for the next file.
    window.openSession(path);
    QTRY_COMPARE(opened.size(), 1);
    QCOMPARE(session.model()->rowCount(), 20000);
}

void TstSessionFiles::openWithSkippedLines()
{
    const QString path = m_dir.filePath(QStringLiteral("damaged.jsonl"));
    QVERIFY(writeSession(path, 4));
    {
        // A bad line in the middle and a last line cut short, as a crash leaves it.
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QList<QByteArray> lines = file.readAll().split('\n');
        file.close();
        lines.insert(3, "{\"type\":\"event\",\"seq\":\"not a number\"}");
        lines.removeLast(); // the empty piece after the last newline
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(lines.join('\n') + "\n{\"type\":\"event\",\"se");
    }
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QSignalSpy opened(&window, &MainWindow::sessionOpened);
    window.openSession(path);
    QTRY_COMPARE(opened.size(), 1);
    QCOMPARE(session.model()->rowCount(), 4); // every good line
    auto* box = window.findChild<QMessageBox*>(QStringLiteral("errorMessageBox"));
    QVERIFY(box);
    QVERIFY(box->isVisible());
    QVERIFY(!box->isModal());
    QVERIFY(box->text().contains(QDir::toNativeSeparators(path)));
    QVERIFY(box->text().contains(QStringLiteral("line 4")));
    QVERIFY(box->text().contains(QStringLiteral("truncated")));
}

// Chrome's HAR of a page holds its page loads and scripts too: skipping them loses nothing of the WebSocket
// traffic, so the user is told in the status bar rather than by a box to dismiss.
void TstSessionFiles::openHarWithOtherEntriesIsQuiet()
{
    const QString har = QFINDTESTDATA("../unit/data/chrome-websocket.har");
    QVERIFY(!har.isEmpty());
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QSignalSpy opened(&window, &MainWindow::sessionOpened);
    window.openSession(har);
    QTRY_COMPARE(opened.size(), 1);
    QVERIFY(session.model()->rowCount() > 0);
    QVERIFY(!window.findChild<QMessageBox*>(QStringLiteral("errorMessageBox")));
    const QString status = window.statusBar()->currentMessage();
    QVERIFY2(status.contains(QStringLiteral("not a WebSocket")), qPrintable(status));
}

void TstSessionFiles::openIntoBusyWindowMakesSecondWindow()
{
    const QString path = m_dir.filePath(QStringLiteral("second.jsonl"));
    QVERIFY(writeSession(path, 5));
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    session.model()->append(textBatch(1, 3));
    QSignalSpy opened(&window, &MainWindow::sessionOpened);

    window.openSession(path);
    QTRY_COMPARE(opened.size(), 1);
    QPointer<MainWindow> second = opened.at(0).at(1).value<MainWindow*>();
    QVERIFY(second);
    QVERIFY(second != &window);
    QCOMPARE(session.model()->rowCount(), 3); // this capture is left alone
    QVERIFY(second->isVisible());
    QVERIFY(second->timelineViewModel());
    QCOMPARE(second->timelineViewModel()->timelineModel()->rowCount(), 5);
    QVERIFY(second->windowTitle().startsWith(QStringLiteral("second.jsonl[*]")));
    QVERIFY(!second->isWindowModified());
    QVERIFY(second->testAttribute(Qt::WA_DeleteOnClose));

    // Its own capture, journaled to a file of its own.
    auto* journalLabel = second->findChild<QLabel*>(QStringLiteral("journalLabel"));
    QVERIFY(journalLabel);
    QVERIFY(journalLabel->text().contains(m_home.filePath(QStringLiteral("data"))));

    // Closing it ends it (and its capture); the first window stays.
    QVERIFY(second->close());
    QTRY_VERIFY(second.isNull());
    QVERIFY(window.isVisible());
}

void TstSessionFiles::ownedSessionEndsWithItsWindow()
{
    const QString journal = m_dir.filePath(QStringLiteral("owned-journal.jsonl"));
    auto session = std::make_unique<CaptureSession>(CaptureSession::Options { true, journal });
    CaptureSession* capture = session.get();
    auto* window = new MainWindow(std::move(session));
    window->show();
    // Recorded but not yet in the timeline (no event loop ran): the session's shutdown moves these rows in while
    // the window goes away, and every pane must still be there to take them.
    const quint32 id = capture->recorder()->addConnection(
        Connection { 0, ConnectionRole::Client, QStringLiteral("ws://x/"), QString(), QString() });
    for (int i = 0; i < 100; ++i)
        capture->recorder()->record(makeEvent(id, Direction::C2S, EventKind::Text, "late " + QByteArray::number(i)));
    QPointer<MainWindow> guard(window);
    delete window;
    QVERIFY(guard.isNull());
    // The journal was flushed and closed by the window's end.
    SessionData data;
    QVERIFY(readSession(journal, data));
    QCOMPARE(data.events.size(), size_t(100));
}

void TstSessionFiles::saveThenReopenIsIdentical()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    session.model()->append(richBatch());
    // Rows hidden by Clear are still part of the session.
    window.timelineViewModel()->clear();
    QCOMPARE(window.timelineViewModel()->rowCount(), 0);

    const QString path = m_dir.filePath(QStringLiteral("saved.jsonl"));
    QSignalSpy saved(&window, &MainWindow::sessionSaved);
    QVERIFY(window.saveSessionAs(path));
    QTRY_COMPARE(saved.size(), 1);
    QCOMPARE(saved.at(0).at(0).toString(), path);
    QVERIFY(window.statusBar()->currentMessage().contains(QStringLiteral("Saved 10 events")));

    // Lossless: the secrets are the user's own.
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray bytes = file.readAll();
    QVERIFY(bytes.contains("Bearer s3cret"));
    QVERIFY(bytes.contains("token=t0ken"));

    CaptureSession other(CaptureSession::Options { true, QString() });
    MainWindow reopened(&other);
    QSignalSpy opened(&reopened, &MainWindow::sessionOpened);
    reopened.openSession(path);
    QTRY_COMPARE(opened.size(), 1);
    const EventStore* a = session.store();
    const EventStore* b = other.store();
    QCOMPARE(b->count(), a->count());
    for (qsizetype row = 0; row < a->count(); ++row) {
        QCOMPARE(b->seq(row), a->seq(row));
        QCOMPARE(b->timestampUs(row), a->timestampUs(row));
        QCOMPARE(b->monotonicNs(row), a->monotonicNs(row));
        QCOMPARE(b->connectionId(row), a->connectionId(row));
        QCOMPARE(b->direction(row), a->direction(row));
        QCOMPARE(b->kind(row), a->kind(row));
        QCOMPARE(b->flags(row), a->flags(row));
        QCOMPARE(b->closeCode(row), a->closeCode(row));
        QCOMPARE(b->size(row), a->size(row));
        QCOMPARE(b->payload(row).toByteArray(), a->payload(row).toByteArray());
        QCOMPARE(b->note(row).toByteArray(), a->note(row).toByteArray());
    }
    QCOMPARE(b->connections().size(), 3);
    for (quint32 id : { 1u, 2u, 3u }) {
        QVERIFY(b->connection(id));
        QCOMPARE(*b->connection(id), *a->connection(id));
    }
}

void TstSessionFiles::titleAndModifiedMark()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QCOMPARE(window.windowTitle(), QStringLiteral("Untitled capture[*] \u2014 WebSocket Inspector"));
    QVERIFY(!window.isWindowModified());

    session.model()->append(textBatch(1, 4));
    QVERIFY(window.isWindowModified());

    const QString path = m_dir.filePath(QStringLiteral("title.jsonl"));
    QSignalSpy saved(&window, &MainWindow::sessionSaved);
    QVERIFY(window.saveSessionAs(path));
    QTRY_COMPARE(saved.size(), 1);
    QCOMPARE(window.windowTitle(), QStringLiteral("title.jsonl[*] \u2014 WebSocket Inspector"));
    QCOMPARE(window.windowFilePath(), QFileInfo(path).absoluteFilePath());
    QVERIFY(!window.isWindowModified());

    // New events after the save mark it again; Save writes them to the same file.
    session.model()->append(textBatch(5, 2));
    QVERIFY(window.isWindowModified());
    QVERIFY(window.saveSession());
    QTRY_COMPARE(saved.size(), 2);
    QVERIFY(!window.isWindowModified());
    SessionData data;
    QVERIFY(readSession(path, data));
    QCOMPARE(data.events.size(), size_t(6));
}

void TstSessionFiles::saveWithoutChangesIsNoOp()
{
    const QString path = m_dir.filePath(QStringLiteral("unchanged.jsonl"));
    QVERIFY(writeSession(path, 3));
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    QSignalSpy opened(&window, &MainWindow::sessionOpened);
    window.openSession(path);
    QTRY_COMPARE(opened.size(), 1);
    QVERIFY(!window.isWindowModified());

    // Were the file written again, this would be gone.
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::Append));
        file.write("marker\n");
    }
    QSignalSpy saved(&window, &MainWindow::sessionSaved);
    QVERIFY(window.saveSession());
    // Decided at once: no file task was started, so nothing can be written later either.
    QVERIFY(!window.isFileTaskRunning());
    QVERIFY(window.statusBar()->currentMessage().contains(QStringLiteral("Nothing new to save")));
    QCOMPARE(saved.size(), 0);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(file.readAll().endsWith("marker\n"));
}

void TstSessionFiles::recentFiles()
{
    QStringList paths;
    for (int i = 0; i < 12; ++i) {
        paths << m_dir.filePath(QStringLiteral("recent%1.jsonl").arg(i));
        QVERIFY(writeSession(paths.last(), 1));
        RecentFilesMenu::addFile(paths.last());
    }
    // Newest first, ten at most.
    QStringList expected;
    for (int i = 11; i >= 2; --i)
        expected << paths.at(i);
    QCOMPARE(RecentFilesMenu::files(), expected);
    // Again: to the front, not twice.
    RecentFilesMenu::addFile(paths.at(5));
    expected.removeAll(paths.at(5));
    expected.prepend(paths.at(5));
    QCOMPARE(RecentFilesMenu::files(), expected);
    // In the settings file, where the next start finds it.
    {
        QSettings settings;
        settings.sync();
        QSettings fresh(settings.fileName(), QSettings::NativeFormat);
        QCOMPARE(fresh.value(QStringLiteral("recentFiles")).toStringList(), expected);
        QVERIFY(settings.fileName().startsWith(m_home.path()));
    }

    // Opening and saving add to it.
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QSignalSpy opened(&window, &MainWindow::sessionOpened);
    window.openSession(paths.at(0));
    QTRY_COMPARE(opened.size(), 1);
    QCOMPARE(RecentFilesMenu::files().constFirst(), paths.at(0));
    const QString savedPath = m_dir.filePath(QStringLiteral("recent-saved.jsonl"));
    QSignalSpy saved(&window, &MainWindow::sessionSaved);
    session.model()->append(textBatch(2, 1));
    QVERIFY(window.saveSessionAs(savedPath));
    QTRY_COMPARE(saved.size(), 1);
    QCOMPARE(RecentFilesMenu::files().constFirst(), savedPath);
    QCOMPARE(RecentFilesMenu::files().size(), 10);

    // The menu lists them; a file that is gone is taken off when chosen, with a word in the status bar.
    auto* menu = window.findChild<RecentFilesMenu*>();
    QVERIFY(menu);
    const QString gone = paths.at(9);
    QVERIFY(RecentFilesMenu::files().contains(gone));
    QVERIFY(QFile::remove(gone));
    menu->refresh();
    QAction* goneAction = nullptr;
    for (QAction* action : menu->actions()) {
        if (action->data().toString() == gone)
            goneAction = action;
    }
    QVERIFY(goneAction);
    QVERIFY(goneAction->text().contains(QStringLiteral("recent9.jsonl")));
    goneAction->trigger();
    QVERIFY(!RecentFilesMenu::files().contains(gone));
    QVERIFY(window.statusBar()->currentMessage().contains(QDir::toNativeSeparators(gone)));
    QVERIFY(!window.isFileTaskRunning());

    // Clear Menu empties the list.
    menu->refresh();
    auto* clear = menu->findChild<QAction*>(QStringLiteral("clearRecentFilesAction"));
    QVERIFY(clear && clear->isEnabled());
    clear->trigger();
    QVERIFY(RecentFilesMenu::files().isEmpty());
    QVERIFY(!QSettings().contains(QStringLiteral("recentFiles")));
}

void TstSessionFiles::exportScopes()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    session.model()->append(textBatch(1, 10, 2)); // connection 1: even seqs, 2: odd
    FilterSpec filter;
    filter.connections = { 2 };
    window.timelineViewModel()->setFilter(filter);
    QVERIFY(window.timelineViewModel()->waitForFilter());
    QCOMPARE(window.timelineViewModel()->rowCount(), 5);
    auto* timeline = window.findChild<TimelineView*>();
    QVERIFY(timeline);
    // Three of the five shown rows, selected in reverse: the file keeps the session's order.
    for (int row : { 4, 2, 0 })
        timeline->selectionModel()->select(
            window.timelineViewModel()->index(row, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);

    QSignalSpy exported(&window, &MainWindow::sessionExported);
    auto exportAs = [&](ExportDialog::Scope scope, const QString& name) {
        const QString path = m_dir.filePath(name);
        ExportDialog::Choice choice;
        choice.scope = scope;
        const qsizetype before = exported.size();
        if (!window.exportSession(path, choice))
            return std::vector<quint64>();
        if (!QTest::qWaitFor([&] { return exported.size() > before; }))
            return std::vector<quint64>();
        SessionData data;
        readSession(path, data);
        std::vector<quint64> seqs;
        for (const Event& e : data.events)
            seqs.push_back(e.seq);
        return seqs;
    };
    QCOMPARE(exportAs(ExportDialog::Scope::Session, QStringLiteral("all.jsonl")).size(), size_t(10));
    QCOMPARE(exported.last().at(1).toLongLong(), 10);
    QCOMPARE(exportAs(ExportDialog::Scope::Filtered, QStringLiteral("filtered.jsonl")),
        std::vector<quint64>({ 1, 3, 5, 7, 9 }));
    QCOMPARE(
        exportAs(ExportDialog::Scope::Selected, QStringLiteral("selected.jsonl")), std::vector<quint64>({ 1, 5, 9 }));
    QCOMPARE(exported.last().at(1).toLongLong(), 3);
    QVERIFY(window.statusBar()->currentMessage().contains(QStringLiteral("Exported 3 events to")));
    // Export is not Save: the window's file and its unsaved mark do not change.
    QVERIFY(window.windowFilePath().isEmpty());
    QVERIFY(window.isWindowModified());
}

void TstSessionFiles::exportEveryFormatAndOpenHar()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    session.model()->append(richBatch());
    QSignalSpy exported(&window, &MainWindow::sessionExported);
    for (SessionFormat format :
        { SessionFormat::Jsonl, SessionFormat::Har, SessionFormat::Csv, SessionFormat::Text, SessionFormat::Pcap }) {
        const QString path = m_dir.filePath(QStringLiteral("every.") + sessionFormatExtension(format));
        ExportDialog::Choice choice;
        choice.format = format;
        const qsizetype before = exported.size();
        QVERIFY(window.exportSession(path, choice));
        QTRY_COMPARE(exported.size(), before + 1);
        QVERIFY2(QFileInfo(path).size() > 0, qPrintable(path));
    }
    // A HAR file opens like a session (here into a new window: this one holds a capture), and is not the window's
    // file to save to: Save asks for a .jsonl name.
    QSignalSpy opened(&window, &MainWindow::sessionOpened);
    window.openSession(m_dir.filePath(QStringLiteral("every.har")));
    QTRY_COMPARE(opened.size(), 1);
    auto* har = opened.at(0).at(1).value<MainWindow*>();
    QVERIFY(har && har != &window);
    QVERIFY(har->timelineViewModel()->timelineModel()->rowCount() > 0);
    QVERIFY(har->windowTitle().startsWith(QStringLiteral("every.har[*]")));
    QVERIFY(!har->isWindowModified());
}

void TstSessionFiles::exportDialogSecretsOffByDefault()
{
    ExportDialog dialog(10, 4, 0);
    dialog.show();
    auto* secrets = dialog.findChild<QCheckBox*>(QStringLiteral("includeSecretsCheck"));
    auto* warning = dialog.findChild<QLabel*>(QStringLiteral("secretsWarning"));
    auto* selected = dialog.findChild<QRadioButton*>(QStringLiteral("scopeSelectedButton"));
    auto* filtered = dialog.findChild<QRadioButton*>(QStringLiteral("scopeFilteredButton"));
    QVERIFY(secrets && warning && selected && filtered);
    QVERIFY(!secrets->isChecked());
    QVERIFY(!warning->isVisible());
    QVERIFY(!selected->isEnabled()); // nothing selected
    QVERIFY(filtered->text().contains(QStringLiteral("4 events")));
    QCOMPARE(dialog.choice().scope, ExportDialog::Scope::Session);
    QCOMPARE(dialog.choice().includeSecrets, false);
    secrets->setChecked(true);
    QVERIFY(warning->isVisible());
    QVERIFY(dialog.choice().includeSecrets);
    // A remembered choice never brings the secrets back in, nor a scope that cannot be chosen now.
    dialog.setChoice(ExportDialog::Choice { SessionFormat::Jsonl, ExportDialog::Scope::Selected, true });
    QVERIFY(!secrets->isChecked());
    QCOMPARE(dialog.choice().scope, ExportDialog::Scope::Session);

    // What the dialog gives by default keeps the Authorization header's value out of the file.
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    session.model()->append(richBatch());
    ExportDialog fresh(session.store()->count(), session.store()->count(), 0);
    QSignalSpy exported(&window, &MainWindow::sessionExported);
    const QString path = m_dir.filePath(QStringLiteral("redacted.jsonl"));
    QVERIFY(window.exportSession(path, fresh.choice()));
    QTRY_COMPARE(exported.size(), 1);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray bytes = file.readAll();
    QVERIFY(!bytes.contains("s3cret"));
    QVERIFY(!bytes.contains("c00kie"));
    QVERIFY(!bytes.contains("t0ken"));
    QVERIFY(bytes.contains("Authorization"));
    QVERIFY(bytes.contains("[redacted]"));
    file.close();

    ExportDialog::Choice withSecrets = fresh.choice();
    withSecrets.includeSecrets = true;
    QVERIFY(window.exportSession(path, withSecrets));
    QTRY_COMPARE(exported.size(), 2);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QVERIFY(file.readAll().contains("Bearer s3cret"));
}

void TstSessionFiles::dragAndDrop()
{
    const QString first = m_dir.filePath(QStringLiteral("drop1.jsonl"));
    const QString second = m_dir.filePath(QStringLiteral("drop2.jsonl"));
    const QString text = m_dir.filePath(QStringLiteral("notes.txt"));
    QVERIFY(writeSession(first, 2));
    QVERIFY(writeSession(second, 3));
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.acceptDrops());

    // Not a session: refused at the door.
    std::unique_ptr<QMimeData> textOnly(urlMime({ text }));
    QDragEnterEvent refused(QPoint(10, 10), Qt::CopyAction, textOnly.get(), Qt::LeftButton, Qt::NoModifier);
    refused.ignore();
    QApplication::sendEvent(&window, &refused);
    QVERIFY(!refused.isAccepted());

    std::unique_ptr<QMimeData> sessions(urlMime({ first, text, second }));
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, sessions.get(), Qt::LeftButton, Qt::NoModifier);
    enter.ignore();
    QApplication::sendEvent(&window, &enter);
    QVERIFY(enter.isAccepted());
    QSignalSpy opened(&window, &MainWindow::sessionOpened);
    QDropEvent drop(QPointF(10, 10), Qt::CopyAction, sessions.get(), Qt::LeftButton, Qt::NoModifier);
    drop.ignore();
    QApplication::sendEvent(&window, &drop);
    QVERIFY(drop.isAccepted());

    // The first into this empty window, the second into a new one (this one is taken by then).
    QTRY_COMPARE(opened.size(), 2);
    QCOMPARE(opened.at(0).at(0).toString(), first);
    QCOMPARE(opened.at(0).at(1).value<MainWindow*>(), &window);
    QCOMPARE(session.model()->rowCount(), 2);
    QCOMPARE(opened.at(1).at(0).toString(), second);
    auto* other = opened.at(1).at(1).value<MainWindow*>();
    QVERIFY(other && other != &window);
    QCOMPARE(other->timelineViewModel()->timelineModel()->rowCount(), 3);
}

void TstSessionFiles::closePrompt()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    // Not asked to ask: closes with unsaved events, no question (a test must never block on a box).
    session.model()->append(textBatch(1, 2));
    QVERIFY(window.isWindowModified());
    QVERIFY(window.close());
    window.show();

    window.setAskToSaveOnClose(true);
    QString question;
    answerNextBox(QMessageBox::Cancel, &question);
    QVERIFY(!window.close());
    QVERIFY(window.isVisible());
    QVERIFY(question.contains(QStringLiteral("2 events")));

    answerNextBox(QMessageBox::Discard);
    QVERIFY(window.close());
    QVERIFY(!window.isVisible());

    // Nothing unsaved: nothing to ask.
    CaptureSession empty(CaptureSession::Options { true, QString() });
    MainWindow clean(&empty);
    clean.setAskToSaveOnClose(true);
    clean.show();
    QVERIFY(clean.close());
}

void TstSessionFiles::closePromptSave()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    session.model()->append(textBatch(1, 2));
    const QString path = m_dir.filePath(QStringLiteral("close-save.jsonl"));
    QSignalSpy saved(&window, &MainWindow::sessionSaved);
    QVERIFY(window.saveSessionAs(path));
    QTRY_COMPARE(saved.size(), 1);
    session.model()->append(textBatch(3, 5));

    // Save: the window closes once the file is written.
    window.setAskToSaveOnClose(true);
    answerNextBox(QMessageBox::Save);
    QVERIFY(!window.close()); // not yet: the file is being written
    QTRY_COMPARE(saved.size(), 2);
    QTRY_VERIFY(!window.isVisible());
    SessionData data;
    QVERIFY(readSession(path, data));
    QCOMPARE(data.events.size(), size_t(7));
}

// A window closed while a file is being read (a big HAR file being parsed, which cannot stop half-way) goes at
// once: the read ends on its own thread and its result is dropped. The read here is stuck on a fifo that nobody
// writes to, so that closing can only have returned without waiting for it.
void TstSessionFiles::closingWhileOpeningDoesNotWait()
{
    const QString path = m_dir.filePath(QStringLiteral("stuck.har"));
    QCOMPARE(::mkfifo(QFile::encodeName(path).constData(), 0600), 0);
    MainWindow* window = MainWindow::newWindow();
    window->show();
    QPointer<MainWindow> alive(window);
    QSignalSpy opened(window, &MainWindow::sessionOpened);
    const int before = BackgroundTask::abandonedCount();
    window->openSession(path);
    QVERIFY(window->isFileTaskRunning());

    // Should closing wait for the read after all, this frees the read after a while: the test then fails (rescued)
    // instead of hanging.
    std::atomic<bool> closed { false };
    std::atomic<bool> rescued { false };
    std::thread watchdog([&] {
        const QDeadlineTimer patience(15000);
        while (!closed && !patience.hasExpired())
            QThread::msleep(10);
        while (!closed) {
            rescued = true;
            unblockFifo(path);
            QThread::msleep(10);
        }
    });
    QVERIFY(window->close());
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    closed = true;
    watchdog.join();
    QVERIFY(alive.isNull());
    QVERIFY(!rescued);
    QCOMPARE(BackgroundTask::abandonedCount(), before + 1);

    // The read, let go, ends by itself; nothing of it reaches a window.
    QVERIFY(QTest::qWaitFor(
        [&] {
            unblockFifo(path);
            return BackgroundTask::abandonedCount() == before;
        },
        20000));
    QCOMPARE(opened.size(), 0);
    for (QWidget* widget : QApplication::topLevelWidgets())
        QVERIFY(!qobject_cast<MainWindow*>(widget) || !widget->isVisible());
}

// Closing a window after a save: the journal goes when the file holds everything, but a client still connected is
// closed by the capture's end, after the save, and that end must be somewhere: the journal stays, holding it.
void TstSessionFiles::closingAfterSaveKeepsWhatCameAfter()
{
    for (const bool clientStillConnected : { false, true }) {
        const QString journal = m_dir.filePath(QStringLiteral("after-save-%1.jsonl").arg(clientStillConnected));
        const QString path = m_dir.filePath(QStringLiteral("after-save-%1-saved.jsonl").arg(clientStillConnected));
        CaptureSession::Options options { true, journal, true };
        auto owned = std::make_unique<CaptureSession>(options);
        CaptureSession* session = owned.get();
        auto* window = new MainWindow(std::move(owned));
        window->setAskToSaveOnClose(true); // asks nothing: everything is saved when it closes
        window->show();
        window->startTestServer(0);
        QTRY_VERIFY(session->isServerRunning());
        QWebSocket client;
        QString echo;
        connect(&client, &QWebSocket::textMessageReceived, this, [&echo](const QString& text) { echo = text; });
        client.open(session->serverUrl());
        QTRY_COMPARE(client.state(), QAbstractSocket::ConnectedState);
        client.sendTextMessage(QStringLiteral("hello"));
        QTRY_COMPARE(echo, QStringLiteral("hello"));
        if (!clientStillConnected) {
            client.close();
            QTRY_VERIFY(window->clientConnections().isEmpty() && session->serverClients().isEmpty());
        }
        session->flush();
        QCoreApplication::processEvents(); // the window takes the last rows, and counts them unsaved
        QSignalSpy saved(window, &MainWindow::sessionSaved);
        QVERIFY(window->saveSessionAs(path));
        QTRY_COMPARE(saved.size(), 1);
        QVERIFY(!window->isWindowModified());
        QVERIFY(window->close());
        delete window;

        SessionData file;
        QVERIFY(readSession(path, file));
        auto hasClosed = [](const SessionData& data) {
            return std::ranges::any_of(data.events, [](const Event& e) { return e.kind == EventKind::Closed; });
        };
        QCOMPARE(QFileInfo::exists(journal), clientStillConnected);
        QVERIFY(!QFileInfo::exists(journal + QLatin1StringView(".lock")));
        if (!clientStillConnected) {
            QVERIFY(hasClosed(file)); // the client's end was saved with the rest
            continue;
        }
        QVERIFY(!hasClosed(file)); // it came after the save
        SessionData kept;
        QVERIFY(readSession(journal, kept));
        QVERIFY(hasClosed(kept));
        // Everything the file holds, then the end (the closing handshake, or its absence, and the closed event).
        QVERIFY(kept.events.size() > file.events.size());
        for (size_t i = 0; i < file.events.size(); ++i)
            QCOMPARE(kept.events[i].seq, file.events[i].seq);
    }
}

// Save over an opened file that held lines the reader skipped would drop them: asked first (Save As is the
// default), and once the file was written from the window, not again.
void TstSessionFiles::saveOverFileWithSkippedLinesAsks()
{
    const QString path = m_dir.filePath(QStringLiteral("lossy.jsonl"));
    const QDateTime created(QDate(2021, 6, 7), QTime(8, 9, 10, 123), Qt::UTC);
    QVERIFY(writeSession(path, 3, created));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::Append));
        file.write("{\"type\":\"event\",\"seq\":\"not a number\"}\n{\"type\":\"future\",\"what\":1}\n");
    }
    const QByteArray original = fileBytes(path);
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QSignalSpy opened(&window, &MainWindow::sessionOpened);
    window.openSession(path);
    QTRY_COMPARE(opened.size(), 1);
    session.model()->append(textBatch(10, 1));
    QVERIFY(window.isWindowModified());
    QSignalSpy saved(&window, &MainWindow::sessionSaved);

    QString question;
    answerNextBox(QMessageBox::Cancel, &question);
    QVERIFY(!window.saveSession());
    QVERIFY2(question.contains(QStringLiteral("lossy.jsonl")), qPrintable(question));
    QVERIFY2(question.contains(QStringLiteral("lines that could not be read; saving over it drops them")),
        qPrintable(question));
    QCOMPARE(fileBytes(path), original);
    QVERIFY(!window.isFileTaskRunning());

    // Save As, the default: another file; this one stays as it was, and remains the one with the losses.
    const QString other = m_dir.filePath(QStringLiteral("lossy-copy.jsonl"));
    bool dialogSeen = false;
    answerNextBox(QMessageBox::Save);
    answerNextFileDialog(other, &dialogSeen);
    window.saveSession();
    QTRY_COMPARE(saved.size(), 1);
    QVERIFY(dialogSeen);
    QCOMPARE(fileBytes(path), original);
    SessionData copy;
    QVERIFY(readSession(other, copy));
    QCOMPARE(copy.events.size(), size_t(4));
    QCOMPARE(copy.warnings, QStringList());
    QCOMPARE(copy.created, created.toString(Qt::ISODateWithMs));

    // The window's file is the copy now, written from the window: nothing is lost by saving over it.
    session.model()->append(textBatch(11, 1));
    QString unexpected;
    QPointer<QTimer> watch = answerNextBox(QMessageBox::Cancel, &unexpected);
    QVERIFY(window.saveSession());
    QTRY_COMPARE(saved.size(), 2);
    delete watch.data();
    QVERIFY2(unexpected.isEmpty(), qPrintable(unexpected));

    // Replace, when chosen, drops the skipped lines and keeps the date.
    CaptureSession again(CaptureSession::Options { true, QString() });
    MainWindow second(&again);
    QSignalSpy reopened(&second, &MainWindow::sessionOpened);
    second.openSession(path);
    QTRY_COMPARE(reopened.size(), 1);
    again.model()->append(textBatch(10, 1));
    QSignalSpy savedSecond(&second, &MainWindow::sessionSaved);
    answerNextBox(QMessageBox::Discard);
    QVERIFY(second.saveSession());
    QTRY_COMPARE(savedSecond.size(), 1);
    SessionData replaced;
    QVERIFY(readSession(path, replaced));
    QCOMPARE(replaced.events.size(), size_t(4));
    QCOMPARE(replaced.warnings, QStringList());
    QCOMPARE(replaced.created, created.toString(Qt::ISODateWithMs));
}

// A session saved again, under its name or another, keeps the date it began (the header's "created"); a capture of
// the window's own is dated when saved. An opened HAR file is saved under a .jsonl name the user chooses.
void TstSessionFiles::saveAsKeepsTheSessionDate()
{
    const QString path = m_dir.filePath(QStringLiteral("dated.jsonl"));
    const QDateTime created(QDate(2020, 1, 2), QTime(3, 4, 5, 678), Qt::UTC);
    QVERIFY(writeSession(path, 2, created));
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    QSignalSpy opened(&window, &MainWindow::sessionOpened);
    window.openSession(path);
    QTRY_COMPARE(opened.size(), 1);
    session.model()->append(textBatch(3, 1));
    QSignalSpy saved(&window, &MainWindow::sessionSaved);
    QVERIFY(window.saveSession()); // over itself: nothing was skipped, nothing is asked
    QTRY_COMPARE(saved.size(), 1);
    QCOMPARE(createdOf(path), created.toString(Qt::ISODateWithMs));
    const QString copy = m_dir.filePath(QStringLiteral("dated-copy.jsonl"));
    QVERIFY(window.saveSessionAs(copy));
    QTRY_COMPARE(saved.size(), 2);
    QCOMPARE(createdOf(copy), created.toString(Qt::ISODateWithMs));

    CaptureSession live(CaptureSession::Options { true, QString() });
    MainWindow liveWindow(&live);
    live.model()->append(textBatch(1, 2));
    const QDateTime before = QDateTime::currentDateTimeUtc().addSecs(-1);
    QSignalSpy liveSaved(&liveWindow, &MainWindow::sessionSaved);
    const QString livePath = m_dir.filePath(QStringLiteral("live-dated.jsonl"));
    QVERIFY(liveWindow.saveSessionAs(livePath));
    QTRY_COMPARE(liveSaved.size(), 1);
    QVERIFY(QDateTime::fromString(createdOf(livePath), Qt::ISODateWithMs) >= before);

    const QString har = m_dir.filePath(QStringLiteral("dated.har"));
    QSignalSpy exported(&window, &MainWindow::sessionExported);
    ExportDialog::Choice choice;
    choice.format = SessionFormat::Har;
    QVERIFY(window.exportSession(har, choice));
    QTRY_COMPARE(exported.size(), 1);
    const QByteArray harBytes = fileBytes(har);
    CaptureSession harSession(CaptureSession::Options { true, QString() });
    MainWindow harWindow(&harSession);
    QSignalSpy harOpened(&harWindow, &MainWindow::sessionOpened);
    harWindow.openSession(har);
    QTRY_COMPARE(harOpened.size(), 1);
    harSession.model()->append(textBatch(20, 1));
    bool dialogSeen = false;
    answerNextFileDialog(QString(), &dialogSeen); // cancelled
    QVERIFY(!harWindow.saveSession());
    QVERIFY(dialogSeen);
    QCOMPARE(fileBytes(har), harBytes);
}

QTEST_MAIN(TstSessionFiles)
#include "tst_sessionfiles.moc"
