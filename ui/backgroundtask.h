#pragma once

#include <QObject>
#include <QPointer>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>

class QProgressDialog;
class QThread;
class QTimer;
class QWidget;

namespace wsi {

/*
 * One piece of file work (opening, saving, exporting a session) run on a worker thread, so that the window
 * keeps painting and the capture keeps flowing while a big file is read or written. When the work takes longer
 * than a moment a window-modal progress dialog shows how far it got and offers Cancel; a cancelled task still
 * runs until its work function notices (at its next progress report) and then finishes as cancelled.
 */
class BackgroundTask : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BackgroundTask)

public:
    // What the progress figures count: the dialog says "12 MB of 130 MB" or "12,000 of 130,000 events".
    enum class Unit {
        Bytes,
        Events,
    };

    // Shared between the work function (any thread) and the dialog (the GUI thread).
    class Progress
    {
    public:
        // Records how far the work got (total -1 when unknown); false once the task was cancelled.
        bool report(qint64 done, qint64 total);
        bool isCancelled() const { return m_cancelled.load(std::memory_order_relaxed); }

    private:
        friend class BackgroundTask;
        std::atomic<qint64> m_done { 0 };
        std::atomic<qint64> m_total { -1 };
        std::atomic<bool> m_cancelled { false };
    };
    using Work = std::function<void(Progress&)>;

    // The dialog, if it comes to one, is modal to window and says label ("Opening x.jsonl…"). The task is the
    // window's child (named "fileTask"), so that it can be found, but whoever made it owns it.
    BackgroundTask(const QString& label, Unit unit, Work work, QWidget* window);
    // Cancels the work and waits for it to return.
    ~BackgroundTask() override;

    // Work that must not stop half-way (a recovered capture going into the session's journal): the dialog offers
    // no Cancel, and abandon() waits for it. Set before start().
    void setCancellable(bool cancellable) { m_cancellable = cancellable; }
    bool isCancellable() const { return m_cancellable; }

    void start();
    void cancel();
    bool isCancelled() const { return m_progress->isCancelled(); }
    // finished() was delivered.
    bool isFinished() const { return m_finished; }
    // The work function has returned (finished() may not have been delivered yet).
    bool isWorkDone() const;

    // Gives the task up without waiting for it (a window closing while a big HAR file is parsed, which cannot stop
    // half-way): cancelled, its dialog gone, finished() never emitted, so that its result is dropped; the worker
    // runs to its end on its own, and the task deletes itself then. The work must hold nothing that dies with
    // the window: what it reads and fills is captured by value or by shared pointer. A task that is not
    // cancellable is waited for instead.
    static void abandon(std::unique_ptr<BackgroundTask> task);
    // Tasks given up and still running in this process.
    static int abandonedCount();
    // Waits for every task given up to end: before the process exits, since a thread must not outlive main().
    static void waitForAbandoned();

    // How long work may take before the dialog appears (default 500 ms; 0 shows it at once, for tests). For the
    // whole process: every window's tasks behave alike.
    static void setDialogDelay(int ms);
    static int dialogDelay();

Q_SIGNALS:
    // The work returned (cancelled or not); on the thread that made the task.
    void finished();

private:
    void showDialog();
    void updateDialog();

    const QString m_label;
    const Unit m_unit;
    Work m_work;
    QPointer<QWidget> m_window;
    std::shared_ptr<Progress> m_progress = std::make_shared<Progress>();
    QThread* m_thread = nullptr;
    QTimer* m_showTimer = nullptr;
    QTimer* m_updateTimer = nullptr;
    QPointer<QProgressDialog> m_dialog;
    bool m_finished = false;
    bool m_cancellable = true;
};

} // namespace wsi
