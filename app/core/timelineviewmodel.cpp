#include "timelineviewmodel.h"

#include "eventfilter.h"
#include "eventstore.h"
#include "filterworker.h"
#include "timelinemodel.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QElapsedTimer>

#include <algorithm>
#include <optional>
#include <vector>

namespace wsi {

namespace {

// New rows filtered on the GUI thread as they arrive. A live batch holds at most a few thousand events
// (the capture pump hands them over every 17 ms), which even a regular expression gets through in a
// millisecond or two; an append bigger than this (an opened file) goes to the worker like a full filter.
constexpr qsizetype SyncFilterRows = 16384;
// A filter that decodes text (a regular expression above all) has no cost bound per byte: one that backtracks
// badly can take a fraction of a millisecond per row even within its match limit. The GUI thread gives such a
// filter this long, then hands the rest of the batch to the worker.
constexpr qint64 SyncFilterMs = 4;

// "+12.345678": signed seconds with microseconds, for the relative and delta time modes.
QString secondsText(qint64 us)
{
    const QLatin1Char sign(us < 0 ? '-' : '+');
    const quint64 magnitude = us < 0 ? quint64(0) - quint64(us) : quint64(us);
    return sign + QString::number(magnitude / 1000000) + QLatin1Char('.')
        + QString::number(magnitude % 1000000).rightJustified(6, QLatin1Char('0'));
}

} // namespace

struct TimelineViewModel::Private
{
    enum class Job {
        None,
        Replace, // a new filter over [base, limit): its rows replace the view's
        Append, // a big append [filteredEnd, limit): its rows are appended
    };

    // What a clear() hid, to bring it back.
    struct Undo
    {
        qsizetype base = 0;
        std::vector<int> rows; // the rows shown before the clear (filter mode)
        FilterSpec spec; // the filter they were shown for
        bool complete = false; // rows covered every row up to the clear point
    };

    explicit Private(TimelineViewModel* q)
        : q(q)
    { }

    qsizetype sourceCount() const { return source ? source->rowCount() : 0; }
    // Source rows past this one are not shown yet (paused).
    qsizetype limit() const { return paused ? std::min(pauseAt, sourceCount()) : sourceCount(); }
    int rowCount() const { return identity ? int(filteredEnd - base) : int(rows.size()); }

    bool cancelJob();
    void startJob(Job kind, qsizetype from, qsizetype to);
    void applyResult(FilterWorker::Result&& result);
    void catchUp();
    void appendRows(std::vector<int>&& found, qsizetype end);
    void countCostly(qsizetype rows, bool replace);
    void finishBusy();
    void emitCounts();
    void resetRows(qsizetype newBase);

    void onSourceRowsInserted();
    void onSourceAboutToBeReset();
    void onSourceReset();
    void onSourceDestroyed();
    void onSourceDataChanged(const QModelIndex& topLeft, const QModelIndex& bottomRight, const QList<int>& roles);

    TimelineViewModel* q;
    TimelineModel* source = nullptr;
    QList<QMetaObject::Connection> sourceConnections;

    FilterSpec spec; // the filter shown, or being computed
    std::shared_ptr<const EventFilter> filter; // null for an empty spec
    // The view shows either every source row of [base, filteredEnd) (no filter: nothing to store) or the
    // rows listed in `rows`, all of them in [base, filteredEnd). Source rows from filteredEnd on have not
    // been looked at yet: they arrive, are paused, or wait for a running job.
    bool identity = true;
    std::vector<int> rows;
    qsizetype base = 0; // rows before it are hidden by clear()
    qsizetype filteredEnd = 0;

    bool paused = false;
    qsizetype pauseAt = 0;

    Job job = Job::None;
    quint64 jobGeneration = 0;
    QElapsedTimer busyTimer; // since the worker got busy, for filterFinished
    std::unique_ptr<FilterWorker> worker;

    std::optional<Undo> undo;
    TimeMode timeMode = TimeMode::Absolute;
    qsizetype costlyRows = 0; // for the current spec

