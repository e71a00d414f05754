#include "connectionspane.h"
#include "core/eventstore.h"
#include "mainwindow.h"
#include "net/capturesession.h"
#include "net/connectionprofiles.h"

#include <QAbstractItemModelTester>
#include <QAbstractItemView>
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QCompleter>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QFile>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>
#include <QToolButton>

using namespace wsi;

namespace {
template <typename T> T* child(QObject* parent, const char* name)
{
    T* found = parent->findChild<T*>(QLatin1String(name));
    if (!found)
        qWarning("no child %s", name);
    return found;
}

QString cell(const ConnectionsPane& pane, int row, int column)
{
    return pane.model()->index(row, column).data().toString();
}

// Payload of the first event of this kind on the connection, empty when there is none (yet).
QByteArray payloadOf(const EventStore* store, quint32 connection, EventKind kind)
{
    for (qsizetype row = 0; row < store->count(); ++row) {
        if (store->connectionId(row) == connection && store->kind(row) == kind)
            return store->payload(row).toByteArray();
    }
    return {};
}

int countKind(const EventStore* store, EventKind kind, QByteArrayView contains = {})
{
    int count = 0;
    for (qsizetype row = 0; row < store->count(); ++row)
        count += store->kind(row) == kind && store->payload(row).contains(contains) ? 1 : 0;
    return count;
}

int serverSideConnections(const EventStore* store)
{
    int count = 0;
    for (const Connection& c : store->connections())
        count += c.role == ConnectionRole::Server ? 1 : 0;
    return count;
}

// A session serving on a free port, and the pane, shown.
struct Fixture
{
    CaptureSession session { CaptureSession::Options { true, QString() } };
    ConnectionsPane pane { &session };
    QAbstractItemModelTester tester { pane.model(), QAbstractItemModelTester::FailureReportingMode::QtTest };

    bool start()
    {
        pane.resize(640, 300);
        pane.show();
        if (!QTest::qWaitForWindowExposed(&pane))
            return false;
        return startServer(0);
    }

    bool startServer(quint16 port)
    {
        ServerOptions options;
        options.port = port;
        session.startServer(options);
        return QTest::qWaitFor([this] { return session.isServerRunning(); }, 5000);
    }

    ClientOptions options(const QString& path = QStringLiteral("/"))
    {
        ClientOptions o;
        o.url = session.serverUrl().resolved(QUrl(path));
        return o;
    }

    void select(quint32 connection)
    {
        pane.selectConnection(connection);
        QCOMPARE(pane.currentConnection(), connection);
    }
};
} // namespace

class TstConnectionsPane : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void twoClientsOpen();
    void disconnectWithCode();
    void duplicateAndRemove();
    void pingShowsRtt();
    void profileFillsFormAndConnects();
    void dockInWindow();
    void reconnectGivesUp();
    void reconnectComesBack();
    void userCloseBeatsReconnection_data();
    void userCloseBeatsReconnection();
};

void TstConnectionsPane::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    QFile::remove(ConnectionProfiles::defaultPath());
}

