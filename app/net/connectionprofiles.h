#pragma once

#include "endpointoptions.h"

#include <QCoreApplication>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace wsi {

// A named set of client options: what the user fills in the window's connection form.
struct ConnectionProfile
{
    QString name;
    ClientOptions options;
};

/*
 * The user's saved connection profiles and the URLs they connected to lately, kept in one JSON file
 * (profiles.json in the application's config directory). Only what the connection form sets is stored (URL,
 * headers, subprotocols, Origin, auth, certificate checking, keep-alive and reconnection); limits stay at
 * their defaults. Secrets (tokens, passwords) are stored as they are, in plain text: the window says so.
 * Recent URLs are kept without their password, but with their query string (which may hold a token too).
 *
 * The file is written whole and atomically (QSaveFile), so a crash never leaves half a file. A file that
 * cannot be read, is not JSON or holds a field of the wrong type is moved aside to profiles.json.bad (or
 * .bad.2, ... when an older one is there: setAsideBadFile) for the user to repair, and loading goes on with no
 * profiles; a file written by a newer version, or one that could not be moved aside, is left alone and nothing
 * is saved over it for this run. Keys this version does not know are ignored.
 */
class ConnectionProfiles
{
    Q_DECLARE_TR_FUNCTIONS(wsi::ConnectionProfiles)

public:
    static constexpr int FormatVersion = 1;
    static constexpr int MaxRecentUrls = 20;

    // An empty path means defaultPath().
    explicit ConnectionProfiles(const QString& path = {});

    // AppConfigLocation/profiles.json.
    static QString defaultPath();
    QString path() const { return m_path; }

    // Replaces what is held with the file's content. A missing file is not an error (no profiles yet). On
    // failure, returns false, holds nothing, and error says what went wrong, with the file name, the JSON line
    // and column or the field, and where the file went.
    bool load(QString* error = nullptr);
    // Writes everything to the file; false with the reason when it could not.
    bool save(QString* error = nullptr) const;
    // False after loading a file of a newer version, or one that could not be moved aside: saving would lose it.
    bool isWritable() const { return m_writable; }

    const QList<ConnectionProfile>& profiles() const { return m_profiles; }
    QStringList names() const;
    // Null when there is no profile of that name.
    const ConnectionProfile* profile(const QString& name) const;
    // Adds the profile, or replaces the one with the same name (in place).
    void setProfile(const ConnectionProfile& profile);
    bool removeProfile(const QString& name);

    // Most recent first, without duplicates, at most MaxRecentUrls. A URL's password is dropped (its user name
    // and query string are kept).
    const QStringList& recentUrls() const { return m_recentUrls; }
    void addRecentUrl(const QString& url);

    // The profile as stored in the file, and back. fromJson returns false with the offending field in error.
    static QJsonObject toJson(const ConnectionProfile& profile);
    static bool fromJson(const QJsonObject& object, ConnectionProfile* profile, QString* error);

private:
    bool fail(const QString& what, QString* error);

    QString m_path;
    QList<ConnectionProfile> m_profiles;
    QStringList m_recentUrls;
    bool m_writable = true;
};

} // namespace wsi
