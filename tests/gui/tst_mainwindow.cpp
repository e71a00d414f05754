#include "connectionspane.h"
#include "core/capturequeue.h"
#include "core/connection.h"
#include "core/event.h"
#include "core/eventstore.h"
#include "core/hexdump.h"
#include "core/timelinemodel.h"
#include "detailpane.h"
#include "mainwindow.h"
#include "net/capturesession.h"
#include "net/connectionprofiles.h"
#include "net/endpointoptions.h"
#include "timelinedelegate.h"
#include "timelineview.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>

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

quint32 serverConnection(const EventStore* store)
{
    for (const Connection& c : store->connections()) {
        if (c.role == ConnectionRole::Server)
            return c.id;
    }
    return 0;
}

CaptureBatch textBatch(int count, quint64* seq)
{
    CaptureBatch batch;
    for (int i = 0; i < count; ++i) {
        Event e = makeEvent(1, Direction::C2S, EventKind::Text, QByteArray::number(i));
        e.seq = ++*seq;
        batch.events.push_back(e);
    }
    return batch;
}

// WCAG contrast ratio between two colours.
double contrast(const QColor& a, const QColor& b)
{
    auto luminance = [](const QColor& c) {
        auto channel = [](double v) { return v <= 0.03928 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4); };
        return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF());
    };
    const double la = luminance(a);
    const double lb = luminance(b);
    return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}
} // namespace

class TstMainWindow : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void echoThroughTestServer();
    void badInputDoesNotConnect_data();
    void badInputDoesNotConnect();
    void timelineFollowsAtBottom();
    void delegateColoursReadOnLightAndDark();
    void hexDump();
    void openSessionFile();
    void errorsDoNotBlock();
    void urlBarStopsWaitingReconnection();
    void gaveUpReconnectingIsShown();
};

void TstMainWindow::initTestCase()
{
    // The window keeps recent URLs, profiles and the composer's history in the config directory: not the user's.
    QStandardPaths::setTestModeEnabled(true);
}

