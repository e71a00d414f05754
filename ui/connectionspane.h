#pragma once

#include "core/connection.h"
#include "net/endpointoptions.h"

#include <QElapsedTimer>
#include <QSet>
#include <QWidget>

class QAction;
class QDialog;
class QLabel;
class QMenu;
class QPushButton;
class QStandardItemModel;
class QTableView;
class QTimer;
class QToolButton;

namespace wsi {

class CaptureSession;
class SessionStatistics;

/*
 * The Connections dock: one row per client connection opened from this window (the test server's own
 * connections are in its pane, the proxied ones in the proxy's), with its state, URL, messages each way, the last
 * ping round trip and how it closed. A client with a reconnection policy is one row that follows each new
 * attempt's connection id, and says when the next attempt comes or that it gave up. Its options are kept, so it
 * can be duplicated.
 *
 * Rows can be disconnected with a chosen close code, duplicated, pinged and removed. Opening a connection is
 * the window's job (it owns the connection form): Connect asks for it with connectRequested. The counts are
 * read from SessionStatistics a few times a second, only while the pane is visible.
 */
class ConnectionsPane : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionsPane)

public:
    enum Column {
        IdColumn,
        StateColumn, // with the close code once closed
        InColumn, // messages from the server
        OutColumn, // messages to the server
        RttColumn,
        UrlColumn, // last: it takes what width is left
        ColumnCount
    };
    enum Role {
        ConnectionIdRole = Qt::UserRole + 1, // on IdColumn: the row's current connection id
    };
    // What a row shows in its state column.
    enum class Phase {
        Connecting,
        Open,
        Closing,
        Closed,
        Reconnecting, // waiting for the next attempt, or trying it
        GaveUp,
    };

    static constexpr int RefreshIntervalMs = 250;

    // statistics gives the counts and round-trip times; null: the pane keeps its own over the session's timeline.
    explicit ConnectionsPane(
        CaptureSession* session, SessionStatistics* statistics = nullptr, QWidget* parent = nullptr);
    ~ConnectionsPane() override;

    QStandardItemModel* model() const { return m_model; }
    QTableView* table() const { return m_table; }

    // Opens a client connection with these options and lists it; returns its connection id.
    quint32 openConnection(const ClientOptions& options);
    // Lists a client connection opened elsewhere with these options (e.g. by the window's URL bar).
    void addConnection(quint32 connection, const ClientOptions& options);

    // Current connection id of each row, top to bottom.
    QList<quint32> connections() const;
    // The row that shows the connection (its current id, or one it had before reconnecting), -1 if none.
    int rowOf(quint32 connection) const;
    Phase phase(int row) const;
    QString stateText(int row) const;
    const ClientOptions& options(int row) const;
    // The connection of the current row, 0 when there is none.
    quint32 currentConnection() const;
    void selectConnection(quint32 connection);

    // Names offered by Connect's menu; choosing one emits connectRequested with it.
    void setProfileNames(const QStringList& names);

    // Actions on the current row; false (with the reason shown in the pane) when they cannot be done.
    bool disconnectCurrent(int code, const QString& reason);
    // Disconnects the row that shows this connection, as its Disconnect would (a waiting reconnection is called
    // off, none follows); false when no live row shows it.
    bool disconnectConnection(quint32 connection, int code, const QString& reason);
    void duplicateCurrent();
    void removeCurrent();
    void pingCurrent();

    // The actions, also in the context menu (for a window's menu).
    QAction* connectAction() const { return m_connectAction; }
    QAction* disconnectAction() const { return m_disconnectAction; }
    QAction* duplicateAction() const { return m_duplicateAction; }
    QAction* removeAction() const { return m_removeAction; }
    QAction* pingAction() const { return m_pingAction; }

    QSize sizeHint() const override;

public Q_SLOTS:
    // Brings states, counts, round-trip times and countdowns up to date now (the timer does it while visible).
    void refresh();
    // Asks for a close code and reason for the current row (a non-modal dialog), then disconnects it.
    void askDisconnect();

Q_SIGNALS:
    // The user wants a new connection: from the window's connection form (profile empty) or from a profile.
    void connectRequested(const QString& profile);
    // The current row changed, or its connection id did (a reconnect); 0 when there is none.
    void currentConnectionChanged(quint32 connection);
    // A row was double-clicked: the window may filter the timeline by its connection.
    void connectionActivated(quint32 connection);

protected:
    void showEvent(QShowEvent* event) override;
    void hideEvent(QHideEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    struct Row
    {
        quint32 id = 0;
        ClientOptions options;
        Phase phase = Phase::Connecting;
        int attempt = 0; // while reconnecting: which attempt, of maxAttempts (0: no limit)
        int maxAttempts = 0;
        qint64 attemptAtMs = 0; // m_clock time the attempt starts
        bool userClosed = false; // Disconnect was asked for: no reconnection follows
        QList<quint32> previousIds; // earlier attempts of this client, oldest first
    };

    int appendRow(quint32 connection, const ClientOptions& options);
    void onConnectionStateChanged(quint32 connection, ConnectionRole role, ConnectionState state);
    void onReconnecting(quint32 previous, quint32 next, int attempt, int maxAttempts, int delayMs);
    void onGaveUp(quint32 connection, int attempts);
    bool disconnectRow(int row, int code, const QString& reason);
    void updateRow(int row);
    void updateActions();
    void showMenu(const QPoint& pos);
    void showMessage(const QString& text, bool error);
    void updateMessageColour();
    bool isLive(int row) const;
    int currentRow() const;

    CaptureSession* m_session;
    SessionStatistics* m_statistics;
    QList<Row> m_rows; // parallel to m_model's rows
    QSet<quint32> m_forgotten; // removed by the user: their late reports must not bring them back
    QElapsedTimer m_clock;
    quint32 m_lastCurrent = 0;

    QStandardItemModel* m_model;
    QTableView* m_table;
    QLabel* m_hint;
    QLabel* m_message;
    bool m_messageIsError = false;
    QMenu* m_connectMenu;
    QToolButton* m_connectButton;
    QPushButton* m_disconnectButton;
    QPushButton* m_duplicateButton;
    QPushButton* m_removeButton;
    QPushButton* m_pingButton;
    QAction* m_connectAction;
    QAction* m_disconnectAction;
    QAction* m_duplicateAction;
    QAction* m_removeAction;
    QAction* m_pingAction;
    QStringList m_profileNames;
    QTimer* m_timer;
};

} // namespace wsi
