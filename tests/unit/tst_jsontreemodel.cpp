#include "core/jsontreemodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>
#include <QThread>

#include <memory>

using namespace wsi;

namespace {

// Built from plain literals: moc's lexer loses its way in a multi-line raw string with escaped quotes.
const QByteArray sample = "{\n"
                          "  \"name\": \"demo\",\n"
                          "  \"items\": [10, {\"id\": 7, \"tags\": [\"a\", \"b\"]}, null],\n"
                          "  \"weird key\": {\"with \\\"quotes\\\"\": true, \"0lead\": 1.5, \"_ok$\": \"x\\ny\"},\n"
                          "  \"empty\": {},\n"
                          "  \"none\": []\n"
                          "}";

QString cell(const QAbstractItemModel& model, const QModelIndex& index, int column)
{
    return model.index(index.row(), column, index.parent()).data().toString();
}

QModelIndex child(const QAbstractItemModel& model, const QModelIndex& parent, const QString& key)
{
    for (int row = 0; row < model.rowCount(parent); ++row) {
        const QModelIndex index = model.index(row, 0, parent);
        if (index.data().toString() == key)
            return index;
    }
    return {};
}

} // namespace

class TestJsonTreeModel : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void emptyModel();
    void structure();
    void keysValuesTypes();
    void paths();
    void pathRole();
    void copyValue();
    void keySegment_data();
    void keySegment();
    void emptyContainers();
    void scalarRoot();
    void invalidJson();
    void resetSignals();
    void deepArrays();
    void deepObjects();
    void nodeCap();
    void longValuesAreCut();
    void hugeKeyIsCut();
    void deepPathIsCutForDisplay();
    void buildOnAnotherThread();

private:
    std::unique_ptr<JsonTreeModel> m_model;
    std::unique_ptr<QAbstractItemModelTester> m_tester;
};

