#include "core/replyrules.h"
#include "core/replyrulesmodel.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace wsi;

namespace {
ReplyRule exactRule(const QString& pattern, const QString& reply, const QString& name = {})
{
    ReplyRule rule;
    rule.name = name;
    rule.match = RuleMatch::Exact;
    rule.pattern = pattern;
    rule.reply = reply;
    return rule;
}

ReplyRule jsonRule(const QString& path, const QJsonValue& value, const QString& reply)
{
    ReplyRule rule;
    rule.match = RuleMatch::JsonField;
    rule.path = path;
    rule.value = value;
    rule.reply = reply;
    return rule;
}
} // namespace

class TestReplyRulesModel : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void setAndGetRules();
    void editCells();
    void matchSwitchKeepsPatternAndPath();
    void valueIsJsonText_data();
    void valueIsJsonText();
    void flagsFollowMatch();
    void rejectsBadEdits();
    void insertRemoveMove();
    void moveRowsSemantics();
    void compileValid();
    void compileInvalidRegexMarksRow();
    void compileInvalidValueMarksRow();
    void compileMarksTheFailingRowAmongMany();
    void headers();

private:
    QVariant cell(int row, ReplyRulesModel::Column column, int role = Qt::DisplayRole) const
    {
        return m_model->index(row, column).data(role);
    }
    bool set(int row, ReplyRulesModel::Column column, const QVariant& value, int role = Qt::EditRole)
    {
        return m_model->setData(m_model->index(row, column), value, role);
    }

    std::unique_ptr<ReplyRulesModel> m_model;
    std::unique_ptr<QAbstractItemModelTester> m_tester;
};

