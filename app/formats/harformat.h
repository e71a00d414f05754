#pragma once

#include <QByteArray>
#include <QLatin1StringView>
#include <QString>
#include <QStringView>

/*
 * What HarReader and HarExporter must agree on: how a HAR request URL stands for a request target and a peer,
 * and the names of the keys this app adds to Chrome's HAR shape. The exporter writes an extension key only
 * where the reader could not otherwise rebuild what was recorded, so both sides derive things the same way.
 */
namespace wsi::har {

inline constexpr QLatin1StringView creatorName { "WebSocket Inspector" };

// The request target a URL stands for: its path and query as written ("/chat?x=1"), "/" when it has no path.
QByteArray requestTarget(QStringView url);
// A WebSocket URL for a URL some tool wrote with http:// or https:// (Firefox records the upgrade so).
QString webSocketUrl(const QString& url);
// "address:port" from HAR's serverIPAddress and the port of the URL (explicit or the scheme's default); an
// IPv6 address gets brackets. Empty without an address.
QString peer(QStringView serverIpAddress, QStringView url);
// The address part of "address:port" or "[v6]:port", without brackets, for serverIPAddress.
QString peerAddress(QStringView peer);

} // namespace wsi::har
