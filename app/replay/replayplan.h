#pragma once

#include "../core/connection.h"
#include "../core/event.h"
#include "../core/eventstore.h"
#include "../net/endpointoptions.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QList>
#include <QMetaType>
#include <QPair>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <optional>

namespace wsi {

struct SessionData;

// Which side of the recorded conversation a replay plays: the client (it sends the c2s messages to a server)
// or the server (a mock that sends the s2c messages to whoever connects).
enum class ReplayRole : quint8 {
    Client,
    Server,
};

// One recorded data message (text or binary) of the replayed connection. Control frames are not replayed: the
// endpoints answer pings and closes themselves.
struct ReplayMessage
{
    Direction direction = Direction::C2S;
    bool text = true;
    QByteArray payload;
    // Microseconds since the connection opened (in a plan: the recorded open; in what a replay received: ours).
    qint64 offsetUs = 0;
    // s2c messages recorded before this one: for a c2s message, the replies paced replay waits for.
    int s2cBefore = 0;
    // c2s messages recorded before this one: for an s2c message, the client message it follows (answer mode).
    int c2sBefore = 0;
};

// How the recorded connection was closed, when it was: the first close frame and who sent it.
struct ReplayClose
{
    Direction direction = Direction::C2S; // c2s: the client closed first
    quint16 code = 0; // 0: the frame had no code
    QByteArray reason;
    qint64 offsetUs = 0;
};

// A connection of a session that has something to replay: what the replay pane lists, and what an error
// message names when the wanted one is not there.
struct ReplayCandidate
{
    quint32 id = 0;
    ConnectionRole role = ConnectionRole::Client;
    QString url;
    int c2sMessages = 0;
    int s2cMessages = 0;
    qint64 durationUs = 0; // from its open (or first event) to its last event

    // "1  ws://host/chat  5 c2s, 7 s2c, 2.4 s"
    QString describe() const;
};

/*
 * Everything a replay of one recorded connection needs, taken from a loaded session (JSONL or HAR): the URL,
 * the handshake headers a client may set again (Origin, cookies, authorization and the like as the file has
 * them; never the ones the client endpoint writes itself, and never a value that an export replaced by
 * redaction::mask, which is dropped with a warning), the offered and the chosen subprotocol, and the data messages
 * of both directions in recorded order, each with its offset from the connection's open and what had been
 * said the other way before it. A value: built once on any thread, read by the replay engine and the pane.
 */
struct ReplayPlan
{
    quint32 connection = 0; // in the session file
    ConnectionRole recordedRole = ConnectionRole::Client; // who recorded it (our client, our test server, ...)
    QUrl url; // as recorded, with redacted query parameters taken out
    QList<QPair<QByteArray, QByteArray>> headers; // for ClientOptions::headers
    QString origin; // empty: none was sent
    QStringList subprotocols; // offered by the recorded client
    QString subprotocol; // chosen by the recorded server
    QList<ReplayMessage> messages; // both directions, in recorded order
    std::optional<ReplayClose> close;
    qint64 durationUs = 0; // open to the last event of the connection
    QStringList warnings; // what was left out, for the user

    int c2sCount() const;
    int s2cCount() const;
    // The messages of one direction, in order (payloads shared).
    QList<ReplayMessage> messagesFrom(Direction direction) const;
    // Options for a client connection replaying this plan: URL (target, or the recorded one when empty),
    // headers, origin, subprotocols. The rest (timeouts, certificates) as ClientOptions' defaults.
    ClientOptions clientOptions(const QUrl& target = {}) const;

    // Every connection of the session that has data messages, in file order.
    static QList<ReplayCandidate> candidates(const SessionData& data);
    // The plan for connection `id` (0: the first that has messages to send in that role: c2s as client, s2c as
    // server). `source` names the file in error messages. On failure: nullopt, with the reason in *error
    // ("connection 7 is not in FILE; it has 1, 2, 5", "connection 2 has no client messages to replay", ...).
    static std::optional<ReplayPlan> build(
        const SessionData& data, quint32 id, ReplayRole role, const QString& source, QString* error);

    // The same from the timeline's events, so that the current capture replays without a file: a snapshot of
    // the store (read on any thread) and the connections it knows (EventStore::connections(), in any order: they
    // are taken by id, the order they were made in). `source` names the capture in error messages.
    static QList<ReplayCandidate> candidates(const EventStore::Snapshot& events, const QList<Connection>& connections);
    static std::optional<ReplayPlan> build(const EventStore::Snapshot& events, const QList<Connection>& connections,
        quint32 id, ReplayRole role, const QString& source, QString* error);

    // Last: the macro leaves the access at private. The warnings and errors above are shown in the GUI.
    Q_DECLARE_TR_FUNCTIONS(wsi::ReplayPlan)
};

} // namespace wsi

Q_DECLARE_METATYPE(wsi::ReplayMessage)