void TestJsonTreeModel::init()
{
    m_model = std::make_unique<JsonTreeModel>();
    m_tester = std::make_unique<QAbstractItemModelTester>(
        m_model.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
}

void TestJsonTreeModel::cleanup()
{
    m_tester.reset();
    m_model.reset();
}

void TestJsonTreeModel::emptyModel()
{
    QCOMPARE(m_model->rowCount(), 0);
    QCOMPARE(m_model->columnCount(), 3);
    QVERIFY(!m_model->index(0, 0).isValid());
    QCOMPARE(m_model->pathOf({}), QString());
    QCOMPARE(m_model->headerData(0, Qt::Horizontal).toString(), QStringLiteral("Key"));
    QCOMPARE(m_model->headerData(1, Qt::Horizontal).toString(), QStringLiteral("Value"));
    QCOMPARE(m_model->headerData(2, Qt::Horizontal).toString(), QStringLiteral("Type"));
}

void TestJsonTreeModel::structure()
{
    QVERIFY(m_model->setJson(sample));
    QCOMPARE(m_model->rowCount(), 1);
    const QModelIndex root = m_model->index(0, 0);
    QCOMPARE(root.data().toString(), QStringLiteral("$"));
    QVERIFY(!m_model->parent(root).isValid());
    QCOMPARE(m_model->rowCount(root), 5);
    QCOMPARE(m_model->nodeCount(), 16);

    const QModelIndex items = child(*m_model, root, QStringLiteral("items"));
    QVERIFY(items.isValid());
    QCOMPARE(items.row(), 1);
    QCOMPARE(m_model->parent(items), root);
    QCOMPARE(m_model->rowCount(items), 3);
    const QModelIndex second = m_model->index(1, 0, items);
    QCOMPARE(second.data().toString(), QStringLiteral("[1]"));
    QCOMPARE(m_model->rowCount(second), 2);
    QCOMPARE(m_model->parent(second), items);
    const QModelIndex tags = child(*m_model, second, QStringLiteral("tags"));
    QCOMPARE(m_model->rowCount(tags), 2);
    // Only column 0 has children, as views expect.
    QCOMPARE(m_model->rowCount(m_model->index(1, 1, root)), 0);
    QVERIFY(!m_model->index(3, 0, items).isValid());
}

void TestJsonTreeModel::keysValuesTypes()
{
    QVERIFY(m_model->setJson(sample));
    const QModelIndex root = m_model->index(0, 0);
    QCOMPARE(cell(*m_model, root, JsonTreeModel::ValueColumn), QStringLiteral("{5 members}"));
    QCOMPARE(cell(*m_model, root, JsonTreeModel::TypeColumn), QStringLiteral("object"));

    const QModelIndex name = child(*m_model, root, QStringLiteral("name"));
    QCOMPARE(cell(*m_model, name, JsonTreeModel::ValueColumn), QStringLiteral("\"demo\""));
    QCOMPARE(cell(*m_model, name, JsonTreeModel::TypeColumn), QStringLiteral("string"));
    QCOMPARE(name.data(JsonTreeModel::TypeRole).toInt(), int(JsonType::String));

    const QModelIndex items = child(*m_model, root, QStringLiteral("items"));
    QCOMPARE(cell(*m_model, items, JsonTreeModel::ValueColumn), QStringLiteral("[3 elements]"));
    QCOMPARE(cell(*m_model, items, JsonTreeModel::TypeColumn), QStringLiteral("array"));
    const QModelIndex first = m_model->index(0, 0, items);
    QCOMPARE(first.data().toString(), QStringLiteral("[0]"));
    QCOMPARE(cell(*m_model, first, JsonTreeModel::ValueColumn), QStringLiteral("10"));
    QCOMPARE(cell(*m_model, first, JsonTreeModel::TypeColumn), QStringLiteral("number"));
    const QModelIndex third = m_model->index(2, 0, items);
    QCOMPARE(cell(*m_model, third, JsonTreeModel::ValueColumn), QStringLiteral("null"));
    QCOMPARE(cell(*m_model, third, JsonTreeModel::TypeColumn), QStringLiteral("null"));

    const QModelIndex weird = child(*m_model, root, QStringLiteral("weird key"));
    const QModelIndex quoted = child(*m_model, weird, QStringLiteral("with \"quotes\""));
    QVERIFY(quoted.isValid());
    QCOMPARE(cell(*m_model, quoted, JsonTreeModel::ValueColumn), QStringLiteral("true"));
    QCOMPARE(cell(*m_model, quoted, JsonTreeModel::TypeColumn), QStringLiteral("boolean"));
}

void TestJsonTreeModel::paths()
{
    QVERIFY(m_model->setJson(sample));
    const QModelIndex root = m_model->index(0, 0);
    QCOMPARE(m_model->pathOf(root), QStringLiteral("$"));
    const QModelIndex items = child(*m_model, root, QStringLiteral("items"));
    QCOMPARE(m_model->pathOf(items), QStringLiteral("$.items"));
    const QModelIndex second = m_model->index(1, 0, items);
    QCOMPARE(m_model->pathOf(second), QStringLiteral("$.items[1]"));
    const QModelIndex tag = m_model->index(1, 0, child(*m_model, second, QStringLiteral("tags")));
    QCOMPARE(m_model->pathOf(tag), QStringLiteral("$.items[1].tags[1]"));
    // Any column of a row names the same node.
    QCOMPARE(m_model->pathOf(tag.siblingAtColumn(2)), QStringLiteral("$.items[1].tags[1]"));

    const QModelIndex weird = child(*m_model, root, QStringLiteral("weird key"));
    QCOMPARE(m_model->pathOf(weird), QStringLiteral(R"($["weird key"])"));
    QCOMPARE(m_model->pathOf(child(*m_model, weird, QStringLiteral("with \"quotes\""))),
        QStringLiteral(R"($["weird key"]["with \"quotes\""])"));
    QCOMPARE(
        m_model->pathOf(child(*m_model, weird, QStringLiteral("0lead"))), QStringLiteral(R"($["weird key"]["0lead"])"));
    QCOMPARE(m_model->pathOf(child(*m_model, weird, QStringLiteral("_ok$"))), QStringLiteral(R"($["weird key"]._ok$)"));
}

void TestJsonTreeModel::pathRole()
{
    QVERIFY(m_model->setJson(R"({"a":[{"b":1}]})"));
    const QModelIndex b = m_model->index(0, 0, m_model->index(0, 0, m_model->index(0, 0, m_model->index(0, 0))));
    QCOMPARE(b.data(JsonTreeModel::PathRole).toString(), QStringLiteral("$.a[0].b"));
}

void TestJsonTreeModel::copyValue()
{
    QVERIFY(m_model->setJson(sample));
    const QModelIndex root = m_model->index(0, 0);
    const QModelIndex weird = child(*m_model, root, QStringLiteral("weird key"));
    const QModelIndex text = child(*m_model, weird, QStringLiteral("_ok$"));
    // A string copies as its text; everything else as the JSON written in the document.
    QCOMPARE(m_model->copyValue(text), QStringLiteral("x\ny"));
    QCOMPARE(text.data(JsonTreeModel::RawJsonRole).toByteArray(), QByteArray(R"("x\ny")"));
    const QModelIndex items = child(*m_model, root, QStringLiteral("items"));
    QCOMPARE(m_model->copyValue(items), QStringLiteral(R"([10, {"id": 7, "tags": ["a", "b"]}, null])"));
    QCOMPARE(items.data(JsonTreeModel::CopyValueRole).toString(), m_model->copyValue(items));
    QCOMPARE(m_model->copyValue(root), QString::fromUtf8(sample));
    QCOMPARE(m_model->rawJson(m_model->index(0, 0, items)), QByteArray("10"));
}

void TestJsonTreeModel::keySegment_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("segment");
    QTest::addRow("identifier") << QStringLiteral("name") << QStringLiteral(".name");
    QTest::addRow("underscore dollar digits") << QStringLiteral("_a$1") << QStringLiteral("._a$1");
    QTest::addRow("space") << QStringLiteral("a b") << QStringLiteral(R"(["a b"])");
    QTest::addRow("leading digit") << QStringLiteral("1a") << QStringLiteral(R"(["1a"])");
    QTest::addRow("empty") << QString() << QStringLiteral(R"([""])");
    QTest::addRow("dot") << QStringLiteral("a.b") << QStringLiteral(R"(["a.b"])");
    QTest::addRow("quote and backslash") << QStringLiteral("a\"\\") << QStringLiteral(R"(["a\"\\"])");
    QTest::addRow("non-ascii") << QStringLiteral("caf\u00e9") << QStringLiteral("[\"caf\u00e9\"]");
}

