#pragma once

#include "connection.h"
#include "event.h"

#include <memory>
#include <mutex>
#include <vector>

namespace wsi {

class CaptureQueue;
struct CaptureBatch;

/*
 * The single entry point through which endpoints report what happened. Thread-safe: endpoints call it
 * from the capture thread while consumers attach queues from elsewhere. It numbers connections and events
 * and hands each one to every attached queue, under one lock so that all consumers see the same order.
 */
class Recorder
{
public:
    Recorder() = default;
    Q_DISABLE_COPY_MOVE(Recorder)

    void addSink(std::shared_ptr<CaptureQueue> queue);
    void removeSink(const std::shared_ptr<CaptureQueue>& queue);

    // Assigns the connection an id (ignoring c.id) and publishes it; returns the id.
    quint32 addConnection(Connection c);
    // Publishes a new description of an existing connection (same id).
    void updateConnection(const Connection& c);
    // Assigns the event its sequence number and publishes it; returns the number.
    quint64 record(Event e);

    quint64 lastSeq() const;
    // Continues numbering after the given ids (never going back), so that what is recorded next cannot
    // collide with events already in the timeline, e.g. from an opened session file.
    void continueAfter(quint32 lastConnection, quint64 lastSeq);
    // Publishes what an earlier run recorded (a journal recovered after a crash) with its own ids, as if it had
    // just been recorded, and continues numbering after it. Only while nothing has been recorded or numbered yet:
    // otherwise returns false and publishes nothing, because the earlier ids could collide with the new ones and
    // the consumers would see the past after the present. Checked and done under one lock, so that an endpoint
    // recording at the same moment comes either before (refused) or after (numbered after the batch).
    bool restore(const CaptureBatch& batch);

private:
    mutable std::mutex m_mutex;
    std::vector<std::shared_ptr<CaptureQueue>> m_sinks;
    quint32 m_lastConnection = 0;
    quint64 m_lastSeq = 0;
};

} // namespace wsi
