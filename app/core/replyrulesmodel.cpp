#include "replyrulesmodel.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

namespace wsi {

ReplyRulesModel::ReplyRulesModel(QObject* parent)
    : QAbstractTableModel(parent)
{ }

ReplyRulesModel::~ReplyRulesModel() = default;

QString ReplyRulesModel::matchDisplayName(RuleMatch match)
{
    switch (match) {
    case RuleMatch::Exact:
        return tr("Exact");
    case RuleMatch::Substring:
        return tr("Contains");
    case RuleMatch::Regex:
        return tr("Regex");
    case RuleMatch::JsonField:
        return tr("JSON field");
    }
    return {};
}

QList<RuleMatch> ReplyRulesModel::matchKinds()
{
    return { RuleMatch::Exact, RuleMatch::Substring, RuleMatch::Regex, RuleMatch::JsonField };
}

ReplyRulesModel::Row ReplyRulesModel::rowFor(const ReplyRule& rule)
{
    Row row { rule, QString() };
    if (rule.match == RuleMatch::JsonField && !rule.value.isUndefined()) {
        // QJsonDocument writes arrays and objects only; the brackets of a one-element array are cut off.
        const QByteArray json = QJsonDocument(QJsonArray { rule.value }).toJson(QJsonDocument::Compact);
        row.valueText = QString::fromUtf8(json.mid(1, json.size() - 2));
    }
    return row;
}

bool ReplyRulesModel::isCell(const QModelIndex& index) const
{
    // Not checkIndex(): views and the model tester ask about the invalid index, which is no mistake.
    return index.isValid() && index.model() == this && index.row() < m_rows.size() && index.column() < ColumnCount;
}

std::optional<QJsonValue> ReplyRulesModel::parseValue(const QString& text, QString* error)
{
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty()) {
        *error = tr("a JSON value to compare with is needed, e.g. \"subscribe\", 42 or true");
        return std::nullopt;
    }
    // Wrapped in an array so that any value parses, not only objects and arrays.
    const QByteArray wrapped = '[' + trimmed.toUtf8() + ']';
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(wrapped, &parseError);
    if (parseError.error != QJsonParseError::NoError || document.array().size() != 1) {
        *error = tr("the value is not JSON (text goes in double quotes, e.g. \"subscribe\")");
        return std::nullopt;
    }
    return document.array().at(0);
}

QList<ReplyRule> ReplyRulesModel::rules() const
{
    QList<ReplyRule> result;
    result.reserve(m_rows.size());
    for (int row = 0; row < m_rows.size(); ++row)
        result.append(rule(row));
    return result;
}

ReplyRule ReplyRulesModel::rule(int row) const
{
    if (row < 0 || row >= m_rows.size())
        return {};
    const Row& r = m_rows.at(row);
    ReplyRule rule = r.rule;
    if (rule.match == RuleMatch::JsonField) {
        QString ignored;
        rule.value = parseValue(r.valueText, &ignored).value_or(QJsonValue(QJsonValue::Undefined));
    }
    return rule;
}

void ReplyRulesModel::setRules(const QList<ReplyRule>& rules)
{
    beginResetModel();
    m_rows.clear();
    m_rows.reserve(rules.size());
    for (const ReplyRule& rule : rules)
        m_rows.append(rowFor(rule));
    m_errorRow = -1;
    m_error.clear();
    endResetModel();
    Q_EMIT rulesChanged();
}

int ReplyRulesModel::insertRule(int row, const ReplyRule& rule)
{
    row = std::clamp(row, 0, int(m_rows.size()));
    setErrorRow(-1, {});
    beginInsertRows({}, row, row);
    m_rows.insert(row, rowFor(rule));
    endInsertRows();
    Q_EMIT rulesChanged();
    return row;
}

int ReplyRulesModel::duplicateRule(int row)
{
    if (row < 0 || row >= m_rows.size())
        return -1;
    const Row copy = m_rows.at(row);
    setErrorRow(-1, {});
    beginInsertRows({}, row + 1, row + 1);
    m_rows.insert(row + 1, copy);
    endInsertRows();
    Q_EMIT rulesChanged();
    return row + 1;
}

