#pragma once

#include <QByteArrayView>
#include <QCoreApplication>
#include <QString>

namespace wsi {

/*
 * The classic hex dump: "00000010  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 00 01  |Hello, world!...|",
 * sixteen bytes a line, an extra space after the eighth, the ASCII column showing printable ASCII and '.'
 * for everything else (so a UTF-8 character is one dot per byte). Lines can be made by range, so that a
 * large payload is rendered a chunk at a time instead of as one 60-megabyte string; every line of a range
 * looks exactly as it does in the whole dump.
 */
class HexDump
{
    Q_DECLARE_TR_FUNCTIONS(wsi::HexDump)

public:
    static constexpr int BytesPerLine = 16;
    // What the detail pane shows before it asks; a 256 KiB dump is about 1.3 million characters.
    static constexpr qsizetype DefaultMaxBytes = qsizetype(256) << 10;

    static qsizetype lineCount(qsizetype byteCount) { return (byteCount + BytesPerLine - 1) / BytesPerLine; }

    // Lines [firstLine, firstLine + count) of the dump of data (clipped to what exists), each ending in '\n'.
    static QString lines(QByteArrayView data, qsizetype firstLine, qsizetype count);
    // The dump of the first maxBytes of data, then a line saying how many bytes were left out.
    static QString dump(QByteArrayView data, qsizetype maxBytes = DefaultMaxBytes);
    // "… 1,234 more bytes", the line that dump() ends a cut dump with.
    static QString omittedText(qsizetype omittedBytes);
};

} // namespace wsi
