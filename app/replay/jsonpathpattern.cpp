#include "jsonpathpattern.h"

#include "../core/jsontreemodel.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace wsi {

namespace {

bool endsName(QChar c)
{
    return c == u'.' || c == u'[' || c == u']' || c == u'"' || c == u'\'' || c.isSpace();
}

} // namespace

std::optional<JsonPathPattern> JsonPathPattern::parse(const QString& given, QString* error)
{
    const QString text = given.trimmed();
    auto fail = [&](qsizetype at, const QString& why) -> std::optional<JsonPathPattern> {
        if (error)
            *error = QStringLiteral("invalid JSON path \u201c%1\u201d at character %2: %3")
                         .arg(text, QString::number(at + 1), why);
        return std::nullopt;
    };
    if (!text.startsWith(u'$'))
        return fail(0, QStringLiteral("a path starts with $ (the whole message), e.g. $.items[*].id"));
    JsonPathPattern pattern;
    pattern.m_text = text;
    qsizetype i = 1;
    const qsizetype n = text.size();
    while (i < n) {
        Step step;
        const qsizetype stepStart = i;
        if (text[i] == u'.') {
            ++i;
            if (i < n && text[i] == u'.') {
                step.descendant = true;
                ++i;
            }
            if (i >= n)
                return fail(stepStart, QStringLiteral("a name, * or [...] must follow the dot"));
            if (text[i] == u'*') {
                step.kind = Step::Kind::Any;
                ++i;
                pattern.m_steps.append(step);
                continue;
            }
            if (text[i] == u'[') {
                if (!step.descendant)
                    return fail(i, QStringLiteral("write [...] without a dot before it"));
                // ..[0], ..["name"]: handled as a bracket step below.
            } else {
                const qsizetype nameStart = i;
                while (i < n && !endsName(text[i]))
                    ++i;
                if (i == nameStart)
                    return fail(nameStart, QStringLiteral("a member name must follow the dot"));
                step.kind = Step::Kind::Member;
                step.key = text.mid(nameStart, i - nameStart);
                pattern.m_steps.append(step);
                continue;
            }
        }
        if (text[i] != u'[')
            return fail(i, QStringLiteral("expected . or [ here"));
        ++i;
        if (i >= n)
            return fail(i, QStringLiteral("the bracket is not closed"));
        if (text[i] == u'*') {
            step.kind = Step::Kind::Any;
            ++i;
        } else if (text[i] == u'"' || text[i] == u'\'') {
            const QChar quote = text[i];
            const qsizetype open = i++;
            QString raw;
            bool closed = false;
            while (i < n) {
                if (text[i] == u'\\' && i + 1 < n) {
                    raw += text[i];
                    raw += text[i + 1];
                    i += 2;
                    continue;
                }
                if (text[i] == quote) {
                    closed = true;
                    ++i;
                    break;
                }
                raw += text[i++];
            }
            if (!closed)
                return fail(open, QStringLiteral("the quoted name is not closed"));
            if (quote == u'"') {
                // The notation format() writes (JSON string escapes): let the JSON parser read it.
                const QJsonDocument doc = QJsonDocument::fromJson(QStringLiteral("[\"%1\"]").arg(raw).toUtf8());
                if (!doc.isArray() || doc.array().size() != 1 || !doc.array().at(0).isString())
                    return fail(open, QStringLiteral("the quoted name is not a valid JSON string"));
                step.key = doc.array().at(0).toString();
            } else {
                for (qsizetype k = 0; k < raw.size(); ++k) {
                    if (raw[k] == u'\\' && k + 1 < raw.size())
                        ++k;
                    step.key += raw[k];
                }
            }
            step.kind = Step::Kind::Member;
        } else if (text[i].isDigit()) {
            const qsizetype digits = i;
            while (i < n && text[i].isDigit())
                ++i;
            bool ok = false;
            step.index = text.mid(digits, i - digits).toLongLong(&ok);
            if (!ok)
                return fail(digits, QStringLiteral("the index is too big"));
            step.kind = Step::Kind::Index;
        } else {
            return fail(i, QStringLiteral("expected an index, * or a quoted name inside [ ]"));
        }
        if (i >= n || text[i] != u']')
            return fail(i, QStringLiteral("expected ] here"));
        ++i;
        pattern.m_steps.append(step);
    }
    return pattern;
}

bool JsonPathPattern::covers(const JsonPath& path) const
{
    std::vector<qint8> memo(size_t(m_steps.size() + 1) * size_t(path.size() + 1), 0);
    return matchFrom(0, path, 0, memo);
}

bool JsonPathPattern::matchFrom(qsizetype step, const JsonPath& path, qsizetype at, std::vector<qint8>& memo) const
{
    if (step == m_steps.size())
        return true; // everything below a matched node is covered
    if (at >= path.size())
        return false;
    const size_t cell = size_t(step) * size_t(path.size() + 1) + size_t(at);
    if (memo[cell] != 0)
        return memo[cell] == 1;
    const Step& s = m_steps[step];
    auto matches = [&s](const JsonPathStep& p) {
        switch (s.kind) {
        case Step::Kind::Member:
            return !p.isIndex() && p.key == s.key;
        case Step::Kind::Index:
            return p.isIndex() && p.index == s.index;
        case Step::Kind::Any:
            return true;
        }
        return false;
    };
    bool result = false;
    if (!s.descendant) {
        result = matches(path[at]) && matchFrom(step + 1, path, at + 1, memo);
    } else {
        for (qsizetype j = at; j < path.size() && !result; ++j)
            result = matches(path[j]) && matchFrom(step + 1, path, j + 1, memo);
    }
    memo[cell] = result ? 1 : 2;
    return result;
}

QString JsonPathPattern::format(const JsonPath& path)
{
    QString out = QStringLiteral("$");
    for (const JsonPathStep& step : path) {
        if (step.isIndex())
            out += QLatin1Char('[') + QString::number(step.index) + QLatin1Char(']');
        else
            out += JsonTreeModel::keySegment(step.key);
    }
    return out;
}

} // namespace wsi
