#include "appicon.h"
#include "mainwindow.h"
#include "net/capturesession.h"

#include <QApplication>
#include <QImage>
#include <QStandardPaths>
#include <QTest>
#include <QWindow>

using namespace wsi;

namespace {

// The picture's pixels alone (QImage comparisons also compare the device pixel ratio).
QImage pixelsOf(const QPixmap& pixmap)
{
    QImage image = pixmap.toImage().convertToFormat(QImage::Format_ARGB32_Premultiplied);
    image.setDevicePixelRatio(1);
    return image;
}

QImage bundled(int size)
{
    return QImage(QStringLiteral(":/wsinspector/icons/%1x%1/wsinspector.png").arg(size))
        .convertToFormat(QImage::Format_ARGB32_Premultiplied);
}

} // namespace

// The window icon is the packaged artwork at every size, and a 2x screen gets the picture made for its pixels. Run
// twice by ctest: as is, and at QT_SCALE_FACTOR=2 (tst_appicon_2x), where the window itself has 2 device pixels
// to the point.
class TstAppIcon : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }
    void everyPackagedSizeIsCompiledIn();
    void twiceTheScaleGetsTheBiggerPicture_data();
    void twiceTheScaleGetsTheBiggerPicture();
    void windowsShowIt();
};

void TstAppIcon::everyPackagedSizeIsCompiledIn()
{
    // The hicolor sizes the package installs (WSI_ICON_SIZES).
    QCOMPARE(AppIcon::sizes(), QList<int>({ 16, 22, 24, 32, 48, 64, 128, 256 }));
    for (int size : AppIcon::sizes())
        QCOMPARE(bundled(size).size(), QSize(size, size));
    QCOMPARE(AppIcon::icon().availableSizes().size(), AppIcon::sizes().size());
}

void TstAppIcon::twiceTheScaleGetsTheBiggerPicture_data()
{
    QTest::addColumn<int>("points");
    QTest::addColumn<qreal>("ratio");
    QTest::newRow("16 at 1x") << 16 << 1.0;
    QTest::newRow("32 at 1x") << 32 << 1.0;
    QTest::newRow("16 at 2x") << 16 << 2.0;
    QTest::newRow("32 at 2x") << 32 << 2.0;
    QTest::newRow("64 at 2x") << 64 << 2.0;
    QTest::newRow("128 at 2x") << 128 << 2.0;
}

void TstAppIcon::twiceTheScaleGetsTheBiggerPicture()
{
    QFETCH(int, points);
    QFETCH(qreal, ratio);
    const int pixels = qRound(points * ratio);
    const QPixmap pixmap = AppIcon::icon().pixmap(QSize(points, points), ratio);
    QCOMPARE(pixmap.devicePixelRatio(), ratio);
    QCOMPARE(pixmap.size(), QSize(pixels, pixels));
    // The rendering made for that many pixels, untouched: not the smaller one scaled up.
    const QImage image = pixelsOf(pixmap);
    QCOMPARE(image, bundled(pixels));
    if (ratio > 1)
        QVERIFY(image != bundled(points).scaled(pixels, pixels, Qt::IgnoreAspectRatio, Qt::SmoothTransformation));
}

void TstAppIcon::windowsShowIt()
{
    CaptureSession session(CaptureSession::Options { true, QString() });
    MainWindow window(&session);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    const qreal ratio = window.devicePixelRatio();
    if (qEnvironmentVariable("QT_SCALE_FACTOR") == QLatin1StringView("2"))
        QCOMPARE(ratio, 2.0);
    QCOMPARE(window.windowIcon().cacheKey(), AppIcon::icon().cacheKey());
    QCOMPARE(QGuiApplication::windowIcon().cacheKey(), AppIcon::icon().cacheKey());
    // A title bar's 32 points, at the window's own ratio.
    QCOMPARE(pixelsOf(window.windowIcon().pixmap(QSize(32, 32), ratio)), bundled(qRound(32 * ratio)));
}

QTEST_MAIN(TstAppIcon)
#include "tst_appicon.moc"
