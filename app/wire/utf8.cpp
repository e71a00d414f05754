#include "utf8.h"

#include <QtEndian>
#include <QtGlobal>

#include <bit>
#include <cstring>

namespace wsi {

namespace {

constexpr quint64 HighBits = 0x8080808080808080ULL;

// The eight bytes at p as one number, the first byte lowest whatever the machine's byte order, so that the
// lowest high bit set is the first byte that is not ASCII.
quint64 loadWord(const unsigned char* p)
{
    return qFromLittleEndian<quint64>(p);
}

// Skips the ASCII that starts [p, end): most protocol text is ASCII, and a 64 KiB message is checked on the
// proxy's thread as it is relayed. Thirty-two bytes a step while they last, then eight; the first byte that is
// not ASCII is found from the word's high bits rather than byte by byte.
const unsigned char* skipAscii(const unsigned char* p, const unsigned char* end)
{
    while (end - p >= 32) {
        const quint64 a = loadWord(p);
        const quint64 b = loadWord(p + 8);
        const quint64 c = loadWord(p + 16);
        const quint64 d = loadWord(p + 24);
        if ((a | b | c | d) & HighBits)
            break;
        p += 32;
    }
    while (end - p >= 8) {
        const quint64 word = loadWord(p) & HighBits;
        if (word)
            return p + std::countr_zero(word) / 8;
        p += 8;
    }
    while (p < end && *p < 0x80)
        ++p;
    return p;
}

} // namespace

bool isValidUtf8(QByteArrayView data)
{
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    const auto* end = p + data.size();
    while (p < end) {
        p = skipAscii(p, end);
        if (p >= end)
            break;
        const unsigned char c = *p;
        int extra;
        unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
        if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            if (c == 0xE0)
                lo = 0xA0; // overlong
            else if (c == 0xED)
                hi = 0x9F; // surrogates
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            if (c == 0xF0)
                lo = 0x90; // overlong
            else if (c == 0xF4)
                hi = 0x8F; // above U+10FFFF
        } else {
            return false;
        }
        if (end - p <= extra)
            return false;
        if (p[1] < lo || p[1] > hi)
            return false;
        for (int i = 2; i <= extra; ++i) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
        }
        p += extra + 1;
    }
    return true;
}

} // namespace wsi
