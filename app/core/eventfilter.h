#pragma once

#include "eventstore.h"
#include "filterspec.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QRegularExpression>
#include <QString>

#include <functional>
#include <vector>

namespace wsi {

/*
 * A FilterSpec made ready for testing a million events: the regular expression compiled once, the needle
 * case-folded once, the connection list sorted. Cheap conditions (kind, direction, connection) are tested
 * before any text is looked at. A plain substring is searched in the stored UTF-8 bytes without allocating
 * (ASCII needles fold case byte by byte, which is exact because no other UTF-8 byte equals an ASCII one);
 * only a non-ASCII needle searched case-insensitively and a regular expression decode the payload to UTF-16.
 * All members are const after construction, so one EventFilter can be used from several threads at once.
 */
class EventFilter
{
    Q_DECLARE_TR_FUNCTIONS(EventFilter)

public:
    // How many rows collect() tests between two looks at its stop condition.
    static constexpr qsizetype StopCheckInterval = 4096;

    EventFilter(); // passes everything
    explicit EventFilter(const FilterSpec& spec);

    const FilterSpec& spec() const { return m_spec; }
    // True when every event passes (no condition at all): the caller can skip filtering.
    bool passesEverything() const { return m_passesEverything; }

    // False when the regular expression does not compile; then nothing matches.
    bool isValid() const { return m_errorString.isEmpty(); }
    QString errorString() const { return m_errorString; }
    int errorOffset() const { return m_errorOffset; } // in the pattern, -1 when valid or unknown

    bool matches(const EventStore::Snapshot& events, qsizetype row) const
    {
        return matches(
            events.kind(row), events.direction(row), events.connectionId(row), events.payload(row), events.note(row));
    }
    bool matches(const EventStore& store, qsizetype row) const
    {
        return matches(
            store.kind(row), store.direction(row), store.connectionId(row), store.payload(row), store.note(row));
    }
    bool matches(
        EventKind kind, Direction direction, quint32 connection, QByteArrayView payload, QByteArrayView note) const;
    // The text condition alone, on one UTF-8 text (true when there is none).
    bool matchesText(QByteArrayView utf8) const;

    // Appends the rows of [from, to) that match to out, in order. Asks shouldStop every StopCheckInterval
    // rows and returns false as soon as it says so (out then holds a partial result).
    bool collect(const EventStore::Snapshot& events, qsizetype from, qsizetype to, std::vector<int>& out,
        const std::function<bool()>& shouldStop = {}) const;

private:
    enum class TextMode {
        None,
        Bytes, // exact bytes: case-sensitive, or case-insensitive with a needle without letters
        AsciiFold, // ASCII needle, case-insensitive
        Unicode, // non-ASCII needle, case-insensitive: decoded and compared as UTF-16
        Regex,
    };

    bool passesCheapConditions(EventKind kind, Direction direction, quint32 connection) const;
    bool containsAsciiFolded(QByteArrayView haystack) const;
    bool matchesDecoded(QByteArrayView utf8) const;

    FilterSpec m_spec;
    TextMode m_textMode = TextMode::None;
    QByteArray m_needle; // UTF-8; lower-case for AsciiFold
    QString m_needleText; // for Unicode
    qsizetype m_needleChars = 0; // UTF-16 code units of the needle: a shorter text cannot hold it
    bool m_needleNeedsNonAscii = false; // Unicode mode: an ASCII-only text cannot hold the needle
    QRegularExpression m_regex;
    quint32 m_kinds = FilterSpec::AllKinds;
    quint8 m_directions = FilterSpec::AllDirections;
    std::vector<quint32> m_connections; // sorted; empty means every connection
    bool m_passesEverything = true;
    QString m_errorString;
    int m_errorOffset = -1;
};

} // namespace wsi
