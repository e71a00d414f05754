#include "core/eventstore.h"
#include "core/timelinemodel.h"
#include "core/timelineviewmodel.h"
#include "huemessage.h"
#include "mainwindow.h"
#include "net/capturesession.h"
#include "proxypane.h"
#include "shortcutsdialog.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDockWidget>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableView>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QToolButton>

using namespace wsi;

namespace {
template <typename T> T* child(QWidget* parent, const char* name)
{
    T* found = parent->findChild<T*>(QLatin1String(name));
    if (!found)
        qWarning("no child %s", name);
    return found;
}

// Rows of the timeline on this connection with this kind, direction and payload.
int countRows(const EventStore* store, quint32 connection, Direction direction, EventKind kind, QByteArrayView payload)
{
    int count = 0;
    for (qsizetype row = 0; row < store->count(); ++row) {
        count += store->connectionId(row) == connection && store->direction(row) == direction
                && store->kind(row) == kind && store->payload(row) == payload
            ? 1
            : 0;
    }
    return count;
}

// Answers the next modal message box (the exposure confirmation) with the button whose text starts with `text`.
void answerNextMessageBox(const QString& text)
{
    auto* timer = new QTimer;
    timer->setInterval(20);
    QObject::connect(timer, &QTimer::timeout, timer, [timer, text] {
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        if (!box)
            return;
        for (QAbstractButton* button : box->buttons()) {
            if (button->text().remove(u'&').startsWith(text)) {
                timer->deleteLater();
                button->click();
                return;
            }
        }
    });
    timer->start();
}

// A session with the proxy pane shown and, in the same session, a test server for the proxy's upstream.
struct Fixture
{
    CaptureSession session { CaptureSession::Options { true, QString() } };
    ProxyPane pane { &session };

    bool show()
    {
        pane.resize(480, 560);
        pane.show();
        return QTest::qWaitForWindowActive(&pane);
    }

    bool startUpstream()
    {
        ServerOptions options;
        options.port = 0;
        options.subprotocols = { QStringLiteral("chat") };
        session.startServer(options);
        return QTest::qWaitFor([this] { return session.isServerRunning(); }, 5000);
    }

    bool startProxy()
    {
        pane.setPort(0);
        pane.setUpstream(session.serverUrl().resolved(QUrl(QStringLiteral("/up"))).toString());
        QTest::mouseClick(child<QToolButton>(&pane, "proxyStartStopButton"), Qt::LeftButton);
        return QTest::qWaitFor([this] { return pane.state() == ProxyPane::State::Running; }, 5000);
    }

    quint32 connect(const QString& path)
    {
        ClientOptions options;
        options.url = session.proxyUrl().resolved(QUrl(path));
        options.subprotocols = { QStringLiteral("chat") };
        return session.connectClient(options);
    }

    QTableView* table() { return child<QTableView>(&pane, "proxyConnectionsTable"); }
    QString status() { return child<QLabel>(&pane, "proxyStatus")->text(); }
    std::optional<int> statusHue() { return HueMessage::hueOf(child<QLabel>(&pane, "proxyStatus")); }
};
} // namespace

// The proxy's dock: its fields checked before the start, the connections through it listed while they last, the
// start failures and the exposure told, and its place in the main window (keys, menus, settings).
class TstProxyPane : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void badFieldsDoNotStart_data();
    void badFieldsDoNotStart();
    void relaysAndListsConnections();
    void takenPortIsReported();
    void exposureIsConfirmedAndShown();
    void paneMadeWhileProxyingShowsIt();
    void windowWiring();
    void settingsComeBackOnlyWhenRemembered();
    void settingsNeverHoldAPassword();
    void maxMessageSizeIsAnOption();

private:
    QTemporaryDir m_home;
};

void TstProxyPane::initTestCase()
{
    // Settings go to a folder of this test's own, so that the round trip below neither reads nor leaves the user's.
    QVERIFY(m_home.isValid());
    const QString config = m_home.filePath(QStringLiteral("config"));
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(config));
    qputenv("XDG_DATA_HOME", QFile::encodeName(m_home.filePath(QStringLiteral("data"))));
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, config);
    QCoreApplication::setOrganizationName(QStringLiteral("wsinspector"));
    QCoreApplication::setApplicationName(QStringLiteral("wsinspector"));
}

