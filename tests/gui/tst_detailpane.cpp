#include "detailpane.h"
#include "theme.h"

#include "core/eventstore.h"
#include "core/jsontreemodel.h"
#include "core/timelinemodel.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QScrollBar>
#include <QTabWidget>
#include <QTableWidget>
#include <QTest>
#include <QTextBlock>
#include <QTextLayout>
#include <QTreeView>

#include <QThreadPool>

#include <memory>

using namespace wsi;

namespace {

Event testEvent(quint64 seq, Direction direction, EventKind kind, QByteArray payload = {})
{
    Event e;
    e.seq = seq;
    e.timestampUs = 1763805600123456 + qint64(seq);
    e.monotonicNs = qint64(seq) * 1000;
    e.connection = 1;
    e.direction = direction;
    e.kind = kind;
    e.size = payload.size();
    e.payload = std::move(payload);
    return e;
}

const QByteArray jsonPayload = R"({"user":{"name":"Ada","tags":["x","y"]},"n":3})";
const QByteArray handshakePayload = "GET /chat?room=1 HTTP/1.1\r\n"
                                    "Host: 127.0.0.1:8765\r\n"
                                    "Upgrade: websocket\r\n"
                                    "Connection: Upgrade\r\n"
                                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                    "Sec-WebSocket-Version: 13\r\n"
                                    "\r\n";

// 12 MB of text in 100-character lines, numbered so that a wrong order or a lost chunk shows.
QByteArray bigText()
{
    QByteArray out;
    const int lines = 12 * 1024 * 1024 / 100 + 1;
    out.reserve(qsizetype(lines) * 100);
    for (int i = 0; i < lines; ++i) {
        QByteArray line = "line " + QByteArray::number(i).rightJustified(8, '0') + ' ';
        line += QByteArray(99 - line.size(), char('a' + i % 26));
        out += line + '\n';
    }
    return out;
}

// depth levels of arrays around a flat list of zeros, about bytes long: every zero becomes a line indented
// 128 spaces, so the whole pretty text is 65 times the payload.
QByteArray nestedAroundFlatList(int depth, qsizetype bytes)
{
    QByteArray out(depth, '[');
    out.reserve(bytes + depth);
    out += '0';
    while (out.size() + 2 + depth < bytes)
        out += ",0";
    out += QByteArray(depth, ']');
    return out;
}

enum Row {
    JsonRow,
    BinaryRow,
    HandshakeRow,
    EmptyRow,
    BigRow,
    PlainRow,
    BadJsonRow,
    CloseRow,
    DeepRow,
    SecondJsonRow,
    BigBinaryRow,
    GarbageRow,
};

} // namespace

class TestDetailPane : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();

    void jsonRow();
    void jsonTreeCopy();
    void binaryRow();
    void handshakeRow();
    void emptyRow();
    void plainAndInvalidJson();
    void closeFacts();
    void deepJson();
    void bigTextShowAll();
    void bigBinaryShowAll();
    void tabChoiceSticks();
    void shortcuts();
    void wrapToggle();
    void clearAndReset();
    void proxiedCompressedMessage();
    void breakLongLines();
    void garbage();
    void bigJsonFormattedInTheBackground();
    void pathologicalJsonOpens_data();
    void pathologicalJsonOpens();
    void pathologicalJsonShowAllIsCapped();
    void bigInvalidJsonCheckedInTheBackground();
    void jsonColoursFollowTheTheme();

private:
    template <typename T> T* child(const char* name)
    {
        T* widget = m_pane->findChild<T*>(QLatin1String(name));
        if (!widget)
            qFatal("no child %s", name);
        return widget;
    }
    QTabWidget* tabs() { return child<QTabWidget>("detailTabs"); }

    std::unique_ptr<EventStore> m_store;
    std::unique_ptr<TimelineModel> m_model;
    std::unique_ptr<DetailPane> m_pane;
    QByteArray m_big;
};

