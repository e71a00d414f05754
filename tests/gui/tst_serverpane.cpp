#include "core/eventstore.h"
#include "core/replyrules.h"
#include "core/replyrulesmodel.h"
#include "core/timelineviewmodel.h"
#include "mainwindow.h"
#include "net/capturesession.h"
#include "serverpane.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

using namespace wsi;

namespace {
// Row of the first event matching all given properties, -1 when there is none (yet).
int findRow(const EventStore* store, quint32 connection, Direction direction, EventKind kind,
    QByteArrayView payload = {}, bool matchPayload = false)
{
    for (qsizetype row = 0; row < store->count(); ++row) {
        if (store->connectionId(row) == connection && store->direction(row) == direction && store->kind(row) == kind
            && (!matchPayload || store->payload(row) == payload))
            return int(row);
    }
    return -1;
}

int countRows(const EventStore* store, quint32 connection, Direction direction, QByteArrayView prefix)
{
    int count = 0;
    for (qsizetype row = 0; row < store->count(); ++row) {
        count += store->connectionId(row) == connection && store->direction(row) == direction
                && store->kind(row) == EventKind::Text && store->payload(row).startsWith(prefix)
            ? 1
            : 0;
    }
    return count;
}

template <typename T> T* child(QWidget* parent, const char* name)
{
    T* found = parent->findChild<T*>(QLatin1String(name));
    if (!found)
        qWarning("no child %s", name);
    return found;
}

ReplyRule exactRule(const QString& pattern, const QString& reply)
{
    ReplyRule rule;
    rule.match = RuleMatch::Exact;
    rule.pattern = pattern;
    rule.reply = reply;
    return rule;
}

// A session with the pane shown, its server started on a free port from the pane's own button.
struct Fixture
{
    CaptureSession session { CaptureSession::Options { true, QString() } };
    ServerPane pane { &session };

    bool start()
    {
        pane.resize(420, 640);
        pane.show();
        if (!QTest::qWaitForWindowExposed(&pane))
            return false;
        pane.setPort(0);
        QTest::mouseClick(child<QToolButton>(&pane, "startStopButton"), Qt::LeftButton);
        return QTest::qWaitFor([this] { return pane.state() == ServerPane::State::Running; }, 5000);
    }

    quint32 connect(const QString& path)
    {
        ClientOptions options;
        options.url = session.serverUrl().resolved(QUrl(path));
        return session.connectClient(options);
    }

    // The server-side connection of the client whose request had this path, 0 until it is listed.
    quint32 serverSide(const QString& path)
    {
        auto* table = child<QTableView>(&pane, "clientsTable");
        for (int row = 0; row < table->model()->rowCount(); ++row) {
            if (table->model()->index(row, ServerPane::ClientPathColumn).data().toString() == path)
                return table->model()->index(row, ServerPane::ClientIdColumn).data(ServerPane::ClientIdRole).toUInt();
        }
        return 0;
    }

    void select(quint32 serverConnection)
    {
        auto* table = child<QTableView>(&pane, "clientsTable");
        table->clearSelection();
        for (int row = 0; row < table->model()->rowCount(); ++row) {
            const QModelIndex index = table->model()->index(row, ServerPane::ClientIdColumn);
            if (index.data(ServerPane::ClientIdRole).toUInt() == serverConnection) {
                table->selectionModel()->select(
                    index, QItemSelectionModel::Select | QItemSelectionModel::Rows | QItemSelectionModel::Current);
            }
        }
    }
};
} // namespace

class TstServerPane : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void clientsSendCloseAndSilence();
    void sendToAllAndDrop();
    void invalidRulesKeepTheLastValidOnes();
    void loadAndSaveRules();
    void badOptionsDoNotStart();
    void windowStartsWithThePaneOptions();
    void thousandClientsComeAndGo();
    void paneMadeWhileServingChangesNothing();
    void matchEditorByKeyboardAndMouse();
    void longTemplatesAreKept();
    void startToolTipIsASentence();
    void newRuleIsValid();
};