void TstProxyPane::badFieldsDoNotStart_data()
{
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("upstream");
    QTest::addColumn<QString>("origin");
    QTest::addColumn<QString>("culprit"); // the field that gets the focus
    QTest::addColumn<QString>("message"); // a part of what the pane says

    const QString upstream = QStringLiteral("upstreamEdit");
    QTest::newRow("empty") << "127.0.0.1" << 9000 << ""
                           << "" << upstream << "Enter the upstream URL";
    QTest::newRow("spaces") << "127.0.0.1" << 9000 << "  "
                            << "" << upstream << "Enter the upstream URL";
    QTest::newRow("http") << "127.0.0.1" << 9000 << "http://api.example.com/socket"
                          << "" << upstream
                          << "write ws://api.example.com/socket rather than http://api.example.com/socket";
    QTest::newRow("https") << "127.0.0.1" << 9000 << "https://api.example.com/"
                           << "" << upstream << "write wss://api.example.com/";
    QTest::newRow("other scheme") << "127.0.0.1" << 9000 << "ftp://api.example.com/"
                                  << "" << upstream << "must start with ws:// or wss://";
    QTest::newRow("no scheme") << "127.0.0.1" << 9000 << "api.example.com/socket"
                               << "" << upstream << "must start with ws:// or wss://";
    QTest::newRow("not a url") << "127.0.0.1" << 9000 << "ws://exa mple.com/"
                               << "" << upstream << "is not a valid URL";
    QTest::newRow("no host") << "127.0.0.1" << 9000 << "ws:///socket"
                             << "" << upstream << "names no host";
    QTest::newRow("fragment") << "127.0.0.1" << 9000 << "ws://api.example.com/#top"
                              << "" << upstream << "cannot have a fragment";
    // The proxy passes on each client's own Authorization and Cookie: credentials in the URL would reach nobody.
    QTest::newRow("user and password") << "127.0.0.1" << 9000 << "wss://user:s3cret@api.example.com/socket"
                                       << "" << upstream << "Remove the user name and password";
    QTest::newRow("token as the user name") << "127.0.0.1" << 9000 << "ws://s3cret@api.example.com/"
                                            << "" << upstream << "Authorization and Cookie headers";
    QTest::newRow("user info in an https URL") << "127.0.0.1" << 9000 << "https://user:s3cret@api.example.com/"
                                               << "" << upstream << "Remove the user name and password";
    QTest::newRow("user info in a URL that does not parse") << "127.0.0.1" << 9000 << "ws://user:s3cret@exa mple.com/"
                                                            << "" << upstream << "Remove the user name and password";
    QTest::newRow("itself") << "127.0.0.1" << 9000 << "ws://localhost:9000/"
                            << "" << upstream << "is the proxy itself";
    QTest::newRow("itself, wildcard") << "0.0.0.0" << 8080 << "ws://127.0.0.1:8080/x"
                                      << "" << upstream << "is the proxy itself";
    QTest::newRow("bad origin") << "127.0.0.1" << 9000 << "ws://api.example.com/"
                                << "localhost:3000 x"
                                << "proxyOriginEdit"
                                << "is not an origin";
    QTest::newRow("origin with path") << "127.0.0.1" << 9000 << "ws://api.example.com/"
                                      << "http://a.example/page"
                                      << "proxyOriginEdit"
                                      << "is not an origin";
    QTest::newRow("no host to listen on") << "" << 9000 << "ws://api.example.com/"
                                          << ""
                                          << "proxyHostCombo"
                                          << "Enter the host to listen on";
    QTest::newRow("bad host") << "local host" << 9000 << "ws://api.example.com/"
                              << ""
                              << "proxyHostCombo"
                              << "is not a host name or address";
}

