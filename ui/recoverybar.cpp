#include "recoverybar.h"

#include "core/capturequeue.h"
#include "core/timelinemodel.h"
#include "formats/sessionreader.h"
#include "net/capturesession.h"
#include "uitext.h"

#include <QCoreApplication>
#include <QDesktopServices>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPointer>
#include <QProcess>
#include <QPushButton>
#include <QStyle>
#include <QUrl>
#include <QVBoxLayout>

namespace wsi {

namespace {

QString timeText(const QDateTime& time)
{
    return QLocale().toString(time.toLocalTime(), QLocale::ShortFormat);
}

} // namespace

RecoveryBar::RecoveryBar(CaptureSession* session, std::shared_ptr<JournalRecovery> recovery, QWidget* parent)
    : QFrame(parent)
    , m_session(session)
    , m_recovery(std::move(recovery))
    , m_pending(m_recovery->journals())
    , m_launcher([](const QString& path) {
        return QProcess::startDetached(QCoreApplication::applicationFilePath(), { path });
    })
{
    setObjectName(QStringLiteral("recoveryBar"));
    setFrameShape(QFrame::StyledPanel);

    auto* icon = new QLabel(this);
    const int iconSize = style()->pixelMetric(QStyle::PM_SmallIconSize, nullptr, this);
    icon->setPixmap(style()->standardIcon(QStyle::SP_MessageBoxWarning, nullptr, this).pixmap(iconSize, iconSize));
    icon->setAlignment(Qt::AlignTop);

    m_text = new QLabel(this);
    m_text->setObjectName(QStringLiteral("recoveryText"));
    m_text->setWordWrap(true);
    m_text->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("recoveryProblem"));
    m_problem->setWordWrap(true);
    m_problem->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_problem->hide();
    auto* texts = new QVBoxLayout;
    texts->setContentsMargins(0, 0, 0, 0);
    texts->addWidget(m_text);
    texts->addWidget(m_problem);

    m_recoverButton = new QPushButton(tr("&Recover"), this);
    m_recoverButton->setObjectName(QStringLiteral("recoverButton"));
    m_recoverButton->setToolTip(tr("Show the unsaved capture in the timeline; what is captured next follows it"));
    m_showFileButton = new QPushButton(tr("Show File"), this);
    m_showFileButton->setObjectName(QStringLiteral("showFileButton"));
    m_showFileButton->setToolTip(tr("Open the folder that holds the unsaved capture's journal"));
    m_discardButton = new QPushButton(tr("Discard"), this);
    m_discardButton->setObjectName(QStringLiteral("discardButton"));
    m_discardButton->setToolTip(tr("Delete the unsaved capture for good"));
    connect(m_recoverButton, &QPushButton::clicked, this, &RecoveryBar::recover);
    connect(m_showFileButton, &QPushButton::clicked, this, &RecoveryBar::showFile);
    connect(m_discardButton, &QPushButton::clicked, this, &RecoveryBar::discard);

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(6, 4, 6, 4);
    layout->addWidget(icon);
    layout->addLayout(texts, 1);
    layout->addWidget(m_recoverButton);
    layout->addWidget(m_showFileButton);
    layout->addWidget(m_discardButton);

    showCurrent();
}

RecoveryBar::~RecoveryBar()
{
    // A reading of ours that is still going is dropped (one that writes into the session is waited for).
    BackgroundTask::abandon(std::move(m_ownTask));
}

void RecoveryBar::setLauncher(Launcher launcher)
{
    m_launcher = std::move(launcher);
}

void RecoveryBar::setTaskRunner(TaskRunner runner)
{
    m_runner = std::move(runner);
}

void RecoveryBar::showCurrent()
{
    m_problem->hide();
    if (m_pending.isEmpty())
        return;
    const CrashedJournal& journal = m_pending.first();
    // A crash and an end nobody was asked about (a logout) are not the same news.
    QString text = journal.closedUnsaved
        ? tr("WebSocket Inspector was closed with an unsaved capture from %1 (%2). It can be recovered.")
              .arg(timeText(journal.created), UiText::eventCount(journal.events))
        : tr("WebSocket Inspector quit unexpectedly. An unsaved capture from %1 (%2) can be recovered.")
              .arg(timeText(journal.created), UiText::eventCount(journal.events));
    if (m_pending.size() > 1)
        text += u' ' + tr("%1 more after this one.").arg(m_pending.size() - 1);
    m_text->setText(text);
    QString tip
        = tr("Journal: %1\nSize: %2").arg(UiText::nativePath(journal.path), QLocale().formattedDataSize(journal.size));
    if (journal.lastEvent.isValid())
        tip += u'\n' + tr("Last event: %1").arg(timeText(journal.lastEvent));
    m_text->setToolTip(tip);
}

void RecoveryBar::showProblem(const QString& text)
{
    m_problem->setText(text);
    m_problem->show();
}

void RecoveryBar::next()
{
    if (!m_pending.isEmpty())
        m_pending.removeFirst();
    if (!m_pending.isEmpty()) {
        showCurrent();
        return;
    }
    hide();
    Q_EMIT finished();
    deleteLater();
}

void RecoveryBar::setBusy(bool busy)
{
    m_busy = busy;
    for (QPushButton* button : { m_recoverButton, m_showFileButton, m_discardButton })
        button->setEnabled(!busy);
}

bool RecoveryBar::runTask(const QString& label, BackgroundTask::Unit unit, BackgroundTask::Work work,
    std::function<void(bool cancelled)> done, bool cancellable)
{
    if (m_runner)
        return m_runner(label, unit, std::move(work), std::move(done), cancellable);
    if (m_ownTask)
        return false;
    m_ownTask = std::make_unique<BackgroundTask>(label, unit, std::move(work), window());
    m_ownTask->setCancellable(cancellable);
    connect(m_ownTask.get(), &BackgroundTask::finished, this, [this, done = std::move(done)] {
        const bool cancelled = m_ownTask->isCancelled();
        m_ownTask.release()->deleteLater();
        done(cancelled);
    });
    m_ownTask->start();
    return true;
}

