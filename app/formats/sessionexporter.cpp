#include "sessionexporter.h"

#include "csvexporter.h"
#include "harexporter.h"
#include "jsonlcodec.h"
#include "pcapexporter.h"
#include "redaction.h"
#include "sessionreader.h"
#include "textexporter.h"

#include <QDateTime>
#include <QSaveFile>

namespace wsi {

namespace {

// The native format: the journal's own lines, so an export opens like any saved session.
class JsonlExporter final : public SessionExporter
{
public:
    JsonlExporter(QIODevice* out, const ExportOptions& options)
        : SessionExporter(out, options)
    {
        m_buffer = jsonl::encodeHeader(
            options.created.isValid() ? options.created : QDateTime::currentDateTimeUtc(), options.app);
        m_buffer += '\n';
    }

protected:
    void writeConnection(const Connection& c) override
    {
        jsonl::appendConnection(m_buffer, c);
        flushIfFull();
    }
    void writeEvent(const Event& e) override
    {
        jsonl::appendEvent(m_buffer, e);
        flushIfFull();
    }
    void writeEnd() override { flush(); }

private:
    void flushIfFull()
    {
        if (m_buffer.size() >= 1024 * 1024)
            flush();
    }
    void flush()
    {
        device()->write(m_buffer);
        m_buffer.clear();
    }

    QByteArray m_buffer;
};

} // namespace

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

bool exportSession(const SessionData& data, const QString& path, SessionFormat format, const ExportOptions& options,
    QString* error, ExportProgress progress)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error)
            *error = file.errorString();
        return false;
    }
    const std::unique_ptr<SessionExporter> exporter = SessionExporter::create(format, &file, options);
    if (!exporter) {
        if (error)
            *error = QStringLiteral("cannot write %1 files").arg(sessionFormatName(format));
        return false;
    }
    // Connections are described before their first event, as in the journal.
    QHash<quint32, qsizetype> described;
    QHash<quint32, qsizetype> connectionIndex;
    for (qsizetype i = 0; i < data.connections.size(); ++i)
        connectionIndex.insert(data.connections.at(i).id, i);
    const qint64 total = qint64(data.events.size());
    qint64 done = 0;
    for (const Event& e : data.events) {
        if (!described.contains(e.connection)) {
            described.insert(e.connection, 0);
            if (const auto it = connectionIndex.constFind(e.connection); it != connectionIndex.cend())
                exporter->addConnection(data.connections.at(*it));
        }
        exporter->addEvent(e);
        if (progress && (++done & 0xFFF) == 0 && !progress(done, total)) {
            file.cancelWriting();
            if (error)
                *error = QStringLiteral("cancelled");
            return false;
        }
    }
    // Connections without events still belong to the session.
    for (const Connection& c : data.connections) {
        if (!described.contains(c.id))
            exporter->addConnection(c);
    }
    if (!exporter->finish(error)) {
        file.cancelWriting();
        return false;
    }
    if (!file.commit()) {
        if (error)
            *error = file.errorString();
        return false;
    }
    if (progress)
        progress(total, total);
    return true;
}

} // namespace wsi
