#include "redaction.h"

#include <QUrl>

#include <array>

namespace wsi::redaction {

namespace {

const QByteArray maskBytes = QByteArrayLiteral("[redacted]");

bool equalsAnyOf(QByteArrayView name, std::initializer_list<const char*> names)
{
    for (const char* candidate : names) {
        if (name.compare(QByteArrayView(candidate), Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

// Masks the values of secret parameters in a list of name=value pairs, keeping everything else character for
// character (the order, the encoding, empty pairs, parameters without a value). A query separates its pairs
// with '&'; a fragment (where OAuth's implicit flow puts access_token) may also hold a '?'.
QString redactParameters(QStringView params, QStringView separators, bool* changed)
{
    QString out;
    out.reserve(params.size());
    qsizetype start = 0;
    while (start <= params.size()) {
        qsizetype end = start;
        while (end < params.size() && !separators.contains(params[end]))
            ++end;
        const QStringView pair = params.sliced(start, end - start);
        const qsizetype eq = pair.indexOf(u'=');
        const QString name = QUrl::fromPercentEncoding(pair.first(eq < 0 ? pair.size() : eq).toUtf8());
        if (eq >= 0 && isSecretQueryParameter(name) && pair.size() > eq + 1 && pair.sliced(eq + 1) != mask) {
            out += pair.first(eq + 1);
            out += mask;
            *changed = true;
        } else {
            out += pair;
        }
        if (end < params.size())
            out += params[end];
        start = end + 1;
    }
    return out;
}

// The value of a header line: from the colon to the end, the spaces after the colon kept.
QByteArray maskedHeaderLine(QByteArrayView line, qsizetype colon)
{
    qsizetype valueStart = colon + 1;
    while (valueStart < line.size() && (line[valueStart] == ' ' || line[valueStart] == '\t'))
        ++valueStart;
    return line.first(valueStart).toByteArray() + maskBytes;
}

// The request target in "METHOD target VERSION" (or "METHOD target" when the line was cut short).
QByteArray redactedRequestLine(QByteArrayView line)
{
    const qsizetype first = line.indexOf(' ');
    if (first < 0)
        return line.toByteArray();
    qsizetype last = line.lastIndexOf(' ');
    if (last == first)
        last = line.size();
    const QString target = QString::fromUtf8(line.sliced(first + 1, last - first - 1));
    const QString masked = redactUrl(target);
    if (masked == target)
        return line.toByteArray();
    return line.first(first + 1).toByteArray() + masked.toUtf8() + line.sliced(last).toByteArray();
}

/*
 * Works on the head line by line instead of parsing and rebuilding it, so that a head which does not parse
 * (cut short, folded, odd spacing, not HTTP at all) is redacted as well as a good one, and every byte that
 * is not a secret stays as it was on the wire: bare LF line ends, spacing, the bytes after the blank line.
 */
QByteArray redactedHead(const QByteArray& head, bool request)
{
    QByteArray out;
    out.reserve(head.size() + 16);
    const QByteArrayView view(head);
    bool firstLine = true;
    bool inSecretHeader = false;
    qsizetype start = 0;
    while (start < view.size()) {
        const qsizetype nl = view.indexOf('\n', start);
        const qsizetype end = nl < 0 ? view.size() : nl + 1;
        QByteArrayView line = view.sliced(start, end - start);
        start = end;
        QByteArrayView ending;
        if (line.endsWith('\n')) {
            const qsizetype cut = line.endsWith("\r\n") ? 2 : 1;
            ending = line.last(cut);
            line.chop(cut);
        }
        if (firstLine) {
            firstLine = false;
            out += request && !line.startsWith("HTTP/") ? redactedRequestLine(line) : line.toByteArray();
        } else if (line.isEmpty()) {
            // The blank line ends the head; what follows is not ours to judge.
            out += ending;
            out += view.sliced(start);
            break;
        } else if (line.front() == ' ' || line.front() == '\t') {
            // An obsolete folded continuation of the previous header's value.
            if (inSecretHeader) {
                qsizetype indent = 0;
                while (indent < line.size() && (line[indent] == ' ' || line[indent] == '\t'))
                    ++indent;
                out += line.first(indent);
                out += maskBytes;
            } else {
                out += line;
            }
        } else {
            const qsizetype colon = line.indexOf(':');
            inSecretHeader = colon > 0 && isSecretHeader(line.first(colon).trimmed());
            out += inSecretHeader ? maskedHeaderLine(line, colon) : line.toByteArray();
        }
        out += ending;
    }
    return out;
}

bool isUrlSchemeChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-'
        || c == '.';
}

// URLs inside a message of ours ("connected to wss://user:pass@host/?token=..."): each runs from its scheme to
// the next space or quote, less trailing punctuation that belongs to the sentence.
QByteArray redactedUrlsInText(const QByteArray& text)
{
    if (!text.contains("://"))
        return text;
    QByteArray out;
    qsizetype copied = 0;
    qsizetype from = 0;
    while (true) {
        const qsizetype marker = text.indexOf("://", from);
        if (marker < 0)
            break;
        qsizetype begin = marker;
        while (begin > copied && isUrlSchemeChar(text.at(begin - 1)))
            --begin;
        qsizetype end = marker + 3;
        while (end < text.size() && !QByteArrayView(" \t\r\n\"'<>").contains(text.at(end)))
            ++end;
        while (end > marker + 3 && QByteArrayView(".,;:!)]}").contains(text.at(end - 1)))
            --end;
        from = end > marker + 3 ? end : marker + 3;
        if (begin == marker)
            continue;
        const QString url = QString::fromUtf8(text.sliced(begin, end - begin));
        const QString masked = redactUrl(url);
        if (masked == url)
            continue;
        out += QByteArrayView(text).sliced(copied, begin - copied);
        out += masked.toUtf8();
        copied = end;
    }
    if (copied == 0)
        return text;
    out += QByteArrayView(text).sliced(copied);
    return out;
}

} // namespace

bool isSecretHeader(QByteArrayView name)
{
    return equalsAnyOf(name,
        { "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "X-Auth-Token", "X-Access-Token",
            "X-Amz-Security-Token" });
}

bool isSecretQueryParameter(QStringView name)
{
    static const std::array names { u"token", u"access_token", u"refresh_token", u"id_token", u"auth", u"auth_token",
        u"authorization", u"api_key", u"apikey", u"api-key", u"key", u"secret", u"client_secret", u"password",
        u"passwd", u"pwd", u"session", u"sessionid", u"session_id", u"sid", u"jwt", u"signature", u"sig",
        u"x-amz-signature", u"x-amz-security-token", u"code" };
    for (QStringView candidate : names) {
        if (name.compare(candidate, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

QString redactUrl(const QString& url)
{
    QString out = url;
    // User info: "scheme://user:password@host"; the user name stays, the password goes.
    const qsizetype scheme = out.indexOf(QLatin1StringView("://"));
    if (scheme > 0) {
        const qsizetype authorityStart = scheme + 3;
        qsizetype authorityEnd = out.size();
        for (const QChar c : { u'/', u'?', u'#' }) {
            const qsizetype at = out.indexOf(c, authorityStart);
            if (at >= 0)
                authorityEnd = std::min(authorityEnd, at);
        }
        const qsizetype at = out.lastIndexOf(u'@', authorityEnd - 1);
        if (at >= authorityStart) {
            const qsizetype colon = out.indexOf(u':', authorityStart);
            if (colon >= 0 && colon + 1 < at && QStringView(out).sliced(colon + 1, at - colon - 1) != mask)
                out.replace(colon + 1, at - colon - 1, mask);
        }
    }
    // The fragment starts at the first '#'; a '?' after it belongs to the fragment, not the query.
    qsizetype fragment = out.indexOf(u'#');
    const qsizetype question = out.indexOf(u'?');
    bool changed = false;
    if (fragment >= 0) {
        const QString masked = redactParameters(QStringView(out).sliced(fragment + 1), u"&?", &changed);
        if (changed)
            out.replace(fragment + 1, out.size() - fragment - 1, masked);
    } else {
        fragment = out.size();
    }
    if (question >= 0 && question < fragment) {
        bool queryChanged = false;
        const QString masked
            = redactParameters(QStringView(out).sliced(question + 1, fragment - question - 1), u"&", &queryChanged);
        if (queryChanged)
            out.replace(question + 1, fragment - question - 1, masked);
    }
    return out;
}

Connection redacted(const Connection& c)
{
    Connection out = c;
    out.url = redactUrl(c.url);
    return out;
}

Event redacted(const Event& e)
{
    Event out = e;
    if (!e.note.isEmpty())
        out.note = redactedUrlsInText(e.note);
    switch (e.kind) {
    case EventKind::HandshakeRequest:
    case EventKind::HandshakeResponse:
        out.payload = redactedHead(e.payload, e.kind == EventKind::HandshakeRequest);
        break;
    case EventKind::Open:
    case EventKind::Closed:
    case EventKind::Error:
    case EventKind::Note:
        out.payload = redactedUrlsInText(e.payload);
        break;
    case EventKind::Text:
    case EventKind::Binary:
    case EventKind::Ping:
    case EventKind::Pong:
    case EventKind::Close:
        return out;
    }
    // Unchanged bytes stay shared with the original instead of being a copy.
    if (out.payload == e.payload)
        out.payload = e.payload;
    else if (e.kind == EventKind::HandshakeRequest || e.kind == EventKind::HandshakeResponse
        || e.size == e.payload.size())
        out.size = out.payload.size();
    if (out.note == e.note)
        out.note = e.note;
    return out;
}

} // namespace wsi::redaction
