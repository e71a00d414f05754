// ReplayCompare: recorded against received, by index, with JSON paths and ignore patterns, and the lines
// `replay --expect` prints.

#include "replay/replaycompare.h"

#include <QTest>

using namespace wsi;

namespace {

ReplayMessage text(const char* payload)
{
    ReplayMessage m;
    m.direction = Direction::S2C;
    m.text = true;
    m.payload = QByteArray(payload);
    return m;
}

ReplayMessage binary(const QByteArray& payload)
{
    ReplayMessage m;
    m.direction = Direction::S2C;
    m.text = false;
    m.payload = payload;
    return m;
}

ReplayCompare comparer(const QStringList& ignore)
{
    QList<JsonPathPattern> patterns;
    QString error;
    if (!ReplayCompare::parseIgnorePaths(ignore, &patterns, &error))
        qFatal("bad ignore path in the test: %s", qPrintable(error));
    return ReplayCompare(patterns);
}

} // namespace

class TestReplayCompare : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void message_data();
    void message();
    void manyPathsAreCounted();
    void wholeRun();
    void extraAndMissingRows();
    void emptyRuns();
    void parseIgnorePathsNamesTheBadOne();
    void alignment_data();
    void alignment();
};

void TestReplayCompare::message_data()
{
    QTest::addColumn<ReplayMessage>("recorded");
    QTest::addColumn<ReplayMessage>("received");
    QTest::addColumn<QStringList>("ignore");
    QTest::addColumn<bool>("equal");
    QTest::addColumn<QStringList>("lines"); // describe(), index 2 (message 3)

    auto row = [](const char* name, ReplayMessage a, ReplayMessage b, QStringList ignore, bool equal,
                   QStringList lines) { QTest::newRow(name) << a << b << ignore << equal << lines; };
    const QStringList none;
    row("same text", text("hello"), text("hello"), none, true, {});
    row("same bytes, not JSON", text("{broken"), text("{broken"), none, true, {});
    row("same binary", binary(QByteArray("\x00\x01", 2)), binary(QByteArray("\x00\x01", 2)), none, true, {});
    row("json key order", text("{\"a\":1,\"b\":2}"), text("{\"b\":2,\"a\":1}"), none, true, {});
    row("json spacing", text("{\"a\": [1, 2]}"), text("{\"a\":[1,2]}"), none, true, {});
    row("json number spelling", text("{\"p\":10}"), text("{\"p\":10.0}"), none, true, {});
    row("json exponent", text("[1e2]"), text("[100]"), none, true, {});
    row("scalar json", text("42"), text(" 42 "), none, true, {});
    row("json value", text("{\"price\":10}"), text("{\"price\":12}"), none, false,
        { QStringLiteral("message 3 differs at $.price: recorded 10, received 12") });
    row("json string value", text("{\"s\":\"a\"}"), text("{\"s\":\"b\"}"), none, false,
        { QStringLiteral("message 3 differs at $.s: recorded \"a\", received \"b\"") });
    row("json nested", text("{\"items\":[{\"price\":1},{\"price\":2},{\"price\":3}]}"),
        text("{\"items\":[{\"price\":1},{\"price\":2},{\"price\":4}]}"), none, false,
        { QStringLiteral("message 3 differs at $.items[2].price: recorded 3, received 4") });
    row("json several", text("{\"a\":1,\"b\":2,\"c\":3}"), text("{\"a\":0,\"b\":2,\"c\":0}"), none, false,
        { QStringLiteral("message 3 differs at $.a: recorded 1, received 0"),
            QStringLiteral("message 3 differs at $.c: recorded 3, received 0") });
    row("json member missing", text("{\"a\":1,\"b\":2}"), text("{\"a\":1}"), none, false,
        { QStringLiteral("message 3 differs at $.b: recorded 2, received (absent)") });
    row("json member added", text("{\"a\":1}"), text("{\"a\":1,\"z\":{\"k\":[1]}}"), none, false,
        { QStringLiteral("message 3 differs at $.z: recorded (absent), received {\"k\":[1]}") });
    row("json array longer", text("[1,2]"), text("[1,2,3]"), none, false,
        { QStringLiteral("message 3 differs at $[2]: recorded (absent), received 3") });
    row("json array shorter", text("{\"l\":[1,2]}"), text("{\"l\":[1]}"), none, false,
        { QStringLiteral("message 3 differs at $.l[1]: recorded 2, received (absent)") });
    row("json type change", text("{\"id\":1}"), text("{\"id\":\"1\"}"), none, false,
        { QStringLiteral("message 3 differs at $.id: recorded 1, received \"1\"") });
    row("json null vs value", text("{\"x\":null}"), text("{\"x\":false}"), none, false,
        { QStringLiteral("message 3 differs at $.x: recorded null, received false") });
    row("json root type", text("[1]"), text("{\"0\":1}"), none, false,
        { QStringLiteral("message 3 differs at $: recorded [1], received {\"0\":1}") });
    row("json odd key", text("{\"display name\":\"a\"}"), text("{\"display name\":\"b\"}"), none, false,
        { QStringLiteral("message 3 differs at $[\"display name\"]: recorded \"a\", received \"b\"") });
    row("json long value cut",
        text(
            "{\"v\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}"),
        text("{\"v\":1}"), none, false,
        { QStringLiteral(
            "message 3 differs at $.v: recorded "
            "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\u2026, received 1") });

    // Ignore paths.
    row("ignored member", text("{\"ts\":1,\"v\":2}"), text("{\"ts\":9,\"v\":2}"), { QStringLiteral("$.ts") }, true, {});
    row("ignored member, another differs", text("{\"ts\":1,\"v\":2}"), text("{\"ts\":9,\"v\":3}"),
        { QStringLiteral("$.ts") }, false, { QStringLiteral("message 3 differs at $.v: recorded 2, received 3") });
    row("ignored wildcard", text("{\"items\":[{\"id\":1,\"n\":\"a\"},{\"id\":2,\"n\":\"b\"}]}"),
        text("{\"items\":[{\"id\":7,\"n\":\"a\"},{\"id\":8,\"n\":\"b\"}]}"), { QStringLiteral("$.items[*].id") }, true,
        {});
    row("wildcard leaves the rest", text("{\"items\":[{\"id\":1,\"n\":\"a\"}]}"),
        text("{\"items\":[{\"id\":7,\"n\":\"z\"}]}"), { QStringLiteral("$.items[*].id") }, false,
        { QStringLiteral("message 3 differs at $.items[0].n: recorded \"a\", received \"z\"") });
    row("ignored subtree", text("{\"meta\":{\"id\":1,\"at\":2},\"v\":1}"), text("{\"meta\":{\"id\":5},\"v\":1}"),
        { QStringLiteral("$.meta") }, true, {});
    row("ignored at any depth", text("{\"a\":{\"b\":[{\"ts\":1}]},\"ts\":2}"),
        text("{\"a\":{\"b\":[{\"ts\":3}]},\"ts\":4}"), { QStringLiteral("$..ts") }, true, {});
    row("ignored absent member", text("{\"v\":1}"), text("{\"v\":1,\"requestId\":\"x\"}"),
        { QStringLiteral("$.requestId") }, true, {});
    row("ignored array element", text("[1,2,3]"), text("[1,9,3]"), { QStringLiteral("$[1]") }, true, {});
    row("several ignore paths", text("{\"ts\":1,\"id\":2,\"v\":3}"), text("{\"ts\":4,\"id\":5,\"v\":3}"),
        { QStringLiteral("$.ts"), QStringLiteral("$.id") }, true, {});
    row("ignore paths do not apply to text", text("ts=1"), text("ts=2"), { QStringLiteral("$") }, false,
        { QStringLiteral("message 3 differs at byte 3: recorded \"ts=1\", received \"ts=2\"") });
    row("root ignored", text("{\"a\":1}"), text("{\"a\":2}"), { QStringLiteral("$") }, true, {});

    // Not JSON on both sides: bytes.
    row("text", text("hello world"), text("hello there"), none, false,
        { QStringLiteral("message 3 differs at byte 6: recorded \"hello world\", received \"hello there\"") });
    row("text, far in", text("0123456789abcdefXYZ"), text("0123456789abcdefxyz"), none, false,
        { QStringLiteral(
            "message 3 differs at byte 16: recorded \"\u202689abcdefXYZ\", received \"\u202689abcdefxyz\"") });
    row("text prefix", text("abc"), text("abcd"), none, false,
        { QStringLiteral("message 3 differs at byte 3: recorded \"abc\", received \"abcd\"") });
    row("json and not json", text("{\"a\":1}"), text("{\"a\":1"), none, false,
        { QStringLiteral("message 3 differs at byte 6: recorded \"{\"a\":1}\", received \"{\"a\":1\"") });
    row("two json values are not one", text("[1,2]"), text("1,2"), none, false,
        { QStringLiteral("message 3 differs at byte 0: recorded \"[1,2]\", received \"1,2\"") });
    row("control characters escaped", text("a\nb"), text("a\tb"), none, false,
        { QStringLiteral("message 3 differs at byte 1: recorded \"a\\nb\", received \"a\\tb\"") });
    row("binary", binary(QByteArray("\x00\x01\x02", 3)), binary(QByteArray("\x00\x01\x03", 3)), none, false,
        { QStringLiteral("message 3 differs at byte 2: recorded 00 01 02, received 00 01 03") });
    row("binary json is still bytes", binary("{\"a\":1}"), binary("{\"a\":2}"), none, false,
        { QStringLiteral(
            "message 3 differs at byte 5: recorded 7b 22 61 22 3a 31 7d, received 7b 22 61 22 3a 32 7d") });

    // Kinds.
    row("text vs binary", text("ab"), binary("ab"), none, false,
        { QStringLiteral("message 3 differs: recorded text \"ab\", received binary 61 62") });
}

