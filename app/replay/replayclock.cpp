#include "replayclock.h"

#include <algorithm>
#include <cmath>

namespace wsi {

namespace {
constexpr qint64 MaxTimerNs = qint64(24) * 3600 * 1000 * 1000 * 1000;

// double to qint64 with the result kept within +-MaxScaledNs (a cast of an out-of-range double is undefined).
qint64 saturate(double v)
{
    constexpr double limit = double(ReplayClock::MaxScaledNs);
    if (!(v < limit)) // NaN too
        return ReplayClock::MaxScaledNs;
    if (v <= -limit)
        return -ReplayClock::MaxScaledNs;
    return qint64(v);
}
} // namespace

ReplayClock::ReplayClock(double speed)
    : m_speed(std::isfinite(speed) && speed > 0 ? speed : 0)
{ }

void ReplayClock::start(qint64 nowNs)
{
    m_started = true;
    m_paused = false;
    m_originNs = nowNs;
}

void ReplayClock::pause(qint64 nowNs)
{
    if (!m_started || m_paused)
        return;
    m_paused = true;
    m_pausedAtNs = nowNs;
}

void ReplayClock::resume(qint64 nowNs)
{
    if (!m_started || !m_paused)
        return;
    m_paused = false;
    // The time spent paused does not count: everything still to come moves back by it.
    m_originNs += nowNs - m_pausedAtNs;
}

qint64 ReplayClock::positionUs(qint64 nowNs) const
{
    if (!m_started || isAsFastAsPossible())
        return 0;
    const qint64 at = m_paused ? m_pausedAtNs : nowNs;
    return saturate(std::floor(double(at - m_originNs) * m_speed / 1000.0));
}

qint64 ReplayClock::nsUntil(qint64 offsetUs, qint64 nowNs) const
{
    if (!m_started || m_paused)
        return -1;
    if (isAsFastAsPossible())
        return 0;
    // Computed from the origin each time (not from the previous send), so rounding never accumulates.
    const qint64 dueNs = m_originNs + scaledNs(offsetUs, m_speed);
    return std::max<qint64>(0, dueNs - nowNs);
}

qint64 ReplayClock::lateNs(qint64 offsetUs, qint64 nowNs) const
{
    if (!m_started || isAsFastAsPossible())
        return 0;
    const qint64 at = m_paused ? m_pausedAtNs : nowNs;
    return at - (m_originNs + scaledNs(offsetUs, m_speed));
}

void ReplayClock::seek(qint64 offsetUs, qint64 nowNs)
{
    if (!m_started || isAsFastAsPossible())
        return;
    const qint64 at = m_paused ? m_pausedAtNs : nowNs;
    m_originNs = at - scaledNs(offsetUs, m_speed);
}

qint64 ReplayClock::scaledNs(qint64 us, double speed)
{
    if (!(speed > 0) || us <= 0)
        return 0;
    return saturate(std::ceil(double(us) * 1000.0 / speed));
}

int ReplayClock::timerMs(qint64 ns)
{
    if (ns <= 0)
        return 0;
    return int((std::min(ns, MaxTimerNs) + 999999) / 1000000);
}

} // namespace wsi
