#pragma once

#include <QByteArray>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringView>

#include <optional>

namespace wsi {

using HttpHeader = QPair<QByteArray, QByteArray>;
using HttpHeaders = QList<HttpHeader>;

/*
 * An HTTP/1.1 request or response head (start line and headers, no body), as exchanged in the WebSocket
 * upgrade. Header order and the spelling of names are kept exactly as they were on the wire. Handshake
 * events carry their head serialized with toBytes() as their payload.
 */
struct HttpHead
{
    // Request start line
    QByteArray method; // empty for a response
    QByteArray target; // "/chat?x=1"
    // Response start line
    int status = 0; // 0 for a request
    QByteArray reason;
    QByteArray version = QByteArrayLiteral("HTTP/1.1");
    HttpHeaders headers;

    bool isRequest() const { return !method.isEmpty(); }
    // First header value by case-insensitive name; empty when absent.
    QByteArray header(QByteArrayView name) const;
    bool hasHeader(QByteArrayView name) const;
    // True when a comma-separated header (e.g. Connection: keep-alive, Upgrade) contains token, any case.
    bool headerContainsToken(QByteArrayView name, QByteArrayView token) const;

    // "GET /x HTTP/1.1\r\nName: value\r\n...\r\n\r\n"
    QByteArray toBytes() const;

    struct Limits
    {
        qsizetype maxHeadBytes = 16 * 1024;
        int maxHeaders = 100;
    };
    enum class ParseStatus {
        Complete,
        Incomplete, // more bytes needed
        Invalid,
    };
    struct ParseResult
    {
        ParseStatus status = ParseStatus::Incomplete;
        qsizetype consumed = 0; // bytes of the head including the blank line, when Complete
        QByteArray error; // why, when Invalid
    };
    // Parses a head from the start of data. Accepts CRLF or bare LF line ends; never reads past the blank
    // line; rejects heads over the limits, malformed start lines and header lines.
    static ParseResult parse(QByteArrayView data, HttpHead& out, const Limits& limits);
    static ParseResult parse(QByteArrayView data, HttpHead& out) { return parse(data, out, Limits {}); }
};

// An RFC 9110 token: what header names and subprotocol names are made of (letters, digits, !#$%&'*+-.^_`|~).
bool isHttpToken(QByteArrayView s);
bool isHttpToken(QStringView s);
// A header value as typed by a user: no control characters (a CR or LF would end the header early); tab is fine.
bool isHttpFieldValue(QStringView s);

// Why the header "name: value" cannot be added to the client's upgrade request, or an empty string when it can.
// Besides malformed names and values, it refuses the headers the client writes itself (Host, Upgrade,
// Connection, Sec-WebSocket-Key/-Version/-Extensions) or from its own settings (Sec-WebSocket-Protocol,
// Origin): a second copy makes the request ambiguous, and servers answer 400. The reason reads well in the
// GUI and on the command line alike.
QString extraHeaderProblem(QStringView name, QStringView value);

} // namespace wsi
