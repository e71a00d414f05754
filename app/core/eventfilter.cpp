#include "eventfilter.h"

#include <QStringDecoder>
#include <QVarLengthArray>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

namespace wsi {

namespace {

constexpr std::array<uchar, 256> makeAsciiLowerTable()
{
    std::array<uchar, 256> table {};
    for (int c = 0; c < 256; ++c)
        table[size_t(c)] = uchar(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    return table;
}
constexpr std::array<uchar, 256> AsciiLower = makeAsciiLowerTable();

// Eight bytes at a time: most payloads are ASCII JSON, and this decides whether they need decoding at all.
bool isAscii(QByteArrayView bytes)
{
    const char* p = bytes.data();
    const char* const end = p + bytes.size();
    for (; end - p >= 8; p += 8) {
        quint64 word;
        std::memcpy(&word, p, sizeof word);
        if (word & 0x8080808080808080ULL)
            return false;
    }
    for (; p < end; ++p) {
        if (uchar(*p) >= 0x80)
            return false;
    }
    return true;
}

bool hasAsciiLetter(QByteArrayView bytes)
{
    return std::any_of(
        bytes.begin(), bytes.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); });
}

// Without Unicode properties PCRE2 treats only ASCII as word characters, digits and spaces; a user who writes
// \w or \b in front of "café" expects them to know é. The option costs speed, so it is set only when the
// pattern uses one of the classes it changes.
bool needsUnicodeProperties(const QString& pattern)
{
    for (qsizetype i = 0; i + 1 < pattern.size(); ++i) {
        if (pattern.at(i) == QLatin1Char('\\')) {
            switch (pattern.at(i + 1).unicode()) {
            case 'w':
            case 'W':
            case 'd':
            case 'D':
            case 's':
            case 'S':
            case 'b':
            case 'B':
                return true;
            default:
                ++i; // an escaped character is never the start of another escape
                break;
            }
        } else if (pattern.at(i) == QLatin1Char('[') && pattern.at(i + 1) == QLatin1Char(':')) {
            return true; // POSIX class such as [[:alpha:]]
        }
    }
    return false;
}

} // namespace

EventFilter::EventFilter() = default;

EventFilter::EventFilter(const FilterSpec& spec)
    : m_spec(spec)
    , m_kinds(spec.kinds & FilterSpec::AllKinds)
    , m_directions(spec.directions & FilterSpec::AllDirections)
    , m_connections(spec.connections.begin(), spec.connections.end())
    , m_passesEverything(spec.isEmpty())
{
    std::sort(m_connections.begin(), m_connections.end());
    m_connections.erase(std::unique(m_connections.begin(), m_connections.end()), m_connections.end());

    if (spec.text.isEmpty())
        return;
    if (spec.regex) {
        QRegularExpression::PatternOptions options = QRegularExpression::NoPatternOption;
        if (!spec.caseSensitive)
            options |= QRegularExpression::CaseInsensitiveOption;
        if (needsUnicodeProperties(spec.text))
            options |= QRegularExpression::UseUnicodePropertiesOption;
        QString error;
        qsizetype offset = 0;
        if (!m_regex.compile(spec.text, options, &error, &offset)) {
            m_errorString = tr("Invalid regular expression: %1").arg(error);
            m_errorOffset = int(offset);
            return;
        }
        m_textMode = TextMode::Regex;
        return;
    }
    m_needle = spec.text.toUtf8();
    m_needleChars = spec.text.size();
    if (spec.caseSensitive) {
        m_textMode = TextMode::Bytes;
    } else if (isAscii(m_needle)) {
        // Digits and punctuation have no case: the exact search is the same and faster.
        m_textMode = hasAsciiLetter(m_needle) ? TextMode::AsciiFold : TextMode::Bytes;
        for (char& c : m_needle)
            c = char(AsciiLower[uchar(c)]);
    } else {
        m_textMode = TextMode::Unicode;
        m_needleText = spec.text;
        // A needle character that folds to a non-ASCII character can only match a non-ASCII one (the few
        // non-ASCII letters that fold to ASCII, like the Kelvin sign, are why this is asked per character).
        m_needleNeedsNonAscii = std::any_of(
            m_needleText.cbegin(), m_needleText.cend(), [](QChar c) { return c.toCaseFolded().unicode() >= 0x80; });
    }
}

bool EventFilter::passesCheapConditions(EventKind kind, Direction direction, quint32 connection) const
{
    if (!(m_kinds & (quint32(1) << int(kind))))
        return false;
    if (!(m_directions & (quint8(1) << int(direction))))
        return false;
    if (m_connections.empty())
        return true;
    // A handful of connections in practice: a linear scan beats the branches of a binary search.
    if (m_connections.size() <= 8)
        return std::find(m_connections.begin(), m_connections.end(), connection) != m_connections.end();
    return std::binary_search(m_connections.begin(), m_connections.end(), connection);
}

EventFilter::Outcome EventFilter::evaluate(
    EventKind kind, Direction direction, quint32 connection, QByteArrayView payload, QByteArrayView note) const
{
    if (m_passesEverything)
        return Outcome::Match;
    if (!isValid())
        return Outcome::NoMatch;
    if (!passesCheapConditions(kind, direction, connection))
        return Outcome::NoMatch;
    if (m_textMode == TextMode::None)
        return Outcome::Match;
    const Outcome inPayload = evaluateText(payload);
    // An event without a note has nothing more to search (and `^$` must not match every such event).
    if (inPayload == Outcome::Match || note.isEmpty())
        return inPayload;
    const Outcome inNote = evaluateText(note);
    return inNote == Outcome::NoMatch ? inPayload : inNote;
}

