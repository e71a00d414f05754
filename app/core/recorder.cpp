#include "recorder.h"

#include "capturequeue.h"

#include <algorithm>

namespace wsi {

void Recorder::addSink(std::shared_ptr<CaptureQueue> queue)
{
    std::lock_guard lock(m_mutex);
    m_sinks.push_back(std::move(queue));
}

void Recorder::removeSink(const std::shared_ptr<CaptureQueue>& queue)
{
    std::lock_guard lock(m_mutex);
    std::erase(m_sinks, queue);
}

quint32 Recorder::addConnection(Connection c)
{
    std::lock_guard lock(m_mutex);
    c.id = ++m_lastConnection;
    for (const auto& sink : m_sinks)
        sink->push(c);
    return c.id;
}

void Recorder::updateConnection(const Connection& c)
{
    std::lock_guard lock(m_mutex);
    for (const auto& sink : m_sinks)
        sink->push(c);
}

quint64 Recorder::record(Event e)
{
    std::lock_guard lock(m_mutex);
    e.seq = ++m_lastSeq;
    for (const auto& sink : m_sinks)
        sink->push(e);
    return e.seq;
}

void Recorder::continueAfter(quint32 lastConnection, quint64 lastSeq)
{
    std::lock_guard lock(m_mutex);
    m_lastConnection = std::max(m_lastConnection, lastConnection);
    m_lastSeq = std::max(m_lastSeq, lastSeq);
}

bool Recorder::restore(const CaptureBatch& batch)
{
    std::lock_guard lock(m_mutex);
    if (m_lastSeq != 0 || m_lastConnection != 0)
        return false;
    for (const Connection& c : batch.connections) {
        m_lastConnection = std::max(m_lastConnection, c.id);
        for (const auto& sink : m_sinks)
            sink->push(c);
    }
    for (const Event& e : batch.events) {
        m_lastConnection = std::max(m_lastConnection, e.connection);
        m_lastSeq = std::max(m_lastSeq, e.seq);
        for (const auto& sink : m_sinks)
            sink->push(e);
    }
    return true;
}

quint64 Recorder::lastSeq() const
{
    std::lock_guard lock(m_mutex);
    return m_lastSeq;
}

} // namespace wsi
