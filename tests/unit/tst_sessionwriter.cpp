#include "core/capturequeue.h"
#include "formats/jsonlcodec.h"
#include "formats/sessionreader.h"
#include "formats/sessionwriter.h"
#include "wire/httphead.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <mutex>
#include <thread>

#ifdef Q_OS_LINUX
#include <csignal>
#include <sys/resource.h>
#include <sys/stat.h>
#endif

using namespace wsi;

namespace {

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QList<QByteArray> lines(const QString& path)
{
    QList<QByteArray> out = readAll(path).split('\n');
    if (!out.isEmpty() && out.back().isEmpty())
        out.removeLast();
    return out;
}

Connection connection(quint32 id, const QString& subprotocol = {})
{
    Connection c;
    c.id = id;
    c.role = ConnectionRole::Client;
    c.url = QStringLiteral("ws://127.0.0.1:8765/chat");
    c.peer = QStringLiteral("127.0.0.1:8765");
    c.subprotocol = subprotocol;
    return c;
}

Event frameEvent(quint64 seq, EventKind kind, Direction dir, QByteArray payload, quint8 flags = 0)
{
    Event e = makeEvent(1, dir, kind, std::move(payload));
    e.seq = seq;
    e.flags = flags;
    return e;
}

// Everything a capture can record, with the awkward cases a journal must keep byte for byte.
std::vector<Event> sampleEvents()
{
    std::vector<Event> out;
    quint64 seq = 0;
    auto add = [&](EventKind kind, Direction dir, QByteArray payload, quint8 flags = 0) -> Event& {
        out.push_back(frameEvent(++seq, kind, dir, std::move(payload), flags));
        return out.back();
    };
    HttpHead request;
    request.method = "GET";
    request.target = "/chat";
    request.headers = { { "Host", "127.0.0.1:8765" }, { "upgrade", "websocket" }, { "CONNECTION", "Upgrade" },
        { "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==" }, { "x-Mixed-Case", "v" }, { "Host", "again" } };
    add(EventKind::HandshakeRequest, Direction::None, request.toBytes()).note = "Qt added: Host, Sec-WebSocket-Key";
    HttpHead response;
    response.status = 101;
    response.reason = "Switching Protocols";
    response.headers = { { "Upgrade", "websocket" }, { "Connection", "Upgrade" },
        { "Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" } };
    add(EventKind::HandshakeResponse, Direction::None, response.toBytes());
    add(EventKind::Open, Direction::None, "connected");
    const quint8 fin = FlagFin;
    add(EventKind::Text, Direction::C2S, "hello", fin | FlagMasked);
    add(EventKind::Text, Direction::S2C, {}, fin);
    add(EventKind::Text, Direction::S2C, "caf\xc3\xa9 \xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac", fin);
    QByteArray controls;
    for (int c = 0; c < 0x20; ++c)
        controls += char(c);
    add(EventKind::Text, Direction::C2S, controls + "\x7f\"\\", fin);
    add(EventKind::Text, Direction::C2S, "bad \xff\xfe utf-8 \xc3", fin);
    QByteArray binary(256, Qt::Uninitialized);
    for (int i = 0; i < 256; ++i)
        binary[i] = char(i);
    add(EventKind::Binary, Direction::S2C, binary, fin | FlagRsv1 | FlagCompressed);
    add(EventKind::Binary, Direction::S2C, {}, fin);
    QByteArray big(1024 * 1024, Qt::Uninitialized);
    QRandomGenerator rng(7);
    for (auto& c : big)
        c = char(rng.bounded(256));
    add(EventKind::Binary, Direction::C2S, big, fin | FlagMasked);
    add(EventKind::Text, Direction::S2C, QByteArray(1024 * 1024, 'x'), FlagFragment | fin);
    add(EventKind::Ping, Direction::C2S, "p", fin | FlagMasked);
    add(EventKind::Pong, Direction::S2C, QByteArray("\x00\x01", 2), fin);
    Event& close = add(EventKind::Close, Direction::C2S, "bye", fin | FlagMasked);
    close.closeCode = 1000;
    close.size = 5;
    Event& bare = add(EventKind::Close, Direction::S2C, {}, fin);
    bare.closeCode = 0;
    add(EventKind::Closed, Direction::None, "closed cleanly");
    add(EventKind::Error, Direction::None, "peer vanished");
    add(EventKind::Note, Direction::None, "a note").note = "with a remark";
    add(EventKind::Text, Direction::C2S, "remarked", fin).note = "remark \xe2\x9c\x93";
    return out;
}

QString eventDiff(const Event& a, const Event& b)
{
    if (a.seq != b.seq || a.timestampUs != b.timestampUs || a.monotonicNs != b.monotonicNs
        || a.connection != b.connection || a.direction != b.direction || a.kind != b.kind || a.flags != b.flags
        || a.closeCode != b.closeCode || a.size != b.size) {
        return QStringLiteral("seq %1: header fields differ").arg(a.seq);
    }
    if (a.payload != b.payload)
        return QStringLiteral("seq %1: payload differs").arg(a.seq);
    if (a.note != b.note)
        return QStringLiteral("seq %1: note differs").arg(a.seq);
    return {};
}

} // namespace

