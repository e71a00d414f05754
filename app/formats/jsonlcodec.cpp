#include "jsonlcodec.h"

#include "../wire/httphead.h"
#include "../wire/utf8.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

namespace wsi::jsonl {

namespace {
// Names as UTF-8, built once from the canonical tables in event.cpp so that the hot path allocates nothing.
const QByteArray& directionBytes(Direction d)
{
    static const std::array<QByteArray, 3> names { directionName(Direction::None).toUtf8(),
        directionName(Direction::C2S).toUtf8(), directionName(Direction::S2C).toUtf8() };
    return names[size_t(d) < names.size() ? size_t(d) : 0];
}

const QByteArray& kindBytes(EventKind k)
{
    static const std::array<QByteArray, EventKindCount> names = [] {
        std::array<QByteArray, EventKindCount> out;
        for (int i = 0; i < EventKindCount; ++i)
            out[size_t(i)] = kindName(EventKind(i)).toUtf8();
        return out;
    }();
    return names[size_t(k) < names.size() ? size_t(k) : size_t(EventKind::Note)];
}

void appendRaw(QByteArray& out, const char* s)
{
    out.append(s, qsizetype(std::char_traits<char>::length(s)));
}

void appendInt(QByteArray& out, qint64 v)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr - buf);
}

void appendUInt(QByteArray& out, quint64 v)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr - buf);
}

// Bytes of a word that JSON strings cannot hold as they are. Tests eight at a time, with the usual bit tricks
// (true when some byte is zero / below n): plain text is copied in runs rather than looked at byte by byte.
constexpr quint64 byteOnes = 0x0101010101010101ULL;
constexpr quint64 byteHighs = 0x8080808080808080ULL;

constexpr bool hasByteBelow(quint64 word, quint8 n)
{
    return ((word - byteOnes * n) & ~word & byteHighs) != 0;
}

constexpr bool hasByte(quint64 word, quint8 b)
{
    return hasByteBelow(word ^ (byteOnes * b), 1);
}

template <bool EscapeBom> bool isPlainWord(const char* p)
{
    quint64 word;
    std::memcpy(&word, p, sizeof word);
    if constexpr (EscapeBom) {
        if (hasByte(word, 0xEF))
            return false;
    }
    return !hasByteBelow(word, 0x20) && !hasByte(word, '"') && !hasByte(word, '\\');
}

// Which bytes go into a JSON string as they are, by table: the escaping loop asks for every byte of text dense
// with quotes (JSON inside JSON): one lookup instead of three comparisons.
template <bool EscapeBom> constexpr std::array<bool, 256> plainBytes()
{
    std::array<bool, 256> plain {};
    for (int c = 0x20; c < 256; ++c)
        plain[size_t(c)] = c != '"' && c != '\\' && !(EscapeBom && c == 0xEF);
    return plain;
}

template <bool EscapeBom> bool isPlainByte(unsigned char c)
{
    static constexpr std::array<bool, 256> plain = plainBytes<EscapeBom>();
    return plain[c];
}

template <bool EscapeBom> bool isBomAt(const char* p, const char* end)
{
    return EscapeBom && end - p >= 3 && static_cast<unsigned char>(p[0]) == 0xEF
        && static_cast<unsigned char>(p[1]) == 0xBB && static_cast<unsigned char>(p[2]) == 0xBF;
}

// The escaped form of one byte that is not plain (EscapeBom: 0xEF only when it starts a BOM), into w, which has
// room for six bytes; returns the end of what was written.
char* writeEscape(char* w, unsigned char c)
{
    static constexpr char hex[] = "0123456789abcdef";
    const auto two = [w](char second) {
        w[0] = '\\';
        w[1] = second;
        return w + 2;
    };
    switch (c) {
    case '"':
        return two('"');
    case '\\':
        return two('\\');
    case '\n':
        return two('n');
    case '\r':
        return two('r');
    case '\t':
        return two('t');
    case '\b':
        return two('b');
    case '\f':
        return two('f');
    default:
        w[0] = '\\';
        w[1] = 'u';
        w[2] = '0';
        w[3] = '0';
        w[4] = hex[c >> 4];
        w[5] = hex[c & 0xf];
        return w + 6;
    }
}

