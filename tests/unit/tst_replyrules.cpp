#include "core/replyrules.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace wsi;

namespace {

ReplyRule rule(RuleMatch match, const QString& pattern, const QString& reply)
{
    ReplyRule r;
    r.match = match;
    r.pattern = pattern;
    r.reply = reply;
    return r;
}

ReplyRule jsonRule(const QString& path, const QJsonValue& value, const QString& reply)
{
    ReplyRule r;
    r.match = RuleMatch::JsonField;
    r.path = path;
    r.value = value;
    r.reply = reply;
    return r;
}

std::shared_ptr<const ReplyRules> compiled(const QList<ReplyRule>& rules)
{
    QString error;
    auto out = ReplyRules::compile(rules, &error);
    if (!out)
        qWarning("%s", qPrintable(error));
    return out;
}

std::shared_ptr<const ReplyRules> parsed(const QByteArray& json)
{
    QString error;
    auto out = ReplyRules::fromJson(json, &error);
    if (!out)
        qWarning("%s", qPrintable(error));
    return out;
}

// The file of the class comment, every kind of rule.
const QByteArray DocumentedFile = R"({"version": 1, "rules": [
  {"name": "greet", "match": "exact", "pattern": "hello", "reply": "hi #{{counter}}"},
  {"match": "substring", "pattern": "ping", "caseSensitive": false, "reply": "pong", "delayMs": 500},
  {"match": "regex", "pattern": "^add (\\d+) (\\d+)$", "reply": "got {{1}} and {{2}}"},
)"
                                  // moc misreads \" inside a raw string literal: that line is an ordinary one.
                                  "  {\"match\": \"json\", \"path\": \"type\", \"value\": \"subscribe\", "
                                  "\"reply\": \"{\\\"ok\\\":true,\\\"id\\\":{{json.id}}}\"},\n"
                                  R"(  {"match": "exact", "pattern": "off", "enabled": false, "reply": "..."}
]})";

} // namespace

Q_DECLARE_METATYPE(QList<wsi::ReplyRule>)

class TestReplyRules : public QObject
{
    Q_OBJECT

private slots:
    void answer_data();
    void answer();
    void replyCarriesRuleAndDelay();
    void counterSharedAcrossAnswers();
    void regexGroupsAndJsonInOneReply();
    void pathologicalRegex_data();
    void pathologicalRegex();
    void compileErrors_data();
    void compileErrors();
    void compileReportsTheFailingRule();
    void ruleLimit();
    void matchNames();
    void documentedFile();
    void bareArray();
    void fromJsonErrors_data();
    void fromJsonErrors();
    void roundTrip_data();
    void roundTrip();
    void toJsonIsIndented();
    void fromFile();
    void exampleFileAnswers();
    void fromFileErrors();
    void fromFileSizeLimit();
    void fuzzFromJson();
};