void TestDetailPane::initTestCase()
{
    QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
    m_store = std::make_unique<EventStore>();
    m_model = std::make_unique<TimelineModel>(m_store.get());
    m_big = bigText();

    CaptureBatch batch;
    Connection c;
    c.id = 1;
    c.role = ConnectionRole::Client;
    c.url = QStringLiteral("ws://127.0.0.1:8765/chat");
    batch.connections.push_back(c);
    batch.events.push_back(testEvent(1, Direction::S2C, EventKind::Text, jsonPayload));
    Event binary = testEvent(2, Direction::S2C, EventKind::Binary, QByteArray("\x00\x01\x02\xffhi", 6));
    binary.flags = FlagFin | FlagRsv1 | FlagCompressed;
    batch.events.push_back(binary);
    batch.events.push_back(testEvent(3, Direction::None, EventKind::HandshakeRequest, handshakePayload));
    batch.events.push_back(testEvent(4, Direction::C2S, EventKind::Text));
    batch.events.push_back(testEvent(5, Direction::C2S, EventKind::Text, m_big));
    Event plain = testEvent(6, Direction::C2S, EventKind::Text, "hello there");
    plain.flags = FlagFin | FlagMasked;
    batch.events.push_back(plain);
    batch.events.push_back(testEvent(7, Direction::S2C, EventKind::Text, R"({"a":1,"b":2,})"));
    Event close = testEvent(8, Direction::C2S, EventKind::Close, "bye");
    close.closeCode = 1000;
    close.size = 5;
    batch.events.push_back(close);
    batch.events.push_back(testEvent(
        9, Direction::S2C, EventKind::Text, QByteArray(QByteArray(10000, '[') + "7" + QByteArray(10000, ']'))));
    batch.events.push_back(testEvent(10, Direction::S2C, EventKind::Text, "[1,2,3]"));
    QByteArray bigBinary(1024 * 1024 + 5, Qt::Uninitialized);
    for (qsizetype i = 0; i < bigBinary.size(); ++i)
        bigBinary[i] = char(i & 0xff);
    batch.events.push_back(testEvent(11, Direction::S2C, EventKind::Binary, bigBinary));
    // Bytes that look like JSON for one character, then are anything at all, as a text message.
    QByteArray garbage(4096, Qt::Uninitialized);
    QRandomGenerator rng(7);
    for (char& c : garbage)
        c = char(rng.bounded(256));
    garbage[0] = '{';
    batch.events.push_back(testEvent(12, Direction::C2S, EventKind::Text, garbage));
    m_model->append(batch);
}

void TestDetailPane::cleanupTestCase()
{
    m_pane.reset();
    m_model.reset();
    m_store.reset();
}

void TestDetailPane::init()
{
    // A fresh pane per test: remembered tab choices from one test must not steer the next.
    m_pane = std::make_unique<DetailPane>();
    m_pane->setModel(m_model.get());
    m_pane->resize(900, 600);
    m_pane->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_pane.get()));
}

void TestDetailPane::jsonRow()
{
    m_pane->showRow(JsonRow);
    QCOMPARE(m_pane->row(), int(JsonRow));
    QCOMPARE(m_pane->sort(), DetailPane::Sort::Json);
    QCOMPARE(tabs()->currentIndex(), int(DetailPane::JsonTab));
    QCOMPARE(m_pane->currentTab(), DetailPane::JsonTab);
    const QString pretty = child<QPlainTextEdit>("jsonView")->toPlainText();
    QCOMPARE(pretty,
        QStringLiteral("{\n"
                       "  \"user\": {\n"
                       "    \"name\": \"Ada\",\n"
                       "    \"tags\": [\n"
                       "      \"x\",\n"
                       "      \"y\"\n"
                       "    ]\n"
                       "  },\n"
                       "  \"n\": 3\n"
                       "}\n"));
    QVERIFY(!child<QLabel>("infoLabel")->isVisible());
    QVERIFY(!child<QPushButton>("showAllButton")->isVisible());
    QVERIFY(!m_pane->isTruncated());

    // The tree: the root expanded, its members below.
    auto* tree = child<QTreeView>("jsonTree");
    const QAbstractItemModel* model = tree->model();
    QCOMPARE(model->rowCount(), 1);
    const QModelIndex root = model->index(0, 0);
    QVERIFY(tree->isExpanded(root));
    QCOMPARE(model->rowCount(root), 2);
    QCOMPARE(model->index(0, 0, root).data().toString(), QStringLiteral("user"));

    // Facts: direction, kind, size and opcode.
    const QString facts = child<QLabel>("factsLabel")->text();
    QVERIFY2(facts.contains(QStringLiteral("#1")), qPrintable(facts));
    QVERIFY(facts.contains(QStringLiteral("server to client")));
    QVERIFY(facts.contains(QStringLiteral("text")));
    QVERIFY(facts.contains(QStringLiteral("%1 bytes").arg(jsonPayload.size())));
    QVERIFY(facts.contains(QStringLiteral("opcode 0x1")));
    QVERIFY(facts.contains(QStringLiteral("ws://127.0.0.1:8765/chat")));
    QVERIFY(facts.contains(DetailPane::isoTimeUs(1763805600123457)));
    QVERIFY(facts.contains(QStringLiteral("123457")));

    // The other tabs still work on the same payload when asked.
    m_pane->selectTab(DetailPane::TextTab);
    QCOMPARE(child<QPlainTextEdit>("textView")->toPlainText(), QString::fromUtf8(jsonPayload));
    m_pane->selectTab(DetailPane::HexTab);
    QVERIFY(child<QPlainTextEdit>("hexView")->toPlainText().startsWith(QStringLiteral("00000000  7b 22 75 73")));
    // Headers make no sense for a message.
    QVERIFY(!tabs()->isTabEnabled(DetailPane::HeadersTab));
}