// JSON string contents for valid UTF-8. A template, so that the line writer's hot loop has no test for a mark
// it keeps anyway. The text goes in pieces, each written straight into room for its worst case (six bytes for each
// byte) and the buffer then cut to what was written: one size change per piece rather than one append per stretch
// between escapes, and pieces keep the slack small whatever the text's size.
template <bool EscapeBom> void appendEscapedImpl(QByteArray& out, QByteArrayView utf8)
{
    constexpr qsizetype MaxPiece = 64 * 1024;
    constexpr qsizetype MinPiece = 1024;
    const char* p = utf8.data();
    const char* const end = p + utf8.size();
    while (p < end) {
        // As much text as the buffer's free room takes at worst, so that it grows only once it is full, and then
        // as appending would: room made for six times the text would grow a buffer that did not need it (a HAR
        // export keeps its chunks to the end; a 64 KiB export peaked at +227 MB instead of +119 MB).
        const qsizetype at = out.size();
        const qsizetype fits = (out.capacity() - at) / 6;
        const char* const pieceEnd = p + std::min<qsizetype>(end - p, std::clamp(fits, MinPiece, MaxPiece));
        const qsizetype allotted = 6 * (pieceEnd - p);
        out.resize(at + allotted);
        char* const begin = out.data() + at;
        char* w = begin;
        while (p < pieceEnd) {
            // Plain text a word at a time, then byte by byte up to the byte that needs escaping (one of the next
            // eight): copied as it is scanned, since the runs between quotes are short in JSON text. (Finding that
            // byte from the word's bits instead measured no faster on such text.)
            while (pieceEnd - p >= 8 && isPlainWord<EscapeBom>(p)) {
                std::memcpy(w, p, 8);
                w += 8;
                p += 8;
            }
            while (p < pieceEnd && isPlainByte<EscapeBom>(static_cast<unsigned char>(*p)))
                *w++ = *p++;
            if (p >= pieceEnd)
                break;
            const auto c = static_cast<unsigned char>(*p);
            if (EscapeBom && c == 0xEF) {
                // A BOM's three bytes (perhaps reaching into the next piece) become six: within this byte's room.
                if (isBomAt<EscapeBom>(p, end)) {
                    std::memcpy(w, "\\ufeff", 6);
                    w += 6;
                    p += 3;
                } else {
                    *w++ = *p++;
                }
                continue;
            }
            w = writeEscape(w, c);
            ++p;
        }
        Q_ASSERT(w - begin <= allotted);
        out.resize(at + (w - begin));
    }
}

void appendEscaped(QByteArray& out, QByteArrayView utf8)
{
    appendEscapedImpl<false>(out, utf8);
}

void appendString(QByteArray& out, QByteArrayView utf8)
{
    out.append('"');
    appendEscaped(out, utf8);
    out.append('"');
}

void appendQString(QByteArray& out, const QString& s)
{
    appendString(out, s.toUtf8());
}

// For descriptive keys next to an exact "data" copy: bytes that are not UTF-8 are shown with replacement
// characters rather than producing a line that is not valid JSON.
void appendLossyString(QByteArray& out, QByteArrayView bytes)
{
    if (isValidUtf8(bytes))
        appendString(out, bytes);
    else
        appendQString(out, QString::fromUtf8(bytes));
}

// ,"key":"text" — or base64 with ,"encKey":"base64" when forced or when the bytes are not valid UTF-8,
// so that the exact bytes survive the trip through a JSON string.
void appendBytes(QByteArray& out, const char* key, const char* encKey, QByteArrayView bytes, bool forceBase64)
{
    appendRaw(out, key);
    if (!forceBase64 && isValidUtf8(bytes)) {
        appendString(out, bytes);
        return;
    }
    out.append('"');
    out.append(QByteArray::fromRawData(bytes.data(), bytes.size()).toBase64());
    out.append('"');
    appendRaw(out, encKey);
}

void appendPayload(QByteArray& out, const char* key, QByteArrayView bytes, bool forceBase64 = false)
{
    appendBytes(out, key, ",\"enc\":\"base64\"", bytes, forceBase64);
}

bool isFrameKind(EventKind k)
{
    switch (k) {
    case EventKind::Text:
    case EventKind::Binary:
    case EventKind::Ping:
    case EventKind::Pong:
    case EventKind::Close:
        return true;
    default:
        return false;
    }
}

qint64 defaultSize(EventKind kind, quint16 closeCode, qsizetype payloadSize)
{
    return kind == EventKind::Close && closeCode != 0 ? payloadSize + 2 : payloadSize;
}

void appendHeaders(QByteArray& out, const HttpHeaders& headers)
{
    appendRaw(out, ",\"headers\":[");
    bool first = true;
    for (const auto& h : headers) {
        if (!first)
            out.append(',');
        first = false;
        out.append('[');
        appendLossyString(out, h.first);
        out.append(',');
        appendLossyString(out, h.second);
        out.append(']');
    }
    out.append(']');
}

void appendHandshake(QByteArray& out, const Event& e)
{
    HttpHead head;
    // The payload is the whole head: let the parser see all of it whatever its size.
    const HttpHead::Limits limits { e.payload.size() + 1, std::numeric_limits<int>::max() };
    const auto result = HttpHead::parse(e.payload, head, limits);
    const bool parsed = result.status == HttpHead::ParseStatus::Complete && result.consumed == e.payload.size()
        && head.isRequest() == (e.kind == EventKind::HandshakeRequest);
    bool exact = parsed && head.toBytes() == e.payload;
    if (parsed) {
        exact = exact && isValidUtf8(head.method) && isValidUtf8(head.target) && isValidUtf8(head.reason)
            && isValidUtf8(head.version);
        if (head.isRequest()) {
            appendRaw(out, ",\"method\":");
            appendLossyString(out, head.method);
            appendRaw(out, ",\"url\":");
            appendLossyString(out, head.target);
        } else {
            appendRaw(out, ",\"status\":");
            appendInt(out, head.status);
            if (!head.reason.isEmpty()) {
                appendRaw(out, ",\"reason\":");
                appendLossyString(out, head.reason);
            }
        }
        if (head.version != "HTTP/1.1") {
            appendRaw(out, ",\"httpVersion\":");
            appendLossyString(out, head.version);
        }
        for (const auto& h : std::as_const(head.headers))
            exact = exact && isValidUtf8(h.first) && isValidUtf8(h.second);
        appendHeaders(out, head.headers);
    }
    if (!exact)
        appendPayload(out, ",\"data\":", e.payload);
}
} // namespace

