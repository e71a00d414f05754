#include "replayplan.h"

#include "../formats/redaction.h"
#include "../formats/sessionreader.h"
#include "../wire/httphead.h"

#include <QHash>
#include <QSet>
#include <QUrlQuery>

#include <algorithm>
#include <functional>

namespace wsi {

namespace {

// Written by the client endpoint itself (or meaningless on a new connection): never taken from the file.
bool isClientOwnHeader(QByteArrayView name)
{
    static const char* const own[] = { "Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version",
        "Sec-WebSocket-Extensions", "Content-Length", "Transfer-Encoding" };
    if (name.startsWith(':')) // HTTP/2 pseudo-headers from a browser's HAR
        return true;
    return std::any_of(std::begin(own), std::end(own),
        [name](const char* o) { return name.compare(QByteArrayView(o), Qt::CaseInsensitive) == 0; });
}

// A value an export masked (redaction::mask), as it is or percent-encoded in a URL.
bool isRedacted(QByteArrayView value)
{
    static const QByteArray plain = QByteArray(redaction::mask.data(), redaction::mask.size());
    static const QByteArray encoded = QUrl::toPercentEncoding(QString(redaction::mask));
    return value.contains(plain)
        || QByteArray::fromRawData(value.data(), value.size()).toLower().contains(encoded.toLower());
}

bool isData(const Event& e)
{
    return (e.kind == EventKind::Text || e.kind == EventKind::Binary) && e.direction != Direction::None;
}

struct Counts
{
    int c2s = 0;
    int s2c = 0;
    qint64 firstUs = 0;
    qint64 openUs = -1;
    qint64 lastUs = 0;
    bool any = false;
};

// The events a plan is made of, wherever they are kept: a loaded file's vector or the timeline's store. meta()
// is what counting needs (no payload copied), event() the whole event.
struct EventMeta
{
    quint32 connection = 0;
    qint64 timestampUs = 0;
    Direction direction = Direction::None;
    EventKind kind = EventKind::Note;
};

struct EventSource
{
    qsizetype count = 0;
    std::function<EventMeta(qsizetype)> meta;
    std::function<Event(qsizetype)> event;
};

EventSource sourceOf(const SessionData& data)
{
    EventSource source;
    source.count = qsizetype(data.events.size());
    source.meta = [&data](qsizetype i) {
        const Event& e = data.events[size_t(i)];
        return EventMeta { e.connection, e.timestampUs, e.direction, e.kind };
    };
    source.event = [&data](qsizetype i) { return data.events[size_t(i)]; };
    return source;
}

EventSource sourceOf(const EventStore::Snapshot& events)
{
    EventSource source;
    source.count = events.count();
    source.meta = [&events](qsizetype i) {
        return EventMeta { events.connectionId(i), events.timestampUs(i), events.direction(i), events.kind(i) };
    };
    source.event = [&events](qsizetype i) { return events.event(i); };
    return source;
}

bool isData(const EventMeta& e)
{
    return (e.kind == EventKind::Text || e.kind == EventKind::Binary) && e.direction != Direction::None;
}

QHash<quint32, Counts> countByConnection(const EventSource& source)
{
    QHash<quint32, Counts> counts;
    for (qsizetype i = 0; i < source.count; ++i) {
        const EventMeta e = source.meta(i);
        Counts& c = counts[e.connection];
        if (!c.any) {
            c.any = true;
            c.firstUs = e.timestampUs;
        }
        c.lastUs = std::max(c.lastUs, e.timestampUs);
        if (e.kind == EventKind::Open && c.openUs < 0)
            c.openUs = e.timestampUs;
        if (isData(e))
            ++(e.direction == Direction::C2S ? c.c2s : c.s2c);
    }
    return counts;
}

// Every connection id the session knows, in file order (described ones first, then any only events name).
QList<quint32> connectionIds(const QList<Connection>& connections, const EventSource& source)
{
    QList<quint32> ids;
    QSet<quint32> seen;
    for (const Connection& c : connections) {
        if (!seen.contains(c.id)) {
            seen.insert(c.id);
            ids.append(c.id);
        }
    }
    for (qsizetype i = 0; i < source.count; ++i) {
        const quint32 id = source.meta(i).connection;
        if (!seen.contains(id)) {
            seen.insert(id);
            ids.append(id);
        }
    }
    return ids;
}

QList<Connection> byId(QList<Connection> connections)
{
    std::sort(
        connections.begin(), connections.end(), [](const Connection& a, const Connection& b) { return a.id < b.id; });
    return connections;
}

QString joinIds(const QList<quint32>& ids)
{
    QStringList parts;
    for (quint32 id : ids)
        parts.append(QString::number(id));
    return parts.join(QStringLiteral(", "));
}

QString seconds(qint64 us)
{
    return QString::number(double(us) / 1e6, 'f', us < 10000000 ? 1 : 0) + QStringLiteral(" s");
}

// The recorded URL without what an export masked: a password or query value redaction::mask would only be
// refused by the server, or worse, accepted as a literal. The parameters kept are kept byte for byte: decoded
// and encoded again, "r=x%2By" would become "r=x+y", another value to a server that reads + as a space.
QUrl cleanUrl(QUrl url, QStringList* warnings)
{
    // Exports mask the whole user info ("wss://[redacted]@host"); older ones only the password.
    if (isRedacted(url.userName().toUtf8())) {
        url.setUserInfo({});
        warnings->append(ReplayPlan::tr("the URL's user info was redacted in the file: it is left out"));
    } else if (isRedacted(url.password().toUtf8())) {
        url.setPassword({});
        warnings->append(ReplayPlan::tr("the URL's password was redacted in the file: it is left out"));
    }
    if (url.hasQuery()) {
        const QString query = url.query(QUrl::FullyEncoded);
        const QStringList pairs = query.split(u'&');
        QStringList kept;
        for (const QString& pair : pairs) {
            const qsizetype eq = pair.indexOf(u'=');
            const QString value = eq < 0 ? QString() : pair.mid(eq + 1);
            if (isRedacted(value.toUtf8())) {
                const QString name = QUrl::fromPercentEncoding(pair.left(eq).toUtf8());
                warnings->append(
                    ReplayPlan::tr("the URL parameter %1 was redacted in the file: it is left out").arg(name));
            } else {
                kept.append(pair);
            }
        }
        if (kept.size() != pairs.size()) {
            if (kept.isEmpty())
                url.setQuery(QString());
            else
                url.setQuery(kept.join(u'&'), QUrl::StrictMode);
        }
    }
    return url;
}

} // namespace

QString ReplayCandidate::describe() const
{
    return ReplayPlan::tr("%1  %2  %3 c2s, %4 s2c, %5")
        .arg(QString::number(id), url.isEmpty() ? ReplayPlan::tr("(no URL)") : url, QString::number(c2sMessages),
            QString::number(s2cMessages), seconds(durationUs));
}

int ReplayPlan::c2sCount() const
{
    return int(std::count_if(
        messages.cbegin(), messages.cend(), [](const ReplayMessage& m) { return m.direction == Direction::C2S; }));
}

int ReplayPlan::s2cCount() const
{
    return int(messages.size()) - c2sCount();
}

QList<ReplayMessage> ReplayPlan::messagesFrom(Direction direction) const
{
    QList<ReplayMessage> out;
    for (const ReplayMessage& m : messages) {
        if (m.direction == direction)
            out.append(m);
    }
    return out;
}

ClientOptions ReplayPlan::clientOptions(const QUrl& target) const
{
    ClientOptions options;
    options.url = target.isValid() && !target.isEmpty() ? target : url;
    options.headers = headers;
    options.origin = origin;
    options.subprotocols = subprotocols;
    return options;
}

namespace {

// The plan of one connection from its own events (at least one), in recorded order.
ReplayPlan planOf(const Connection* described, const std::vector<Event>& own, quint32 id)
{
    ReplayPlan plan;
    plan.connection = id;
    QString recordedUrl;
    if (described) {
        plan.recordedRole = described->role;
        recordedUrl = described->url;
        plan.subprotocol = described->subprotocol;
    }

    // The moment it opened: the open event, else the handshake's answer, else its first event.
    std::vector<const Event*> events;
    qint64 openUs = -1;
    qint64 answerUs = -1;
    for (const Event& e : own) {
        events.push_back(&e);
        if (e.kind == EventKind::Open && openUs < 0)
            openUs = e.timestampUs;
        if (e.kind == EventKind::HandshakeResponse && answerUs < 0)
            answerUs = e.timestampUs;
    }
    if (openUs < 0)
        openUs = answerUs >= 0 ? answerUs : events.front()->timestampUs;

    const Event* request = nullptr;
    for (const Event* e : events) {
        if (e->kind == EventKind::HandshakeRequest) {
            request = e;
            break;
        }
    }
    HttpHead head;
    if (request && HttpHead::parse(request->payload, head).status == HttpHead::ParseStatus::Complete) {
        for (const HttpHeader& h : std::as_const(head.headers)) {
            const QByteArray name = h.first.trimmed();
            const QByteArray value = h.second.trimmed();
            if (isClientOwnHeader(name))
                continue;
            const QString nameText = QString::fromUtf8(name);
            if (isRedacted(value)) {
                plan.warnings.append(
                    ReplayPlan::tr("the %1 header was redacted in the file: it is not sent").arg(nameText));
                continue;
            }
            if (name.compare("Origin", Qt::CaseInsensitive) == 0) {
                plan.origin = QString::fromUtf8(value);
                continue;
            }
            if (name.compare("Sec-WebSocket-Protocol", Qt::CaseInsensitive) == 0) {
                for (const QByteArray& p : value.split(',')) {
                    const QString offered = QString::fromUtf8(p.trimmed());
                    if (!offered.isEmpty() && !plan.subprotocols.contains(offered))
                        plan.subprotocols.append(offered);
                }
                continue;
            }
            const QString problem = extraHeaderProblem(nameText, QString::fromUtf8(value));
            if (!problem.isEmpty()) {
                plan.warnings.append(ReplayPlan::tr("the recorded header %1 is not sent: %2").arg(nameText, problem));
                continue;
            }
            plan.headers.append({ name, value });
        }
    } else if (request) {
        plan.warnings.append(ReplayPlan::tr("the recorded upgrade request could not be read: no headers are sent"));
    }
    if (plan.subprotocols.isEmpty() && !plan.subprotocol.isEmpty())
        plan.subprotocols.append(plan.subprotocol);

    QUrl url(recordedUrl);
    if ((!url.isValid() || url.host().isEmpty()) && !head.target.isEmpty() && head.hasHeader("Host"))
        url = QUrl(QStringLiteral("ws://") + QString::fromUtf8(head.header("Host").trimmed())
            + QString::fromUtf8(head.target));
    plan.url = cleanUrl(url, &plan.warnings);

    int c2s = 0;
    int s2c = 0;
    qint64 lastUs = openUs;
    for (const Event* e : events) {
        lastUs = std::max(lastUs, e->timestampUs);
        if (e->kind == EventKind::Close && !plan.close && e->direction != Direction::None) {
            ReplayClose close;
            close.direction = e->direction;
            close.code = e->closeCode;
            close.reason = e->payload;
            close.offsetUs = std::max<qint64>(0, e->timestampUs - openUs);
            plan.close = close;
        }
        if (!isData(*e))
            continue;
        ReplayMessage m;
        m.direction = e->direction;
        m.text = e->kind == EventKind::Text;
        m.payload = e->payload;
        m.offsetUs = std::max<qint64>(0, e->timestampUs - openUs);
        m.s2cBefore = s2c;
        m.c2sBefore = c2s;
        ++(m.direction == Direction::C2S ? c2s : s2c);
        plan.messages.append(std::move(m));
    }
    plan.durationUs = lastUs - openUs;
    return plan;
}

QList<ReplayCandidate> candidatesOf(const QList<Connection>& connections, const EventSource& source)
{
    const QHash<quint32, Counts> counts = countByConnection(source);
    QList<ReplayCandidate> out;
    for (quint32 id : connectionIds(connections, source)) {
        const Counts c = counts.value(id);
        if (c.c2s == 0 && c.s2c == 0)
            continue;
        ReplayCandidate candidate;
        candidate.id = id;
        const auto described = std::find_if(
            connections.cbegin(), connections.cend(), [id](const Connection& conn) { return conn.id == id; });
        if (described != connections.cend()) {
            candidate.role = described->role;
            candidate.url = described->url;
        }
        candidate.c2sMessages = c.c2s;
        candidate.s2cMessages = c.s2c;
        candidate.durationUs = c.lastUs - (c.openUs >= 0 ? c.openUs : c.firstUs);
        out.append(candidate);
    }
    return out;
}

std::optional<ReplayPlan> buildFrom(const QList<Connection>& connections, const EventSource& source, quint32 id,
    ReplayRole role, const QString& sourceName, QString* error)
{
    auto fail = [error](const QString& why) -> std::optional<ReplayPlan> {
        if (error)
            *error = why;
        return std::nullopt;
    };
    const bool asClient = role == ReplayRole::Client;
    const QString wanted = asClient ? ReplayPlan::tr("client (c2s)") : ReplayPlan::tr("server (s2c)");
    const QString asWhat = asClient ? ReplayPlan::tr("a client") : ReplayPlan::tr("a server");
    const QList<ReplayCandidate> candidates = candidatesOf(connections, source);
    if (candidates.isEmpty())
        return fail(source.count == 0 ? ReplayPlan::tr("%1 holds no events: nothing to replay").arg(sourceName)
                                      : ReplayPlan::tr("%1 holds no messages: nothing to replay").arg(sourceName));
    if (id == 0) {
        const auto first = std::find_if(candidates.cbegin(), candidates.cend(),
            [asClient](const ReplayCandidate& c) { return (asClient ? c.c2sMessages : c.s2cMessages) > 0; });
        if (first == candidates.cend())
            return fail(
                ReplayPlan::tr("no connection in %1 has %2 messages to replay as %3").arg(sourceName, wanted, asWhat));
        id = first->id;
    } else {
        const QList<quint32> ids = connectionIds(connections, source);
        if (!ids.contains(id))
            return fail(ReplayPlan::tr("connection %1 is not in %2; it has %3")
                            .arg(QString::number(id), sourceName, joinIds(ids)));
        const auto it = std::find_if(
            candidates.cbegin(), candidates.cend(), [id](const ReplayCandidate& c) { return c.id == id; });
        if (it == candidates.cend() || (asClient ? it->c2sMessages : it->s2cMessages) == 0) {
            QList<quint32> usable;
            for (const ReplayCandidate& c : candidates) {
                if ((asClient ? c.c2sMessages : c.s2cMessages) > 0)
                    usable.append(c.id);
            }
            QString why = ReplayPlan::tr("connection %1 in %2 has no %3 messages to replay as %4")
                              .arg(QString::number(id), sourceName, wanted, asWhat);
            if (!usable.isEmpty())
                why += ReplayPlan::tr(" (connections that have some: %1)").arg(joinIds(usable));
            return fail(why);
        }
    }

    // The connection's own events, whole (payloads), and nothing of the others.
    std::vector<Event> own;
    for (qsizetype i = 0; i < source.count; ++i) {
        if (source.meta(i).connection == id)
            own.push_back(source.event(i));
    }
    const auto described
        = std::find_if(connections.cbegin(), connections.cend(), [id](const Connection& c) { return c.id == id; });
    return planOf(described != connections.cend() ? &*described : nullptr, own, id);
}

} // namespace

QList<ReplayCandidate> ReplayPlan::candidates(const SessionData& data)
{
    return candidatesOf(data.connections, sourceOf(data));
}

QList<ReplayCandidate> ReplayPlan::candidates(const EventStore::Snapshot& events, const QList<Connection>& connections)
{
    return candidatesOf(byId(connections), sourceOf(events));
}

std::optional<ReplayPlan> ReplayPlan::build(
    const SessionData& data, quint32 id, ReplayRole role, const QString& source, QString* error)
{
    return buildFrom(data.connections, sourceOf(data), id, role, source, error);
}

std::optional<ReplayPlan> ReplayPlan::build(const EventStore::Snapshot& events, const QList<Connection>& connections,
    quint32 id, ReplayRole role, const QString& source, QString* error)
{
    return buildFrom(byId(connections), sourceOf(events), id, role, source, error);
}

} // namespace wsi
