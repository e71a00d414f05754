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
 * A few more underscore keys, which other tools ignore, are written only where HAR's own fields cannot say
 * what was recorded, so that a HAR read back by HarReader gives the same session: `_time` on the request
 * and response (epoch seconds, where startedDateTime has milliseconds), `_rawHead` (base64 of the head as
 * recorded, when the HAR fields would not rebuild it byte for byte), `_synthetic: true` on a request or
 * response made up for a connection whose handshake was not recorded, and on the entry `_openTime`, `_role`
 * (when not "client"), `_peer` and `_subprotocol` (when the URL, serverIPAddress and headers do not give them),
 * and `_connectionId` (when the connection's id is not the entry's position, counted from 1).
 *
 * Everything but the messages' bytes is kept per connection until finish(), when the file is written entry
 * by entry; the payloads are shared with the events fed in, not copied.
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
    struct Entry;

    Entry& entryFor(quint32 id);
    void appendEntry(QByteArray& out, const Entry& entry, quint32 position, qint64 fallbackStartUs) const;
    void flushIfFull(QByteArray& out);

    std::vector<Entry> m_entries; // in order of first appearance
    QHash<quint32, qsizetype> m_index;
};

} // namespace wsi
