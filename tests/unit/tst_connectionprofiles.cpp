#include "net/connectionprofiles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <QTest>

using namespace wsi;

namespace {
ConnectionProfile fullProfile()
{
    ConnectionProfile p;
    p.name = QStringLiteral("Staging \u00e9t\u00e9");
    p.options.url = QUrl(QStringLiteral("wss://staging.example.com:8443/socket?v=2"));
    p.options.headers = { { "X-Api-Key", "k\xc3\xa9y" }, { "Cookie", "a=1; b=2" } };
    p.options.subprotocols = { QStringLiteral("graphql-ws"), QStringLiteral("chat") };
    p.options.origin = QStringLiteral("https://example.com");
    p.options.auth.kind = ClientAuth::Kind::Basic;
    p.options.auth.token = QStringLiteral("tok");
    p.options.auth.user = QStringLiteral("ann");
    p.options.auth.password = QStringLiteral("s3cr\u00eat:x");
    p.options.ignoreCertificateErrors = true;
    p.options.pingIntervalMs = 15000;
    p.options.reconnect.enabled = true;
    p.options.reconnect.initialDelayMs = 250;
    p.options.reconnect.maxDelayMs = 8000;
    p.options.reconnect.maxAttempts = 0;
    return p;
}

void compareOptions(const ClientOptions& a, const ClientOptions& b)
{
    QCOMPARE(a.url, b.url);
    QCOMPARE(a.headers, b.headers);
    QCOMPARE(a.subprotocols, b.subprotocols);
    QCOMPARE(a.origin, b.origin);
    QVERIFY(a.auth == b.auth);
    QCOMPARE(a.ignoreCertificateErrors, b.ignoreCertificateErrors);
    QCOMPARE(a.pingIntervalMs, b.pingIntervalMs);
    QVERIFY(a.reconnect == b.reconnect);
}

void writeFile(const QString& path, const QByteArray& data)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(data);
}

QByteArray readFile(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}
} // namespace

class TstConnectionProfiles : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void defaultPathIsInConfigDir();
    void missingFileIsEmpty();
    void roundTripEveryField();
    void authKinds_data();
    void authKinds();
    void replaceAndRemove();
    void recentUrlsOrderAndCap();
    void recentUrlsDropPasswords();
    void corruptFile_data();
    void corruptFile();
    void olderBadFileIsKept();
    void unknownKeysIgnored();
    void newerVersionRefused();
    void fileIsPrivate();

private:
    QString m_path;
};

void TstConnectionProfiles::initTestCase()
{
    QCoreApplication::setOrganizationName(QStringLiteral("wsinspector"));
    QCoreApplication::setApplicationName(QStringLiteral("wsinspector-tests"));
    QStandardPaths::setTestModeEnabled(true);
    m_path = ConnectionProfiles::defaultPath();
}

void TstConnectionProfiles::init()
{
    QDir dir = QFileInfo(m_path).absoluteDir();
    for (const QString& name : dir.entryList({ QStringLiteral("profiles.json*") }, QDir::Files))
        QVERIFY(dir.remove(name));
}

void TstConnectionProfiles::defaultPathIsInConfigDir()
{
    QCOMPARE(QFileInfo(m_path).fileName(), QStringLiteral("profiles.json"));
    QCOMPARE(QFileInfo(m_path).absolutePath(),
        QDir(QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation)).absolutePath());
    QCOMPARE(ConnectionProfiles().path(), m_path);
}

void TstConnectionProfiles::missingFileIsEmpty()
{
    ConnectionProfiles profiles;
    QString error = QStringLiteral("untouched");
    QVERIFY(profiles.load(&error));
    QVERIFY(profiles.profiles().isEmpty());
    QVERIFY(profiles.recentUrls().isEmpty());
    QVERIFY(profiles.isWritable());
}

