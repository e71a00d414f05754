#include "core/configfile.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace wsi;

class TstConfigFile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void movesToTheFirstFreeName();
    void copyKeepsTheFile();
    void failsWhenNoNameIsFree();
    void missingFileFails();

private:
    static void write(const QString& path, const QByteArray& contents)
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(contents);
    }
    static QByteArray read(const QString& path)
    {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }
};

void TstConfigFile::movesToTheFirstFreeName()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("c.json"));
    write(path, "one");
    QCOMPARE(setAsideBadFile(path), path + QStringLiteral(".bad"));
    QVERIFY(!QFile::exists(path));
    write(path, "two");
    QCOMPARE(setAsideBadFile(path), path + QStringLiteral(".bad.2"));
    write(path, "three");
    QCOMPARE(setAsideBadFile(path, SetAside::Move), path + QStringLiteral(".bad.3"));
    QCOMPARE(read(path + QStringLiteral(".bad")), QByteArray("one"));
    QCOMPARE(read(path + QStringLiteral(".bad.2")), QByteArray("two"));
    QCOMPARE(read(path + QStringLiteral(".bad.3")), QByteArray("three"));
}

void TstConfigFile::copyKeepsTheFile()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("c.json"));
    write(path + QStringLiteral(".bad"), "older");
    write(path, "partly good");
    QCOMPARE(setAsideBadFile(path, SetAside::Copy), path + QStringLiteral(".bad.2"));
    QCOMPARE(read(path), QByteArray("partly good"));
    QCOMPARE(read(path + QStringLiteral(".bad.2")), QByteArray("partly good"));
    QCOMPARE(read(path + QStringLiteral(".bad")), QByteArray("older"));
}

void TstConfigFile::failsWhenNoNameIsFree()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("c.json"));
    write(path + QStringLiteral(".bad"), "old");
    for (int n = 2; n <= 1000; ++n)
        write(path + QStringLiteral(".bad.") + QString::number(n), "old");
    write(path, "new");
    QString error;
    QCOMPARE(setAsideBadFile(path, SetAside::Move, &error), QString());
    QVERIFY(!error.isEmpty());
    QCOMPARE(read(path), QByteArray("new"));
    QCOMPARE(read(path + QStringLiteral(".bad.1000")), QByteArray("old"));
}

void TstConfigFile::missingFileFails()
{
    QTemporaryDir dir;
    QString error;
    QCOMPARE(setAsideBadFile(dir.filePath(QStringLiteral("none.json")), SetAside::Move, &error), QString());
    QVERIFY(!error.isEmpty());
}

QTEST_GUILESS_MAIN(TstConfigFile)
#include "tst_configfile.moc"
