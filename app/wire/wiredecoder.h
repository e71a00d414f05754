#pragma once

#include "../core/event.h"
#include "frame.h"
#include "permessagedeflate.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <limits>
#include <memory>
#include <optional>

namespace wsi {

/*
 * Reads a copy of one direction of a relayed WebSocket connection (the bytes after the 101 response) and
 * turns it into the events a recording shows, without ever changing or holding back the bytes themselves:
 * the recording proxy relays what the peers send and only watches.
 *
 * - Frames are parsed incrementally: any split of the byte stream yields the same events.
 * - A data message becomes one Text or Binary event once its last frame arrived, reassembled from its
 *   fragments (FlagFragment, and a note that lists the frame sizes). Its flags are those of its first frame
 *   (FIN always set on the message, RSV bits, masked). `size` is the sum of the frame payloads as they were on
 *   the wire; `payload` is the message itself, inflated when permessage-deflate was negotiated and RSV1 set
 *   (FlagCompressed, and a note "compressed: 120 → 560 bytes").
 * - Ping, pong and close frames become their events (close: code in closeCode, reason as payload); control
 *   frames between fragments keep their order on the wire.
 * - Protocol errors become Error events (direction None) naming the rule and its RFC section, e.g. "the client
 *   sent an unmasked frame (RFC 6455 §5.1)". Errors that concern one message (invalid UTF-8, an invalid close
 *   code, data that does not inflate) or leave the length readable (a length not minimally encoded, a control
 *   frame too long or fragmented) are recorded and decoding goes on with the next frame. Errors that lose the
 *   framing (a reserved opcode, a 64-bit length with its top bit set) are recorded once, and the rest of the
 *   stream is only counted: isStreamLost() then says so.
 * - A message over maxMessageBytes (or with a frame over the limits) is recorded without its payload (size
 *   set, payload empty, a note saying it was over the limit) so that memory stays bounded; frames over the
 *   limit are not even buffered.
 *
 * Events come out with direction, kind, flags, closeCode, size, payload and note set; connection, seq and the
 * clocks are for the caller to fill. Pure: no sockets, no clock, no Qt event loop.
 */
class WireDecoder
{
public:
    enum class Sender : quint8 {
        Client, // c2s: frames must be masked
        Server, // s2c: frames must not be masked
    };
    struct Limits
    {
        // Frames over maxFramePayload or over maxMessageBytes are skipped: counted and relayed, their payload
        // neither buffered nor kept, and the stream decoded on. Since a frame over maxMessageBytes cannot belong
        // to a message that is kept, the frame limit follows the message limit unless set lower.
        qint64 maxFramePayload = std::numeric_limits<qint64>::max();
        qint64 maxMessageBytes = 64 * 1024 * 1024;
    };

    WireDecoder(Sender sender, const Limits& limits);
    explicit WireDecoder(Sender sender)
        : WireDecoder(sender, Limits {})
    { }
    ~WireDecoder();
    Q_DISABLE_COPY_MOVE(WireDecoder)

    // What the handshake agreed on; set before the first feed(). Without it, RSV1 is a protocol error.
    void setDeflate(const std::optional<DeflateParams>& params);

    // Decodes these bytes (the next piece of the stream) and appends the resulting events to *out.
    void feed(QByteArrayView bytes, QList<Event>* out);

    // The stream ended (its TCP connection closed): a message whose frames were not all there is emitted as it
    // was, without FIN, with a note saying it was cut off (and how many bytes of a frame were left over), so that
    // nothing that crossed the wire is missing from the record. A control frame cut off is recorded with what
    // arrived of it, likewise without FIN (a cut close frame does not count for closeSeen()); a few bytes of a
    // frame header alone give a Note. After a lost stream it adds nothing. Nothing may be fed afterwards.
    void finish(QList<Event>* out);

    // True when the bytes fed so far end exactly at a frame boundary (nothing of a frame buffered) and no
    // fragmented message is open: a frame of our own (a close) can then go into this stream without breaking it.
    bool atMessageBoundary() const;
    // True while some frame's bytes are buffered (the stream ended mid-frame if it ends now).
    bool midFrame() const;
    // True once the framing was lost: the rest of the stream is relayed but no longer decoded.
    bool isStreamLost() const { return m_streamLost; }
    // True once a close frame was decoded.
    bool closeSeen() const { return m_closeSeen; }
    quint16 closeCode() const { return m_closeCode; }

    qint64 bytesFed() const { return m_bytesFed; }
    qint64 framesDecoded() const { return m_frames; }

private:
    struct Private;
    std::unique_ptr<Private> d;
    bool m_streamLost = false;
    bool m_closeSeen = false;
    quint16 m_closeCode = 0;
    qint64 m_bytesFed = 0;
    qint64 m_frames = 0;
};

} // namespace wsi
