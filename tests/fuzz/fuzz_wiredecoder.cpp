// libFuzzer target: the WireDecoder of the recording proxy on any bytes. The input's first byte picks the
// sender (bit 0: client, else server), whether permessage-deflate was agreed (bit 1), whether without context
// takeover (bit 2), and the size of the pieces the rest is fed in (bits 3-7: 1 to 32 bytes). Beyond "no
// crash, no leak, no UB" (zlib included, on whatever the fuzzer makes of the seeds' compressed messages), it
// checks the decoder's promises: any split of the same bytes yields the same events and the same end state,
// finish() included (the stream ends after the bytes); errors have no direction and every other event but a
// note has the sender's; a message never keeps more than the limit; nothing but the one error comes out once
// the framing is lost; and finish() records whatever the end cut off (something unless the stream ended at a
// message boundary or was lost), never with FIN.

#include "wire/wiredecoder.h"

#include <QList>

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace wsi;

namespace {

// Small limits, so that the fuzzer reaches them instead of waiting on huge frames.
constexpr qint64 maxFramePayload = 1 << 16;
constexpr qint64 maxMessageBytes = 1 << 15;

void require(bool condition, const char* what)
{
    if (!condition) {
        std::fprintf(stderr, "fuzz_wiredecoder: property broken: %s\n", what);
        std::abort();
    }
}

bool sameEvent(const Event& a, const Event& b)
{
    return a.direction == b.direction && a.kind == b.kind && a.flags == b.flags && a.closeCode == b.closeCode
        && a.size == b.size && a.payload == b.payload && a.note == b.note;
}

struct Outcome
{
    QList<Event> events;
    qsizetype fedEvents = 0; // events before finish(); those after are its own
    bool lost = false;
    bool boundary = false;
    bool closeSeen = false;
    quint16 closeCode = 0;
    qint64 frames = 0;
};

Outcome decodeInPieces(
    WireDecoder::Sender sender, const std::optional<DeflateParams>& deflate, QByteArrayView bytes, qsizetype piece)
{
    WireDecoder::Limits limits;
    limits.maxFramePayload = maxFramePayload;
    limits.maxMessageBytes = maxMessageBytes;
    WireDecoder decoder(sender, limits);
    decoder.setDeflate(deflate);
    Outcome out;
    for (qsizetype at = 0; at < bytes.size(); at += piece) {
        decoder.feed(bytes.sliced(at, std::min(piece, bytes.size() - at)), &out.events);
        require(!(decoder.midFrame() && decoder.atMessageBoundary()), "never mid-frame at a message boundary");
    }
    require(decoder.bytesFed() == bytes.size(), "every byte is counted");
    out.lost = decoder.isStreamLost();
    out.boundary = decoder.atMessageBoundary();
    out.closeSeen = decoder.closeSeen();
    out.closeCode = decoder.closeCode();
    out.frames = decoder.framesDecoded();
    out.fedEvents = out.events.size();
    decoder.finish(&out.events);
    require(decoder.framesDecoded() >= out.frames, "finish() takes no frame back");
    QList<Event> again;
    decoder.finish(&again);
    require(again.isEmpty(), "a second finish() adds nothing");
    out.frames = decoder.framesDecoded();
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0)
        return 0;
    const std::uint8_t config = data[0];
    const auto sender = (config & 1) ? WireDecoder::Sender::Client : WireDecoder::Sender::Server;
    std::optional<DeflateParams> deflate;
    if (config & 2) {
        DeflateParams p;
        p.clientNoContextTakeover = p.serverNoContextTakeover = config & 4;
        deflate = p;
    }
    const qsizetype piece = (config >> 3) + 1;
    const QByteArrayView bytes(reinterpret_cast<const char*>(data) + 1, qsizetype(size - 1));

    const Outcome whole = decodeInPieces(sender, deflate, bytes, qMax<qsizetype>(1, bytes.size()));
    const Outcome split = decodeInPieces(sender, deflate, bytes, piece);
    require(whole.events.size() == split.events.size(), "the same number of events for any split");
    require(whole.fedEvents == split.fedEvents, "finish() adds the same events for any split");
    for (qsizetype i = 0; i < whole.events.size(); ++i)
        require(sameEvent(whole.events[i], split.events[i]), "the same events for any split");
    require(whole.lost == split.lost && whole.boundary == split.boundary && whole.closeSeen == split.closeSeen
            && whole.closeCode == split.closeCode && whole.frames == split.frames,
        "the same end state for any split");

    const Direction direction = sender == WireDecoder::Sender::Client ? Direction::C2S : Direction::S2C;
    for (qsizetype i = 0; i < whole.events.size(); ++i) {
        const Event& e = whole.events[i];
        if (e.kind == EventKind::Error) {
            require(e.direction == Direction::None && !e.payload.isEmpty(), "errors have no direction and a text");
            require(e.payload.contains("RFC "), "errors name their RFC section");
        } else if (e.kind == EventKind::Note) {
            require(i >= whole.fedEvents && e.direction == Direction::None, "only finish() adds notes, undirected");
        } else {
            require(e.direction == direction, "events have the sender's direction");
            require(i < whole.fedEvents || !(e.flags & FlagFin), "what finish() records was cut off: no FIN");
            const bool message = e.kind == EventKind::Text || e.kind == EventKind::Binary;
            require(e.payload.size() <= (message ? maxMessageBytes : maxFramePayload),
                "a message keeps at most the limit, a control frame at most its frame");
        }
        require(e.size >= 0, "sizes are not negative");
    }
    if (whole.lost) {
        require(whole.fedEvents == whole.events.size(), "finish() adds nothing to a lost stream");
        require(!whole.events.isEmpty() && whole.events.constLast().kind == EventKind::Error,
            "a lost stream ends with its error");
        require(!whole.boundary, "a lost stream has no message boundary");
    } else {
        require((whole.fedEvents == whole.events.size()) == whole.boundary,
            "finish() records something exactly when the stream did not end at a message boundary");
    }
    return 0;
}
