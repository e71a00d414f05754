#include "journalrecovery.h"

#include "jsonlcodec.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLockFile>
#include <QSysInfo>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#ifdef Q_OS_UNIX
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace wsi {

namespace {

constexpr qint64 ReadChunkBytes = 4 * 1024 * 1024;
constexpr qint64 MaxHeaderLineBytes = 64 * 1024;
// How SessionWriter starts every event line (jsonl::appendEvent). Journals are only ever written by it, so
// recognising the start is enough to count events without decoding a gigabyte of JSON.
constexpr char EventPrefix[] = "{\"type\":\"event\"";
constexpr qsizetype EventPrefixSize = sizeof(EventPrefix) - 1;
// Enough of an event line to hold everything up to its "ts" (type, seq and conn come first).
constexpr qint64 EventLineHeadBytes = 256;

struct LineScan
{
    qint64 events = 0;
    qint64 lastEventStart = -1; // file offset of the last complete event line
};

// Counts the complete event lines (those ending in a newline: a crash may leave half of one at the end, which
// the reader drops too). Looks at the first bytes of each line only, so lines of any length cost a memchr.
LineScan scanLines(QFile& file, bool stopAtFirstEvent, const JournalRecovery::Progress& progress = {})
{
    LineScan out;
    const qint64 total = file.size();
    QByteArray chunk(ReadChunkBytes, Qt::Uninitialized);
    char head[EventPrefixSize];
    qsizetype headSize = 0; // bytes of the current line's start collected so far (it may span chunks)
    qint64 chunkStart = 0;
    qint64 lineStart = 0;
    for (;;) {
        const qint64 n = file.read(chunk.data(), chunk.size());
        if (n <= 0)
            break;
        const char* const data = chunk.constData();
        const char* const end = data + n;
        const char* p = data;
        while (p < end) {
            const auto* newline = static_cast<const char*>(std::memchr(p, '\n', size_t(end - p)));
            const char* const segmentEnd = newline ? newline : end;
            if (headSize < EventPrefixSize) {
                const qsizetype take = std::min<qsizetype>(EventPrefixSize - headSize, segmentEnd - p);
                std::memcpy(head + headSize, p, size_t(take));
                headSize += take;
            }
            if (!newline)
                break;
            if (headSize == EventPrefixSize && std::memcmp(head, EventPrefix, EventPrefixSize) == 0) {
                ++out.events;
                out.lastEventStart = lineStart;
                if (stopAtFirstEvent)
                    return out;
            }
            headSize = 0;
            lineStart = chunkStart + (newline + 1 - data);
            p = newline + 1;
        }
        chunkStart += n;
        if (progress && !progress(chunkStart, total))
            break;
    }
    return out;
}

// The "ts" of the event line starting at offset, as a time; invalid when it cannot be found.
QDateTime eventTimeAt(QFile& file, qint64 offset)
{
    if (offset < 0 || !file.seek(offset))
        return {};
    const QByteArray head = file.read(EventLineHeadBytes);
    static constexpr QByteArrayView key("\"ts\":");
    const qsizetype at = head.indexOf(key);
    if (at < 0)
        return {};
    qsizetype end = at + key.size();
    while (end < head.size() && head.at(end) >= '0' && head.at(end) <= '9')
        ++end;
    bool ok = false;
    const qint64 us = head.mid(at + key.size(), end - at - key.size()).toLongLong(&ok);
    if (!ok)
        return {};
    return QDateTime::fromMSecsSinceEpoch(us / 1000, Qt::UTC);
}

#ifdef Q_OS_UNIX
// Takes the file's flock when no process holds it. -1 when a live process holds it, when the file is gone or
// replaced in the meantime, or when the file system cannot tell (no flock support): then it is not ours.
int claimFile(const QString& path)
{
    const QByteArray name = QFile::encodeName(path);
    const int fd = ::open(name.constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        return -1;
    }
    // Between open and flock, a new owner may have taken the dead lock over (QLockFile deletes the stale file
    // and creates a new one): then we hold the old, deleted file, which proves nothing about the new one.
    struct stat opened = {};
    struct stat current = {};
    if (::fstat(fd, &opened) != 0 || ::stat(name.constData(), &current) != 0 || opened.st_ino != current.st_ino
        || opened.st_dev != current.st_dev) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Whether a lock file is too young to be judged (see JournalRecovery::MinLockAgeMs), by its modification time. A
// time in the future (a clock set back) counts as young until it is that far in the past, as QLockFile has it.
bool isYoung(qint64 mtimeMs, qint64 nowMs)
{
    return std::abs(nowMs - mtimeMs) < JournalRecovery::MinLockAgeMs;
}

bool isYoungPath(const QString& path, qint64 nowMs)
{
    const QFileInfo info(path);
    return isYoung(info.lastModified().toMSecsSinceEpoch(), nowMs);
}

// The same for the file we hold open, which is the one that counts once its flock is ours.
bool isYoungFd(int fd, qint64 nowMs)
{
    struct stat st = {};
    if (::fstat(fd, &st) != 0)
        return true; // cannot tell: not ours to judge
    return isYoung(qint64(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000, nowMs);
}
#endif

bool removeFile(const QString& path, QString* error)
{
    QFile file(path);
    if (file.remove() || !file.exists())
        return true;
    if (error)
        *error = file.errorString();
    return false;
}

} // namespace

JournalRecovery::JournalRecovery(QString folder)
    : m_folder(std::move(folder))
{ }

JournalRecovery::~JournalRecovery()
{
    // Not handled: the lock file stays, and with our flock gone it marks the journal as crashed again.
    while (!m_claims.empty())
        release(m_claims.begin(), false);
}

QString JournalRecovery::lockPath(const QString& journal)
{
    return journal + QLatin1StringView(".lock");
}

QString JournalRecovery::markerPath(const QString& journal)
{
    return journal + QLatin1StringView(".unsaved");
}

QList<CrashedJournal> JournalRecovery::scan(const Progress& progress)
{
#ifdef Q_OS_UNIX
    const QDir dir(m_folder);
    const auto filters = QDir::Files | QDir::Hidden | QDir::System;
    QStringList locks;
    for (const QString& name : dir.entryList({ QStringLiteral("*.lock") }, filters, QDir::Name))
        locks << dir.filePath(name);
    QStringList markers;
    for (const QString& name : dir.entryList({ QStringLiteral("*.unsaved") }, filters, QDir::Name))
        markers << dir.filePath(name);
    // The progress total: every journal that might be read. Those found not worth reading just never count.
    qint64 total = 0;
    for (const QString& lock : std::as_const(locks))
        total += QFileInfo(lock.chopped(5)).size();
    for (const QString& marker : std::as_const(markers)) {
        if (!QFileInfo::exists(lockPath(marker.chopped(8))))
            total += QFileInfo(marker.chopped(8)).size();
    }
    qint64 done = 0;
    scanLocks(locks, progress, &done, total);
    scanMarkers(markers, progress, &done, total);
#else
    Q_UNUSED(progress);
#endif
    return journals();
}

void JournalRecovery::scanLocks(const QStringList& locks, const Progress& progress, qint64* done, qint64 total)
{
#ifdef Q_OS_UNIX
    const QString localHost = QSysInfo::machineHostName();
    for (const QString& lock : locks) {
        if (progress && !progress(*done, total))
            return;
        const QString journal = lock.chopped(5);
        if (m_claims.count(journal))
            continue;
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        // Being taken right now, or a moment ago: not ours to judge yet (see MinLockAgeMs). Its flock is not even
        // tried, since taking it in between would leave the new owner without one.
        if (isYoungPath(lock, now))
            continue;
        qint64 pid = 0;
        QString host;
        QString app;
        // A home folder shared between machines: a lock of another host cannot be judged from here (its flock
        // may not reach us), so it is left to that host. A lock whose owner cannot be read (a crash between
        // QLockFile's creating it and writing to it) is old by now, and judged by its flock like any other.
        if (QLockFile(lock).getLockInfo(&pid, &host, &app) && !host.isEmpty() && host != localHost)
            continue;
        const int fd = claimFile(lock);
        if (fd < 0)
            continue;
        // Checked again on the file we now hold: claimFile made sure it is still the one at that path; it must
        // also still be old (one made since we looked would have been replaced, so this is belt and braces).
        if (isYoungFd(fd, QDateTime::currentMSecsSinceEpoch())) {
            ::close(fd);
            continue;
        }
        // A lock without its journal: the run died between deleting the journal and its lock.
        if (!QFileInfo::exists(journal)) {
            ::unlink(QFile::encodeName(lock).constData());
            QFile::remove(markerPath(journal));
            ::close(fd);
            continue;
        }
        const qint64 base = *done;
        CrashedJournal found = inspect(journal, [&](qint64 read, qint64) {
            *done = base + read;
            return !progress || progress(*done, total);
        });
        if (progress && !progress(*done, total)) {
            ::close(fd); // stopped half-way: this one is left for the next scan
            return;
        }
        if (found.events == 0) {
            // Nothing to recover (a run that crashed before it captured anything): not worth a question.
            if (removeFile(journal, nullptr)) {
                QFile::remove(markerPath(journal));
                ::unlink(QFile::encodeName(lock).constData());
            }
            ::close(fd);
            continue;
        }
        found.ownerPid = pid;
        // A run that crashed while it was ending unattended had left its marker already.
        found.closedUnsaved = QFileInfo::exists(markerPath(journal));
        m_claims.emplace(journal, Claim { fd, found, false });
    }
#else
    Q_UNUSED(locks);
    Q_UNUSED(progress);
    Q_UNUSED(done);
    Q_UNUSED(total);
#endif
}

void JournalRecovery::scanMarkers(const QStringList& markers, const Progress& progress, qint64* done, qint64 total)
{
#ifdef Q_OS_UNIX
    for (const QString& marker : markers) {
        if (progress && !progress(*done, total))
            return;
        const QString journal = marker.chopped(8);
        // With a lock the lock decides: a dead one was judged above, a live one is a run appending to the file.
        if (m_claims.count(journal) || QFileInfo::exists(lockPath(journal)))
            continue;
        const int fd = claimFile(marker);
        if (fd < 0)
            continue; // another instance is offering it
        if (!QFileInfo::exists(journal)) {
            ::unlink(QFile::encodeName(marker).constData());
            ::close(fd);
            continue;
        }
        // A run that began appending to the journal since we looked holds its lock by now.
        if (QFileInfo::exists(lockPath(journal))) {
            ::close(fd);
            continue;
        }
        const qint64 base = *done;
        CrashedJournal found = inspect(journal, [&](qint64 read, qint64) {
            *done = base + read;
            return !progress || progress(*done, total);
        });
        if (progress && !progress(*done, total)) {
            ::close(fd);
            return;
        }
        if (found.events == 0) {
            if (removeFile(journal, nullptr))
                ::unlink(QFile::encodeName(marker).constData());
            ::close(fd);
            continue;
        }
        found.closedUnsaved = true;
        m_claims.emplace(journal, Claim { fd, found, true });
    }
#else
    Q_UNUSED(markers);
    Q_UNUSED(progress);
    Q_UNUSED(done);
    Q_UNUSED(total);
#endif
}

QList<CrashedJournal> JournalRecovery::journals() const
{
    QList<CrashedJournal> out;
    for (const auto& [path, claim] : m_claims)
        out.append(claim.journal);
    std::stable_sort(
        out.begin(), out.end(), [](const CrashedJournal& a, const CrashedJournal& b) { return a.created < b.created; });
    return out;
}

void JournalRecovery::release(std::map<QString, Claim>::iterator claim, bool removeLock)
{
#ifdef Q_OS_UNIX
    // Unlinked while we still hold the flock, so that no one can judge the file in between. The marker goes
    // before the lock: a lock left alone is judged again, a marker left beside a clean journal would offer it.
    if (removeLock) {
        ::unlink(QFile::encodeName(markerPath(claim->first)).constData());
        if (!claim->second.byMarker)
            ::unlink(QFile::encodeName(lockPath(claim->first)).constData());
    }
    if (claim->second.fd >= 0)
        ::close(claim->second.fd);
#else
    Q_UNUSED(removeLock);
#endif
    m_claims.erase(claim);
}

bool JournalRecovery::discard(const QString& path, QString* error)
{
    const auto claim = m_claims.find(path);
    if (claim == m_claims.end()) {
        if (error)
            *error = QStringLiteral("%1 is not an unsaved capture waiting for recovery")
                         .arg(QDir::toNativeSeparators(path));
        return false;
    }
    // The journal goes first: should we die in between, a lock without a journal is cleaned up by the next scan,
    // where a journal without its lock would look like a clean end.
    if (!removeFile(path, error))
        return false;
    release(claim, true);
    return true;
}

bool JournalRecovery::recoveredInto(const QString& path, const QString& copy, QString* error)
{
    if (m_claims.find(path) == m_claims.end())
        return discard(path, error); // says why
#ifdef Q_OS_UNIX
    // The copy was only flushed to the OS; the old journal must not be unlinked before the copy is on the disk,
    // or a power cut soon after could lose both.
    const int fd = ::open(QFile::encodeName(copy).constData(), O_RDONLY | O_CLOEXEC);
    const bool synced = fd >= 0 && ::fsync(fd) == 0;
    if (fd >= 0)
        ::close(fd);
    if (!synced) {
        if (error)
            *error = QStringLiteral("cannot make sure that %1 is on the disk: %2")
                         .arg(QDir::toNativeSeparators(copy), QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
#else
    Q_UNUSED(copy);
#endif
    return discard(path, error);
}

void JournalRecovery::keep(const QString& path)
{
    const auto claim = m_claims.find(path);
    if (claim != m_claims.end())
        release(claim, true);
}

CrashedJournal JournalRecovery::inspect(const QString& path, const Progress& progress)
{
    CrashedJournal out;
    out.path = path;
    const QFileInfo info(path);
    out.size = info.size();
    QFile file(path);
    if (file.open(QIODevice::ReadOnly)) {
        jsonl::DecodedLine decoded;
        if (jsonl::decodeLine(file.readLine(MaxHeaderLineBytes), decoded) == jsonl::DecodeStatus::Ok
            && decoded.type == jsonl::LineType::Session)
            out.created = QDateTime::fromString(decoded.header.created, Qt::ISODateWithMs);
        file.seek(0);
        const LineScan scan = scanLines(file, false, progress);
        out.events = scan.events;
        out.lastEvent = eventTimeAt(file, scan.lastEventStart);
    }
    if (!out.created.isValid())
        out.created = info.birthTime().isValid() ? info.birthTime() : info.lastModified();
    return out;
}

bool JournalRecovery::holdsEvents(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) && scanLines(file, true).events > 0;
}

} // namespace wsi
