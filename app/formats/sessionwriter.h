#pragma once

#include <QFile>
#include <QString>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace wsi {

class CaptureQueue;

/*
 * The journal: drains a CaptureQueue on its own thread every 100 ms and appends what it took to a session
 * file (JSON Lines, see jsonlcodec.h), flushing to the OS each time, so that a crash of the app loses at most a
 * quarter of a second of capture and the GUI thread never waits for the disk. An existing session file is
 * appended to (no second header); anything else that already exists at the path is left alone.
 * After a write error (disk full, file system gone) the error handler is told once and the writer keeps
 * emptying the queue without writing, so that memory does not grow for the rest of the capture.
 * Not a QObject: it has no signals to offer beyond the error callback, and it lives on no event loop.
 */
class SessionWriter
{
public:
    SessionWriter(QString path, std::shared_ptr<CaptureQueue> queue);
    ~SessionWriter();
    SessionWriter(const SessionWriter&) = delete;
    SessionWriter& operator=(const SessionWriter&) = delete;

    QString path() const { return m_path; }

    // Creates the parent folders, opens the file for appending and writes the header line into a new or
    // empty file. Returns false with a user-readable reason in *error when the file cannot be used.
    bool open(QString* error = nullptr);
    // After open() appended to an existing session: the highest connection id and event seq already in it
    // (0 for a new file), so that the Recorder can continue after them.
    quint32 lastConnection() const { return m_lastConnection; }
    quint64 lastSeq() const { return m_lastSeq; }
    // Starts the writer thread; does nothing unless open() succeeded or when already started.
    void start();
    // Final drain, flush and close; joins the thread. Safe to call more than once, and from the error handler.
    void stop();
    // Drains the queue and flushes from the calling thread, now (e.g. before quitting). Thread-safe.
    void flushNow();

    // Called once, on the thread that hit the problem (normally the writer thread), with a message for the
    // user. Set it before start().
    void setErrorHandler(std::function<void(QString)> handler);
    bool hasFailed() const { return m_failed.load(); }

private:
    void run();
    // Takes everything from the queue and writes it; returns the error message of a new failure, if any.
    QString drain();

    const QString m_path;
    const std::shared_ptr<CaptureQueue> m_queue;
    std::function<void(QString)> m_errorHandler;

    std::mutex m_fileMutex; // serialises drains: the thread's and flushNow()'s
    QFile m_file;
    QByteArray m_buffer;
    std::atomic<bool> m_failed { false };
    quint32 m_lastConnection = 0;
    quint64 m_lastSeq = 0;

    std::mutex m_wakeMutex;
    std::condition_variable m_wake;
    bool m_stopRequested = false;
    std::thread m_thread;
};

} // namespace wsi
