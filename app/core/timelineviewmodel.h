#pragma once

#include "filterspec.h"

#include <QAbstractProxyModel>

#include <memory>

namespace wsi {

class TimelineModel;

/*
 * What the timeline view shows of a TimelineModel: the rows that pass the current filter, minus the rows
 * hidden by Clear (which can be undone), frozen while the display is paused (capture goes on), with the
 * time column in the chosen mode. Rows are kept as a vector of source rows; filtering a big log runs on a
 * worker thread (a newer filter cancels an older one) and new batches are filtered incrementally, so the
 * GUI thread never scans the whole store. With no filter the mapping is the identity and costs nothing.
 */
class TimelineViewModel : public QAbstractProxyModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TimelineViewModel)

public:
    enum class TimeMode {
        Absolute, // wall-clock time of day as the TimelineModel shows it, HH:mm:ss.zzz plus microseconds
        Relative, // seconds since the first event of the session, +12.345678
        Delta, // seconds since the previous visible row, +0.000123
    };
    Q_ENUM(TimeMode)

    explicit TimelineViewModel(QObject* parent = nullptr);
    ~TimelineViewModel() override;

    // Must be a TimelineModel (its store is read by the filter worker).
    void setSourceModel(QAbstractItemModel* sourceModel) override;
    TimelineModel* timelineModel() const;

    // Starts filtering with this spec (asynchronously for big logs; filterRunning() says so meanwhile). An
    // invalid regular expression leaves the rows as they were and reports filterError().
    void setFilter(const FilterSpec& spec);
    FilterSpec filter() const;
    bool isFilterRunning() const;
    // Blocks until the current filter job is done (tests, benchmarks). False on timeout.
    bool waitForFilter(int timeoutMs = 30000);
    // Rows the current regular expression gave up on (catastrophic backtracking, see BoundedRegex::MatchLimits)
    // since it was last computed; they are not shown. filterTooCostly() says when it stops being 0.
    qsizetype costlyRowCount() const;

    // Rows shown / rows there are since the last clear (excluding rows that arrived while paused).
    qsizetype matchCount() const;
    qsizetype totalCount() const;

    // While paused, new rows are not shown (they are still recorded and filtered once resumed).
    void setPaused(bool paused);
    bool isPaused() const;
    qsizetype pendingCount() const; // rows recorded since the pause began

    // Hides every row recorded so far; undoClear() shows them again (only the last clear can be undone).
    void clear();
    bool canUndoClear() const;
    void undoClear();

    void setTimeMode(TimeMode mode);
    TimeMode timeMode() const;

    // Row mapping; -1 when out of range or hidden.
    int sourceRow(int viewRow) const;
    int viewRow(int sourceRow) const;

    QModelIndex mapToSource(const QModelIndex& proxyIndex) const override;
    QModelIndex mapFromSource(const QModelIndex& sourceIndex) const override;
    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    QModelIndex sibling(int row, int column, const QModelIndex& idx) const override;
    bool hasChildren(const QModelIndex& parent = {}) const override;

Q_SIGNALS:
    void filterStarted();
    void filterFinished(qint64 elapsedMs);
    void filterError(const QString& message, int offset); // invalid regex: what and where (-1 when unknown)
    void filterTooCostly(qsizetype rows); // once per filter: the expression gave up on some rows
    void countsChanged(qsizetype matchCount, qsizetype totalCount);
    void pausedChanged(bool paused);
    void clearUndoAvailable(bool available);
    void timeModeChanged(wsi::TimelineViewModel::TimeMode mode);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace wsi