void TstMainWindow::echoThroughTestServer()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString journal = dir.filePath(QStringLiteral("journal.jsonl"));
    CaptureSession session(CaptureSession::Options { true, journal });
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    auto* journalLabel = window.findChild<QLabel*>(QStringLiteral("journalLabel"));
    QVERIFY(journalLabel);
    QVERIFY(journalLabel->text().contains(QDir::toNativeSeparators(journal)));

    auto* serverAction = window.findChild<QAction*>(QStringLiteral("startServerAction"));
    auto* urlEdit = window.findChild<QLineEdit*>(QStringLiteral("urlEdit"));
    auto* connectButton = window.findChild<QPushButton*>(QStringLiteral("connectButton"));
    auto* composer = window.findChild<QPlainTextEdit*>(QStringLiteral("composerEdit"));
    auto* targets = window.findChild<QComboBox*>(QStringLiteral("targetCombo"));
    auto* sendButton = window.findChild<QPushButton*>(QStringLiteral("sendButton"));
    auto* timeline = window.findChild<TimelineView*>();
    auto* detail = window.findChild<QPlainTextEdit*>(QStringLiteral("textView"));
    QVERIFY(serverAction && urlEdit && connectButton && composer && targets && sendButton && timeline && detail);
    QVERIFY(!sendButton->isEnabled());
    QCOMPARE(sendButton->toolTip(), QStringLiteral("Connect a client first"));

    serverAction->trigger();
    QTRY_VERIFY(session.isServerRunning());
    QTRY_COMPARE(urlEdit->text(), session.serverUrl().toString());
    QVERIFY(serverAction->text().contains(QStringLiteral("Stop")));

    QTest::mouseClick(connectButton, Qt::LeftButton);
    QCOMPARE(window.clientConnections().size(), 1);
    const quint32 client = window.clientConnections().constFirst();
    QTRY_COMPARE(session.connectionState(client), ConnectionState::Open);
    // The composer offers the client connection, and the test server's side of it (it can write as the server).
    QTRY_VERIFY(targets->findData(client) >= 0);
    QCOMPARE(targets->currentData().toUInt(), client);
    QVERIFY(sendButton->isEnabled());

    composer->setFocus();
    QTest::keyClicks(composer, QStringLiteral("hello gui"));
    QTest::keyClick(composer, Qt::Key_Return, Qt::ControlModifier);
    // Ctrl+Enter sends; it must not also insert a line break, and the text stays for the next send.
    QCOMPARE(composer->toPlainText(), QStringLiteral("hello gui"));

    const EventStore* store = session.store();
    const QByteArray hello("hello gui");
    QTRY_VERIFY(findRow(store, client, Direction::C2S, EventKind::Text, hello, true) >= 0);
    QTRY_VERIFY(findRow(store, client, Direction::S2C, EventKind::Text, hello, true) >= 0);
    QTRY_VERIFY(serverConnection(store) != 0);
    const quint32 server = serverConnection(store);
    QVERIFY(server != client);
    QCOMPARE(store->connection(server)->role, ConnectionRole::Server);
    QCOMPARE(store->connection(client)->role, ConnectionRole::Client);
    QTRY_VERIFY(findRow(store, server, Direction::C2S, EventKind::Text, hello, true) >= 0);
    QTRY_VERIFY(findRow(store, server, Direction::S2C, EventKind::Text, hello, true) >= 0);
    for (quint32 connection : { client, server }) {
        QTRY_VERIFY(findRow(store, connection, Direction::None, EventKind::HandshakeRequest) >= 0);
        QTRY_VERIFY(findRow(store, connection, Direction::None, EventKind::HandshakeResponse) >= 0);
        QTRY_VERIFY(findRow(store, connection, Direction::None, EventKind::Open) >= 0);
    }

    const int sent = findRow(store, client, Direction::C2S, EventKind::Text, hello, true);
    timeline->selectRow(sent);
    QVERIFY(detail->toPlainText().contains(QStringLiteral("hello gui")));
    auto* header = window.findChild<QLabel*>(QStringLiteral("factsLabel"));
    QVERIFY(header);
    QVERIFY(header->text().contains(QStringLiteral("client")));
    QVERIFY(header->text().contains(QStringLiteral("text")));

    // Selecting a handshake shows the whole HTTP head, not just its first line (as a table, and as text).
    timeline->selectRow(findRow(store, client, Direction::None, EventKind::HandshakeRequest));
    auto* detailPane = window.findChild<DetailPane*>();
    QVERIFY(detailPane);
    QCOMPARE(detailPane->currentTab(), DetailPane::HeadersTab);
    detailPane->selectTab(DetailPane::TextTab);
    QVERIFY(detail->toPlainText().startsWith(QStringLiteral("GET ")));
    QVERIFY(detail->toPlainText().contains(QStringLiteral("Sec-WebSocket-Key"), Qt::CaseInsensitive));

    // A client connection opened in the background (not with the form) does not take Send away from the one
    // opened with the form; the test server's side of each connection is offered once.
    ClientOptions background;
    background.url = session.serverUrl();
    const quint32 other = session.connectClient(background);
    QTRY_VERIFY(targets->findData(other) >= 0);
    // Two clients, "All 2", a separator, the two server sides, "All 2".
    QTRY_COMPARE(targets->count(), 7);
    QCOMPARE(targets->currentData().toUInt(), client);

    // Stopping toggles the action back.
    serverAction->trigger();
    QTRY_VERIFY(!session.isServerRunning());
    QTRY_VERIFY(serverAction->text().contains(QStringLiteral("Start")));
}

void TstMainWindow::badInputDoesNotConnect_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("headers");
    QTest::addColumn<QString>("subprotocols");

    QTest::newRow("header without colon")
        << QStringLiteral("ws://127.0.0.1:9/") << QStringLiteral("X-Good: yes\nthis line has no colon") << QString();
    QTest::newRow("header name with space")
        << QStringLiteral("ws://127.0.0.1:9/") << QStringLiteral("Bad Name: x") << QString();
    // Headers the client writes itself: a second copy would make the upgrade request ambiguous.
    QTest::newRow("Host header") << QStringLiteral("ws://127.0.0.1:9/") << QStringLiteral("Host: other") << QString();
    QTest::newRow("Sec-WebSocket-Protocol header")
        << QStringLiteral("ws://127.0.0.1:9/") << QStringLiteral("X-Good: yes\nsec-websocket-protocol: chat")
        << QString();
    QTest::newRow("Origin header") << QStringLiteral("ws://127.0.0.1:9/") << QStringLiteral("Origin: http://x")
                                   << QString();
    QTest::newRow("not a websocket url") << QStringLiteral("http://127.0.0.1:9/") << QString() << QString();
    QTest::newRow("empty url") << QStringLiteral("  ") << QString() << QString();
    QTest::newRow("subprotocol with space")
        << QStringLiteral("ws://127.0.0.1:9/") << QString() << QStringLiteral("chat, two words");
}