void TstConnectionsPane::twoClientsOpen()
{
    Fixture f;
    QVERIFY(f.start());
    QVERIFY(child<QLabel>(&f.pane, "connectionsHint")->isVisible());
    const quint32 a = f.pane.openConnection(f.options(QStringLiteral("/a")));
    const quint32 b = f.pane.openConnection(f.options(QStringLiteral("/b")));
    QCOMPARE(f.pane.connections(), QList<quint32>({ a, b }));
    QVERIFY(!child<QLabel>(&f.pane, "connectionsHint")->isVisible());
    QTRY_COMPARE(f.pane.phase(0), ConnectionsPane::Phase::Open);
    QTRY_COMPARE(f.pane.phase(1), ConnectionsPane::Phase::Open);
    QCOMPARE(cell(f.pane, 0, ConnectionsPane::StateColumn), QStringLiteral("open"));
    QCOMPARE(cell(f.pane, 1, ConnectionsPane::IdColumn), QString::number(b));
    QVERIFY(cell(f.pane, 1, ConnectionsPane::UrlColumn).endsWith(QStringLiteral("/b")));
    QCOMPARE(f.pane.model()->index(0, ConnectionsPane::IdColumn).data(ConnectionsPane::ConnectionIdRole).toUInt(), a);
    // The test server's side of the same connections is not listed here.
    QTRY_COMPARE(serverSideConnections(f.session.store()), 2);
    QCOMPARE(f.pane.model()->rowCount(), 2);

    // Echoed messages are counted each way (the refresh runs while the pane is shown).
    f.session.sendText(a, QStringLiteral("one"));
    f.session.sendText(a, QStringLiteral("two"));
    QTRY_COMPARE(cell(f.pane, 0, ConnectionsPane::OutColumn), QStringLiteral("2"));
    QTRY_COMPARE(cell(f.pane, 0, ConnectionsPane::InColumn), QStringLiteral("2"));
    QCOMPARE(cell(f.pane, 1, ConnectionsPane::OutColumn), QStringLiteral("0"));

    // The first row became the current one; choosing another says so.
    QCOMPARE(f.pane.currentConnection(), a);
    QSignalSpy current(&f.pane, &ConnectionsPane::currentConnectionChanged);
    f.pane.table()->setFocus();
    QTest::keyClick(f.pane.table(), Qt::Key_Down);
    QCOMPARE(f.pane.currentConnection(), b);
    QCOMPARE(current.size(), 1);
    QCOMPARE(current.constFirst().constFirst().toUInt(), b);
}

void TstConnectionsPane::disconnectWithCode()
{
    Fixture f;
    QVERIFY(f.start());
    const quint32 a = f.pane.openConnection(f.options());
    const quint32 b = f.pane.openConnection(f.options());
    QTRY_COMPARE(f.pane.phase(1), ConnectionsPane::Phase::Open);
    f.select(b);

    QAction* disconnect = f.pane.disconnectAction();
    QVERIFY(disconnect->isEnabled());
    disconnect->trigger();
    auto* dialog = child<QDialog>(&f.pane, "disconnectDialog");
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->isVisible());
    auto* code = child<QSpinBox>(dialog, "disconnectCodeSpin");
    auto* reason = child<QLineEdit>(dialog, "disconnectReasonEdit");
    auto* error = child<QLabel>(dialog, "disconnectErrorLabel");
    auto* buttons = dialog->findChild<QDialogButtonBox*>();
    QVERIFY(code && reason && error && buttons);
    QCOMPARE(code->value(), 1000);
    QCOMPARE(code->minimum(), 1000);
    QCOMPARE(code->maximum(), 4999);

    // A code only a library may report is refused, and the dialog stays.
    code->setValue(1006);
    buttons->button(QDialogButtonBox::Ok)->click();
    QVERIFY(error->isVisible());
    QVERIFY(error->text().contains(QStringLiteral("1006")));
    QVERIFY(dialog->isVisible());
    QCOMPARE(f.session.connectionState(b), ConnectionState::Open);

    code->setValue(4000);
    QVERIFY(!error->isVisible());
    reason->setText(QStringLiteral("bye"));
    buttons->button(QDialogButtonBox::Ok)->click();
    QTRY_VERIFY(!dialog->isVisible());
    QTRY_COMPARE(f.pane.phase(1), ConnectionsPane::Phase::Closed);
    QTRY_COMPARE(cell(f.pane, 1, ConnectionsPane::StateColumn), QStringLiteral("closed (4000)"));
    QVERIFY(f.pane.model()
                ->index(1, ConnectionsPane::StateColumn)
                .data(Qt::ToolTipRole)
                .toString()
                .contains(QStringLiteral("bye")));
    QCOMPARE(f.pane.phase(0), ConnectionsPane::Phase::Open);
    QVERIFY(!disconnect->isEnabled()); // closed: nothing to disconnect
    QVERIFY(!f.pane.pingAction()->isEnabled());

    // The direct call checks the same way, with the message in the pane.
    f.select(a);
    auto* message = child<QLabel>(&f.pane, "connectionsMessage");
    QVERIFY(!f.pane.disconnectCurrent(2000, QString()));
    QVERIFY(message->isVisible());
    QVERIFY(message->text().contains(QStringLiteral("2000")));
    QVERIFY(!f.pane.disconnectCurrent(1000, QString(200, u'x')));
    QVERIFY(message->text().contains(QStringLiteral("123")));
    QVERIFY(!f.pane.disconnectCurrent(999, QString()));
    QCOMPARE(f.session.connectionState(a), ConnectionState::Open);
    QVERIFY(f.pane.disconnectCurrent(1001, QStringLiteral("later")));
    QTRY_COMPARE(cell(f.pane, 0, ConnectionsPane::StateColumn), QStringLiteral("closed (1001)"));
}