void TestDetailPane::jsonTreeCopy()
{
    m_pane->showRow(JsonRow);
    auto* tree = child<QTreeView>("jsonTree");
    const QAbstractItemModel* model = tree->model();
    const QModelIndex user = model->index(0, 0, model->index(0, 0));
    const QModelIndex tags = model->index(1, 0, user);
    const QModelIndex y = model->index(1, 0, tags);
    tree->setCurrentIndex(y);
    QCOMPARE(child<QLabel>("jsonPathLabel")->text(), QStringLiteral("$.user.tags[1]"));

    auto* copyPath = tree->findChild<QAction*>(QStringLiteral("copyPathAction"));
    auto* copyValue = tree->findChild<QAction*>(QStringLiteral("copyValueAction"));
    QVERIFY(copyPath && copyValue);
    QVERIFY(tree->actions().contains(copyPath));
    copyPath->trigger();
    QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("$.user.tags[1]"));
    copyValue->trigger();
    QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("y"));

    // The keys work on the tree itself.
    tree->setCurrentIndex(tags);
    tree->setFocus();
    QGuiApplication::clipboard()->clear();
    QTest::keyClick(tree, Qt::Key_C, Qt::ControlModifier);
    QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral(R"(["x","y"])"));
    QTest::keyClick(tree, Qt::Key_C, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("$.user.tags"));
}

void TestDetailPane::binaryRow()
{
    m_pane->showRow(BinaryRow);
    QCOMPARE(m_pane->sort(), DetailPane::Sort::Binary);
    QCOMPARE(m_pane->currentTab(), DetailPane::HexTab);
    const QString hex = child<QPlainTextEdit>("hexView")->toPlainText();
    QVERIFY2(hex.startsWith(QStringLiteral("00000000  00 01 02 ff 68 69")), qPrintable(hex));
    QVERIFY(hex.contains(QStringLiteral("|....hi|")));
    const QString facts = child<QLabel>("factsLabel")->text();
    QVERIFY(facts.contains(QStringLiteral("opcode 0x2")));
    QVERIFY(facts.contains(QStringLiteral("FIN, RSV1, compressed")));
    QVERIFY(facts.contains(QStringLiteral("6 bytes")));

    // Binary is not JSON: the JSON tab explains why it is empty instead of failing.
    m_pane->selectTab(DetailPane::JsonTab);
    QVERIFY(child<QPlainTextEdit>("jsonView")->toPlainText().isEmpty());
    QVERIFY(
        child<QPlainTextEdit>("jsonView")->placeholderText().startsWith(QStringLiteral("invalid JSON at offset 0")));
    QCOMPARE(child<QTreeView>("jsonTree")->model()->rowCount(), 0);
}

void TestDetailPane::handshakeRow()
{
    m_pane->showRow(HandshakeRow);
    QCOMPARE(m_pane->sort(), DetailPane::Sort::Handshake);
    QCOMPARE(m_pane->currentTab(), DetailPane::HeadersTab);
    QVERIFY(tabs()->isTabEnabled(DetailPane::HeadersTab));
    QCOMPARE(child<QLabel>("startLineLabel")->text(), QStringLiteral("GET /chat?room=1 HTTP/1.1"));
    auto* table = child<QTableWidget>("headersTable");
    QCOMPARE(table->rowCount(), 5);
    QCOMPARE(table->columnCount(), 2);
    QCOMPARE(table->horizontalHeaderItem(0)->text(), QStringLiteral("Name"));
    QCOMPARE(table->horizontalHeaderItem(1)->text(), QStringLiteral("Value"));
    QCOMPARE(table->item(0, 0)->text(), QStringLiteral("Host"));
    QCOMPARE(table->item(0, 1)->text(), QStringLiteral("127.0.0.1:8765"));
    QCOMPARE(table->item(3, 0)->text(), QStringLiteral("Sec-WebSocket-Key"));
    QCOMPARE(table->item(3, 1)->text(), QStringLiteral("dGhlIHNhbXBsZSBub25jZQ=="));

    // The raw head is still there as text, with plain line ends.
    m_pane->selectTab(DetailPane::TextTab);
    const QString text = child<QPlainTextEdit>("textView")->toPlainText();
    QVERIFY(text.startsWith(QStringLiteral("GET /chat?room=1 HTTP/1.1\nHost: ")));
    QVERIFY(!text.contains(QLatin1Char('\r')));
}

void TestDetailPane::emptyRow()
{
    m_pane->showRow(EmptyRow);
    QCOMPARE(m_pane->currentTab(), DetailPane::TextTab);
    auto* text = child<QPlainTextEdit>("textView");
    QVERIFY(text->toPlainText().isEmpty());
    QCOMPARE(text->placeholderText(), QStringLiteral("(empty payload)"));
    QVERIFY(!child<QLabel>("infoLabel")->isVisible());
    QVERIFY(child<QLabel>("factsLabel")->text().contains(QStringLiteral("0 bytes")));
    for (const DetailPane::Tab tab : { DetailPane::JsonTab, DetailPane::HexTab }) {
        m_pane->selectTab(tab);
        auto* view = child<QPlainTextEdit>(tab == DetailPane::JsonTab ? "jsonView" : "hexView");
        QVERIFY(view->toPlainText().isEmpty());
        QCOMPARE(view->placeholderText(), QStringLiteral("(empty payload)"));
    }
}