void TstServerPane::clientsSendCloseAndSilence()
{
    Fixture f;
    QVERIFY(f.start());
    QVERIFY(f.session.isServerRunning());
    QCOMPARE(child<QLabel>(&f.pane, "paneServerUrlLabel")->text(), f.session.serverUrl().toString());
    QVERIFY(!child<QWidget>(&f.pane, "optionsForm")->isEnabled());
    QVERIFY(child<QPushButton>(&f.pane, "openBrowserButton")->isEnabled());
    QVERIFY(child<QLabel>(&f.pane, "exposureWarning")->isHidden());

    const quint32 client = f.connect(QStringLiteral("/chat?room=1"));
    QTRY_COMPARE(f.session.connectionState(client), ConnectionState::Open);
    QTRY_VERIFY(f.serverSide(QStringLiteral("/chat?room=1")) != 0);
    const quint32 server = f.serverSide(QStringLiteral("/chat?room=1"));
    QCOMPARE(f.pane.clients(), QList<quint32> { server });

    auto* sendSelected = child<QPushButton>(&f.pane, "sendSelectedButton");
    auto* closeButton = child<QPushButton>(&f.pane, "closeClientButton");
    auto* dropButton = child<QPushButton>(&f.pane, "dropClientButton");
    QVERIFY(!sendSelected->isEnabled() && !closeButton->isEnabled() && !dropButton->isEnabled());
    QVERIFY(child<QPushButton>(&f.pane, "sendAllButton")->isEnabled());

    // Send to selected: the client receives it.
    f.pane.showTab(ServerPane::ClientsTab);
    f.select(server);
    QVERIFY(sendSelected->isEnabled() && closeButton->isEnabled() && dropButton->isEnabled());
    child<QLineEdit>(&f.pane, "clientMessageEdit")->setText(QStringLiteral("hello client"));
    QTest::mouseClick(sendSelected, Qt::LeftButton);
    const EventStore* store = f.session.store();
    QTRY_VERIFY(findRow(store, client, Direction::S2C, EventKind::Text, "hello client", true) >= 0);
    QTRY_VERIFY(findRow(store, server, Direction::S2C, EventKind::Text, "hello client", true) >= 0);

    // The message counts follow (the pane refreshes them while the table is shown).
    auto* table = child<QTableView>(&f.pane, "clientsTable");
    QTRY_COMPARE(table->model()->index(0, ServerPane::ClientOutColumn).data().toString(), QStringLiteral("1"));

    // Echo, then Silent: no echo any more.
    f.session.sendText(client, QStringLiteral("loud"));
    QTRY_VERIFY(findRow(store, client, Direction::S2C, EventKind::Text, "loud", true) >= 0);
    auto* mode = child<QComboBox>(&f.pane, "modeCombo");
    mode->setCurrentIndex(mode->findData(int(ServerMode::Silent)));
    QCOMPARE(f.pane.behaviour().mode, ServerMode::Silent);
    f.session.sendText(client, QStringLiteral("quiet"));
    QTRY_VERIFY(findRow(store, server, Direction::C2S, EventKind::Text, "quiet", true) >= 0);
    QTest::qWait(300);
    QCOMPARE(findRow(store, client, Direction::S2C, EventKind::Text, "quiet", true), -1);

    // Close with 4000: the client sees the code, the row greys out and then goes.
    child<QSpinBox>(&f.pane, "closeCodeSpin")->setValue(4000);
    child<QLineEdit>(&f.pane, "closeReasonEdit")->setText(QStringLiteral("test over"));
    QTest::mouseClick(closeButton, Qt::LeftButton);
    QTRY_COMPARE(f.session.connectionState(client), ConnectionState::Closed);
    // The state comes at once, the events with the timeline's next batch.
    QTRY_VERIFY(findRow(store, client, Direction::S2C, EventKind::Close) >= 0);
    const int close = findRow(store, client, Direction::S2C, EventKind::Close);
    QCOMPARE(store->closeCode(close), quint16(4000));
    QCOMPARE(store->payload(close), QByteArrayView("test over"));
    QTRY_VERIFY(!(table->model()->flags(table->model()->index(0, 0)) & Qt::ItemIsEnabled));
    QVERIFY(!closeButton->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(f.pane.clients().isEmpty(), ServerPane::ClosedLingerMs + 3000);

    // A code no endpoint may send is refused in place.
    const quint32 second = f.connect(QStringLiteral("/again"));
    QTRY_VERIFY(f.serverSide(QStringLiteral("/again")) != 0);
    f.select(f.serverSide(QStringLiteral("/again")));
    child<QSpinBox>(&f.pane, "closeCodeSpin")->setValue(1006);
    QTest::mouseClick(closeButton, Qt::LeftButton);
    QVERIFY(child<QLabel>(&f.pane, "clientsErrorLabel")->isVisible());
    QTest::qWait(200);
    QCOMPARE(f.session.connectionState(second), ConnectionState::Open);

    // Stopping the server lets the options be edited again.
    child<QToolButton>(&f.pane, "startStopButton")->click();
    QTRY_COMPARE(f.pane.state(), ServerPane::State::Stopped);
    QVERIFY(child<QWidget>(&f.pane, "optionsForm")->isEnabled());
    QTRY_COMPARE(f.session.connectionState(second), ConnectionState::Closed);
}

void TstServerPane::sendToAllAndDrop()
{
    Fixture f;
    QVERIFY(f.start());
    const quint32 a = f.connect(QStringLiteral("/a"));
    const quint32 b = f.connect(QStringLiteral("/b"));
    QTRY_VERIFY(f.serverSide(QStringLiteral("/a")) != 0 && f.serverSide(QStringLiteral("/b")) != 0);
    child<QLineEdit>(&f.pane, "clientMessageEdit")->setText(QStringLiteral("to everyone"));
    QTest::mouseClick(child<QPushButton>(&f.pane, "sendAllButton"), Qt::LeftButton);
    const EventStore* store = f.session.store();
    for (quint32 client : { a, b })
        QTRY_VERIFY(findRow(store, client, Direction::S2C, EventKind::Text, "to everyone", true) >= 0);

    // Drop: no closing handshake, the client learns it from the lost connection.
    f.select(f.serverSide(QStringLiteral("/b")));
    QTest::mouseClick(child<QPushButton>(&f.pane, "dropClientButton"), Qt::LeftButton);
    QTRY_COMPARE(f.session.connectionState(b), ConnectionState::Closed);
    f.session.flush(); // a close frame would have been recorded before the state: make sure it is in the store
    QCOMPARE(findRow(store, b, Direction::S2C, EventKind::Close), -1);
    QCOMPARE(f.session.connectionState(a), ConnectionState::Open);
}

void TstServerPane::invalidRulesKeepTheLastValidOnes()
{
    Fixture f;
    QVERIFY(f.start());
    ReplyRulesModel* rules = f.pane.rulesModel();
    auto* status = child<QLabel>(&f.pane, "rulesStatusLabel");
    f.pane.showTab(ServerPane::RulesTab);

    QTest::mouseClick(child<QPushButton>(&f.pane, "addRuleButton"), Qt::LeftButton);
    QCOMPARE(rules->rowCount(), 1);
    QVERIFY(rules->setData(rules->index(0, ReplyRulesModel::PatternColumn), QStringLiteral("ping")));
    QVERIFY(rules->setData(rules->index(0, ReplyRulesModel::ReplyColumn), QStringLiteral("pong {{counter}}")));
    QTRY_VERIFY(f.pane.appliedRules() && f.pane.appliedRules()->rules().size() == 1
        && f.pane.appliedRules()->rules().constFirst().pattern == u"ping");
    const std::shared_ptr<const ReplyRules> valid = f.pane.appliedRules();
    QCOMPARE(f.pane.behaviour().rules, valid);

    const quint32 client = f.connect(QStringLiteral("/rules"));
    QTRY_COMPARE(f.session.connectionState(client), ConnectionState::Open);
    const EventStore* store = f.session.store();
    f.session.sendText(client, QStringLiteral("ping"));
    QTRY_COMPARE(countRows(store, client, Direction::S2C, "pong "), 1);

    // An invalid regex: the error is shown, the row marked, and the running rules stay.
    QVERIFY(rules->setData(rules->index(0, ReplyRulesModel::MatchColumn), int(RuleMatch::Regex)));
    QVERIFY(rules->setData(rules->index(0, ReplyRulesModel::PatternColumn), QStringLiteral("(ping")));
    QTRY_VERIFY(status->isVisible() && status->text().contains(QStringLiteral("rule 1")));
    QVERIFY(status->text().contains(QStringLiteral("regular expression")));
    QCOMPARE(rules->errorRow(), 0);
    QCOMPARE(f.pane.appliedRules(), valid);
    QCOMPARE(f.pane.behaviour().rules, valid);
    f.session.sendText(client, QStringLiteral("ping"));
    QTRY_COMPARE(countRows(store, client, Direction::S2C, "pong "), 2);

    // Fixed, it applies: now the regex answers.
    QVERIFY(rules->setData(rules->index(0, ReplyRulesModel::PatternColumn), QStringLiteral("^(pi)ng$")));
    QVERIFY(rules->setData(rules->index(0, ReplyRulesModel::ReplyColumn), QStringLiteral("got {{1}}")));
    QTRY_VERIFY(f.pane.appliedRules() != valid);
    QCOMPARE(rules->errorRow(), -1);
    f.session.sendText(client, QStringLiteral("ping"));
    QTRY_VERIFY(findRow(store, client, Direction::S2C, EventKind::Text, "got pi", true) >= 0);

    // Not in use: the base behaviour (echo) answers.
    child<QCheckBox>(&f.pane, "useRulesCheck")->setChecked(false);
    QVERIFY(!f.pane.behaviour().rules);
    f.session.sendText(client, QStringLiteral("ping"));
    QTRY_VERIFY(findRow(store, client, Direction::S2C, EventKind::Text, "ping", true) >= 0);

    // The push template is checked in place too, and an invalid one is not applied.
    auto* pushTemplate = child<QLineEdit>(&f.pane, "pushTemplateEdit");
    child<QCheckBox>(&f.pane, "pushCheck")->setChecked(true);
    QVERIFY(f.pane.behaviour().pushEveryMs > 0);
    const QString validTemplate = f.pane.behaviour().pushTemplate;
    pushTemplate->setText(QStringLiteral("tick {{nope}}"));
    QVERIFY(!child<QLabel>(&f.pane, "pushErrorLabel")->isHidden());
    QCOMPARE(f.pane.behaviour().pushTemplate, validTemplate);
    child<QCheckBox>(&f.pane, "pushCheck")->setChecked(false);
}

void TstServerPane::loadAndSaveRules()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    CaptureSession session(CaptureSession::Options { true, QString() });
    ServerPane pane(&session);
    pane.show();
    QVERIFY(QTest::qWaitForWindowExposed(&pane));

    const QString bad = dir.filePath(QStringLiteral("broken-rules.json"));
    {
        QFile file(bad);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("{\"version\": 1, \"rules\": [ {\"match\": \"exact\" \n");
    }
    pane.rulesModel()->setRules({ exactRule(QStringLiteral("keep"), QStringLiteral("me")) });
    QVERIFY(!pane.loadRules(bad));
    auto* box = pane.findChild<QMessageBox*>(QStringLiteral("rulesFileErrorBox"));
    QVERIFY(box);
    QTRY_VERIFY(box->isVisible());
    QVERIFY2(box->text().contains(QStringLiteral("broken-rules.json")), qPrintable(box->text()));
    QVERIFY2(box->text().contains(QStringLiteral("line")), qPrintable(box->text()));
    QCOMPARE(pane.rulesModel()->rowCount(), 1); // nothing lost
    box->close();

    // Save and load again: the same rules.
    ReplyRule json;
    json.match = RuleMatch::JsonField;
    json.path = QStringLiteral("type");
    json.value = QStringLiteral("subscribe");
    json.reply = QStringLiteral("{\"ok\":true}");
    json.delayMs = 20;
    const QList<ReplyRule> saved { exactRule(QStringLiteral("hello"), QStringLiteral("hi")), json };
    pane.rulesModel()->setRules(saved);
    const QString good = dir.filePath(QStringLiteral("rules.json"));
    QVERIFY(pane.saveRules(good));
    pane.rulesModel()->setRules({});
    QVERIFY(pane.loadRules(good));
    QCOMPARE(pane.rulesModel()->rules(), saved);
    QVERIFY(pane.appliedRules());
    QCOMPARE(pane.appliedRules()->rules(), saved);

    // Rules with an error are not saved over a good file.
    QVERIFY(pane.rulesModel()->setData(
        pane.rulesModel()->index(1, ReplyRulesModel::ValueColumn), QStringLiteral("not json")));
    QVERIFY(!pane.saveRules(good));
    QTRY_VERIFY(pane.findChild<QMessageBox*>(QStringLiteral("rulesFileErrorBox")));
    QVERIFY(pane.loadRules(good));
    QCOMPARE(pane.rulesModel()->rules(), saved);
}