void TstConnectionsPane::duplicateAndRemove()
{
    Fixture f;
    QVERIFY(f.start());
    ClientOptions options = f.options(QStringLiteral("/dup?x=1"));
    options.headers = { { "X-Dup", "yes" } };
    const quint32 a = f.pane.openConnection(options);
    const quint32 b = f.pane.openConnection(f.options(QStringLiteral("/other")));
    QTRY_COMPARE(f.pane.phase(1), ConnectionsPane::Phase::Open);
    f.select(a);
    f.pane.duplicateAction()->trigger();
    QCOMPARE(f.pane.model()->rowCount(), 3);
    const quint32 c = f.pane.connections().at(2);
    QVERIFY(c != a && c != b);
    QCOMPARE(f.pane.currentConnection(), c); // the new one is selected
    QCOMPARE(cell(f.pane, 2, ConnectionsPane::UrlColumn), cell(f.pane, 0, ConnectionsPane::UrlColumn));
    QTRY_COMPARE(f.pane.phase(2), ConnectionsPane::Phase::Open);
    QCOMPARE(f.pane.options(2).headers, options.headers);
    QTRY_VERIFY(payloadOf(f.session.store(), c, EventKind::HandshakeRequest).contains("X-Dup: yes"));
    QVERIFY(payloadOf(f.session.store(), c, EventKind::HandshakeRequest).contains("/dup?x=1"));
    QTRY_COMPARE(serverSideConnections(f.session.store()), 3);

    // Remove closes an open connection first; its late reports do not bring it back.
    f.select(a);
    QTest::keyClick(f.pane.table(), Qt::Key_Delete);
    QCOMPARE(f.pane.connections(), QList<quint32>({ b, c }));
    QTRY_COMPARE(f.session.connectionState(a), ConnectionState::Closed);
    QTest::qWait(100);
    QCOMPARE(f.pane.connections(), QList<quint32>({ b, c }));
    QVERIFY(f.pane.currentConnection() != 0);
}

void TstConnectionsPane::pingShowsRtt()
{
    Fixture f;
    QVERIFY(f.start());
    const quint32 a = f.pane.openConnection(f.options());
    QTRY_COMPARE(f.pane.phase(0), ConnectionsPane::Phase::Open);
    QCOMPARE(cell(f.pane, 0, ConnectionsPane::RttColumn), QString());
    f.select(a);
    QVERIFY(f.pane.pingAction()->isEnabled());
    QTest::mouseClick(child<QPushButton>(&f.pane, "connectionsPingButton"), Qt::LeftButton);
    QTRY_VERIFY(!cell(f.pane, 0, ConnectionsPane::RttColumn).isEmpty());
    QVERIFY(cell(f.pane, 0, ConnectionsPane::RttColumn).contains(QStringLiteral("ms")));
    QVERIFY(countKind(f.session.store(), EventKind::Pong) >= 1);
}

