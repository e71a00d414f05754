#include "core/capturequeue.h"
#include "core/connection.h"
#include "core/event.h"
#include "core/eventstore.h"
#include "core/timelinemodel.h"
#include "core/timelineviewmodel.h"
#include "filterbar.h"
#include "formats/jsonlcodec.h"
#include "mainwindow.h"
#include "net/capturesession.h"
#include "timelinedelegate.h"
#include "timelineview.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QClipboard>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTest>
#include <QTextEdit>
#include <QToolButton>

#include <memory>

using namespace wsi;

namespace {

constexpr qint64 StartUs = 1763805600000000; // 2025-11-22T10:00:00Z
constexpr int FilterTimeoutMs = 60000; // a debug build filtering 100,000 rows on a busy machine

// Event i of a generated session: connections 1 (client) and 2 (server) take turns, one event per ms,
// and every thousandth event (i % 1000 == 7) carries the word "needle".
Event generatedEvent(int i)
{
    Event e;
    e.seq = quint64(i) + 1;
    e.timestampUs = StartUs + qint64(i) * 1000;
    e.monotonicNs = qint64(i) * 1000000;
    e.connection = quint32(1 + i % 2);
    e.direction = i % 2 ? Direction::S2C : Direction::C2S;
    e.kind = EventKind::Text;
    e.payload = "msg " + QByteArray::number(i) + (i % 1000 == 7 ? " needle" : " hay");
    e.size = e.payload.size();
    return e;
}

CaptureBatch generatedBatch(int first, int count)
{
    CaptureBatch batch;
    if (first == 0) {
        batch.connections.push_back(Connection { 1, ConnectionRole::Client, QStringLiteral("ws://127.0.0.1:9/chat"),
            QStringLiteral("127.0.0.1:9"), QString() });
        batch.connections.push_back(Connection { 2, ConnectionRole::Server, QStringLiteral("ws://127.0.0.1:9/chat"),
            QStringLiteral("127.0.0.1:50000"), QString() });
    }
    batch.events.reserve(size_t(count));
    for (int i = first; i < first + count; ++i)
        batch.events.push_back(generatedEvent(i));
    return batch;
}

// The text of whatever text widget in the detail pane shows the payload (the pane's layout may change).
bool detailShows(const QWidget* detail, const QString& text)
{
    for (const QPlainTextEdit* edit : detail->findChildren<QPlainTextEdit*>()) {
        if (edit->toPlainText().contains(text))
            return true;
    }
    for (const QTextEdit* edit : detail->findChildren<QTextEdit*>()) {
        if (edit->toPlainText().contains(text))
            return true;
    }
    return false;
}

double contrast(const QColor& a, const QColor& b)
{
    return TimelineDelegate::contrastRatio(a, b);
}

// A main window over a session that only ever holds generated events (no server, no client).
struct Window
{
    CaptureSession session { CaptureSession::Options { true, QString() } };
    std::unique_ptr<MainWindow> window;
    TimelineModel* model = nullptr;
    TimelineViewModel* viewModel = nullptr;
    TimelineView* timeline = nullptr;
    FilterBar* filterBar = nullptr;
    int appended = 0;

    bool open()
    {
        window = std::make_unique<MainWindow>(&session);
        window->resize(1200, 800);
        window->show();
        model = session.model();
        viewModel = window->timelineViewModel();
        timeline = window->findChild<TimelineView*>();
        filterBar = window->findChild<FilterBar*>();
        return QTest::qWaitForWindowExposed(window.get()) && model && viewModel && timeline && filterBar;
    }
    void append(int count)
    {
        model->append(generatedBatch(appended, count));
        appended += count;
    }
    QAction* action(const char* name) const { return window->findChild<QAction*>(QLatin1String(name)); }
    template <typename T> T* child(const char* name) const { return window->findChild<T*>(QLatin1String(name)); }
};

} // namespace

class TstTimelineFilter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void filterLargeSessionAndSelect();
    void followHint();
    void pauseAndResume();
    void clearAndUndo();
    void invalidRegexShownInline();
    void kindDirectionAndConnectionFilters();
    void copyRows();
    void sendToComposer();
    void timeModes();
    void filterShortcuts();
    void tintsReadOnLightAndDark();
};