void TestJsonTreeModel::keySegment()
{
    QFETCH(QString, key);
    QFETCH(QString, segment);
    QCOMPARE(JsonTreeModel::keySegment(key), segment);
}

void TestJsonTreeModel::emptyContainers()
{
    QVERIFY(m_model->setJson("{}"));
    QCOMPARE(m_model->rowCount(), 1);
    const QModelIndex root = m_model->index(0, 0);
    QCOMPARE(m_model->rowCount(root), 0);
    QVERIFY(!m_model->hasChildren(root));
    QCOMPARE(cell(*m_model, root, JsonTreeModel::ValueColumn), QStringLiteral("{0 members}"));

    QVERIFY(m_model->setJson(" [ ] "));
    QCOMPARE(m_model->rowCount(m_model->index(0, 0)), 0);
    QCOMPARE(cell(*m_model, m_model->index(0, 0), JsonTreeModel::ValueColumn), QStringLiteral("[0 elements]"));
    QCOMPARE(m_model->copyValue(m_model->index(0, 0)), QStringLiteral("[ ]"));
}

void TestJsonTreeModel::scalarRoot()
{
    QVERIFY(m_model->setJson("\"hi\""));
    QCOMPARE(m_model->rowCount(), 1);
    QCOMPARE(cell(*m_model, m_model->index(0, 0), JsonTreeModel::ValueColumn), QStringLiteral("\"hi\""));
    QCOMPARE(m_model->pathOf(m_model->index(0, 0)), QStringLiteral("$"));
}

void TestJsonTreeModel::invalidJson()
{
    QVERIFY(m_model->setJson(sample));
    QVERIFY(!m_model->setJson("[1,2,"));
    QCOMPARE(m_model->rowCount(), 0);
    QVERIFY(!m_model->result().isValid());
    QCOMPARE(m_model->result().errorOffset, 5);
    QVERIFY(!m_model->setJson(QByteArray()));
    QCOMPARE(m_model->rowCount(), 0);
}

void TestJsonTreeModel::resetSignals()
{
    QSignalSpy reset(m_model.get(), &QAbstractItemModel::modelReset);
    QVERIFY(m_model->setJson("[1]"));
    QCOMPARE(reset.size(), 1);
    m_model->clear();
    QCOMPARE(reset.size(), 2);
    QCOMPARE(m_model->rowCount(), 0);
}

