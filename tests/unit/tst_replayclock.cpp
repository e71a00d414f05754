// The replay schedule as arithmetic: when each recorded offset is due at a speed, across pauses, seeks and
// late sends, on a clock the test moves by hand (no waiting, no timing assertions).

#include "replay/replayclock.h"

#include <QTest>

#include <limits>

using namespace wsi;

namespace {
constexpr qint64 Ms = 1000000; // ns
constexpr qint64 Start = 5000 * Ms; // an arbitrary monotonic reading
} // namespace

class TestReplayClock : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void dueTimesScaleWithSpeed_data();
    void dueTimesScaleWithSpeed();
    void notStartedOrPausedIsNeverDue();
    void asFastAsPossible();
    void pausedTimeDoesNotCount();
    void lateSendsDoNotShiftLaterOnes();
    void seekMakesTheSteppedMessageOnTime();
    void positionFollowsTheClock();
    void timerMsRoundsUp_data();
    void timerMsRoundsUp();
    void extremesSaturate_data();
    void extremesSaturate();
};

void TestReplayClock::dueTimesScaleWithSpeed_data()
{
    QTest::addColumn<double>("speed");
    QTest::addColumn<qint64>("offsetUs");
    QTest::addColumn<qint64>("dueAfterNs");

    QTest::newRow("1x, 0") << 1.0 << qint64(0) << qint64(0);
    QTest::newRow("1x, 1.5 s") << 1.0 << qint64(1500000) << 1500 * Ms;
    QTest::newRow("2x, 1.5 s") << 2.0 << qint64(1500000) << 750 * Ms;
    QTest::newRow("10x, 1.5 s") << 10.0 << qint64(1500000) << 150 * Ms;
    QTest::newRow("0.25x, 1.5 s") << 0.25 << qint64(1500000) << 6000 * Ms;
    QTest::newRow("3x, 1 µs rounds up") << 3.0 << qint64(1) << qint64(334);
    QTest::newRow("1x, an hour") << 1.0 << qint64(3600) * 1000000 << qint64(3600) * 1000 * Ms;
}

void TestReplayClock::dueTimesScaleWithSpeed()
{
    QFETCH(double, speed);
    QFETCH(qint64, offsetUs);
    QFETCH(qint64, dueAfterNs);
    ReplayClock clock(speed);
    QCOMPARE(clock.speed(), speed);
    QVERIFY(!clock.isAsFastAsPossible());
    clock.start(Start);
    QCOMPARE(clock.nsUntil(offsetUs, Start), dueAfterNs);
    // Half-way there, half is left; at or after the moment, it is due.
    QCOMPARE(clock.nsUntil(offsetUs, Start + dueAfterNs / 2), dueAfterNs - dueAfterNs / 2);
    QCOMPARE(clock.nsUntil(offsetUs, Start + dueAfterNs), 0);
    QCOMPARE(clock.nsUntil(offsetUs, Start + dueAfterNs + 7 * Ms), 0);
    QCOMPARE(clock.lateNs(offsetUs, Start + dueAfterNs + 7 * Ms), 7 * Ms);
    QCOMPARE(clock.lateNs(offsetUs, Start + dueAfterNs - 3), -3);
}

void TestReplayClock::notStartedOrPausedIsNeverDue()
{
    ReplayClock clock;
    QVERIFY(!clock.isStarted());
    QCOMPARE(clock.nsUntil(0, Start), -1);
    QCOMPARE(clock.positionUs(Start), 0);
    clock.pause(Start); // nothing to pause yet
    QVERIFY(!clock.isPaused());
    clock.start(Start);
    clock.pause(Start + 10 * Ms);
    QVERIFY(clock.isPaused());
    QCOMPARE(clock.nsUntil(0, Start + 20 * Ms), -1);
}

void TestReplayClock::asFastAsPossible()
{
    for (double speed : { 0.0, -1.0, qQNaN(), qInf() }) {
        ReplayClock clock(speed);
        QVERIFY2(clock.isAsFastAsPossible(), qPrintable(QString::number(speed)));
        clock.start(Start);
        QCOMPARE(clock.nsUntil(3600000000, Start), 0);
        QCOMPARE(clock.lateNs(3600000000, Start), 0);
        QCOMPARE(clock.positionUs(Start + 100 * Ms), 0);
    }
}

void TestReplayClock::pausedTimeDoesNotCount()
{
    ReplayClock clock(2.0);
    clock.start(Start);
    // Due at 500 ms (1 s of recording at 2x). Paused from 200 to 1200 ms: due at 1500 ms.
    clock.pause(Start + 200 * Ms);
    clock.pause(Start + 300 * Ms); // a second pause changes nothing
    clock.resume(Start + 1200 * Ms);
    QVERIFY(!clock.isPaused());
    QCOMPARE(clock.nsUntil(1000000, Start + 1200 * Ms), 300 * Ms);
    clock.resume(Start + 1300 * Ms); // not paused: nothing moves
    QCOMPARE(clock.nsUntil(1000000, Start + 1200 * Ms), 300 * Ms);
    // Two pauses add up.
    clock.pause(Start + 1300 * Ms);
    clock.resume(Start + 1400 * Ms);
    QCOMPARE(clock.nsUntil(1000000, Start + 1400 * Ms), 200 * Ms);
}