void TstProxyPane::badFieldsDoNotStart()
{
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QString, upstream);
    QFETCH(QString, origin);
    QFETCH(QString, culprit);
    QFETCH(QString, message);

    Fixture f;
    QVERIFY(f.show());
    QSignalSpy attention(&f.pane, &ProxyPane::attentionNeeded);
    child<QComboBox>(&f.pane, "proxyHostCombo")->setCurrentText(host);
    f.pane.setPort(quint16(port));
    f.pane.setUpstream(upstream);
    child<QLineEdit>(&f.pane, "proxyOriginEdit")->setText(origin);
    QVERIFY(!f.pane.start());
    QCOMPARE(f.pane.state(), ProxyPane::State::Stopped);
    QCOMPARE(attention.size(), 1);

    auto* error = child<QLabel>(&f.pane, "proxyFieldError");
    QVERIFY(error->isVisible());
    QVERIFY2(error->text().contains(message), qPrintable(error->text()));
    QCOMPARE(HueMessage::hueOf(error), HueMessage::RedHue);
    QCOMPARE(f.statusHue(), HueMessage::RedHue);
    // A password typed by mistake is not repeated.
    QVERIFY2(!error->text().contains(QLatin1StringView("s3cret")), qPrintable(error->text()));
    QVERIFY2(!f.status().contains(QLatin1StringView("s3cret")), qPrintable(f.status()));
    QWidget* focus = QApplication::focusWidget();
    const QString expected = culprit == u"upstreamEdit" ? QStringLiteral("proxyUpstreamEdit") : culprit;
    // The combo box's line edit takes the focus for it.
    QVERIFY2(focus
            && (focus->objectName() == expected
                || (focus->parentWidget() && focus->parentWidget()->objectName() == expected)),
        qPrintable(focus ? focus->objectName() : QStringLiteral("none")));

    // Typing again takes the complaint away.
    QTest::keyClick(child<QLineEdit>(&f.pane, "proxyUpstreamEdit"), Qt::Key_Space);
    if (culprit == u"upstreamEdit")
        QVERIFY(error->isHidden());
    QVERIFY(!f.session.isProxyRunning());
}

