#include "recorder.h"

#include "capturequeue.h"

#include <algorithm>
#include <utility>

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
    const quint64 seq = ++m_lastSeq;
    e.seq = seq;
    // Every sink but the last gets a copy (the payload shared, not copied); the last takes the event itself,
    // which saves the copy altogether in the usual case of one sink (a headless capture's journal).
    for (size_t i = 0; i + 1 < m_sinks.size(); ++i)
        m_sinks[i]->push(std::as_const(e));
    if (!m_sinks.empty())
        m_sinks.back()->push(std::move(e));
    return seq;
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
