#include "replaycomparemodel.h"

#include "core/event.h"
#include "timelinedelegate.h"

#include <QStringList>

namespace wsi {

namespace {
constexpr int PreviewChars = 120;
constexpr int GreenHue = 120;
constexpr int RedHue = 0;
constexpr int AmberHue = 35;

QString preview(const ReplayMessage& m)
{
    return eventPreview(m.text ? EventKind::Text : EventKind::Binary, 0, m.payload, PreviewChars);
}
} // namespace

ReplayCompareModel::ReplayCompareModel(QObject* parent)
    : QAbstractTableModel(parent)
{ }

ReplayCompareModel::~ReplayCompareModel() = default;

void ReplayCompareModel::reset(QList<ReplayMessage> recorded)
{
    beginResetModel();
    m_recorded = std::move(recorded);
    m_received.clear();
    m_rows = QList<std::optional<ReplayCompareRow>>(m_recorded.size());
    m_counts = {};
    m_finished = false;
    endResetModel();
    Q_EMIT summaryChanged();
}

void ReplayCompareModel::addReceived(const ReplayMessage& message)
{
    m_received.append(message);
    const int row = int(m_received.size()) - 1;
    if (row >= m_rows.size()) {
        beginInsertRows({}, row, row);
        m_rows.append(std::nullopt);
        compareRow(row);
        endInsertRows();
    } else {
        compareRow(row);
        Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    }
    Q_EMIT summaryChanged();
}

void ReplayCompareModel::finish()
{
    if (m_finished)
        return;
    m_finished = true;
    for (int row = int(m_received.size()); row < m_rows.size(); ++row)
        compareRow(row);
    if (m_received.size() < m_rows.size())
        Q_EMIT dataChanged(index(int(m_received.size()), 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
    Q_EMIT summaryChanged();
}

void ReplayCompareModel::setIgnorePaths(QList<JsonPathPattern> patterns)
{
    m_compare = ReplayCompare(std::move(patterns));
    for (int row = 0; row < m_rows.size(); ++row)
        compareRow(row);
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(int(m_rows.size()) - 1, ColumnCount - 1));
    Q_EMIT summaryChanged();
}

void ReplayCompareModel::setPalette(const QPalette& palette)
{
    m_palette = palette;
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, StatusColumn), index(int(m_rows.size()) - 1, StatusColumn), { Qt::ForegroundRole });
}

void ReplayCompareModel::compareRow(int row)
{
    if (m_rows[row])
        --m_counts[size_t(m_rows[row]->status)];
    const bool hasRecorded = row < m_recorded.size();
    const bool hasReceived = row < m_received.size();
    if (hasRecorded && hasReceived) {
        m_rows[row] = m_compare.compareMessage(row, m_recorded[row], m_received[row]);
    } else if (hasReceived) {
        ReplayCompareRow r;
        r.index = row;
        r.status = ReplayCompareRow::Status::Extra;
        r.received = m_received[row];
        m_rows[row] = std::move(r);
    } else if (m_finished) {
        ReplayCompareRow r;
        r.index = row;
        r.status = ReplayCompareRow::Status::Missing;
        r.recorded = m_recorded[row];
        m_rows[row] = std::move(r);
    } else {
        m_rows[row] = std::nullopt;
    }
    if (m_rows[row])
        ++m_counts[size_t(m_rows[row]->status)];
}

std::optional<ReplayCompareRow> ReplayCompareModel::comparison(int row) const
{
    if (row < 0 || row >= m_rows.size())
        return std::nullopt;
    return m_rows[row];
}

const ReplayMessage* ReplayCompareModel::recorded(int row) const
{
    return row >= 0 && row < m_recorded.size() ? &m_recorded[row] : nullptr;
}

const ReplayMessage* ReplayCompareModel::received(int row) const
{
    return row >= 0 && row < m_received.size() ? &m_received[row] : nullptr;
}

int ReplayCompareModel::count(ReplayCompareRow::Status status) const
{
    return m_counts[size_t(status)];
}

int ReplayCompareModel::awaitedCount() const
{
    return int(m_rows.size()) - m_counts[0] - m_counts[1] - m_counts[2] - m_counts[3];
}

