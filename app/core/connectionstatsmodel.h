#pragma once

#include <QAbstractTableModel>

namespace wsi {

class SessionStatistics;

/*
 * The per-connection figures of a SessionStatistics as a table: one row per connection in the order it was
 * first seen, with its traffic each way, how long it was open, how it ended and its ping round-trip time.
 * The figures change with every batch, but the table only learns of it in refresh(), which the view's owner
 * calls a few times a second: a flood of events must not turn into a flood of repaints. SortRole gives the
 * raw number (or text) of a cell, for a QSortFilterProxyModel over the few rows this holds.
 */
class ConnectionStatsModel : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionStatsModel)

public:
    enum Column {
        // The figures come first, where a narrow dock still shows them; the long texts go last.
        IdColumn,
        RoleColumn,
        StateColumn,
        MessagesC2SColumn,
        MessagesS2CColumn,
        BytesC2SColumn,
        BytesS2CColumn,
        OpenTimeColumn,
        PingColumn,
        CloseColumn,
        UrlColumn,
        PeerColumn,
        ColumnCount
    };
    Q_ENUM(Column)
    enum Role {
        SortRole = Qt::UserRole + 1, // qint64 or QString: what the column sorts by
        ConnectionIdRole, // quint32
    };

    explicit ConnectionStatsModel(const SessionStatistics* statistics, QObject* parent = nullptr);
    ~ConnectionStatsModel() override;

    // Takes in new connections and tells views that the figures of the others changed.
    void refresh();

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    // "850 µs", "12.3 ms", "1.25 s": round-trip times.
    static QString rttText(qint64 ns);
    // "0.4 s", "42 s", "3 min 05 s", "2 h 07 min": how long something lasted.
    static QString durationText(qint64 us);

private:
    const SessionStatistics* m_statistics;
    int m_rows = 0; // rows the views know of; the statistics may already hold more
    qint64 m_nowUs = 0; // the clock open times are measured against, taken at refresh()
};

} // namespace wsi
