#pragma once

#include <QString>
#include <QtGlobal>

#include <optional>

namespace wsi {

enum class ConnectionRole : quint8 {
    Client,
    Server,
    Proxy,
};

/*
 * What is known about one WebSocket connection: written as a "connection" line to the session file and
 * shown in the timeline's connection column. A connection may be described again when more becomes known
 * (the negotiated subprotocol arrives with the handshake response); the latest description wins.
 */
struct Connection
{
    quint32 id = 0;
    ConnectionRole role = ConnectionRole::Client;
    QString url; // ws://host:port/path as requested (client) or served (server)
    QString peer; // "address:port" of the other end, when known
    QString subprotocol;

    bool operator==(const Connection&) const = default;
};

enum class ConnectionState : quint8 {
    Connecting,
    Open,
    Closing,
    Closed,
};

QString roleName(ConnectionRole r);
std::optional<ConnectionRole> roleFromName(QStringView name);

} // namespace wsi
