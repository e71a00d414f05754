#include "formats/jsonlcodec.h"
#include "formats/sessionreader.h"

#include <QBuffer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace wsi;

namespace {

const QByteArray header
    = R"({"type":"session","format":"wsinspector-session","version":1,"created":"2026-11-22T10:00:00.000Z","app":"wsinspector 0.1.0"})"
      "\n";

// DESIGN.md's example, verbatim. (One raw string per line: moc does not follow raw strings across lines.)
const QByteArray designExample = header
    + R"({"type":"connection","id":1,"role":"server","url":"ws://127.0.0.1:8765/chat","peer":"127.0.0.1:53122","subprotocol":""})"
      "\n"
    + R"({"type":"event","seq":1,"conn":1,"ts":1763805600123456,"dir":"none","kind":"handshake-request","method":"GET","url":"/chat","headers":[["Host","127.0.0.1:8765"],["Upgrade","websocket"]]})"
      "\n"
    + R"({"type":"event","seq":2,"conn":1,"ts":1763805600123900,"dir":"none","kind":"handshake-response","status":101,"headers":[["Upgrade","websocket"]]})"
      "\n"
    + R"({"type":"event","seq":3,"conn":1,"ts":1763805600124000,"dir":"c2s","kind":"text","size":5,"data":"hello"})"
      "\n"
    + R"({"type":"event","seq":4,"conn":1,"ts":1763805600124100,"dir":"s2c","kind":"binary","size":3,"data":"AAEC","enc":"base64"})"
      "\n"
    + R"({"type":"event","seq":5,"conn":1,"ts":1763805600200000,"dir":"c2s","kind":"close","code":1000,"reason":"bye"})"
      "\n";

QByteArray textLine(quint64 seq, const QByteArray& text)
{
    Event e;
    e.seq = seq;
    e.connection = 1;
    e.timestampUs = 1763805600000000 + qint64(seq);
    e.monotonicNs = e.timestampUs * 1000;
    e.direction = Direction::C2S;
    e.kind = EventKind::Text;
    e.flags = FlagFin;
    e.payload = text;
    e.size = text.size();
    return jsonl::encodeEvent(e) + '\n';
}

bool readBytes(const QByteArray& bytes, SessionData& data, QString* error,
    qint64 maxLineBytes = SessionReader::defaultMaxLineBytes)
{
    QBuffer buffer;
    buffer.setData(bytes);
    buffer.open(QIODevice::ReadOnly);
    return SessionReader::read(buffer, data, error, {}, maxLineBytes);
}

} // namespace

class TestSessionReader : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void designExample();
    void truncatedLastLine_data();
    void truncatedLastLine();
    void completeLastLineWithoutNewline();
    void notASession_data();
    void notASession();
    void newerVersion();
    void badMiddleLinesAreSkipped();
    void warningsAreCapped();
    void connectionUpdatesKeepTheirPlace();
    void sequenceNumbersFromTheFile();
    void windowsLineEndsAndByteOrderMark();
    void secondHeaderFromJoinedFiles();
    void linesLongerThanAReadChunk();
    void manyLinesKeepTheirOrder();
    void progressAndCancel();
    void fileErrors();

    void badLines_data();
    void badLines();
    void longLinesAreSkipped_data();
    void longLinesAreSkipped();
    void longFirstLine();
    void numberingStopsAtTheLargestSeq();
};

