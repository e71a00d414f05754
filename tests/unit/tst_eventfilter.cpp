#include "core/eventfilter.h"

#include <QTest>

#include <atomic>
#include <thread>

using namespace wsi;

namespace {

Event makeEvent(EventKind kind, Direction direction, quint32 connection, QByteArray payload, QByteArray note = {})
{
    Event e;
    e.seq = 1;
    e.timestampUs = 1763805600123456;
    e.connection = connection;
    e.direction = direction;
    e.kind = kind;
    e.size = payload.size();
    e.payload = std::move(payload);
    e.note = std::move(note);
    return e;
}

Event text(QByteArray payload, QByteArray note = {})
{
    return makeEvent(EventKind::Text, Direction::C2S, 1, std::move(payload), std::move(note));
}

FilterSpec textSpec(const QString& text, bool caseSensitive = false, bool regex = false)
{
    FilterSpec spec;
    spec.text = text;
    spec.caseSensitive = caseSensitive;
    spec.regex = regex;
    return spec;
}

FilterSpec regexSpec(const QString& pattern, bool caseSensitive = false)
{
    return textSpec(pattern, caseSensitive, true);
}

FilterSpec kindSpec(std::initializer_list<EventKind> kinds)
{
    FilterSpec spec;
    spec.kinds = 0;
    for (EventKind k : kinds)
        spec.kinds |= FilterSpec::kindBit(k);
    return spec;
}

FilterSpec directionSpec(std::initializer_list<Direction> directions)
{
    FilterSpec spec;
    spec.directions = 0;
    for (Direction d : directions)
        spec.directions |= FilterSpec::directionBit(d);
    return spec;
}

FilterSpec connectionSpec(const QList<quint32>& connections)
{
    FilterSpec spec;
    spec.connections = connections;
    return spec;
}

const QByteArray HandshakeHead = "GET /chat HTTP/1.1\r\nHost: 127.0.0.1:8765\r\nUpgrade: websocket\r\n"
                                 "Sec-WebSocket-Protocol: chat.v2, superchat\r\nOrigin: http://example.com\r\n\r\n";

// Rows of the filtered store, for collect().
std::vector<int> everyMatch(const EventFilter& filter, const EventStore& store)
{
    std::vector<int> out;
    for (qsizetype row = 0; row < store.count(); ++row) {
        if (filter.matches(store, row))
            out.push_back(int(row));
    }
    return out;
}

std::vector<Event> mixedEvents(int n)
{
    static const char* const words[] = { "alpha", "Beta", "GAMMA", "d\xc3\xa9j\xc3\xa0 vu", "" };
    std::vector<Event> out;
    for (int i = 0; i < n; ++i) {
        const EventKind kind = i % 7 == 0 ? EventKind::Binary : (i % 11 == 0 ? EventKind::Note : EventKind::Text);
        const Direction dir = kind == EventKind::Note ? Direction::None : (i % 2 ? Direction::C2S : Direction::S2C);
        QByteArray payload = QByteArray("{\"n\":") + QByteArray::number(i) + ",\"w\":\"" + words[i % 5] + "\"}";
        out.push_back(makeEvent(kind, dir, quint32(i % 4 + 1), payload, i % 13 == 0 ? "noted" : QByteArray()));
    }
    return out;
}

} // namespace

class TestEventFilter : public QObject
{
    Q_OBJECT

private slots:
    void matches_data();
    void matches();
    void emptySpecPassesEverything();
    void invalidRegex_data();
    void invalidRegex();
    void unicodePropertiesOnlyWhenNeeded();
    void collectMatchesRowByRow();
    void collectStops();
    void collectStopsOftenOnCostlyRows();
    void pathologicalRegexGivesUp_data();
    void pathologicalRegexGivesUp();
    void matchLimitIsBelowPcreDefault();
    void ordinaryRegexOnBigPayloads_data();
    void ordinaryRegexOnBigPayloads();
    void sharedAcrossThreads();
};

