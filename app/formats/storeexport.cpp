#include "storeexport.h"

#include <algorithm>

namespace wsi {

StoreExport::StoreExport(EventStore::Snapshot snapshot, QList<Connection> connections)
    : m_snapshot(std::move(snapshot))
    , m_connections(std::move(connections))
{
    // The store keeps its connections in a hash: sorted, a file lists them the same way each time.
    std::sort(m_connections.begin(), m_connections.end(),
        [](const Connection& a, const Connection& b) { return a.id < b.id; });
}

void StoreExport::setRows(std::vector<qsizetype> rows)
{
    const qsizetype count = m_snapshot.count();
    rows.erase(std::remove_if(rows.begin(), rows.end(), [count](qsizetype row) { return row < 0 || row >= count; }),
        rows.end());
    m_rows = std::move(rows);
    m_allRows = false;
}

qsizetype StoreExport::eventCount() const
{
    return m_allRows ? m_snapshot.count() : qsizetype(m_rows.size());
}

ExportSource StoreExport::source() const
{
    ExportSource source;
    source.eventCount = eventCount();
    // Read through this, not copied: the source lives only as long as the write() that made it.
    source.event
        = [this](qint64 index) { return m_snapshot.event(m_allRows ? qsizetype(index) : m_rows[size_t(index)]); };
    source.connections = m_connections;
    source.idleConnections = m_allRows;
    return source;
}

bool StoreExport::write(const QString& path, SessionFormat format, const ExportOptions& options, QString* error,
    const ExportProgress& progress) const
{
    return exportSession(source(), path, format, options, error, progress);
}

bool StoreExport::write(QIODevice* device, SessionFormat format, const ExportOptions& options, QString* error,
    const ExportProgress& progress) const
{
    return exportSession(source(), device, format, options, error, progress);
}

} // namespace wsi
