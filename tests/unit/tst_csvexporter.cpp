#include "formats/csvexporter.h"

#include <QBuffer>
#include <QTest>

using namespace wsi;

namespace {

constexpr qint64 T0 = 1796040000123456; // 2026-11-30T12:00:00.123456Z

Event ev(quint64 seq, Direction d, EventKind kind, QByteArray payload = {}, quint8 flags = 0, quint16 code = 0)
{
    Event e;
    e.seq = seq;
    e.connection = 1;
    e.timestampUs = T0 + qint64(seq);
    e.monotonicNs = e.timestampUs * 1000;
    e.direction = d;
    e.kind = kind;
    e.flags = flags;
    e.closeCode = code;
    e.size = kind == EventKind::Close && code ? payload.size() + 2 : payload.size();
    e.payload = std::move(payload);
    return e;
}

QByteArray exportCsv(const QList<Connection>& connections, const std::vector<Event>& events, bool secrets = false)
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    ExportOptions options;
    options.includeSecrets = secrets;
    const std::unique_ptr<SessionExporter> exporter = SessionExporter::create(SessionFormat::Csv, &buffer, options);
    if (!exporter)
        return {};
    for (const Connection& c : connections)
        exporter->addConnection(c);
    for (const Event& e : events)
        exporter->addEvent(e);
    exporter->finish(nullptr);
    return buffer.data();
}

Connection server(QString url = QStringLiteral("ws://127.0.0.1:8765/chat"))
{
    Connection c;
    c.id = 1;
    c.role = ConnectionRole::Server;
    c.url = std::move(url);
    c.peer = QStringLiteral("127.0.0.1:53122");
    return c;
}

using Row = QList<QByteArray>;

// A strict RFC 4180 reader: records end in CRLF (also the last), a bare CR or LF outside quotes is an
// error, a quote inside an unquoted field too, and quoted fields double their quotes. Empty string when the
// whole input was read, else what is wrong.
QString parseCsv(const QByteArray& in, QList<Row>& rows)
{
    Row row;
    QByteArray field;
    qsizetype i = 0;
    bool fieldStarted = false;
    while (i < in.size()) {
        const char c = in[i];
        if (c == '"' && !fieldStarted) {
            ++i;
            while (true) {
                if (i >= in.size())
                    return QStringLiteral("unterminated quoted field");
                if (in[i] == '"') {
                    if (i + 1 < in.size() && in[i + 1] == '"') {
                        field += '"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                field += in[i++];
            }
            if (i < in.size() && in[i] != ',' && in[i] != '\r')
                return QStringLiteral("text after a closing quote at %1").arg(i);
            fieldStarted = true;
            continue;
        }
        if (c == ',') {
            row.append(field);
            field.clear();
            fieldStarted = false;
            ++i;
            continue;
        }
        if (c == '\r') {
            if (i + 1 >= in.size() || in[i + 1] != '\n')
                return QStringLiteral("bare CR at %1").arg(i);
            row.append(field);
            rows.append(row);
            row.clear();
            field.clear();
            fieldStarted = false;
            i += 2;
            continue;
        }
        if (c == '\n')
            return QStringLiteral("bare LF at %1").arg(i);
        if (c == '"')
            return QStringLiteral("quote inside an unquoted field at %1").arg(i);
        field += c;
        fieldStarted = true;
        ++i;
    }
    if (fieldStarted || !row.isEmpty())
        return QStringLiteral("the last record does not end in CRLF");
    return {};
}

const Row header = { "seq", "time", "timestamp_us", "connection", "url", "direction", "kind", "size", "close_code",
    "flags", "encoding", "data", "note" };

enum Column {
    Seq,
    Time,
    TimestampUs,
    ConnectionId,
    Url,
    Dir,
    Kind,
    Size,
    CloseCode,
    Flags,
    Encoding,
    Data,
    Note
};

} // namespace

class TestCsvExporter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void headerOnly();
    void fieldQuoting_data();
    void fieldQuoting();
    void roundTrip_data();
    void roundTrip();
    void commonColumns();
    void flags_data();
    void flags();
    void compressedMessage();
    void timesBefore1970();
    void urlFollowsTheLatestDescription();
    void secretsAreRedacted();
    void largeExportsAreComplete();
};

void TestCsvExporter::headerOnly()
{
    QCOMPARE(exportCsv({}, {}),
        QByteArray("seq,time,timestamp_us,connection,url,direction,kind,size,close_code,flags,encoding,data,note\r\n"));
}

