#include "sessionwriter.h"

#include "../core/capturequeue.h"
#include "../core/platform.h"
#include "jsonlcodec.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>

#include <algorithm>

#ifndef WSI_VERSION
#define WSI_VERSION "unknown"
#endif

namespace wsi {

namespace {
// Big enough to make few system calls, small enough that a burst of a million events is not encoded into
// one huge buffer first.
constexpr qsizetype writeChunkBytes = 1024 * 1024;
// A session header is a short line; anything longer at the start of a file is not one.
constexpr qint64 maxHeaderLineBytes = 64 * 1024;
constexpr size_t BusyQueueEvents = 4096;

QString displayPath(const QString& path)
{
    return QDir::toNativeSeparators(path);
}
} // namespace

SessionWriter::SessionWriter(QString path, std::shared_ptr<CaptureQueue> queue)
    : m_path(std::move(path))
    , m_queue(std::move(queue))
{ }

SessionWriter::~SessionWriter()
{
    stop();
}

void SessionWriter::setErrorHandler(std::function<void(QString)> handler)
{
    std::lock_guard lock(m_fileMutex);
    m_errorHandler = std::move(handler);
}

bool SessionWriter::open(QString* error)
{
    auto fail = [error](const QString& why) {
        if (error)
            *error = why;
        return false;
    };
    std::lock_guard lock(m_fileMutex);
    if (m_file.isOpen())
        return true;
    if (m_path.isEmpty())
        return fail(QStringLiteral("no session file name was given"));

    const QFileInfo info(m_path);
    const QString shown = displayPath(m_path);
    if (info.isDir())
        return fail(QStringLiteral("cannot write the session file %1: it is a folder").arg(shown));
    if (!QDir().mkpath(info.absolutePath())) {
        return fail(
            QStringLiteral("cannot create the folder %1 for the session file").arg(displayPath(info.absolutePath())));
    }

    // Appending is only safe onto one of our own sessions: a mistyped path must not damage another file.
    bool needsHeader = true;
    bool needsNewline = false;
    if (info.exists() && info.isFile() && info.size() > 0) {
        QFile existing(m_path);
        if (!existing.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("cannot read the existing file %1: %2").arg(shown, existing.errorString()));
        const QByteArray firstLine = existing.readLine(maxHeaderLineBytes);
        jsonl::DecodedLine decoded;
        if (jsonl::decodeLine(firstLine, decoded) != jsonl::DecodeStatus::Ok || decoded.type != jsonl::LineType::Session
            || decoded.header.format != jsonl::formatName) {
            return fail(QStringLiteral("%1 already exists and is not a WebSocket Inspector session; "
                                       "choose another file name")
                            .arg(shown));
        }
        if (decoded.header.version > jsonl::formatVersion) {
            return fail(QStringLiteral("%1 was written by a newer WebSocket Inspector (session format version %2); "
                                       "choose another file name")
                            .arg(shown)
                            .arg(decoded.header.version));
        }
        needsHeader = false;
        // What is appended must not reuse the ids already in the file: learn the highest ones.
        while (!existing.atEnd()) {
            const QByteArray line = existing.readLine();
            if (jsonl::decodeLine(line, decoded) == jsonl::DecodeStatus::Ok) {
                if (decoded.type == jsonl::LineType::Connection)
                    m_lastConnection = std::max(m_lastConnection, decoded.connection.id);
                else if (decoded.type == jsonl::LineType::Event) {
                    m_lastConnection = std::max(m_lastConnection, decoded.event.connection);
                    m_lastSeq = std::max(m_lastSeq, decoded.event.seq);
                }
            }
        }
        // A crash may have left half a line at the end; start on a fresh line so that only that one is lost.
        needsNewline = existing.seek(existing.size() - 1) && existing.read(1) != "\n";
    }

    m_file.setFileName(m_path);
    // We batch lines ourselves: QFile's own buffer would only add a copy and hide write errors until flush.
    // Pipes and devices (--record /dev/stdout) cannot seek to an end to append at.
    QIODevice::OpenMode mode = QIODevice::WriteOnly | QIODevice::Unbuffered;
    if (!info.exists() || info.isFile())
        mode |= QIODevice::Append;
    if (!m_file.open(mode))
        return fail(QStringLiteral("cannot open the session file %1 for writing: %2").arg(shown, m_file.errorString()));

    QByteArray start;
    if (needsNewline)
        start += '\n';
    if (needsHeader) {
        start += jsonl::encodeHeader(QDateTime::currentDateTimeUtc(), QStringLiteral("wsinspector " WSI_VERSION));
        start += '\n';
    }
    if (!start.isEmpty() && (m_file.write(start) != start.size() || !m_file.flush())) {
        const QString why = m_file.errorString();
        m_file.close();
        return fail(QStringLiteral("cannot write the session file %1: %2").arg(shown, why));
    }
    m_failed = false;
    return true;
}

void SessionWriter::start()
{
    {
        std::lock_guard lock(m_fileMutex);
        if (!m_file.isOpen() || m_thread.joinable())
            return;
    }
    {
        std::lock_guard lock(m_wakeMutex);
        m_stopRequested = false;
    }
    m_thread = std::thread(&SessionWriter::run, this);
}

void SessionWriter::stop()
{
    {
        std::lock_guard lock(m_wakeMutex);
        m_stopRequested = true;
    }
    m_wake.notify_all();
    // From the error handler, on the writer thread itself: the thread ends when the handler returns, and the
    // rest happens in the next stop() (at the latest the destructor's).
    if (m_thread.joinable() && m_thread.get_id() == std::this_thread::get_id())
        return;
    if (m_thread.joinable())
        m_thread.join();
    flushNow();
    std::lock_guard lock(m_fileMutex);
    if (m_file.isOpen())
        m_file.close();
}

void SessionWriter::flushNow()
{
    QString failure;
    std::function<void(QString)> handler;
    {
        std::lock_guard lock(m_fileMutex);
        failure = drain();
        handler = m_errorHandler;
    }
    // Outside the lock: the handler may well call back into the writer (flushNow, hasFailed).
    if (!failure.isEmpty() && handler)
        handler(failure);
}

void SessionWriter::run()
{
    lowerCurrentThreadPriority();
    std::unique_lock lock(m_wakeMutex);
    while (!m_stopRequested) {
        // Under a flood, come back soon so that little waits in memory; otherwise every 100 ms.
        const auto pause = std::chrono::milliseconds(m_queue->pendingEvents() >= BusyQueueEvents ? 10 : 100);
        m_wake.wait_for(lock, pause, [this] { return m_stopRequested; });
        if (m_stopRequested)
            break; // stop() does the final drain
        lock.unlock();
        flushNow();
        lock.lock();
    }
}

QString SessionWriter::drain()
{
    if (!m_file.isOpen())
        return {};
    CaptureBatch batch = m_queue->takeAll();
    // After a failure the queue is still emptied, so that a long capture does not pile up in memory.
    if (batch.isEmpty() || m_failed)
        return {};

    auto writeBuffer = [this] {
        const char* data = m_buffer.constData();
        qint64 left = m_buffer.size();
        // A short write leaves no error behind; the retry for the rest is what reports the reason.
        while (left > 0) {
            const qint64 written = m_file.write(data, left);
            if (written <= 0)
                return false;
            data += written;
            left -= written;
        }
        m_buffer.truncate(0);
        return true;
    };
    bool ok = true;
    m_buffer.truncate(0);
    for (const Connection& c : batch.connections)
        jsonl::appendConnection(m_buffer, c);
    for (const Event& e : batch.events) {
        jsonl::appendEvent(m_buffer, e);
        if (m_buffer.size() >= writeChunkBytes && !(ok = writeBuffer()))
            break;
    }
    ok = ok && writeBuffer() && m_file.flush();
    m_queue->recycle(std::move(batch));
    if (m_buffer.capacity() > 4 * writeChunkBytes)
        m_buffer = QByteArray(); // one huge message must not pin its memory for the rest of the capture
    if (ok)
        return {};

    m_failed = true;
    QString reason = m_file.errorString();
    if (reason.isEmpty() || m_file.error() == QFileDevice::NoError)
        reason = QStringLiteral("the disk may be full");
    return QStringLiteral("cannot write the session file %1: %2; the rest of this capture is not being saved")
        .arg(displayPath(m_path), reason);
}

} // namespace wsi
