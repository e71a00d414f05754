#include "core/capturequeue.h"
#include "core/connection.h"
#include "core/event.h"
#include "core/eventstore.h"
#include "core/timelinemodel.h"
#include "core/timelineviewmodel.h"
#include "timelineview.h"

#include <QHeaderView>
#include <QImage>
#include <QTest>

using namespace wsi;

namespace {

CaptureBatch oneTextEvent()
{
    CaptureBatch batch;
    batch.connections.push_back(Connection {
        1, ConnectionRole::Client, QStringLiteral("ws://127.0.0.1:9/chat"), QStringLiteral("127.0.0.1:9"), QString() });
    Event e;
    e.seq = 1;
    e.timestampUs = 1763805600000000;
    e.connection = 1;
    e.direction = Direction::C2S;
    e.kind = EventKind::Text;
    e.payload = "hello";
    e.size = e.payload.size();
    batch.events.push_back(e);
    return batch;
}

// Pixels of the middle band of the viewport that differ from the background: where the hint would be painted.
int inkInMiddle(TimelineView& view)
{
    const QImage image = view.viewport()->grab().toImage();
    const QColor base = view.palette().color(QPalette::Base);
    int ink = 0;
    for (int y = image.height() / 2 - 10; y < image.height() / 2 + 10; ++y) {
        for (int x = 0; x < image.width(); ++x) {
            if (image.pixelColor(x, y) != base)
                ++ink;
        }
    }
    return ink;
}

} // namespace

class TstTimelineView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void emptyHintUntilRowsArrive();
    void noHintWhenFilterHidesRows();
    void rowsFitTheFont();
    void selectionCoversWholeDevicePixels();
};

void TstTimelineView::emptyHintUntilRowsArrive()
{
    EventStore store;
    TimelineModel model(&store);
    TimelineViewModel viewModel;
    viewModel.setSourceModel(&model);
    TimelineView view;
    view.setModel(&viewModel);
    view.resize(600, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));

    QVERIFY(view.showsEmptyHint());
    QVERIFY(!TimelineView::emptyHintText().isEmpty());
    QVERIFY(inkInMiddle(view) > 0); // the hint is painted where nothing else is

    model.append(oneTextEvent());
    QTRY_COMPARE(viewModel.rowCount(), 1);
    QVERIFY(!view.showsEmptyHint());
    // The one row sits at the top; the middle of the viewport is empty background again.
    QTRY_COMPARE(inkInMiddle(view), 0);
}

void TstTimelineView::noHintWhenFilterHidesRows()
{
    EventStore store;
    TimelineModel model(&store);
    TimelineViewModel viewModel;
    viewModel.setSourceModel(&model);
    TimelineView view;
    view.setModel(&viewModel);
    model.append(oneTextEvent());
    QTRY_COMPARE(viewModel.rowCount(), 1);
    viewModel.clear(); // hides what is there; the capture is not empty, so "start the server" would mislead
    QTRY_COMPARE(viewModel.rowCount(), 0);
    QVERIFY(!view.showsEmptyHint());
}

void TstTimelineView::rowsFitTheFont()
{
    EventStore store;
    TimelineModel model(&store);
    TimelineViewModel viewModel;
    viewModel.setSourceModel(&model);
    TimelineView view;
    view.setModel(&viewModel);
    model.append(oneTextEvent());
    QTRY_COMPARE(viewModel.rowCount(), 1);
    const int before = view.rowHeight(0);
    QVERIFY(before >= view.fontMetrics().height());
    // A bigger font (a desktop's larger text setting): the rows grow with it, so that text is not clipped.
    QFont big = view.font();
    big.setPointSizeF(big.pointSizeF() * 2);
    view.setFont(big);
    QTRY_VERIFY(view.rowHeight(0) > before);
    QVERIFY(view.rowHeight(0) >= view.fontMetrics().height());
    QVERIFY(view.verticalHeader()->defaultSectionSize() >= view.fontMetrics().height());
}

void TstTimelineView::selectionCoversWholeDevicePixels()
{
    // Also run at QT_SCALE_FACTOR=2 (tst_timelineview_2x): the rows are painted in device pixels there, and a row
    // drawn at a fractional position would leave blended lines at its edges.
    EventStore store;
    TimelineModel model(&store);
    TimelineViewModel viewModel;
    viewModel.setSourceModel(&model);
    TimelineView view;
    view.setModel(&viewModel);
    view.resize(600, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    model.append(oneTextEvent());
    QTRY_COMPARE(viewModel.rowCount(), 1);
    view.selectRow(0);
    const qreal ratio = view.devicePixelRatio();
    if (qEnvironmentVariable("QT_SCALE_FACTOR") == QLatin1StringView("2"))
        QCOMPARE(ratio, 2.0);
    const QImage image = view.viewport()->grab().toImage();
    QCOMPARE(image.devicePixelRatio(), ratio);
    QCOMPARE(image.height(), qRound(view.viewport()->height() * ratio));
    // Down the right edge, past the short preview: the selected row's highlight, then the background.
    const QColor highlight
        = view.palette().color(view.isActiveWindow() ? QPalette::Active : QPalette::Inactive, QPalette::Highlight);
    const int x = image.width() - 2;
    int y = 0;
    while (y < image.height() && image.pixelColor(x, y) == highlight)
        ++y;
    QCOMPARE(y, qRound(view.rowHeight(0) * ratio));
    QCOMPARE(image.pixelColor(x, y), view.palette().color(QPalette::Base));
}

QTEST_MAIN(TstTimelineView)
#include "tst_timelineview.moc"
