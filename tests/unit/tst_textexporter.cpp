#include "formats/textexporter.h"

#include <QBuffer>
#include <QRegularExpression>
#include <QTest>

using namespace wsi;

namespace {

constexpr qint64 T0 = 1796040000123456; // 2026-11-30 12:00:00.123456 UTC

Event ev(quint64 seq, Direction d, EventKind kind, QByteArray payload = {}, quint8 flags = 0, quint16 code = 0)
{
    Event e;
    e.seq = seq;
    e.connection = 1;
    e.timestampUs = T0;
    e.monotonicNs = e.timestampUs * 1000;
    e.direction = d;
    e.kind = kind;
    e.flags = flags;
    e.closeCode = code;
    e.size = kind == EventKind::Close && code ? payload.size() + 2 : payload.size();
    e.payload = std::move(payload);
    return e;
}

Connection connection(quint32 id, ConnectionRole role, const char* url, const char* peer, const char* subprotocol = "")
{
    Connection c;
    c.id = id;
    c.role = role;
    c.url = QString::fromUtf8(url);
    c.peer = QString::fromUtf8(peer);
    c.subprotocol = QString::fromUtf8(subprotocol);
    return c;
}

QByteArray exportText(const QList<Connection>& connections, const std::vector<Event>& events,
    const QString& app = QStringLiteral("wsinspector 0.1.0"))
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    ExportOptions options;
    options.app = app;
    const std::unique_ptr<SessionExporter> exporter = SessionExporter::create(SessionFormat::Text, &buffer, options);
    if (!exporter)
        return {};
    for (const Connection& c : connections)
        exporter->addConnection(c);
    for (const Event& e : events)
        exporter->addEvent(e);
    exporter->finish(nullptr);
    return buffer.data();
}

} // namespace

class TestTextExporter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void headerBlock();
    void headerListsConnectionsDescribedLate();
    void eventLines_data();
    void eventLines();
    void longBinaryDumpIsCut();
    void times();
    void bodyFollowsTheHeader();
    void bigLogsKeepTheirOrder();
};

void TestTextExporter::headerBlock()
{
    const QByteArray text
        = exportText({ connection(1, ConnectionRole::Server, "ws://127.0.0.1:8765/chat", "127.0.0.1:53122"),
                         connection(2, ConnectionRole::Client, "wss://example.com/feed", "", "chat.v2") },
            { ev(1, Direction::C2S, EventKind::Text, "hi") });
    const QList<QByteArray> lines = text.split('\n');
    QVERIFY(lines.size() > 9);
    QCOMPARE(lines[0], QByteArray("WebSocket Inspector session log"));
    QVERIFY2(QRegularExpression(QStringLiteral("^created      \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC$"))
                 .match(QString::fromUtf8(lines[1]))
                 .hasMatch(),
        lines[1].constData());
    QCOMPARE(lines[2], QByteArray("app          wsinspector 0.1.0"));
    QCOMPARE(lines[3], QByteArray("times        UTC"));
    QCOMPARE(lines[4], QByteArray("connections  2"));
    QCOMPARE(lines[5], QByteArray("    #1  server  ws://127.0.0.1:8765/chat  peer 127.0.0.1:53122"));
    QCOMPARE(lines[6], QByteArray("    #2  client  wss://example.com/feed  subprotocol chat.v2"));
    QCOMPARE(lines[7], QByteArray("events       1"));
    QCOMPARE(lines[8], QByteArray());
    QCOMPARE(lines[9], QByteArray("2026-11-30 12:00:00.123456  #1  c2s  text            2 B  hi"));
}

// Connections are listed with their latest description, in the order they first appeared, including one
// described only after the last event (exportSession does that for connections without events).
void TestTextExporter::headerListsConnectionsDescribedLate()
{
    QBuffer buffer;
    buffer.open(QIODevice::WriteOnly);
    const auto exporter = SessionExporter::create(SessionFormat::Text, &buffer, {});
    exporter->addConnection(connection(3, ConnectionRole::Client, "ws://h/", ""));
    exporter->addEvent(ev(1, Direction::None, EventKind::Open, "connected"));
    exporter->addConnection(connection(3, ConnectionRole::Client, "ws://h/", "10.0.0.1:80", "v2"));
    exporter->addConnection(connection(1, ConnectionRole::Server, "ws://127.0.0.1:1/", ""));
    QVERIFY(exporter->finish(nullptr));
    const QByteArray text = buffer.data();
    QVERIFY2(text.contains("connections  2\n    #3  client  ws://h/  peer 10.0.0.1:80  subprotocol v2\n"
                           "    #1  server  ws://127.0.0.1:1/\nevents       1\n"),
        text.constData());
    // Without an app name there is no app line.
    QVERIFY(!text.contains("\napp "));
}