void TestEventFilter::matches_data()
{
    QTest::addColumn<FilterSpec>("spec");
    QTest::addColumn<Event>("event");
    QTest::addColumn<bool>("expected");

    // Substring, case-sensitive: bytes as they are.
    QTest::newRow("cs: found") << textSpec(QStringLiteral("Hello"), true) << text("say Hello there") << true;
    QTest::newRow("cs: other case") << textSpec(QStringLiteral("hello"), true) << text("say Hello there") << false;
    QTest::newRow("cs: at start") << textSpec(QStringLiteral("say"), true) << text("say Hello") << true;
    QTest::newRow("cs: at end") << textSpec(QStringLiteral("llo"), true) << text("say Hello") << true;
    QTest::newRow("cs: cut at end") << textSpec(QStringLiteral("lloo"), true) << text("say Hello") << false;
    QTest::newRow("cs: whole payload") << textSpec(QStringLiteral("abc"), true) << text("abc") << true;
    QTest::newRow("cs: longer than payload") << textSpec(QStringLiteral("abcd"), true) << text("abc") << false;
    QTest::newRow("cs: non-ASCII") << textSpec(QStringLiteral("caf\u00e9"), true) << text("un caf\xc3\xa9 noir")
                                   << true;
    QTest::newRow("cs: non-ASCII other case")
        << textSpec(QStringLiteral("CAF\u00c9"), true) << text("un caf\xc3\xa9 noir") << false;
    QTest::newRow("cs: after NUL bytes") << textSpec(QStringLiteral("xyz"), true)
                                         << makeEvent(EventKind::Binary, Direction::S2C, 1, QByteArray("\0\0xyz", 5))
                                         << true;

    // Substring, case-insensitive, ASCII needle: folded byte by byte.
    QTest::newRow("ci: lower needle") << textSpec(QStringLiteral("hello")) << text("HELLO world") << true;
    QTest::newRow("ci: upper needle") << textSpec(QStringLiteral("WORLD")) << text("hello world") << true;
    QTest::newRow("ci: mixed") << textSpec(QStringLiteral("wOrLd")) << text("Hello World!") << true;
    QTest::newRow("ci: absent") << textSpec(QStringLiteral("planet")) << text("hello world") << false;
    QTest::newRow("ci: partial at end") << textSpec(QStringLiteral("worlds")) << text("hello world") << false;
    QTest::newRow("ci: repeated first letter") << textSpec(QStringLiteral("aab")) << text("AAAAB") << true;
    QTest::newRow("ci: digits only") << textSpec(QStringLiteral("1234")) << text("id 01234") << true;
    QTest::newRow("ci: digits absent") << textSpec(QStringLiteral("1235")) << text("id 01234") << false;
    QTest::newRow("ci: punctuation") << textSpec(QStringLiteral("\"type\":")) << text("{\"TYPE\":1,\"type\":2}")
                                     << true;
    // An ASCII needle must not match a non-ASCII letter by folding its bytes.
    QTest::newRow("ci: ASCII e vs \u00c9") << textSpec(QStringLiteral("e")) << text("\xc3\x89") << false;
    QTest::newRow("ci: ASCII needle in UTF-8 text")
        << textSpec(QStringLiteral("VU")) << text("d\xc3\xa9j\xc3\xa0 vu") << true;
    QTest::newRow("ci: invalid UTF-8 around") << textSpec(QStringLiteral("ok")) << text("\xff\xfe OK \xc3") << true;

    // Case-insensitive, non-ASCII needle: decoded and compared as text.
    QTest::newRow("ci: \u00e9 vs \u00c9")
        << textSpec(QStringLiteral("caf\u00e9")) << text("UN CAF\xc3\x89 NOIR") << true;
    QTest::newRow("ci: \u00c4RGER vs \u00e4rger")
        << textSpec(QStringLiteral("\u00c4RGER")) << text("kein \xc3\xa4rger") << true;
    QTest::newRow("ci: Greek") << textSpec(QStringLiteral("\u03a3\u039f\u03a6\u0399\u0391"))
                               << text("\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1") << true;
    QTest::newRow("ci: non-ASCII absent") << textSpec(QStringLiteral("\u00fcber")) << text("uber alles") << false;
    QTest::newRow("ci: non-ASCII in invalid UTF-8")
        << textSpec(QStringLiteral("\u00e9t\u00e9")) << text("\xff\xc3\xa9t\xc3\xa9\xfe") << true;
    QTest::newRow("ci: non-ASCII longer than payload")
        << textSpec(QStringLiteral("\u00e9t\u00e9!")) << text("\xc3\xa9") << false;
    // The Kelvin sign folds to an ASCII k: a non-ASCII needle can match an all-ASCII payload.
    QTest::newRow("ci: Kelvin sign vs k") << textSpec(QStringLiteral("\u212Aelvin")) << text("300 KELVIN") << true;
    QTest::newRow("ci: \u00e9 vs ASCII e") << textSpec(QStringLiteral("caf\u00e9")) << text("le cafe") << false;
    QTest::newRow("ci: emoji") << textSpec(QStringLiteral("\U0001F600 hi")) << text("x \xf0\x9f\x98\x80 HI") << true;

    // Regular expressions, matched against the decoded text.
    QTest::newRow("re: anchored") << regexSpec(QStringLiteral("^hel+o$")) << text("hello") << true;
    QTest::newRow("re: anchored, more text") << regexSpec(QStringLiteral("^hel+o$")) << text("hello!") << false;
    QTest::newRow("re: case-insensitive") << regexSpec(QStringLiteral("^HELLO")) << text("hello") << true;
    QTest::newRow("re: case-sensitive") << regexSpec(QStringLiteral("^HELLO"), true) << text("hello") << false;
    QTest::newRow("re: alternation") << regexSpec(QStringLiteral("\"type\":\"(join|leave)\""))
                                     << text("{\"type\":\"leave\"}") << true;
    QTest::newRow("re: \\b with non-ASCII")
        << regexSpec(QStringLiteral("\\bcaf\u00e9\\b")) << text("un caf\xc3\xa9 noir") << true;
    QTest::newRow("re: \\w+ spans non-ASCII")
        << regexSpec(QStringLiteral("^\\w+$")) << text("d\xc3\xa9j\xc3\xa0") << true;
    QTest::newRow("re: non-ASCII case-insensitive")
        << regexSpec(QStringLiteral("\u00c9T\u00c9")) << text("\xc3\xa9t\xc3\xa9") << true;
    QTest::newRow("re: dot is one character") << regexSpec(QStringLiteral("^caf.$")) << text("caf\xc3\xa9") << true;
    QTest::newRow("re: empty payload, ^$") << regexSpec(QStringLiteral("^$")) << text({}) << true;
    QTest::newRow("re: payload, no note, ^$") << regexSpec(QStringLiteral("^$")) << text("x") << false;
    QTest::newRow("re: note") << regexSpec(QStringLiteral("Host\\s+header")) << text("p", "Qt added the Host header")
                              << true;
    QTest::newRow("re: not across payload and note")
        << regexSpec(QStringLiteral("payload.*Qt")) << text("payload", "Qt added") << false;

    // Note text.
    QTest::newRow("note: substring") << textSpec(QStringLiteral("added")) << text("abc", "Qt ADDED the Host header")
                                     << true;
    QTest::newRow("note: cs other case") << textSpec(QStringLiteral("added"), true)
                                         << text("abc", "Qt ADDED the Host header") << false;
    QTest::newRow("note only, no payload")
        << textSpec(QStringLiteral("remark")) << makeEvent(EventKind::Open, Direction::None, 1, {}, "a remark") << true;
    QTest::newRow("note: non-ASCII") << textSpec(QStringLiteral("\u00c9T\u00c9")) << text("x", "l'\xc3\xa9t\xc3\xa9")
                                     << true;

    // Handshakes carry their HTTP head as payload: header names and values are searchable.
    const Event request = makeEvent(EventKind::HandshakeRequest, Direction::None, 3, HandshakeHead);
    QTest::newRow("handshake: header name") << textSpec(QStringLiteral("sec-websocket-protocol")) << request << true;
    QTest::newRow("handshake: header value") << textSpec(QStringLiteral("superchat")) << request << true;
    QTest::newRow("handshake: request line") << textSpec(QStringLiteral("GET /chat"), true) << request << true;
    QTest::newRow("handshake: regex on a header line")
        << regexSpec(QStringLiteral("\\norigin:\\s*http://example\\.com\\r\\n")) << request << true;
    QTest::newRow("handshake: absent header") << textSpec(QStringLiteral("Cookie")) << request << false;

    // Closes carry their reason.
    const Event close = makeEvent(EventKind::Close, Direction::S2C, 2, "going away");
    QTest::newRow("close reason") << textSpec(QStringLiteral("AWAY")) << close << true;
    QTest::newRow("close reason absent") << textSpec(QStringLiteral("normal")) << close << false;

    // Empty payloads.
    QTest::newRow("empty payload, text") << textSpec(QStringLiteral("a")) << text({}) << false;
    QTest::newRow("empty payload, no text") << kindSpec({ EventKind::Text }) << text({}) << true;
    QTest::newRow("empty payload, non-ASCII") << textSpec(QStringLiteral("\u00e9")) << text({}) << false;

    // Kinds.
    QTest::newRow("kind: text kept") << kindSpec({ EventKind::Text }) << text("x") << true;
    QTest::newRow("kind: binary dropped")
        << kindSpec({ EventKind::Text }) << makeEvent(EventKind::Binary, Direction::C2S, 1, "x") << false;
    QTest::newRow("kind: handshakes") << kindSpec({ EventKind::HandshakeRequest, EventKind::HandshakeResponse })
                                      << makeEvent(EventKind::HandshakeResponse, Direction::None, 1, "HTTP/1.1 101")
                                      << true;
    QTest::newRow("kind: note") << kindSpec({ EventKind::Note }) << makeEvent(EventKind::Note, Direction::None, 0, "hi")
                                << true;
    QTest::newRow("kind: none at all") << kindSpec({}) << text("x") << false;

    // Directions.
    QTest::newRow("dir: c2s kept") << directionSpec({ Direction::C2S }) << text("x") << true;
    QTest::newRow("dir: s2c dropped") << directionSpec({ Direction::C2S })
                                      << makeEvent(EventKind::Text, Direction::S2C, 1, "x") << false;
    QTest::newRow("dir: none dropped") << directionSpec({ Direction::C2S, Direction::S2C })
                                       << makeEvent(EventKind::Open, Direction::None, 1, {}) << false;
    QTest::newRow("dir: none kept") << directionSpec({ Direction::None })
                                    << makeEvent(EventKind::Error, Direction::None, 1, "refused") << true;

    // Connections.
    QTest::newRow("conn: listed") << connectionSpec({ 2, 5 }) << makeEvent(EventKind::Text, Direction::C2S, 5, "x")
                                  << true;
    QTest::newRow("conn: not listed") << connectionSpec({ 2, 5 }) << makeEvent(EventKind::Text, Direction::C2S, 3, "x")
                                      << false;
    QTest::newRow("conn: many, listed") << connectionSpec({ 40, 1, 7, 9, 12, 30, 31, 2, 3, 88, 100, 17 })
                                        << makeEvent(EventKind::Text, Direction::C2S, 88, "x") << true;
    QTest::newRow("conn: many, not listed") << connectionSpec({ 40, 1, 7, 9, 12, 30, 31, 2, 3, 88, 100, 17 })
                                            << makeEvent(EventKind::Text, Direction::C2S, 89, "x") << false;
    QTest::newRow("conn: duplicates") << connectionSpec({ 4, 4, 4 })
                                      << makeEvent(EventKind::Text, Direction::C2S, 4, "x") << true;

    // Combinations: every condition must hold.
    FilterSpec combo = textSpec(QStringLiteral("join"));
    combo.kinds = FilterSpec::kindBit(EventKind::Text);
    combo.directions = FilterSpec::directionBit(Direction::S2C);
    combo.connections = { 2 };
    const Event hit = makeEvent(EventKind::Text, Direction::S2C, 2, "{\"type\":\"JOIN\"}");
    QTest::newRow("combo: all hold") << combo << hit << true;
    Event e = hit;
    e.kind = EventKind::Binary;
    QTest::newRow("combo: wrong kind") << combo << e << false;
    e = hit;
    e.direction = Direction::C2S;
    QTest::newRow("combo: wrong direction") << combo << e << false;
    e = hit;
    e.connection = 3;
    QTest::newRow("combo: wrong connection") << combo << e << false;
    e = hit;
    e.payload = "{\"type\":\"leave\"}";
    QTest::newRow("combo: wrong text") << combo << e << false;
    FilterSpec comboRegex = combo;
    comboRegex.text = QStringLiteral("\"type\":\"(join|leave)\"");
    comboRegex.regex = true;
    QTest::newRow("combo: regex, all hold") << comboRegex << hit << true;
    comboRegex.caseSensitive = true;
    QTest::newRow("combo: regex, case-sensitive") << comboRegex << hit << false;
}