void TstMainWindow::badInputDoesNotConnect()
{
    QFETCH(QString, url);
    QFETCH(QString, headers);
    QFETCH(QString, subprotocols);

    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));

    auto* urlEdit = window.findChild<QLineEdit*>(QStringLiteral("urlEdit"));
    auto* headersEdit = window.findChild<QPlainTextEdit*>(QStringLiteral("headersEdit"));
    auto* subprotocolsEdit = window.findChild<QLineEdit*>(QStringLiteral("subprotocolsEdit"));
    auto* connectButton = window.findChild<QPushButton*>(QStringLiteral("connectButton"));
    auto* error = window.findChild<QLabel*>(QStringLiteral("connectErrorLabel"));
    QVERIFY(urlEdit && headersEdit && subprotocolsEdit && connectButton && error);
    QVERIFY(!error->isVisible());

    urlEdit->setText(url);
    headersEdit->setPlainText(headers);
    subprotocolsEdit->setText(subprotocols);
    QTest::mouseClick(connectButton, Qt::LeftButton);

    QVERIFY(error->isVisible());
    QVERIFY(!error->text().isEmpty());
    QVERIFY(window.clientConnections().isEmpty());
    if (!headers.isEmpty() || !subprotocols.isEmpty()) {
        // The section with the mistake is opened, so the user sees what the message is about.
        QVERIFY(headersEdit->isVisible());
    }
    if (headers.contains(QStringLiteral("no colon")))
        QVERIFY(error->text().contains(QStringLiteral("colon")));
    if (headers.startsWith(QStringLiteral("Host")))
        QVERIFY2(error->text().contains(QStringLiteral("written by the client")), qPrintable(error->text()));

    // Fixing the input hides the message.
    QTest::keyClick(urlEdit, Qt::Key_End);
    QTest::keyClicks(urlEdit, QStringLiteral("x"));
    QVERIFY(!error->isVisible());
}

void TstMainWindow::timelineFollowsAtBottom()
{
    EventStore store;
    TimelineModel model(&store);
    TimelineView view;
    view.setModel(&model);
    view.resize(600, 300);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QScrollBar* bar = view.verticalScrollBar();
    quint64 seq = 0;

    // At the bottom (an empty view is): new rows are followed.
    model.append(textBatch(100, &seq));
    QTRY_VERIFY(bar->maximum() > 0);
    QTRY_COMPARE(bar->value(), bar->maximum());
    model.append(textBatch(50, &seq));
    QTRY_COMPARE(bar->value(), bar->maximum());
    QVERIFY(view.viewport()->rect().intersects(view.visualRect(model.index(149, 0))));

    // Scrolled up to read: new rows must not move the view.
    bar->setValue(0);
    model.append(textBatch(50, &seq));
    QCoreApplication::processEvents();
    QCOMPARE(bar->value(), 0);
    QVERIFY(bar->maximum() > 0);

    // Back at the bottom: following resumes.
    view.scrollToBottom();
    model.append(textBatch(20, &seq));
    QTRY_COMPARE(bar->value(), bar->maximum());
    QVERIFY(view.viewport()->rect().intersects(view.visualRect(model.index(219, 0))));
}

void TstMainWindow::delegateColoursReadOnLightAndDark()
{
    for (const QColor& base :
        { QColor(Qt::white), QColor(0xf0, 0xf0, 0xf0), QColor(0x1e, 0x1e, 0x1e), QColor(0x2d, 0x2d, 0x2d) }) {
        QPalette palette;
        palette.setColor(QPalette::Base, base);
        for (int hue : { 0, 35, 130, 210 }) {
            const QColor c = TimelineDelegate::accentColor(palette, hue);
            QVERIFY2(contrast(c, base) >= 4.5,
                qPrintable(QStringLiteral("%1 on %2: %3").arg(c.name(), base.name()).arg(contrast(c, base))));
        }
    }
}

void TstMainWindow::hexDump()
{
    const QByteArray data = QByteArray("Hello, world!\n\x00\x01\xff", 17) + QByteArray(20, 'A');
    const QString dump = HexDump::dump(data);
    const QStringList lines = dump.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 3);
    QCOMPARE(
        lines.at(0), QStringLiteral("00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0a 00 01  |Hello, world!...|"));
    QVERIFY(lines.at(1).startsWith(QStringLiteral("00000010  ff 41")));
    // The last, short line keeps the ASCII column where the others have it.
    QCOMPARE(lines.at(2).indexOf(QLatin1Char('|')), lines.at(0).indexOf(QLatin1Char('|')));

    const QString cut = HexDump::dump(QByteArray(100, 'x'), 32);
    QCOMPARE(cut.split(QLatin1Char('\n'), Qt::SkipEmptyParts).size(), 3);
    QVERIFY(cut.contains(QStringLiteral("68 more bytes")));
}