void TestCsvExporter::fieldQuoting_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<QByteArray>("field");
    QTest::newRow("plain") << QByteArray("hello world") << QByteArray("hello world");
    QTest::newRow("empty") << QByteArray() << QByteArray();
    QTest::newRow("comma") << QByteArray("a,b") << QByteArray("\"a,b\"");
    QTest::newRow("quote") << QByteArray("say \"hi\"") << QByteArray("\"say \"\"hi\"\"\"");
    QTest::newRow("only quotes") << QByteArray("\"\"") << QByteArray("\"\"\"\"\"\"");
    QTest::newRow("LF") << QByteArray("a\nb") << QByteArray("\"a\nb\"");
    QTest::newRow("CR") << QByteArray("a\rb") << QByteArray("\"a\rb\"");
    QTest::newRow("CRLF") << QByteArray("a\r\nb") << QByteArray("\"a\r\nb\"");
    // Spaces, tabs and semicolons are data in RFC 4180; no quotes needed.
    QTest::newRow("spaces") << QByteArray("  padded\t;") << QByteArray("  padded\t;");
    // Kept byte for byte: a data export does not guard spreadsheets against formulas.
    QTest::newRow("formula") << QByteArray("=1+1") << QByteArray("=1+1");
    QTest::newRow("formula with comma") << QByteArray("=SUM(1,2)") << QByteArray("\"=SUM(1,2)\"");
    QTest::newRow("UTF-8") << QByteArray("h\xc3\xa9llo \xe2\x82\xac") << QByteArray("h\xc3\xa9llo \xe2\x82\xac");
}

void TestCsvExporter::fieldQuoting()
{
    QFETCH(QByteArray, value);
    QFETCH(QByteArray, field);
    QByteArray out = "x,";
    CsvExporter::appendField(out, value);
    QCOMPARE(out, "x," + field);
    // And a reader gets the value back.
    QList<Row> rows;
    const QString error = parseCsv(out + "\r\n", rows);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(rows, QList<Row>({ Row { "x", value } }));
}

void TestCsvExporter::roundTrip_data()
{
    QTest::addColumn<Event>("event");
    QTest::addColumn<QByteArray>("encoding");
    QTest::addColumn<QByteArray>("data");
    QTest::addColumn<QByteArray>("closeCode");

    const QByteArray head = "GET /chat HTTP/1.1\r\nHost: 127.0.0.1:8765\r\nUpgrade: websocket\r\n\r\n";
    QTest::newRow("text") << ev(1, Direction::C2S, EventKind::Text, "hello") << QByteArray("text")
                          << QByteArray("hello") << QByteArray();
    QTest::newRow("non-ASCII text") << ev(1, Direction::S2C, EventKind::Text, "h\xc3\xa9llo \xf0\x9f\x98\x80")
                                    << QByteArray("text") << QByteArray("h\xc3\xa9llo \xf0\x9f\x98\x80")
                                    << QByteArray();
    QTest::newRow("empty text") << ev(1, Direction::C2S, EventKind::Text) << QByteArray("text") << QByteArray()
                                << QByteArray();
    QTest::newRow("text with separators") << ev(1, Direction::C2S, EventKind::Text, "a,\"b\"\r\nc\nd\re")
                                          << QByteArray("text") << QByteArray("a,\"b\"\r\nc\nd\re") << QByteArray();
    QTest::newRow("JSON text") << ev(1, Direction::C2S, EventKind::Text, R"({"a":[1,2],"b":"x"})") << QByteArray("text")
                               << QByteArray(R"({"a":[1,2],"b":"x"})") << QByteArray();
    QTest::newRow("invalid UTF-8 text") << ev(1, Direction::C2S, EventKind::Text, "ab\xff\xfe") << QByteArray("base64")
                                        << QByteArray("YWL//g==") << QByteArray();
    QTest::newRow("binary") << ev(1, Direction::S2C, EventKind::Binary, QByteArray("\x00\x01\x02\xff", 4))
                            << QByteArray("base64") << QByteArray("AAEC/w==") << QByteArray();
    QTest::newRow("binary that looks like text") << ev(1, Direction::S2C, EventKind::Binary, "abc")
                                                 << QByteArray("base64") << QByteArray("YWJj") << QByteArray();
    QTest::newRow("ping") << ev(1, Direction::C2S, EventKind::Ping, "p1") << QByteArray("text") << QByteArray("p1")
                          << QByteArray();
    QTest::newRow("binary pong") << ev(1, Direction::S2C, EventKind::Pong, QByteArray("\x80\x81", 2))
                                 << QByteArray("base64") << QByteArray("gIE=") << QByteArray();
    QTest::newRow("close") << ev(1, Direction::C2S, EventKind::Close, "bye", FlagFin, 1000) << QByteArray("text")
                           << QByteArray("bye") << QByteArray("1000");
    QTest::newRow("close without code") << ev(1, Direction::S2C, EventKind::Close) << QByteArray("text") << QByteArray()
                                        << QByteArray();
    QTest::newRow("handshake") << ev(1, Direction::None, EventKind::HandshakeRequest, head) << QByteArray("text")
                               << head << QByteArray();
    QTest::newRow("open") << ev(1, Direction::None, EventKind::Open, "client connected") << QByteArray("text")
                          << QByteArray("client connected") << QByteArray();
    QTest::newRow("closed with code") << ev(1, Direction::None, EventKind::Closed, "gone", 0, 1006)
                                      << QByteArray("text") << QByteArray("gone") << QByteArray("1006");
    QTest::newRow("error") << ev(1, Direction::None, EventKind::Error, "protocol error: x") << QByteArray("text")
                           << QByteArray("protocol error: x") << QByteArray();
    QTest::newRow("note") << ev(1, Direction::None, EventKind::Note, "@mention -1 +1 =x") << QByteArray("text")
                          << QByteArray("@mention -1 +1 =x") << QByteArray();
}