void TestReplyRulesModel::init()
{
    m_model = std::make_unique<ReplyRulesModel>();
    m_tester = std::make_unique<QAbstractItemModelTester>(
        m_model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
}

void TestReplyRulesModel::cleanup()
{
    m_tester.reset();
    m_model.reset();
}

void TestReplyRulesModel::setAndGetRules()
{
    QSignalSpy changed(m_model.get(), &ReplyRulesModel::rulesChanged);
    ReplyRule delayed = exactRule(QStringLiteral("ping"), QStringLiteral("pong"), QStringLiteral("keepalive"));
    delayed.delayMs = 500;
    delayed.caseSensitive = false;
    delayed.enabled = false;
    const QList<ReplyRule> rules { delayed, jsonRule(QStringLiteral("type"), QStringLiteral("subscribe"), {}) };
    m_model->setRules(rules);
    QCOMPARE(changed.size(), 1);
    QCOMPARE(m_model->rowCount(), 2);
    QCOMPARE(m_model->rules(), rules);

    QCOMPARE(cell(0, ReplyRulesModel::EnabledColumn, Qt::CheckStateRole).toInt(), int(Qt::Unchecked));
    QCOMPARE(cell(0, ReplyRulesModel::NameColumn).toString(), QStringLiteral("keepalive"));
    QCOMPARE(cell(0, ReplyRulesModel::MatchColumn, Qt::EditRole).toInt(), int(RuleMatch::Exact));
    QCOMPARE(cell(0, ReplyRulesModel::MatchColumn).toString(), ReplyRulesModel::matchDisplayName(RuleMatch::Exact));
    QCOMPARE(cell(0, ReplyRulesModel::PatternColumn).toString(), QStringLiteral("ping"));
    QCOMPARE(cell(0, ReplyRulesModel::CaseColumn, Qt::CheckStateRole).toInt(), int(Qt::Unchecked));
    QCOMPARE(cell(0, ReplyRulesModel::ReplyColumn).toString(), QStringLiteral("pong"));
    QCOMPARE(cell(0, ReplyRulesModel::DelayColumn).toInt(), 500);
    QVERIFY(cell(0, ReplyRulesModel::ValueColumn).toString().isEmpty());

    QCOMPARE(cell(1, ReplyRulesModel::PatternColumn).toString(), QStringLiteral("type"));
    QCOMPARE(cell(1, ReplyRulesModel::ValueColumn).toString(), QStringLiteral("\"subscribe\""));
    QVERIFY(!cell(1, ReplyRulesModel::CaseColumn, Qt::CheckStateRole).isValid());
}

void TestReplyRulesModel::editCells()
{
    m_model->insertRule(0);
    QSignalSpy changed(m_model.get(), &ReplyRulesModel::rulesChanged);
    QSignalSpy dataChanged(m_model.get(), &QAbstractItemModel::dataChanged);

    QVERIFY(set(0, ReplyRulesModel::NameColumn, QStringLiteral("greet")));
    QVERIFY(set(0, ReplyRulesModel::PatternColumn, QStringLiteral("hello")));
    QVERIFY(set(0, ReplyRulesModel::ReplyColumn, QStringLiteral("hi #{{counter}}")));
    QVERIFY(set(0, ReplyRulesModel::DelayColumn, 250));
    QVERIFY(set(0, ReplyRulesModel::CaseColumn, Qt::Unchecked, Qt::CheckStateRole));
    QVERIFY(set(0, ReplyRulesModel::EnabledColumn, Qt::Unchecked, Qt::CheckStateRole));
    QVERIFY(set(0, ReplyRulesModel::MatchColumn, int(RuleMatch::Substring)));
    QCOMPARE(changed.size(), 7);
    QCOMPARE(dataChanged.size(), 7);

    const ReplyRule rule = m_model->rule(0);
    QCOMPARE(rule.name, QStringLiteral("greet"));
    QCOMPARE(rule.pattern, QStringLiteral("hello"));
    QCOMPARE(rule.reply, QStringLiteral("hi #{{counter}}"));
    QCOMPARE(rule.delayMs, 250);
    QVERIFY(!rule.caseSensitive);
    QVERIFY(!rule.enabled);
    QCOMPARE(rule.match, RuleMatch::Substring);

    // The match by its file name too, as a rules file spells it.
    QVERIFY(set(0, ReplyRulesModel::MatchColumn, QStringLiteral("regex")));
    QCOMPARE(m_model->rule(0).match, RuleMatch::Regex);
    // Check boxes also take a plain bool through EditRole.
    QVERIFY(set(0, ReplyRulesModel::EnabledColumn, true));
    QVERIFY(m_model->rule(0).enabled);
}

void TestReplyRulesModel::matchSwitchKeepsPatternAndPath()
{
    m_model->insertRule(0, exactRule(QStringLiteral("hello"), QStringLiteral("hi")));
    QSignalSpy dataChanged(m_model.get(), &QAbstractItemModel::dataChanged);
    QVERIFY(set(0, ReplyRulesModel::MatchColumn, int(RuleMatch::JsonField)));
    // The whole row changes meaning.
    QCOMPARE(dataChanged.size(), 1);
    QCOMPARE(dataChanged.at(0).at(0).toModelIndex().column(), 0);
    QCOMPARE(dataChanged.at(0).at(1).toModelIndex().column(), int(ReplyRulesModel::ColumnCount) - 1);

    QVERIFY(cell(0, ReplyRulesModel::PatternColumn).toString().isEmpty());
    QVERIFY(set(0, ReplyRulesModel::PatternColumn, QStringLiteral("user.id")));
    QVERIFY(set(0, ReplyRulesModel::ValueColumn, QStringLiteral("42")));
    QCOMPARE(m_model->rule(0).path, QStringLiteral("user.id"));
    QCOMPARE(m_model->rule(0).pattern, QStringLiteral("hello"));
    QCOMPARE(m_model->rule(0).value, QJsonValue(42));

    QVERIFY(set(0, ReplyRulesModel::MatchColumn, int(RuleMatch::Exact)));
    QCOMPARE(cell(0, ReplyRulesModel::PatternColumn).toString(), QStringLiteral("hello"));
    QVERIFY(set(0, ReplyRulesModel::MatchColumn, int(RuleMatch::JsonField)));
    QCOMPARE(cell(0, ReplyRulesModel::PatternColumn).toString(), QStringLiteral("user.id"));
    QCOMPARE(cell(0, ReplyRulesModel::ValueColumn).toString(), QStringLiteral("42"));
}

void TestReplyRulesModel::valueIsJsonText_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<bool>("valid");

    QTest::addRow("string") << QStringLiteral("\"subscribe\"") << QJsonValue(QStringLiteral("subscribe")) << true;
    QTest::addRow("number") << QStringLiteral("1.5") << QJsonValue(1.5) << true;
    QTest::addRow("spaces") << QStringLiteral("  true ") << QJsonValue(true) << true;
    QTest::addRow("null") << QStringLiteral("null") << QJsonValue(QJsonValue::Null) << true;
    QTest::addRow("object") << QStringLiteral("{\"a\":[1,2]}")
                            << QJsonValue(QJsonObject { { QStringLiteral("a"), QJsonArray { 1, 2 } } }) << true;
    QTest::addRow("bare word") << QStringLiteral("subscribe") << QJsonValue(QJsonValue::Undefined) << false;
    QTest::addRow("two values") << QStringLiteral("1, 2") << QJsonValue(QJsonValue::Undefined) << false;
    QTest::addRow("bracket trick") << QStringLiteral("1], [2") << QJsonValue(QJsonValue::Undefined) << false;
    QTest::addRow("empty") << QString() << QJsonValue(QJsonValue::Undefined) << false;
}

