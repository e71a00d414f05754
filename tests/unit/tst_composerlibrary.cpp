#include "core/composerlibrary.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTest>

using namespace wsi;

class TstComposerLibrary : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void defaultPathIsInConfigDir();
    void missingFileIsEmpty();
    void roundTrip();
    void corruptFileIsKeptAside_data();
    void corruptFileIsKeptAside();
    void badEntriesAreLeftOut();
    void historyCap();
    void historySkipsRepeatsAndHugeMessages();
    void renameAndDelete();
    void badNames_data();
    void badNames();
    void saveFailsWithReason();

private:
    QString m_path;
};

void TstComposerLibrary::initTestCase()
{
    QStandardPaths::setTestModeEnabled(true);
    m_path = ComposerLibrary::defaultPath();
}

void TstComposerLibrary::init()
{
    QFile::remove(m_path);
    QFile::remove(m_path + QLatin1String(".bad"));
}

void TstComposerLibrary::defaultPathIsInConfigDir()
{
    QCOMPARE(QFileInfo(m_path).fileName(), QStringLiteral("composer.json"));
    QCOMPARE(QFileInfo(m_path).absolutePath(),
        QDir(QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation)).absolutePath());
}

void TstComposerLibrary::missingFileIsEmpty()
{
    ComposerLibrary library;
    QCOMPARE(library.load(), QString());
    QVERIFY(library.templates().isEmpty());
    QVERIFY(library.history().isEmpty());
    QVERIFY(!library.clearAfterSend());
    QVERIFY(!QFile::exists(library.badFilePath()));
}

void TstComposerLibrary::roundTrip()
{
    ComposerLibrary library;
    QVERIFY(library.setTemplate(QStringLiteral("login"), { ComposerMode::Json, QStringLiteral("{\"op\":\"login\"}") }));
    QVERIFY(library.setTemplate(QStringLiteral("  Ping bytes "), { ComposerMode::Hex, QStringLiteral("00 ff") }));
    QVERIFY(library.setTemplate(QStringLiteral("upload"), { ComposerMode::File, QStringLiteral("/tmp/x.bin") }));
    QVERIFY(library.setTemplate(QStringLiteral("b64"), { ComposerMode::Base64, QStringLiteral("AP8Q") }));
    const QString unicode = QStringLiteral("h\u00e9llo \U0001F600 {{counter}}\nline two");
    QVERIFY(library.addToHistory({ ComposerMode::Text, unicode }));
    QVERIFY(library.addToHistory({ ComposerMode::Json, QStringLiteral("[1]") }));
    library.setClearAfterSend(true);
    QCOMPARE(library.save(), QString());
    QVERIFY(QFile::exists(m_path));

    ComposerLibrary loaded;
    QCOMPARE(loaded.load(), QString());
    QCOMPARE(loaded.templates(), library.templates());
    QCOMPARE(loaded.templateNames(),
        QStringList({ QStringLiteral("b64"), QStringLiteral("login"), QStringLiteral("Ping bytes"),
            QStringLiteral("upload") }));
    QCOMPARE(loaded.history(), library.history());
    QCOMPARE(loaded.history().constFirst().text, unicode);
    QVERIFY(loaded.clearAfterSend());
    QCOMPARE(loaded.findTemplate(QStringLiteral("PING BYTES"))->message.mode, ComposerMode::Hex);

    // Replacing by name (ignoring case) keeps one template.
    QVERIFY(loaded.setTemplate(QStringLiteral("LOGIN"), { ComposerMode::Text, QStringLiteral("hi") }));
    QCOMPARE(loaded.templates().size(), 4);
    QCOMPARE(loaded.findTemplate(QStringLiteral("login"))->message.text, QStringLiteral("hi"));
}

void TstComposerLibrary::corruptFileIsKeptAside_data()
{
    QTest::addColumn<QByteArray>("contents");
    QTest::addColumn<QString>("reason");
    QTest::newRow("not json") << QByteArray("{\"format\": \"wsinspector-composer\", \"templates\": [")
                              << "not valid JSON";
    QTest::newRow("binary") << QByteArray("\x00\x01\x02garbage", 10) << "not valid JSON";
    QTest::newRow("array") << QByteArray("[1, 2]") << "not a composer library";
    QTest::newRow("other format") << QByteArray("{\"format\": \"something\", \"version\": 1}")
                                  << "not a composer library";
    QTest::newRow("newer") << QByteArray("{\"format\": \"wsinspector-composer\", \"version\": 7}") << "newer version";
    QTest::newRow("no version") << QByteArray("{\"format\": \"wsinspector-composer\"}") << "no valid format version";
}

