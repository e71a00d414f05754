#pragma once

#include "event.h"

#include <QList>
#include <QString>

namespace wsi {

/*
 * What the user asked the timeline to show: a text (substring or regular expression, case-sensitive or
 * not) searched in an event's payload and note, plus the kinds, directions and connections to keep. A
 * plain value, compared to decide whether a new query must restart the filtering or can be skipped.
 */
struct FilterSpec
{
    static constexpr quint32 AllKinds = (quint32(1) << EventKindCount) - 1;
    static constexpr quint8 AllDirections = 0x7; // bit per Direction: None, C2S, S2C

    QString text; // empty: no text condition
    bool regex = false;
    bool caseSensitive = false;
    quint32 kinds = AllKinds; // bit (1 << int(EventKind))
    quint8 directions = AllDirections; // bit (1 << int(Direction))
    QList<quint32> connections; // empty: every connection

    static constexpr quint32 kindBit(EventKind k) { return quint32(1) << int(k); }
    static constexpr quint8 directionBit(Direction d) { return quint8(1 << int(d)); }

    // True when every event passes: nothing to filter.
    bool isEmpty() const
    {
        return text.isEmpty() && (kinds & AllKinds) == AllKinds && (directions & AllDirections) == AllDirections
            && connections.isEmpty();
    }
    friend bool operator==(const FilterSpec&, const FilterSpec&) = default;
};

} // namespace wsi
