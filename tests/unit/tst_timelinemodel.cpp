#include "core/eventstore.h"
#include "core/timelinemodel.h"

#include <QAbstractItemModelTester>
#include <QDateTime>
#include <QLocale>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace wsi;

namespace {

Event makeEvent(quint64 seq, quint32 connection, Direction direction, EventKind kind, QByteArray payload = {})
{
    Event e;
    e.seq = seq;
    e.timestampUs = 1763805600123456 + qint64(seq);
    e.monotonicNs = qint64(seq) * 1000;
    e.connection = connection;
    e.direction = direction;
    e.kind = kind;
    e.size = payload.size();
    e.payload = std::move(payload);
    return e;
}

CaptureBatch batchOf(quint64 firstSeq, int n)
{
    CaptureBatch b;
    for (int i = 0; i < n; ++i) {
        b.events.push_back(makeEvent(firstSeq + quint64(i), 1, i % 2 ? Direction::C2S : Direction::S2C, EventKind::Text,
            QByteArray("message ") + QByteArray::number(firstSeq + quint64(i))));
    }
    return b;
}

Connection makeConnection(quint32 id, ConnectionRole role)
{
    Connection c;
    c.id = id;
    c.role = role;
    c.url = QStringLiteral("ws://127.0.0.1:8765/");
    return c;
}

const QChar Ellipsis(0x2026);

QByteArray utf8Of(char32_t codePoint)
{
    return QString::fromUcs4(&codePoint, 1).toUtf8();
}

} // namespace

class TestTimelineModel : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void underModelTester();
    void oneInsertionPerBatch();
    void emptyBatchEmitsNothing();
    void clearResets();

    void seqAndTimeColumns();
    void connectionColumn();
    void directionColumn_data();
    void directionColumn();
    void kindColumn_data();
    void kindColumn();
    void sizeColumn();
    void roles();
    void headers();
    void invalidIndexes();

    void preview_data();
    void preview();
    void pongShowsItsRoundTrip();

private:
    void appendOne(Event e, const QList<Connection>& connections = {});
    QVariant cell(int row, int column, int role = Qt::DisplayRole) const
    {
        return m_model->data(m_model->index(row, column), role);
    }

    std::unique_ptr<EventStore> m_store;
    std::unique_ptr<TimelineModel> m_model;
};

void TestTimelineModel::init()
{
    m_store = std::make_unique<EventStore>();
    m_model = std::make_unique<TimelineModel>(m_store.get());
}

void TestTimelineModel::cleanup()
{
    m_model.reset();
    m_store.reset();
}

void TestTimelineModel::appendOne(Event e, const QList<Connection>& connections)
{
    CaptureBatch b;
    b.connections.assign(connections.begin(), connections.end());
    b.events.push_back(std::move(e));
    m_model->append(b);
}

