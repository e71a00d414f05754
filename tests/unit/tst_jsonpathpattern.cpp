// The ignore-path syntax: what parses, what each pattern covers, and the notation paths are printed in.

#include "replay/jsonpathpattern.h"

#include <QTest>

using namespace wsi;

namespace {

// "$.a[2].b" style input for concrete paths: keys separated by '/', numbers are indexes. Readable rows.
JsonPath path(const char* spec)
{
    JsonPath out;
    const QString s = QString::fromUtf8(spec);
    if (s.isEmpty())
        return out;
    for (const QString& part : s.split(u'/')) {
        bool isNumber = false;
        const qsizetype n = part.toLongLong(&isNumber);
        out.append(isNumber ? JsonPathStep { {}, n } : JsonPathStep { part, -1 });
    }
    return out;
}

} // namespace

class TestJsonPathPattern : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void covers_data();
    void covers();
    void invalid_data();
    void invalid();
    void format_data();
    void format();
    void formattedPathsParseBack();
};

void TestJsonPathPattern::covers_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("path");
    QTest::addColumn<bool>("covered");

    auto row = [](const char* pattern, const char* p, bool covered) {
        QTest::addRow("%s ~ %s", pattern, p) << QString::fromUtf8(pattern) << QString::fromUtf8(p) << covered;
    };
    row("$", "", true);
    row("$", "a/b", true);
    row("$.ts", "ts", true);
    row("$.ts", "ts2", false);
    row("$.ts", "data/ts", false);
    row("$.meta", "meta/id", true); // everything under a match
    row("$.meta.id", "meta", false); // not the parent
    row("$.items[2]", "items/2", true);
    row("$.items[2]", "items/3", false);
    row("$.items[2].price", "items/2/price", true);
    row("$.items[*].id", "items/0/id", true);
    row("$.items[*].id", "items/17/id", true);
    row("$.items[*].id", "items/17/name", false);
    row("$.items[*].id", "items/first/id", true); // [*] is any child, of an object too
    row("$.items[*].id", "items/id", false); // but a child there must be
    row("$.*.id", "user/id", true);
    row("$.*.id", "list/3/id", false);
    row("$..id", "id", true);
    row("$..id", "a/b/4/id", true);
    row("$..id", "a/b/4/idx", false);
    row("$..id", "a/id/deep", true);
    row("$..*", "x", true);
    row("$..[0]", "rows/0", true);
    row("$..[0]", "rows/1", false);
    row("$.a..b.c", "a/x/y/b/c", true);
    row("$.a..b.c", "a/b/c", true);
    row("$.a..b.c", "z/b/c", false);
    row("$.a..b.c", "a/b/x/c", false);
    row("$[\"display name\"]", "display name", true);
    row("$['display name']", "display name", true);
    row("$['it\\'s']", "it's", true);
    row("$[\"tab\\there\"]", "tab\there", true);
    row("$[\"2\"]", "2", false); // the key "2" ...
    row("$.2", "2", false); // ... is not index 2: path() turns "2" into an index
    row("$[0][1]", "0/1", true);
    row("  $.ts  ", "ts", true); // spaces around are trimmed
    // Eight ".." steps on a path 60 deep that never ends in "b": tried naively, every way of spreading the
    // steps over the path (C(60,8), billions of calls) is tried; remembered per (step, position), 540 are.
    const QString deep = QStringLiteral("a/").repeated(60).chopped(1);
    QTest::addRow("eight .. steps, 60 deep, no match") << QStringLiteral("$..a..a..a..a..a..a..a..b") << deep << false;
    QTest::addRow("eight .. steps, 60 deep, a match") << QStringLiteral("$..a..a..a..a..a..a..a..a") << deep << true;
}

void TestJsonPathPattern::covers()
{
    QFETCH(QString, pattern);
    QFETCH(QString, path);
    QFETCH(bool, covered);
    QString error;
    const std::optional<JsonPathPattern> p = JsonPathPattern::parse(pattern, &error);
    QVERIFY2(p, qPrintable(error));
    QCOMPARE(p->covers(::path(path.toUtf8().constData())), covered);
}