void TstProxyPane::relaysAndListsConnections()
{
    Fixture f;
    QVERIFY(f.show());
    QVERIFY(f.startUpstream());
    QSignalSpy states(&f.pane, &ProxyPane::stateChanged);
    QVERIFY(f.startProxy());
    QCOMPARE(states.size(), 2); // starting, running
    QVERIFY(f.session.isProxyRunning());
    const QString listen = f.session.proxyUrl().toString();
    const QString upstream = f.session.serverUrl().resolved(QUrl(QStringLiteral("/up"))).toString();
    QCOMPARE(child<QLabel>(&f.pane, "proxyUrlLabel")->text(), listen);
    QCOMPARE(f.status(), QStringLiteral("Listening on %1 \u2192 %2").arg(listen, upstream));
    QCOMPARE(f.statusHue(), HueMessage::NoHue);
    QVERIFY(child<QLabel>(&f.pane, "proxyExposureWarning")->isHidden());
    QVERIFY(!child<QWidget>(&f.pane, "proxyForm")->isEnabled());
    QCOMPARE(f.pane.startStopAction()->text().remove(u'&'), QStringLiteral("Stop Proxy"));

    auto* copy = child<QPushButton>(&f.pane, "proxyCopyUrlButton");
    QVERIFY(copy->isEnabled());
    QApplication::clipboard()->clear();
    QTest::mouseClick(copy, Qt::LeftButton);
    QCOMPARE(QApplication::clipboard()->text(), listen);

    // A client through the proxy: listed with what its request said, once the upstream took it.
    auto* hint = child<QLabel>(&f.pane, "proxyConnectionsHint");
    QVERIFY(hint->isVisible());
    QVERIFY(hint->text().contains(listen));
    const quint32 client = f.connect(QStringLiteral("/chat?room=1"));
    QTRY_COMPARE(f.session.connectionState(client), ConnectionState::Open);
    QTRY_COMPARE(f.pane.connections().size(), 1);
    QVERIFY(hint->isHidden());
    const quint32 proxied = f.pane.connections().constFirst();
    QVERIFY(proxied != client);
    QAbstractItemModel* rows = f.table()->model();
    QCOMPARE(rows->index(0, ProxyPane::IdColumn).data().toString(), QStringLiteral("#%1").arg(proxied));
    QCOMPARE(rows->index(0, ProxyPane::PathColumn).data().toString(), QStringLiteral("/chat?room=1"));
    QCOMPARE(rows->index(0, ProxyPane::SubprotocolColumn).data().toString(), QStringLiteral("chat"));
    QVERIFY(rows->index(0, ProxyPane::PeerColumn).data().toString().startsWith(QStringLiteral("127.0.0.1:")));
    QVERIFY(!rows->index(0, ProxyPane::OpenedColumn).data().toString().isEmpty());
    QVERIFY(child<QLabel>(&f.pane, "proxyConnectionsTitle")->text().contains(QStringLiteral("(1)")));

    // Messages both ways are recorded on the proxied connection too, as role proxy, with the upstream's URL.
    f.session.sendText(client, QStringLiteral("hello through"));
    const EventStore* store = f.session.store();
    QTRY_COMPARE(countRows(store, proxied, Direction::C2S, EventKind::Text, "hello through"), 1);
    QTRY_COMPARE(countRows(store, proxied, Direction::S2C, EventKind::Text, "hello through"), 1); // the echo
    QTRY_COMPARE(countRows(store, client, Direction::S2C, EventKind::Text, "hello through"), 1);
    const Connection* described = store->connection(proxied);
    QVERIFY(described);
    QCOMPARE(described->role, ConnectionRole::Proxy);
    QVERIFY2(described->url.startsWith(upstream), qPrintable(described->url));
    TimelineModel* model = f.session.model();
    for (int row = 0; row < model->rowCount(); ++row) {
        const QModelIndex index = model->index(row, TimelineModel::ConnectionColumn);
        if (index.data(TimelineModel::ConnectionIdRole).toUInt() == proxied) {
            QCOMPARE(index.data(TimelineModel::ConnectionRoleRole).toInt(), int(ConnectionRole::Proxy));
            QCOMPARE(index.data().toString(), QStringLiteral("%1 proxy").arg(proxied));
        }
    }

    // Enter and double-click on the row ask for that connection in the timeline.
    QSignalSpy activated(&f.pane, &ProxyPane::connectionActivated);
    f.table()->setFocus();
    f.table()->setCurrentIndex(rows->index(0, ProxyPane::PathColumn));
    QTest::keyClick(f.table(), Qt::Key_Return);
    QCOMPARE(activated.size(), 1);
    QCOMPARE(activated.at(0).at(0).toUInt(), proxied);
    const QPoint cell = f.table()->visualRect(rows->index(0, ProxyPane::PathColumn)).center();
    QTest::mouseClick(f.table()->viewport(), Qt::LeftButton, {}, cell);
    QTest::mouseDClick(f.table()->viewport(), Qt::LeftButton, {}, cell);
    QCOMPARE(activated.size(), 2);

    // A second client, then the first closes: only its row goes.
    const quint32 second = f.connect(QStringLiteral("/other"));
    QTRY_COMPARE(f.pane.connections().size(), 2);
    const quint32 secondProxied = f.pane.connections().constLast();
    f.session.closeConnection(client, 1000, QStringLiteral("done"));
    QTRY_COMPARE(f.pane.connections(), QList<quint32> { secondProxied });
    QCOMPARE(rows->index(0, ProxyPane::PathColumn).data().toString(), QStringLiteral("/other"));
    QTRY_COMPARE(countRows(store, proxied, Direction::C2S, EventKind::Close, "done"), 1);

    // Stop: the proxy's connections end with it and the list empties; the fields can be changed again.
    QTest::mouseClick(child<QToolButton>(&f.pane, "proxyStartStopButton"), Qt::LeftButton);
    QTRY_COMPARE(f.pane.state(), ProxyPane::State::Stopped);
    QVERIFY(!f.session.isProxyRunning());
    QCOMPARE(f.pane.connections().size(), 0);
    QVERIFY(child<QWidget>(&f.pane, "proxyForm")->isEnabled());
    QVERIFY(!copy->isEnabled());
    QCOMPARE(child<QLabel>(&f.pane, "proxyUrlLabel")->text(), QStringLiteral("Not running"));
    QTRY_COMPARE(f.session.connectionState(second), ConnectionState::Closed);
}