void TestTimelineModel::underModelTester()
{
    QAbstractItemModelTester tester(m_model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    CaptureBatch first = batchOf(1, 3);
    first.connections.push_back(makeConnection(1, ConnectionRole::Server));
    m_model->append(first);
    m_model->append(batchOf(4, 1));
    m_model->append(CaptureBatch {});
    m_model->append(batchOf(5, 5000));
    QCOMPARE(m_model->rowCount(), 5004);
    m_model->clear();
    QCOMPARE(m_model->rowCount(), 0);
    m_model->append(batchOf(1, 10));
    m_model->append(batchOf(11, 4096));
    QCOMPARE(m_model->rowCount(), 4106);
    // Every cell and role once, with the tester watching.
    for (int row : { 0, 1, 4095, 4096, 4105 }) {
        for (int column = 0; column < m_model->columnCount(); ++column) {
            for (int role = Qt::DisplayRole; role <= TimelineModel::ConnectionRoleRole; ++role)
                cell(row, column, role);
        }
    }
}

void TestTimelineModel::oneInsertionPerBatch()
{
    QSignalSpy aboutToInsert(m_model.get(), &QAbstractItemModel::rowsAboutToBeInserted);
    QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
    QSignalSpy reset(m_model.get(), &QAbstractItemModel::modelReset);

    struct Expect
    {
        int n;
        int first;
        int last;
    };
    const QList<Expect> batches { { 3, 0, 2 }, { 1, 3, 3 }, { 10000, 4, 10003 }, { 2, 10004, 10005 } };
    quint64 seq = 1;
    for (const Expect& b : batches) {
        aboutToInsert.clear();
        inserted.clear();
        m_model->append(batchOf(seq, b.n));
        seq += quint64(b.n);
        QCOMPARE(aboutToInsert.size(), 1);
        QCOMPARE(inserted.size(), 1);
        for (const QSignalSpy* spy : { &aboutToInsert, &inserted }) {
            const QList<QVariant> args = spy->front();
            QVERIFY(!args.at(0).value<QModelIndex>().isValid());
            QCOMPARE(args.at(1).toInt(), b.first);
            QCOMPARE(args.at(2).toInt(), b.last);
        }
        QCOMPARE(m_model->rowCount(), b.last + 1);
    }
    QCOMPARE(reset.size(), 0);
}

void TestTimelineModel::emptyBatchEmitsNothing()
{
    m_model->append(batchOf(1, 2));
    QSignalSpy aboutToInsert(m_model.get(), &QAbstractItemModel::rowsAboutToBeInserted);
    QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
    QSignalSpy reset(m_model.get(), &QAbstractItemModel::modelReset);
    QSignalSpy layout(m_model.get(), &QAbstractItemModel::layoutChanged);

    m_model->append(CaptureBatch {});
    // Connections alone add no rows, but they are taken into the store.
    CaptureBatch connectionsOnly;
    connectionsOnly.connections.push_back(makeConnection(7, ConnectionRole::Client));
    m_model->append(connectionsOnly);

    QCOMPARE(aboutToInsert.size(), 0);
    QCOMPARE(inserted.size(), 0);
    QCOMPARE(reset.size(), 0);
    QCOMPARE(layout.size(), 0);
    QCOMPARE(m_model->rowCount(), 2);
    QVERIFY(m_store->connection(7));
}

void TestTimelineModel::clearResets()
{
    CaptureBatch b = batchOf(1, 5);
    b.connections.push_back(makeConnection(1, ConnectionRole::Client));
    m_model->append(b);
    QSignalSpy aboutToReset(m_model.get(), &QAbstractItemModel::modelAboutToBeReset);
    QSignalSpy reset(m_model.get(), &QAbstractItemModel::modelReset);
    m_model->clear();
    QCOMPARE(aboutToReset.size(), 1);
    QCOMPARE(reset.size(), 1);
    QCOMPARE(m_model->rowCount(), 0);
    QVERIFY(m_store->isEmpty());
    QVERIFY(m_store->connections().isEmpty());

    // Row numbers start from 0 again.
    QSignalSpy inserted(m_model.get(), &QAbstractItemModel::rowsInserted);
    m_model->append(batchOf(1, 2));
    QCOMPARE(inserted.size(), 1);
    QCOMPARE(inserted.front().at(1).toInt(), 0);
    QCOMPARE(inserted.front().at(2).toInt(), 1);
}

void TestTimelineModel::seqAndTimeColumns()
{
    // Built from local time, so the expected text holds in any time zone.
    const qint64 ms = QDateTime(QDate(2026, 11, 22), QTime(10, 5, 9, 123)).toMSecsSinceEpoch();
    Event e = makeEvent(42, 1, Direction::C2S, EventKind::Text, "x");
    e.timestampUs = ms * 1000 + 456;
    appendOne(e);
    e.seq = 43;
    e.timestampUs = ms * 1000 + 7; // microseconds keep their leading zeros
    appendOne(e);
    e.seq = 18446744073709551615ull;
    e.timestampUs = ms * 1000;
    appendOne(e);

    QCOMPARE(cell(0, TimelineModel::SeqColumn).toString(), QStringLiteral("42"));
    QCOMPARE(cell(0, TimelineModel::TimeColumn).toString(), QStringLiteral("10:05:09.123456"));
    QCOMPARE(cell(1, TimelineModel::TimeColumn).toString(), QStringLiteral("10:05:09.123007"));
    QCOMPARE(cell(2, TimelineModel::TimeColumn).toString(), QStringLiteral("10:05:09.123000"));
    QCOMPARE(cell(2, TimelineModel::SeqColumn).toString(), QStringLiteral("18446744073709551615"));
    // The full date is one hover away.
    QVERIFY(cell(0, TimelineModel::TimeColumn, Qt::ToolTipRole)
                .toString()
                .startsWith(QStringLiteral("2026-11-22T10:05:09.123")));
    const auto alignment = cell(0, TimelineModel::SeqColumn, Qt::TextAlignmentRole).value<Qt::Alignment>();
    QVERIFY(alignment & Qt::AlignRight);
}

void TestTimelineModel::connectionColumn()
{
    appendOne(makeEvent(1, 1, Direction::None, EventKind::Open, "connecting"));
    // Before the connection is known, the id alone.
    QCOMPARE(cell(0, TimelineModel::ConnectionColumn).toString(), QStringLiteral("1"));
    QCOMPARE(cell(0, 0, TimelineModel::ConnectionRoleRole).toInt(), -1);

    appendOne(makeEvent(2, 1, Direction::C2S, EventKind::Text, "hi"), { makeConnection(1, ConnectionRole::Client) });
    QCOMPARE(cell(0, TimelineModel::ConnectionColumn).toString(), QStringLiteral("1 client"));
    QCOMPARE(cell(1, TimelineModel::ConnectionColumn).toString(), QStringLiteral("1 client"));
    QCOMPARE(cell(1, TimelineModel::ConnectionColumn, TimelineModel::ConnectionRoleRole).toInt(),
        int(ConnectionRole::Client));

    appendOne(makeEvent(3, 2, Direction::S2C, EventKind::Text, "yo"), { makeConnection(2, ConnectionRole::Server) });
    QCOMPARE(cell(2, TimelineModel::ConnectionColumn).toString(), QStringLiteral("2 server"));
    QCOMPARE(cell(2, 0, TimelineModel::ConnectionIdRole).toUInt(), 2u);

    // A proxied connection: the upstream it relays to, and the client, are in the tooltip (no password).
    Connection proxied = makeConnection(3, ConnectionRole::Proxy);
    proxied.url = QStringLiteral("wss://user:secret@api.example.com/socket/chat");
    proxied.peer = QStringLiteral("127.0.0.1:50123");
    appendOne(makeEvent(4, 3, Direction::C2S, EventKind::Text, "up"), { proxied });
    QCOMPARE(cell(3, TimelineModel::ConnectionColumn).toString(), QStringLiteral("3 proxy"));
    QCOMPARE(cell(3, TimelineModel::ConnectionColumn, Qt::ToolTipRole).toString(),
        QStringLiteral("Connection 3 (proxy) wss://user@api.example.com/socket/chat, peer 127.0.0.1:50123"));
    QCOMPARE(cell(0, TimelineModel::ConnectionColumn, Qt::ToolTipRole).toString(),
        QStringLiteral("Connection 1 (client) ws://127.0.0.1:8765/"));
}

void TestTimelineModel::directionColumn_data()
{
    QTest::addColumn<int>("direction");
    QTest::addColumn<QString>("text");
    QTest::newRow("c2s") << int(Direction::C2S) << QStringLiteral("\u2192 c2s");
    QTest::newRow("s2c") << int(Direction::S2C) << QStringLiteral("\u2190 s2c");
    QTest::newRow("none") << int(Direction::None) << QString();
}

void TestTimelineModel::directionColumn()
{
    QFETCH(int, direction);
    QFETCH(QString, text);
    appendOne(makeEvent(1, 1, Direction(direction), EventKind::Text, "x"));
    QCOMPARE(cell(0, TimelineModel::DirectionColumn).toString(), text);
    QCOMPARE(cell(0, 0, TimelineModel::DirectionRole).toInt(), direction);
}

void TestTimelineModel::kindColumn_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("name");
    const char* names[] = { "open", "handshake-request", "handshake-response", "text", "binary", "ping", "pong",
        "close", "closed", "error", "note" };
    static_assert(std::size(names) == size_t(EventKindCount));
    for (int k = 0; k < EventKindCount; ++k)
        QTest::newRow(names[k]) << k << QString::fromLatin1(names[k]);
}