void TestEventFilter::matches()
{
    QFETCH(FilterSpec, spec);
    QFETCH(Event, event);
    QFETCH(bool, expected);

    const EventFilter filter(spec);
    QVERIFY2(filter.isValid(), qPrintable(filter.errorString()));
    QCOMPARE(filter.spec(), spec);
    QCOMPARE(filter.passesEverything(), false);
    QCOMPARE(filter.matches(event.kind, event.direction, event.connection, event.payload, event.note), expected);

    // The same answer through the store and a snapshot of it, with neighbours in the arena.
    EventStore store;
    store.append({ text("before", "n"), event, text("after") });
    QCOMPARE(filter.matches(store, 1), expected);
    const EventStore::Snapshot snapshot = store.snapshot();
    QCOMPARE(filter.matches(snapshot, 1), expected);
    std::vector<int> rows;
    QVERIFY(filter.collect(snapshot, 1, 2, rows));
    QCOMPARE(rows.size(), size_t(expected ? 1 : 0));
}

void TestEventFilter::emptySpecPassesEverything()
{
    const EventFilter none;
    QVERIFY(none.passesEverything());
    QVERIFY(none.isValid());
    QCOMPARE(none.errorOffset(), -1);
    QVERIFY(none.matches(EventKind::Error, Direction::None, 0, {}, {}));

    const EventFilter empty { FilterSpec() };
    QVERIFY(empty.passesEverything());
    QVERIFY(empty.matchesText("anything"));

    // Bits outside the known kinds and directions do not make a spec non-empty.
    FilterSpec extraBits;
    extraBits.kinds = 0xFFFFFFFF;
    extraBits.directions = 0xFF;
    QVERIFY(EventFilter(extraBits).passesEverything());
}

