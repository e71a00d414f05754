#pragma once

#include "../core/capturequeue.h"
#include "../core/connection.h"
#include "endpointoptions.h"

#include <QHash>
#include <QMap>
#include <QObject>
#include <QUrl>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

class QLockFile;
class QThread;
class QTimer;

namespace wsi {

class CaptureEngine;
class CaptureQueue;
class EventStore;
class Recorder;
class SessionWriter;
class TimelineModel;

/*
 * One capture: the capture thread with its endpoints, the Recorder they report to, the journal writer and,
 * for the GUI, the timeline fed in batches at most 60 times a second. Lives on the thread that creates it
 * (the GUI thread, or main in headless commands); every call into the endpoints is a queued call to the
 * capture thread, and every signal here is delivered on this object's thread.
 */
class CaptureSession : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CaptureSession)

public:
    struct Options
    {
        bool keepTimeline = true; // false in headless commands: nothing is kept in memory
        QString journalPath; // empty: no journal
        // For the app's own journals (not a file the user named with --record, which must exist afterwards): a
        // clean shutdown that journaled no event deletes the journal, so that the sessions folder does not fill
        // with empty files.
        bool removeEmptyJournal = false;
    };
    explicit CaptureSession(const Options& options, QObject* parent = nullptr);
    ~CaptureSession() override;

    Recorder* recorder() const { return m_recorder.get(); }
    TimelineModel* model() const { return m_model; } // null without keepTimeline
    EventStore* store() const { return m_store.get(); } // null without keepTimeline
    QString journalPath() const { return m_journalPath; }
    // False: shutdown() deletes the journal after closing it (the user discarded the capture). True by default:
    // the journal stays. Called after shutdown() with false, deletes it at once.
    void setKeepJournal(bool keep);
    bool keepsJournal() const { return m_keepJournal; }
    // Everything up to this seq is saved elsewhere (a session file the user wrote): shutdown() deletes the journal
    // when nothing after it was recorded by then. What the end itself records (the closes of connections still
    // open) comes after it, and keeps the journal, which is then the only place that holds it. Called after
    // shutdown(), deletes the journal at once when that holds.
    void setJournalSavedUpTo(quint64 seq);
    // The app is ending without asking the user (SIGTERM at a logout, a kill): when the capture holds events
    // recorded up to now that were not saved (see setJournalSavedUpTo), shutdown() leaves a marker beside the
    // journal (JournalRecovery::markerPath) so that the next start offers it, as a capture closed unsaved.
    void setEndingUnattended();

    void startServer(const ServerOptions& options);
    void stopServer();
    // Changes what the running test server does, at once (a server started later takes its options' behaviour).
    void setServerBehaviour(const ServerBehaviour& behaviour);
    bool isServerRunning() const { return m_serverUrl.isValid(); }
    QUrl serverUrl() const { return m_serverUrl; }
    // The test server's clients that are open now, oldest first: a view made while the server runs lists
    // them, then follows serverClientOpened and connectionStateChanged.
    QList<ServerClient> serverClients() const { return m_serverClients.values(); }

    // The recording proxy: at most one per capture; starting it again restarts it with the new options.
    // proxyStarted or proxyStartFailed follows.
    void startProxy(const ProxyOptions& options);
    void stopProxy();
    bool isProxyRunning() const { return m_proxyUrl.isValid(); }
    // ws://HOST:PORT/ where clients of the proxy connect; invalid while it does not run.
    QUrl proxyUrl() const { return m_proxyUrl; }
    // The proxied connections open now, oldest first (as serverClients()).
    QList<ServerClient> proxyClients() const { return m_proxyClients.values(); }

    // Opens a client connection; returns its connection id at once (the connect itself is asynchronous).
    quint32 connectClient(const ClientOptions& options);
    void sendText(quint32 connection, const QString& text);
    void sendBinary(quint32 connection, const QByteArray& data);
    // Messages handed to sendText/sendBinary that the capture thread has not sent yet: a producer faster than
    // the network (the composer's repeat) waits while this is high instead of queueing without end.
    qint64 pendingSends() const { return m_pendingSends->load(std::memory_order_relaxed); }
    // Bytes written to the sockets of this capture that the network has not taken yet.
    qint64 unsentBytes() const { return m_unsentBytes->load(std::memory_order_relaxed); }
    // True while a producer should wait: many sends not yet handed to a socket, or much not yet sent.
    bool isSendBacklogged() const { return pendingSends() > 2000 || unsentBytes() > (qint64(16) << 20); }
    void ping(quint32 connection, const QByteArray& payload = {});
    // Closes a connection with a closing handshake; on a client waiting to reconnect, cancels the reconnection.
    void closeConnection(quint32 connection, quint16 code = 1000, const QString& reason = {});
    // Drops the TCP connection at once, without a closing handshake (recorded as such).
    void abortConnection(quint32 connection);
    // Sends to every open client of the test server.
    void sendTextToServerClients(const QString& text);

    // For objects that work beside the endpoints, such as the replay drivers: moves `object` (parentless, made
    // on this thread) to the capture thread, where it becomes the engine's child (deleted with it at the end of
    // the capture at the latest) and `start` runs with the engine, queued in order with every other call.
    // False, with object deleted, once the capture has ended.
    bool adoptOnCaptureThread(QObject* object, std::function<void(CaptureEngine*)> start);
    // Runs fn on the capture thread with the engine, queued in order with every other call; nothing once the
    // capture has ended (an adopted object is then gone with the engine).
    void invokeOnCaptureThread(std::function<void(CaptureEngine*)> fn);

    // Closed for a connection that is not live (or not known).
    ConnectionState connectionState(quint32 connection) const;

    // Closes every connection (1001, going away) and the server, waits a moment for the closing handshakes,
    // stops the capture thread and flushes the journal. Idempotent; the destructor calls it.
    void shutdown();

    // Moves everything recorded so far into the timeline and the journal, now. Used before quitting.
    void flush();

    // Puts a capture an earlier run recorded (a journal recovered after a crash) into the timeline and this
    // session's journal, with its own ids, as if it had just been captured; what is captured next is numbered
    // after it. Only into a capture that has not begun: false, with nothing changed, once anything was recorded
    // (see Recorder::restore).
    bool restore(const CaptureBatch& batch);
    // Writes everything recorded so far to the journal, now; true when all of it reached the file (false without
    // a journal, or after a write error).
    bool flushJournal();

