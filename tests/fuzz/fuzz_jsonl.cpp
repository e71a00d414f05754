// libFuzzer target: the native session reader (SessionReader::read over a QBuffer, also with a line limit
// small enough for the fuzzer's inputs to pass it) and the line decoder it is built on (jsonl::decodeLine, fed
// line by line), on any bytes. Beyond "no crash, no leak, no UB", it checks what a user relies on: a file that
// does not load says why, and a session that loaded is saved and loaded again unchanged (the JSONL exporter,
// then the reader).

#include "formats/jsonlcodec.h"
#include "formats/sessionexporter.h"
#include "formats/sessionreader.h"

#include <QBuffer>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace wsi;

namespace {

// A broken property is a finding like a crash: abort so that libFuzzer keeps the input.
void require(bool condition, const char* what, const QString& detail = {})
{
    if (!condition) {
        std::fprintf(
            stderr, "fuzz_jsonl: property broken: %s%s%s\n", what, detail.isEmpty() ? "" : ": ", qPrintable(detail));
        std::abort();
    }
}

bool sameEvent(const Event& a, const Event& b)
{
    return a.seq == b.seq && a.timestampUs == b.timestampUs && a.monotonicNs == b.monotonicNs
        && a.connection == b.connection && a.direction == b.direction && a.kind == b.kind && a.flags == b.flags
        && a.closeCode == b.closeCode && a.size == b.size && a.payload == b.payload && a.note == b.note;
}

bool readAll(const QByteArray& bytes, SessionData& data, QString* error,
    qint64 maxLineBytes = SessionReader::defaultMaxLineBytes)
{
    QBuffer buffer;
    buffer.setData(bytes);
    buffer.open(QIODevice::ReadOnly);
    return SessionReader::read(buffer, data, error, {}, maxLineBytes);
}

void decodeEveryLine(QByteArrayView input)
{
    jsonl::DecodedLine decoded;
    while (!input.isEmpty()) {
        qsizetype end = input.indexOf('\n');
        if (end < 0)
            end = input.size();
        QString why;
        const jsonl::DecodeStatus status = jsonl::decodeLine(input.first(end), decoded, &why);
        require((status == jsonl::DecodeStatus::Ok) == why.isEmpty(), "decodeLine says why exactly when it fails");
        if (status == jsonl::DecodeStatus::Ok && decoded.type == jsonl::LineType::Event) {
            // What was decoded is written back and decoded again to the same event.
            jsonl::DecodedLine again;
            require(jsonl::decodeLine(jsonl::encodeEvent(decoded.event), again) == jsonl::DecodeStatus::Ok,
                "an encoded event decodes");
            require(again.type == jsonl::LineType::Event && sameEvent(again.event, decoded.event),
                "an event survives encode and decode");
        }
        input = input.sliced(std::min(end + 1, input.size()));
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const QByteArray input = QByteArray::fromRawData(reinterpret_cast<const char*>(data), qsizetype(size));
    decodeEveryLine(input);

    SessionData session;
    QString error;
    const bool loaded = readAll(input, session, &error);
    require(loaded || !error.isEmpty(), "a file that does not load says why");

    // With a line limit the inputs can reach, long lines are skipped: what loads is a part of the whole.
    SessionData limited;
    if (readAll(input, limited, &error, 200)) {
        require(loaded, "a file that loads with a line limit loads without one");
        require(limited.events.size() <= session.events.size(), "a line limit only takes lines away");
    }
    if (!loaded)
        return 0;
    require(session.warnings.size() <= SessionReader::maxWarnings + 1, "warnings are capped");

    // Saved as JSONL with everything kept, the session loads again as it was.
    QBuffer saved;
    saved.open(QIODevice::WriteOnly);
    {
        const auto exporter = SessionExporter::create(SessionFormat::Jsonl, &saved, { true, QStringLiteral("fuzz") });
        for (const Connection& c : std::as_const(session.connections))
            exporter->addConnection(c);
        for (const Event& e : session.events)
            exporter->addEvent(e);
        require(exporter->finish(nullptr), "the exporter finishes");
    }
    SessionData reloaded;
    require(readAll(saved.data(), reloaded, &error), "a saved session loads", error);
    require(reloaded.warnings.isEmpty(), "a saved session loads without warnings", reloaded.warnings.join(u'|'));
    require(reloaded.connections == session.connections, "connections survive a save");
    require(reloaded.events.size() == session.events.size(), "every event survives a save");
    for (size_t i = 0; i < session.events.size(); ++i)
        require(sameEvent(reloaded.events[i], session.events[i]), "events survive a save unchanged");

    // The redacting path only has to hold up.
    QBuffer redacted;
    redacted.open(QIODevice::WriteOnly);
    const auto exporter = SessionExporter::create(SessionFormat::Jsonl, &redacted, {});
    for (const Connection& c : std::as_const(session.connections))
        exporter->addConnection(c);
    for (const Event& e : session.events)
        exporter->addEvent(e);
    exporter->finish(nullptr);
    return 0;
}