void TestEventFilter::invalidRegex_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<int>("offset");

    QTest::newRow("unclosed group") << QStringLiteral("(abc") << 4;
    QTest::newRow("unmatched parenthesis") << QStringLiteral("a)b") << 1;
    QTest::newRow("unclosed class") << QStringLiteral("ab[c") << 4;
    QTest::newRow("nothing to repeat") << QStringLiteral("*x") << 0;
    QTest::newRow("bad escape at end") << QStringLiteral("abc\\") << 4;
    QTest::newRow("unclosed group inside") << QStringLiteral("a(b") << 3;
    // The user's own start-of-pattern items come after ours: the offset is still in what was typed.
    QTest::newRow("own limit, then error") << QStringLiteral("(*LIMIT_MATCH=5)x(") << 18;
    QTest::newRow("bad start item") << QStringLiteral("(*LIMIT_MATCH=x)a") << 14;
}

void TestEventFilter::invalidRegex()
{
    QFETCH(QString, pattern);
    QFETCH(int, offset);

    const EventFilter filter(regexSpec(pattern));
    QVERIFY(!filter.isValid());
    QVERIFY(!filter.errorString().isEmpty());
    QCOMPARE(filter.errorOffset(), offset);
    QVERIFY(!filter.passesEverything());
    QVERIFY(!filter.matches(EventKind::Text, Direction::C2S, 1, pattern.toUtf8(), {}));

    // The same text as a plain substring is fine.
    const EventFilter plain(textSpec(pattern));
    QVERIFY(plain.isValid());
    QCOMPARE(plain.errorOffset(), -1);
    QVERIFY(plain.matches(EventKind::Text, Direction::C2S, 1, QByteArray("x" + pattern.toUtf8() + "y"), {}));
}