void TestCsvExporter::roundTrip()
{
    QFETCH(Event, event);
    QFETCH(QByteArray, encoding);
    QFETCH(QByteArray, data);
    QFETCH(QByteArray, closeCode);
    const QByteArray csv = exportCsv({ server() }, { event }, true);
    QList<Row> rows;
    const QString error = parseCsv(csv, rows);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(rows.size(), 2);
    QCOMPARE(rows[0], header);
    const Row& row = rows[1];
    QCOMPARE(row.size(), header.size());
    QCOMPARE(row[Encoding], encoding);
    QCOMPARE(row[Data], data);
    QCOMPARE(row[CloseCode], closeCode);
    QCOMPARE(row[Kind], kindName(event.kind).toLatin1());
    QCOMPARE(row[Dir], directionName(event.direction).toLatin1());
    QCOMPARE(row[Size], QByteArray::number(event.size));
    const QByteArray payload = encoding == "base64" ? QByteArray::fromBase64(row[Data]) : row[Data];
    QCOMPARE(payload, event.payload);
}

void TestCsvExporter::commonColumns()
{
    Event e = ev(42, Direction::C2S, EventKind::Text, "hi", FlagFin | FlagMasked);
    e.note = "sent from the composer, \"template\" 2";
    const QByteArray csv = exportCsv({ server() }, { e });
    QList<Row> rows;
    QVERIFY(parseCsv(csv, rows).isEmpty());
    const Row& row = rows.at(1);
    QCOMPARE(row[Seq], QByteArray("42"));
    QCOMPARE(row[Time], QByteArray("2026-11-30T12:00:00.123498Z"));
    QCOMPARE(row[TimestampUs], QByteArray::number(T0 + 42));
    QCOMPARE(row[ConnectionId], QByteArray("1"));
    QCOMPARE(row[Url], QByteArray("ws://127.0.0.1:8765/chat"));
    QCOMPARE(row[Flags], QByteArray("fin masked"));
    QCOMPARE(row[Note], e.note);
    // Every line ends in CRLF, the header's too.
    QVERIFY(csv.endsWith("\r\n"));
    QCOMPARE(csv.count('\n'), csv.count("\r\n"));
}

void TestCsvExporter::flags_data()
{
    QTest::addColumn<int>("flags");
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("none") << 0 << QByteArray();
    QTest::newRow("fin") << int(FlagFin) << QByteArray("fin");
    QTest::newRow("all") << int(FlagFin | FlagRsv1 | FlagRsv2 | FlagRsv3 | FlagMasked | FlagCompressed | FlagFragment)
                         << QByteArray("fin rsv1 rsv2 rsv3 masked compressed fragment");
    QTest::newRow("compressed fragment") << int(FlagFin | FlagRsv1 | FlagCompressed | FlagFragment)
                                         << QByteArray("fin rsv1 compressed fragment");
}