void TestReplyRules::answer_data()
{
    QTest::addColumn<QList<ReplyRule>>("rules");
    QTest::addColumn<bool>("text");
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<int>("rule"); // -1: no answer
    QTest::addColumn<QByteArray>("payload");

    const auto exact = [](const QString& pattern, bool caseSensitive = true) {
        ReplyRule r = rule(RuleMatch::Exact, pattern, QStringLiteral("exact:{{message}}"));
        r.caseSensitive = caseSensitive;
        return QList<ReplyRule> { r };
    };
    const auto substring = [](const QString& pattern, bool caseSensitive = true) {
        ReplyRule r = rule(RuleMatch::Substring, pattern, QStringLiteral("sub"));
        r.caseSensitive = caseSensitive;
        return QList<ReplyRule> { r };
    };
    const auto regex = [](const QString& pattern, bool caseSensitive = true) {
        ReplyRule r = rule(RuleMatch::Regex, pattern, QStringLiteral("[{{0}}|{{1}}|{{2}}]"));
        r.caseSensitive = caseSensitive;
        return QList<ReplyRule> { r };
    };
    const auto json = [](const QString& path, const QJsonValue& value) {
        return QList<ReplyRule> { jsonRule(path, value, QStringLiteral("json:{{json.id}}")) };
    };

    QTest::addRow("exact") << exact(QStringLiteral("hello")) << true << QByteArray("hello") << 0
                           << QByteArray("exact:hello");
    QTest::addRow("exact, longer message")
        << exact(QStringLiteral("hello")) << true << QByteArray("hello!") << -1 << QByteArray();
    QTest::addRow("exact, prefix") << exact(QStringLiteral("hello")) << true << QByteArray("hell") << -1
                                   << QByteArray();
    QTest::addRow("exact, other case") << exact(QStringLiteral("hello")) << true << QByteArray("Hello") << -1
                                       << QByteArray();
    QTest::addRow("exact, any case") << exact(QStringLiteral("hello"), false) << true << QByteArray("HeLLo") << 0
                                     << QByteArray("exact:HeLLo");
    QTest::addRow("exact, any case, non-ASCII")
        << exact(QStringLiteral("\u00e9t\u00e9"), false) << true << QByteArray("\xc3\x89T\xc3\x89") << 0
        << QByteArray("exact:\xc3\x89T\xc3\x89");
    QTest::addRow("exact, any case, longer")
        << exact(QStringLiteral("a"), false) << true << QByteArray("aa") << -1 << QByteArray();
    QTest::addRow("exact, non-ASCII") << exact(QStringLiteral("\u263a")) << true << QByteArray("\xe2\x98\xba") << 0
                                      << QByteArray("exact:\xe2\x98\xba");

    QTest::addRow("substring") << substring(QStringLiteral("ping")) << true << QByteArray("a ping!") << 0
                               << QByteArray("sub");
    QTest::addRow("substring, whole") << substring(QStringLiteral("ping")) << true << QByteArray("ping") << 0
                                      << QByteArray("sub");
    QTest::addRow("substring, absent") << substring(QStringLiteral("ping")) << true << QByteArray("pong") << -1
                                       << QByteArray();
    QTest::addRow("substring, other case")
        << substring(QStringLiteral("ping")) << true << QByteArray("PING") << -1 << QByteArray();
    QTest::addRow("substring, any case") << substring(QStringLiteral("ping"), false) << true << QByteArray("say PiNg")
                                         << 0 << QByteArray("sub");
    QTest::addRow("substring, any case, non-ASCII") << substring(QStringLiteral("\u00fc"), false) << true
                                                    << QByteArray("GR\xc3\x9c\xc3\x9f") << 0 << QByteArray("sub");

    QTest::addRow("regex, groups") << regex(QStringLiteral("^add (\\d+) (\\d+)$")) << true << QByteArray("add 2 3") << 0
                                   << QByteArray("[add 2 3|2|3]");
    QTest::addRow("regex, somewhere") << regex(QStringLiteral("b(.)")) << true << QByteArray("abcd") << 0
                                      << QByteArray("[bc|c|]");
    QTest::addRow("regex, optional group unmatched")
        << regex(QStringLiteral("x(y)?(z)")) << true << QByteArray("xz") << 0 << QByteArray("[xz||z]");
    QTest::addRow("regex, no match") << regex(QStringLiteral("^\\d+$")) << true << QByteArray("12a") << -1
                                     << QByteArray();
    QTest::addRow("regex, other case") << regex(QStringLiteral("^hi$")) << true << QByteArray("HI") << -1
                                       << QByteArray();
    QTest::addRow("regex, any case") << regex(QStringLiteral("^h(i)$"), false) << true << QByteArray("HI") << 0
                                     << QByteArray("[HI|I|]");
    QTest::addRow("regex, UTF-8 decoded")
        << regex(QStringLiteral("^(.)(.)$")) << true << QByteArray("\xc3\xa9\xe2\x98\xba") << 0
        << QByteArray("[\xc3\xa9\xe2\x98\xba|\xc3\xa9|\xe2\x98\xba]");

    const QByteArray subscribe = R"({"type":"subscribe","id":7,"n":1,"s":"1","a":[{"k":true}],"o":{"x":[1,2]}})";
    QTest::addRow("json, string") << json(QStringLiteral("type"), QStringLiteral("subscribe")) << true << subscribe << 0
                                  << QByteArray("json:7");
    QTest::addRow("json, other string") << json(QStringLiteral("type"), QStringLiteral("Subscribe")) << true
                                        << subscribe << -1 << QByteArray();
    QTest::addRow("json, 1 equals 1.0") << json(QStringLiteral("n"), 1.0) << true << subscribe << 0
                                        << QByteArray("json:7");
    QTest::addRow("json, \"1\" is not 1") << json(QStringLiteral("s"), 1) << true << subscribe << -1 << QByteArray();
    QTest::addRow("json, 1 is not \"1\"")
        << json(QStringLiteral("n"), QStringLiteral("1")) << true << subscribe << -1 << QByteArray();
    QTest::addRow("json, array index") << json(QStringLiteral("a.0.k"), true) << true << subscribe << 0
                                       << QByteArray("json:7");
    QTest::addRow("json, array value") << json(QStringLiteral("o.x"), QJsonArray { 1, 2 }) << true << subscribe << 0
                                       << QByteArray("json:7");
    QTest::addRow("json, object value") << json(
        QStringLiteral("o"), QJsonObject { { QStringLiteral("x"), QJsonArray { 1, 2 } } })
                                        << true << subscribe << 0 << QByteArray("json:7");
    QTest::addRow("json, missing") << json(QStringLiteral("nope"), QJsonValue()) << true << subscribe << -1
                                   << QByteArray();
    QTest::addRow("json, null") << json(QStringLiteral("z"), QJsonValue()) << true << QByteArray(R"({"z":null})") << 0
                                << QByteArray("json:");
    QTest::addRow("json, array root") << json(QStringLiteral("1.type"), QStringLiteral("x")) << true
                                      << QByteArray(R"([0,{"type":"x"}])") << 0 << QByteArray("json:");
    QTest::addRow("json, not JSON") << json(QStringLiteral("type"), QStringLiteral("subscribe")) << true
                                    << QByteArray("type=subscribe") << -1 << QByteArray();

    QTest::addRow("binary, exact") << exact(QStringLiteral("hello")) << false << QByteArray("hello") << 0
                                   << QByteArray("exact:hello");
    QTest::addRow("binary, exact bytes") << exact(QStringLiteral("\u00e9")) << false << QByteArray("\xc3\xa9") << 0
                                         << QByteArray("exact:\xc3\xa9");
    QTest::addRow("binary, exact, ASCII case")
        << exact(QStringLiteral("hello"), false) << false << QByteArray("HELLO") << 0 << QByteArray("exact:HELLO");
    QTest::addRow("binary, exact, other case")
        << exact(QStringLiteral("hello")) << false << QByteArray("HELLO") << -1 << QByteArray();
    QTest::addRow("binary, substring") << substring(QStringLiteral("ping")) << false
                                       << QByteArray("\x00\xffping\x01", 7) << 0 << QByteArray("sub");
    QTest::addRow("binary, substring, ASCII case") << substring(QStringLiteral("ping"), false) << false
                                                   << QByteArray("\x00\xffPInG\x01", 7) << 0 << QByteArray("sub");
    QTest::addRow("binary, regex") << regex(QStringLiteral("hello")) << false << QByteArray("hello") << -1
                                   << QByteArray();
    QTest::addRow("binary, json") << json(QStringLiteral("type"), QStringLiteral("subscribe")) << false << subscribe
                                  << -1 << QByteArray();

    QList<ReplyRule> ordered { rule(RuleMatch::Substring, QStringLiteral("a"), QStringLiteral("first")),
        rule(RuleMatch::Substring, QStringLiteral("ab"), QStringLiteral("second")),
        rule(RuleMatch::Exact, QStringLiteral("zz"), QStringLiteral("third")) };
    QTest::addRow("first match wins") << ordered << true << QByteArray("abc") << 0 << QByteArray("first");
    QTest::addRow("later rule") << ordered << true << QByteArray("zz") << 2 << QByteArray("third");
    QTest::addRow("no rule matches") << ordered << true << QByteArray("xyz") << -1 << QByteArray();
    ordered[0].enabled = false;
    QTest::addRow("disabled rule skipped") << ordered << true << QByteArray("abc") << 1 << QByteArray("second");
    QTest::addRow("disabled rule, nothing else") << ordered << true << QByteArray("a") << -1 << QByteArray();
    QTest::addRow("no rules") << QList<ReplyRule>() << true << QByteArray("a") << -1 << QByteArray();
}

