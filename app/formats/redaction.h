#pragma once

#include "../core/connection.h"
#include "../core/event.h"

#include <QByteArrayView>
#include <QString>

/*
 * Secrets taken out of what leaves the app in an export:
 *  - header values: Authorization, Proxy-Authorization, Cookie, Set-Cookie, and any header whose name ends in
 *    the word Token, Secret, Key, Auth, Password or Credentials in any spelling (X-CSRF-Token, x_api_key,
 *    xAuthToken), Sec-WebSocket-Key excepted (a nonce);
 *  - inside other header values: URLs that hold a secret (Referer, Location, X-Forwarded-Uri, Link: a value
 *    with "://", or a path with a query), and credentials passed as subprotocols in Sec-WebSocket-Protocol and
 *    in a connection's subprotocol (Kubernetes' "base64url.bearer.authorization.k8s.io.<token>", the entry
 *    after a "bearer" or "access_token" marker, a JWT), other protocol names kept;
 *  - in URLs: the whole user info ("wss://TOKEN@host" as well as "user:password@"), and query (or fragment)
 *    parameters whose names say they hold a credential, in any spelling (token, accessToken, Access-Token,
 *    api_key, apiKey, auth_key, sessionToken, client_secret, password, sig, X-Amz-Signature, code...; see
 *    isSecretQueryParameter), wherever a URL appears: connection URLs, request targets, header values, and
 *    URLs quoted in our own texts (open, closed, error and note events, event notes).
 * Only the values are replaced, by "[redacted]", so a reader still sees that they were there. Message
 * payloads are left alone: they are what the user is inspecting.
 */
namespace wsi::redaction {

inline constexpr QLatin1StringView mask { "[redacted]" };

bool isSecretHeader(QByteArrayView name);
// Matched on the name normalised (lower case, separators dropped) and on its last word, so that "monkey",
// "keyboard", "author" or "tokens" stay readable while "apiKey" and "auth_key" do not.
bool isSecretQueryParameter(QStringView name);
// A URL or a request target ("/path?x=1"), with the user info and secret query values masked.
QString redactUrl(const QString& url);
// The URL without its user info and the '@' after it ("wss://user:pw@host/x" gives "wss://host/x"), every other
// character as it was; for what is kept (settings) rather than shown, where a mask would only be in the way.
QString withoutUserInfo(const QString& url);
// The URL and, when it carries a credential, the subprotocol masked.
Connection redacted(const Connection& c);
// Handshake events get their secret header values and request target masked line by line, every other byte
// kept (a head that does not parse is redacted too); open/closed/error/note texts and notes get their URLs
// masked; frames are returned as they are, payload shared.
Event redacted(const Event& e);

} // namespace wsi::redaction
