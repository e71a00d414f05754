#include "httprefusal.h"

#include "../core/event.h"
#include "../core/recorder.h"
#include "../wire/handshake.h"

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

namespace httprefusal {

namespace {
// How long a plain HTTP client may go on sending (a request body) after our answer before we close.
constexpr int HttpDrainMs = 1000;
// How long a refused client may take to read our answer before its connection is dropped.
constexpr int RejectLingerMs = 5000;
} // namespace

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

} // namespace httprefusal
} // namespace wsi