void TestJsonPathPattern::invalid_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("error");

    auto row = [](const char* pattern, const char* error) {
        QTest::addRow("%s", pattern) << QString::fromUtf8(pattern) << QString::fromUtf8(error);
    };
    row("",
        "invalid JSON path \u201c\u201d at character 1: a path starts with $ (the whole message), e.g. $.items[*].id");
    row("ts",
        "invalid JSON path \u201cts\u201d at character 1: a path starts with $ (the whole message), e.g. "
        "$.items[*].id");
    row("$.", "invalid JSON path \u201c$.\u201d at character 2: a name, * or [...] must follow the dot");
    row("$..", "invalid JSON path \u201c$..\u201d at character 2: a name, * or [...] must follow the dot");
    row("$.a[", "invalid JSON path \u201c$.a[\u201d at character 5: the bracket is not closed");
    row("$.a[1", "invalid JSON path \u201c$.a[1\u201d at character 6: expected ] here");
    row("$.a[x]",
        "invalid JSON path \u201c$.a[x]\u201d at character 5: expected an index, * or a quoted name inside [ ]");
    row("$.a[-1]",
        "invalid JSON path \u201c$.a[-1]\u201d at character 5: expected an index, * or a quoted name inside [ ]");
    row("$[\"a]", "invalid JSON path \u201c$[\"a]\u201d at character 3: the quoted name is not closed");
    row("$.[0]", "invalid JSON path \u201c$.[0]\u201d at character 3: write [...] without a dot before it");
    row("$a", "invalid JSON path \u201c$a\u201d at character 2: expected . or [ here");
    row("$.a b", "invalid JSON path \u201c$.a b\u201d at character 4: expected . or [ here");
    row("$[99999999999999999999]",
        "invalid JSON path \u201c$[99999999999999999999]\u201d at character 3: the index is too big");
    row("$[\"\\u00zz\"]",
        "invalid JSON path \u201c$[\"\\u00zz\"]\u201d at character 3: the quoted name is not a valid JSON string");
}

void TestJsonPathPattern::invalid()
{
    QFETCH(QString, pattern);
    QFETCH(QString, error);
    QString actual;
    QVERIFY(!JsonPathPattern::parse(pattern, &actual));
    QCOMPARE(actual, error);
}

void TestJsonPathPattern::format_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("text");
    QTest::newRow("root") << QString() << QStringLiteral("$");
    QTest::newRow("member") << QStringLiteral("price") << QStringLiteral("$.price");
    QTest::newRow("nested") << QStringLiteral("items/2/price") << QStringLiteral("$.items[2].price");
    QTest::newRow("odd key") << QStringLiteral("display name/x-y") << QStringLiteral("$[\"display name\"][\"x-y\"]");
    QTest::newRow("quote in key") << QStringLiteral("say \"hi\"") << QStringLiteral("$[\"say \\\"hi\\\"\"]");
    QTest::newRow("dollar and underscore") << QStringLiteral("$ref/_id") << QStringLiteral("$.$ref._id");
}

void TestJsonPathPattern::format()
{
    QFETCH(QString, path);
    QFETCH(QString, text);
    QCOMPARE(JsonPathPattern::format(::path(path.toUtf8().constData())), text);
}

void TestJsonPathPattern::formattedPathsParseBack()
{
    // A path from a report, pasted as --ignore-path, covers exactly that path.
    const QList<JsonPath> paths = {
        path("items/2/price"),
        path("display name/x"),
        path("say \"hi\"/0"),
        path("\xc3\xa9t\xc3\xa9/line\nbreak"),
        path("back\\slash"),
    };
    for (const JsonPath& p : paths) {
        const QString text = JsonPathPattern::format(p);
        QString error;
        const std::optional<JsonPathPattern> pattern = JsonPathPattern::parse(text, &error);
        QVERIFY2(pattern, qPrintable(text + QStringLiteral(": ") + error));
        QVERIFY2(pattern->covers(p), qPrintable(text));
        JsonPath sibling = p;
        if (sibling.last().isIndex())
            ++sibling.last().index;
        else
            sibling.last().key.append(u'_');
        QVERIFY2(!pattern->covers(sibling), qPrintable(text));
        QCOMPARE(pattern->text(), text);
    }
}

QTEST_GUILESS_MAIN(TestJsonPathPattern)
#include "tst_jsonpathpattern.moc"
