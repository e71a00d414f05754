#include "jsonlexporter.h"

#include "jsonlcodec.h"

#include <QDateTime>
#include <QIODevice>

namespace wsi {

namespace {

// Big enough that writing costs nothing per line, small enough not to matter beside the session itself.
constexpr qsizetype flushBytes = 1024 * 1024;

} // namespace

JsonlExporter::JsonlExporter(QIODevice* out, const ExportOptions& options)
    : SessionExporter(out, options)
{
    m_buffer = jsonl::encodeHeader(
        options.created.isValid() ? options.created : QDateTime::currentDateTimeUtc(), options.app);
    m_buffer += '\n';
}

JsonlExporter::~JsonlExporter() = default;

void JsonlExporter::writeConnection(const Connection& c)
{
    jsonl::appendConnection(m_buffer, c);
    flushIfFull();
}

void JsonlExporter::writeEvent(const Event& e)
{
    jsonl::appendEvent(m_buffer, e);
    flushIfFull();
}

void JsonlExporter::writeEnd()
{
    flush();
}

void JsonlExporter::flushIfFull()
{
    if (m_buffer.size() >= flushBytes)
        flush();
}

void JsonlExporter::flush()
{
    device()->write(m_buffer);
    m_buffer.clear();
}

} // namespace wsi
