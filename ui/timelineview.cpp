#include "timelineview.h"

#include "core/eventstore.h"
#include "core/timelinemodel.h"
#include "core/timelineviewmodel.h"
#include "formats/jsonlcodec.h"
#include "timelinedelegate.h"

#include <QEvent>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLocale>
#include <QPainter>
#include <QScopedValueRollback>
#include <QScrollBar>
#include <QToolButton>

#include <algorithm>

namespace wsi {

TimelineView::TimelineView(QWidget* parent)
    : QTableView(parent)
    , m_delegate(new TimelineDelegate(this))
    , m_hint(new QToolButton(this))
{
    setItemDelegate(m_delegate);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    // Several rows can be selected to copy them; the detail pane shows the current one.
    setSelectionMode(QAbstractItemView::ExtendedSelection);
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

    // A child of the view rather than of the viewport: the viewport scrolls its children with the rows.
    m_hint->setObjectName(QStringLiteral("followHint"));
    m_hint->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_hint->setIcon(QIcon::fromTheme(QStringLiteral("go-bottom")));
    m_hint->setCursor(Qt::PointingHandCursor);
    m_hint->setFocusPolicy(Qt::NoFocus);
    m_hint->setToolTip(tr("Scroll to the newest event and follow the capture again (End)"));
    // Drawn in the selection colours, so that it reads as a control floating over the rows on any theme.
    m_hint->setStyleSheet(
        QStringLiteral("QToolButton { background: palette(highlight); color: palette(highlighted-text);"
                       " border: none; border-radius: 6px; padding: 4px 12px; }"));
    m_hint->hide();
    connect(m_hint, &QToolButton::clicked, this, &TimelineView::jumpToLatest);

    QScrollBar* bar = verticalScrollBar();
    connect(bar, &QScrollBar::valueChanged, this, &TimelineView::onScrollValueChanged);
    // The range changes when rows arrive and when the view is resized; a following view stays at the end.
    connect(bar, &QScrollBar::rangeChanged, this, [this](int, int max) {
        if (m_following && verticalScrollBar()->value() != max) {
            const QScopedValueRollback guard(m_autoScrolling, true);
            verticalScrollBar()->setValue(max);
        }
    });
    applyMetrics();
}

TimelineView::~TimelineView() = default;

void TimelineView::setModel(QAbstractItemModel* newModel)
{
    if (newModel == model())
        return;
    for (const QMetaObject::Connection& c : std::as_const(m_modelConnections))
        disconnect(c);
    m_modelConnections.clear();
    QTableView::setModel(newModel);
    m_newRows = 0;
    m_lastEmittedRow = -2;
    setFollowing(true);
    if (newModel) {
        // A new filter resets the model; the event the user was looking at should survive it.
        m_modelConnections << connect(
            newModel, &QAbstractItemModel::modelAboutToBeReset, this, &TimelineView::rememberCurrent);
        m_modelConnections << connect(newModel, &QAbstractItemModel::modelReset, this, &TimelineView::restoreCurrent);
    }
    applyMetrics();
    emitCurrentEvent();
}

int TimelineView::sourceRow(int viewRow) const
{
    if (const auto* viewModel = qobject_cast<const TimelineViewModel*>(model()))
        return viewModel->sourceRow(viewRow);
    return model() && viewRow >= 0 && viewRow < model()->rowCount() ? viewRow : -1;
}

int TimelineView::viewRow(int sourceRow) const
{
    if (const auto* viewModel = qobject_cast<const TimelineViewModel*>(model()))
        return viewModel->viewRow(sourceRow);
    return model() && sourceRow >= 0 && sourceRow < model()->rowCount() ? sourceRow : -1;
}

const EventStore* TimelineView::store() const
{
    if (const auto* viewModel = qobject_cast<const TimelineViewModel*>(model()))
        return viewModel->timelineModel() ? viewModel->timelineModel()->store() : nullptr;
    if (const auto* timeline = qobject_cast<const TimelineModel*>(model()))
        return timeline->store();
    return nullptr;
}

int TimelineView::currentSourceRow() const
{
    const QItemSelectionModel* selection = selectionModel();
    if (!selection)
        return -1;
    const QModelIndex current = selection->currentIndex();
    if (current.isValid() && selection->isRowSelected(current.row()))
        return sourceRow(current.row());
    const QList<int> rows = selectedSourceRows();
    return rows.isEmpty() ? -1 : rows.constFirst();
}

QList<int> TimelineView::selectedSourceRows() const
{
    QList<int> rows;
    if (!selectionModel())
        return rows;
    // Straight from the ranges: selectedRows() would make an index per row and column.
    const QItemSelection selection = selectionModel()->selection();
    for (const QItemSelectionRange& range : selection) {
        for (int row = range.top(); row <= range.bottom(); ++row)
            rows.append(row);
    }
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    QList<int> sourceRows;
    sourceRows.reserve(rows.size());
    for (int row : std::as_const(rows)) {
        const int source = sourceRow(row);
        if (source >= 0)
            sourceRows.append(source);
    }
    return sourceRows;
}

QString TimelineView::selectionAsText() const
{
    if (!model() || !selectionModel())
        return {};
    QList<int> rows;
    for (const QItemSelectionRange& range : selectionModel()->selection()) {
        for (int row = range.top(); row <= range.bottom(); ++row)
            rows.append(row);
    }
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());

