#pragma once

#include <QtGlobal>

namespace wsi {

/*
 * A replay's schedule in time. A recorded offset (µs since the recorded connection opened) is due at
 * start + offset / speed + the time spent paused: every send is measured against the start, not slept after
 * the one before, so a late send does not push back the ones after it and errors do not add up. Pure
 * arithmetic on the caller's monotonic clock (ns), so that it is tested without waiting. Speed 0 (or less)
 * means as fast as possible: everything is due at once.
 */
class ReplayClock
{
public:
    explicit ReplayClock(double speed = 1.0);

    double speed() const { return m_speed; }
    bool isAsFastAsPossible() const { return m_speed <= 0; }

    // Position 0 at nowNs; running (not paused).
    void start(qint64 nowNs);
    bool isStarted() const { return m_started; }
    void pause(qint64 nowNs);
    void resume(qint64 nowNs);
    bool isPaused() const { return m_paused; }

    // The recording time reached at nowNs, in µs (while paused: where it stopped; as fast as possible: 0).
    qint64 positionUs(qint64 nowNs) const;
    // How long from nowNs until offsetUs is due, in ns: 0 when it is due (or past); -1 while paused or not started.
    qint64 nsUntil(qint64 offsetUs, qint64 nowNs) const;
    // How late, in ns, something due at offsetUs is when it happens at nowNs (negative: early).
    qint64 lateNs(qint64 offsetUs, qint64 nowNs) const;
    // Moves the position to offsetUs, paused or not (step: the stepped message counts as sent on time, and the
    // ones after it keep their recorded gaps to it).
    void seek(qint64 offsetUs, qint64 nowNs);

    // A timer interval for a wait of ns: whole milliseconds rounded up (a timer that fires early would find
    // nothing due and spin), at most a day.
    static int timerMs(qint64 ns);
    // A recorded span in µs as ns of replay at speed (0 or less: 0), rounded up and saturated at MaxScaledNs:
    // a large offset over a small speed must not overflow qint64 (undefined behaviour), it just never comes.
    static qint64 scaledNs(qint64 us, double speed);
    // Far enough to be never in practice (about 146 years), small enough to add to a monotonic clock reading.
    static constexpr qint64 MaxScaledNs = qint64(1) << 62;

private:
    double m_speed;
    bool m_started = false;
    bool m_paused = false;
    // Position = (now - m_originNs) * speed while running: pausing and seeking move the origin.
    qint64 m_originNs = 0;
    qint64 m_pausedAtNs = 0;
};

} // namespace wsi