void TestReplayCompare::message()
{
    QFETCH(ReplayMessage, recorded);
    QFETCH(ReplayMessage, received);
    QFETCH(QStringList, ignore);
    QFETCH(bool, equal);
    QFETCH(QStringList, lines);
    const ReplayCompareRow row = comparer(ignore).compareMessage(2, recorded, received);
    QCOMPARE(row.index, 2);
    QCOMPARE(row.status, equal ? ReplayCompareRow::Status::Equal : ReplayCompareRow::Status::Differ);
    QCOMPARE(row.describe(), lines);
    QCOMPARE(row.recorded.payload, recorded.payload);
    QCOMPARE(row.received.payload, received.payload);
}

void TestReplayCompare::manyPathsAreCounted()
{
    QByteArray a = "{";
    QByteArray b = "{";
    for (int i = 0; i < 80; ++i) {
        const QByteArray key = "\"k" + QByteArray::number(1000 + i) + "\":";
        a += (i ? "," : "") + key + "1";
        b += (i ? "," : "") + key + "2";
    }
    a += '}';
    b += '}';
    const ReplayCompareRow row = ReplayCompare().compareMessage(0, text(a.constData()), text(b.constData()));
    QCOMPARE(row.status, ReplayCompareRow::Status::Differ);
    QVERIFY(row.bothJson);
    QCOMPARE(row.differences.size(), ReplayCompare::MaxPathsPerMessage);
    QCOMPARE(row.moreDifferences, 80 - ReplayCompare::MaxPathsPerMessage);
    QCOMPARE(row.differences.first().path, QStringLiteral("$.k1000"));
    QCOMPARE(row.describe().last(), QStringLiteral("message 1 differs at 30 more paths"));
}