    qsizetype emittedMatch = -1;
    qsizetype emittedTotal = -1;
};

bool TimelineViewModel::Private::cancelJob()
{
    if (job == Job::None)
        return false;
    worker->cancel();
    job = Job::None;
    return true;
}

void TimelineViewModel::Private::startJob(Job kind, qsizetype from, qsizetype to)
{
    if (!worker) {
        // The handler runs on the worker thread; the worker is joined in our destructor before the QObject
        // goes, so `q` is alive whenever it posts.
        worker = std::make_unique<FilterWorker>([q = q](FilterWorker::Result&& result) {
            auto shared = std::make_shared<FilterWorker::Result>(std::move(result));
            QMetaObject::invokeMethod(
                q, [q, shared] { q->d->applyResult(std::move(*shared)); }, Qt::QueuedConnection);
        });
    }
    const bool wasIdle = job == Job::None;
    job = kind;
    jobGeneration = worker->start(FilterWorker::Job { filter, source->store()->snapshot(), from, to });
    if (wasIdle) {
        busyTimer.start();
        Q_EMIT q->filterStarted();
    }
}

void TimelineViewModel::Private::applyResult(FilterWorker::Result&& result)
{
    // A newer job (or a clear, a reset) made this one obsolete after it had already posted its answer.
    if (job == Job::None || result.generation != jobGeneration)
        return;
    const Job kind = job;
    job = Job::None;
    if (kind == Job::Replace) {
        Q_ASSERT(result.from == base);
        q->beginResetModel();
        identity = false;
        rows = std::move(result.rows);
        filteredEnd = result.to;
        q->endResetModel();
    } else {
        Q_ASSERT(result.from == filteredEnd);
        appendRows(std::move(result.rows), result.to);
    }
    countCostly(result.costlyRows, kind == Job::Replace);
    // Rows that arrived while the job ran.
    catchUp();
    if (job == Job::None)
        finishBusy();
    emitCounts();
}

// Brings the view up to limit(): the rows that arrived since the last look, filtered, in one insertion.
void TimelineViewModel::Private::catchUp()
{
    if (!source || job != Job::None)
        return;
    const qsizetype end = limit();
    if (filteredEnd >= end)
        return;
    if (identity) {
        q->beginInsertRows({}, int(filteredEnd - base), int(end - base - 1));
        filteredEnd = end;
        q->endInsertRows();
        return;
    }
    if (end - filteredEnd > SyncFilterRows) {
        startJob(Job::Append, filteredEnd, end);
        return;
    }
    std::vector<int> found;
    EventFilter::CollectStats stats;
    if (filter->decodesText()) {
        QElapsedTimer timer;
        timer.start();
        filter->collect(
            source->store()->snapshot(), filteredEnd, end, found, [&timer] { return timer.hasExpired(SyncFilterMs); },
            &stats);
    } else {
        filter->collect(source->store()->snapshot(), filteredEnd, end, found, {}, &stats);
    }
    // What was done is shown now; the rest follows from the worker, after it and in order (rows arriving
    // meanwhile wait for its answer).
    appendRows(std::move(found), stats.end);
    countCostly(stats.costlyRows, false);
    if (stats.end < end)
        startJob(Job::Append, stats.end, end);
}

void TimelineViewModel::Private::appendRows(std::vector<int>&& found, qsizetype end)
{
    filteredEnd = end;
    if (found.empty())
        return;
    const int first = int(rows.size());
    q->beginInsertRows({}, first, first + int(found.size()) - 1);
    if (rows.empty())
        rows = std::move(found);
    else
        rows.insert(rows.end(), found.begin(), found.end());
    q->endInsertRows();
}

void TimelineViewModel::Private::countCostly(qsizetype rows, bool replace)
{
    const bool had = costlyRows > 0;
    costlyRows = replace ? rows : costlyRows + rows;
    if (!had && costlyRows > 0)
        Q_EMIT q->filterTooCostly(costlyRows);
}

void TimelineViewModel::Private::finishBusy()
{
    Q_EMIT q->filterFinished(busyTimer.isValid() ? busyTimer.elapsed() : 0);
    busyTimer.invalidate();
}

void TimelineViewModel::Private::emitCounts()
{
    const qsizetype match = rowCount();
    const qsizetype total = std::max<qsizetype>(0, limit() - base);
    if (match == emittedMatch && total == emittedTotal)
        return;
    emittedMatch = match;
    emittedTotal = total;
    Q_EMIT q->countsChanged(match, total);
}

// Shows nothing from `newBase` on yet (catchUp() brings the rows in): used by clear and resets.
void TimelineViewModel::Private::resetRows(qsizetype newBase)
{
    base = newBase;
    filteredEnd = newBase;
    identity = !filter;
    std::vector<int>().swap(rows);
}

void TimelineViewModel::Private::onSourceRowsInserted()
{
    if (!paused)
        catchUp();
    emitCounts();
}

void TimelineViewModel::Private::onSourceAboutToBeReset()
{
    q->beginResetModel();
}

void TimelineViewModel::Private::onSourceReset()
{
    const bool wasBusy = cancelJob();
    resetRows(0);
    pauseAt = 0;
    const bool hadUndo = undo.has_value();
    undo.reset();
    q->endResetModel();
    catchUp();
    if (wasBusy && job == Job::None)
        finishBusy();
    if (hadUndo)
        Q_EMIT q->clearUndoAvailable(false);
    emitCounts();
}

void TimelineViewModel::Private::onSourceDestroyed()
{
    q->beginResetModel();
    for (const QMetaObject::Connection& c : std::as_const(sourceConnections))
        QObject::disconnect(c);
    sourceConnections.clear();
    const bool wasBusy = cancelJob();
    source = nullptr;
    resetRows(0);
    pauseAt = 0;
    const bool hadUndo = undo.has_value();
    undo.reset();
    q->endResetModel();
    if (wasBusy)
        finishBusy();
    if (hadUndo)
        Q_EMIT q->clearUndoAvailable(false);
    emitCounts();
}

void TimelineViewModel::Private::onSourceDataChanged(
    const QModelIndex& topLeft, const QModelIndex& bottomRight, const QList<int>& roles)
{
    if (!topLeft.isValid() || !bottomRight.isValid())
        return;
    int first = -1;
    int last = -1;
    if (identity) {
        first = int(std::max<qsizetype>(topLeft.row(), base) - base);
        last = int(std::min<qsizetype>(bottomRight.row(), filteredEnd - 1) - base);
    } else {
        first = int(std::lower_bound(rows.begin(), rows.end(), topLeft.row()) - rows.begin());
        last = int(std::upper_bound(rows.begin(), rows.end(), bottomRight.row()) - rows.begin()) - 1;
    }
    if (first <= last)
        Q_EMIT q->dataChanged(q->index(first, topLeft.column()), q->index(last, bottomRight.column()), roles);
}

TimelineViewModel::TimelineViewModel(QObject* parent)
    : QAbstractProxyModel(parent)
    , d(std::make_unique<Private>(this))
{ }

TimelineViewModel::~TimelineViewModel()
{
    // Joins the worker thread before anything it could post to goes away.
    d->worker.reset();
}

void TimelineViewModel::setSourceModel(QAbstractItemModel* sourceModel)
{
    auto* timeline = qobject_cast<TimelineModel*>(sourceModel);
    if (sourceModel && !timeline)
        qWarning("TimelineViewModel: the source model must be a TimelineModel");
    if (timeline == d->source && timeline == QAbstractProxyModel::sourceModel())
        return;

    beginResetModel();
    for (const QMetaObject::Connection& c : std::as_const(d->sourceConnections))
        disconnect(c);
    d->sourceConnections.clear();
    const bool wasBusy = d->cancelJob();
    d->source = timeline;
    QAbstractProxyModel::setSourceModel(timeline);
    d->resetRows(0);
    d->pauseAt = timeline && d->paused ? timeline->rowCount() : 0;
    const bool hadUndo = d->undo.has_value();
    d->undo.reset();
    if (timeline) {
        d->sourceConnections << connect(
            timeline, &QAbstractItemModel::rowsInserted, this, [this] { d->onSourceRowsInserted(); });
        d->sourceConnections << connect(
            timeline, &QAbstractItemModel::modelAboutToBeReset, this, [this] { d->onSourceAboutToBeReset(); });
        d->sourceConnections << connect(
            timeline, &QAbstractItemModel::modelReset, this, [this] { d->onSourceReset(); });
        d->sourceConnections << connect(timeline, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex& topLeft, const QModelIndex& bottomRight, const QList<int>& roles) {
                d->onSourceDataChanged(topLeft, bottomRight, roles);
            });
        d->sourceConnections << connect(
            timeline, &QAbstractItemModel::headerDataChanged, this, &QAbstractItemModel::headerDataChanged);
        // The capture session may go before us: forget the model then rather than read a dead one.
        d->sourceConnections << connect(timeline, &QObject::destroyed, this, [this] { d->onSourceDestroyed(); });
    }
    endResetModel();

