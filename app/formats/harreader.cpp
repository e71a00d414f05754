#include "harreader.h"

#include "../wire/httphead.h"
#include "harformat.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

#include <cmath>
#include <limits>
#include <queue>

namespace wsi {

namespace {

constexpr qint64 readChunkBytes = 1024 * 1024;
// Epoch seconds beyond this are not seconds: some tools write milliseconds where Chrome writes seconds.
constexpr double maxPlausibleSeconds = 1e11;
constexpr double maxTimeValue = 1e15;
// Times are kept to the microsecond and the monotonic clock to the nanosecond, in 64 bits: beyond about the
// year 2261 the nanoseconds overflow (the session file's own limit on "ts"), so such times are not usable.
constexpr double maxTimestampUs = 9.2e15;

std::optional<qint64> usableMicroseconds(double us)
{
    if (!(std::abs(us) <= maxTimestampUs)) // NaN too
        return std::nullopt;
    return std::llround(us);
}

QString notAHarFile(const QString& why)
{
    return QStringLiteral("not a HAR file (%1)").arg(why);
}

// "line L, column C" for a byte offset; the column counts characters, not UTF-8 bytes.
QString position(const QByteArray& bytes, qsizetype offset)
{
    offset = std::clamp<qsizetype>(offset, 0, bytes.size());
    const QByteArrayView before = QByteArrayView(bytes).first(offset);
    const qsizetype line = before.count('\n') + 1;
    const qsizetype lineStart = before.lastIndexOf('\n') + 1;
    qsizetype column = 1;
    for (qsizetype i = lineStart; i < offset; ++i) {
        if ((static_cast<unsigned char>(bytes.at(i)) & 0xC0) != 0x80)
            ++column;
    }
    return QStringLiteral("line %1, column %2").arg(QString::number(line), QString::number(column));
}

QString typeName(const QJsonValue& v)
{
    switch (v.type()) {
    case QJsonValue::Null:
        return QStringLiteral("null");
    case QJsonValue::Bool:
        return QStringLiteral("a boolean");
    case QJsonValue::Double:
        return QStringLiteral("a number");
    case QJsonValue::String:
        return QStringLiteral("a string");
    case QJsonValue::Array:
        return QStringLiteral("an array");
    case QJsonValue::Object:
        return QStringLiteral("an object");
    case QJsonValue::Undefined:
        break;
    }
    return QStringLiteral("missing");
}

// "expected a number, found a string"
QString expected(const QString& what, const QJsonValue& found)
{
    return QStringLiteral("expected %1, found %2").arg(what, typeName(found));
}

std::optional<qint64> integer(const QJsonValue& v)
{
    if (!v.isDouble())
        return std::nullopt;
    const double d = v.toDouble();
    if (d != std::floor(d) || std::abs(d) > 9e15)
        return std::nullopt;
    return qint64(d);
}

bool isWebSocketUrl(const QString& url)
{
    return url.startsWith(QLatin1StringView("ws://"), Qt::CaseInsensitive)
        || url.startsWith(QLatin1StringView("wss://"), Qt::CaseInsensitive);
}

// Base64 as Chrome writes it; anything else (a stray character, a character beyond Latin-1, which toLatin1
// turns into '?') is an error rather than silently skipped.
std::optional<QByteArray> strictBase64(const QString& text)
{
    auto decoded = QByteArray::fromBase64Encoding(
        text.toLatin1(), QByteArray::Base64Encoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    return std::move(*decoded);
}

bool upgradesToWebSocket(const QJsonObject& response)
{
    if (integer(response.value(QLatin1StringView("status"))) != 101)
        return false;
    const QJsonArray headers = response.value(QLatin1StringView("headers")).toArray();
    for (const QJsonValue& h : headers) {
        const QJsonObject header = h.toObject();
        if (header.value(QLatin1StringView("name"))
                    .toString()
                    .compare(QLatin1StringView("upgrade"), Qt::CaseInsensitive)
                == 0
            && header.value(QLatin1StringView("value"))
                   .toString()
                   .contains(QLatin1StringView("websocket"), Qt::CaseInsensitive))
            return true;
    }
    return false;
}

bool isWebSocketEntry(const QJsonObject& entry)
{
    if (entry.value(QLatin1StringView("_resourceType"))
            .toString()
            .compare(QLatin1StringView("websocket"), Qt::CaseInsensitive)
        == 0)
        return true;
    if (entry.contains(QLatin1StringView("_webSocketMessages")))
        return true;
    const QJsonObject request = entry.value(QLatin1StringView("request")).toObject();
    if (isWebSocketUrl(request.value(QLatin1StringView("url")).toString()))
        return true;
    return upgradesToWebSocket(entry.value(QLatin1StringView("response")).toObject());
}

Event makeImported(quint32 connection, qint64 us, Direction direction, EventKind kind, QByteArray payload)
{
    Event e;
    e.connection = connection;
    e.timestampUs = us;
    e.monotonicNs = us * 1000;
    e.direction = direction;
    e.kind = kind;
    if (direction != Direction::None)
        e.flags = FlagFin | (direction == Direction::C2S ? FlagMasked : 0); // clients always mask
    e.size = payload.size();
    e.payload = std::move(payload);
    return e;
}

// One HAR file's worth of connections and their events, before they are merged into one timeline.
class Loader
{
public:
    explicit Loader(SessionData& out)
        : m_out(out)
    { }

    bool load(const QJsonDocument& doc, qint64 bytesTotal, const SessionReader::Progress& progress, QString* error)
    {
        const QJsonObject log = doc.object().value(QLatin1StringView("log")).toObject();
        if (!doc.isObject() || !log.contains(QLatin1StringView("entries"))) {
            *error = notAHarFile(QStringLiteral("no log.entries"));
            return false;
        }
        const QJsonValue entriesValue = log.value(QLatin1StringView("entries"));
        if (!entriesValue.isArray()) {
            *error = notAHarFile(
                QStringLiteral("log.entries: %1").arg(expected(QStringLiteral("an array"), entriesValue)));
            return false;
        }
        const QJsonObject creator = log.value(QLatin1StringView("creator")).toObject();
        const QString creatorName = creator.value(QLatin1StringView("name")).toString();
        m_ours = creatorName == har::creatorName;
        m_out.app = QString(creatorName + u' ' + creator.value(QLatin1StringView("version")).toString()).trimmed();
        m_out.created = log.value(QLatin1StringView("pages"))
                            .toArray()
                            .at(0)
                            .toObject()
                            .value(QLatin1StringView("startedDateTime"))
                            .toString();

        const QJsonArray entries = entriesValue.toArray();
        qsizetype webSocketEntries = 0;
        qsizetype otherEntries = 0;
        for (qsizetype i = 0; i < entries.size(); ++i) {
            if (progress && !progress(bytesTotal, bytesTotal)) {
                *error = QStringLiteral("loading was cancelled");
                return false;
            }
            const QString where = QStringLiteral("log.entries[%1]").arg(QString::number(i));
            const QJsonValue value = entries.at(i);
            if (!value.isObject()) {
                warn(QStringLiteral("%1: %2; skipped").arg(where, expected(QStringLiteral("an object"), value)));
                continue;
            }
            const QJsonObject entry = value.toObject();
            if (!isWebSocketEntry(entry)) {
                ++otherEntries;
                continue;
            }
            addEntry(entry, where, quint32(++webSocketEntries));
        }
        if (m_connections.empty()) {
            if (webSocketEntries > 0) {
                *error = QStringLiteral("no WebSocket entry in this HAR file could be read (%1)")
                             .arg(m_out.warnings.value(0));
            } else {
                *error = QStringLiteral("no WebSocket connections in this HAR file (%1 %2)")
                             .arg(QString::number(entries.size()),
                                 entries.size() == 1 ? QStringLiteral("entry") : QStringLiteral("entries"));
            }
            return false;
        }
        if (otherEntries > 0) {
            m_out.warnings.prepend(otherEntries == 1
                    ? QStringLiteral("skipped 1 entry that is not a WebSocket connection")
                    : QStringLiteral("skipped %1 entries that are not WebSocket connections")
                          .arg(QString::number(otherEntries)));
        }
        if (m_unlistedWarnings > 0) {
            m_out.warnings.append(
                QStringLiteral("%1 more warnings were not listed").arg(QString::number(m_unlistedWarnings)));
        }
        merge();
        return true;
    }

private:
    struct Imported
    {
        Connection connection;
        std::vector<Event> events;
    };

    void warn(const QString& text)
    {
        if (m_out.warnings.size() < SessionReader::maxWarnings)
            m_out.warnings.append(text);
        else
            ++m_unlistedWarnings;
    }

    // Epoch seconds (Chrome's message time) to microseconds; nullopt for anything that is not a usable time.
    std::optional<qint64> microseconds(const QJsonValue& v, const QString& where)
    {
        if (!v.isDouble())
            return std::nullopt;
        double seconds = v.toDouble();
        if (std::abs(seconds) > maxTimeValue)
            return std::nullopt;
        if (std::abs(seconds) > maxPlausibleSeconds) {
            if (!m_warnedMilliseconds.contains(where))
                warn(QStringLiteral("%1: times look like milliseconds, not seconds; read as such").arg(where));
            m_warnedMilliseconds.insert(where);
            seconds /= 1000;
        }
        return usableMicroseconds(seconds * 1e6);
    }

    // A HAR headers array as HTTP headers; entries that are not {name, value} strings cost themselves.
    HttpHeaders headers(const QJsonObject& parent, const QString& where)
    {
        HttpHeaders out;
        const QJsonValue value = parent.value(QLatin1StringView("headers"));
        if (value.isUndefined() || value.isNull())
            return out;
        if (!value.isArray()) {
            warn(QStringLiteral("%1.headers: %2; no headers read")
                     .arg(where, expected(QStringLiteral("an array"), value)));
            return out;
        }
        const QJsonArray array = value.toArray();
        for (qsizetype i = 0; i < array.size(); ++i) {
            const QJsonObject header = array.at(i).toObject();
            const QJsonValue name = header.value(QLatin1StringView("name"));
            const QJsonValue v = header.value(QLatin1StringView("value"));
            if (!name.isString() || !v.isString()) {
                warn(QStringLiteral("%1.headers[%2]: expected {\"name\": string, \"value\": string}; skipped")
                         .arg(where, QString::number(i)));
                continue;
            }
            // HTTP/2 pseudo-headers (":authority") have no place in an HTTP/1.1 head.
            if (name.toString().startsWith(u':'))
                continue;
            out.append({ name.toString().toUtf8(), v.toString().toUtf8() });
        }
        return out;
    }

    std::optional<QByteArray> rawHead(const QJsonObject& parent, const QString& where)
    {
        const QJsonValue raw = parent.value(QLatin1StringView("_rawHead"));
        if (raw.isUndefined())
            return std::nullopt;
        if (raw.isString()) {
            if (auto bytes = strictBase64(raw.toString()))
                return bytes;
        }
        warn(QStringLiteral("%1._rawHead: expected base64; the head is rebuilt from the HAR fields").arg(where));
        return std::nullopt;
    }

    QString optionalString(const QJsonObject& parent, QLatin1StringView key, const QString& where)
    {
        const QJsonValue v = parent.value(key);
        if (v.isUndefined() || v.isNull())
            return {};
        if (!v.isString()) {
            warn(QStringLiteral("%1.%2: %3; ignored").arg(where, key, expected(QStringLiteral("a string"), v)));
            return {};
        }
        return v.toString();
    }

    // Sum of the timings before the response arrived, in microseconds (negative values mean "not known").
    static qint64 timingsBeforeResponseUs(const QJsonObject& entry)
    {
        const QJsonObject timings = entry.value(QLatin1StringView("timings")).toObject();
        double ms = 0;
        for (const char* key : { "blocked", "dns", "connect", "send", "wait" }) {
            const double v = timings.value(QLatin1StringView(key)).toDouble(-1);
            if (v > 0 && v < maxTimeValue)
                ms += v;
        }
        return std::llround(std::min(ms * 1000, maxTimestampUs));
    }

    // Ids count the connections from 1; a HAR of ours may say which id a connection had (a part of a session,
    // connections numbered in another order), and gets it back when it is free.
    quint32 connectionId(const QJsonObject& entry, quint32 position, const QString& where)
    {
        std::optional<qint64> wanted;
        if (m_ours) {
            wanted = position;
            const QJsonValue given = entry.value(QLatin1StringView("_connectionId"));
            if (!given.isUndefined()) {
                const auto id = integer(given);
                if (id && *id > 0 && *id <= std::numeric_limits<quint32>::max())
                    wanted = id;
                else
                    warn(QStringLiteral("%1._connectionId: expected a positive integer; ignored").arg(where));
            }
        }
        quint32 id = wanted && !m_usedIds.contains(quint32(*wanted)) ? quint32(*wanted) : 0;
        while (id == 0 || m_usedIds.contains(id))
            id = m_nextId++;
        m_usedIds.insert(id);
        return id;
    }

    void addEntry(const QJsonObject& entry, const QString& where, quint32 position)
    {
        const QJsonValue requestValue = entry.value(QLatin1StringView("request"));
        if (!requestValue.isObject()) {
            warn(QStringLiteral("%1.request: %2; entry skipped")
                     .arg(where, expected(QStringLiteral("an object"), requestValue)));
            return;
        }
        const QJsonObject request = requestValue.toObject();
        const QJsonValue urlValue = request.value(QLatin1StringView("url"));
        if (!urlValue.isString()) {
            warn(QStringLiteral("%1.request.url: %2; entry skipped")
                     .arg(where, expected(QStringLiteral("a string"), urlValue)));
            return;
        }
        const QString harUrl = urlValue.toString();
        const quint32 id = connectionId(entry, position, where);
        Imported imported;
        Connection& c = imported.connection;
        c.id = id;
        c.url = har::webSocketUrl(harUrl);
        c.role = ConnectionRole::Client;
        if (const QString role = optionalString(entry, QLatin1StringView("_role"), where); !role.isEmpty()) {
            if (const auto parsed = roleFromName(role))
                c.role = *parsed;
            else
                warn(QStringLiteral("%1._role: unknown role \"%2\"; read as client").arg(where, role));
        }
        const QString serverIp = optionalString(entry, QLatin1StringView("serverIPAddress"), where);
        c.peer = entry.contains(QLatin1StringView("_peer")) ? optionalString(entry, QLatin1StringView("_peer"), where)
                                                            : har::peer(serverIp, c.url);

        // The messages first: their times stand in for a missing or broken startedDateTime.
        std::vector<Event> messages = this->messages(entry, where, id);

        std::optional<qint64> startUs;
        QString badStart;
        const QJsonValue started = entry.value(QLatin1StringView("startedDateTime"));
        if (started.isString()) {
            const QDateTime t = QDateTime::fromString(started.toString(), Qt::ISODateWithMs);
            if (t.isValid())
                startUs = usableMicroseconds(double(t.toMSecsSinceEpoch()) * 1000);
            badStart
                = QStringLiteral("%1: \"%2\"")
                      .arg(t.isValid() ? QStringLiteral("not a usable date") : QStringLiteral("not an ISO 8601 date"),
                          started.toString());
        } else {
            badStart = expected(QStringLiteral("a string"), started);
        }
        if (!startUs) {
            startUs = messages.empty() ? 0 : messages.front().timestampUs;
            warn(QStringLiteral("%1.startedDateTime: %2; the connection starts at its first message")
                     .arg(where, badStart));
        }

        const bool syntheticRequest = m_ours && request.value(QLatin1StringView("_synthetic")).toBool();
        const qint64 requestUs = microseconds(request.value(QLatin1StringView("_time")), where).value_or(*startUs);
        if (!syntheticRequest) {
            QByteArray head;
            if (const auto raw = rawHead(request, where + QLatin1StringView(".request"))) {
                head = *raw;
            } else {
                HttpHead h;
                h.method = optionalString(request, QLatin1StringView("method"), where + QLatin1StringView(".request"))
                               .toUtf8();
                if (h.method.isEmpty())
                    h.method = QByteArrayLiteral("GET");
                h.target = har::requestTarget(harUrl);
                const QString version
                    = optionalString(request, QLatin1StringView("httpVersion"), where + QLatin1StringView(".request"));
                if (!version.isEmpty())
                    h.version = version.toUtf8();
                h.headers = headers(request, where + QLatin1StringView(".request"));
                head = h.toBytes();
            }
            imported.events.push_back(makeImported(id, requestUs, Direction::None, EventKind::HandshakeRequest, head));
        }

        // The response head, when there was one: status 0 is how browsers write "no answer".
        std::optional<qint64> openUs;
        const QJsonValue responseValue = entry.value(QLatin1StringView("response"));
        const QString responseWhere = where + QLatin1StringView(".response");
        if (responseValue.isObject()) {
            const QJsonObject response = responseValue.toObject();
            const QJsonValue statusValue = response.value(QLatin1StringView("status"));
            const std::optional<qint64> status = integer(statusValue);
            const bool synthetic = m_ours && response.value(QLatin1StringView("_synthetic")).toBool();
            qint64 responseUs = std::min(requestUs + timingsBeforeResponseUs(entry), qint64(maxTimestampUs));
            if (!messages.empty())
                responseUs = std::max(requestUs, std::min(responseUs, messages.front().timestampUs));
            responseUs = microseconds(response.value(QLatin1StringView("_time")), responseWhere).value_or(responseUs);
            if (!status || *status < 0 || *status > 999) {
                warn(QStringLiteral("%1.status: %2; the response head is left out")
                         .arg(responseWhere,
                             status ? QStringLiteral("%1 is not an HTTP status").arg(QString::number(*status))
                                    : expected(QStringLiteral("a number"), statusValue)));
            } else if (*status != 0 && !synthetic) {
                QByteArray head;
                if (const auto raw = rawHead(response, responseWhere)) {
                    head = *raw;
                } else {
                    HttpHead h;
                    h.status = int(*status);
                    h.reason = optionalString(response, QLatin1StringView("statusText"), responseWhere).toUtf8();
                    const QString version = optionalString(response, QLatin1StringView("httpVersion"), responseWhere);
                    if (!version.isEmpty())
                        h.version = version.toUtf8();
                    h.headers = headers(response, responseWhere);
                    head = h.toBytes();
                }
                HttpHead parsed;
                if (HttpHead::parse(head, parsed, HttpHead::Limits { head.size() + 1, std::numeric_limits<int>::max() })
                        .status
                    == HttpHead::ParseStatus::Complete) {
                    c.subprotocol = QString::fromUtf8(parsed.header("Sec-WebSocket-Protocol").trimmed());
                }
                imported.events.push_back(
                    makeImported(id, responseUs, Direction::None, EventKind::HandshakeResponse, head));
            }
            if (!m_ours && status == 101)
                openUs = responseUs;
        } else if (!responseValue.isUndefined()) {
            warn(QStringLiteral("%1: %2; the response head is left out")
                     .arg(responseWhere, expected(QStringLiteral("an object"), responseValue)));
        }
        if (entry.contains(QLatin1StringView("_subprotocol")))
            c.subprotocol = optionalString(entry, QLatin1StringView("_subprotocol"), where);
        if (m_ours && entry.contains(QLatin1StringView("_openTime"))) {
            openUs = microseconds(entry.value(QLatin1StringView("_openTime")), where);
            if (!openUs)
                warn(QStringLiteral("%1._openTime: expected a number").arg(where));
        }
        if (openUs) {
            const QByteArray text = c.role == ConnectionRole::Server
                ? QByteArray("client " + c.peer.toUtf8() + " connected")
                : QByteArray("connected to " + c.url.toUtf8());
            imported.events.push_back(makeImported(id, *openUs, Direction::None, EventKind::Open, text));
        }

        for (Event& m : messages)
            imported.events.push_back(std::move(m));
        addClose(entry, where, imported);
        m_connections.push_back(std::move(imported));
    }

    std::vector<Event> messages(const QJsonObject& entry, const QString& where, quint32 id)
    {
        std::vector<Event> out;
        const QJsonValue value = entry.value(QLatin1StringView("_webSocketMessages"));
        if (value.isUndefined() || value.isNull())
            return out;
        const QString arrayWhere = where + QLatin1StringView("._webSocketMessages");
        if (!value.isArray()) {
            warn(QStringLiteral("%1: %2; no messages read")
                     .arg(arrayWhere, expected(QStringLiteral("an array"), value)));
            return out;
        }
        const QJsonArray array = value.toArray();
        out.reserve(array.size());
        qint64 lastUs = 0;
        bool haveTime = false;
        for (qsizetype i = 0; i < array.size(); ++i) {
            // The place is spelled out only for a warning: most files have none, and a million messages.
            const auto at = [&] { return QStringLiteral("%1[%2]").arg(arrayWhere, QString::number(i)); };
            const QJsonObject m = array.at(i).toObject();
            if (!array.at(i).isObject()) {
                warn(QStringLiteral("%1: %2; skipped").arg(at(), expected(QStringLiteral("an object"), array.at(i))));
                continue;
            }
            const QString type = m.value(QLatin1StringView("type")).toString();
            Direction direction = Direction::None;
            if (type == u"send")
                direction = Direction::C2S;
            else if (type == u"receive")
                direction = Direction::S2C;
            else if (type != u"error") {
                warn(QStringLiteral("%1.type: expected \"send\" or \"receive\", found %2; skipped")
                         .arg(at(),
                             m.value(QLatin1StringView("type")).isString()
                                 ? u'"' + type + u'"'
                                 : typeName(m.value(QLatin1StringView("type")))));
                continue;
            }
            std::optional<qint64> us = microseconds(m.value(QLatin1StringView("time")), arrayWhere);
            if (!us) {
                warn(QStringLiteral("%1.time: %2; the previous message's time is used")
                         .arg(at(),
                             m.value(QLatin1StringView("time")).isDouble()
                                 ? QStringLiteral("not a usable time")
                                 : expected(QStringLiteral("a number"), m.value(QLatin1StringView("time")))));
                us = haveTime ? lastUs : 0;
            }
            lastUs = *us;
            haveTime = true;

            const QJsonValue dataValue = m.value(QLatin1StringView("data"));
            if (!dataValue.isString() && !(dataValue.isUndefined() && type == u"error")) {
                warn(QStringLiteral("%1.data: %2; skipped").arg(at(), expected(QStringLiteral("a string"), dataValue)));
                continue;
            }
            const QString data = dataValue.toString();
            if (type == u"error") {
                out.push_back(makeImported(id, *us, Direction::None, EventKind::Error, data.toUtf8()));
                continue;
            }

            const QJsonValue opcodeValue = m.value(QLatin1StringView("opcode"));
            const std::optional<qint64> opcode = integer(opcodeValue);
            EventKind kind;
            switch (opcode.value_or(-1)) {
            case 1:
                kind = EventKind::Text;
                break;
            case 2:
                kind = EventKind::Binary;
                break;
            case 8:
                kind = EventKind::Close;
                break;
            case 9:
                kind = EventKind::Ping;
                break;
            case 10:
                kind = EventKind::Pong;
                break;
            default:
                warn(QStringLiteral("%1.opcode: %2; skipped")
                         .arg(at(),
                             opcode ? QStringLiteral("%1 is not a message opcode (1 text, 2 binary)")
                                          .arg(QString::number(*opcode))
                                    : expected(QStringLiteral("a number"), opcodeValue)));
                continue;
            }

            QByteArray payload;
            const QString encoding = m.value(QLatin1StringView("_encoding")).toString();
            if (kind == EventKind::Binary || encoding == u"base64") {
                const auto decoded = strictBase64(data);
                if (!decoded) {
                    warn(QStringLiteral("%1.data: not valid base64; skipped").arg(at()));
                    continue;
                }
                payload = *decoded;
            } else {
                if (!encoding.isEmpty())
                    warn(QStringLiteral("%1._encoding: unknown encoding \"%2\"; read as text").arg(at(), encoding));
                payload = data.toUtf8();
            }
            Event e = makeImported(id, *us, direction, kind, payload);
            if (kind == EventKind::Close) {
                e.closeCode = quint16(integer(m.value(QLatin1StringView("code"))).value_or(0));
                e.size = e.closeCode ? payload.size() + 2 : payload.size();
            }
            out.push_back(std::move(e));
        }
        return out;
    }

    // `_webSocketClose`: ours says who closed, HTTP Toolkit's does not (then it is a "closed" note with the
    // code), and "aborted" means the connection just went away.
    void addClose(const QJsonObject& entry, const QString& where, Imported& imported)
    {
        const QJsonValue value = entry.value(QLatin1StringView("_webSocketClose"));
        if (value.isUndefined() || value.isNull())
            return;
        const QString closeWhere = where + QLatin1StringView("._webSocketClose");
        std::vector<Event>& events = imported.events;
        qint64 lastUs = events.empty() ? 0 : events.front().timestampUs;
        for (const Event& e : events)
            lastUs = std::max(lastUs, e.timestampUs);
        const quint32 id = imported.connection.id;
        if (value.isString() && value.toString() == u"aborted") {
            events.push_back(
                makeImported(id, lastUs, Direction::None, EventKind::Closed, "the connection was aborted"));
            return;
        }
        if (!value.isObject()) {
            warn(QStringLiteral("%1: %2; ignored").arg(closeWhere, expected(QStringLiteral("an object"), value)));
            return;
        }
        const QJsonObject close = value.toObject();
        quint16 code = 0;
        const QJsonValue codeValue = close.value(QLatin1StringView("code"));
        if (!codeValue.isUndefined() && !codeValue.isNull()) {
            const auto parsed = integer(codeValue);
            if (parsed && *parsed >= 0 && *parsed <= 0xFFFF)
                code = quint16(*parsed);
            else
                warn(QStringLiteral("%1.code: expected a close code (0 to 65535); left out").arg(closeWhere));
        }
        QByteArray reason;
        const QString reasonText = optionalString(close, QLatin1StringView("reason"), closeWhere);
        if (close.value(QLatin1StringView("_encoding")).toString() == u"base64") {
            if (const auto decoded = strictBase64(reasonText))
                reason = *decoded;
            else
                warn(QStringLiteral("%1.reason: not valid base64; left out").arg(closeWhere));
        } else {
            reason = reasonText.toUtf8();
        }
        std::optional<qint64> us = microseconds(close.value(QLatin1StringView("time")), closeWhere);
        // HTTP Toolkit's "timestamp" is in seconds but counts from some start of its own unless it is large.
        if (!us) {
            const double t = close.value(QLatin1StringView("timestamp")).toDouble(0);
            if (t > 1e9 && t < maxPlausibleSeconds)
                us = usableMicroseconds(t * 1e6);
        }
        const QString by = optionalString(close, QLatin1StringView("by"), closeWhere);
        Event e;
        if (by == u"client" || by == u"server") {
            e = makeImported(
                id, us.value_or(lastUs), by == u"client" ? Direction::C2S : Direction::S2C, EventKind::Close, reason);
            e.closeCode = code;
            e.size = code ? reason.size() + 2 : reason.size();
        } else {
            if (!by.isEmpty())
                warn(QStringLiteral("%1.by: expected \"client\" or \"server\"; who closed is not known")
                         .arg(closeWhere));
            QByteArray text = "closed";
            if (code)
                text += " with code " + QByteArray::number(code);
            if (!reason.isEmpty())
                text += ": " + reason;
            text += " (the HAR file does not say which side closed)";
            e = makeImported(id, us.value_or(lastUs), Direction::None, EventKind::Closed, text);
            e.closeCode = code;
        }
        // At its time among the messages: the other side may have sent more before it answered the close.
        auto at = events.end();
        while (at != events.begin() && std::prev(at)->timestampUs > e.timestampUs)
            --at;
        events.insert(at, std::move(e));
    }

    // One timeline: each connection keeps its own order, and the connections interleave by time (ties go to
    // the earlier entry), which is a stable merge.
    void merge()
    {
        std::size_t total = 0;
        for (const Imported& imported : m_connections) {
            m_out.connections.append(imported.connection);
            total += imported.events.size();
        }
        m_out.events.reserve(total);
        using Head = std::pair<qint64, std::size_t>; // (time, connection index)
        std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
        std::vector<std::size_t> next(m_connections.size(), 0);
        for (std::size_t i = 0; i < m_connections.size(); ++i) {
            if (!m_connections[i].events.empty())
                heads.emplace(m_connections[i].events.front().timestampUs, i);
        }
        quint64 seq = 0;
        while (!heads.empty()) {
            const std::size_t i = heads.top().second;
            heads.pop();
            std::vector<Event>& events = m_connections[i].events;
            Event& e = events[next[i]++];
            e.seq = ++seq;
            m_out.events.push_back(std::move(e));
            if (next[i] < events.size())
                heads.emplace(events[next[i]].timestampUs, i);
        }
        m_connections.clear();
    }

    SessionData& m_out;
    std::vector<Imported> m_connections;
    QSet<QString> m_warnedMilliseconds;
    QSet<quint32> m_usedIds;
    quint32 m_nextId = 1;
    qint64 m_unlistedWarnings = 0;
    bool m_ours = false;
};

} // namespace

bool HarReader::readFile(
    const QString& path, SessionData& out, QString* error, SessionReader::Progress progress, qint64 maxBytes)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("cannot open %1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
        return false;
    }
    return read(file, out, error, std::move(progress), maxBytes);
}

bool HarReader::read(
    QIODevice& device, SessionData& out, QString* error, SessionReader::Progress progress, qint64 maxBytes)
{
    QString why;
    auto fail = [error](const QString& reason) {
        if (error)
            *error = reason;
        return false;
    };
    out = SessionData {};
    const qint64 total = device.isSequential() ? -1 : device.size() - device.pos();
    auto tooLarge = [maxBytes](qint64 size) {
        return QStringLiteral("the HAR file is too large to open (%1 MiB; the limit is %2 MiB)")
            .arg(
                size < 0 ? QStringLiteral("over %1").arg(QString::number(maxBytes >> 20)) : QString::number(size >> 20),
                QString::number(maxBytes >> 20));
    };
    if (total > maxBytes)
        return fail(tooLarge(total));

    QByteArray bytes;
    if (total > 0)
        bytes.reserve(total + 1);
    qint64 done = 0;
    while (true) {
        // A file of known size is read into a buffer of its size (plus the byte that finds the end), not a
        // megabyte: small files are the common case, and the fuzzer reads thousands a second.
        const qint64 want = total >= 0 ? std::clamp<qint64>(total - done + 1, 1, readChunkBytes) : readChunkBytes;
        const qsizetype kept = bytes.size();
        bytes.resize(kept + want);
        const qint64 got = device.read(bytes.data() + kept, want);
        if (got < 0)
            return fail(QStringLiteral("cannot read the HAR file: %1").arg(device.errorString()));
        bytes.resize(kept + got);
        done += got;
        if (done > maxBytes)
            return fail(tooLarge(total));
        if (got == 0)
            break;
        if (progress && !progress(done, total))
            return fail(QStringLiteral("loading was cancelled"));
    }
    if (bytes.trimmed().isEmpty())
        return fail(notAHarFile(QStringLiteral("the file is empty")));

    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(bytes, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        // Qt's offset is just past the character at fault, except for bytes that are not UTF-8.
        const qsizetype at
            = parseError.error == QJsonParseError::IllegalUTF8String ? parseError.offset : parseError.offset - 1;
        return fail(QStringLiteral("%1: %2").arg(position(bytes, at), parseError.errorString()));
    }
    bytes = QByteArray(); // the document holds what is needed; half the memory back before the conversion

    Loader loader(out);
    if (!loader.load(doc, total < 0 ? done : total, progress, &why))
        return fail(why);
    return true;
}

} // namespace wsi
