#include "replayplan.h"

#include "../formats/redaction.h"
#include "../formats/sessionreader.h"
#include "../wire/httphead.h"

#include <QHash>
#include <QUrlQuery>

#include <algorithm>

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

bool isRedacted(QByteArrayView value)
{
    return value.contains(QByteArrayView("[redacted]")) || value.contains(QByteArrayView("%5Bredacted%5D"))
        || value.contains(QByteArrayView("%5bredacted%5d"));
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

QHash<quint32, Counts> countByConnection(const SessionData& data)
{
    QHash<quint32, Counts> counts;
    for (const Event& e : data.events) {
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
QList<quint32> connectionIds(const SessionData& data)
{
    QList<quint32> ids;
    for (const Connection& c : data.connections)
        ids.append(c.id);
    for (const Event& e : data.events) {
        if (!ids.contains(e.connection))
            ids.append(e.connection);
    }
    return ids;
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

// The recorded URL without what an export masked: a password or query value "[redacted]" would only be
// refused by the server, or worse, accepted as a literal.
QUrl cleanUrl(QUrl url, QStringList* warnings)
{
    // Exports mask the whole user info ("wss://[redacted]@host"); older ones only the password.
    if (isRedacted(url.userName().toUtf8())) {
        url.setUserInfo({});
        warnings->append(QStringLiteral("the URL's user info was redacted in the file: it is left out"));
    } else if (isRedacted(url.password().toUtf8())) {
        url.setPassword({});
        warnings->append(QStringLiteral("the URL's password was redacted in the file: it is left out"));
    }
    if (url.hasQuery()) {
        QUrlQuery query(url);
        const QList<QPair<QString, QString>> items = query.queryItems(QUrl::FullyDecoded);
        QList<QPair<QString, QString>> kept;
        for (const auto& item : items) {
            if (isRedacted(item.second.toUtf8()))
                warnings->append(
                    QStringLiteral("the URL parameter %1 was redacted in the file: it is left out").arg(item.first));
            else
                kept.append(item);
        }
        if (kept.size() != items.size()) {
            QUrlQuery cleaned;
            cleaned.setQueryItems(kept);
            url.setQuery(cleaned);
            if (kept.isEmpty())
                url.setQuery(QString());
        }
    }
    return url;
}

} // namespace

QString ReplayCandidate::describe() const
{
    return QStringLiteral("%1  %2  %3 c2s, %4 s2c, %5")
        .arg(QString::number(id), url.isEmpty() ? QStringLiteral("(no URL)") : url, QString::number(c2sMessages),
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

QList<ReplayCandidate> ReplayPlan::candidates(const SessionData& data)
{
    const QHash<quint32, Counts> counts = countByConnection(data);
    QList<ReplayCandidate> out;
    for (quint32 id : connectionIds(data)) {
        const Counts c = counts.value(id);
        if (c.c2s == 0 && c.s2c == 0)
            continue;
        ReplayCandidate candidate;
        candidate.id = id;
        const auto described = std::find_if(
            data.connections.cbegin(), data.connections.cend(), [id](const Connection& conn) { return conn.id == id; });
        if (described != data.connections.cend()) {
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

std::optional<ReplayPlan> ReplayPlan::build(
    const SessionData& data, quint32 id, ReplayRole role, const QString& source, QString* error)
{
    auto fail = [error](const QString& why) -> std::optional<ReplayPlan> {
        if (error)
            *error = why;
        return std::nullopt;
    };
    const bool asClient = role == ReplayRole::Client;
    const QString wanted = asClient ? QStringLiteral("client (c2s)") : QStringLiteral("server (s2c)");
    const QString asWhat = asClient ? QStringLiteral("a client") : QStringLiteral("a server");
    const QList<ReplayCandidate> candidates = ReplayPlan::candidates(data);
    if (candidates.isEmpty())
        return fail(data.events.empty() ? QStringLiteral("%1 holds no events: nothing to replay").arg(source)
                                        : QStringLiteral("%1 holds no messages: nothing to replay").arg(source));
    if (id == 0) {
        const auto first = std::find_if(candidates.cbegin(), candidates.cend(),
            [asClient](const ReplayCandidate& c) { return (asClient ? c.c2sMessages : c.s2cMessages) > 0; });
        if (first == candidates.cend())
            return fail(
                QStringLiteral("no connection in %1 has %2 messages to replay as %3").arg(source, wanted, asWhat));
        id = first->id;
    } else {
        const QList<quint32> ids = connectionIds(data);
        if (!ids.contains(id))
            return fail(
                QStringLiteral("connection %1 is not in %2; it has %3").arg(QString::number(id), source, joinIds(ids)));
        const auto it = std::find_if(
            candidates.cbegin(), candidates.cend(), [id](const ReplayCandidate& c) { return c.id == id; });
        if (it == candidates.cend() || (asClient ? it->c2sMessages : it->s2cMessages) == 0) {
            QList<quint32> usable;
            for (const ReplayCandidate& c : candidates) {
                if ((asClient ? c.c2sMessages : c.s2cMessages) > 0)
                    usable.append(c.id);
            }
            QString why = QStringLiteral("connection %1 in %2 has no %3 messages to replay as %4")
                              .arg(QString::number(id), source, wanted, asWhat);
            if (!usable.isEmpty())
                why += QStringLiteral(" (connections that have some: %1)").arg(joinIds(usable));
            return fail(why);
        }
    }

    ReplayPlan plan;
    plan.connection = id;
    QString recordedUrl;
    const auto described = std::find_if(
        data.connections.cbegin(), data.connections.cend(), [id](const Connection& c) { return c.id == id; });
    if (described != data.connections.cend()) {
        plan.recordedRole = described->role;
        recordedUrl = described->url;
        plan.subprotocol = described->subprotocol;
    }

    // The connection's own events, and the moment it opened: the open event, else the handshake's answer,
    // else its first event.
    std::vector<const Event*> events;
    qint64 openUs = -1;
    qint64 answerUs = -1;
    for (const Event& e : data.events) {
        if (e.connection != id)
            continue;
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
                    QStringLiteral("the %1 header was redacted in the file: it is not sent").arg(nameText));
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
                plan.warnings.append(QStringLiteral("the recorded header %1 is not sent: %2").arg(nameText, problem));
                continue;
            }
            plan.headers.append({ name, value });
        }
    } else if (request) {
        plan.warnings.append(QStringLiteral("the recorded upgrade request could not be read: no headers are sent"));
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

} // namespace wsi
