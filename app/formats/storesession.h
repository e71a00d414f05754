#pragma once

#include "../core/connection.h"
#include "../core/eventstore.h"
#include "sessionreader.h"

#include <QList>

#include <functional>

namespace wsi {

// Which part of a capture sessionFromStore() copies.
struct StoreSessionScope
{
    quint32 connection = 0; // 0: every connection
    // False: events without payloads and notes, which is all that listing and sizing connections needs
    // (ReplayPlan::candidates), at a fraction of the memory of a million messages.
    bool payloads = true;
};

/*
 * The capture as a loaded session file would hold it (SessionData), made from a snapshot of the event store,
 * so that what reads sessions (the replay plan) also reads what is in the timeline without a round trip
 * through a file. Runs on any thread: the snapshot is immutable and the connections are a copy. The events
 * are copies, so a caller that only needs one connection, or no payloads, says so and pays for that much.
 * Connections come in id order (the order they were made in), only those in scope; cancelled() is asked now
 * and then, and a true answer ends the copy early with what was copied so far.
 */
SessionData sessionFromStore(const EventStore::Snapshot& snapshot, QList<Connection> connections,
    const StoreSessionScope& scope = {}, const std::function<bool()>& cancelled = {});

} // namespace wsi
