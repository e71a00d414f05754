#pragma once

#include <QDialog>
#include <QList>
#include <QString>

class QTableWidget;

namespace wsi {

/*
 * Help › Keyboard Shortcuts: every action of a window that has a shortcut, read from the actions themselves when
 * the dialog opens, so the list cannot drift from what the keys do. Shortcuts that work only while a pane has the
 * focus say which pane.
 */
class ShortcutsDialog : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ShortcutsDialog)

public:
    struct Entry
    {
        QString action; // the action's text, without mnemonics
        QString keys; // its shortcuts, as the platform writes them, separated by commas
        QString where; // "Anywhere in the window" or the pane the focus must be in
    };

    explicit ShortcutsDialog(QWidget* window, QWidget* parent = nullptr);

    // The entries for window's actions, sorted by action text.
    static QList<Entry> entries(const QWidget* window);

private:
    QTableWidget* m_table;
};

} // namespace wsi