void TestReplayCompare::wholeRun()
{
    const QList<ReplayMessage> recorded
        = { text("{\"seq\":1,\"ts\":100}"), text("{\"seq\":2,\"ts\":200}"), text("done"), binary("\x01") };
    const QList<ReplayMessage> received
        = { text("{\"ts\":111,\"seq\":1}"), text("{\"seq\":3,\"ts\":222}"), text("done"), binary("\x01") };
    const ReplayComparison plain = ReplayCompare().compare(recorded, received);
    QCOMPARE(plain.rows.size(), 4);
    QCOMPARE(plain.equal, 2);
    QCOMPARE(plain.differ, 2);
    QVERIFY(!plain.matches());
    QCOMPARE(plain.summary(), QStringLiteral("4 messages: 2 equal, 2 differ"));
    QCOMPARE(plain.rows[0].describe(),
        QStringList({ QStringLiteral("message 1 differs at $.ts: recorded 100, received 111") }));
    QCOMPARE(plain.rows[1].describe(),
        QStringList({ QStringLiteral("message 2 differs at $.seq: recorded 2, received 3"),
            QStringLiteral("message 2 differs at $.ts: recorded 200, received 222") }));

    const ReplayComparison ignoringTs = comparer({ QStringLiteral("$.ts") }).compare(recorded, received);
    QCOMPARE(ignoringTs.equal, 3);
    QCOMPARE(ignoringTs.differ, 1);
    QCOMPARE(ignoringTs.summary(), QStringLiteral("4 messages: 3 equal, 1 differs"));
    QCOMPARE(ignoringTs.rows[1].differences.size(), 1);
    QCOMPARE(ignoringTs.rows[1].differences.first().path, QStringLiteral("$.seq"));

    const ReplayComparison ignoringBoth
        = comparer({ QStringLiteral("$.ts"), QStringLiteral("$.seq") }).compare(recorded, received);
    QVERIFY(ignoringBoth.matches());
    QCOMPARE(ignoringBoth.summary(), QStringLiteral("4 messages: 4 equal"));
}