void TstConnectionsPane::profileFillsFormAndConnects()
{
    QFile::remove(ConnectionProfiles::defaultPath());
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.startTestServer(0);
    QTRY_VERIFY(session.isServerRunning());

    auto* urlEdit = child<QLineEdit>(&window, "urlEdit");
    auto* toggle = child<QToolButton>(&window, "optionsToggle");
    auto* headers = child<QPlainTextEdit>(&window, "headersEdit");
    auto* subprotocols = child<QLineEdit>(&window, "subprotocolsEdit");
    auto* origin = child<QLineEdit>(&window, "originEdit");
    auto* auth = child<QComboBox>(&window, "authCombo");
    auto* token = child<QLineEdit>(&window, "tokenEdit");
    auto* ignoreCertificates = child<QCheckBox>(&window, "ignoreCertificatesCheck");
    auto* ping = child<QSpinBox>(&window, "pingIntervalSpin");
    auto* reconnect = child<QCheckBox>(&window, "reconnectCheck");
    auto* initialDelay = child<QSpinBox>(&window, "initialDelaySpin");
    auto* maxDelay = child<QSpinBox>(&window, "maxDelaySpin");
    auto* maxAttempts = child<QSpinBox>(&window, "maxAttemptsSpin");
    auto* profiles = child<QComboBox>(&window, "profileCombo");
    auto* save = child<QPushButton>(&window, "saveProfileButton");
    auto* hint = child<QLabel>(&window, "profilesHint");
    auto* error = child<QLabel>(&window, "connectErrorLabel");
    QVERIFY(urlEdit && toggle && headers && subprotocols && origin && auth && token && ignoreCertificates && ping
        && reconnect && initialDelay && maxDelay && maxAttempts && profiles && save && hint && error);

    toggle->click();
    QVERIFY(headers->isVisible());
    // The user is told where secrets end up, in the form itself.
    QVERIFY(hint->isVisible());
    QVERIFY(hint->text().contains(QStringLiteral("plain text")));
    QVERIFY(hint->text().contains(QStringLiteral("profiles.json")));
    QCOMPARE(profiles->count(), 1); // only the placeholder

    const QString url = session.serverUrl().resolved(QUrl(QStringLiteral("/profiled"))).toString();
    urlEdit->setText(url);
    headers->setPlainText(QStringLiteral("X-Team: blue\nX-Trace: 42"));
    subprotocols->setText(QStringLiteral("chat"));
    origin->setText(QStringLiteral("https://example.com"));
    auth->setCurrentIndex(auth->findData(int(ClientAuth::Kind::Bearer)));
    QVERIFY(token->isVisible());

    // A Bearer choice without a token cannot be saved.
    save->click();
    QVERIFY(error->isVisible());
    QVERIFY(!window.findChild<QInputDialog*>(QStringLiteral("saveProfileDialog")));
    token->setText(QStringLiteral("tok123"));
    ping->setValue(30);
    reconnect->setChecked(true);
    initialDelay->setValue(250);
    maxDelay->setValue(5000);
    maxAttempts->setValue(4);

    save->click();
    auto* dialog = window.findChild<QInputDialog*>(QStringLiteral("saveProfileDialog"));
    QVERIFY(dialog);
    QTRY_VERIFY(dialog->isVisible());
    dialog->setTextValue(QStringLiteral("staging"));
    dialog->accept();
    QCOMPARE(window.profiles().names(), QStringList({ QStringLiteral("staging") }));
    QCOMPARE(profiles->count(), 2);
    QCOMPARE(profiles->currentText(), QStringLiteral("staging"));
    // On disk, and read back the same.
    ConnectionProfiles onDisk;
    QVERIFY(onDisk.load());
    QVERIFY(onDisk.profile(QStringLiteral("staging")));
    const ClientOptions saved = onDisk.profile(QStringLiteral("staging"))->options;
    QCOMPARE(saved.auth.token, QStringLiteral("tok123"));
    QCOMPARE(saved.pingIntervalMs, 30000);
    QCOMPARE(saved.reconnect.maxAttempts, 4);

    // Another form, then the profile again: the form is filled back.
    urlEdit->setText(QStringLiteral("ws://elsewhere:1/"));
    headers->clear();
    subprotocols->clear();
    origin->clear();
    auth->setCurrentIndex(0);
    token->clear();
    ping->setValue(0);
    reconnect->setChecked(false);
    ignoreCertificates->setChecked(true);
    profiles->setCurrentIndex(0);
    profiles->setFocus();
    QTest::keyClick(profiles, Qt::Key_Down); // chooses "staging", as a user would
    QCOMPARE(profiles->currentText(), QStringLiteral("staging"));
    QCOMPARE(urlEdit->text(), url);
    QCOMPARE(headers->toPlainText(), QStringLiteral("X-Team: blue\nX-Trace: 42"));
    QCOMPARE(subprotocols->text(), QStringLiteral("chat"));
    QCOMPARE(origin->text(), QStringLiteral("https://example.com"));
    QCOMPARE(auth->currentData().toInt(), int(ClientAuth::Kind::Bearer));
    QCOMPARE(token->text(), QStringLiteral("tok123"));
    QVERIFY(!ignoreCertificates->isChecked());
    QCOMPARE(ping->value(), 30);
    QVERIFY(reconnect->isChecked());
    QCOMPARE(initialDelay->value(), 250);
    QCOMPARE(maxDelay->value(), 5000);
    QCOMPARE(maxAttempts->value(), 4);

    // The Connections pane offers the profile too; connecting with it sends its headers.
    ConnectionsPane* pane = window.connectionsPane();
    QVERIFY(pane);
    auto* menu = child<QMenu>(pane, "connectionsConnectMenu");
    QAction* fromProfile = nullptr;
    for (QAction* action : menu->actions()) {
        if (action->text() == QStringLiteral("staging"))
            fromProfile = action;
    }
    QVERIFY(fromProfile);
    fromProfile->trigger();
    QCOMPARE(window.clientConnections().size(), 1);
    const quint32 client = window.clientConnections().constFirst();
    QCOMPARE(pane->connections(), QList<quint32>({ client }));
    QTRY_COMPARE(session.connectionState(client), ConnectionState::Open);
    // The state comes by signal, the handshake (recorded before it) with the timeline's next batch.
    session.flush();
    const QByteArray request = payloadOf(session.store(), client, EventKind::HandshakeRequest);
    QVERIFY2(request.contains("X-Team: blue\r\n"), request.constData());
    QVERIFY2(request.contains("X-Trace: 42\r\n"), request.constData());
    QVERIFY2(request.contains("Origin: https://example.com\r\n"), request.constData());
    QVERIFY2(request.contains("Sec-WebSocket-Protocol: chat\r\n"), request.constData());
    QVERIFY2(request.contains("Authorization: Bearer tok123\r\n"), request.constData());
    QCOMPARE(pane->options(0).reconnect.maxAttempts, 4);

    // The URL that opened is the first recent one, offered by the URL field.
    QTRY_COMPARE(window.profiles().recentUrls().value(0), url);
    auto* completer = urlEdit->completer();
    QVERIFY(completer);
    QCOMPARE(completer->model()->index(0, 0).data().toString(), url);
    // Down in the URL field lists them all, whatever is typed.
    urlEdit->setFocus();
    QTest::keyClick(urlEdit, Qt::Key_Down);
    QTRY_VERIFY(completer->popup()->isVisible());
    QCOMPARE(completer->completionCount(), 1);
    QTest::keyClick(completer->popup(), Qt::Key_Escape);
    QTRY_VERIFY(!completer->popup()->isVisible());
    ConnectionProfiles reread;
    QVERIFY(reread.load());
    QCOMPARE(reread.recentUrls().value(0), url);

    // Deleting the profile leaves the placeholder.
    QVERIFY(window.deleteProfile(QStringLiteral("staging")));
    QCOMPARE(profiles->count(), 1);
    QVERIFY(window.profiles().names().isEmpty());
}

