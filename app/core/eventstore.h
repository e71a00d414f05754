#pragma once

#include "capturequeue.h"
#include "connection.h"
#include "event.h"

#include <QByteArrayView>
#include <QHash>

#include <memory>
#include <vector>

namespace wsi {

/*
 * All events of a session, kept compactly: one fixed-size 48-byte record per event in fixed-size record
 * chunks (growing never moves existing records, so appends cost no big copies) and all payload and note
 * bytes back to back in a chunked arena. No per-event heap allocation, no QString per row: display text is
 * made on demand by the models. Lives on the GUI thread; fed in batches by the TimelineModel.
 */
class EventStore
{
public:
    EventStore();
    ~EventStore();
    Q_DISABLE_COPY_MOVE(EventStore)

    void append(const std::vector<Event>& events);
    void applyConnection(const Connection& c);
    void clear();

    qsizetype count() const { return m_count; }
    bool isEmpty() const { return m_count == 0; }

    quint64 seq(qsizetype row) const { return record(row).seq; }
    qint64 timestampUs(qsizetype row) const { return record(row).timestampUs; }
    qint64 monotonicNs(qsizetype row) const { return record(row).monotonicNs; }
    quint32 connectionId(qsizetype row) const { return record(row).connection; }
    Direction direction(qsizetype row) const { return Direction(record(row).direction); }
    EventKind kind(qsizetype row) const { return EventKind(record(row).kind); }
    quint8 flags(qsizetype row) const { return quint8(record(row).flags); }
    quint16 closeCode(qsizetype row) const { return record(row).closeCode; }
    qint64 size(qsizetype row) const { return record(row).size; }
    QByteArrayView payload(qsizetype row) const;
    QByteArrayView note(qsizetype row) const;
    // A full copy of one event, e.g. for the detail pane or an export.
    Event event(qsizetype row) const;

    const Connection* connection(quint32 id) const;
    QList<Connection> connections() const { return m_connections.values(); }

    // Bytes held by records and arena (capacity, not just use): what the store costs in memory.
    size_t memoryBytes() const;

private:
    struct Record
    {
        qint64 timestampUs;
        qint64 monotonicNs;
        quint64 seq;
        quint64 arenaOffset : 40; // chunk index << 20 | offset in chunk; see Arena
        quint64 direction : 2;
        quint64 kind : 6;
        quint64 flags : 8;
        quint64 spare : 8;
        quint32 connection;
        quint32 payloadLength;
        quint32 size;
        quint16 closeCode;
        quint16 noteLength;
    };
    static_assert(sizeof(Record) == 48, "the store promises 48 bytes per event beyond its payload");

    static constexpr int RecordChunkBits = 12;
    static constexpr qsizetype RecordChunkSize = qsizetype(1) << RecordChunkBits;
    static constexpr int ArenaChunkBits = 20;
    static constexpr qsizetype ArenaChunkSize = qsizetype(1) << ArenaChunkBits;

    const Record& record(qsizetype row) const
    {
        Q_ASSERT(row >= 0 && row < m_count);
        return m_records[size_t(row >> RecordChunkBits)][row & (RecordChunkSize - 1)];
    }
    quint64 store(QByteArrayView a, QByteArrayView b);
    const char* arenaData(quint64 offset) const;

    std::vector<std::unique_ptr<Record[]>> m_records;
    qsizetype m_count = 0;

    struct ArenaChunk
    {
        std::unique_ptr<char[]> data;
        qsizetype capacity = 0;
        qsizetype used = 0;
    };
    std::vector<ArenaChunk> m_arena;

    QHash<quint32, Connection> m_connections;
};

} // namespace wsi
