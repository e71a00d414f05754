#include "../unit/statsfixture.h"
#include "core/connectionstatsmodel.h"
#include "core/sessionstatistics.h"
#include "ratechart.h"
#include "statspane.h"

#include <QApplication>
#include <QImage>
#include <QPalette>
#include <QTableView>
#include <QTest>
#include <QToolButton>

#include <memory>

using namespace wsi;
using namespace wsi::statsfixture;

namespace {

// Two connections with a minute of traffic ending at endUs, a ping answered, one connection closed.
CaptureBatch traffic(qint64 endUs)
{
    const QString url = QStringLiteral("ws://127.0.0.1:8765/chat");
    CaptureBatch b = batch({},
        { conn(1, ConnectionRole::Client, url, QStringLiteral("127.0.0.1:8765")),
            conn(2, ConnectionRole::Server, url, QStringLiteral("127.0.0.1:53122")) });
    const qint64 start = endUs - 59'000'000;
    b.events.push_back(ev(1, start, Direction::None, EventKind::Open, "connected"));
    b.events.push_back(ev(2, start, Direction::None, EventKind::Open, "client connected"));
    for (int s = 0; s < 60; ++s) {
        const int perSecond = 5 + (s * 7) % 23;
        for (int i = 0; i < perSecond; ++i) {
            const qint64 t = start + s * 1'000'000 + i * 1000;
            b.events.push_back(ev(1, t, Direction::C2S, EventKind::Text, QByteArray(20 + s, 'x')));
            if (i % 2 == 0)
                b.events.push_back(ev(2, t + 10, Direction::S2C, EventKind::Binary, QByteArray(100, 'y')));
        }
    }
    b.events.push_back(ev(1, endUs - 500'000, Direction::C2S, EventKind::Ping, "hb"));
    b.events.push_back(ev(1, endUs - 488'000, Direction::S2C, EventKind::Pong, "hb"));
    b.events.push_back(ev(2, endUs - 100'000, Direction::S2C, EventKind::Close, "bye", 1000));
    b.events.push_back(ev(2, endUs, Direction::None, EventKind::Closed, "connection closed", 1000));
    return b;
}

QPalette darkPalette()
{
    QPalette p;
    p.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x2b));
    p.setColor(QPalette::WindowText, QColor(0xe0, 0xe0, 0xe0));
    p.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
    p.setColor(QPalette::AlternateBase, QColor(0x26, 0x26, 0x26));
    p.setColor(QPalette::Text, QColor(0xe0, 0xe0, 0xe0));
    p.setColor(QPalette::Button, QColor(0x35, 0x35, 0x35));
    p.setColor(QPalette::ButtonText, QColor(0xe0, 0xe0, 0xe0));
    p.setColor(QPalette::Mid, QColor(0x50, 0x50, 0x50));
    return p;
}

// Number of distinct colours in an image: a blank or single-colour grab means nothing was drawn.
int colourCount(const QImage& image)
{
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 2) {
        for (int x = 0; x < image.width(); x += 2)
            colours.insert(image.pixel(x, y));
    }
    return int(colours.size());
}

} // namespace

class TestStatsPane : public QObject, private TimelineFixture
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void showsConnections();
    void chartRenders_data();
    void chartRenders();
    void metricToggle();
    void emptyPaneRenders();
    void clearedTimelineEmptiesPane();

private:
    void saveScreenshot(QWidget* widget, const QString& name);

    std::unique_ptr<StatsPane> m_pane;
};

void TestStatsPane::init()
{
    createTimeline();
    m_pane = std::make_unique<StatsPane>(m_model.get());
    m_pane->resize(1200, 320);
}

void TestStatsPane::cleanup()
{
    m_pane.reset();
    destroyTimeline();
}

void TestStatsPane::saveScreenshot(QWidget* widget, const QString& name)
{
    // Set WSI_SCREENSHOT_DIR to look at what the pane really draws.
    const QString dir = qEnvironmentVariable("WSI_SCREENSHOT_DIR");
    if (!dir.isEmpty())
        widget->grab().save(dir + QLatin1Char('/') + name + QStringLiteral(".png"));
}

void TestStatsPane::showsConnections()
{
    // A recording from the past: the chart ends at its last event.
    m_model->append(traffic(1763805660'000'000));
    m_pane->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_pane.get()));
    m_pane->refresh();

