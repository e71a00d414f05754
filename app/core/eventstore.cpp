#include "eventstore.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace wsi {

EventStore::EventStore() = default;
EventStore::~EventStore() = default;

void EventStore::append(const std::vector<Event>& events)
{
    for (const Event& e : events) {
        if ((m_count & (RecordChunkSize - 1)) == 0 && size_t(m_count >> RecordChunkBits) == m_records.size())
            m_records.push_back(std::make_shared_for_overwrite<Record[]>(size_t(RecordChunkSize)));
        Record& r = m_records[size_t(m_count >> RecordChunkBits)][m_count & (RecordChunkSize - 1)];
        // Notes are short remarks; anything longer than the record can describe is cut, not lost silently.
        const QByteArrayView note
            = QByteArrayView(e.note).first(std::min<qsizetype>(e.note.size(), std::numeric_limits<quint16>::max()));
        r.timestampUs = e.timestampUs;
        r.monotonicNs = e.monotonicNs;
        r.seq = e.seq;
        r.arenaOffset = store(e.payload, note);
        r.direction = quint64(e.direction);
        r.kind = quint64(e.kind);
        r.flags = e.flags;
        r.spare = 0;
        r.connection = e.connection;
        r.payloadLength = quint32(e.payload.size());
        r.size = quint32(std::clamp<qint64>(e.size, 0, std::numeric_limits<quint32>::max()));
        r.closeCode = e.closeCode;
        r.noteLength = quint16(note.size());
        ++m_count;
    }
}

// Puts a and b back to back into the arena and returns where they start. Small payloads share 1 MiB chunks;
// a payload that does not fit in the rest of the current chunk starts a new one, sized for it if bigger.
quint64 EventStore::store(QByteArrayView a, QByteArrayView b)
{
    const qsizetype need = a.size() + b.size();
    if (need == 0)
        return 0;
    if (m_arena.empty() || m_arenaChunkCapacity - m_arenaChunkUsed < need) {
        m_arenaChunkCapacity = std::max(need, ArenaChunkSize);
        m_arenaChunkUsed = 0;
        m_arenaBytes += size_t(m_arenaChunkCapacity);
        m_arena.push_back(std::make_shared_for_overwrite<char[]>(size_t(m_arenaChunkCapacity)));
    }
    char* chunk = m_arena.back().get();
    const quint64 offset = (quint64(m_arena.size() - 1) << ArenaChunkBits) | quint64(m_arenaChunkUsed);
    if (!a.isEmpty())
        std::memcpy(chunk + m_arenaChunkUsed, a.data(), size_t(a.size()));
    if (!b.isEmpty())
        std::memcpy(chunk + m_arenaChunkUsed + a.size(), b.data(), size_t(b.size()));
    m_arenaChunkUsed += need;
    return offset;
}

Event EventRows::event(qsizetype row) const
{
    const Record& r = record(row);
    Event e;
    e.seq = r.seq;
    e.timestampUs = r.timestampUs;
    e.monotonicNs = r.monotonicNs;
    e.connection = r.connection;
    e.direction = Direction(r.direction);
    e.kind = EventKind(r.kind);
    e.flags = quint8(r.flags);
    e.closeCode = r.closeCode;
    e.size = r.size;
    e.payload = payload(row).toByteArray();
    e.note = note(row).toByteArray();
    return e;
}

void EventStore::applyConnection(const Connection& c)
{
    m_connections.insert(c.id, c);
}

const Connection* EventStore::connection(quint32 id) const
{
    const auto it = m_connections.constFind(id);
    return it == m_connections.cend() ? nullptr : &it.value();
}

void EventStore::clear()
{
    // Dropping our references only: a snapshot still being read keeps its chunks.
    m_records.clear();
    m_arena.clear();
    m_count = 0;
    m_arenaChunkCapacity = 0;
    m_arenaChunkUsed = 0;
    m_arenaBytes = 0;
    m_connections.clear();
}

size_t EventStore::memoryBytes() const
{
    return m_records.size() * size_t(RecordChunkSize) * sizeof(Record) + m_arenaBytes;
}

} // namespace wsi
