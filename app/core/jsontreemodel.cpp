#include "jsontreemodel.h"

#include <algorithm>
#include <limits>

namespace wsi {

// Fills the node table while the parser walks the document; the open containers are a vector of node ids.
class JsonTreeBuilder : public JsonVisitor
{
public:
    using Node = JsonTreeModel::Node;

    JsonTreeBuilder(std::vector<Node>* nodes, qsizetype maxNodes)
        : m_nodes(nodes)
        , m_maxNodes(maxNodes)
    { }

    void beginContainer(char bracket, qsizetype offset) override
    {
        m_open.push_back(add(bracket == '{' ? JsonType::Object : JsonType::Array, offset, 1));
    }
    void endContainer(char, qsizetype offset, qsizetype) override
    {
        Node& node = (*m_nodes)[size_t(m_open.back())];
        node.valueLength = offset + 1 - node.valueOffset;
        m_open.pop_back();
    }
    void key(qsizetype offset, qsizetype length) override
    {
        m_keyOffset = offset;
        m_keyLength = length;
    }
    void scalar(JsonType type, qsizetype offset, qsizetype length) override { add(type, offset, length); }
    bool wantsMore() const override { return qsizetype(m_nodes->size()) < m_maxNodes; }

    // After an early stop, the containers still open run to the end of the document.
    void closeOpen(qsizetype documentSize)
    {
        for (qint32 id : m_open) {
            Node& node = (*m_nodes)[size_t(id)];
            node.valueLength = documentSize - node.valueOffset;
        }
        m_open.clear();
    }

private:
    qint32 add(JsonType type, qsizetype offset, qsizetype length)
    {
        Node node;
        node.type = type;
        node.valueOffset = offset;
        node.valueLength = length;
        if (!m_open.empty()) {
            node.parent = m_open.back();
            Node& parent = (*m_nodes)[size_t(node.parent)];
            node.row = parent.childCount++;
            if (parent.type == JsonType::Object) {
                node.keyOffset = m_keyOffset;
                node.keyLength = qint32(m_keyLength);
            }
        }
        m_nodes->push_back(node);
        return qint32(m_nodes->size() - 1);
    }