bool ReplyRulesModel::moveRule(int from, int to)
{
    if (from < 0 || from >= m_rows.size() || to < 0 || to >= m_rows.size() || from == to)
        return false;
    // moveRows wants the row the moved one goes before, counted before the move.
    return moveRows({}, from, 1, {}, to > from ? to + 1 : to);
}

std::shared_ptr<const ReplyRules> ReplyRulesModel::compile(QString* error)
{
    QString reason;
    // A value that is not JSON is this model's finding; it is reported in its place in the order of the rules,
    // after whatever the rules before it have wrong.
    int badValueRow = -1;
    QString badValueReason;
    for (int row = 0; row < m_rows.size() && badValueRow < 0; ++row) {
        if (m_rows.at(row).rule.match == RuleMatch::JsonField && !parseValue(m_rows.at(row).valueText, &badValueReason))
            badValueRow = row;
    }
    const QList<ReplyRule> all = rules();
    const QList<ReplyRule> checked = badValueRow < 0 ? all : all.mid(0, badValueRow);
    // Once per edit, on the GUI thread: compile() says which rule failed, so nothing is compiled twice.
    int failedRow = -1;
    std::shared_ptr<const ReplyRules> compiled = ReplyRules::compile(checked, &reason, &failedRow);
    if (!compiled) {
        setErrorRow(std::min(failedRow, int(checked.size()) - 1), reason);
        if (error)
            *error = reason;
        return nullptr;
    }
    if (badValueRow >= 0) {
        const QString name = m_rows.at(badValueRow).rule.name;
        reason = name.isEmpty() ? tr("rule %1: %2").arg(badValueRow + 1).arg(badValueReason)
                                : tr("rule %1 (%2): %3").arg(badValueRow + 1).arg(name, badValueReason);
        setErrorRow(badValueRow, reason);
        if (error)
            *error = reason;
        return nullptr;
    }
    setErrorRow(-1, {});
    if (error)
        error->clear();
    return compiled;
}

void ReplyRulesModel::setErrorRow(int row, const QString& error)
{
    const int old = m_errorRow;
    if (old == row && m_error == error)
        return;
    m_errorRow = row;
    m_error = error;
    if (old >= 0 && old < m_rows.size() && old != row)
        Q_EMIT dataChanged(index(old, 0), index(old, ColumnCount - 1), { ErrorRole, Qt::ToolTipRole });
    if (row >= 0 && row < m_rows.size())
        Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1), { ErrorRole, Qt::ToolTipRole });
}

int ReplyRulesModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ReplyRulesModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ReplyRulesModel::data(const QModelIndex& index, int role) const
{
    if (!isCell(index))
        return {};
    const Row& row = m_rows.at(index.row());
    const ReplyRule& rule = row.rule;
    const bool json = rule.match == RuleMatch::JsonField;
    if (role == ErrorRole)
        return index.row() == m_errorRow ? m_error : QString();

    switch (index.column()) {
    case EnabledColumn:
        if (role == Qt::CheckStateRole)
            return rule.enabled ? Qt::Checked : Qt::Unchecked;
        if (role == Qt::ToolTipRole)
            return index.row() == m_errorRow ? m_error : tr("Whether this rule answers messages");
        break;
    case NameColumn:
        if (role == Qt::DisplayRole || role == Qt::EditRole)
            return rule.name;
        break;
    case MatchColumn:
        if (role == Qt::DisplayRole)
            return matchDisplayName(rule.match);
        if (role == Qt::EditRole)
            return int(rule.match);
        break;
    case PatternColumn:
        if (role == Qt::DisplayRole || role == Qt::EditRole)
            return json ? rule.path : rule.pattern;
        if (role == Qt::ToolTipRole && index.row() != m_errorRow) {
            return json ? tr("The field to look at: a dotted path, numbers index arrays (items.0.id)")
                        : tr("What the message is compared with");
        }
        break;
    case ValueColumn:
        if (json && (role == Qt::DisplayRole || role == Qt::EditRole))
            return row.valueText;
        if (role == Qt::ToolTipRole && index.row() != m_errorRow) {
            return json ? tr("The JSON value the field must equal: \"text\", 42, true, null, {...}")
                        : tr("Only JSON field rules compare a value");
        }
        break;
    case CaseColumn:
        if (!json && role == Qt::CheckStateRole)
            return rule.caseSensitive ? Qt::Checked : Qt::Unchecked;
        if (role == Qt::ToolTipRole && index.row() != m_errorRow)
            return json ? tr("JSON values are compared exactly") : tr("Whether upper and lower case must match");
        break;
    case ReplyColumn:
        if (role == Qt::DisplayRole || role == Qt::EditRole)
            return rule.reply;
        if (role == Qt::ToolTipRole && index.row() != m_errorRow && !rule.reply.isEmpty())
            return rule.reply;
        break;
    case DelayColumn:
        if (role == Qt::DisplayRole || role == Qt::EditRole)
            return rule.delayMs;
        if (role == Qt::TextAlignmentRole)
            return int(Qt::AlignRight | Qt::AlignVCenter);
        break;
    default:
        break;
    }
    if (role == Qt::ToolTipRole && index.row() == m_errorRow)
        return m_error;
    return {};
}

bool ReplyRulesModel::setData(const QModelIndex& index, const QVariant& value, int role)
{
    if (!isCell(index))
        return false;
    if (!(flags(index) & (Qt::ItemIsEditable | Qt::ItemIsUserCheckable)))
        return false;
    Row& row = m_rows[index.row()];
    ReplyRule& rule = row.rule;
    const bool json = rule.match == RuleMatch::JsonField;
    auto checked = [&] { return role == Qt::CheckStateRole ? value.toInt() == Qt::Checked : value.toBool(); };
    int first = index.column();
    int last = index.column();

    switch (index.column()) {
    case EnabledColumn:
        if (role != Qt::CheckStateRole && role != Qt::EditRole)
            return false;
        rule.enabled = checked();
        break;
    case NameColumn:
        if (role != Qt::EditRole)
            return false;
        rule.name = value.toString();
        break;
    case MatchColumn: {
        if (role != Qt::EditRole)
            return false;
        std::optional<RuleMatch> match;
        if (value.typeId() == QMetaType::QString) {
            match = ruleMatchFromName(value.toString());
        } else {
            bool ok = false;
            const int n = value.toInt(&ok);
            if (ok && n >= 0 && n <= int(RuleMatch::JsonField))
                match = RuleMatch(n);
        }
        if (!match)
            return false;
        if (*match == rule.match)
            return true;
        rule.match = *match;
        // The pattern, value and case cells change meaning with the match.
        first = 0;
        last = ColumnCount - 1;
        break;
    }
    case PatternColumn:
        if (role != Qt::EditRole)
            return false;
        (json ? rule.path : rule.pattern) = value.toString();
        break;
    case ValueColumn:
        if (role != Qt::EditRole)
            return false;
        row.valueText = value.toString();
        break;
    case CaseColumn:
        if (role != Qt::CheckStateRole && role != Qt::EditRole)
            return false;
        rule.caseSensitive = checked();
        break;
    case ReplyColumn:
        if (role != Qt::EditRole)
            return false;
        rule.reply = value.toString();
        break;
    case DelayColumn: {
        if (role != Qt::EditRole)
            return false;
        bool ok = false;
        const int delay = value.toInt(&ok);
        if (!ok || delay < 0 || delay > MaxDelayMs)
            return false;
        rule.delayMs = delay;
        break;
    }
    default:
        return false;
    }
    Q_EMIT dataChanged(this->index(index.row(), first), this->index(index.row(), last));
    Q_EMIT rulesChanged();
    return true;
}

