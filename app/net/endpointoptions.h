#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QUrl>

namespace wsi {

// What a client connection is asked to do. Extra headers go into the upgrade request as given.
struct ClientOptions
{
    QUrl url;
    QList<QPair<QByteArray, QByteArray>> headers;
    QStringList subprotocols;
    QString origin; // empty: no Origin header
    qint64 maxMessageBytes = 64 * 1024 * 1024;
    int handshakeTimeoutMs = 10000;
};

enum class ServerMode : quint8 {
    Echo,
    Silent,
};

struct ServerOptions
{
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 8765; // 0: any free port
    // When the port is taken, try the following ones (the GUI's one-click start); headless uses the exact port.
    int tryNextPorts = 0;
    ServerMode mode = ServerMode::Echo;
    qint64 maxMessageBytes = 64 * 1024 * 1024;
    int maxConnections = 1000;
    int handshakeTimeoutMs = 10000;
};

} // namespace wsi
