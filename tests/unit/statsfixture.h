#pragma once

// What the statistics tests (SessionStatistics, ConnectionStatsModel, StatsPane) build their sessions from.
// Header only: each test is one executable, and the library is not compiled a second time.

#include "core/capturequeue.h"
#include "core/connection.h"
#include "core/event.h"
#include "core/eventstore.h"
#include "core/timelinemodel.h"

#include <memory>
#include <vector>

namespace wsi::statsfixture {

// A recording from the past: far enough from the wall clock that the statistics treat it as not live.
constexpr qint64 BaseUs = 1763805600'000'000; // 2025-11-22 10:00:00 UTC
constexpr qint64 BaseSecond = BaseUs / 1'000'000;

// BaseUs plus whole seconds and microseconds.
inline qint64 at(qint64 seconds, qint64 extraUs = 0)
{
    return BaseUs + seconds * 1'000'000 + extraUs;
}

// An event with the next sequence number and its payload's size.
inline Event ev(quint32 connection, qint64 timestampUs, Direction direction, EventKind kind, QByteArray payload = {},
    quint16 closeCode = 0)
{
    static quint64 seq = 0;
    Event e;
    e.seq = ++seq;
    e.timestampUs = timestampUs;
    e.monotonicNs = 0;
    e.connection = connection;
    e.direction = direction;
    e.kind = kind;
    e.closeCode = closeCode;
    e.size = payload.size();
    e.payload = std::move(payload);
    return e;
}

inline CaptureBatch batch(std::vector<Event> events, std::vector<Connection> connections = {})
{
    CaptureBatch b;
    b.connections = std::move(connections);
    b.events = std::move(events);
    return b;
}

inline Connection conn(quint32 id, ConnectionRole role, QString url, QString peer = {})
{
    Connection c;
    c.id = id;
    c.role = role;
    c.url = std::move(url);
    c.peer = std::move(peer);
    return c;
}

// The store and the timeline model over it, made anew for each test function: the test object derives from
// this (after QObject), calls createTimeline() in init() and destroyTimeline() in cleanup(), once whatever
// watches the model is gone.
class TimelineFixture
{
protected:
    void createTimeline()
    {
        m_store = std::make_unique<EventStore>();
        m_model = std::make_unique<TimelineModel>(m_store.get());
    }
    void destroyTimeline()
    {
        m_model.reset();
        m_store.reset();
    }

    std::unique_ptr<EventStore> m_store;
    std::unique_ptr<TimelineModel> m_model;
};

} // namespace wsi::statsfixture
