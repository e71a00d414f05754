#pragma once

#include "../core/connection.h"
#include "../core/event.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QDateTime>
#include <QString>

/*
 * The lines of the native session file (JSON Lines, see DESIGN.md "Session file"). Both directions are written
 * for a million events in a second or so: encoding by hand into a reused buffer, decoding with a strict
 * single-line JSON parser that keeps strings as byte views (QJsonDocument judges only the odd lines it gives up
 * on). The parser also keeps string bytes exact, where QJsonDocument, like QString::fromUtf8, drops a leading BOM.
 *
 * Event lines carry "type","seq","conn","ts","dir","kind", then keys that depend on the kind:
 *  - text, binary, ping, pong: "size" (always) and "data". Binary payloads, and any other payload that is not
 *    valid UTF-8, are base64 with "enc":"base64"; everything else is a plain JSON string.
 *  - close: "code" (left out when the frame carried none), "size" (always), "reason" (may be base64 + "enc").
 *  - handshake-request: "method", "url", "headers":[[name,value],...]; handshake-response: "status",
 *    "reason" (when not empty), "headers". Header order and spelling are kept. "httpVersion" appears when the
 *    head was not HTTP/1.1. When the recorded bytes cannot be rebuilt exactly from those keys (a head that did
 *    not parse, bare LF line ends, odd spacing, header bytes that are not UTF-8), the raw head is also written
 *    as "data" (+ "enc"), and readers prefer it: a session file never loses what was on the wire.
 *  - open, closed, note: the message text under "message"; error: under "error". Left out when empty. A closed
 *    event also has "code" when the connection ended with one (the peer's close code, 1006 when it was lost).
 * Optional keys on any event:
 *  - "note": the event's remark (Event::note), with "noteEnc":"base64" when it is not valid UTF-8. The key
 *    means the same thing on every kind, which is why a note event's own text lives under "message";
 *  - "fin", "masked", "compressed", "fragment": true when the flag is set, absent otherwise;
 *  - "rsv": the three RSV bits as they sit in the frame header (RSV1 = 4, RSV2 = 2, RSV3 = 1), when not 0;
 *  - "size" on non-frame kinds, only when it differs from the payload size (or, for a close, from the
 *    reason size plus 2 when a code was sent) — the reader derives it otherwise;
 *  - "mono": the monotonic clock in ns, left out when it equals ts * 1000 (what readers assume without it).
 * Readers ignore keys they do not know; an unknown "dir" or "kind" makes the line invalid.
 */
namespace wsi::jsonl {

inline constexpr QLatin1StringView formatName { "wsinspector-session" };
inline constexpr int formatVersion = 1;

struct SessionHeader
{
    QString format;
    int version = 0;
    QString created; // ISO 8601 UTC with milliseconds, as written
    QString app; // "wsinspector 0.1.0"
};

// The first line of a new file, without the newline. created is converted to UTC.
QByteArray encodeHeader(const QDateTime& created, const QString& app);

// One line each, without the trailing newline.
QByteArray encodeConnection(const Connection& c);
QByteArray encodeEvent(const Event& e);

// The same, appended to out with the newline: the writer's hot path, which reuses one buffer.
void appendConnection(QByteArray& out, const Connection& c);
void appendEvent(QByteArray& out, const Event& e);

enum class LineType {
    Session,
    Connection,
    Event,
};

enum class DecodeStatus {
    Ok,
    NotJson, // not a JSON object at all: a garbage or truncated line
    Invalid, // a JSON object, but not a line this version understands
};

struct DecodedLine
{
    LineType type = LineType::Event;
    SessionHeader header; // when type == Session
    Connection connection; // when type == Connection
    Event event; // when type == Event; seq is 0 when the line had none
};

// Decodes one line (with or without the trailing newline). On failure error says why, in a few words.
DecodeStatus decodeLine(QByteArrayView line, DecodedLine& out, QString* error = nullptr);

} // namespace wsi::jsonl
