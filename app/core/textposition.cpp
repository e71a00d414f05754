#include "textposition.h"

#include <QString>

#include <algorithm>

namespace wsi {

TextPosition textPosition(QStringView text, qsizetype offset)
{
    offset = std::clamp(offset, qsizetype(0), text.size());
    const QStringView before = text.first(offset);
    const qsizetype lineStart = before.lastIndexOf(u'\n') + 1;
    return { before.count(u'\n') + 1, offset - lineStart + 1 };
}

TextPosition utf8TextPosition(QByteArrayView utf8, qsizetype byteOffset)
{
    byteOffset = std::clamp(byteOffset, qsizetype(0), utf8.size());
    const QByteArrayView before = utf8.first(byteOffset);
    const qsizetype lineStart = before.lastIndexOf('\n') + 1;
    // Only the last line is decoded; a multi-byte character cut by the offset counts as one (a replacement).
    const QString line = QString::fromUtf8(before.sliced(lineStart));
    return { before.count('\n') + 1, line.size() + 1 };
}

} // namespace wsi