class TestSessionWriter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void headerOnNewFile();
    void roundTripThroughReader();
    void connectionsBeforeEventsAndUpdates();
    void appendsWithoutSecondHeader();
    void appendsAfterACrash();
    void refusesForeignFile();
    void refusesNewerVersion();
    void flushesWhileRunning();
    void flushNowWithoutThread();
    void destructorFlushes();
    void largeBurst();
    void concurrentFlushNow();
    void openFailures_data();
    void openFailures();
    void fullDisk();
    void recordsToAPipe();
    void writeErrorReportedOnce();
    void stopFromErrorHandler();

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString path(const QString& name = QStringLiteral("session.jsonl")) const { return m_dir->filePath(name); }
};

void TestSessionWriter::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
}

void TestSessionWriter::headerOnNewFile()
{
    const QString file = m_dir->filePath(QStringLiteral("new/nested/folders/s.jsonl"));
    SessionWriter writer(file, std::make_shared<CaptureQueue>());
    QString error;
    QVERIFY2(writer.open(&error), qPrintable(error));
    writer.stop();

    const QList<QByteArray> written = lines(file);
    QCOMPARE(written.size(), 1);
    QVERIFY(readAll(file).endsWith('\n'));
    const QJsonObject header = QJsonDocument::fromJson(written.front()).object();
    QCOMPARE(header.value(QLatin1StringView("type")).toString(), QStringLiteral("session"));
    QCOMPARE(header.value(QLatin1StringView("format")).toString(), QStringLiteral("wsinspector-session"));
    QCOMPARE(header.value(QLatin1StringView("version")).toInt(), 1);
    QCOMPARE(header.value(QLatin1StringView("app")).toString(), QStringLiteral("wsinspector " WSI_VERSION));
    const QString created = header.value(QLatin1StringView("created")).toString();
    QVERIFY2(created.endsWith(QLatin1Char('Z')) && created.size() == 24, qPrintable(created));
    const QDateTime when = QDateTime::fromString(created, Qt::ISODateWithMs);
    QVERIFY(when.isValid());
    QVERIFY(qAbs(when.msecsTo(QDateTime::currentDateTimeUtc())) < 60 * 1000);
}