void TestDetailPane::plainAndInvalidJson()
{
    m_pane->showRow(PlainRow);
    QCOMPARE(m_pane->sort(), DetailPane::Sort::Text);
    QCOMPARE(m_pane->currentTab(), DetailPane::TextTab);
    QCOMPARE(child<QPlainTextEdit>("textView")->toPlainText(), QStringLiteral("hello there"));
    QVERIFY(!child<QLabel>("infoLabel")->isVisible());
    QVERIFY(child<QLabel>("factsLabel")->text().contains(QStringLiteral("FIN, masked")));

    // Almost JSON: the text view, and a note saying where it stops being JSON.
    m_pane->showRow(BadJsonRow);
    QCOMPARE(m_pane->sort(), DetailPane::Sort::Text);
    QCOMPARE(m_pane->currentTab(), DetailPane::TextTab);
    QCOMPARE(child<QPlainTextEdit>("textView")->toPlainText(), QStringLiteral(R"({"a":1,"b":2,})"));
    auto* info = child<QLabel>("infoLabel");
    QVERIFY(info->isVisible());
    QCOMPARE(info->text(), QStringLiteral("invalid JSON at offset 13: expected a string key"));
}

void TestDetailPane::closeFacts()
{
    m_pane->showRow(CloseRow);
    QCOMPARE(m_pane->sort(), DetailPane::Sort::Status);
    QCOMPARE(m_pane->currentTab(), DetailPane::TextTab);
    const QString facts = child<QLabel>("factsLabel")->text();
    QVERIFY2(facts.contains(QStringLiteral("code 1000 (normal closure)")), qPrintable(facts));
    QVERIFY(facts.contains(QStringLiteral("reason \u201cbye\u201d")));
    QVERIFY(facts.contains(QStringLiteral("opcode 0x8")));
    QCOMPARE(child<QPlainTextEdit>("textView")->toPlainText(), QStringLiteral("bye"));
}

void TestDetailPane::deepJson()
{
    m_pane->showRow(DeepRow);
    QCOMPARE(m_pane->sort(), DetailPane::Sort::Json);
    QCOMPARE(m_pane->currentTab(), DetailPane::JsonTab);
    // Indented 64 levels deep at most, the pretty text is still over the cap.
    QVERIFY(m_pane->isTruncated());
    m_pane->showAll();
    QTRY_VERIFY_WITH_TIMEOUT(!m_pane->isRendering(), 60000);
    const QString pretty = child<QPlainTextEdit>("jsonView")->toPlainText();
    QCOMPARE(pretty.count(QLatin1Char('\n')), 20001);
    QVERIFY(pretty.contains(QLatin1Char('7')));
    auto* tree = child<QTreeView>("jsonTree");
    QModelIndex index = tree->model()->index(0, 0);
    int depth = 0;
    while (tree->model()->rowCount(index) > 0) {
        index = tree->model()->index(0, 0, index);
        ++depth;
    }
    QCOMPARE(depth, 10000);
    // Showing the deepest node expands ten thousand ancestors; the view must cope.
    tree->setCurrentIndex(index);
    tree->scrollTo(index);
    QVERIFY(child<QLabel>("jsonPathLabel")->text().endsWith(QStringLiteral("[0][0]")));
    // Ten thousand steps are cut for the label; "copy path" has them all.
    QVERIFY(child<QLabel>("jsonPathLabel")->text().size() <= JsonTreeModel::MaxPathChars + 10);
    tree->findChild<QAction*>(QStringLiteral("copyPathAction"))->trigger();
    QCOMPARE(QGuiApplication::clipboard()->text().size(), 1 + 3 * 10000);
    // Shown again (as after a filter change): the whole pretty text stays.
    m_pane->showRow(DeepRow);
    QVERIFY(!m_pane->isTruncated());
    QCOMPARE(child<QPlainTextEdit>("jsonView")->toPlainText(), pretty);
    // Hex and Text of the same payload.
    m_pane->selectTab(DetailPane::HexTab);
    QVERIFY(child<QPlainTextEdit>("hexView")->toPlainText().startsWith(QStringLiteral("00000000  5b 5b")));
}

