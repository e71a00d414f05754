#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QtGlobal>

#include <optional>

namespace wsi {

// Direction is always seen from the wire, whatever the role of the endpoint that recorded it.
enum class Direction : quint8 {
    None,
    C2S,
    S2C,
};

enum class EventKind : quint8 {
    Open,
    HandshakeRequest,
    HandshakeResponse,
    Text,
    Binary,
    Ping,
    Pong,
    Close,
    Closed,
    Error,
    Note,
};
inline constexpr int EventKindCount = int(EventKind::Note) + 1;

// Frame-level details; a single byte so that the store's records stay small.
enum EventFlag : quint8 {
    FlagFin = 0x01,
    FlagRsv1 = 0x02,
    FlagRsv2 = 0x04,
    FlagRsv3 = 0x08,
    FlagMasked = 0x10,
    FlagCompressed = 0x20,
    FlagFragment = 0x40, // the message arrived in more than one frame
};

/*
 * One thing that happened on a connection: a frame, a handshake half, a state change, an error or a note.
 * A small value that travels from the capture thread to the store and the journal. The payload is
 * implicitly shared, so copying an Event across threads does not copy message bytes.
 *
 * What `payload` holds depends on the kind:
 *  - text/binary/ping/pong: the message payload as it was (text is UTF-8 bytes, possibly invalid UTF-8);
 *  - close: the close reason (UTF-8), with the code in `closeCode` (0 when the frame carried none);
 *  - handshake-request/-response: the HTTP head as text, "GET /path HTTP/1.1\r\nName: value\r\n..." (see HttpHead);
 *  - open/closed/error/note: a human readable message (UTF-8), may be empty.
 * `note` is an optional remark attached to any event (e.g. which handshake headers Qt added itself).
 */
struct Event
{
    quint64 seq = 0; // assigned by the Recorder, 1-based, increasing
    qint64 timestampUs = 0; // microseconds since the Unix epoch
    qint64 monotonicNs = 0; // monotonic clock, for deltas between events
    quint32 connection = 0;
    Direction direction = Direction::None;
    EventKind kind = EventKind::Note;
    quint8 flags = 0;
    quint16 closeCode = 0;
    // Payload size in bytes on the wire (for close: 2 + reason bytes when a code was sent). For a message with
    // FlagCompressed that is the compressed size while `payload` holds the inflated message, so the two differ.
    qint64 size = 0;
    QByteArray payload;
    QByteArray note; // UTF-8, usually empty

    bool isFrame() const { return direction != Direction::None; }
};

// Current wall-clock time in microseconds since the epoch and the monotonic clock in nanoseconds.
qint64 nowUs();
qint64 monotonicNowNs();

// Convenience constructor used by the endpoints; fills both clocks with "now".
Event makeEvent(quint32 connection, Direction direction, EventKind kind, QByteArray payload = {});

// Names used in the session file format and on the command line ("c2s", "handshake-request", ...).
QString directionName(Direction d);
QString kindName(EventKind k);
std::optional<Direction> directionFromName(QStringView name);
std::optional<EventKind> kindFromName(QStringView name);

// One line describing an event's content: payload with control characters escaped (\n, \t, \x01), hex for
// binary, "1000 normal closure: bye" for closes, the start line for handshakes. At most maxChars characters
// (an ellipsis marks the cut). Shared by the timeline and the headless printer so both read alike.
QString eventPreview(EventKind kind, quint16 closeCode, QByteArrayView payload, int maxChars = 200);

// Close code meaning in a few words ("normal closure", "message too big", ...); empty when unknown.
QString closeCodeText(quint16 code);

// What fits of a close reason in a close frame: 125 bytes of control frame payload less the 2-byte code.
inline constexpr int MaxCloseReasonBytes = 123;

// Why this endpoint may not close with this code and reason (RFC 6455 7.4: 1000-1003, 1007-1014 and 3000-4999
// may be sent, 1004/1005/1006/1015 never; the reason at most MaxCloseReasonBytes of UTF-8), as a sentence for
// the user; empty when it may. The one rule for every place that lets the user close a connection.
QString closeRequestProblem(int code, const QString& reason);

} // namespace wsi