void TestSessionWriter::roundTripThroughReader()
{
    auto queue = std::make_shared<CaptureQueue>();
    const std::vector<Event> events = sampleEvents();
    queue->push(connection(1));
    for (const Event& e : events)
        queue->push(e);
    {
        SessionWriter writer(path(), queue);
        QString error;
        QVERIFY2(writer.open(&error), qPrintable(error));
        writer.start();
        writer.stop();
    }
    QCOMPARE(queue->pendingEvents(), size_t(0));

    SessionData data;
    QString error;
    QVERIFY2(SessionReader::readFile(path(), data, &error), qPrintable(error));
    QVERIFY2(data.warnings.isEmpty(), qPrintable(data.warnings.join(QLatin1Char('\n'))));
    QCOMPARE(data.version, 1);
    QCOMPARE(data.app, QStringLiteral("wsinspector " WSI_VERSION));
    QCOMPARE(data.connections.size(), 1);
    QVERIFY(data.connections.front() == connection(1));
    QCOMPARE(data.events.size(), events.size());
    for (size_t i = 0; i < events.size(); ++i) {
        const QString diff = eventDiff(data.events[i], events[i]);
        QVERIFY2(diff.isEmpty(), qPrintable(diff));
    }
    // Handshake heads are kept readable in the file, in their order and spelling.
    const QByteArray text = readAll(path());
    QVERIFY(text.contains(R"("headers":[["Host","127.0.0.1:8765"],["upgrade","websocket"],["CONNECTION","Upgrade"])"));
}

void TestSessionWriter::connectionsBeforeEventsAndUpdates()
{
    auto queue = std::make_shared<CaptureQueue>();
    SessionWriter writer(path(), queue);
    QVERIFY(writer.open());
    queue->push(frameEvent(1, EventKind::Open, Direction::None, "x"));
    queue->push(connection(1));
    writer.flushNow();
    queue->push(connection(2));
    queue->push(connection(1, QStringLiteral("chat.v2")));
    writer.stop();

    const QList<QByteArray> written = lines(path());
    QCOMPARE(written.size(), 5);
    QVERIFY(written[1].startsWith(R"({"type":"connection","id":1,)")); // connections of a batch come first
    QVERIFY(written[2].startsWith(R"({"type":"event",)"));

    SessionData data;
    QVERIFY(SessionReader::readFile(path(), data, nullptr));
    QCOMPARE(data.connections.size(), 2);
    QCOMPARE(data.connections[0].id, 1u);
    QCOMPARE(data.connections[0].subprotocol, QStringLiteral("chat.v2"));
    QCOMPARE(data.connections[1].id, 2u);
}

void TestSessionWriter::appendsWithoutSecondHeader()
{
    auto queue = std::make_shared<CaptureQueue>();
    {
        SessionWriter writer(path(), queue);
        QVERIFY(writer.open());
        queue->push(connection(1));
        queue->push(frameEvent(1, EventKind::Text, Direction::C2S, "first"));
    }
    const QByteArray firstHeader = lines(path()).front();
    {
        SessionWriter writer(path(), queue);
        QString error;
        QVERIFY2(writer.open(&error), qPrintable(error));
        writer.start();
        queue->push(frameEvent(2, EventKind::Text, Direction::S2C, "second"));
    }
    const QList<QByteArray> written = lines(path());
    QCOMPARE(written.size(), 4);
    QCOMPARE(written.front(), firstHeader);
    QCOMPARE(readAll(path()).count("\"type\":\"session\""), 1);

    SessionData data;
    QVERIFY(SessionReader::readFile(path(), data, nullptr));
    QCOMPARE(data.events.size(), size_t(2));
    QCOMPARE(data.events[1].payload, QByteArray("second"));
    QVERIFY(data.warnings.isEmpty());
}

