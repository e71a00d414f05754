// libFuzzer target: the HTTP/1.1 head parser of the upgrade handshake (HttpHead::parse) on any bytes, with the
// default limits, with limits picked by the input's first byte (0 included), and with limits set exactly at and
// just below what a parsed head needs. Beyond "no crash, no leak, no UB", it checks the parser's promises: a head
// is complete exactly when its blank line has arrived (every shorter prefix needs more), the limits are obeyed
// to the byte and the header, a head that does not parse leaves the output alone and says why, and a parsed
// head written out with toBytes() parses to the same head.

#include "wire/httphead.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>

using namespace wsi;

namespace {

using Status = HttpHead::ParseStatus;

void require(bool condition, const char* what)
{
    if (!condition) {
        std::fprintf(stderr, "fuzz_httphead: property broken: %s\n", what);
        std::abort();
    }
}

bool sameHead(const HttpHead& a, const HttpHead& b)
{
    return a.method == b.method && a.target == b.target && a.status == b.status && a.reason == b.reason
        && a.version == b.version && a.headers == b.headers;
}

// A head the parser never produces, to see that a failed parse leaves the output alone.
HttpHead sentinel()
{
    HttpHead head;
    head.method = QByteArrayLiteral("SENTINEL");
    head.headers.append(HttpHeader(QByteArrayLiteral("X-Sentinel"), QByteArrayLiteral("1")));
    return head;
}

bool isSentinel(const HttpHead& head)
{
    return sameHead(head, sentinel());
}

// Checks one parse against the limits it ran with; returns the result and the head.
HttpHead::ParseResult parseChecked(QByteArrayView data, const HttpHead::Limits& limits, HttpHead& head)
{
    head = sentinel();
    const HttpHead::ParseResult result = HttpHead::parse(data, head, limits);
    switch (result.status) {
    case Status::Incomplete:
        require(result.consumed == 0 && result.error.isEmpty(), "an incomplete head consumes nothing, no error");
        require(data.size() < limits.maxHeadBytes, "a head at the size limit is not waited for");
        require(isSentinel(head), "an incomplete parse leaves the output alone");
        break;
    case Status::Invalid:
        require(result.consumed == 0 && !result.error.isEmpty(), "an invalid head says why");
        require(isSentinel(head), "an invalid parse leaves the output alone");
        break;
    case Status::Complete:
        require(result.error.isEmpty(), "a complete head has no error");
        require(result.consumed > 0 && result.consumed <= data.size() && result.consumed <= limits.maxHeadBytes,
            "a complete head lies within the data and the size limit");
        require(data[result.consumed - 1] == '\n', "a head ends with its blank line");
        require(head.headers.size() <= limits.maxHeaders, "the header count limit holds");
        require(head.isRequest() == (head.status == 0), "a head is a request or a response");
        require(head.isRequest() || (head.status >= 100 && head.status <= 999), "a response has a 3-digit status");
        require(head.version.startsWith("HTTP/"), "the version names HTTP");
        for (const HttpHeader& h : std::as_const(head.headers)) {
            require(isHttpToken(h.first), "header names are tokens");
            for (const char c : h.second)
                require(c == '\t' || (uchar(c) >= 0x20 && c != 0x7f), "header values hold no control characters");
            require(h.second == h.second.trimmed(), "header values are trimmed");
        }
        break;
    }
    return result;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size)
{
    const QByteArrayView data(reinterpret_cast<const char*>(bytes), qsizetype(size));
    const HttpHead::Limits defaults;
    HttpHead head;
    const HttpHead::ParseResult result = parseChecked(data, defaults, head);

    // Small limits, 0 included, chosen by the first byte so that the seeds stay readable heads.
    if (!data.isEmpty()) {
        HttpHead::Limits tiny;
        tiny.maxHeadBytes = uchar(data[0]) % 64;
        tiny.maxHeaders = uchar(data[0]) % 8;
        HttpHead ignored;
        parseChecked(data, tiny, ignored);
    }

    if (result.status != Status::Complete)
        return 0;

    // Complete exactly when the blank line is there: the head alone parses the same, every prefix needs more.
    HttpHead again;
    require(
        parseChecked(data.first(result.consumed), defaults, again).status == Status::Complete && sameHead(again, head),
        "the head alone parses to the same head");
    for (const qsizetype cut : { result.consumed - 1, result.consumed / 2, qsizetype(1) }) {
        if (cut < result.consumed) {
            HttpHead part;
            require(parseChecked(data.first(cut), defaults, part).status == Status::Incomplete,
                "a head cut before its blank line needs more");
        }
    }

    // The limits, at and just below what this head needs.
    HttpHead::Limits exact;
    exact.maxHeadBytes = result.consumed;
    exact.maxHeaders = int(head.headers.size());
    require(parseChecked(data, exact, again).status == Status::Complete && sameHead(again, head),
        "a head exactly at the limits parses");
    HttpHead::Limits shortByOne = exact;
    shortByOne.maxHeadBytes = result.consumed - 1;
    require(parseChecked(data, shortByOne, again).status == Status::Invalid, "a head one byte over the limit fails");
    if (!head.headers.isEmpty()) {
        HttpHead::Limits oneHeaderShort = exact;
        oneHeaderShort.maxHeaders = exact.maxHeaders - 1;
        require(parseChecked(data, oneHeaderShort, again).status == Status::Invalid,
            "a head one header over the limit fails");
    }

    // Written out, the head parses to itself (what the handshake events store and the exports read back).
    const QByteArray written = head.toBytes();
    HttpHead::Limits unlimited;
    unlimited.maxHeadBytes = written.size();
    unlimited.maxHeaders = std::numeric_limits<int>::max();
    const HttpHead::ParseResult reparsed = parseChecked(written, unlimited, again);
    require(reparsed.status == Status::Complete && reparsed.consumed == written.size(), "a written head parses");
    require(sameHead(again, head), "a written head parses to the same head");
    require(again.toBytes() == written, "writing a head is stable");
    return 0;
}