QByteArray encodeHeader(const QDateTime& created, const QString& app)
{
    QByteArray out;
    appendRaw(out, "{\"type\":\"session\",\"format\":");
    appendString(out, QByteArrayView(formatName.data(), formatName.size()));
    appendRaw(out, ",\"version\":");
    appendInt(out, formatVersion);
    appendRaw(out, ",\"created\":");
    appendQString(out, created.toUTC().toString(Qt::ISODateWithMs));
    appendRaw(out, ",\"app\":");
    appendQString(out, app);
    out.append('}');
    return out;
}

void appendConnection(QByteArray& out, const Connection& c)
{
    appendRaw(out, "{\"type\":\"connection\",\"id\":");
    appendUInt(out, c.id);
    appendRaw(out, ",\"role\":");
    appendQString(out, roleName(c.role));
    appendRaw(out, ",\"url\":");
    appendQString(out, c.url);
    appendRaw(out, ",\"peer\":");
    appendQString(out, c.peer);
    appendRaw(out, ",\"subprotocol\":");
    appendQString(out, c.subprotocol);
    appendRaw(out, "}\n");
}

void appendEvent(QByteArray& out, const Event& e)
{
    appendRaw(out, "{\"type\":\"event\",\"seq\":");
    appendUInt(out, e.seq);
    appendRaw(out, ",\"conn\":");
    appendUInt(out, e.connection);
    appendRaw(out, ",\"ts\":");
    appendInt(out, e.timestampUs);
    appendRaw(out, ",\"dir\":\"");
    out.append(directionBytes(e.direction));
    appendRaw(out, "\",\"kind\":\"");
    out.append(kindBytes(e.kind));
    out.append('"');

    // A closed event carries the code the connection ended with (1006 when it was lost), as the timeline shows.
    if ((e.kind == EventKind::Close || e.kind == EventKind::Closed) && e.closeCode != 0) {
        appendRaw(out, ",\"code\":");
        appendUInt(out, e.closeCode);
    }
    if (isFrameKind(e.kind) || e.size != defaultSize(e.kind, e.closeCode, e.payload.size())) {
        appendRaw(out, ",\"size\":");
        appendInt(out, e.size);
    }
    switch (e.kind) {
    case EventKind::Text:
    case EventKind::Ping:
    case EventKind::Pong:
        appendPayload(out, ",\"data\":", e.payload);
        break;
    case EventKind::Binary:
        appendPayload(out, ",\"data\":", e.payload, true);
        break;
    case EventKind::Close:
        appendPayload(out, ",\"reason\":", e.payload);
        break;
    case EventKind::HandshakeRequest:
    case EventKind::HandshakeResponse:
        appendHandshake(out, e);
        break;
    case EventKind::Error:
        if (!e.payload.isEmpty())
            appendPayload(out, ",\"error\":", e.payload);
        break;
    case EventKind::Open:
    case EventKind::Closed:
    case EventKind::Note:
        if (!e.payload.isEmpty())
            appendPayload(out, ",\"message\":", e.payload);
        break;
    }

    if (e.flags & FlagFin)
        appendRaw(out, ",\"fin\":true");
    if (const int rsv
        = ((e.flags & FlagRsv1) ? 4 : 0) | ((e.flags & FlagRsv2) ? 2 : 0) | ((e.flags & FlagRsv3) ? 1 : 0)) {
        appendRaw(out, ",\"rsv\":");
        appendInt(out, rsv);
    }
    if (e.flags & FlagMasked)
        appendRaw(out, ",\"masked\":true");
    if (e.flags & FlagCompressed)
        appendRaw(out, ",\"compressed\":true");
    if (e.flags & FlagFragment)
        appendRaw(out, ",\"fragment\":true");
    if (!e.note.isEmpty())
        appendBytes(out, ",\"note\":", ",\"noteEnc\":\"base64\"", e.note, false);
    if (e.monotonicNs != e.timestampUs * 1000) {
        appendRaw(out, ",\"mono\":");
        appendInt(out, e.monotonicNs);
    }
    appendRaw(out, "}\n");
}

QByteArray encodeConnection(const Connection& c)
{
    QByteArray out;
    appendConnection(out, c);
    out.chop(1);
    return out;
}

QByteArray encodeEvent(const Event& e)
{
    QByteArray out;
    out.reserve(160 + e.payload.size() + e.payload.size() / 3);
    appendEvent(out, e);
    out.chop(1);
    return out;
}

