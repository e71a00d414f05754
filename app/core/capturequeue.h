#pragma once

#include "connection.h"
#include "event.h"

#include <mutex>
#include <vector>

namespace wsi {

// What a consumer takes out of a CaptureQueue in one go. Connections are applied before events.
struct CaptureBatch
{
    std::vector<Connection> connections;
    std::vector<Event> events;

    bool isEmpty() const { return connections.empty() && events.empty(); }
};

/*
 * A mutex-guarded hand-over point between the capture thread (producer) and one consumer (the GUI's event
 * store, the session writer, a headless printer). The consumer takes everything at once by swapping the
 * vectors out, so the lock is held for a few pointer moves whatever the batch size. A consumer that is done
 * with a batch may hand it back with recycle(): its emptied vector then takes the next events, so that a
 * steady stream does not grow (and fault in) a fresh vector for every batch.
 */
class CaptureQueue
{
public:
    void push(const Connection& c);
    void push(const Event& e);
    void push(Event&& e);
    CaptureBatch takeAll();
    // Gives a taken batch's storage back for the events to come (the batch is emptied here, outside the lock).
    void recycle(CaptureBatch&& used);
    size_t pendingEvents() const;

private:
    mutable std::mutex m_mutex;
    CaptureBatch m_batch;
    std::vector<Event> m_spare; // empty, with the capacity of a recycled batch
};

} // namespace wsi
