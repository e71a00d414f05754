#include "frame.h"

#include <QtEndian>

#include <algorithm>
#include <cstring>

namespace wsi {

namespace {

// dst = src XOR the 4-byte key from its first byte on; dst and src may be the same.
void copyUnmasked(char* dst, const char* src, qsizetype size, quint32 key)
{
    uchar k[4];
    qToBigEndian(key, k);
    quint32 k32;
    std::memcpy(&k32, k, 4);
    const quint64 k64 = (quint64(k32) << 32) | k32;
    qsizetype i = 0;
    for (; i + 8 <= size; i += 8) {
        quint64 w;
        std::memcpy(&w, src + i, 8);
        w ^= k64;
        std::memcpy(dst + i, &w, 8);
    }
    for (; i < size; ++i)
        dst[i] = char(src[i] ^ k[i % 4]);
}

} // namespace

FrameParser::FrameParser(qint64 maxFramePayload)
    : m_maxFramePayload(maxFramePayload)
{ }

void FrameParser::feed(QByteArrayView data)
{
    if (m_failed || data.isEmpty())
        return;
    if (m_skipping && m_skipLeft > 0) {
        // Nothing is buffered while a frame is skipped: its payload goes by here.
        const qsizetype n = qsizetype(std::min<quint64>(m_skipLeft, quint64(data.size())));
        m_skipLeft -= quint64(n);
        data = data.sliced(n);
        if (data.isEmpty())
            return;
    }
    // Drop consumed bytes before growing, so the buffer stays as small as the largest pending frame.
    if (m_pos > 0 && m_pos >= m_buffer.size() / 2) {
        m_buffer.remove(0, m_pos);
        m_pos = 0;
    }
    m_buffer.append(data);
}

FrameParser::Status FrameParser::fail(const Error& error)
{
    m_failed = true;
    m_error = error;
    m_buffer.clear();
    m_pos = 0;
    return Status::Failed;
}

FrameParser::HeaderStatus FrameParser::readHeader(const uchar* p, qsizetype avail, Header* h, Error* why) const
{
    if (avail < 2)
        return HeaderStatus::NeedMore;
    h->fin = p[0] & 0x80;
    h->rsv = (p[0] >> 4) & 0x7;
    h->opcode = p[0] & 0x0F;
    h->masked = p[1] & 0x80;
    h->length = p[1] & 0x7F;
    h->size = 2;

    const auto failed = [why](quint16 code, QByteArray message) {
        *why = { code, std::move(message) };
        return HeaderStatus::Failed;
    };
    if ((h->opcode >= 0x3 && h->opcode <= 0x7) || h->opcode >= 0xB)
        return failed(1002, "reserved opcode");
    if (isControl(Opcode(h->opcode)) && m_checkControlFrames) {
        if (!h->fin)
            return failed(1002, "fragmented control frame");
        if (h->length > 125)
            return failed(1002, "control frame payload longer than 125 bytes");
    }
    if (h->length == 126) {
        if (avail < 4)
            return HeaderStatus::NeedMore;
        h->length = qFromBigEndian<quint16>(p + 2);
        h->size = 4;
        if (h->length < 126) {
            if (m_checkMinimalLength)
                return failed(1002, "frame length not minimally encoded");
            h->lengthNotMinimal = true;
        }
    } else if (h->length == 127) {
        if (avail < 10)
            return HeaderStatus::NeedMore;
        h->length = qFromBigEndian<quint64>(p + 2);
        h->size = 10;
        if (h->length >> 63)
            return failed(1002, "frame length has its most significant bit set");
        if (h->length <= 0xFFFF) {
            if (m_checkMinimalLength)
                return failed(1002, "frame length not minimally encoded");
            h->lengthNotMinimal = true;
        }
    }
    if (h->length > quint64(m_maxFramePayload) && !m_skipOversized)
        return failed(1009, "frame larger than the limit of " + QByteArray::number(m_maxFramePayload) + " bytes");
    if (h->masked) {
        if (avail < h->size + 4)
            return HeaderStatus::NeedMore;
        h->maskKey = qFromBigEndian<quint32>(p + h->size);
        h->size += 4;
    }
    return HeaderStatus::Complete;
}

void FrameParser::setHeader(Frame& out, const Header& h)
{
    out.fin = h.fin;
    out.rsv = h.rsv;
    out.opcode = Opcode(h.opcode);
    out.masked = h.masked;
    out.maskKey = h.maskKey;
    out.length = qint64(h.length);
    out.lengthNotMinimal = h.lengthNotMinimal;
    out.payload = QByteArray();
    out.payloadSkipped = false;
}

FrameParser::Status FrameParser::next(Frame& out)
{
    if (m_failed)
        return Status::Failed;
    if (m_skipping) {
        if (m_skipLeft > 0)
            return Status::NeedMore;
        m_skipping = false;
        setHeader(out, m_skipHeader);
        out.payloadSkipped = true;
        return Status::Frame;
    }
    const auto* p = reinterpret_cast<const uchar*>(m_buffer.constData()) + m_pos;
    const qsizetype avail = m_buffer.size() - m_pos;
    Header h;
    Error why;
    switch (readHeader(p, avail, &h, &why)) {
    case HeaderStatus::NeedMore:
        return Status::NeedMore;
    case HeaderStatus::Failed:
        return fail(why);
    case HeaderStatus::Complete:
        break;
    }
    if (h.length > quint64(m_maxFramePayload)) {
        // Skipped (setSkipOversized): what is buffered of its payload goes now, the rest as it is fed.
        const quint64 here = std::min<quint64>(h.length, quint64(avail - h.size));
        m_pos += h.size + qsizetype(here);
        if (m_pos == m_buffer.size()) {
            m_buffer.clear();
            m_pos = 0;
        }
        m_skipping = true;
        m_skipHeader = h;
        m_skipLeft = h.length - here;
        return next(out);
    }
    if (quint64(avail - h.size) < h.length)
        return Status::NeedMore;

    setHeader(out, h);
    const char* const payload = reinterpret_cast<const char*>(p + h.size);
    if (h.masked) {
        // Unmasked as it is copied out: one pass over the payload instead of a copy and then a second pass.
        out.payload = QByteArray(qsizetype(h.length), Qt::Uninitialized);
        copyUnmasked(out.payload.data(), payload, qsizetype(h.length), h.maskKey);
    } else {
        out.payload = QByteArray(payload, qsizetype(h.length));
    }
    m_pos += h.size + qsizetype(h.length);
    if (m_pos == m_buffer.size()) {
        m_buffer.clear();
        m_pos = 0;
    }
    return Status::Frame;
}

FrameParser::Partial FrameParser::partial() const
{
    Partial out;
    if (m_failed)
        return out;
    if (m_skipping) {
        out.headerBytes = m_skipHeader.size;
        out.headerComplete = true;
        setHeader(out.frame, m_skipHeader);
        out.frame.payloadSkipped = true;
        out.received = qint64(m_skipHeader.length - m_skipLeft);
        return out;
    }
    const auto* p = reinterpret_cast<const uchar*>(m_buffer.constData()) + m_pos;
    const qsizetype avail = m_buffer.size() - m_pos;
    out.headerBytes = avail;
    Header h;
    Error why;
    if (readHeader(p, avail, &h, &why) != HeaderStatus::Complete)
        return out; // next() fails at once on a bad header, so only an incomplete one is left here
    out.headerBytes = h.size;
    out.headerComplete = true;
    Frame& f = out.frame;
    setHeader(f, h);
    f.payload = QByteArray(reinterpret_cast<const char*>(p + h.size), std::min<qsizetype>(avail - h.size, h.length));
    if (h.masked)
        applyMask(f.payload.data(), f.payload.size(), h.maskKey);
    out.received = f.payload.size();
    return out;
}

void applyMask(char* data, qsizetype size, quint32 key, qsizetype offset)
{
    uchar k[4];
    qToBigEndian(key, k);
    qsizetype i = 0;
    // Bring the key phase to 0 first, then mask eight bytes at a time.
    for (; i < size && (offset + i) % 4 != 0; ++i)
        data[i] = char(data[i] ^ k[(offset + i) % 4]);
    quint32 k32;
    std::memcpy(&k32, k, 4);
    const quint64 k64 = (quint64(k32) << 32) | k32;
    for (; i + 8 <= size; i += 8) {
        quint64 w;
        std::memcpy(&w, data + i, 8);
        w ^= k64;
        std::memcpy(data + i, &w, 8);
    }
    for (; i < size; ++i)
        data[i] = char(data[i] ^ k[(offset + i) % 4]);
}

QByteArray encodeFrame(Opcode opcode, QByteArrayView payload, bool fin, std::optional<quint32> maskKey, quint8 rsv)
{
    const qsizetype n = payload.size();
    const qsizetype headerSize = (n < 126 ? 2 : n <= 0xFFFF ? 4 : 10) + (maskKey ? 4 : 0);
    QByteArray out(headerSize + n, Qt::Uninitialized);
    auto* h = reinterpret_cast<uchar*>(out.data());
    h[0] = uchar((fin ? 0x80 : 0) | ((rsv & 0x7) << 4) | quint8(opcode));
    const uchar maskBit = maskKey ? 0x80 : 0;
    qsizetype at = 2;
    if (n < 126) {
        h[1] = uchar(maskBit | n);
    } else if (n <= 0xFFFF) {
        h[1] = maskBit | 126;
        qToBigEndian<quint16>(quint16(n), h + 2);
        at = 4;
    } else {
        h[1] = maskBit | 127;
        qToBigEndian<quint64>(quint64(n), h + 2);
        at = 10;
    }
    if (maskKey) {
        qToBigEndian<quint32>(*maskKey, h + at);
        at += 4;
    }
    if (n > 0) {
        std::memcpy(out.data() + at, payload.data(), size_t(n));
        if (maskKey)
            applyMask(out.data() + at, n, *maskKey);
    }
    return out;
}

QByteArray closePayload(quint16 code, QByteArrayView reason)
{
    if (code == 0)
        return {};
    QByteArray out(2, Qt::Uninitialized);
    qToBigEndian<quint16>(code, out.data());
    // A close frame carries at most 125 bytes; cut the reason on a UTF-8 character boundary.
    qsizetype n = std::min<qsizetype>(reason.size(), 123);
    while (n > 0 && n < reason.size() && (uchar(reason[n]) & 0xC0) == 0x80)
        --n;
    out.append(reason.first(n));
    return out;
}

bool isValidCloseCode(quint16 code)
{
    if (code >= 3000 && code <= 4999)
        return true;
    switch (code) {
    case 1000:
    case 1001:
    case 1002:
    case 1003:
    case 1007:
    case 1008:
    case 1009:
    case 1010:
    case 1011:
    case 1012:
    case 1013:
    case 1014:
        return true;
    default:
        return false;
    }
}

} // namespace wsi