void TestReplayCompare::extraAndMissingRows()
{
    const QList<ReplayMessage> three = { text("a"), text("b"), text("c") };
    const QList<ReplayMessage> one = { text("a") };
    const ReplayComparison missing = ReplayCompare().compare(three, one);
    QCOMPARE(missing.rows.size(), 3);
    QCOMPARE(missing.equal, 1);
    QCOMPARE(missing.missing, 2);
    QCOMPARE(missing.rows[1].status, ReplayCompareRow::Status::Missing);
    QCOMPARE(missing.rows[1].index, 1);
    QCOMPARE(missing.rows[1].recorded.payload, QByteArray("b"));
    QCOMPARE(missing.rows[2].describe(), QStringList({ QStringLiteral("message 3 is missing (recorded: \"c\")") }));
    QCOMPARE(missing.summary(), QStringLiteral("3 messages: 1 equal, 2 missing"));

    const ReplayComparison extra = ReplayCompare().compare(one, three);
    QCOMPARE(extra.extra, 2);
    QCOMPARE(extra.rows[2].status, ReplayCompareRow::Status::Extra);
    QCOMPARE(extra.rows[2].received.payload, QByteArray("c"));
    QCOMPARE(extra.rows[1].describe(), QStringList({ QStringLiteral("message 2 is extra (received: \"b\")") }));
    QCOMPARE(extra.summary(), QStringLiteral("3 messages: 1 equal, 2 extra"));
    QVERIFY(!extra.matches());
}

void TestReplayCompare::emptyRuns()
{
    const ReplayComparison nothing = ReplayCompare().compare({}, {});
    QVERIFY(nothing.matches());
    QCOMPARE(nothing.rows.size(), 0);
    QCOMPARE(nothing.summary(), QStringLiteral("0 messages: 0 equal"));
    const ReplayComparison one = ReplayCompare().compare({ text("x") }, { text("x") });
    QCOMPARE(one.summary(), QStringLiteral("1 message: 1 equal"));
}

void TestReplayCompare::parseIgnorePathsNamesTheBadOne()
{
    QList<JsonPathPattern> patterns;
    QString error;
    QVERIFY(ReplayCompare::parseIgnorePaths({ QStringLiteral("$.ts"), QStringLiteral("$..id") }, &patterns, &error));
    QCOMPARE(patterns.size(), 2);
    QCOMPARE(patterns[1].text(), QStringLiteral("$..id"));
    QVERIFY(!ReplayCompare::parseIgnorePaths({ QStringLiteral("$.ts"), QStringLiteral("id") }, &patterns, &error));
    QVERIFY2(error.contains(QStringLiteral("\u201cid\u201d")), qPrintable(error));
    QCOMPARE(patterns.size(), 2); // untouched on failure
}

// "payload@k": a text message that followed k client messages (recorded) or arrived after k were sent (received).
QList<ReplayMessage> messages(const QStringList& specs)
{
    QList<ReplayMessage> out;
    for (const QString& spec : specs) {
        const qsizetype at = spec.lastIndexOf(u'@');
        ReplayMessage m = text(spec.left(at).toUtf8().constData());
        m.c2sBefore = spec.mid(at + 1).toInt();
        out.append(m);
    }
    return out;
}

