#pragma once

#include <QWidget>

class QAbstractButton;
class QLabel;
class QSortFilterProxyModel;
class QSplitter;
class QTableView;
class QTimer;

namespace wsi {

class ConnectionStatsModel;
class RateChart;
class SessionStatistics;
class TimelineModel;

/*
 * The statistics dock's content: a chart of messages/s or bytes/s per direction over the last 60 s, the
 * totals of the session, and a sortable table of the connections with their traffic, open time, close code and
 * ping round-trip time. The figures are kept up to date per batch by a SessionStatistics; the widgets are
 * refreshed from them at most RefreshIntervalMs apart and only while the pane is visible, so a flood of
 * events never turns into a flood of repaints.
 */
class StatsPane : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StatsPane)

public:
    static constexpr int RefreshIntervalMs = 333;

    explicit StatsPane(TimelineModel* model, QWidget* parent = nullptr);
    ~StatsPane() override;

    SessionStatistics* statistics() const { return m_statistics; }
    ConnectionStatsModel* connectionModel() const { return m_connections; }
    RateChart* chart() const { return m_chart; }
    QTableView* table() const { return m_table; }

public Q_SLOTS:
    // Brings chart, totals and table up to date now (the timer does it while the pane is shown).
    void refresh();

protected:
    void showEvent(QShowEvent* event) override;
    void hideEvent(QHideEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    void updateTotals();

    SessionStatistics* m_statistics;
    ConnectionStatsModel* m_connections;
    QSortFilterProxyModel* m_sorted;
    RateChart* m_chart;
    QAbstractButton* m_messagesButton;
    QAbstractButton* m_bytesButton;
    QLabel* m_totals;
    QTableView* m_table;
    QSplitter* m_splitter;
    QTimer* m_timer;
    quint64 m_shownRevision = ~quint64(0);
};

} // namespace wsi
