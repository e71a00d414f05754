#pragma once

#include "sessionexporter.h"

#include <QByteArray>

namespace wsi {

/*
 * Writes the native format (DESIGN.md "Session file"): the journal's own lines (jsonlcodec.h), so that an
 * export opens like any saved session. Streams: lines collect in a buffer that goes to the device each MiB.
 */
class JsonlExporter final : public SessionExporter
{
public:
    JsonlExporter(QIODevice* out, const ExportOptions& options);
    ~JsonlExporter() override;

protected:
    void writeConnection(const Connection& c) override;
    void writeEvent(const Event& e) override;
    void writeEnd() override;

private:
    void flushIfFull();
    void flush();

    QByteArray m_buffer;
};

} // namespace wsi
