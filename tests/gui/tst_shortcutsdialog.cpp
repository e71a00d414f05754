#include "mainwindow.h"
#include "net/capturesession.h"
#include "replaypane.h"
#include "shortcutsdialog.h"

#include <QAction>
#include <QApplication>
#include <QLineEdit>
#include <QMenuBar>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTest>

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

QTEST_MAIN(TstShortcutsDialog)
#include "tst_shortcutsdialog.moc"
