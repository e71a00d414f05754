#pragma once

#include "sessionexporter.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QList>

#include <memory>

class QTemporaryFile;

namespace wsi {

/*
 * Writes a session as a log for people to read, one line per event:
 *   2026-11-30 12:00:00.123456  #1  c2s  text         5 B  hello
 * (UTC time, connection, direction, kind, size for frames, then the content). What does not fit on that line
 * follows on lines indented by four spaces: the rest of a multi-line text, a binary message's hex dump (its
 * first MaxHexDumpBytes), a handshake's header lines, the event's note. A header block names the creation
 * time, the app and every connection. Since the connections are known only at the end, the lines wait in
 * memory and, past a few megabytes, in a temporary file, and are written after the header by finish().
 */
class TextExporter final : public SessionExporter
{
public:
    static constexpr qsizetype MaxHexDumpBytes = 256;
    static constexpr QLatin1StringView Indent { "    " };

    TextExporter(QIODevice* out, const ExportOptions& options);
    ~TextExporter() override;

    // The event's lines, each ending in '\n'.
    static QByteArray eventLines(const Event& e);
    // "2026-11-30 12:00:00.123456"
    static QByteArray timeText(qint64 timestampUs);

protected:
    void writeConnection(const Connection& c) override;
    void writeEvent(const Event& e) override;
    void writeEnd() override;

private:
    void spillIfFull();

    QDateTime m_created;
    QList<Connection> m_connections; // in order of first description, each with its latest one
    QHash<quint32, qsizetype> m_connectionIndex;
    qint64 m_events = 0;
    QByteArray m_body;
    std::unique_ptr<QTemporaryFile> m_spill;
    bool m_spillFailed = false;
};

} // namespace wsi