namespace {
// One top-level key of a line and its value. Strings are UTF-8 views into the line itself, or into
// FlatLine::storage when they had escapes to undo.
struct Field
{
    enum class Type : quint8 {
        String,
        Integer,
        Number, // any other number
        Bool,
        Null,
        Array,
        Object,
    };
    using Pair = std::pair<QByteArrayView, QByteArrayView>;

    QByteArrayView key;
    Type type = Type::Null;
    QByteArrayView text;
    qint64 integer = 0;
    bool boolean = false;
    bool isPairList = false; // an Array whose elements are all [string, string] ("headers")
    std::vector<Pair> pairs;
};

struct FlatLine
{
    std::vector<Field> fields;
    std::vector<QByteArray> storage; // QByteArray data does not move when the vector grows

    void clear()
    {
        fields.clear();
        storage.clear();
    }

    const Field* find(QLatin1StringView key) const
    {
        // Plain pointers and memcmp: this runs some twenty times per line, in debug builds too.
        // The last of duplicate keys wins, as with QJsonDocument.
        const Field* const first = fields.data();
        // The first byte tells most keys apart without a call to memcmp.
        for (const Field* f = first + fields.size(); f != first;) {
            --f;
            if (f->key.size() == key.size() && (key.isEmpty() || f->key.front() == key.front())
                && std::memcmp(f->key.data(), key.data(), size_t(key.size())) == 0)
                return f;
        }
        return nullptr;
    }
};

/*
 * A strict JSON parser for one line that keeps the top-level values as views into the line: no QString, no
 * QJsonValue, so a million lines load in about a second. It validates nested values without keeping them
 * (except the [[name, value], ...] shape of "headers"), without recursion, so no nesting depth can exhaust
 * the stack. Strings keep their bytes exactly (a leading byte order mark stays, unlike with QString); a
 * lone UTF-16 surrogate escape, which has no UTF-8 form, becomes U+FFFD. On failure it tells the offset.
 */
class FastLineParser
{
public:
    FastLineParser(QByteArrayView line, FlatLine& out)
        : m_begin(line.data())
        , m_p(line.data())
        , m_end(line.data() + line.size())
        , m_out(out)
    { }

    // Where parsing stopped: the offending byte after a failure.
    qsizetype offset() const { return m_p - m_begin; }

    bool parse()
    {
        skipSpace();
        if (!take('{'))
            return false;
        skipSpace();
        if (!take('}')) {
            while (true) {
                Field field;
                if (m_p == m_end || *m_p != '"' || !parseString(field.key))
                    return false;
                skipSpace();
                if (!take(':'))
                    return false;
                skipSpace();
                if (!parseValue(field))
                    return false;
                m_out.fields.push_back(std::move(field));
                skipSpace();
                if (take(','))
                    skipSpace();
                else if (take('}'))
                    break;
                else
                    return false;
            }
        }
        skipSpace();
        return m_p == m_end;
    }

private:
    void skipSpace()
    {
        while (m_p < m_end && (*m_p == ' ' || *m_p == '\t' || *m_p == '\r' || *m_p == '\n'))
            ++m_p;
    }

    bool take(char c)
    {
        if (m_p < m_end && *m_p == c) {
            ++m_p;
            return true;
        }
        return false;
    }

    bool takeWord(QByteArrayView word)
    {
        if (QByteArrayView(m_p, m_end - m_p).startsWith(word)) {
            m_p += word.size();
            return true;
        }
        return false;
    }

    bool parseValue(Field& field)
    {
        if (m_p == m_end)
            return false;
        switch (*m_p) {
        case '"':
            field.type = Field::Type::String;
            return parseString(field.text);
        case '[':
            field.type = Field::Type::Array;
            return parseTopLevelArray(field);
        case '{':
            field.type = Field::Type::Object;
            return skipValue();
        case 't':
            field.type = Field::Type::Bool;
            field.boolean = true;
            return takeWord("true");
        case 'f':
            field.type = Field::Type::Bool;
            return takeWord("false");
        case 'n':
            field.type = Field::Type::Null;
            return takeWord("null");
        default: {
            bool isInteger = false;
            if (!parseNumber(field.integer, isInteger))
                return false;
            field.type = isInteger ? Field::Type::Integer : Field::Type::Number;
            return true;
        }
        }
    }

    // Keeps [[string, string], ...] as pairs; validates and drops anything else.
    bool parseTopLevelArray(Field& field)
    {
        ++m_p; // [
        field.isPairList = true;
        skipSpace();
        if (take(']'))
            return true;
        while (true) {
            const char* element = m_p;
            Field::Pair pair;
            if (field.isPairList && parsePair(pair)) {
                field.pairs.push_back(pair);
            } else {
                field.isPairList = false;
                m_p = element;
                if (!skipValue())
                    return false;
            }
            skipSpace();
            if (take(']'))
                return true;
            if (!take(','))
                return false;
            skipSpace();
        }
    }

