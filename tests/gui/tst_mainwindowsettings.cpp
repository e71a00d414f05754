#include "mainwindow.h"
#include "net/capturesession.h"
#include "theme.h"
#include "timelinedelegate.h"
#include "timelineview.h"

#include <QAction>
#include <QApplication>
#include <QDockWidget>
#include <QHeaderView>
#include <QLineEdit>
#include <QSettings>
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
    // Disabled text is told apart from the rest, and still readable.
    for (QPalette::ColorRole role : { QPalette::WindowText, QPalette::Text, QPalette::ButtonText }) {
        const QColor disabled = palette.color(QPalette::Disabled, role);
        QVERIFY2(disabled != palette.color(QPalette::Active, role), qPrintable(QString::number(int(role))));
        QVERIFY(TimelineDelegate::contrastRatio(disabled, base) >= 3.0);
        QVERIFY(TimelineDelegate::contrastRatio(disabled, palette.color(QPalette::Window)) >= 3.0);
    }
    // The delegate's accents (kinds, directions, errors) are derived from Base, whichever it is.
    for (int hue : { 0, 30, 120, 210, 270 })
        QVERIFY2(TimelineDelegate::contrastRatio(TimelineDelegate::accentColor(palette, hue), base) >= 4.5,
            qPrintable(QString::number(hue)));
}

QTEST_MAIN(TstMainWindowSettings)
#include "tst_mainwindowsettings.moc"