void TestReplyRules::answer()
{
    QFETCH(QList<ReplyRule>, rules);
    QFETCH(bool, text);
    QFETCH(QByteArray, message);
    QFETCH(int, rule);
    QFETCH(QByteArray, payload);
    const auto compiledRules = compiled(rules);
    QVERIFY(compiledRules);
    TemplateGenerators generators;
    const std::optional<ReplyRules::Reply> reply = compiledRules->answer(text, message, generators);
    if (rule < 0) {
        QVERIFY(!reply);
        return;
    }
    QVERIFY(reply);
    QCOMPARE(reply->rule, rule);
    QCOMPARE(reply->payload, payload);
}

void TestReplyRules::replyCarriesRuleAndDelay()
{
    ReplyRule slow = rule(RuleMatch::Exact, QStringLiteral("b"), QStringLiteral("late"));
    slow.delayMs = 1500;
    const auto rules = compiled({ rule(RuleMatch::Exact, QStringLiteral("a"), QStringLiteral("now")), slow });
    QVERIFY(rules);
    TemplateGenerators generators;
    const auto now = rules->answer(true, "a", generators);
    QVERIFY(now);
    QCOMPARE(now->rule, 0);
    QCOMPARE(now->delayMs, 0);
    const auto late = rules->answer(true, "b", generators);
    QVERIFY(late);
    QCOMPARE(late->rule, 1);
    QCOMPARE(late->delayMs, 1500);
    QCOMPARE(late->payload, QByteArray("late"));
}

void TestReplyRules::counterSharedAcrossAnswers()
{
    const auto rules = compiled({ rule(RuleMatch::Exact, QStringLiteral("a"), QStringLiteral("a{{counter}}")),
        rule(RuleMatch::Exact, QStringLiteral("b"), QStringLiteral("b{{counter}}")) });
    QVERIFY(rules);
    TemplateGenerators generators;
    QCOMPARE(rules->answer(true, "a", generators)->payload, QByteArray("a1"));
    QCOMPARE(rules->answer(true, "b", generators)->payload, QByteArray("b2"));
    QVERIFY(!rules->answer(true, "c", generators)); // no answer, no count
    QCOMPARE(rules->answer(true, "a", generators)->payload, QByteArray("a3"));
}

void TestReplyRules::regexGroupsAndJsonInOneReply()
{
    const auto rules = compiled({ rule(RuleMatch::Regex, QStringLiteral("\"id\":(\\d+)"),
        QStringLiteral("{{1}}/{{json.id}}/{{json.name}}/{{message}}")) });
    QVERIFY(rules);
    TemplateGenerators generators;
    const QByteArray message = R"({"id":42,"name":"n"})";
    QCOMPARE(rules->answer(true, message, generators)->payload, QByteArray("42/42/n/" + message));
}

void TestReplyRules::pathologicalRegex_data()
{
    QTest::addColumn<int>("length");
    QTest::addRow("short") << 1000;
    QTest::addRow("medium") << 30000;
    QTest::addRow("100k") << 100000;
}

void TestReplyRules::pathologicalRegex()
{
    QFETCH(int, length);
    // Nested quantifiers over a's that end in b: billions of ways to fail. The limit makes the rule give up
    // (no match), and the next rule still gets the message.
    const auto rules = compiled({ rule(RuleMatch::Regex, QStringLiteral("(a+)+$"), QStringLiteral("bad")),
        rule(RuleMatch::Substring, QStringLiteral("ab"), QStringLiteral("next")) });
    QVERIFY(rules);
    const QByteArray message = QByteArray(length, 'a') + 'b';
    TemplateGenerators generators;
    QElapsedTimer timer;
    timer.start();
    const auto reply = rules->answer(true, message, generators);
    qDebug("%d characters: %lld ms", length + 1, timer.elapsed());
    QVERIFY(reply);
    QCOMPARE(reply->rule, 1);
    // The same pattern still answers where it matches.
    QCOMPARE(rules->answer(true, QByteArray(length, 'a'), generators)->rule, 0);
}

