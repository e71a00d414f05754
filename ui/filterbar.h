#pragma once

#include "core/filterspec.h"

#include <QPointer>
#include <QWidget>

class QAction;
class QActionGroup;
class QLabel;
class QLineEdit;
class QMenu;
class QProgressBar;
class QTimer;
class QToolButton;

namespace wsi {

class TimelineViewModel;

/*
 * The bar above the timeline that says what it shows: a text searched in payloads (substring or regular
 * expression, with or without case), the kinds, directions and the connection to keep, how many events
 * match, and whether a filter is still running. Typing is debounced (TypingDelayMs) so that a million-row
 * log is not refiltered per keystroke; every other control applies at once. The work itself happens in the
 * TimelineViewModel, off the GUI thread; an invalid regular expression is shown here, with where it breaks.
 */
class FilterBar : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FilterBar)

public:
    static constexpr int TypingDelayMs = 150;

    // The kinds as the user thinks of them: some toggles stand for two kinds.
    enum KindGroup {
        TextGroup,
        BinaryGroup,
        PingGroup,
        PongGroup,
        CloseGroup,
        HandshakeGroup,
        OpenClosedGroup,
        ErrorNoteGroup,
        KindGroupCount
    };

    explicit FilterBar(QWidget* parent = nullptr);
    ~FilterBar() override;

    void setViewModel(TimelineViewModel* model);

    // What the controls say now (typing still waiting for the debounce included).
    FilterSpec spec() const;
    static quint32 kindsOf(KindGroup group);

    // Keeps only this connection (0: every connection), at once.
    void setConnection(quint32 connection);
    quint32 connection() const { return m_connection; }

public Q_SLOTS:
    // Puts the cursor in the text field with its text selected, ready to type over.
    void focusText();
    void clearText();
    // Applies what the controls say now, without waiting for the typing delay.
    void applyNow();

Q_SIGNALS:
    // Esc in an empty text field: the user is done with the filter and wants back to the timeline.
    void leaveRequested();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    void scheduleApply();
    void showError(const QString& message, int offset);
    void clearError();
    void updateErrorStyle();
    void updateCounts();
    void updateKindButton();
    void updateConnectionButton();
    void fillConnectionMenu();
    QString connectionLabel(quint32 connection) const;

    QPointer<TimelineViewModel> m_model;
    QLineEdit* m_text;
    QToolButton* m_regex;
    QToolButton* m_case;
    QToolButton* m_kindButton;
    QMenu* m_kindMenu;
    QAction* m_kindActions[KindGroupCount] = {};
    QToolButton* m_directionButtons[3] = {}; // indexed by Direction
    QToolButton* m_connectionButton;
    QMenu* m_connectionMenu;
    QActionGroup* m_connectionGroup; // outlives the menu's actions, which are remade on every opening
    QLabel* m_count;
    QProgressBar* m_busy;
    QLabel* m_error;
    QTimer* m_typingTimer;
    quint32 m_connection = 0;
    bool m_hasError = false;
    QList<QMetaObject::Connection> m_modelConnections;
};

} // namespace wsi
