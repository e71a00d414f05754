#include "recoverybar.h"

#include "core/capturequeue.h"
#include "core/timelinemodel.h"
#include "formats/sessionreader.h"
#include "net/capturesession.h"
#include "uitext.h"

#include <QCoreApplication>
#include <QDesktopServices>
#include <QDir>
#include <QFileInfo>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
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

RecoveryBar* RecoveryBar::offer(CaptureSession* session, const QString& folder, QWidget* parent)
{
    auto recovery = std::make_unique<JournalRecovery>(folder);
    if (recovery->scan().isEmpty())
        return nullptr;
    return new RecoveryBar(session, std::move(recovery), parent);
}

RecoveryBar::RecoveryBar(CaptureSession* session, std::unique_ptr<JournalRecovery> recovery, QWidget* parent)
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

RecoveryBar::~RecoveryBar() = default;

void RecoveryBar::setLauncher(Launcher launcher)
{
    m_launcher = std::move(launcher);
}

void RecoveryBar::showCurrent()
{
    m_problem->hide();
    if (m_pending.isEmpty())
        return;
    const CrashedJournal& journal = m_pending.first();
    QString text = tr("WebSocket Inspector quit unexpectedly. An unsaved capture from %1 (%2) can be recovered.")
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

bool RecoveryBar::recover()
{
    if (m_pending.isEmpty())
        return false;
    const CrashedJournal journal = m_pending.first();
    const QString when = timeText(journal.created);
    auto openElsewhere = [&] {
        // The window's capture has begun: the old one cannot go before it in this timeline.
        if (!m_launcher(journal.path)) {
            showProblem(tr("The capture has begun in this window, and a new window could not be opened for the "
                           "unsaved one. Its file is %1.")
                            .arg(UiText::nativePath(journal.path)));
            return false;
        }
        m_recovery->keep(journal.path);
        Q_EMIT message(tr("The unsaved capture from %1 opens in a new window; its file stays at %2.")
                           .arg(when, UiText::nativePath(journal.path)));
        next();
        return true;
    };
    // Saves reading a big file for nothing; restore() below has the last word.
    if (!m_session->model() || m_session->model()->rowCount() > 0)
        return openElsewhere();

    SessionData data;
    QString error;
    QGuiApplication::setOverrideCursor(Qt::WaitCursor);
    const bool read = SessionReader::readFile(journal.path, data, &error);
    QGuiApplication::restoreOverrideCursor();
    // A crash normally leaves half a line at the end, which the reader drops with a warning: nothing to say.
    if (!read) {
        showProblem(tr("Could not recover it: %1").arg(error));
        return false;
    }
    CaptureBatch batch;
    batch.connections.assign(data.connections.cbegin(), data.connections.cend());
    batch.events = std::move(data.events);
    const qint64 count = qint64(batch.events.size());

    if (!m_session->restore(batch))
        return openElsewhere();

    // The old journal goes only once the new one holds everything on disk; otherwise (no journal here, a write
    // error) the old file is kept as an ordinary session file, not offered again.
    if (m_session->flushJournal() && m_recovery->recoveredInto(journal.path, m_session->journalPath())) {
        Q_EMIT message(tr("Recovered %1 of the capture from %2.").arg(UiText::eventCount(count), when));
    } else {
        m_recovery->keep(journal.path);
        Q_EMIT message(tr("Recovered %1 of the capture from %2; its file %3 is kept as well.")
                           .arg(UiText::eventCount(count), when, UiText::nativePath(journal.path)));
    }
    next();
    return true;
}

bool RecoveryBar::discard()
{
    if (m_pending.isEmpty())
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
