#include "core/replyrules.h"
#include "core/replyrulesmodel.h"
#include "mainwindow.h"
#include "net/capturesession.h"
#include "replaypane.h"
#include "serverpane.h"
#include "theme.h"
#include "timelinedelegate.h"
#include "timelineview.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDockWidget>
#include <QHeaderView>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStyle>
#include <QTemporaryDir>
#include <QTest>

using namespace wsi;

// What the main window keeps across starts: everything the user arranged is back in a new window that reads the
// same settings, and a first start (no settings) keeps the built-in layout.
class TstMainWindowSettings : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void firstStartKeepsDefaults();
    void layoutAndUrlComeBack();
    void themeComesBack();
    void paneSetupsComeBack();
    void themesAreReadable_data();
    void themesAreReadable();

private:
    QTemporaryDir m_home;
};

void TstMainWindowSettings::initTestCase()
{
    QVERIFY(m_home.isValid());
    const QString config = m_home.filePath(QStringLiteral("config"));
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(config));
    qputenv("XDG_DATA_HOME", QFile::encodeName(m_home.filePath(QStringLiteral("data"))));
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, config);
    QCoreApplication::setOrganizationName(QStringLiteral("wsinspector"));
    QCoreApplication::setApplicationName(QStringLiteral("wsinspector"));
}

void TstMainWindowSettings::firstStartKeepsDefaults()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.setRemembersLayout(true);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto* serverDock = window.findChild<QDockWidget*>(QStringLiteral("serverDock"));
    QVERIFY(serverDock);
    QVERIFY(!serverDock->isVisible());
    QCOMPARE(window.size(), QSize(1280, 800));
    QVERIFY(!QSettings().childGroups().contains(QStringLiteral("mainWindow")));
}

void TstMainWindowSettings::layoutAndUrlComeBack()
{
    const QString url = QStringLiteral("ws://example.invalid:9000/feed");
    QList<int> mainSizes;
    QList<int> bottomSizes;
    int columnWidth = 0;
    QSize windowSize;
    {
        CaptureSession session(CaptureSession::Options { true, QString() });
        MainWindow window(&session);
        window.setRemembersLayout(true);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.resize(1000, 700);
        window.findChild<QDockWidget*>(QStringLiteral("serverDock"))->show();
        window.findChild<QDockWidget*>(QStringLiteral("statisticsDock"))->show();
        auto* mainSplitter = window.findChild<QSplitter*>(QStringLiteral("mainSplitter"));
        auto* bottomSplitter = window.findChild<QSplitter*>(QStringLiteral("bottomSplitter"));
        auto* header = window.findChild<TimelineView*>()->horizontalHeader();
        auto* urlEdit = window.findChild<QLineEdit*>(QStringLiteral("urlEdit"));
        QVERIFY(mainSplitter && bottomSplitter && urlEdit);
        QCoreApplication::processEvents();
        // Sizes that differ from the defaults, as the user would drag them.
        const int mainTotal = mainSplitter->sizes().value(0) + mainSplitter->sizes().value(1);
        mainSplitter->setSizes({ mainTotal / 4, mainTotal - mainTotal / 4 });
        const int bottomTotal = bottomSplitter->sizes().value(0) + bottomSplitter->sizes().value(1);
        bottomSplitter->setSizes({ bottomTotal / 3, bottomTotal - bottomTotal / 3 });
        header->resizeSection(1, header->sectionSize(1) + 57);
        windowSize = window.size(); // the docks may have made the window wider than asked
        QVERIFY(windowSize != QSize(1280, 800));
        mainSizes = mainSplitter->sizes();
        bottomSizes = bottomSplitter->sizes();
        columnWidth = header->sectionSize(1);
        urlEdit->selectAll();
        QTest::keyClicks(urlEdit, url);
        QCOMPARE(urlEdit->text(), url);
        QVERIFY(window.close());
    }

    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.setRemembersLayout(true);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QCoreApplication::processEvents();
    QCOMPARE(window.size(), windowSize);
    QVERIFY(window.findChild<QDockWidget*>(QStringLiteral("serverDock"))->isVisible());
    QVERIFY(window.findChild<QDockWidget*>(QStringLiteral("statisticsDock"))->isVisible());
    QVERIFY(!window.findChild<QDockWidget*>(QStringLiteral("replayDock"))->isVisible());
    QCOMPARE(window.findChild<QSplitter*>(QStringLiteral("mainSplitter"))->sizes(), mainSizes);
    QCOMPARE(window.findChild<QSplitter*>(QStringLiteral("bottomSplitter"))->sizes(), bottomSizes);
    QCOMPARE(window.findChild<TimelineView*>()->horizontalHeader()->sectionSize(1), columnWidth);
    QCOMPARE(window.findChild<QLineEdit*>(QStringLiteral("urlEdit"))->text(), url);
}

