#include "permessagedeflate.h"

#include "httphead.h"

#include <QList>

#include <algorithm>
#include <zlib.h>

namespace wsi {

namespace {

constexpr char Tail[] = { '\x00', '\x00', '\xff', '\xff' };
// The largest inflate buffer kept between messages.
constexpr qsizetype KeptScratchBytes = 1024 * 1024;

bool isTokenChar(char c)
{
    return isHttpToken(QByteArrayView(&c, 1));
}

bool isSpace(char c)
{
    return c == ' ' || c == '\t';
}

struct Param
{
    QByteArray name;
    std::optional<QByteArray> value;
};

struct Extension
{
    QByteArray name;
    QList<Param> params;
};

// Reads the extension list of RFC 6455 9.1 (token *( ";" token [ "=" ( token | quoted-string ) ] ), the elements
// separated by commas) from all Sec-WebSocket-Extensions headers, one list as HTTP joins repeated headers.
bool parseExtensions(const HttpHead& head, QList<Extension>* out, QByteArray* error)
{
    QByteArray text;
    for (const HttpHeader& h : head.headers) {
        if (h.first.compare("Sec-WebSocket-Extensions", Qt::CaseInsensitive) != 0)
            continue;
        if (!text.isEmpty())
            text += ',';
        text += h.second;
    }
    const qsizetype n = text.size();
    qsizetype i = 0;
    auto skipSpace = [&] {
        while (i < n && isSpace(text[i]))
            ++i;
    };
    auto token = [&] {
        const qsizetype start = i;
        while (i < n && isTokenChar(text[i]))
            ++i;
        return text.mid(start, i - start);
    };
    auto fail = [&](const QByteArray& why) {
        *error = "malformed Sec-WebSocket-Extensions header: " + why;
        return false;
    };
    while (i < n) {
        skipSpace();
        if (i < n && text[i] == ',') { // empty list elements are allowed (RFC 9110 5.6.1)
            ++i;
            continue;
        }
        if (i >= n)
            break;
        Extension ext;
        ext.name = token();
        if (ext.name.isEmpty())
            return fail("expected an extension name at offset " + QByteArray::number(i));
        skipSpace();
        while (i < n && text[i] == ';') {
            ++i;
            skipSpace();
            Param p;
            p.name = token();
            if (p.name.isEmpty())
                return fail("expected a parameter name after \";\" in " + ext.name);
            skipSpace();
            if (i < n && text[i] == '=') {
                ++i;
                skipSpace();
                if (i < n && text[i] == '"') {
                    ++i;
                    QByteArray value;
                    bool closed = false;
                    while (i < n) {
                        const char c = text[i++];
                        if (c == '"') {
                            closed = true;
                            break;
                        }
                        if (c == '\\' && i < n)
                            value += text[i++];
                        else
                            value += c;
                    }
                    if (!closed)
                        return fail("unterminated quoted value of " + p.name);
                    p.value = value;
                } else {
                    p.value = token();
                    if (p.value->isEmpty())
                        return fail("expected a value after " + p.name + "=");
                }
                skipSpace();
            }
            ext.params.append(p);
        }
        if (i < n && text[i] != ',')
            return fail("unexpected character '" + QByteArray(1, text[i]) + "' in " + ext.name);
        out->append(ext);
    }
    return true;
}

// 8..15 written as 1*DIGIT without leading zeros (RFC 7692 7.1.2.1).
std::optional<int> windowBits(const QByteArray& value)
{
    if (value.isEmpty() || value.size() > 2 || value.startsWith('0'))
        return std::nullopt;
    bool ok = false;
    const int bits = value.toInt(&ok);
    if (!ok || bits < 8 || bits > 15)
        return std::nullopt;
    return bits;
}

} // namespace

std::optional<DeflateParams> negotiatedDeflate(const HttpHead& response, QByteArray* error)
{
    QByteArray scratch;
    QByteArray& err = error ? *error : scratch;
    err.clear();
    QList<Extension> extensions;
    if (!parseExtensions(response, &extensions, &err))
        return std::nullopt;

    std::optional<DeflateParams> result;
    for (const Extension& ext : std::as_const(extensions)) {
        if (ext.name.compare("permessage-deflate", Qt::CaseInsensitive) != 0)
            continue;
        // A server accepts one offer (RFC 7692 5): two accepted permessage-deflate elements cannot both apply.
        if (result) {
            err = "permessage-deflate accepted twice";
            return std::nullopt;
        }
        DeflateParams params;
        QList<QByteArray> seen;
        for (const Param& p : ext.params) {
            const QByteArray name = p.name.toLower();
            if (seen.contains(name)) {
                err = "permessage-deflate: repeated parameter " + p.name;
                return std::nullopt;
            }
            seen.append(name);
            if (name == "server_no_context_takeover" || name == "client_no_context_takeover") {
                if (p.value) {
                    err = "permessage-deflate: " + p.name + " takes no value";
                    return std::nullopt;
                }
                (name.startsWith("server") ? params.serverNoContextTakeover : params.clientNoContextTakeover) = true;
            } else if (name == "server_max_window_bits" || name == "client_max_window_bits") {
                int bits = 15;
                if (p.value) {
                    const std::optional<int> parsed = windowBits(*p.value);
                    if (!parsed) {
                        err = "permessage-deflate: " + p.name + "=" + *p.value
                            + " is not a window size of 8 to 15 bits";
                        return std::nullopt;
                    }
                    bits = *parsed;
                } else if (name.startsWith("server")) {
                    err = "permessage-deflate: server_max_window_bits needs a value";
                    return std::nullopt;
                }
                // A bare client_max_window_bits belongs in an offer, not in a response (RFC 7692 7.1.2.2), but it
                // can only mean "no limit" (15): a watcher decodes on rather than refuse what both peers may accept.
                (name.startsWith("server") ? params.serverMaxWindowBits : params.clientMaxWindowBits) = bits;
            } else {
                err = "permessage-deflate: unknown parameter " + p.name;
                return std::nullopt;
            }
        }
        result = params;
    }
    return result;
}

struct MessageInflater::State
{
    z_stream z {};
    bool ready = false;
    // What inflate writes into, kept from one message to the next: the output then costs one allocation of its
    // exact size, where growing it in place took several and a copy to squeeze it.
    QByteArray scratch;
    ~State()
    {
        if (ready)
            inflateEnd(&z);
    }
};

MessageInflater::MessageInflater(int windowBits, bool noContextTakeover)
    : m_state(std::make_unique<State>())
    , m_noContextTakeover(noContextTakeover)
{
    // Always inflate with the largest window: DEFLATE distances are bounded by the sender's window, so a 15-bit
    // window decodes any stream made with a smaller one (RFC 1951 3.2.5), while a window that is too small fails
    // on a sender that did not keep to what it agreed. The agreed bits are thus only a promise, not a need.
    Q_UNUSED(windowBits);
    m_state->ready = inflateInit2(&m_state->z, -15) == Z_OK;
    m_broken = !m_state->ready;
}

MessageInflater::~MessageInflater() = default;

bool MessageInflater::inflate(QByteArrayView compressed, QByteArray* out, qint64 maxBytes, QByteArray* error)
{
    out->clear();
    auto fail = [&](const QByteArray& why) {
        m_broken = true;
        out->clear();
        if (error)
            *error = why;
        return false;
    };
    if (m_broken)
        return fail("invalid compressed data: the compression context was lost with an earlier message");

    z_stream& z = m_state->z;
    QByteArray& scratch = m_state->scratch;
    const qint64 limit = std::max<qint64>(maxBytes, 0);
    qsizetype used = 0;
    // The message and then the 00 00 ff ff that the sender removed (RFC 7692 7.2.2).
    const QByteArrayView parts[2] = { compressed, QByteArrayView(Tail, 4) };
    bool ended = false;
    for (int part = 0; part < 2 && !ended; ++part) {
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(parts[part].data()));
        z.avail_in = uInt(parts[part].size());
        for (;;) {
            const bool last = part == 1;
            if (z.avail_in == 0 && !last)
                break;
            int rc;
            if (used >= limit) {
                // Full: one more byte of output means the message is over the limit. Probe with a byte on the
                // stack rather than grow the buffer past the limit.
                Bytef probe;
                z.next_out = &probe;
                z.avail_out = 1;
                rc = ::inflate(&z, Z_SYNC_FLUSH);
                if (rc != Z_DATA_ERROR && z.avail_out == 0) {
                    return fail("inflated message larger than the limit of " + QByteArray::number(limit) + " bytes");
                }
            } else {
                if (used == scratch.size()) {
                    // Grow by doubling, from 16 KiB, never past the limit (and at most 1 GiB at a time:
                    // avail_out is 32 bits).
                    const qint64 want = std::min<qint64>(std::max<qint64>(used, 16 * 1024), 1 << 30);
                    scratch.resize(used + qsizetype(std::min<qint64>(want, limit - used)));
                }
                const qsizetype room
                    = qsizetype(std::min<qint64>({ qint64(scratch.size()), limit, used + (qint64(1) << 30) }) - used);
                z.next_out = reinterpret_cast<Bytef*>(scratch.data() + used);
                z.avail_out = uInt(room);
                rc = ::inflate(&z, Z_SYNC_FLUSH);
                used += room - qsizetype(z.avail_out);
            }
            if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_MEM_ERROR || rc == Z_STREAM_ERROR)
                return fail(QByteArray("invalid compressed data: ") + (z.msg ? z.msg : "inflate failed"));
            if (rc == Z_STREAM_END) {
                ended = true;
                break;
            }
            // Room left over with all input taken: inflate has nothing more to give.
            if (z.avail_out > 0 && (z.avail_in == 0 || rc == Z_BUF_ERROR))
                break;
        }
    }
    *out = QByteArray(scratch.constData(), used);
    // One big message must not pin its memory for the rest of the connection.
    if (scratch.size() > KeptScratchBytes)
        scratch = QByteArray();

    if (m_noContextTakeover) {
        inflateReset(&z);
    } else if (ended) {
        // The sender closed its DEFLATE stream with a final block (RFC 7692 7.2.3): the next message starts a
        // new stream that may still refer back to this one's window, so keep the window across the reset.
        Bytef window[32768];
        uInt length = sizeof window;
        inflateGetDictionary(&z, window, &length);
        inflateReset(&z);
        inflateSetDictionary(&z, window, length);
    }
    return true;
}

