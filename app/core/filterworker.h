#pragma once

#include "eventfilter.h"
#include "eventstore.h"

#include <QDeadlineTimer>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace wsi {

/*
 * One background thread that filters ranges of an EventStore::Snapshot, so that the GUI thread never scans
 * a big log itself. It holds at most one job: starting a job supersedes the queued one and makes the running
 * one stop at its next check (before every row of a regular expression, every EventFilter::StopCheckInterval
 * rows or StopCheckBytes of text otherwise), since only the newest query's
 * answer is wanted. Each job gets a generation number; a finished job is handed to the result handler, on
 * the worker thread, with that number, and only if no newer job was started meanwhile. The receiver should
 * still compare generations when the result arrives through a queued call: a newer job may have started
 * while the call was in flight. A big range is split over helper threads, one per core, for the duration of
 * the job only.
 */
class FilterWorker
{
public:
    struct Job
    {
        std::shared_ptr<const EventFilter> filter;
        EventStore::Snapshot events;
        qsizetype from = 0;
        qsizetype to = 0; // exclusive; clipped to the snapshot
    };
    struct Result
    {
        quint64 generation = 0;
        qsizetype from = 0;
        qsizetype to = 0;
        std::vector<int> rows; // the matching rows of [from, to), ascending
        qsizetype costlyRows = 0; // rows the regular expression gave up on (EventFilter::Outcome::TooCostly)
        qint64 elapsedNs = 0;
    };
    using ResultHandler = std::function<void(Result&&)>;

    explicit FilterWorker(ResultHandler onResult);
    // Stops the running job (it notices within a row or so) and joins the thread; no result is handed over
    // after it.
    ~FilterWorker();
    Q_DISABLE_COPY_MOVE(FilterWorker)

    // Queues the job in place of any other and returns its generation.
    quint64 start(Job job);
    // Drops the queued job and stops the running one; returns the new generation (no job carries it).
    quint64 cancel();
    quint64 generation() const { return m_generation.load(std::memory_order_acquire); }

    // Blocks until no job is queued or running (the result handler, if any, has returned). False on timeout.
    bool waitForIdle(QDeadlineTimer deadline = QDeadlineTimer(QDeadlineTimer::Forever));

private:
    void run();

    ResultHandler m_onResult;
    std::atomic<quint64> m_generation { 0 };

    std::mutex m_mutex;
    std::condition_variable m_wake; // a job was queued, or the worker should stop
    std::condition_variable m_idle; // the worker has nothing left to do
    std::optional<Job> m_pending;
    quint64 m_pendingGeneration = 0;
    bool m_busy = false;
    bool m_stop = false;

    std::thread m_thread; // last: started once everything above exists
};

} // namespace wsi
