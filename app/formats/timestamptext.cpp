#include "timestamptext.h"

#include <QDateTime>

#include <algorithm>

namespace wsi {

QByteArray utcTimestampText(qint64 timestampUs, QStringView format, int fractionDigits)
{
    qint64 seconds = timestampUs / 1000000;
    qint64 micros = timestampUs % 1000000;
    if (micros < 0) {
        micros += 1000000;
        --seconds;
    }
    fractionDigits = std::clamp(fractionDigits, 1, 6);
    qint64 fraction = micros;
    for (int i = fractionDigits; i < 6; ++i)
        fraction /= 10;
    return QDateTime::fromSecsSinceEpoch(seconds, Qt::UTC).toString(format).toLatin1() + '.'
        + QByteArray::number(fraction).rightJustified(fractionDigits, '0');
}

} // namespace wsi
