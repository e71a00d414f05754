#include "hexdump.h"

#include <QLocale>

namespace wsi {

namespace {
// "00000000" + 2 spaces + 16 * "xx " + 1 extra space + " |" + 16 ASCII + "|" + '\n'
constexpr qsizetype MaxLineChars = 16 + 2 + HexDump::BytesPerLine * 3 + 1 + 2 + HexDump::BytesPerLine + 2;
} // namespace

QString HexDump::lines(QByteArrayView data, qsizetype firstLine, qsizetype count)
{
    static constexpr char16_t digits[] = u"0123456789abcdef";
    const qsizetype totalLines = lineCount(data.size());
    firstLine = std::clamp<qsizetype>(firstLine, 0, totalLines);
    const qsizetype lastLine = std::min(totalLines, firstLine + std::max<qsizetype>(count, 0));
    if (lastLine <= firstLine)
        return {};

    // Written straight into a preallocated buffer: this runs over megabytes when the user asks for all.
    QString out((lastLine - firstLine) * MaxLineChars, Qt::Uninitialized);
    QChar* p = out.data();
    for (qsizetype line = firstLine; line < lastLine; ++line) {
        const qsizetype start = line * BytesPerLine;
        const qsizetype end = std::min(start + BytesPerLine, data.size());

        // At least eight digits; offsets past 4 GiB simply get more.
        int offsetDigits = 8;
        while (offsetDigits < 16 && (quint64(start) >> (4 * offsetDigits)) != 0)
            ++offsetDigits;
        for (int d = offsetDigits - 1; d >= 0; --d)
            *p++ = QChar(digits[(quint64(start) >> (4 * d)) & 0xf]);
        *p++ = u' ';
        *p++ = u' ';

        for (qsizetype i = start; i < start + BytesPerLine; ++i) {
            if (i < end) {
                const auto byte = quint8(data[i]);
                *p++ = QChar(digits[byte >> 4]);
                *p++ = QChar(digits[byte & 0xf]);
            } else {
                // Padding keeps the ASCII column of a short last line where the other lines have it.
                *p++ = u' ';
                *p++ = u' ';
            }
            *p++ = u' ';
            if (i - start == BytesPerLine / 2 - 1)
                *p++ = u' ';
        }
        *p++ = u' ';
        *p++ = u'|';
        for (qsizetype i = start; i < end; ++i) {
            const auto byte = quint8(data[i]);
            *p++ = (byte >= 0x20 && byte < 0x7f) ? QChar(char16_t(byte)) : QChar(u'.');
        }
        *p++ = u'|';
        *p++ = u'\n';
    }
    out.truncate(p - out.constData());
    return out;
}

QString HexDump::dump(QByteArrayView data, qsizetype maxBytes)
{
    const qsizetype shown = std::clamp<qsizetype>(maxBytes, 0, data.size());
    QString out = lines(data.first(shown), 0, lineCount(shown));
    if (shown < data.size())
        out += omittedText(data.size() - shown) + QLatin1Char('\n');
    return out;
}

QString HexDump::omittedText(qsizetype omittedBytes)
{
    return tr("\u2026 %1 more bytes").arg(QLocale().toString(omittedBytes));
}

} // namespace wsi
