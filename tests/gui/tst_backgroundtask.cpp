// BackgroundTask: work on a worker thread with a progress dialog, cancelled at its next progress report, and given
// up without waiting (abandon) when its window goes: the result is dropped, the thread ends on its own, and work
// that must not stop half-way is waited for instead.

#include "backgroundtask.h"

#include <QPointer>
#include <QProgressDialog>
#include <QPushButton>
#include <QSemaphore>
#include <QSignalSpy>
#include <QTest>
#include <QThread>
#include <QWidget>

#include <atomic>
#include <memory>
#include <thread>

using namespace wsi;

class TstBackgroundTask : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { BackgroundTask::setDialogDelay(500); }
    void cleanup() { BackgroundTask::setDialogDelay(500); }

    void runsAndFinishes()
    {
        QWidget window;
        auto done = std::make_shared<std::atomic<bool>>(false);
        BackgroundTask task(
            QStringLiteral("Working"), BackgroundTask::Unit::Events,
            [done](BackgroundTask::Progress& progress) {
                progress.report(1, 1);
                done->store(true);
            },
            &window);
        QCOMPARE(task.parent(), &window); // findable as the window's "fileTask"
        QCOMPARE(window.findChild<BackgroundTask*>(QStringLiteral("fileTask")), &task);
        QSignalSpy finished(&task, &BackgroundTask::finished);
        task.start();
        QVERIFY(finished.wait(10000));
        QVERIFY(done->load());
        QVERIFY(task.isWorkDone());
        QVERIFY(task.isFinished());
        QVERIFY(!task.isCancelled());
    }

    // The work notices a cancel at its next progress report.
    void cancelStopsAtTheNextReport()
    {
        QWidget window;
        auto reports = std::make_shared<std::atomic<int>>(0);
        BackgroundTask task(
            QStringLiteral("Working"), BackgroundTask::Unit::Bytes,
            [reports](BackgroundTask::Progress& progress) {
                while (progress.report(reports->fetch_add(1), -1))
                    QThread::msleep(1);
            },
            &window);
        QSignalSpy finished(&task, &BackgroundTask::finished);
        task.start();
        QVERIFY(QTest::qWaitFor([&] { return reports->load() > 0; }));
        task.cancel();
        QVERIFY(finished.wait(10000));
        QVERIFY(task.isCancelled());
    }

    // A window closing while the work is stuck (a HAR file being parsed cannot stop): abandon() returns at once,
    // the dialog goes, finished() is never emitted, and the task ends and deletes itself once the work returns.
    void abandonDoesNotWait()
    {
        auto window = std::make_unique<QWidget>();
        window->show();
        auto release = std::make_shared<QSemaphore>();
        auto returned = std::make_shared<std::atomic<bool>>(false);
        BackgroundTask::setDialogDelay(0);
        auto task = std::make_unique<BackgroundTask>(
            QStringLiteral("Parsing"), BackgroundTask::Unit::Bytes,
            [release, returned](BackgroundTask::Progress&) {
                release->acquire(); // deaf to cancels, as QJsonDocument::fromJson is
                returned->store(true);
            },
            window.get());
        bool finishedSeen = false;
        connect(task.get(), &BackgroundTask::finished, this, [&finishedSeen] { finishedSeen = true; });
        task->start();
        QPointer<QProgressDialog> dialog = window->findChild<QProgressDialog*>(QStringLiteral("fileProgressDialog"));
        QVERIFY(dialog);
        QPointer<BackgroundTask> orphan = task.get();

        const int before = BackgroundTask::abandonedCount();
        BackgroundTask::abandon(std::move(task));
        // Still stuck, so abandon() cannot have waited for it.
        QVERIFY(!returned->load());
        QCOMPARE(BackgroundTask::abandonedCount(), before + 1);
        QVERIFY(orphan);
        QVERIFY(!orphan->parent()); // no longer the window's: the window may go now
        window.reset();
        QTRY_VERIFY(dialog.isNull());

        release->release();
        QTRY_COMPARE(BackgroundTask::abandonedCount(), before);
        QTRY_VERIFY(orphan.isNull());
        QVERIFY(returned->load());
        QVERIFY(!finishedSeen);
    }

    // Work that must not stop half-way (a recovered capture going into the session's journal) is waited for, and
    // its dialog has no Cancel.
    void workThatMustFinishIsWaitedFor()
    {
        QWidget window;
        window.show();
        auto returned = std::make_shared<std::atomic<bool>>(false);
        auto started = std::make_shared<QSemaphore>();
        BackgroundTask::setDialogDelay(0);
        auto task = std::make_unique<BackgroundTask>(
            QStringLiteral("Recovering"), BackgroundTask::Unit::Events,
            [returned, started](BackgroundTask::Progress&) {
                started->release();
                QThread::msleep(200);
                returned->store(true);
            },
            &window);
        task->setCancellable(false);
        task->start();
        auto* dialog = window.findChild<QProgressDialog*>(QStringLiteral("fileProgressDialog"));
        QVERIFY(dialog);
        QVERIFY(!dialog->findChild<QPushButton*>());
        QVERIFY(started->tryAcquire(1, 10000));
        BackgroundTask::abandon(std::move(task));
        QVERIFY(returned->load());
        QCOMPARE(BackgroundTask::abandonedCount(), 0);
    }

    // Before the process ends, whatever was given up is waited for (no thread may outlive main()).
    void waitForAbandonedWaits()
    {
        auto release = std::make_shared<QSemaphore>();
        auto returned = std::make_shared<std::atomic<bool>>(false);
        auto task = std::make_unique<BackgroundTask>(
            QStringLiteral("Parsing"), BackgroundTask::Unit::Bytes,
            [release, returned](BackgroundTask::Progress&) {
                release->acquire();
                returned->store(true);
            },
            nullptr);
        task->start();
        BackgroundTask::abandon(std::move(task));
        QCOMPARE(BackgroundTask::abandonedCount(), 1);
        std::thread releaser([release] {
            QThread::msleep(50);
            release->release();
        });
        BackgroundTask::waitForAbandoned();
        releaser.join();
        QVERIFY(returned->load());
        QCOMPARE(BackgroundTask::abandonedCount(), 0);
    }
};

QTEST_MAIN(TstBackgroundTask)
#include "tst_backgroundtask.moc"
