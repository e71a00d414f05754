#pragma once

#include "replyrules.h"

#include <QAbstractTableModel>
#include <QList>

#include <memory>

namespace wsi {

/*
 * The auto-reply rules as an editable table, one row per rule, in the order they are asked. The table may hold
 * rules that do not compile (a half-typed regex, a JSON value with a typo): nothing the user typed is thrown
 * away, and compile() says what is wrong and marks the row at fault (ErrorRole), while the owner keeps the last
 * rules that did compile running. The value of a JSON field rule is kept as the text the user typed and parsed
 * by compile(). The pattern column shows the pattern, or the path for a JSON field rule; switching a rule's match
 * keeps both, so switching back loses nothing.
 */
class ReplyRulesModel : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReplyRulesModel)

public:
    enum Column {
        EnabledColumn, // check box, no text
        NameColumn,
        MatchColumn, // EditRole: int(RuleMatch)
        PatternColumn, // pattern, or path for JsonField
        ValueColumn, // JsonField only: JSON text
        CaseColumn, // check box; not for JsonField
        ReplyColumn,
        DelayColumn, // EditRole: int, 0 to MaxDelayMs
        ColumnCount
    };
    Q_ENUM(Column)
    enum Role {
        ErrorRole = Qt::UserRole + 1, // QString: why this rule does not compile (empty: it is fine, or unknown)
    };

    static constexpr int MaxDelayMs = ReplyRules::MaxDelayMs;

    explicit ReplyRulesModel(QObject* parent = nullptr);
    ~ReplyRulesModel() override;

    // The rules as they stand; the value of a JSON field rule whose text is not JSON is undefined.
    QList<ReplyRule> rules() const;
    void setRules(const QList<ReplyRule>& rules);
    ReplyRule rule(int row) const;

    // Inserts a rule before row (rowCount(): at the end); returns its row.
    int insertRule(int row, const ReplyRule& rule = {});
    // Inserts a copy of row right below it; returns the copy's row, -1 for a bad row.
    int duplicateRule(int row);
    bool moveRule(int from, int to);

    // Checks and compiles the rules as they stand. On the first bad rule returns null and the reason, and marks
    // that row (ErrorRole); on success clears the mark.
    std::shared_ptr<const ReplyRules> compile(QString* error);
    // The row compile() last found at fault, -1 when none.
    int errorRow() const { return m_errorRow; }

    // The names shown in the match column, in RuleMatch order.
    static QString matchDisplayName(RuleMatch match);
    static QList<RuleMatch> matchKinds();

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role = Qt::EditRole) override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool insertRows(int row, int count, const QModelIndex& parent = {}) override;
    bool removeRows(int row, int count, const QModelIndex& parent = {}) override;
    bool moveRows(const QModelIndex& sourceParent, int sourceRow, int count, const QModelIndex& destinationParent,
        int destinationChild) override;

Q_SIGNALS:
    // The rules changed (an edit, rows inserted, removed or moved, new rules set): time to compile them again.
    void rulesChanged();

private:
    struct Row
    {
        ReplyRule rule;
        QString valueText; // JsonField: the value as typed
    };

    static Row rowFor(const ReplyRule& rule);
    bool isCell(const QModelIndex& index) const;
    // The value typed for a JSON field rule, parsed; an empty optional and the reason when it is not JSON.
    static std::optional<QJsonValue> parseValue(const QString& text, QString* error);
    void setErrorRow(int row, const QString& error);

    QList<Row> m_rows;
    int m_errorRow = -1;
    QString m_error;
};

} // namespace wsi
