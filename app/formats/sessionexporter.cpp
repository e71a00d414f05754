#include "sessionexporter.h"

#include "csvexporter.h"
#include "harexporter.h"
#include "jsonlexporter.h"
#include "pcapexporter.h"
#include "redaction.h"
#include "sessionreader.h"
#include "textexporter.h"

#include <QHash>
#include <QSaveFile>
#include <QSet>

namespace wsi {

std::unique_ptr<SessionExporter> SessionExporter::create(
    SessionFormat format, QIODevice* out, const ExportOptions& options)
{
    switch (format) {
    case SessionFormat::Jsonl:
        return std::make_unique<JsonlExporter>(out, options);
    case SessionFormat::Har:
        return std::make_unique<HarExporter>(out, options);
    case SessionFormat::Csv:
        return std::make_unique<CsvExporter>(out, options);
    case SessionFormat::Text:
        return std::make_unique<TextExporter>(out, options);
    case SessionFormat::Pcap:
        return std::make_unique<PcapExporter>(out, options);
    }
    Q_UNREACHABLE();
    return nullptr;
}

SessionExporter::SessionExporter(QIODevice* out, const ExportOptions& options)
    : m_out(out)
    , m_options(options)
{ }

SessionExporter::~SessionExporter() = default;

void SessionExporter::addConnection(const Connection& c)
{
    writeConnection(m_options.includeSecrets ? c : redaction::redacted(c));
}

void SessionExporter::addEvent(const Event& e)
{
    writeEvent(m_options.includeSecrets ? e : redaction::redacted(e));
}

bool SessionExporter::finish(QString* error)
{
    writeEnd();
    // QSaveFile and QFile latch write errors; anything else reports them through errorString too.
    if (auto* file = qobject_cast<QFileDevice*>(m_out); file && file->error() != QFileDevice::NoError) {
        if (error)
            *error = file->errorString();
        return false;
    }
    return true;
}

bool exportSession(const ExportSource& source, QIODevice* out, SessionFormat format, const ExportOptions& options,
    QString* error, const ExportProgress& progress)
{
    const std::unique_ptr<SessionExporter> exporter = SessionExporter::create(format, out, options);
    QHash<quint32, qsizetype> connectionIndex;
    for (qsizetype i = 0; i < source.connections.size(); ++i)
        connectionIndex.insert(source.connections.at(i).id, i);
    // Connections are described before their first event, as in the journal.
    QSet<quint32> described;
    const qint64 total = source.eventCount;
    for (qint64 done = 0; done < total; ++done) {
        const Event e = source.event(done);
        if (!described.contains(e.connection)) {
            described.insert(e.connection);
            if (const auto it = connectionIndex.constFind(e.connection); it != connectionIndex.cend())
                exporter->addConnection(source.connections.at(*it));
        }
        exporter->addEvent(e);
        // Often enough for a progress bar and a prompt cancel, rarely enough to cost nothing.
        if (progress && ((done + 1) & 0xFFF) == 0 && !progress(done + 1, total)) {
            if (error)
                *error = QStringLiteral("cancelled");
            return false;
        }
    }
    if (source.idleConnections) {
        for (const Connection& c : source.connections) {
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

bool exportSession(const ExportSource& source, const QString& path, SessionFormat format, const ExportOptions& options,
    QString* error, const ExportProgress& progress)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = file.errorString();
        return false;
    }
    if (!exportSession(source, &file, format, options, error, progress)) {
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

bool exportSession(const SessionData& data, const QString& path, SessionFormat format, const ExportOptions& options,
    QString* error, const ExportProgress& progress)
{
    ExportSource source;
    source.eventCount = qint64(data.events.size());
    source.event = [&data](qint64 index) { return data.events[size_t(index)]; };
    source.connections = data.connections;
    return exportSession(source, path, format, options, error, progress);
}

} // namespace wsi
