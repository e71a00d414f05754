#pragma once

#include "jsonformat.h"

#include <QAbstractItemModel>
#include <QByteArray>

#include <vector>

namespace wsi {

/*
 * A JSON document as a tree: one top-level row for the root value ("$"), below it the members of objects
 * and elements of arrays, with columns Key | Value | Type. The tree is a flat node table built by the
 * non-recursive JsonFormatter::parse, so a document nested ten thousand levels deep costs memory in
 * proportion to its nodes and nothing on the stack; nodes point into the document bytes rather than holding
 * strings, and cell text is made in data(). pathOf() gives a JSONPath such as $.items[3]["display name"],
 * which is what "copy path" puts on the clipboard; displayPath() is the same cut down for a tooltip or label,
 * as keys and values in cells are: a peer may send a key of megabytes, and the view asks for it on every paint.
 * build() does the parsing without touching the model, so that megabytes can be parsed on another thread
 * and the result handed over with setTree().
 */
class JsonTreeModel : public QAbstractItemModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JsonTreeModel)

public:
    enum Column {
        KeyColumn,
        ValueColumn,
        TypeColumn,
        ColumnCount
    };
    Q_ENUM(Column)
    enum Role {
        PathRole = Qt::UserRole + 1, // QString, as pathOf()
        TypeRole, // JsonType as int
        RawJsonRole, // QByteArray, the value's JSON text as written in the document
        CopyValueRole, // QString, what "copy value" copies: a string's content, else the JSON text
    };

    // Longest key or value text shown in a cell; the whole value is one "copy value" away.
    static constexpr qsizetype MaxCellChars = 500;
    // displayPath() shows keys up to this long, and the path up to about MaxPathChars (its end: the part
    // nearest the node).
    static constexpr qsizetype MaxPathKeyChars = 100;
    static constexpr qsizetype MaxPathChars = 1000;
    static constexpr qsizetype DefaultMaxNodes = 2'000'000;

private:
    struct Node
    {
        qint64 valueOffset = 0;
        qint64 valueLength = 0; // the whole container for objects and arrays, brackets included
        qint64 keyOffset = -1; // raw key token (quotes included) for object members, else -1
        qint32 keyLength = 0;
        qint32 parent = -1; // -1 for the root
        qint32 row = 0; // position among the parent's children
        qint32 firstChild = 0; // into m_children
        qint32 childCount = 0;
        JsonType type = JsonType::Null;
    };

public:
    // A parsed document ready for setTree(): a value that may be built on any thread.
    class Tree
    {
    public:
        const JsonFormatter::Result& result() const { return m_result; }
        bool isTruncated() const { return m_truncated; }
        qsizetype nodeCount() const { return qsizetype(m_nodes.size()); }

    private:
        friend class JsonTreeModel;
        QByteArray m_json;
        std::vector<Node> m_nodes;
        std::vector<qint32> m_children;
        JsonFormatter::Result m_result;
        bool m_truncated = false;
    };

    explicit JsonTreeModel(QObject* parent = nullptr);
    ~JsonTreeModel() override;

    // Replaces the document. Invalid JSON leaves the model empty; result() then says where and why.
    bool setJson(const QByteArray& json);
    // Parses json into at most maxNodes nodes (the parse stops there, so the rest is not validated: the
    // tree's result says stopped). Touches no model: safe on any thread.
    static Tree build(const QByteArray& json, qsizetype maxNodes);
    // Replaces the document with one built before; returns whether it is valid JSON.
    bool setTree(Tree tree);
    void clear();
    JsonFormatter::Result result() const { return m_result; }
    QByteArray json() const { return m_json; }

    // Documents with more nodes than this are shown up to that many (about 48 bytes per node).
    void setMaxNodes(qsizetype maxNodes) { m_maxNodes = maxNodes; }
    qsizetype maxNodes() const { return m_maxNodes; }
    bool isTruncated() const { return m_truncated; }
    qsizetype nodeCount() const { return qsizetype(m_nodes.size()); }

    // The whole path, however long: what "copy path" copies.
    QString pathOf(const QModelIndex& index) const;
    // The path for reading: keys longer than MaxPathKeyChars cut, and "$\u2026" plus the path's end when
    // it is longer than MaxPathChars. The tooltip.
    QString displayPath(const QModelIndex& index) const;
    JsonType typeOf(const QModelIndex& index) const;
    QByteArray rawJson(const QModelIndex& index) const;
    QString copyValue(const QModelIndex& index) const;

    // One path step for an object key: .name when it is an identifier, ["any key"] otherwise.
    static QString keySegment(QStringView key);

    QModelIndex index(int row, int column, const QModelIndex& parent = {}) const override;
    QModelIndex parent(const QModelIndex& child) const override;
    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    bool hasChildren(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    friend class JsonTreeBuilder;

    const Node* nodeOf(const QModelIndex& index) const;
    QString keyText(const Node& node) const;
    QString valueText(const Node& node) const;

    QByteArray m_json;
    std::vector<Node> m_nodes; // in document order; node 0 is the root
    std::vector<qint32> m_children; // children of each node, contiguous from Node::firstChild
    JsonFormatter::Result m_result;
    qsizetype m_maxNodes = DefaultMaxNodes;
    bool m_truncated = false;
};

} // namespace wsi
