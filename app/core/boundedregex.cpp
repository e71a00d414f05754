#include "boundedregex.h"

#include <algorithm>

namespace wsi {

bool BoundedRegex::compile(
    const QString& pattern, QRegularExpression::PatternOptions options, QString* error, qsizetype* errorOffset)
{
    for (size_t tier = 0; tier < MatchLimits.size(); ++tier) {
        // PCRE2 reads these start-of-pattern items before the user's own, which may lower the limits further,
        // never raise them (the lower of two settings wins).
        const QString prefix = QStringLiteral("(*LIMIT_MATCH=") + QString::number(MatchLimits[tier].steps)
            + QStringLiteral(")(*LIMIT_DEPTH=") + QString::number(MatchLimits[tier].depth) + QLatin1Char(')');
        QRegularExpression regex(prefix + pattern, options);
        if (!regex.isValid()) {
            if (error)
                *error = regex.errorString();
            if (errorOffset)
                *errorOffset = std::max<qsizetype>(0, regex.patternErrorOffset() - prefix.size());
            m_tiers = {};
            return false;
        }
        regex.optimize();
        m_tiers[tier] = std::move(regex);
    }
    return true;
}

const QRegularExpression& BoundedRegex::forLength(qsizetype chars) const
{
    size_t tier = 0;
    while (tier + 1 < MatchLimits.size() && chars > MatchLimits[tier].maxChars)
        ++tier;
    return m_tiers[tier];
}

} // namespace wsi