QVariant ReplyRulesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Vertical) {
        if (role == Qt::DisplayRole)
            return section + 1;
        return {};
    }
    if (role == Qt::DisplayRole) {
        switch (section) {
        case EnabledColumn:
            return tr("On");
        case NameColumn:
            return tr("Name");
        case MatchColumn:
            return tr("Match");
        case PatternColumn:
            return tr("Pattern / path");
        case ValueColumn:
            return tr("Value");
        case CaseColumn:
            return tr("Aa");
        case ReplyColumn:
            return tr("Reply");
        case DelayColumn:
            return tr("Delay ms");
        default:
            break;
        }
    } else if (role == Qt::ToolTipRole) {
        switch (section) {
        case EnabledColumn:
            return tr("Enabled: only enabled rules answer");
        case MatchColumn:
            return tr("Exact: the whole message; Contains: a part of it; Regex: a regular expression; JSON field: "
                      "a field of a JSON message equals a value");
        case CaseColumn:
            return tr("Case sensitive");
        case ReplyColumn:
            return tr("The reply, a template: {{message}}, {{json.a.b}}, {{1}} (regex groups), {{counter}}, "
                      "{{timestamp}}, {{isotime}}, {{uuid}}, {{random 1 6}}");
        case DelayColumn:
            return tr("Milliseconds to wait before replying");
        default:
            break;
        }
    }
    return {};
}

Qt::ItemFlags ReplyRulesModel::flags(const QModelIndex& index) const
{
    if (!isCell(index))
        return Qt::NoItemFlags;
    const bool json = m_rows.at(index.row()).rule.match == RuleMatch::JsonField;
    Qt::ItemFlags flags = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    switch (index.column()) {
    case EnabledColumn:
        return flags | Qt::ItemIsUserCheckable;
    case CaseColumn:
        return json ? Qt::ItemIsSelectable : flags | Qt::ItemIsUserCheckable;
    case ValueColumn:
        return json ? flags | Qt::ItemIsEditable : Qt::ItemIsSelectable;
    default:
        return flags | Qt::ItemIsEditable;
    }
}

bool ReplyRulesModel::insertRows(int row, int count, const QModelIndex& parent)
{
    if (parent.isValid() || row < 0 || row > m_rows.size() || count <= 0)
        return false;
    setErrorRow(-1, {});
    beginInsertRows({}, row, row + count - 1);
    for (int i = 0; i < count; ++i)
        m_rows.insert(row, Row {});
    endInsertRows();
    Q_EMIT rulesChanged();
    return true;
}

bool ReplyRulesModel::removeRows(int row, int count, const QModelIndex& parent)
{
    if (parent.isValid() || row < 0 || count <= 0 || row + count > m_rows.size())
        return false;
    setErrorRow(-1, {});
    beginRemoveRows({}, row, row + count - 1);
    m_rows.remove(row, count);
    endRemoveRows();
    Q_EMIT rulesChanged();
    return true;
}

bool ReplyRulesModel::moveRows(const QModelIndex& sourceParent, int sourceRow, int count,
    const QModelIndex& destinationParent, int destinationChild)
{
    if (sourceParent.isValid() || destinationParent.isValid() || count <= 0 || sourceRow < 0
        || sourceRow + count > m_rows.size() || destinationChild < 0 || destinationChild > m_rows.size())
        return false;
    if (destinationChild >= sourceRow && destinationChild <= sourceRow + count)
        return false; // onto itself
    setErrorRow(-1, {});
    if (!beginMoveRows({}, sourceRow, sourceRow + count - 1, {}, destinationChild))
        return false;
    const QList<Row> moved = m_rows.mid(sourceRow, count);
    m_rows.remove(sourceRow, count);
    const int at = destinationChild > sourceRow ? destinationChild - count : destinationChild;
    for (int i = 0; i < count; ++i)
        m_rows.insert(at + i, moved.at(i));
    endMoveRows();
    Q_EMIT rulesChanged();
    return true;
}

} // namespace wsi