// A crash can leave half a line; appending must not glue the next line onto it.
void TestSessionWriter::appendsAfterACrash()
{
    auto queue = std::make_shared<CaptureQueue>();
    {
        SessionWriter writer(path(), queue);
        QVERIFY(writer.open());
        queue->push(frameEvent(1, EventKind::Text, Direction::C2S, "kept"));
        queue->push(frameEvent(2, EventKind::Text, Direction::C2S, "cut short"));
    }
    QByteArray content = readAll(path());
    content.chop(12);
    {
        QFile f(path());
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(content);
    }
    {
        SessionWriter writer(path(), queue);
        QVERIFY(writer.open());
        queue->push(frameEvent(3, EventKind::Text, Direction::C2S, "after restart"));
    }
    SessionData data;
    QVERIFY(SessionReader::readFile(path(), data, nullptr));
    QCOMPARE(data.events.size(), size_t(2));
    QCOMPARE(data.events[0].payload, QByteArray("kept"));
    QCOMPARE(data.events[1].payload, QByteArray("after restart"));
    QCOMPARE(data.warnings.size(), 1);
    QVERIFY2(data.warnings.front().startsWith(QLatin1StringView("line 3: ")), qPrintable(data.warnings.front()));
}

void TestSessionWriter::refusesForeignFile()
{
    const QByteArray precious = "name,value\nimportant,1\n";
    {
        QFile f(path(QStringLiteral("notes.csv")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(precious);
    }
    SessionWriter writer(path(QStringLiteral("notes.csv")), std::make_shared<CaptureQueue>());
    QString error;
    QVERIFY(!writer.open(&error));
    QVERIFY2(error.contains(QLatin1StringView("not a WebSocket Inspector session")), qPrintable(error));
    writer.start(); // must be harmless
    writer.stop();
    QCOMPARE(readAll(path(QStringLiteral("notes.csv"))), precious);
}

void TestSessionWriter::refusesNewerVersion()
{
    {
        QFile f(path());
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"type":"session","format":"wsinspector-session","version":2})"
                "\n");
    }
    SessionWriter writer(path(), std::make_shared<CaptureQueue>());
    QString error;
    QVERIFY(!writer.open(&error));
    QVERIFY2(error.contains(QLatin1StringView("version 2")), qPrintable(error));
}

void TestSessionWriter::flushesWhileRunning()
{
    auto queue = std::make_shared<CaptureQueue>();
    SessionWriter writer(path(), queue);
    QVERIFY(writer.open());
    writer.start();
    queue->push(connection(1));
    queue->push(frameEvent(1, EventKind::Text, Direction::C2S, "live"));
    // The thread writes on its own within its period; no exact timing is asserted here.
    QTRY_VERIFY_WITH_TIMEOUT(readAll(path()).contains("\"data\":\"live\""), 5000);
    queue->push(frameEvent(2, EventKind::Text, Direction::C2S, "later"));
    QTRY_VERIFY_WITH_TIMEOUT(readAll(path()).contains("\"data\":\"later\""), 5000);
    QVERIFY(readAll(path()).endsWith('\n'));
    writer.stop();
    writer.stop(); // twice is fine
}

void TestSessionWriter::flushNowWithoutThread()
{
    auto queue = std::make_shared<CaptureQueue>();
    SessionWriter writer(path(), queue);
    QVERIFY(writer.open());
    queue->push(frameEvent(1, EventKind::Text, Direction::C2S, "now"));
    writer.flushNow();
    QVERIFY(readAll(path()).contains("\"data\":\"now\""));
    QCOMPARE(queue->pendingEvents(), size_t(0));
}

void TestSessionWriter::destructorFlushes()
{
    auto queue = std::make_shared<CaptureQueue>();
    {
        SessionWriter writer(path(), queue);
        QVERIFY(writer.open());
        writer.start();
        queue->push(frameEvent(1, EventKind::Text, Direction::C2S, "last words"));
    }
    QVERIFY(readAll(path()).contains("\"data\":\"last words\""));
}