void TstConnectionsPane::dockInWindow()
{
    QFile::remove(ConnectionProfiles::defaultPath());
    // The window restores the layout an earlier run left at its close (the dock shown); this is about the default.
    QSettings().remove(QStringLiteral("mainWindow"));
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto* dock = child<QDockWidget>(&window, "connectionsDock");
    auto* toggle = child<QAction>(&window, "connectionsPaneAction");
    QVERIFY(dock && toggle);
    QCOMPARE(window.dockWidgetArea(dock), Qt::LeftDockWidgetArea);
    QCOMPARE(toggle->shortcut(), QKeySequence(Qt::Key_F6));
    QVERIFY(!dock->isVisible());
    toggle->trigger();
    QVERIFY(dock->isVisible());

    // Connect in the pane opens what the URL bar says.
    window.startTestServer(0);
    QTRY_VERIFY(session.isServerRunning());
    QTRY_COMPARE(child<QLineEdit>(&window, "urlEdit")->text(), session.serverUrl().toString());
    window.connectionsPane()->connectAction()->trigger();
    QCOMPARE(window.connectionsPane()->connections().size(), 1);
    QCOMPARE(window.connectionsPane()->connections(), window.clientConnections());
    QTRY_COMPARE(window.connectionsPane()->phase(0), ConnectionsPane::Phase::Open);

    // A corrupt profiles file is reported (in a box that does not block) and moved aside.
    window.close();
    QFile file(ConnectionProfiles::defaultPath());
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write("{ not json");
    file.close();
    QFile::remove(ConnectionProfiles::defaultPath() + QStringLiteral(".bad"));
    MainWindow second(&session);
    second.show();
    QVERIFY(QTest::qWaitForWindowExposed(&second));
    QMessageBox* box = nullptr;
    QTRY_VERIFY((box = second.findChild<QMessageBox*>(QStringLiteral("errorMessageBox"))) != nullptr);
    QVERIFY(box->text().contains(QStringLiteral("profiles.json")));
    QVERIFY(box->text().contains(QStringLiteral("line 1")));
    QVERIFY(QFile::exists(ConnectionProfiles::defaultPath() + QStringLiteral(".bad")));
    QVERIFY(second.profiles().profiles().isEmpty());
    QFile::remove(ConnectionProfiles::defaultPath() + QStringLiteral(".bad"));
}

