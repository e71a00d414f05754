#pragma once

#include <QByteArray>
#include <QPointer>
#include <QtGlobal>

class QHostAddress;
class QString;
class QTcpServer;
class QTcpSocket;
class QTimer;

namespace wsi {

class Recorder;

// An upgrade request a listener of ours is still reading: its bytes so far and the timer that ends the wait.
struct PendingRequest
{
    PendingRequest() = default;
    // Stops the timer and deletes it later, not at once: the wait may end inside the timer's own timeout (a 408).
    ~PendingRequest();
    Q_DISABLE_COPY_MOVE(PendingRequest)

    QByteArray buffer;
    QPointer<QTimer> timer; // child of the socket; stopped with the request so it can never fire late
};

/*
 * What the listeners of ours (the test server, the recording proxy) share, so that a client sees the same
 * behaviour from either: where they bind, how they ride out failures to accept, what a refused upgrade request is
 * answered with and recorded as, and how the socket is let go afterwards.
 */
namespace listener {

// The address to bind for a host as the user gave it: an address, "localhost", or a host name (its first
// address). False with a reason for the user when it is none of these.
bool resolveHost(const QString& host, QHostAddress* out, QString* error);

// Keeps the server going when accepting fails (typically out of file descriptors, where accepting again at once
// fails again, in a busy loop): accepting pauses for a moment, and the first failure is warned about, naming
// `what` ("the test server").
void pauseOnAcceptErrors(QTcpServer* server, const char* what);

// Answers an upgrade request we refuse with `status` and `why` as the text body (426 also names the version
// we speak), and records it on connection `id`: the answer's head, an error saying why, and the end.
void reject(QTcpSocket* socket, Recorder* recorder, quint32 id, int status, const QByteArray& why);

// Lets go of a socket after our answer ("Connection: close"): what the client still sends (a request body) is
// read and dropped, since closing with unread input would reset the connection and destroy the answer; the
// socket closes after a moment, is dropped if the client does not read, and deletes itself once closed. The
// caller must have disconnected its own handlers from the socket.
void finish(QTcpSocket* socket);

} // namespace listener
} // namespace wsi