void TestTimelineModel::kindColumn()
{
    QFETCH(int, kind);
    QFETCH(QString, name);
    appendOne(makeEvent(1, 1, Direction::None, EventKind(kind), "x"));
    QCOMPARE(cell(0, TimelineModel::KindColumn).toString(), name);
    QCOMPARE(cell(0, 0, TimelineModel::KindRole).toInt(), kind);
}

void TestTimelineModel::sizeColumn()
{
    Event big = makeEvent(1, 1, Direction::S2C, EventKind::Binary, QByteArray(1234567, 'b'));
    appendOne(big);
    Event close = makeEvent(2, 1, Direction::C2S, EventKind::Close, "bye");
    close.closeCode = 1000;
    close.size = 5;
    appendOne(close);
    appendOne(makeEvent(3, 1, Direction::None, EventKind::Error, "refused"));
    appendOne(makeEvent(4, 1, Direction::C2S, EventKind::Ping, {}));

    QCOMPARE(cell(0, TimelineModel::SizeColumn).toString(), QLocale().toString(1234567));
    QCOMPARE(cell(1, TimelineModel::SizeColumn).toString(), QStringLiteral("5")); // wire size, not reason length
    QCOMPARE(cell(2, TimelineModel::SizeColumn).toString(), QString()); // not a frame
    QCOMPARE(cell(3, TimelineModel::SizeColumn).toString(), QStringLiteral("0"));
    QCOMPARE(cell(1, 0, TimelineModel::SizeRole).toLongLong(), 5);
    QVERIFY(cell(0, TimelineModel::SizeColumn, Qt::TextAlignmentRole).value<Qt::Alignment>() & Qt::AlignRight);
}