void TstMainWindowSettings::themeComesBack()
{
    {
        CaptureSession session(CaptureSession::Options { true, QString() });
        MainWindow window(&session);
        window.setRemembersLayout(true);
        auto* dark = window.findChild<QAction*>(QStringLiteral("themeDarkAction"));
        auto* system = window.findChild<QAction*>(QStringLiteral("themeSystemAction"));
        QVERIFY(dark && system);
        QVERIFY(system->isChecked());
        dark->trigger();
        QCOMPARE(Theme::current(), Theme::Mode::Dark);
        QVERIFY(QApplication::palette().color(QPalette::Base).lightness() < 64);
        QVERIFY(QApplication::palette().color(QPalette::Text).lightness() > 192);
        QCOMPARE(QApplication::style()->name().toLower(), QStringLiteral("fusion"));
        QVERIFY(window.close());
    }
    // As at a new start: the desktop's look, until a window reads the setting.
    Theme::apply(Theme::Mode::System);
    QVERIFY(QApplication::palette().color(QPalette::Base).lightness() > 128);

    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.setRemembersLayout(true);
    QCOMPARE(Theme::current(), Theme::Mode::Dark);
    QVERIFY(window.findChild<QAction*>(QStringLiteral("themeDarkAction"))->isChecked());
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    // Widgets take a new application palette through posted events.
    QTRY_COMPARE(window.palette().color(QPalette::Base), Theme::darkPalette().color(QPalette::Base));

    window.findChild<QAction*>(QStringLiteral("themeLightAction"))->trigger();
    QTRY_COMPARE(window.palette().color(QPalette::Base), Theme::lightPalette().color(QPalette::Base));
    QCOMPARE(QSettings().value(QStringLiteral("theme")).toString(), QStringLiteral("light"));
    window.findChild<QAction*>(QStringLiteral("themeSystemAction"))->trigger();
    QCOMPARE(Theme::current(), Theme::Mode::System);
}

namespace {
template <typename T> T* inPane(QWidget* pane, const char* name)
{
    auto* child = pane->findChild<T*>(QLatin1StringView(name));
    if (!child)
        qWarning("no %s in %s", name, qPrintable(pane->objectName()));
    return child;
}

void chooseData(QComboBox* combo, const QVariant& data)
{
    combo->setCurrentIndex(combo->findData(data));
    QVERIFY(combo->currentIndex() >= 0);
}
} // namespace

