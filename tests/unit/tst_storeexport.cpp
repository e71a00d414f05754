#include "core/eventstore.h"
#include "formats/sessionreader.h"
#include "formats/storeexport.h"

#include <QBuffer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace wsi;

namespace {

Event testEvent(quint64 seq, quint32 connection, EventKind kind, QByteArray payload)
{
    Event e;
    e.seq = seq;
    e.connection = connection;
    e.timestampUs = 1763805600000000 + qint64(seq) * 1000;
    e.monotonicNs = e.timestampUs * 1000 + 17; // not derivable from ts: must survive as "mono"
    e.direction = kind == EventKind::Text || kind == EventKind::Binary ? Direction::C2S : Direction::None;
    e.kind = kind;
    e.flags = e.direction == Direction::None ? 0 : quint8(FlagFin | FlagMasked);
    e.size = payload.size();
    e.payload = std::move(payload);
    return e;
}

// Three connections, the third without events; a handshake carrying a secret, text, binary that is not UTF-8.
void fill(EventStore& store)
{
    store.applyConnection(Connection {
        2, ConnectionRole::Server, QStringLiteral("ws://127.0.0.1:1/b"), QStringLiteral("127.0.0.1:2"), QString() });
    store.applyConnection(Connection { 1, ConnectionRole::Client, QStringLiteral("ws://127.0.0.1:1/a?token=abc"),
        QStringLiteral("127.0.0.1:1"), QStringLiteral("chat") });
    store.applyConnection(
        Connection { 3, ConnectionRole::Client, QStringLiteral("ws://127.0.0.1:1/c"), QString(), QString() });
    std::vector<Event> events;
    events.push_back(testEvent(1, 1, EventKind::HandshakeRequest,
        "GET /a?token=abc HTTP/1.1\r\nHost: 127.0.0.1:1\r\nAuthorization: Bearer s3cret\r\n\r\n"));
    events.push_back(testEvent(2, 1, EventKind::Text, "hello"));
    events.push_back(testEvent(3, 2, EventKind::Binary, QByteArray("\x00\xff\x80", 3)));
    Event noted = testEvent(4, 2, EventKind::Text, "caf\xc3\xa9");
    noted.note = "a remark";
    events.push_back(noted);
    events.push_back(testEvent(5, 1, EventKind::Text, QByteArray("\xc3\x28 not utf-8", 12)));
    store.append(events);
}

bool readBack(const QByteArray& bytes, SessionData& data)
{
    QBuffer buffer;
    buffer.setData(bytes);
    buffer.open(QIODevice::ReadOnly);
    QString error;
    const bool ok = SessionReader::read(buffer, data, &error);
    if (!ok)
        qWarning() << error;
    return ok;
}

QByteArray write(const StoreExport& job, const ExportOptions& options)
{
    QBuffer out;
    out.open(QIODevice::WriteOnly);
    QString error;
    if (!job.write(&out, SessionFormat::Jsonl, options, &error))
        qWarning() << error;
    return out.data();
}

} // namespace

class TstStoreExport : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void allRowsRoundTrip();
    void someRows();
    void secretsRedactedUnlessIncluded();
    void snapshotIgnoresLaterRows();
    void progressAndCancel();
    void formatThatCannotBeWritten();
};

void TstStoreExport::allRowsRoundTrip()
{
    EventStore store;
    fill(store);
    ExportOptions options;
    options.includeSecrets = true;
    options.app = QStringLiteral("wsinspector test");
    const StoreExport job(store.snapshot(), store.connections());
    QCOMPARE(job.eventCount(), 5);
    SessionData data;
    QVERIFY(readBack(write(job, options), data));
    QCOMPARE(data.app, options.app);
    QVERIFY(data.warnings.isEmpty());
    // Every connection, in id order, the one without events too.
    QCOMPARE(data.connections.size(), 3);
    QCOMPARE(data.connections.at(0), *store.connection(1));
    QCOMPARE(data.connections.at(1), *store.connection(2));
    QCOMPARE(data.connections.at(2), *store.connection(3));
    QCOMPARE(qsizetype(data.events.size()), store.count());
    for (qsizetype row = 0; row < store.count(); ++row) {
        const Event expected = store.event(row);
        const Event& got = data.events[size_t(row)];
        QCOMPARE(got.seq, expected.seq);
        QCOMPARE(got.connection, expected.connection);
        QCOMPARE(got.timestampUs, expected.timestampUs);
        QCOMPARE(got.monotonicNs, expected.monotonicNs);
        QCOMPARE(got.direction, expected.direction);
        QCOMPARE(got.kind, expected.kind);
        QCOMPARE(got.flags, expected.flags);
        QCOMPARE(got.size, expected.size);
        QCOMPARE(got.payload, expected.payload);
        QCOMPARE(got.note, expected.note);
    }
}

