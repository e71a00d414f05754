#include "core/eventfilter.h"
#include "core/eventstore.h"
#include "core/timelinemodel.h"
#include "core/timelineviewmodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace wsi;

namespace {

constexpr qint64 StartUs = 1763805600000000;

const char* const Words[] = { "alpha", "beta", "gamma" };

// Event `seq` (1-based) is deterministic, so that what a filter keeps can be worked out independently:
// word = Words[seq % 3], direction c2s for odd seq, connection seq % 3 + 1, every 5th a binary message.
Event makeEvent(quint64 seq)
{
    Event e;
    e.seq = seq;
    e.timestampUs = StartUs + qint64(seq) * 1000 + qint64(seq % 7);
    e.monotonicNs = qint64(seq) * 1000000;
    e.connection = quint32(seq % 3 + 1);
    e.direction = seq % 2 ? Direction::C2S : Direction::S2C;
    e.kind = seq % 5 == 0 ? EventKind::Binary : EventKind::Text;
    e.payload = QByteArray("{\"seq\":") + QByteArray::number(seq) + ",\"word\":\"" + Words[seq % 3] + "\"}";
    e.size = e.payload.size();
    return e;
}

CaptureBatch batchOf(quint64 firstSeq, int n)
{
    CaptureBatch b;
    b.events.reserve(size_t(n));
    for (int i = 0; i < n; ++i)
        b.events.push_back(makeEvent(firstSeq + quint64(i)));
    return b;
}

FilterSpec textSpec(const QString& text, bool regex = false)
{
    FilterSpec spec;
    spec.text = text;
    spec.regex = regex;
    return spec;
}

FilterSpec caseSensitive(FilterSpec spec)
{
    spec.caseSensitive = true;
    return spec;
}

// Matches quickly where there is a ":1" ("seq":1...), and backtracks through billions of ways to split the
// words of costlyPayload() before giving up on it (~35 ms a row without a match limit of ours).
const QString CostlyPattern = QStringLiteral("(\\w+\\s?)*:1");
const QByteArray CostlyPayload = "{\"msg\":\"the quick brown fox jumps over the lazy dog\",\"n\":\"1\"}";

} // namespace

class TestTimelineViewModel : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void identityMapping();
    void filterSubstring();
    void filterKindDirectionConnection();
    void backToNoFilter();
    void filterBeforeSource();
    void incrementalBatches();
    void batchesWhileJobRuns();
    void bigAppendGoesToWorker();
    void newerFilterCancelsOlder();
    void invalidRegexKeepsRows();
    void sameFilterTwiceDoesNothing();
    void pauseResume();
    void pauseWithFilter();
    void clearAndUndo();
    void clearAndUndoWithFilter();
    void clearThenChangeFilterThenUndo();
    void clearWhilePaused();
    void clearWhileJobRuns();
    void onlyLastClearUndoes();
    void timeModes();
    void countsChanged();
    void sourceReset();
    void headersAndInvalidIndexes();
    void sourceDestroyed();
    void filterAgreesWithEventFilter_data();
    void filterAgreesWithEventFilter();
    void clearUndoPause_data();
    void clearUndoPause();
    void costlyRegexOnLiveBatch();

private:
    void append(quint64 firstSeq, int n) { m_model->append(batchOf(firstSeq, n)); }
    // The source rows the view shows, in view order, checked against mapToSource on the way.
    QList<int> shownRows() const;
    // The source rows of [from, to) that pass spec, worked out with a fresh EventFilter.
    QList<int> expectedRows(const FilterSpec& spec, int from, int to = -1) const;

    std::unique_ptr<EventStore> m_store;
    std::unique_ptr<TimelineModel> m_model;
    std::unique_ptr<TimelineViewModel> m_view;
    std::unique_ptr<QAbstractItemModelTester> m_tester;
};