void TstMainWindowSettings::paneSetupsComeBack()
{
    ReplyRule rule;
    rule.name = QStringLiteral("greet");
    rule.pattern = QStringLiteral("hello");
    rule.reply = QStringLiteral("hi {{counter}}");
    {
        CaptureSession session(CaptureSession::Options { true, QString() });
        MainWindow window(&session);
        window.setRemembersLayout(true);
        auto* server = window.findChild<ServerPane*>();
        QVERIFY(server);
        inPane<QComboBox>(server, "hostCombo")->setCurrentText(QStringLiteral("localhost"));
        inPane<QSpinBox>(server, "portSpin")->setValue(9123);
        inPane<QCheckBox>(server, "tryNextPortsCheck")->setChecked(false);
        inPane<QLineEdit>(server, "serverSubprotocolsEdit")->setText(QStringLiteral("chat, v2"));
        inPane<QLineEdit>(server, "allowedOriginsEdit")->setText(QStringLiteral("http://localhost:3000"));
        inPane<QSpinBox>(server, "maxConnectionsSpin")->setValue(77);
        inPane<QSpinBox>(server, "maxMessageSpin")->setValue(5);
        inPane<QLineEdit>(server, "certificateEdit")->setText(QStringLiteral("/etc/ssl/test.pem"));
        inPane<QLineEdit>(server, "keyEdit")->setText(QStringLiteral("/etc/ssl/test.key"));
        chooseData(inPane<QComboBox>(server, "modeCombo"), int(ServerMode::Broadcast));
        inPane<QCheckBox>(server, "broadcastToSenderCheck")->setChecked(true);
        inPane<QCheckBox>(server, "pushCheck")->setChecked(true);
        inPane<QSpinBox>(server, "pushIntervalSpin")->setValue(2500);
        inPane<QLineEdit>(server, "pushTemplateEdit")->setText(QStringLiteral("tick {{counter}}"));
        server->rulesModel()->setRules({ rule });
        QTRY_VERIFY(server->appliedRules() && server->appliedRules()->rules() == QList<ReplyRule> { rule });

        ReplayPane* replay = window.replayPane();
        inPane<QLineEdit>(replay, "replayTargetUrlEdit")->setText(QStringLiteral("ws://localhost:9999/replay"));
        chooseData(inPane<QComboBox>(replay, "replaySpeedCombo"), ReplayPane::Paced);
        inPane<QSpinBox>(replay, "replayReplyTimeoutSpin")->setValue(42);
        inPane<QPlainTextEdit>(replay, "replayIgnorePathsEdit")->setPlainText(QStringLiteral("$.ts\n$..id"));
        inPane<QComboBox>(replay, "replayServerHostCombo")->setCurrentText(QStringLiteral("::1"));
        inPane<QSpinBox>(replay, "replayServerPortSpin")->setValue(9124);
        chooseData(inPane<QComboBox>(replay, "replayServerScheduleCombo"), true);
        chooseData(inPane<QComboBox>(replay, "replayServerSpeedCombo"), 10.0);
        inPane<QCheckBox>(replay, "replayLoopCheck")->setChecked(true);
        QVERIFY(window.close());
    }

    // A window that does not remember (as tests make them) starts from the defaults.
    {
        CaptureSession session(CaptureSession::Options { true, QString() });
        MainWindow window(&session);
        const ServerOptions options = window.findChild<ServerPane*>()->options();
        QCOMPARE(options.port, ServerPane::DefaultPort);
        QCOMPARE(options.behaviour.mode, ServerMode::Echo);
        QVERIFY(!options.behaviour.rules);
        QVERIFY(inPane<QLineEdit>(window.replayPane(), "replayTargetUrlEdit")->text().isEmpty());
    }

    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.setRemembersLayout(true);
    auto* server = window.findChild<ServerPane*>();
    const ServerOptions options = server->options();
    QCOMPARE(options.host, QStringLiteral("localhost"));
    QCOMPARE(options.port, quint16(9123));
    QCOMPARE(options.tryNextPorts, 0);
    QCOMPARE(options.subprotocols, QStringList({ QStringLiteral("chat"), QStringLiteral("v2") }));
    QCOMPARE(options.allowedOrigins, QStringList { QStringLiteral("http://localhost:3000") });
    QCOMPARE(options.maxConnections, 77);
    QCOMPARE(options.maxMessageBytes, qint64(5) << 20);
    QCOMPARE(options.tlsCertificatePath, QStringLiteral("/etc/ssl/test.pem"));
    QCOMPARE(options.tlsKeyPath, QStringLiteral("/etc/ssl/test.key"));
    QCOMPARE(options.behaviour.mode, ServerMode::Broadcast);
    QVERIFY(options.behaviour.broadcastToSender);
    QCOMPARE(options.behaviour.pushEveryMs, 2500);
    QCOMPARE(options.behaviour.pushTemplate, QStringLiteral("tick {{counter}}"));
    QVERIFY(options.behaviour.rules);
    QCOMPARE(options.behaviour.rules->rules(), QList<ReplyRule> { rule });
    QCOMPARE(server->rulesModel()->rules(), QList<ReplyRule> { rule });
    QVERIFY(inPane<QSpinBox>(server, "pushIntervalSpin")->isEnabled());

    ReplayPane* replay = window.replayPane();
    QCOMPARE(inPane<QLineEdit>(replay, "replayTargetUrlEdit")->text(), QStringLiteral("ws://localhost:9999/replay"));
    QCOMPARE(inPane<QComboBox>(replay, "replaySpeedCombo")->currentData().toDouble(), ReplayPane::Paced);
    QCOMPARE(inPane<QSpinBox>(replay, "replayReplyTimeoutSpin")->value(), 42);
    QCOMPARE(inPane<QPlainTextEdit>(replay, "replayIgnorePathsEdit")->toPlainText(), QStringLiteral("$.ts\n$..id"));
    QCOMPARE(inPane<QComboBox>(replay, "replayServerHostCombo")->currentText(), QStringLiteral("::1"));
    QCOMPARE(inPane<QSpinBox>(replay, "replayServerPortSpin")->value(), 9124);
    QCOMPARE(inPane<QComboBox>(replay, "replayServerScheduleCombo")->currentData().toBool(), true);
    QCOMPARE(inPane<QComboBox>(replay, "replayServerSpeedCombo")->currentData().toDouble(), 10.0);
    QVERIFY(inPane<QCheckBox>(replay, "replayLoopCheck")->isChecked());

    // Settings written by hand (or by an older version) that make no sense are skipped, not obeyed.
    QSettings settings;
    settings.setValue(QStringLiteral("serverPane/mode"), QStringLiteral("shout"));
    settings.setValue(QStringLiteral("serverPane/port"), QStringLiteral("many"));
    settings.setValue(QStringLiteral("serverPane/rules"), QStringLiteral("{\"rules\": [{\"match\": \"nope\"}]}"));
    settings.setValue(QStringLiteral("replayPane/speed"), 3.5);
    settings.sync();
    CaptureSession other(CaptureSession::Options { true, QString() });
    MainWindow odd(&other);
    odd.setRemembersLayout(true);
    const ServerOptions oddOptions = odd.findChild<ServerPane*>()->options();
    QCOMPARE(oddOptions.behaviour.mode, ServerMode::Echo);
    QCOMPARE(oddOptions.port, ServerPane::DefaultPort);
    QVERIFY(odd.findChild<ServerPane*>()->rulesModel()->rules().isEmpty());
    QCOMPARE(inPane<QComboBox>(odd.replayPane(), "replaySpeedCombo")->currentData().toDouble(), 1.0);
}

