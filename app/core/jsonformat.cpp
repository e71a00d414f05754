#include "jsonformat.h"

#include <limits>
#include <vector>

namespace wsi {

namespace {

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

bool isHexDigit(char c)
{
    return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool isWordChar(char c)
{
    return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

int hexValue(char c)
{
    if (isDigit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return c - 'A' + 10;
}

// What the parser may see next. Containers record which of '{' / '[' is open in a separate stack.
enum class Expect {
    Value,
    ValueOrEnd, // just after '['
    KeyOrEnd, // just after '{'
    Key, // after ',' in an object
    Colon,
    CommaOrEnd,
    Nothing, // the top-level value is complete
};

struct Frame
{
    char bracket;
    qsizetype count;
};

// Scans a string token starting at the opening quote. Returns the offset past the closing quote, or -1 with
// errorAt/message set.
qsizetype scanString(const char* s, qsizetype n, qsizetype start, qsizetype* errorAt, const char** message)
{
    qsizetype j = start + 1;
    while (true) {
        if (j >= n) {
            *errorAt = start;
            *message = QT_TRANSLATE_NOOP("wsi::JsonFormatter", "unterminated string");
            return -1;
        }
        const auto c = static_cast<unsigned char>(s[j]);
        if (c == '"')
            return j + 1;
        if (c == '\\') {
            if (j + 1 >= n) {
                *errorAt = start;
                *message = QT_TRANSLATE_NOOP("wsi::JsonFormatter", "unterminated string");
                return -1;
            }
            const char e = s[j + 1];
            if (e == 'u') {
                for (qsizetype k = j + 2; k < j + 6; ++k) {
                    if (k >= n || !isHexDigit(s[k])) {
                        *errorAt = j;
                        *message = QT_TRANSLATE_NOOP("wsi::JsonFormatter", "invalid \\u escape");
                        return -1;
                    }
                }
                j += 6;
                continue;
            }
            if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' && e != 'r' && e != 't') {
                *errorAt = j;
                *message = QT_TRANSLATE_NOOP("wsi::JsonFormatter", "invalid escape sequence");
                return -1;
            }
            j += 2;
            continue;
        }
        if (c < 0x20) {
            *errorAt = j;
            *message = QT_TRANSLATE_NOOP("wsi::JsonFormatter", "control character in string");
            return -1;
        }
        ++j;
    }
}

// Strict RFC 8259 number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, not followed by a word character.
qsizetype scanNumber(const char* s, qsizetype n, qsizetype start)
{
    qsizetype j = start;
    if (j < n && s[j] == '-')
        ++j;
    if (j < n && s[j] == '0') {
        ++j;
    } else if (j < n && s[j] >= '1' && s[j] <= '9') {
        while (j < n && isDigit(s[j]))
            ++j;
    } else {
        return -1;
    }
    if (j < n && s[j] == '.') {
        ++j;
        if (j >= n || !isDigit(s[j]))
            return -1;
        while (j < n && isDigit(s[j]))
            ++j;
    }
    if (j < n && (s[j] == 'e' || s[j] == 'E')) {
        ++j;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            ++j;
        if (j >= n || !isDigit(s[j]))
            return -1;
        while (j < n && isDigit(s[j]))
            ++j;
    }
    // "01", "1.2.3" and "12abc" are one bad number to a reader, not a number followed by garbage.
    if (j < n && (isWordChar(s[j]) || s[j] == '.'))
        return -1;
    return j;
}

// The length of bytes without an incomplete UTF-8 sequence at its end, so that a cut prefix decodes to a
// prefix of the whole text.
qsizetype completeUtf8Length(QByteArrayView bytes)
{
    const qsizetype n = bytes.size();
    qsizetype lead = n;
    while (lead > 0 && n - lead < 3 && (static_cast<unsigned char>(bytes[lead - 1]) & 0xc0) == 0x80)
        --lead;
    if (lead == 0)
        return n;
    const auto c = static_cast<unsigned char>(bytes[lead - 1]);
    const qsizetype need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > n - (lead - 1) ? lead - 1 : n;
}

// Pretty printing as a visitor: the open containers' state lives in a vector, like the parser's. Every byte
// goes through write(), which keeps to the output budget; once it is spent the walk stops.
class PrettyPrinter : public JsonVisitor
{
public:
    PrettyPrinter(QByteArrayView json, QByteArray* out, const JsonFormatter::Options& options)
        : m_json(json)
        , m_out(out)
        , m_options(options)
        , m_room(options.maxOutputBytes < 0 ? std::numeric_limits<qsizetype>::max() : options.maxOutputBytes)
    { }

    void beginContainer(char bracket, qsizetype) override
    {
        startValue();
        write(bracket);
        m_depth.push_back(0);
    }
    void endContainer(char bracket, qsizetype, qsizetype count) override
    {
        m_depth.pop_back();
        if (count > 0)
            newLine();
        write(bracket == '{' ? '}' : ']');
    }
    void key(qsizetype offset, qsizetype length) override
    {
        startElement();
        write(m_json.sliced(offset, length));
        write(": ");
        m_afterKey = true;
    }
    void scalar(JsonType, qsizetype offset, qsizetype length) override
    {
        startValue();
        write(m_json.sliced(offset, length));
    }
    bool wantsMore() const override { return !m_full; }

    bool isFull() const { return m_full; }
    void write(QByteArrayView bytes)
    {
        if (bytes.size() > m_room) {
            bytes = bytes.first(m_room);
            m_full = true;
        }
        m_out->append(bytes);
        m_room -= bytes.size();
    }
    void write(char c) { write(QByteArrayView(&c, 1)); }

private:
    // A value begins an element of its container unless a key already did.
    void startValue()
    {
        if (m_afterKey)
            m_afterKey = false;
        else if (!m_depth.empty())
            startElement();
    }
    void startElement()
    {
        if (m_depth.back()++ > 0)
            write(',');
        newLine();
    }
    void newLine()
    {
        write('\n');
        const qsizetype levels = std::min<qsizetype>(qsizetype(m_depth.size()), m_options.maxIndentDepth);
        const qsizetype spaces = std::min(levels * m_options.indent, m_room);
        m_full = m_full || spaces < levels * m_options.indent;
        m_out->append(spaces, ' ');
        m_room -= spaces;
    }

    QByteArrayView m_json;
    QByteArray* m_out;
    JsonFormatter::Options m_options;
    qsizetype m_room; // bytes the output may still grow by
    bool m_full = false; // the budget is spent: the output is cut
    std::vector<qsizetype> m_depth; // elements written so far, per open container
    bool m_afterKey = false;
};

} // namespace

QString JsonFormatter::Result::errorText() const
{
    if (isValid())
        return {};
    return tr("invalid JSON at offset %1: %2").arg(errorOffset).arg(errorMessage);
}

JsonFormatter::Result JsonFormatter::parse(QByteArrayView json, JsonVisitor* visitor)
{
    const char* s = json.data();
    const qsizetype n = json.size();
    qsizetype i = 0;
    std::vector<Frame> stack;
    Expect expect = Expect::Value;
    Result result;

    auto fail = [&result](qsizetype offset, const char* message) {
        result.errorOffset = offset;
        result.errorMessage = tr(message);
        return result;
    };
    auto expectation = [&stack](Expect e) -> const char* {
        switch (e) {
        case Expect::Value:
            return QT_TRANSLATE_NOOP("wsi::JsonFormatter", "expected a value");
        case Expect::ValueOrEnd:
            return QT_TRANSLATE_NOOP("wsi::JsonFormatter", "expected a value or ']'");
        case Expect::KeyOrEnd:
            return QT_TRANSLATE_NOOP("wsi::JsonFormatter", "expected a string key or '}'");
        case Expect::Key:
            return QT_TRANSLATE_NOOP("wsi::JsonFormatter", "expected a string key");
        case Expect::Colon:
            return QT_TRANSLATE_NOOP("wsi::JsonFormatter", "expected ':'");
        case Expect::CommaOrEnd:
            return stack.back().bracket == '{' ? QT_TRANSLATE_NOOP("wsi::JsonFormatter", "expected ',' or '}'")
                                               : QT_TRANSLATE_NOOP("wsi::JsonFormatter", "expected ',' or ']'");
        case Expect::Nothing:
            break;
        }
        return QT_TRANSLATE_NOOP("wsi::JsonFormatter", "unexpected data after the value");
    };
    // After a complete value: what the enclosing container allows next.
    auto valueDone = [&]() { expect = stack.empty() ? Expect::Nothing : Expect::CommaOrEnd; };

    while (true) {
        while (i < n && isSpace(s[i]))
            ++i;
        if (i >= n) {
            if (expect == Expect::Nothing)
                return result;
            if (stack.empty() && expect == Expect::Value)
                return fail(i, QT_TRANSLATE_NOOP("wsi::JsonFormatter", "empty document"));
            result = fail(i, expectation(expect));
            result.errorMessage = tr("unexpected end of input, %1").arg(result.errorMessage);
            return result;
        }
        if (visitor && !visitor->wantsMore()) {
            result.stopped = true;
            return result;
        }
        const char c = s[i];
        switch (expect) {
        case Expect::Nothing:
            return fail(i, expectation(expect));
        case Expect::Colon:
            if (c != ':')
                return fail(i, expectation(expect));
            ++i;
            expect = Expect::Value;
            continue;
        case Expect::CommaOrEnd: {
            const char bracket = stack.back().bracket;
            if (c == ',') {
                ++i;
                expect = bracket == '{' ? Expect::Key : Expect::Value;
                continue;
            }
            if (c != (bracket == '{' ? '}' : ']'))
                return fail(i, expectation(expect));
            if (visitor)
                visitor->endContainer(bracket, i, stack.back().count);
            stack.pop_back();
            ++i;
            valueDone();
            continue;
        }
        case Expect::KeyOrEnd:
        case Expect::Key: {
            if (c == '}' && expect == Expect::KeyOrEnd) {
                if (visitor)
                    visitor->endContainer('{', i, 0);
                stack.pop_back();
                ++i;
                valueDone();
                continue;
            }
            if (c != '"')
                return fail(i, expectation(expect));
            qsizetype errorAt = 0;
            const char* message = nullptr;
            const qsizetype end = scanString(s, n, i, &errorAt, &message);
            if (end < 0)
                return fail(errorAt, message);
            ++stack.back().count;
            if (visitor)
                visitor->key(i, end - i);
            i = end;
            expect = Expect::Colon;
            continue;
        }
        case Expect::ValueOrEnd:
            if (c == ']') {
                if (visitor)
                    visitor->endContainer('[', i, 0);
                stack.pop_back();
                ++i;
                valueDone();
                continue;
            }
            [[fallthrough]];
        case Expect::Value: {
            const bool inArray = !stack.empty() && stack.back().bracket == '[';
            if (c == '{' || c == '[') {
                if (stack.empty())
                    result.rootType = c == '{' ? JsonType::Object : JsonType::Array;
                if (inArray)
                    ++stack.back().count;
                if (visitor)
                    visitor->beginContainer(c, i);
                stack.push_back(Frame { c, 0 });
                ++i;
                expect = c == '{' ? Expect::KeyOrEnd : Expect::ValueOrEnd;
                continue;
            }
            JsonType type;
            qsizetype end;
            if (c == '"') {
                qsizetype errorAt = 0;
                const char* message = nullptr;
                end = scanString(s, n, i, &errorAt, &message);
                if (end < 0)
                    return fail(errorAt, message);
                type = JsonType::String;
            } else if (c == '-' || isDigit(c)) {
                end = scanNumber(s, n, i);
                if (end < 0)
                    return fail(i, QT_TRANSLATE_NOOP("wsi::JsonFormatter", "invalid number"));
                type = JsonType::Number;
            } else if (isWordChar(c)) {
                end = i;
                while (end < n && isWordChar(s[end]))
                    ++end;
                const QByteArrayView word(s + i, end - i);
                if (word == "true" || word == "false")
                    type = JsonType::Boolean;
                else if (word == "null")
                    type = JsonType::Null;
                else
                    return fail(i, QT_TRANSLATE_NOOP("wsi::JsonFormatter", "invalid literal"));
            } else {
                return fail(i, expectation(Expect::Value));
            }
            if (stack.empty())
                result.rootType = type;
            if (inArray)
                ++stack.back().count;
            if (visitor)
                visitor->scalar(type, i, end - i);
            i = end;
            valueDone();
            continue;
        }
        }
    }
}

JsonFormatter::Result JsonFormatter::prettyPrint(QByteArrayView json, QByteArray* out, const Options& options)
{
    out->clear();
    // Pretty output is usually a little bigger than compact input; one allocation up front avoids most regrowth.
    qsizetype expected = json.size() + json.size() / 2 + 16;
    if (options.maxOutputBytes >= 0)
        expected = std::min(expected, options.maxOutputBytes + 1);
    out->reserve(expected);
    PrettyPrinter printer(json, out, options);
    Result result = parse(json, &printer);
    if (!result.isValid()) {
        out->clear();
        out->squeeze();
        return result;
    }
    if (!printer.isFull())
        printer.write('\n');
    if (printer.isFull()) {
        // Cut inside a token, perhaps inside a character: keep whole characters only.
        out->truncate(completeUtf8Length(*out));
        result.stopped = true;
    }
    return result;
}

QList<JsonToken> JsonFormatter::tokenize(QStringView text)
{
    QList<JsonToken> tokens;
    const qsizetype n = text.size();
    qsizetype i = 0;
    auto isDigitChar = [](QChar c) { return c >= u'0' && c <= u'9'; };
    auto isLetter = [](QChar c) { return (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || c == u'_'; };
    while (i < n) {
        const QChar c = text[i];
        if (c == u' ' || c == u'\t' || c == u'\r' || c == u'\n') {
            ++i;
            continue;
        }
        const qsizetype start = i;
        if (c == u'{' || c == u'}' || c == u'[' || c == u']' || c == u':' || c == u',') {
            tokens.append({ start, 1, JsonTokenType::Punctuation });
            ++i;
        } else if (c == u'"') {
            ++i;
            while (i < n && text[i] != u'"')
                i += text[i] == u'\\' ? 2 : 1;
            i = std::min(i + 1, n);
            qsizetype next = i;
            while (next < n && (text[next] == u' ' || text[next] == u'\t'))
                ++next;
            const bool isKey = next < n && text[next] == u':';
            tokens.append({ start, i - start, isKey ? JsonTokenType::Key : JsonTokenType::String });
        } else if (c == u'-' || isDigitChar(c)) {
            ++i;
            while (i < n
                && (isDigitChar(text[i]) || text[i] == u'.' || text[i] == u'e' || text[i] == u'E' || text[i] == u'+'
                    || text[i] == u'-'))
                ++i;
            tokens.append({ start, i - start, JsonTokenType::Number });
        } else if (isLetter(c)) {
            while (i < n && (isLetter(text[i]) || isDigitChar(text[i])))
                ++i;
            const QStringView word = text.sliced(start, i - start);
            const bool keyword = word == u"true" || word == u"false" || word == u"null";
            tokens.append({ start, i - start, keyword ? JsonTokenType::Keyword : JsonTokenType::Invalid });
        } else {
            tokens.append({ start, 1, JsonTokenType::Invalid });
            ++i;
        }
    }
    return tokens;
}

QString JsonFormatter::unquote(QByteArrayView raw)
{
    return unquote(raw, std::numeric_limits<qsizetype>::max(), nullptr);
}

QString JsonFormatter::unquote(QByteArrayView raw, qsizetype maxChars, bool* cut)
{
    if (raw.size() >= 2 && raw.front() == '"' && raw.back() == '"')
        raw = raw.sliced(1, raw.size() - 2);
    const qsizetype n = raw.size();
    QString out;
    out.reserve(std::min(n, maxChars) + 1);
    qsizetype i = 0;
    while (i < n && out.size() < maxChars) {
        if (raw[i] != '\\') {
            // A plain run up to the next escape, decoded as UTF-8 in one go. A UTF-8 byte never makes more
            // than one UTF-16 unit, so taking no more bytes than units still wanted keeps within maxChars;
            // the run ends on a character boundary, and always takes at least one character.
            const qsizetype wanted = maxChars - out.size();
            const qsizetype limit = wanted >= n - i ? n : i + wanted;
            qsizetype end = i;
            while (end < limit && raw[end] != '\\')
                ++end;
            if (end == limit && end < n && raw[end] != '\\') {
                while (end > i && (static_cast<unsigned char>(raw[end]) & 0xc0) == 0x80)
                    --end;
                if (end == i) {
                    end = i + 1;
                    while (end < n && (static_cast<unsigned char>(raw[end]) & 0xc0) == 0x80)
                        ++end;
                }
            }
            out += QString::fromUtf8(raw.sliced(i, end - i));
            i = end;
            continue;
        }
        // Escapes add their UTF-16 unit directly, so a \uD83D\uDE00 pair ends up as the one character it
        // stands for.
        if (i + 1 >= n) {
            i = n;
            break;
        }
        const char e = raw[i + 1];
        i += 2;
        switch (e) {
        case 'b':
            out += QChar(u'\b');
            break;
        case 'f':
            out += QChar(u'\f');
            break;
        case 'n':
            out += QChar(u'\n');
            break;
        case 'r':
            out += QChar(u'\r');
            break;
        case 't':
            out += QChar(u'\t');
            break;
        case 'u': {
            char16_t unit = 0;
            int digits = 0;
            while (digits < 4 && i < n && isHexDigit(raw[i])) {
                unit = char16_t(unit * 16 + hexValue(raw[i]));
                ++i;
                ++digits;
            }
            out += QChar(unit);
            break;
        }
        default:
            out += QLatin1Char(e);
            break;
        }
    }
    // A high surrogate whose partner was not decoded would show as garbage.
    if (i < n && out.size() > 0 && out.back().isHighSurrogate())
        out.chop(1);
    if (cut)
        *cut = i < n;
    return out;
}

QString JsonFormatter::quote(QStringView text)
{
    QString out;
    out.reserve(text.size() + 2);
    out += QLatin1Char('"');
    for (const QChar c : text) {
        switch (c.unicode()) {
        case u'"':
            out += QLatin1String("\\\"");
            break;
        case u'\\':
            out += QLatin1String("\\\\");
            break;
        case u'\n':
            out += QLatin1String("\\n");
            break;
        case u'\r':
            out += QLatin1String("\\r");
            break;
        case u'\t':
            out += QLatin1String("\\t");
            break;
        default:
            if (c.unicode() < 0x20)
                out += QStringLiteral("\\u%1").arg(int(c.unicode()), 4, 16, QLatin1Char('0'));
            else
                out += c;
        }
    }
    out += QLatin1Char('"');
    return out;
}

QString JsonFormatter::typeName(JsonType type)
{
    switch (type) {
    case JsonType::Null:
        return tr("null");
    case JsonType::Boolean:
        return tr("boolean");
    case JsonType::Number:
        return tr("number");
    case JsonType::String:
        return tr("string");
    case JsonType::Array:
        return tr("array");
    case JsonType::Object:
        return tr("object");
    }
    return {};
}

} // namespace wsi