void TestCsvExporter::flags()
{
    QFETCH(int, flags);
    QFETCH(QByteArray, text);
    QList<Row> rows;
    QVERIFY(parseCsv(exportCsv({ server() }, { ev(1, Direction::S2C, EventKind::Text, "x", quint8(flags)) }), rows)
                .isEmpty());
    QCOMPARE(rows.at(1)[Flags], text);
}

// A compressed message: size is what crossed the wire, data the inflated message, and the note says both.
void TestCsvExporter::compressedMessage()
{
    const QByteArray inflated = QByteArray("{\"tick\": 1, \"text\": \"hello\"}\n").repeated(20);
    Event e = ev(7, Direction::S2C, EventKind::Text, inflated, FlagFin | FlagRsv1 | FlagCompressed);
    e.size = 41;
    e.note = "compressed: 41 \xe2\x86\x92 " + QByteArray::number(inflated.size()) + " bytes";
    QList<Row> rows;
    QVERIFY(parseCsv(exportCsv({ server() }, { e }), rows).isEmpty());
    const Row& row = rows.at(1);
    QCOMPARE(row[Size], QByteArray("41"));
    QCOMPARE(row[Encoding], QByteArray("text"));
    QCOMPARE(row[Data], inflated);
    QCOMPARE(row[Flags], QByteArray("fin rsv1 compressed"));
    QCOMPARE(row[Note], e.note);
}

void TestCsvExporter::timesBefore1970()
{
    Event e = ev(1, Direction::None, EventKind::Note, "old");
    e.timestampUs = -1; // 1969-12-31T23:59:59.999999Z
    QList<Row> rows;
    QVERIFY(parseCsv(exportCsv({}, { e }), rows).isEmpty());
    QCOMPARE(rows.at(1)[Time], QByteArray("1969-12-31T23:59:59.999999Z"));
    QCOMPARE(rows.at(1)[TimestampUs], QByteArray("-1"));
    // Not described: the url cell is empty.
    QCOMPARE(rows.at(1)[Url], QByteArray());
}

void TestCsvExporter::urlFollowsTheLatestDescription()
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    const auto exporter = SessionExporter::create(SessionFormat::Csv, &buffer, {});
    exporter->addConnection(server(QStringLiteral("ws://127.0.0.1:8765/a")));
    exporter->addEvent(ev(1, Direction::C2S, EventKind::Text, "one"));
    exporter->addConnection(server(QStringLiteral("ws://127.0.0.1:8765/a,b")));
    exporter->addEvent(ev(2, Direction::C2S, EventKind::Text, "two"));
    QVERIFY(exporter->finish(nullptr));
    QList<Row> rows;
    QVERIFY(parseCsv(buffer.data(), rows).isEmpty());
    QCOMPARE(rows.at(1)[Url], QByteArray("ws://127.0.0.1:8765/a"));
    QCOMPARE(rows.at(2)[Url], QByteArray("ws://127.0.0.1:8765/a,b"));
}

void TestCsvExporter::secretsAreRedacted()
{
    const Connection c = server(QStringLiteral("ws://user:pw@127.0.0.1:8765/?access_token=s3cret&x=1"));
    const Event head = ev(1, Direction::None, EventKind::HandshakeRequest,
        "GET /?access_token=s3cret&x=1 HTTP/1.1\r\nHost: h\r\nCookie: id=s3cret\r\n\r\n");
    const QByteArray redacted = exportCsv({ c }, { head });
    QVERIFY(!redacted.contains("s3cret"));
    QVERIFY(!redacted.contains(":pw@"));
    QVERIFY(redacted.contains("access_token=[redacted]&x=1"));
    QVERIFY(exportCsv({ c }, { head }, true).contains("Cookie: id=s3cret"));
}

void TestCsvExporter::largeExportsAreComplete()
{
    std::vector<Event> events;
    for (quint64 seq = 1; seq <= 20000; ++seq)
        events.push_back(ev(seq, Direction::S2C, EventKind::Text, QByteArray(100, 'a') + QByteArray::number(seq)));
    QList<Row> rows;
    QVERIFY(parseCsv(exportCsv({ server() }, events), rows).isEmpty());
    QCOMPARE(rows.size(), 20001);
    QCOMPARE(rows.last()[Seq], QByteArray("20000"));
    QVERIFY(rows.last()[Data].endsWith("a20000"));
}

QTEST_GUILESS_MAIN(TestCsvExporter)
#include "tst_csvexporter.moc"