void TstComposerLibrary::corruptFileIsKeptAside()
{
    QFETCH(QByteArray, contents);
    QFETCH(QString, reason);
    QVERIFY(QDir().mkpath(QFileInfo(m_path).absolutePath()));
    QFile file(m_path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(contents);
    file.close();

    ComposerLibrary library;
    const QString message = library.load();
    QVERIFY2(message.contains(reason), qPrintable(message));
    QVERIFY2(message.contains(QDir::toNativeSeparators(m_path + QLatin1String(".bad"))), qPrintable(message));
    QVERIFY(library.templates().isEmpty());
    QVERIFY(library.history().isEmpty());
    QVERIFY(!QFile::exists(m_path));
    QFile bad(m_path + QLatin1String(".bad"));
    QVERIFY(bad.open(QIODevice::ReadOnly));
    QCOMPARE(bad.readAll(), contents);

    // The library works on: it saves a good file next to the bad one.
    QVERIFY(library.setTemplate(QStringLiteral("t"), { ComposerMode::Text, QStringLiteral("x") }));
    QCOMPARE(library.save(), QString());
    ComposerLibrary again;
    QCOMPARE(again.load(), QString());
    QCOMPARE(again.templateNames(), QStringList { QStringLiteral("t") });
}

void TstComposerLibrary::badEntriesAreLeftOut()
{
    QVERIFY(QDir().mkpath(QFileInfo(m_path).absolutePath()));
    QFile file(m_path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(R"({"format": "wsinspector-composer", "version": 1,
        "templates": [{"name": "good", "mode": "text", "text": "a"}, {"name": "", "mode": "text", "text": "b"},
                      {"name": "Good", "mode": "text", "text": "dup"}, {"name": "m", "mode": "morse", "text": "c"}],
        "history": [{"mode": "hex", "text": "00"}, {"mode": "hex", "text": 5}, 7]})");
    file.close();

    ComposerLibrary library;
    const QString message = library.load();
    QVERIFY2(message.contains(QStringLiteral("5 templates or history entries")), qPrintable(message));
    QCOMPARE(library.templateNames(), QStringList { QStringLiteral("good") });
    QCOMPARE(library.history().size(), 1);
    QVERIFY(QFile::exists(m_path + QLatin1String(".bad")));
}

void TstComposerLibrary::historyCap()
{
    ComposerLibrary library;
    for (int i = 1; i <= 250; ++i)
        QVERIFY(library.addToHistory({ ComposerMode::Text, QString::number(i) }));
    QCOMPARE(library.history().size(), ComposerLibrary::MaxHistory);
    QCOMPARE(library.history().constFirst().text, QStringLiteral("151"));
    QCOMPARE(library.history().constLast().text, QStringLiteral("250"));
    QCOMPARE(library.save(), QString());
    ComposerLibrary loaded;
    QCOMPARE(loaded.load(), QString());
    QCOMPARE(loaded.history(), library.history());
}

void TstComposerLibrary::historySkipsRepeatsAndHugeMessages()
{
    ComposerLibrary library;
    QVERIFY(library.addToHistory({ ComposerMode::Text, QStringLiteral("a") }));
    QVERIFY(!library.addToHistory({ ComposerMode::Text, QStringLiteral("a") }));
    QVERIFY(library.addToHistory({ ComposerMode::Json, QStringLiteral("a") })); // another mode is another message
    QVERIFY(library.addToHistory({ ComposerMode::Text, QStringLiteral("a") })); // not consecutive
    QVERIFY(!library.addToHistory({ ComposerMode::Text, QString(ComposerLibrary::MaxHistoryTextChars + 1, u'x') }));
    QCOMPARE(library.history().size(), 3);
    library.clearHistory();
    QVERIFY(library.history().isEmpty());
}

void TstComposerLibrary::renameAndDelete()
{
    ComposerLibrary library;
    QVERIFY(library.setTemplate(QStringLiteral("one"), { ComposerMode::Text, QStringLiteral("1") }));
    QVERIFY(library.setTemplate(QStringLiteral("two"), { ComposerMode::Text, QStringLiteral("2") }));
    QString error;
    QVERIFY(!library.renameTemplate(QStringLiteral("one"), QStringLiteral("TWO"), &error));
    QVERIFY2(error.contains(QStringLiteral("already")), qPrintable(error));
    QVERIFY(!library.renameTemplate(QStringLiteral("nope"), QStringLiteral("x"), &error));
    QVERIFY(!library.renameTemplate(QStringLiteral("one"), QStringLiteral("   "), &error));
    QVERIFY(library.renameTemplate(QStringLiteral("one"), QStringLiteral("One"), &error)); // a change of case
    QVERIFY(library.renameTemplate(QStringLiteral("One"), QStringLiteral("zero"), &error));
    QCOMPARE(library.templateNames(), QStringList({ QStringLiteral("two"), QStringLiteral("zero") }));
    QVERIFY(library.removeTemplate(QStringLiteral("TWO")));
    QVERIFY(!library.removeTemplate(QStringLiteral("two")));
    QCOMPARE(library.save(), QString());

    ComposerLibrary loaded;
    QCOMPARE(loaded.load(), QString());
    QCOMPARE(loaded.templateNames(), QStringList { QStringLiteral("zero") });
    QCOMPARE(loaded.findTemplate(QStringLiteral("zero"))->message.text, QStringLiteral("1"));
}

void TstComposerLibrary::badNames_data()
{
    QTest::addColumn<QString>("name");
    QTest::newRow("empty") << QString();
    QTest::newRow("spaces") << QStringLiteral("   ");
    QTest::newRow("newline") << QStringLiteral("a\nb");
    QTest::newRow("long") << QString(ComposerLibrary::MaxNameChars + 1, u'n');
}

void TstComposerLibrary::badNames()
{
    QFETCH(QString, name);
    ComposerLibrary library;
    QString error;
    QVERIFY(!library.setTemplate(name, { ComposerMode::Text, QStringLiteral("x") }, &error));
    QVERIFY(!error.isEmpty());
    QVERIFY(library.templates().isEmpty());
}

void TstComposerLibrary::saveFailsWithReason()
{
    // A directory where the file should be: the write fails, with a reason, and nothing is lost.
    QVERIFY(QDir().mkpath(m_path));
    ComposerLibrary library;
    QVERIFY(library.setTemplate(QStringLiteral("t"), { ComposerMode::Text, QStringLiteral("x") }));
    const QString problem = library.save();
    QDir(m_path).removeRecursively();
    QVERIFY(!problem.isEmpty());
    QVERIFY2(problem.contains(QDir::toNativeSeparators(m_path)), qPrintable(problem));
}

QTEST_GUILESS_MAIN(TstComposerLibrary)
#include "tst_composerlibrary.moc"