void TestDetailPane::bigTextShowAll()
{
    m_pane->showRow(BigRow);
    QCOMPARE(m_pane->sort(), DetailPane::Sort::Text);
    QCOMPARE(m_pane->currentTab(), DetailPane::TextTab);
    auto* text = child<QPlainTextEdit>("textView");
    auto* showAll = child<QPushButton>("showAllButton");
    const qsizetype shown = text->toPlainText().size();
    QVERIFY(shown > 0);
    QVERIFY(shown <= DetailPane::MaxTextChars);
    QVERIFY(text->toPlainText().startsWith(QStringLiteral("line 00000000 aaaa")));
    // Cut at a line end, so the view never holds half a line.
    QVERIFY(text->toPlainText().endsWith(QLatin1Char('\n')));
    QVERIFY(m_pane->isTruncated());
    QVERIFY(showAll->isVisible());
    QVERIFY(showAll->isEnabled());
    QVERIFY(child<QLabel>("truncationLabel")->text().startsWith(QStringLiteral("Showing the first")));

    QTest::mouseClick(showAll, Qt::LeftButton);
    QVERIFY(m_pane->isRendering() || !m_pane->isTruncated());
    QTRY_VERIFY_WITH_TIMEOUT(!m_pane->isRendering(), 120000);
    QVERIFY(!m_pane->isTruncated());
    QVERIFY(!showAll->isVisible());
    QCOMPARE(text->document()->characterCount() - 1, m_big.size());
    QCOMPARE(text->toPlainText(), QString::fromLatin1(m_big));

    // The timeline announces the same row again after a filter change: what is shown, and where, stays.
    QScrollBar* scroll = text->verticalScrollBar();
    scroll->setValue(scroll->maximum() / 2);
    const int position = scroll->value();
    QVERIFY(position > 0);
    m_pane->showRow(BigRow);
    QVERIFY(!m_pane->isTruncated());
    QCOMPARE(text->document()->characterCount() - 1, m_big.size());
    QCOMPARE(scroll->value(), position);

    // Another row and back: capped again, nothing left of the previous rendering.
    m_pane->showRow(PlainRow);
    QVERIFY(!showAll->isVisible());
    m_pane->showRow(BigRow);
    QVERIFY(text->toPlainText().size() <= DetailPane::MaxTextChars);
    QVERIFY(showAll->isVisible());
}

void TestDetailPane::bigBinaryShowAll()
{
    m_pane->showRow(BigBinaryRow);
    QCOMPARE(m_pane->currentTab(), DetailPane::HexTab);
    auto* hex = child<QPlainTextEdit>("hexView");
    QCOMPARE(hex->document()->blockCount() - 1, DetailPane::MaxHexBytes / 16);
    QVERIFY(m_pane->isTruncated());
    auto* showAll = child<QPushButton>("showAllButton");
    QVERIFY(showAll->isVisible());
    showAll->click();
    QTRY_VERIFY_WITH_TIMEOUT(!m_pane->isRendering(), 120000);
    QVERIFY(!m_pane->isTruncated());
    const QString all = hex->toPlainText();
    QCOMPARE(all.count(QLatin1Char('\n')), (1024 * 1024) / 16 + 1);
    QVERIFY(all.endsWith(QStringLiteral("00100000  00 01 02 03 04                                    |.....|\n")));
    QVERIFY(all.contains(QStringLiteral("\n00040000  00 01 02 03")));
}

void TestDetailPane::tabChoiceSticks()
{
    m_pane->showRow(JsonRow);
    QCOMPARE(m_pane->currentTab(), DetailPane::JsonTab);
    // The user picks Hex while looking at JSON...
    tabs()->setCurrentIndex(DetailPane::HexTab);
    // ...so the next JSON message opens in Hex too,
    m_pane->showRow(SecondJsonRow);
    QCOMPARE(m_pane->currentTab(), DetailPane::HexTab);
    QVERIFY(child<QPlainTextEdit>("hexView")->toPlainText().startsWith(QStringLiteral("00000000  5b 31 2c 32")));
    // while other sorts keep their own tabs.
    m_pane->showRow(HandshakeRow);
    QCOMPARE(m_pane->currentTab(), DetailPane::HeadersTab);
    m_pane->showRow(PlainRow);
    QCOMPARE(m_pane->currentTab(), DetailPane::TextTab);
    m_pane->showRow(BinaryRow);
    QCOMPARE(m_pane->currentTab(), DetailPane::HexTab);
    m_pane->showRow(JsonRow);
    QCOMPARE(m_pane->currentTab(), DetailPane::HexTab);

    // A remembered Headers choice cannot apply to a message, where that tab is disabled.
    m_pane->showRow(PlainRow);
    m_pane->selectTab(DetailPane::HeadersTab);
    QCOMPARE(m_pane->currentTab(), DetailPane::TextTab);

    // Choosing JSON again restores the automatic behaviour for JSON.
    m_pane->showRow(JsonRow);
    m_pane->selectTab(DetailPane::JsonTab);
    m_pane->showRow(SecondJsonRow);
    QCOMPARE(m_pane->currentTab(), DetailPane::JsonTab);
    QVERIFY(child<QPlainTextEdit>("jsonView")->toPlainText().startsWith(QStringLiteral("[\n  1,\n")));
}

void TestDetailPane::shortcuts()
{
    m_pane->showRow(JsonRow);
    m_pane->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_pane.get()));
    QTest::keyClick(m_pane.get(), Qt::Key_3, Qt::AltModifier);
    QCOMPARE(m_pane->currentTab(), DetailPane::HexTab);
    QTest::keyClick(m_pane.get(), Qt::Key_1, Qt::AltModifier);
    QCOMPARE(m_pane->currentTab(), DetailPane::TextTab);
    // Alt+4 goes nowhere for a message: its Headers tab is disabled.
    QTest::keyClick(m_pane.get(), Qt::Key_4, Qt::AltModifier);
    QCOMPARE(m_pane->currentTab(), DetailPane::TextTab);
}

