#pragma once

#include "backgroundtask.h"
#include "formats/journalrecovery.h"

#include <QFrame>
#include <QList>

#include <functional>
#include <memory>

class QLabel;
class QPushButton;

namespace wsi {

class CaptureSession;
struct CaptureBatch;

/*
 * The bar above the timeline that offers the captures an earlier run left unsaved (see JournalRecovery: a crash,
 * or an end by a signal with nobody asked), one after another: Recover, Show File, Discard. Non-modal, so that
 * nothing waits for an answer; a capture not answered is offered again at the next start. Recover reads the
 * capture on a worker thread, then puts it into the window's timeline and into the new run's journal (so that a
 * second crash loses nothing either), and deletes the old journal once the new one holds it on disk. When the
 * window's capture has already begun, the old one cannot go before it: it is opened in a new window instead, and
 * its file is kept. The bar deletes itself when nothing is left to offer.
 */
class RecoveryBar : public QFrame
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RecoveryBar)

public:
    // Opens a session file elsewhere than in this window; true when that started. By default a new WebSocket
    // Inspector process with the file (as "wsinspector FILE").
    using Launcher = std::function<bool(const QString& path)>;
    // Runs work on a worker thread (a BackgroundTask with its progress dialog); done(cancelled) follows on the
    // GUI thread, unless the window went away first. False when it cannot start now (the window is busy with
    // another file). By default the bar runs a task of its own.
    using TaskRunner = std::function<bool(const QString& label, BackgroundTask::Unit unit, BackgroundTask::Work work,
        std::function<void(bool cancelled)> done, bool cancellable)>;

    // recovery has been scanned: the bar offers what it claimed.
    RecoveryBar(CaptureSession* session, std::shared_ptr<JournalRecovery> recovery, QWidget* parent = nullptr);
    ~RecoveryBar() override;

    // The capture offered now, then those after it.
    QList<CrashedJournal> pending() const { return m_pending; }
    void setLauncher(Launcher launcher);
    void setTaskRunner(TaskRunner runner);
    // A recovery is being read or written; the buttons wait for it.
    bool isBusy() const { return m_busy; }

public Q_SLOTS:
    // Acts on the capture offered now; false (with the reason shown in the bar) when that failed or could not
    // start. recover() returns once the reading has started; message() or a problem in the bar says how it went.
    bool recover();
    bool discard();
    void showFile();

Q_SIGNALS:
    // What was done, for the status bar.
    void message(const QString& text);
    // Nothing is left to offer; the bar is hidden and deleted later.
    void finished();

private:
    void showCurrent();
    void showProblem(const QString& text);
    void next();
    void setBusy(bool busy);
    bool openElsewhere(const CrashedJournal& journal);
    bool runTask(const QString& label, BackgroundTask::Unit unit, BackgroundTask::Work work,
        std::function<void(bool cancelled)> done, bool cancellable);
    void restoreRead(const CrashedJournal& journal, std::shared_ptr<CaptureBatch> batch);

    CaptureSession* m_session;
    std::shared_ptr<JournalRecovery> m_recovery; // shared with the work on the worker thread
    QList<CrashedJournal> m_pending;
    Launcher m_launcher;
    TaskRunner m_runner;
    std::unique_ptr<BackgroundTask> m_ownTask; // without a runner
    bool m_busy = false;

    QLabel* m_text = nullptr;
    QLabel* m_problem = nullptr;
    QPushButton* m_recoverButton = nullptr;
    QPushButton* m_showFileButton = nullptr;
    QPushButton* m_discardButton = nullptr;
};

} // namespace wsi
