#include "storesession.h"

#include <algorithm>

namespace wsi {

namespace {
// Rows between two looks at cancelled(): often enough to stop within a millisecond or so.
constexpr qsizetype CancelCheckRows = 4096;
} // namespace

SessionData sessionFromStore(const EventStore::Snapshot& snapshot, QList<Connection> connections,
    const StoreSessionScope& scope, const std::function<bool()>& cancelled)
{
    SessionData data;
    data.version = 1;
    std::sort(
        connections.begin(), connections.end(), [](const Connection& a, const Connection& b) { return a.id < b.id; });
    for (const Connection& c : std::as_const(connections)) {
        if (scope.connection == 0 || c.id == scope.connection)
            data.connections.append(c);
    }

    const qsizetype count = snapshot.count();
    for (qsizetype row = 0; row < count; ++row) {
        if (cancelled && row % CancelCheckRows == 0 && cancelled())
            break;
        if (scope.connection != 0 && snapshot.connectionId(row) != scope.connection)
            continue;
        if (scope.payloads) {
            data.events.push_back(snapshot.event(row));
            continue;
        }
        Event e;
        e.seq = snapshot.seq(row);
        e.timestampUs = snapshot.timestampUs(row);
        e.monotonicNs = snapshot.monotonicNs(row);
        e.connection = snapshot.connectionId(row);
        e.direction = snapshot.direction(row);
        e.kind = snapshot.kind(row);
        e.flags = snapshot.flags(row);
        e.closeCode = snapshot.closeCode(row);
        e.size = snapshot.size(row);
        data.events.push_back(std::move(e));
    }
    return data;
}

} // namespace wsi
