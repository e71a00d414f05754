#pragma once

#include <QRegularExpression>

#include <array>

namespace wsi {

/*
 * A regular expression from the user that cannot run away on the thread matching it: the pattern is compiled
 * once per tier of work limits, and each subject is matched under the tier that fits its length. The limits
 * are enough for any ordinary pattern (a lazy .*? or an alternation loop takes a step or two per character)
 * and far from the billions of steps of nested quantifiers; a match that reaches them fails, which callers
 * treat as no match. Used by the timeline filter and the test server's auto-reply rules.
 */
class BoundedRegex
{
public:
    struct MatchLimit
    {
        qsizetype maxChars; // subjects up to this many UTF-16 code units; -1: any longer one
        int steps; // (*LIMIT_MATCH=steps)
        int depth; // (*LIMIT_DEPTH=depth): the interpreter's backtracking memory (the JIT ignores it)
    };
    // The last tier states PCRE2's usual default (about 30 ms of work), so it does not depend on the build.
    static constexpr std::array<MatchLimit, 3> MatchLimits { {
        { 1024, 100000, 100000 },
        { 65536, 2000000, 250000 },
        { -1, 10000000, 250000 },
    } };

    // Compiles (and JIT-compiles) pattern now, on the calling thread. On an error returns false with Qt's
    // message and the offset in pattern (not in the pattern with our limits in front).
    bool compile(const QString& pattern, QRegularExpression::PatternOptions options, QString* error = nullptr,
        qsizetype* errorOffset = nullptr);
    bool isValid() const { return m_tiers.back().isValid(); }

    // The compiled pattern whose limits fit a subject of this many UTF-16 code units.
    const QRegularExpression& forLength(qsizetype chars) const;

private:
    std::array<QRegularExpression, MatchLimits.size()> m_tiers;
};

} // namespace wsi
