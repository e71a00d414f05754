#include "backgroundtask.h"

#include <QLocale>
#include <QProgressDialog>
#include <QThread>
#include <QTimer>

#include <set>

namespace wsi {

namespace {
std::atomic<int> s_dialogDelayMs { 500 };
// Tasks given up and not yet ended; touched on the GUI thread only.
std::set<BackgroundTask*>& abandonedTasks()
{
    static std::set<BackgroundTask*> tasks;
    return tasks;
}
// Often enough to look alive, rarely enough to cost the work nothing.
constexpr int UpdateIntervalMs = 100;
// The bar's range: per mille of the total, which fits an int whatever the size of the file.
constexpr int BarSteps = 1000;
} // namespace

bool BackgroundTask::Progress::report(qint64 done, qint64 total)
{
    m_done.store(done, std::memory_order_relaxed);
    m_total.store(total, std::memory_order_relaxed);
    return !isCancelled();
}

BackgroundTask::BackgroundTask(const QString& label, Unit unit, Work work, QWidget* window)
    : QObject(window)
    , m_label(label)
    , m_unit(unit)
    , m_work(std::move(work))
    , m_window(window)
{
    setObjectName(QStringLiteral("fileTask"));
}

BackgroundTask::~BackgroundTask()
{
    cancel();
    if (m_thread) {
        m_thread->wait();
        delete m_thread;
    }
    delete m_dialog.data();
}

bool BackgroundTask::isWorkDone() const
{
    return m_thread && m_thread->isFinished();
}

void BackgroundTask::abandon(std::unique_ptr<BackgroundTask> task)
{
    if (!task)
        return;
    // Whoever waited for the result has gone: nothing of it may reach them.
    disconnect(task.get(), &BackgroundTask::finished, nullptr, nullptr);
    if (!task->m_cancellable || !task->m_thread || task->isWorkDone())
        return; // the destructor waits for work that must finish, and has nothing to wait for otherwise
    task->cancel();
    if (task->m_showTimer)
        task->m_showTimer->stop();
    if (task->m_updateTimer)
        task->m_updateTimer->stop();
    if (task->m_dialog) {
        task->m_dialog->hide();
        task->m_dialog->deleteLater();
    }
    // No longer the window's: it outlives it.
    task->setParent(nullptr);
    task->m_window = nullptr;
    BackgroundTask* const orphan = task.release();
    abandonedTasks().insert(orphan);
    auto end = [orphan] {
        if (abandonedTasks().erase(orphan) > 0)
            orphan->deleteLater();
    };
    connect(orphan->m_thread, &QThread::finished, orphan, end);
    // It may have ended before the connection was made.
    if (orphan->isWorkDone())
        end();
}

int BackgroundTask::abandonedCount()
{
    return int(abandonedTasks().size());
}

void BackgroundTask::waitForAbandoned()
{
    while (!abandonedTasks().empty()) {
        BackgroundTask* task = *abandonedTasks().begin();
        abandonedTasks().erase(abandonedTasks().begin());
        delete task; // waits for its thread
    }
}

void BackgroundTask::setDialogDelay(int ms)
{
    s_dialogDelayMs.store(std::max(0, ms));
}

int BackgroundTask::dialogDelay()
{
    return s_dialogDelayMs.load();
}

void BackgroundTask::start()
{
    if (m_thread)
        return;
    m_thread = QThread::create([work = std::move(m_work), progress = m_progress] { work(*progress); });
    m_thread->setObjectName(QStringLiteral("fileTask"));
    // Queued: finished is emitted on the worker thread, the results are read on ours.
    connect(m_thread, &QThread::finished, this, [this] {
        m_finished = true;
        if (m_showTimer)
            m_showTimer->stop();
        if (m_updateTimer)
            m_updateTimer->stop();
        if (m_dialog)
            m_dialog->hide();
        Q_EMIT finished();
    });

    m_showTimer = new QTimer(this);
    m_showTimer->setSingleShot(true);
    connect(m_showTimer, &QTimer::timeout, this, &BackgroundTask::showDialog);
    m_updateTimer = new QTimer(this);
    m_updateTimer->setInterval(UpdateIntervalMs);
    connect(m_updateTimer, &QTimer::timeout, this, &BackgroundTask::updateDialog);

    m_thread->start();
    if (dialogDelay() == 0)
        showDialog();
    else
        m_showTimer->start(dialogDelay());
}

void BackgroundTask::cancel()
{
    if (m_progress->m_cancelled.exchange(true))
        return;
    if (m_dialog && !m_finished)
        m_dialog->setLabelText(tr("Cancelling\u2026"));
}

void BackgroundTask::showDialog()
{
    if (m_finished || m_dialog)
        return;
    auto* dialog = new QProgressDialog(m_window);
    dialog->setObjectName(QStringLiteral("fileProgressDialog"));
    dialog->setWindowTitle(tr("WebSocket Inspector"));
    dialog->setWindowModality(Qt::WindowModal);
    // Shown and hidden by this task alone: the dialog's own timing and auto-reset would fight it.
    dialog->setAutoReset(false);
    dialog->setAutoClose(false);
    dialog->reset();
    dialog->setRange(0, BarSteps);
    dialog->setMinimumWidth(420);
    m_dialog = dialog;
    if (m_cancellable)
        connect(dialog, &QProgressDialog::canceled, this, &BackgroundTask::cancel);
    else
        dialog->setCancelButton(nullptr);
    updateDialog();
    dialog->show();
    m_updateTimer->start();
}

void BackgroundTask::updateDialog()
{
    if (!m_dialog || isCancelled())
        return;
    const qint64 done = m_progress->m_done.load(std::memory_order_relaxed);
    const qint64 total = m_progress->m_total.load(std::memory_order_relaxed);
    if (total <= 0) {
        m_dialog->setRange(0, 0); // a busy bar: how much there is, is not known
        m_dialog->setLabelText(m_label);
        return;
    }
    const QLocale locale;
    const QString amount = m_unit == Unit::Bytes
        ? tr("%1 of %2").arg(locale.formattedDataSize(done), locale.formattedDataSize(total))
        : tr("%1 of %2 events").arg(locale.toString(done), locale.toString(total));
    m_dialog->setRange(0, BarSteps);
    m_dialog->setValue(int(std::clamp<qint64>(done * BarSteps / total, 0, BarSteps)));
    m_dialog->setLabelText(m_label + u'\n' + amount);
}

} // namespace wsi
