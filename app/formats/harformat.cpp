#include "harformat.h"

namespace wsi::har {

namespace {

// Where the authority ends in "scheme://authority/path?query#fragment"; 0 when there is no "scheme://".
qsizetype authorityEnd(QStringView url, qsizetype* authorityStart)
{
    const qsizetype scheme = url.indexOf(QLatin1StringView("://"));
    *authorityStart = 0;
    if (scheme <= 0)
        return 0;
    *authorityStart = scheme + 3;
    qsizetype end = url.size();
    for (const QChar c : { u'/', u'?', u'#' }) {
        const qsizetype at = url.indexOf(c, *authorityStart);
        if (at >= 0)
            end = std::min(end, at);
    }
    return end;
}

} // namespace

QByteArray requestTarget(QStringView url)
{
    qsizetype start = 0;
    const qsizetype pathStart = authorityEnd(url, &start);
    QStringView rest = url.sliced(pathStart);
    const qsizetype fragment = rest.indexOf(u'#');
    if (fragment >= 0)
        rest = rest.first(fragment);
    if (rest.isEmpty())
        return QByteArrayLiteral("/");
    if (rest.startsWith(u'?'))
        return '/' + rest.toUtf8();
    return rest.toUtf8();
}

QString webSocketUrl(const QString& url)
{
    if (url.startsWith(QLatin1StringView("http://"), Qt::CaseInsensitive))
        return QLatin1StringView("ws://") + QStringView(url).sliced(7);
    if (url.startsWith(QLatin1StringView("https://"), Qt::CaseInsensitive))
        return QLatin1StringView("wss://") + QStringView(url).sliced(8);
    return url;
}

QString peer(QStringView serverIpAddress, QStringView url)
{
    QStringView address = serverIpAddress.trimmed();
    if (address.isEmpty())
        return {};
    if (address.startsWith(u'[') && address.endsWith(u']'))
        address = address.sliced(1, address.size() - 2);
    qsizetype start = 0;
    const qsizetype end = authorityEnd(url, &start);
    QString port;
    if (end > start) {
        QStringView authority = url.sliced(start, end - start);
        const qsizetype at = authority.lastIndexOf(u'@');
        if (at >= 0)
            authority = authority.sliced(at + 1);
        const qsizetype bracket = authority.lastIndexOf(u']');
        const qsizetype colon = authority.lastIndexOf(u':');
        if (colon > bracket)
            port = authority.sliced(colon + 1).toString();
    }
    if (port.isEmpty()) {
        const bool secure = url.startsWith(QLatin1StringView("wss:"), Qt::CaseInsensitive)
            || url.startsWith(QLatin1StringView("https:"), Qt::CaseInsensitive);
        port = secure ? QStringLiteral("443") : QStringLiteral("80");
    }
    const QString host = address.contains(u':') ? u'[' + address.toString() + u']' : address.toString();
    return host + u':' + port;
}

QString peerAddress(QStringView peer)
{
    if (peer.startsWith(u'[')) {
        const qsizetype close = peer.indexOf(u']');
        return close > 0 ? peer.sliced(1, close - 1).toString() : peer.toString();
    }
    const qsizetype colon = peer.lastIndexOf(u':');
    // Two colons without brackets: an IPv6 address without a port.
    if (colon < 0 || peer.indexOf(u':') != colon)
        return peer.toString();
    return peer.first(colon).toString();
}

} // namespace wsi::har
