#include "connectionstatsmodel.h"

#include "event.h"
#include "eventstore.h"
#include "sessionstatistics.h"

#include <QLocale>

namespace wsi {

namespace {
QString stateText(const SessionStatistics::ConnectionStats& c)
{
    switch (c.state) {
    case ConnectionState::Connecting:
        // Errors and no open: the connect failed (refused, bad handshake, ...).
        return c.errors > 0 ? ConnectionStatsModel::tr("failed") : ConnectionStatsModel::tr("connecting");
    case ConnectionState::Open:
        return ConnectionStatsModel::tr("open");
    case ConnectionState::Closing:
        return ConnectionStatsModel::tr("closing");
    case ConnectionState::Closed:
        return ConnectionStatsModel::tr("closed");
    }
    return {};
}

QString closeText(const SessionStatistics::ConnectionStats& c)
{
    if (!c.hasCloseCode)
        return c.state == ConnectionState::Closed ? ConnectionStatsModel::tr("no code") : QString();
    const QString meaning = closeCodeText(c.closeCode);
    return meaning.isEmpty() ? QString::number(c.closeCode) : QString::number(c.closeCode) % u' ' % meaning;
}
} // namespace

ConnectionStatsModel::ConnectionStatsModel(const SessionStatistics* statistics, QObject* parent)
    : QAbstractTableModel(parent)
    , m_statistics(statistics)
    , m_rows(statistics ? int(statistics->connections().size()) : 0)
    , m_nowUs(nowUs())
{
    if (!m_statistics)
        return;
    // The statistics are already empty: the rows must go now, not at the next refresh.
    connect(m_statistics, &SessionStatistics::statisticsReset, this, [this] {
        beginResetModel();
        m_rows = 0;
        endResetModel();
    });
}

ConnectionStatsModel::~ConnectionStatsModel() = default;

void ConnectionStatsModel::refresh()
{
    if (!m_statistics)
        return;
    m_nowUs = nowUs();
    const int known = int(m_statistics->connections().size());
    if (m_rows > 0)
        Q_EMIT dataChanged(index(0, 0), index(m_rows - 1, ColumnCount - 1));
    if (known > m_rows) {
        beginInsertRows({}, m_rows, known - 1);
        m_rows = known;
        endInsertRows();
    }
}

int ConnectionStatsModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : m_rows;
}

int ConnectionStatsModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ConnectionStatsModel::data(const QModelIndex& index, int role) const
{
    if (!m_statistics || !index.isValid() || index.row() >= m_rows
        || size_t(index.row()) >= m_statistics->connections().size())
        return {};
    Q_ASSERT(checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid));
    const SessionStatistics::ConnectionStats& c = m_statistics->connections()[size_t(index.row())];
    const EventStore* store = m_statistics->store();
    const Connection* info = store ? store->connection(c.id) : nullptr;
    const auto column = Column(index.column());
    const auto& c2s = c.traffic[SessionStatistics::C2S];
    const auto& s2c = c.traffic[SessionStatistics::S2C];
    const QLocale locale;

    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case IdColumn:
            return QString::number(c.id);
        case RoleColumn:
            return info ? roleName(info->role) : QString();
        case UrlColumn:
            return info ? info->url : QString();
        case PeerColumn:
            return info ? info->peer : QString();
        case StateColumn:
            return stateText(c);
        case MessagesC2SColumn:
            return locale.toString(c2s.messages);
        case MessagesS2CColumn:
            return locale.toString(s2c.messages);
        case BytesC2SColumn:
            return locale.formattedDataSize(c2s.bytes, 1);
        case BytesS2CColumn:
            return locale.formattedDataSize(s2c.bytes, 1);
        case OpenTimeColumn: {
            const qint64 us = m_statistics->openDurationUs(c, m_nowUs);
            return us < 0 ? QString() : durationText(us);
        }
        case CloseColumn:
            return closeText(c);
        case PingColumn:
            return c.rttCount > 0 ? rttText(c.lastRttNs) : QString();
        case ColumnCount:
            break;
        }
        break;
    case SortRole:
        switch (column) {
        case IdColumn:
            return qint64(c.id);
        case RoleColumn:
            return info ? qint64(info->role) : qint64(-1);
        case UrlColumn:
        case PeerColumn:
        case StateColumn:
        case CloseColumn:
            return data(index, Qt::DisplayRole);
        case MessagesC2SColumn:
            return c2s.messages;
        case MessagesS2CColumn:
            return s2c.messages;
        case BytesC2SColumn:
            return c2s.bytes;
        case BytesS2CColumn:
            return s2c.bytes;
        case OpenTimeColumn:
            return m_statistics->openDurationUs(c, m_nowUs);
        case PingColumn:
            return c.rttCount > 0 ? c.lastRttNs : qint64(-1);
        case ColumnCount:
            break;
        }
        break;
    case ConnectionIdRole:
        return c.id;
    case Qt::TextAlignmentRole:
        switch (column) {
        case IdColumn:
        case MessagesC2SColumn:
        case MessagesS2CColumn:
        case BytesC2SColumn:
        case BytesS2CColumn:
        case OpenTimeColumn:
        case PingColumn:
            return QVariant::fromValue(Qt::Alignment(Qt::AlignRight | Qt::AlignVCenter));
        default:
            return QVariant::fromValue(Qt::Alignment(Qt::AlignLeft | Qt::AlignVCenter));
        }
    case Qt::ToolTipRole:
        switch (column) {
        case UrlColumn:
        case PeerColumn:
            if (!info)
                return {};
            return info->subprotocol.isEmpty()
                ? tr("%1\npeer %2").arg(info->url, info->peer)
                : tr("%1\npeer %2\nsubprotocol %3").arg(info->url, info->peer, info->subprotocol);
        case MessagesC2SColumn:
        case MessagesS2CColumn:
        case BytesC2SColumn:
        case BytesS2CColumn: {
            const auto& t = column == MessagesC2SColumn || column == BytesC2SColumn ? c2s : s2c;
            return tr("%1 messages, %2 bytes of payload, %3 control frames (ping, pong, close)")
                .arg(locale.toString(t.messages), locale.toString(t.bytes), locale.toString(t.controlFrames));
        }
        case CloseColumn:
            if (c.closeReason.isEmpty())
                return {};
            return tr("Reason: %1").arg(QString::fromUtf8(c.closeReason));
        case PingColumn:
            if (c.rttCount == 0)
                return tr("No ping has been answered yet");
            return tr("Last %1, average %2 over %3 pings")
                .arg(rttText(c.lastRttNs), rttText(c.averageRttNs()), locale.toString(c.rttCount));
        case StateColumn:
            if (c.errors == 0)
                return {};
            return c.errors == 1 ? tr("1 error") : tr("%1 errors").arg(locale.toString(c.errors));
        default:
            return {};
        }
    default:
        break;
    }
    return {};
}