void TestReplyRulesModel::valueIsJsonText()
{
    QFETCH(QString, text);
    QFETCH(QJsonValue, value);
    QFETCH(bool, valid);
    m_model->insertRule(0, jsonRule(QStringLiteral("type"), 1, QStringLiteral("ok")));
    QVERIFY(set(0, ReplyRulesModel::ValueColumn, text));
    // What was typed stays, valid or not.
    QCOMPARE(cell(0, ReplyRulesModel::ValueColumn).toString(), text);
    QCOMPARE(m_model->rule(0).value, value);
    QString error;
    const bool compiled = m_model->compile(&error) != nullptr;
    QCOMPARE(compiled, valid);
    QCOMPARE(error.isEmpty(), valid);
    if (!valid) {
        QVERIFY2(error.startsWith(QStringLiteral("rule 1")), qPrintable(error));
        QCOMPARE(m_model->errorRow(), 0);
    }
}

void TestReplyRulesModel::flagsFollowMatch()
{
    m_model->setRules({ exactRule(QStringLiteral("a"), QStringLiteral("b")), jsonRule(QStringLiteral("t"), 1, {}) });
    auto flags
        = [this](int row, ReplyRulesModel::Column column) { return m_model->flags(m_model->index(row, column)); };
    QVERIFY(!(flags(0, ReplyRulesModel::ValueColumn) & Qt::ItemIsEditable));
    QVERIFY(flags(1, ReplyRulesModel::ValueColumn) & Qt::ItemIsEditable);
    QVERIFY(flags(0, ReplyRulesModel::CaseColumn) & Qt::ItemIsUserCheckable);
    QVERIFY(!(flags(1, ReplyRulesModel::CaseColumn) & Qt::ItemIsUserCheckable));
    QVERIFY(flags(0, ReplyRulesModel::EnabledColumn) & Qt::ItemIsUserCheckable);
    QVERIFY(!(flags(0, ReplyRulesModel::EnabledColumn) & Qt::ItemIsEditable));
    for (auto column : { ReplyRulesModel::NameColumn, ReplyRulesModel::MatchColumn, ReplyRulesModel::PatternColumn,
             ReplyRulesModel::ReplyColumn, ReplyRulesModel::DelayColumn })
        QVERIFY(flags(0, column) & Qt::ItemIsEditable);
}

void TestReplyRulesModel::rejectsBadEdits()
{
    m_model->setRules({ exactRule(QStringLiteral("a"), QStringLiteral("b")) });
    QSignalSpy changed(m_model.get(), &ReplyRulesModel::rulesChanged);
    QVERIFY(!set(0, ReplyRulesModel::DelayColumn, -1));
    QVERIFY(!set(0, ReplyRulesModel::DelayColumn, ReplyRulesModel::MaxDelayMs + 1));
    QVERIFY(!set(0, ReplyRulesModel::DelayColumn, QStringLiteral("soon")));
    QVERIFY(!set(0, ReplyRulesModel::MatchColumn, 99));
    QVERIFY(!set(0, ReplyRulesModel::MatchColumn, QStringLiteral("fuzzy")));
    QVERIFY(!set(0, ReplyRulesModel::ValueColumn, QStringLiteral("1"))); // not a JSON field rule
    QVERIFY(!set(0, ReplyRulesModel::NameColumn, QStringLiteral("x"), Qt::DisplayRole));
    QVERIFY(set(0, ReplyRulesModel::DelayColumn, ReplyRulesModel::MaxDelayMs));
    QCOMPARE(changed.size(), 1);
    QCOMPARE(m_model->rule(0).delayMs, ReplyRulesModel::MaxDelayMs);
}

