#pragma once

#include <QByteArrayView>
#include <QStringView>

namespace wsi {

// Where an offset is in a text, as editors show it: line and column, both from 1. Columns count UTF-16 code
// units (what QString and the composer's editor count), so a character outside the BMP counts two.
struct TextPosition
{
    qsizetype line = 1;
    qsizetype column = 1;
};

// offset in UTF-16 code units, clamped to the text.
TextPosition textPosition(QStringView text, qsizetype offset);
// byteOffset in UTF-8 bytes (e.g. QJsonParseError::offset), clamped; the column is still in UTF-16 code units.
TextPosition utf8TextPosition(QByteArrayView utf8, qsizetype byteOffset);

} // namespace wsi
