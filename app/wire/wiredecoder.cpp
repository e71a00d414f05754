#include "wiredecoder.h"

#include "utf8.h"

#include <QtEndian>

namespace wsi {

namespace {

// Sizes a fragment note lists before it leaves the middle out, so that a message of a million tiny frames
// keeps a note (and a decoder) of bounded size.
constexpr int ListedFragments = 8;

quint8 rsvFlags(quint8 rsv)
{
    return ((rsv & 4) ? FlagRsv1 : 0) | ((rsv & 2) ? FlagRsv2 : 0) | ((rsv & 1) ? FlagRsv3 : 0);
}

quint8 frameFlags(const Frame& f)
{
    return (f.fin ? FlagFin : 0) | rsvFlags(f.rsv) | (f.masked ? FlagMasked : 0);
}

// The largest frame whose payload is buffered; larger ones are skipped (counted, payload not kept). A frame
// larger than maxMessageBytes cannot be part of a message that is kept, so the frame limit follows the message
// limit, and a legal frame of any size costs the stream nothing. Control frames may always carry their 125 bytes.
qint64 frameLimit(const WireDecoder::Limits& l)
{
    return std::min(l.maxFramePayload, std::max<qint64>(l.maxMessageBytes, 125));
}

} // namespace

struct WireDecoder::Private
{
    Sender sender;
    Limits limits;
    FrameParser parser;
    std::optional<DeflateParams> deflate;
    std::unique_ptr<MessageInflater> inflater;
    bool contextLost = false; // context takeover and a message could not be inflated: later ones cannot be
    bool maskReported = false;
    bool afterCloseReported = false;
    bool rsvReported = false;
    bool lengthReported = false;
    bool finished = false;

    // The data message being reassembled.
    bool open = false;
    Opcode opcode = Opcode::Text;
    quint8 rsv = 0;
    bool masked = false;
    QByteArray data;
    qint64 size = 0;
    qint64 frames = 0;
    bool overLimit = false;
    QList<qint64> firstSizes;
    qint64 lastSize = 0;
    QByteArray overLimitNote;

    Private(Sender s, const Limits& l)
        : sender(s)
        , limits(l)
        , parser(frameLimit(l))
    {
        // Control frame rules and lengths that are not minimally encoded are reported here, and the stream
        // decoded on: the length is still sound. Frames over the limit are skipped, not buffered.
        parser.setCheckControlFrames(false);
        parser.setCheckMinimalLength(false);
        parser.setSkipOversized(true);
    }

    QByteArray frameOverLimitNote() const
    {
        return "a frame larger than the limit of " + QByteArray::number(frameLimit(limits))
            + " bytes: payload not kept";
    }

    Direction direction() const { return sender == Sender::Client ? Direction::C2S : Direction::S2C; }
    // Literals: asked for on every frame, and a QByteArray made from a char pointer would allocate each time.
    QByteArray who() const
    {
        return sender == Sender::Client ? QByteArrayLiteral("the client") : QByteArrayLiteral("the server");
    }

    void error(QList<Event>* out, const QByteArray& text)
    {
        Event e;
        e.direction = Direction::None;
        e.kind = EventKind::Error;
        e.payload = text;
        e.size = text.size();
        out->append(std::move(e));
    }

    bool compressedMessage() const { return deflate && (rsv & 4); }
    // The RSV bits that no agreed extension gives a meaning.
    quint8 unknownRsv() const { return deflate ? 3 : 7; }

    static QByteArray rsvNames(quint8 bits)
    {
        QList<QByteArray> names;
        for (int i = 0; i < 3; ++i) {
            if (bits & (4 >> i))
                names.append("RSV" + QByteArray::number(i + 1));
        }
        return names.join(" and ");
    }

    MessageInflater& messageInflater()
    {
        if (!inflater) {
            const bool client = sender == Sender::Client;
            inflater = std::make_unique<MessageInflater>(
                client ? deflate->clientMaxWindowBits : deflate->serverMaxWindowBits,
                client ? deflate->clientNoContextTakeover : deflate->serverNoContextTakeover);
        }
        return *inflater;
    }

    bool noContextTakeover() const
    {
        return sender == Sender::Client ? deflate->clientNoContextTakeover : deflate->serverNoContextTakeover;
    }

    // After a message that did not inflate: without context takeover the next message starts afresh; with it,
    // the window is gone and no later message of this direction can be inflated.
    void afterInflateFailure()
    {
        inflater.reset();
        if (!noContextTakeover())
            contextLost = true;
    }