void TestReplyRulesModel::insertRemoveMove()
{
    const ReplyRule a = exactRule(QStringLiteral("a"), QStringLiteral("1"));
    const ReplyRule b = exactRule(QStringLiteral("b"), QStringLiteral("2"));
    const ReplyRule c = exactRule(QStringLiteral("c"), QStringLiteral("3"));
    QSignalSpy changed(m_model.get(), &ReplyRulesModel::rulesChanged);

    QCOMPARE(m_model->insertRule(0, a), 0);
    QCOMPARE(m_model->insertRule(m_model->rowCount(), c), 1);
    QCOMPARE(m_model->insertRule(1, b), 1);
    QCOMPARE(m_model->rules(), (QList<ReplyRule> { a, b, c }));
    QCOMPARE(m_model->insertRule(99, a), 3); // clamped to the end
    QVERIFY(m_model->removeRows(3, 1));
    QCOMPARE(changed.size(), 5);

    QCOMPARE(m_model->duplicateRule(1), 2);
    QCOMPARE(m_model->rules(), (QList<ReplyRule> { a, b, b, c }));
    QCOMPARE(m_model->duplicateRule(7), -1);
    QVERIFY(m_model->removeRows(1, 2));
    QCOMPARE(m_model->rules(), (QList<ReplyRule> { a, c }));
    QVERIFY(!m_model->removeRows(1, 5));

    QVERIFY(m_model->insertRows(1, 2)); // default rules
    QCOMPARE(m_model->rowCount(), 4);
    QCOMPARE(m_model->rule(1), ReplyRule());
    QVERIFY(m_model->removeRows(1, 2));

    m_model->insertRule(1, b); // a b c
    QVERIFY(m_model->moveRule(0, 2)); // down to the end
    QCOMPARE(m_model->rules(), (QList<ReplyRule> { b, c, a }));
    QVERIFY(m_model->moveRule(2, 1)); // up one
    QCOMPARE(m_model->rules(), (QList<ReplyRule> { b, a, c }));
    QVERIFY(m_model->moveRule(1, 0));
    QCOMPARE(m_model->rules(), (QList<ReplyRule> { a, b, c }));
    QVERIFY(!m_model->moveRule(0, 0));
    QVERIFY(!m_model->moveRule(0, 3));
    QVERIFY(!m_model->moveRule(-1, 0));
}

void TestReplyRulesModel::moveRowsSemantics()
{
    const ReplyRule a = exactRule(QStringLiteral("a"), {});
    const ReplyRule b = exactRule(QStringLiteral("b"), {});
    const ReplyRule c = exactRule(QStringLiteral("c"), {});
    const ReplyRule d = exactRule(QStringLiteral("d"), {});
    m_model->setRules({ a, b, c, d });
    QSignalSpy moved(m_model.get(), &QAbstractItemModel::rowsMoved);
    // Two rows before the last one: the destination counts rows before the move.
    QVERIFY(m_model->moveRows({}, 0, 2, {}, 3));
    QCOMPARE(m_model->rules(), (QList<ReplyRule> { c, a, b, d }));
    QVERIFY(m_model->moveRows({}, 1, 2, {}, 0));
    QCOMPARE(m_model->rules(), (QList<ReplyRule> { a, b, c, d }));
    QVERIFY(!m_model->moveRows({}, 1, 2, {}, 2)); // onto itself
    QVERIFY(!m_model->moveRows({}, 3, 2, {}, 0)); // past the end
    QCOMPARE(moved.size(), 2);
}

void TestReplyRulesModel::compileValid()
{
    QString error = QStringLiteral("stale");
    std::shared_ptr<const ReplyRules> empty = m_model->compile(&error);
    QVERIFY(empty);
    QVERIFY(empty->isEmpty());
    QVERIFY(error.isEmpty());

    ReplyRule regex = exactRule(QStringLiteral("^add (\\d+) (\\d+)$"), QStringLiteral("got {{1}} and {{2}}"));
    regex.match = RuleMatch::Regex;
    const QList<ReplyRule> rules { exactRule(QStringLiteral("hello"), QStringLiteral("hi")), regex,
        jsonRule(QStringLiteral("type"), QStringLiteral("subscribe"), QStringLiteral("{\"ok\":true}")) };
    m_model->setRules(rules);
    std::shared_ptr<const ReplyRules> compiled = m_model->compile(&error);
    QVERIFY2(compiled, qPrintable(error));
    QCOMPARE(compiled->rules(), rules);
    QCOMPARE(m_model->errorRow(), -1);
}

void TestReplyRulesModel::compileInvalidRegexMarksRow()
{
    ReplyRule bad = exactRule(QStringLiteral("(unclosed"), QStringLiteral("x"), QStringLiteral("broken"));
    bad.match = RuleMatch::Regex;
    m_model->setRules({ exactRule(QStringLiteral("hello"), QStringLiteral("hi")), bad,
        exactRule(QStringLiteral("bye"), QStringLiteral("ciao")) });
    QSignalSpy dataChanged(m_model.get(), &QAbstractItemModel::dataChanged);
    QString error;
    QVERIFY(!m_model->compile(&error));
    QVERIFY2(error.startsWith(QStringLiteral("rule 2")), qPrintable(error));
    QVERIFY2(error.contains(QStringLiteral("broken")), qPrintable(error));
    QCOMPARE(m_model->errorRow(), 1);
    QCOMPARE(cell(1, ReplyRulesModel::PatternColumn, ReplyRulesModel::ErrorRole).toString(), error);
    QCOMPARE(cell(1, ReplyRulesModel::PatternColumn, Qt::ToolTipRole).toString(), error);
    QVERIFY(cell(0, ReplyRulesModel::PatternColumn, ReplyRulesModel::ErrorRole).toString().isEmpty());
    QCOMPARE(dataChanged.size(), 1);

    // Fixed: the mark goes.
    QVERIFY(set(1, ReplyRulesModel::PatternColumn, QStringLiteral("(closed)")));
    QVERIFY2(m_model->compile(&error), qPrintable(error));
    QCOMPARE(m_model->errorRow(), -1);
    QVERIFY(cell(1, ReplyRulesModel::PatternColumn, ReplyRulesModel::ErrorRole).toString().isEmpty());
}

