#pragma once

#include <QMenu>
#include <QStringList>

namespace wsi {

/*
 * File › Open Recent: the session files opened or saved last, newest first, kept in the user's settings
 * (QSettings key "recentFiles", at most MaxFiles) so that every window and the next start see the same list. The
 * menu reads the settings each time it is about to show; choosing a file emits fileChosen, whether or not the file
 * is still there (the window says so, and calls removeFile()).
 */
class RecentFilesMenu : public QMenu
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RecentFilesMenu)

public:
    static constexpr int MaxFiles = 10;

    explicit RecentFilesMenu(QWidget* parent = nullptr);

    // The list in the settings, newest first.
    static QStringList files();
    // Puts path (made absolute) first, dropping an older entry of it and what is beyond MaxFiles.
    static void addFile(const QString& path);
    static void removeFile(const QString& path);
    static void clearFiles();

    // Rebuilds the entries from the settings (done each time the menu is about to show).
    void refresh();

Q_SIGNALS:
    void fileChosen(const QString& path);
};

} // namespace wsi
