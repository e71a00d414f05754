#include "listener.h"

#include "../core/event.h"
#include "../core/recorder.h"
#include "../wire/handshake.h"

#include <QCoreApplication>
#include <QHostAddress>
#include <QHostInfo>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace wsi {

PendingRequest::~PendingRequest()
{
    if (timer) {
        timer->stop();
        timer->disconnect();
        timer->deleteLater();
    }
}

namespace listener {

namespace {
// After accepting failed, how long to wait before trying again.
constexpr int AcceptRetryMs = 100;
// How long a plain HTTP client may go on sending (a request body) after our answer before we close.
constexpr int HttpDrainMs = 1000;
// How long a refused client may take to read our answer before its connection is dropped.
constexpr int RejectLingerMs = 5000;
} // namespace

bool resolveHost(const QString& host, QHostAddress* out, QString* error)
{
    if (host == QLatin1StringView("localhost")) {
        *out = QHostAddress(QHostAddress::LocalHost);
        return true;
    }
    if (out->setAddress(host))
        return true;
    const QHostInfo info = QHostInfo::fromName(host);
    if (info.addresses().isEmpty()) {
        *error = QCoreApplication::translate(
            "wsi::listener", "cannot listen on \u201c%1\u201d: not an address and not a known host name")
                     .arg(host);
        return false;
    }
    *out = info.addresses().constFirst();
    return true;
}

void pauseOnAcceptErrors(QTcpServer* server, const char* what)
{
    QObject::connect(
        server, &QTcpServer::acceptError, server, [server, what, warned = false](QAbstractSocket::SocketError) mutable {
            if (!warned) {
                warned = true;
                qWarning("wsinspector: %s cannot accept more connections for now: %s", what,
                    qPrintable(server->errorString()));
            }
            server->pauseAccepting();
            QTimer::singleShot(AcceptRetryMs, server, [server] {
                if (server->isListening())
                    server->resumeAccepting();
            });
        });
}

void reject(QTcpSocket* socket, Recorder* recorder, quint32 id, int status, const QByteArray& why)
{
    const QByteArray reason = handshake::reasonPhrase(status);
    HttpHeaders extra;
    if (status == 426)
        extra.append(HttpHeader("Sec-WebSocket-Version", "13"));
    const QByteArray response = handshake::errorResponse(status, reason, QByteArray(why + '\n'), extra);
    socket->write(response);
    recorder->record(
        makeEvent(id, Direction::None, EventKind::HandshakeResponse, response.left(response.indexOf("\r\n\r\n") + 4)));
    recorder->record(makeEvent(id, Direction::None, EventKind::Error,
        "rejected the upgrade request: " + QByteArray::number(status) + ' ' + reason + " (" + why + ')'));
    recorder->record(makeEvent(id, Direction::None, EventKind::Closed, QByteArrayLiteral("connection closed")));
}

void finish(QTcpSocket* socket)
{
    QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    QObject::connect(socket, &QTcpSocket::readyRead, socket, [socket] { socket->skip(socket->bytesAvailable()); });
    socket->skip(socket->bytesAvailable());
    // A client normally closes once it has read the answer. One that goes on sending is cut off after a moment;
    // disconnectFromHost() still writes the answer out first, and a client that does not read it at all is
    // dropped after the linger time.
    QTimer::singleShot(HttpDrainMs, socket, [socket] {
        socket->skip(socket->bytesAvailable());
        socket->disconnectFromHost();
    });
    QTimer::singleShot(RejectLingerMs, socket, [socket] { socket->abort(); });
}

} // namespace listener
} // namespace wsi