    QByteArray fragmentNote() const
    {
        QByteArray note = QByteArray::number(frames) + " frames: ";
        for (qsizetype i = 0; i < firstSizes.size(); ++i)
            note += (i ? " + " : "") + QByteArray::number(firstSizes[i]);
        if (frames > firstSizes.size()) {
            if (frames > firstSizes.size() + 1)
                note += " + …";
            note += " + " + QByteArray::number(lastSize);
        }
        return note + " bytes";
    }

    void startMessage(const Frame& f)
    {
        open = true;
        opcode = f.opcode;
        rsv = f.rsv;
        masked = f.masked;
        data.clear();
        size = 0;
        frames = 0;
        overLimit = false;
        overLimitNote.clear();
        firstSizes.clear();
        lastSize = 0;
    }

    // n: the frame's payload bytes on the wire (those that arrived, for a frame the stream ended in).
    void appendFrame(Frame& f, qint64 n)
    {
        size += n;
        ++frames;
        if (firstSizes.size() < ListedFragments)
            firstSizes.append(n);
        lastSize = n;
        if (overLimit)
            return;
        if (data.size() + n > limits.maxMessageBytes || f.payloadSkipped) {
            overLimit = true;
            // Over the frame limit means over the message limit, unless the frame limit was set lower.
            overLimitNote = data.size() + n > limits.maxMessageBytes || f.length > limits.maxMessageBytes
                ? "larger than the limit of " + QByteArray::number(limits.maxMessageBytes) + " bytes: payload not kept"
                : frameOverLimitNote();
            data = QByteArray(); // free it: the message is only counted from here on
        } else if (data.isEmpty()) {
            data = std::move(f.payload); // the common single-frame case: no copy
        } else {
            data.append(f.payload);
        }
    }

    // Records the reassembled message; `incomplete` says why it lacks its last frame (empty when it is whole).
    void finishMessage(QList<Event>* out, const QByteArray& incomplete = {})
    {
        const bool complete = incomplete.isEmpty();
        Event e;
        e.direction = direction();
        e.kind = opcode == Opcode::Text ? EventKind::Text : EventKind::Binary;
        e.flags = quint8((complete ? FlagFin : 0) | rsvFlags(rsv) | (masked ? FlagMasked : 0));
        if (frames > 1)
            e.flags |= FlagFragment;
        e.size = size;
        QList<QByteArray> notes;
        if (frames > 1)
            notes.append(fragmentNote());
        QList<QByteArray> errors;
        bool payloadIsMessage = true; // false when the payload is not the message's text (compressed, cut, dropped)

        if (overLimit) {
            notes.append(overLimitNote);
            payloadIsMessage = false;
            if (compressedMessage())
                afterInflateFailure();
        } else if (compressedMessage() && !complete) {
            e.payload = data;
            notes.append("compressed, not inflated: the message is incomplete");
            payloadIsMessage = false;
            afterInflateFailure();
        } else if (compressedMessage()) {
            if (contextLost) {
                e.payload = data;
                notes.append("compressed, not inflated: the compression context was lost with an earlier message");
                payloadIsMessage = false;
            } else {
                QByteArray inflated;
                QByteArray why;
                if (messageInflater().inflate(data, &inflated, limits.maxMessageBytes, &why)) {
                    e.flags |= FlagCompressed;
                    notes.append("compressed: " + QByteArray::number(size) + " → " + QByteArray::number(inflated.size())
                        + " bytes");
                    e.payload = std::move(inflated);
                } else if (why.startsWith("inflated message larger")) {
                    notes.append("compressed: " + QByteArray::number(size) + " bytes; " + why + ": payload not kept");
                    payloadIsMessage = false;
                    afterInflateFailure();
                } else {
                    e.payload = data;
                    notes.append("compressed, not inflated: " + why);
                    errors.append(who() + " sent a message that does not inflate: " + why + " (RFC 7692 §7.2.2)");
                    payloadIsMessage = false;
                    afterInflateFailure();
                }
            }
        } else {
            e.payload = data;
        }
        if (!complete) {
            notes.append(incomplete);
            payloadIsMessage = false;
        }
        // With RSV bits of an unknown extension the payload is that extension's, not text: no UTF-8 check.
        if (payloadIsMessage && opcode == Opcode::Text && !(rsv & unknownRsv()) && !isValidUtf8(e.payload))
            errors.append(who() + " sent a text message that is not valid UTF-8 (RFC 6455 §8.1)");
        e.note = notes.join("; ");
        out->append(std::move(e));
        for (const QByteArray& text : std::as_const(errors))
            error(out, text);

        open = false;
        data = QByteArray();
        firstSizes.clear();
    }

