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
    void newerVersionIsLeftAlone();
    void olderBadFilesAreKept();
    void unmovableFileIsNotSavedOver();
    void fileIsPrivate();
    void templateLimits();
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
    QDir dir = QFileInfo(m_path).absoluteDir();
    for (const QString& bad : dir.entryList({ QStringLiteral("composer.json.bad*") }, QDir::Files))
        QFile::remove(dir.filePath(bad));
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
    QVERIFY(!QFile::exists(m_path + QLatin1String(".bad")));
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

namespace {
void writeFile(const QString& path, const QByteArray& contents)
{
    QVERIFY(QDir().mkpath(QFileInfo(path).absolutePath()));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(contents);
}

QByteArray readFile(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}
} // namespace

void TstComposerLibrary::newerVersionIsLeftAlone()
{
    // What an older build must not destroy: the templates and history of a newer one.
    const QByteArray newer(R"({"format": "wsinspector-composer", "version": 7, "templates": [], "future": 1})");
    writeFile(m_path, newer);
    ComposerLibrary library;
    const QString message = library.load();
    QVERIFY2(message.contains(QStringLiteral("newer version")), qPrintable(message));
    QVERIFY2(message.contains(QDir::toNativeSeparators(m_path)), qPrintable(message));
    QVERIFY(!library.isWritable());
    QVERIFY(!QFile::exists(m_path + QLatin1String(".bad")));
    QVERIFY(library.setTemplate(QStringLiteral("t"), { ComposerMode::Text, QStringLiteral("x") }));
    QVERIFY(library.addToHistory({ ComposerMode::Text, QStringLiteral("sent") }));
    const QString problem = library.save();
    QVERIFY2(problem.contains(QStringLiteral("not saved")), qPrintable(problem));
    QCOMPARE(readFile(m_path), newer);
}

void TstComposerLibrary::olderBadFilesAreKept()
{
    // An earlier .bad may be the only copy of what was lost before: a new bad file goes next to it.
    writeFile(m_path + QLatin1String(".bad"), "first");
    writeFile(m_path, "second, not json");
    ComposerLibrary library;
    QString message = library.load();
    QVERIFY2(message.contains(QDir::toNativeSeparators(m_path + QLatin1String(".bad.2"))), qPrintable(message));
    QCOMPARE(readFile(m_path + QLatin1String(".bad")), QByteArray("first"));
    QCOMPARE(readFile(m_path + QLatin1String(".bad.2")), QByteArray("second, not json"));

    // A file with some bad entries is copied aside, to the next free name, and then written back.
    const QByteArray partly(R"({"format": "wsinspector-composer", "version": 1, "history": [{"mode": "x"}]})");
    writeFile(m_path, partly);
    message = library.load();
    QVERIFY2(message.contains(QDir::toNativeSeparators(m_path + QLatin1String(".bad.3"))), qPrintable(message));
    QCOMPARE(readFile(m_path + QLatin1String(".bad.3")), partly);
    QCOMPARE(readFile(m_path + QLatin1String(".bad.2")), QByteArray("second, not json"));
    QVERIFY(library.isWritable());
    QCOMPARE(library.save(), QString());
}

void TstComposerLibrary::unmovableFileIsNotSavedOver()
{
    // Every name it could go to is taken (permissions cannot stop the root user tests may run as).
    writeFile(m_path + QLatin1String(".bad"), "old");
    for (int n = 2; n <= 1000; ++n)
        writeFile(m_path + QLatin1String(".bad.") + QString::number(n), "old");
    const QByteArray broken("{ broken");
    writeFile(m_path, broken);
    ComposerLibrary library;
    const QString message = library.load();
    QVERIFY2(message.contains(QStringLiteral("nothing is saved over it")), qPrintable(message));
    QVERIFY(!library.isWritable());
    QVERIFY(library.addToHistory({ ComposerMode::Text, QStringLiteral("sent") }));
    QVERIFY(!library.save().isEmpty());
    QCOMPARE(readFile(m_path), broken);
}

void TstComposerLibrary::fileIsPrivate()
{
    writeFile(m_path, "{}"); // an existing file's permissions are not kept either
    QFile::setPermissions(m_path, QFile::permissions(m_path) | QFileDevice::ReadOther | QFileDevice::ReadGroup);
    ComposerLibrary library;
    QVERIFY(library.addToHistory({ ComposerMode::Text, QStringLiteral("Authorization: Bearer secret") }));
    QCOMPARE(library.save(), QString());
    const QFileDevice::Permissions others = QFileDevice::ReadGroup | QFileDevice::WriteGroup | QFileDevice::ExeGroup
        | QFileDevice::ReadOther | QFileDevice::WriteOther | QFileDevice::ExeOther;
    QCOMPARE(QFile::permissions(m_path) & others, QFileDevice::Permissions());
    QVERIFY(QFile::permissions(m_path) & QFileDevice::ReadOwner);
}

void TstComposerLibrary::templateLimits()
{
    ComposerLibrary library;
    for (int i = 0; i < ComposerLibrary::MaxTemplates; ++i)
        QVERIFY(library.setTemplate(QString::number(i), { ComposerMode::Text, QStringLiteral("x") }));
    QString error;
    QVERIFY(!library.setTemplate(QStringLiteral("one more"), { ComposerMode::Text, QStringLiteral("x") }, &error));
    QVERIFY2(error.contains(QString::number(ComposerLibrary::MaxTemplates)), qPrintable(error));
    QCOMPARE(library.templates().size(), ComposerLibrary::MaxTemplates);
    // Replacing one is no new template.
    QVERIFY(library.setTemplate(QStringLiteral("7"), { ComposerMode::Text, QStringLiteral("y") }, &error));

    ComposerLibrary big;
    const QString quarter(ComposerLibrary::MaxTotalTemplateChars / 4, u'q');
    for (int i = 0; i < 4; ++i)
        QVERIFY(big.setTemplate(QString::number(i), { ComposerMode::Text, quarter }, &error));
    error.clear();
    QVERIFY(!big.setTemplate(QStringLiteral("more"), { ComposerMode::Text, QStringLiteral("x") }, &error));
    QVERIFY2(error.contains(QStringLiteral("in all")), qPrintable(error));
    // Replacing one with something shorter fits.
    QVERIFY(big.setTemplate(QStringLiteral("0"), { ComposerMode::Text, QStringLiteral("short") }, &error));
    QVERIFY(big.setTemplate(QStringLiteral("more"), { ComposerMode::Text, QStringLiteral("x") }, &error));
}

QTEST_GUILESS_MAIN(TstComposerLibrary)
#include "tst_composerlibrary.moc"
