#pragma once

#include "core/connection.h"
#include "net/endpointoptions.h"

#include <QHash>
#include <QPersistentModelIndex>
#include <QUrl>
#include <QWidget>

#include <optional>

class QAction;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSettings;
class QSpinBox;
class QStandardItemModel;
class QTableView;
class QToolButton;

namespace wsi {

class CaptureSession;

/*
 * The recording proxy's dock: where it listens, the upstream it relays to (ws:// or wss://, its certificate
 * checked unless the user says otherwise), an optional Origin rewrite, Start/Stop, where clients connect (copied
 * with one click) and the connections going through it now. Activating a connection's row (double-click, Enter)
 * asks the window to show that connection in the timeline.
 *
 * Bad input never reaches the proxy: the fields are checked at start and the reason shown in the pane; a start
 * the endpoint refuses (a port in use) is reported in the status line. A host other computers can reach is
 * confirmed first and flagged while the proxy runs, as the test server does.
 */
class ProxyPane : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProxyPane)

public:
    enum class State {
        Stopped,
        Starting,
        Running,
    };
    enum Column {
        IdColumn,
        PeerColumn,
        PathColumn,
        SubprotocolColumn,
        OpenedColumn, // last: it takes what width is left
        ColumnCount
    };

    static constexpr quint16 DefaultPort = 9000;
    static constexpr int ConnectionIdRole = Qt::UserRole + 1; // on IdColumn

    explicit ProxyPane(CaptureSession* session, QWidget* parent = nullptr);
    ~ProxyPane() override;

    State state() const { return m_state; }
    // Start when stopped, stop when running: the window puts it in its Capture menu.
    QAction* startStopAction() const { return m_startStopAction; }

    // What the fields say, unchecked (start() checks them).
    ProxyOptions options() const;
    void setPort(quint16 port);
    void setUpstream(const QString& url);
    // The proxied connections listed, oldest first.
    QList<quint32> connections() const;
    // The status line as shown (empty when hidden).
    QString statusText() const;

    // The fields, kept in settings (the window does it for the app's own windows only). The certificate switch
    // is not kept: an unsafe choice is made again each time, never inherited from an earlier run.
    void saveSettings(QSettings& settings) const;
    void restoreSettings(QSettings& settings);

    QSize sizeHint() const override;

public Q_SLOTS:
    // Checks the fields and starts the proxy; asks first when the host is reachable from other computers.
    // False when nothing was started (bad input, the user said no, not stopped).
    bool start();
    void stop();

Q_SIGNALS:
    void stateChanged(wsi::ProxyPane::State state);
    // Something the user must read is shown in the pane (a field that stops the start): show the dock.
    void attentionNeeded();
    // A connection's row was activated: the window may show that connection in the timeline.
    void connectionActivated(quint32 connection);

protected:
    void changeEvent(QEvent* event) override;

private:
    QWidget* createForm();
    QWidget* createConnectionsList();

    std::optional<ProxyOptions> checkedOptions();
    void showFieldError(const QString& message, QWidget* culprit);
    void setState(State state);
    void updateStateUi();
    void setStatus(const QString& text, int hue);

    void onClientOpened(const ServerClient& client);
    void onConnectionStateChanged(quint32 connection, ConnectionRole role, ConnectionState state);
    void removeAllConnections();
    void updateConnectionsUi();

    CaptureSession* m_session;
    State m_state = State::Stopped;
    QUrl m_url; // where clients connect, while running
    QUrl m_upstream; // what the running proxy relays to; empty when it was started elsewhere

    QAction* m_startStopAction;
    QToolButton* m_startStopButton = nullptr;
    QLabel* m_urlLabel = nullptr;
    QPushButton* m_copyUrlButton = nullptr;
    QLabel* m_exposureWarning = nullptr;
    QLabel* m_statusLabel = nullptr;

    QWidget* m_form = nullptr;
    QComboBox* m_host = nullptr;
    QLabel* m_hostHint = nullptr;
    QSpinBox* m_port = nullptr;
    QLineEdit* m_upstreamEdit = nullptr;
    QCheckBox* m_insecure = nullptr;
    QLineEdit* m_origin = nullptr;
    QSpinBox* m_maxMessageMiB = nullptr;
    QLabel* m_fieldError = nullptr;

    QStandardItemModel* m_connections;
    QHash<quint32, QPersistentModelIndex> m_rows; // every listed connection's id cell
    QTableView* m_table = nullptr;
    QLabel* m_connectionsTitle = nullptr;
    QLabel* m_connectionsHint = nullptr;
};

} // namespace wsi
