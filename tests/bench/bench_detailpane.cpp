// How long selecting a big message keeps the window busy: the detail pane shown offscreen, fed 12 MB
// payloads (a JSON document, plain text, binary) and JSON of pathological shapes (64 levels of arrays around a
// flat list of zeros, whose pretty text is 65 times the payload, just under BackgroundJsonBytes and at 10 MiB;
// a single key of 5 MiB), timing showRow() — what the user waits for after a click —,
// the time until the first part is on screen (big JSON is formatted on a pool thread) with the longest turn
// of the event loop meanwhile, a repaint then, and each turn of "Show all" (which for JSON first prints the
// rest on a pool thread). Prints figures; asserts nothing.

#include "core/eventstore.h"
#include "core/timelinemodel.h"
#include "detailpane.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QThread>
#include <QTimer>

#include <cstdio>
#include <iterator>

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

// depth levels of arrays around a flat list of zeros, about bytes long.
QByteArray nestedAroundFlatList(int depth, qsizetype bytes)
{
    QByteArray out(depth, '[');
    out.reserve(bytes + depth);
    out += '0';
    while (out.size() + 2 + depth < bytes)
        out += ",0";
    return out + QByteArray(depth, ']');
}

QByteArray hugeKey()
{
    return "{\"" + QByteArray(5 * 1024 * 1024, 'k') + "\":1}";
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

// A turn of the event loop that did (next to) nothing: the pane waits for a pool thread. Sleeping then leaves
// the core to that thread instead of spinning against it; such turns are not counted.
constexpr double IdleTurnMs = 0.5;

void idle(double turnMs)
{
    if (turnMs < IdleTurnMs)
        QThread::msleep(1);
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
    const struct
    {
        const char* name;
        QByteArray payload;
        wsi::EventKind kind;
    } rows[] = {
        { "12 MB JSON", bigJson(), wsi::EventKind::Text },
        { "12 MB text", bigText(), wsi::EventKind::Text },
        { "12 MB binary", bigBinary(), wsi::EventKind::Binary },
        { "1 MiB nested", nestedAroundFlatList(64, wsi::DetailPane::BackgroundJsonBytes - 16), wsi::EventKind::Text },
        { "10 MiB nested", nestedAroundFlatList(64, 10 * 1024 * 1024), wsi::EventKind::Text },
        { "5 MiB key", hugeKey(), wsi::EventKind::Text },
    };
    const int rowCount = int(std::size(rows));
    for (int row = 0; row < rowCount; ++row)
        batch.events.push_back(event(quint64(row + 1), rows[row].kind, rows[row].payload));
    batch.events.push_back(event(quint64(rowCount + 1), wsi::EventKind::Text, "{\"small\":true}"));
    model.append(batch);

    wsi::DetailPane pane;
    pane.setModel(&model);
    pane.resize(900, 600);
    pane.show();
    QCoreApplication::processEvents();

    std::printf("%-14s %10s %10s %20s %12s %12s %16s %14s %10s\n", "payload", "select ms", "repaint ms",
        "first part shown ms", "worst turn ms", "repaint ms", "show all: turns", "worst turn ms", "total ms");
    for (int row = 0; row < rowCount; ++row) {
        pane.showRow(rowCount); // something small in between, as when stepping through rows
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
            const double turnMs = double(turn.nsecsElapsed()) / 1e6;
            worstWaitTurnMs = std::max(worstWaitTurnMs, turnMs);
            idle(turnMs);
        }
        const double readyMs = selectMs + double(ready.nsecsElapsed()) / 1e6;
        // A repaint with the first part and the tree (root expanded) on screen: what every later paint costs.
        clock.restart();
        pane.repaint();
        const double shownPaintMs = double(clock.nsecsElapsed()) / 1e6;

        // Show all renders a part per event-loop turn: time each turn of the loop.
        int turns = 0;
        double worstTurnMs = 0;
        QElapsedTimer showAllClock;
        showAllClock.start();
        if (pane.isTruncated()) {
            pane.showAll();
            while (pane.isRendering() && showAllClock.elapsed() < 300000) {
                turn.start();
                QCoreApplication::processEvents(QEventLoop::AllEvents);
                const double turnMs = double(turn.nsecsElapsed()) / 1e6;
                worstTurnMs = std::max(worstTurnMs, turnMs);
                if (turnMs >= IdleTurnMs)
                    ++turns;
                idle(turnMs);
            }
        }
        std::printf("%-14s %10.1f %10.1f %20.1f %12.1f %12.1f %16d %14.1f %10.0f\n", rows[row].name, selectMs, paintMs,
            readyMs, worstWaitTurnMs, shownPaintMs, turns, worstTurnMs, double(showAllClock.elapsed()));
        std::fflush(stdout);
    }
    return 0;
}