void TstProxyPane::takenPortIsReported()
{
    QTcpServer taken;
    QVERIFY(taken.listen(QHostAddress::LocalHost, 0));
    Fixture f;
    QVERIFY(f.show());
    QSignalSpy attention(&f.pane, &ProxyPane::attentionNeeded);
    f.pane.setPort(taken.serverPort());
    f.pane.setUpstream(QStringLiteral("ws://127.0.0.1:1/"));
    QVERIFY(f.pane.start());
    QTRY_COMPARE(f.pane.state(), ProxyPane::State::Stopped);
    QVERIFY(!f.session.isProxyRunning());
    QVERIFY2(f.status().startsWith(QStringLiteral("Could not start the proxy: ")), qPrintable(f.status()));
    QVERIFY(f.status().size() > QStringLiteral("Could not start the proxy: ").size());
    QCOMPARE(f.statusHue(), HueMessage::RedHue);
    QCOMPARE(attention.size(), 1);
    QVERIFY(child<QWidget>(&f.pane, "proxyForm")->isEnabled());

    // The next start, on a free port, clears the complaint.
    f.pane.setPort(0);
    QVERIFY(f.pane.start());
    QTRY_COMPARE(f.pane.state(), ProxyPane::State::Running);
    QVERIFY(f.status().startsWith(QStringLiteral("Listening on ")));
    f.pane.stop();
    QTRY_COMPARE(f.pane.state(), ProxyPane::State::Stopped);
    QVERIFY(f.pane.statusText().isEmpty());
}

void TstProxyPane::exposureIsConfirmedAndShown()
{
    Fixture f;
    QVERIFY(f.show());
    auto* host = child<QComboBox>(&f.pane, "proxyHostCombo");
    auto* hint = child<QLabel>(&f.pane, "proxyHostHint");
    QVERIFY(hint->text().contains(QStringLiteral("Only programs on this computer")));
    host->setCurrentText(QStringLiteral("0.0.0.0"));
    QVERIFY(hint->isVisible());
    QVERIFY(hint->text().contains(QStringLiteral("confirm")));
    QCOMPARE(HueMessage::hueOf(hint), HueMessage::AmberHue);
    f.pane.setPort(0);
    f.pane.setUpstream(QStringLiteral("ws://127.0.0.1:1/"));

    // Cancel: nothing starts.
    answerNextMessageBox(QStringLiteral("Cancel"));
    QVERIFY(!f.pane.start());
    QCOMPARE(f.pane.state(), ProxyPane::State::Stopped);
    QVERIFY(!f.session.isProxyRunning());

    // Go ahead: it runs, and says all along that others can reach it.
    answerNextMessageBox(QStringLiteral("Start on 0.0.0.0"));
    QVERIFY(f.pane.start());
    QTRY_COMPARE(f.pane.state(), ProxyPane::State::Running);
    auto* warning = child<QLabel>(&f.pane, "proxyExposureWarning");
    QVERIFY(warning->isVisible());
    QVERIFY(warning->text().contains(QStringLiteral("Reachable from other computers")));
    QCOMPARE(HueMessage::hueOf(warning), HueMessage::AmberHue);
    // The URL to copy is one a client on this computer can open.
    QTest::mouseClick(child<QPushButton>(&f.pane, "proxyCopyUrlButton"), Qt::LeftButton);
    QCOMPARE(QUrl(QApplication::clipboard()->text()).host(), QStringLiteral("127.0.0.1"));
    QCOMPARE(QUrl(QApplication::clipboard()->text()).port(), f.session.proxyUrl().port());
    f.pane.stop();
    QTRY_COMPARE(f.pane.state(), ProxyPane::State::Stopped);
    QVERIFY(warning->isHidden());
}

