#include "recentfilesmenu.h"

#include <QAction>
#include <QDir>
#include <QFileInfo>
#include <QSettings>

namespace wsi {

namespace {
const QString settingsKey = QStringLiteral("recentFiles");

void store(const QStringList& files)
{
    QSettings settings;
    if (files.isEmpty())
        settings.remove(settingsKey);
    else
        settings.setValue(settingsKey, files);
}
} // namespace

RecentFilesMenu::RecentFilesMenu(QWidget* parent)
    : QMenu(tr("Open &Recent"), parent)
{
    setObjectName(QStringLiteral("recentFilesMenu"));
    // Another window may have added a file since: the settings are the list, the menu only shows it.
    connect(this, &QMenu::aboutToShow, this, &RecentFilesMenu::refresh);
    refresh();
}

QStringList RecentFilesMenu::files()
{
    QStringList files = QSettings().value(settingsKey).toStringList();
    files.removeAll(QString());
    return files.mid(0, MaxFiles);
}

void RecentFilesMenu::addFile(const QString& path)
{
    const QString absolute = QFileInfo(path).absoluteFilePath();
    QStringList list = files();
    list.removeAll(absolute);
    list.prepend(absolute);
    store(list.mid(0, MaxFiles));
}

void RecentFilesMenu::removeFile(const QString& path)
{
    QStringList list = files();
    if (list.removeAll(QFileInfo(path).absoluteFilePath()) + list.removeAll(path) > 0)
        store(list);
}

void RecentFilesMenu::clearFiles()
{
    store({});
}

void RecentFilesMenu::refresh()
{
    QMenu::clear();
    const QStringList list = files();
    QStringList names;
    for (const QString& path : list)
        names << QFileInfo(path).fileName();
    for (qsizetype i = 0; i < list.size(); ++i) {
        const QString& path = list.at(i);
        // The name is what one recognises; the folder tells apart two of the same name.
        const QFileInfo info(path);
        QString text = info.fileName();
        if (names.count(info.fileName()) > 1)
            text += QLatin1String(" (") + QDir::toNativeSeparators(info.path()) + u')';
        text.replace(u'&', QLatin1String("&&"));
        if (i < 9)
            text = QStringLiteral("&%1 %2").arg(QString::number(i + 1), text);
        QAction* action = addAction(text);
        action->setToolTip(QDir::toNativeSeparators(path));
        action->setStatusTip(QDir::toNativeSeparators(path));
        action->setData(path);
        connect(action, &QAction::triggered, this, [this, path] { Q_EMIT fileChosen(path); });
    }
    if (list.isEmpty()) {
        QAction* none = addAction(tr("No recent files"));
        none->setEnabled(false);
    }
    addSeparator();
    QAction* clearAction = addAction(tr("&Clear Menu"));
    clearAction->setObjectName(QStringLiteral("clearRecentFilesAction"));
    clearAction->setEnabled(!list.isEmpty());
    connect(clearAction, &QAction::triggered, this, [this] {
        clearFiles();
        refresh();
    });
}

} // namespace wsi