void TstConnectionProfiles::roundTripEveryField()
{
    ConnectionProfiles profiles;
    const ConnectionProfile full = fullProfile();
    ConnectionProfile plain;
    plain.name = QStringLiteral("local");
    plain.options.url = QUrl(QStringLiteral("ws://127.0.0.1:8765/"));
    profiles.setProfile(full);
    profiles.setProfile(plain);
    profiles.addRecentUrl(QStringLiteral("ws://a/"));
    QString error;
    QVERIFY2(profiles.save(&error), qPrintable(error));
    QVERIFY(QFile::exists(m_path));

    ConnectionProfiles loaded;
    QVERIFY2(loaded.load(&error), qPrintable(error));
    QCOMPARE(loaded.names(), QStringList({ full.name, plain.name }));
    const ConnectionProfile* f = loaded.profile(full.name);
    QVERIFY(f);
    compareOptions(f->options, full.options);
    if (QTest::currentTestFailed())
        return;
    const ConnectionProfile* p = loaded.profile(plain.name);
    QVERIFY(p);
    compareOptions(p->options, plain.options);
    QCOMPARE(loaded.recentUrls(), QStringList({ QStringLiteral("ws://a/") }));
    QVERIFY(!loaded.profile(QStringLiteral("nope")));

    // The JSON form alone gives the same back.
    ConnectionProfile again;
    QVERIFY(ConnectionProfiles::fromJson(ConnectionProfiles::toJson(full), &again, &error));
    QCOMPARE(again.name, full.name);
    compareOptions(again.options, full.options);
}

void TstConnectionProfiles::authKinds_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("stored");
    QTest::newRow("none") << int(ClientAuth::Kind::None) << QStringLiteral("none");
    QTest::newRow("bearer") << int(ClientAuth::Kind::Bearer) << QStringLiteral("bearer");
    QTest::newRow("basic") << int(ClientAuth::Kind::Basic) << QStringLiteral("basic");
}

void TstConnectionProfiles::authKinds()
{
    QFETCH(int, kind);
    QFETCH(QString, stored);
    ConnectionProfile p;
    p.name = QStringLiteral("x");
    p.options.auth.kind = ClientAuth::Kind(kind);
    const QJsonObject json = ConnectionProfiles::toJson(p);
    QCOMPARE(json.value(QStringLiteral("auth")).toObject().value(QStringLiteral("kind")).toString(), stored);
    ConnectionProfile back;
    QString error;
    QVERIFY(ConnectionProfiles::fromJson(json, &back, &error));
    QCOMPARE(int(back.options.auth.kind), kind);
}

void TstConnectionProfiles::replaceAndRemove()
{
    ConnectionProfiles profiles;
    ConnectionProfile a;
    a.name = QStringLiteral("a");
    ConnectionProfile b;
    b.name = QStringLiteral("b");
    profiles.setProfile(a);
    profiles.setProfile(b);
    a.options.origin = QStringLiteral("https://o");
    profiles.setProfile(a); // replaced in place
    QCOMPARE(profiles.names(), QStringList({ QStringLiteral("a"), QStringLiteral("b") }));
    QCOMPARE(profiles.profile(QStringLiteral("a"))->options.origin, QStringLiteral("https://o"));
    QVERIFY(profiles.removeProfile(QStringLiteral("a")));
    QVERIFY(!profiles.removeProfile(QStringLiteral("a")));
    QCOMPARE(profiles.names(), QStringList({ QStringLiteral("b") }));
}

void TstConnectionProfiles::recentUrlsOrderAndCap()
{
    ConnectionProfiles profiles;
    for (int i = 0; i < 30; ++i)
        profiles.addRecentUrl(QStringLiteral("ws://h/%1").arg(i));
    QCOMPARE(profiles.recentUrls().size(), ConnectionProfiles::MaxRecentUrls);
    QCOMPARE(profiles.recentUrls().constFirst(), QStringLiteral("ws://h/29"));
    QCOMPARE(profiles.recentUrls().constLast(), QStringLiteral("ws://h/10"));

    // Used again: moves to the front, once.
    profiles.addRecentUrl(QStringLiteral("ws://h/15"));
    QCOMPARE(profiles.recentUrls().size(), ConnectionProfiles::MaxRecentUrls);
    QCOMPARE(profiles.recentUrls().at(0), QStringLiteral("ws://h/15"));
    QCOMPARE(profiles.recentUrls().at(1), QStringLiteral("ws://h/29"));
    QCOMPARE(profiles.recentUrls().count(QStringLiteral("ws://h/15")), 1);
    profiles.addRecentUrl(QString());
    QCOMPARE(profiles.recentUrls().at(0), QStringLiteral("ws://h/15"));

    QVERIFY(profiles.save());
    ConnectionProfiles loaded;
    QVERIFY(loaded.load());
    QCOMPARE(loaded.recentUrls(), profiles.recentUrls());

    // A hand-edited file with duplicates and too many: cleaned up on load, the first occurrence winning.
    QJsonArray urls;
    for (int i = 0; i < 25; ++i)
        urls.append(QStringLiteral("ws://x/%1").arg(i % 22));
    writeFile(m_path,
        QJsonDocument(QJsonObject { { QStringLiteral("version"), 1 }, { QStringLiteral("recentUrls"), urls } })
            .toJson());
    QVERIFY(loaded.load());
    QCOMPARE(loaded.recentUrls().size(), ConnectionProfiles::MaxRecentUrls);
    QCOMPARE(loaded.recentUrls().constFirst(), QStringLiteral("ws://x/0"));
    QCOMPARE(loaded.recentUrls().constLast(), QStringLiteral("ws://x/19"));
}

