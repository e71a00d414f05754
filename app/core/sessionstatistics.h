#pragma once

#include "connection.h"
#include "event.h"

#include <QByteArray>
#include <QHash>
#include <QObject>

#include <array>
#include <vector>

namespace wsi {

class EventStore;
class TimelineModel;

/*
 * Live traffic figures for a session, kept up to date from the rows a TimelineModel inserts: message and byte
 * rates per direction in one-second buckets over the last 60 seconds of event time, totals per direction and
 * per connection (traffic each way, open time, how it ended, ping round-trip times). Each batch costs
 * O(its rows) and no allocation per row, so that a flood of 200,000 events a second stays cheap; nothing is
 * signalled per row and views poll at their own pace (see revision()).
 *
 * What counts: a "message" is a text or binary event (a message reassembled from fragments counts once), its
 * bytes are its payload size. Control frames (ping, pong, close) are protocol overhead: they are counted
 * separately (controlFrames) and stay out of the rates and the message/byte totals, so that a keep-alive does
 * not look like application traffic. Buckets are keyed by the event's own timestamp, so an opened recording
 * shows the last minute it recorded; see windowEndSecond().
 */
class SessionStatistics : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionStatistics)

public:
    static constexpr int WindowSeconds = 60;
    // Pings on one connection waiting for their pong; a peer that never answers cannot make this grow.
    static constexpr int MaxPendingPings = 16;

    enum DirectionIndex {
        C2S,
        S2C,
        DirectionCount
    };

    struct Traffic
    {
        qint64 messages = 0;
        qint64 bytes = 0;
        qint64 controlFrames = 0; // ping, pong and close frames

        bool operator==(const Traffic&) const = default;
    };
    using TrafficPair = std::array<Traffic, DirectionCount>;

    struct Bucket
    {
        qint64 second = 0; // seconds since the epoch (floor of the event timestamp)
        TrafficPair traffic {};
    };

    struct ConnectionStats
    {
        quint32 id = 0;
        TrafficPair traffic {};
        qint64 firstUs = 0; // first and last event of this connection, µs since the epoch
        qint64 lastUs = 0;
        qint64 openedUs = -1; // the open event (or the first frame when the recording has none); -1: never opened
        qint64 closedUs = -1; // the closed event; -1: not (yet) closed
        ConnectionState state = ConnectionState::Connecting;
        bool hasCloseCode = false;
        quint16 closeCode = 0; // from the closed event, else from the first close frame
        QByteArray closeReason; // UTF-8 reason of the first close frame that carried one
        qint64 errors = 0; // error events (a failed connect, a protocol violation, ...)
        // Ping round trips, in nanoseconds.
        qint64 lastRttNs = -1;
        qint64 rttSumNs = 0;
        qint64 rttCount = 0;

        qint64 averageRttNs() const { return rttCount > 0 ? rttSumNs / rttCount : -1; }
    };

    explicit SessionStatistics(TimelineModel* model, QObject* parent = nullptr);
    ~SessionStatistics() override;

    const EventStore* store() const { return m_store; }

    // Increases whenever the figures change (rows added, reset); a view repaints only when it moved (or, while
    // live, because the clock did).
    quint64 revision() const { return m_revision; }
    qint64 eventCount() const { return m_rowsSeen; }

    const TrafficPair& totals() const { return m_totals; }

    // Newest second that holds an event (seconds since the epoch); meaningless while hasEvents() is false.
    bool hasEvents() const { return m_hasEvents; }
    qint64 latestSecond() const { return m_latestSecond; }
    // True while events arrive as they happen (their timestamps are close to the wall clock when they are
    // added), false for a recording read from a file.
    bool isLive() const { return m_live; }
    // The last second the rate chart shows: now while live, the newest event's second for a recording.
    qint64 windowEndSecond(qint64 nowUs) const;
    // The figures of one second; zero when it is older than the 60 seconds before latestSecond() or empty.
    Bucket bucket(qint64 second) const;
    // WindowSeconds buckets, oldest first, the last one being endSecond.
    std::vector<Bucket> window(qint64 endSecond) const;

    // Connections in the order their first event arrived.
    const std::vector<ConnectionStats>& connections() const { return m_connections; }
    const ConnectionStats* connection(quint32 id) const;
    // How long the connection was (or has been) open, in µs; -1 when it never opened. A connection still open
    // counts up to nowUs while live, and up to its last event in a recording.
    qint64 openDurationUs(const ConnectionStats& c, qint64 nowUs) const;

    static qint64 secondOf(qint64 timestampUs);

Q_SIGNALS:
    // Emitted after everything was dropped because the timeline was cleared.
    void statisticsReset();

private:
    struct PendingPing
    {
        Direction direction;
        qint64 timestampUs;
        qint64 monotonicNs;
        QByteArray payload;
    };

    void onRowsInserted(int first, int last);
    void reset();
    void addRow(qsizetype row);
    qsizetype connectionIndex(quint32 id, qint64 timestampUs);

    TimelineModel* m_model;
    const EventStore* m_store;
    quint64 m_revision = 0;
    qint64 m_rowsSeen = 0;

    TrafficPair m_totals {};
    std::array<Bucket, WindowSeconds> m_buckets {}; // ring, slot = second mod WindowSeconds
    bool m_hasEvents = false;
    qint64 m_latestSecond = 0;
    bool m_live = false;

    std::vector<ConnectionStats> m_connections;
    std::vector<std::vector<PendingPing>> m_pendingPings; // parallel to m_connections
    static constexpr quint32 DenseConnectionIds = 1u << 20;
    std::vector<qsizetype> m_denseIndex; // by connection id below DenseConnectionIds; -1: not seen
    QHash<quint32, qsizetype> m_connectionIndex; // the other ids
    quint32 m_lastConnectionId = 0; // one-entry cache: batches come in runs of the same connection
    qsizetype m_lastConnectionIndex = -1;
};

} // namespace wsi
