#include "core/connectionstatsmodel.h"
#include "core/sessionstatistics.h"
#include "statsfixture.h"

#include <QAbstractItemModelTester>
#include <QLocale>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace wsi;
using namespace wsi::statsfixture;

class TestConnectionStatsModel : public QObject, private TimelineFixture
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void rowsArriveOnRefresh();
    void cells();
    void sortRole();
    void resetWithTimeline();
    void headers();
    void durationText_data();
    void durationText();
    void rttText_data();
    void rttText();

private:
    QString cell(int row, ConnectionStatsModel::Column column, int role = Qt::DisplayRole) const
    {
        return m_connections->index(row, column).data(role).toString();
    }

    std::unique_ptr<SessionStatistics> m_stats;
    std::unique_ptr<ConnectionStatsModel> m_connections;
    std::unique_ptr<QAbstractItemModelTester> m_tester;
};

void TestConnectionStatsModel::init()
{
    createTimeline();
    m_stats = std::make_unique<SessionStatistics>(m_model.get());
    m_connections = std::make_unique<ConnectionStatsModel>(m_stats.get());
    m_tester = std::make_unique<QAbstractItemModelTester>(
        m_connections.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
}

void TestConnectionStatsModel::cleanup()
{
    m_tester.reset();
    m_connections.reset();
    m_stats.reset();
    destroyTimeline();
}

void TestConnectionStatsModel::rowsArriveOnRefresh()
{
    QCOMPARE(m_connections->rowCount(), 0);
    QCOMPARE(m_connections->columnCount(), int(ConnectionStatsModel::ColumnCount));
    m_model->append(batch({ ev(1, BaseUs, Direction::C2S, EventKind::Text, "a"),
        ev(2, BaseUs, Direction::None, EventKind::HandshakeRequest) }));
    // Batches do not reach the views by themselves: the owner refreshes a few times a second.
    QCOMPARE(m_connections->rowCount(), 0);
    QSignalSpy inserted(m_connections.get(), &QAbstractItemModel::rowsInserted);
    QSignalSpy changed(m_connections.get(), &QAbstractItemModel::dataChanged);
    m_connections->refresh();
    QCOMPARE(m_connections->rowCount(), 2);
    QCOMPARE(inserted.count(), 1);
    QCOMPARE(changed.count(), 0); // nothing was shown before
    m_model->append(batch({ ev(1, at(0, 1), Direction::S2C, EventKind::Text, "b"),
        ev(3, at(0, 1), Direction::None, EventKind::HandshakeRequest) }));
    m_connections->refresh();
    QCOMPARE(m_connections->rowCount(), 3);
    QCOMPARE(inserted.count(), 2);
    QCOMPARE(changed.count(), 1);
    QCOMPARE(m_connections->index(2, 0).data(ConnectionStatsModel::ConnectionIdRole).toUInt(), 3u);
}

void TestConnectionStatsModel::cells()
{
    m_model->append(batch(
        {
            ev(1, BaseUs, Direction::None, EventKind::Open, "connected"),
            ev(1, at(0, 100), Direction::C2S, EventKind::Text, "hello"),
            ev(1, at(0, 200), Direction::S2C, EventKind::Binary, QByteArray(2048, 'x')),
            ev(1, at(0, 300), Direction::C2S, EventKind::Ping, "p"),
            ev(1, at(0, 12'800), Direction::S2C, EventKind::Pong, "p"),
            ev(1, at(1, 500'000), Direction::C2S, EventKind::Close, "bye", 1000),
            ev(1, at(2, 500'000), Direction::None, EventKind::Closed, "connection closed", 1000),
            ev(2, BaseUs, Direction::None, EventKind::Error, "connection refused"),
        },
        { conn(1, ConnectionRole::Client, QStringLiteral("ws://example.test/chat"), QStringLiteral("192.0.2.1:80")),
            conn(2, ConnectionRole::Client, QStringLiteral("ws://127.0.0.1:1/"), QString()) }));
    m_connections->refresh();
    QCOMPARE(m_connections->rowCount(), 2);
    const QLocale locale;
    QCOMPARE(cell(0, ConnectionStatsModel::IdColumn), QStringLiteral("1"));
    QCOMPARE(cell(0, ConnectionStatsModel::RoleColumn), QStringLiteral("client"));
    QCOMPARE(cell(0, ConnectionStatsModel::UrlColumn), QStringLiteral("ws://example.test/chat"));
    QCOMPARE(cell(0, ConnectionStatsModel::PeerColumn), QStringLiteral("192.0.2.1:80"));
    QCOMPARE(cell(0, ConnectionStatsModel::StateColumn), QStringLiteral("closed"));
    QCOMPARE(cell(0, ConnectionStatsModel::MessagesC2SColumn), QStringLiteral("1"));
    QCOMPARE(cell(0, ConnectionStatsModel::MessagesS2CColumn), QStringLiteral("1"));
    QCOMPARE(cell(0, ConnectionStatsModel::BytesC2SColumn), locale.formattedDataSize(5, 1));
    QCOMPARE(cell(0, ConnectionStatsModel::BytesS2CColumn), locale.formattedDataSize(2048, 1));
    QCOMPARE(cell(0, ConnectionStatsModel::OpenTimeColumn), ConnectionStatsModel::durationText(2'500'000));
    QCOMPARE(cell(0, ConnectionStatsModel::CloseColumn), QStringLiteral("1000 ") + closeCodeText(1000));
    QCOMPARE(cell(0, ConnectionStatsModel::CloseColumn, Qt::ToolTipRole), QStringLiteral("Reason: bye"));
    QCOMPARE(cell(0, ConnectionStatsModel::PingColumn), ConnectionStatsModel::rttText(12'500'000));
    QVERIFY(cell(0, ConnectionStatsModel::PingColumn, Qt::ToolTipRole).contains(QLatin1String("average")));
    QVERIFY(cell(0, ConnectionStatsModel::MessagesC2SColumn, Qt::ToolTipRole).contains(QLatin1String("2 control")));
    QCOMPARE(m_connections->index(0, ConnectionStatsModel::BytesS2CColumn)
                 .data(Qt::TextAlignmentRole)
                 .value<Qt::Alignment>(),
        Qt::AlignRight | Qt::AlignVCenter);

    QCOMPARE(cell(1, ConnectionStatsModel::StateColumn), QStringLiteral("failed"));
    QCOMPARE(cell(1, ConnectionStatsModel::StateColumn, Qt::ToolTipRole), QStringLiteral("1 error"));
    QCOMPARE(cell(1, ConnectionStatsModel::OpenTimeColumn), QString());
    QCOMPARE(cell(1, ConnectionStatsModel::CloseColumn), QString());
    QCOMPARE(cell(1, ConnectionStatsModel::PingColumn), QString());
    QVERIFY(!m_connections->index(2, 0).isValid());
}

void TestConnectionStatsModel::sortRole()
{
    m_model->append(batch({
        ev(1, BaseUs, Direction::S2C, EventKind::Text, QByteArray(900, 'a')),
        ev(2, BaseUs, Direction::S2C, EventKind::Text, QByteArray(50, 'b')),
    }));
    m_connections->refresh();
    const auto bytes = [this](int row) {
        return m_connections->index(row, ConnectionStatsModel::BytesS2CColumn)
            .data(ConnectionStatsModel::SortRole)
            .toLongLong();
    };
    QCOMPARE(bytes(0), 900);
    QCOMPARE(bytes(1), 50);
    // Numbers sort as numbers, not as their (localised, unit-suffixed) text.
    QVERIFY(m_connections->index(0, ConnectionStatsModel::BytesS2CColumn).data(ConnectionStatsModel::SortRole).typeId()
        == QMetaType::LongLong);
    QCOMPARE(
        m_connections->index(0, ConnectionStatsModel::PingColumn).data(ConnectionStatsModel::SortRole).toLongLong(),
        -1);
}

void TestConnectionStatsModel::resetWithTimeline()
{
    m_model->append(batch({ ev(1, BaseUs, Direction::C2S, EventKind::Text, "a") }));
    m_connections->refresh();
    QCOMPARE(m_connections->rowCount(), 1);
    QSignalSpy reset(m_connections.get(), &QAbstractItemModel::modelReset);
    m_model->clear();
    QCOMPARE(reset.count(), 1);
    QCOMPARE(m_connections->rowCount(), 0); // at once, not at the next refresh
    m_connections->refresh();
    QCOMPARE(m_connections->rowCount(), 0);
    m_model->append(batch({ ev(5, BaseUs, Direction::C2S, EventKind::Text, "a") }));
    m_connections->refresh();
    QCOMPARE(m_connections->rowCount(), 1);
    QCOMPARE(cell(0, ConnectionStatsModel::IdColumn), QStringLiteral("5"));
}

void TestConnectionStatsModel::headers()
{
    for (int c = 0; c < ConnectionStatsModel::ColumnCount; ++c)
        QVERIFY(!m_connections->headerData(c, Qt::Horizontal).toString().isEmpty());
    QVERIFY(!m_connections->headerData(ConnectionStatsModel::ColumnCount, Qt::Horizontal).isValid());
    QVERIFY(!m_connections->headerData(0, Qt::Vertical).isValid());
}

void TestConnectionStatsModel::durationText_data()
{
    QTest::addColumn<qint64>("us");
    QTest::addColumn<QString>("expected");
    const QLocale locale;
    QTest::addRow("sub-second") << qint64(400'000) << locale.toString(0.4, 'f', 1) + QStringLiteral(" s");
    QTest::addRow("seconds") << qint64(42'000'000) << QStringLiteral("42 s");
    QTest::addRow("minutes") << qint64(185'000'000) << QStringLiteral("3 min 05 s");
    QTest::addRow("hours") << qint64(7'620'000'000) << QStringLiteral("2 h 07 min");
}

void TestConnectionStatsModel::durationText()
{
    QFETCH(qint64, us);
    QFETCH(QString, expected);
    QCOMPARE(ConnectionStatsModel::durationText(us), expected);
}

void TestConnectionStatsModel::rttText_data()
{
    QTest::addColumn<qint64>("ns");
    QTest::addColumn<QString>("expected");
    const QLocale locale;
    QTest::addRow("microseconds") << qint64(850'000) << QStringLiteral("850 \u00b5s");
    QTest::addRow("milliseconds") << qint64(12'340'000) << locale.toString(12.3, 'f', 1) + QStringLiteral(" ms");
    QTest::addRow("slow") << qint64(250'000'000) << QStringLiteral("250 ms");
    QTest::addRow("seconds") << qint64(1'250'000'000) << locale.toString(1.25, 'f', 2) + QStringLiteral(" s");
}

void TestConnectionStatsModel::rttText()
{
    QFETCH(qint64, ns);
    QFETCH(QString, expected);
    QCOMPARE(ConnectionStatsModel::rttText(ns), expected);
}

QTEST_GUILESS_MAIN(TestConnectionStatsModel)

#include "tst_connectionstatsmodel.moc"
