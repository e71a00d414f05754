#pragma once

#include <QTableView>

class QToolButton;

namespace wsi {

class EventStore;
class TimelineDelegate;

/*
 * The timeline table: one fixed-height row per event (so a million rows scroll without measuring any),
 * coloured by a TimelineDelegate. It follows the capture like `tail -f` while the user is at the bottom;
 * once they scroll up to read something it stays put and a floating "N new — jump to latest" button counts
 * what arrives below. Reaching the bottom again (scrolling, End, or the button) resumes following.
 *
 * The model is a TimelineViewModel (filtered rows) or a plain TimelineModel; either way the view speaks of
 * the selected event by its row in the TimelineModel (its source row), which is what the detail pane and
 * the exporters understand.
 */
class TimelineView : public QTableView
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TimelineView)

public:
    explicit TimelineView(QWidget* parent = nullptr);
    ~TimelineView() override;

    void setModel(QAbstractItemModel* model) override;

    // True when new rows scroll the view to the newest one.
    bool isFollowing() const { return m_following; }

    // The TimelineModel row of a view row (-1 when out of range) and back; the identity over a TimelineModel.
    int sourceRow(int viewRow) const;
    int viewRow(int sourceRow) const;
    // The source row of the current row when it is selected, else of the first selected row; -1 for none.
    int currentSourceRow() const;
    // Selected rows in view order, as source rows.
    QList<int> selectedSourceRows() const;
    // The event store behind the model, null without a model.
    const EventStore* store() const;

    // Nothing has been captured or opened yet: the empty viewport says how to begin (not when a filter or a clear
    // hides rows that exist, which the filter bar and the status bar explain).
    bool showsEmptyHint() const;
    static QString emptyHintText();

    // The selected rows as the visible columns show them: one line per row, cells separated by tabs.
    QString selectionAsText() const;
    // The selected events as session file event lines (JSON Lines), each ending with a newline.
    QByteArray selectionAsJsonLines() const;

public Q_SLOTS:
    // Scrolls to the newest row and follows from now on.
    void jumpToLatest();

Q_SIGNALS:
    // The event the detail pane should show changed (a source row, -1 for none).
    void currentEventChanged(int sourceRow);

protected:
    void rowsInserted(const QModelIndex& parent, int start, int end) override;
    QModelIndex moveCursor(CursorAction cursorAction, Qt::KeyboardModifiers modifiers) override;
    void keyPressEvent(QKeyEvent* event) override;
    void paintEvent(QPaintEvent* event) override;
    void changeEvent(QEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void selectionChanged(const QItemSelection& selected, const QItemSelection& deselected) override;
    void currentChanged(const QModelIndex& current, const QModelIndex& previous) override;

private:
    void applyMetrics();
    void setFollowing(bool following);
    void onScrollValueChanged(int value);
    void updateHint();
    void placeHint();
    void emitCurrentEvent();
    void rememberCurrent();
    void restoreCurrent();

    TimelineDelegate* m_delegate;
    QToolButton* m_hint;
    bool m_following = true;
    bool m_autoScrolling = false; // scrolling done by the view itself, not by the user
    qsizetype m_newRows = 0;
    int m_lastEmittedRow = -2;
    // The current event and whether the view followed, across a model reset (e.g. a new filter).
    int m_rememberedSourceRow = -1;
    bool m_rememberedFollowing = true;
    QList<QMetaObject::Connection> m_modelConnections;
};

} // namespace wsi