void TestDetailPane::wrapToggle()
{
    auto* wrap = child<QCheckBox>("wrapToggle");
    auto* text = child<QPlainTextEdit>("textView");
    QVERIFY(wrap->isChecked());
    QCOMPARE(text->lineWrapMode(), QPlainTextEdit::WidgetWidth);
    wrap->click();
    QCOMPARE(text->lineWrapMode(), QPlainTextEdit::NoWrap);
    QCOMPARE(child<QPlainTextEdit>("jsonView")->lineWrapMode(), QPlainTextEdit::NoWrap);
    QCOMPARE(child<QPlainTextEdit>("hexView")->lineWrapMode(), QPlainTextEdit::NoWrap);
    wrap->click();
    QCOMPARE(text->lineWrapMode(), QPlainTextEdit::WidgetWidth);
}

void TestDetailPane::clearAndReset()
{
    m_pane->showRow(JsonRow);
    m_pane->showRow(-1);
    QCOMPARE(m_pane->row(), -1);
    QCOMPARE(child<QLabel>("factsLabel")->text(), QStringLiteral("No event selected"));
    QVERIFY(child<QPlainTextEdit>("jsonView")->toPlainText().isEmpty());
    QCOMPARE(child<QTreeView>("jsonTree")->model()->rowCount(), 0);

    m_pane->showRow(9999);
    QCOMPARE(m_pane->row(), -1);

    // A model reset takes the row away.
    EventStore store;
    TimelineModel model(&store);
    CaptureBatch batch;
    batch.events.push_back(testEvent(1, Direction::C2S, EventKind::Text, "x"));
    model.append(batch);
    m_pane->setModel(&model);
    m_pane->showRow(0);
    QCOMPARE(m_pane->row(), 0);
    model.clear();
    QCOMPARE(m_pane->row(), -1);
    QVERIFY(child<QPlainTextEdit>("textView")->toPlainText().isEmpty());
}

// What the recording proxy records of a permessage-deflate message: the inflated text to read, and in the facts
// the connection's role and upstream, the frame's flags, its size on the wire and the note with both sizes.
void TestDetailPane::proxiedCompressedMessage()
{
    EventStore store;
    TimelineModel model(&store);
    CaptureBatch batch;
    Connection c;
    c.id = 1;
    c.role = ConnectionRole::Proxy;
    c.url = QStringLiteral("wss://api.example.com/socket/chat");
    c.peer = QStringLiteral("127.0.0.1:50123");
    batch.connections.push_back(c);
    QByteArray inflated;
    for (int i = 0; i < 40; ++i)
        inflated += "tick " + QByteArray::number(i).rightJustified(3, '0') + " ok\n";
    Event message = testEvent(1, Direction::S2C, EventKind::Text, inflated);
    message.flags = FlagFin | FlagRsv1 | FlagCompressed;
    message.size = 120; // on the wire
    message.note = "compressed: 120 \xe2\x86\x92 " + QByteArray::number(inflated.size()) + " bytes";
    batch.events.push_back(message);
    model.append(batch);
    m_pane->setModel(&model);
    m_pane->showRow(0);
    const QString facts = child<QLabel>("factsLabel")->text();
    QVERIFY2(facts.contains(QStringLiteral("(proxy) wss://api.example.com/socket/chat")), qPrintable(facts));
    QVERIFY2(facts.contains(QStringLiteral("FIN, RSV1, compressed")), qPrintable(facts));
    QVERIFY2(facts.contains(QStringLiteral("120 bytes")), qPrintable(facts));
    QVERIFY2(facts.contains(QStringLiteral("Note: compressed: 120 \u2192 %1 bytes").arg(inflated.size())),
        qPrintable(facts));
    QCOMPARE(child<QPlainTextEdit>("textView")->toPlainText(), QString::fromUtf8(inflated));
}

void TestDetailPane::breakLongLines()
{
    bool changed = true;
    QCOMPARE(DetailPane::breakLongLines(QStringLiteral("abc\ndef"), 3, &changed), QStringLiteral("abc\ndef"));
    QVERIFY(!changed);
    QCOMPARE(
        DetailPane::breakLongLines(QStringLiteral("abcdefg\nhi\n"), 3, &changed), QStringLiteral("abc\ndef\ng\nhi\n"));
    QVERIFY(changed);
    // A surrogate pair is never split.
    const QString emoji = QString::fromUtf8("ab\xF0\x9F\x98\x80z");
    QCOMPARE(DetailPane::breakLongLines(emoji, 3), QString::fromUtf8("ab\n\xF0\x9F\x98\x80z"));
}

void TestDetailPane::garbage()
{
    m_pane->showRow(GarbageRow);
    QCOMPARE(m_pane->currentTab(), DetailPane::TextTab);
    const QString info = child<QLabel>("infoLabel")->text();
    QVERIFY2(info.contains(QStringLiteral("not valid UTF-8")), qPrintable(info));
    QVERIFY(info.contains(QStringLiteral("invalid JSON at offset ")));
    for (int tab = 0; tab < DetailPane::TabCount; ++tab)
        m_pane->selectTab(DetailPane::Tab(tab));
    QCOMPARE(child<QPlainTextEdit>("hexView")->toPlainText().count(QLatin1Char('\n')), 4096 / 16);
    QVERIFY(!child<QPlainTextEdit>("textView")->toPlainText().isEmpty());
}

