#include "sessionstatistics.h"

#include "eventstore.h"
#include "timelinemodel.h"

#include <algorithm>
#include <cstdlib>
#include <limits>

namespace wsi {

namespace {
// A batch whose newest event is this close to the wall clock is taken as a live capture. Live batches arrive
// within milliseconds; a recording read from a file is normally far older.
constexpr qint64 LiveToleranceUs = 10'000'000;
constexpr qint64 NoSecond = std::numeric_limits<qint64>::min();

size_t slotOf(qint64 second)
{
    return size_t(((second % SessionStatistics::WindowSeconds) + SessionStatistics::WindowSeconds)
        % SessionStatistics::WindowSeconds);
}

int directionIndex(Direction d)
{
    return d == Direction::S2C ? SessionStatistics::S2C : SessionStatistics::C2S;
}
} // namespace

SessionStatistics::SessionStatistics(TimelineModel* model, QObject* parent)
    : QObject(parent)
    , m_model(model)
    , m_store(model ? model->store() : nullptr)
{
    for (Bucket& b : m_buckets)
        b.second = NoSecond;
    if (!m_model)
        return;
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex& parent, int first, int last) {
        if (!parent.isValid())
            onRowsInserted(first, last);
    });
    connect(m_model, &QAbstractItemModel::modelReset, this, &SessionStatistics::reset);
    // The store belongs to whoever owns the model and goes with it; never read it afterwards.
    connect(m_model, &QObject::destroyed, this, [this] {
        m_model = nullptr;
        m_store = nullptr;
    });
    // Created after a capture started or a file was opened: catch up with what is already there.
    if (m_store->count() > 0)
        onRowsInserted(0, int(m_store->count()) - 1);
}

SessionStatistics::~SessionStatistics() = default;

