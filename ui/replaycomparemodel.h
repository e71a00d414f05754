#pragma once

#include "replay/replaycompare.h"

#include <QAbstractTableModel>
#include <QPalette>

#include <array>
#include <optional>

namespace wsi {

/*
 * The replay pane's comparison: one row per s2c message index, the recorded message beside the one the replay
 * received, with its status (equal, differs, missing, extra, or still awaited while the replay runs) and the
 * JSON paths that differ. Rows are compared as messages arrive (ReplayCompare::compareMessage, one at a time,
 * so a long run does not compare everything again for each message); new ignore paths compare them all again.
 * Until finish(), a recorded message not received yet is awaited, not missing.
 */
class ReplayCompareModel : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReplayCompareModel)

public:
    enum Column {
        IndexColumn, // 1-based, as the engine's messages name them
        StatusColumn,
        PathsColumn, // differing JSON paths, or where bytes differ
        RecordedColumn,
        ReceivedColumn,
        ColumnCount
    };
    enum Role {
        // On any column: int(ReplayCompareRow::Status), or Awaited.
        StatusRole = Qt::UserRole + 1,
    };
    static constexpr int Awaited = -1;

    explicit ReplayCompareModel(QObject* parent = nullptr);
    ~ReplayCompareModel() override;

    // A new comparison: every recorded message awaited, nothing received, not finished.
    void reset(QList<ReplayMessage> recorded);
    // The next message the replay received.
    void addReceived(const ReplayMessage& message);
    // The replay is over: what did not come is missing.
    void finish();
    bool isFinished() const { return m_finished; }
    // Compares every row again, leaving out what these patterns cover.
    void setIgnorePaths(QList<JsonPathPattern> patterns);
    // Status colours are made readable on this palette's base colour.
    void setPalette(const QPalette& palette);

    qsizetype recordedCount() const { return m_recorded.size(); }
    qsizetype receivedCount() const { return m_received.size(); }
    // The comparison of one row; nullopt while it is awaited (or out of range).
    std::optional<ReplayCompareRow> comparison(int row) const;
    const ReplayMessage* recorded(int row) const;
    const ReplayMessage* received(int row) const;
    // How many rows have each status (Awaited rows are counted in awaitedCount()).
    int count(ReplayCompareRow::Status status) const;
    int awaitedCount() const;
    // "12 messages: 10 equal, 1 differs, 1 missing" (and "3 awaited" while running); empty with no rows.
    QString summary() const;
    // The row's differences, one per line, for a person (ReplayCompareRow::describe); empty when equal.
    QString describe(int row) const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    // The counts (and so the summary) changed.
    void summaryChanged();

private:
    // Compares row again when both sides or the end of the run make its status known.
    void compareRow(int row);
    QString statusText(int row) const;
    QString pathsText(const ReplayCompareRow& row) const;

    QList<ReplayMessage> m_recorded;
    QList<ReplayMessage> m_received;
    // One per row: nullopt while awaited.
    QList<std::optional<ReplayCompareRow>> m_rows;
    // Rows of each status, kept as rows change: the summary is asked for after every message of a long run.
    std::array<int, 4> m_counts {};
    ReplayCompare m_compare;
    bool m_finished = false;
    QPalette m_palette;
};

} // namespace wsi
