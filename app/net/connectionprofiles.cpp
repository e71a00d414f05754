#include "connectionprofiles.h"

#include "../core/configfile.h"
#include "../core/textposition.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QSaveFile>
#include <QStandardPaths>
#include <QUrl>

#include <limits>

namespace wsi {

namespace {
const QLatin1StringView FormatName("wsinspector-profiles");
const QLatin1StringView FileName("profiles.json");
// A hand-edited file should not be able to make the app read gigabytes.
constexpr qint64 MaxFileBytes = 16 * 1024 * 1024;

QString authKindName(ClientAuth::Kind kind)
{
    switch (kind) {
    case ClientAuth::Kind::None:
        break;
    case ClientAuth::Kind::Bearer:
        return QStringLiteral("bearer");
    case ClientAuth::Kind::Basic:
        return QStringLiteral("basic");
    }
    return QStringLiteral("none");
}

// Reads the fields of one JSON object, remembering the first one that is not what it must be. Missing keys
// keep their default; keys not asked for are ignored.
class FieldReader
{
    Q_DECLARE_TR_FUNCTIONS(wsi::ConnectionProfiles)

public:
    FieldReader(const QJsonObject& object, QString where)
        : m_object(object)
        , m_where(std::move(where))
    { }

    bool ok() const { return m_error.isEmpty(); }
    QString error() const { return m_error; }

    void text(const char* key, QString* out)
    {
        const QJsonValue v = m_object.value(QLatin1StringView(key));
        if (v.isUndefined() || v.isNull())
            return;
        if (!v.isString())
            return fail(key, tr("must be text"));
        *out = v.toString();
    }

    void flag(const char* key, bool* out)
    {
        const QJsonValue v = m_object.value(QLatin1StringView(key));
        if (v.isUndefined() || v.isNull())
            return;
        if (!v.isBool())
            return fail(key, tr("must be true or false"));
        *out = v.toBool();
    }

    void number(const char* key, int* out, int minimum = 0)
    {
        const QJsonValue v = m_object.value(QLatin1StringView(key));
        if (v.isUndefined() || v.isNull())
            return;
        const double d = v.toDouble(-1.0);
        if (!v.isDouble() || d != double(qint64(d)) || d < minimum || d > std::numeric_limits<int>::max())
            return fail(
                key, tr("must be a whole number from %1 to %2").arg(minimum).arg(std::numeric_limits<int>::max()));
        *out = int(d);
    }

    void textList(const char* key, QStringList* out)
    {
        const QJsonValue v = m_object.value(QLatin1StringView(key));
        if (v.isUndefined() || v.isNull())
            return;
        if (!v.isArray())
            return fail(key, tr("must be a list of texts"));
        QStringList items;
        for (const QJsonValue item : v.toArray()) {
            if (!item.isString())
                return fail(key, tr("must be a list of texts"));
            items << item.toString();
        }
        *out = items;
    }

    void headers(const char* key, QList<QPair<QByteArray, QByteArray>>* out)
    {
        const QJsonValue v = m_object.value(QLatin1StringView(key));
        if (v.isUndefined() || v.isNull())
            return;
        if (!v.isArray())
            return fail(key, tr("must be a list of [name, value] pairs"));
        QList<QPair<QByteArray, QByteArray>> headers;
        for (const QJsonValue item : v.toArray()) {
            const QJsonArray pair = item.toArray();
            if (!item.isArray() || pair.size() != 2 || !pair.at(0).isString() || !pair.at(1).isString())
                return fail(key, tr("must be a list of [name, value] pairs"));
            headers.append({ pair.at(0).toString().toUtf8(), pair.at(1).toString().toUtf8() });
        }
        *out = headers;
    }

    // An object inside this one; an empty object when missing.
    QJsonObject object(const char* key)
    {
        const QJsonValue v = m_object.value(QLatin1StringView(key));
        if (v.isUndefined() || v.isNull())
            return {};
        if (!v.isObject())
            fail(key, tr("must be an object"));
        return v.toObject();
    }

    void fail(const char* key, const QString& what)
    {
        if (m_error.isEmpty())
            m_error = tr("%1: \u201c%2\u201d %3").arg(m_where, QLatin1StringView(key), what);
    }

    // Takes over the first error of a reader of a nested object.
    void take(const FieldReader& nested)
    {
        if (m_error.isEmpty())
            m_error = nested.m_error;
    }

private:
    QJsonObject m_object;
    QString m_where;
    QString m_error;
};
} // namespace

ConnectionProfiles::ConnectionProfiles(const QString& path)
    : m_path(path.isEmpty() ? defaultPath() : path)
{ }

QString ConnectionProfiles::defaultPath()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation)).filePath(FileName);
}

QStringList ConnectionProfiles::names() const
{
    QStringList names;
    for (const ConnectionProfile& p : m_profiles)
        names << p.name;
    return names;
}

const ConnectionProfile* ConnectionProfiles::profile(const QString& name) const
{
    for (const ConnectionProfile& p : m_profiles) {
        if (p.name == name)
            return &p;
    }
    return nullptr;
}