// More than one write chunk in one batch.
void TestSessionWriter::largeBurst()
{
    auto queue = std::make_shared<CaptureQueue>();
    constexpr int count = 50000;
    for (int i = 1; i <= count; ++i)
        queue->push(frameEvent(quint64(i), EventKind::Text, Direction::S2C, QByteArray::number(i)));
    SessionWriter writer(path(), queue);
    QVERIFY(writer.open());
    writer.start();
    writer.stop();
    SessionData data;
    QVERIFY(SessionReader::readFile(path(), data, nullptr));
    QCOMPARE(data.events.size(), size_t(count));
    QCOMPARE(data.events.back().payload, QByteArray::number(count));
}

// flushNow() from another thread while the writer thread drains: nothing lost, doubled or reordered.
void TestSessionWriter::concurrentFlushNow()
{
    auto queue = std::make_shared<CaptureQueue>();
    SessionWriter writer(path(), queue);
    QVERIFY(writer.open());
    writer.start();
    constexpr int count = 20000;
    std::atomic<bool> done { false };
    std::thread producer([&] {
        for (int i = 1; i <= count; ++i)
            queue->push(frameEvent(quint64(i), EventKind::Text, Direction::C2S, QByteArray::number(i)));
        done = true;
    });
    while (!done)
        writer.flushNow();
    producer.join();
    writer.stop();

    SessionData data;
    QVERIFY(SessionReader::readFile(path(), data, nullptr));
    QVERIFY(data.warnings.isEmpty());
    QCOMPARE(data.events.size(), size_t(count));
    for (int i = 0; i < count; ++i)
        QCOMPARE(data.events[size_t(i)].seq, quint64(i + 1));
}

void TestSessionWriter::openFailures_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("message");
    QTest::newRow("a folder") << QString() << QStringLiteral("it is a folder");
    QTest::newRow("under /proc") << QStringLiteral("/proc/wsinspector-test/s.jsonl")
                                 << QStringLiteral("cannot create the folder /proc/wsinspector-test");
    QTest::newRow("no name") << QStringLiteral("") << QStringLiteral("no session file name");
}

void TestSessionWriter::openFailures()
{
    QFETCH(QString, file);
    QFETCH(QString, message);
    if (file.isNull())
        file = m_dir->path();
    SessionWriter writer(file, std::make_shared<CaptureQueue>());
    QString error;
    QVERIFY(!writer.open(&error));
    QVERIFY2(error.contains(message), qPrintable(error));
}

void TestSessionWriter::fullDisk()
{
    if (!QFile::exists(QStringLiteral("/dev/full")))
        QSKIP("no /dev/full here");
    SessionWriter writer(QStringLiteral("/dev/full"), std::make_shared<CaptureQueue>());
    QString error;
    QVERIFY(!writer.open(&error));
    QVERIFY2(error.startsWith(QLatin1StringView("cannot write the session file /dev/full: ")), qPrintable(error));
}

// --record /dev/stdout | jq: pipes cannot be appended to, but they can be written.
void TestSessionWriter::recordsToAPipe()
{
#ifndef Q_OS_LINUX
    QSKIP("needs mkfifo");
#else
    const QString fifo = path(QStringLiteral("pipe"));
    QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
    QByteArray received;
    std::thread reader([&] {
        QFile in(fifo);
        if (in.open(QIODevice::ReadOnly))
            received = in.readAll();
    });
    auto queue = std::make_shared<CaptureQueue>();
    {
        SessionWriter writer(fifo, queue);
        QString error;
        const bool opened = writer.open(&error);
        queue->push(frameEvent(1, EventKind::Text, Direction::C2S, "through the pipe"));
        writer.stop();
        if (!opened) {
            QFile(fifo).open(QIODevice::WriteOnly); // lets the reader thread finish
            reader.join();
            QFAIL(qPrintable(error));
        }
    }
    reader.join();
    const QList<QByteArray> got = received.split('\n');
    QCOMPARE(got.size(), 3);
    QVERIFY(got[0].startsWith(R"({"type":"session",)"));
    QVERIFY(got[1].contains(R"("data":"through the pipe")"));
#endif
}