void TestReplyRules::compileErrors_data()
{
    QTest::addColumn<QList<ReplyRule>>("rules");
    QTest::addColumn<QString>("error");
    const ReplyRule good = rule(RuleMatch::Exact, QStringLiteral("x"), QStringLiteral("y"));

    ReplyRule r = rule(RuleMatch::Regex, QStringLiteral("ab(c"), QStringLiteral("r"));
    r.name = QStringLiteral("greet");
    QTest::addRow("regex, named") << QList<ReplyRule> { good, good, r }
                                  << QStringLiteral(
                                         "rule 3 (greet): invalid regular expression: missing closing parenthesis "
                                         "at offset 4");
    r.name.clear();
    r.pattern = QStringLiteral("a)");
    QTest::addRow("regex") << QList<ReplyRule> { r }
                           << QStringLiteral(
                                  "rule 1: invalid regular expression: unmatched closing parenthesis at offset 1");
    r.pattern = QStringLiteral("(?<n");
    r.caseSensitive = false;
    QTest::addRow("regex, any case")
        << QList<ReplyRule> { r }
        << QStringLiteral("rule 1: invalid regular expression: syntax error in subpattern name (missing terminator?) "
                          "at offset 4");
    QTest::addRow("regex, empty") << QList<ReplyRule> { rule(RuleMatch::Regex, QString(), QStringLiteral("r")) }
                                  << QStringLiteral("rule 1: the pattern is empty");
    QTest::addRow("exact, empty") << QList<ReplyRule> { rule(RuleMatch::Exact, QString(), QStringLiteral("r")) }
                                  << QStringLiteral("rule 1: the pattern is empty");
    QTest::addRow("substring, empty") << QList<ReplyRule> { good,
        rule(RuleMatch::Substring, QString(), QStringLiteral("r")) }
                                      << QStringLiteral("rule 2: the pattern is empty");
    QTest::addRow("json, empty path") << QList<ReplyRule> { jsonRule(QString(), 1, QStringLiteral("r")) }
                                      << QStringLiteral("rule 1: the JSON path is empty");
    QTest::addRow("json, empty part") << QList<ReplyRule> { jsonRule(QStringLiteral("a..b"), 1, QStringLiteral("r")) }
                                      << QStringLiteral("rule 1: the JSON path a..b has an empty part");
    QTest::addRow("json, no value") << QList<ReplyRule> {
        jsonRule(QStringLiteral("a"), QJsonValue(QJsonValue::Undefined), QStringLiteral("r"))
    } << QStringLiteral("rule 1: the JSON rule has no value to compare with");
    ReplyRule badReply = good;
    badReply.name = QStringLiteral("t");
    badReply.reply = QStringLiteral("hi {{nope}}");
    QTest::addRow("reply") << QList<ReplyRule> { badReply }
                           << QStringLiteral("rule 1 (t): reply: unknown placeholder {{nope}} at offset 3");
    badReply.reply = QStringLiteral("{{%1}}");
    badReply.name = QStringLiteral("%2");
    QTest::addRow("percent signs") << QList<ReplyRule> { badReply }
                                   << QStringLiteral("rule 1 (%2): reply: unknown placeholder {{%1}} at offset 0");
    badReply.name = QStringLiteral("t");
    badReply.reply = QStringLiteral("{{random 2 1}}");
    QTest::addRow("reply, random") << QList<ReplyRule> {
        badReply
    } << QStringLiteral("rule 1 (t): reply: {{random 2 1}} at offset 0: the lower bound is above the upper");
    ReplyRule delay = good;
    delay.delayMs = -1;
    QTest::addRow("negative delay") << QList<ReplyRule> { delay }
                                    << QStringLiteral("rule 1: the delay must be from 0 to 3600000 ms");
    delay.delayMs = 3600001;
    QTest::addRow("delay too long") << QList<ReplyRule> { delay }
                                    << QStringLiteral("rule 1: the delay must be from 0 to 3600000 ms");
    ReplyRule disabled = rule(RuleMatch::Regex, QStringLiteral("("), QStringLiteral("r"));
    disabled.enabled = false;
    QTest::addRow("disabled rules are checked too")
        << QList<ReplyRule> { disabled }
        << QStringLiteral("rule 1: invalid regular expression: missing closing parenthesis at offset 1");
}

void TestReplyRules::compileErrors()
{
    QFETCH(QList<ReplyRule>, rules);
    QFETCH(QString, error);
    QString reason;
    int failed = -2;
    QVERIFY(!ReplyRules::compile(rules, &reason, &failed));
    QCOMPARE(reason, error);
    QCOMPARE(failed, int(rules.size()) - 1); // each row's bad rule is its last
    QVERIFY(!ReplyRules::compile(rules, nullptr));
}

void TestReplyRules::compileReportsTheFailingRule()
{
    const ReplyRule good = rule(RuleMatch::Exact, QStringLiteral("x"), QStringLiteral("y"));
    ReplyRule regex = rule(RuleMatch::Regex, QStringLiteral("^(a|b)+$"), QStringLiteral("{{1}}"));
    ReplyRule badRegex = rule(RuleMatch::Regex, QStringLiteral("ab(c"), QStringLiteral("r"));
    ReplyRule badReply = good;
    badReply.reply = QStringLiteral("{{nope}}");

    // The first bad rule in order, also when later ones are bad too and good ones surround it.
    QList<ReplyRule> rules(40, regex);
    rules[17] = badRegex;
    rules[30] = badReply;
    QString error;
    int failed = -2;
    QVERIFY(!ReplyRules::compile(rules, &error, &failed));
    QCOMPARE(failed, 17);
    QVERIFY2(error.startsWith(QStringLiteral("rule 18: ")), qPrintable(error));
    rules[17] = good;
    QVERIFY(!ReplyRules::compile(rules, &error, &failed));
    QCOMPARE(failed, 30);
    QCOMPARE(error, QStringLiteral("rule 31: reply: unknown placeholder {{nope}} at offset 0"));

    // Success clears it; no error text needed to ask for the index.
    rules[30] = good;
    failed = 5;
    QVERIFY(ReplyRules::compile(rules, nullptr, &failed));
    QCOMPARE(failed, -1);
    QVERIFY(ReplyRules::compile({}, &error, &failed));
    QCOMPARE(failed, -1);

    // Too many: the first one beyond the limit is at fault.
    QList<ReplyRule> many(ReplyRules::MaxRules + 1, good);
    QVERIFY(!ReplyRules::compile(many, nullptr, &failed));
    QCOMPARE(failed, int(ReplyRules::MaxRules));
}