void TestSessionReader::designExample()
{
    SessionData data;
    QString error;
    QVERIFY2(readBytes(::designExample, data, &error), qPrintable(error));
    QVERIFY(data.warnings.isEmpty());
    QCOMPARE(data.version, 1);
    QCOMPARE(data.created, QStringLiteral("2026-11-22T10:00:00.000Z"));
    QCOMPARE(data.app, QStringLiteral("wsinspector 0.1.0"));

    QCOMPARE(data.connections.size(), 1);
    const Connection& c = data.connections.front();
    QCOMPARE(c.id, 1u);
    QCOMPARE(c.role, ConnectionRole::Server);
    QCOMPARE(c.url, QStringLiteral("ws://127.0.0.1:8765/chat"));
    QCOMPARE(c.peer, QStringLiteral("127.0.0.1:53122"));
    QVERIFY(c.subprotocol.isEmpty());

    QCOMPARE(data.events.size(), size_t(5));
    const Event& request = data.events[0];
    QCOMPARE(request.kind, EventKind::HandshakeRequest);
    QCOMPARE(request.direction, Direction::None);
    QCOMPARE(request.payload, QByteArray("GET /chat HTTP/1.1\r\nHost: 127.0.0.1:8765\r\nUpgrade: websocket\r\n\r\n"));
    QCOMPARE(request.size, request.payload.size());
    QCOMPARE(request.monotonicNs, request.timestampUs * 1000);
    QCOMPARE(data.events[1].payload, QByteArray("HTTP/1.1 101 \r\nUpgrade: websocket\r\n\r\n"));
    const Event& text = data.events[2];
    QCOMPARE(text.seq, 3u);
    QCOMPARE(text.connection, 1u);
    QCOMPARE(text.timestampUs, 1763805600124000);
    QCOMPARE(text.direction, Direction::C2S);
    QCOMPARE(text.payload, QByteArray("hello"));
    QCOMPARE(data.events[3].payload, QByteArray("\x00\x01\x02", 3));
    const Event& close = data.events[4];
    QCOMPARE(close.kind, EventKind::Close);
    QCOMPARE(close.closeCode, quint16(1000));
    QCOMPARE(close.payload, QByteArray("bye"));
    QCOMPARE(close.size, 5);
}

// A crash mid-write: wherever the last line was cut, everything before it loads.
void TestSessionReader::truncatedLastLine_data()
{
    QTest::addColumn<int>("cut");
    const QByteArray last = textLine(3, "the last message \xc3\xa9");
    for (int cut : { 1, 2, 10, 40, int(last.size()) - 3, int(last.size()) - 2 })
        QTest::addRow("cut after %d bytes", cut) << cut;
}

void TestSessionReader::truncatedLastLine()
{
    QFETCH(int, cut);
    const QByteArray file = header + textLine(1, "one") + textLine(2, "two") + textLine(3, "the last message \xc3\xa9");
    const qsizetype lastStart = file.size() - textLine(3, "the last message \xc3\xa9").size();

    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("crashed.jsonl"));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(file.left(lastStart + cut));
    f.close();

    SessionData data;
    QString error;
    QVERIFY2(SessionReader::readFile(path, data, &error), qPrintable(error));
    QCOMPARE(data.events.size(), size_t(2));
    QCOMPARE(data.events[1].payload, QByteArray("two"));
    QCOMPARE(
        data.warnings, QStringList { QStringLiteral("ignored a truncated last line (the capture was interrupted)") });
}

void TestSessionReader::completeLastLineWithoutNewline()
{
    QByteArray file = header + textLine(1, "one");
    file.chop(1);
    SessionData data;
    QVERIFY(readBytes(file, data, nullptr));
    QCOMPARE(data.events.size(), size_t(1));
    QVERIFY(data.warnings.isEmpty());
}

void TestSessionReader::notASession_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("reason");
    QTest::newRow("empty") << QByteArray() << QStringLiteral("the file is empty");
    QTest::newRow("blank lines") << QByteArray("\n\n  \n") << QStringLiteral("the file is empty");
    QTest::newRow("text") << QByteArray("hello world\nsecond line\n") << QStringLiteral("its first line is not JSON");
    QTest::newRow("PNG") << QByteArray("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 16)
                         << QStringLiteral("its first line is not JSON");
    QByteArray noise(3 * 1024 * 1024, Qt::Uninitialized);
    for (qsizetype i = 0; i < noise.size(); ++i)
        noise[i] = char((i * 7919) % 251 + 1) == '\n' ? 'x' : char((i * 7919) % 251 + 1);
    QTest::newRow("3 MiB without a newline") << noise << QStringLiteral("its first line is not a session header");
    QTest::newRow("HAR") << QByteArray(R"({"log":{"version":"1.2","entries":[]}})")
                         << QStringLiteral("its first line is not a valid session header");
    QTest::newRow("events without a header")
        << textLine(1, "x") << QStringLiteral("its first line is not a session header");
    QTest::newRow("other format") << QByteArray(R"({"type":"session","format":"other-tool","version":1})"
                                                "\n")
                                  << QStringLiteral("its format is \"other-tool\"");
    QTest::newRow("version 0") << QByteArray(R"({"type":"session","format":"wsinspector-session","version":0})"
                                             "\n")
                               << QStringLiteral("unknown format version 0");
    QTest::newRow("version as text") << QByteArray(
        R"({"type":"session","format":"wsinspector-session","version":"1"})"
        "\n") << QStringLiteral("its first line is not a valid session header: \"version\" is not an integer");
    QTest::newRow("truncated header") << header.left(40) << QStringLiteral("its first line is not JSON");
}

