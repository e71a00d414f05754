#pragma once

#include <QObject>

#include <cstdio>
#include <memory>

class QTimer;

namespace wsi {

class CaptureQueue;
class Recorder;

/*
 * The headless commands' view of the capture: one line per notable event on stdout (opens, messages,
 * pings, closes, errors), drained from its own queue every 50 ms so printing never slows the capture thread.
 * Handshake details go to the record file, not to the terminal.
 */
class EventPrinter : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventPrinter)

public:
    EventPrinter(Recorder* recorder, std::FILE* out, QObject* parent = nullptr);
    ~EventPrinter() override;

    // Prints whatever is pending now.
    void drain();
    quint64 printedEvents() const { return m_events; }

private:
    Recorder* m_recorder;
    std::shared_ptr<CaptureQueue> m_queue;
    std::FILE* m_out;
    QTimer* m_timer;
    quint64 m_events = 0;
};

} // namespace wsi
