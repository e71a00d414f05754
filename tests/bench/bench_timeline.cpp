// The timeline view over a million rows, as the user drives it: jumps of the scroll bar to random places,
// one-row and one-page steps, selecting a row (with the detail pane following), and a filter typed while it
// is shown — each timed through to the repaint. Offscreen unless a display is set. Prints figures; asserts
// nothing.
// Usage: bench_timeline [EVENTS]   (default 1,000,000)

#include "core/eventstore.h"
#include "core/timelinemodel.h"
#include "core/timelineviewmodel.h"
#include "detailpane.h"
#include "timelineview.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QScrollBar>
#include <QSplitter>
#include <QTest>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace {

wsi::CaptureBatch makeBatch(quint64 first, qsizetype count)
{
    wsi::CaptureBatch batch;
    if (first == 1) {
        for (quint32 id = 1; id <= 4; ++id)
            batch.connections.push_back(wsi::Connection { id, wsi::ConnectionRole::Server,
                QStringLiteral("ws://127.0.0.1:8765/"), QStringLiteral("127.0.0.1:5000%1").arg(id), QString() });
    }
    for (qsizetype i = 0; i < count; ++i) {
        const quint64 seq = first + quint64(i);
        wsi::Event e;
        e.seq = seq;
        e.timestampUs = 1763805600000000 + qint64(seq) * 7;
        e.connection = quint32(seq % 4) + 1;
        e.direction = seq % 2 ? wsi::Direction::C2S : wsi::Direction::S2C;
        e.kind = seq % 97 == 0 ? wsi::EventKind::Ping : wsi::EventKind::Text;
        e.flags = wsi::FlagFin;
        e.payload = "{\"n\":" + QByteArray::number(seq) + ",\"t\":\"" + (seq % 13 == 0 ? "join" : "msg") + "\"}";
        e.payload = e.payload.leftJustified(32, ' ');
        e.size = e.payload.size();
        batch.events.push_back(std::move(e));
    }
    return batch;
}

struct Stats
{
    std::vector<double> ms;
    void add(double v) { ms.push_back(v); }
    double percentile(double p)
    {
        std::sort(ms.begin(), ms.end());
        return ms.empty() ? 0 : ms[size_t(p * double(ms.size() - 1))];
    }
};

} // namespace

int main(int argc, char* argv[])
{
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    const qsizetype events = argc > 1 ? QByteArray(argv[1]).toLongLong() : 1000000;

    wsi::EventStore store;
    wsi::TimelineModel model(&store);
    wsi::TimelineViewModel viewModel;
    viewModel.setSourceModel(&model);
    QSplitter window(Qt::Vertical);
    auto* view = new wsi::TimelineView(&window);
    auto* detail = new wsi::DetailPane(&window);
    view->setModel(&viewModel);
    detail->setModel(&model);
    QObject::connect(view, &wsi::TimelineView::currentEventChanged, detail, &wsi::DetailPane::showRow);
    window.resize(1280, 900);
    window.show();

    QElapsedTimer clock;
    clock.start();
    for (qsizetype done = 0; done < events; done += 4096)
        model.append(makeBatch(quint64(done) + 1, std::min<qsizetype>(4096, events - done)));
    QCoreApplication::processEvents();
    std::printf("%lld rows appended in batches of 4096 (view following): %.0f ms\n",
        static_cast<long long>(model.rowCount()), double(clock.nsecsElapsed()) / 1e6);

    QScrollBar* bar = view->verticalScrollBar();
    QRandomGenerator rng(42);
    auto timed = [&](auto&& action) {
        QElapsedTimer t;
        t.start();
        action();
        view->viewport()->repaint();
        return double(t.nsecsElapsed()) / 1e6;
    };
    Stats jumps;
    Stats steps;
    Stats pages;
    Stats selects;
    for (int i = 0; i < 200; ++i)
        jumps.add(timed([&] { bar->setValue(int(rng.bounded(bar->maximum() + 1))); }));
    view->setFocus();
    for (int i = 0; i < 200; ++i)
        steps.add(timed([&] { QTest::keyClick(view, Qt::Key_Down); }));
    for (int i = 0; i < 100; ++i)
        pages.add(timed([&] { QTest::keyClick(view, Qt::Key_PageDown); }));
    for (int i = 0; i < 100; ++i) {
        const int row = int(rng.bounded(int(viewModel.rowCount())));
        selects.add(timed([&] {
            view->scrollTo(viewModel.index(row, 0));
            view->setCurrentIndex(viewModel.index(row, 0));
        }));
    }
    std::printf("%-34s %10s %10s %10s\n", "action (through the repaint)", "median ms", "p95 ms", "worst ms");
    for (auto [name, stats] :
        { std::pair { "scroll bar jump to a random place", &jumps }, std::pair { "Down arrow", &steps },
            std::pair { "Page Down", &pages }, std::pair { "select a random row (+ detail)", &selects } }) {
        std::printf("%-34s %10.2f %10.2f %10.2f\n", name, stats->percentile(0.5), stats->percentile(0.95),
            stats->percentile(1.0));
    }

    for (const char* text : { "join", "\"n\":12345" }) {
        wsi::FilterSpec spec;
        spec.text = QString::fromLatin1(text);
        QElapsedTimer t;
        t.start();
        viewModel.setFilter(spec);
        const double callMs = double(t.nsecsElapsed()) / 1e6;
        viewModel.waitForFilter();
        QCoreApplication::processEvents();
        view->viewport()->repaint();
        std::printf("filter \"%s\": setFilter returned in %.2f ms; %lld of %lld rows shown after %.0f ms\n", text,
            callMs, static_cast<long long>(viewModel.matchCount()), static_cast<long long>(viewModel.totalCount()),
            double(t.nsecsElapsed()) / 1e6);
    }
    return 0;
}
