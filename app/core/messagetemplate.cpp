#include "messagetemplate.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QStringDecoder>
#include <QUuid>

#include <algorithm>

namespace wsi {

struct MessageTemplate::Part
{
    enum class Kind : quint8 {
        Literal,
        Message,
        Json,
        Group,
        Counter,
        Timestamp,
        IsoTime,
        Uuid,
        Random,
    };
    enum class Filter : quint8 {
        None,
        Json, // | json: the value as a JSON literal
    };
    Kind kind = Kind::Literal;
    Filter filter = Filter::None;
    QByteArray literal; // Literal, UTF-8
    QStringList path; // Json
    qint64 low = 0; // Random; the group number for Group
    qint64 high = 0; // Random
};

namespace {

bool isDigits(QStringView s)
{
    if (s.isEmpty())
        return false;
    for (QChar c : s) {
        if (c < QLatin1Char('0') || c > QLatin1Char('9'))
            return false;
    }
    return true;
}

// A scalar has no QJsonDocument of its own: Qt's writer formats it inside an array, which is then unwrapped.
QByteArray compactJson(const QJsonValue& value)
{
    switch (value.type()) {
    case QJsonValue::Undefined:
        return {};
    case QJsonValue::String:
        return value.toString().toUtf8();
    case QJsonValue::Object:
        return QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    case QJsonValue::Array:
        return QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
    default: {
        const QByteArray wrapped = QJsonDocument(QJsonArray { value }).toJson(QJsonDocument::Compact);
        return wrapped.mid(1, wrapped.size() - 2);
    }
    }
}

// Qt's encoder writes a lone surrogate (a JSON string may hold one, as "\ud800") as '?': U+FFFD says what
// happened, as it does for bad UTF-8 in the message.
QByteArray wellFormedUtf8(QStringView text)
{
    if (text.isValidUtf16())
        return text.toUtf8();
    QString fixed = text.toString();
    for (qsizetype i = 0; i < fixed.size(); ++i) {
        if (fixed.at(i).isHighSurrogate() && i + 1 < fixed.size() && fixed.at(i + 1).isLowSurrogate())
            ++i;
        else if (fixed.at(i).isSurrogate())
            fixed[i] = QChar::ReplacementCharacter;
    }
    return fixed.toUtf8();
}

// A JSON string holds text, not bytes: each byte of a bad UTF-8 sequence becomes U+FFFD. A leading BOM is part of
// the message, which QString::fromUtf8() would drop.
QString decodedMessage(const QByteArray& message)
{
    QStringDecoder decoder(
        QStringDecoder::Utf8, QStringDecoder::Flag::Stateless | QStringDecoder::Flag::ConvertInitialBom);
    return decoder.decode(message);
}

// A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped, the rest as UTF-8.
QByteArray jsonString(QStringView text)
{
    static constexpr char hex[] = "0123456789abcdef";
    const QByteArray utf8 = wellFormedUtf8(text);
    QByteArray out;
    out.reserve(utf8.size() + 2);
    out += '"';
    for (const char c : utf8) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (uchar(c) < 0x20) {
                out += "\\u00";
                out += hex[uchar(c) >> 4];
                out += hex[uchar(c) & 0xf];
            } else {
                out += c;
            }
        }
    }
    out += '"';
    return out;
}

// The value as a JSON literal: a missing one is null, a string is quoted.
QByteArray jsonLiteral(const QJsonValue& value)
{
    if (value.isUndefined())
        return QByteArrayLiteral("null");
    if (value.isString())
        return jsonString(value.toString());
    return compactJson(value);
}

// Random integers from low to high inclusive over the whole 64-bit range. bounded() excludes its upper end, and
// cannot take one above 2^63 (Qt 6.4 shifts by 64 bits then and always gives 0): wide ranges draw 64 bits
// until one fits, which takes two draws at worst on average.
qint64 randomBetween(qint64 low, qint64 high)
{
    const quint64 span = quint64(high) - quint64(low);
    QRandomGenerator* generator = QRandomGenerator::global();
    quint64 offset;
    if (span >= quint64(1) << 63) {
        do
            offset = generator->generate64();
        while (offset > span);
    } else {
        offset = generator->bounded(span + 1);
    }
    return qint64(quint64(low) + offset);
}

} // namespace

MessageTemplate::MessageTemplate() = default;
MessageTemplate::~MessageTemplate() = default;
MessageTemplate::MessageTemplate(const MessageTemplate&) = default;
MessageTemplate& MessageTemplate::operator=(const MessageTemplate&) = default;
MessageTemplate::MessageTemplate(MessageTemplate&&) noexcept = default;
MessageTemplate& MessageTemplate::operator=(MessageTemplate&&) noexcept = default;

