#include "harexporter.h"

#include "../wire/httphead.h"
#include "../wire/utf8.h"
#include "harformat.h"

#include <QDateTime>
#include <QIODevice>
#include <QUrl>

#include <limits>
#include <optional>

namespace wsi {

namespace {

constexpr qsizetype flushBytes = 1024 * 1024;

void appendRaw(QByteArray& out, const char* s)
{
    out.append(s);
}

void appendIndent(QByteArray& out, int level)
{
    out.append('\n');
    out.append(QByteArray(level * 2, ' '));
}

// JSON string contents for valid UTF-8. Besides quotes, backslashes and control characters, U+FEFF is escaped:
// QJsonDocument (and with it the reader) drops a raw byte order mark at the start of a string.
void appendEscaped(QByteArray& out, QByteArrayView utf8)
{
    static constexpr char hex[] = "0123456789abcdef";
    const char* p = utf8.data();
    const char* const end = p + utf8.size();
    const char* run = p;
    for (; p < end; ++p) {
        const auto c = static_cast<unsigned char>(*p);
        if (c == 0xEF && end - p >= 3 && static_cast<unsigned char>(p[1]) == 0xBB
            && static_cast<unsigned char>(p[2]) == 0xBF) {
            out.append(run, p - run);
            appendRaw(out, "\\ufeff");
            p += 2;
            run = p + 1;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        out.append(run, p - run);
        run = p + 1;
        switch (c) {
        case '"':
            appendRaw(out, "\\\"");
            break;
        case '\\':
            appendRaw(out, "\\\\");
            break;
        case '\n':
            appendRaw(out, "\\n");
            break;
        case '\r':
            appendRaw(out, "\\r");
            break;
        case '\t':
            appendRaw(out, "\\t");
            break;
        default: {
            const char esc[] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf] };
            out.append(esc, sizeof esc);
            break;
        }
        }
    }
    out.append(run, end - run);
}

// What a JSON string can carry of these bytes: themselves when they are UTF-8, else with replacement characters.
QByteArray representable(QByteArrayView bytes)
{
    return isValidUtf8(bytes) ? bytes.toByteArray() : QString::fromUtf8(bytes).toUtf8();
}

void appendString(QByteArray& out, QByteArrayView bytes)
{
    out.append('"');
    if (isValidUtf8(bytes))
        appendEscaped(out, bytes);
    else
        appendEscaped(out, representable(bytes));
    out.append('"');
}

void appendString(QByteArray& out, const QString& s)
{
    appendString(out, QByteArrayView(s.toUtf8()));
}

void appendKey(QByteArray& out, const char* key)
{
    out.append('"');
    out.append(key);
    appendRaw(out, "\": ");
}

// Epoch seconds with all six decimals, as a JSON number: a double holds today's microseconds exactly enough
// for the reader to round back to the same integer.
void appendSeconds(QByteArray& out, qint64 us)
{
    if (us < 0) {
        out.append('-');
        us = -us;
    }
    out += QByteArray::number(us / 1000000);
    out.append('.');
    out += QByteArray::number(us % 1000000).rightJustified(6, '0');
}

// A non-negative duration in milliseconds with three decimals.
void appendMilliseconds(QByteArray& out, qint64 us)
{
    us = std::max<qint64>(us, 0);
    out += QByteArray::number(us / 1000);
    out.append('.');
    out += QByteArray::number(us % 1000).rightJustified(3, '0');
}

QString isoDateTime(qint64 us)
{
    const qint64 ms = us >= 0 ? us / 1000 : -((-us + 999) / 1000);
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

std::optional<HttpHead> parsedHead(const std::optional<Event>& e, bool request)
{
    if (!e)
        return std::nullopt;
    HttpHead head;
    const HttpHead::Limits limits { e->payload.size() + 1, std::numeric_limits<int>::max() };
    const HttpHead::ParseResult result = HttpHead::parse(e->payload, head, limits);
    if (result.status != HttpHead::ParseStatus::Complete || result.consumed != e->payload.size()
        || head.isRequest() != request)
        return std::nullopt;
    return head;
}

void appendHeaders(QByteArray& out, const HttpHeaders& headers, int level)
{
    if (headers.isEmpty()) {
        appendRaw(out, "[]");
        return;
    }
    out.append('[');
    for (qsizetype i = 0; i < headers.size(); ++i) {
        appendIndent(out, level + 1);
        appendRaw(out, "{\"name\": ");
        appendString(out, QByteArrayView(headers.at(i).first));
        appendRaw(out, ", \"value\": ");
        appendString(out, QByteArrayView(headers.at(i).second));
        out.append('}');
        if (i + 1 < headers.size())
            out.append(',');
    }
    appendIndent(out, level);
    out.append(']');
}

// HAR's queryString: the URL's query parameters, decoded, in order.
void appendQueryString(QByteArray& out, const QString& url, int level)
{
    QStringView query;
    const qsizetype question = url.indexOf(u'?');
    if (question >= 0) {
        query = QStringView(url).sliced(question + 1);
        const qsizetype fragment = query.indexOf(u'#');
        if (fragment >= 0)
            query = query.first(fragment);
    }
    bool first = true;
    out.append('[');
    for (const QStringView pair : query.tokenize(u'&', Qt::SkipEmptyParts)) {
        const qsizetype eq = pair.indexOf(u'=');
        const QStringView name = eq < 0 ? pair : pair.first(eq);
        const QStringView value = eq < 0 ? QStringView() : pair.sliced(eq + 1);
        if (!first)
            out.append(',');
        first = false;
        appendIndent(out, level + 1);
        appendRaw(out, "{\"name\": ");
        appendString(out, QUrl::fromPercentEncoding(name.toUtf8()));
        appendRaw(out, ", \"value\": ");
        appendString(out, QUrl::fromPercentEncoding(value.toUtf8()));
        out.append('}');
    }
    if (!first)
        appendIndent(out, level);
    out.append(']');
}

// Bytes that must survive exactly: a JSON string when they are UTF-8, else base64 with "_encoding".
void appendData(QByteArray& out, const QByteArray& bytes, bool base64)
{
    appendRaw(out, ", \"data\": ");
    if (base64) {
        out.append('"');
        out += bytes.toBase64();
        out.append('"');
    } else {
        out.append('"');
        appendEscaped(out, bytes);
        out.append('"');
    }
}

QByteArray versionOf(const QString& app)
{
    const qsizetype space = app.lastIndexOf(u' ');
    return (space >= 0 ? app.sliced(space + 1) : app).toUtf8();
}

} // namespace

struct HarExporter::Entry
{
    Connection connection;
    bool described = false;
    std::optional<Event> request;
    std::optional<Event> response;
    std::optional<Event> close; // the first close frame
    std::optional<qint64> openUs;
    std::vector<Event> messages; // text and binary
    qint64 firstUs = std::numeric_limits<qint64>::max();
    qint64 lastUs = std::numeric_limits<qint64>::min();