    std::vector<Node>* m_nodes;
    std::vector<qint32> m_open;
    qsizetype m_maxNodes;
    qsizetype m_keyOffset = -1;
    qsizetype m_keyLength = 0;
};

JsonTreeModel::JsonTreeModel(QObject* parent)
    : QAbstractItemModel(parent)
{ }

JsonTreeModel::~JsonTreeModel() = default;

bool JsonTreeModel::setJson(const QByteArray& json)
{
    return setTree(build(json, m_maxNodes));
}

JsonTreeModel::Tree JsonTreeModel::build(const QByteArray& json, qsizetype maxNodes)
{
    Tree tree;
    tree.m_json = json;
    JsonTreeBuilder builder(&tree.m_nodes, std::clamp<qsizetype>(maxNodes, 1, std::numeric_limits<qint32>::max()));
    tree.m_result = JsonFormatter::parse(tree.m_json, &builder);
    if (!tree.m_result.isValid()) {
        tree.m_nodes.clear();
        tree.m_nodes.shrink_to_fit();
        return tree;
    }
    tree.m_truncated = tree.m_result.stopped;
    builder.closeOpen(tree.m_json.size());
    // Children end up contiguous per parent: offsets from the child counts, then each node drops its id
    // into its parent's block at its row. Two linear passes, no recursion.
    std::vector<Node>& nodes = tree.m_nodes;
    qint32 next = 0;
    for (Node& node : nodes) {
        node.firstChild = next;
        next += node.childCount;
    }
    tree.m_children.assign(size_t(next), 0);
    for (size_t id = 1; id < nodes.size(); ++id) {
        const Node& node = nodes[id];
        tree.m_children[size_t(nodes[size_t(node.parent)].firstChild + node.row)] = qint32(id);
    }
    return tree;
}

bool JsonTreeModel::setTree(Tree tree)
{
    beginResetModel();
    m_json = std::move(tree.m_json);
    m_nodes = std::move(tree.m_nodes);
    m_children = std::move(tree.m_children);
    m_result = tree.m_result;
    m_truncated = tree.m_truncated;
    endResetModel();
    return m_result.isValid();
}

void JsonTreeModel::clear()
{
    beginResetModel();
    m_json.clear();
    m_nodes.clear();
    m_nodes.shrink_to_fit();
    m_children.clear();
    m_children.shrink_to_fit();
    m_result = {};
    m_truncated = false;
    endResetModel();
}

const JsonTreeModel::Node* JsonTreeModel::nodeOf(const QModelIndex& index) const
{
    if (!index.isValid() || index.model() != this || index.internalId() >= m_nodes.size())
        return nullptr;
    return &m_nodes[index.internalId()];
}

QString JsonTreeModel::keySegment(QStringView key)
{
    bool identifier = !key.isEmpty();
    for (qsizetype i = 0; i < key.size() && identifier; ++i) {
        const QChar c = key[i];
        const bool letter = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || c == u'_' || c == u'$';
        identifier = letter || (i > 0 && c >= u'0' && c <= u'9');
    }
    if (identifier)
        return QLatin1Char('.') + key.toString();
    return QLatin1Char('[') + JsonFormatter::quote(key) + QLatin1Char(']');
}

QString JsonTreeModel::pathOf(const QModelIndex& index) const
{
    const Node* node = nodeOf(index);
    if (!node)
        return {};
    // Walk up collecting steps, then join them root first: deep paths cost a loop, not a call chain.
    QStringList steps;
    while (node->parent >= 0) {
        if (node->keyOffset >= 0)
            steps.append(
                keySegment(JsonFormatter::unquote(QByteArrayView(m_json).sliced(node->keyOffset, node->keyLength))));
        else
            steps.append(QLatin1Char('[') + QString::number(node->row) + QLatin1Char(']'));
        node = &m_nodes[size_t(node->parent)];
    }
    std::reverse(steps.begin(), steps.end());
    return QLatin1Char('$') + steps.join(QString());
}

QString JsonTreeModel::displayPath(const QModelIndex& index) const
{
    const Node* node = nodeOf(index);
    if (!node)
        return {};
    // The same walk as pathOf(), but each key decoded only as far as shown, and the walk stops once the
    // path is long enough: a tooltip is asked for on hover, a label on every selection.
    QStringList steps;
    qsizetype length = 0;
    while (node->parent >= 0 && length <= MaxPathChars) {
        QString step;
        if (node->keyOffset >= 0) {
            bool cut = false;
            QString key = JsonFormatter::unquote(
                QByteArrayView(m_json).sliced(node->keyOffset, node->keyLength), MaxPathKeyChars, &cut);
            if (cut || key.size() > MaxPathKeyChars) {
                key.truncate(MaxPathKeyChars);
                key += QChar(0x2026);
            }
            step = keySegment(key);
        } else {
            step = QLatin1Char('[') + QString::number(node->row) + QLatin1Char(']');
        }
        length += step.size();
        steps.append(step);
        node = &m_nodes[size_t(node->parent)];
    }
    std::reverse(steps.begin(), steps.end());
    return (node->parent >= 0 ? QStringLiteral("$\u2026") : QStringLiteral("$")) + steps.join(QString());
}

JsonType JsonTreeModel::typeOf(const QModelIndex& index) const
{
    const Node* node = nodeOf(index);
    return node ? node->type : JsonType::Null;
}

QByteArray JsonTreeModel::rawJson(const QModelIndex& index) const
{
    const Node* node = nodeOf(index);
    if (!node)
        return {};
    return m_json.sliced(node->valueOffset, node->valueLength);
}

QString JsonTreeModel::copyValue(const QModelIndex& index) const
{
    const Node* node = nodeOf(index);
    if (!node)
        return {};
    const QByteArrayView raw = QByteArrayView(m_json).sliced(node->valueOffset, node->valueLength);
    // Someone copying a string wants its text, not a JSON literal with escapes; anything else is its JSON.
    return node->type == JsonType::String ? JsonFormatter::unquote(raw) : QString::fromUtf8(raw);
}

QString JsonTreeModel::keyText(const Node& node) const
{
    if (node.parent < 0)
        return QStringLiteral("$");
    if (node.keyOffset < 0)
        return QLatin1Char('[') + QString::number(node.row) + QLatin1Char(']');
    // Decoded only as far as shown, like values: a key of megabytes is no cheaper to paint than a value.
    bool cut = false;
    QString text
        = JsonFormatter::unquote(QByteArrayView(m_json).sliced(node.keyOffset, node.keyLength), MaxCellChars, &cut);
    if (cut || text.size() > MaxCellChars) {
        text.truncate(MaxCellChars);
        text += QChar(0x2026);
    }
    return text;
}

QString JsonTreeModel::valueText(const Node& node) const
{
    switch (node.type) {
    case JsonType::Object:
        // Spelled out for one and many: without a translation loaded, %n plurals would read "member(s)".
        return node.childCount == 1 ? tr("{1 member}") : tr("{%1 members}").arg(node.childCount);
    case JsonType::Array:
        return node.childCount == 1 ? tr("[1 element]") : tr("[%1 elements]").arg(node.childCount);
    default:
        break;
    }
    // Strings are shown as written (quotes and escapes), so that "1" and 1 do not look alike.
    const qsizetype length = std::min<qsizetype>(node.valueLength, MaxCellChars * 4);
    QString text = QString::fromUtf8(QByteArrayView(m_json).sliced(node.valueOffset, length));
    if (text.size() > MaxCellChars || length < node.valueLength) {
        text.truncate(MaxCellChars);
        text += QChar(0x2026);
    }
    return text;
}

QModelIndex JsonTreeModel::index(int row, int column, const QModelIndex& parent) const
{
    if (row < 0 || column < 0 || column >= ColumnCount)
        return {};
    if (!parent.isValid())
        return row == 0 && !m_nodes.empty() ? createIndex(0, column, quintptr(0)) : QModelIndex();
    const Node* node = nodeOf(parent);
    if (!node || parent.column() != 0 || row >= node->childCount)
        return {};
    return createIndex(row, column, quintptr(m_children[size_t(node->firstChild + row)]));
}

QModelIndex JsonTreeModel::parent(const QModelIndex& child) const
{
    const Node* node = nodeOf(child);
    if (!node || node->parent < 0)
        return {};
    return createIndex(m_nodes[size_t(node->parent)].row, 0, quintptr(node->parent));
}

int JsonTreeModel::rowCount(const QModelIndex& parent) const
{
    if (!parent.isValid())
        return m_nodes.empty() ? 0 : 1;
    const Node* node = nodeOf(parent);
    return node && parent.column() == 0 ? node->childCount : 0;
}

int JsonTreeModel::columnCount(const QModelIndex&) const
{
    return ColumnCount;
}

bool JsonTreeModel::hasChildren(const QModelIndex& parent) const
{
    return rowCount(parent) > 0;
}

QVariant JsonTreeModel::data(const QModelIndex& index, int role) const
{
    const Node* node = nodeOf(index);
    if (!node)
        return {};
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case KeyColumn:
            return keyText(*node);
        case ValueColumn:
            return valueText(*node);
        case TypeColumn:
            return JsonFormatter::typeName(node->type);
        }
        return {};
    case Qt::ToolTipRole:
        return displayPath(index);
    case PathRole:
        return pathOf(index);
    case TypeRole:
        return int(node->type);
    case RawJsonRole:
        return rawJson(index);
    case CopyValueRole:
        return copyValue(index);
    }
    return {};
}

QVariant JsonTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case KeyColumn:
        return tr("Key");
    case ValueColumn:
        return tr("Value");
    case TypeColumn:
        return tr("Type");
    }
    return {};
}

} // namespace wsi