QString ReplayCompareModel::summary() const
{
    const int total = int(m_rows.size());
    if (total == 0)
        return {};
    QStringList parts;
    parts.append(tr("%1 equal").arg(count(ReplayCompareRow::Status::Equal)));
    if (const int n = count(ReplayCompareRow::Status::Differ); n > 0)
        parts.append(n == 1 ? tr("1 differs") : tr("%1 differ").arg(n));
    if (const int n = count(ReplayCompareRow::Status::Missing); n > 0)
        parts.append(tr("%1 missing").arg(n));
    if (const int n = count(ReplayCompareRow::Status::Extra); n > 0)
        parts.append(tr("%1 extra").arg(n));
    if (const int n = awaitedCount(); n > 0)
        parts.append(tr("%1 awaited").arg(n));
    const QString messages = total == 1 ? tr("1 message") : tr("%1 messages").arg(total);
    return tr("%1: %2").arg(messages, parts.join(QStringLiteral(", ")));
}

QString ReplayCompareModel::describe(int row) const
{
    const std::optional<ReplayCompareRow> r = comparison(row);
    return r ? r->describe().join(QLatin1Char('\n')) : QString();
}

int ReplayCompareModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ReplayCompareModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString ReplayCompareModel::statusText(int row) const
{
    const std::optional<ReplayCompareRow>& r = m_rows[row];
    if (!r)
        return tr("awaited");
    switch (r->status) {
    case ReplayCompareRow::Status::Equal:
        return tr("equal");
    case ReplayCompareRow::Status::Differ:
        return tr("differs");
    case ReplayCompareRow::Status::Missing:
        return tr("missing");
    case ReplayCompareRow::Status::Extra:
        return tr("extra");
    }
    return {};
}

QString ReplayCompareModel::pathsText(const ReplayCompareRow& row) const
{
    if (row.status != ReplayCompareRow::Status::Differ)
        return {};
    if (row.kindDiffers)
        return row.recorded.text ? tr("text, received binary") : tr("binary, received text");
    if (!row.bothJson)
        return tr("from byte %1").arg(row.firstDifference);
    QStringList paths;
    for (const JsonDifference& d : row.differences)
        paths.append(d.path);
    QString text = paths.join(QStringLiteral(", "));
    if (row.moreDifferences > 0)
        text += tr(" and %1 more").arg(row.moreDifferences);
    return text;
}

QVariant ReplayCompareModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const int row = index.row();
    const std::optional<ReplayCompareRow>& r = m_rows[row];
    if (role == StatusRole)
        return r ? int(r->status) : Awaited;
    if (role == Qt::ToolTipRole) {
        if (index.column() == StatusColumn || index.column() == PathsColumn)
            return r ? r->describe().join(QLatin1Char('\n')) : tr("Not received yet");
        return {};
    }
    if (role == Qt::TextAlignmentRole && index.column() == IndexColumn)
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ForegroundRole && index.column() == StatusColumn) {
        if (!r)
            return m_palette.color(QPalette::Disabled, QPalette::Text);
        switch (r->status) {
        case ReplayCompareRow::Status::Equal:
            return TimelineDelegate::accentColor(m_palette, GreenHue);
        case ReplayCompareRow::Status::Differ:
            return TimelineDelegate::accentColor(m_palette, RedHue);
        case ReplayCompareRow::Status::Missing:
        case ReplayCompareRow::Status::Extra:
            return TimelineDelegate::accentColor(m_palette, AmberHue);
        }
        return {};
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case IndexColumn:
        return row + 1;
    case StatusColumn:
        return statusText(row);
    case PathsColumn:
        return r ? pathsText(*r) : QString();
    case RecordedColumn:
        return row < m_recorded.size() ? preview(m_recorded[row]) : QString();
    case ReceivedColumn:
        return row < m_received.size() ? preview(m_received[row]) : QString();
    default:
        return {};
    }
}

QVariant ReplayCompareModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case IndexColumn:
        return tr("#");
    case StatusColumn:
        return tr("Status");
    case PathsColumn:
        return tr("Differs at");
    case RecordedColumn:
        return tr("Recorded");
    case ReceivedColumn:
        return tr("Received");
    default:
        return {};
    }
}

} // namespace wsi
