#pragma once

#include "httphead.h"

#include <QStringList>
#include <QUrl>

namespace wsi {

/*
 * The RFC 6455 opening handshake as pure functions: building the client's request, checking it on the
 * server, building the server's answer and checking that answer on the client. No sockets here, so every
 * rule can be tested and fuzzed on its own.
 */
namespace handshake {

// Sec-WebSocket-Accept for a Sec-WebSocket-Key.
QByteArray acceptKey(QByteArrayView key);
// A fresh random Sec-WebSocket-Key (16 random bytes, base64).
QByteArray newKey();

struct ClientRequest
{
    QUrl url; // ws:// or wss://
    HttpHeaders extraHeaders; // added after the standard ones, as given
    QStringList subprotocols;
    QString origin;
    QByteArray key;
};
HttpHead buildRequest(const ClientRequest& r);

struct Verdict
{
    bool ok = false;
    int status = 0; // the HTTP status to answer with when !ok (server side)
    QByteArray reason; // what is wrong, for the user and the response body
};
// Server side: is this request a valid upgrade to WebSocket version 13?
Verdict checkRequest(const HttpHead& request);
// Server side: the 101 answer to a valid request, choosing the first offered subprotocol that we accept.
HttpHead buildResponse(const HttpHead& request, const QStringList& acceptedSubprotocols, QByteArray* chosen);
// Server side: an error answer (400, 404, 426, ...) with a short text body; returns the whole response bytes.
QByteArray errorResponse(int status, QByteArrayView reason, QByteArrayView body, const HttpHeaders& extraHeaders = {});
// Client side: does the server's answer complete the handshake we asked for?
Verdict checkResponse(const HttpHead& response, QByteArrayView key, const QStringList& offeredSubprotocols);

QByteArray reasonPhrase(int status);

} // namespace handshake
} // namespace wsi