void TestJsonTreeModel::deepArrays()
{
    const int depth = 10000;
    QVERIFY(m_model->setJson(QByteArray(depth, '[') + "42" + QByteArray(depth, ']')));
    QCOMPARE(m_model->nodeCount(), depth + 1);
    QModelIndex index = m_model->index(0, 0);
    for (int level = 0; level < depth; ++level) {
        QCOMPARE(m_model->rowCount(index), 1);
        index = m_model->index(0, 0, index);
        QVERIFY(index.isValid());
    }
    QCOMPARE(m_model->rowCount(index), 0);
    QCOMPARE(cell(*m_model, index, JsonTreeModel::ValueColumn), QStringLiteral("42"));
    QString expected = QStringLiteral("$");
    for (int level = 0; level < depth; ++level)
        expected += QStringLiteral("[0]");
    QCOMPARE(m_model->pathOf(index), expected);

    // And back up to the root through parent().
    int levels = 0;
    while (m_model->parent(index).isValid()) {
        index = m_model->parent(index);
        ++levels;
    }
    QCOMPARE(levels, depth);
    QCOMPARE(index, m_model->index(0, 0));
}

void TestJsonTreeModel::deepObjects()
{
    const int depth = 10000;
    QByteArray json;
    for (int i = 0; i < depth; ++i)
        json += "{\"a\":";
    json += "null" + QByteArray(depth, '}');
    QVERIFY(m_model->setJson(json));
    QModelIndex index = m_model->index(0, 0);
    for (int level = 0; level < depth; ++level) {
        index = m_model->index(0, 0, index);
        QVERIFY(index.isValid());
        QCOMPARE(index.data().toString(), QStringLiteral("a"));
    }
    QCOMPARE(cell(*m_model, index, JsonTreeModel::TypeColumn), QStringLiteral("null"));
    const QString path = m_model->pathOf(index);
    QCOMPARE(path.size(), 1 + 2 * depth);
    QVERIFY(path.startsWith(QStringLiteral("$.a.a.")));
    QCOMPARE(m_model->rawJson(m_model->index(0, 0)), json);
}

void TestJsonTreeModel::nodeCap()
{
    m_model->setMaxNodes(3);
    QVERIFY(m_model->setJson("[1,2,3,4,5]"));
    QVERIFY(m_model->isTruncated());
    QCOMPARE(m_model->nodeCount(), 3);
    QCOMPARE(m_model->rowCount(m_model->index(0, 0)), 2);

    m_model->setMaxNodes(100);
    QVERIFY(m_model->setJson("[1,2,3,4,5]"));
    QVERIFY(!m_model->isTruncated());
    QCOMPARE(m_model->rowCount(m_model->index(0, 0)), 5);
}

void TestJsonTreeModel::longValuesAreCut()
{
    const QByteArray longString = '"' + QByteArray(10000, 'x') + '"';
    QVERIFY(m_model->setJson('[' + longString + ']'));
    const QModelIndex value = m_model->index(0, JsonTreeModel::ValueColumn, m_model->index(0, 0));
    const QString text = value.data().toString();
    QCOMPARE(text.size(), JsonTreeModel::MaxCellChars + 1);
    QVERIFY(text.endsWith(QChar(0x2026)));
    QCOMPARE(m_model->copyValue(value).size(), 10000);
}

