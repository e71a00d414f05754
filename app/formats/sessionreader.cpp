#include "sessionreader.h"

#include "jsonlcodec.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QThread>

#include <algorithm>
#include <future>
#include <limits>
#include <system_error>
#include <vector>

namespace wsi {

namespace {
constexpr qint64 readChunkBytes = 1024 * 1024;
// jsonlcodec reads "seq" as a signed 64-bit integer.
constexpr quint64 maxLineSeq = quint64(std::numeric_limits<qint64>::max());
// A header is one short line: more than this before the first newline means some other kind of file, and
// there is no point in reading all of it to find out.
constexpr qsizetype maxHeaderLineBytes = 64 * 1024;
// More threads than this gain little: each chunk is only a megabyte.
constexpr int maxDecodeThreads = 4;

QString byteCount(qint64 bytes)
{
    return bytes % (1024 * 1024) == 0 ? QStringLiteral("%1 MiB").arg(QString::number(bytes / (1024 * 1024)))
                                      : QStringLiteral("%1 bytes").arg(QString::number(bytes));
}

QString notASession(const QString& why)
{
    return QStringLiteral("not a WebSocket Inspector session (%1)").arg(why);
}

// One line decoded, before it is added: decoding needs nothing from the lines before it, so many lines can be
// decoded at once on several threads, and then added in order.
struct DecodedLine
{
    jsonl::DecodeStatus status = jsonl::DecodeStatus::Ok;
    jsonl::DecodedLine line;
    QString why;
    bool blank = false;
    bool tooLong = false; // over the limit: skipped, not decoded

    void decode(QByteArrayView text, qint64 maxBytes = std::numeric_limits<qint64>::max())
    {
        tooLong = text.size() > maxBytes;
        if (tooLong)
            return;
        if (text.endsWith('\r'))
            text.chop(1);
        blank = text.trimmed().isEmpty();
        if (blank)
            return;
        why.clear();
        status = jsonl::decodeLine(text, line, &why);
    }
};

// Turns lines into SessionData; the first line decides whether the rest is read at all.
class Loader
{
public:
    explicit Loader(SessionData& out)
        : m_out(out)
    { }

    bool hasHeader() const { return m_hasHeader; }
    const QString& error() const { return m_error; }

    // One line without its newline; complete is false for a last line that had none. Returns false
    // when the file cannot be loaded (error() says why).
    bool addLine(QByteArrayView line, bool complete)
    {
        if (!m_hasHeader && m_lineNumber == 0 && line.startsWith("\xEF\xBB\xBF"))
            line = line.sliced(3); // a byte order mark added by an editor
        m_scratch.decode(line);
        return add(m_scratch, complete);
    }

    // A line decoded by DecodedLine::decode, in file order; its event is moved out.
    bool add(DecodedLine& decoded, bool complete)
    {
        ++m_lineNumber;
        if (decoded.blank)
            return true;
        const jsonl::DecodeStatus status = decoded.status;
        if (!m_hasHeader)
            return addHeader(status, decoded.line, decoded.why);
        if (status == jsonl::DecodeStatus::NotJson && !complete) {
            warn(QStringLiteral("ignored a truncated last line (the capture was interrupted)"));
            return true;
        }
        if (status != jsonl::DecodeStatus::Ok) {
            warnLine(decoded.why);
            return true;
        }
        switch (decoded.line.type) {
        case jsonl::LineType::Event:
            addEvent(decoded.line.event);
            break;
        case jsonl::LineType::Connection:
            addConnection(decoded.line.connection);
            break;
        case jsonl::LineType::Session:
            // Sessions joined with cat carry a second header; only one we could not read is worth a word.
            if (decoded.line.header.format != jsonl::formatName || decoded.line.header.version > jsonl::formatVersion)
                warnLine(QStringLiteral("ignored a second session header of another format or version"));
            break;
        }
        return true;
    }

    // A line longer than the limit: counted and reported, never kept.
    void skipLongLine(qint64 limit)
    {
        ++m_lineNumber;
        warnLine(QStringLiteral("longer than the limit of %1, skipped").arg(byteCount(limit)));
    }