    if (timeline && d->filter) {
        // A filter set before the source: compute it for the rows the source already has.
        d->identity = false;
        d->startJob(Private::Job::Replace, 0, d->limit());
    } else {
        d->catchUp();
    }
    if (wasBusy && d->job == Private::Job::None)
        d->finishBusy();
    if (hadUndo)
        Q_EMIT clearUndoAvailable(false);
    d->emitCounts();
}

TimelineModel* TimelineViewModel::timelineModel() const
{
    return d->source;
}

void TimelineViewModel::setFilter(const FilterSpec& spec)
{
    EventFilter compiled(spec);
    if (!compiled.isValid()) {
        // The rows stay as they were: a half-typed pattern must not blank the timeline.
        Q_EMIT filterError(compiled.errorString(), compiled.errorOffset());
        return;
    }
    if (spec == d->spec)
        return;
    d->spec = spec;
    d->costlyRows = 0;

    if (compiled.passesEverything()) {
        const bool wasBusy = d->cancelJob();
        d->filter.reset();
        if (!d->identity) {
            // Every row of [base, filteredEnd) is shown again; no vector needed.
            beginResetModel();
            d->identity = true;
            std::vector<int>().swap(d->rows);
            endResetModel();
        }
        d->catchUp();
        if (wasBusy)
            d->finishBusy();
        d->emitCounts();
        return;
    }

    d->filter = std::make_shared<const EventFilter>(std::move(compiled));
    if (!d->source)
        return;
    // The old rows stay on screen until the new ones are known; rows arriving meanwhile wait in the
    // source and are filtered with the new spec once the job's result is in (catchUp).
    d->startJob(Private::Job::Replace, d->base, d->limit());
}