void TstServerPane::badOptionsDoNotStart()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    CaptureSession session(CaptureSession::Options { true, QString() });
    ServerPane pane(&session);
    QSignalSpy attention(&pane, &ServerPane::attentionNeeded);
    pane.show();
    QVERIFY(QTest::qWaitForWindowExposed(&pane));
    auto* error = child<QLabel>(&pane, "optionsErrorLabel");

    const QString certificate = dir.filePath(QStringLiteral("cert.pem"));
    QFile file(certificate);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    child<QLineEdit>(&pane, "certificateEdit")->setText(certificate);
    QVERIFY(!pane.start());
    QCOMPARE(pane.state(), ServerPane::State::Stopped);
    QVERIFY(error->isVisible());
    QVERIFY(error->text().contains(QStringLiteral("key")));
    QCOMPARE(attention.size(), 1);

    child<QLineEdit>(&pane, "keyEdit")->setText(dir.filePath(QStringLiteral("missing.key")));
    QVERIFY(!pane.start());
    QVERIFY(error->text().contains(QStringLiteral("missing.key")));

    child<QLineEdit>(&pane, "certificateEdit")->clear();
    child<QLineEdit>(&pane, "keyEdit")->clear();
    child<QLineEdit>(&pane, "serverSubprotocolsEdit")->setText(QStringLiteral("chat, bad name"));
    QVERIFY(!pane.start());
    QVERIFY(error->text().contains(QStringLiteral("bad name")));
    QVERIFY(!session.isServerRunning());

    // A host other machines reach is flagged before the start.
    auto* host = child<QComboBox>(&pane, "hostCombo");
    auto* hint = child<QLabel>(&pane, "hostHint");
    host->setCurrentText(QStringLiteral("0.0.0.0"));
    QVERIFY(hint->isVisible());
    QVERIFY(hint->text().contains(QStringLiteral("confirm")));
}

