#include "redaction.h"

#include "../wire/httphead.h"

#include <QUrl>
#include <QUrlQuery>

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

// Masks the values of secret parameters in a query string, keeping everything else byte for byte (the
// order, the encoding, parameters without a value).
QString redactQuery(QStringView query, bool* changed)
{
    QString out;
    out.reserve(query.size());
    qsizetype start = 0;
    while (start <= query.size()) {
        qsizetype end = query.indexOf(u'&', start);
        if (end < 0)
            end = query.size();
        const QStringView pair = query.sliced(start, end - start);
        const qsizetype eq = pair.indexOf(u'=');
        const QString name = QUrl::fromPercentEncoding(pair.first(eq < 0 ? pair.size() : eq).toUtf8());
        if (start > 0)
            out += u'&';
        if (eq >= 0 && isSecretQueryParameter(name) && pair.size() > eq + 1) {
            out += pair.first(eq + 1);
            out += mask;
            *changed = true;
        } else {
            out += pair;
        }
        start = end + 1;
    }
    return out;
}

} // namespace

bool isSecretHeader(QByteArrayView name)
{
    return equalsAnyOf(name,
        { "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Api-Key", "X-Auth-Token",
            "X-Access-Token", "X-Amz-Security-Token" });
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
            if (colon >= 0 && colon < at)
                out.replace(colon + 1, at - colon - 1, mask);
        }
    }
    const qsizetype question = out.indexOf(u'?');
    if (question < 0)
        return out;
    qsizetype queryEnd = out.indexOf(u'#', question);
    if (queryEnd < 0)
        queryEnd = out.size();
    bool changed = false;
    const QString query = redactQuery(QStringView(out).sliced(question + 1, queryEnd - question - 1), &changed);
    if (changed)
        out.replace(question + 1, queryEnd - question - 1, query);
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
    if (e.kind != EventKind::HandshakeRequest && e.kind != EventKind::HandshakeResponse)
        return e;
    HttpHead head;
    const HttpHead::ParseResult parsed = HttpHead::parse(e.payload, head, HttpHead::Limits { 1 << 30, 1 << 20 });
    if (parsed.status != HttpHead::ParseStatus::Complete) {
        // A head that does not parse cannot be redacted line by line; better to leave it out than to leak it.
        Event out = e;
        bool secret = false;
        for (const char* name : { "authorization", "cookie", "token", "key", "secret", "password" })
            secret = secret || e.payload.toLower().contains(name);
        if (secret) {
            out.payload = QByteArrayLiteral("[redacted: an unparsable head that may hold secrets]");
            out.size = out.payload.size();
        }
        return out;
    }
    bool changed = false;
    for (HttpHeader& header : head.headers) {
        if (isSecretHeader(header.first) && header.second != maskBytes) {
            header.second = maskBytes;
            changed = true;
        }
    }
    if (head.isRequest()) {
        const QString target = QString::fromUtf8(head.target);
        const QString masked = redactUrl(target);
        if (masked != target) {
            head.target = masked.toUtf8();
            changed = true;
        }
    }
    if (!changed)
        return e;
    Event out = e;
    out.payload = head.toBytes();
    out.size = out.payload.size();
    return out;
}

} // namespace wsi::redaction