void TstStoreExport::someRows()
{
    EventStore store;
    fill(store);
    StoreExport job(store.snapshot(), store.connections());
    job.setRows({ 2, 4, 99, -1 }); // rows past the end are ignored
    QCOMPARE(job.eventCount(), 2);
    SessionData data;
    QVERIFY(readBack(write(job, ExportOptions {}), data));
    QCOMPARE(data.events.size(), size_t(2));
    QCOMPARE(data.events[0].seq, quint64(3));
    QCOMPARE(data.events[1].seq, quint64(5));
    // Only the connections these rows belong to.
    QCOMPARE(data.connections.size(), 2);
    QCOMPARE(data.connections.at(0).id, quint32(2));
    QCOMPARE(data.connections.at(1).id, quint32(1));
}

void TstStoreExport::secretsRedactedUnlessIncluded()
{
    EventStore store;
    fill(store);
    const StoreExport job(store.snapshot(), store.connections());
    const QByteArray redacted = write(job, ExportOptions {});
    QVERIFY(!redacted.contains("s3cret"));
    QVERIFY(!redacted.contains("token=abc"));
    QVERIFY(redacted.contains("[redacted]"));
    ExportOptions withSecrets;
    withSecrets.includeSecrets = true;
    const QByteArray full = write(job, withSecrets);
    QVERIFY(full.contains("Bearer s3cret"));
    QVERIFY(full.contains("token=abc"));
}

void TstStoreExport::snapshotIgnoresLaterRows()
{
    EventStore store;
    fill(store);
    const StoreExport job(store.snapshot(), store.connections());
    store.append({ testEvent(6, 1, EventKind::Text, "later") });
    SessionData data;
    QVERIFY(readBack(write(job, ExportOptions {}), data));
    QCOMPARE(data.events.size(), size_t(5));
}

void TstStoreExport::progressAndCancel()
{
    EventStore store;
    std::vector<Event> events;
    for (quint64 seq = 1; seq <= 10000; ++seq)
        events.push_back(testEvent(seq, 1, EventKind::Text, QByteArray::number(seq)));
    store.append(events);
    const StoreExport job(store.snapshot(), store.connections());
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("out.jsonl"));
    {
        QFile old(path);
        QVERIFY(old.open(QIODevice::WriteOnly));
        old.write("old contents\n");
    }
    // Cancelled at the first report: the file that was there stays as it was.
    qint64 reports = 0;
    QString error;
    QVERIFY(!job.write(path, SessionFormat::Jsonl, ExportOptions {}, &error, [&](qint64 done, qint64 total) {
        ++reports;
        return !(done > 0 && total == 10000);
    }));
    QCOMPARE(reports, 1);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), QByteArray("old contents\n"));
    file.close();

    qint64 last = -1;
    QVERIFY(job.write(path, SessionFormat::Jsonl, ExportOptions {}, &error, [&](qint64 done, qint64 total) {
        last = done;
        return total == 10000;
    }));
    QCOMPARE(last, 10000);
    SessionData data;
    QVERIFY(SessionReader::readFile(path, data, &error));
    QCOMPARE(data.events.size(), size_t(10000));
}

void TstStoreExport::formatThatCannotBeWritten()
{
    // Until every format has its exporter, an unknown one fails with a reason and writes no file.
    EventStore store;
    fill(store);
    const StoreExport job(store.snapshot(), store.connections());
    QTemporaryDir dir;
    for (SessionFormat format : { SessionFormat::Har, SessionFormat::Csv, SessionFormat::Text, SessionFormat::Pcap }) {
        QBuffer probe;
        probe.open(QIODevice::WriteOnly);
        if (SessionExporter::create(format, &probe, ExportOptions {}))
            continue;
        const QString path = dir.filePath(QStringLiteral("out.") + sessionFormatExtension(format));
        QString error;
        QVERIFY(!job.write(path, format, ExportOptions {}, &error));
        QVERIFY(error.contains(sessionFormatName(format)));
        QVERIFY(!QFile::exists(path));
    }
}

QTEST_GUILESS_MAIN(TstStoreExport)
#include "tst_storeexport.moc"