Q_SIGNALS:
    void serverStarted(const QUrl& url);
    void serverStartFailed(const QString& reason);
    void serverStopped();
    // A client of the test server completed its handshake (its later states come with connectionStateChanged).
    void serverClientOpened(const wsi::ServerClient& client);
    void proxyStarted(const QUrl& url);
    void proxyStartFailed(const QString& reason);
    void proxyStopped();
    // A client's connection through the proxy reached the upstream and completed its handshake.
    void proxyClientOpened(const wsi::ServerClient& client);
    void connectionStateChanged(quint32 connection, wsi::ConnectionRole role, wsi::ConnectionState state);
    // A client connection with a ReconnectPolicy ended without the user closing it: connection `next` (a new
    // id, state Connecting) is tried after delayMs, as attempt `attempt` of maxAttempts (0: no limit).
    void clientReconnecting(quint32 previous, quint32 next, int attempt, int maxAttempts, int delayMs);
    // The last attempt failed too: no more reconnecting after `connection`.
    void clientGaveUp(quint32 connection, int attempts);
    void journalFailed(const QString& reason);

private:
    // Moves the next slice of captured events into the timeline.
    void pump();
    // Moves everything captured so far into the timeline.
    void pumpAll();
    // Takes the journal's lock file; false with the reason when another live process holds it.
    bool lockJournal(QString* error);
    // At shutdown: deletes the journal when it is not to be kept, then lets go of its lock.
    void closeJournal();
    // Nothing was recorded after what was saved elsewhere.
    bool journalIsSaved() const;

    std::unique_ptr<Recorder> m_recorder;
    std::unique_ptr<EventStore> m_store;
    TimelineModel* m_model = nullptr;
    std::shared_ptr<CaptureQueue> m_timelineQueue;
    CaptureBatch m_backlog; // taken from the queue, not yet in the timeline from m_backlogAt on
    size_t m_backlogAt = 0;
    bool m_catchingUp = false;
    size_t m_eventsSinceTrim = 0;
    QTimer* m_pumpTimer = nullptr;
    std::unique_ptr<SessionWriter> m_writer;
    // Held while journaling: its presence after the process is gone tells the next start that the capture was
    // not ended cleanly (see JournalRecovery). Null for journals where no lock file can be made (/dev/stdout).
    std::unique_ptr<QLockFile> m_journalLock;
    QString m_journalPath;
    bool m_removeEmptyJournal = false;
    bool m_keepJournal = true;
    bool m_journalClosed = false;
    std::optional<quint64> m_journalSavedUpTo;
    std::optional<quint64> m_endingUnattendedAt; // the recorder's last seq when the unattended end was announced
    QThread* m_thread = nullptr;
    CaptureEngine* m_engine = nullptr; // lives on m_thread
    QUrl m_serverUrl;
    QHash<quint32, ConnectionState> m_states; // live connections only
    std::shared_ptr<std::atomic<qint64>> m_pendingSends = std::make_shared<std::atomic<qint64>>(0);
    std::shared_ptr<std::atomic<qint64>> m_unsentBytes = std::make_shared<std::atomic<qint64>>(0);
    QMap<quint32, ServerClient> m_serverClients; // ids grow: in the order they opened
    QUrl m_proxyUrl;
    QMap<quint32, ServerClient> m_proxyClients;
};

} // namespace wsi