    void finish()
    {
        if (!m_hasHeader) {
            m_error = notASession(QStringLiteral("the file is empty"));
            return;
        }
        if (m_unlistedWarnings > 0) {
            m_out.warnings.append(
                QStringLiteral("%1 more warnings were not listed").arg(QString::number(m_unlistedWarnings)));
        }
    }

private:
    bool addHeader(jsonl::DecodeStatus status, const jsonl::DecodedLine& decoded, const QString& why)
    {
        if (status == jsonl::DecodeStatus::NotJson) {
            m_error = notASession(QStringLiteral("its first line is not JSON"));
            return false;
        }
        if (status != jsonl::DecodeStatus::Ok) {
            m_error = notASession(QStringLiteral("its first line is not a valid session header: %1").arg(why));
            return false;
        }
        if (decoded.type != jsonl::LineType::Session) {
            m_error = notASession(QStringLiteral("its first line is not a session header"));
            return false;
        }
        const jsonl::SessionHeader& header = decoded.header;
        if (header.format != jsonl::formatName) {
            m_error = notASession(QStringLiteral("its format is \"%1\"").arg(header.format));
            return false;
        }
        if (header.version > jsonl::formatVersion) {
            m_error = QStringLiteral("this session file has format version %1, which is newer than this "
                                     "version of WebSocket Inspector can read (up to %2); please update the app")
                          .arg(QString::number(header.version), QString::number(jsonl::formatVersion));
            return false;
        }
        if (header.version < 1) {
            m_error = notASession(QStringLiteral("unknown format version %1").arg(QString::number(header.version)));
            return false;
        }
        m_out.version = header.version;
        m_out.created = header.created;
        m_out.app = header.app;
        m_hasHeader = true;
        return true;
    }

    void addEvent(Event& e)
    {
        // Hand-written files may leave the numbering to us. It stops at the largest "seq" a line can carry, so
        // that what was loaded can be saved and loaded again (a repeated seq is allowed: joined files have them).
        if (e.seq == 0)
            e.seq = std::min(m_lastSeq, maxLineSeq - 1) + 1;
        m_lastSeq = e.seq;
        m_out.events.push_back(std::move(e));
    }

    void addConnection(const Connection& c)
    {
        const auto found = m_connectionIndex.constFind(c.id);
        if (found != m_connectionIndex.cend()) {
            m_out.connections[*found] = c;
        } else {
            m_connectionIndex.insert(c.id, m_out.connections.size());
            m_out.connections.append(c);
        }
    }

    void warnLine(const QString& why) { warn(QStringLiteral("line %1: %2").arg(QString::number(m_lineNumber), why)); }

    void warn(const QString& text)
    {
        if (m_out.warnings.size() < SessionReader::maxWarnings)
            m_out.warnings.append(text);
        else
            ++m_unlistedWarnings;
    }

    SessionData& m_out;
    DecodedLine m_scratch; // reused: saves an allocation or two per line
    QHash<quint32, qsizetype> m_connectionIndex;
    QString m_error;
    qint64 m_lineNumber = 0;
    quint64 m_lastSeq = 0;
    qint64 m_unlistedWarnings = 0;
    bool m_hasHeader = false;
};

// Decodes lines[from, end) into decoded[0, end - from), the work shared out among threads: decoding is most of
// the time a big file takes to load, and lines decode independently of each other. Lines over maxBytes are
// only marked.
void decodeAll(const std::vector<QByteArrayView>& lines, size_t from, std::vector<DecodedLine>& decoded, int threads,
    qint64 maxBytes)
{
    const size_t count = lines.size() - from;
    if (decoded.size() < count)
        decoded.resize(count);
    auto decodeRange = [&lines, &decoded, from, maxBytes](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i)
            decoded[i].decode(lines[from + i], maxBytes);
    };
    // Below this many lines a thread costs more than it saves.
    constexpr size_t minLinesPerThread = 512;
    const size_t parts = std::clamp<size_t>(count / minLinesPerThread, 1, size_t(threads));
    std::vector<std::future<void>> helpers;
    helpers.reserve(parts - 1);
    std::vector<size_t> leftOver; // parts no thread could be had for: this one does them too
    for (size_t part = 1; part < parts; ++part) {
        try {
            helpers.push_back(
                std::async(std::launch::async, decodeRange, count * part / parts, count * (part + 1) / parts));
        } catch (const std::system_error&) {
            leftOver.push_back(part);
        }
    }
    decodeRange(0, count / parts);
    for (size_t part : leftOver)
        decodeRange(count * part / parts, count * (part + 1) / parts);
    for (std::future<void>& helper : helpers)
        helper.get();
}
} // namespace