void TestReplyRules::ruleLimit()
{
    ReplyRule r = rule(RuleMatch::Exact, QStringLiteral("x"), QStringLiteral("y"));
    r.delayMs = ReplyRules::MaxDelayMs; // the longest delay is allowed
    QList<ReplyRule> rules(ReplyRules::MaxRules, r);
    QVERIFY(compiled(rules));
    rules.append(r);
    QString error;
    QVERIFY(!ReplyRules::compile(rules, &error));
    QCOMPARE(error, QStringLiteral("1001 rules, at most 1000 are allowed"));
}

void TestReplyRules::matchNames()
{
    for (RuleMatch m : { RuleMatch::Exact, RuleMatch::Substring, RuleMatch::Regex, RuleMatch::JsonField })
        QCOMPARE(ruleMatchFromName(ruleMatchName(m)), m);
    QCOMPARE(ruleMatchName(RuleMatch::JsonField), QStringLiteral("json"));
    QVERIFY(!ruleMatchFromName(u"Exact"));
    QVERIFY(!ruleMatchFromName(u""));
}

void TestReplyRules::documentedFile()
{
    const auto rules = parsed(DocumentedFile);
    QVERIFY(rules);
    QCOMPARE(rules->rules().size(), 5);
    QCOMPARE(rules->rules().at(0).name, QStringLiteral("greet"));
    QCOMPARE(rules->rules().at(1).caseSensitive, false);
    QCOMPARE(rules->rules().at(1).delayMs, 500);
    QCOMPARE(rules->rules().at(2).pattern, QStringLiteral("^add (\\d+) (\\d+)$"));
    QCOMPARE(rules->rules().at(3).value, QJsonValue(QStringLiteral("subscribe")));
    QCOMPARE(rules->rules().at(4).enabled, false);

    TemplateGenerators generators;
    QCOMPARE(rules->answer(true, "hello", generators)->payload, QByteArray("hi #1"));
    QCOMPARE(rules->answer(true, "PING?", generators)->delayMs, 500);
    QCOMPARE(rules->answer(true, "add 4 5", generators)->payload, QByteArray("got 4 and 5"));
    QCOMPARE(rules->answer(true, R"({"type":"subscribe","id":12})", generators)->payload,
        QByteArray(R"({"ok":true,"id":12})"));
    QVERIFY(!rules->answer(true, "off", generators));
}

void TestReplyRules::bareArray()
{
    const auto rules = parsed(R"([{"match":"exact","pattern":"a","reply":"b"}])");
    QVERIFY(rules);
    QCOMPARE(rules->rules().size(), 1);
    const auto empty = parsed("[]");
    QVERIFY(empty);
    QVERIFY(empty->isEmpty());
    const auto emptyObject = parsed(R"({"rules":[]})");
    QVERIFY(emptyObject);
    QVERIFY(emptyObject->isEmpty());
}

