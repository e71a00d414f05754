#pragma once

#include "messagetemplate.h"

#include <QCoreApplication>
#include <QJsonValue>
#include <QList>
#include <QString>

#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace wsi {

// How an auto-reply rule recognises the message it answers.
enum class RuleMatch : quint8 {
    Exact, // the whole message equals pattern
    Substring, // the message contains pattern
    Regex, // pattern (PCRE) matches somewhere in the message; its groups feed {{0}}, {{1}}, ...
    JsonField, // the message is JSON and the field at path (a.b.0.c) equals value
};

// One auto-reply rule as the user wrote it (the rules file, the server pane's editor).
struct ReplyRule
{
    QString name; // optional, for the user
    bool enabled = true;
    RuleMatch match = RuleMatch::Exact;
    QString pattern; // Exact, Substring, Regex
    bool caseSensitive = true; // Exact, Substring, Regex
    QString path; // JsonField: dotted path, numeric parts index arrays
    QJsonValue value; // JsonField: compared as JSON (1 equals 1.0, "1" does not equal 1)
    QString reply; // a MessageTemplate
    int delayMs = 0; // 0 to 3,600,000

    bool operator==(const ReplyRule&) const = default;
};

QString ruleMatchName(RuleMatch m); // "exact", "substring", "regex", "json"
std::optional<RuleMatch> ruleMatchFromName(QStringView name);

/*
 * An ordered list of auto-reply rules, checked and compiled (regexes, templates) once. The first enabled rule
 * that matches a message answers it; none: the server falls back to its base behaviour. Immutable, so one
 * instance is shared between the GUI and the capture thread (std::shared_ptr<const ReplyRules>).
 *
 * The rules file (UTF-8 JSON):
 *   {"version": 1, "rules": [
 *     {"name": "greet", "match": "exact", "pattern": "hello", "reply": "hi #{{counter}}"},
 *     {"match": "substring", "pattern": "ping", "caseSensitive": false, "reply": "pong", "delayMs": 500},
 *     {"match": "regex", "pattern": "^add (\\d+) (\\d+)$", "reply": "got {{1}} and {{2}}"},
 *     {"match": "json", "path": "type", "value": "subscribe", "reply": "{\"ok\":true,\"id\":{{json.id}}}"},
 *     {"match": "exact", "pattern": "off", "enabled": false, "reply": "..."}
 *   ]}
 * A bare array of rules is accepted too. Unknown keys are errors (a typo must not silently disable a rule).
 *
 * answer() runs on the capture thread, so a regular expression gets a bounded amount of work per message, as
 * the timeline filter's does (PCRE2's match limit, scaled to the text's length): a pattern that backtracks
 * catastrophically gives up, and a rule that gives up does not match.
 */
class ReplyRules
{
    Q_DECLARE_TR_FUNCTIONS(wsi::ReplyRules)

public:
    static constexpr qsizetype MaxRules = 1000;
    static constexpr int MaxDelayMs = 3600000;
    static constexpr qint64 MaxFileBytes = qint64(4) << 20;

    struct Reply
    {
        int rule = -1; // index into rules()
        QByteArray payload; // the rendered template, sent as a text message
        int delayMs = 0;
    };

    ReplyRules();
    ~ReplyRules();

    // Checks and compiles; on the first bad rule returns null and a reason naming it:
    // "rule 3 (greet): invalid regular expression: missing closing parenthesis at offset 7".
    // failedRule, when given, gets that rule's index (MaxRules when there are too many rules), -1 on success:
    // an editor marks the row at fault without compiling again.
    static std::shared_ptr<const ReplyRules> compile(
        const QList<ReplyRule>& rules, QString* error, int* failedRule = nullptr);
    // Reads the rules file format; errors name the line and column of a JSON syntax error
    // ("line 4, column 12: missing comma"; columns count characters) or the field at fault
    // ("rules[2].delayMs: must be an integer from 0 to 3600000"); then the errors of compile().
    static std::shared_ptr<const ReplyRules> fromJson(const QByteArray& json, QString* error);
    // As fromJson(); also "cannot read FILE: reason", and files larger than MaxFileBytes are refused.
    static std::shared_ptr<const ReplyRules> fromFile(const QString& path, QString* error);
    // The rules file format, indented; fromJson(toJson()) gives the same rules.
    QByteArray toJson() const;

    const QList<ReplyRule>& rules() const { return m_rules; }
    bool isEmpty() const { return m_rules.isEmpty(); }

    // The answer of the first enabled rule that matches, or nullopt. Binary messages are matched by
    // Exact and Substring on their bytes only.
    std::optional<Reply> answer(bool text, const QByteArray& payload, TemplateGenerators& generators) const;

private:
    struct Compiled;
    // label(rule index, field) names the rule at fault in an error.
    static std::shared_ptr<const ReplyRules> compile(const QList<ReplyRule>& rules, QString* error,
        const std::function<QString(qsizetype, QLatin1StringView)>& label, int* failedRule);
    QList<ReplyRule> m_rules;
    std::vector<Compiled> m_compiled;
};

} // namespace wsi
