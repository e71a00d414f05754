#pragma once

#include "../core/connection.h"
#include "../core/event.h"

#include <QByteArrayView>
#include <QString>

/*
 * Secrets taken out of what leaves the app in an export: the values of the Authorization,
 * Proxy-Authorization, Cookie and Set-Cookie headers (and a few well-known token headers), the password of
 * a URL's user info, and query (or fragment) parameters whose names say they hold a credential (token,
 * access_token, api_key, ...), wherever a URL appears: connection URLs, request targets, and URLs quoted in
 * our own texts (open, closed, error and note events, event notes; "connected to wss://..."). Only the values
 * are replaced, by "[redacted]", so a reader still sees that they were there. Message payloads are left
 * alone: they are what the user is inspecting.
 */
namespace wsi::redaction {

inline constexpr QLatin1StringView mask { "[redacted]" };

bool isSecretHeader(QByteArrayView name);
bool isSecretQueryParameter(QStringView name);
// A URL or a request target ("/path?x=1"), with the password and secret query values masked.
QString redactUrl(const QString& url);
Connection redacted(const Connection& c);
// Handshake events get their secret header values and request target masked line by line, every other byte
// kept (a head that does not parse is redacted too); open/closed/error/note texts and notes get their URLs
// masked; frames are returned as they are, payload shared.
Event redacted(const Event& e);

} // namespace wsi::redaction
