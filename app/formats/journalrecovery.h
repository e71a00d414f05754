#pragma once

#include <QDateTime>
#include <QList>
#include <QString>

#include <functional>
#include <map>

namespace wsi {

// A journal left behind by a run that did not end cleanly, as JournalRecovery::inspect sees it.
struct CrashedJournal
{
    QString path;
    QDateTime created; // from the session header; the file's birth or change time when the header has none
    QDateTime lastEvent; // the time of the last complete event line; invalid when there is none
    qint64 size = 0; // bytes
    qint64 events = 0; // complete event lines
    qint64 ownerPid = 0; // the process that wrote it, as its lock file says (0: unknown)
    // The run ended cleanly but without the user being asked (a logout, a kill with SIGTERM) and left the capture
    // unsaved: not a crash, only a capture that no one saved.
    bool closedUnsaved = false;
};

/*
 * Finds the captures a crash left unsaved. A CaptureSession holds "<journal>.lock" (a QLockFile) for as long as
 * it journals, and removes it at a clean shutdown; so a lock file that is still there but that no process holds
 * any more marks a journal whose run died (kill -9, a crash, a power cut). "Holds" is judged by the lock file's
 * flock: Qt's lock file keeps one for as long as its owner lives, and the kernel drops it however the process
 * ends, where a pid can be reused and a lock's age says nothing. A lock held by a running instance (this one
 * included) is never touched.
 *
 * A lock younger than MinLockAgeMs is not judged at all: QLockFile creates the file, then takes its flock, then
 * writes its owner into it, and a scan that took the flock in between would both make the owner run without one
 * and take its capture for a crashed one; a CaptureSession also takes its lock before its journal exists. So a
 * run that crashed moments ago is offered at the start after next.
 *
 * A run that ended cleanly without the user being asked (SIGTERM) with an unsaved capture leaves
 * "<journal>.unsaved" instead of its lock (see CaptureSession::setEndingUnattended): such journals are offered
 * too, marked closedUnsaved.
 *
 * scan() claims what it finds by taking that flock (of the lock file, or of the marker) itself, so that a
 * second instance started at the same time does not offer the same journal too. A claim ends with discard(),
 * recoveredInto() or keep(); one still open when the object goes away is simply let go, with the lock file (or
 * marker) left in place, so the journal is offered again at the next start. Unix only (flock); elsewhere scan()
 * finds nothing. Not thread-safe, but may move between threads (scanned on a worker, answered on the GUI thread).
 */
class JournalRecovery
{
public:
    // See the class comment: how old a lock file must be (by its modification time) before it is judged.
    static constexpr qint64 MinLockAgeMs = 5000;
    // Called now and then with the bytes of journals read so far and the total; return false to stop.
    using Progress = std::function<bool(qint64 done, qint64 total)>;

    explicit JournalRecovery(QString folder);
    ~JournalRecovery();
    JournalRecovery(const JournalRecovery&) = delete;
    JournalRecovery& operator=(const JournalRecovery&) = delete;

    QString folder() const { return m_folder; }

    // Looks through the folder and returns the journals of crashed runs, oldest first, each claimed. On the way
    // it deletes what holds nothing to recover: a crashed journal without a single complete event (with its
    // lock), and a dead run's lock whose journal is gone. Reads every candidate journal once (about a second a
    // gigabyte): not for the GUI thread. Stopped by progress, returns what it claimed so far.
    QList<CrashedJournal> scan(const Progress& progress = {});
    // Those claimed and not yet handled, oldest first.
    QList<CrashedJournal> journals() const;
    bool isClaimed(const QString& path) const { return m_claims.count(path) > 0; }

    // Deletes a claimed journal and its lock. False, with the reason in *error, when the journal could not be
    // deleted (it then stays claimed).
    bool discard(const QString& path, QString* error = nullptr);
    // The claimed journal's events are now in another file (the new run's journal): makes sure that file has
    // reached the disk, then discards the old one. When the copy cannot be synced the old journal stays.
    bool recoveredInto(const QString& path, const QString& copy, QString* error = nullptr);
    // Keeps a claimed journal as an ordinary session file and drops its lock (or marker), so that it is not
    // offered again.
    void keep(const QString& path);

    // What a journal holds, read in one pass over the file without decoding it (about a second for a gigabyte
    // on a warm cache): event lines are recognised by how the writer starts them.
    static CrashedJournal inspect(const QString& path, const Progress& progress = {});
    // True when the file holds at least one complete event line. Reads only up to the first one.
    static bool holdsEvents(const QString& path);
    static QString lockPath(const QString& journal);
    // The marker of a capture closed unsaved (see the class comment).
    static QString markerPath(const QString& journal);

private:
    struct Claim
    {
        int fd = -1; // the lock file or the marker, flocked by us
        CrashedJournal journal;
        bool byMarker = false; // claimed through the marker: there is no lock file to remove
    };
    void release(std::map<QString, Claim>::iterator claim, bool removeLock);
    void scanLocks(const QStringList& locks, const Progress& progress, qint64* done, qint64 total);
    void scanMarkers(const QStringList& markers, const Progress& progress, qint64* done, qint64 total);

    QString m_folder;
    std::map<QString, Claim> m_claims; // by journal path
};

} // namespace wsi