bool SessionReader::readFile(const QString& path, SessionData& out, QString* error, Progress progress)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        if (error)
            *error = QStringLiteral("cannot open %1: %2").arg(QDir::toNativeSeparators(path), file.errorString());
        return false;
    }
    return read(file, out, error, std::move(progress));
}

bool SessionReader::read(QIODevice& device, SessionData& out, QString* error, Progress progress, qint64 maxLineBytes)
{
    auto fail = [error](const QString& why) {
        if (error)
            *error = why;
        return false;
    };
    out = SessionData {};
    Loader loader(out);
    const qint64 total = device.isSequential() ? -1 : device.size() - device.pos();
    qint64 done = 0;
    // A first line this long is no session header; after it, a line this long is skipped.
    auto tooLong = [&](qint64 bytes) {
        return bytes > (loader.hasHeader() ? maxLineBytes : std::min(maxLineBytes, maxHeaderLineBytes));
    };
    const QString headerTooLong = notASession(QStringLiteral("its first line is not a session header"));

    QByteArray buffer;
    bool skipping = false; // inside a line that is too long: its bytes are dropped up to its newline
    std::vector<QByteArrayView> lines;
    std::vector<DecodedLine> decoded;
    const int threads = std::clamp(QThread::idealThreadCount(), 1, maxDecodeThreads);
    while (true) {
        const qsizetype kept = buffer.size();
        // A small file gets a small buffer: a megabyte for a few lines costs more than reading them (it showed
        // in fuzz_jsonl, which reads small inputs thousands of times a second).
        const qint64 chunk = total < 0 ? readChunkBytes : qBound<qint64>(4096, total - done, readChunkBytes);
        buffer.resize(kept + chunk);
        const qint64 got = device.read(buffer.data() + kept, chunk);
        if (got < 0)
            return fail(QStringLiteral("cannot read the session: %1").arg(device.errorString()));
        buffer.resize(kept + got);
        done += got;
        if (got == 0)
            break;

        // Lines that are complete so far; the rest waits for the next chunk.
        lines.clear();
        qsizetype start = 0;
        for (qsizetype nl = buffer.indexOf('\n', kept); nl >= 0; nl = buffer.indexOf('\n', start)) {
            lines.push_back(QByteArrayView(buffer).sliced(start, nl - start));
            start = nl + 1;
        }
        size_t next = 0;
        if (skipping && !lines.empty()) {
            // The end of the line too long to keep.
            skipping = false;
            loader.skipLongLine(maxLineBytes);
            next = 1;
        }
        // The header alone decides whether this is a session at all: it goes first, on its own.
        for (; next < lines.size() && !loader.hasHeader(); ++next) {
            if (tooLong(lines[next].size()))
                return fail(headerTooLong);
            if (!loader.addLine(lines[next], true))
                return fail(loader.error());
        }
        decodeAll(lines, next, decoded, threads, maxLineBytes);
        for (size_t i = next; i < lines.size(); ++i) {
            DecodedLine& line = decoded[i - next];
            if (line.tooLong)
                loader.skipLongLine(maxLineBytes);
            else if (!loader.add(line, true))
                return fail(loader.error());
        }
        buffer.remove(0, start);
        if (skipping || tooLong(buffer.size())) {
            if (!loader.hasHeader())
                return fail(headerTooLong);
            skipping = true;
            buffer.clear();
            buffer.squeeze(); // what the long line took so far
        }
        if (progress && !progress(done, total))
            return fail(QStringLiteral("loading was cancelled"));
    }
    if (skipping)
        loader.skipLongLine(maxLineBytes);
    else if (!buffer.isEmpty() && !loader.addLine(buffer, false))
        return fail(loader.error());
    loader.finish();
    if (!loader.error().isEmpty())
        return fail(loader.error());
    return true;
}

} // namespace wsi
