#include "redaction.h"

#include <QUrl>

#include <algorithm>
#include <utility>

namespace wsi::redaction {

namespace {

const QByteArray maskBytes = QByteArrayLiteral("[redacted]");

// A name as its letters and digits in lower case, separators dropped: "X-Api_Key" and "xApiKey" are both
// "xapikey". Secret names come in every spelling; their normalised forms are what the rules below compare.
QString normalisedName(QStringView name)
{
    QString out;
    out.reserve(name.size());
    for (const QChar c : name) {
        if (c.isLetterOrNumber())
            out += c.toLower();
    }
    return out;
}

// The last word of a name, in lower case: after its last separator, or where camelCase starts it ("accessToken",
// "access-token" and "ACCESS_TOKEN" all end in "token"). Matching whole words keeps "monkey" and "author" apart
// from "key" and "auth".
QString lastWord(QStringView name)
{
    qsizetype end = name.size();
    while (end > 0 && !name[end - 1].isLetterOrNumber())
        --end;
    qsizetype start = end;
    while (start > 0 && name[start - 1].isLetterOrNumber()) {
        // A capital starts a word after a lower-case letter or a digit ("sessionToken", "v2Key"), and so does
        // the last capital of a run that a lower-case letter follows ("APIKey").
        if (start < end && name[start].isUpper()
            && (!name[start - 1].isUpper() || (start + 1 < end && name[start + 1].isLower())))
            break;
        --start;
    }
    return name.sliced(start, end - start).toString().toLower();
}

bool isOneOf(const QString& word, std::initializer_list<QLatin1StringView> words)
{
    return std::find(words.begin(), words.end(), word) != words.end();
}

bool endsWithOneOf(const QString& name, std::initializer_list<QLatin1StringView> suffixes)
{
    return std::any_of(
        suffixes.begin(), suffixes.end(), [&name](QLatin1StringView suffix) { return name.endsWith(suffix); });
}

// Base64url, the alphabet of JWTs and Kubernetes tokens.
bool isBase64UrlChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// A JSON Web Token: three base64url parts, the first one a JSON object ('{"' is "eyJ" in base64).
bool looksLikeJwt(QByteArrayView token)
{
    if (!token.startsWith("eyJ") || token.count('.') != 2)
        return false;
    return std::all_of(token.begin(), token.end(), [](char c) { return c == '.' || isBase64UrlChar(c); });
}

// Browsers cannot set headers on a WebSocket, so APIs pass credentials as subprotocols instead: Kubernetes as
// "base64url.bearer.authorization.k8s.io.<token>", others as a marker followed by the token ("bearer, <jwt>",
// "access_token, <jwt>"), or a JWT on its own. Those entries are masked (Kubernetes keeps its prefix, which
// says what the entry was); ordinary protocol names and the markers themselves are kept, spacing too.
QByteArray redactedProtocolList(QByteArrayView list)
{
    static constexpr QByteArrayView kubernetesPrefix("base64url.bearer.authorization.k8s.io.");
    QByteArray out;
    bool afterMarker = false;
    qsizetype start = 0;
    while (start <= list.size()) {
        qsizetype end = list.indexOf(',', start);
        if (end < 0)
            end = list.size();
        const QByteArrayView entry = list.sliced(start, end - start);
        qsizetype first = 0;
        while (first < entry.size() && (entry[first] == ' ' || entry[first] == '\t'))
            ++first;
        qsizetype last = entry.size();
        while (last > first && (entry[last - 1] == ' ' || entry[last - 1] == '\t'))
            --last;
        const QByteArrayView token = entry.sliced(first, last - first);
        qsizetype keep = -1; // how much of the token stays; -1: all of it
        if (token.isEmpty() || token == QByteArrayView(maskBytes)) {
            keep = -1;
        } else if (token.size() > kubernetesPrefix.size()
            && token.first(kubernetesPrefix.size()).compare(kubernetesPrefix, Qt::CaseInsensitive) == 0) {
            keep = kubernetesPrefix.size();
        } else if (afterMarker || looksLikeJwt(token)) {
            keep = 0;
        }
        out += entry.first(first);
        if (keep < 0) {
            out += token;
        } else {
            out += token.first(keep);
            out += maskBytes;
        }
        out += entry.sliced(last);
        // A marker says what the next entry is; an entry masked itself is no marker.
        const QString name = QString::fromLatin1(token);
        afterMarker = keep < 0 && !token.isEmpty() && token != QByteArrayView(maskBytes)
            && (normalisedName(name) == QLatin1StringView("bearer") || isSecretQueryParameter(name));
        if (end < list.size())
            out += ',';
        start = end + 1;
    }
    return out;
}

QByteArray redactedUrlsInText(const QByteArray& text);

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

// A header that is not a secret as a whole may still carry one: a URL with a token (Referer, Location,
// X-Forwarded-*, Link...) or a credential among the subprotocols. The value is redacted in place; the line
// is returned as it was when there is nothing to hide.
QByteArray redactedHeaderLine(QByteArrayView line, qsizetype colon)
{
    qsizetype valueStart = colon + 1;
    while (valueStart < line.size() && (line[valueStart] == ' ' || line[valueStart] == '\t'))
        ++valueStart;
    qsizetype valueEnd = line.size();
    while (valueEnd > valueStart && (line[valueEnd - 1] == ' ' || line[valueEnd - 1] == '\t'))
        --valueEnd;
    const QByteArrayView value = line.sliced(valueStart, valueEnd - valueStart);
    QByteArray masked;
    if (normalisedName(QString::fromLatin1(line.first(colon))) == QLatin1StringView("secwebsocketprotocol")) {
        masked = redactedProtocolList(value);
    } else if (value.contains("://")) {
        masked = redactedUrlsInText(value.toByteArray());
    } else if (value.startsWith('/') && value.contains('?')) {
        masked = redactUrl(QString::fromUtf8(value)).toUtf8();
    } else {
        return line.toByteArray();
    }
    if (masked == value)
        return line.toByteArray();
    return line.first(valueStart).toByteArray() + masked + line.sliced(valueEnd).toByteArray();
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
            if (inSecretHeader)
                out += maskedHeaderLine(line, colon);
            else if (colon > 0)
                out += redactedHeaderLine(line, colon);
            else
                out += line;
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

// Where a URL's user info runs: from just after "://" to its '@' (the last one before the path, query or
// fragment, since a password may hold an unencoded '@'); both -1 when there is none.
std::pair<qsizetype, qsizetype> userInfoSpan(const QString& url)
{
    const qsizetype scheme = url.indexOf(QLatin1StringView("://"));
    if (scheme <= 0)
        return { -1, -1 };
    const qsizetype authorityStart = scheme + 3;
    qsizetype authorityEnd = url.size();
    for (const QChar c : { u'/', u'?', u'#' }) {
        const qsizetype at = url.indexOf(c, authorityStart);
        if (at >= 0)
            authorityEnd = std::min(authorityEnd, at);
    }
    const qsizetype at = authorityEnd > authorityStart ? url.lastIndexOf(u'@', authorityEnd - 1) : -1;
    if (at < authorityStart)
        return { -1, -1 };
    return { authorityStart, at };
}

} // namespace

bool isSecretHeader(QByteArrayView name)
{
    const QString text = QString::fromLatin1(name);
    const QString normalised = normalisedName(text);
    if (isOneOf(normalised,
            { QLatin1StringView("authorization"), QLatin1StringView("proxyauthorization"), QLatin1StringView("cookie"),
                QLatin1StringView("setcookie"), QLatin1StringView("cookie2"), QLatin1StringView("setcookie2") }))
        return true;
    // Sec-WebSocket-Key is a nonce that the accept value is computed from, not a credential.
    if (normalised == QLatin1StringView("secwebsocketkey"))
        return false;
    // X-Auth-Token, X-CSRF-Token, X-Api-Key, X-Client-Secret, X-Auth...
    return isOneOf(lastWord(text),
        { QLatin1StringView("token"), QLatin1StringView("secret"), QLatin1StringView("key"), QLatin1StringView("auth"),
            QLatin1StringView("password"), QLatin1StringView("passwd"), QLatin1StringView("credential"),
            QLatin1StringView("credentials"), QLatin1StringView("apikey"), QLatin1StringView("jwt") });
}

bool isSecretQueryParameter(QStringView name)
{
    const QString normalised = normalisedName(name);
    if (normalised.isEmpty())
        return false;
    // Short names that mean a credential only on their own ("code" is OAuth's; "zip_code" is not a secret).
    if (isOneOf(normalised,
            { QLatin1StringView("key"), QLatin1StringView("auth"), QLatin1StringView("authorization"),
                QLatin1StringView("code"), QLatin1StringView("pwd"), QLatin1StringView("pass"),
                QLatin1StringView("sid"), QLatin1StringView("sig"), QLatin1StringView("session") }))
        return true;
    if (normalised.contains(QLatin1StringView("passw")))
        return true;
    // Compounds in any spelling: accessToken, Access-Token, access_token and accesstoken all end in "token".
    if (endsWithOneOf(normalised,
            { QLatin1StringView("token"), QLatin1StringView("secret"), QLatin1StringView("passphrase"),
                QLatin1StringView("signature"), QLatin1StringView("credential"), QLatin1StringView("credentials"),
                QLatin1StringView("jwt"), QLatin1StringView("sessionid"), QLatin1StringView("sessid"),
                QLatin1StringView("apikey"), QLatin1StringView("accesskey"), QLatin1StringView("secretkey"),
                QLatin1StringView("privatekey"), QLatin1StringView("authkey"), QLatin1StringView("sessionkey"),
                QLatin1StringView("clientkey"), QLatin1StringView("appkey"), QLatin1StringView("consumerkey"),
                QLatin1StringView("signingkey"), QLatin1StringView("masterkey"),
                QLatin1StringView("subscriptionkey") }))
        return true;
    // The same words when a separator or camelCase says where they start: x-auth, userSession, req_sig.
    return isOneOf(lastWord(name),
        { QLatin1StringView("auth"), QLatin1StringView("session"), QLatin1StringView("sig"),
            QLatin1StringView("pwd") });
}

QString redactUrl(const QString& url)
{
    QString out = url;
    // User info goes whole: "wss://TOKEN@host" and "wss://key:@host" carry the secret where the user name is.
    if (const auto [start, at] = userInfoSpan(out); at > start && QStringView(out).sliced(start, at - start) != mask)
        out.replace(start, at - start, mask);
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

QString withoutUserInfo(const QString& url)
{
    const auto [start, at] = userInfoSpan(url);
    if (at < 0)
        return url;
    QString out = url;
    out.remove(start, at + 1 - start);
    return out;
}

Connection redacted(const Connection& c)
{
    Connection out = c;
    out.url = redactUrl(c.url);
    if (!c.subprotocol.isEmpty())
        out.subprotocol = QString::fromUtf8(redactedProtocolList(c.subprotocol.toUtf8()));
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
