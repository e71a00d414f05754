#include "filterworker.h"

#include <QElapsedTimer>

#include <algorithm>
#include <chrono>

namespace wsi {

namespace {

// Below this many rows a job runs on the worker thread alone: helper threads would cost more than they save.
constexpr qsizetype ParallelMinRows = 65536;
constexpr int MaxThreads = 8;

// Splits a big range over the machine's cores, keeping the rows in order. Each helper compiles its own
// filter: QRegularExpression takes a mutex on every match, which threads sharing one would contend for.
bool collectInParallel(const FilterWorker::Job& job, qsizetype from, qsizetype to, std::vector<int>& out,
    qsizetype& costlyRows, const std::function<bool()>& shouldStop)
{
    const qsizetype rows = to - from;
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    const int parts
        = rows < ParallelMinRows ? 1 : int(std::min<qsizetype>({ cores, MaxThreads, rows / (ParallelMinRows / 2) }));
    if (parts <= 1) {
        EventFilter::CollectStats stats;
        const bool complete = job.filter->collect(job.events, from, to, out, shouldStop, &stats);
        costlyRows = stats.costlyRows;
        return complete;
    }

    const size_t partCount = size_t(parts);
    std::vector<std::vector<int>> pieces(partCount);
    std::vector<char> complete(partCount, 0);
    std::vector<qsizetype> costly(partCount, 0);
    const auto runPart = [&](int part) {
        std::optional<EventFilter> own;
        const EventFilter* filter = job.filter.get();
        if (part > 0 && filter->spec().regex) {
            own.emplace(filter->spec());
            filter = &*own;
        }
        const qsizetype begin = from + rows * part / parts;
        const qsizetype end = from + rows * (part + 1) / parts;
        EventFilter::CollectStats stats;
        complete[size_t(part)] = filter->collect(job.events, begin, end, pieces[size_t(part)], shouldStop, &stats);
        costly[size_t(part)] = stats.costlyRows;
    };
    std::vector<std::thread> helpers;
    helpers.reserve(partCount - 1);
    for (int part = 1; part < parts; ++part)
        helpers.emplace_back(runPart, part);
    runPart(0);
    for (std::thread& t : helpers)
        t.join();
    if (std::find(complete.begin(), complete.end(), 0) != complete.end())
        return false;
    for (qsizetype n : costly)
        costlyRows += n;
    size_t total = out.size();
    for (const std::vector<int>& piece : pieces)
        total += piece.size();
    out.reserve(total);
    for (const std::vector<int>& piece : pieces)
        out.insert(out.end(), piece.begin(), piece.end());
    return true;
}

} // namespace

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
        // A new generation is what the running job's stop check looks at: it gives up at its next row.
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
        const bool complete = collectInParallel(job, job.from, result.to, result.rows, result.costlyRows,
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
