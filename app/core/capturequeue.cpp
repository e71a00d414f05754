#include "capturequeue.h"

namespace wsi {

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

CaptureBatch CaptureQueue::takeAll()
{
    CaptureBatch out;
    out.events.reserve(1024);
    std::lock_guard lock(m_mutex);
    std::swap(out, m_batch);
    return out;
}

size_t CaptureQueue::pendingEvents() const
{
    std::lock_guard lock(m_mutex);
    return m_batch.events.size();
}

} // namespace wsi