void TstServerPane::windowStartsWithThePaneOptions()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto* dock = window.findChild<QDockWidget*>(QStringLiteral("serverDock"));
    QVERIFY(dock);
    QVERIFY(dock->isHidden());
    auto* toggle = window.findChild<QAction*>(QStringLiteral("serverPaneAction"));
    QVERIFY(toggle);
    QCOMPARE(toggle->shortcut(), QKeySequence(Qt::Key_F7));
    toggle->trigger();
    QVERIFY(dock->isVisible());

    auto* pane = window.findChild<ServerPane*>();
    QVERIFY(pane);
    pane->setPort(0);
    child<QComboBox>(pane, "hostCombo")->setCurrentText(QStringLiteral("localhost"));
    auto* mode = child<QComboBox>(pane, "modeCombo");
    mode->setCurrentIndex(mode->findData(int(ServerMode::Broadcast)));
    // The toolbar's one click starts what the pane says.
    window.findChild<QAction*>(QStringLiteral("startServerAction"))->trigger();
    QTRY_VERIFY(session.isServerRunning());
    QVERIFY(session.serverUrl().port() != MainWindow::DefaultServerPort);
    QCOMPARE(pane->behaviour().mode, ServerMode::Broadcast);
    QCOMPARE(window.findChild<QLabel*>(QStringLiteral("serverUrlLabel"))->text(), session.serverUrl().toString());
    QCOMPARE(window.findChild<QLineEdit*>(QStringLiteral("urlEdit"))->text(), session.serverUrl().toString());

    // Double-clicking a client filters the timeline by its connection.
    ClientOptions options;
    options.url = session.serverUrl().resolved(QUrl(QStringLiteral("/dbl")));
    session.connectClient(options);
    auto* table = child<QTableView>(pane, "clientsTable");
    pane->showTab(ServerPane::ClientsTab);
    QTRY_COMPARE(table->model()->rowCount(), 1);
    const quint32 server = table->model()->index(0, 0).data(ServerPane::ClientIdRole).toUInt();
    const QRect cell = table->visualRect(table->model()->index(0, ServerPane::ClientPathColumn));
    QSignalSpy activated(pane, &ServerPane::clientActivated);
    // A real double-click starts with a click; QTest's double-click alone is only the second half.
    QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, cell.center());
    QTest::mouseDClick(table->viewport(), Qt::LeftButton, {}, cell.center());
    QCOMPARE(activated.size(), 1);
    QTRY_COMPARE(window.timelineViewModel()->filter().connections, QList<quint32> { server });
}