// A JSON message of megabytes is pretty printed off the GUI thread: the pane says so, then shows it; a
// result that arrives after the user moved on to another row is not shown there.
void TestDetailPane::bigJsonFormattedInTheBackground()
{
    QByteArray json = "[";
    for (int i = 0; json.size() < 2 * DetailPane::BackgroundJsonBytes; ++i)
        json += (i ? "," : "") + QByteArray("{\"id\":") + QByteArray::number(i) + "}";
    json += "]";
    EventStore store;
    TimelineModel model(&store);
    CaptureBatch batch;
    batch.events.push_back(testEvent(1, Direction::S2C, EventKind::Text, json));
    batch.events.push_back(testEvent(2, Direction::S2C, EventKind::Text, jsonPayload));
    model.append(batch);
    DetailPane pane;
    pane.setModel(&model);
    pane.show();
    auto* view = pane.findChild<QPlainTextEdit*>(QStringLiteral("jsonView"));
    QVERIFY(view);

    pane.showRow(0);
    QCOMPARE(pane.currentTab(), DetailPane::JsonTab);
    QVERIFY(view->placeholderText().startsWith(QLatin1StringView("Formatting")));
    QTRY_VERIFY(pane.isTruncated());
    QVERIFY(view->toPlainText().startsWith(QLatin1StringView("[\n  {\n    \"id\": 0\n  },")));
    // The tree was built on the pool thread too.
    auto* tree = pane.findChild<QTreeView*>(QStringLiteral("jsonTree"));
    QCOMPARE(tree->model()->rowCount(), 1);
    QVERIFY(tree->isExpanded(tree->model()->index(0, 0)));
    QVERIFY(pane.findChild<QLabel*>(QStringLiteral("infoLabel"))->text().isEmpty());

    // Moving on before the background work is done: the small row stays on screen.
    pane.showRow(0);
    pane.showRow(1);
    const QString small = view->toPlainText();
    QVERIFY(small.contains(QLatin1StringView("\"name\": \"Ada\"")));
    QVERIFY(QThreadPool::globalInstance()->waitForDone(30000));
    QCoreApplication::processEvents(); // the late result is delivered, and dropped
    QCOMPARE(view->toPlainText(), small);
}

void TestDetailPane::pathologicalJsonOpens_data()
{
    QTest::addColumn<QByteArray>("json");
    // Just under BackgroundJsonBytes, printed on the GUI thread, and just over, on a pool thread.
    QTest::addRow("64 levels, under 1 MiB") << nestedAroundFlatList(64, DetailPane::BackgroundJsonBytes - 16);
    QTest::addRow("64 levels, 2 MiB") << nestedAroundFlatList(64, 2 * DetailPane::BackgroundJsonBytes);
    QTest::addRow("nested arrays, under 1 MiB") << QByteArray(QByteArray(500000, '[') + QByteArray(500000, ']'));
}

// Messages whose pretty text would be a hundred times their size open with their first part, as any other:
// only that part is printed.
void TestDetailPane::pathologicalJsonOpens()
{
    QFETCH(QByteArray, json);
    EventStore store;
    TimelineModel model(&store);
    CaptureBatch batch;
    batch.events.push_back(testEvent(1, Direction::S2C, EventKind::Text, json));
    model.append(batch);
    DetailPane pane;
    pane.setModel(&model);
    pane.resize(900, 600);
    pane.show();
    auto* view = pane.findChild<QPlainTextEdit*>(QStringLiteral("jsonView"));

    pane.showRow(0);
    QCOMPARE(pane.sort(), DetailPane::Sort::Json);
    QCOMPARE(pane.currentTab(), DetailPane::JsonTab);
    QTRY_VERIFY(!view->toPlainText().isEmpty());
    QVERIFY(view->toPlainText().size() <= DetailPane::MaxJsonChars);
    QVERIFY(view->toPlainText().startsWith(QLatin1StringView("[\n  [\n    [")));
    QVERIFY(pane.isTruncated());
    const QString status = pane.findChild<QLabel*>(QStringLiteral("truncationLabel"))->text();
    QVERIFY2(status.startsWith(QLatin1StringView("Showing the first")), qPrintable(status));
    QCOMPARE(pane.findChild<QTreeView*>(QStringLiteral("jsonTree"))->model()->rowCount(), 1);
}

