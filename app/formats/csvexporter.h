#pragma once

#include "sessionexporter.h"

#include <QByteArray>
#include <QHash>
#include <QString>

namespace wsi {

/*
 * Writes a session as CSV (RFC 4180: CRLF line ends, fields quoted when they hold a comma, a quote, CR or
 * LF, quotes doubled), one row per event under a header row:
 *   seq,time,timestamp_us,connection,url,direction,kind,size,close_code,flags,encoding,data,note
 * time is ISO 8601 UTC with microseconds; flags lists fin, rsv1-3, masked, compressed and fragment, space
 * separated. data holds the payload as text when it is valid UTF-8 (encoding "text"), base64 otherwise and
 * always for binary messages (encoding "base64"): a close's reason (its code is in close_code), a handshake's
 * head, the message of open/closed/error/note. Cells are written byte for byte, also those that start with
 * = + - @ (a spreadsheet may take them for a formula): this is a data export for other tools, and the usual
 * guard, a leading apostrophe, would change every such message ("-1", "@user", "=" in a chat) for all of them.
 */
class CsvExporter final : public SessionExporter
{
public:
    CsvExporter(QIODevice* out, const ExportOptions& options);

    static QByteArray headerRow();
    // Appends value as one field, quoted when RFC 4180 asks for it.
    static void appendField(QByteArray& out, QByteArrayView value);

protected:
    void writeConnection(const Connection& c) override;
    void writeEvent(const Event& e) override;
    void writeEnd() override;

private:
    void flush();

    QHash<quint32, QByteArray> m_urls; // UTF-8, the latest description's
    QByteArray m_buffer;
};

} // namespace wsi