qint64 SessionStatistics::secondOf(qint64 timestampUs)
{
    // Floor division, so that (bogus) times before 1970 still land in the right second.
    return timestampUs >= 0 ? timestampUs / 1'000'000 : -((-timestampUs + 999'999) / 1'000'000);
}

void SessionStatistics::reset()
{
    m_rowsSeen = 0;
    m_totals = {};
    for (Bucket& b : m_buckets)
        b = Bucket { NoSecond, {} };
    m_hasEvents = false;
    m_latestSecond = 0;
    m_live = false;
    m_connections.clear();
    m_pendingPings.clear();
    m_connectionIndex.clear();
    m_denseIndex.clear();
    m_lastConnectionId = 0;
    m_lastConnectionIndex = -1;
    ++m_revision;
    Q_EMIT statisticsReset();
}

void SessionStatistics::onRowsInserted(int first, int last)
{
    if (!m_store)
        return;
    // Rows are only ever appended; a row range we have already seen would count twice.
    const qsizetype from = std::max<qsizetype>(first, m_rowsSeen);
    const qsizetype to = std::min<qsizetype>(last, m_store->count() - 1);
    if (from > to)
        return;
    qint64 newestUs = std::numeric_limits<qint64>::min();
    for (qsizetype row = from; row <= to; ++row) {
        addRow(row);
        newestUs = std::max(newestUs, m_store->timestampUs(row));
    }
    m_rowsSeen = to + 1;
    m_live = std::abs(nowUs() - newestUs) <= LiveToleranceUs;
    ++m_revision;
}

qsizetype SessionStatistics::connectionIndex(quint32 id, qint64 timestampUs)
{
    if (m_lastConnectionIndex >= 0 && id == m_lastConnectionId)
        return m_lastConnectionIndex;
    // Ids are handed out from 1 upwards, so a plain vector finds them without hashing; the hash is for the
    // odd recording with huge ids.
    qsizetype index = -1;
    const bool dense = id < DenseConnectionIds;
    if (dense) {
        if (id < m_denseIndex.size())
            index = m_denseIndex[id];
    } else if (auto it = m_connectionIndex.constFind(id); it != m_connectionIndex.cend()) {
        index = *it;
    }
    if (index < 0) {
        index = qsizetype(m_connections.size());
        ConnectionStats c;
        c.id = id;
        c.firstUs = timestampUs;
        c.lastUs = timestampUs;
        m_connections.push_back(std::move(c));
        m_pendingPings.emplace_back();
        if (dense) {
            if (id >= m_denseIndex.size())
                m_denseIndex.resize(std::max<size_t>(id + 1, m_denseIndex.size() * 2), -1);
            m_denseIndex[id] = index;
        } else {
            m_connectionIndex.insert(id, index);
        }
    }
    m_lastConnectionId = id;
    m_lastConnectionIndex = index;
    return index;
}

void SessionStatistics::addRow(qsizetype row)
{
    const EventKind kind = m_store->kind(row);
    const Direction direction = m_store->direction(row);
    const qint64 ts = m_store->timestampUs(row);
    const qint64 second = secondOf(ts);

    if (!m_hasEvents || second > m_latestSecond) {
        m_latestSecond = second;
        m_hasEvents = true;
    }

    const qsizetype index = connectionIndex(m_store->connectionId(row), ts);
    ConnectionStats& c = m_connections[size_t(index)];
    c.firstUs = std::min(c.firstUs, ts);
    c.lastUs = std::max(c.lastUs, ts);

    const bool isMessage = kind == EventKind::Text || kind == EventKind::Binary;
    const bool isControl = kind == EventKind::Ping || kind == EventKind::Pong || kind == EventKind::Close;
    if ((isMessage || isControl) && direction != Direction::None) {
        const int d = directionIndex(direction);
        const qint64 bytes = isMessage ? m_store->size(row) : 0;
        auto count = [&](Traffic& t) {
            if (isMessage) {
                ++t.messages;
                t.bytes += bytes;
            } else {
                ++t.controlFrames;
            }
        };
        count(m_totals[d]);
        count(c.traffic[d]);
        // A second older than the window before the newest event can never be shown again; a slot holding a
        // newer second than this (late) event is left alone for the same reason.
        if (second > m_latestSecond - WindowSeconds) {
            Bucket& b = m_buckets[slotOf(second)];
            if (b.second < second)
                b = Bucket { second, {} };
            if (b.second == second)
                count(b.traffic[d]);
        }
        // A frame on the wire means the connection is open, even in a recording without open events.
        if (c.openedUs < 0) {
            c.openedUs = ts;
            if (c.state == ConnectionState::Connecting)
                c.state = ConnectionState::Open;
        }
    }

    switch (kind) {
    case EventKind::Open:
        if (c.openedUs < 0 || c.openedUs > ts)
            c.openedUs = ts;
        if (c.state == ConnectionState::Connecting)
            c.state = ConnectionState::Open;
        break;
    case EventKind::Close:
        if (c.state != ConnectionState::Closed)
            c.state = ConnectionState::Closing;
        if (!c.hasCloseCode && m_store->closeCode(row) != 0) {
            c.hasCloseCode = true;
            c.closeCode = m_store->closeCode(row);
        }
        if (c.closeReason.isEmpty())
            c.closeReason = m_store->payload(row).toByteArray();
        break;
    case EventKind::Closed:
        c.state = ConnectionState::Closed;
        c.closedUs = ts;
        // The closed event states how it really ended (e.g. 1006 when the peer vanished mid-handshake).
        if (m_store->closeCode(row) != 0) {
            c.hasCloseCode = true;
            c.closeCode = m_store->closeCode(row);
        }
        break;
    case EventKind::Error:
        ++c.errors;
        break;
    case EventKind::Ping: {
        std::vector<PendingPing>& pending = m_pendingPings[size_t(index)];
        if (pending.size() >= size_t(MaxPendingPings))
            pending.erase(pending.begin());
        pending.push_back(
            PendingPing { direction, ts, m_store->monotonicNs(row), m_store->payload(row).toByteArray() });
        break;
    }
    case EventKind::Pong: {
        // The pong answers a ping from the other side with the same payload; the oldest such ping, so that
        // several pings with an empty payload pair up in order.
        std::vector<PendingPing>& pending = m_pendingPings[size_t(index)];
        const QByteArrayView payload = m_store->payload(row);
        auto it = std::find_if(pending.begin(), pending.end(), [&](const PendingPing& p) {
            return p.direction != direction && p.direction != Direction::None && p.payload == payload;
        });
        if (it == pending.end())
            break; // unsolicited pong (a heartbeat) or an answer to a ping we never saw
        const qint64 pongNs = m_store->monotonicNs(row);
        // Monotonic clocks are exact but absent in recordings read from a file; the wall clock is then all
        // there is.
        const qint64 rtt
            = (it->monotonicNs != 0 && pongNs != 0) ? pongNs - it->monotonicNs : (ts - it->timestampUs) * 1000;
        pending.erase(it);
        if (rtt >= 0) {
            c.lastRttNs = rtt;
            c.rttSumNs += rtt;
            ++c.rttCount;
        }
        break;
    }
    case EventKind::HandshakeRequest:
    case EventKind::HandshakeResponse:
    case EventKind::Text:
    case EventKind::Binary:
    case EventKind::Note:
        break;
    }
}

qint64 SessionStatistics::windowEndSecond(qint64 nowUs) const
{
    if (!m_hasEvents)
        return secondOf(nowUs);
    return m_live ? std::max(secondOf(nowUs), m_latestSecond) : m_latestSecond;
}

SessionStatistics::Bucket SessionStatistics::bucket(qint64 second) const
{
    if (m_hasEvents && second <= m_latestSecond && second > m_latestSecond - WindowSeconds) {
        const Bucket& b = m_buckets[slotOf(second)];
        if (b.second == second)
            return b;
    }
    return Bucket { second, {} };
}

std::vector<SessionStatistics::Bucket> SessionStatistics::window(qint64 endSecond) const
{
    std::vector<Bucket> result;
    result.reserve(WindowSeconds);
    for (qint64 s = endSecond - WindowSeconds + 1; s <= endSecond; ++s)
        result.push_back(bucket(s));
    return result;
}

const SessionStatistics::ConnectionStats* SessionStatistics::connection(quint32 id) const
{
    if (id < DenseConnectionIds) {
        const qsizetype index = id < m_denseIndex.size() ? m_denseIndex[id] : -1;
        return index < 0 ? nullptr : &m_connections[size_t(index)];
    }
    auto it = m_connectionIndex.constFind(id);
    return it == m_connectionIndex.cend() ? nullptr : &m_connections[size_t(*it)];
}

qint64 SessionStatistics::openDurationUs(const ConnectionStats& c, qint64 nowUs) const
{
    if (c.openedUs < 0)
        return -1;
    qint64 end;
    if (c.closedUs >= 0)
        end = c.closedUs;
    else
        end = m_live ? std::max(nowUs, c.lastUs) : c.lastUs;
    return std::max<qint64>(0, end - c.openedUs);
}

} // namespace wsi
