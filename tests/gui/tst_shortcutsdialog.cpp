#include "composerpane.h"
#include "mainwindow.h"
#include "net/capturesession.h"
#include "replaypane.h"
#include "shortcutsdialog.h"

#include <QAction>
#include <QApplication>
#include <QDialog>
#include <QLineEdit>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTest>
#include <QTimer>

using namespace wsi;

namespace {

// The keys of the window-wide action of that name (panes have actions of the same names, such as Connect).
QString keysOf(const QList<ShortcutsDialog::Entry>& entries, const QString& action)
{
    for (const ShortcutsDialog::Entry& entry : entries) {
        if (entry.action == action && entry.where == ShortcutsDialog::tr("Anywhere in the window"))
            return entry.keys;
    }
    return QString();
}

QString native(const QKeySequence& key)
{
    return key.toString(QKeySequence::NativeText);
}

} // namespace

// The menus and their standard keys, and Help › Keyboard Shortcuts, which lists them from the actions.
class TstShortcutsDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void menusInOrder();
    void listsTheWindowsShortcuts();
    void cannotGoStale();
    void opensFromHelpMenu();
    void f5ConnectsOutsideTheReplayPane();
    void keysReachTheirActions_data();
    void keysReachTheirActions();
};

void TstShortcutsDialog::menusInOrder()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    QStringList titles;
    for (QAction* menu : window.menuBar()->actions())
        titles << menu->text().remove(u'&');
    QCOMPARE(titles,
        QStringList({ QStringLiteral("File"), QStringLiteral("Edit"), QStringLiteral("View"), QStringLiteral("Capture"),
            QStringLiteral("Tools"), QStringLiteral("Help") }));
}

void TstShortcutsDialog::listsTheWindowsShortcuts()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    const QList<ShortcutsDialog::Entry> entries = ShortcutsDialog::entries(&window);
    QCOMPARE(keysOf(entries, QStringLiteral("Open\u2026")), native(QKeySequence::Open));
    QCOMPARE(keysOf(entries, QStringLiteral("Save")), native(QKeySequence(Qt::CTRL | Qt::Key_S)));
    QCOMPARE(keysOf(entries, QStringLiteral("Filter\u2026")), native(QKeySequence::Find));
    QVERIFY(keysOf(entries, QStringLiteral("Clear Timeline")).startsWith(native(QKeySequence(Qt::CTRL | Qt::Key_L))));
    bool f5Connect = false; // outside the docks only, so not "anywhere"
    for (const ShortcutsDialog::Entry& entry : entries)
        f5Connect |= entry.action == QLatin1StringView("Connect") && entry.keys == native(QKeySequence(Qt::Key_F5));
    QVERIFY(f5Connect);
    QCOMPARE(keysOf(entries, QStringLiteral("Keyboard Shortcuts")), native(QKeySequence::HelpContents));
    // Sending is the composer's action, listed with the keys it really has.
    bool send = false;
    for (const ShortcutsDialog::Entry& entry : entries) {
        if (entry.action == QLatin1StringView("Send Message")) {
            send = true;
            QCOMPARE(entry.keys,
                native(QKeySequence(Qt::CTRL | Qt::Key_Return)) + QLatin1StringView(", ")
                    + native(QKeySequence(Qt::CTRL | Qt::Key_Enter)));
            QCOMPARE(entry.where, ComposerPane::tr("Composer"));
        }
    }
    QVERIFY(send);
    // Pane keys say where they work.
    bool replayPlay = false;
    for (const ShortcutsDialog::Entry& entry : entries) {
        QVERIFY2(!entry.keys.isEmpty() && !entry.action.isEmpty() && !entry.where.isEmpty(), qPrintable(entry.action));
        QVERIFY2(
            !entry.action.contains(u'&') || entry.action.contains(QLatin1StringView(" & ")), qPrintable(entry.action));
        if (entry.action == QLatin1StringView("Play")) {
            replayPlay = true;
            QCOMPARE(entry.keys, native(QKeySequence(Qt::Key_F5)));
            QVERIFY(entry.where.contains(QLatin1StringView("Replay")));
        }
    }
    QVERIFY(replayPlay);
}