void TstServerPane::thousandClientsComeAndGo()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    ServerPane pane(&session);
    pane.resize(420, 640);
    pane.showTab(ServerPane::ClientsTab);
    pane.show();
    QVERIFY(QTest::qWaitForWindowExposed(&pane));
    auto* table = child<QTableView>(&pane, "clientsTable");
    auto* tabs = child<QTabWidget>(&pane, "serverTabs");
    const auto enabled = [table](int row) {
        return bool(
            table->model()->flags(table->model()->index(row, ServerPane::ClientPathColumn)) & Qt::ItemIsEnabled);
    };

    // The pane hears of clients through the session's signals: emitted here as the capture thread's reports are.
    constexpr quint32 First = 1000000;
    constexpr int Count = 1000;
    for (int i = 0; i < Count; ++i) {
        ServerClient client;
        client.id = First + quint32(i);
        client.peer = QStringLiteral("127.0.0.1:%1").arg(20000 + i);
        client.path = QStringLiteral("/c%1").arg(i);
        Q_EMIT session.serverClientOpened(client);
        if (i == 0)
            Q_EMIT session.serverClientOpened(client); // told twice: listed once
    }
    QList<quint32> clients = pane.clients();
    QCOMPARE(clients.size(), Count);
    QCOMPARE(clients.constFirst(), First);
    QCOMPARE(clients.constLast(), First + Count - 1);
    QCOMPARE(tabs->tabText(ServerPane::ClientsTab), QStringLiteral("Clients (1000)"));

    // Every other one leaves: greyed out at once, gone after a while; the others stay, in their order.
    table->selectAll();
    for (int i = 1; i < Count; i += 2)
        Q_EMIT session.connectionStateChanged(First + quint32(i), ConnectionRole::Server, ConnectionState::Closed);
    QVERIFY(enabled(0));
    QVERIFY(!enabled(1));
    QVERIFY(!enabled(Count - 1));
    QVERIFY(!table->selectionModel()->isRowSelected(1, {}));
    QVERIFY(table->selectionModel()->isRowSelected(2, {}));
    QCOMPARE(tabs->tabText(ServerPane::ClientsTab), QStringLiteral("Clients (500)"));
    QTRY_COMPARE_WITH_TIMEOUT(pane.clients().size(), Count / 2, ServerPane::ClosedLingerMs + 5000);
    clients = pane.clients();
    for (int i = 0; i < clients.size(); ++i)
        QCOMPARE(clients.at(i), First + quint32(2 * i));
    for (int row = 0; row < table->model()->rowCount(); ++row)
        QVERIFY(enabled(row));

    // A close for one that is gone already, or one never listed, changes nothing.
    Q_EMIT session.connectionStateChanged(First + 1, ConnectionRole::Server, ConnectionState::Closed);
    Q_EMIT session.connectionStateChanged(First + Count, ConnectionRole::Server, ConnectionState::Closed);
    QCOMPARE(pane.clients().size(), Count / 2);

    // The server stops: everyone goes, together.
    Q_EMIT session.serverStopped();
    for (int row = 0; row < table->model()->rowCount(); ++row)
        QVERIFY(!enabled(row));
    QCOMPARE(tabs->tabText(ServerPane::ClientsTab), QStringLiteral("Clients"));
    QTRY_VERIFY_WITH_TIMEOUT(pane.clients().isEmpty(), ServerPane::ClosedLingerMs + 5000);
    QCOMPARE(table->model()->rowCount(), 0);
    QVERIFY(child<QLabel>(&pane, "clientsHint")->isVisible());
}

