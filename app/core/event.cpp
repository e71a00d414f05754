#include "event.h"

#include "../wire/frame.h"

#include <QCoreApplication>
#include <QDateTime>

#include <algorithm>
#include <array>
#include <chrono>

namespace wsi {

namespace {
constexpr std::array<const char*, 3> directionNames { "none", "c2s", "s2c" };
constexpr std::array<const char*, EventKindCount> kindNames { "open", "handshake-request", "handshake-response", "text",
    "binary", "ping", "pong", "close", "closed", "error", "note" };
} // namespace

qint64 nowUs()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

qint64 monotonicNowNs()
{
    using namespace std::chrono;
    return duration_cast<nanoseconds>(steady_clock::now().time_since_epoch()).count();
}

Event makeEvent(quint32 connection, Direction direction, EventKind kind, QByteArray payload)
{
    Event e;
    e.timestampUs = nowUs();
    e.monotonicNs = monotonicNowNs();
    e.connection = connection;
    e.direction = direction;
    e.kind = kind;
    e.size = payload.size();
    e.payload = std::move(payload);
    return e;
}

QString directionName(Direction d)
{
    return QString::fromLatin1(directionNames[size_t(d)]);
}

QString kindName(EventKind k)
{
    return QString::fromLatin1(kindNames[size_t(k)]);
}

std::optional<Direction> directionFromName(QStringView name)
{
    for (size_t i = 0; i < directionNames.size(); ++i) {
        if (name == QLatin1StringView(directionNames[i]))
            return Direction(i);
    }
    return std::nullopt;
}

std::optional<EventKind> kindFromName(QStringView name)
{
    for (size_t i = 0; i < kindNames.size(); ++i) {
        if (name == QLatin1StringView(kindNames[i]))
            return EventKind(i);
    }
    return std::nullopt;
}

namespace {
// Appends text with control characters made visible, stopping at maxChars; returns false when cut. A cut
// never splits an escape (a lone backslash before the ellipsis would read as an escaped ellipsis) or a
// surrogate pair.
bool appendEscaped(QString& out, QStringView text, int maxChars)
{
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char16_t u = text[i].unicode();
        const bool named = u == u'\n' || u == u'\r' || u == u'\t';
        const bool hex = !named && (u < 0x20 || u == 0x7f);
        const bool pair
            = QChar::isHighSurrogate(u) && i + 1 < text.size() && QChar::isLowSurrogate(text[i + 1].unicode());
        const qsizetype width = named || pair ? 2 : hex ? 4 : 1;
        if (out.size() + width > maxChars)
            return false;
        if (u == u'\n')
            out += QLatin1StringView("\\n");
        else if (u == u'\r')
            out += QLatin1StringView("\\r");
        else if (u == u'\t')
            out += QLatin1StringView("\\t");
        else if (hex)
            out += QStringLiteral("\\x%1").arg(int(u), 2, 16, QLatin1Char('0'));
        else if (pair)
            out += text.sliced(i++, 2);
        else
            out += text[i];
    }
    return true;
}

QString hexPreview(QByteArrayView payload, int maxChars)
{
    const qsizetype bytes = std::min<qsizetype>(payload.size(), std::max(1, maxChars / 3));
    QString out = QString::fromLatin1(payload.first(bytes).toByteArray().toHex(' '));
    if (bytes < payload.size())
        out += QChar(0x2026);
    return out;
}
} // namespace

QString eventPreview(EventKind kind, quint16 closeCode, QByteArrayView payload, int maxChars)
{
    QString out;
    switch (kind) {
    case EventKind::Binary:
        return hexPreview(payload, maxChars);
    case EventKind::Ping:
    case EventKind::Pong:
        // Control payloads are short and usually text; show them as text (below, cut like text) when they are.
        if (payload.isEmpty() || QString::fromUtf8(payload).contains(QChar::ReplacementCharacter))
            return hexPreview(payload, maxChars);
        break;
    case EventKind::HandshakeRequest:
    case EventKind::HandshakeResponse: {
        const qsizetype eol = payload.indexOf('\r');
        const QString line = QString::fromLatin1(eol < 0 ? payload : payload.first(eol));
        return line.size() <= maxChars ? line : line.left(maxChars - 1) + QChar(0x2026);
    }
    case EventKind::Close:
        out = closeCode ? QString::number(closeCode) : QStringLiteral("(no code)");
        if (const QString meaning = closeCodeText(closeCode); !meaning.isEmpty())
            out += QLatin1Char(' ') + meaning;
        if (!payload.isEmpty())
            out += QLatin1StringView(": ");
        break;
    case EventKind::Closed:
        // "connection closed (1006 abnormal closure)": the code says how it ended.
        if (closeCode != 0) {
            QString suffix = QStringLiteral(" (") + QString::number(closeCode);
            if (const QString meaning = closeCodeText(closeCode); !meaning.isEmpty())
                suffix += QLatin1Char(' ') + meaning;
            suffix += QLatin1Char(')');
            appendEscaped(
                out, QString::fromUtf8(payload.first(std::min<qsizetype>(payload.size(), maxChars))), maxChars);
            return out + suffix;
        }
        break;
    default:
        break;
    }
    // Decode only what can be shown: a 1 MiB message costs no more than its first few hundred bytes.
    const QByteArrayView head = payload.first(std::min<qsizetype>(payload.size(), qsizetype(maxChars) * 4 + 4));
    if (!appendEscaped(out, QString::fromUtf8(head), maxChars) || head.size() < payload.size()) {
        out.truncate(maxChars);
        out += QChar(0x2026);
    }
    return out;
}

QString closeCodeText(quint16 code)
{
    switch (code) {
    case 1000:
        return QStringLiteral("normal closure");
    case 1001:
        return QStringLiteral("going away");
    case 1002:
        return QStringLiteral("protocol error");
    case 1003:
        return QStringLiteral("unsupported data");
    case 1005:
        return QStringLiteral("no status received");
    case 1006:
        return QStringLiteral("abnormal closure");
    case 1007:
        return QStringLiteral("invalid payload data");
    case 1008:
        return QStringLiteral("policy violation");
    case 1009:
        return QStringLiteral("message too big");
    case 1010:
        return QStringLiteral("mandatory extension");
    case 1011:
        return QStringLiteral("internal error");
    case 1012:
        return QStringLiteral("service restart");
    case 1013:
        return QStringLiteral("try again later");
    case 1015:
        return QStringLiteral("TLS handshake failure");
    default:
        return {};
    }
}

QString closeRequestProblem(int code, const QString& reason)
{
    const char* const context = "wsi::CloseRequest";
    if (code < 1000 || code > 4999) {
        return QCoreApplication::translate(context, "%1 is not a close code; they go from 1000 to 4999.").arg(code);
    }
    if (!isValidCloseCode(quint16(code))) {
        // 1005, 1006 and 1015 only report what happened; the others below 3000 are reserved for the protocol.
        return QCoreApplication::translate(
            context, "%1 is not a code an endpoint may send; use 1000-1003, 1007-1014 or 3000-4999.")
            .arg(code);
    }
    if (const qsizetype bytes = reason.toUtf8().size(); bytes > MaxCloseReasonBytes) {
        return QCoreApplication::translate(
            context, "The reason is %1 bytes long in UTF-8; a close frame has room for %2.")
            .arg(bytes)
            .arg(MaxCloseReasonBytes);
    }
    return {};
}

} // namespace wsi
