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
 * The read side of an EventStore, shared by the store and its snapshots: the record chunks, the payload arena
 * chunks and the row count, and the accessors over them, inline so that a filter over a million rows pays
 * for no call. Not used on its own; EventStore writes into it, EventStore::Snapshot is a frozen copy.
 */
class EventRows
{
public:
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
    QByteArrayView payload(qsizetype row) const
    {
        const Record& r = record(row);
        return arenaBytes(r.arenaOffset, 0, r.payloadLength);
    }
    // The note is stored right after the payload.
    QByteArrayView note(qsizetype row) const
    {
        const Record& r = record(row);
        return arenaBytes(r.arenaOffset, r.payloadLength, r.noteLength);
    }
    // A full copy of one event, e.g. for the detail pane or an export.
    Event event(qsizetype row) const;

protected:
    EventRows() = default;
    EventRows(const EventRows&) = default;
    EventRows(EventRows&&) = default;
    EventRows& operator=(const EventRows&) = default;
    EventRows& operator=(EventRows&&) = default;
    ~EventRows() = default;

    struct Record
    {
        qint64 timestampUs;
        qint64 monotonicNs;
        quint64 seq;
        quint64 arenaOffset : 40; // chunk index << ArenaChunkBits | offset in chunk
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
    // length bytes from skip bytes past an arena offset; empty past the last chunk, where no valid record points.
    QByteArrayView arenaBytes(quint64 offset, qsizetype skip, qsizetype length) const
    {
        const size_t chunk = size_t(offset >> ArenaChunkBits);
        if (length == 0 || chunk >= m_arena.size())
            return {};
        return QByteArrayView(m_arena[chunk].get() + (offset & quint64(ArenaChunkSize - 1)) + skip, length);
    }

    // Shared so that snapshots keep a chunk alive after clear(); the vectors themselves are never shared
    // (they reallocate as they grow), snapshots copy them. Only EventStore writes through them.
    std::vector<std::shared_ptr<Record[]>> m_records;
    std::vector<std::shared_ptr<char[]>> m_arena;
    qsizetype m_count = 0;
};

/*
 * All events of a session, kept compactly: one fixed-size 48-byte record per event in fixed-size record
 * chunks (growing never moves existing records, so appends cost no big copies) and all payload and note
 * bytes back to back in a chunked arena. No per-event heap allocation, no QString per row: display text is
 * made on demand by the models. Lives on the GUI thread; fed in batches by the TimelineModel.
 *
 * Other threads (the timeline's filter worker) read it through a Snapshot: an immutable view of the rows
 * recorded so far that shares ownership of the chunks. Chunks are never moved or rewritten below the count
 * a snapshot was taken at, so a snapshot can be read from any thread while the GUI thread appends, and it
 * keeps its memory alive across clear().
 */
class EventStore : public EventRows
{
public:
    /*
     * The rows [0, count()) of a store as they were when snapshot() was called. Cheap to copy (a few hundred
     * shared pointers for a million events), read-only, safe to read from any thread: the store only ever
     * writes past the rows a snapshot covers. The accessors are the store's own (EventRows).
     */
    class Snapshot : public EventRows
    {
    public:
        Snapshot() = default;

    private:
        friend class EventStore;
        explicit Snapshot(const EventRows& rows)
            : EventRows(rows)
        { }
    };

    EventStore();
    ~EventStore();
    Q_DISABLE_COPY_MOVE(EventStore)

    void append(const std::vector<Event>& events);
    void applyConnection(const Connection& c);
    // Forgets every event and connection. Snapshots taken before keep the memory they read alive.
    void clear();

    // The rows recorded so far, for reading on another thread.
    Snapshot snapshot() const { return Snapshot(*this); }

    const Connection* connection(quint32 id) const;
    QList<Connection> connections() const { return m_connections.values(); }

    // Bytes held by records and arena (capacity, not just use): what the store costs in memory.
    size_t memoryBytes() const;

private:
    quint64 store(QByteArrayView a, QByteArrayView b);

    // The arena's last chunk, the only one written to, and the capacity of all chunks together.
    qsizetype m_arenaChunkCapacity = 0;
    qsizetype m_arenaChunkUsed = 0;
    size_t m_arenaBytes = 0;

    QHash<quint32, Connection> m_connections;
};

} // namespace wsi
