#pragma once

#include <QStyledItemDelegate>

namespace wsi {

/*
 * Edits the cells of a ReplyRulesModel: the match as a combo box that commits as soon as a kind is chosen from
 * its list (the arrow keys step through the kinds, Enter commits), the delay as a spin box within the allowed
 * range, the rest as text of up to MaxTextChars. The row compile() found at fault is painted in the palette's
 * red on a red tint, so the error line under the table points at it.
 */
class ReplyRulesDelegate : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReplyRulesDelegate)

public:
    // For the text of a template or pattern: QLineEdit's default of 32,767 would cut a long reply short, silently.
    static constexpr int MaxTextChars = 16 * 1024 * 1024;

    explicit ReplyRulesDelegate(QObject* parent = nullptr);
    ~ReplyRulesDelegate() override;

    QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    void setEditorData(QWidget* editor, const QModelIndex& index) const override;
    void setModelData(QWidget* editor, QAbstractItemModel* model, const QModelIndex& index) const override;

protected:
    void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override;
};

} // namespace wsi
