#pragma once

#include <QString>

class QAbstractSocket;
class QHostAddress;

namespace wsi {

// An address as it goes into a URL or a "host:port" string: IPv6 in brackets, IPv4-mapped IPv6 as plain IPv4.
QString hostForUrl(const QHostAddress& address);
// The peer of a connected socket as "host:port" (e.g. "127.0.0.1:53122", "[::1]:53122").
QString peerOf(const QAbstractSocket* socket);

} // namespace wsi