    // The columns the user sees, in the order they see them.
    const QHeaderView* header = horizontalHeader();
    QList<int> columns;
    for (int visual = 0; visual < header->count(); ++visual) {
        const int logical = header->logicalIndex(visual);
        if (!header->isSectionHidden(logical))
            columns.append(logical);
    }
    QString text;
    for (int row : std::as_const(rows)) {
        if (!text.isEmpty())
            text += QLatin1Char('\n');
        for (qsizetype i = 0; i < columns.size(); ++i) {
            if (i > 0)
                text += QLatin1Char('\t');
            text += model()->index(row, columns.at(i)).data(Qt::DisplayRole).toString();
        }
    }
    return text;
}

QByteArray TimelineView::selectionAsJsonLines() const
{
    const EventStore* events = store();
    if (!events)
        return {};
    QByteArray out;
    for (int row : selectedSourceRows()) {
        if (row < events->count())
            jsonl::appendEvent(out, events->event(row));
    }
    return out;
}

void TimelineView::jumpToLatest()
{
    setFollowing(true);
    const QScopedValueRollback guard(m_autoScrolling, true);
    scrollToBottom();
}

void TimelineView::setFollowing(bool following)
{
    if (following)
        m_newRows = 0;
    m_following = following;
    updateHint();
}

void TimelineView::onScrollValueChanged(int value)
{
    if (m_autoScrolling)
        return;
    // Scrolling up means "let me read"; reaching the bottom again means "show me what comes".
    setFollowing(value >= verticalScrollBar()->maximum());
}

void TimelineView::rowsInserted(const QModelIndex& parent, int start, int end)
{
    QTableView::rowsInserted(parent, start, end);
    if (parent.isValid())
        return;
    if (m_following) {
        const QScopedValueRollback guard(m_autoScrolling, true);
        scrollToBottom(); // lays out the pending rows first, so the range includes them
    } else {
        m_newRows += end - start + 1;
        updateHint();
    }
}

bool TimelineView::showsEmptyHint() const
{
    if (!model() || model()->rowCount(rootIndex()) > 0)
        return false;
    const EventStore* events = store();
    return !events || events->count() == 0;
}

QString TimelineView::emptyHintText()
{
    return tr("Start the test server or connect to a URL");
}

void TimelineView::paintEvent(QPaintEvent* event)
{
    QTableView::paintEvent(event);
    if (!showsEmptyHint())
        return;
    // Painted, not a child widget: it must not take clicks or focus, and it goes with the first row.
    QPainter painter(viewport());
    painter.setPen(palette().color(QPalette::PlaceholderText));
    const QRect area = viewport()->rect().adjusted(12, 12, -12, -12);
    painter.drawText(area, Qt::AlignCenter | Qt::TextWordWrap, emptyHintText());
}

QModelIndex TimelineView::moveCursor(CursorAction cursorAction, Qt::KeyboardModifiers modifiers)
{
    // A table's Home/End move between columns; in a timeline of whole-row selections they mean first and
    // newest event.
    if ((cursorAction == MoveHome || cursorAction == MoveEnd) && model()) {
        const int rows = model()->rowCount(rootIndex());
        if (rows == 0)
            return {};
        const QModelIndex current = currentIndex();
        const int column = current.isValid() ? current.column() : horizontalHeader()->logicalIndex(0);
        return model()->index(cursorAction == MoveHome ? 0 : rows - 1, column, rootIndex());
    }
    return QTableView::moveCursor(cursorAction, modifiers);
}

