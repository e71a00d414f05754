#include "replyrulesdelegate.h"

#include "core/replyrulesmodel.h"
#include "timelinedelegate.h"

#include <QComboBox>
#include <QLineEdit>
#include <QSpinBox>

namespace wsi {

namespace {
// Tells a kind chosen from the list from one stepped to with the arrow keys, the wheel or a typed letter: a
// closed combo box emits activated() for those too, and committing on them would end the edit after one step.
class MatchEditor : public QComboBox
{
    Q_DISABLE_COPY_MOVE(MatchEditor)

public:
    using QComboBox::QComboBox;

    bool choosingFromList() const { return m_listShown; }

    void showPopup() override
    {
        m_listShown = true;
        QComboBox::showPopup();
    }
    void hidePopup() override
    {
        QComboBox::hidePopup();
        // activated() for the chosen item comes right after hidePopup(): the flag lasts until then.
        QMetaObject::invokeMethod(
            this, [this] { m_listShown = false; }, Qt::QueuedConnection);
    }

private:
    bool m_listShown = false;
};
} // namespace

ReplyRulesDelegate::ReplyRulesDelegate(QObject* parent)
    : QStyledItemDelegate(parent)
{ }

ReplyRulesDelegate::~ReplyRulesDelegate() = default;

QWidget* ReplyRulesDelegate::createEditor(
    QWidget* parent, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    switch (index.column()) {
    case ReplyRulesModel::MatchColumn: {
        auto* combo = new MatchEditor(parent);
        combo->setObjectName(QStringLiteral("matchEditor"));
        for (RuleMatch match : ReplyRulesModel::matchKinds())
            combo->addItem(ReplyRulesModel::matchDisplayName(match), int(match));
        // A choice made from the list is a choice meant: no extra Enter to commit it. Stepping with the keys
        // is not one yet; Enter or leaving the cell commits it.
        connect(combo, &QComboBox::activated, this, [this, combo] {
            if (!combo->choosingFromList())
                return;
            auto* self = const_cast<ReplyRulesDelegate*>(this);
            Q_EMIT self->commitData(combo);
            Q_EMIT self->closeEditor(combo, QAbstractItemDelegate::SubmitModelCache);
        });
        return combo;
    }
    case ReplyRulesModel::DelayColumn: {
        auto* spin = new QSpinBox(parent);
        spin->setObjectName(QStringLiteral("delayEditor"));
        spin->setRange(0, ReplyRulesModel::MaxDelayMs);
        spin->setSingleStep(100);
        spin->setAccelerated(true);
        return spin;
    }
    default: {
        QWidget* editor = QStyledItemDelegate::createEditor(parent, option, index);
        if (auto* line = qobject_cast<QLineEdit*>(editor))
            line->setMaxLength(MaxTextChars);
        return editor;
    }
    }
}

void ReplyRulesDelegate::setEditorData(QWidget* editor, const QModelIndex& index) const
{
    if (auto* combo = qobject_cast<QComboBox*>(editor); combo && index.column() == ReplyRulesModel::MatchColumn) {
        combo->setCurrentIndex(std::max(0, combo->findData(index.data(Qt::EditRole).toInt())));
        return;
    }
    if (auto* spin = qobject_cast<QSpinBox*>(editor); spin && index.column() == ReplyRulesModel::DelayColumn) {
        spin->setValue(index.data(Qt::EditRole).toInt());
        return;
    }
    QStyledItemDelegate::setEditorData(editor, index);
}

void ReplyRulesDelegate::setModelData(QWidget* editor, QAbstractItemModel* model, const QModelIndex& index) const
{
    if (auto* combo = qobject_cast<QComboBox*>(editor); combo && index.column() == ReplyRulesModel::MatchColumn) {
        model->setData(index, combo->currentData(), Qt::EditRole);
        return;
    }
    if (auto* spin = qobject_cast<QSpinBox*>(editor); spin && index.column() == ReplyRulesModel::DelayColumn) {
        spin->interpretText();
        model->setData(index, spin->value(), Qt::EditRole);
        return;
    }
    QStyledItemDelegate::setModelData(editor, model, index);
}

void ReplyRulesDelegate::initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const
{
    QStyledItemDelegate::initStyleOption(option, index);
    if (index.data(ReplyRulesModel::ErrorRole).toString().isEmpty())
        return;
    constexpr int Red = 0;
    const QColor tint = TimelineDelegate::tintColor(option->palette, Red);
    // The red must read on the tint, not just on the base.
    QPalette tinted = option->palette;
    tinted.setColor(QPalette::Base, tint);
    option->palette.setColor(QPalette::Text, TimelineDelegate::accentColor(tinted, Red));
    option->backgroundBrush = tint;
}

} // namespace wsi