void TstConnectionProfiles::recentUrlsDropPasswords()
{
    ConnectionProfiles profiles;
    profiles.addRecentUrl(QStringLiteral("wss://alice:s3cret@example.com:8443/feed?room=1"));
    // The user name and query string stay; they tell URLs apart and the window warns about them.
    QCOMPARE(profiles.recentUrls(), QStringList({ QStringLiteral("wss://alice@example.com:8443/feed?room=1") }));
    // The same URL with another password is the same recent URL.
    profiles.addRecentUrl(QStringLiteral("wss://alice:other@example.com:8443/feed?room=1"));
    QCOMPARE(profiles.recentUrls().size(), 1);
    QVERIFY(profiles.save());
    QVERIFY(!readFile(m_path).contains("s3cret"));

    // A file that kept one (written before this rule) loses it on load.
    writeFile(m_path,
        QJsonDocument(QJsonObject { { QStringLiteral("version"), 1 },
                          { QStringLiteral("recentUrls"), QJsonArray { QStringLiteral("ws://bob:hunter2@h/") } } })
            .toJson());
    ConnectionProfiles loaded;
    QVERIFY(loaded.load());
    QCOMPARE(loaded.recentUrls(), QStringList({ QStringLiteral("ws://bob@h/") }));
}

void TstConnectionProfiles::corruptFile_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("expected"); // part of the message

    QTest::newRow("truncated") << QByteArray("{\n  \"version\": 1,\n  \"profiles\": [\n    {\"name\": \"a\"")
                               << QStringLiteral("line 4, column");
    QTest::newRow("garbage") << QByteArray("\x01\x02not json") << QStringLiteral("line 1, column");
    QTest::newRow("empty") << QByteArray() << QStringLiteral("line 1");
    QTest::newRow("array") << QByteArray("[1, 2]") << QStringLiteral("JSON object");
    QTest::newRow("wrong field type") << QByteArray(
        R"({"version": 1, "profiles": [{"name": "dev", "pingIntervalMs": "often"}]})")
                                      << QStringLiteral("\u201cpingIntervalMs\u201d");
    QTest::newRow("bad auth kind") << QByteArray(
        R"({"version": 1, "profiles": [{"name": "dev", "auth": {"kind": "digest"}}]})")
                                   << QStringLiteral("\u201ckind\u201d");
    QTest::newRow("bad header") << QByteArray(R"({"version": 1, "profiles": [{"name": "dev", "headers": [["X-A"]]}]})")
                                << QStringLiteral("\u201cheaders\u201d");
    QTest::newRow("negative attempts") << QByteArray(
        R"({"version": 1, "profiles": [{"name": "dev", "reconnect": {"maxAttempts": -1}}]})")
                                       << QStringLiteral("\u201cmaxAttempts\u201d");
    QTest::newRow("no name") << QByteArray(R"({"version": 1, "profiles": [{"url": "ws://a/"}]})")
                             << QStringLiteral("\u201cname\u201d");
    QTest::newRow("duplicate names") << QByteArray(R"({"version": 1, "profiles": [{"name": "a"}, {"name": "a"}]})")
                                     << QStringLiteral("two profiles");
    QTest::newRow("recent not a list") << QByteArray(R"({"version": 1, "recentUrls": "ws://a/"})")
                                       << QStringLiteral("\u201crecentUrls\u201d");
    QTest::newRow("version text") << QByteArray(R"({"version": "1"})") << QStringLiteral("\u201cversion\u201d");
}

void TstConnectionProfiles::corruptFile()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);
    writeFile(m_path, content);

    ConnectionProfiles profiles;
    ConnectionProfile stale;
    stale.name = QStringLiteral("stale");
    profiles.setProfile(stale);
    profiles.addRecentUrl(QStringLiteral("ws://stale/"));
    QString error;
    QVERIFY(!profiles.load(&error));
    QVERIFY2(error.contains(expected), qPrintable(error));
    QVERIFY2(error.contains(QDir::toNativeSeparators(m_path)), qPrintable(error)); // which file
    QVERIFY2(error.contains(QStringLiteral("profiles.json.bad")), qPrintable(error)); // where it went
    QVERIFY(profiles.profiles().isEmpty());
    QVERIFY(profiles.recentUrls().isEmpty());

    // Not lost: moved aside, byte for byte; the next save starts a fresh file.
    QVERIFY(!QFile::exists(m_path));
    QCOMPARE(readFile(m_path + QStringLiteral(".bad")), content);
    QVERIFY(profiles.isWritable());
    QVERIFY(profiles.save());
    QVERIFY(profiles.load());
    QCOMPARE(readFile(m_path + QStringLiteral(".bad")), content);
}