void TestTimelineModel::roles()
{
    const QByteArray payload = QByteArray(1024 * 1024, 'p') + QByteArray("\0end", 4);
    Event text = makeEvent(7, 3, Direction::S2C, EventKind::Text, payload);
    text.flags = FlagFin | FlagFragment;
    text.note = QStringLiteral("reassembled from 3 frames \u2713").toUtf8();
    Event close = makeEvent(8, 3, Direction::C2S, EventKind::Close, "going");
    close.closeCode = 1001;
    close.size = 7;
    CaptureBatch b;
    b.connections.push_back(makeConnection(3, ConnectionRole::Proxy));
    b.events = { text, close };
    m_model->append(b);

    for (int column = 0; column < TimelineModel::ColumnCount; ++column) {
        // Roles are the same whatever the column.
        QCOMPARE(cell(0, column, TimelineModel::KindRole).toInt(), int(EventKind::Text));
        QCOMPARE(cell(0, column, TimelineModel::DirectionRole).toInt(), int(Direction::S2C));
        QCOMPARE(cell(0, column, TimelineModel::ConnectionIdRole).toUInt(), 3u);
        QCOMPARE(cell(0, column, TimelineModel::SeqRole).toULongLong(), 7ull);
    }
    QCOMPARE(cell(0, 0, TimelineModel::TimestampUsRole).toLongLong(), text.timestampUs);
    QCOMPARE(cell(0, 0, TimelineModel::SizeRole).toLongLong(), qint64(payload.size()));
    QCOMPARE(cell(0, 0, TimelineModel::CloseCodeRole).toInt(), 0);
    QCOMPARE(cell(0, 0, TimelineModel::FlagsRole).toInt(), int(FlagFin | FlagFragment));
    // The payload role gives every byte, not the preview.
    const QByteArray got = cell(0, 0, TimelineModel::PayloadRole).toByteArray();
    QCOMPARE(got.size(), payload.size());
    QVERIFY(got == payload);
    QCOMPARE(cell(0, 0, TimelineModel::NoteRole).toString(), QStringLiteral("reassembled from 3 frames \u2713"));
    QCOMPARE(cell(0, TimelineModel::PreviewColumn, Qt::ToolTipRole).toString(),
        QStringLiteral("reassembled from 3 frames \u2713"));
    QCOMPARE(cell(0, 0, TimelineModel::ConnectionRoleRole).toInt(), int(ConnectionRole::Proxy));

    QCOMPARE(cell(1, 0, TimelineModel::CloseCodeRole).toInt(), 1001);
    QCOMPARE(cell(1, 0, TimelineModel::PayloadRole).toByteArray(), QByteArray("going"));
    QCOMPARE(cell(1, 0, TimelineModel::NoteRole).toString(), QString());
    QVERIFY(!cell(1, TimelineModel::PreviewColumn, Qt::ToolTipRole).isValid());
    QVERIFY(!cell(1, 0, Qt::DecorationRole).isValid());
}