void TestReplyRules::fromJsonErrors_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("error");
    const auto item = [](const QByteArray& fields) -> QByteArray { return "[{\"reply\":\"r\"," + fields + "}]"; };

    // JSON syntax: the line and column (in characters, from 1) where the parser stopped.
    QTest::addRow("missing comma") << QByteArray("{\"rules\": [\n  {\"match\": \"exact\" \"pattern\": \"x\"}\n]}")
                                   << QStringLiteral("line 2, column 22: unterminated object");
    QTest::addRow("column counts characters") << QByteArray("[\n{\"name\": \"\xc3\xa9\xc3\xa9\xc3\xa9\" x}]")
                                              << QStringLiteral("line 2, column 17: unterminated object");
    QTest::addRow("empty") << QByteArray() << QStringLiteral("line 1, column 1: illegal value");
    QTest::addRow("unterminated") << QByteArray("[\n\n") << QStringLiteral("line 3, column 1: unterminated array");
    QTest::addRow("garbage after") << QByteArray("[] x")
                                   << QStringLiteral("line 1, column 4: garbage at the end of the document");

    // The document.
    QTest::addRow("scalar") << QByteArray("5") << QStringLiteral("line 1, column 2: illegal value");
    QTest::addRow("version 2") << QByteArray(R"({"version":2,"rules":[]})")
                               << QStringLiteral("version: 2 is not supported, only 1 is");
    QTest::addRow("version as text") << QByteArray(R"({"version":"1","rules":[]})")
                                     << QStringLiteral("version: \"1\" is not supported, only 1 is");
    QTest::addRow("version 1.5") << QByteArray(R"({"version":1.5,"rules":[]})")
                                 << QStringLiteral("version: 1.5 is not supported, only 1 is");
    QTest::addRow("unknown top key") << QByteArray(R"({"rules":[],"rulez":[]})")
                                     << QStringLiteral("unknown key \"rulez\"");
    QTest::addRow("no rules") << QByteArray(R"({"version":1})") << QStringLiteral("rules: required");
    QTest::addRow("rules not array") << QByteArray(R"({"rules":{}})") << QStringLiteral("rules: must be an array");
    QTest::addRow("rule not object") << QByteArray(R"([{"match":"exact","pattern":"a","reply":"b"}, 5])")
                                     << QStringLiteral("rules[1]: must be an object");

    // The fields.
    QTest::addRow("unknown key") << QByteArray(
        R"({"rules":[{"match":"exact","pattern":"a","reply":"b"},{"match":"exact","patern":"a","reply":"b"}]})")
                                 << QStringLiteral("rules[1]: unknown key \"patern\"");
    QTest::addRow("no match") << QByteArray(R"([{"pattern":"a","reply":"b"}])")
                              << QStringLiteral("rules[0].match: required");
    QTest::addRow("unknown match") << item(R"("match":"foo")")
                                   << QStringLiteral("rules[0].match: unknown match type \"foo\" (exact, substring, "
                                                     "regex or json)");
    QTest::addRow("match in capitals") << item(R"("match":"Exact","pattern":"a")")
                                       << QStringLiteral("rules[0].match: unknown match type \"Exact\" (exact, "
                                                         "substring, regex or json)");
    QTest::addRow("match not text") << item(R"("match":1)") << QStringLiteral("rules[0].match: must be a string");
    QTest::addRow("no pattern, exact") << item(R"("match":"exact")")
                                       << QStringLiteral("rules[0].pattern: required for match \"exact\"");
    QTest::addRow("no pattern, substring")
        << item(R"("match":"substring")") << QStringLiteral("rules[0].pattern: required for match \"substring\"");
    QTest::addRow("no pattern, regex") << item(R"("match":"regex")")
                                       << QStringLiteral("rules[0].pattern: required for match \"regex\"");
    QTest::addRow("no path") << item(R"("match":"json","value":1)")
                             << QStringLiteral("rules[0].path: required for match \"json\"");
    QTest::addRow("no value") << item(R"("match":"json","path":"a")")
                              << QStringLiteral("rules[0].value: required for match \"json\"");
    QTest::addRow("no reply") << QByteArray(R"([{"match":"exact","pattern":"a"}])")
                              << QStringLiteral("rules[0].reply: required");
    QTest::addRow("reply not text") << QByteArray(R"([{"match":"exact","pattern":"a","reply":{}}])")
                                    << QStringLiteral("rules[0].reply: must be a string");
    QTest::addRow("name not text") << item(R"("match":"exact","pattern":"a","name":null)")
                                   << QStringLiteral("rules[0].name: must be a string");
    QTest::addRow("pattern not text") << item(R"("match":"exact","pattern":5)")
                                      << QStringLiteral("rules[0].pattern: must be a string");
    QTest::addRow("path not text") << item(R"("match":"json","path":["a"],"value":1)")
                                   << QStringLiteral("rules[0].path: must be a string");
    QTest::addRow("enabled not bool") << item(R"("match":"exact","pattern":"a","enabled":"no")")
                                      << QStringLiteral("rules[0].enabled: must be true or false");
    QTest::addRow("caseSensitive not bool") << item(R"("match":"exact","pattern":"a","caseSensitive":0)")
                                            << QStringLiteral("rules[0].caseSensitive: must be true or false");
    const QByteArray twoGood
        = R"({"match":"exact","pattern":"a","reply":"b"},{"match":"exact","pattern":"a","reply":"b"},)";
    const QString delayError = QStringLiteral("rules[2].delayMs: must be an integer from 0 to 3600000");
    for (const char* delay : { "-1", "3600001", "1.5", "\"5\"", "null", "1e10" })
        QTest::addRow("delayMs %s", delay)
            << QByteArray("[" + twoGood + R"({"match":"exact","pattern":"a","reply":"b","delayMs":)" + delay + "}]")
            << delayError;

    // What compile() finds, once the fields are read.
    QTest::addRow("bad regex")
        << QByteArray(R"([{"name":"r","match":"regex","pattern":"(","reply":"b"}])")
        << QStringLiteral("rules[0].pattern: invalid regular expression: missing closing parenthesis at offset 1");
    QTest::addRow("bad reply") << QByteArray(R"([{"match":"exact","pattern":"a","reply":"{{x"}])")
                               << QStringLiteral("rules[0].reply: unterminated {{ at offset 0");
    QTest::addRow("empty pattern") << QByteArray(R"([{"match":"exact","pattern":"","reply":"b"}])")
                                   << QStringLiteral("rules[0].pattern: the pattern is empty");
    QByteArray many = "[";
    for (int i = 0; i <= ReplyRules::MaxRules; ++i)
        many += QByteArray(i ? "," : "") + R"({"match":"exact","pattern":"a","reply":"b"})";
    QTest::addRow("too many rules") << QByteArray(many + ']') << QStringLiteral("1001 rules, at most 1000 are allowed");
}

void TestReplyRules::fromJsonErrors()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, error);
    QString reason;
    QVERIFY(!ReplyRules::fromJson(json, &reason));
    QCOMPARE(reason, error);
}