void TestTextExporter::eventLines_data()
{
    QTest::addColumn<Event>("event");
    QTest::addColumn<QByteArray>("lines");
    const QByteArray t = "2026-11-30 12:00:00.123456  #1  ";

    QTest::newRow("text") << ev(1, Direction::C2S, EventKind::Text, "hello", FlagFin | FlagMasked)
                          << t + "c2s  text            5 B  hello\n";
    QTest::newRow("non-ASCII") << ev(1, Direction::S2C, EventKind::Text, "h\xc3\xa9llo \xe2\x82\xac")
                               << t + "s2c  text           10 B  h\xc3\xa9llo \xe2\x82\xac\n";
    QTest::newRow("empty text") << ev(1, Direction::C2S, EventKind::Text) << t + "c2s  text            0 B\n";
    QTest::newRow("multi-line text") << ev(1, Direction::S2C, EventKind::Text, "one\r\ntwo\n\nfour\n")
                                     << t + "s2c  text           15 B  one\n    two\n    \n    four\n    \n";
    QTest::newRow("control characters") << ev(1, Direction::S2C, EventKind::Text, QByteArray("a\tb\rc\x01\x7f", 7))
                                        << t + "s2c  text            7 B  a\tb\\rc\\x01\\x7f\n";
    QTest::newRow("invalid UTF-8") << ev(1, Direction::C2S, EventKind::Text, "ab\xff")
                                   << t
            + "c2s  text            3 B  (not valid UTF-8)\n"
              "    00000000  61 62 ff                                          |ab.|\n";
    QTest::newRow("binary") << ev(1, Direction::S2C, EventKind::Binary, QByteArray("\x00\x01\x02Hello, world!\xff", 17))
                            << t
            + "s2c  binary         17 B\n"
              "    00000000  00 01 02 48 65 6c 6c 6f  2c 20 77 6f 72 6c 64 21  |...Hello, world!|\n"
              "    00000010  ff                                                |.|\n";
    QTest::newRow("empty binary") << ev(1, Direction::S2C, EventKind::Binary) << t + "s2c  binary          0 B\n";
    QTest::newRow("ping") << ev(1, Direction::C2S, EventKind::Ping, "keepalive")
                          << t + "c2s  ping            9 B  keepalive\n";
    QTest::newRow("binary pong") << ev(1, Direction::S2C, EventKind::Pong, QByteArray("\x80\x01", 2))
                                 << t + "s2c  pong            2 B  80 01\n";
    QTest::newRow("close") << ev(1, Direction::C2S, EventKind::Close, "bye", FlagFin, 1000)
                           << t + "c2s  close           5 B  1000 normal closure: bye\n";
    QTest::newRow("close, no reason") << ev(1, Direction::S2C, EventKind::Close, {}, FlagFin, 1001)
                                      << t + "s2c  close           2 B  1001 going away\n";
    QTest::newRow("close, no code") << ev(1, Direction::S2C, EventKind::Close)
                                    << t + "s2c  close           0 B  (no code)\n";
    QTest::newRow("close, private code") << ev(1, Direction::S2C, EventKind::Close, "x", FlagFin, 4000)
                                         << t + "s2c  close           3 B  4000: x\n";
    QTest::newRow("handshake request") << ev(1, Direction::None, EventKind::HandshakeRequest,
        "GET /chat HTTP/1.1\r\nHost: 127.0.0.1:8765\r\nUpgrade: websocket\r\n\r\n")
                                       << t
            + "     handshake-request    GET /chat HTTP/1.1\n    Host: 127.0.0.1:8765\n    Upgrade: websocket\n";
    QTest::newRow("handshake response") << ev(1, Direction::None, EventKind::HandshakeResponse,
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")
                                        << t
            + "     handshake-response   HTTP/1.1 101 Switching Protocols\n    Upgrade: websocket\n";
    QTest::newRow("open") << ev(1, Direction::None, EventKind::Open, "client 127.0.0.1:53122 connected")
                          << t + "     open                 client 127.0.0.1:53122 connected\n";
    QTest::newRow("closed with code") << ev(1, Direction::None, EventKind::Closed, "connection lost", 0, 1006)
                                      << t + "     closed               connection lost (1006 abnormal closure)\n";
    QTest::newRow("error") << ev(1, Direction::None, EventKind::Error, "line one\nline two")
                           << t + "     error                line one\\nline two\n";
    QTest::newRow("empty note") << ev(1, Direction::None, EventKind::Note) << t + "     note\n";
    Event noted = ev(1, Direction::S2C, EventKind::Pong, "p", FlagFin);
    noted.note = "round trip 1.250 ms";
    QTest::newRow("with a note") << noted << t + "s2c  pong            1 B  p\n    note: round trip 1.250 ms\n";
    Event big = ev(1, Direction::C2S, EventKind::Text, "x");
    big.size = 123456789;
    big.connection = 12;
    QTest::newRow("wide size") << big << QByteArray("2026-11-30 12:00:00.123456  #12  c2s  text    123456789 B  x\n");
}

void TestTextExporter::eventLines()
{
    QFETCH(Event, event);
    QFETCH(QByteArray, lines);
    QCOMPARE(TextExporter::eventLines(event), lines);
}

void TestTextExporter::longBinaryDumpIsCut()
{
    const QByteArray lines = TextExporter::eventLines(ev(1, Direction::S2C, EventKind::Binary, QByteArray(1000, 'z')));
    const QList<QByteArray> split = lines.split('\n');
    // The event line, 16 dump lines, the line that counts the rest, and the empty piece after the last '\n'.
    QCOMPARE(split.size(), 1 + TextExporter::MaxHexDumpBytes / 16 + 1 + 1);
    QVERIFY(split[16].startsWith("    000000f0  7a 7a"));
    QVERIFY2(split[17].startsWith("    \xe2\x80\xa6 "), split[17].constData()); // "… 744 more bytes", localized
    QVERIFY(split[17].contains("744"));
}

void TestTextExporter::times()
{
    QCOMPARE(TextExporter::timeText(T0), QByteArray("2026-11-30 12:00:00.123456"));
    QCOMPARE(TextExporter::timeText(0), QByteArray("1970-01-01 00:00:00.000000"));
    QCOMPARE(TextExporter::timeText(-1), QByteArray("1969-12-31 23:59:59.999999"));
}

void TestTextExporter::bodyFollowsTheHeader()
{
    std::vector<Event> events = { ev(1, Direction::None, EventKind::Open, "hi"),
        ev(2, Direction::C2S, EventKind::Text, "a\nb"), ev(3, Direction::None, EventKind::Closed) };
    const QByteArray text = exportText({ connection(1, ConnectionRole::Server, "ws://127.0.0.1:1/", "") }, events);
    QByteArray body;
    for (const Event& e : events)
        body += TextExporter::eventLines(e);
    QVERIFY(text.endsWith(QByteArray("\n\n" + body)));
    QVERIFY(text.contains("events       3\n\n"));
}

// Past 8 MiB the lines wait in a temporary file: the log comes out complete and in order all the same.
void TestTextExporter::bigLogsKeepTheirOrder()
{
    std::vector<Event> events;
    QByteArray body;
    for (quint64 seq = 1; seq <= 20000; ++seq) {
        Event e = ev(seq, Direction::S2C, EventKind::Text, QByteArray::number(seq) + ' ' + QByteArray(1000, 'm'));
        body += TextExporter::eventLines(e);
        events.push_back(std::move(e));
    }
    QVERIFY(body.size() > 16 * 1024 * 1024);
    const QByteArray text = exportText({}, events);
    QCOMPARE(text.size() - text.indexOf("\n\n") - 2, body.size());
    QVERIFY(text.endsWith(body));
}

QTEST_GUILESS_MAIN(TestTextExporter)
#include "tst_textexporter.moc"