void TestSessionReader::notASession()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, reason);
    SessionData data;
    QString error;
    QVERIFY(!readBytes(content, data, &error));
    QVERIFY2(error.startsWith(QStringLiteral("not a WebSocket Inspector session (%1").arg(reason)), qPrintable(error));
    QVERIFY(error.endsWith(QLatin1Char(')')));
}

void TestSessionReader::newerVersion()
{
    SessionData data;
    QString error;
    QVERIFY(!readBytes(R"({"type":"session","format":"wsinspector-session","version":2,"created":"x"})"
                       "\n"
                       R"({"type":"event","future":true})"
                       "\n",
        data, &error));
    QVERIFY2(error.contains(QLatin1StringView("format version 2")), qPrintable(error));
    QVERIFY2(error.contains(QLatin1StringView("update")), qPrintable(error));
}

void TestSessionReader::badMiddleLinesAreSkipped()
{
    const QByteArray file = header + textLine(1, "one") + "this is not json\n"
        + R"({"type":"event","seq":3,"kind":"shout","dir":"c2s"})"
          "\n"
        + textLine(4, "four")
        + R"({"type":"event","seq":5,"kind":"text","dir":"c2s","data":"%%%","enc":"base64"})"
          "\n"
        + R"({"type":"gizmo"})"
          "\n"
        + textLine(7, "seven");
    SessionData data;
    QString error;
    QVERIFY2(readBytes(file, data, &error), qPrintable(error));
    QCOMPARE(data.events.size(), size_t(3));
    QCOMPARE(data.events[0].payload, QByteArray("one"));
    QCOMPARE(data.events[1].payload, QByteArray("four"));
    QCOMPARE(data.events[2].payload, QByteArray("seven"));
    QCOMPARE(data.warnings.size(), 4);
    QVERIFY2(data.warnings[0].startsWith(QLatin1StringView("line 3: not valid JSON")), qPrintable(data.warnings[0]));
    QCOMPARE(data.warnings[1], QStringLiteral("line 4: unknown kind \"shout\""));
    QCOMPARE(data.warnings[2], QStringLiteral("line 6: \"data\" is not valid base64"));
    QCOMPARE(data.warnings[3], QStringLiteral("line 7: unknown line type \"gizmo\""));
}

void TestSessionReader::warningsAreCapped()
{
    QByteArray file = header;
    for (int i = 0; i < 250; ++i)
        file += "garbage\n";
    file += textLine(1, "still here");
    SessionData data;
    QVERIFY(readBytes(file, data, nullptr));
    QCOMPARE(data.events.size(), size_t(1));
    QCOMPARE(data.warnings.size(), SessionReader::maxWarnings + 1);
    QVERIFY(data.warnings[99].startsWith(QLatin1StringView("line 101: ")));
    QCOMPARE(data.warnings.back(), QStringLiteral("150 more warnings were not listed"));
}

void TestSessionReader::connectionUpdatesKeepTheirPlace()
{
    const QByteArray file = header
        + R"({"type":"connection","id":2,"role":"client","url":"ws://a/","peer":"","subprotocol":""})"
          "\n"
        + R"({"type":"connection","id":1,"role":"server","url":"ws://b/","peer":"1.2.3.4:5","subprotocol":""})"
          "\n"
        + textLine(1, "x")
        + R"({"type":"connection","id":2,"role":"client","url":"ws://a/","peer":"9.9.9.9:443","subprotocol":"v2"})"
          "\n";
    SessionData data;
    QVERIFY(readBytes(file, data, nullptr));
    QCOMPARE(data.connections.size(), 2);
    QCOMPARE(data.connections[0].id, 2u);
    QCOMPARE(data.connections[0].peer, QStringLiteral("9.9.9.9:443"));
    QCOMPARE(data.connections[0].subprotocol, QStringLiteral("v2"));
    QCOMPARE(data.connections[1].id, 1u);
    QCOMPARE(data.connections[1].role, ConnectionRole::Server);
}