void TestReplyRules::roundTrip_data()
{
    QTest::addColumn<QList<ReplyRule>>("rules");
    QTest::addRow("none") << QList<ReplyRule>();

    ReplyRule all = rule(RuleMatch::Regex, QStringLiteral("^\"quoted\" \\d+ \u00e9$"), QStringLiteral("a\nb\t{{1}}"));
    all.name = QStringLiteral("every field \u263a");
    all.enabled = false;
    all.caseSensitive = false;
    all.delayMs = 3600000;
    QList<ReplyRule> rules { all };
    rules.append(rule(RuleMatch::Exact, QStringLiteral("x"), QString())); // an empty reply is a message too
    rules.append(rule(RuleMatch::Substring, QStringLiteral("\\{{"), QStringLiteral("\\{{literal}}")));
    for (const QJsonValue& value : { QJsonValue(), QJsonValue(true), QJsonValue(false), QJsonValue(0), QJsonValue(-17),
             QJsonValue(1.25), QJsonValue(qint64(1) << 53), QJsonValue(QStringLiteral("")),
             QJsonValue(QStringLiteral("text \"q\"")), QJsonValue(QJsonArray { 1, QStringLiteral("a"), QJsonValue() }),
             QJsonValue(QJsonObject { { QStringLiteral("k"), QJsonObject { { QStringLiteral("n"), 1 } } } }) })
        rules.append(jsonRule(QStringLiteral("a.0.b"), value, QStringLiteral("{{json.a}}")));
    QTest::addRow("every kind") << rules;

    // What the editor leaves behind when the match type changes still comes back.
    ReplyRule leftovers = rule(RuleMatch::Exact, QStringLiteral("x"), QStringLiteral("y"));
    leftovers.path = QStringLiteral("p");
    leftovers.value = QStringLiteral("v");
    ReplyRule jsonWithPattern = jsonRule(QStringLiteral("p"), 2, QStringLiteral("y"));
    jsonWithPattern.pattern = QStringLiteral("old");
    jsonWithPattern.caseSensitive = false;
    QTest::addRow("fields of another match type") << QList<ReplyRule> { leftovers, jsonWithPattern };
}

void TestReplyRules::roundTrip()
{
    QFETCH(QList<ReplyRule>, rules);
    const auto original = compiled(rules);
    QVERIFY(original);
    QCOMPARE(original->rules(), rules);
    const QByteArray json = original->toJson();
    const auto again = parsed(json);
    QVERIFY2(again, json.constData());
    QCOMPARE(again->rules(), rules);
    QCOMPARE(again->toJson(), json);
}

void TestReplyRules::toJsonIsIndented()
{
    ReplyRule greet = rule(RuleMatch::Exact, QStringLiteral("hello"), QStringLiteral("hi #{{counter}}"));
    greet.name = QStringLiteral("greet");
    ReplyRule ping = rule(RuleMatch::Substring, QStringLiteral("ping"), QStringLiteral("pong"));
    ping.caseSensitive = false;
    ping.delayMs = 500;
    const auto rules = compiled(
        { greet, ping, jsonRule(QStringLiteral("type"), QStringLiteral("subscribe"), QStringLiteral("ok")) });
    QVERIFY(rules);
    QCOMPARE(rules->toJson(), QByteArray(R"({
    "version": 1,
    "rules": [
        {
            "name": "greet",
            "match": "exact",
            "pattern": "hello",
            "reply": "hi #{{counter}}"
        },
        {
            "match": "substring",
            "pattern": "ping",
            "caseSensitive": false,
            "reply": "pong",
            "delayMs": 500
        },
        {
            "match": "json",
            "path": "type",
            "value": "subscribe",
            "reply": "ok"
        }
    ]
}
)"));
    QCOMPARE(compiled({})->toJson(), QByteArray("{\n    \"version\": 1,\n    \"rules\": []\n}\n"));
}

void TestReplyRules::fromFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("rules.json"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(DocumentedFile);
    file.close();
    QString error;
    const auto rules = ReplyRules::fromFile(path, &error);
    QVERIFY2(rules, qPrintable(error));
    QCOMPARE(rules->rules(), parsed(DocumentedFile)->rules());
}

