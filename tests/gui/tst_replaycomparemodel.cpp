// ReplayCompareModel under QAbstractItemModelTester: rows as messages arrive (awaited, compared, extra), the end
// of a run (missing), ignore paths comparing every row again, the summary, and status colours readable on light
// and dark palettes.

#include "replaycomparemodel.h"
#include "timelinedelegate.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace wsi;

namespace {

ReplayMessage text(const QByteArray& payload)
{
    ReplayMessage m;
    m.direction = Direction::S2C;
    m.text = true;
    m.payload = payload;
    return m;
}

ReplayMessage binary(const QByteArray& payload)
{
    ReplayMessage m = text(payload);
    m.text = false;
    return m;
}

QString cell(const ReplayCompareModel& model, int row, int column)
{
    return model.index(row, column).data().toString();
}

int status(const ReplayCompareModel& model, int row)
{
    return model.index(row, ReplayCompareModel::StatusColumn).data(ReplayCompareModel::StatusRole).toInt();
}

QList<JsonPathPattern> patterns(const QStringList& texts)
{
    QList<JsonPathPattern> out;
    QString error;
    if (!ReplayCompare::parseIgnorePaths(texts, &out, &error))
        qWarning("%s", qPrintable(error));
    return out;
}

QPalette darkPalette()
{
    QPalette p;
    p.setColor(QPalette::Base, QColor(0x1e, 0x1e, 0x1e));
    p.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x2b));
    p.setColor(QPalette::Text, QColor(0xe0, 0xe0, 0xe0));
    p.setColor(QPalette::WindowText, QColor(0xe0, 0xe0, 0xe0));
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x80, 0x80, 0x80));
    return p;
}

QPalette lightPalette()
{
    QPalette p;
    p.setColor(QPalette::Base, Qt::white);
    p.setColor(QPalette::Window, QColor(0xef, 0xef, 0xef));
    p.setColor(QPalette::Text, Qt::black);
    p.setColor(QPalette::WindowText, Qt::black);
    p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x90, 0x90, 0x90));
    return p;
}

} // namespace

class TstReplayCompareModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void rowsFollowTheRun()
    {
        ReplayCompareModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy summaries(&model, &ReplayCompareModel::summaryChanged);
        model.reset({ text(R"({"a":1,"b":[1,2]})"), text("same"), text("abcdef") });
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.columnCount(), int(ReplayCompareModel::ColumnCount));
        QCOMPARE(model.awaitedCount(), 3);
        QCOMPARE(cell(model, 0, ReplayCompareModel::StatusColumn), QStringLiteral("awaited"));
        QCOMPARE(status(model, 0), int(ReplayCompareModel::Awaited));
        QCOMPARE(cell(model, 0, ReplayCompareModel::IndexColumn), QStringLiteral("1"));
        QCOMPARE(cell(model, 0, ReplayCompareModel::RecordedColumn), QStringLiteral(R"({"a":1,"b":[1,2]})"));
        QVERIFY(cell(model, 0, ReplayCompareModel::ReceivedColumn).isEmpty());
        QVERIFY(!model.comparison(0));
        QCOMPARE(model.summary(), QStringLiteral("3 messages: 0 equal, 3 awaited"));

        // Member order does not matter; a differing element is named by its path.
        model.addReceived(text(R"({"b":[1,3],"a":1})"));
        QCOMPARE(status(model, 0), int(ReplayCompareRow::Status::Differ));
        QCOMPARE(cell(model, 0, ReplayCompareModel::PathsColumn), QStringLiteral("$.b[1]"));
        QVERIFY(model.describe(0).contains(QStringLiteral("$.b[1]")));
        QVERIFY(model.index(0, ReplayCompareModel::PathsColumn)
                    .data(Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("recorded 2, received 3")));
        model.addReceived(text("same"));
        QCOMPARE(status(model, 1), int(ReplayCompareRow::Status::Equal));
        QVERIFY(model.describe(1).isEmpty());
        model.addReceived(text("abcXef"));
        QCOMPARE(cell(model, 2, ReplayCompareModel::PathsColumn), QStringLiteral("from byte 3"));
        // One more than was recorded: a row of its own.
        model.addReceived(binary(QByteArray("\x01\x02", 2)));
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(status(model, 3), int(ReplayCompareRow::Status::Extra));
        QVERIFY(cell(model, 3, ReplayCompareModel::RecordedColumn).isEmpty());
        QCOMPARE(model.summary(), QStringLiteral("4 messages: 1 equal, 2 differ, 1 extra"));
        QVERIFY(summaries.size() >= 5);

        model.finish();
        QVERIFY(model.isFinished());
        QCOMPARE(model.count(ReplayCompareRow::Status::Missing), 0);
    }

    void whatDidNotComeIsMissingAtTheEnd()
    {
        ReplayCompareModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.reset({ text("1"), text("2"), text("3") });
        model.addReceived(text("1"));
        QCOMPARE(model.awaitedCount(), 2);
        QCOMPARE(model.count(ReplayCompareRow::Status::Missing), 0);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.finish();
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed[0][0].toModelIndex().row(), 1);
        QCOMPARE(changed[0][1].toModelIndex().row(), 2);
        QCOMPARE(model.awaitedCount(), 0);
        QCOMPARE(model.count(ReplayCompareRow::Status::Missing), 2);
        QCOMPARE(cell(model, 2, ReplayCompareModel::StatusColumn), QStringLiteral("missing"));
        QCOMPARE(model.summary(), QStringLiteral("3 messages: 1 equal, 2 missing"));
        QVERIFY(model.describe(2).contains(QStringLiteral("missing")));

        // A new run starts over.
        model.reset({ text("x") });
        QCOMPARE(model.rowCount(), 1);
        QVERIFY(!model.isFinished());
        QCOMPARE(model.receivedCount(), 0);
        QCOMPARE(model.awaitedCount(), 1);
    }

    void ignorePathsCompareAgain()
    {
        ReplayCompareModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.reset({ text(R"({"id":1,"ts":5,"v":"a"})"), text(R"({"id":2,"ts":6,"v":"b"})") });
        model.addReceived(text(R"({"id":7,"ts":9,"v":"a"})"));
        model.addReceived(text(R"({"id":8,"ts":9,"v":"c"})"));
        QCOMPARE(cell(model, 0, ReplayCompareModel::PathsColumn), QStringLiteral("$.id, $.ts"));
        QCOMPARE(model.count(ReplayCompareRow::Status::Differ), 2);

        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.setIgnorePaths(patterns({ QStringLiteral("$.id"), QStringLiteral("$..ts") }));
        QCOMPARE(changed.size(), 1);
        QCOMPARE(status(model, 0), int(ReplayCompareRow::Status::Equal));
        QCOMPARE(status(model, 1), int(ReplayCompareRow::Status::Differ));
        QCOMPARE(cell(model, 1, ReplayCompareModel::PathsColumn), QStringLiteral("$.v"));

        // They stay for the next run.
        model.reset({ text(R"({"id":1})") });
        model.addReceived(text(R"({"id":2})"));
        QCOMPARE(status(model, 0), int(ReplayCompareRow::Status::Equal));
        model.setIgnorePaths({});
        QCOMPARE(status(model, 0), int(ReplayCompareRow::Status::Differ));
    }

    void kindsDiffer()
    {
        ReplayCompareModel model;
        model.reset({ text("ab"), binary("ab") });
        model.addReceived(binary("ab"));
        model.addReceived(text("ab"));
        QCOMPARE(cell(model, 0, ReplayCompareModel::PathsColumn), QStringLiteral("text, received binary"));
        QCOMPARE(cell(model, 1, ReplayCompareModel::PathsColumn), QStringLiteral("binary, received text"));
    }

    void statusColoursReadOnBothThemes_data()
    {
        QTest::addColumn<QPalette>("palette");
        QTest::newRow("light") << lightPalette();
        QTest::newRow("dark") << darkPalette();
    }

    void statusColoursReadOnBothThemes()
    {
        QFETCH(QPalette, palette);
        ReplayCompareModel model;
        model.setPalette(palette);
        model.reset({ text("1"), text("2"), text("3") });
        model.addReceived(text("1"));
        model.addReceived(text("x"));
        const QColor base = palette.color(QPalette::Base);
        QSet<QRgb> seen;
        for (int row = 0; row < 3; ++row) {
            const QColor colour
                = model.index(row, ReplayCompareModel::StatusColumn).data(Qt::ForegroundRole).value<QColor>();
            QVERIFY(colour.isValid());
            seen.insert(colour.rgb());
            if (row < 2) // equal, differs: accents that must read; awaited is greyed on purpose
                QVERIFY2(TimelineDelegate::contrastRatio(colour, base) >= 3.0,
                    qPrintable(QStringLiteral("row %1: %2 on %3").arg(row).arg(colour.name(), base.name())));
        }
        QCOMPARE(seen.size(), 3); // equal, differs and awaited look different
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        model.setPalette(palette);
        QCOMPARE(changed.size(), 1);
    }
};

QTEST_MAIN(TstReplayCompareModel)
#include "tst_replaycomparemodel.moc"
