// libFuzzer target: the HAR reader (HarReader::read over a QBuffer) on any bytes, and every exporter fed what it
// read. Beyond "no crash, no leak, no UB", it checks what `wsinspector convert` and the Open dialog rely on: a
// file that does not load says why; a session that loaded is one timeline (seq 1..N, every event on a known
// connection, warnings capped); it survives a JSONL save and load unchanged; written as HAR it reads back
// without a warning, and after that first trip HAR -> session -> HAR changes nothing (repeated conversions do
// not drift). The CSV, text and pcap exporters, and the redacting path, only have to hold up.

#include "formats/harreader.h"
#include "formats/sessionexporter.h"
#include "formats/sessionreader.h"

#include <QBuffer>
#include <QSet>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace wsi;

namespace {

void require(bool condition, const char* what, const QString& detail = {})
{
    if (!condition) {
        std::fprintf(
            stderr, "fuzz_har: property broken: %s%s%s\n", what, detail.isEmpty() ? "" : ": ", qPrintable(detail));
        std::abort();
    }
}

// The fields in which two events differ ("ts 5 vs 7, payload"), empty when they are the same.
QString difference(const Event& a, const Event& b)
{
    QStringList out;
    const auto field = [&out](const char* name, auto x, auto y) {
        if (x != y)
            out.append(QStringLiteral("%1 %2 vs %3").arg(QLatin1StringView(name)).arg(qint64(x)).arg(qint64(y)));
    };
    field("seq", a.seq, b.seq);
    field("ts", a.timestampUs, b.timestampUs);
    field("mono", a.monotonicNs, b.monotonicNs);
    field("conn", a.connection, b.connection);
    field("dir", int(a.direction), int(b.direction));
    field("kind", int(a.kind), int(b.kind));
    field("flags", a.flags, b.flags);
    field("code", a.closeCode, b.closeCode);
    field("size", a.size, b.size);
    if (a.payload != b.payload)
        out.append(QStringLiteral("payload %1 vs %2")
                       .arg(QString::fromLatin1(a.payload.toHex()), QString::fromLatin1(b.payload.toHex())));
    if (a.note != b.note)
        out.append(QStringLiteral("note"));
    return out.join(QLatin1StringView(", "));
}

void requireSameEvents(const std::vector<Event>& a, const std::vector<Event>& b, const char* what)
{
    require(a.size() == b.size(), what, QStringLiteral("%1 events vs %2").arg(a.size()).arg(b.size()));
    for (size_t i = 0; i < a.size(); ++i) {
        const QString diff = difference(a[i], b[i]);
        require(diff.isEmpty(), what, QStringLiteral("event %1: %2").arg(i + 1).arg(diff));
    }
}

QByteArray exported(const SessionData& session, SessionFormat format, bool includeSecrets)
{
    QBuffer out;
    out.open(QIODevice::WriteOnly);
    const auto exporter = SessionExporter::create(format, &out, { includeSecrets, QStringLiteral("fuzz") });
    require(exporter != nullptr, "every format can be written");
    for (const Connection& c : std::as_const(session.connections))
        exporter->addConnection(c);
    for (const Event& e : session.events)
        exporter->addEvent(e);
    QString error;
    require(exporter->finish(&error), "an export to memory finishes", error);
    return out.data();
}

bool readHar(const QByteArray& bytes, SessionData& session, QString* error)
{
    QBuffer buffer;
    buffer.setData(bytes);
    buffer.open(QIODevice::ReadOnly);
    return HarReader::read(buffer, session, error);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const QByteArray input = QByteArray::fromRawData(reinterpret_cast<const char*>(data), qsizetype(size));
    SessionData session;
    QString error;
    if (!readHar(input, session, &error)) {
        require(!error.isEmpty(), "a file that does not load says why");
        return 0;
    }
    require(!session.connections.isEmpty(), "a loaded HAR has a connection");
    // 100 listed, one line counting the rest, one about the entries that are not WebSocket connections.
    require(session.warnings.size() <= SessionReader::maxWarnings + 2, "warnings are capped");
    QSet<quint32> ids;
    for (const Connection& c : std::as_const(session.connections))
        ids.insert(c.id);
    require(ids.size() == session.connections.size(), "connection ids are unique");
    for (size_t i = 0; i < session.events.size(); ++i) {
        const Event& e = session.events[i];
        require(e.seq == i + 1, "events are numbered 1..N");
        require(ids.contains(e.connection), "every event belongs to a connection");
    }

    // Saved as JSONL with everything kept, the session loads again as it was.
    {
        QBuffer saved;
        saved.setData(exported(session, SessionFormat::Jsonl, true));
        saved.open(QIODevice::ReadOnly);
        SessionData reloaded;
        require(SessionReader::read(saved, reloaded, &error), "a HAR saved as JSONL loads", error);
        require(
            reloaded.warnings.isEmpty(), "a HAR saved as JSONL loads without warnings", reloaded.warnings.join(u'|'));
        require(reloaded.connections == session.connections, "connections survive a JSONL save");
        requireSameEvents(session.events, reloaded.events, "events survive a JSONL save unchanged");
    }

    // Our HAR of it reads back cleanly. The first trip may lose what HAR cannot hold (pings, pongs, errors, a
    // second close); from then on HAR -> session -> HAR changes nothing, so repeated conversions do not drift.
    SessionData second;
    require(
        readHar(exported(session, SessionFormat::Har, true), second, &error), "our HAR of a loaded HAR loads", error);
    require(second.warnings.isEmpty(), "our HAR of a loaded HAR loads without warnings", second.warnings.join(u'|'));
    const QByteArray har = exported(second, SessionFormat::Har, true);
    SessionData third;
    require(readHar(har, third, &error), "our HAR of our HAR loads", error);
    require(third.warnings.isEmpty(), "our HAR of our HAR loads without warnings", third.warnings.join(u'|'));
    require(third.connections == second.connections, "connections survive HAR -> HAR");
    requireSameEvents(second.events, third.events, "events survive HAR -> HAR unchanged");
    require(exported(third, SessionFormat::Har, true) == har, "HAR -> HAR writes the same bytes");

    for (const SessionFormat format :
        { SessionFormat::Jsonl, SessionFormat::Har, SessionFormat::Csv, SessionFormat::Text, SessionFormat::Pcap })
        exported(session, format, false);
    for (const SessionFormat format : { SessionFormat::Csv, SessionFormat::Text, SessionFormat::Pcap })
        exported(session, format, true);
    return 0;
}
