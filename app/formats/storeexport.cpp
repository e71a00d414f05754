#include "storeexport.h"

#include <QHash>
#include <QSaveFile>
#include <QSet>

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

bool StoreExport::write(const QString& path, SessionFormat format, const ExportOptions& options, QString* error,
    const ExportProgress& progress) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = file.errorString();
        return false;
    }
    if (!write(&file, format, options, error, progress)) {
        file.cancelWriting();
        return false;
    }
    if (!file.commit()) {
        if (error)
            *error = file.errorString();
        return false;
    }
    return true;
}

bool StoreExport::write(QIODevice* device, SessionFormat format, const ExportOptions& options, QString* error,
    const ExportProgress& progress) const
{
    const std::unique_ptr<SessionExporter> exporter = SessionExporter::create(format, device, options);
    if (!exporter) {
        if (error)
            *error = QStringLiteral("%1 files cannot be written yet").arg(sessionFormatName(format));
        return false;
    }
    QHash<quint32, qsizetype> connectionIndex;
    for (qsizetype i = 0; i < m_connections.size(); ++i)
        connectionIndex.insert(m_connections.at(i).id, i);
    QSet<quint32> described;

    const qint64 total = eventCount();
    for (qint64 done = 0; done < total; ++done) {
        const qsizetype row = m_allRows ? qsizetype(done) : m_rows[size_t(done)];
        const quint32 id = m_snapshot.connectionId(row);
        if (!described.contains(id)) {
            described.insert(id);
            if (const auto it = connectionIndex.constFind(id); it != connectionIndex.cend())
                exporter->addConnection(m_connections.at(*it));
        }
        exporter->addEvent(m_snapshot.event(row));
        // Often enough for a progress bar and a prompt cancel, rarely enough to cost nothing.
        if (progress && ((done + 1) & 0xFFF) == 0 && !progress(done + 1, total)) {
            if (error)
                *error = QStringLiteral("cancelled");
            return false;
        }
    }
    if (m_allRows) {
        for (const Connection& c : m_connections) {
            if (!described.contains(c.id))
                exporter->addConnection(c);
        }
    }
    if (!exporter->finish(error))
        return false;
    if (progress)
        progress(total, total);
    return true;
}

} // namespace wsi