EventFilter::Outcome EventFilter::evaluateText(QByteArrayView utf8) const
{
    const auto outcome = [](bool match) { return match ? Outcome::Match : Outcome::NoMatch; };
    switch (m_textMode) {
    case TextMode::None:
        return outcome(isValid());
    case TextMode::Bytes:
        if (utf8.size() < m_needle.size())
            return Outcome::NoMatch;
        return outcome(std::string_view(utf8.data(), size_t(utf8.size()))
                           .find(std::string_view(m_needle.constData(), size_t(m_needle.size())))
            != std::string_view::npos);
    case TextMode::AsciiFold:
        return outcome(containsAsciiFolded(utf8));
    case TextMode::Unicode:
        if (utf8.size() < m_needleChars || (m_needleNeedsNonAscii && isAscii(utf8)))
            return Outcome::NoMatch;
        return matchesDecoded(utf8);
    case TextMode::Regex:
        return matchesDecoded(utf8);
    }
    return Outcome::NoMatch;
}

bool EventFilter::containsAsciiFolded(QByteArrayView haystack) const
{
    const qsizetype n = m_needle.size();
    if (haystack.size() < n)
        return false;
    const auto* needle = reinterpret_cast<const uchar*>(m_needle.constData());
    const auto* p = reinterpret_cast<const uchar*>(haystack.data());
    const uchar* const last = p + (haystack.size() - n);
    const uchar first = needle[0];
    for (; p <= last; ++p) {
        if (AsciiLower[*p] != first)
            continue;
        qsizetype i = 1;
        while (i < n && AsciiLower[p[i]] == needle[i])
            ++i;
        if (i == n)
            return true;
    }
    return false;
}

// Decodes into a buffer on the stack for ordinary payloads, so that a million rows cost no heap allocation
// for the text itself.
EventFilter::Outcome EventFilter::matchesDecoded(QByteArrayView utf8) const
{
    QStringDecoder decoder(QStringDecoder::Utf8, QStringDecoder::Flag::Stateless);
    QVarLengthArray<QChar, 512> buffer(decoder.requiredSpace(utf8.size()));
    const QChar* end = decoder.appendToBuffer(buffer.data(), utf8);
    const QStringView text(buffer.data(), end - buffer.data());
    if (m_textMode == TextMode::Unicode)
        return text.contains(m_needleText, Qt::CaseInsensitive) ? Outcome::Match : Outcome::NoMatch;

    // The longer the text, the more steps an ordinary pattern needs: pick the limit that fits its length.
    const QRegularExpression& regex = m_regex.forLength(text.size());
    // The decoder always produces valid UTF-16: no need for PCRE to check it again.
#if QT_VERSION >= QT_VERSION_CHECK(6, 5, 0)
    const QRegularExpressionMatch match = regex.matchView(
        text, 0, QRegularExpression::NormalMatch, QRegularExpression::DontCheckSubjectStringMatchOption);
#else
    const QRegularExpressionMatch match
        = regex.match(text, 0, QRegularExpression::NormalMatch, QRegularExpression::DontCheckSubjectStringMatchOption);
#endif
    if (match.hasMatch())
        return Outcome::Match;
    // The pattern is valid and the subject too: the only failures left are PCRE2's limits (match steps,
    // depth, heap, JIT stack), that is a search that would have taken too long.
    return match.isValid() ? Outcome::NoMatch : Outcome::TooCostly;
}

bool EventFilter::collect(const EventStore::Snapshot& events, qsizetype from, qsizetype to, std::vector<int>& out,
    const std::function<bool()>& shouldStop, CollectStats* stats) const
{
    to = std::min(to, events.count());
    from = std::max<qsizetype>(from, 0);
    CollectStats local;
    CollectStats& done = stats ? *stats : local;
    done = CollectStats { from, 0 };
    // One row of a regular expression may cost up to its match limit: look at the stop condition before each.
    const qsizetype rowsPerCheck = m_textMode == TextMode::Regex ? 1 : StopCheckInterval;
    const bool searchesText = !m_passesEverything && m_textMode != TextMode::None;
    qsizetype row = from;
    while (row < to) {
        if (shouldStop && shouldStop())
            return false;
        const qsizetype end = std::min(to, row + rowsPerCheck);
        if (m_passesEverything) {
            for (; row < end; ++row)
                out.push_back(int(row));
        } else if (!searchesText) {
            for (; row < end; ++row) {
                if (evaluate(events, row) == Outcome::Match)
                    out.push_back(int(row));
            }
        } else {
            // Megabyte payloads make a few rows a lot of text: look again after StopCheckBytes.
            qsizetype bytes = 0;
            for (; row < end && bytes < StopCheckBytes; ++row) {
                const QByteArrayView payload = events.payload(row);
                const QByteArrayView note = events.note(row);
                bytes += payload.size() + note.size();
                switch (evaluate(events.kind(row), events.direction(row), events.connectionId(row), payload, note)) {
                case Outcome::Match:
                    out.push_back(int(row));
                    break;
                case Outcome::TooCostly:
                    ++done.costlyRows;
                    break;
                case Outcome::NoMatch:
                    break;
                }
            }
        }
        done.end = row;
    }
    done.end = std::max(from, to);
    return true;
}

} // namespace wsi