QVariant ConnectionStatsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return {};
    if (role == Qt::DisplayRole) {
        switch (Column(section)) {
        case IdColumn:
            return tr("#");
        case RoleColumn:
            return tr("Role");
        case UrlColumn:
            return tr("URL");
        case PeerColumn:
            return tr("Peer");
        case StateColumn:
            return tr("State");
        case MessagesC2SColumn:
            return tr("\u2192 Msgs");
        case MessagesS2CColumn:
            return tr("\u2190 Msgs");
        case BytesC2SColumn:
            return tr("\u2192 Bytes");
        case BytesS2CColumn:
            return tr("\u2190 Bytes");
        case OpenTimeColumn:
            return tr("Open for");
        case CloseColumn:
            return tr("Close code");
        case PingColumn:
            return tr("Ping RTT");
        case ColumnCount:
            break;
        }
    } else if (role == Qt::ToolTipRole) {
        switch (Column(section)) {
        case MessagesC2SColumn:
            return tr("Text and binary messages from client to server; control frames are not counted");
        case MessagesS2CColumn:
            return tr("Text and binary messages from server to client; control frames are not counted");
        case BytesC2SColumn:
            return tr("Payload bytes of text and binary messages from client to server");
        case BytesS2CColumn:
            return tr("Payload bytes of text and binary messages from server to client");
        case OpenTimeColumn:
            return tr("From the open event to the closed event, or until now while open");
        case PingColumn:
            return tr("Time from a ping to the pong with the same payload (the last one; the tooltip has the "
                      "average)");
        default:
            break;
        }
    }
    return {};
}

QString ConnectionStatsModel::rttText(qint64 ns)
{
    const QLocale locale;
    if (ns < 1'000'000)
        return tr("%1 \u00b5s").arg(locale.toString(ns / 1000));
    if (ns < 1'000'000'000)
        return tr("%1 ms").arg(locale.toString(double(ns) / 1e6, 'f', ns < 100'000'000 ? 1 : 0));
    return tr("%1 s").arg(locale.toString(double(ns) / 1e9, 'f', 2));
}

QString ConnectionStatsModel::durationText(qint64 us)
{
    const QLocale locale;
    if (us < 10'000'000)
        return tr("%1 s").arg(locale.toString(double(us) / 1e6, 'f', 1));
    const qint64 s = us / 1'000'000;
    if (s < 60)
        return tr("%1 s").arg(s);
    if (s < 3600)
        return tr("%1 min %2 s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return tr("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
}

} // namespace wsi