void TimelineView::keyPressEvent(QKeyEvent* event)
{
    if (event->matches(QKeySequence::Copy)) {
        // Copying whole rows is the window's Copy action; its shortcut takes Ctrl+C before it gets here
        // whenever rows are selected. Without a selection there is nothing to copy, and the base class would
        // copy the current cell over whatever the clipboard holds.
        event->accept();
        return;
    }
    QTableView::keyPressEvent(event);
    if (event->key() == Qt::Key_End)
        jumpToLatest();
}

void TimelineView::changeEvent(QEvent* event)
{
    QTableView::changeEvent(event);
    if (event->type() == QEvent::FontChange || event->type() == QEvent::StyleChange)
        applyMetrics();
}

void TimelineView::resizeEvent(QResizeEvent* event)
{
    QTableView::resizeEvent(event);
    placeHint();
}

void TimelineView::selectionChanged(const QItemSelection& selected, const QItemSelection& deselected)
{
    QTableView::selectionChanged(selected, deselected);
    emitCurrentEvent();
}

void TimelineView::currentChanged(const QModelIndex& current, const QModelIndex& previous)
{
    QTableView::currentChanged(current, previous);
    emitCurrentEvent();
}

void TimelineView::emitCurrentEvent()
{
    const int row = currentSourceRow();
    if (row == m_lastEmittedRow)
        return;
    m_lastEmittedRow = row;
    Q_EMIT currentEventChanged(row);
}

void TimelineView::rememberCurrent()
{
    m_rememberedSourceRow = currentSourceRow();
    m_rememberedFollowing = m_following;
}

void TimelineView::restoreCurrent()
{
    // Everything below moves the scroll bar; none of it is the user scrolling.
    const QScopedValueRollback guard(m_autoScrolling, true);
    // Lay the new rows out now, so that the scroll range is right before the view is positioned.
    executeDelayedItemsLayout();
    m_newRows = 0;
    // The selection model cleared itself without a signal. The event is reselected below when it is still
    // shown, and then m_lastEmittedRow is already right: a new filter over the same selected event must not
    // make the detail pane render it again. When it is gone, emitCurrentEvent() at the end reports -1.
    const int row = m_rememberedSourceRow >= 0 ? viewRow(m_rememberedSourceRow) : -1;
    m_rememberedSourceRow = -1;
    if (row >= 0) {
        const QModelIndex index = model()->index(row, 0);
        selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        if (!m_rememberedFollowing)
            scrollTo(index, QAbstractItemView::PositionAtCenter);
    }
    if (m_rememberedFollowing)
        scrollToBottom();
    const QScrollBar* bar = verticalScrollBar();
    setFollowing(m_rememberedFollowing || bar->value() >= bar->maximum());
    emitCurrentEvent();
}

void TimelineView::updateHint()
{
    const bool show = !m_following && m_newRows > 0;
    if (show) {
        m_hint->setText(tr("%1 new \u2014 jump to latest").arg(QLocale().toString(m_newRows)));
        placeHint();
    }
    m_hint->setVisible(show);
    if (show)
        m_hint->raise();
}

void TimelineView::placeHint()
{
    const QRect area = viewport()->geometry();
    const QSize size = m_hint->sizeHint();
    const int margin = fontMetrics().height() / 2;
    m_hint->setGeometry(
        QRect(QPoint(area.center().x() - size.width() / 2, area.bottom() - size.height() - margin), size));
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
    // Close frames are painted bold; they must fit too.
    QFont boldFont = font();
    boldFont.setBold(true);
    const QFontMetrics boldFm(boldFont);
    const int pad = 2 * fm.horizontalAdvance(QLatin1Char('M'));
    auto width = [&](TimelineModel::Column column, const QString& sample) {
        const QString title = model()->headerData(column, Qt::Horizontal).toString();
        return std::max(boldFm.horizontalAdvance(sample), headerFm.horizontalAdvance(title)) + pad;
    };
    header->resizeSection(TimelineModel::SeqColumn, width(TimelineModel::SeqColumn, QStringLiteral("0000000")));
    // Wide enough for each time mode: time of day with µs, or seconds since the start of a day-long session.
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