void TstProxyPane::paneMadeWhileProxyingShowsIt()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    ServerOptions server;
    server.port = 0;
    session.startServer(server);
    QTRY_VERIFY(session.isServerRunning());
    ProxyOptions options;
    options.port = 0;
    options.upstream = session.serverUrl();
    session.startProxy(options);
    QTRY_VERIFY(session.isProxyRunning());
    ClientOptions client;
    client.url = session.proxyUrl().resolved(QUrl(QStringLiteral("/early")));
    const quint32 id = session.connectClient(client);
    QTRY_COMPARE(session.proxyClients().size(), 1);

    // The session outlives windows: a pane made now shows the proxy and its connection as they are.
    ProxyPane pane(&session);
    QCOMPARE(pane.state(), ProxyPane::State::Running);
    QCOMPARE(pane.connections(), QList<quint32> { session.proxyClients().constFirst().id });
    QVERIFY(pane.statusText().contains(session.proxyUrl().toString()));
    session.closeConnection(id);
    QTRY_VERIFY(pane.connections().isEmpty());
    pane.stop();
    QTRY_COMPARE(pane.state(), ProxyPane::State::Stopped);
}

void TstProxyPane::windowWiring()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    auto* dock = window.findChild<QDockWidget*>(QStringLiteral("proxyDock"));
    QVERIFY(dock);
    QVERIFY(dock->isHidden());
    QCOMPARE(window.proxyPane(), dock->widget());

    // F3 toggles the dock, and no other action of the window has it.
    auto* toggle = window.findChild<QAction*>(QStringLiteral("proxyPaneAction"));
    QVERIFY(toggle);
    QCOMPARE(toggle->shortcut(), QKeySequence(Qt::Key_F3));
    int holders = 0;
    for (const QAction* action : window.findChildren<QAction*>())
        holders += action->shortcuts().contains(QKeySequence(Qt::Key_F3)) ? 1 : 0;
    QCOMPARE(holders, 1);
    bool listed = false;
    for (const ShortcutsDialog::Entry& entry : ShortcutsDialog::entries(&window))
        listed |= entry.action == QLatin1StringView("Proxy") && entry.keys == QKeySequence(Qt::Key_F3).toString();
    QVERIFY(listed);
    auto* urlEdit = window.findChild<QLineEdit*>(QStringLiteral("urlEdit"));
    urlEdit->setFocus();
    QTest::keyClick(urlEdit, Qt::Key_F3);
    QTRY_VERIFY(dock->isVisible());

    // View lists the dock, Capture starts the proxy.
    QMenu* view = window.findChild<QMenu*>(QStringLiteral("viewMenu"));
    QMenu* capture = window.findChild<QMenu*>(QStringLiteral("captureMenu"));
    QVERIFY(view && capture);
    QVERIFY(view->actions().contains(toggle));
    QAction* start = window.proxyPane()->startStopAction();
    QVERIFY(capture->actions().contains(start));
    QCOMPARE(start->text().remove(u'&'), QStringLiteral("Start Proxy"));

    // Started from the menu with the dock hidden and no upstream: the dock comes up to say why.
    dock->hide();
    start->trigger();
    QVERIFY(dock->isVisible());
    QVERIFY(child<QLabel>(window.proxyPane(), "proxyFieldError")->isVisible());

    // A proxied connection activated in the pane filters the timeline by it.
    ServerOptions server;
    server.port = 0;
    session.startServer(server);
    QTRY_VERIFY(session.isServerRunning());
    window.proxyPane()->setPort(0);
    window.proxyPane()->setUpstream(session.serverUrl().toString());
    start->trigger();
    QTRY_VERIFY(session.isProxyRunning());
    QCOMPARE(start->text().remove(u'&'), QStringLiteral("Stop Proxy"));
    ClientOptions client;
    client.url = session.proxyUrl();
    session.connectClient(client);
    QTRY_COMPARE(window.proxyPane()->connections().size(), 1);
    const quint32 proxied = window.proxyPane()->connections().constFirst();
    Q_EMIT window.proxyPane()->connectionActivated(proxied);
    QTRY_COMPARE(window.timelineViewModel()->filter().connections, QList<quint32> { proxied });
    start->trigger();
    QTRY_VERIFY(!session.isProxyRunning());
}

