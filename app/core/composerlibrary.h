#pragma once

#include "composermessage.h"

#include <QCoreApplication>
#include <QList>
#include <QString>

namespace wsi {

/*
 * What the composer remembers between runs: named templates, the last sent messages (newest last) and its
 * options, kept in one JSON file (by default composer.json in the application's config directory). Loading never
 * fails the composer: a file that cannot be read is moved aside as composer.json.bad (or .bad.2, ... when an
 * older one is there) for the user to look at, load() says so, and the library starts empty. A file written by
 * a newer version is left alone, and nothing is saved over it (nor over a file that could not be moved aside)
 * during this run. Saving replaces the file atomically (QSaveFile) and makes it readable by the user only, as
 * messages often hold tokens. No widgets: the composer pane and tests use it alike.
 */
class ComposerLibrary
{
    Q_DECLARE_TR_FUNCTIONS(wsi::ComposerLibrary)

public:
    static constexpr int MaxHistory = 100;
    // A longer message is sent but not kept in the history, which is written to disk soon after a send.
    static constexpr qsizetype MaxHistoryTextChars = qsizetype(64) << 10;
    static constexpr qsizetype MaxTemplateTextChars = qsizetype(4) << 20;
    // The whole library is rewritten at each change: these keep that quick.
    static constexpr int MaxTemplates = 1000;
    static constexpr qsizetype MaxTotalTemplateChars = qsizetype(16) << 20;
    static constexpr qsizetype MaxNameChars = 100;
    // A file larger than this is not read (the library writes nothing near it).
    static constexpr qint64 MaxFileBytes = qint64(256) << 20;

    struct Template
    {
        QString name;
        ComposerMessage message;

        bool operator==(const Template&) const = default;
    };

    // The file in QStandardPaths::AppConfigLocation.
    static QString defaultPath();

    explicit ComposerLibrary(const QString& path = defaultPath());

    QString path() const { return m_path; }

    // Replaces the contents with the file's. Returns an empty string when the file was read or does not
    // exist; otherwise what went wrong and where the bad file was kept. The library is then empty (or holds
    // the entries that could be read).
    QString load();
    // Writes the file; returns an empty string on success, otherwise why it failed.
    QString save() const;
    // False after loading a file that must not be saved over (see above): save() then refuses.
    bool isWritable() const { return m_writable; }

    // Sorted by name, ignoring case.
    const QList<Template>& templates() const { return m_templates; }
    QStringList templateNames() const;
    const Template* findTemplate(const QString& name) const;
    // Adds a template, or replaces the one of that name (names are unique, ignoring case). False with a reason
    // for an empty or too long name, a message too long to keep, or a library that would exceed MaxTemplates
    // or MaxTotalTemplateChars.
    bool setTemplate(const QString& name, const ComposerMessage& message, QString* error = nullptr);
    // False with a reason when from is unknown, to is not a valid name or another template has it.
    bool renameTemplate(const QString& from, const QString& to, QString* error = nullptr);
    bool removeTemplate(const QString& name);

    // Oldest first, at most MaxHistory.
    const QList<ComposerMessage>& history() const { return m_history; }
    // Appends a sent message, unless it repeats the newest entry or is longer than MaxHistoryTextChars;
    // returns whether the history changed. The oldest entries go beyond MaxHistory.
    bool addToHistory(const ComposerMessage& message);
    void clearHistory() { m_history.clear(); }

    bool clearAfterSend() const { return m_clearAfterSend; }
    void setClearAfterSend(bool clear) { m_clearAfterSend = clear; }

    // Trimmed name, or an empty string with the reason in error.
    static QString validName(const QString& name, QString* error);

private:
    int indexOf(const QString& name) const;
    void sortTemplates();
    // Moves the unreadable file aside; returns the message for the caller.
    QString keepBadFile(const QString& problem);

    QString m_path;
    QList<Template> m_templates;
    QList<ComposerMessage> m_history;
    bool m_clearAfterSend = false;
    bool m_writable = true;
};

} // namespace wsi
