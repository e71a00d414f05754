// libFuzzer target: the incremental RFC 6455 frame parser (FrameParser) on any bytes, fed in pieces whose size
// the input's first byte picks. Beyond "no crash, no leak, no UB", it checks the parser's promise: any split
// of the same bytes yields the same frames and the same end (a frame, more needed, or the same error), and
// every frame it yields is encoded back into bytes that parse to that frame.

#include "wire/frame.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace wsi;

namespace {

// Small, so that a length field cannot make the fuzzer wait on a huge frame: what the limit guards is tested
// by hitting it.
constexpr qint64 maxPayload = 1 << 20;

void require(bool condition, const char* what)
{
    if (!condition) {
        std::fprintf(stderr, "fuzz_frame: property broken: %s\n", what);
        std::abort();
    }
}

bool sameFrame(const Frame& a, const Frame& b)
{
    return a.fin == b.fin && a.rsv == b.rsv && a.opcode == b.opcode && a.masked == b.masked
        && (!a.masked || a.maskKey == b.maskKey) && a.payload == b.payload;
}

struct Outcome
{
    std::vector<Frame> frames;
    FrameParser::Status end = FrameParser::Status::NeedMore;
    FrameParser::Error error;
};

Outcome parseInPieces(QByteArrayView bytes, qsizetype piece)
{
    Outcome out;
    FrameParser parser(maxPayload);
    for (qsizetype at = 0; at < bytes.size() && out.end != FrameParser::Status::Failed; at += piece) {
        parser.feed(bytes.sliced(at, std::min(piece, bytes.size() - at)));
        Frame frame;
        while ((out.end = parser.next(frame)) == FrameParser::Status::Frame)
            out.frames.push_back(frame);
    }
    if (out.end == FrameParser::Status::Failed)
        out.error = parser.error();
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0)
        return 0;
    const qsizetype piece = data[0] % 64 + 1;
    const QByteArrayView bytes(reinterpret_cast<const char*>(data) + 1, qsizetype(size - 1));

    const Outcome whole = parseInPieces(bytes, qMax<qsizetype>(1, bytes.size()));
    const Outcome split = parseInPieces(bytes, piece);
    require(whole.end == split.end, "the same end for any split");
    require(whole.frames.size() == split.frames.size(), "the same number of frames for any split");
    for (size_t i = 0; i < whole.frames.size(); ++i)
        require(sameFrame(whole.frames[i], split.frames[i]), "the same frames for any split");
    if (whole.end == FrameParser::Status::Failed) {
        require(whole.error.closeCode == split.error.closeCode && whole.error.message == split.error.message,
            "the same error for any split");
        require(isValidCloseCode(whole.error.closeCode) && !whole.error.message.isEmpty(),
            "an error carries a close code a peer may send and a reason");
    }

    for (const Frame& f : whole.frames) {
        require(!isControl(f.opcode) || (f.fin && f.payload.size() <= 125), "control frames are short and whole");
        const QByteArray encoded = encodeFrame(
            f.opcode, f.payload, f.fin, f.masked ? std::optional<quint32>(f.maskKey) : std::nullopt, f.rsv);
        FrameParser again(maxPayload);
        again.feed(encoded);
        Frame back;
        require(again.next(back) == FrameParser::Status::Frame && sameFrame(back, f) && again.buffered() == 0,
            "a frame survives encode and parse");
    }
    return 0;
}