void TestTimelineModel::headers()
{
    QCOMPARE(m_model->columnCount(), int(TimelineModel::ColumnCount));
    for (int column = 0; column < TimelineModel::ColumnCount; ++column)
        QVERIFY(!m_model->headerData(column, Qt::Horizontal).toString().isEmpty());
    QCOMPARE(m_model->headerData(TimelineModel::KindColumn, Qt::Horizontal).toString(), QStringLiteral("Kind"));
    QVERIFY(!m_model->headerData(TimelineModel::ColumnCount, Qt::Horizontal).isValid());
    QVERIFY(!m_model->headerData(0, Qt::Vertical).isValid());
}

void TestTimelineModel::invalidIndexes()
{
    appendOne(makeEvent(1, 1, Direction::C2S, EventKind::Text, "x"));
    // An invalid index gives an empty value, quietly: views ask for them routinely.
    QTest::failOnWarning(QRegularExpression(QStringLiteral(".*")));
    QVERIFY(!m_model->data(QModelIndex()).isValid());
    QVERIFY(!m_model->index(1, 0).isValid());
    QVERIFY(!m_model->index(0, TimelineModel::ColumnCount).isValid());
    // A table: no children under a row.
    QCOMPARE(m_model->rowCount(m_model->index(0, 0)), 0);
    QCOMPARE(m_model->columnCount(m_model->index(0, 0)), 0);
}