void TestEventFilter::unicodePropertiesOnlyWhenNeeded()
{
    // Without \w, \b, \d, \s or POSIX classes ASCII semantics are enough and faster; with them, non-ASCII
    // letters and digits count. Observable through the classes themselves.
    QVERIFY(EventFilter(regexSpec(QStringLiteral("^\\d+$"))).matchesText("\xd9\xa3\xd9\xa4")); // Arabic-Indic 34
    QVERIFY(EventFilter(regexSpec(QStringLiteral("[[:alpha:]]{3}"))).matchesText("\xc3\xa9t\xc3\xa9"));
    QVERIFY(EventFilter(regexSpec(QStringLiteral("\\\\w"))).matchesText("a\\w"));
    QVERIFY(!EventFilter(regexSpec(QStringLiteral("\\\\w"))).matchesText("aw"));
    QVERIFY(EventFilter(regexSpec(QStringLiteral("\\p{Lu}"))).matchesText("\xc3\x89"));
}

void TestEventFilter::collectMatchesRowByRow()
{
    EventStore store;
    const std::vector<Event> events = mixedEvents(10000);
    store.append(events);
    const EventStore::Snapshot snapshot = store.snapshot();

    const QList<FilterSpec> specs {
        textSpec(QStringLiteral("beta")),
        textSpec(QStringLiteral("Beta"), true),
        textSpec(QStringLiteral("D\u00c9J\u00c0")),
        regexSpec(QStringLiteral("\"n\":\\d*7\\b")),
        kindSpec({ EventKind::Binary, EventKind::Note }),
        directionSpec({ Direction::S2C }),
        connectionSpec({ 2, 3 }),
        textSpec(QStringLiteral("noted")),
    };
    for (const FilterSpec& spec : specs) {
        const EventFilter filter(spec);
        const std::vector<int> expected = everyMatch(filter, store);
        QVERIFY2(!expected.empty() && expected.size() < events.size(), qPrintable(spec.text));
        std::vector<int> all;
        QVERIFY(filter.collect(snapshot, 0, store.count(), all));
        QCOMPARE(all, expected);
        // In pieces that do not line up with the check interval, and past the end.
        std::vector<int> pieces;
        QVERIFY(filter.collect(snapshot, 0, 1234, pieces));
        QVERIFY(filter.collect(snapshot, 1234, 9000, pieces));
        QVERIFY(filter.collect(snapshot, 9000, 1000000, pieces));
        QCOMPARE(pieces, expected);
    }
    std::vector<int> none;
    QVERIFY(EventFilter().collect(snapshot, 10, 20, none));
    QCOMPARE(none.size(), size_t(10));
    QCOMPARE(none.front(), 10);
}