void TstTimelineFilter::filterLargeSessionAndSelect()
{
    Window w;
    QVERIFY(w.open());
    constexpr int Count = 100000;
    for (int first = 0; first < Count; first += 10000)
        w.append(10000);
    QTRY_COMPARE(w.viewModel->rowCount(), Count);
    const QLocale locale;
    auto* eventCount = w.child<QLabel>("eventCountLabel");
    QVERIFY(eventCount);
    QTRY_COMPARE(eventCount->text(), QStringLiteral("%1 events").arg(locale.toString(Count)));

    auto* edit = w.child<QLineEdit>("filterEdit");
    auto* matches = w.child<QLabel>("matchCountLabel");
    QVERIFY(edit && matches);
    QTest::keyClicks(edit, QStringLiteral("needle"));
    // 100 events carry the word: i = 7, 1007, ..., 99007.
    const QString expected = QStringLiteral("%1 of %2").arg(locale.toString(100), locale.toString(Count));
    QTRY_COMPARE_WITH_TIMEOUT(matches->text(), expected, FilterTimeoutMs);
    QTRY_COMPARE(w.viewModel->rowCount(), 100);
    QCOMPARE(eventCount->text(), QStringLiteral("%1 of %2 events").arg(locale.toString(100), locale.toString(Count)));

    const int viewRow = 42;
    const int sourceRow = 42 * 1000 + 7;
    QCOMPARE(w.viewModel->sourceRow(viewRow), sourceRow);
    w.timeline->selectRow(viewRow);
    QCOMPARE(w.timeline->currentSourceRow(), sourceRow);
    auto* detail = w.window->findChild<QWidget*>(QStringLiteral("detailPane"));
    QVERIFY(detail);
    const QString payload = QString::fromUtf8(generatedEvent(sourceRow).payload);
    QCOMPARE(payload, QStringLiteral("msg 42007 needle"));
    QTRY_VERIFY(detailShows(detail, payload));

    // A narrower filter keeps the selected event selected when it still matches, and the detail pane is not
    // told again about the event it already shows.
    QSignalSpy currentEvent(w.timeline, &TimelineView::currentEventChanged);
    edit->setText(QStringLiteral("42007"));
    QTRY_COMPARE_WITH_TIMEOUT(w.viewModel->rowCount(), 1, FilterTimeoutMs);
    QTRY_COMPARE(w.timeline->currentSourceRow(), sourceRow);
    QVERIFY(detailShows(detail, payload));
    QCOMPARE(currentEvent.count(), 0);

    // Esc in the field clears the filter: everything is back, the same event still selected.
    edit->setFocus();
    QTest::keyClick(edit, Qt::Key_Escape);
    QVERIFY(edit->text().isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(w.viewModel->rowCount(), Count, FilterTimeoutMs);
    QTRY_COMPARE(eventCount->text(), QStringLiteral("%1 events").arg(locale.toString(Count)));
    QCOMPARE(w.timeline->currentSourceRow(), sourceRow);
    QCOMPARE(currentEvent.count(), 0);

    // A filter that hides the selected event says so once.
    edit->setText(QStringLiteral("no such text"));
    QTRY_COMPARE_WITH_TIMEOUT(w.viewModel->rowCount(), 0, FilterTimeoutMs);
    QTRY_COMPARE(currentEvent.count(), 1);
    QCOMPARE(currentEvent.at(0).at(0).toInt(), -1);
}

void TstTimelineFilter::followHint()
{
    Window w;
    QVERIFY(w.open());
    QScrollBar* bar = w.timeline->verticalScrollBar();
    auto* hint = w.timeline->findChild<QToolButton*>(QStringLiteral("followHint"));
    QVERIFY(hint);

    w.append(300);
    QTRY_VERIFY(bar->maximum() > 0);
    QTRY_COMPARE(bar->value(), bar->maximum());
    QVERIFY(w.timeline->isFollowing());
    QVERIFY(!hint->isVisible());

    // Scrolled up to read: new rows do not move the view, the hint counts them.
    bar->setValue(0);
    QVERIFY(!w.timeline->isFollowing());
    w.append(5);
    QTRY_VERIFY(hint->isVisible());
    QCOMPARE(bar->value(), 0);
    QVERIFY(hint->text().contains(QStringLiteral("5 new")));
    w.append(7);
    QTRY_VERIFY(hint->text().contains(QStringLiteral("12 new")));

    // The hint jumps to the newest row and following resumes.
    QTest::mouseClick(hint, Qt::LeftButton);
    QTRY_COMPARE(bar->value(), bar->maximum());
    QVERIFY(w.timeline->isFollowing());
    QVERIFY(!hint->isVisible());
    w.append(20);
    QTRY_COMPARE(w.viewModel->rowCount(), 332);
    QTRY_COMPARE(bar->value(), bar->maximum());
    QVERIFY(w.timeline->viewport()->rect().intersects(w.timeline->visualRect(w.viewModel->index(331, 0))));

    // End does the same from the keyboard.
    bar->setValue(10);
    w.append(3);
    QTRY_VERIFY(hint->isVisible());
    w.timeline->setFocus();
    QTest::keyClick(w.timeline, Qt::Key_End);
    QTRY_COMPARE(bar->value(), bar->maximum());
    QVERIFY(w.timeline->isFollowing());
    QVERIFY(!hint->isVisible());

    // Scrolling back to the bottom by hand resumes following as well.
    bar->setValue(0);
    w.append(4);
    QTRY_VERIFY(hint->isVisible());
    bar->setValue(bar->maximum());
    QVERIFY(w.timeline->isFollowing());
    QVERIFY(!hint->isVisible());
    w.append(4);
    QTRY_COMPARE(w.viewModel->rowCount(), 343);
    QTRY_COMPARE(bar->value(), bar->maximum());
}

void TstTimelineFilter::pauseAndResume()
{
    Window w;
    QVERIFY(w.open());
    QAction* pause = w.action("pauseAction");
    auto* label = w.child<QLabel>("pauseLabel");
    QVERIFY(pause && label);
    w.append(10);
    QTRY_COMPARE(w.viewModel->rowCount(), 10);

    pause->trigger();
    QVERIFY(w.viewModel->isPaused());
    QVERIFY(pause->isChecked());
    QVERIFY(label->isVisible());
    QCOMPARE(label->text(), QStringLiteral("Paused \u2014 0 new"));

    // The capture goes on; the display does not.
    w.append(5);
    QCOMPARE(w.model->rowCount(), 15);
    QTRY_COMPARE(label->text(), QStringLiteral("Paused \u2014 5 new"));
    QCOMPARE(w.viewModel->rowCount(), 10);

    pause->trigger();
    QVERIFY(!w.viewModel->isPaused());
    QTRY_COMPARE(w.viewModel->rowCount(), 15);
    QVERIFY(!label->isVisible());
}

void TstTimelineFilter::clearAndUndo()
{
    Window w;
    QVERIFY(w.open());
    QAction* clear = w.action("clearAction");
    QAction* undo = w.action("undoClearAction");
    QVERIFY(clear && undo);
    QVERIFY(!undo->isEnabled());
    w.append(20);
    QTRY_COMPARE(w.viewModel->rowCount(), 20);
    w.timeline->selectRow(3);

    clear->trigger();
    QTRY_COMPARE(w.viewModel->rowCount(), 0);
    QTRY_VERIFY(undo->isEnabled());
    QCOMPARE(w.model->rowCount(), 20); // hidden, not deleted
    QCOMPARE(w.timeline->currentSourceRow(), -1);

    w.append(3);
    QTRY_COMPARE(w.viewModel->rowCount(), 3);
    undo->trigger();
    QTRY_COMPARE(w.viewModel->rowCount(), 23);
    QTRY_VERIFY(!undo->isEnabled());

    // Ctrl+Z in the timeline undoes a clear too.
    QVERIFY(QTest::qWaitForWindowActive(w.window.get()));
    clear->trigger();
    QTRY_COMPARE(w.viewModel->rowCount(), 0);
    w.timeline->setFocus();
    QTRY_VERIFY(w.timeline->hasFocus());
    QTest::keyClick(w.timeline, Qt::Key_Z, Qt::ControlModifier);
    QTRY_COMPARE(w.viewModel->rowCount(), 23);
}

void TstTimelineFilter::invalidRegexShownInline()
{
    Window w;
    QVERIFY(w.open());
    w.append(50);
    QTRY_COMPARE(w.viewModel->rowCount(), 50);
    auto* edit = w.child<QLineEdit>("filterEdit");
    auto* regex = w.child<QToolButton>("regexToggle");
    auto* error = w.child<QLabel>("filterErrorLabel");
    QVERIFY(edit && regex && error);
    QVERIFY(!error->isVisible());

    regex->click();
    QVERIFY(regex->isChecked());
    QTest::keyClicks(edit, QStringLiteral("msg (4"));
    QTRY_VERIFY(error->isVisible());
    QVERIFY2(error->text().contains(QStringLiteral("position")), qPrintable(error->text()));
    QVERIFY(edit->property("invalid").toBool());
    // The rows stay as they were.
    QCOMPARE(w.viewModel->rowCount(), 50);

    QTest::keyClicks(edit, QStringLiteral(")"));
    QTRY_VERIFY(!error->isVisible());
    QVERIFY(!edit->property("invalid").toBool());
    // msg 4, msg 40..49
    QTRY_COMPARE_WITH_TIMEOUT(w.viewModel->rowCount(), 11, FilterTimeoutMs);

    // As a substring the same text is fine.
    edit->setText(QStringLiteral("msg (4"));
    regex->click();
    QTRY_COMPARE_WITH_TIMEOUT(w.viewModel->rowCount(), 0, FilterTimeoutMs);
    QVERIFY(!error->isVisible());
}

void TstTimelineFilter::kindDirectionAndConnectionFilters()
{
    Window w;
    QVERIFY(w.open());
    w.append(40);
    QTRY_COMPARE(w.viewModel->rowCount(), 40);

    auto* c2s = w.child<QToolButton>("directionC2S");
    QVERIFY(c2s && c2s->isChecked());
    c2s->click(); // applies at once, no typing delay
    QTRY_COMPARE_WITH_TIMEOUT(w.viewModel->rowCount(), 20, FilterTimeoutMs);
    for (int row = 0; row < w.viewModel->rowCount(); ++row)
        QCOMPARE(w.session.store()->direction(w.viewModel->sourceRow(row)), Direction::S2C);
    c2s->click();
    QTRY_COMPARE_WITH_TIMEOUT(w.viewModel->rowCount(), 40, FilterTimeoutMs);

    auto* text = w.child<QAction>("kindAction_text");
    QVERIFY(text);
    text->trigger(); // unchecks: every generated event is a text frame
    QTRY_COMPARE_WITH_TIMEOUT(w.viewModel->rowCount(), 0, FilterTimeoutMs);
    QCOMPARE(w.child<QToolButton>("kindButton")->text(), QStringLiteral("7 of 8 kinds"));
    text->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(w.viewModel->rowCount(), 40, FilterTimeoutMs);

    // Filter by the selected row's connection.
    w.timeline->selectRow(1); // connection 2
    QAction* byConnection = w.action("filterConnectionAction");
    QVERIFY(byConnection && byConnection->isEnabled());
    byConnection->trigger();
    QCOMPARE(w.filterBar->connection(), 2u);
    QTRY_COMPARE_WITH_TIMEOUT(w.viewModel->rowCount(), 20, FilterTimeoutMs);
    for (int row = 0; row < w.viewModel->rowCount(); ++row)
        QCOMPARE(w.session.store()->connectionId(w.viewModel->sourceRow(row)), 2u);
    QVERIFY(w.child<QToolButton>("connectionButton")->text().contains(QStringLiteral("#2 server")));
    w.filterBar->setConnection(0);
    QTRY_COMPARE_WITH_TIMEOUT(w.viewModel->rowCount(), 40, FilterTimeoutMs);

    // The connection menu is made anew each time it opens, without leaving anything behind.
    QMenu* menu = w.child<QToolButton>("connectionButton")->menu();
    QVERIFY(menu);
    const qsizetype groups = w.filterBar->findChildren<QActionGroup*>().size();
    for (int i = 0; i < 3; ++i)
        Q_EMIT menu->aboutToShow();
    QCOMPARE(w.filterBar->findChildren<QActionGroup*>().size(), groups);
    QCOMPARE(menu->actions().size(), 4); // all, separator, #1, #2
    auto connectionAction
        = [menu](quint32 id) { return menu->findChild<QAction*>(QStringLiteral("connectionAction_%1").arg(id)); };
    QVERIFY(connectionAction(0) && connectionAction(0)->isChecked());
    QVERIFY(connectionAction(1) && connectionAction(2));
    connectionAction(1)->trigger();
    QCOMPARE(w.filterBar->connection(), 1u);
    QTRY_COMPARE_WITH_TIMEOUT(w.viewModel->rowCount(), 20, FilterTimeoutMs);
    Q_EMIT menu->aboutToShow();
    QVERIFY(connectionAction(1)->isChecked());
    QVERIFY(!connectionAction(0)->isChecked());
}

void TstTimelineFilter::copyRows()
{
    Window w;
    QVERIFY(w.open());
    w.append(10);
    QTRY_COMPARE(w.viewModel->rowCount(), 10);
    w.timeline->selectRow(2);
    w.timeline->selectionModel()->select(
        w.viewModel->index(3, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
    QCOMPARE(w.timeline->selectedSourceRows(), QList<int>({ 2, 3 }));

    QClipboard* clipboard = QGuiApplication::clipboard();
    clipboard->clear();
    w.action("copyRowsAction")->trigger();
    const QStringList lines = clipboard->text().split(QLatin1Char('\n'));
    QCOMPARE(lines.size(), 2);
    const QStringList cells = lines.at(0).split(QLatin1Char('\t'));
    QCOMPARE(cells.size(), int(TimelineModel::ColumnCount));
    QCOMPARE(cells.at(TimelineModel::SeqColumn), QStringLiteral("3"));
    QCOMPARE(cells.at(TimelineModel::ConnectionColumn), QStringLiteral("1 client"));
    QCOMPARE(cells.at(TimelineModel::KindColumn), QStringLiteral("text"));
    QCOMPARE(cells.at(TimelineModel::PreviewColumn), QStringLiteral("msg 2 hay"));
    QCOMPARE(lines.at(1).split(QLatin1Char('\t')).at(TimelineModel::PreviewColumn), QStringLiteral("msg 3 hay"));

    // A hidden column is not copied.
    w.timeline->horizontalHeader()->setSectionHidden(TimelineModel::SizeColumn, true);
    w.action("copyRowsAction")->trigger();
    QCOMPARE(clipboard->text().split(QLatin1Char('\n')).at(0).split(QLatin1Char('\t')).size(),
        int(TimelineModel::ColumnCount) - 1);
    w.timeline->horizontalHeader()->setSectionHidden(TimelineModel::SizeColumn, false);

    w.action("copyJsonLinesAction")->trigger();
    const QByteArray json = jsonl::encodeEvent(generatedEvent(2)) + '\n' + jsonl::encodeEvent(generatedEvent(3)) + '\n';
    QCOMPARE(clipboard->text(), QString::fromUtf8(json));

    w.action("copyPayloadAction")->trigger();
    QCOMPARE(clipboard->text(), QStringLiteral("msg 2 hay\nmsg 3 hay"));

    // Ctrl+C in the timeline copies the rows, not just the current cell.
    QVERIFY(QTest::qWaitForWindowActive(w.window.get()));
    clipboard->clear();
    w.timeline->setFocus();
    QTRY_VERIFY(w.timeline->hasFocus());
    QTest::keyClick(w.timeline, Qt::Key_C, Qt::ControlModifier);
    QCOMPARE(clipboard->text().split(QLatin1Char('\n')).size(), 2);
    QVERIFY(clipboard->text().contains(QStringLiteral("msg 3 hay")));

    // Without a selection Ctrl+C leaves the clipboard alone, even with a current cell.
    w.timeline->selectionModel()->clearSelection();
    QVERIFY(w.timeline->currentIndex().isValid());
    QVERIFY(!w.action("copyRowsAction")->isEnabled());
    clipboard->setText(QStringLiteral("kept"));
    QTest::keyClick(w.timeline, Qt::Key_C, Qt::ControlModifier);
    QCOMPARE(clipboard->text(), QStringLiteral("kept"));
}

void TstTimelineFilter::sendToComposer()
{
    Window w;
    QVERIFY(w.open());
    w.append(4);
    QTRY_COMPARE(w.viewModel->rowCount(), 4);
    w.timeline->selectRow(2);
    QAction* send = w.action("sendToComposerAction");
    QVERIFY(send && send->isEnabled());
    send->trigger();
    auto* composer = w.child<QPlainTextEdit>("composerEdit");
    QVERIFY(composer);
    QCOMPARE(composer->toPlainText(), QStringLiteral("msg 2 hay"));
}

void TstTimelineFilter::timeModes()
{
    Window w;
    QVERIFY(w.open());
    w.append(5);
    QTRY_COMPARE(w.viewModel->rowCount(), 5);
    auto timeText = [&](int row) { return w.viewModel->index(row, TimelineModel::TimeColumn).data().toString(); };
    const QString absolute = timeText(3);
    QVERIFY2(absolute.contains(QLatin1Char(':')), qPrintable(absolute));

    QAction* relative = w.action("timeRelativeAction");
    QAction* delta = w.action("timeDeltaAction");
    QAction* absoluteAction = w.action("timeAbsoluteAction");
    QVERIFY(relative && delta && absoluteAction && absoluteAction->isChecked());

    relative->trigger();
    QCOMPARE(w.viewModel->timeMode(), TimelineViewModel::TimeMode::Relative);
    QTRY_VERIFY(timeText(3) != absolute);
    QVERIFY2(timeText(3).startsWith(QLatin1Char('+')), qPrintable(timeText(3)));
    QVERIFY2(timeText(3).contains(QStringLiteral("0.003")), qPrintable(timeText(3)));

    delta->trigger();
    QCOMPARE(w.viewModel->timeMode(), TimelineViewModel::TimeMode::Delta);
    QTRY_VERIFY2(timeText(3).contains(QStringLiteral("0.001")), qPrintable(timeText(3)));
    QVERIFY(delta->isChecked() && !relative->isChecked());

    absoluteAction->trigger();
    QTRY_COMPARE(timeText(3), absolute);
}

void TstTimelineFilter::filterShortcuts()
{
    Window w;
    QVERIFY(w.open());
    QVERIFY(QTest::qWaitForWindowActive(w.window.get()));
    auto* edit = w.child<QLineEdit>("filterEdit");
    w.timeline->setFocus();
    QTRY_VERIFY(w.timeline->hasFocus());
    QTest::keyClick(w.window.get(), Qt::Key_F, Qt::ControlModifier);
    QTRY_VERIFY(edit->hasFocus());
    QTest::keyClicks(edit, QStringLiteral("abc"));
    QTest::keyClick(edit, Qt::Key_Escape);
    QVERIFY(edit->text().isEmpty());
    // A second Esc goes back to the timeline.
    QTest::keyClick(edit, Qt::Key_Escape);
    QTRY_VERIFY(w.timeline->hasFocus());

    QAction* pause = w.action("pauseAction");
    QTest::keyClick(w.timeline, Qt::Key_F8);
    QVERIFY(pause->isChecked());
    QTest::keyClick(w.timeline, Qt::Key_F8);
    QVERIFY(!pause->isChecked());
}

void TstTimelineFilter::tintsReadOnLightAndDark()
{
    for (const QColor& base : { QColor(Qt::white), QColor(0x1e, 0x1e, 0x1e) }) {
        QPalette palette;
        palette.setColor(QPalette::Base, base);
        for (int hue : { 0, 35 }) {
            const QColor tint = TimelineDelegate::tintColor(palette, hue);
            QVERIFY(tint != base);
            QVERIFY(contrast(tint, base) < 1.6); // still a background, not a highlight
            QPalette tinted = palette;
            tinted.setColor(QPalette::Base, tint);
            const QColor text = TimelineDelegate::accentColor(tinted, hue);
            QVERIFY2(contrast(text, tint) >= 4.5, qPrintable(text.name() + QLatin1Char(' ') + tint.name()));
        }
    }
}

QTEST_MAIN(TstTimelineFilter)
#include "tst_timelinefilter.moc"