FilterSpec TimelineViewModel::filter() const
{
    return d->spec;
}

bool TimelineViewModel::isFilterRunning() const
{
    return d->job != Private::Job::None;
}

bool TimelineViewModel::waitForFilter(int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (d->job != Private::Job::None) {
        if (!d->worker->waitForIdle(deadline))
            return false;
        // The result was posted to this thread; take it now rather than from the event loop. Applying it
        // may start another job (rows that arrived meanwhile), hence the loop.
        QCoreApplication::sendPostedEvents(this, QEvent::MetaCall);
        if (d->job != Private::Job::None && deadline.hasExpired())
            return false;
    }
    return true;
}

qsizetype TimelineViewModel::costlyRowCount() const
{
    return d->costlyRows;
}

qsizetype TimelineViewModel::matchCount() const
{
    return d->rowCount();
}

qsizetype TimelineViewModel::totalCount() const
{
    return std::max<qsizetype>(0, d->limit() - d->base);
}

void TimelineViewModel::setPaused(bool paused)
{
    if (paused == d->paused)
        return;
    d->paused = paused;
    if (paused)
        d->pauseAt = d->sourceCount();
    else
        d->catchUp();
    Q_EMIT pausedChanged(paused);
    d->emitCounts();
}

bool TimelineViewModel::isPaused() const
{
    return d->paused;
}

qsizetype TimelineViewModel::pendingCount() const
{
    return d->paused ? std::max<qsizetype>(0, d->sourceCount() - std::max(d->pauseAt, d->base)) : 0;
}

void TimelineViewModel::clear()
{
    if (!d->source)
        return;
    const bool wasBusy = d->cancelJob();
    Private::Undo undo;
    undo.base = d->base;
    undo.spec = d->spec;
    // The saved rows can come back as they are only if they were the answer for the current filter and
    // covered everything up to the clear point; otherwise undo filters again.
    undo.complete = !wasBusy && !d->identity && d->filter && d->filteredEnd == d->sourceCount();
    if (undo.complete)
        undo.rows = std::move(d->rows);

    beginResetModel();
    d->resetRows(d->sourceCount());
    if (d->paused)
        d->pauseAt = d->base;
    endResetModel();
    d->undo = std::move(undo);

    if (wasBusy)
        d->finishBusy();
    Q_EMIT clearUndoAvailable(true);
    d->emitCounts();
}

bool TimelineViewModel::canUndoClear() const
{
    return d->undo.has_value();
}

void TimelineViewModel::undoClear()
{
    if (!d->undo || !d->source)
        return;
    Private::Undo undo = std::move(*d->undo);
    d->undo.reset();
    const bool wasBusy = d->cancelJob();

    if (!d->filter) {
        beginResetModel();
        d->base = undo.base;
        d->identity = true;
        std::vector<int>().swap(d->rows);
        endResetModel();
        d->catchUp();
    } else if (undo.complete && !wasBusy && !d->identity && undo.spec == d->spec) {
        // Same filter as before the clear: the saved rows plus what was shown since.
        beginResetModel();
        undo.rows.insert(undo.rows.end(), d->rows.begin(), d->rows.end());
        d->rows = std::move(undo.rows);
        d->base = undo.base;
        endResetModel();
    } else {
        // The rows shown now stay until the filter over the restored range is done. Only an unfiltered
        // view depends on base for its row count, hence the reset then.
        if (d->identity) {
            beginResetModel();
            d->base = undo.base;
            endResetModel();
        } else {
            d->base = undo.base;
        }
        d->startJob(Private::Job::Replace, d->base, d->limit());
    }
    if (wasBusy && d->job == Private::Job::None)
        d->finishBusy();
    Q_EMIT clearUndoAvailable(false);
    d->emitCounts();
}

