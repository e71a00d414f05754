#include "timelinemodel.h"

#include "eventstore.h"

#include <QDateTime>
#include <QLocale>
#include <QUrl>

namespace wsi {

TimelineModel::TimelineModel(EventStore* store, QObject* parent)
    : QAbstractTableModel(parent)
    , m_store(store)
{ }

TimelineModel::~TimelineModel() = default;

void TimelineModel::append(const CaptureBatch& batch)
{
    for (const Connection& c : batch.connections)
        m_store->applyConnection(c);
    if (batch.events.empty())
        return;
    const int first = int(m_store->count());
    beginInsertRows({}, first, first + int(batch.events.size()) - 1);
    m_store->append(batch.events);
    endInsertRows();
}

void TimelineModel::clear()
{
    beginResetModel();
    m_store->clear();
    endResetModel();
}

int TimelineModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_store->count());
}

int TimelineModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString TimelineModel::connectionText(quint32 id) const
{
    if (const Connection* c = m_store->connection(id))
        return QString::number(id) + QLatin1Char(' ') + roleName(c->role);
    return QString::number(id);
}

QVariant TimelineModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= m_store->count())
        return {};
    Q_ASSERT(checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid));
    const qsizetype row = index.row();
    switch (role) {
    case Qt::DisplayRole:
        switch (Column(index.column())) {
        case SeqColumn:
            return QString::number(m_store->seq(row));
        case TimeColumn: {
            // Floor division keeps the microseconds right for (bogus) times before 1970 too.
            const qint64 us = m_store->timestampUs(row);
            const qint64 ms = us >= 0 ? us / 1000 : -((-us + 999) / 1000);
            return QString(QDateTime::fromMSecsSinceEpoch(ms).toString(QStringLiteral("HH:mm:ss.zzz"))
                + QString::number(us - ms * 1000).rightJustified(3, QLatin1Char('0')));
        }
        case ConnectionColumn:
            return connectionText(m_store->connectionId(row));
        case DirectionColumn:
            switch (m_store->direction(row)) {
            case Direction::C2S:
                return tr("\u2192 c2s");
            case Direction::S2C:
                return tr("\u2190 s2c");
            case Direction::None:
                return QString();
            }
            return {};
        case KindColumn:
            return kindName(m_store->kind(row));
        case SizeColumn:
            return m_store->direction(row) == Direction::None ? QString() : QLocale().toString(m_store->size(row));
        case PreviewColumn: {
            const EventKind kind = m_store->kind(row);
            QString preview = eventPreview(kind, m_store->closeCode(row), m_store->payload(row), PreviewChars);
            // A pong's round trip is what people look for in a row of pings and pongs.
            if (kind == EventKind::Pong && !m_store->note(row).isEmpty())
                preview += QStringLiteral("  \u00b7 ") + QString::fromUtf8(m_store->note(row));
            return preview;
        }
        case ColumnCount:
            break;
        }
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == SeqColumn || index.column() == SizeColumn)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ToolTipRole:
        if (index.column() == TimeColumn)
            return QDateTime::fromMSecsSinceEpoch(m_store->timestampUs(row) / 1000).toString(Qt::ISODateWithMs);
        if (index.column() == ConnectionColumn) {
            // The column says "3 proxy"; what it connects to (for a proxy, the upstream) is one hover away.
            const quint32 id = m_store->connectionId(row);
            if (const Connection* c = m_store->connection(id); c && !c->url.isEmpty()) {
                const QString url = QUrl(c->url).toString(QUrl::RemovePassword);
                return c->peer.isEmpty()
                    ? tr("Connection %1 (%2) %3").arg(id).arg(roleName(c->role), url)
                    : tr("Connection %1 (%2) %3, peer %4").arg(id).arg(roleName(c->role), url, c->peer);
            }
        }
        if (!m_store->note(row).isEmpty())
            return QString::fromUtf8(m_store->note(row));
        return {};
    case KindRole:
        return int(m_store->kind(row));
    case DirectionRole:
        return int(m_store->direction(row));
    case ConnectionIdRole:
        return m_store->connectionId(row);
    case SeqRole:
        return m_store->seq(row);
    case TimestampUsRole:
        return m_store->timestampUs(row);
    case SizeRole:
        return m_store->size(row);
    case CloseCodeRole:
        return int(m_store->closeCode(row));
    case FlagsRole:
        return int(m_store->flags(row));
    case PayloadRole:
        return m_store->payload(row).toByteArray();
    case NoteRole:
        return QString::fromUtf8(m_store->note(row));
    case ConnectionRoleRole: {
        const Connection* c = m_store->connection(m_store->connectionId(row));
        return c ? int(c->role) : -1;
    }
    default:
        return {};
    }
}

QVariant TimelineModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case SeqColumn:
        return tr("#");
    case TimeColumn:
        return tr("Time");
    case ConnectionColumn:
        return tr("Connection");
    case DirectionColumn:
        return tr("Direction");
    case KindColumn:
        return tr("Kind");
    case SizeColumn:
        return tr("Size");
    case PreviewColumn:
        return tr("Preview");
    case ColumnCount:
        break;
    }
    return {};
}

} // namespace wsi
