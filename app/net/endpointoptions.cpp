#include "endpointoptions.h"

#include <QHostAddress>

namespace wsi {

bool exposesBeyondLoopback(const QString& host)
{
    if (host.compare(QLatin1StringView("localhost"), Qt::CaseInsensitive) == 0)
        return false;
    const QHostAddress address(host);
    // A host name that is not an address resolves to whatever the network says: assume it is reachable.
    return address.isNull() || !address.isLoopback();
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
