#pragma once

#include "sessionexporter.h"

#include <QHash>

#include <vector>

namespace wsi {

/*
 * Writes HAR 1.2 the way Chrome DevTools writes a WebSocket (so DevTools, HTTP Toolkit and HAR viewers open
 * it): one entry per connection with the upgrade request and response, `_resourceType: "websocket"` and the
 * messages in `_webSocketMessages` ({type "send"|"receive", time in epoch seconds to the microsecond,
 * opcode 1|2, data}, binary data in base64). Text that is not valid UTF-8 cannot be a JSON string: it goes out
 * as opcode 1 with base64 data and `"_encoding": "base64"`. Chrome's list holds data frames only, so pings and
 * pongs are left out, and the connection's first close frame is written as
 * `_webSocketClose: {code, reason, by: "client"|"server", time}` (code left out when the frame had none;
 * reason in base64 with `_encoding` when it is not UTF-8) — HTTP Toolkit writes the same key, without `by`.
 *
 * A few more underscore keys, which other tools ignore, are written where HAR's own fields cannot say what was
 * recorded: `_time` on the request and response (epoch seconds, where startedDateTime has milliseconds),
 * `_rawHead` (base64 of the head as recorded, when the HAR fields would not rebuild it byte for byte),
 * `_synthetic: true` on a request or response made up for a connection whose handshake was not recorded, and on
 * the entry `_openTime`, `_role` (when not "client"), `_peer` and `_subprotocol` (when the URL,
 * serverIPAddress and headers do not give them), and `_connectionId` (when the connection's id is not the
 * entry's position, counted from 1).
 *
 * What a HAR keeps, and HarReader gives back: each connection (id, role, URL, peer, subprotocol), its first
 * upgrade request and response (bytes and times exact), when it opened, its text and binary messages (direction,
 * time to the microsecond, bytes exact) and its first close frame (code, reason, side, time). What it drops:
 * pings and pongs, close frames after the first, closed, error and note events, event notes, frame flags (FIN,
 * RSV, masked, compressed: read back as final frames, masked from the client), seq (renumbered in time order),
 * the monotonic clock, sizes other than the payload's, and events of no connection.
 *
 * Each message is encoded as it is fed and kept as JSON text in its connection's entry until finish(), when
 * the file is written entry by entry: memory is about the size of the output, and no event is kept.
 */
class HarExporter final : public SessionExporter
{
public:
    HarExporter(QIODevice* out, const ExportOptions& options);
    ~HarExporter() override;

protected:
    void writeConnection(const Connection& c) override;
    void writeEvent(const Event& e) override;
    void writeEnd() override;

private:
    struct Head;
    struct Entry;

    Entry& entryFor(quint32 id);
    // Appends the entry to out, writing out (and the entry's messages) to the device on the way.
    void writeEntry(QByteArray& out, const Entry& entry, quint32 position, qint64 fallbackStartUs);
    void flushIfFull(QByteArray& out);

    std::vector<Entry> m_entries; // in order of first appearance
    QHash<quint32, qsizetype> m_index;
};

} // namespace wsi
