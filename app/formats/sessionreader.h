#pragma once

#include "../core/connection.h"
#include "../core/event.h"
#include "sessionformat.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <vector>

class QIODevice;

namespace wsi {

// Everything a session file holds, in file order.
struct SessionData
{
    QList<Connection> connections; // one per id, in order of first appearance, latest description
    std::vector<Event> events; // seq as in the file
    QStringList warnings; // "line N: reason", at most 100 plus one line counting the rest
    // What the reader left out because it could not read it, counted in full: lines of a session file, entries
    // and messages of a HAR file. Other warnings (a second header, a header left out, times read as
    // milliseconds, entries that are not WebSocket connections) cost nothing and are not counted here.
    qsizetype skipped = 0;
    SessionFormat format = SessionFormat::Jsonl; // what the file was read as (the content decides, not the name)
    int version = 0;
    QString created;
    QString app;
};

/*
 * Loads a native session file (JSON Lines, see jsonlcodec.h). Built for files that were cut short or edited
 * by hand: the header line must be right, but after that a bad line only costs itself (it is skipped with a
 * warning) and a half-written last line from a crash is dropped with a warning. Connections described more
 * than once keep their first position and take the latest description.
 */
class SessionReader
{
public:
    // Called now and then with the bytes read so far and the total (-1 when unknown); return false to cancel.
    using Progress = std::function<bool(qint64 done, qint64 total)>;

    static constexpr int maxWarnings = 100;
    // A longer line is skipped with a warning, its bytes dropped as they are read, so that memory stays
    // bounded whatever the file holds. The largest message the app records (1 GiB, the ceiling of
    // --max-message-size) is a line of 1.34 GiB in base64.
    static constexpr qint64 defaultMaxLineBytes = qint64(2) << 30;

    // Returns false with a user-readable reason in *error when the file cannot be loaded at all; out is then
    // left partly filled and should be thrown away.
    static bool readFile(const QString& path, SessionData& out, QString* error, Progress progress = {});
    static bool read(QIODevice& device, SessionData& out, QString* error, Progress progress = {},
        qint64 maxLineBytes = defaultMaxLineBytes);
};

} // namespace wsi
