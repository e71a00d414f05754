#pragma once

#include "jsonpathpattern.h"
#include "replayplan.h"

#include <QCoreApplication>
#include <QList>
#include <QString>
#include <QStringList>

namespace wsi {

// A value that differs between the recorded and the received JSON message.
struct JsonDifference
{
    QString path; // $.items[2].price
    QString recorded; // compact JSON, cut to a preview; empty when the recorded message has nothing there
    QString received; // the same for the received message
};

// The outcome for one message index.
struct ReplayCompareRow
{
    enum class Status : quint8 {
        Equal, // the same bytes, or the same JSON once ignored paths are left out
        Differ,
        Missing, // recorded, not received
        Extra, // received, not recorded
    };
    int index = 0; // 0-based: the recorded message's position (the received one's for Extra)
    int receivedIndex = -1; // 0-based position among the received messages; -1 for Missing
    Status status = Status::Equal;
    bool bothJson = false;
    bool kindDiffers = false; // one text, the other binary
    QList<JsonDifference> differences; // bothJson: every differing path that no ignore pattern covers
    int moreDifferences = 0; // differing paths beyond the ones listed (see ReplayCompare::MaxPathsPerMessage)
    qsizetype firstDifference = -1; // not JSON: offset of the first differing byte (or the shorter length)
    ReplayMessage recorded; // empty for Extra
    ReplayMessage received; // empty for Missing

    // The row for a person, one line per difference, messages numbered from 1:
    // "message 3 differs at $.price: recorded 10, received 12", "message 4 is missing (recorded: {...})",
    // "message 5 differs at byte 17: recorded "abc…", received "abd…"". Empty for Equal.
    QStringList describe() const;
};

// The comparison of a whole run.
struct ReplayComparison
{
    QList<ReplayCompareRow> rows; // one per index, recorded and received side by side
    int equal = 0;
    int differ = 0;
    int missing = 0;
    int extra = 0;

    bool matches() const { return differ == 0 && missing == 0 && extra == 0; }
    // "5 messages: 3 equal, 1 differs, 1 missing"
    QString summary() const;
};

/*
 * Compares what a replay received with what was recorded, in order, lined up so that one reply the server
 * left out (or one it added) is one missing (or extra) row instead of shifting every later pair into a
 * difference: a received message is paired with the next recorded one unless a recorded message within a few
 * places further on equals it (the ones skipped are missing), or it equals a received message a few places on
 * (the ones skipped are extra). A received message that came before the client message its recorded
 * counterpart follows (c2sBefore) cannot be that reply: it is extra. Two text messages that both parse as JSON (any
 * JSON value) are compared as JSON: member order and number spelling do not matter, and the result lists each differing
 * path, leaving out those an ignore pattern covers. Anything else is compared byte for byte, and the first
 * differing offset is given. Pure functions of their input.
 */
class ReplayCompare
{
    Q_DECLARE_TR_FUNCTIONS(wsi::ReplayCompare)

public:
    static constexpr int MaxPathsPerMessage = 50;
    // How far ahead the alignment looks for an equal message on either side.
    static constexpr int AlignLookahead = 16;

    explicit ReplayCompare(QList<JsonPathPattern> ignore = {});

    // Parses --ignore-path values; false with the first bad one named in *error.
    static bool parseIgnorePaths(const QStringList& texts, QList<JsonPathPattern>* out, QString* error);

    ReplayCompareRow compareMessage(int index, const ReplayMessage& recorded, const ReplayMessage& received) const;
    ReplayComparison compare(const QList<ReplayMessage>& recorded, const QList<ReplayMessage>& received) const;

private:
    QList<JsonPathPattern> m_ignore;
};

} // namespace wsi