void TestTimelineViewModel::init()
{
    m_store = std::make_unique<EventStore>();
    m_model = std::make_unique<TimelineModel>(m_store.get());
    m_view = std::make_unique<TimelineViewModel>();
    m_view->setSourceModel(m_model.get());
    m_tester = std::make_unique<QAbstractItemModelTester>(
        m_view.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
}

void TestTimelineViewModel::cleanup()
{
    m_tester.reset();
    m_view.reset();
    m_model.reset();
    m_store.reset();
}

QList<int> TestTimelineViewModel::shownRows() const
{
    QList<int> rows;
    for (int v = 0; v < m_view->rowCount(); ++v) {
        const int s = m_view->sourceRow(v);
        rows << s;
        if (m_view->mapToSource(m_view->index(v, TimelineModel::KindColumn))
            != m_model->index(s, TimelineModel::KindColumn))
            qWarning("mapToSource disagrees with sourceRow at view row %d", v);
        if (m_view->viewRow(s) != v)
            qWarning("viewRow(%d) is %d, expected %d", s, m_view->viewRow(s), v);
    }
    return rows;
}

QList<int> TestTimelineViewModel::expectedRows(const FilterSpec& spec, int from, int to) const
{
    if (to < 0)
        to = int(m_store->count());
    const EventFilter filter(spec);
    QList<int> rows;
    for (int row = from; row < to; ++row) {
        if (filter.matches(*m_store, row))
            rows << row;
    }
    return rows;
}

void TestTimelineViewModel::identityMapping()
{
    QSignalSpy inserted(m_view.get(), &QAbstractItemModel::rowsInserted);
    append(1, 3);
    append(4, 5000);
    QCOMPARE(m_view->rowCount(), 5003);
    QCOMPARE(inserted.size(), 2);
    QCOMPARE(inserted.at(1).at(1).toInt(), 3);
    QCOMPARE(inserted.at(1).at(2).toInt(), 5002);
    QVERIFY(!m_view->isFilterRunning());
    QVERIFY(m_view->filter().isEmpty());
    QCOMPARE(m_view->columnCount(), int(TimelineModel::ColumnCount));
    for (int row : { 0, 1, 2, 3, 4095, 4096, 5002 }) {
        QCOMPARE(m_view->sourceRow(row), row);
        QCOMPARE(m_view->viewRow(row), row);
        for (int column = 0; column < m_view->columnCount(); ++column) {
            const QModelIndex proxy = m_view->index(row, column);
            QCOMPARE(m_view->mapToSource(proxy), m_model->index(row, column));
            QCOMPARE(m_view->mapFromSource(m_model->index(row, column)), proxy);
            for (int role : { int(Qt::DisplayRole), int(Qt::ToolTipRole), int(TimelineModel::KindRole),
                     int(TimelineModel::PayloadRole), int(TimelineModel::SeqRole) })
                QCOMPARE(m_view->data(proxy, role), m_model->data(m_model->index(row, column), role));
        }
    }
    QCOMPARE(m_view->sourceRow(5003), -1);
    QCOMPARE(m_view->sourceRow(-1), -1);
    QCOMPARE(m_view->viewRow(5003), -1);
    QCOMPARE(m_view->matchCount(), 5003);
    QCOMPARE(m_view->totalCount(), 5003);
}

void TestTimelineViewModel::filterSubstring()
{
    append(1, 3000);
    QSignalSpy started(m_view.get(), &TimelineViewModel::filterStarted);
    QSignalSpy finished(m_view.get(), &TimelineViewModel::filterFinished);
    QSignalSpy reset(m_view.get(), &QAbstractItemModel::modelReset);

    const FilterSpec spec = textSpec(QStringLiteral("BETA"));
    m_view->setFilter(spec);
    QCOMPARE(m_view->filter(), spec);
    QVERIFY(m_view->isFilterRunning());
    QCOMPARE(started.size(), 1);
    QVERIFY(m_view->waitForFilter());
    QVERIFY(!m_view->isFilterRunning());
    QCOMPARE(finished.size(), 1);
    QCOMPARE(reset.size(), 1);

    const QList<int> expected = expectedRows(spec, 0);
    QCOMPARE(expected.size(), 1000); // seq % 3 == 1: source rows 0, 3, 6, ...
    QCOMPARE(expected.first(), 0);
    QCOMPARE(shownRows(), expected);
    QCOMPARE(m_view->matchCount(), 1000);
    QCOMPARE(m_view->totalCount(), 3000);
    QCOMPARE(m_view->viewRow(1), -1);
    QCOMPARE(m_view->mapFromSource(m_model->index(1, 0)), QModelIndex());
    QCOMPARE(m_view->data(m_view->index(1, TimelineModel::SeqColumn)).toString(), QStringLiteral("4"));

    // A regular expression through the same path.
    const FilterSpec regex = textSpec(QStringLiteral("\"seq\":\\d*7,\"word\":\"(alpha|gamma)\""), true);
    m_view->setFilter(regex);
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(shownRows(), expectedRows(regex, 0));
    QVERIFY(m_view->rowCount() > 0);
}

void TestTimelineViewModel::filterKindDirectionConnection()
{
    append(1, 1000);
    FilterSpec spec;
    spec.kinds = FilterSpec::kindBit(EventKind::Binary);
    m_view->setFilter(spec);
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(m_view->rowCount(), 200);
    QCOMPARE(shownRows(), expectedRows(spec, 0));

    spec = FilterSpec();
    spec.directions = FilterSpec::directionBit(Direction::S2C);
    spec.connections = { 1, 3 };
    m_view->setFilter(spec);
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(shownRows(), expectedRows(spec, 0));
    for (int v = 0; v < m_view->rowCount(); ++v) {
        const int s = m_view->sourceRow(v);
        QCOMPARE(m_store->direction(s), Direction::S2C);
        QVERIFY(m_store->connectionId(s) != 2);
    }
}

void TestTimelineViewModel::backToNoFilter()
{
    append(1, 100);
    m_view->setFilter(textSpec(QStringLiteral("gamma")));
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(m_view->rowCount(), 33);
    QSignalSpy reset(m_view.get(), &QAbstractItemModel::modelReset);
    m_view->setFilter(FilterSpec());
    // Synchronous: nothing to compute.
    QVERIFY(!m_view->isFilterRunning());
    QCOMPARE(reset.size(), 1);
    QCOMPARE(m_view->rowCount(), 100);
    QCOMPARE(m_view->sourceRow(99), 99);
    append(101, 10);
    QCOMPARE(m_view->rowCount(), 110);
}

void TestTimelineViewModel::filterBeforeSource()
{
    TimelineViewModel view;
    QAbstractItemModelTester tester(&view, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(view.rowCount(), 0);
    QCOMPARE(view.columnCount(), 0);
    const FilterSpec spec = textSpec(QStringLiteral("alpha"));
    view.setFilter(spec);
    QCOMPARE(view.filter(), spec);
    QVERIFY(view.waitForFilter());
    append(1, 30);
    view.setSourceModel(m_model.get());
    QCOMPARE(view.timelineModel(), m_model.get());
    QVERIFY(view.waitForFilter());
    QCOMPARE(view.rowCount(), 10);
    QCOMPARE(view.sourceRow(0), 2); // seq 3, the first "alpha"
}

void TestTimelineViewModel::incrementalBatches()
{
    append(1, 500);
    const FilterSpec spec = textSpec(QStringLiteral("alpha"));
    m_view->setFilter(spec);
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(shownRows(), expectedRows(spec, 0));

    QSignalSpy aboutToInsert(m_view.get(), &QAbstractItemModel::rowsAboutToBeInserted);
    QSignalSpy inserted(m_view.get(), &QAbstractItemModel::rowsInserted);
    QSignalSpy reset(m_view.get(), &QAbstractItemModel::modelReset);
    int shown = m_view->rowCount();
    for (int batch = 0; batch < 5; ++batch) {
        const int first = int(m_store->count());
        append(quint64(first) + 1, 4096);
        const int added = int(expectedRows(spec, first).size());
        // One insertion per batch, at the end, filtered on the spot.
        QVERIFY(!m_view->isFilterRunning());
        QCOMPARE(inserted.size(), batch + 1);
        QCOMPARE(inserted.last().at(1).toInt(), shown);
        QCOMPARE(inserted.last().at(2).toInt(), shown + added - 1);
        shown += added;
        QCOMPARE(m_view->rowCount(), shown);
    }
    QCOMPARE(aboutToInsert.size(), 5);
    QCOMPARE(reset.size(), 0);
    // A batch with nothing that passes inserts nothing.
    CaptureBatch none;
    Event e = makeEvent(100000);
    e.payload = "nothing to see";
    none.events.push_back(e);
    m_model->append(none);
    QCOMPARE(inserted.size(), 5);
    QCOMPARE(shownRows(), expectedRows(spec, 0));
}

void TestTimelineViewModel::batchesWhileJobRuns()
{
    append(1, 20000);
    const FilterSpec spec = textSpec(QStringLiteral("\"word\":\"beta\""));
    m_view->setFilter(spec);
    QVERIFY(m_view->isFilterRunning());
    // The job's answer arrives through the event loop, so these batches land while it is still pending:
    // they must be filtered with the new spec after it, not lost and not shown twice.
    append(20001, 100);
    append(20101, 4096);
    QCOMPARE(m_view->rowCount(), 20000); // still the unfiltered rows, untouched
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(m_view->filter(), spec);
    QCOMPARE(shownRows(), expectedRows(spec, 0));
    QCOMPARE(m_view->totalCount(), 24196);
    append(24197, 10);
    QCOMPARE(shownRows(), expectedRows(spec, 0));
}

void TestTimelineViewModel::bigAppendGoesToWorker()
{
    const FilterSpec spec = textSpec(QStringLiteral("gamma"));
    m_view->setFilter(spec);
    QVERIFY(m_view->waitForFilter());
    QSignalSpy inserted(m_view.get(), &QAbstractItemModel::rowsInserted);
    QSignalSpy started(m_view.get(), &TimelineViewModel::filterStarted);
    QSignalSpy finished(m_view.get(), &TimelineViewModel::filterFinished);
    // An opened file: one huge batch. It is filtered off the GUI thread, then appended in one go; a small
    // batch that comes in meanwhile follows it in order.
    append(1, 100000);
    QVERIFY(m_view->isFilterRunning());
    QCOMPARE(started.size(), 1);
    QCOMPARE(m_view->rowCount(), 0);
    append(100001, 50);
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(finished.size(), 1);
    QCOMPARE(shownRows(), expectedRows(spec, 0));
    QCOMPARE(inserted.size(), 2);
    QCOMPARE(inserted.at(0).at(1).toInt(), 0);
}

void TestTimelineViewModel::newerFilterCancelsOlder()
{
    append(1, 60000);
    QSignalSpy started(m_view.get(), &TimelineViewModel::filterStarted);
    QSignalSpy finished(m_view.get(), &TimelineViewModel::filterFinished);
    QSignalSpy reset(m_view.get(), &QAbstractItemModel::modelReset);
    m_view->setFilter(textSpec(QStringLiteral("(alpha|beta)"), true));
    m_view->setFilter(textSpec(QStringLiteral("alp")));
    const FilterSpec last = textSpec(QStringLiteral("gamm"));
    m_view->setFilter(last);
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(m_view->filter(), last);
    QCOMPARE(shownRows(), expectedRows(last, 0));
    // One busy period, one new set of rows: the older answers never reached the view.
    QCOMPARE(started.size(), 1);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(reset.size(), 1);

    // And with the event loop running in between (the older job may well finish and post first).
    const FilterSpec first = textSpec(QStringLiteral("beta"));
    m_view->setFilter(first);
    QTest::qWait(1);
    const FilterSpec newest = textSpec(QStringLiteral("\"seq\":1\\d*,"), true);
    m_view->setFilter(newest);
    QTRY_VERIFY(!m_view->isFilterRunning());
    QCOMPARE(shownRows(), expectedRows(newest, 0));
}

void TestTimelineViewModel::invalidRegexKeepsRows()
{
    append(1, 300);
    const FilterSpec good = textSpec(QStringLiteral("beta"));
    m_view->setFilter(good);
    QVERIFY(m_view->waitForFilter());
    const QList<int> before = shownRows();

    QSignalSpy error(m_view.get(), &TimelineViewModel::filterError);
    QSignalSpy reset(m_view.get(), &QAbstractItemModel::modelReset);
    QSignalSpy started(m_view.get(), &TimelineViewModel::filterStarted);
    m_view->setFilter(textSpec(QStringLiteral("(bet"), true));
    QCOMPARE(error.size(), 1);
    QVERIFY(!error.first().at(0).toString().isEmpty());
    QCOMPARE(error.first().at(1).toInt(), 4);
    QVERIFY(!m_view->isFilterRunning());
    QCOMPARE(started.size(), 0);
    QCOMPARE(reset.size(), 0);
    QCOMPARE(m_view->filter(), good);
    QCOMPARE(shownRows(), before);

    // New rows go on being filtered with the last valid spec.
    append(301, 30);
    QCOMPARE(shownRows(), expectedRows(good, 0));
}

void TestTimelineViewModel::sameFilterTwiceDoesNothing()
{
    append(1, 100);
    const FilterSpec spec = textSpec(QStringLiteral("beta"));
    m_view->setFilter(spec);
    QVERIFY(m_view->waitForFilter());
    QSignalSpy started(m_view.get(), &TimelineViewModel::filterStarted);
    QSignalSpy reset(m_view.get(), &QAbstractItemModel::modelReset);
    m_view->setFilter(spec);
    QVERIFY(!m_view->isFilterRunning());
    QCOMPARE(started.size(), 0);
    QCOMPARE(reset.size(), 0);
}

void TestTimelineViewModel::pauseResume()
{
    append(1, 100);
    QSignalSpy paused(m_view.get(), &TimelineViewModel::pausedChanged);
    m_view->setPaused(true);
    QVERIFY(m_view->isPaused());
    QCOMPARE(paused.size(), 1);
    QCOMPARE(paused.last().at(0).toBool(), true);
    m_view->setPaused(true);
    QCOMPARE(paused.size(), 1);

    QSignalSpy inserted(m_view.get(), &QAbstractItemModel::rowsInserted);
    append(101, 50);
    append(151, 25);
    QCOMPARE(inserted.size(), 0);
    QCOMPARE(m_view->rowCount(), 100);
    QCOMPARE(m_view->pendingCount(), 75);
    QCOMPARE(m_view->totalCount(), 100);

    m_view->setPaused(false);
    QVERIFY(!m_view->isPaused());
    QCOMPARE(paused.last().at(0).toBool(), false);
    QCOMPARE(inserted.size(), 1);
    QCOMPARE(m_view->rowCount(), 175);
    QCOMPARE(m_view->pendingCount(), 0);
    QCOMPARE(m_view->totalCount(), 175);
    append(176, 5);
    QCOMPARE(m_view->rowCount(), 180);
}

void TestTimelineViewModel::pauseWithFilter()
{
    append(1, 99);
    m_view->setPaused(true);
    append(100, 30);
    // A filter set while paused covers only what was shown before the pause.
    const FilterSpec spec = textSpec(QStringLiteral("alpha"));
    m_view->setFilter(spec);
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(shownRows(), expectedRows(spec, 0, 99));
    QCOMPARE(m_view->totalCount(), 99);
    QCOMPARE(m_view->pendingCount(), 30);
    append(130, 30);
    QCOMPARE(shownRows(), expectedRows(spec, 0, 99));
    m_view->setPaused(false);
    QCOMPARE(shownRows(), expectedRows(spec, 0));
    QCOMPARE(m_view->totalCount(), 159);
}

void TestTimelineViewModel::clearAndUndo()
{
    append(1, 100);
    QSignalSpy undoAvailable(m_view.get(), &TimelineViewModel::clearUndoAvailable);
    QVERIFY(!m_view->canUndoClear());
    m_view->clear();
    QCOMPARE(m_view->rowCount(), 0);
    QCOMPARE(m_view->totalCount(), 0);
    QVERIFY(m_view->canUndoClear());
    QCOMPARE(undoAvailable.size(), 1);
    QCOMPARE(undoAvailable.last().at(0).toBool(), true);
    QCOMPARE(m_view->viewRow(5), -1);

    append(101, 20);
    QCOMPARE(m_view->rowCount(), 20);
    QCOMPARE(m_view->sourceRow(0), 100);
    QCOMPARE(m_view->totalCount(), 20);

    m_view->undoClear();
    QVERIFY(!m_view->canUndoClear());
    QCOMPARE(undoAvailable.last().at(0).toBool(), false);
    QCOMPARE(m_view->rowCount(), 120);
    QCOMPARE(m_view->sourceRow(0), 0);
    QCOMPARE(m_view->sourceRow(119), 119);
    QCOMPARE(m_view->totalCount(), 120);
    // Nothing more to undo.
    m_view->undoClear();
    QCOMPARE(m_view->rowCount(), 120);
}

void TestTimelineViewModel::clearAndUndoWithFilter()
{
    append(1, 300);
    const FilterSpec spec = textSpec(QStringLiteral("gamma"));
    m_view->setFilter(spec);
    QVERIFY(m_view->waitForFilter());
    m_view->clear();
    QCOMPARE(m_view->rowCount(), 0);
    QCOMPARE(m_view->matchCount(), 0);
    QCOMPARE(m_view->totalCount(), 0);
    append(301, 30);
    QCOMPARE(shownRows(), expectedRows(spec, 300));
    QCOMPARE(m_view->totalCount(), 30);
    // Same filter: the rows come back at once.
    m_view->undoClear();
    QVERIFY(!m_view->isFilterRunning());
    QCOMPARE(shownRows(), expectedRows(spec, 0));
    QCOMPARE(m_view->totalCount(), 330);
}

void TestTimelineViewModel::clearThenChangeFilterThenUndo()
{
    append(1, 300);
    m_view->setFilter(textSpec(QStringLiteral("gamma")));
    QVERIFY(m_view->waitForFilter());
    m_view->clear();
    append(301, 30);
    const FilterSpec other = textSpec(QStringLiteral("alpha"));
    m_view->setFilter(other);
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(shownRows(), expectedRows(other, 300));
    m_view->undoClear();
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(shownRows(), expectedRows(other, 0));

    // Clear with a filter, remove the filter, undo: everything again.
    m_view->clear();
    append(331, 3);
    m_view->setFilter(FilterSpec());
    QCOMPARE(m_view->rowCount(), 3);
    m_view->undoClear();
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(m_view->rowCount(), 333);
    QCOMPARE(m_view->sourceRow(332), 332);
}

void TestTimelineViewModel::clearWhilePaused()
{
    append(1, 50);
    m_view->setPaused(true);
    append(51, 10);
    QCOMPARE(m_view->pendingCount(), 10);
    // Clear hides everything recorded so far, including what waited behind the pause.
    m_view->clear();
    QCOMPARE(m_view->rowCount(), 0);
    QCOMPARE(m_view->pendingCount(), 0);
    append(61, 5);
    QCOMPARE(m_view->pendingCount(), 5);
    QCOMPARE(m_view->rowCount(), 0);
    m_view->setPaused(false);
    QCOMPARE(m_view->rowCount(), 5);
    QCOMPARE(m_view->sourceRow(0), 60);
    m_view->undoClear();
    QCOMPARE(m_view->rowCount(), 65);
}

void TestTimelineViewModel::clearWhileJobRuns()
{
    append(1, 5000);
    QSignalSpy finished(m_view.get(), &TimelineViewModel::filterFinished);
    const FilterSpec spec = textSpec(QStringLiteral("beta"));
    m_view->setFilter(spec);
    QVERIFY(m_view->isFilterRunning());
    m_view->clear();
    // Nothing left to filter: the job is dropped, the spec stays.
    QVERIFY(!m_view->isFilterRunning());
    QCOMPARE(finished.size(), 1);
    QCOMPARE(m_view->rowCount(), 0);
    QCOMPARE(m_view->filter(), spec);
    QVERIFY(m_view->waitForFilter());
    QTest::qWait(10); // a late answer from the dropped job must be ignored
    QCOMPARE(m_view->rowCount(), 0);
    append(5001, 30);
    QCOMPARE(shownRows(), expectedRows(spec, 5000));
    m_view->undoClear();
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(shownRows(), expectedRows(spec, 0));
}

void TestTimelineViewModel::onlyLastClearUndoes()
{
    append(1, 10);
    m_view->clear();
    append(11, 10);
    m_view->clear();
    append(21, 10);
    m_view->undoClear();
    QCOMPARE(m_view->rowCount(), 20);
    QCOMPARE(m_view->sourceRow(0), 10);
    QVERIFY(!m_view->canUndoClear());
}

void TestTimelineViewModel::timeModes()
{
    CaptureBatch b;
    for (qint64 offset :
        std::initializer_list<qint64> { 0, 12, 1500, 1000000, 999 /* clock went back */, 12345678901LL }) {
        Event e = makeEvent(quint64(b.events.size() + 1));
        e.timestampUs = StartUs + offset;
        b.events.push_back(e);
    }
    m_model->append(b);
    const auto timeText
        = [this](int row) { return m_view->data(m_view->index(row, TimelineModel::TimeColumn)).toString(); };

    QCOMPARE(m_view->timeMode(), TimelineViewModel::TimeMode::Absolute);
    for (int row = 0; row < 6; ++row)
        QCOMPARE(timeText(row), m_model->data(m_model->index(row, TimelineModel::TimeColumn)).toString());

    QSignalSpy changed(m_view.get(), &TimelineViewModel::timeModeChanged);
    QSignalSpy dataChanged(m_view.get(), &QAbstractItemModel::dataChanged);
    m_view->setTimeMode(TimelineViewModel::TimeMode::Relative);
    QCOMPARE(changed.size(), 1);
    QCOMPARE(changed.last().at(0).value<TimelineViewModel::TimeMode>(), TimelineViewModel::TimeMode::Relative);
    QCOMPARE(dataChanged.size(), 1);
    QCOMPARE(dataChanged.last().at(0).toModelIndex(), m_view->index(0, TimelineModel::TimeColumn));
    QCOMPARE(dataChanged.last().at(1).toModelIndex(), m_view->index(5, TimelineModel::TimeColumn));
    QCOMPARE(timeText(0), QStringLiteral("+0.000000"));
    QCOMPARE(timeText(1), QStringLiteral("+0.000012"));
    QCOMPARE(timeText(2), QStringLiteral("+0.001500"));
    QCOMPARE(timeText(3), QStringLiteral("+1.000000"));
    QCOMPARE(timeText(4), QStringLiteral("+0.000999"));
    QCOMPARE(timeText(5), QStringLiteral("+12345.678901"));
    // Other columns and roles are the source's.
    QCOMPARE(m_view->data(m_view->index(1, TimelineModel::TimeColumn), Qt::ToolTipRole),
        m_model->data(m_model->index(1, TimelineModel::TimeColumn), Qt::ToolTipRole));
    QCOMPARE(m_view->data(m_view->index(1, TimelineModel::SeqColumn)).toString(), QStringLiteral("2"));

    m_view->setTimeMode(TimelineViewModel::TimeMode::Delta);
    QCOMPARE(timeText(0), QStringLiteral("+0.000000"));
    QCOMPARE(timeText(1), QStringLiteral("+0.000012"));
    QCOMPARE(timeText(2), QStringLiteral("+0.001488"));
    QCOMPARE(timeText(3), QStringLiteral("+0.998500"));
    QCOMPARE(timeText(4), QStringLiteral("-0.999001"));
    QCOMPARE(timeText(5), QStringLiteral("+12345.677902"));

    // Relative stays relative to the session's first event; delta to the previous visible row.
    FilterSpec spec;
    spec.directions = FilterSpec::directionBit(Direction::S2C); // even seq: rows 1, 3, 5
    m_view->setFilter(spec);
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(m_view->rowCount(), 3);
    QCOMPARE(timeText(0), QStringLiteral("+0.000000"));
    QCOMPARE(timeText(1), QStringLiteral("+0.999988"));
    QCOMPARE(timeText(2), QStringLiteral("+12344.678901"));
    m_view->setTimeMode(TimelineViewModel::TimeMode::Relative);
    QCOMPARE(timeText(0), QStringLiteral("+0.000012"));
    QCOMPARE(timeText(1), QStringLiteral("+1.000000"));
    m_view->setTimeMode(TimelineViewModel::TimeMode::Relative);
    QCOMPARE(changed.size(), 3);
    // Relative to source row 0 even when a clear hides it.
    m_view->clear();
    append(7, 1);
    QCOMPARE(m_view->rowCount(), 0); // seq 7 is c2s
    append(8, 1);
    QCOMPARE(timeText(0), QStringLiteral("+0.008001"));
}

void TestTimelineViewModel::countsChanged()
{
    QSignalSpy counts(m_view.get(), &TimelineViewModel::countsChanged);
    append(1, 90);
    QCOMPARE(counts.size(), 1);
    QCOMPARE(counts.last().at(0).value<qsizetype>(), 90);
    QCOMPARE(counts.last().at(1).value<qsizetype>(), 90);

    m_view->setFilter(textSpec(QStringLiteral("alpha")));
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(counts.last().at(0).value<qsizetype>(), 30);
    QCOMPARE(counts.last().at(1).value<qsizetype>(), 90);

    m_view->setPaused(true);
    const qsizetype signalsBefore = counts.size();
    append(91, 9);
    QCOMPARE(counts.size(), signalsBefore); // nothing shown changed
    m_view->setPaused(false);
    QCOMPARE(counts.last().at(0).value<qsizetype>(), 33);
    QCOMPARE(counts.last().at(1).value<qsizetype>(), 99);

    m_view->clear();
    QCOMPARE(counts.last().at(0).value<qsizetype>(), 0);
    QCOMPARE(counts.last().at(1).value<qsizetype>(), 0);
    append(100, 3);
    QCOMPARE(counts.last().at(0).value<qsizetype>(), 1);
    QCOMPARE(counts.last().at(1).value<qsizetype>(), 3);
    m_view->undoClear();
    QCOMPARE(counts.last().at(0).value<qsizetype>(), 34);
    QCOMPARE(counts.last().at(1).value<qsizetype>(), 102);
    QCOMPARE(m_view->matchCount(), 34);
    QCOMPARE(m_view->totalCount(), 102);
}

void TestTimelineViewModel::sourceReset()
{
    append(1, 100);
    const FilterSpec spec = textSpec(QStringLiteral("beta"));
    m_view->setFilter(spec);
    QVERIFY(m_view->waitForFilter());
    m_view->clear();
    append(101, 10);
    QSignalSpy reset(m_view.get(), &QAbstractItemModel::modelReset);
    QSignalSpy undoAvailable(m_view.get(), &TimelineViewModel::clearUndoAvailable);
    m_model->clear();
    QCOMPARE(reset.size(), 1);
    QCOMPARE(m_view->rowCount(), 0);
    QCOMPARE(m_view->totalCount(), 0);
    QVERIFY(!m_view->canUndoClear());
    QCOMPARE(undoAvailable.size(), 1);
    QCOMPARE(m_view->filter(), spec);
    append(1, 40);
    QCOMPARE(shownRows(), expectedRows(spec, 0));
    QCOMPARE(m_view->totalCount(), 40);

    // A reset while a filter job runs drops the job.
    append(41, 20000);
    m_view->setFilter(textSpec(QStringLiteral("gamma")));
    QVERIFY(m_view->isFilterRunning());
    m_model->clear();
    QVERIFY(!m_view->isFilterRunning());
    QCOMPARE(m_view->rowCount(), 0);
    append(1, 9);
    QCOMPARE(shownRows(), expectedRows(m_view->filter(), 0));
}

void TestTimelineViewModel::headersAndInvalidIndexes()
{
    // Headers are there even with no row to map through.
    QCOMPARE(m_view->headerData(TimelineModel::KindColumn, Qt::Horizontal).toString(),
        m_model->headerData(TimelineModel::KindColumn, Qt::Horizontal).toString());
    append(1, 3);
    m_view->setFilter(textSpec(QStringLiteral("nothing matches this")));
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(m_view->rowCount(), 0);
    QVERIFY(!m_view->hasChildren());
    QCOMPARE(m_view->headerData(TimelineModel::TimeColumn, Qt::Horizontal).toString(),
        m_model->headerData(TimelineModel::TimeColumn, Qt::Horizontal).toString());
    QVERIFY(!m_view->index(0, 0).isValid());
    QVERIFY(!m_view->data(QModelIndex()).isValid());
    QCOMPARE(m_view->mapToSource(QModelIndex()), QModelIndex());
    QCOMPARE(m_view->mapFromSource(m_model->index(0, 0)), QModelIndex());
    QCOMPARE(m_view->mapFromSource(QModelIndex()), QModelIndex());
}

void TestTimelineViewModel::sourceDestroyed()
{
    append(1, 30000);
    m_view->setFilter(textSpec(QStringLiteral("beta")));
    QSignalSpy reset(m_view.get(), &QAbstractItemModel::modelReset);
    m_model.reset(); // while the filter job may still be running
    QCOMPARE(reset.size(), 1);
    QVERIFY(!m_view->isFilterRunning());
    QCOMPARE(m_view->rowCount(), 0);
    QCOMPARE(m_view->columnCount(), 0);
    QCOMPARE(m_view->timelineModel(), nullptr);
    QVERIFY(m_view->waitForFilter());
    QTest::qWait(10);
    QCOMPARE(m_view->rowCount(), 0);
}

void TestTimelineViewModel::filterAgreesWithEventFilter_data()
{
    QTest::addColumn<FilterSpec>("spec");

    QTest::newRow("substring") << textSpec(QStringLiteral("BETA"));
    QTest::newRow("substring, case-sensitive") << caseSensitive(textSpec(QStringLiteral("beta")));
    QTest::newRow("substring, case-sensitive, other case") << caseSensitive(textSpec(QStringLiteral("BETA")));
    QTest::newRow("substring, number") << textSpec(QStringLiteral("\"seq\":12"));
    QTest::newRow("substring, nothing") << textSpec(QStringLiteral("zebra"));
    QTest::newRow("regex") << textSpec(QStringLiteral("\"seq\":\\d*7,"), true);
    QTest::newRow("regex, case-insensitive") << textSpec(QStringLiteral("WORD\":\"(ALPHA|GAMMA)"), true);
    QTest::newRow("regex, case-sensitive") << caseSensitive(textSpec(QStringLiteral("WORD\":\"(ALPHA|GAMMA)"), true));
    QTest::newRow("regex, anchored") << textSpec(QStringLiteral("^\\{\"seq\":\\d{3}5,"), true);
    FilterSpec kinds;
    kinds.kinds = FilterSpec::kindBit(EventKind::Binary);
    QTest::newRow("kind binary") << kinds;
    kinds.kinds = FilterSpec::kindBit(EventKind::Text) | FilterSpec::kindBit(EventKind::Ping);
    QTest::newRow("kinds text, ping") << kinds;
    kinds.kinds = 0;
    QTest::newRow("no kind") << kinds;
    FilterSpec directions;
    directions.directions = FilterSpec::directionBit(Direction::C2S);
    QTest::newRow("direction c2s") << directions;
    directions.directions = FilterSpec::directionBit(Direction::S2C) | FilterSpec::directionBit(Direction::None);
    QTest::newRow("directions s2c, none") << directions;
    directions.directions = FilterSpec::directionBit(Direction::None);
    QTest::newRow("direction none") << directions;
    FilterSpec connections;
    connections.connections = { 2 };
    QTest::newRow("connection 2") << connections;
    connections.connections = { 3, 1, 9 };
    QTest::newRow("connections 1, 3, 9") << connections;
    FilterSpec combo = textSpec(QStringLiteral("(alpha|gamma)"), true);
    combo.kinds = FilterSpec::kindBit(EventKind::Text);
    combo.directions = FilterSpec::directionBit(Direction::S2C);
    combo.connections = { 1, 2 };
    QTest::newRow("regex, kind, direction, connections") << combo;
}

void TestTimelineViewModel::filterAgreesWithEventFilter()
{
    QFETCH(FilterSpec, spec);
    QVERIFY(EventFilter(spec).isValid());

    // Through each path: the worker's full filter, a live batch, a big append handed to the worker.
    append(1, 2000);
    m_view->setFilter(spec);
    QCOMPARE(m_view->filter(), spec);
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(shownRows(), expectedRows(spec, 0));
    append(2001, 500);
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(shownRows(), expectedRows(spec, 0));
    append(2501, 20000);
    QVERIFY(m_view->waitForFilter());
    const QList<int> expected = expectedRows(spec, 0);
    QCOMPARE(shownRows(), expected);
    QCOMPARE(m_view->matchCount(), expected.size());
    QCOMPARE(m_view->totalCount(), 22500);
    QCOMPARE(m_view->costlyRowCount(), 0);
}

void TestTimelineViewModel::clearUndoPause_data()
{
    QTest::addColumn<bool>("filtered");
    QTest::addColumn<bool>("pauseBeforeClear");
    QTest::addColumn<bool>("changeFilterAfterClear");
    QTest::addColumn<bool>("resumeBeforeUndo");

    for (int bits = 0; bits < 16; ++bits) {
        const bool filtered = bits & 1;
        const bool pause = bits & 2;
        const bool change = bits & 4;
        const bool resume = bits & 8;
        if (resume && !pause)
            continue; // nothing to resume
        const QByteArray name = QByteArray(filtered ? "filtered" : "unfiltered") + (pause ? ", paused" : "")
            + (change ? ", new filter" : "") + (resume ? ", resumed" : "");
        QTest::newRow(name.constData()) << filtered << pause << change << resume;
    }
}

void TestTimelineViewModel::clearUndoPause()
{
    QFETCH(bool, filtered);
    QFETCH(bool, pauseBeforeClear);
    QFETCH(bool, changeFilterAfterClear);
    QFETCH(bool, resumeBeforeUndo);

    FilterSpec spec = filtered ? textSpec(QStringLiteral("alpha")) : FilterSpec();
    append(1, 300);
    m_view->setFilter(spec);
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(shownRows(), expectedRows(spec, 0));
    if (pauseBeforeClear) {
        m_view->setPaused(true);
        append(301, 50);
        QCOMPARE(m_view->pendingCount(), 50);
    }

    const int clearedAt = int(m_store->count());
    m_view->clear();
    QVERIFY(m_view->canUndoClear());
    QCOMPARE(m_view->rowCount(), 0);
    QCOMPARE(m_view->totalCount(), 0);
    QCOMPARE(m_view->pendingCount(), 0);
    append(quint64(clearedAt) + 1, 40);
    if (changeFilterAfterClear) {
        spec = textSpec(QStringLiteral("\"seq\":\\d*[05],"), true);
        m_view->setFilter(spec);
        QVERIFY(m_view->waitForFilter());
    }
    if (pauseBeforeClear) {
        QCOMPARE(m_view->rowCount(), 0);
        QCOMPARE(m_view->pendingCount(), 40);
    } else {
        QCOMPARE(shownRows(), expectedRows(spec, clearedAt));
    }
    if (resumeBeforeUndo) {
        m_view->setPaused(false);
        QVERIFY(m_view->waitForFilter());
        QCOMPARE(shownRows(), expectedRows(spec, clearedAt));
    }

    m_view->undoClear();
    QVERIFY(m_view->waitForFilter());
    QVERIFY(!m_view->canUndoClear());
    // Still paused: what was recorded up to the clear comes back, what came after still waits.
    const int shownEnd = m_view->isPaused() ? clearedAt : int(m_store->count());
    QCOMPARE(shownRows(), expectedRows(spec, 0, shownEnd));
    QCOMPARE(m_view->totalCount(), shownEnd);
    if (m_view->isPaused()) {
        m_view->setPaused(false);
        QVERIFY(m_view->waitForFilter());
    }
    QCOMPARE(shownRows(), expectedRows(spec, 0));
    QCOMPARE(m_view->totalCount(), m_store->count());
    append(quint64(m_store->count()) + 1, 7);
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(shownRows(), expectedRows(spec, 0));
}

void TestTimelineViewModel::costlyRegexOnLiveBatch()
{
    append(1, 300);
    const FilterSpec spec = textSpec(CostlyPattern, true);
    m_view->setFilter(spec);
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(shownRows(), expectedRows(spec, 0));
    QVERIFY(m_view->rowCount() > 0);
    QCOMPARE(m_view->costlyRowCount(), 0);
    const int shownBefore = m_view->rowCount();

    QSignalSpy tooCostly(m_view.get(), &TimelineViewModel::filterTooCostly);
    QSignalSpy inserted(m_view.get(), &QAbstractItemModel::rowsInserted);
    // A live batch of rows the expression backtracks on, with ten quick matches spread over it.
    CaptureBatch batch;
    for (int i = 0; i < 1000; ++i) {
        Event e = makeEvent(quint64(301 + i));
        e.payload = i % 100 == 0 ? QByteArray("x:1") : CostlyPayload;
        e.size = e.payload.size();
        batch.events.push_back(e);
    }
    m_model->append(batch);
    // append() came back after a few milliseconds of filtering, not after filtering every row (~35 s
    // without a bound): the rest is on the worker.
    QVERIFY(m_view->isFilterRunning());
    QVERIFY(m_view->rowCount() < shownBefore + 10);
    QCOMPARE(m_view->totalCount(), 1300);
    // A batch arriving meanwhile waits for it and follows in order.
    append(1301, 50);
    QVERIFY(m_view->waitForFilter(120000));
    QVERIFY(!m_view->isFilterRunning());
    QCOMPARE(shownRows(), expectedRows(spec, 0));
    QCOMPARE(m_view->rowCount(), shownBefore + 10 + int(expectedRows(spec, 1300).size()));
    QCOMPARE(m_view->costlyRowCount(), 990);
    QCOMPARE(tooCostly.size(), 1);
    QVERIFY(tooCostly.first().at(0).value<qsizetype>() > 0);
    // Each appended range went in with one insertion, in order.
    QVERIFY(inserted.size() <= 3);
    for (qsizetype i = 1; i < inserted.size(); ++i)
        QCOMPARE(inserted.at(i).at(1).toInt(), inserted.at(i - 1).at(2).toInt() + 1);

    // A new filter starts afresh.
    m_view->setFilter(textSpec(QStringLiteral("beta")));
    QVERIFY(m_view->waitForFilter());
    QCOMPARE(m_view->costlyRowCount(), 0);
}

QTEST_GUILESS_MAIN(TestTimelineViewModel)
#include "tst_timelineviewmodel.moc"