void ConnectionProfiles::setProfile(const ConnectionProfile& profile)
{
    for (ConnectionProfile& p : m_profiles) {
        if (p.name == profile.name) {
            p = profile;
            return;
        }
    }
    m_profiles.append(profile);
}

bool ConnectionProfiles::removeProfile(const QString& name)
{
    return m_profiles.removeIf([&](const ConnectionProfile& p) { return p.name == name; }) > 0;
}

void ConnectionProfiles::addRecentUrl(const QString& text)
{
    // A password in the URL (ws://user:secret@host/) is not kept: the file is plain text, and the list is
    // offered to anyone typing in the URL field. Older files that kept one lose it on their next save.
    const QUrl parsed(text);
    const QString url = parsed.isValid() && !parsed.password().isEmpty() ? parsed.toString(QUrl::RemovePassword) : text;
    if (url.isEmpty())
        return;
    m_recentUrls.removeAll(url);
    m_recentUrls.prepend(url);
    while (m_recentUrls.size() > MaxRecentUrls)
        m_recentUrls.removeLast();
}

QJsonObject ConnectionProfiles::toJson(const ConnectionProfile& profile)
{
    const ClientOptions& o = profile.options;
    QJsonArray headers;
    for (const auto& [name, value] : o.headers)
        headers.append(QJsonArray { QString::fromUtf8(name), QString::fromUtf8(value) });
    const QJsonObject auth {
        { QStringLiteral("kind"), authKindName(o.auth.kind) },
        { QStringLiteral("token"), o.auth.token },
        { QStringLiteral("user"), o.auth.user },
        { QStringLiteral("password"), o.auth.password },
    };
    const QJsonObject reconnect {
        { QStringLiteral("enabled"), o.reconnect.enabled },
        { QStringLiteral("initialDelayMs"), o.reconnect.initialDelayMs },
        { QStringLiteral("maxDelayMs"), o.reconnect.maxDelayMs },
        { QStringLiteral("maxAttempts"), o.reconnect.maxAttempts },
    };
    return QJsonObject {
        { QStringLiteral("name"), profile.name },
        { QStringLiteral("url"), o.url.toString() },
        { QStringLiteral("headers"), headers },
        { QStringLiteral("subprotocols"), QJsonArray::fromStringList(o.subprotocols) },
        { QStringLiteral("origin"), o.origin },
        { QStringLiteral("auth"), auth },
        { QStringLiteral("ignoreCertificateErrors"), o.ignoreCertificateErrors },
        { QStringLiteral("pingIntervalMs"), o.pingIntervalMs },
        { QStringLiteral("reconnect"), reconnect },
    };
}

bool ConnectionProfiles::fromJson(const QJsonObject& object, ConnectionProfile* profile, QString* error)
{
    ConnectionProfile p;
    QString name;
    FieldReader fields(object, tr("a profile"));
    fields.text("name", &name);
    if (fields.ok() && name.trimmed().isEmpty())
        fields.fail("name", tr("is missing or empty"));
    if (fields.ok()) {
        p.name = name;
        fields = FieldReader(object, tr("profile \u201c%1\u201d").arg(name));
    }
    const QString where = tr("profile \u201c%1\u201d").arg(name);

    QString url;
    fields.text("url", &url);
    p.options.url = QUrl(url);
    fields.headers("headers", &p.options.headers);
    fields.textList("subprotocols", &p.options.subprotocols);
    fields.text("origin", &p.options.origin);
    fields.flag("ignoreCertificateErrors", &p.options.ignoreCertificateErrors);
    fields.number("pingIntervalMs", &p.options.pingIntervalMs);

    FieldReader auth(fields.object("auth"), where + tr(", auth"));
    QString kind = QStringLiteral("none");
    auth.text("kind", &kind);
    if (kind == u"none")
        p.options.auth.kind = ClientAuth::Kind::None;
    else if (kind == u"bearer")
        p.options.auth.kind = ClientAuth::Kind::Bearer;
    else if (kind == u"basic")
        p.options.auth.kind = ClientAuth::Kind::Basic;
    else
        auth.fail("kind", tr("must be \u201cnone\u201d, \u201cbearer\u201d or \u201cbasic\u201d"));
    auth.text("token", &p.options.auth.token);
    auth.text("user", &p.options.auth.user);
    auth.text("password", &p.options.auth.password);
    fields.take(auth);

    FieldReader reconnect(fields.object("reconnect"), where + tr(", reconnect"));
    reconnect.flag("enabled", &p.options.reconnect.enabled);
    reconnect.number("initialDelayMs", &p.options.reconnect.initialDelayMs);
    reconnect.number("maxDelayMs", &p.options.reconnect.maxDelayMs);
    reconnect.number("maxAttempts", &p.options.reconnect.maxAttempts);
    fields.take(reconnect);

    if (!fields.ok()) {
        if (error)
            *error = fields.error();
        return false;
    }
    *profile = p;
    return true;
}

