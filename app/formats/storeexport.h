#pragma once

#include "../core/connection.h"
#include "../core/eventstore.h"
#include "sessionexporter.h"

#include <QList>
#include <QString>

#include <vector>

namespace wsi {

/*
 * A session as the timeline holds it, written through a SessionExporter: a snapshot of the event store and the
 * connections known when it was taken, optionally narrowed to some rows (a filtered view, a selection). Made on
 * the GUI thread, written on any thread: the snapshot shares the store's chunks and nothing here touches the
 * store itself, so a million events are saved while the capture goes on. Connections are described before their
 * first event, as in the journal; writing all rows also keeps the connections that have no events.
 */
class StoreExport
{
public:
    StoreExport(EventStore::Snapshot snapshot, QList<Connection> connections);

    // Writes only these rows of the snapshot (in the order given; rows past its end are ignored).
    void setRows(std::vector<qsizetype> rows);
    // Events that write() writes.
    qsizetype eventCount() const;

    // Writes to path through a QSaveFile (an existing file is replaced only when all went well). False with a
    // user-readable reason in *error on failure, or when progress returned false (cancelled).
    bool write(const QString& path, SessionFormat format, const ExportOptions& options, QString* error,
        const ExportProgress& progress = {}) const;
    // The same into an open device, which is left open; no cancel clean-up beyond stopping.
    bool write(QIODevice* device, SessionFormat format, const ExportOptions& options, QString* error,
        const ExportProgress& progress = {}) const;

private:
    EventStore::Snapshot m_snapshot;
    QList<Connection> m_connections; // by id
    std::vector<qsizetype> m_rows;
    bool m_allRows = true;
};

} // namespace wsi