// A peer may send a key of megabytes: the cell, tooltip and label show its start; "copy path" has all of it.
void TestJsonTreeModel::hugeKeyIsCut()
{
    const QByteArray key = QByteArray("k\\n").repeated(400 * 1024); // 1.2 MB raw, escapes to decode
    const QString decodedKey = JsonFormatter::unquote(QByteArray('"' + key + '"'));
    QVERIFY(m_model->setJson("{\"" + key + "\":1,\"" + key + "x\":{\"" + key + "\":[2]}}"));
    const QModelIndex root = m_model->index(0, 0);
    const QModelIndex first = m_model->index(0, 0, root);
    const QString text = first.data().toString();
    QCOMPARE(text.size(), JsonTreeModel::MaxCellChars + 1);
    QVERIFY(text.endsWith(QChar(0x2026)));
    QVERIFY(decodedKey.startsWith(text.chopped(1)));

    // The path in full for the clipboard, cut for reading.
    QCOMPARE(m_model->pathOf(first), QStringLiteral("$[") + JsonFormatter::quote(decodedKey) + QLatin1Char(']'));
    const QString tip = first.data(Qt::ToolTipRole).toString();
    QCOMPARE(tip, m_model->displayPath(first));
    QVERIFY2(tip.size() <= JsonTreeModel::MaxPathKeyChars * 2 + 10, qPrintable(QString::number(tip.size())));
    QVERIFY(tip.startsWith(QStringLiteral("$[\"k\\nk\\n")));
    QVERIFY(tip.endsWith(QStringLiteral("\u2026\"]")));

    // Two huge keys and an index below them: every step still there, each cut.
    const QModelIndex inner = m_model->index(0, 0, m_model->index(0, 0, m_model->index(1, 0, root)));
    QCOMPARE(inner.data().toString(), QStringLiteral("[0]"));
    const QString innerTip = m_model->displayPath(inner);
    QVERIFY(innerTip.size() <= 3 * JsonTreeModel::MaxPathKeyChars * 2);
    QVERIFY(innerTip.startsWith(QStringLiteral("$[")));
    QVERIFY(innerTip.endsWith(QStringLiteral("\u2026\"][0]")));
    QCOMPARE(m_model->pathOf(inner),
        QStringLiteral("$[") + JsonFormatter::quote(QString(decodedKey + QLatin1Char('x'))) + QStringLiteral("][")
            + JsonFormatter::quote(decodedKey) + QStringLiteral("][0]"));
}

void TestJsonTreeModel::deepPathIsCutForDisplay()
{
    const int depth = 10000;
    QVERIFY(m_model->setJson(QByteArray(depth, '[') + "42" + QByteArray(depth, ']')));
    QModelIndex index = m_model->index(0, 0);
    while (m_model->rowCount(index) > 0)
        index = m_model->index(0, 0, index);
    QCOMPARE(m_model->pathOf(index).size(), 1 + 3 * depth);
    const QString shown = m_model->displayPath(index);
    QVERIFY(shown.size() <= JsonTreeModel::MaxPathChars + 10);
    QVERIFY(shown.startsWith(QStringLiteral("$\u2026[0]")));
    QVERIFY(shown.endsWith(QStringLiteral("[0][0][0]")));
    // Short paths are whole.
    QCOMPARE(m_model->displayPath(m_model->index(0, 0, m_model->index(0, 0))), QStringLiteral("$[0]"));
}

// build() touches no model, so megabytes can be parsed on a pool thread and handed over.
void TestJsonTreeModel::buildOnAnotherThread()
{
    JsonTreeModel::Tree tree;
    std::unique_ptr<QThread> thread(
        QThread::create([&tree] { tree = JsonTreeModel::build(sample, JsonTreeModel::DefaultMaxNodes); }));
    thread->start();
    QVERIFY(thread->wait(10000));
    QVERIFY(tree.result().isValid());
    QSignalSpy reset(m_model.get(), &QAbstractItemModel::modelReset);
    QVERIFY(m_model->setTree(std::move(tree)));
    QCOMPARE(reset.size(), 1);
    const QModelIndex root = m_model->index(0, 0);
    QCOMPARE(m_model->rowCount(root), 5);
    QCOMPARE(m_model->json(), sample);
    QCOMPARE(m_model->pathOf(m_model->index(1, 0, child(*m_model, root, QStringLiteral("items")))),
        QStringLiteral("$.items[1]"));

    // Capped and invalid documents come through as setJson() makes them.
    JsonTreeModel::Tree capped = JsonTreeModel::build("[1,2,3,4,5]", 3);
    QVERIFY(capped.isTruncated());
    QVERIFY(capped.result().stopped);
    QVERIFY(m_model->setTree(std::move(capped)));
    QVERIFY(m_model->isTruncated());
    QCOMPARE(m_model->nodeCount(), 3);
    QVERIFY(!m_model->setTree(JsonTreeModel::build("[1,", 10)));
    QCOMPARE(m_model->rowCount(), 0);
    QCOMPARE(m_model->result().errorOffset, 3);
}

QTEST_GUILESS_MAIN(TestJsonTreeModel)
#include "tst_jsontreemodel.moc"