void TstConnectionProfiles::olderBadFileIsKept()
{
    writeFile(m_path + QStringLiteral(".bad"), "first");
    writeFile(m_path, "second");
    ConnectionProfiles profiles;
    QString error;
    QVERIFY(!profiles.load(&error));
    QVERIFY2(error.contains(QStringLiteral("profiles.json.bad.2")), qPrintable(error));
    QCOMPARE(readFile(m_path + QStringLiteral(".bad")), QByteArray("first"));
    QCOMPARE(readFile(m_path + QStringLiteral(".bad.2")), QByteArray("second"));
}

void TstConnectionProfiles::unknownKeysIgnored()
{
    writeFile(m_path, R"({
        "format": "wsinspector-profiles", "version": 1, "theme": "dark",
        "recentUrls": ["ws://b/", "ws://a/"],
        "profiles": [{
            "name": "dev", "url": "ws://dev:1/", "colour": "red",
            "auth": {"kind": "bearer", "token": "abc", "expires": 123},
            "reconnect": {"enabled": true, "jitter": 0.5}
        }]
    })");
    ConnectionProfiles profiles;
    QString error;
    QVERIFY2(profiles.load(&error), qPrintable(error));
    QCOMPARE(profiles.names(), QStringList({ QStringLiteral("dev") }));
    const ClientOptions& o = profiles.profile(QStringLiteral("dev"))->options;
    QCOMPARE(o.url, QUrl(QStringLiteral("ws://dev:1/")));
    QCOMPARE(o.auth.kind, ClientAuth::Kind::Bearer);
    QCOMPARE(o.auth.token, QStringLiteral("abc"));
    QVERIFY(o.reconnect.enabled);
    // Missing keys keep their defaults.
    QCOMPARE(o.reconnect.initialDelayMs, ReconnectPolicy().initialDelayMs);
    QCOMPARE(o.pingIntervalMs, 0);
    QVERIFY(o.headers.isEmpty());
    QCOMPARE(profiles.recentUrls(), QStringList({ QStringLiteral("ws://b/"), QStringLiteral("ws://a/") }));
    QVERIFY(!QFile::exists(m_path + QStringLiteral(".bad")));
}

void TstConnectionProfiles::newerVersionRefused()
{
    const QByteArray content = R"({"format": "wsinspector-profiles", "version": 7, "profiles": [{"name": "x"}]})";
    writeFile(m_path, content);
    ConnectionProfiles profiles;
    QString error;
    QVERIFY(!profiles.load(&error));
    QVERIFY2(error.contains(QStringLiteral("newer version")), qPrintable(error));
    QVERIFY2(error.contains(QStringLiteral("7")), qPrintable(error));
    QVERIFY2(error.contains(QDir::toNativeSeparators(m_path)), qPrintable(error));
    QVERIFY(profiles.profiles().isEmpty());

    // The newer version still needs its file: it is neither moved nor overwritten.
    QVERIFY(!profiles.isWritable());
    profiles.addRecentUrl(QStringLiteral("ws://a/"));
    QString saveError;
    QVERIFY(!profiles.save(&saveError));
    QVERIFY(!saveError.isEmpty());
    QCOMPARE(readFile(m_path), content);
    QVERIFY(!QFile::exists(m_path + QStringLiteral(".bad")));
}

void TstConnectionProfiles::fileIsPrivate()
{
    ConnectionProfiles profiles;
    profiles.setProfile(fullProfile());
    QVERIFY(profiles.save());
    const QFile::Permissions permissions = QFileInfo(m_path).permissions();
    QVERIFY(!(permissions & (QFile::ReadGroup | QFile::ReadOther)));
}

QTEST_GUILESS_MAIN(TstConnectionProfiles)
#include "tst_connectionprofiles.moc"
