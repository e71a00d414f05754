#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QtGlobal>

#include <optional>

namespace wsi {

// RFC 6455 opcodes.
enum class Opcode : quint8 {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

inline bool isControl(Opcode op)
{
    return quint8(op) & 0x8;
}

// One frame as it was on the wire; payload already unmasked.
struct Frame
{
    bool fin = true;
    quint8 rsv = 0; // bits: 4 = RSV1, 2 = RSV2, 1 = RSV3
    Opcode opcode = Opcode::Text;
    bool masked = false;
    quint32 maskKey = 0;
    QByteArray payload;
    qint64 length = 0; // the payload length on the wire: payload.size() unless payloadSkipped
    bool payloadSkipped = false; // over the parser's limit and skipped (see FrameParser::setSkipOversized)
    bool lengthNotMinimal = false; // the length took more bytes than needed (see setCheckMinimalLength)
};

/*
 * Incremental RFC 6455 frame parser: feed it bytes in any split and it yields the same frames. It checks
 * what the framing layer alone can (reserved opcodes, control frame rules, length encoding, the size limit);
 * masking, RSV use and fragmentation order are the connection's business, since they depend on the role and
 * on negotiated extensions. After an error it stays in error.
 */
class FrameParser
{
public:
    struct Error
    {
        quint16 closeCode = 1002; // code to close the connection with
        QByteArray message;
    };
    enum class Status {
        Frame,
        NeedMore,
        Failed,
    };
    // What the buffered bytes of an unfinished frame say, for a stream that ends there.
    struct Partial
    {
        qsizetype headerBytes = 0; // bytes of the frame header that arrived (all of it when headerComplete)
        bool headerComplete = false;
        // With headerComplete: the header's fields (length: what it announced) and the payload bytes that
        // arrived, unmasked (none when the frame is being skipped).
        Frame frame;
        qint64 received = 0; // payload bytes that arrived, skipped ones included
    };

    explicit FrameParser(qint64 maxFramePayload = 64 * 1024 * 1024);

    // Off: fragmented control frames and control payloads over 125 bytes are returned as frames for the caller
    // to judge, since their length still tells where the next frame starts (a watcher reports them and goes on).
    void setCheckControlFrames(bool check) { m_checkControlFrames = check; }
    // Off: a 16- or 64-bit length that would have fit in fewer bytes is accepted, and the frame returned with
    // lengthNotMinimal set; the length is still readable, so a watcher reports it and goes on. A 64-bit length
    // with its most significant bit set stays an error either way: no frame can be that long.
    void setCheckMinimalLength(bool check) { m_checkMinimalLength = check; }
    // On: a frame over maxFramePayload is no error; its payload goes by without being buffered, and the frame is
    // returned once all of it passed, with payloadSkipped set and an empty payload. A watcher that keeps no
    // payload over its limit anyway thus follows the stream with bounded memory.
    void setSkipOversized(bool skip) { m_skipOversized = skip; }

    void feed(QByteArrayView data);
    // Takes the next complete frame out of the buffered bytes.
    Status next(Frame& out);
    const Error& error() const { return m_error; }
    qsizetype buffered() const { return m_buffer.size() - m_pos; }
    // True while the bytes fed so far end inside a frame (buffered, or an oversized one being skipped).
    bool midFrame() const { return buffered() > 0 || m_skipping; }
    // The unfinished frame next() is waiting on (nothing unless midFrame()). Valid until the next feed().
    Partial partial() const;

private:
    struct Header
    {
        bool fin = false;
        quint8 rsv = 0;
        quint8 opcode = 0;
        bool masked = false;
        quint32 maskKey = 0;
        quint64 length = 0;
        qsizetype size = 0; // header bytes
        bool lengthNotMinimal = false;
    };
    enum class HeaderStatus {
        Complete,
        NeedMore,
        Failed,
    };
    // Reads the header at the start of p; on failure, *why says what is wrong (with the close code to use).
    HeaderStatus readHeader(const uchar* p, qsizetype avail, Header* h, Error* why) const;
    Status fail(const Error& error);
    static void setHeader(Frame& out, const Header& h);

    QByteArray m_buffer;
    qsizetype m_pos = 0;
    qint64 m_maxFramePayload;
    bool m_failed = false;
    bool m_checkControlFrames = true;
    bool m_checkMinimalLength = true;
    bool m_skipOversized = false;
    // The oversized frame being skipped: its header, and how many payload bytes are still to go by.
    bool m_skipping = false;
    Header m_skipHeader;
    quint64 m_skipLeft = 0;
    Error m_error;
};

// Encodes one frame. With a mask key the payload is masked (frames from a client must be).
QByteArray encodeFrame(
    Opcode opcode, QByteArrayView payload, bool fin = true, std::optional<quint32> maskKey = {}, quint8 rsv = 0);

// Close frame payload: 2-byte code + UTF-8 reason; empty when code is 0.
QByteArray closePayload(quint16 code, QByteArrayView reason);

// XORs data with the 4-byte key, starting at key byte `offset % 4`.
void applyMask(char* data, qsizetype size, quint32 key, qsizetype offset = 0);

// Whether a peer may send this close code (RFC 6455 7.4.1 and 7.4.2).
bool isValidCloseCode(quint16 code);

} // namespace wsi