void TstConnectionsPane::reconnectGivesUp()
{
    Fixture f;
    QVERIFY(f.start());
    ClientOptions options = f.options(QStringLiteral("/flaky"));
    options.reconnect = ReconnectPolicy { true, 100, 400, 3 };
    const quint32 first = f.pane.openConnection(options);
    QTRY_COMPARE(f.pane.phase(0), ConnectionsPane::Phase::Open);

    QSignalSpy reconnecting(&f.session, &CaptureSession::clientReconnecting);
    QSignalSpy gaveUp(&f.session, &CaptureSession::clientGaveUp);
    f.session.stopServer();
    QTRY_COMPARE(f.pane.phase(0), ConnectionsPane::Phase::Reconnecting);
    // Which attempt it is by now depends on how fast this machine is; what it looks like does not.
    const QString state = cell(f.pane, 0, ConnectionsPane::StateColumn);
    QVERIFY2(
        QRegularExpression(QStringLiteral("^reconnecting [1-3]/3( in \\d\\.\\d s|\u2026)$")).match(state).hasMatch(),
        qPrintable(state));
    const QString detail = f.pane.model()->index(0, ConnectionsPane::StateColumn).data(Qt::ToolTipRole).toString();
    QVERIFY2(detail.contains(QStringLiteral(" of 3")), qPrintable(detail));
    QCOMPARE(reconnecting.constFirst().at(2).toInt(), 1); // attempt
    QCOMPARE(reconnecting.constFirst().at(3).toInt(), 3); // of

    QTRY_COMPARE_WITH_TIMEOUT(f.pane.phase(0), ConnectionsPane::Phase::GaveUp, 10000);
    QCOMPARE(cell(f.pane, 0, ConnectionsPane::StateColumn), QStringLiteral("gave up after 3 attempts"));
    QCOMPARE(reconnecting.size(), 3);
    QCOMPARE(gaveUp.size(), 1);
    // Still one row, following the last attempt; the earlier ones are remembered.
    QCOMPARE(f.pane.model()->rowCount(), 1);
    const quint32 last = f.pane.connections().constFirst();
    QVERIFY(last != first);
    QCOMPARE(last, gaveUp.constFirst().at(0).toUInt());
    QCOMPARE(f.pane.rowOf(first), 0);
    QVERIFY(!f.pane.pingAction()->isEnabled());
    f.select(last);
    QVERIFY(f.pane.duplicateAction()->isEnabled());
    // The timeline tells the story in notes.
    QTRY_VERIFY(countKind(f.session.store(), EventKind::Note) >= 3);
}

