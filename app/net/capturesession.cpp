#include "capturesession.h"

#include "../core/capturequeue.h"
#include "../core/eventstore.h"
#include "../core/platform.h"
#include "../core/recorder.h"
#include "../core/timelinemodel.h"
#include "../formats/journalrecovery.h"
#include "../formats/sessionwriter.h"
#include "captureengine.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLockFile>
#include <QThread>
#include <QThreadPool>
#include <QTimer>

namespace wsi {

namespace {
// The timeline takes new events at most this often: about 60 batches a second, whatever the traffic.
constexpr int PumpIntervalMs = 17;
// At most this many rows per turn of the GUI's event loop (a few milliseconds of work): a flood beyond what
// one tick can take is worked off in slices, with painting and input handled in between.
constexpr size_t MaxRowsPerPump = 8192;
// A burst of at least this many events is followed, once the capture is quiet, by a release of free memory.
constexpr size_t EventsBeforeTrim = 100000;
// How long closing handshakes may take when the session ends.
constexpr int ShutdownGraceMs = 1500;
} // namespace

CaptureSession::CaptureSession(const Options& options, QObject* parent)
    : QObject(parent)
    , m_recorder(std::make_unique<Recorder>())
    , m_journalPath(options.journalPath)
    , m_removeEmptyJournal(options.removeEmptyJournal)
{
    if (options.keepTimeline) {
        m_store = std::make_unique<EventStore>();
        m_model = new TimelineModel(m_store.get(), this);
        m_timelineQueue = std::make_shared<CaptureQueue>();
        m_recorder->addSink(m_timelineQueue);
        m_pumpTimer = new QTimer(this);
        m_pumpTimer->setInterval(PumpIntervalMs);
        m_pumpTimer->setTimerType(Qt::PreciseTimer);
        connect(m_pumpTimer, &QTimer::timeout, this, &CaptureSession::pump);
        m_pumpTimer->start();
    }
    if (!m_journalPath.isEmpty()) {
        auto queue = std::make_shared<CaptureQueue>();
        auto writer = std::make_unique<SessionWriter>(m_journalPath, queue);
        QString error;
        if (lockJournal(&error) && writer->open(&error)) {
            writer->setErrorHandler([this](const QString& reason) {
                QMetaObject::invokeMethod(
                    this, [this, reason] { Q_EMIT journalFailed(reason); }, Qt::QueuedConnection);
            });
            m_recorder->continueAfter(writer->lastConnection(), writer->lastSeq());
            m_recorder->addSink(queue);
            writer->start();
            m_writer = std::move(writer);
        } else {
            // Reported once the caller had the chance to connect to the signal.
            QMetaObject::invokeMethod(
                this, [this, error] { Q_EMIT journalFailed(error); }, Qt::QueuedConnection);
            m_journalPath.clear();
            m_journalLock.reset();
        }
    }

    m_thread = new QThread(this);
    m_thread->setObjectName(QStringLiteral("capture"));
    m_engine = new CaptureEngine(m_recorder.get(), m_unsentBytes);
    m_engine->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_engine, &QObject::deleteLater);
    connect(m_engine, &CaptureEngine::serverStarted, this, [this](const QUrl& url) {
        m_serverUrl = url;
        Q_EMIT serverStarted(url);
    });
    connect(m_engine, &CaptureEngine::serverStartFailed, this, &CaptureSession::serverStartFailed);
    qRegisterMetaType<wsi::ServerClient>();
    connect(m_engine, &CaptureEngine::serverClientOpened, this, [this](const ServerClient& client) {
        m_serverClients.insert(client.id, client);
        Q_EMIT serverClientOpened(client);
    });
    connect(m_engine, &CaptureEngine::proxyStarted, this, [this](const QUrl& url) {
        m_proxyUrl = url;
        Q_EMIT proxyStarted(url);
    });
    connect(m_engine, &CaptureEngine::proxyStartFailed, this, [this](const QString& reason) {
        m_proxyUrl = QUrl();
        Q_EMIT proxyStartFailed(reason);
    });
    connect(m_engine, &CaptureEngine::proxyStopped, this, [this] {
        m_proxyUrl = QUrl();
        m_proxyClients.clear();
        Q_EMIT proxyStopped();
    });
    connect(m_engine, &CaptureEngine::proxyClientOpened, this, [this](const ServerClient& client) {
        m_proxyClients.insert(client.id, client);
        Q_EMIT proxyClientOpened(client);
    });
    connect(m_engine, &CaptureEngine::clientReconnecting, this,
        [this](quint32 previous, quint32 next, int attempt, int maxAttempts, int delayMs) {
            m_states.insert(next, ConnectionState::Connecting);
            Q_EMIT clientReconnecting(previous, next, attempt, maxAttempts, delayMs);
        });
    connect(m_engine, &CaptureEngine::clientGaveUp, this, &CaptureSession::clientGaveUp);
    connect(m_engine, &CaptureEngine::serverStopped, this, [this] {
        m_serverUrl = QUrl();
        m_serverClients.clear();
        Q_EMIT serverStopped();
    });
    connect(m_engine, &CaptureEngine::connectionStateChanged, this,
        [this](quint32 id, ConnectionRole role, ConnectionState state) {
            // Only live connections are kept (connectionState says Closed for the others): a client reconnecting
            // for days makes a new connection per attempt.
            if (state == ConnectionState::Closed)
                m_states.remove(id);
            else
                m_states.insert(id, state);
            if (role == ConnectionRole::Server && state == ConnectionState::Closed)
                m_serverClients.remove(id);
            if (role == ConnectionRole::Proxy && state == ConnectionState::Closed)
                m_proxyClients.remove(id);
            Q_EMIT connectionStateChanged(id, role, state);
        });
    connect(
        m_thread, &QThread::started, m_engine, [] { lowerCurrentThreadPriority(); }, Qt::DirectConnection);
    m_thread->start();
}

