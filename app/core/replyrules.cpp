#include "replyrules.h"

#include "boundedregex.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QRegularExpression>

#include <algorithm>
#include <array>
#include <functional>

namespace wsi {

namespace {

QByteArray asciiLower(QByteArray bytes)
{
    for (char& c : bytes) {
        if (c >= 'A' && c <= 'Z')
            c = char(c + ('a' - 'A'));
    }
    return bytes;
}

// Any JSON value as compact JSON text: Qt writes only documents, so a scalar goes inside an array first.
QByteArray jsonText(const QJsonValue& value)
{
    if (value.isObject())
        return QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    if (value.isArray())
        return QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
    const QByteArray wrapped = QJsonDocument(QJsonArray { value }).toJson(QJsonDocument::Compact);
    return wrapped.mid(1, wrapped.size() - 2);
}

// QJsonParseError counts bytes from the start; people count lines and characters from one.
std::pair<int, int> lineAndColumn(const QByteArray& text, qsizetype offset)
{
    offset = std::clamp<qsizetype>(offset, 0, text.size());
    int line = 1;
    int column = 1;
    for (qsizetype i = 0; i < offset; ++i) {
        const uchar c = uchar(text.at(i));
        if (c == '\n') {
            ++line;
            column = 1;
        } else if ((c & 0xC0) != 0x80) { // not a UTF-8 continuation byte
            ++column;
        }
    }
    return { line, column };
}

QString ruleLabel(qsizetype index, const QString& name)
{
    return name.isEmpty() ? ReplyRules::tr("rule %1").arg(index + 1)
                          : ReplyRules::tr("rule %1 (%2)").arg(QString::number(index + 1), name);
}

} // namespace

QString ruleMatchName(RuleMatch m)
{
    switch (m) {
    case RuleMatch::Exact:
        return QStringLiteral("exact");
    case RuleMatch::Substring:
        return QStringLiteral("substring");
    case RuleMatch::Regex:
        return QStringLiteral("regex");
    case RuleMatch::JsonField:
        return QStringLiteral("json");
    }
    return {};
}

std::optional<RuleMatch> ruleMatchFromName(QStringView name)
{
    for (RuleMatch m : { RuleMatch::Exact, RuleMatch::Substring, RuleMatch::Regex, RuleMatch::JsonField }) {
        if (name == ruleMatchName(m))
            return m;
    }
    return std::nullopt;
}

struct ReplyRules::Compiled
{
    MessageTemplate reply;
    QByteArray needle; // Exact, Substring: the pattern in UTF-8
    QByteArray foldedNeedle; // ... ASCII lower case, for binary messages without case
    BoundedRegex regex;
    QStringList path; // JsonField
};

ReplyRules::ReplyRules() = default;
ReplyRules::~ReplyRules() = default;

std::shared_ptr<const ReplyRules> ReplyRules::compile(const QList<ReplyRule>& rules, QString* error, int* failedRule)
{
    // The other fields' errors say what they are about; a template's error needs to be told it is the reply's.
    return compile(
        rules, error,
        [&rules](qsizetype i, QLatin1StringView field) -> QString {
            return ruleLabel(i, rules[i].name)
                + (field == QLatin1StringView("reply") ? QStringLiteral(": reply") : QString());
        },
        failedRule);
}

std::shared_ptr<const ReplyRules> ReplyRules::compile(const QList<ReplyRule>& rules, QString* error,
    const std::function<QString(qsizetype, QLatin1StringView)>& label, int* failedRule)
{
    if (failedRule)
        *failedRule = -1;
    const auto fail = [error, failedRule](const QString& why, qsizetype rule) -> std::shared_ptr<const ReplyRules> {
        if (error)
            *error = why;
        if (failedRule)
            *failedRule = int(rule);
        return nullptr;
    };
    if (rules.size() > MaxRules) // the first rule beyond the limit is the one too many
        return fail(tr("%1 rules, at most %2 are allowed").arg(rules.size()).arg(MaxRules), MaxRules);

    auto compiled = std::make_shared<ReplyRules>();
    compiled->m_rules = rules;
    compiled->m_compiled.resize(size_t(rules.size()));
    for (qsizetype i = 0; i < rules.size(); ++i) {
        ReplyRule& rule = compiled->m_rules[i];
        Compiled& out = compiled->m_compiled[size_t(i)];
        const auto failRule = [&](QLatin1StringView field, const QString& why) {
            return fail(label(i, field) + QStringLiteral(": ") + why, i);
        };

        // Undefined cannot be written to the rules file: keep what toJson() can give back.
        if (rule.value.isUndefined()) {
            if (rule.match == RuleMatch::JsonField)
                return failRule(QLatin1StringView("value"), tr("the JSON rule has no value to compare with"));
            rule.value = QJsonValue();
        }
        if (rule.delayMs < 0 || rule.delayMs > MaxDelayMs)
            return failRule(QLatin1StringView("delayMs"), tr("the delay must be from 0 to %1 ms").arg(MaxDelayMs));

        switch (rule.match) {
        case RuleMatch::Exact:
        case RuleMatch::Substring:
            if (rule.pattern.isEmpty())
                return failRule(QLatin1StringView("pattern"), tr("the pattern is empty"));
            out.needle = rule.pattern.toUtf8();
            out.foldedNeedle = asciiLower(out.needle);
            break;
        case RuleMatch::Regex: {
            if (rule.pattern.isEmpty())
                return failRule(QLatin1StringView("pattern"), tr("the pattern is empty"));
            QRegularExpression::PatternOptions options = QRegularExpression::NoPatternOption;
            if (!rule.caseSensitive)
                options |= QRegularExpression::CaseInsensitiveOption;
            QString why;
            qsizetype offset = 0;
            // Compiled now, on the thread that loads the rules, not on the first message.
            if (!out.regex.compile(rule.pattern, options, &why, &offset))
                return failRule(QLatin1StringView("pattern"),
                    tr("invalid regular expression: %1 at offset %2").arg(why, QString::number(offset)));
            break;
        }
        case RuleMatch::JsonField:
            if (rule.path.isEmpty())
                return failRule(QLatin1StringView("path"), tr("the JSON path is empty"));
            out.path = rule.path.split(QLatin1Char('.'));
            if (out.path.contains(QString()))
                return failRule(QLatin1StringView("path"), tr("the JSON path %1 has an empty part").arg(rule.path));
            break;
        }

        QString templateError;
        std::optional<MessageTemplate> reply = MessageTemplate::compile(rule.reply, &templateError);
        if (!reply)
            return failRule(QLatin1StringView("reply"), templateError);
        out.reply = std::move(*reply);
    }
    return compiled;
}

std::shared_ptr<const ReplyRules> ReplyRules::fromJson(const QByteArray& json, QString* error)
{
    const auto fail = [error](const QString& why) -> std::shared_ptr<const ReplyRules> {
        if (error)
            *error = why;
        return nullptr;
    };

    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        const auto [line, column] = lineAndColumn(json, parseError.offset);
        return fail(
            tr("line %1, column %2: %3").arg(QString::number(line), QString::number(column), parseError.errorString()));
    }