    bool parsePair(Field::Pair& pair)
    {
        if (!take('['))
            return false;
        skipSpace();
        if (m_p == m_end || *m_p != '"' || !parseString(pair.first))
            return false;
        skipSpace();
        if (!take(','))
            return false;
        skipSpace();
        if (m_p == m_end || *m_p != '"' || !parseString(pair.second))
            return false;
        skipSpace();
        return take(']');
    }

    // Validates one value of any depth, keeping nothing; the open brackets are a stack on the heap.
    bool skipValue()
    {
        std::vector<char> closers;
        while (true) {
            if (m_p == m_end)
                return false;
            // One value: a scalar, or the opening of a container (whose first value the loop reads next).
            bool opened = false;
            switch (*m_p) {
            case '"': {
                QByteArrayView ignored;
                if (!parseString(ignored))
                    return false;
                break;
            }
            case '[':
            case '{': {
                const bool object = *m_p == '{';
                ++m_p;
                skipSpace();
                if (take(object ? '}' : ']'))
                    break; // empty: a complete value
                closers.push_back(object ? '}' : ']');
                if (object && !skipKey())
                    return false;
                opened = true;
                break;
            }
            case 't':
                if (!takeWord("true"))
                    return false;
                break;
            case 'f':
                if (!takeWord("false"))
                    return false;
                break;
            case 'n':
                if (!takeWord("null"))
                    return false;
                break;
            default: {
                qint64 ignored = 0;
                bool isInteger = false;
                if (!parseNumber(ignored, isInteger))
                    return false;
            }
            }
            if (opened)
                continue;
            // After a complete value: close what ends here, then expect the next element, if any.
            while (true) {
                if (closers.empty())
                    return true;
                skipSpace();
                if (take(closers.back())) {
                    closers.pop_back();
                    continue;
                }
                if (!take(','))
                    return false;
                skipSpace();
                if (closers.back() == '}' && !skipKey())
                    return false;
                break;
            }
        }
    }

    // `"key" :` inside a nested object, leaving the parser at its value.
    bool skipKey()
    {
        QByteArrayView key;
        if (m_p == m_end || *m_p != '"' || !parseString(key))
            return false;
        skipSpace();
        if (!take(':'))
            return false;
        skipSpace();
        return true;
    }

    static bool isDigit(char c) { return c >= '0' && c <= '9'; }

    // Strict JSON number grammar; isInteger when it has no fraction or exponent and fits in 64 bits.
    bool parseNumber(qint64& value, bool& isInteger)
    {
        const char* start = m_p;
        take('-');
        if (m_p == m_end || !isDigit(*m_p))
            return false;
        if (*m_p == '0' && m_p + 1 < m_end && isDigit(m_p[1]))
            return false; // leading zeros are not JSON
        while (m_p < m_end && isDigit(*m_p))
            ++m_p;
        const char* integerEnd = m_p;
        if (take('.')) {
            if (m_p == m_end || !isDigit(*m_p))
                return false;
            while (m_p < m_end && isDigit(*m_p))
                ++m_p;
        }
        if (m_p < m_end && (*m_p == 'e' || *m_p == 'E')) {
            ++m_p;
            if (!take('+'))
                take('-');
            if (m_p == m_end || !isDigit(*m_p))
                return false;
            while (m_p < m_end && isDigit(*m_p))
                ++m_p;
        }
        const auto result = std::from_chars(start, integerEnd, value);
        isInteger = m_p == integerEnd && result.ec == std::errc() && result.ptr == integerEnd;
        return true;
    }

    // Whether any of the 8 bytes in w is a quote, a backslash or a control character: the bytes a string scan
    // must stop at. Exact as a yes or no (the classic bit tricks may flag a byte above a true hit, never alone).
    static bool hasStringSpecial(quint64 w)
    {
        constexpr quint64 ones = 0x0101010101010101;
        constexpr quint64 highs = 0x8080808080808080;
        const auto hasZero = [](quint64 v) { return (v - ones) & ~v & highs; };
        const quint64 control = (w - ones * 0x20) & ~w & highs;
        return (hasZero(w ^ (ones * '"')) | hasZero(w ^ (ones * '\\')) | control) != 0;
    }

    bool parseString(QByteArrayView& text)
    {
        ++m_p; // the opening quote
        const char* start = m_p;
        bool escaped = false;
        bool ascii = true;
        // Payloads make up most of a session file: they are skipped 8 bytes at a time up to the next byte that
        // needs a look (a quote, an escape, a control character), which is then looked at on its own.
        while (true) {
            while (m_end - m_p >= 8) {
                quint64 w;
                std::memcpy(&w, m_p, sizeof w);
                if (hasStringSpecial(w))
                    break;
                if (w & 0x8080808080808080)
                    ascii = false;
                m_p += 8;
            }
            if (m_p >= m_end)
                return false;
            const auto c = static_cast<unsigned char>(*m_p);
            if (c == '"')
                break;
            if (c < 0x20)
                return false;
            if (c == '\\') {
                if (m_end - m_p < 2)
                    return false;
                escaped = true;
                m_p += 2;
                continue;
            }
            ascii = ascii && c < 0x80;
            ++m_p;
        }
        const QByteArrayView raw(start, m_p - start);
        ++m_p;
        if (!ascii && !isValidUtf8(raw))
            return false;
        if (!escaped) {
            text = raw;
            return true;
        }
        QByteArray unescaped;
        if (!unescape(raw, unescaped))
            return false;
        m_out.storage.push_back(std::move(unescaped));
        text = m_out.storage.back();
        return true;
    }