void TestSessionReader::sequenceNumbersFromTheFile()
{
    const QByteArray file = header + textLine(5, "a") + textLine(9, "b") + textLine(7, "c")
        + R"({"type":"event","kind":"note","dir":"none","message":"hand-written"})"
          "\n";
    SessionData data;
    QVERIFY(readBytes(file, data, nullptr));
    QCOMPARE(data.events.size(), size_t(4));
    QCOMPARE(data.events[0].seq, 5u);
    QCOMPARE(data.events[1].seq, 9u);
    QCOMPARE(data.events[2].seq, 7u);
    QCOMPARE(data.events[3].seq, 8u); // numbered after the one before it
}

void TestSessionReader::windowsLineEndsAndByteOrderMark()
{
    QByteArray file = "\xef\xbb\xbf" + header + "\n" + textLine(1, "one") + "   \n" + textLine(2, "two");
    file.replace("\n", "\r\n");
    SessionData data;
    QString error;
    QVERIFY2(readBytes(file, data, &error), qPrintable(error));
    QVERIFY(data.warnings.isEmpty());
    QCOMPARE(data.events.size(), size_t(2));
    QCOMPARE(data.events[1].payload, QByteArray("two"));
}

void TestSessionReader::secondHeaderFromJoinedFiles()
{
    const QByteArray file = header + textLine(1, "one") + header + textLine(2, "two")
        + R"({"type":"session","format":"wsinspector-session","version":3})"
          "\n";
    SessionData data;
    QVERIFY(readBytes(file, data, nullptr));
    QCOMPARE(data.events.size(), size_t(2));
    QCOMPARE(data.warnings.size(), 1);
    QVERIFY2(data.warnings[0].startsWith(QLatin1StringView("line 5: ")), qPrintable(data.warnings[0]));
}

void TestSessionReader::linesLongerThanAReadChunk()
{
    QByteArray big(3 * 1024 * 1024 + 17, Qt::Uninitialized);
    for (qsizetype i = 0; i < big.size(); ++i)
        big[i] = char('a' + i % 26);
    Event e;
    e.seq = 2;
    e.direction = Direction::S2C;
    e.kind = EventKind::Binary;
    e.payload = big;
    e.size = big.size();
    const QByteArray file = header + textLine(1, "before") + jsonl::encodeEvent(e) + '\n' + textLine(3, "after");
    SessionData data;
    QVERIFY(readBytes(file, data, nullptr));
    QVERIFY(data.warnings.isEmpty());
    QCOMPARE(data.events.size(), size_t(3));
    QCOMPARE(data.events[1].payload, big);
    QCOMPARE(data.events[2].payload, QByteArray("after"));
}

void TestSessionReader::manyLinesKeepTheirOrder()
{
    // Thousands of lines per read chunk are decoded on several threads: what comes out must be what decoding
    // them one by one gives — events, connections, numbering of lines without seq, and the warnings' line numbers.
    QByteArray bytes = header;
    std::vector<quint64> expectedSeqs;
    QStringList expectedWarnings;
    int lineNumber = 1;
    quint64 lastSeq = 0;
    for (int i = 1; i <= 20000; ++i) {
        ++lineNumber;
        if (i % 997 == 0) {
            bytes += "{\"type\":\"event\",\"seq\":\"bad\"}\n";
            expectedWarnings << QStringLiteral("line %1: ").arg(lineNumber);
        } else if (i % 1499 == 0) {
            bytes += "\n";
        } else if (i % 1201 == 0) {
            bytes += R"({"type":"connection","id":)" + QByteArray::number(i)
                + R"(,"role":"client","url":"ws://x/","peer":"","subprotocol":""})"
                  "\n";
        } else if (i % 89 == 0) {
            bytes += R"({"type":"event","conn":1,"ts":1,"dir":"c2s","kind":"text","data":"no seq"})"
                     "\n";
            expectedSeqs.push_back(++lastSeq);
        } else {
            lastSeq = quint64(i) * 10;
            bytes += textLine(lastSeq, QByteArray(40 + i % 200, char('a' + i % 26)) + "\"quoted\"\n");
            expectedSeqs.push_back(lastSeq);
        }
    }
    QVERIFY(bytes.size() > 3 * 1024 * 1024);
    SessionData data;
    QString error;
    QVERIFY2(readBytes(bytes, data, &error), qPrintable(error));
    QCOMPARE(data.events.size(), expectedSeqs.size());
    for (size_t i = 0; i < expectedSeqs.size(); ++i)
        QCOMPARE(data.events[i].seq, expectedSeqs[i]);
    QCOMPARE(data.events.back().payload.right(9), QByteArray("\"quoted\"\n"));
    QCOMPARE(data.connections.size(), 20000 / 1201);
    QCOMPARE(data.warnings.size(), expectedWarnings.size());
    for (qsizetype i = 0; i < expectedWarnings.size(); ++i)
        QVERIFY2(data.warnings.at(i).startsWith(expectedWarnings.at(i)), qPrintable(data.warnings.at(i)));
}

