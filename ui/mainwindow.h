#pragma once

#include "core/connection.h"

#include <QMainWindow>
#include <QMap>
#include <QPointer>
#include <QUrl>

#include <memory>

class QAction;
class QActionGroup;
class QCheckBox;
class QComboBox;
class QCompleter;
class QDockWidget;
class QLabel;
class QLineEdit;
class QMessageBox;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QStringListModel;
class QToolButton;

namespace wsi {

class CaptureSession;
class ComposerPane;
class ConnectionProfiles;
class ConnectionsPane;
class DetailPane;
class FilterBar;
class ReplayPane;
class ServerPane;
class StatsPane;
class TimelineView;
class TimelineViewModel;
struct ClientOptions;
struct ConnectionProfile;

/*
 * The main window: a one-click test server, a URL bar to connect clients (with a connection form below it:
 * headers, subprotocols, Origin, auth, certificate checking, keep-alive pings, reconnection, and named
 * profiles of all that), the Connections dock listing the clients, the timeline of everything on the wire, the detail
 * of the selected event and a composer to send messages. It drives a CaptureSession it does not own; all socket work
 * happens on the session's capture thread, so nothing here blocks on the network.
 */
class MainWindow : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    static constexpr quint16 DefaultServerPort = 8765;

    explicit MainWindow(CaptureSession* session, QWidget* parent = nullptr);
    ~MainWindow() override;

    // Client connections that are live (a reconnection attempt waiting for its timer included), oldest first,
    // and what is known of their state. Closed ones are dropped, once a reconnection that may follow one from the
    // connection form has been announced; clientState says Closed for those.
    QList<quint32> clientConnections() const { return m_clients.keys(); }
    ConnectionState clientState(quint32 connection) const;

    // What the timeline shows of the session's TimelineModel (filter, pause, clear, time mode); null when
    // the session keeps no timeline.
    TimelineViewModel* timelineViewModel() const { return m_viewModel; }

    ConnectionsPane* connectionsPane() const { return m_connectionsPane; }
    ReplayPane* replayPane() const { return m_replayPane; }
    // The saved connection profiles and recent URLs (loaded from the user's config when the window opens).
    const ConnectionProfiles& profiles() const { return *m_profiles; }

public Q_SLOTS:
    // Starts the test server with the server pane's options on this port (by default an echo server on
    // 127.0.0.1, moving on to the next ports when this one is taken).
    void startTestServer(quint16 port = DefaultServerPort);
    void stopTestServer();
    // Puts the URL in the URL bar and connects a client to it, with the headers and subprotocols set below it.
    void connectTo(const QUrl& url);
    // Shows a recorded session file (.jsonl) in the timeline when it is still empty; false when it could not
    // be read or the timeline already holds a capture (the reason is shown to the user).
    bool openSession(const QString& path);
    // Offers, in a bar above the timeline, the captures that crashed runs left unsaved in this folder (see
    // RecoveryBar); does nothing when there are none.
    void offerRecovery(const QString& sessionsFolder);
    // Fills the connection form with the named profile; false when there is none of that name.
    bool chooseProfile(const QString& name);
    // Saves what the connection form says as a profile of this name (replacing one of the same name); on bad
    // input or a failed write shows why and returns false.
    bool saveProfile(const QString& name);
    bool deleteProfile(const QString& name);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    struct Client
    {
        QString url;
        ConnectionState state = ConnectionState::Connecting;
        bool fromForm = false; // opened with the connection form: its URL goes into the recent ones
        bool reconnects = false; // with a reconnection policy: a closed one is kept until the engine says what next
        bool isReconnection = false; // an attempt that follows an earlier connection (the composer follows it)
    };

    void createDocks();
    void createActions();
    void createTimelineActions();
    void createMenus();
    void createToolBar();
    QWidget* createConnectBar();
    QWidget* createConnectionForm(QWidget* parent);
    void createStatusBar();

    void connectFromUrlBar();
    void disconnectClient();
    // Builds client options from the URL bar and the headers section; on bad input shows why and returns false.
    bool clientOptionsFromInput(ClientOptions* options);
    void showConnectError(const QString& message, QWidget* culprit);
    void clearConnectError();
    void fillConnectionForm(const ClientOptions& options);
    void updateAuthFields();
    void updateReconnectFields();
    void updateWarningColours();
    void loadProfiles();
    // Writes the profiles file; a failure is shown once per session when quiet (recent URLs), always otherwise.
    bool saveProfiles(bool quiet);
    void updateProfileUi();
    void askProfileName();
    void askDeleteProfile();
    void rememberUrl(const QString& url);
    void connectWithProfile(const QString& name);