void TstProxyPane::settingsComeBackOnlyWhenRemembered()
{
    const QString upstream = QStringLiteral("wss://api.example.com/socket");
    {
        CaptureSession session(CaptureSession::Options { true, QString() });
        MainWindow window(&session);
        window.setRemembersLayout(true);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.findChild<QDockWidget*>(QStringLiteral("proxyDock"))->show();
        ProxyPane* pane = window.proxyPane();
        child<QComboBox>(pane, "proxyHostCombo")->setCurrentText(QStringLiteral("localhost"));
        pane->setPort(9123);
        pane->setUpstream(upstream);
        child<QLineEdit>(pane, "proxyOriginEdit")->setText(QStringLiteral("https://app.example.com"));
        child<QCheckBox>(pane, "proxyInsecureCheck")->setChecked(true);
        QVERIFY(window.close());
    }
    {
        // A window that does not remember (a test's, a tool's) starts from the defaults.
        CaptureSession session(CaptureSession::Options { true, QString() });
        MainWindow window(&session);
        ProxyPane* pane = window.proxyPane();
        QCOMPARE(pane->options().host, QStringLiteral("127.0.0.1"));
        QCOMPARE(pane->options().port, ProxyPane::DefaultPort);
        QVERIFY(pane->options().upstream.isEmpty());
        QVERIFY(pane->options().origin.isEmpty());
    }
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.setRemembersLayout(true);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.findChild<QDockWidget*>(QStringLiteral("proxyDock"))->isVisible());
    const ProxyOptions options = window.proxyPane()->options();
    QCOMPARE(options.host, QStringLiteral("localhost"));
    QCOMPARE(options.port, quint16(9123));
    QCOMPARE(options.upstream, QUrl(upstream));
    QCOMPARE(options.origin, QStringLiteral("https://app.example.com"));
    // Accepting any certificate is chosen anew each time, never inherited.
    QVERIFY(!options.ignoreCertificateErrors);
}

void TstProxyPane::settingsNeverHoldAPassword()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("settings.ini"));
    {
        QSettings settings(path, QSettings::IniFormat);
        Fixture f;
        // Typed, never started (the pane refuses it), then the window closes: the URL stays, the password not.
        f.pane.setUpstream(QStringLiteral("wss://user:s3cret@api.example.com/socket?room=1"));
        f.pane.saveSettings(settings);
        settings.sync();
        QCOMPARE(settings.value(QStringLiteral("proxyPane/upstream")).toString(),
            QStringLiteral("wss://api.example.com/socket?room=1"));
    }
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray saved = file.readAll();
    QVERIFY2(saved.contains("api.example.com") && !saved.contains("s3cret") && !saved.contains("user:"), saved);

    // A URL without user info is kept exactly as typed.
    QSettings settings(path, QSettings::IniFormat);
    Fixture f;
    const QString plain = QStringLiteral("ws://127.0.0.1:8080/a%2Fb?q=%41");
    f.pane.setUpstream(plain);
    f.pane.saveSettings(settings);
    QCOMPARE(settings.value(QStringLiteral("proxyPane/upstream")).toString(), plain);
}

void TstProxyPane::maxMessageSizeIsAnOption()
{
    QTemporaryDir dir;
    QSettings settings(dir.filePath(QStringLiteral("settings.ini")), QSettings::IniFormat);
    {
        Fixture f;
        QCOMPARE(f.pane.options().maxMessageBytes, ProxyOptions().maxMessageBytes);
        auto* spin = child<QSpinBox>(&f.pane, "proxyMaxMessageSpin");
        QVERIFY(spin);
        // At most 1 GiB, as the command line's --max-message-size.
        QCOMPARE(spin->maximum(), 1024);
        spin->setValue(16);
        QCOMPARE(f.pane.options().maxMessageBytes, qint64(16) * 1024 * 1024);
        f.pane.saveSettings(settings);
    }
    Fixture f;
    f.pane.restoreSettings(settings);
    QCOMPARE(f.pane.options().maxMessageBytes, qint64(16) * 1024 * 1024);
    // A value out of range in the file leaves the field as it was.
    settings.setValue(QStringLiteral("proxyPane/maxMessageMiB"), 5000);
    Fixture other;
    other.pane.restoreSettings(settings);
    QCOMPARE(other.pane.options().maxMessageBytes, ProxyOptions().maxMessageBytes);
}

QTEST_MAIN(TstProxyPane)
#include "tst_proxypane.moc"