    QJsonArray items;
    if (document.isArray()) {
        items = document.array();
    } else if (document.isObject()) {
        const QJsonObject top = document.object();
        for (auto it = top.begin(); it != top.end(); ++it) {
            if (it.key() != QLatin1String("version") && it.key() != QLatin1String("rules"))
                return fail(tr("unknown key \"%1\"").arg(it.key()));
        }
        const QJsonValue version = top.value(QLatin1String("version"));
        if (!version.isUndefined() && !(version.isDouble() && version.toDouble() == 1.0)) {
            return fail(
                tr("version: %1 is not supported, only 1 is").arg(QString::fromUtf8(jsonText(version).left(40))));
        }
        const QJsonValue rules = top.value(QLatin1String("rules"));
        if (rules.isUndefined())
            return fail(tr("rules: required"));
        if (!rules.isArray())
            return fail(tr("rules: must be an array"));
        items = rules.toArray();
    } else {
        return fail(tr("the rules must be an object or an array"));
    }
    if (items.size() > MaxRules)
        return fail(tr("%1 rules, at most %2 are allowed").arg(items.size()).arg(MaxRules));

    static const QStringList knownKeys {
        QStringLiteral("name"),
        QStringLiteral("enabled"),
        QStringLiteral("match"),
        QStringLiteral("pattern"),
        QStringLiteral("caseSensitive"),
        QStringLiteral("path"),
        QStringLiteral("value"),
        QStringLiteral("reply"),
        QStringLiteral("delayMs"),
    };