    static int hexValue(QByteArrayView hex)
    {
        int value = 0;
        for (char c : hex) {
            value <<= 4;
            if (c >= '0' && c <= '9')
                value |= c - '0';
            else if (c >= 'a' && c <= 'f')
                value |= c - 'a' + 10;
            else if (c >= 'A' && c <= 'F')
                value |= c - 'A' + 10;
            else
                return -1;
        }
        return value;
    }

    static void appendUtf8(QByteArray& out, char32_t cp)
    {
        if (cp < 0x80) {
            out.append(char(cp));
        } else if (cp < 0x800) {
            out.append(char(0xC0 | (cp >> 6)));
            out.append(char(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out.append(char(0xE0 | (cp >> 12)));
            out.append(char(0x80 | ((cp >> 6) & 0x3F)));
            out.append(char(0x80 | (cp & 0x3F)));
        } else {
            out.append(char(0xF0 | (cp >> 18)));
            out.append(char(0x80 | ((cp >> 12) & 0x3F)));
            out.append(char(0x80 | ((cp >> 6) & 0x3F)));
            out.append(char(0x80 | (cp & 0x3F)));
        }
    }

    static bool unescape(QByteArrayView raw, QByteArray& out)
    {
        out.reserve(raw.size());
        for (qsizetype i = 0; i < raw.size(); ++i) {
            // The text between escapes in one piece.
            const qsizetype next = raw.indexOf('\\', i);
            if (next != i) {
                const qsizetype end = next < 0 ? raw.size() : next;
                out.append(raw.data() + i, end - i);
                i = end;
                if (i == raw.size())
                    break;
            }
            if (++i >= raw.size())
                return false;
            switch (raw[i]) {
            case '"':
            case '\\':
            case '/':
                out.append(raw[i]);
                break;
            case 'b':
                out.append('\b');
                break;
            case 'f':
                out.append('\f');
                break;
            case 'n':
                out.append('\n');
                break;
            case 'r':
                out.append('\r');
                break;
            case 't':
                out.append('\t');
                break;
            case 'u': {
                if (i + 4 >= raw.size())
                    return false;
                int cp = hexValue(raw.sliced(i + 1, 4));
                i += 4;
                if (cp < 0)
                    return false;
                if (cp >= 0xD800 && cp <= 0xDBFF && i + 6 < raw.size() && raw[i + 1] == '\\' && raw[i + 2] == 'u') {
                    const int low = hexValue(raw.sliced(i + 3, 4));
                    if (low >= 0xDC00 && low <= 0xDFFF) {
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                        i += 6;
                    }
                }
                // A surrogate half without its partner has no UTF-8 form.
                if (cp >= 0xD800 && cp <= 0xDFFF)
                    cp = 0xFFFD;
                appendUtf8(out, char32_t(cp));
                break;
            }
            default:
                return false;
            }
        }
        return true;
    }

    const char* const m_begin;
    const char* m_p;
    const char* const m_end;
    FlatLine& m_out;
};

QString keyName(QLatin1StringView key)
{
    return QLatin1Char('"') + key + QLatin1Char('"');
}

// Typed access to the keys of one line; the first problem found is kept.
class LineFields
{
public:
    explicit LineFields(const FlatLine& line)
        : m_line(line)
    { }

    const QString& error() const { return m_error; }
    bool ok() const { return m_error.isEmpty(); }
    bool has(QLatin1StringView key) const { return m_line.find(key) != nullptr; }

    qint64 integer(QLatin1StringView key, qint64 min, qint64 max, qint64 fallback, bool required = false)
    {
        const Field* f = m_line.find(key);
        if (!f) {
            if (required)
                fail(QStringLiteral("missing ") + keyName(key));
            return fallback;
        }
        if (f->type != Field::Type::Integer) {
            fail(keyName(key) + QStringLiteral(" is not an integer"));
            return fallback;
        }
        if (f->integer < min || f->integer > max) {
            fail(keyName(key) + QStringLiteral(" is out of range (%1)").arg(QString::number(f->integer)));
            return fallback;
        }
        return f->integer;
    }

    // UTF-8, valid as long as the line and its FlatLine live.
    QByteArrayView text(QLatin1StringView key, bool required = false)
    {
        const Field* f = m_line.find(key);
        if (!f) {
            if (required)
                fail(QStringLiteral("missing ") + keyName(key));
            return {};
        }
        if (f->type != Field::Type::String) {
            fail(keyName(key) + QStringLiteral(" is not a string"));
            return {};
        }
        return f->text;
    }

    QString string(QLatin1StringView key, bool required = false) { return QString::fromUtf8(text(key, required)); }

    bool flag(QLatin1StringView key)
    {
        const Field* f = m_line.find(key);
        if (!f)
            return false;
        if (f->type != Field::Type::Bool) {
            fail(keyName(key) + QStringLiteral(" is not true or false"));
            return false;
        }
        return f->boolean;
    }

    // Bytes written by appendBytes(): a plain string, or base64 when encKey says so.
    QByteArray bytes(QLatin1StringView key, QLatin1StringView encKey)
    {
        const QByteArrayView value = text(key);
        if (!m_line.find(encKey))
            return value.toByteArray();
        const QByteArrayView enc = text(encKey);
        if (!ok())
            return {};
        if (enc != "base64") {
            fail(QStringLiteral("unknown %1 \"%2\"").arg(keyName(encKey), QString::fromUtf8(enc)));
            return {};
        }
        auto decoded = QByteArray::fromBase64Encoding(
            QByteArray::fromRawData(value.data(), value.size()), QByteArray::AbortOnBase64DecodingErrors);
        if (!decoded) {
            fail(keyName(key) + QStringLiteral(" is not valid base64"));
            return {};
        }
        return std::move(decoded.decoded);
    }

    HttpHeaders headers()
    {
        HttpHeaders out;
        const Field* f = m_line.find(QLatin1StringView("headers"));
        if (!f)
            return out;
        if (f->type != Field::Type::Array) {
            fail(QStringLiteral("\"headers\" is not a list"));
            return out;
        }
        if (!f->isPairList) {
            fail(QStringLiteral("\"headers\" entries must be [name, value] pairs of strings"));
            return out;
        }
        out.reserve(qsizetype(f->pairs.size()));
        for (const auto& [name, value] : f->pairs)
            out.append({ name.toByteArray(), value.toByteArray() });
        return out;
    }

    void fail(const QString& why)
    {
        if (m_error.isEmpty())
            m_error = why;
    }

private:
    const FlatLine& m_line;
    QString m_error;
};

constexpr qint64 maxUInt32 = std::numeric_limits<quint32>::max();
constexpr qint64 maxInt64 = std::numeric_limits<qint64>::max();
constexpr qint64 minInt64 = std::numeric_limits<qint64>::min();

std::optional<EventKind> kindFromBytes(QByteArrayView name)
{
    for (int i = 0; i < EventKindCount; ++i) {
        if (name == kindBytes(EventKind(i)))
            return EventKind(i);
    }
    return std::nullopt;
}

std::optional<Direction> directionFromBytes(QByteArrayView name)
{
    for (Direction d : { Direction::None, Direction::C2S, Direction::S2C }) {
        if (name == directionBytes(d))
            return d;
    }
    return std::nullopt;
}

void decodeHeader(LineFields& f, SessionHeader& out)
{
    out.format = f.string(QLatin1StringView("format"), true);
    out.version = int(f.integer(QLatin1StringView("version"), 0, std::numeric_limits<int>::max(), 0, true));
    out.created = f.string(QLatin1StringView("created"));
    out.app = f.string(QLatin1StringView("app"));
}

void decodeConnection(LineFields& f, Connection& out)
{
    out = Connection {};
    out.id = quint32(f.integer(QLatin1StringView("id"), 0, maxUInt32, 0, true));
    const QString role = f.string(QLatin1StringView("role"), true);
    if (const auto r = roleFromName(role))
        out.role = *r;
    else if (f.ok())
        f.fail(QStringLiteral("unknown role \"%1\"").arg(role));
    out.url = f.string(QLatin1StringView("url"));
    out.peer = f.string(QLatin1StringView("peer"));
    out.subprotocol = f.string(QLatin1StringView("subprotocol"));
}

QByteArray decodeHandshake(LineFields& f, EventKind kind)
{
    // The exact bytes win when the writer had to keep them.
    if (f.has(QLatin1StringView("data")))
        return f.bytes(QLatin1StringView("data"), QLatin1StringView("enc"));
    HttpHead head;
    if (kind == EventKind::HandshakeRequest) {
        head.method = f.text(QLatin1StringView("method"), true).toByteArray();
        head.target = f.text(QLatin1StringView("url"), true).toByteArray();
        if (f.ok() && head.method.isEmpty())
            f.fail(QStringLiteral("\"method\" is empty"));
    } else {
        head.status = int(f.integer(QLatin1StringView("status"), 100, 999, 0, true));
        head.reason = f.text(QLatin1StringView("reason")).toByteArray();
    }
    if (f.has(QLatin1StringView("httpVersion")))
        head.version = f.text(QLatin1StringView("httpVersion")).toByteArray();
    head.headers = f.headers();
    return f.ok() ? head.toBytes() : QByteArray();
}

void decodeEvent(LineFields& f, Event& e)
{
    e = Event {};
    const QByteArrayView kind = f.text(QLatin1StringView("kind"), true);
    const QByteArrayView dir = f.text(QLatin1StringView("dir"), true);
    if (!f.ok())
        return;
    const auto k = kindFromBytes(kind);
    if (!k)
        return f.fail(QStringLiteral("unknown kind \"%1\"").arg(QString::fromUtf8(kind)));
    const auto d = directionFromBytes(dir);
    if (!d)
        return f.fail(QStringLiteral("unknown dir \"%1\"").arg(QString::fromUtf8(dir)));
    e.kind = *k;
    e.direction = *d;
    e.seq = quint64(f.integer(QLatin1StringView("seq"), 0, maxInt64, 0));
    e.connection = quint32(f.integer(QLatin1StringView("conn"), 0, maxUInt32, 0));
    e.timestampUs = f.integer(QLatin1StringView("ts"), minInt64 / 1000, maxInt64 / 1000, 0);
    e.monotonicNs = f.integer(QLatin1StringView("mono"), minInt64, maxInt64, e.timestampUs * 1000);

    const QLatin1StringView enc("enc");
    switch (e.kind) {
    case EventKind::Text:
    case EventKind::Binary:
    case EventKind::Ping:
    case EventKind::Pong:
        e.payload = f.bytes(QLatin1StringView("data"), enc);
        break;
    case EventKind::Close:
        e.closeCode = quint16(f.integer(QLatin1StringView("code"), 0, 65535, 0));
        e.payload = f.bytes(QLatin1StringView("reason"), enc);
        break;
    case EventKind::HandshakeRequest:
    case EventKind::HandshakeResponse:
        e.payload = decodeHandshake(f, e.kind);
        break;
    case EventKind::Error:
        // Hand-written files may well say "message" like the other state kinds.
        e.payload = f.bytes(QLatin1StringView(f.has(QLatin1StringView("error")) ? "error" : "message"), enc);
        break;
    case EventKind::Closed:
        e.closeCode = quint16(f.integer(QLatin1StringView("code"), 0, 65535, 0));
        e.payload = f.bytes(QLatin1StringView("message"), enc);
        break;
    case EventKind::Open:
    case EventKind::Note:
        e.payload = f.bytes(QLatin1StringView("message"), enc);
        break;
    }
    e.size = f.integer(QLatin1StringView("size"), 0, maxInt64, defaultSize(e.kind, e.closeCode, e.payload.size()));

    quint8 flags = 0;
    if (f.flag(QLatin1StringView("fin")))
        flags |= FlagFin;
    const qint64 rsv = f.integer(QLatin1StringView("rsv"), 0, 7, 0);
    if (rsv & 4)
        flags |= FlagRsv1;
    if (rsv & 2)
        flags |= FlagRsv2;
    if (rsv & 1)
        flags |= FlagRsv3;
    if (f.flag(QLatin1StringView("masked")))
        flags |= FlagMasked;
    if (f.flag(QLatin1StringView("compressed")))
        flags |= FlagCompressed;
    if (f.flag(QLatin1StringView("fragment")))
        flags |= FlagFragment;
    e.flags = flags;
    e.note = f.bytes(QLatin1StringView("note"), QLatin1StringView("noteEnc"));
}
} // namespace

DecodeStatus decodeLine(QByteArrayView line, DecodedLine& out, QString* error)
{
    while (!line.isEmpty() && (line.back() == '\n' || line.back() == '\r'))
        line.chop(1);

    // Reused between calls on the same thread: a million-line file should not cost two million allocations.
    thread_local FlatLine flat;
    flat.clear();
    if (FastLineParser parser(line, flat); !parser.parse()) {
        if (error) {
            const QByteArrayView trimmed = line.trimmed();
            if (trimmed.startsWith('['))
                *error = QStringLiteral("not a JSON object");
            else if (!isValidUtf8(line)) // JSON text is UTF-8: say so rather than point at some offset
                *error = QStringLiteral("not valid UTF-8, as JSON must be");
            else if (parser.offset() >= line.size())
                *error = QStringLiteral("not valid JSON (the line ends too early)");
            else
                *error = QStringLiteral("not valid JSON (at offset %1)").arg(parser.offset());
        }
        return DecodeStatus::NotJson;
    }

    LineFields fields(flat);
    const QByteArrayView type = fields.text(QLatin1StringView("type"), true);
    if (type == "event") {
        out.type = LineType::Event;
        decodeEvent(fields, out.event);
    } else if (type == "connection") {
        out.type = LineType::Connection;
        decodeConnection(fields, out.connection);
    } else if (type == "session") {
        out.type = LineType::Session;
        decodeHeader(fields, out.header);
    } else if (fields.ok()) {
        fields.fail(QStringLiteral("unknown line type \"%1\"").arg(QString::fromUtf8(type)));
    }
    if (!fields.ok()) {
        if (error)
            *error = fields.error();
        return DecodeStatus::Invalid;
    }
    return DecodeStatus::Ok;
}

void appendJsonEscaped(QByteArray& out, QByteArrayView utf8, ByteOrderMark bom)
{
    if (bom == ByteOrderMark::Escaped)
        appendEscapedImpl<true>(out, utf8);
    else
        appendEscapedImpl<false>(out, utf8);
}

} // namespace wsi::jsonl
