#include "httphead.h"

#include <QLatin1StringView>

#include <algorithm>

namespace wsi {

namespace {
bool isTokenChar(char c)
{
    if (c >= 'a' && c <= 'z')
        return true;
    if (c >= 'A' && c <= 'Z')
        return true;
    if (c >= '0' && c <= '9')
        return true;
    return QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

QByteArrayView trimmed(QByteArrayView s)
{
    while (!s.isEmpty() && (s.front() == ' ' || s.front() == '\t'))
        s = s.sliced(1);
    while (!s.isEmpty() && (s.back() == ' ' || s.back() == '\t'))
        s.chop(1);
    return s;
}

HttpHead::ParseResult invalid(const char* why)
{
    return { HttpHead::ParseStatus::Invalid, 0, QByteArray(why) };
}
} // namespace

QByteArray HttpHead::header(QByteArrayView name) const
{
    for (const auto& h : headers) {
        if (name.compare(h.first, Qt::CaseInsensitive) == 0)
            return h.second;
    }
    return {};
}

bool HttpHead::hasHeader(QByteArrayView name) const
{
    for (const auto& h : headers) {
        if (name.compare(h.first, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

bool HttpHead::headerContainsToken(QByteArrayView name, QByteArrayView token) const
{
    for (const auto& h : headers) {
        if (name.compare(h.first, Qt::CaseInsensitive) != 0)
            continue;
        for (const QByteArray& part : h.second.split(',')) {
            if (trimmed(part).compare(token, Qt::CaseInsensitive) == 0)
                return true;
        }
    }
    return false;
}

QByteArray HttpHead::toBytes() const
{
    QByteArray out;
    if (isRequest())
        out += method + ' ' + target + ' ' + version + "\r\n";
    else
        out += version + ' ' + QByteArray::number(status) + ' ' + reason + "\r\n";
    for (const auto& h : headers)
        out += h.first + ": " + h.second + "\r\n";
    out += "\r\n";
    return out;
}

HttpHead::ParseResult HttpHead::parse(QByteArrayView data, HttpHead& out, const Limits& limits)
{
    // Find the end of the head (an empty line) without looking beyond the limit.
    const QByteArrayView window = data.first(std::min(data.size(), limits.maxHeadBytes));
    qsizetype lineStart = 0;
    QList<QByteArrayView> lines;
    qsizetype consumed = -1;
    while (true) {
        const qsizetype nl = window.indexOf('\n', lineStart);
        if (nl < 0)
            break;
        QByteArrayView line = window.sliced(lineStart, nl - lineStart);
        if (line.endsWith('\r'))
            line.chop(1);
        lineStart = nl + 1;
        if (line.isEmpty()) {
            if (lines.isEmpty())
                return invalid("empty start line");
            consumed = lineStart;
            break;
        }
        if (lines.size() > limits.maxHeaders)
            return invalid("too many header lines");
        lines.append(line);
    }
    if (consumed < 0) {
        if (data.size() >= limits.maxHeadBytes)
            return invalid("HTTP head larger than the limit");
        return { ParseStatus::Incomplete, 0, {} };
    }

    HttpHead head;
    const QByteArrayView start = lines.front();
    const QList<QByteArray> parts = start.toByteArray().split(' ');
    if (start.startsWith("HTTP/")) {
        if (parts.size() < 2)
            return invalid("malformed status line");
        head.version = parts[0];
        bool ok = false;
        head.status = parts[1].toInt(&ok);
        if (!ok || parts[1].size() != 3 || head.status < 100 || head.status > 999)
            return invalid("malformed status code");
        const qsizetype reasonAt = parts[0].size() + 1 + parts[1].size() + 1;
        head.reason = reasonAt < start.size() ? start.sliced(reasonAt).toByteArray() : QByteArray();
    } else {
        if (parts.size() != 3 || !isHttpToken(parts[0]) || parts[1].isEmpty() || !parts[2].startsWith("HTTP/"))
            return invalid("malformed request line");
        head.method = parts[0];
        head.target = parts[1];
        head.version = parts[2];
    }
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArrayView line = lines[i];
        if (line.front() == ' ' || line.front() == '\t')
            return invalid("obsolete header line folding");
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0 || !isHttpToken(line.first(colon)))
            return invalid("malformed header line");
        for (char c : line) {
            if ((c >= 0 && c < 0x20 && c != '\t') || c == 0x7f)
                return invalid("control character in header");
        }
        head.headers.append({ line.first(colon).toByteArray(), trimmed(line.sliced(colon + 1)).toByteArray() });
    }
    out = std::move(head);
    return { ParseStatus::Complete, consumed, {} };
}

bool isHttpToken(QByteArrayView s)
{
    return !s.isEmpty() && std::all_of(s.begin(), s.end(), isTokenChar);
}

bool isHttpToken(QStringView s)
{
    return !s.isEmpty()
        && std::all_of(s.begin(), s.end(), [](QChar c) { return c.unicode() < 128 && isTokenChar(char(c.unicode())); });
}

bool isHttpFieldValue(QStringView s)
{
    return std::none_of(
        s.begin(), s.end(), [](QChar c) { return (c.unicode() < 0x20 && c != u'\t') || c.unicode() == 0x7f; });
}

QString extraHeaderProblem(QStringView name, QStringView value)
{
    if (name.isEmpty())
        return QStringLiteral("the header has no name");
    if (!isHttpFieldValue(name))
        return QStringLiteral("the header name contains control characters");
    if (!isHttpToken(name))
        return QStringLiteral("\u201c%1\u201d is not a valid header name (letters, digits and !#$%&'*+-.^_`|~ only, "
                              "no spaces)")
            .arg(name);
    if (!isHttpFieldValue(value))
        return QStringLiteral("the value of %1 contains control characters").arg(name);
    static const char* const written[]
        = { "Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version" };
    for (const char* header : written) {
        if (name.compare(QLatin1StringView(header), Qt::CaseInsensitive) == 0)
            return QStringLiteral("%1 is written by the client itself").arg(QLatin1StringView(header));
    }
    if (name.compare(QLatin1StringView("Sec-WebSocket-Extensions"), Qt::CaseInsensitive) == 0)
        return QStringLiteral("the client offers no extensions (a server accepting one would fail the handshake)");
    if (name.compare(QLatin1StringView("Sec-WebSocket-Protocol"), Qt::CaseInsensitive) == 0)
        return QStringLiteral("the client writes Sec-WebSocket-Protocol from the subprotocols to offer (the "
                              "Subprotocols field, --subprotocol)");
    if (name.compare(QLatin1StringView("Origin"), Qt::CaseInsensitive) == 0)
        return QStringLiteral("the client writes Origin from the origin setting (the Origin field, --origin)");
    return {};
}

} // namespace wsi
