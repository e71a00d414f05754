#include "endpointoptions.h"

#include <QHostAddress>

#include <algorithm>

namespace wsi {

bool exposesBeyondLoopback(const QString& host)
{
    if (host.compare(QLatin1StringView("localhost"), Qt::CaseInsensitive) == 0)
        return false;
    const QHostAddress address(host);
    // A host name that is not an address resolves to whatever the network says: assume it is reachable.
    return address.isNull() || !address.isLoopback();
}

QByteArray authorizationValue(const ClientAuth& auth)
{
    switch (auth.kind) {
    case ClientAuth::Kind::None:
        break;
    case ClientAuth::Kind::Bearer:
        return "Bearer " + auth.token.trimmed().toUtf8();
    case ClientAuth::Kind::Basic:
        return "Basic " + QByteArray(auth.user.toUtf8() + ':' + auth.password.toUtf8()).toBase64();
    }
    return {};
}

int ReconnectPolicy::delayForAttempt(int attempt) const
{
    const qint64 first = std::max(0, initialDelayMs);
    const qint64 cap = std::max<qint64>(first, maxDelayMs);
    qint64 delay = first;
    for (int i = 1; i < attempt && delay < cap; ++i)
        delay *= 2;
    return int(std::min(delay, cap));
}

QUrl testPageUrl(const QUrl& serverUrl)
{
    QUrl page = serverUrl;
    page.setScheme(serverUrl.scheme() == QLatin1StringView("wss") ? QStringLiteral("https") : QStringLiteral("http"));
    page.setPath(QStringLiteral("/"));
    page.setQuery(QString());
    return page;
}

} // namespace wsi