    // cutOff, when not empty, says that the stream ended inside this frame: f holds what arrived of it, and
    // `received` how many of its payload bytes arrived (f.length is what its header announced).
    void handleFrame(WireDecoder& q, Frame& f, QList<Event>* out, const QByteArray& cutOff = {}, qint64 received = 0)
    {
        const qint64 arrived = cutOff.isEmpty() ? f.length : received;
        const QByteArray who = this->who();
        // Rules a peer breaks on every frame once it breaks them at all (masking, a close it does not honour, an
        // extension the decoder does not know of) are reported once per stream, not once per frame.
        if (q.m_closeSeen && !isControl(f.opcode) && !afterCloseReported) {
            afterCloseReported = true;
            error(out, who + " sent a data frame after its close frame (RFC 6455 §5.5.1)");
        }
        const bool mustBeMasked = sender == Sender::Client;
        if (f.masked != mustBeMasked && !maskReported) {
            maskReported = true;
            error(out,
                who
                    + (mustBeMasked ? " sent an unmasked frame (RFC 6455 §5.1)"
                                    : " sent a masked frame (RFC 6455 §5.1)"));
        }
        if ((f.rsv & unknownRsv()) && !rsvReported) {
            rsvReported = true;
            error(out,
                who + " sent a frame with " + rsvNames(f.rsv & unknownRsv())
                    + " set, which no negotiated extension defines (RFC 6455 §5.2)");
        }
        if (f.lengthNotMinimal && !lengthReported) {
            lengthReported = true;
            error(out, who + " sent a frame whose length is not minimally encoded (RFC 6455 §5.2)");
        }
        if ((f.rsv & 4) && deflate) {
            if (isControl(f.opcode))
                error(out, who + " sent a control frame with RSV1 set (RFC 7692 §6.1)");
            else if (f.opcode == Opcode::Continuation)
                error(out, who + " sent a continuation frame with RSV1 set (RFC 7692 §6.1)");
        }

        if (isControl(f.opcode)) {
            if (!f.fin)
                error(out, who + " sent a fragmented control frame (RFC 6455 §5.5)");
            if (f.length > 125)
                error(out,
                    who + " sent a control frame with a " + QByteArray::number(f.length)
                        + "-byte payload, over the 125 bytes allowed (RFC 6455 §5.5)");
            if (!cutOff.isEmpty()) {
                cutControlFrame(f, arrived, out, cutOff);
                return;
            }
            if (f.opcode == Opcode::Close) {
                handleClose(q, f, out);
                return;
            }
            Event e;
            e.direction = direction();
            e.kind = f.opcode == Opcode::Ping ? EventKind::Ping : EventKind::Pong;
            e.flags = frameFlags(f);
            e.size = f.length;
            e.payload = std::move(f.payload);
            if (f.payloadSkipped)
                e.note = frameOverLimitNote();
            out->append(std::move(e));
            return;
        }

        if (f.opcode == Opcode::Continuation) {
            if (!open) {
                error(out,
                    who + " sent a continuation frame without a message to continue (RFC 6455 §5.4); its "
                        + QByteArray::number(arrived) + " bytes are dropped");
                return;
            }
        } else {
            if (open) {
                error(out, who + " started a new message before the fragmented one ended (RFC 6455 §5.4)");
                finishMessage(out, "incomplete: a new message began before its last frame");
            }
            startMessage(f);
        }
        appendFrame(f, arrived);
        if (!cutOff.isEmpty())
            finishMessage(out, cutOff);
        else if (f.fin)
            finishMessage(out);
    }

    // A control frame the stream ended in: what arrived of it, without FIN. A cut close frame is shown with its
    // code (when both bytes arrived) but does not count as the peer's close, and its reason is not judged.
    void cutControlFrame(const Frame& f, qint64 arrived, QList<Event>* out, const QByteArray& cutOff)
    {
        Event e;
        e.direction = direction();
        e.kind = f.opcode == Opcode::Ping ? EventKind::Ping
            : f.opcode == Opcode::Pong    ? EventKind::Pong
                                          : EventKind::Close;
        e.flags = quint8(frameFlags(f) & ~FlagFin);
        e.size = arrived;
        if (f.payloadSkipped) {
            e.note = frameOverLimitNote() + "; " + cutOff;
            out->append(e);
            return;
        }
        if (e.kind == EventKind::Close && f.payload.size() >= 2) {
            e.closeCode = qFromBigEndian<quint16>(f.payload.constData());
            e.payload = f.payload.mid(2);
        } else if (e.kind != EventKind::Close) {
            e.payload = f.payload;
        }
        e.note = cutOff;
        out->append(e);
    }