struct MessageDeflater::State
{
    z_stream z {};
    bool ready = false;
    ~State()
    {
        if (ready)
            deflateEnd(&z);
    }
};

MessageDeflater::MessageDeflater(int windowBits, bool noContextTakeover)
    : m_state(std::make_unique<State>())
    , m_noContextTakeover(noContextTakeover)
{
    // zlib refuses an 8-bit window for raw deflate, but its 9-bit window never looks back further than
    // 512 - 262 = 250 bytes (MAX_DIST), which an 8-bit (256-byte) window still covers.
    const int bits = std::clamp(windowBits, 9, 15);
    m_state->ready = deflateInit2(&m_state->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -bits, 8, Z_DEFAULT_STRATEGY) == Z_OK;
}

MessageDeflater::~MessageDeflater() = default;

QByteArray MessageDeflater::deflate(QByteArrayView message)
{
    if (!m_state->ready)
        return {};
    z_stream& z = m_state->z;
    QByteArray out;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(message.data()));
    z.avail_in = uInt(message.size());
    // Sync flush ends the message on a byte boundary with an empty stored block (00 00 ff ff) that the receiver
    // adds back (RFC 7692 7.2.1); loop until deflate leaves room, i.e. it wrote all it had.
    for (;;) {
        const qsizetype used = out.size();
        const qsizetype room = std::max<qsizetype>(qsizetype(deflateBound(&z, uLong(z.avail_in))) + 16, 1024);
        out.resize(used + room);
        z.next_out = reinterpret_cast<Bytef*>(out.data() + used);
        z.avail_out = uInt(room);
        const int rc = ::deflate(&z, Z_SYNC_FLUSH);
        out.resize(used + room - qsizetype(z.avail_out));
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return {};
        if (z.avail_out > 0 && z.avail_in == 0)
            break;
    }
    if (out.endsWith(QByteArrayView(Tail, 4)))
        out.chop(4);
    // zlib writes nothing for an empty message right after a flush, but the receiver appends 00 00 ff ff, which
    // only reads as an empty stored block after the block header byte 00 (RFC 7692 7.2.3.6).
    if (out.isEmpty())
        out = QByteArray(1, '\0');
    if (m_noContextTakeover)
        deflateReset(&z);
    return out;
}

} // namespace wsi
