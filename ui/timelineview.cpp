#include "timelineview.h"

#include "core/timelinemodel.h"
#include "timelinedelegate.h"

#include <QEvent>
#include <QHeaderView>
#include <QScrollBar>

#include <algorithm>

namespace wsi {

TimelineView::TimelineView(QWidget* parent)
    : QTableView(parent)
    , m_delegate(new TimelineDelegate(this))
{
    setItemDelegate(m_delegate);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setSelectionMode(QAbstractItemView::SingleSelection);
    setAlternatingRowColors(false);
    setShowGrid(false);
    // Wrapping would make Qt measure every row's text; rows are one line, the detail pane shows the rest.
    setWordWrap(false);
    setTextElideMode(Qt::ElideRight);
    setHorizontalScrollMode(QAbstractItemView::ScrollPerPixel);
    verticalHeader()->hide();
    // Fixed sections: the view never asks the model for size hints, whatever the row count.
    verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    horizontalHeader()->setHighlightSections(false);
    horizontalHeader()->setStretchLastSection(true);
    applyMetrics();
}

TimelineView::~TimelineView() = default;

void TimelineView::setModel(QAbstractItemModel* newModel)
{
    if (newModel == model())
        return;
    disconnect(m_aboutToInsertConnection);
    disconnect(m_resetConnection);
    QTableView::setModel(newModel);
    m_wasAtBottom = true;
    if (newModel) {
        // Whether to follow has to be decided before the rows land: afterwards the scroll range is stale.
        m_aboutToInsertConnection = connect(
            newModel, &QAbstractItemModel::rowsAboutToBeInserted, this, [this] { m_wasAtBottom = isFollowing(); });
        m_resetConnection = connect(newModel, &QAbstractItemModel::modelReset, this, [this] { m_wasAtBottom = true; });
    }
    applyMetrics();
}

bool TimelineView::isFollowing() const
{
    const QScrollBar* bar = verticalScrollBar();
    return bar->value() >= bar->maximum();
}

void TimelineView::rowsInserted(const QModelIndex& parent, int start, int end)
{
    QTableView::rowsInserted(parent, start, end);
    if (!parent.isValid() && m_wasAtBottom)
        scrollToBottom(); // lays out the pending rows first, so the range includes them
}

void TimelineView::changeEvent(QEvent* event)
{
    QTableView::changeEvent(event);
    if (event->type() == QEvent::FontChange || event->type() == QEvent::StyleChange)
        applyMetrics();
}

void TimelineView::applyMetrics()
{
    const QFontMetrics fm = fontMetrics();
    const int rowHeight = fm.height() + 6;
    verticalHeader()->setMinimumSectionSize(fm.height());
    verticalHeader()->setDefaultSectionSize(rowHeight);

    if (!model() || model()->columnCount() < TimelineModel::ColumnCount)
        return;
    // Widths from sample text rather than from the data: measuring a million rows is not an option.
    QHeaderView* header = horizontalHeader();
    const QFontMetrics headerFm = header->fontMetrics();
    const int pad = 2 * fm.horizontalAdvance(QLatin1Char('M'));
    auto width = [&](TimelineModel::Column column, const QString& sample) {
        const QString title = model()->headerData(column, Qt::Horizontal).toString();
        return std::max(fm.horizontalAdvance(sample), headerFm.horizontalAdvance(title)) + pad;
    };
    header->resizeSection(TimelineModel::SeqColumn, width(TimelineModel::SeqColumn, QStringLiteral("0000000")));
    header->resizeSection(
        TimelineModel::TimeColumn, width(TimelineModel::TimeColumn, QStringLiteral("00:00:00.000000")));
    header->resizeSection(
        TimelineModel::ConnectionColumn, width(TimelineModel::ConnectionColumn, QStringLiteral("0000 client")));
    header->resizeSection(
        TimelineModel::DirectionColumn, width(TimelineModel::DirectionColumn, QStringLiteral("\u2190 s2c")));
    header->resizeSection(
        TimelineModel::KindColumn, width(TimelineModel::KindColumn, QStringLiteral("handshake-response")));
    header->resizeSection(TimelineModel::SizeColumn, width(TimelineModel::SizeColumn, QStringLiteral("00,000,000")));
    // Preview is the last column and stretches.
}

} // namespace wsi
