// How long selecting a big message keeps the window busy: the detail pane shown offscreen, fed 12 MB
// payloads (a JSON document, plain text, binary), timing showRow() — what the user waits for after a click —,
// the time until the first part is on screen (big JSON is formatted on a pool thread) with the longest turn
// of the event loop meanwhile, and each turn of "Show all". Prints figures; asserts nothing.

#include "core/eventstore.h"
#include "core/timelinemodel.h"
#include "detailpane.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>

#include <cstdio>

namespace {

constexpr qsizetype PayloadBytes = 12 * 1024 * 1024;

wsi::Event event(quint64 seq, wsi::EventKind kind, QByteArray payload)
{
    wsi::Event e;
    e.seq = seq;
    e.timestampUs = 1763805600000000 + qint64(seq);
    e.connection = 1;
    e.direction = wsi::Direction::S2C;
    e.kind = kind;
    e.flags = wsi::FlagFin;
    e.size = payload.size();
    e.payload = std::move(payload);
    return e;
}

QByteArray bigJson()
{
    QByteArray out = "{\"items\":[";
    for (int i = 0; out.size() < PayloadBytes; ++i) {
        if (i)
            out += ',';
        out += "{\"id\":" + QByteArray::number(i) + ",\"name\":\"item " + QByteArray::number(i)
            + "\",\"tags\":[\"a\",\"b\"],\"price\":" + QByteArray::number(i * 0.25, 'f', 2) + "}";
    }
    return out + "]}";
}

QByteArray bigText()
{
    QByteArray out;
    for (int i = 0; out.size() < PayloadBytes; ++i)
        out += "line " + QByteArray::number(i) + ": the quick brown fox jumps over the lazy dog\n";
    return out;
}

QByteArray bigBinary()
{
    QByteArray out(PayloadBytes, Qt::Uninitialized);
    for (qsizetype i = 0; i < out.size(); ++i)
        out[i] = char((i * 7) & 0xff);
    return out;
}

} // namespace

int main(int argc, char* argv[])
{
    if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    wsi::EventStore store;
    wsi::TimelineModel model(&store);
    wsi::CaptureBatch batch;
    batch.events.push_back(event(1, wsi::EventKind::Text, bigJson()));
    batch.events.push_back(event(2, wsi::EventKind::Text, bigText()));
    batch.events.push_back(event(3, wsi::EventKind::Binary, bigBinary()));
    batch.events.push_back(event(4, wsi::EventKind::Text, "{\"small\":true}"));
    model.append(batch);

    wsi::DetailPane pane;
    pane.setModel(&model);
    pane.resize(900, 600);
    pane.show();
    QCoreApplication::processEvents();

    const char* names[] = { "12 MB JSON", "12 MB text", "12 MB binary" };
    std::printf("%-14s %10s %10s %18s %12s %16s %14s\n", "payload", "select ms", "repaint ms", "first part shown ms",
        "worst turn ms", "show all: turns", "worst turn ms");
    for (int row = 0; row < 3; ++row) {
        pane.showRow(3); // something small in between, as when stepping through rows
        QCoreApplication::processEvents();
        QElapsedTimer clock;
        clock.start();
        pane.showRow(row);
        const double selectMs = double(clock.nsecsElapsed()) / 1e6;
        clock.restart();
        pane.repaint();
        const double paintMs = double(clock.nsecsElapsed()) / 1e6;

        // Big JSON is formatted on a pool thread: wait for it, timing each turn of the event loop meanwhile.
        QElapsedTimer ready;
        ready.start();
        double worstWaitTurnMs = 0;
        QElapsedTimer turn;
        while (!pane.isTruncated() && ready.elapsed() < 10000) {
            turn.start();
            QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
            worstWaitTurnMs = std::max(worstWaitTurnMs, double(turn.nsecsElapsed()) / 1e6);
        }
        const double readyMs = selectMs + double(ready.nsecsElapsed()) / 1e6;

        // Show all renders a part per event-loop turn: time each turn of the loop.
        int turns = 0;
        double worstTurnMs = 0;
        if (pane.isTruncated()) {
            pane.showAll();
            while (pane.isRendering() && turns < 100000) {
                turn.start();
                QCoreApplication::processEvents(QEventLoop::AllEvents);
                worstTurnMs = std::max(worstTurnMs, double(turn.nsecsElapsed()) / 1e6);
                ++turns;
            }
        }
        std::printf("%-14s %10.1f %10.1f %18.1f %12.1f %16d %14.1f\n", names[row], selectMs, paintMs, readyMs,
            worstWaitTurnMs, turns, worstTurnMs);
        std::fflush(stdout);
    }
    return 0;
}
