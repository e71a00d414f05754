#include "filterworker.h"

#include <QElapsedTimer>

#include <chrono>

namespace wsi {

FilterWorker::FilterWorker(ResultHandler onResult)
    : m_onResult(std::move(onResult))
    , m_thread([this] { run(); })
{ }

FilterWorker::~FilterWorker()
{
    {
        const std::lock_guard lock(m_mutex);
        m_stop = true;
        m_pending.reset();
        m_generation.fetch_add(1, std::memory_order_acq_rel);
    }
    m_wake.notify_all();
    m_thread.join();
}

quint64 FilterWorker::start(Job job)
{
    quint64 generation = 0;
    {
        const std::lock_guard lock(m_mutex);
        generation = m_generation.fetch_add(1, std::memory_order_acq_rel) + 1;
        m_pending = std::move(job);
        m_pendingGeneration = generation;
    }
    m_wake.notify_one();
    return generation;
}

quint64 FilterWorker::cancel()
{
    const std::lock_guard lock(m_mutex);
    m_pending.reset();
    const quint64 generation = m_generation.fetch_add(1, std::memory_order_acq_rel) + 1;
    if (!m_busy)
        m_idle.notify_all();
    return generation;
}

bool FilterWorker::waitForIdle(QDeadlineTimer deadline)
{
    std::unique_lock lock(m_mutex);
    const auto idle = [this] { return !m_busy && !m_pending; };
    if (deadline.isForever()) {
        m_idle.wait(lock, idle);
        return true;
    }
    return m_idle.wait_for(lock, std::chrono::milliseconds(deadline.remainingTime()), idle);
}

void FilterWorker::run()
{
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_wake.wait(lock, [this] { return m_stop || m_pending; });
        if (m_stop)
            return;
        Job job = std::move(*m_pending);
        m_pending.reset();
        const quint64 generation = m_pendingGeneration;
        m_busy = true;
        lock.unlock();

        QElapsedTimer timer;
        timer.start();
        Result result;
        result.generation = generation;
        result.from = job.from;
        result.to = std::min(job.to, job.events.count());
        const bool complete = job.filter->collect(job.events, job.from, result.to, result.rows,
            [this, generation] { return m_generation.load(std::memory_order_acquire) != generation; });
        result.elapsedNs = timer.nsecsElapsed();
        // Let go of the snapshot now: after a clear() it may be the last owner of a lot of memory.
        job = Job();
        if (complete && m_generation.load(std::memory_order_acquire) == generation && m_onResult)
            m_onResult(std::move(result));

        lock.lock();
        m_busy = false;
        if (!m_pending)
            m_idle.notify_all();
    }
}

} // namespace wsi
