#pragma once

#include <QByteArray>
#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonValue>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>
#include <vector>

namespace wsi {

/*
 * The state the generators of message templates share: the counter. One instance per user of templates
 * (the test server, the composer), used from one thread.
 */
class TemplateGenerators
{
public:
    // 1, 2, 3, ... : the value of the next {{counter}}.
    quint64 nextCounter() { return ++m_counter; }
    void resetCounter() { m_counter = 0; }

private:
    quint64 m_counter = 0;
};

// What a template may refer to: the message it answers (empty when there is none, as in the composer).
struct TemplateInput
{
    QByteArray message; // {{message}}; parsed as JSON on the first {{json.…}}
    QStringList groups; // {{0}} the whole regex match, {{1}}, {{2}}, ... its capture groups
    // The message as MessageTemplate::parseJson() gives it, when the caller has parsed it already (a JSON
    // rule did): then rendering does not parse it again.
    std::optional<QJsonDocument> json;
};

/*
 * A message template: text with placeholders, compiled once and rendered many times. Placeholders:
 *   {{message}}           the incoming message as it is
 *   {{json.a.b}}          a field of the incoming message parsed as JSON; numeric parts index arrays
 *                         (json.items.0.name); a string gives its text without quotes, any other value its
 *                         compact JSON; a missing field or a message that is not JSON gives nothing
 *   {{0}} {{1}} ...       the regex match and its capture groups (nothing when absent)
 *   {{counter}}           1, 2, 3, ... (TemplateGenerators)
 *   {{timestamp}}         milliseconds since the epoch
 *   {{isotime}}           the current UTC time, ISO 8601 with milliseconds
 *   {{uuid}}              a random UUID (version 4, no braces)
 *   {{random A B}}        a random integer from A to B inclusive (A <= B, 64-bit)
 * The json filter, {{json.a.b | json}} (spaces optional), writes the value as a JSON literal, so that templates of
 * JSON replies give valid JSON whatever the message holds: a string quoted and escaped (RFC 8259), any other value
 * as compact JSON, and null for a missing field or a message that is not JSON. {{message | json}} is the message
 * as a JSON string (each byte of a bad UTF-8 sequence becomes U+FFFD), {{1 | json}} a group as one (null when
 * absent), {{uuid | json}} and {{isotime | json}} are quoted, and the numbers of {{counter}}, {{timestamp}} and
 * {{random A B}} stay as they are. A | always starts a filter, so a JSON path cannot name a key that holds one.
 * Spaces inside the braces are allowed ({{ counter }}). A backslash keeps braces literal: \{{ gives {{, and
 * \\{{counter}} a backslash then the counter (a run of backslashes before {{ is halved; an odd one makes the
 * {{ literal). Backslashes anywhere else are ordinary text. Anything else between {{ and }}, an unknown filter and
 * a {{ without its }} are compile errors that name it and its offset. The message is parsed as JSON at most once a
 * render, only when the template has a {{json.…}}, and never when it is larger than MaxJsonBytes.
 */
class MessageTemplate
{
    Q_DECLARE_TR_FUNCTIONS(wsi::MessageTemplate)

public:
    static constexpr qsizetype MaxJsonBytes = qsizetype(16) << 20;

    MessageTemplate();
    ~MessageTemplate();
    MessageTemplate(const MessageTemplate&);
    MessageTemplate& operator=(const MessageTemplate&);
    MessageTemplate(MessageTemplate&&) noexcept;
    MessageTemplate& operator=(MessageTemplate&&) noexcept;

    // Compiles text; on a bad placeholder returns nullopt and a reason, e.g.
    // "unknown placeholder {{foo}} at offset 12" or "{{random 5 1}} at offset 0: the lower bound is above the upper".
    // An unknown filter: "{{message | upper}} at offset 3: unknown filter upper (the only filter is json)".
    static std::optional<MessageTemplate> compile(const QString& text, QString* error);

    // The rendered message, UTF-8.
    QByteArray render(const TemplateInput& input, TemplateGenerators& generators) const;

    // The template that renders as text itself: each {{ gets the backslashes that make it literal (and a run of
    // backslashes before it is doubled), so that a recorded message can be sent again as it was.
    static QString escape(QStringView text);

    QString text() const;
    // True when rendering needs the message ({{message}}, {{json.…}} or a group).
    bool usesMessage() const;

    // The message as {{json.…}} sees it: a null document when it is larger than MaxJsonBytes or not a JSON
    // object or array.
    static QJsonDocument parseJson(const QByteArray& message);
    // The value at path (the parts of "items.0.name"; numeric parts index arrays, and are keys in objects);
    // undefined when there is none.
    static QJsonValue jsonValueAt(const QJsonDocument& document, const QStringList& path);

private:
    struct Part;
    QString m_text;
    std::shared_ptr<const std::vector<Part>> m_parts; // immutable after compile, so copies share it
};

} // namespace wsi