void TimelineViewModel::setTimeMode(TimeMode mode)
{
    if (mode == d->timeMode)
        return;
    d->timeMode = mode;
    const int n = rowCount();
    if (n > 0)
        Q_EMIT dataChanged(
            index(0, TimelineModel::TimeColumn), index(n - 1, TimelineModel::TimeColumn), { Qt::DisplayRole });
    Q_EMIT timeModeChanged(mode);
}

TimelineViewModel::TimeMode TimelineViewModel::timeMode() const
{
    return d->timeMode;
}

int TimelineViewModel::sourceRow(int viewRow) const
{
    if (viewRow < 0 || viewRow >= d->rowCount())
        return -1;
    return d->identity ? int(d->base + viewRow) : d->rows[size_t(viewRow)];
}

int TimelineViewModel::viewRow(int sourceRow) const
{
    if (d->identity)
        return sourceRow >= d->base && sourceRow < d->filteredEnd ? int(sourceRow - d->base) : -1;
    const auto it = std::lower_bound(d->rows.begin(), d->rows.end(), sourceRow);
    return it != d->rows.end() && *it == sourceRow ? int(it - d->rows.begin()) : -1;
}

QModelIndex TimelineViewModel::mapToSource(const QModelIndex& proxyIndex) const
{
    if (!d->source || !proxyIndex.isValid() || proxyIndex.model() != this)
        return {};
    const int row = sourceRow(proxyIndex.row());
    return row < 0 ? QModelIndex() : d->source->index(row, proxyIndex.column());
}

QModelIndex TimelineViewModel::mapFromSource(const QModelIndex& sourceIndex) const
{
    if (!d->source || !sourceIndex.isValid() || sourceIndex.model() != d->source)
        return {};
    const int row = viewRow(sourceIndex.row());
    return row < 0 ? QModelIndex() : index(row, sourceIndex.column());
}

QModelIndex TimelineViewModel::index(int row, int column, const QModelIndex& parent) const
{
    if (parent.isValid() || row < 0 || row >= rowCount() || column < 0 || column >= columnCount())
        return {};
    return createIndex(row, column);
}

QModelIndex TimelineViewModel::parent(const QModelIndex&) const
{
    return {};
}

QModelIndex TimelineViewModel::sibling(int row, int column, const QModelIndex& idx) const
{
    return idx.isValid() ? index(row, column) : QModelIndex();
}

bool TimelineViewModel::hasChildren(const QModelIndex& parent) const
{
    return !parent.isValid() && rowCount() > 0;
}

int TimelineViewModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : d->rowCount();
}

int TimelineViewModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() || !d->source ? 0 : d->source->columnCount();
}

QVariant TimelineViewModel::data(const QModelIndex& index, int role) const
{
    if (!d->source || !index.isValid())
        return {};
    Q_ASSERT(checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid));
    const int row = sourceRow(index.row());
    if (row < 0)
        return {};
    if (role == Qt::DisplayRole && index.column() == TimelineModel::TimeColumn && d->timeMode != TimeMode::Absolute) {
        const EventStore* store = d->source->store();
        const qint64 us = store->timestampUs(row);
        // Wall-clock microseconds rather than the monotonic clock: they stay comparable across an opened
        // recording and the capture that continues it.
        if (d->timeMode == TimeMode::Relative)
            return secondsText(us - store->timestampUs(0));
        const int previous = index.row() > 0 ? sourceRow(index.row() - 1) : row;
        return secondsText(us - store->timestampUs(previous));
    }
    return d->source->data(d->source->index(row, index.column()), role);
}

QVariant TimelineViewModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (!d->source)
        return {};
    // Horizontal headers do not depend on rows (the base class asks for row 0, which an empty view lacks).
    if (orientation == Qt::Horizontal)
        return d->source->headerData(section, orientation, role);
    const int row = sourceRow(section);
    return row < 0 ? QVariant() : d->source->headerData(row, orientation, role);
}

} // namespace wsi