#ifdef Q_OS_LINUX
// Makes writes beyond `bytes` fail with EFBIG (instead of killing the process) while it lives.
class FileSizeLimit
{
public:
    explicit FileSizeLimit(qint64 bytes)
    {
        m_ok = getrlimit(RLIMIT_FSIZE, &m_old) == 0;
        m_previousHandler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit limited = m_old;
        limited.rlim_cur = rlim_t(bytes);
        m_ok = m_ok && setrlimit(RLIMIT_FSIZE, &limited) == 0;
    }
    ~FileSizeLimit()
    {
        setrlimit(RLIMIT_FSIZE, &m_old);
        std::signal(SIGXFSZ, m_previousHandler);
    }
    Q_DISABLE_COPY_MOVE(FileSizeLimit)
    bool isActive() const { return m_ok; }

private:
    rlimit m_old {};
    void (*m_previousHandler)(int) = nullptr;
    bool m_ok = false;
};
#endif

// A write that fails half way through a capture (here: the file size limit) is reported once, and the queue
// keeps being emptied.
void TestSessionWriter::writeErrorReportedOnce()
{
#ifndef Q_OS_LINUX
    QSKIP("needs setrlimit(RLIMIT_FSIZE)");
#else
    auto queue = std::make_shared<CaptureQueue>();
    SessionWriter writer(path(), queue);
    QVERIFY(writer.open());
    std::atomic<int> calls { 0 };
    QString message;
    std::mutex messageMutex;
    writer.setErrorHandler([&](QString m) {
        std::lock_guard lock(messageMutex);
        message = std::move(m);
        ++calls;
    });
    const qint64 limit = QFileInfo(path()).size() + 4096;
    FileSizeLimit sizeLimit(limit);
    QVERIFY(sizeLimit.isActive());

    writer.start();
    for (int i = 1; i <= 1000; ++i)
        queue->push(frameEvent(quint64(i), EventKind::Text, Direction::C2S, QByteArray(100, 'x')));
    QTRY_COMPARE_WITH_TIMEOUT(calls.load(), 1, 5000);
    QVERIFY(writer.hasFailed());
    {
        std::lock_guard lock(messageMutex);
        QVERIFY2(message.startsWith(QLatin1StringView("cannot write the session file ")), qPrintable(message));
        QVERIFY2(message.contains(QLatin1StringView("File too large")), qPrintable(message));
    }
    // Still draining, no second report.
    for (int i = 1001; i <= 2000; ++i)
        queue->push(frameEvent(quint64(i), EventKind::Text, Direction::C2S, QByteArray(100, 'x')));
    QTRY_COMPARE_WITH_TIMEOUT(queue->pendingEvents(), size_t(0), 5000);
    writer.flushNow();
    writer.stop();
    QCOMPARE(calls.load(), 1);
    QVERIFY(QFileInfo(path()).size() <= limit);
#endif
}

// The natural reaction to the error, stopping the writer, happens on the writer thread itself.
void TestSessionWriter::stopFromErrorHandler()
{
#ifndef Q_OS_LINUX
    QSKIP("needs setrlimit(RLIMIT_FSIZE)");
#else
    auto queue = std::make_shared<CaptureQueue>();
    auto writer = std::make_unique<SessionWriter>(path(), queue);
    QVERIFY(writer->open());
    std::atomic<bool> handled { false };
    writer->setErrorHandler([&](const QString&) {
        writer->stop();
        handled = true;
    });
    FileSizeLimit sizeLimit(QFileInfo(path()).size() + 100);
    QVERIFY(sizeLimit.isActive());
    writer->start();
    queue->push(frameEvent(1, EventKind::Text, Direction::C2S, QByteArray(1000, 'x')));
    QTRY_VERIFY_WITH_TIMEOUT(handled.load(), 5000);
    writer.reset(); // joins the thread that asked to stop
#endif
}

QTEST_GUILESS_MAIN(TestSessionWriter)
#include "tst_sessionwriter.moc"
