#include "eventprinter.h"

#include "../core/capturequeue.h"
#include "../core/recorder.h"

#include <QDateTime>
#include <QTimer>

namespace wsi {

EventPrinter::EventPrinter(Recorder* recorder, std::FILE* out, QObject* parent)
    : QObject(parent)
    , m_recorder(recorder)
    , m_queue(std::make_shared<CaptureQueue>())
    , m_out(out)
    , m_timer(new QTimer(this))
{
    m_recorder->addSink(m_queue);
    m_timer->setInterval(50);
    connect(m_timer, &QTimer::timeout, this, &EventPrinter::drain);
    m_timer->start();
}

EventPrinter::~EventPrinter()
{
    drain();
    m_recorder->removeSink(m_queue);
}

void EventPrinter::drain()
{
    const CaptureBatch batch = m_queue->takeAll();
    if (batch.events.empty())
        return;
    QByteArray text;
    for (const Event& e : batch.events) {
        ++m_events;
        if (e.kind == EventKind::HandshakeRequest || e.kind == EventKind::HandshakeResponse)
            continue;
        text
            += QDateTime::fromMSecsSinceEpoch(e.timestampUs / 1000).toString(QStringLiteral("HH:mm:ss.zzz")).toLatin1();
        text += " conn " + QByteArray::number(e.connection) + ' ';
        if (e.direction != Direction::None)
            text += directionName(e.direction).toLatin1() + ' ';
        text += kindName(e.kind).toLatin1();
        if (e.direction != Direction::None)
            text += ' ' + QByteArray::number(e.size) + " B";
        const QString preview = eventPreview(e.kind, e.closeCode, e.payload, 200);
        if (!preview.isEmpty())
            text += ": " + preview.toUtf8();
        if (!e.note.isEmpty())
            text += " (" + e.note + ')';
        text += '\n';
    }
    std::fwrite(text.constData(), 1, size_t(text.size()), m_out);
    std::fflush(m_out);
}

} // namespace wsi
