#pragma once

#include "capturequeue.h"

#include <QAbstractTableModel>

namespace wsi {

class EventStore;

/*
 * The timeline as a table over an EventStore: one row per event, in arrival order. Rows arrive in batches
 * (one beginInsertRows per batch, however many events it holds) and every cell's text is made in data()
 * from the compact record, never stored. Colours are left to the view: it reads KindRole/DirectionRole and
 * picks from the palette, so the core needs no GUI module.
 */
class TimelineModel : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TimelineModel)

public:
    enum Column {
        SeqColumn,
        TimeColumn,
        ConnectionColumn,
        DirectionColumn,
        KindColumn,
        SizeColumn,
        PreviewColumn,
        ColumnCount
    };
    enum Role {
        KindRole = Qt::UserRole + 1, // EventKind as int
        DirectionRole, // Direction as int
        ConnectionIdRole, // quint32
        SeqRole, // quint64
        TimestampUsRole, // qint64
        SizeRole, // qint64
        CloseCodeRole, // int, 0 when none
        FlagsRole, // int, EventFlag bits
        PayloadRole, // QByteArray, the whole payload
        NoteRole, // QString
        ConnectionRoleRole, // ConnectionRole of the row's connection as int, -1 when unknown
    };
    Q_ENUM(Column)

    // Characters of payload shown in the preview column.
    static constexpr int PreviewChars = 200;

    explicit TimelineModel(EventStore* store, QObject* parent = nullptr);
    ~TimelineModel() override;

    EventStore* store() const { return m_store; }

    // Appends a batch: connections first, then the events, in one row insertion.
    void append(const CaptureBatch& batch);
    void clear();

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QString connectionText(quint32 id) const;

    EventStore* m_store;
};

} // namespace wsi