void TestReplayClock::lateSendsDoNotShiftLaterOnes()
{
    // Messages every 100 ms; each one is sent 30 ms late (a busy machine). The schedule does not drift: the
    // tenth is still due at 1000 ms, not at 1000 + 9 * 30.
    ReplayClock clock(1.0);
    clock.start(Start);
    qint64 now = Start;
    for (int i = 1; i <= 9; ++i) {
        now += clock.nsUntil(i * 100000, now) + 30 * Ms; // woke up late
        QCOMPARE(clock.lateNs(i * 100000, now), 30 * Ms);
    }
    QCOMPARE(now, Start + 930 * Ms);
    QCOMPARE(clock.nsUntil(1000000, now), 70 * Ms);
}

void TestReplayClock::seekMakesTheSteppedMessageOnTime()
{
    ReplayClock clock(1.0);
    clock.start(Start);
    clock.pause(Start + 100 * Ms);
    // Step while paused to the message at 2 s: the one at 2.5 s comes 500 ms after the resume.
    clock.seek(2000000, Start + 5000 * Ms);
    QCOMPARE(clock.positionUs(Start + 5000 * Ms), 2000000);
    clock.resume(Start + 7000 * Ms);
    QCOMPARE(clock.positionUs(Start + 7000 * Ms), 2000000);
    QCOMPARE(clock.nsUntil(2500000, Start + 7000 * Ms), 500 * Ms);
    // Seeking while running: from that moment on.
    clock.seek(100000, Start + 8000 * Ms);
    QCOMPARE(clock.nsUntil(300000, Start + 8000 * Ms), 200 * Ms);
}

void TestReplayClock::positionFollowsTheClock()
{
    ReplayClock clock(0.5);
    clock.start(Start);
    QCOMPARE(clock.positionUs(Start), 0);
    QCOMPARE(clock.positionUs(Start + 1000 * Ms), 500000);
    clock.pause(Start + 2000 * Ms);
    QCOMPARE(clock.positionUs(Start + 9000 * Ms), 1000000);
}

void TestReplayClock::timerMsRoundsUp_data()
{
    QTest::addColumn<qint64>("ns");
    QTest::addColumn<int>("ms");
    QTest::newRow("due") << qint64(0) << 0;
    QTest::newRow("past") << qint64(-5) << 0;
    QTest::newRow("1 ns") << qint64(1) << 1;
    QTest::newRow("exactly 1 ms") << Ms << 1;
    QTest::newRow("1 ms and a bit") << Ms + 1 << 2;
    QTest::newRow("a year is a day") << qint64(365) * 24 * 3600 * 1000 * Ms << 24 * 3600 * 1000;
}

void TestReplayClock::timerMsRoundsUp()
{
    QFETCH(qint64, ns);
    QFETCH(int, ms);
    QCOMPARE(ReplayClock::timerMs(ns), ms);
}

void TestReplayClock::extremesSaturate_data()
{
    QTest::addColumn<double>("speed");
    QTest::addColumn<qint64>("offsetUs");
    QTest::addColumn<qint64>("scaledNs");
    constexpr qint64 maxUs = std::numeric_limits<qint64>::max();
    // 9.2e18 µs is 9.2e21 ns at 1x: far past qint64; a double-to-integer cast of it would be undefined.
    QTest::newRow("largest offset at 1x") << 1.0 << maxUs << ReplayClock::MaxScaledNs;
    QTest::newRow("an hour at a tiny speed") << 1e-12 << qint64(3600) * 1000000 << ReplayClock::MaxScaledNs;
    QTest::newRow("largest offset at 0.01x") << 0.01 << maxUs << ReplayClock::MaxScaledNs;
    QTest::newRow("a year at 0.01x fits")
        << 0.01 << qint64(365) * 24 * 3600 * 1000000 << qint64(365) * 24 * 3600 * 1000 * Ms * 100;
    QTest::newRow("negative offset") << 1.0 << qint64(-5) << qint64(0);
    QTest::newRow("as fast as possible") << 0.0 << maxUs << qint64(0);
}

void TestReplayClock::extremesSaturate()
{
    QFETCH(double, speed);
    QFETCH(qint64, offsetUs);
    QFETCH(qint64, scaledNs);
    QCOMPARE(ReplayClock::scaledNs(offsetUs, speed), scaledNs);
    ReplayClock clock(speed);
    clock.start(Start);
    if (!clock.isAsFastAsPossible()) {
        QCOMPARE(clock.nsUntil(offsetUs, Start), scaledNs);
        QCOMPARE(clock.lateNs(offsetUs, Start), -scaledNs);
    }
    // A due time that never comes waits a day at a time, it does not wrap into "now".
    QVERIFY(ReplayClock::timerMs(clock.nsUntil(offsetUs, Start)) >= 0);
    // A position that a huge speed multiplies past qint64 saturates as well.
    ReplayClock fast(1e9);
    fast.start(Start);
    QCOMPARE(fast.positionUs(Start + ReplayClock::MaxScaledNs), ReplayClock::MaxScaledNs);
}

QTEST_GUILESS_MAIN(TestReplayClock)
#include "tst_replayclock.moc"