void TstMainWindow::openSessionFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("sample.jsonl"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(
            R"({"type":"session","format":"wsinspector-session","version":1,"created":"2026-11-22T10:00:00.000Z","app":"wsinspector 0.1.0"}
{"type":"connection","id":1,"role":"server","url":"ws://127.0.0.1:8765/chat","peer":"127.0.0.1:53122","subprotocol":""}
{"type":"event","seq":1,"conn":1,"ts":1763805600123456,"dir":"c2s","kind":"text","size":5,"data":"hello"}
{"type":"event","seq":2,"conn":1,"ts":1763805600124100,"dir":"s2c","kind":"binary","size":3,"data":"AAEC","enc":"base64"}
{"type":"event","seq":3,"conn":1,"ts":1763805600200000,"dir":"c2s","kind":"close","code":1000,"reason":"bye"}
)");
    }
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QSignalSpy opened(&window, &MainWindow::sessionOpened);
    window.openSession(path);
    QTRY_COMPARE(opened.size(), 1);
    QCOMPARE(opened.at(0).at(1).value<MainWindow*>(), &window);
    QCOMPARE(session.model()->rowCount(), 3);
    QCOMPARE(session.store()->connection(1)->role, ConnectionRole::Server);

    auto* timeline = window.findChild<TimelineView*>();
    auto* detail = window.findChild<QPlainTextEdit*>(QStringLiteral("textView"));
    auto* hex = window.findChild<QPlainTextEdit*>(QStringLiteral("hexView"));
    auto* header = window.findChild<QLabel*>(QStringLiteral("factsLabel"));
    timeline->selectRow(1);
    QVERIFY(hex->toPlainText().startsWith(QStringLiteral("00000000  00 01 02")));
    timeline->selectRow(2);
    QVERIFY(header->text().contains(QStringLiteral("1000 (normal closure)")));
    QCOMPARE(detail->toPlainText(), QStringLiteral("bye"));

    // A file that is not a session: a message, no crash, the timeline untouched.
    const QString bad = dir.filePath(QStringLiteral("bad.jsonl"));
    {
        QFile file(bad);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("this is not json\n");
    }
    window.openSession(bad);
    QTRY_VERIFY(!window.isFileTaskRunning());
    QCOMPARE(opened.size(), 1);
    QCOMPARE(session.model()->rowCount(), 3);
    auto* box = window.findChild<QMessageBox*>(QStringLiteral("errorMessageBox"));
    QVERIFY(box);
    QVERIFY(box->text().contains(QDir::toNativeSeparators(bad)));
    QVERIFY(box->text().contains(QStringLiteral("not a WebSocket Inspector session")));
    window.openSession(dir.filePath(QStringLiteral("missing.jsonl")));
    QTRY_VERIFY(!window.isFileTaskRunning());
    QCOMPARE(opened.size(), 1);
    QVERIFY(box->text().contains(QStringLiteral("missing.jsonl")));
}

void TstMainWindow::errorsDoNotBlock()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto* serverAction = window.findChild<QAction*>(QStringLiteral("startServerAction"));
    const QString idleText = serverAction->text();

    // The failures arrive as signals; emitting them here stands in for a taken port or a full disk.
    Q_EMIT session.serverStartFailed(QStringLiteral("address in use"));
    QVERIFY(window.statusBar()->currentMessage().contains(QStringLiteral("address in use")));
    QCOMPARE(serverAction->text(), idleText);
    QVERIFY(serverAction->isEnabled());
    auto* box = window.findChild<QMessageBox*>(QStringLiteral("errorMessageBox"));
    QVERIFY(box);
    QVERIFY(box->isVisible());
    QVERIFY(!box->isModal());
    QCOMPARE(QApplication::activeModalWidget(), nullptr);

    Q_EMIT session.journalFailed(QStringLiteral("disk full"));
    QVERIFY(window.statusBar()->currentMessage().contains(QStringLiteral("disk full")));
    // One box collects the failures instead of stacking windows.
    QCOMPARE(window.findChildren<QMessageBox*>().size(), 1);
    QVERIFY(box->text().contains(QStringLiteral("address in use")));
    QVERIFY(box->text().contains(QStringLiteral("disk full")));
}