    auto* table = m_pane->findChild<QTableView*>(QStringLiteral("connectionStatsTable"));
    QVERIFY(table);
    QCOMPARE(table->model()->rowCount(), 2);
    QCOMPARE(table->model()->index(0, ConnectionStatsModel::IdColumn).data().toString(), QStringLiteral("1"));
    QCOMPARE(table->model()->index(0, ConnectionStatsModel::StateColumn).data().toString(), QStringLiteral("open"));
    QCOMPARE(table->model()->index(1, ConnectionStatsModel::StateColumn).data().toString(), QStringLiteral("closed"));
    QVERIFY(!table->model()->index(0, ConnectionStatsModel::PingColumn).data().toString().isEmpty());
    QVERIFY(table->model()->index(1, ConnectionStatsModel::CloseColumn).data().toString().startsWith(u"1000"));
    // Sorting goes by numbers: most server-to-client bytes first.
    table->sortByColumn(ConnectionStatsModel::BytesS2CColumn, Qt::DescendingOrder);
    QCOMPARE(table->model()->index(0, ConnectionStatsModel::IdColumn).data().toString(), QStringLiteral("2"));

    auto* chart = m_pane->findChild<RateChart*>(QStringLiteral("rateChart"));
    QVERIFY(chart);
    QCOMPARE(chart->buckets().size(), size_t(SessionStatistics::WindowSeconds));
    QCOMPARE(chart->buckets().back().second, 1763805660);
    QVERIFY(chart->value(chart->buckets().back(), SessionStatistics::C2S) > 0);
    QVERIFY(chart->bucketText(59).contains(QLatin1String("messages")));
    saveScreenshot(m_pane.get(), QStringLiteral("statspane-light"));
}

void TestStatsPane::chartRenders_data()
{
    QTest::addColumn<bool>("dark");
    QTest::addColumn<bool>("live");
    QTest::addRow("light recording") << false << false;
    QTest::addRow("dark recording") << true << false;
    QTest::addRow("light live") << false << true;
    QTest::addRow("dark live") << true << true;
}

void TestStatsPane::chartRenders()
{
    QFETCH(bool, dark);
    QFETCH(bool, live);
    if (dark)
        m_pane->setPalette(darkPalette());
    m_model->append(traffic(live ? nowUs() : 1763805660'000'000));
    QCOMPARE(m_pane->statistics()->isLive(), live);
    m_pane->refresh();
    RateChart* chart = m_pane->chart();
    chart->resize(600, 220);
    const QImage image = chart->grab().toImage();
    QVERIFY(!image.isNull());
    QCOMPARE(image.size(), chart->size() * chart->devicePixelRatio());
    // Axes, labels, two series and their fills: far more than a couple of colours.
    QVERIFY2(colourCount(image) > 20, qPrintable(QString::number(colourCount(image))));
    // The hover cursor and tooltip text must not crash either.
    QTest::mouseMove(chart, QPoint(chart->width() - 40, chart->height() / 2));
    chart->grab();
    m_pane->resize(900, 320);
    saveScreenshot(
        m_pane.get(), QStringLiteral("statspane-%1-%2").arg(dark ? u"dark" : u"light", live ? u"live" : u"recording"));
}

void TestStatsPane::metricToggle()
{
    m_model->append(traffic(1763805660'000'000));
    m_pane->refresh();
    RateChart* chart = m_pane->chart();
    QCOMPARE(chart->metric(), RateChart::Metric::Messages);
    const qint64 messages = chart->value(chart->buckets().back(), SessionStatistics::S2C);
    auto* bytes = m_pane->findChild<QToolButton*>(QStringLiteral("bytesRateButton"));
    QVERIFY(bytes);
    bytes->click();
    QCOMPARE(chart->metric(), RateChart::Metric::Bytes);
    QCOMPARE(chart->value(chart->buckets().back(), SessionStatistics::S2C), messages * 100);
    QVERIFY(!chart->grab().isNull());
    m_pane->findChild<QToolButton*>(QStringLiteral("messagesRateButton"))->click();
    QCOMPARE(chart->metric(), RateChart::Metric::Messages);
}

void TestStatsPane::emptyPaneRenders()
{
    m_pane->refresh();
    QCOMPARE(m_pane->table()->model()->rowCount(), 0);
    const QImage image = m_pane->grab().toImage();
    QVERIFY(!image.isNull());
    QVERIFY(colourCount(image) > 2);
    m_pane->setPalette(darkPalette());
    QVERIFY(!m_pane->grab().isNull());
    // Tall and narrow, as when docked at a side: the chart goes above the table.
    m_pane->resize(420, 700);
    QVERIFY(!m_pane->grab().isNull());
}

void TestStatsPane::clearedTimelineEmptiesPane()
{
    m_model->append(traffic(1763805660'000'000));
    m_pane->refresh();
    QCOMPARE(m_pane->table()->model()->rowCount(), 2);
    m_model->clear();
    QCOMPARE(m_pane->table()->model()->rowCount(), 0);
    for (const auto& b : m_pane->chart()->buckets())
        QCOMPARE(m_pane->chart()->value(b, SessionStatistics::C2S), 0);
}

QTEST_MAIN(TestStatsPane)

#include "tst_statspane.moc"