void TstServerPane::paneMadeWhileServingChangesNothing()
{
    // A server started without the pane: silent, with a rule, and a client already connected.
    CaptureSession session(CaptureSession::Options { true, QString() });
    ServerOptions options;
    options.port = 0;
    options.behaviour.mode = ServerMode::Silent;
    options.behaviour.rules
        = ReplyRules::compile({ exactRule(QStringLiteral("hello"), QStringLiteral("hi there")) }, nullptr);
    QVERIFY(options.behaviour.rules);
    QSignalSpy started(&session, &CaptureSession::serverStarted);
    session.startServer(options);
    QVERIFY(started.wait(5000));
    ClientOptions clientOptions;
    clientOptions.url = session.serverUrl().resolved(QUrl(QStringLiteral("/early")));
    const quint32 client = session.connectClient(clientOptions);
    QTRY_COMPARE(session.serverClients().size(), 1);
    const quint32 server = session.serverClients().constFirst().id;

    // The pane shows the server and its client as they are...
    ServerPane pane(&session);
    pane.show();
    QVERIFY(QTest::qWaitForWindowExposed(&pane));
    QCOMPARE(pane.state(), ServerPane::State::Running);
    QCOMPARE(pane.clients(), QList<quint32> { server });
    auto* table = child<QTableView>(&pane, "clientsTable");
    QCOMPARE(table->model()->index(0, ServerPane::ClientPathColumn).data().toString(), QStringLiteral("/early"));
    QVERIFY(child<QPushButton>(&pane, "sendAllButton")->isEnabled());

    // ... and leaves what it does alone: the rule answers, the rest is not echoed.
    const EventStore* store = session.store();
    session.sendText(client, QStringLiteral("hello"));
    QTRY_VERIFY(findRow(store, client, Direction::S2C, EventKind::Text, "hi there", true) >= 0);
    session.sendText(client, QStringLiteral("quiet"));
    QTRY_VERIFY(findRow(store, server, Direction::C2S, EventKind::Text, "quiet", true) >= 0);
    QTest::qWait(ServerPane::ApplyDelayMs + 200);
    QCOMPARE(findRow(store, client, Direction::S2C, EventKind::Text, "quiet", true), -1);
    QCOMPARE(findRow(store, client, Direction::S2C, EventKind::Text, "hello", true), -1);

    // What the user changes in the pane applies: now it echoes.
    auto* mode = child<QComboBox>(&pane, "modeCombo");
    mode->setCurrentIndex(mode->findData(int(ServerMode::Broadcast)));
    mode->setCurrentIndex(mode->findData(int(ServerMode::Echo)));
    session.sendText(client, QStringLiteral("loud"));
    QTRY_VERIFY(findRow(store, client, Direction::S2C, EventKind::Text, "loud", true) >= 0);

    // The client listed from the start leaves like any other.
    session.closeConnection(client);
    QTRY_VERIFY_WITH_TIMEOUT(pane.clients().isEmpty(), ServerPane::ClosedLingerMs + 3000);
}