CaptureSession::~CaptureSession()
{
    shutdown();
    // The model reads the store: it goes first.
    delete m_model;
    m_model = nullptr;
}

void CaptureSession::shutdown()
{
    if (!m_engine)
        return;
    // Close every connection properly, give the closing handshakes a moment, then stop the thread.
    QMetaObject::invokeMethod(m_engine, &CaptureEngine::shutdown, Qt::BlockingQueuedConnection);
    const QDeadlineTimer deadline(ShutdownGraceMs);
    while (!deadline.hasExpired()) {
        int live = 0;
        QMetaObject::invokeMethod(m_engine, &CaptureEngine::liveConnections, Qt::BlockingQueuedConnection, &live);
        if (live == 0)
            break;
        QThread::msleep(10);
    }
    // Time is up: whatever is still open is dropped, so that its end is in the journal too.
    QMetaObject::invokeMethod(m_engine, &CaptureEngine::abortAll, Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
    m_engine = nullptr; // deleted with the thread's end; later calls do nothing
    // Deliver the engine's last reports (connections closing) before anyone asks for states again.
    QCoreApplication::sendPostedEvents(this, QEvent::MetaCall);
    pumpAll();
    if (m_writer)
        m_writer->stop();
    closeJournal();
}

bool CaptureSession::lockJournal(QString* error)
{
    const QFileInfo info(m_journalPath);
    // Pipes and devices (--record /dev/stdout) are nothing to recover, and their folder is no place for a lock.
    if (info.exists() && (!info.isFile() || info.isSymLink()))
        return true;
    QDir().mkpath(info.absolutePath()); // the writer explains a folder that cannot be made
    auto lock = std::make_unique<QLockFile>(JournalRecovery::lockPath(m_journalPath));
    // Age says nothing about a capture that may run for days: only a dead owner makes the lock stale (then it
    // is taken over, and the journal appended to, as a file named again with --record after a crash would be).
    lock->setStaleLockTime(0);
    if (lock->tryLock(0)) {
        m_journalLock = std::move(lock);
        return true;
    }
    if (lock->error() == QLockFile::LockFailedError) {
        // Two writers appending to one file would interleave their lines.
        qint64 pid = 0;
        QString host;
        QString app;
        lock->getLockInfo(&pid, &host, &app);
        *error = QStringLiteral("%1 is being written by another running WebSocket Inspector (process %2); choose "
                                "another file name")
                     .arg(QDir::toNativeSeparators(m_journalPath), QString::number(pid));
        return false;
    }
    // No lock file can be made next to the journal: journal all the same, only without crash detection.
    return true;
}

bool CaptureSession::journalIsSaved() const
{
    return m_journalSavedUpTo && m_recorder->lastSeq() <= *m_journalSavedUpTo;
}

void CaptureSession::closeJournal()
{
    if (m_journalClosed)
        return;
    m_journalClosed = true;
    // Only a file we locked is ours to delete: never a device or a file another process writes.
    if (!m_journalLock)
        return;
    const bool holdsEvents = JournalRecovery::holdsEvents(m_journalPath);
    if (!m_keepJournal || journalIsSaved() || (m_removeEmptyJournal && !holdsEvents)) {
        QFile::remove(m_journalPath);
    } else if (m_endingUnattendedAt && holdsEvents
        && !(m_journalSavedUpTo && *m_endingUnattendedAt <= *m_journalSavedUpTo)) {
        // Written while the lock is still held: a scan that sees the marker without the lock finds a finished
        // file. Events recorded by the end itself (connections closed) do not count as unsaved: they would offer
        // every capture that was saved while a client was connected.
        QFile marker(JournalRecovery::markerPath(m_journalPath));
        if (marker.open(QIODevice::WriteOnly | QIODevice::Truncate))
            marker.write(QByteArrayLiteral("closed with unsaved events\n"));
    }
    // After the journal: should we die in between, a lock without its journal is only cleaned up, where a
    // journal without its lock would pass for a clean end.
    m_journalLock->unlock();
}

void CaptureSession::setKeepJournal(bool keep)
{
    m_keepJournal = keep;
    if (!keep && m_journalClosed && m_journalLock) {
        QFile::remove(m_journalPath);
        QFile::remove(JournalRecovery::markerPath(m_journalPath));
    }
}

void CaptureSession::setJournalSavedUpTo(quint64 seq)
{
    m_journalSavedUpTo = std::max(seq, m_journalSavedUpTo.value_or(0));
    if (m_journalClosed && m_journalLock && journalIsSaved()) {
        QFile::remove(m_journalPath);
        QFile::remove(JournalRecovery::markerPath(m_journalPath));
    }
}

void CaptureSession::setEndingUnattended()
{
    m_endingUnattendedAt = m_recorder->lastSeq();
}

bool CaptureSession::restore(const CaptureBatch& batch)
{
    return m_recorder->restore(batch);
}

bool CaptureSession::flushJournal()
{
    if (!m_writer)
        return false;
    m_writer->flushNow();
    return !m_writer->hasFailed();
}

void CaptureSession::pump()
{
    if (!m_timelineQueue)
        return;
    // Work through what was taken before taking more, so that the order of connections and events holds.
    if (m_backlogAt >= m_backlog.events.size() && m_backlog.connections.empty()) {
        m_backlog = m_timelineQueue->takeAll();
        m_backlogAt = 0;
        m_eventsSinceTrim += m_backlog.events.size();
        // Quiet after a flood: what carried it is free now; give it back (see releaseFreeMemory).
        if (m_backlog.isEmpty() && m_eventsSinceTrim >= EventsBeforeTrim) {
            m_eventsSinceTrim = 0;
            // Walking a big heap can take a while: not on the GUI thread.
            QThreadPool::globalInstance()->start([] { releaseFreeMemory(); });
        }
    }
    const size_t left = m_backlog.events.size() - m_backlogAt;
    CaptureBatch slice;
    slice.connections = std::move(m_backlog.connections);
    m_backlog.connections.clear();
    if (m_backlogAt == 0 && left <= MaxRowsPerPump) {
        slice.events = std::move(m_backlog.events);
        m_backlog.events.clear();
    } else {
        const size_t n = std::min(left, MaxRowsPerPump);
        const auto from = m_backlog.events.begin() + qsizetype(m_backlogAt);
        slice.events.assign(std::make_move_iterator(from), std::make_move_iterator(from + qsizetype(n)));
        m_backlogAt += n;
    }
    if (!slice.isEmpty()) {
        m_model->append(slice);
        m_timelineQueue->recycle(std::move(slice));
    }
    // A flood outruns one slice per tick: go on as soon as the event loop has painted and taken input.
    if (m_backlogAt < m_backlog.events.size() && !m_catchingUp) {
        m_catchingUp = true;
        QTimer::singleShot(0, this, [this] {
            m_catchingUp = false;
            pump();
        });
    }
}

void CaptureSession::pumpAll()
{
    if (!m_timelineQueue)
        return;
    do {
        pump();
    } while (m_backlogAt < m_backlog.events.size() || m_timelineQueue->pendingEvents() > 0);
}

void CaptureSession::flush()
{
    pumpAll();
    if (m_writer)
        m_writer->flushNow();
}

void CaptureSession::startServer(const ServerOptions& options)
{
    if (!m_engine)
        return;
    QMetaObject::invokeMethod(
        m_engine, [engine = m_engine, options] { engine->startServer(options); }, Qt::QueuedConnection);
}

void CaptureSession::stopServer()
{
    if (!m_engine)
        return;
    QMetaObject::invokeMethod(m_engine, &CaptureEngine::stopServer, Qt::QueuedConnection);
}

void CaptureSession::startProxy(const ProxyOptions& options)
{
    if (!m_engine)
        return;
    QMetaObject::invokeMethod(
        m_engine, [engine = m_engine, options] { engine->startProxy(options); }, Qt::QueuedConnection);
}

void CaptureSession::stopProxy()
{
    if (!m_engine)
        return;
    QMetaObject::invokeMethod(m_engine, &CaptureEngine::stopProxy, Qt::QueuedConnection);
}

void CaptureSession::setServerBehaviour(const ServerBehaviour& behaviour)
{
    if (!m_engine)
        return;
    QMetaObject::invokeMethod(
        m_engine, [engine = m_engine, behaviour] { engine->setServerBehaviour(behaviour); }, Qt::QueuedConnection);
}

void CaptureSession::sendTextToServerClients(const QString& text)
{
    if (!m_engine)
        return;
    QMetaObject::invokeMethod(
        m_engine, [engine = m_engine, utf8 = text.toUtf8()] { engine->sendTextToServerClients(utf8); },
        Qt::QueuedConnection);
}

void CaptureSession::abortConnection(quint32 connection)
{
    if (!m_engine)
        return;
    QMetaObject::invokeMethod(
        m_engine, [engine = m_engine, connection] { engine->abortConnection(connection); }, Qt::QueuedConnection);
}

quint32 CaptureSession::connectClient(const ClientOptions& options)
{
    Connection c;
    c.role = ConnectionRole::Client;
    c.url = options.url.toString();
    const quint32 id = m_recorder->addConnection(c);
    if (!m_engine) {
        m_recorder->record(makeEvent(id, Direction::None, EventKind::Error, "the capture has ended"));
        return id; // closed, as connectionState says of any connection it does not hold
    }
    m_states.insert(id, ConnectionState::Connecting);
    QMetaObject::invokeMethod(
        m_engine, [engine = m_engine, id, options] { engine->openClient(id, options); }, Qt::QueuedConnection);
    return id;
}

void CaptureSession::sendText(quint32 connection, const QString& text)
{
    if (!m_engine)
        return;
    m_pendingSends->fetch_add(1, std::memory_order_relaxed);
    QMetaObject::invokeMethod(
        m_engine,
        [engine = m_engine, connection, utf8 = text.toUtf8(), pending = m_pendingSends] {
            engine->sendText(connection, utf8);
            pending->fetch_sub(1, std::memory_order_relaxed);
        },
        Qt::QueuedConnection);
}

void CaptureSession::sendBinary(quint32 connection, const QByteArray& data)
{
    if (!m_engine)
        return;
    m_pendingSends->fetch_add(1, std::memory_order_relaxed);
    QMetaObject::invokeMethod(
        m_engine,
        [engine = m_engine, connection, data, pending = m_pendingSends] {
            engine->sendBinary(connection, data);
            pending->fetch_sub(1, std::memory_order_relaxed);
        },
        Qt::QueuedConnection);
}

void CaptureSession::ping(quint32 connection, const QByteArray& payload)
{
    if (!m_engine)
        return;
    QMetaObject::invokeMethod(
        m_engine, [engine = m_engine, connection, payload] { engine->ping(connection, payload); },
        Qt::QueuedConnection);
}

void CaptureSession::closeConnection(quint32 connection, quint16 code, const QString& reason)
{
    if (!m_engine)
        return;
    QMetaObject::invokeMethod(
        m_engine,
        [engine = m_engine, connection, code, r = reason.toUtf8()] { engine->closeConnection(connection, code, r); },
        Qt::QueuedConnection);
}

bool CaptureSession::adoptOnCaptureThread(QObject* object, std::function<void(CaptureEngine*)> start)
{
    Q_ASSERT(!object->parent() && object->thread() == QThread::currentThread());
    if (!m_engine) {
        delete object;
        return false;
    }
    object->moveToThread(m_thread);
    QMetaObject::invokeMethod(
        m_engine,
        [engine = m_engine, object, start = std::move(start)] {
            object->setParent(engine);
            start(engine);
        },
        Qt::QueuedConnection);
    return true;
}

void CaptureSession::invokeOnCaptureThread(std::function<void(CaptureEngine*)> fn)
{
    if (!m_engine)
        return;
    QMetaObject::invokeMethod(
        m_engine, [engine = m_engine, fn = std::move(fn)] { fn(engine); }, Qt::QueuedConnection);
}

ConnectionState CaptureSession::connectionState(quint32 connection) const
{
    return m_states.value(connection, ConnectionState::Closed);
}

} // namespace wsi
