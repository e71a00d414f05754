#include "shortcutsdialog.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QHeaderView>
#include <QKeySequence>
#include <QSet>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace wsi {

namespace {

QString plainText(const QAction* action)
{
    QString text = action->text();
    // "&&" is a literal ampersand; a single one marks the mnemonic.
    text.replace(QLatin1StringView("&&"), QStringLiteral("\x01"));
    text.remove(u'&');
    text.replace(u'\x01', u'&');
    return text;
}

QString whereText(const QAction* action)
{
    const Qt::ShortcutContext context = action->shortcutContext();
    if (context == Qt::WindowShortcut || context == Qt::ApplicationShortcut)
        return ShortcutsDialog::tr("Anywhere in the window");
    for (const QObject* o = action->parent(); o; o = o->parent()) {
        if (const auto* dock = qobject_cast<const QDockWidget*>(o))
            return ShortcutsDialog::tr("%1 pane").arg(dock->windowTitle());
    }
    const auto* widget = qobject_cast<const QWidget*>(action->parent());
    if (widget && !widget->accessibleName().isEmpty())
        return widget->accessibleName();
    return ShortcutsDialog::tr("Where the focus is");
}

} // namespace

ShortcutsDialog::ShortcutsDialog(QWidget* window, QWidget* parent)
    : QDialog(parent)
    , m_table(new QTableWidget(this))
{
    setObjectName(QStringLiteral("shortcutsDialog"));
    setWindowTitle(tr("Keyboard Shortcuts"));
    const QList<Entry> list = entries(window);
    m_table->setObjectName(QStringLiteral("shortcutsTable"));
    m_table->setColumnCount(3);
    m_table->setHorizontalHeaderLabels({ tr("Action"), tr("Keys"), tr("Where") });
    m_table->setRowCount(int(list.size()));
    for (int row = 0; row < list.size(); ++row) {
        m_table->setItem(row, 0, new QTableWidgetItem(list[row].action));
        m_table->setItem(row, 1, new QTableWidgetItem(list[row].keys));
        m_table->setItem(row, 2, new QTableWidgetItem(list[row].where));
    }
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->resizeColumnsToContents();

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_table);
    layout->addWidget(buttons);
    resize(640, 520);
}

QList<ShortcutsDialog::Entry> ShortcutsDialog::entries(const QWidget* window)
{
    QList<Entry> list;
    QSet<const QAction*> seen;
    for (const QAction* action : window->findChildren<QAction*>()) {
        if (action->shortcuts().isEmpty() || action->isSeparator() || seen.contains(action))
            continue;
        seen.insert(action);
        // Actions that only carry a key (no menu text) are described by their tool tip; one with neither cannot
        // be told apart from the others, so it is left out rather than listed blank.
        QString text = plainText(action);
        if (text.isEmpty())
            text = action->toolTip();
        if (text.isEmpty())
            continue;
        QStringList keys;
        for (const QKeySequence& key : action->shortcuts())
            keys << key.toString(QKeySequence::NativeText);
        list.push_back({ text, keys.join(QLatin1StringView(", ")), whereText(action) });
    }
    std::sort(list.begin(), list.end(),
        [](const Entry& a, const Entry& b) { return a.action.localeAwareCompare(b.action) < 0; });
    return list;
}

} // namespace wsi