bool ConnectionProfiles::fail(const QString& what, QString* error)
{
    m_profiles.clear();
    m_recentUrls.clear();
    // Moved aside rather than overwritten by the next save: it may hold work the user wants back.
    const QString bad = setAsideBadFile(m_path);
    QString where;
    if (!bad.isEmpty()) {
        where = tr("It was renamed to %1; repair it and rename it back to get the profiles back. WebSocket "
                   "Inspector goes on without profiles.")
                    .arg(QFileInfo(bad).fileName());
    } else {
        // Saving now would destroy the only copy.
        m_writable = false;
        where = tr("It could not be moved aside, so nothing is saved over it until it is repaired or removed.");
    }
    if (error) {
        *error = tr("Could not read the connection profiles in %1: %2. %3")
                     .arg(QDir::toNativeSeparators(m_path), what, where);
    }
    return false;
}

bool ConnectionProfiles::load(QString* error)
{
    m_profiles.clear();
    m_recentUrls.clear();
    m_writable = true;

    QFile file(m_path);
    if (!file.exists())
        return true;
    if (!file.open(QIODevice::ReadOnly))
        return fail(file.errorString(), error);
    if (file.size() > MaxFileBytes)
        return fail(tr("the file is larger than %1 MiB").arg(MaxFileBytes / (1024 * 1024)), error);
    const QByteArray data = file.readAll();
    file.close();

    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(data, &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        const TextPosition at = utf8TextPosition(data, parseError.offset);
        return fail(tr("line %1, column %2: %3").arg(at.line).arg(at.column).arg(parseError.errorString()), error);
    }
    if (!document.isObject())
        return fail(tr("the file does not hold a JSON object"), error);
    const QJsonObject root = document.object();

    const QJsonValue format = root.value(QLatin1StringView("format"));
    if (!format.isUndefined() && format.toString() != FormatName)
        return fail(tr("\u201cformat\u201d is not \u201c%1\u201d").arg(FormatName), error);
    int version = FormatVersion;
    FieldReader fields(root, tr("the file"));
    fields.number("version", &version, 1);
    if (!fields.ok())
        return fail(fields.error(), error);
    if (version > FormatVersion) {
        // Not moved aside and not overwritten: the newer version that wrote it still needs it.
        m_writable = false;
        if (error) {
            *error = tr("The connection profiles in %1 were written by a newer version of WebSocket Inspector "
                        "(format version %2; this one reads version %3). They are not used, and nothing is saved "
                        "over them in this session.")
                         .arg(QDir::toNativeSeparators(m_path))
                         .arg(version)
                         .arg(FormatVersion);
        }
        return false;
    }

    QStringList recent;
    fields.textList("recentUrls", &recent);
    if (!fields.ok())
        return fail(fields.error(), error);
    const QJsonValue list = root.value(QLatin1StringView("profiles"));
    if (!list.isUndefined() && !list.isNull() && !list.isArray())
        return fail(tr("\u201cprofiles\u201d must be a list"), error);

    QList<ConnectionProfile> profiles;
    const QJsonArray array = list.toArray();
    for (qsizetype i = 0; i < array.size(); ++i) {
        if (!array.at(i).isObject())
            return fail(tr("profile %1 is not an object").arg(i + 1), error);
        ConnectionProfile p;
        QString fieldError;
        if (!fromJson(array.at(i).toObject(), &p, &fieldError))
            return fail(tr("profile %1: %2").arg(i + 1).arg(fieldError), error);
        for (const ConnectionProfile& other : std::as_const(profiles)) {
            if (other.name == p.name)
                return fail(tr("two profiles are named \u201c%1\u201d").arg(p.name), error);
        }
        profiles.append(p);
    }

    m_profiles = profiles;
    // Oldest last, so that adding each in turn keeps the order while dropping duplicates and the excess.
    for (auto it = recent.crbegin(); it != recent.crend(); ++it)
        addRecentUrl(*it);
    return true;
}

bool ConnectionProfiles::save(QString* error) const
{
    auto failed = [&](const QString& why) {
        if (error)
            *error = tr("Could not save the connection profiles to %1: %2").arg(QDir::toNativeSeparators(m_path), why);
        return false;
    };
    if (!m_writable)
        return failed(tr("the file there could not be read by this version and is left as it is"));

    QJsonArray profiles;
    for (const ConnectionProfile& p : m_profiles)
        profiles.append(toJson(p));
    const QJsonObject root {
        { QStringLiteral("format"), QString(FormatName) },
        { QStringLiteral("version"), FormatVersion },
        { QStringLiteral("recentUrls"), QJsonArray::fromStringList(m_recentUrls) },
        { QStringLiteral("profiles"), profiles },
    };

    const QFileInfo info(m_path);
    if (!QDir().mkpath(info.absolutePath()))
        return failed(tr("could not create the folder %1").arg(QDir::toNativeSeparators(info.absolutePath())));
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly))
        return failed(file.errorString());
    // Tokens and passwords are in there: readable by the user only.
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(QJsonDocument(root).toJson(QJsonDocument::Indented));
    if (!file.commit())
        return failed(file.errorString());
    return true;
}

} // namespace wsi