// The example shipped in resources/examples (the README points to it) loads and answers as its names say.
void TestReplyRules::exampleFileAnswers()
{
    const QString path = QFINDTESTDATA("../../resources/examples/rules.json");
    QVERIFY2(!path.isEmpty(), "resources/examples/rules.json not found");
    QString error;
    const auto rules = ReplyRules::fromFile(path, &error);
    QVERIFY2(rules, qPrintable(error));
    QCOMPARE(rules->rules().size(), 5);
    TemplateGenerators generators;
    QCOMPARE(rules->answer(true, "HELLO", generators)->payload, QByteArray("hello, client #1"));
    QCOMPARE(rules->answer(true, "ping?", generators)->delayMs, 100);
    QCOMPARE(rules->answer(true, "add -2 40", generators)->payload, QByteArray("you asked for -2 + 40"));

    // The JSON replies are JSON whatever the message holds: fields go in through the json filter.
    // A reply that is not JSON shows as an empty object, and why is printed.
    const auto answerObject = [&](const QByteArray& message) {
        const auto answer = rules->answer(true, message, generators);
        if (!answer) {
            qWarning("no answer to %s", message.constData());
            return QJsonObject();
        }
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(answer->payload, &error);
        if (error.error != QJsonParseError::NoError)
            qWarning("%s answered %s: %s", message.constData(), answer->payload.constData(),
                qPrintable(error.errorString()));
        return document.object();
    };
    const QRegularExpression uuid(
        QStringLiteral("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"));
    const QJsonObject subscribed = answerObject(R"({"type":"subscribe","channel":"prices"})");
    QCOMPARE(subscribed.value(QLatin1String("type")), QJsonValue(QStringLiteral("subscribed")));
    QCOMPARE(subscribed.value(QLatin1String("channel")), QJsonValue(QStringLiteral("prices")));
    QVERIFY(uuid.match(subscribed.value(QLatin1String("id")).toString()).hasMatch());
    const QJsonObject awkward = answerObject(R"({"type":"subscribe","channel":"a \"b\" \\ c\nd \u00e9"})");
    QCOMPARE(awkward.value(QLatin1String("channel")), QJsonValue(QStringLiteral("a \"b\" \\ c\nd \u00e9")));
    QVERIFY(uuid.match(awkward.value(QLatin1String("id")).toString()).hasMatch());
    const QJsonObject noChannel = answerObject(R"({"type":"subscribe"})");
    QCOMPARE(noChannel.value(QLatin1String("type")), QJsonValue(QStringLiteral("subscribed")));
    QCOMPARE(noChannel.value(QLatin1String("channel")), QJsonValue(QJsonValue::Null));

    const auto order = rules->answer(true, R"({"order":{"id":7,"priority":1}})", generators);
    QVERIFY(order);
    QCOMPARE(order->delayMs, 1500);
    const QJsonObject ack = answerObject(R"({"order":{"id":7,"priority":1}})");
    QCOMPARE(ack.value(QLatin1String("type")), QJsonValue(QStringLiteral("ack")));
    QCOMPARE(ack.value(QLatin1String("order")), QJsonValue(7));
    const QDateTime at = QDateTime::fromString(ack.value(QLatin1String("at")).toString(), Qt::ISODateWithMs);
    QVERIFY(at.isValid());
    QCOMPARE(at.timeSpec(), Qt::UTC);
    QCOMPARE(answerObject(R"({"order":{"id":"A-1","priority":1}})").value(QLatin1String("order")),
        QJsonValue(QStringLiteral("A-1")));
    const QJsonObject noId = answerObject(R"({"order":{"priority":1}})");
    QCOMPARE(noId.value(QLatin1String("type")), QJsonValue(QStringLiteral("ack")));
    QCOMPARE(noId.value(QLatin1String("order")), QJsonValue(QJsonValue::Null));
    QVERIFY(!rules->answer(true, "{\"order\":{\"id\":7,\"priority\":2}}", generators));
}

void TestReplyRules::fromFileErrors()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QString error;
    const QString missing = dir.filePath(QStringLiteral("missing.json"));
    QVERIFY(!ReplyRules::fromFile(missing, &error));
    QCOMPARE(error, QStringLiteral("cannot read %1: No such file or directory").arg(missing));

    QVERIFY(!ReplyRules::fromFile(dir.path(), &error));
    QVERIFY2(error.startsWith(QStringLiteral("cannot read %1: ").arg(dir.path())), qPrintable(error));

    // The file's own errors are those of fromJson().
    const QString broken = dir.filePath(QStringLiteral("broken.json"));
    QFile file(broken);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("[\n{]");
    file.close();
    QVERIFY(!ReplyRules::fromFile(broken, &error));
    QCOMPARE(error, QStringLiteral("line 2, column 3: unterminated object"));
}

void TestReplyRules::fromFileSizeLimit()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("big.json"));
    // Valid JSON of exactly the largest size allowed: the rules, then whitespace.
    QByteArray json = R"([{"match":"exact","pattern":"a","reply":"b"}])";
    json.append(ReplyRules::MaxFileBytes - json.size(), '\n');
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(json);
    file.close();
    QString error;
    QVERIFY2(ReplyRules::fromFile(path, &error), qPrintable(error));

    QVERIFY(file.open(QIODevice::Append));
    file.write("\n");
    file.close();
    QVERIFY(!ReplyRules::fromFile(path, &error));
    QCOMPARE(error, QStringLiteral("cannot read %1: larger than 4 MiB").arg(path));
}

void TestReplyRules::fuzzFromJson()
{
    // Random bytes and random damage to a good file: fromJson() answers with rules or an error, never a crash,
    // and whatever it accepts comes back the same through toJson().
    QRandomGenerator random(20240611);
    const QByteArray alphabet = "{}[],:\"\\ 0123456789.-+eEtrufalsn\nabcdxyz{{}}";
    const QByteArray good = DocumentedFile;
    int accepted = 0;
    for (int round = 0; round < 4000; ++round) {
        QByteArray json;
        if (round % 4 == 0) {
            json.resize(random.bounded(200));
            for (char& c : json)
                c = char(random.bounded(256));
        } else {
            json = good;
            const int edits = 1 + random.bounded(round % 4 == 3 ? 20 : 3);
            for (int e = 0; e < edits && !json.isEmpty(); ++e) {
                const int at = random.bounded(int(json.size()));
                const char c = alphabet.at(random.bounded(int(alphabet.size())));
                switch (random.bounded(4)) {
                case 0:
                    json[at] = c;
                    break;
                case 1:
                    json.insert(at, c);
                    break;
                case 2:
                    json.remove(at, 1 + random.bounded(8));
                    break;
                case 3:
                    json.truncate(at);
                    break;
                }
            }
        }
        QString error;
        const auto rules = ReplyRules::fromJson(json, &error);
        if (!rules) {
            QVERIFY(!error.isEmpty());
            continue;
        }
        ++accepted;
        const auto again = ReplyRules::fromJson(rules->toJson(), &error);
        QVERIFY2(again, qPrintable(error));
        QCOMPARE(again->rules(), rules->rules());
        TemplateGenerators generators;
        rules->answer(true, json, generators);
        rules->answer(false, json, generators);
    }
    qDebug("%d of 4000 accepted", accepted);
}

QTEST_GUILESS_MAIN(TestReplyRules)
#include "tst_replyrules.moc"
