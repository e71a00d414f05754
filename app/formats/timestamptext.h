#pragma once

#include <QByteArray>
#include <QStringView>

namespace wsi {

/*
 * A timestamp in microseconds since the Unix epoch as UTC text, the way the export formats write it: the date
 * and time to the second by format (QDateTime::toString), then '.' and the first fractionDigits (1 to 6)
 * digits of the second's fraction, truncated. Seconds and fraction come from a floor division, so that a time
 * before 1970 still gets a fraction in [0, 1): -1 µs is 1969-12-31 23:59:59.999999, not 1970-01-01 00:00:00.
 */
QByteArray utcTimestampText(qint64 timestampUs, QStringView format, int fractionDigits);

} // namespace wsi