void TstServerPane::matchEditorByKeyboardAndMouse()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    ServerPane pane(&session);
    pane.resize(520, 640);
    pane.showTab(ServerPane::RulesTab);
    pane.show();
    QVERIFY(QTest::qWaitForWindowExposed(&pane));
    ReplyRulesModel* rules = pane.rulesModel();
    rules->setRules({ exactRule(QStringLiteral("a"), QStringLiteral("b")) });
    auto* table = child<QTableView>(&pane, "rulesTable");
    const QModelIndex match = rules->index(0, ReplyRulesModel::MatchColumn);
    table->setFocus(Qt::OtherFocusReason);
    table->setCurrentIndex(match);

    // The keyboard: F2, two steps down, Enter. Each step stays in the editor.
    QTest::keyClick(table, Qt::Key_F2);
    auto* combo = qobject_cast<QComboBox*>(table->indexWidget(match));
    QVERIFY(combo);
    QCOMPARE(combo->objectName(), QStringLiteral("matchEditor"));
    QTest::keyClick(combo, Qt::Key_Down);
    QCOMPARE(table->indexWidget(match), combo);
    QTest::keyClick(combo, Qt::Key_Down);
    QCOMPARE(table->indexWidget(match), combo);
    QCOMPARE(combo->currentData().toInt(), int(RuleMatch::Regex));
    QCOMPARE(rules->rule(0).match, RuleMatch::Exact); // not committed yet
    QTest::keyClick(combo, Qt::Key_Return); // committed from the event loop
    QTRY_COMPARE(rules->rule(0).match, RuleMatch::Regex);
    QVERIFY(!table->indexWidget(match));

    // The mouse: a kind chosen from the list commits and closes the editor at once.
    table->edit(match);
    combo = qobject_cast<QComboBox*>(table->indexWidget(match));
    QVERIFY(combo);
    combo->showPopup();
    QAbstractItemView* list = combo->view();
    QTRY_VERIFY(list->isVisible());
    const QModelIndex json = list->model()->index(combo->findData(int(RuleMatch::JsonField)), 0);
    const QPoint at = list->visualRect(json).center();
    QTest::mouseMove(list->viewport(), at);
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, at);
    QTRY_COMPARE(rules->rule(0).match, RuleMatch::JsonField);
    QTRY_VERIFY(!table->indexWidget(match));
}