bool RecoveryBar::openElsewhere(const CrashedJournal& journal)
{
    // The window's capture has begun: the old one cannot go before it in this timeline.
    if (!m_launcher(journal.path)) {
        showProblem(tr("The capture has begun in this window, and a new window could not be opened for the "
                       "unsaved one. Its file is %1.")
                        .arg(UiText::nativePath(journal.path)));
        return false;
    }
    m_recovery->keep(journal.path);
    Q_EMIT message(tr("The unsaved capture from %1 opens in a new window; its file stays at %2.")
                       .arg(timeText(journal.created), UiText::nativePath(journal.path)));
    next();
    return true;
}

bool RecoveryBar::recover()
{
    if (m_pending.isEmpty() || m_busy)
        return false;
    const CrashedJournal journal = m_pending.first();
    // Saves reading a big file for nothing; restore() has the last word.
    if (!m_session->model() || m_session->model()->rowCount() > 0)
        return openElsewhere(journal);

    // Read on a worker: a journal can be gigabytes. What the work fills is its own, so that a window closed in
    // the meantime only drops it.
    struct Read
    {
        SessionData data;
        QString error;
        bool ok = false;
    };
    auto read = std::make_shared<Read>();
    const QPointer<RecoveryBar> self(this);
    setBusy(true);
    const bool started = runTask(
        tr("Recovering the capture from %1\u2026").arg(timeText(journal.created)), BackgroundTask::Unit::Bytes,
        [path = journal.path, read](BackgroundTask::Progress& progress) {
            read->ok = SessionReader::readFile(path, read->data, &read->error,
                [&progress](qint64 done, qint64 total) { return progress.report(done, total); });
        },
        [self, journal, read](bool cancelled) {
            if (!self)
                return;
            if (cancelled) {
                self->setBusy(false);
                Q_EMIT self->message(tr("Recovering was cancelled; the capture is still offered."));
                return;
            }
            // A crash normally leaves half a line at the end, which the reader drops with a warning: nothing to say.
            if (!read->ok) {
                self->setBusy(false);
                self->showProblem(tr("Could not recover it: %1").arg(read->error));
                return;
            }
            auto batch = std::make_shared<CaptureBatch>();
            batch->connections.assign(read->data.connections.cbegin(), read->data.connections.cend());
            batch->events = std::move(read->data.events);
            read->data = SessionData {};
            self->restoreRead(journal, std::move(batch));
        },
        true);
    if (!started) {
        setBusy(false);
        showProblem(tr("Wait for the file being read or written in this window to be done, then try again."));
    }
    return started;
}

void RecoveryBar::restoreRead(const CrashedJournal& journal, std::shared_ptr<CaptureBatch> batch)
{
    // Into the session and its journal, on a worker too: publishing millions of events and writing them to the
    // new journal (then syncing it) takes a while. It cannot stop half-way, so it is not cancellable, and a window
    // closing waits for it (its session's journal is written either way).
    struct Restore
    {
        bool restored = false;
        bool moved = false; // the old journal is gone, its events safe in the new one
    };
    auto result = std::make_shared<Restore>();
    const qint64 count = qint64(batch->events.size());
    const QPointer<RecoveryBar> self(this);
    const bool started = runTask(
        tr("Recovering the capture from %1\u2026").arg(timeText(journal.created)), BackgroundTask::Unit::Events,
        [session = m_session, recovery = m_recovery, batch, path = journal.path, result](BackgroundTask::Progress&) {
            result->restored = session->restore(*batch);
            batch->events.clear();
            batch->events.shrink_to_fit(); // freed here, not on the GUI thread
            if (!result->restored)
                return;
            // The old journal goes only once the new one holds everything on disk; otherwise (no journal here, a
            // write error) the old file is kept as an ordinary session file, not offered again.
            result->moved = session->flushJournal() && recovery->recoveredInto(path, session->journalPath());
            if (!result->moved)
                recovery->keep(path);
        },
        [self, journal, result, count](bool) {
            if (!self)
                return;
            self->setBusy(false);
            if (!result->restored) {
                self->openElsewhere(journal); // something was captured in the meantime
                return;
            }
            const QString when = timeText(journal.created);
            if (result->moved) {
                Q_EMIT self->message(tr("Recovered %1 of the capture from %2.").arg(UiText::eventCount(count), when));
            } else {
                Q_EMIT self->message(tr("Recovered %1 of the capture from %2; its file %3 is kept as well.")
                                         .arg(UiText::eventCount(count), when, UiText::nativePath(journal.path)));
            }
            self->next();
        },
        false);
    if (!started) {
        setBusy(false);
        showProblem(tr("Wait for the file being read or written in this window to be done, then try again."));
    }
}

bool RecoveryBar::discard()
{
    if (m_pending.isEmpty() || m_busy)
        return false;
    const CrashedJournal journal = m_pending.first();
    QString error;
    if (!m_recovery->discard(journal.path, &error)) {
        showProblem(tr("Could not delete %1: %2").arg(UiText::nativePath(journal.path), error));
        return false;
    }
    Q_EMIT message(tr("Discarded the unsaved capture from %1.").arg(timeText(journal.created)));
    next();
    return true;
}

void RecoveryBar::showFile()
{
    if (m_pending.isEmpty())
        return;
    // Opening the folder rather than the file: a .jsonl would open in an editor, or in this very app.
    QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(m_pending.first().path).absolutePath()));
}

} // namespace wsi