QString MessageTemplate::escape(QStringView text)
{
    const QLatin1String open("{{");
    QString escaped;
    escaped.reserve(text.size() + 16);
    qsizetype i = 0;
    while (i < text.size()) {
        qsizetype run = 0;
        while (i + run < text.size() && text.at(i + run) == QLatin1Char('\\'))
            ++run;
        if (text.sliced(i + run).startsWith(open)) {
            // compile() halves a run of backslashes before {{ and keeps the {{ literal when the run is odd.
            escaped += QString(2 * run + 1, QLatin1Char('\\')) + open;
            i += run + 2;
        } else if (run > 0) {
            escaped += text.sliced(i, run);
            i += run;
        } else {
            escaped += text.at(i);
            ++i;
        }
    }
    return escaped;
}

std::optional<MessageTemplate> MessageTemplate::compile(const QString& text, QString* error)
{
    auto parts = std::make_shared<std::vector<Part>>();
    QString literal;
    const auto flushLiteral = [&] {
        if (literal.isEmpty())
            return;
        Part part;
        part.literal = literal.toUtf8();
        parts->push_back(std::move(part));
        literal.clear();
    };
    const auto fail = [&](const QString& reason) {
        if (error)
            *error = reason;
        return std::nullopt;
    };
    const QLatin1String open("{{");
    const QLatin1String close("}}");

    qsizetype i = 0;
    while (i < text.size()) {
        const QChar c = text.at(i);
        if (c == QLatin1Char('\\')) {
            qsizetype run = 0;
            while (i + run < text.size() && text.at(i + run) == QLatin1Char('\\'))
                ++run;
            if (QStringView(text).sliced(i + run).startsWith(open)) {
                literal += QString(run / 2, QLatin1Char('\\'));
                if (run % 2) {
                    literal += open;
                    i += run + 2;
                } else {
                    i += run; // the placeholder follows
                }
            } else {
                literal += QString(run, QLatin1Char('\\'));
                i += run;
            }
            continue;
        }
        if (!QStringView(text).sliced(i).startsWith(open)) {
            literal += c;
            ++i;
            continue;
        }

        const qsizetype start = i;
        const qsizetype end = text.indexOf(close, start + 2);
        if (end < 0)
            return fail(tr("unterminated {{ at offset %1").arg(start));
        const QString written = text.sliced(start, end + 2 - start);
        QString inside = text.sliced(start + 2, end - start - 2).trimmed();
        i = end + 2;

        // Long garbage between the braces is named by its start.
        const QString shown = written.size() > 60 ? QString(written.left(57) + QChar(0x2026)) : written;
        const auto failHere = [&](const QString& why) {
            return fail(tr("%1 at offset %2: %3").arg(shown, QString::number(start), why));
        };

        // {{name | filter}}: the filter is checked once the name is known good, so errors read left to right.
        std::optional<QString> filter;
        if (const qsizetype bar = inside.indexOf(QLatin1Char('|')); bar >= 0) {
            filter = inside.sliced(bar + 1).trimmed();
            inside = inside.left(bar).trimmed();
        }

        Part part;
        if (inside == QLatin1String("message")) {
            part.kind = Part::Kind::Message;
        } else if (inside == QLatin1String("counter")) {
            part.kind = Part::Kind::Counter;
        } else if (inside == QLatin1String("timestamp")) {
            part.kind = Part::Kind::Timestamp;
        } else if (inside == QLatin1String("isotime")) {
            part.kind = Part::Kind::IsoTime;
        } else if (inside == QLatin1String("uuid")) {
            part.kind = Part::Kind::Uuid;
        } else if (isDigits(inside)) {
            bool ok = false;
            part.low = inside.toInt(&ok);
            if (!ok)
                return failHere(tr("no such capture group"));
            part.kind = Part::Kind::Group;
        } else if (inside.startsWith(QLatin1String("json."))) {
            part.path = inside.sliced(5).split(QLatin1Char('.'));
            for (const QString& key : std::as_const(part.path)) {
                if (key.isEmpty())
                    return failHere(tr("empty part in the JSON path"));
                if (std::any_of(key.begin(), key.end(), [](QChar k) { return k.isSpace(); }))
                    return fail(tr("unknown placeholder %1 at offset %2").arg(shown, QString::number(start)));
            }
            part.kind = Part::Kind::Json;
        } else if (inside.startsWith(QLatin1String("random")) && inside.size() > 6 && inside.at(6).isSpace()) {
            const QStringList words = inside.simplified().split(QLatin1Char(' '));
            if (words.size() != 3)
                return failHere(tr("needs two integers, {{random A B}}"));
            bool ok = false;
            part.low = words.at(1).toLongLong(&ok);
            if (!ok)
                return failHere(tr("%1 is not a 64-bit integer").arg(words.at(1)));
            part.high = words.at(2).toLongLong(&ok);
            if (!ok)
                return failHere(tr("%1 is not a 64-bit integer").arg(words.at(2)));
            if (part.low > part.high)
                return failHere(tr("the lower bound is above the upper"));
            part.kind = Part::Kind::Random;
        } else {
            return fail(tr("unknown placeholder %1 at offset %2").arg(shown, QString::number(start)));
        }
        if (filter) {
            if (filter->isEmpty())
                return failHere(tr("no filter after |"));
            if (*filter != QLatin1String("json"))
                return failHere(tr("unknown filter %1 (the only filter is json)").arg(*filter));
            part.filter = Part::Filter::Json;
        }
        flushLiteral();
        parts->push_back(std::move(part));
    }
    flushLiteral();

    MessageTemplate compiled;
    compiled.m_text = text;
    compiled.m_parts = std::move(parts);
    return compiled;
}