void TestEventFilter::collectStops()
{
    EventStore store;
    store.append(mixedEvents(3 * int(EventFilter::StopCheckInterval)));
    const EventFilter filter(kindSpec({ EventKind::Text }));
    int asked = 0;
    std::vector<int> rows;
    QVERIFY(!filter.collect(store.snapshot(), 0, store.count(), rows, [&asked] { return ++asked == 2; }));
    QCOMPARE(asked, 2);
    QVERIFY(!rows.empty());
    QVERIFY(rows.back() < EventFilter::StopCheckInterval);

    asked = 0;
    rows.clear();
    QVERIFY(filter.collect(store.snapshot(), 0, store.count(), rows, [&asked] { return ++asked > 100; }));
    QCOMPARE(asked, 3);
}

void TestEventFilter::collectStopsOftenOnCostlyRows()
{
    // A regular expression: asked before every row, since one row may cost up to its match limit.
    EventStore store;
    store.append(mixedEvents(100));
    const EventStore::Snapshot snapshot = store.snapshot();
    const EventFilter regex(regexSpec(QStringLiteral("beta|gamma")));
    int asked = 0;
    std::vector<int> rows;
    EventFilter::CollectStats stats;
    QVERIFY(regex.collect(
        snapshot, 10, 60, rows, [&asked] { return ++asked > 1000; }, &stats));
    QCOMPARE(asked, 50);
    QCOMPARE(stats.end, 60);
    asked = 0;
    rows.clear();
    QVERIFY(!regex.collect(
        snapshot, 10, 60, rows, [&asked] { return ++asked == 8; }, &stats));
    QCOMPARE(stats.end, 17); // rows 10..16 looked at, then it stopped
    QVERIFY(!rows.empty());
    QVERIFY(rows.back() < 17);
    std::vector<int> expected;
    QVERIFY(regex.collect(snapshot, 10, 17, expected));
    QCOMPARE(rows, expected);

    // A substring over big payloads: asked every StopCheckBytes of text rather than every 4096 rows.
    EventStore big;
    std::vector<Event> events;
    for (int i = 0; i < 64; ++i)
        events.push_back(text(QByteArray(EventFilter::StopCheckBytes / 4, 'x') + QByteArray::number(i)));
    big.append(events);
    const EventFilter plain(textSpec(QStringLiteral("needle")));
    asked = 0;
    rows.clear();
    QVERIFY(plain.collect(
        big.snapshot(), 0, big.count(), rows, [&asked] { return ++asked > 1000; }, &stats));
    QCOMPARE(asked, 16); // 4 rows of a quarter StopCheckBytes each between two looks
    QVERIFY(rows.empty());
    QCOMPARE(stats.costlyRows, 0);
}