void TstShortcutsDialog::cannotGoStale()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    const qsizetype before = ShortcutsDialog::entries(&window).size();
    auto* added = new QAction(QStringLiteral("&Brand New"), &window);
    added->setShortcut(QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_B));
    const QList<ShortcutsDialog::Entry> after = ShortcutsDialog::entries(&window);
    QCOMPARE(after.size(), before + 1);
    QCOMPARE(keysOf(after, QStringLiteral("Brand New")), native(added->shortcut()));
}

void TstShortcutsDialog::opensFromHelpMenu()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto* help = window.menuBar()->findChild<QMenu*>(QStringLiteral("helpMenu"));
    auto* action = window.findChild<QAction*>(QStringLiteral("shortcutsAction"));
    QVERIFY(help && action && help->actions().contains(action));
    action->trigger();
    auto* dialog = window.findChild<ShortcutsDialog*>();
    QVERIFY(dialog);
    QVERIFY(dialog->isVisible());
    auto* table = dialog->findChild<QTableWidget*>(QStringLiteral("shortcutsTable"));
    QVERIFY(table);
    QCOMPARE(table->rowCount(), int(ShortcutsDialog::entries(&window).size()));
    dialog->close();
}

void TstShortcutsDialog::f5ConnectsOutsideTheReplayPane()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    window.startTestServer(0);
    QTRY_VERIFY(session.isServerRunning());
    auto* urlEdit = window.findChild<QLineEdit*>(QStringLiteral("urlEdit"));
    QTRY_COMPARE(urlEdit->text(), session.serverUrl().toString());
    urlEdit->setFocus();
    QTest::keyClick(urlEdit, Qt::Key_F5);
    QTRY_COMPARE(window.clientConnections().size(), 1);

    // In the Replay pane F5 is its own (play), not a second connection.
    window.findChild<QAction*>(QStringLiteral("replayPaneAction"))->trigger();
    QTRY_VERIFY(window.replayPane()->isVisible());
    QWidget* inPane = nullptr;
    for (QWidget* child : window.replayPane()->findChildren<QWidget*>()) {
        if (child->isVisible() && child->isEnabled() && (child->focusPolicy() & Qt::TabFocus)) {
            inPane = child;
            break;
        }
    }
    QVERIFY(inPane);
    inPane->setFocus();
    QTRY_COMPARE(QApplication::focusWidget(), inPane);
    QTest::keyClick(inPane, Qt::Key_F5);
    QTest::qWait(200);
    QCOMPARE(window.clientConnections().size(), 1);
}

void TstShortcutsDialog::keysReachTheirActions_data()
{
    QTest::addColumn<QString>("action");
    QTest::addColumn<int>("key");
    QTest::addColumn<int>("modifiers");
    QTest::addColumn<QString>("focus"); // the widget that has the focus when the key is pressed
    const int ctrl = int(Qt::ControlModifier);
    const QString timeline = QStringLiteral("timelineView");
    const QString urlEdit = QStringLiteral("urlEdit");
    const QString composer = QStringLiteral("composerEdit");
    QTest::newRow("Ctrl+O") << "openSessionAction" << int(Qt::Key_O) << ctrl << timeline;
    QTest::newRow("Ctrl+O in the URL field") << "openSessionAction" << int(Qt::Key_O) << ctrl << urlEdit;
    QTest::newRow("Ctrl+S") << "saveSessionAction" << int(Qt::Key_S) << ctrl << timeline;
    QTest::newRow("Ctrl+S in the composer") << "saveSessionAction" << int(Qt::Key_S) << ctrl << composer;
    QTest::newRow("Ctrl+E") << "exportAction" << int(Qt::Key_E) << ctrl << timeline;
    // X11's emacs-style bindings make Ctrl+E "end of line" in text fields: the window takes it back.
    QTest::newRow("Ctrl+E in the URL field") << "exportAction" << int(Qt::Key_E) << ctrl << urlEdit;
    QTest::newRow("Ctrl+E in the filter") << "exportAction" << int(Qt::Key_E) << ctrl << "filterEdit";
    QTest::newRow("Ctrl+E in the composer") << "exportAction" << int(Qt::Key_E) << ctrl << composer;
    QTest::newRow("Ctrl+F") << "findAction" << int(Qt::Key_F) << ctrl << timeline;
    QTest::newRow("Ctrl+F in the URL field") << "findAction" << int(Qt::Key_F) << ctrl << urlEdit;
    QTest::newRow("Ctrl+L") << "clearAction" << int(Qt::Key_L) << ctrl << timeline;
    QTest::newRow("Ctrl+L in the composer") << "clearAction" << int(Qt::Key_L) << ctrl << composer;
    QTest::newRow("F5") << "connectAction" << int(Qt::Key_F5) << 0 << timeline;
    QTest::newRow("F5 in the URL field") << "connectAction" << int(Qt::Key_F5) << 0 << urlEdit;
    QTest::newRow("Ctrl+Return") << "sendMessageAction" << int(Qt::Key_Return) << ctrl << composer;
    QTest::newRow("Ctrl+Enter on the keypad")
        << "sendMessageAction" << int(Qt::Key_Enter) << (ctrl | int(Qt::KeypadModifier)) << composer;
    QTest::newRow("Ctrl+Return on the repeat count")
        << "sendMessageAction" << int(Qt::Key_Return) << ctrl << "repeatSpin";
}

