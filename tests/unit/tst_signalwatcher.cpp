#include "cli/signalwatcher.h"

#include <QSignalSpy>
#include <QTest>

#include <csignal>

using namespace wsi;

namespace {
using Handler = void (*)(int);

// The action installed for a signal right now.
Handler currentHandler(int signalNumber)
{
    struct sigaction sa = {};
    ::sigaction(signalNumber, nullptr, &sa);
    return sa.sa_handler;
}
} // namespace

class TestSignalWatcher : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void deliversSignals_data();
    void deliversSignals();
    void secondWatcherLeavesTheFirstAlone();
    void restoresThePreviousActions();
};

void TestSignalWatcher::deliversSignals_data()
{
    QTest::addColumn<int>("signalNumber");
    QTest::newRow("SIGINT") << int(SIGINT);
    QTest::newRow("SIGTERM") << int(SIGTERM);
}

void TestSignalWatcher::deliversSignals()
{
    QFETCH(int, signalNumber);
    SignalWatcher watcher;
    QVERIFY(watcher.isValid());
    QSignalSpy spy(&watcher, &SignalWatcher::terminationRequested);
    QCOMPARE(::raise(signalNumber), 0);
    QTRY_COMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toInt(), signalNumber);
}

void TestSignalWatcher::secondWatcherLeavesTheFirstAlone()
{
    SignalWatcher first;
    QVERIFY(first.isValid());
    {
        SignalWatcher second;
        QVERIFY(!second.isValid());
    }
    // Had the second one reset SIGINT to its default action, this would end the test process.
    QSignalSpy spy(&first, &SignalWatcher::terminationRequested);
    QCOMPARE(::raise(SIGINT), 0);
    QTRY_COMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toInt(), int(SIGINT));
}

void TestSignalWatcher::restoresThePreviousActions()
{
    struct sigaction ignore = {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    struct sigaction before = {};
    QCOMPARE(::sigaction(SIGTERM, &ignore, &before), 0);
    const Handler intBefore = currentHandler(SIGINT); // SIG_IGN when started in the background
    {
        SignalWatcher watcher;
        QVERIFY(watcher.isValid());
        QVERIFY(currentHandler(SIGTERM) != SIG_IGN);
    }
    QVERIFY(currentHandler(SIGTERM) == SIG_IGN);
    QVERIFY(currentHandler(SIGINT) == intBefore);
    ::sigaction(SIGTERM, &before, nullptr);

    // And a new watcher works after the old one is gone (the pipe was released).
    SignalWatcher again;
    QVERIFY(again.isValid());
}

QTEST_GUILESS_MAIN(TestSignalWatcher)
#include "tst_signalwatcher.moc"