// "Show all" prints the rest on a pool thread, up to maxPrettyJsonBytes, and says where it stopped.
void TestDetailPane::pathologicalJsonShowAllIsCapped()
{
    const QByteArray json = nestedAroundFlatList(64, 256 * 1024);
    EventStore store;
    TimelineModel model(&store);
    CaptureBatch batch;
    batch.events.push_back(testEvent(1, Direction::S2C, EventKind::Text, json));
    model.append(batch);
    DetailPane pane;
    pane.setModel(&model);
    pane.resize(900, 600);
    pane.show();
    auto* view = pane.findChild<QPlainTextEdit*>(QStringLiteral("jsonView"));
    auto* status = pane.findChild<QLabel*>(QStringLiteral("truncationLabel"));

    pane.showRow(0);
    QVERIFY(pane.isTruncated());
    const QString first = view->toPlainText();
    pane.showAll();
    QVERIFY(pane.isRendering());
    QVERIFY2(status->text().startsWith(QLatin1StringView("Formatting the rest")), qPrintable(status->text()));
    QTRY_VERIFY_WITH_TIMEOUT(!pane.isRendering(), 120000);
    QVERIFY(!pane.isTruncated());
    const qsizetype cap = DetailPane::maxPrettyJsonBytes(json.size());
    QCOMPARE(cap, DetailPane::MinPrettyJsonBytes);
    const qsizetype shown = view->document()->characterCount() - 1;
    QVERIFY2(shown <= cap && shown > cap - 200, qPrintable(QString::number(shown)));
    QVERIFY(view->toPlainText().startsWith(first));
    QVERIFY2(
        status->text().contains(QLatin1StringView("Too large to pretty print in full")), qPrintable(status->text()));
    QVERIFY(status->isVisible());
}

// Whether megabytes starting with '{' are JSON is found out on a pool thread: the row opens as JSON, then
// turns to text with the reason, in the tab the user picked meanwhile if any.
void TestDetailPane::bigInvalidJsonCheckedInTheBackground()
{
    QByteArray json = "{\"a\":[0";
    while (json.size() < 2 * DetailPane::BackgroundJsonBytes)
        json += ",0";
    json += ",]}";
    EventStore store;
    TimelineModel model(&store);
    CaptureBatch batch;
    batch.events.push_back(testEvent(1, Direction::S2C, EventKind::Text, json));
    batch.events.push_back(testEvent(2, Direction::S2C, EventKind::Text, json));
    model.append(batch);
    DetailPane pane;
    pane.setModel(&model);
    pane.resize(900, 600);
    pane.show();
    auto* info = pane.findChild<QLabel*>(QStringLiteral("infoLabel"));
    auto* text = pane.findChild<QPlainTextEdit*>(QStringLiteral("textView"));
    auto* jsonView = pane.findChild<QPlainTextEdit*>(QStringLiteral("jsonView"));
    const QString error = QStringLiteral("invalid JSON at offset %1: expected a value").arg(json.size() - 2);

    pane.showRow(0);
    QCOMPARE(pane.sort(), DetailPane::Sort::Json);
    QCOMPARE(pane.currentTab(), DetailPane::JsonTab);
    QVERIFY(info->text().isEmpty());
    QVERIFY(jsonView->placeholderText().startsWith(QLatin1StringView("Formatting")));
    QTRY_COMPARE(pane.sort(), DetailPane::Sort::Text);
    QCOMPARE(info->text(), error);
    QVERIFY(info->isVisible());
    QCOMPARE(pane.currentTab(), DetailPane::TextTab);
    QVERIFY(text->toPlainText().startsWith(QLatin1StringView("{\"a\":[0,0,")));
    QCOMPARE(jsonView->placeholderText(), error);
    QVERIFY(jsonView->toPlainText().isEmpty());

    // The user picks Hex before the answer comes: Hex it stays.
    pane.showRow(1);
    QCOMPARE(pane.sort(), DetailPane::Sort::Json);
    QVERIFY(info->text().isEmpty());
    pane.selectTab(DetailPane::HexTab);
    QTRY_COMPARE(pane.sort(), DetailPane::Sort::Text);
    QCOMPARE(info->text(), error);
    QCOMPARE(pane.currentTab(), DetailPane::HexTab);
}

namespace {
// The colour the JSON view paints the first character of its first line with (an opening brace: punctuation).
QColor firstCharColour(QPlainTextEdit* view)
{
    const QTextBlock block = view->document()->firstBlock();
    for (const QTextLayout::FormatRange& range : block.layout()->formats()) {
        if (range.start == 0 && range.length > 0)
            return range.format.foreground().color();
    }
    return QColor();
}
} // namespace

void TestDetailPane::jsonColoursFollowTheTheme()
{
    m_pane->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_pane.get()));
    m_pane->showRow(JsonRow);
    auto* view = child<QPlainTextEdit>("jsonView");
    QTRY_VERIFY(view->document()->firstBlock().text().startsWith(u'{'));
    // As View › Theme does it, with the pane already up; the braces must not stay as dark as on a light base.
    for (Theme::Mode mode : { Theme::Mode::Dark, Theme::Mode::Light, Theme::Mode::Dark }) {
        Theme::apply(mode);
        const QPalette palette = mode == Theme::Mode::Dark ? Theme::darkPalette() : Theme::lightPalette();
        QTRY_COMPARE(firstCharColour(view), palette.color(QPalette::PlaceholderText));
    }
    Theme::apply(Theme::Mode::System);
}

QTEST_MAIN(TestDetailPane)
#include "tst_detailpane.moc"