void TestSessionReader::progressAndCancel()
{
    QByteArray file = header;
    for (int i = 1; i <= 40000; ++i)
        file += textLine(quint64(i), "message number " + QByteArray::number(i));
    QVERIFY(file.size() > 3 * 1024 * 1024);

    QBuffer buffer;
    buffer.setData(file);
    QVERIFY(buffer.open(QIODevice::ReadOnly));
    QList<qint64> seen;
    SessionData data;
    QString error;
    QVERIFY(SessionReader::read(buffer, data, &error, [&](qint64 done, qint64 total) {
        if (total != file.size())
            return false;
        seen.append(done);
        return true;
    }));
    QCOMPARE(data.events.size(), size_t(40000));
    QVERIFY(seen.size() >= 3);
    QVERIFY(std::is_sorted(seen.cbegin(), seen.cend()));
    QCOMPARE(seen.back(), file.size());

    QBuffer again;
    again.setData(file);
    QVERIFY(again.open(QIODevice::ReadOnly));
    int calls = 0;
    QVERIFY(!SessionReader::read(again, data, &error, [&](qint64, qint64) { return ++calls < 2; }));
    QCOMPARE(calls, 2);
    QCOMPARE(error, QStringLiteral("loading was cancelled"));
}

void TestSessionReader::fileErrors()
{
    QTemporaryDir dir;
    SessionData data;
    QString error;
    const QString missing = dir.filePath(QStringLiteral("missing.jsonl"));
    QVERIFY(!SessionReader::readFile(missing, data, &error));
    QVERIFY2(error.startsWith(QStringLiteral("cannot open %1: ").arg(missing)), qPrintable(error));
    QVERIFY(!SessionReader::readFile(dir.path(), data, &error)); // a folder
    QVERIFY(!error.isEmpty());
}