void TestEventFilter::pathologicalRegexGivesUp_data()
{
    QTest::addColumn<QString>("pattern");
    // Nested quantifiers over a run of words: each backtracks through billions of ways to split the words
    // before failing. Without a match limit of ours each row costs PCRE2's whole default budget (~35 ms).
    QTest::newRow("(\\w+\\s?)*:1") << QStringLiteral("(\\w+\\s?)*:1");
    QTest::newRow("^(\\W*\\w+\\W*)+:$") << QStringLiteral("^(\\W*\\w+\\W*)+:$");
    // The user's own, higher limit does not raise ours.
    QTest::newRow("own higher limit") << QStringLiteral("(*LIMIT_MATCH=100000000)^(\\W*\\w+\\W*)+:$");
}

void TestEventFilter::pathologicalRegexGivesUp()
{
    QFETCH(QString, pattern);
    const QByteArray payload = "{\"msg\":\"the quick brown fox jumps over the lazy dog\",\"n\":\"1\"}";
    const EventFilter filter(regexSpec(pattern));
    QVERIFY2(filter.isValid(), qPrintable(filter.errorString()));
    QVERIFY(filter.decodesText());
    QCOMPARE(filter.evaluateText(payload), EventFilter::Outcome::TooCostly);
    QVERIFY(!filter.matchesText(payload));
    QCOMPARE(filter.evaluate(EventKind::Text, Direction::C2S, 1, payload, "no note match here"),
        EventFilter::Outcome::TooCostly);
    QVERIFY(!filter.matches(EventKind::Text, Direction::C2S, 1, payload, {}));
    // A row the cheap conditions drop is never searched.
    FilterSpec binaryOnly = regexSpec(pattern);
    binaryOnly.kinds = FilterSpec::kindBit(EventKind::Binary);
    QCOMPARE(EventFilter(binaryOnly).evaluate(EventKind::Text, Direction::C2S, 1, payload, {}),
        EventFilter::Outcome::NoMatch);

    // Rows that give up are counted and left out; the others are still answered.
    EventStore store;
    std::vector<Event> events;
    for (int i = 0; i < 20; ++i)
        events.push_back(i % 5 == 0 ? text("x:") : text(payload));
    store.append(events);
    std::vector<int> rows;
    EventFilter::CollectStats stats;
    QVERIFY(filter.collect(store.snapshot(), 0, store.count(), rows, {}, &stats));
    QCOMPARE(stats.costlyRows, 16);
    QCOMPARE(stats.end, 20);
    const std::vector<int> quick = everyMatch(filter, store);
    QCOMPARE(rows, quick);
    for (int row : rows)
        QCOMPARE(row % 5, 0);
}