void TstMainWindowSettings::themesAreReadable_data()
{
    QTest::addColumn<QPalette>("palette");
    QTest::newRow("light") << Theme::lightPalette();
    QTest::newRow("dark") << Theme::darkPalette();
}

void TstMainWindowSettings::themesAreReadable()
{
    // WCAG AA: 4.5 for text, 3 for the dimmer placeholder and hint text.
    QFETCH(QPalette, palette);
    const QColor base = palette.color(QPalette::Base);
    QVERIFY(TimelineDelegate::contrastRatio(palette.color(QPalette::Text), base) >= 4.5);
    QVERIFY(
        TimelineDelegate::contrastRatio(palette.color(QPalette::WindowText), palette.color(QPalette::Window)) >= 4.5);
    QVERIFY(TimelineDelegate::contrastRatio(palette.color(QPalette::PlaceholderText), base) >= 3.0);
    QVERIFY(
        TimelineDelegate::contrastRatio(palette.color(QPalette::HighlightedText), palette.color(QPalette::Highlight))
        >= 4.5);
    // Disabled text looks disabled (dimmer than the rest) and can still be read.
    for (QPalette::ColorRole role : { QPalette::WindowText, QPalette::ButtonText, QPalette::Text }) {
        const QColor disabled = palette.color(QPalette::Disabled, role);
        QVERIFY(disabled != palette.color(QPalette::Active, role));
        QVERIFY(TimelineDelegate::contrastRatio(disabled, palette.color(QPalette::Window)) >= 3.0);
        QVERIFY(TimelineDelegate::contrastRatio(disabled, palette.color(QPalette::Window))
            < TimelineDelegate::contrastRatio(palette.color(QPalette::Active, role), palette.color(QPalette::Window)));
    }
    // The delegate's accents (kinds, directions, errors) are derived from Base, whichever it is.
    for (int hue : { 0, 30, 120, 210, 270 })
        QVERIFY2(TimelineDelegate::contrastRatio(TimelineDelegate::accentColor(palette, hue), base) >= 4.5,
            qPrintable(QString::number(hue)));
}

QTEST_MAIN(TstMainWindowSettings)
#include "tst_mainwindowsettings.moc"