    QList<ReplyRule> rules;
    rules.reserve(items.size());
    for (qsizetype i = 0; i < items.size(); ++i) {
        const QString where = QStringLiteral("rules[") + QString::number(i) + QLatin1Char(']');
        if (!items.at(i).isObject())
            return fail(tr("%1: must be an object").arg(where));
        const QJsonObject object = items.at(i).toObject();
        for (auto it = object.begin(); it != object.end(); ++it) {
            if (!knownKeys.contains(it.key()))
                return fail(tr("%1: unknown key \"%2\"").arg(where, it.key()));
        }

        QString failure;
        const auto field = [&](const QString& key) -> QString { return where + QLatin1Char('.') + key; };
        const auto readString = [&](const QString& key, QString* out) {
            const QJsonValue value = object.value(key);
            if (value.isUndefined())
                return true;
            if (!value.isString()) {
                failure = tr("%1: must be a string").arg(field(key));
                return false;
            }
            *out = value.toString();
            return true;
        };
        const auto readBool = [&](const QString& key, bool* out) {
            const QJsonValue value = object.value(key);
            if (value.isUndefined())
                return true;
            if (!value.isBool()) {
                failure = tr("%1: must be true or false").arg(field(key));
                return false;
            }
            *out = value.toBool();
            return true;
        };
        const auto require = [&](const QString& key, const QString& matchName) {
            if (object.contains(key))
                return true;
            failure = matchName.isEmpty() ? tr("%1: required").arg(field(key))
                                          : tr("%1: required for match \"%2\"").arg(field(key), matchName);
            return false;
        };

        ReplyRule rule;
        const QString matchKey = QStringLiteral("match");
        if (!readString(QStringLiteral("name"), &rule.name) || !readBool(QStringLiteral("enabled"), &rule.enabled))
            return fail(failure);
        QString matchName;
        if (!require(matchKey, {}) || !readString(matchKey, &matchName))
            return fail(failure);
        const std::optional<RuleMatch> match = ruleMatchFromName(matchName);
        if (!match) {
            return fail(
                tr("%1: unknown match type \"%2\" (exact, substring, regex or json)").arg(field(matchKey), matchName));
        }
        rule.match = *match;

        const bool json = rule.match == RuleMatch::JsonField;
        const QString patternKey = QStringLiteral("pattern");
        const QString pathKey = QStringLiteral("path");
        const QString valueKey = QStringLiteral("value");
        const QString replyKey = QStringLiteral("reply");
        const QString delayKey = QStringLiteral("delayMs");
        if ((!json && !require(patternKey, matchName)) || !readString(patternKey, &rule.pattern)
            || !readBool(QStringLiteral("caseSensitive"), &rule.caseSensitive) || (json && !require(pathKey, matchName))
            || !readString(pathKey, &rule.path) || (json && !require(valueKey, matchName)))
            return fail(failure);
        if (object.contains(valueKey))
            rule.value = object.value(valueKey);
        if (!require(replyKey, {}) || !readString(replyKey, &rule.reply))
            return fail(failure);

        const QJsonValue delay = object.value(delayKey);
        if (!delay.isUndefined()) {
            const double ms = delay.toDouble(-1);
            if (!delay.isDouble() || ms < 0 || ms > MaxDelayMs || ms != double(qint64(ms)))
                return fail(tr("%1: must be an integer from 0 to %2").arg(field(delayKey)).arg(MaxDelayMs));
            rule.delayMs = int(ms);
        }
        rules.append(std::move(rule));
    }
    // What only compiling finds (a bad regular expression or template) is named like the other field errors.
    return compile(
        rules, error,
        [](qsizetype i, QLatin1StringView field) -> QString {
            return QStringLiteral("rules[%1].%2").arg(i).arg(field);
        },
        nullptr);
}

std::shared_ptr<const ReplyRules> ReplyRules::fromFile(const QString& path, QString* error)
{
    const auto fail = [&](const QString& why) -> std::shared_ptr<const ReplyRules> {
        if (error)
            *error = tr("cannot read %1: %2").arg(QDir::toNativeSeparators(path), why);
        return nullptr;
    };
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return fail(file.errorString());
    // One byte more than allowed tells a file that is too large from one that fits, whatever size() says
    // (a pipe or a special file has none).
    const QByteArray data = file.read(MaxFileBytes + 1);
    if (file.error() != QFileDevice::NoError)
        return fail(file.errorString());
    if (data.size() > MaxFileBytes)
        return fail(tr("larger than %1 MiB").arg(MaxFileBytes >> 20));
    return fromJson(data, error);
}