void TstConnectionsPane::reconnectComesBack()
{
    Fixture f;
    QVERIFY(f.start());
    const quint16 port = quint16(f.session.serverUrl().port());
    ClientOptions options = f.options(QStringLiteral("/back"));
    options.reconnect = ReconnectPolicy { true, 100, 400, 10 };
    const quint32 first = f.pane.openConnection(options);
    QTRY_COMPARE(f.pane.phase(0), ConnectionsPane::Phase::Open);
    f.select(first);
    QSignalSpy current(&f.pane, &ConnectionsPane::currentConnectionChanged);

    f.session.stopServer();
    QTRY_COMPARE(f.pane.phase(0), ConnectionsPane::Phase::Reconnecting);
    QVERIFY(cell(f.pane, 0, ConnectionsPane::StateColumn).contains(QStringLiteral("/10")));
    QVERIFY(f.pane.disconnectAction()->isEnabled()); // calls the reconnection off
    QVERIFY(f.startServer(port));

    QTRY_COMPARE_WITH_TIMEOUT(f.pane.phase(0), ConnectionsPane::Phase::Open, 10000);
    const quint32 now = f.pane.connections().constFirst();
    QVERIFY(now != first);
    QCOMPARE(f.session.connectionState(now), ConnectionState::Open);
    QCOMPARE(cell(f.pane, 0, ConnectionsPane::StateColumn), QStringLiteral("open"));
    QCOMPARE(cell(f.pane, 0, ConnectionsPane::IdColumn), QString::number(now));
    QCOMPARE(f.pane.model()->rowCount(), 1);
    // The row stayed the current one and says its new id (for the composer).
    QCOMPARE(f.pane.currentConnection(), now);
    QVERIFY(!current.isEmpty());
    QCOMPARE(current.constLast().constFirst().toUInt(), now);
}

void TstConnectionsPane::userCloseBeatsReconnection_data()
{
    QTest::addColumn<bool>("remove");
    QTest::newRow("disconnect") << false;
    QTest::newRow("remove") << true;
}

void TstConnectionsPane::userCloseBeatsReconnection()
{
    QFETCH(bool, remove);
    Fixture f;
    QVERIFY(f.start());
    ClientOptions options = f.options(QStringLiteral("/race"));
    options.reconnect = ReconnectPolicy { true, 60000, 60000, 3 };
    const quint32 first = f.pane.openConnection(options);
    QTRY_COMPARE(f.pane.phase(0), ConnectionsPane::Phase::Open);
    f.select(first);

    // The engine notices the drop and schedules the next attempt before the pane hears of it: the session's
    // signals are held back while it happens (the timeline still gets the engine's notes).
    quint32 next = 0;
    {
        const QSignalBlocker held(&f.session);
        f.session.stopServer();
        const QRegularExpression announced(QStringLiteral("reconnecting in [0-9.]+ s as connection (\\d+)"));
        const auto announcedNext = [&] {
            const EventStore* store = f.session.store();
            for (qsizetype row = 0; row < store->count(); ++row) {
                const auto match = announced.match(QString::fromUtf8(store->payload(row).toByteArray()));
                if (store->connectionId(row) == first && match.hasMatch())
                    return match.captured(1).toUInt();
            }
            return 0u;
        };
        QTRY_VERIFY((next = announcedNext()) != 0);
        // The engine records the note before it reports the reconnection: the batch with the note may come
        // before the report. Wait until the session has it too (its signal held back like the others).
        QTRY_COMPARE(f.session.connectionState(next), ConnectionState::Connecting);
        QCOMPARE(f.pane.phase(0), ConnectionsPane::Phase::Open); // as far as the pane knows
        // Meanwhile the user ends the connection.
        if (remove)
            f.pane.removeCurrent();
        else
            QVERIFY(f.pane.disconnectCurrent(1000, QString()));
    }
    QCOMPARE(f.session.connectionState(next), ConnectionState::Connecting); // waiting for its timer

    // What the pane missed arrives now, in the order the engine sent it.
    Q_EMIT f.session.connectionStateChanged(first, ConnectionRole::Client, ConnectionState::Closed);
    Q_EMIT f.session.clientReconnecting(first, next, 1, 3, 60000);

    // The waiting attempt is called off at once, not left to run unseen.
    QTRY_COMPARE(countKind(f.session.store(), EventKind::Note, "reconnection cancelled"), 1);
    QTRY_COMPARE(f.session.connectionState(next), ConnectionState::Closed);
    if (remove) {
        QCOMPARE(f.pane.model()->rowCount(), 0);
    } else {
        QCOMPARE(f.pane.model()->rowCount(), 1);
        QCOMPARE(f.pane.connections(), QList<quint32>({ next }));
        QCOMPARE(f.pane.phase(0), ConnectionsPane::Phase::Closed);
        QVERIFY(!f.pane.disconnectAction()->isEnabled());
    }
}

QTEST_MAIN(TstConnectionsPane)
#include "tst_connectionspane.moc"