void TestReplayCompare::alignment_data()
{
    QTest::addColumn<QStringList>("recorded");
    QTest::addColumn<QStringList>("received");
    QTest::addColumn<QString>("rows"); // = equal, ~ differs, - missing, + extra
    QTest::addColumn<QString>("summary");
    auto row = [](const char* name, const char* recorded, const char* received, const char* rows, const char* summary) {
        QTest::newRow(name) << QString::fromUtf8(recorded).split(u' ', Qt::SkipEmptyParts)
                            << QString::fromUtf8(received).split(u' ', Qt::SkipEmptyParts) << QString::fromUtf8(rows)
                            << QString::fromUtf8(summary);
    };
    row("same", "a@1 b@2 c@3", "a@1 b@2 c@3", "===", "3 messages: 3 equal");
    // By index alone: "b differs from a, c from b, d from c, d missing", four rows wrong for one reply.
    row("the first reply dropped", "a@1 b@2 c@3 d@4", "b@2 c@3 d@4", "-===", "4 messages: 3 equal, 1 missing");
    row("a middle reply dropped", "a@1 b@2 c@3 d@4", "a@1 c@3 d@4", "=-==", "4 messages: 3 equal, 1 missing");
    row("the last reply dropped", "a@1 b@2 c@3", "a@1 b@2", "==-", "3 messages: 2 equal, 1 missing");
    row("one extra in the middle", "a@1 b@2 c@3", "a@1 x@1 b@2 c@3", "=+==", "4 messages: 3 equal, 1 extra");
    row("two replies dropped in a row", "a@1 b@2 c@3 d@4", "a@1 d@4", "=--=", "4 messages: 2 equal, 2 missing");
    row("repeated replies", "ok@1 ok@2 done@3", "ok@1 done@3", "=-=", "3 messages: 2 equal, 1 missing");
    // Nothing equal anywhere ahead: the pairs stay pairs and differ.
    row("changed values", "{\"p\":1}@1 {\"p\":2}@2", "{\"p\":3}@1 {\"p\":4}@2", "~~", "2 messages: 0 equal, 2 differ");
    // As fast as possible, every reply arrives after the last send: later than recorded is fine.
    row("replies after every send", "a@1 b@2 c@3", "a@3 b@3 c@3", "===", "3 messages: 3 equal");
    // Before the client message it followed was even sent, it cannot be that reply.
    row("a reply too early", "a@1", "a@0", "+-", "2 messages: 0 equal, 1 missing, 1 extra");
    row("a greeting, then a dropped reply", "hi@0 a@1 b@2", "hi@0 b@2", "=-=", "3 messages: 2 equal, 1 missing");
}

void TestReplayCompare::alignment()
{
    QFETCH(QStringList, recorded);
    QFETCH(QStringList, received);
    QFETCH(QString, rows);
    QFETCH(QString, summary);
    const ReplayComparison result = ReplayCompare().compare(messages(recorded), messages(received));
    QString seen;
    for (const ReplayCompareRow& row : result.rows) {
        switch (row.status) {
        case ReplayCompareRow::Status::Equal:
            seen += u'=';
            break;
        case ReplayCompareRow::Status::Differ:
            seen += u'~';
            break;
        case ReplayCompareRow::Status::Missing:
            seen += u'-';
            QCOMPARE(row.receivedIndex, -1);
            break;
        case ReplayCompareRow::Status::Extra:
            seen += u'+';
            break;
        }
    }
    QCOMPARE(seen, rows);
    QCOMPARE(result.summary(), summary);
    // Each recorded and each received message is in exactly one row, in its own order.
    int lastRecorded = -1;
    int lastReceived = -1;
    for (const ReplayCompareRow& row : result.rows) {
        if (row.status != ReplayCompareRow::Status::Extra) {
            QCOMPARE(row.index, lastRecorded + 1);
            lastRecorded = row.index;
        }
        if (row.status != ReplayCompareRow::Status::Missing) {
            QCOMPARE(row.receivedIndex, lastReceived + 1);
            lastReceived = row.receivedIndex;
        }
    }
    QCOMPARE(lastRecorded, int(recorded.size()) - 1);
    QCOMPARE(lastReceived, int(received.size()) - 1);
}

QTEST_GUILESS_MAIN(TestReplayCompare)
#include "tst_replaycompare.moc"