QByteArray ReplyRules::toJson() const
{
    // Written by hand rather than through QJsonObject, which would sort the keys: a rule reads best in the
    // order the format describes it (name, how it matches, what it answers).
    QByteArray out = "{\n    \"version\": 1,\n    \"rules\": [";
    for (qsizetype i = 0; i < m_rules.size(); ++i) {
        const ReplyRule& rule = m_rules.at(i);
        const bool json = rule.match == RuleMatch::JsonField;
        QByteArrayList fields;
        const auto add = [&fields](const char* key, const QByteArray& value) {
            fields.append(QByteArray("            \"") + key + "\": " + value);
        };
        if (!rule.name.isEmpty())
            add("name", jsonText(rule.name));
        if (!rule.enabled)
            add("enabled", "false");
        add("match", jsonText(ruleMatchName(rule.match)));
        if (!json || !rule.pattern.isEmpty())
            add("pattern", jsonText(rule.pattern));
        if (!rule.caseSensitive)
            add("caseSensitive", "false");
        if (json || !rule.path.isEmpty())
            add("path", jsonText(rule.path));
        if (json || !rule.value.isNull())
            add("value", jsonText(rule.value));
        add("reply", jsonText(rule.reply));
        if (rule.delayMs != 0)
            add("delayMs", QByteArray::number(rule.delayMs));
        out += i ? ",\n        {\n" : "\n        {\n";
        out += fields.join(",\n");
        out += "\n        }";
    }
    out += m_rules.isEmpty() ? "]\n}\n" : "\n    ]\n}\n";
    return out;
}

std::optional<ReplyRules::Reply> ReplyRules::answer(
    bool text, const QByteArray& payload, TemplateGenerators& generators) const
{
    // Each is worked out once per message, by the first rule that needs it.
    std::optional<QString> decoded;
    std::optional<QByteArray> folded;
    std::optional<QJsonDocument> json;
    const auto decode = [&]() -> const QString& {
        if (!decoded)
            decoded = QString::fromUtf8(payload);
        return *decoded;
    };
    const auto fold = [&]() -> const QByteArray& {
        if (!folded)
            folded = asciiLower(payload);
        return *folded;
    };

    for (qsizetype i = 0; i < m_rules.size(); ++i) {
        const ReplyRule& rule = m_rules.at(i);
        if (!rule.enabled)
            continue;
        const Compiled& compiled = m_compiled[size_t(i)];
        TemplateInput input;
        bool matched = false;
        switch (rule.match) {
        case RuleMatch::Exact:
            if (rule.caseSensitive)
                matched = payload == compiled.needle;
            else if (!text)
                matched = payload.size() == compiled.foldedNeedle.size() && fold() == compiled.foldedNeedle;
            else // a character is at most four bytes: a longer message cannot be equal, and is not decoded
                matched = payload.size() <= 4 * rule.pattern.size()
                    && QString::compare(decode(), rule.pattern, Qt::CaseInsensitive) == 0;
            break;
        case RuleMatch::Substring:
            if (rule.caseSensitive)
                matched = payload.contains(compiled.needle);
            else if (!text)
                matched = fold().contains(compiled.foldedNeedle);
            else
                matched = decode().contains(rule.pattern, Qt::CaseInsensitive);
            break;
        case RuleMatch::Regex: {
            if (!text)
                break;
            const QString& subject = decode();
            // The longer the text, the more steps an ordinary pattern needs: the limit that fits its length.
            // A failed match (the limit reached) has no match: the rule does not answer.
            const QRegularExpressionMatch match = compiled.regex.forLength(subject.size()).match(subject);
            if (match.hasMatch()) {
                matched = true;
                input.groups = match.capturedTexts();
            }
            break;
        }
        case RuleMatch::JsonField:
            if (!text)
                break;
            if (!json)
                json = MessageTemplate::parseJson(payload);
            if (const QJsonValue value = MessageTemplate::jsonValueAt(*json, compiled.path); !value.isUndefined())
                matched = value == rule.value;
            break;
        }
        if (!matched)
            continue;
        input.message = payload;
        input.json = json;
        return Reply { int(i), compiled.reply.render(input, generators), rule.delayMs };
    }
    return std::nullopt;
}

} // namespace wsi