    void handleClose(WireDecoder& q, const Frame& f, QList<Event>* out)
    {
        const QByteArray who = this->who();
        quint16 code = 0;
        QByteArray reason;
        QByteArray problem;
        if (f.payloadSkipped) {
            // Only possible with a frame limit set under 125 bytes, or an illegal close frame (reported above).
        } else if (f.payload.size() == 1) {
            problem = who + " sent a close frame with a 1-byte payload (RFC 6455 §5.5.1)";
        } else if (f.payload.size() >= 2) {
            code = qFromBigEndian<quint16>(f.payload.constData());
            reason = f.payload.mid(2);
            if (!isValidCloseCode(code))
                problem = who + " sent a close frame with the invalid code " + QByteArray::number(code)
                    + " (RFC 6455 §7.4)";
            else if (!isValidUtf8(reason))
                problem = who + " sent a close reason that is not valid UTF-8 (RFC 6455 §5.5.1)";
        }
        if (!q.m_closeSeen) {
            q.m_closeSeen = true;
            q.m_closeCode = code;
        }
        Event e;
        e.direction = direction();
        e.kind = EventKind::Close;
        e.flags = frameFlags(f);
        e.closeCode = code;
        e.size = f.length;
        e.payload = reason;
        if (f.payloadSkipped)
            e.note = frameOverLimitNote();
        out->append(std::move(e));
        if (!problem.isEmpty())
            error(out, problem);
    }
};

WireDecoder::WireDecoder(Sender sender, const Limits& limits)
    : d(std::make_unique<Private>(sender, limits))
{ }

WireDecoder::~WireDecoder() = default;

void WireDecoder::setDeflate(const std::optional<DeflateParams>& params)
{
    d->deflate = params;
    d->inflater.reset();
    d->contextLost = false;
}

bool WireDecoder::atMessageBoundary() const
{
    return !m_streamLost && !d->parser.midFrame() && !d->open;
}

bool WireDecoder::midFrame() const
{
    return !m_streamLost && d->parser.midFrame();
}

void WireDecoder::feed(QByteArrayView bytes, QList<Event>* out)
{
    m_bytesFed += bytes.size();
    if (m_streamLost || d->finished || bytes.isEmpty())
        return;
    d->parser.feed(bytes);
    Frame frame;
    for (;;) {
        const FrameParser::Status status = d->parser.next(frame);
        if (status == FrameParser::Status::NeedMore)
            return;
        if (status == FrameParser::Status::Failed) {
            const QByteArray& why = d->parser.error().message;
            QByteArray text;
            if (why.startsWith("reserved opcode"))
                text = "a frame with a reserved opcode (RFC 6455 §5.2)";
            else if (why.startsWith("frame larger"))
                text = "a " + why + " (RFC 6455 §10.4)";
            else
                text = "a frame whose length is malformed: " + why + " (RFC 6455 §5.2)";
            d->error(out, d->who() + " sent " + text + "; the rest of the stream is relayed but not decoded");
            m_streamLost = true;
            d->open = false;
            d->data = QByteArray();
            return;
        }
        ++m_frames;
        d->handleFrame(*this, frame, out);
    }
}

void WireDecoder::finish(QList<Event>* out)
{
    if (d->finished)
        return;
    d->finished = true;
    if (m_streamLost)
        return; // the error that lost the framing was recorded; what followed was never decoded
    FrameParser::Partial partial = d->parser.partial();
    if (partial.headerComplete) {
        // The frame's header arrived: what arrived of its payload goes into the record as that frame would have.
        const QByteArray cutOff = "cut off: the stream ended after " + QByteArray::number(partial.received) + " of the "
            + QByteArray::number(partial.frame.length) + " payload bytes of its last frame";
        ++m_frames;
        d->handleFrame(*this, partial.frame, out, cutOff, partial.received);
    }
    if (d->open) {
        // Fragments arrived, the last did not (a cut control frame between fragments was recorded above).
        QByteArray cutOff = "cut off: the stream ended before its last frame";
        if (!partial.headerComplete && partial.headerBytes > 0)
            cutOff += " (" + QByteArray::number(partial.headerBytes) + (partial.headerBytes == 1 ? " byte" : " bytes")
                + " of a frame header left over)";
        d->finishMessage(out, cutOff);
    } else if (!partial.headerComplete && partial.headerBytes > 0) {
        Event e;
        e.direction = Direction::None;
        e.kind = EventKind::Note;
        e.payload = d->who() + "'s stream ended " + QByteArray::number(partial.headerBytes)
            + (partial.headerBytes == 1 ? " byte" : " bytes") + " into a frame header";
        e.size = e.payload.size();
        out->append(e);
    }
    d->open = false;
    d->data = QByteArray();
}

} // namespace wsi