// Bad input after a good header: each bad line costs only itself, and its warning names it and says why.
void TestSessionReader::badLines_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QString>("warning"); // for line 3: the header, "one", the bad line, "four"

    auto row = [](const char* name, const QByteArray& line, const QString& warning) {
        QTest::newRow(name) << line << warning;
    };
    // Truncated: a crash mid-line, then the writer went on (a journal appended to after a restart).
    row("truncated", R"({"type":"event","seq":3,"kind":"text","dir":"c2s","data":"hel)",
        QStringLiteral("not valid JSON (the line ends too early)"));
    row("truncated after a key", R"({"type":"event","seq":)",
        QStringLiteral("not valid JSON (the line ends too early)"));
    // Corrupted: bytes changed on disk or by an editor.
    row("control byte in a string", "{\"type\":\"ev\x01nt\"}", QStringLiteral("not valid JSON (at offset 11)"));
    row("quote missing", R"({"type":"event","seq":3,"kind":text"})", QStringLiteral("not valid JSON (at offset 31)"));
    row("changed type name", R"({"type":"evXnt","seq":3})", QStringLiteral("unknown line type \"evXnt\""));
    row("NUL bytes", QByteArray(8, '\0'), QStringLiteral("not valid JSON (at offset 0)"));
    row("a list", R"([1,2,3])", QStringLiteral("not a JSON object"));
    row("an empty object", R"({})", QStringLiteral("missing \"type\""));
    row("two objects", R"({"type":"event"}{"type":"event"})", QStringLiteral("not valid JSON (at offset 16)"));
    // Wrong types and values.
    row("seq as text", R"({"type":"event","seq":"3","kind":"text","dir":"c2s","data":"x"})",
        QStringLiteral("\"seq\" is not an integer"));
    row("seq as a fraction", R"({"type":"event","seq":3.5,"kind":"text","dir":"c2s","data":"x"})",
        QStringLiteral("\"seq\" is not an integer"));
    row("ts beyond 64 bits", R"({"type":"event","ts":99999999999999999999,"kind":"text","dir":"c2s"})",
        QStringLiteral("\"ts\" is not an integer"));
    row("conn negative", R"({"type":"event","conn":-1,"kind":"text","dir":"c2s","data":"x"})",
        QStringLiteral("\"conn\" is out of range (-1)"));
    row("close code too big", R"({"type":"event","kind":"close","dir":"c2s","code":70000})",
        QStringLiteral("\"code\" is out of range (70000)"));
    row("rsv too big", R"({"type":"event","kind":"text","dir":"c2s","data":"x","rsv":8})",
        QStringLiteral("\"rsv\" is out of range (8)"));
    row("fin as text", R"({"type":"event","kind":"text","dir":"c2s","data":"x","fin":"yes"})",
        QStringLiteral("\"fin\" is not true or false"));
    row("data as a number", R"({"type":"event","kind":"text","dir":"c2s","data":1e3})",
        QStringLiteral("\"data\" is not a string"));
    row("headers as an object",
        R"({"type":"event","kind":"handshake-request","dir":"none","method":"GET","url":"/","headers":{"a":"b"}})",
        QStringLiteral("\"headers\" is not a list"));
    row("headers not pairs",
        R"({"type":"event","kind":"handshake-response","dir":"none","status":101,"headers":[["a"]]})",
        QStringLiteral("\"headers\" entries must be [name, value] pairs of strings"));
    row("status out of range", R"({"type":"event","kind":"handshake-response","dir":"none","status":42})",
        QStringLiteral("\"status\" is out of range (42)"));
    row("kind missing", R"({"type":"event","dir":"c2s","data":"x"})", QStringLiteral("missing \"kind\""));
    row("unknown kind", R"({"type":"event","kind":"shout","dir":"c2s"})", QStringLiteral("unknown kind \"shout\""));
    row("unknown dir", R"({"type":"event","kind":"text","dir":"up"})", QStringLiteral("unknown dir \"up\""));
    row("unknown role", R"({"type":"connection","id":1,"role":"spy"})", QStringLiteral("unknown role \"spy\""));
    row("unknown enc", R"({"type":"event","kind":"text","dir":"c2s","data":"x","enc":"rot13"})",
        QStringLiteral("unknown \"enc\" \"rot13\""));
    row("bad base64", R"({"type":"event","kind":"binary","dir":"c2s","data":"%%%","enc":"base64"})",
        QStringLiteral("\"data\" is not valid base64"));
    // Not UTF-8: JSON text must be, whether inside a string or not.
    row("Latin-1 in a string", "{\"type\":\"event\",\"kind\":\"text\",\"dir\":\"c2s\",\"data\":\"caf\xe9\"}",
        QStringLiteral("not valid UTF-8, as JSON must be"));
    row("overlong UTF-8", "{\"type\":\"event\",\"kind\":\"text\",\"dir\":\"c2s\",\"data\":\"\xc0\xaf\"}",
        QStringLiteral("not valid UTF-8, as JSON must be"));
    row("invalid bytes outside strings", "{\"type\":\"event\"\xff}",
        QStringLiteral("not valid UTF-8, as JSON must be"));
}

void TestSessionReader::badLines()
{
    QFETCH(QByteArray, line);
    QFETCH(QString, warning);

    SessionData data;
    QString error;
    QVERIFY2(
        readBytes(header + textLine(1, "one") + line + '\n' + textLine(4, "four"), data, &error), qPrintable(error));
    QCOMPARE(data.warnings, QStringList { QStringLiteral("line 3: ") + warning });
    QCOMPARE(data.events.size(), size_t(2));
    QCOMPARE(data.events[0].payload, QByteArray("one"));
    QCOMPARE(data.events[1].payload, QByteArray("four"));
}

