#pragma once

#include "formats/journalrecovery.h"

#include <QFrame>
#include <QList>

#include <functional>
#include <memory>

class QLabel;
class QPushButton;

namespace wsi {

class CaptureSession;

/*
 * The bar above the timeline that offers, at start-up, the captures a crash left unsaved (see JournalRecovery),
 * one after another: Recover, Show File, Discard. Non-modal, so that nothing waits for an answer; a capture not
 * answered is offered again at the next start. Recover puts the capture into the window's timeline and into the
 * new run's journal (so that a second crash loses nothing either), and deletes the old journal once the new one
 * holds it on disk. When the window's capture has already begun, the old one cannot go before it: it is opened in
 * a new window instead, and its file is kept. The bar deletes itself when nothing is left to offer.
 */
class RecoveryBar : public QFrame
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RecoveryBar)

public:
    // Opens a session file elsewhere than in this window; true when that started. By default a new WebSocket
    // Inspector process with the file (as "wsinspector FILE").
    using Launcher = std::function<bool(const QString& path)>;

    // Looks in the folder for unsaved captures of crashed runs and returns a bar offering them, or null when
    // there are none.
    static RecoveryBar* offer(CaptureSession* session, const QString& folder, QWidget* parent = nullptr);

    RecoveryBar(CaptureSession* session, std::unique_ptr<JournalRecovery> recovery, QWidget* parent = nullptr);
    ~RecoveryBar() override;

    // The capture offered now, then those after it.
    QList<CrashedJournal> pending() const { return m_pending; }
    void setLauncher(Launcher launcher);

public Q_SLOTS:
    // Acts on the capture offered now; false (with the reason shown in the bar) when that failed.
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

    CaptureSession* m_session;
    std::unique_ptr<JournalRecovery> m_recovery;
    QList<CrashedJournal> m_pending;
    Launcher m_launcher;

    QLabel* m_text = nullptr;
    QLabel* m_problem = nullptr;
    QPushButton* m_recoverButton = nullptr;
    QPushButton* m_showFileButton = nullptr;
    QPushButton* m_discardButton = nullptr;
};

} // namespace wsi