void TestTimelineModel::preview_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<int>("closeCode");
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QString>("expected");

    const int text = int(EventKind::Text);
    QTest::newRow("plain text") << text << 0 << QByteArray("hello") << QStringLiteral("hello");
    QTest::newRow("empty text") << text << 0 << QByteArray() << QString();
    QTest::newRow("newline, tab, CR") << text << 0 << QByteArray("a\nb\tc\rd") << QStringLiteral("a\\nb\\tc\\rd");
    QTest::newRow("control chars") << text << 0 << QByteArray("\x01x\x1f\x7f", 4) << QStringLiteral("\\x01x\\x1f\\x7f");
    QTest::newRow("NUL") << text << 0 << QByteArray("a\0b", 3) << QStringLiteral("a\\x00b");
    QTest::newRow("UTF-8") << text << 0 << QStringLiteral("caf\u00e9 \u20ac").toUtf8()
                           << QStringLiteral("caf\u00e9 \u20ac");
    QTest::newRow("JSON") << text << 0 << QByteArray("{\"type\":\"chat\",\"text\":\"hi\"}")
                          << QStringLiteral("{\"type\":\"chat\",\"text\":\"hi\"}");
    QTest::newRow("exactly 200 chars") << text << 0 << QByteArray(200, 'a') << QString(200, u'a');
    QTest::newRow("201 chars are cut") << text << 0 << QByteArray(201, 'a') << QString(200, u'a') + Ellipsis;
    QTest::newRow("1 MiB is cut") << text << 0 << QByteArray(1024 * 1024, 'm') << QString(200, u'm') + Ellipsis;
    QTest::newRow("300 two-byte chars") << text << 0 << QStringLiteral("\u00e9").toUtf8().repeated(300)
                                        << QString(200, u'\u00e9') + Ellipsis;
    QTest::newRow("newline after the cut")
        << text << 0 << QByteArray(200, 'a') + "\nrest" << QString(200, u'a') + Ellipsis;
    // A cut never splits an escape sequence or a surrogate pair.
    QTest::newRow("escape at the cut") << text << 0 << QByteArray(199, 'a') + "\nb" << QString(199, u'a') + Ellipsis;
    QTest::newRow("escape ends the text at 201") << text << 0 << QByteArray(199, 'a') + "\n"
                                                 << QString(199, u'a') + Ellipsis;
    QTest::newRow("control escape at the cut") << text << 0
                                               << QByteArray(198, 'a')
            + "\x01"
              "bc" << QString(198, u'a') + Ellipsis;
    QTest::newRow("surrogate pair at the cut")
        << text << 0 << QByteArray(199, 'a') + utf8Of(0x1F600) + "b" << QString(199, u'a') + Ellipsis;
    QTest::newRow("surrogate pair before the cut") << text << 0 << QByteArray(198, 'a') + utf8Of(0x1F600) + "b"
                                                   << QString(198, u'a') + QStringView(u"\U0001F600") + Ellipsis;
    QTest::newRow("note") << int(EventKind::Note) << 0 << QByteArray("paused\n") << QStringLiteral("paused\\n");
    QTest::newRow("error") << int(EventKind::Error) << 0 << QByteArray("connection refused")
                           << QStringLiteral("connection refused");

    const int binary = int(EventKind::Binary);
    QTest::newRow("binary as hex") << binary << 0 << QByteArray("\x00\x01\xff", 3) << QStringLiteral("00 01 ff");
    QTest::newRow("binary text is still hex") << binary << 0 << QByteArray("AB") << QStringLiteral("41 42");
    QTest::newRow("empty binary") << binary << 0 << QByteArray() << QString();
    QTest::newRow("66 bytes fit") << binary << 0 << QByteArray(66, '\x0f')
                                  << QStringLiteral("0f ").repeated(66).chopped(1);
    QTest::newRow("long binary is cut") << binary << 0 << QByteArray(1000, '\xab')
                                        << QStringLiteral("ab ").repeated(66).chopped(1) + Ellipsis;

    QTest::newRow("ping text") << int(EventKind::Ping) << 0 << QByteArray("Hello") << QStringLiteral("Hello");
    QTest::newRow("ping bytes") << int(EventKind::Ping) << 0 << QByteArray("\xff\xfe\x01", 3)
                                << QStringLiteral("ff fe 01");
    QTest::newRow("ping of control chars is cut like text")
        << int(EventKind::Ping) << 0 << QByteArray(60, '\x01') << QStringLiteral("\\x01").repeated(50) + Ellipsis;
    QTest::newRow("empty pong") << int(EventKind::Pong) << 0 << QByteArray() << QString();

    const int close = int(EventKind::Close);
    QTest::newRow("close with reason") << close << 1000 << QByteArray("bye")
                                       << QStringLiteral("1000 normal closure: bye");
    QTest::newRow("close without reason") << close << 1001 << QByteArray() << QStringLiteral("1001 going away");
    QTest::newRow("close too big") << close << 1009 << QByteArray() << QStringLiteral("1009 message too big");
    QTest::newRow("close without code") << close << 0 << QByteArray() << QStringLiteral("(no code)");
    QTest::newRow("application code") << close << 4000 << QByteArray("kicked") << QStringLiteral("4000: kicked");
    QTest::newRow("close reason escaped")
        << close << 1000 << QByteArray("a\nb") << QStringLiteral("1000 normal closure: a\\nb");

    QTest::newRow("handshake request") << int(EventKind::HandshakeRequest) << 0
                                       << QByteArray("GET /chat?x=1 HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n")
                                       << QStringLiteral("GET /chat?x=1 HTTP/1.1");
    QTest::newRow("handshake response") << int(EventKind::HandshakeResponse) << 0
                                        << QByteArray("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")
                                        << QStringLiteral("HTTP/1.1 101 Switching Protocols");
}

void TestTimelineModel::pongShowsItsRoundTrip()
{
    Event e = makeEvent(1, 1, Direction::S2C, EventKind::Pong, "keep-alive 3");
    e.note = "round trip 0.420 ms";
    appendOne(e);
    QCOMPARE(
        cell(0, TimelineModel::PreviewColumn).toString(), QStringLiteral("keep-alive 3  \u00b7 round trip 0.420 ms"));
}

void TestTimelineModel::preview()
{
    QFETCH(int, kind);
    QFETCH(int, closeCode);
    QFETCH(QByteArray, payload);
    QFETCH(QString, expected);

    Event e = makeEvent(1, 1, Direction::C2S, EventKind(kind), payload);
    e.closeCode = quint16(closeCode);
    appendOne(e);
    const QString shown = cell(0, TimelineModel::PreviewColumn).toString();
    QCOMPARE(shown, expected);
    QVERIFY(shown.size() <= TimelineModel::PreviewChars + 1);
    // The model shows what the headless printer prints.
    QCOMPARE(shown, eventPreview(EventKind(kind), quint16(closeCode), payload, TimelineModel::PreviewChars));
}

QTEST_GUILESS_MAIN(TestTimelineModel)
#include "tst_timelinemodel.moc"