QByteArray MessageTemplate::render(const TemplateInput& input, TemplateGenerators& generators) const
{
    QByteArray out;
    if (!m_parts)
        return out;
    std::optional<QJsonDocument> json = input.json;
    for (const Part& part : *m_parts) {
        const bool asJson = part.filter == Part::Filter::Json;
        switch (part.kind) {
        case Part::Kind::Literal:
            out += part.literal;
            break;
        case Part::Kind::Message:
            out += asJson ? jsonString(decodedMessage(input.message)) : input.message;
            break;
        case Part::Kind::Json: {
            if (!json)
                json = parseJson(input.message);
            const QJsonValue value = jsonValueAt(*json, part.path);
            out += asJson ? jsonLiteral(value) : compactJson(value);
            break;
        }
        case Part::Kind::Group:
            if (part.low < input.groups.size())
                out += asJson ? jsonString(input.groups.at(part.low)) : input.groups.at(part.low).toUtf8();
            else if (asJson)
                out += "null";
            break;
        case Part::Kind::Counter:
            out += QByteArray::number(generators.nextCounter());
            break;
        case Part::Kind::Timestamp:
            out += QByteArray::number(QDateTime::currentMSecsSinceEpoch());
            break;
        case Part::Kind::IsoTime:
            // Neither the time nor the UUID has anything a JSON string would escape.
            if (asJson)
                out += '"';
            out += QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toLatin1();
            if (asJson)
                out += '"';
            break;
        case Part::Kind::Uuid:
            if (asJson)
                out += '"';
            out += QUuid::createUuid().toByteArray(QUuid::WithoutBraces);
            if (asJson)
                out += '"';
            break;
        case Part::Kind::Random:
            out += QByteArray::number(randomBetween(part.low, part.high));
            break;
        }
    }
    return out;
}

QString MessageTemplate::text() const
{
    return m_text;
}

bool MessageTemplate::usesMessage() const
{
    if (!m_parts)
        return false;
    return std::any_of(m_parts->begin(), m_parts->end(), [](const Part& part) {
        return part.kind == Part::Kind::Message || part.kind == Part::Kind::Json || part.kind == Part::Kind::Group;
    });
}

QJsonDocument MessageTemplate::parseJson(const QByteArray& message)
{
    if (message.isEmpty() || message.size() > MaxJsonBytes)
        return {};
    QJsonParseError error;
    QJsonDocument document = QJsonDocument::fromJson(message, &error);
    if (error.error != QJsonParseError::NoError || !(document.isObject() || document.isArray()))
        return {};
    return document;
}

QJsonValue MessageTemplate::jsonValueAt(const QJsonDocument& document, const QStringList& path)
{
    QJsonValue value;
    if (document.isObject())
        value = document.object();
    else if (document.isArray())
        value = document.array();
    else
        return QJsonValue(QJsonValue::Undefined);
    for (const QString& key : path) {
        if (value.isObject()) {
            value = value.toObject().value(key);
        } else if (value.isArray() && isDigits(key)) {
            bool ok = false;
            const qsizetype index = key.toLongLong(&ok);
            const QJsonArray array = value.toArray();
            if (!ok || index >= array.size())
                return QJsonValue(QJsonValue::Undefined);
            value = array.at(index);
        } else {
            return QJsonValue(QJsonValue::Undefined);
        }
        if (value.isUndefined())
            return value;
    }
    return value;
}

} // namespace wsi