void TestEventFilter::matchLimitIsBelowPcreDefault()
{
    // 2^18 ways to split the run of letters: PCRE2's default limit lets the search finish (no match), ours
    // stops it. This is what makes our limit, not PCRE2's, the one that bounds a row.
    const QString pattern = QStringLiteral("^(\\w+\\s?)*$");
    const QByteArray payload = QByteArray(18, 'a') + '!';
    const QRegularExpressionMatch unbounded = QRegularExpression(pattern).match(QString::fromLatin1(payload));
    QVERIFY(unbounded.isValid());
    QVERIFY(!unbounded.hasMatch());
    QCOMPARE(EventFilter(regexSpec(pattern)).evaluateText(payload), EventFilter::Outcome::TooCostly);
    // The same pattern on a short run is answered as usual.
    QCOMPARE(EventFilter(regexSpec(pattern)).evaluateText("aaaa!"), EventFilter::Outcome::NoMatch);
    QCOMPARE(EventFilter(regexSpec(pattern)).evaluateText("aaaa aaa"), EventFilter::Outcome::Match);
}

void TestEventFilter::ordinaryRegexOnBigPayloads_data()
{
    QTest::addColumn<int>("size");
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<bool>("expected");

    // One size per tier of BoundedRegex::MatchLimits and a few megabytes; the interesting part is at the end.
    for (int size : { 1000, 60000, 4 << 20 }) {
        const QByteArray tag = QByteArray::number(size) + ": ";
        QTest::newRow(QByteArray(tag + "alternation").constData())
            << size << QStringLiteral("\"t\":\"(join|leave)\"$") << true;
        QTest::newRow(QByteArray(tag + "lazy across the payload").constData())
            << size << QStringLiteral("^\\{.*?\"t\":\"join\"") << true;
        QTest::newRow(QByteArray(tag + "greedy across the payload").constData())
            << size << QStringLiteral("^.*join") << true;
        // A capturing group repeated 100,000 times outgrows Qt's JIT stack on megabytes, with or without our limit.
        if (size < (1 << 20))
            QTest::newRow(QByteArray(tag + "repeated group").constData())
                << size << QStringLiteral("^(\\{[^}]*\\},)*\"t\"") << true;
        QTest::newRow(QByteArray(tag + "word then join").constData())
            << size << QStringLiteral("(\\w+)\":\"join\"$") << true;
        QTest::newRow(QByteArray(tag + "absent").constData()) << size << QStringLiteral("\\d{5}7\\}") << false;
    }
}

void TestEventFilter::ordinaryRegexOnBigPayloads()
{
    QFETCH(int, size);
    QFETCH(QString, pattern);
    QFETCH(bool, expected);

    QByteArray payload;
    payload.reserve(size + 64);
    while (payload.size() < size)
        payload += "{\"t\":\"msg\",\"u\":\"bob\",\"id\":12345},";
    payload += "\"t\":\"join\"";
    const EventFilter filter(regexSpec(pattern));
    QVERIFY2(filter.isValid(), qPrintable(filter.errorString()));
    QCOMPARE(filter.evaluateText(payload), expected ? EventFilter::Outcome::Match : EventFilter::Outcome::NoMatch);
}

void TestEventFilter::sharedAcrossThreads()
{
    // One filter, one snapshot, several threads: the worker and the GUI thread may do exactly this.
    EventStore store;
    store.append(mixedEvents(20000));
    const EventStore::Snapshot snapshot = store.snapshot();
    for (const FilterSpec& spec : { regexSpec(QStringLiteral("(beta|gamma)\\b")),
             textSpec(QStringLiteral("D\u00c9J\u00c0")), textSpec(QStringLiteral("alpha")) }) {
        const EventFilter filter(spec);
        const std::vector<int> expected = everyMatch(filter, store);
        std::atomic<int> failures = 0;
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([&] {
                std::vector<int> rows;
                filter.collect(snapshot, 0, snapshot.count(), rows);
                if (rows != expected)
                    ++failures;
            });
        }
        for (std::thread& t : threads)
            t.join();
        QCOMPARE(failures.load(), 0);
    }
}

QTEST_GUILESS_MAIN(TestEventFilter)
#include "tst_eventfilter.moc"
