#pragma once

#include <QList>
#include <QString>

#include <optional>
#include <vector>

namespace wsi {

// One step of a concrete path into a JSON document: an object member (key) or an array element (index >= 0).
struct JsonPathStep
{
    QString key;
    qsizetype index = -1; // >= 0: an array element, key unused

    bool isIndex() const { return index >= 0; }
    bool operator==(const JsonPathStep&) const = default;
};
using JsonPath = QList<JsonPathStep>;

/*
 * A pattern for the parts of a JSON message to leave out of a comparison (--ignore-path, the replay pane's
 * ignore list). The syntax is a small subset of JSONPath:
 *   $               the whole message (every step below starts from it)
 *   .name           member "name" (letters, digits, _ and $, not starting with a digit)
 *   ["any key"]     member of any name, also ['any key']; \" \' and \\ escape inside
 *   [3]             element 3 of an array (0-based)
 *   [*]  .*         any element of an array, any member of an object
 *   ..name  ..*     that member (or anything) at any depth below
 * e.g. $.ts, $.items[*].id, $..timestamp. A pattern that matches a node covers everything under it: $.meta
 * ignores $.meta.id too. format() writes concrete paths in the same notation ($.items[2].price,
 * $["display name"]), the one the JSON tree's "copy path" uses, so a path from a report can be pasted back.
 */
class JsonPathPattern
{
public:
    // nullopt with a reason naming the position when text is not a pattern.
    static std::optional<JsonPathPattern> parse(const QString& text, QString* error);

    QString text() const { return m_text; }
    // True when the pattern matches path or one of its ancestors.
    bool covers(const JsonPath& path) const;

    static QString format(const JsonPath& path);

private:
    struct Step
    {
        enum class Kind : quint8 {
            Member,
            Index,
            Any, // [*] or .*
        };
        Kind kind = Kind::Member;
        bool descendant = false; // .. before it: any number of steps may come first
        QString key;
        qsizetype index = 0;
    };
    // memo: one cell per (step, position), 0 unknown, 1 matches, 2 does not; without it, several ".." steps on
    // a deep path try every way of splitting the path between them (exponential in the number of steps).
    bool matchFrom(qsizetype step, const JsonPath& path, qsizetype at, std::vector<qint8>& memo) const;

    QString m_text;
    QList<Step> m_steps;
};

} // namespace wsi