// Memory stays bounded by the line limit whatever the file holds: a longer line is dropped as it is read, and
// reported by number. (A 200 MB line loads with the default limit, at about twice its size in memory.)
void TestSessionReader::longLinesAreSkipped_data()
{
    QTest::addColumn<qint64>("limit");
    QTest::addColumn<QByteArray>("longLine");
    QTest::addColumn<bool>("last"); // the long line ends the file, without a newline

    const QByteArray small = textLine(2, QByteArray(300, 'x')).chopped(1);
    QByteArray big = textLine(2, QByteArray(3 * 1024 * 1024 + 5, 'y')).chopped(1); // spans read chunks
    QTest::newRow("in one read chunk") << qint64(256) << small << false;
    QTest::newRow("across read chunks") << qint64(1024 * 1024) << big << false;
    QTest::newRow("no JSON at all") << qint64(1024 * 1024) << QByteArray(5 * 1024 * 1024, 'z') << false;
    QTest::newRow("last, in one chunk") << qint64(256) << small << true;
    QTest::newRow("last, across chunks") << qint64(1024 * 1024) << big << true;
    QTest::newRow("one byte over") << qint64(small.size() - 1) << small << false;
}

void TestSessionReader::longLinesAreSkipped()
{
    QFETCH(qint64, limit);
    QFETCH(QByteArray, longLine);
    QFETCH(bool, last);

    const QByteArray file
        = header + textLine(1, "one") + longLine + (last ? QByteArray() : '\n' + textLine(3, "three"));
    SessionData data;
    QString error;
    QVERIFY2(readBytes(file, data, &error, limit), qPrintable(error));
    const QString size = limit % (1024 * 1024) == 0 ? QStringLiteral("%1 MiB").arg(limit / (1024 * 1024))
                                                    : QStringLiteral("%1 bytes").arg(limit);
    QCOMPARE(data.warnings, QStringList { QStringLiteral("line 3: longer than the limit of %1, skipped").arg(size) });
    QCOMPARE(data.events.size(), size_t(last ? 1 : 2));
    QCOMPARE(data.events[0].payload, QByteArray("one"));
    if (!last)
        QCOMPARE(data.events[1].payload, QByteArray("three"));

    // At the limit, the same line loads.
    QVERIFY(readBytes(file, data, &error, longLine.size()));
    QCOMPARE(data.warnings.size(), longLine.startsWith('{') ? 0 : 1); // the one that is no JSON is still bad
}

void TestSessionReader::longFirstLine()
{
    SessionData data;
    QString error;
    QVERIFY(!readBytes(header + textLine(1, "one"), data, &error, header.size() - 2));
    QCOMPARE(error, QStringLiteral("not a WebSocket Inspector session (its first line is not a session header)"));
}

// Found by fuzz_jsonl: a line without "seq" after one with the largest seq a line can carry was numbered past
// it, so the session could be loaded but not saved and loaded again ("seq" is not an integer).
void TestSessionReader::numberingStopsAtTheLargestSeq()
{
    const QByteArray file = header
        + R"({"type":"event","seq":9223372036854775807,"kind":"text","dir":"c2s","data":"largest"})"
          "\n"
        + R"({"type":"event","kind":"text","dir":"c2s","data":"after"})"
          "\n";
    SessionData data;
    QVERIFY(readBytes(file, data, nullptr));
    QVERIFY(data.warnings.isEmpty());
    QCOMPARE(data.events.size(), size_t(2));
    QCOMPARE(data.events[1].seq, quint64(std::numeric_limits<qint64>::max()));

    QByteArray saved = header;
    for (const Event& e : data.events)
        saved += jsonl::encodeEvent(e) + '\n';
    SessionData again;
    QVERIFY(readBytes(saved, again, nullptr));
    QCOMPARE(again.warnings, QStringList());
    QCOMPARE(again.events.size(), size_t(2));
    QCOMPARE(again.events[1].seq, data.events[1].seq);
}

QTEST_GUILESS_MAIN(TestSessionReader)
#include "tst_sessionreader.moc"
