#pragma once

#include "sessionreader.h"

namespace wsi {

/*
 * Reads the WebSocket connections of a HAR file (Chrome DevTools, Firefox, HTTP Toolkit, and our own
 * HarExporter) into a session. An entry is a WebSocket when it says so (`_resourceType: "websocket"`), carries
 * `_webSocketMessages`, asks for a ws:// or wss:// URL, or was answered 101 with "Upgrade: websocket"; other
 * entries are skipped and counted in a warning. Each becomes a client connection (ids 1..N in entry order)
 * with its upgrade request and response as handshake events (heads as HttpHead::toBytes(), like the live
 * capture records them), an open event, its messages in array order ("send" is client to server) and the
 * close from `_webSocketClose`. The connections are then merged by time (stably) and numbered 1..M.
 *
 * A file that is not JSON, has no log.entries, or no WebSocket entry is an error naming the place ("line 3,
 * column 17: ..."); within an entry, a field of the wrong type costs what depends on it (a header, a message,
 * the response head) with a warning naming the field ("log.entries[3].response.status: expected a number").
 * The whole file is parsed at once, so it must fit maxBytes.
 */
class HarReader
{
public:
    static constexpr qint64 defaultMaxBytes = qint64(1) << 30;

    // Progress is reported in bytes while the file is read, then once per entry as (total, total) so that a
    // long conversion can still be cancelled.
    static bool readFile(const QString& path, SessionData& out, QString* error, SessionReader::Progress progress = {},
        qint64 maxBytes = defaultMaxBytes);
    static bool read(QIODevice& device, SessionData& out, QString* error, SessionReader::Progress progress = {},
        qint64 maxBytes = defaultMaxBytes);
};

} // namespace wsi