namespace {
// Fills the URL bar and the reconnection fields, and connects.
quint32 connectReconnecting(MainWindow& window, const QString& url, int delayMs, int maxAttempts)
{
    auto* urlEdit = window.findChild<QLineEdit*>(QStringLiteral("urlEdit"));
    auto* reconnect = window.findChild<QCheckBox*>(QStringLiteral("reconnectCheck"));
    auto* initialDelay = window.findChild<QSpinBox*>(QStringLiteral("initialDelaySpin"));
    auto* maxDelay = window.findChild<QSpinBox*>(QStringLiteral("maxDelaySpin"));
    auto* attempts = window.findChild<QSpinBox*>(QStringLiteral("maxAttemptsSpin"));
    auto* connectButton = window.findChild<QPushButton*>(QStringLiteral("connectButton"));
    if (!urlEdit || !reconnect || !initialDelay || !maxDelay || !attempts || !connectButton)
        return 0;
    urlEdit->setText(url);
    reconnect->setChecked(true);
    maxDelay->setValue(delayMs);
    initialDelay->setValue(delayMs);
    attempts->setValue(maxAttempts);
    QTest::mouseClick(connectButton, Qt::LeftButton);
    return window.clientConnections().value(0);
}

int countNotes(const EventStore* store, quint32 connection, QByteArrayView contains)
{
    int count = 0;
    for (qsizetype row = 0; row < store->count(); ++row) {
        count += store->connectionId(row) == connection && store->kind(row) == EventKind::Note
                && store->payload(row).contains(contains)
            ? 1
            : 0;
    }
    return count;
}
} // namespace

void TstMainWindow::urlBarStopsWaitingReconnection()
{
    QFile::remove(ConnectionProfiles::defaultPath());
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.startTestServer(0);
    QTRY_VERIFY(session.isServerRunning());
    const int port = session.serverUrl().port();
    auto* disconnectButton = window.findChild<QPushButton*>(QStringLiteral("disconnectButton"));
    QVERIFY(disconnectButton);

    // A password in the URL is used, but kept out of the recent URLs and the status bar.
    const quint32 first
        = connectReconnecting(window, QStringLiteral("ws://alice:s3cret@127.0.0.1:%1/").arg(port), 30000, 3);
    QVERIFY(first != 0);
    QTRY_COMPARE(window.clientState(first), ConnectionState::Open);
    QTRY_COMPARE(window.profiles().recentUrls().value(0), QStringLiteral("ws://alice@127.0.0.1:%1/").arg(port));
    QVERIFY(!window.statusBar()->currentMessage().contains(QStringLiteral("s3cret")));

    // The server goes away: the next attempt waits 30 s for its timer, a connection of its own already.
    QSignalSpy reconnecting(&session, &CaptureSession::clientReconnecting);
    window.stopTestServer();
    QTRY_COMPARE(reconnecting.size(), 1);
    const quint32 next = reconnecting.constFirst().at(1).toUInt();
    QCOMPARE(reconnecting.constFirst().at(0).toUInt(), first);
    QCOMPARE(window.clientConnections(), QList<quint32>({ next })); // the closed one is forgotten
    QCOMPARE(window.clientState(first), ConnectionState::Closed);
    QCOMPARE(window.clientState(next), ConnectionState::Connecting);
    QVERIFY(window.statusBar()->currentMessage().contains(QStringLiteral("reconnecting")));

    // The URL bar's Disconnect calls it off, without the Connections dock.
    QVERIFY(disconnectButton->isEnabled());
    QTest::mouseClick(disconnectButton, Qt::LeftButton);
    QTRY_COMPARE(countNotes(session.store(), next, "reconnection cancelled"), 1);
    QTRY_VERIFY(window.clientConnections().isEmpty());
    QCOMPARE(window.clientState(next), ConnectionState::Closed);
    QCOMPARE(session.connectionState(next), ConnectionState::Closed);
    QVERIFY(!disconnectButton->isEnabled());
    QCOMPARE(window.connectionsPane()->phase(0), ConnectionsPane::Phase::Closed);
}

void TstMainWindow::gaveUpReconnectingIsShown()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.startTestServer(0);
    QTRY_VERIFY(session.isServerRunning());

    const quint32 first = connectReconnecting(window, session.serverUrl().toString(), 10, 1);
    QVERIFY(first != 0);
    QTRY_COMPARE(window.clientState(first), ConnectionState::Open);
    QSignalSpy gaveUp(&session, &CaptureSession::clientGaveUp);
    window.stopTestServer();
    QTRY_COMPARE(gaveUp.size(), 1);
    const QString message = window.statusBar()->currentMessage();
    QVERIFY2(message.contains(QStringLiteral("Gave up reconnecting")), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("1 attempt")), qPrintable(message));
    QVERIFY(window.clientConnections().isEmpty());
}

QTEST_MAIN(TstMainWindow)
#include "tst_mainwindow.moc"