    bool hasEvents() const { return firstUs != std::numeric_limits<qint64>::max(); }
    bool showsSomething() const { return described || request || response || close || openUs || !messages.empty(); }
};

HarExporter::HarExporter(QIODevice* out, const ExportOptions& options)
    : SessionExporter(out, options)
{ }

HarExporter::~HarExporter() = default;

HarExporter::Entry& HarExporter::entryFor(quint32 id)
{
    const auto found = m_index.constFind(id);
    if (found != m_index.cend())
        return m_entries[*found];
    m_index.insert(id, qsizetype(m_entries.size()));
    Entry& entry = m_entries.emplace_back();
    entry.connection.id = id;
    return entry;
}

void HarExporter::writeConnection(const Connection& c)
{
    Entry& entry = entryFor(c.id);
    entry.connection = c;
    entry.described = true;
}

void HarExporter::writeEvent(const Event& e)
{
    Entry& entry = entryFor(e.connection);
    entry.firstUs = std::min(entry.firstUs, e.timestampUs);
    entry.lastUs = std::max(entry.lastUs, e.timestampUs);
    switch (e.kind) {
    case EventKind::HandshakeRequest:
        if (!entry.request)
            entry.request = e;
        break;
    case EventKind::HandshakeResponse:
        if (!entry.response)
            entry.response = e;
        break;
    case EventKind::Open:
        if (!entry.openUs)
            entry.openUs = e.timestampUs;
        break;
    case EventKind::Text:
    case EventKind::Binary:
        entry.messages.push_back(e);
        break;
    case EventKind::Close:
        if (!entry.close)
            entry.close = e;
        break;
    case EventKind::Ping:
    case EventKind::Pong:
    case EventKind::Closed:
    case EventKind::Error:
    case EventKind::Note:
        break;
    }
}

void HarExporter::flushIfFull(QByteArray& out)
{
    if (out.size() >= flushBytes) {
        device()->write(out);
        out.clear();
    }
}

void HarExporter::writeEnd()
{
    qint64 earliest = std::numeric_limits<qint64>::max();
    for (const Entry& entry : m_entries)
        earliest = std::min(earliest, entry.firstUs);
    // Without a single event nothing says when: the epoch, which is also what HarReader makes of an entry
    // without times. The export time would make converting the same session twice give two different files.
    if (earliest == std::numeric_limits<qint64>::max())
        earliest = 0;

    QByteArray out;
    appendRaw(out, "{\n  \"log\": {\n    \"version\": \"1.2\",\n    \"creator\": {\"name\": ");
    appendString(out, QByteArrayView(har::creatorName.data(), har::creatorName.size()));
    appendRaw(out, ", \"version\": ");
    appendString(out, QByteArrayView(versionOf(options().app)));
    appendRaw(out, "},\n    \"pages\": [],\n    \"entries\": [");
    bool first = true;
    quint32 position = 0;
    for (const Entry& entry : m_entries) {
        if (!entry.showsSomething())
            continue; // events of no connection (id 0 notes): HAR has no place for them
        if (!first)
            out.append(',');
        first = false;
        appendEntry(out, entry, ++position, earliest);
        flushIfFull(out);
    }
    appendRaw(out, first ? "]\n  }\n}\n" : "\n    ]\n  }\n}\n");
    device()->write(out);
}

void HarExporter::appendEntry(QByteArray& out, const Entry& entry, quint32 position, qint64 fallbackStartUs) const
{
    const Connection& c = entry.connection;
    const std::optional<HttpHead> requestHead = parsedHead(entry.request, true);
    const std::optional<HttpHead> responseHead = parsedHead(entry.response, false);

    QString url = c.url;
    if (url.isEmpty() && requestHead) {
        url = QLatin1StringView("ws://") + QString::fromUtf8(requestHead->header("Host"))
            + QString::fromUtf8(requestHead->target);
    }

    // The request as HAR fields, and whether the reader could rebuild the recorded head from them.
    HttpHead request;
    request.method = requestHead ? representable(requestHead->method) : QByteArrayLiteral("GET");
    request.target = har::requestTarget(url);
    request.version = requestHead ? representable(requestHead->version) : QByteArrayLiteral("HTTP/1.1");
    if (requestHead) {
        for (const HttpHeader& h : requestHead->headers)
            request.headers.append({ representable(h.first), representable(h.second) });
    }
    const bool rawRequest = entry.request && request.toBytes() != entry.request->payload;

    // The response likewise. Without one: a connection that got as far as messages or an open state was
    // accepted (101), one that only sent its request got no answer (status 0, as browsers write it).
    HttpHead response;
    bool syntheticResponse = false;
    if (responseHead) {
        response.status = responseHead->status;
        response.reason = representable(responseHead->reason);
        response.version = representable(responseHead->version);
        for (const HttpHeader& h : responseHead->headers)
            response.headers.append({ representable(h.first), representable(h.second) });
    } else if (entry.response) {
        response.version.clear();
    } else if (!entry.request || entry.openUs || !entry.messages.empty() || entry.close) {
        response.status = 101;
        response.reason = QByteArrayLiteral("Switching Protocols");
        syntheticResponse = true;
    } else {
        response.version.clear();
    }
    const bool rawResponse = entry.response && (!responseHead || response.toBytes() != entry.response->payload);

    const qint64 startUs = entry.request ? entry.request->timestampUs
        : entry.hasEvents()              ? entry.firstUs
                                         : fallbackStartUs;
    const qint64 responseUs = entry.response ? entry.response->timestampUs : startUs;
    const qint64 endUs = std::max(entry.hasEvents() ? entry.lastUs : startUs, responseUs);

    appendIndent(out, 3);
    out.append('{');
    appendIndent(out, 4);
    appendKey(out, "startedDateTime");
    appendString(out, isoDateTime(startUs));
    out.append(',');
    appendIndent(out, 4);
    appendKey(out, "time");
    appendMilliseconds(out, (responseUs - startUs > 0 ? responseUs - startUs : 0) + (endUs - responseUs));

    // request
    out.append(',');
    appendIndent(out, 4);
    appendRaw(out, "\"request\": {");
    appendIndent(out, 5);
    appendKey(out, "method");
    appendString(out, QByteArrayView(request.method));
    out.append(',');
    appendIndent(out, 5);
    appendKey(out, "url");
    appendString(out, url);
    out.append(',');
    appendIndent(out, 5);
    appendKey(out, "httpVersion");
    appendString(out, QByteArrayView(request.version));
    out.append(',');
    appendIndent(out, 5);
    appendKey(out, "headers");
    appendHeaders(out, request.headers, 5);
    out.append(',');
    appendIndent(out, 5);
    appendKey(out, "queryString");
    appendQueryString(out, url, 5);
    appendRaw(out, ",");
    appendIndent(out, 5);
    appendRaw(out, "\"cookies\": [],");
    appendIndent(out, 5);
    appendKey(out, "headersSize");
    out += QByteArray::number(entry.request ? entry.request->payload.size() : -1);
    out.append(',');
    appendIndent(out, 5);
    appendRaw(out, "\"bodySize\": 0");
    if (entry.request) {
        out.append(',');
        appendIndent(out, 5);
        appendKey(out, "_time");
        appendSeconds(out, entry.request->timestampUs);
    } else {
        appendRaw(out, ",");
        appendIndent(out, 5);
        appendRaw(out, "\"_synthetic\": true,");
        appendIndent(out, 5);
        appendRaw(out, "\"comment\": \"the upgrade request was not recorded\"");
    }
    if (rawRequest) {
        out.append(',');
        appendIndent(out, 5);
        appendKey(out, "_rawHead");
        out.append('"');
        out += entry.request->payload.toBase64();
        out.append('"');
    }
    appendIndent(out, 4);
    out.append('}');

    // response
    out.append(',');
    appendIndent(out, 4);
    appendRaw(out, "\"response\": {");
    appendIndent(out, 5);
    appendKey(out, "status");
    out += QByteArray::number(response.status);
    out.append(',');
    appendIndent(out, 5);
    appendKey(out, "statusText");
    appendString(out, QByteArrayView(response.reason));
    out.append(',');
    appendIndent(out, 5);
    appendKey(out, "httpVersion");
    appendString(out, QByteArrayView(response.version));
    out.append(',');
    appendIndent(out, 5);
    appendKey(out, "headers");
    appendHeaders(out, response.headers, 5);
    out.append(',');
    appendIndent(out, 5);
    appendRaw(out, "\"cookies\": [],");
    appendIndent(out, 5);
    appendRaw(out, "\"content\": {\"size\": 0, \"mimeType\": \"\"},");
    appendIndent(out, 5);
    appendRaw(out, "\"redirectURL\": \"\",");
    appendIndent(out, 5);
    appendKey(out, "headersSize");
    out += QByteArray::number(entry.response ? entry.response->payload.size() : -1);
    out.append(',');
    appendIndent(out, 5);
    appendRaw(out, "\"bodySize\": 0");
    if (entry.response) {
        out.append(',');
        appendIndent(out, 5);
        appendKey(out, "_time");
        appendSeconds(out, entry.response->timestampUs);
    } else {
        if (syntheticResponse) {
            out.append(',');
            appendIndent(out, 5);
            appendRaw(out, "\"_synthetic\": true");
        }
        out.append(',');
        appendIndent(out, 5);
        appendRaw(out, "\"comment\": \"the upgrade response was not recorded\"");
    }
    if (rawResponse) {
        out.append(',');
        appendIndent(out, 5);
        appendKey(out, "_rawHead");
        out.append('"');
        out += entry.response->payload.toBase64();
        out.append('"');
    }
    appendIndent(out, 4);
    out.append('}');

    out.append(',');
    appendIndent(out, 4);
    appendRaw(out, "\"cache\": {},");
    appendIndent(out, 4);
    appendRaw(out, "\"timings\": {\"blocked\": -1, \"dns\": -1, \"connect\": -1, \"ssl\": -1, \"send\": 0, \"wait\": ");
    appendMilliseconds(out, responseUs - startUs);
    appendRaw(out, ", \"receive\": ");
    appendMilliseconds(out, endUs - responseUs);
    out.append('}');

    // Where the peer is: serverIPAddress for a client's peer; the port comes from the URL on the way back.
    QString derivedPeer;
    if (c.role == ConnectionRole::Client && !c.peer.isEmpty()) {
        const QString address = har::peerAddress(c.peer);
        out.append(',');
        appendIndent(out, 4);
        appendKey(out, "serverIPAddress");
        appendString(out, address);
        derivedPeer = har::peer(address, url);
    }
    if (c.peer != derivedPeer) {
        out.append(',');
        appendIndent(out, 4);
        appendKey(out, "_peer");
        appendString(out, c.peer);
    }
    out.append(',');
    appendIndent(out, 4);
    appendRaw(out, "\"_resourceType\": \"websocket\"");
    if (c.id != position) {
        out.append(',');
        appendIndent(out, 4);
        appendKey(out, "_connectionId");
        out += QByteArray::number(c.id);
    }
    if (c.role != ConnectionRole::Client) {
        out.append(',');
        appendIndent(out, 4);
        appendKey(out, "_role");
        appendString(out, roleName(c.role));
    }
    const QString derivedSubprotocol
        = responseHead ? QString::fromUtf8(responseHead->header("Sec-WebSocket-Protocol").trimmed()) : QString();
    if (c.subprotocol != derivedSubprotocol) {
        out.append(',');
        appendIndent(out, 4);
        appendKey(out, "_subprotocol");
        appendString(out, c.subprotocol);
    }
    if (entry.openUs) {
        out.append(',');
        appendIndent(out, 4);
        appendKey(out, "_openTime");
        appendSeconds(out, *entry.openUs);
    }

    out.append(',');
    appendIndent(out, 4);
    appendRaw(out, "\"_webSocketMessages\": [");
    for (std::size_t i = 0; i < entry.messages.size(); ++i) {
        const Event& m = entry.messages[i];
        const bool text = m.kind == EventKind::Text;
        const bool base64 = !text || !isValidUtf8(m.payload);
        appendIndent(out, 5);
        appendRaw(out,
            m.direction == Direction::C2S ? "{\"type\": \"send\", \"time\": " : "{\"type\": \"receive\", \"time\": ");
        appendSeconds(out, m.timestampUs);
        appendRaw(out, text ? ", \"opcode\": 1" : ", \"opcode\": 2");
        appendData(out, m.payload, base64);
        if (text && base64)
            appendRaw(out, ", \"_encoding\": \"base64\"");
        out.append('}');
        if (i + 1 < entry.messages.size())
            out.append(',');
        if (out.size() >= flushBytes) {
            device()->write(out);
            out.clear();
        }
    }
    if (!entry.messages.empty())
        appendIndent(out, 4);
    out.append(']');

    if (entry.close) {
        const Event& close = *entry.close;
        out.append(',');
        appendIndent(out, 4);
        appendRaw(out, "\"_webSocketClose\": {");
        if (close.closeCode != 0) {
            appendKey(out, "code");
            out += QByteArray::number(close.closeCode);
            appendRaw(out, ", ");
        }
        appendRaw(out, "\"reason\": ");
        const bool base64 = !isValidUtf8(close.payload);
        if (base64) {
            out.append('"');
            out += close.payload.toBase64();
            appendRaw(out, "\", \"_encoding\": \"base64\"");
        } else {
            appendString(out, QByteArrayView(close.payload));
        }
        appendRaw(out,
            close.direction == Direction::C2S ? ", \"by\": \"client\", \"time\": "
                                              : ", \"by\": \"server\", \"time\": ");
        appendSeconds(out, close.timestampUs);
        out.append('}');
    }
    appendIndent(out, 3);
    out.append('}');
}

} // namespace wsi