    void onServerStarted(const QUrl& url);
    void onConnectionStateChanged(quint32 connection, ConnectionRole role, ConnectionState state);
    void onClientReconnecting(quint32 previous, quint32 next, int attempt, int maxAttempts, int delayMs);
    void onClientGaveUp(quint32 connection, int attempts);
    void onCurrentEventChanged(int sourceRow);
    void updateTimelineActions();
    void updatePauseUi();
    void showTimelineMenu(const QPoint& pos);
    void showHeaderMenu(const QPoint& pos);
    void clearTimeline();
    void copySelection();
    void copySelectionAsJsonLines();
    void copyPayload();
    void filterBySelectedConnection();
    void sendSelectedToComposer();
    void updateServerUi();
    void updateConnectionUi();
    void updateEventCount();
    void showError(const QString& message);
    void showAbout();
    void chooseSessionFile();

    CaptureSession* m_session;
    QMap<quint32, Client> m_clients;
    bool m_urlEditedByUser = false;

    TimelineViewModel* m_viewModel = nullptr;
    FilterBar* m_filterBar = nullptr;
    TimelineView* m_timeline = nullptr;
    DetailPane* m_detail = nullptr;
    ComposerPane* m_composer = nullptr;
    StatsPane* m_statsPane = nullptr;
    QDockWidget* m_statsDock = nullptr;
    ServerPane* m_serverPane = nullptr;
    QDockWidget* m_serverDock = nullptr;
    ConnectionsPane* m_connectionsPane = nullptr;
    QDockWidget* m_connectionsDock = nullptr;
    ReplayPane* m_replayPane = nullptr;
    QDockWidget* m_replayDock = nullptr;
    std::unique_ptr<ConnectionProfiles> m_profiles;
    bool m_profileSaveErrorShown = false;

    QAction* m_serverAction = nullptr;
    QAction* m_connectAction = nullptr;
    QAction* m_disconnectAction = nullptr;
    QAction* m_copyUrlAction = nullptr;
    QAction* m_openAction = nullptr;
    QAction* m_quitAction = nullptr;
    QAction* m_aboutAction = nullptr;

    QAction* m_findAction = nullptr;
    QAction* m_pauseAction = nullptr;
    QAction* m_clearAction = nullptr;
    QAction* m_undoClearAction = nullptr;
    QAction* m_copyAction = nullptr;
    QAction* m_copyJsonAction = nullptr;
    QAction* m_copyPayloadAction = nullptr;
    QAction* m_filterConnectionAction = nullptr;
    QAction* m_sendToComposerAction = nullptr;
    QAction* m_jumpToLatestAction = nullptr;
    QActionGroup* m_timeModeGroup = nullptr;
    QAction* m_timeAbsoluteAction = nullptr;
    QAction* m_timeRelativeAction = nullptr;
    QAction* m_timeDeltaAction = nullptr;

    QLabel* m_serverUrlLabel = nullptr;
    QLineEdit* m_urlEdit = nullptr;
    QPushButton* m_connectButton = nullptr;
    QPushButton* m_disconnectButton = nullptr;
    QToolButton* m_optionsToggle = nullptr;
    QWidget* m_optionsPanel = nullptr;
    QPlainTextEdit* m_headersEdit = nullptr;
    QLineEdit* m_subprotocolsEdit = nullptr;
    QLineEdit* m_originEdit = nullptr;
    QComboBox* m_profileCombo = nullptr;
    QPushButton* m_saveProfileButton = nullptr;
    QPushButton* m_deleteProfileButton = nullptr;
    QLabel* m_profilesHint = nullptr;
    QComboBox* m_authCombo = nullptr;
    QStackedWidget* m_authFields = nullptr;
    QLineEdit* m_tokenEdit = nullptr;
    QLineEdit* m_userEdit = nullptr;
    QLineEdit* m_passwordEdit = nullptr;
    QCheckBox* m_ignoreCertificates = nullptr;
    QCheckBox* m_reconnectCheck = nullptr;
    QSpinBox* m_initialDelaySpin = nullptr;
    QSpinBox* m_maxDelaySpin = nullptr;
    QSpinBox* m_maxAttemptsSpin = nullptr;
    QSpinBox* m_pingIntervalSpin = nullptr;
    QCompleter* m_urlCompleter = nullptr;
    QStringListModel* m_recentUrlsModel = nullptr;
    QLabel* m_connectError = nullptr;

    QLabel* m_serverStatus = nullptr;
    QLabel* m_eventCount = nullptr;
    QLabel* m_pauseLabel = nullptr;
    QLabel* m_journalLabel = nullptr;
    QPointer<QMessageBox> m_errorBox;
};

} // namespace wsi
