#include "composermessage.h"

#include "textposition.h"

#include <algorithm>
#include <array>

namespace wsi {

namespace {
constexpr std::array<QLatin1StringView, 5> ModeNames { QLatin1StringView("text"), QLatin1StringView("json"),
    QLatin1StringView("hex"), QLatin1StringView("base64"), QLatin1StringView("file") };

int hexValue(QChar c)
{
    const char16_t u = c.unicode();
    if (u >= u'0' && u <= u'9')
        return u - u'0';
    if (u >= u'a' && u <= u'f')
        return u - u'a' + 10;
    if (u >= u'A' && u <= u'F')
        return u - u'A' + 10;
    return -1;
}

int base64Value(QChar c)
{
    const char16_t u = c.unicode();
    if (u >= u'A' && u <= u'Z')
        return u - u'A';
    if (u >= u'a' && u <= u'z')
        return u - u'a' + 26;
    if (u >= u'0' && u <= u'9')
        return u - u'0' + 52;
    if (u == u'+')
        return 62;
    if (u == u'/')
        return 63;
    return -1;
}

// A character as an error message shows it: printable ones quoted, others by code point.
QString describe(QChar c)
{
    if (c.isPrint() && !c.isSpace())
        return QLatin1Char('\'') + c + QLatin1Char('\'');
    return QLatin1String("U+") + QString::number(c.unicode(), 16).toUpper().rightJustified(4, QLatin1Char('0'));
}
} // namespace

QString ComposerMessage::modeName(ComposerMode mode)
{
    return QString(ModeNames.at(size_t(mode)));
}

std::optional<ComposerMode> ComposerMessage::modeFromName(QStringView name)
{
    for (size_t i = 0; i < ModeNames.size(); ++i) {
        if (name == ModeNames.at(i))
            return ComposerMode(i);
    }
    return std::nullopt;
}

QString ComposerMessage::position(QStringView text, qsizetype offset)
{
    const TextPosition at = textPosition(text, offset);
    return tr("line %1, column %2").arg(at.line).arg(at.column);
}

std::optional<QByteArray> ComposerMessage::decodeHex(QStringView text, QString* error)
{
    QByteArray bytes;
    bytes.reserve(text.size() / 2);
    int high = -1; // the first digit of a byte whose second one is still to come
    qsizetype digits = 0;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c.isSpace() || c == QLatin1Char(','))
            continue;
        // 0x where a byte starts is a prefix ('x' is no digit); it must lead to digits.
        if (c == QLatin1Char('0') && high < 0 && i + 1 < text.size()
            && (text.at(i + 1) == QLatin1Char('x') || text.at(i + 1) == QLatin1Char('X'))) {
            if (i + 2 == text.size() || hexValue(text.at(i + 2)) < 0) {
                if (error)
                    *error = tr("0x at %1 is not followed by hex digits").arg(position(text, i));
                return std::nullopt;
            }
            ++i;
            continue;
        }
        const int value = hexValue(c);
        if (value < 0) {
            if (error)
                *error = tr("%1 at %2 is not a hex digit").arg(describe(c), position(text, i));
            return std::nullopt;
        }
        ++digits;
        if (high < 0) {
            high = value;
        } else {
            bytes.append(char((high << 4) | value));
            high = -1;
        }
    }
    if (high >= 0) {
        if (error)
            *error = tr("an odd number of hex digits (%1): every byte needs two").arg(digits);
        return std::nullopt;
    }
    return bytes;
}

std::optional<QByteArray> ComposerMessage::decodeBase64(QStringView text, QString* error)
{
    auto fail = [error](const QString& message) -> std::optional<QByteArray> {
        if (error)
            *error = message;
        return std::nullopt;
    };
    QByteArray bytes;
    bytes.reserve(text.size() / 4 * 3 + 3);
    std::array<int, 4> values {};
    int count = 0; // characters of the current group of four, padding included
    int padding = 0;
    bool ended = false; // a group with padding ends the data
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (c.isSpace())
            continue;
        if (ended)
            return fail(
                tr("%1 at %2 comes after the '=' padding that ends the data").arg(describe(c), position(text, i)));
        if (c == QLatin1Char('=')) {
            if (count < 2)
                return fail(tr("'=' at %1: padding can only end a group of four characters, after at least two")
                                .arg(position(text, i)));
            ++padding;
            values.at(count++) = 0;
        } else {
            const int value = base64Value(c);
            if (value < 0 && (c == QLatin1Char('-') || c == QLatin1Char('_')))
                return fail(tr("%1 at %2 is base64url, not base64 (which has + and / instead of - and _)")
                                .arg(describe(c), position(text, i)));
            if (value < 0)
                return fail(tr("%1 at %2 is not a base64 character").arg(describe(c), position(text, i)));
            if (padding > 0)
                return fail(
                    tr("%1 at %2 comes after the '=' padding that ends the data").arg(describe(c), position(text, i)));
            values.at(count++) = value;
        }
        if (count == 4) {
            bytes.append(char((values[0] << 2) | (values[1] >> 4)));
            if (padding < 2)
                bytes.append(char(((values[1] & 0xf) << 4) | (values[2] >> 2)));
            if (padding < 1)
                bytes.append(char(((values[2] & 0x3) << 6) | values[3]));
            ended = padding > 0;
            count = 0;
        }
    }
    if (count == 1)
        return fail(tr("the base64 data ends with a single character of a group of four"));
    if (count > 1) {
        if (padding > 0)
            return fail(tr("the base64 data ends in the middle of its '=' padding"));
        return fail(tr("the base64 data ends without its '=' padding (%1 missing)").arg(4 - count));
    }
    return bytes;
}

} // namespace wsi