void TstServerPane::longTemplatesAreKept()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    ServerPane pane(&session);
    pane.resize(520, 640);
    pane.showTab(ServerPane::RulesTab);
    pane.show();
    QVERIFY(QTest::qWaitForWindowExposed(&pane));
    ReplyRulesModel* rules = pane.rulesModel();
    rules->setRules({ exactRule(QStringLiteral("a"), QStringLiteral("b")) });

    // Past QLineEdit's default limit of 32,767 characters, with a placeholder at the very end.
    const QString longReply = QString(40000, QLatin1Char('r')) + QStringLiteral("{{counter}}");
    auto* table = child<QTableView>(&pane, "rulesTable");
    const QModelIndex reply = rules->index(0, ReplyRulesModel::ReplyColumn);
    table->setFocus(Qt::OtherFocusReason);
    table->setCurrentIndex(reply);
    table->edit(reply);
    auto* editor = qobject_cast<QLineEdit*>(table->indexWidget(reply));
    QVERIFY(editor);
    editor->setText(longReply);
    QTest::keyClick(editor, Qt::Key_Return);
    QTRY_VERIFY(!table->indexWidget(reply));
    QCOMPARE(rules->rule(0).reply.size(), longReply.size());
    QCOMPARE(rules->rule(0).reply, longReply);
    QTRY_VERIFY(pane.appliedRules() && !pane.appliedRules()->isEmpty()
        && pane.appliedRules()->rules().constFirst().reply == longReply);

    // And again through the editor: what it shows is all of it.
    table->edit(reply);
    editor = qobject_cast<QLineEdit*>(table->indexWidget(reply));
    QVERIFY(editor);
    QCOMPARE(editor->text(), longReply);
    QTest::keyClick(editor, Qt::Key_Escape);

    // The push template too.
    const QString longPush = QString(40000, QLatin1Char('p')) + QStringLiteral("{{counter}}");
    child<QCheckBox>(&pane, "pushCheck")->setChecked(true);
    child<QLineEdit>(&pane, "pushTemplateEdit")->setText(longPush);
    QCOMPARE(child<QLineEdit>(&pane, "pushTemplateEdit")->text(), longPush);
    QCOMPARE(pane.behaviour().pushTemplate, longPush);
    // And a message for the clients.
    child<QLineEdit>(&pane, "clientMessageEdit")->setText(longPush);
    QCOMPARE(child<QLineEdit>(&pane, "clientMessageEdit")->text(), longPush);
}

void TstServerPane::startToolTipIsASentence()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    ServerPane pane(&session);
    QAction* start = pane.startStopAction();
    QCOMPARE(start->toolTip(), QStringLiteral("Start an echo server on 127.0.0.1:8765 (or the next free port)"));
    auto* mode = child<QComboBox>(&pane, "modeCombo");
    mode->setCurrentIndex(mode->findData(int(ServerMode::Broadcast)));
    QCOMPARE(start->toolTip(), QStringLiteral("Start a broadcast server on 127.0.0.1:8765 (or the next free port)"));
    pane.setTryNextPorts(false);
    QCOMPARE(start->toolTip(), QStringLiteral("Start a broadcast server on 127.0.0.1:8765"));
    mode->setCurrentIndex(mode->findData(int(ServerMode::Silent)));
    pane.setPort(0);
    child<QComboBox>(&pane, "hostCombo")->setCurrentText(QStringLiteral("localhost"));
    QCOMPARE(start->toolTip(), QStringLiteral("Start a silent server on localhost, on any free port"));
    pane.setTryNextPorts(true); // no next port after any port
    QCOMPARE(start->toolTip(), QStringLiteral("Start a silent server on localhost, on any free port"));
}

void TstServerPane::newRuleIsValid()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    ServerPane pane(&session);
    pane.resize(520, 640);
    pane.showTab(ServerPane::RulesTab);
    pane.show();
    QVERIFY(QTest::qWaitForWindowExposed(&pane));
    ReplyRulesModel* rules = pane.rulesModel();
    auto* status = child<QLabel>(&pane, "rulesStatusLabel");

    // Added: no error shown, it compiles and is in use; its pattern is open for typing, all selected.
    QTest::mouseClick(child<QPushButton>(&pane, "addRuleButton"), Qt::LeftButton);
    QCOMPARE(rules->rowCount(), 1);
    auto* table = child<QTableView>(&pane, "rulesTable");
    auto* editor = qobject_cast<QLineEdit*>(table->indexWidget(rules->index(0, ReplyRulesModel::PatternColumn)));
    QVERIFY(editor);
    QCOMPARE(editor->selectedText(), QStringLiteral("ping"));
    QTRY_VERIFY(pane.appliedRules() && pane.appliedRules()->rules().size() == 1);
    QCOMPARE(rules->errorRow(), -1);
    QCOMPARE(status->text(), QStringLiteral("1 rule enabled."));
    QCOMPARE(pane.behaviour().rules->rules().constFirst().pattern, QStringLiteral("ping"));
    QCOMPARE(pane.behaviour().rules->rules().constFirst().reply, QStringLiteral("pong"));

    // Typed over: the rule is the user's.
    QTest::keyClicks(editor, QStringLiteral("hello"));
    QTest::keyClick(editor, Qt::Key_Return);
    QTRY_COMPARE(rules->rule(0).pattern, QStringLiteral("hello"));
    QTRY_COMPARE(pane.appliedRules()->rules().constFirst().pattern, QStringLiteral("hello"));
}

QTEST_MAIN(TstServerPane)
#include "tst_serverpane.moc"
