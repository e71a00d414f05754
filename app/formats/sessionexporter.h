#pragma once

#include "../core/connection.h"
#include "../core/event.h"
#include "sessionformat.h"

#include <QDateTime>
#include <QString>

#include <functional>
#include <memory>

class QIODevice;

namespace wsi {

struct SessionData;

struct ExportOptions
{
    bool includeSecrets = false; // false: see redaction.h
    QString app; // "wsinspector 0.1.0", for formats that name their creator
    // When the session began (a file's own "created"); invalid: the time of the export. Saving an opened file
    // again keeps its date.
    QDateTime created;
};

/*
 * Writes a session, or part of one, in one of the export formats. Fed like the journal: connections are
 * described before their first event (and may be described again, the latest description wins), events come
 * in seq order. Formats that can stream (JSONL, CSV, text, pcap) write as they are fed; HAR keeps what it needs
 * until finish(). Secrets are redacted here, before a format sees them, unless options.includeSecrets.
 */
class SessionExporter
{
public:
    // Null for a format that cannot be written.
    static std::unique_ptr<SessionExporter> create(SessionFormat format, QIODevice* out, const ExportOptions& options);

    virtual ~SessionExporter();
    SessionExporter(const SessionExporter&) = delete;
    SessionExporter& operator=(const SessionExporter&) = delete;

    void addConnection(const Connection& c);
    void addEvent(const Event& e);
    // Writes what is left; false with a user-readable reason when the device failed.
    bool finish(QString* error);

protected:
    SessionExporter(QIODevice* out, const ExportOptions& options);
    QIODevice* device() const { return m_out; }
    const ExportOptions& options() const { return m_options; }

    virtual void writeConnection(const Connection& c) = 0;
    virtual void writeEvent(const Event& e) = 0;
    virtual void writeEnd() { }

private:
    QIODevice* const m_out;
    const ExportOptions m_options;
};

// Called now and then with the events written so far and the total; return false to cancel.
using ExportProgress = std::function<bool(qint64 done, qint64 total)>;

// Writes data to path in the given format, through a QSaveFile (an existing file is replaced only when all
// went well). False with a user-readable reason in *error on failure or cancel.
bool exportSession(const SessionData& data, const QString& path, SessionFormat format, const ExportOptions& options,
    QString* error, ExportProgress progress = {});

} // namespace wsi