void TestReplyRulesModel::compileInvalidValueMarksRow()
{
    // A bad JSON value on row 2 and a bad regex on row 1: the first in the order of the rules is reported.
    ReplyRule bad = exactRule(QStringLiteral("(unclosed"), QStringLiteral("x"));
    bad.match = RuleMatch::Regex;
    m_model->setRules({ bad, jsonRule(QStringLiteral("type"), 1, QStringLiteral("ok")) });
    QVERIFY(set(1, ReplyRulesModel::ValueColumn, QStringLiteral("subscribe")));
    QString error;
    QVERIFY(!m_model->compile(&error));
    QCOMPARE(m_model->errorRow(), 0);
    QVERIFY(set(0, ReplyRulesModel::PatternColumn, QStringLiteral("fine")));
    QVERIFY(!m_model->compile(&error));
    QCOMPARE(m_model->errorRow(), 1);
    QVERIFY2(error.startsWith(QStringLiteral("rule 2")), qPrintable(error));
    QVERIFY2(error.contains(QStringLiteral("JSON")), qPrintable(error));
    // Structural edits drop the mark; the next compile sets it again.
    m_model->insertRule(0);
    QCOMPARE(m_model->errorRow(), -1);
}

void TestReplyRulesModel::compileMarksTheFailingRowAmongMany()
{
    // Regexes before and after the bad rule, a bad template further down: the first bad row is marked, and
    // only it.
    ReplyRule regex = exactRule(QStringLiteral("^n(\\d+)$"), QStringLiteral("got {{1}}"));
    regex.match = RuleMatch::Regex;
    QList<ReplyRule> rules(200, regex);
    rules[123].pattern = QStringLiteral("n(");
    rules[123].name = QStringLiteral("bad");
    rules[150].reply = QStringLiteral("{{nope}}");
    m_model->setRules(rules);
    QString error;
    QVERIFY(!m_model->compile(&error));
    QVERIFY2(error.startsWith(QStringLiteral("rule 124 (bad): invalid regular expression")), qPrintable(error));
    QCOMPARE(m_model->errorRow(), 123);
    QCOMPARE(cell(123, ReplyRulesModel::ReplyColumn, ReplyRulesModel::ErrorRole).toString(), error);
    for (int row : { 0, 122, 124, 150, 199 })
        QVERIFY(cell(row, ReplyRulesModel::ReplyColumn, ReplyRulesModel::ErrorRole).toString().isEmpty());

    // Fixed: the next bad one is marked.
    QVERIFY(set(123, ReplyRulesModel::PatternColumn, QStringLiteral("n(\\d)")));
    QVERIFY(!m_model->compile(&error));
    QCOMPARE(m_model->errorRow(), 150);
    QVERIFY2(error.startsWith(QStringLiteral("rule 151: reply: ")), qPrintable(error));
    QVERIFY(cell(123, ReplyRulesModel::ReplyColumn, ReplyRulesModel::ErrorRole).toString().isEmpty());

    // Too many rules: the first one beyond the limit.
    m_model->setRules(QList<ReplyRule>(ReplyRules::MaxRules + 1, exactRule(QStringLiteral("a"), QStringLiteral("b"))));
    QVERIFY(!m_model->compile(&error));
    QCOMPARE(m_model->errorRow(), int(ReplyRules::MaxRules));
}

void TestReplyRulesModel::headers()
{
    for (int column = 0; column < ReplyRulesModel::ColumnCount; ++column)
        QVERIFY(!m_model->headerData(column, Qt::Horizontal).toString().isEmpty());
    QCOMPARE(m_model->headerData(0, Qt::Vertical).toInt(), 1);
    QCOMPARE(ReplyRulesModel::matchKinds().size(), 4);
}

QTEST_GUILESS_MAIN(TestReplyRulesModel)
#include "tst_replyrulesmodel.moc"
