#include "statspane.h"

#include "core/connectionstatsmodel.h"
#include "core/sessionstatistics.h"
#include "ratechart.h"

#include <QButtonGroup>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace wsi {

StatsPane::StatsPane(TimelineModel* model, QWidget* parent)
    : QWidget(parent)
    , m_statistics(new SessionStatistics(model, this))
    , m_connections(new ConnectionStatsModel(m_statistics, this))
    , m_sorted(new QSortFilterProxyModel(this))
    , m_chart(new RateChart(this))
    , m_messagesButton(new QToolButton(this))
    , m_bytesButton(new QToolButton(this))
    , m_totals(new QLabel(this))
    , m_table(new QTableView(this))
    , m_splitter(new QSplitter(Qt::Horizontal, this))
    , m_timer(new QTimer(this))
{
    setObjectName(QStringLiteral("statsPane"));

    m_messagesButton->setObjectName(QStringLiteral("messagesRateButton"));
    m_messagesButton->setText(tr("&Messages/s"));
    m_messagesButton->setToolTip(tr("Chart text and binary messages per second"));
    m_bytesButton->setObjectName(QStringLiteral("bytesRateButton"));
    m_bytesButton->setText(tr("&Bytes/s"));
    m_bytesButton->setToolTip(tr("Chart payload bytes of text and binary messages per second"));
    auto* metricGroup = new QButtonGroup(this);
    for (QAbstractButton* b : { m_messagesButton, m_bytesButton }) {
        b->setCheckable(true);
        metricGroup->addButton(b);
    }
    m_messagesButton->setChecked(true);
    connect(metricGroup, &QButtonGroup::buttonToggled, this, [this](QAbstractButton* button, bool checked) {
        if (checked)
            m_chart->setMetric(button == m_bytesButton ? RateChart::Metric::Bytes : RateChart::Metric::Messages);
    });

    m_totals->setObjectName(QStringLiteral("statsTotalsLabel"));
    m_totals->setTextFormat(Qt::PlainText);
    m_totals->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_totals->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred); // long totals must not widen the dock

    m_sorted->setSourceModel(m_connections);
    m_sorted->setSortRole(ConnectionStatsModel::SortRole);
    m_table->setObjectName(QStringLiteral("connectionStatsTable"));
    m_table->setModel(m_sorted);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(ConnectionStatsModel::IdColumn, Qt::AscendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideMiddle);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    QHeaderView* header = m_table->horizontalHeader();
    header->setHighlightSections(false);
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setStretchLastSection(true);
    const int digit = m_table->fontMetrics().horizontalAdvance(QLatin1Char('8'));
    auto widthFor = [&](int column, int chars) {
        const int title
            = header->fontMetrics().horizontalAdvance(m_connections->headerData(column, Qt::Horizontal).toString())
            + digit * 3; // room for the sort arrow
        m_table->setColumnWidth(column, std::max(title, digit * chars));
    };
    widthFor(ConnectionStatsModel::IdColumn, 4);
    widthFor(ConnectionStatsModel::RoleColumn, 6);
    widthFor(ConnectionStatsModel::UrlColumn, 24);
    widthFor(ConnectionStatsModel::PeerColumn, 15);
    widthFor(ConnectionStatsModel::StateColumn, 8);
    widthFor(ConnectionStatsModel::MessagesC2SColumn, 9);
    widthFor(ConnectionStatsModel::MessagesS2CColumn, 9);
    widthFor(ConnectionStatsModel::BytesC2SColumn, 11);
    widthFor(ConnectionStatsModel::BytesS2CColumn, 11);
    widthFor(ConnectionStatsModel::OpenTimeColumn, 10);
    widthFor(ConnectionStatsModel::CloseColumn, 16);
    widthFor(ConnectionStatsModel::PingColumn, 9);

    auto* chartBox = new QWidget(this);
    auto* chartLayout = new QVBoxLayout(chartBox);
    chartLayout->setContentsMargins(0, 0, 0, 0);
    chartLayout->setSpacing(2);
    auto* bar = new QHBoxLayout;
    bar->setSpacing(2);
    bar->addWidget(m_messagesButton);
    bar->addWidget(m_bytesButton);
    bar->addSpacing(8);
    bar->addWidget(m_totals, 1);
    chartLayout->addLayout(bar);
    chartLayout->addWidget(m_chart, 1);

    m_splitter->setObjectName(QStringLiteral("statsSplitter"));
    m_splitter->addWidget(chartBox);
    m_splitter->addWidget(m_table);
    m_splitter->setChildrenCollapsible(false);
    m_splitter->setStretchFactor(0, 1);
    m_splitter->setStretchFactor(1, 1);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_splitter);

    // Repaints follow the clock, not the traffic; nothing is refreshed while the pane is hidden.
    m_timer->setInterval(RefreshIntervalMs);
    connect(m_timer, &QTimer::timeout, this, &StatsPane::refresh);
    // A cleared timeline must not leave the old figures on screen until the next tick.
    connect(m_statistics, &SessionStatistics::statisticsReset, this, &StatsPane::refresh);
    refresh();
}

StatsPane::~StatsPane() = default;

void StatsPane::refresh()
{
    const bool live = m_statistics->isLive();
    // A recording does not change by itself; a live window moves with the clock even without traffic.
    if (m_statistics->revision() == m_shownRevision && !live)
        return;
    m_shownRevision = m_statistics->revision();
    const bool hasEvents = m_statistics->hasEvents();
    m_chart->setWindow(m_statistics->window(m_statistics->windowEndSecond(nowUs())), live || !hasEvents, hasEvents);
    m_connections->refresh();
    updateTotals();
}

void StatsPane::updateTotals()
{
    const QLocale locale;
    const auto& totals = m_statistics->totals();
    const auto& c2s = totals[SessionStatistics::C2S];
    const auto& s2c = totals[SessionStatistics::S2C];
    int open = 0;
    for (const auto& c : m_statistics->connections())
        open += c.state == ConnectionState::Open || c.state == ConnectionState::Closing ? 1 : 0;
    const qsizetype connections = qsizetype(m_statistics->connections().size());
    const QString connectionText = connections == 1 ? tr("1 connection") : tr("%1 connections").arg(connections);
    m_totals->setText(
        tr("\u2192 c2s %1 msgs, %2   \u2190 s2c %3 msgs, %4   %5, %6 open")
            .arg(locale.toString(c2s.messages), locale.formattedDataSize(c2s.bytes, 1), locale.toString(s2c.messages),
                locale.formattedDataSize(s2c.bytes, 1), connectionText, locale.toString(open)));
    m_totals->setToolTip(
        tr("Client to server: %1 messages, %2 bytes, %3 control frames\n"
           "Server to client: %4 messages, %5 bytes, %6 control frames\n"
           "Control frames (ping, pong, close) are not counted as messages.")
            .arg(locale.toString(c2s.messages), locale.toString(c2s.bytes), locale.toString(c2s.controlFrames),
                locale.toString(s2c.messages), locale.toString(s2c.bytes), locale.toString(s2c.controlFrames)));
}

void StatsPane::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    refresh();
    m_timer->start();
}

void StatsPane::hideEvent(QHideEvent* event)
{
    m_timer->stop();
    QWidget::hideEvent(event);
}

void StatsPane::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    // Docked at the bottom the pane is wide: chart beside table. Docked at a side it is tall: chart above.
    const Qt::Orientation wanted = width() >= height() * 3 / 2 ? Qt::Horizontal : Qt::Vertical;
    if (m_splitter->orientation() != wanted)
        m_splitter->setOrientation(wanted);
}

} // namespace wsi
