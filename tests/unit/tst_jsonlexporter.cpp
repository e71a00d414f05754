#include "formats/jsonlexporter.h"
#include "formats/sessionreader.h"

#include <QBuffer>
#include <QTest>

using namespace wsi;

namespace {

Event textEvent(quint64 seq, QByteArray payload)
{
    Event e;
    e.seq = seq;
    e.connection = 1;
    e.timestampUs = 1763805600000000 + qint64(seq);
    e.monotonicNs = e.timestampUs * 1000;
    e.direction = Direction::C2S;
    e.kind = EventKind::Text;
    e.flags = FlagFin | FlagMasked;
    e.size = payload.size();
    e.payload = std::move(payload);
    return e;
}

Connection connection()
{
    return Connection { 1, ConnectionRole::Client, QStringLiteral("ws://127.0.0.1:1/a"), QStringLiteral("127.0.0.1:1"),
        QStringLiteral("chat") };
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

} // namespace

class TestJsonlExporter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void headerKeepsCreatedAndApp();
    void linesReadBack();
    void streamsWhileFed();
};

// A session saved again keeps the date it began; the creator is named.
void TestJsonlExporter::headerKeepsCreatedAndApp()
{
    QBuffer out;
    out.open(QIODevice::WriteOnly);
    ExportOptions options;
    options.app = QStringLiteral("wsinspector 9.9");
    options.created = QDateTime(QDate(2026, 11, 22), QTime(10, 0), Qt::UTC);
    JsonlExporter exporter(&out, options);
    QString error;
    QVERIFY2(exporter.finish(&error), qPrintable(error));
    SessionData data;
    QVERIFY(readBack(out.data(), data));
    QCOMPARE(data.created, QStringLiteral("2026-11-22T10:00:00.000Z"));
    QCOMPARE(data.app, options.app);
    QCOMPARE(out.data().count('\n'), 1);
}

void TestJsonlExporter::linesReadBack()
{
    QBuffer out;
    out.open(QIODevice::WriteOnly);
    ExportOptions options;
    options.includeSecrets = true;
    JsonlExporter exporter(&out, options);
    exporter.addConnection(connection());
    Event noted = textEvent(2, "caf\xc3\xa9");
    noted.note = "a remark";
    const std::vector<Event> events { textEvent(1, "hello"), noted, textEvent(3, QByteArray("\xc3\x28", 2)) };
    for (const Event& e : events)
        exporter.addEvent(e);
    QString error;
    QVERIFY2(exporter.finish(&error), qPrintable(error));
    SessionData data;
    QVERIFY(readBack(out.data(), data));
    QCOMPARE(data.warnings, QStringList());
    QCOMPARE(data.connections, QList<Connection> { connection() });
    QCOMPARE(data.events.size(), events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        QCOMPARE(data.events[i].seq, events[i].seq);
        QCOMPARE(data.events[i].timestampUs, events[i].timestampUs);
        QCOMPARE(data.events[i].flags, events[i].flags);
        QCOMPARE(data.events[i].payload, events[i].payload);
        QCOMPARE(data.events[i].note, events[i].note);
    }
}

// Lines go to the device as they come, a MiB at a time, not all at the end: memory stays flat for any size.
void TestJsonlExporter::streamsWhileFed()
{
    QBuffer out;
    out.open(QIODevice::WriteOnly);
    JsonlExporter exporter(&out, {});
    exporter.addConnection(connection());
    const QByteArray payload(1000, 'x');
    for (quint64 seq = 1; seq <= 3000; ++seq)
        exporter.addEvent(textEvent(seq, payload));
    const qint64 beforeFinish = out.size();
    QVERIFY2(beforeFinish >= 2 * 1024 * 1024, QByteArray::number(beforeFinish).constData());
    QString error;
    QVERIFY2(exporter.finish(&error), qPrintable(error));
    QVERIFY(out.size() > beforeFinish);
    QVERIFY(out.size() - beforeFinish <= 1024 * 1024 + 2048);
    QCOMPARE(out.data().count('\n'), 3002);
}

QTEST_GUILESS_MAIN(TestJsonlExporter)
#include "tst_jsonlexporter.moc"
