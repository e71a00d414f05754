#include "handshake.h"

#include <QCryptographicHash>
#include <QRandomGenerator>

namespace wsi::handshake {

namespace {
constexpr QByteArrayView WebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

Verdict reject(int status, const char* why)
{
    return { false, status, QByteArray(why) };
}

QList<QByteArray> tokens(const HttpHead& head, QByteArrayView name)
{
    QList<QByteArray> out;
    for (const auto& h : head.headers) {
        if (name.compare(h.first, Qt::CaseInsensitive) != 0)
            continue;
        for (const QByteArray& part : h.second.split(',')) {
            const QByteArray t = part.trimmed();
            if (!t.isEmpty())
                out.append(t);
        }
    }
    return out;
}

// "HTTP/1.1", "HTTP/1.2", "HTTP/2.0"...: RFC 6455 asks for at least 1.1.
bool isHttp11OrLater(const QByteArray& version)
{
    if (!version.startsWith("HTTP/"))
        return false;
    const QList<QByteArray> parts = version.mid(5).split('.');
    if (parts.size() != 2)
        return false;
    bool okMajor = false;
    bool okMinor = false;
    const int major = parts[0].toInt(&okMajor);
    const int minor = parts[1].toInt(&okMinor);
    return okMajor && okMinor && (major > 1 || (major == 1 && minor >= 1));
}
} // namespace

QByteArray acceptKey(QByteArrayView key)
{
    QCryptographicHash sha1(QCryptographicHash::Sha1);
    sha1.addData(key);
    sha1.addData(WebSocketGuid);
    return sha1.result().toBase64();
}

QByteArray newKey()
{
    QByteArray raw(16, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32*>(raw.data()), 4);
    return raw.toBase64();
}

HttpHead buildRequest(const ClientRequest& r)
{
    HttpHead head;
    head.method = "GET";
    QByteArray target = r.url.path(QUrl::FullyEncoded).toLatin1();
    if (target.isEmpty())
        target = "/";
    if (r.url.hasQuery())
        target += '?' + r.url.query(QUrl::FullyEncoded).toLatin1();
    head.target = target;
    const bool secure = r.url.scheme() == QLatin1StringView("wss");
    const int defaultPort = secure ? 443 : 80;
    QByteArray host = r.url.host(QUrl::FullyEncoded).toLatin1();
    if (host.contains(':'))
        host = '[' + host + ']';
    if (r.url.port(defaultPort) != defaultPort)
        host += ':' + QByteArray::number(r.url.port());
    head.headers = {
        { "Host", host },
        { "Upgrade", "websocket" },
        { "Connection", "Upgrade" },
        { "Sec-WebSocket-Key", r.key },
        { "Sec-WebSocket-Version", "13" },
    };
    if (!r.origin.isEmpty())
        head.headers.append({ "Origin", r.origin.toUtf8() });
    if (!r.subprotocols.isEmpty())
        head.headers.append({ "Sec-WebSocket-Protocol", r.subprotocols.join(QLatin1StringView(", ")).toUtf8() });
    head.headers.append(r.extraHeaders);
    return head;
}

Verdict checkRequest(const HttpHead& request)
{
    if (!request.isRequest())
        return reject(400, "not an HTTP request");
    if (request.method != "GET")
        return reject(405, "only GET can upgrade to a WebSocket");
    if (!isHttp11OrLater(request.version))
        return reject(400, "the upgrade needs HTTP/1.1 or later");
    if (!request.headerContainsToken("Upgrade", "websocket"))
        return reject(426, "not a WebSocket upgrade request (no \"Upgrade: websocket\" header)");
    if (!request.headerContainsToken("Connection", "upgrade"))
        return reject(400, "missing \"Connection: Upgrade\"");
    if (!request.hasHeader("Host"))
        return reject(400, "missing Host header");
    if (request.header("Sec-WebSocket-Version").trimmed() != "13")
        return reject(426, "unsupported Sec-WebSocket-Version (only 13 is spoken)");
    const QByteArray key = request.header("Sec-WebSocket-Key").trimmed();
    const auto decodedKey = QByteArray::fromBase64Encoding(key, QByteArray::AbortOnBase64DecodingErrors);
    if (!decodedKey || decodedKey.decoded.size() != 16 || key.size() != 24)
        return reject(400, "Sec-WebSocket-Key is not 16 bytes in base64");
    return { true, 101, {} };
}

HttpHead buildResponse(const HttpHead& request, const QStringList& acceptedSubprotocols, QByteArray* chosen)
{
    HttpHead head;
    head.status = 101;
    head.reason = "Switching Protocols";
    head.headers = {
        { "Upgrade", "websocket" },
        { "Connection", "Upgrade" },
        { "Sec-WebSocket-Accept", acceptKey(request.header("Sec-WebSocket-Key").trimmed()) },
    };
    for (const QByteArray& offered : tokens(request, "Sec-WebSocket-Protocol")) {
        if (acceptedSubprotocols.contains(QString::fromUtf8(offered))) {
            head.headers.append({ "Sec-WebSocket-Protocol", offered });
            if (chosen)
                *chosen = offered;
            break;
        }
    }
    return head;
}

QByteArray errorResponse(int status, QByteArrayView reason, QByteArrayView body, const HttpHeaders& extraHeaders)
{
    HttpHead head;
    head.status = status;
    head.reason = reason.toByteArray();
    head.headers = {
        { "Content-Type", "text/plain; charset=utf-8" },
        { "Content-Length", QByteArray::number(body.size()) },
        { "Connection", "close" },
    };
    head.headers.append(extraHeaders);
    return head.toBytes() + body.toByteArray();
}

Verdict checkResponse(const HttpHead& response, QByteArrayView key, const QStringList& offeredSubprotocols)
{
    if (response.isRequest())
        return reject(0, "the server answered with a request instead of a response");
    if (response.status != 101) {
        return { false, response.status,
            "the server answered " + QByteArray::number(response.status) + ' ' + response.reason
                + " instead of 101 Switching Protocols" };
    }
    if (!response.headerContainsToken("Upgrade", "websocket"))
        return reject(101, "the server's answer lacks \"Upgrade: websocket\"");
    if (!response.headerContainsToken("Connection", "upgrade"))
        return reject(101, "the server's answer lacks \"Connection: Upgrade\"");
    if (response.header("Sec-WebSocket-Accept").trimmed() != acceptKey(key))
        return reject(101, "the server's Sec-WebSocket-Accept does not match our key");
    if (!tokens(response, "Sec-WebSocket-Extensions").isEmpty())
        return reject(101, "the server enabled an extension that was not offered");
    const QList<QByteArray> chosen = tokens(response, "Sec-WebSocket-Protocol");
    if (chosen.size() > 1)
        return reject(101, "the server chose more than one subprotocol");
    if (chosen.size() == 1 && !offeredSubprotocols.contains(QString::fromUtf8(chosen.front())))
        return reject(101, "the server chose a subprotocol that was not offered");
    return { true, 101, {} };
}

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 426:
        return "Upgrade Required";
    case 431:
        return "Request Header Fields Too Large";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Error";
    }
}

} // namespace wsi::handshake
