#pragma once

#include "../core/connection.h"
#include "../core/event.h"

#include <QByteArrayView>
#include <QString>

/*
 * Secrets taken out of what leaves the app in an export: the values of the Authorization,
 * Proxy-Authorization, Cookie and Set-Cookie headers (and a few well-known token headers), the password of
 * a URL's user info, and query parameters whose names say they hold a credential (token, access_token,
 * api_key, ...). Only the values are replaced, by "[redacted]", so a reader still sees that they were there.
 * Message payloads are left alone: they are what the user is inspecting.
 */
namespace wsi::redaction {

inline constexpr QLatin1StringView mask { "[redacted]" };

bool isSecretHeader(QByteArrayView name);
bool isSecretQueryParameter(QStringView name);
// A URL or a request target ("/path?x=1"), with the password and secret query values masked.
QString redactUrl(const QString& url);
Connection redacted(const Connection& c);
// Handshake events get their secret header values and request target masked (the raw head is rebuilt);
// every other kind is returned as it is.
Event redacted(const Event& e);

} // namespace wsi::redaction
