#pragma once

#include <QTableView>

namespace wsi {

class TimelineDelegate;

/*
 * The timeline table: one fixed-height row per event (so a million rows scroll without measuring any),
 * coloured by a TimelineDelegate. It follows the capture like `tail -f` while the user is at the bottom,
 * and stays put when they have scrolled up to read something.
 */
class TimelineView : public QTableView
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TimelineView)

public:
    explicit TimelineView(QWidget* parent = nullptr);
    ~TimelineView() override;

    void setModel(QAbstractItemModel* model) override;

    // True when new rows scroll the view (the user was at the bottom when they arrived).
    bool isFollowing() const;

protected:
    void rowsInserted(const QModelIndex& parent, int start, int end) override;
    void changeEvent(QEvent* event) override;

private:
    void applyMetrics();

    TimelineDelegate* m_delegate;
    bool m_wasAtBottom = true;
    QMetaObject::Connection m_aboutToInsertConnection;
    QMetaObject::Connection m_resetConnection;
};

} // namespace wsi
