#include "capturequeue.h"

namespace wsi {

namespace {
// What an empty queue's vector starts with: a ~16 ms batch of a busy connection without regrowing.
constexpr size_t InitialEvents = 1024;
// The largest recycled vector kept (~6 MB of Event records): bigger ones were a burst, not the steady rate.
constexpr size_t MaxSpareEvents = 64 * 1024;
} // namespace

void CaptureQueue::push(const Connection& c)
{
    std::lock_guard lock(m_mutex);
    m_batch.connections.push_back(c);
}

void CaptureQueue::push(const Event& e)
{
    std::lock_guard lock(m_mutex);
    m_batch.events.push_back(e);
}

void CaptureQueue::push(Event&& e)
{
    std::lock_guard lock(m_mutex);
    m_batch.events.push_back(std::move(e));
}

CaptureBatch CaptureQueue::takeAll()
{
    CaptureBatch out;
    std::vector<Event> next;
    {
        std::lock_guard lock(m_mutex);
        if (m_batch.isEmpty())
            return out; // a consumer polling an idle queue neither takes nor allocates anything
        std::swap(out, m_batch);
        // The recycled vector, if any, takes the next events; the allocation of a new one is left outside the lock.
        std::swap(m_batch.events, m_spare);
        if (m_batch.events.capacity() > 0)
            return out;
    }
    next.reserve(InitialEvents);
    std::lock_guard lock(m_mutex);
    if (m_batch.events.empty() && m_batch.events.capacity() < next.capacity())
        std::swap(m_batch.events, next);
    return out;
}

void CaptureQueue::recycle(CaptureBatch&& used)
{
    // Not kept when a burst made it huge: its memory goes back, and a steady stream regrows what it needs.
    if (used.events.capacity() == 0 || used.events.capacity() > MaxSpareEvents)
        return;
    used.events.clear(); // the payloads are released here, on the consumer's thread, not under the lock
    std::lock_guard lock(m_mutex);
    if (m_spare.capacity() < used.events.capacity())
        std::swap(m_spare, used.events);
}

size_t CaptureQueue::pendingEvents() const
{
    std::lock_guard lock(m_mutex);
    return m_batch.events.size();
}

} // namespace wsi