void TstShortcutsDialog::keysReachTheirActions()
{
    QFETCH(QString, action);
    QFETCH(int, key);
    QFETCH(int, modifiers);
    QFETCH(QString, focus);
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    // Asked for: on an X server with no window manager nothing else gives the focus to a new window.
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    // F5 connects to what the URL bar says: a port nothing listens on.
    window.findChild<QLineEdit*>(QStringLiteral("urlEdit"))->setText(QStringLiteral("ws://127.0.0.1:1/"));
    auto* target = window.findChild<QAction*>(action);
    QVERIFY(target);
    QVERIFY(target->isEnabled());
    QWidget* focused = window.findChild<QWidget*>(focus);
    QVERIFY(focused);
    focused->setFocus();
    QTRY_COMPARE(QApplication::focusWidget(), focused);
    if (auto* edit = qobject_cast<QLineEdit*>(focused))
        edit->setCursorPosition(0);

    // Open, Save and Export ask first, in a modal dialog: it is closed as soon as it shows.
    QStringList dialogs;
    QTimer closer;
    closer.setInterval(20);
    connect(&closer, &QTimer::timeout, &window, [&dialogs] {
        if (auto* dialog = qobject_cast<QDialog*>(QApplication::activeModalWidget())) {
            dialogs << QString::fromLatin1(dialog->metaObject()->className());
            dialog->reject();
        }
    });
    closer.start();
    QSignalSpy triggered(target, &QAction::triggered);
    QTest::keyClick(focused, Qt::Key(key), Qt::KeyboardModifiers(modifiers));
    QCOMPARE(triggered.size(), 1);
    closer.stop();

    if (action == QLatin1StringView("findAction")) {
        QWidget* filterText = window.findChild<QWidget*>(QStringLiteral("filterEdit"));
        QVERIFY(filterText);
        QTRY_COMPARE(QApplication::focusWidget(), filterText);
    } else if (action == QLatin1StringView("sendMessageAction")) {
        // No connection to send to: the composer says so, and the editor got no new line.
        QVERIFY(!window.findChild<ComposerPane*>()->errorText().isEmpty());
        QVERIFY(!window.findChild<QPlainTextEdit*>(QStringLiteral("composerEdit"))->toPlainText().contains(u'\n'));
    } else if (action != QLatin1StringView("clearAction") && action != QLatin1StringView("connectAction")) {
        QCOMPARE(dialogs.size(), 1);
    }
    // The field did not act on the key too.
    if (auto* edit = qobject_cast<QLineEdit*>(focused))
        QCOMPARE(edit->cursorPosition(), 0);
}

QTEST_MAIN(TstShortcutsDialog)
#include "tst_shortcutsdialog.moc"
