#pragma once

#include "backgroundtask.h"
#include "core/connection.h"
#include "exportdialog.h"

#include <QDateTime>
#include <QMainWindow>
#include <QMap>
#include <QMessageBox>
#include <QPointer>
#include <QUrl>

#include <functional>
#include <memory>

class QAction;
class QActionGroup;
class QCheckBox;
class QComboBox;
class QCompleter;
class QDockWidget;
class QKeyEvent;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QSplitter;
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
class JournalRecovery;
class ProxyPane;
class RecentFilesMenu;
class ReplayPane;
class ServerPane;
class StatsPane;
class TimelineView;
class TimelineViewModel;
struct ClientOptions;
struct ConnectionProfile;
struct SessionData;

/*
 * The main window: a one-click test server, a URL bar to connect clients (with a connection form below it:
 * headers, subprotocols, Origin, auth, certificate checking, keep-alive pings, reconnection, and named
 * profiles of all that), the Connections dock listing the clients, the timeline of everything on the wire, the detail
 * of the selected event and a composer to send messages. It drives a CaptureSession, its own or one it is lent; all
 * socket work happens on the session's capture thread, so nothing here blocks on the network.
 *
 * Session files: Open reads .jsonl and .har files on a worker thread (into this window while its timeline is empty,
 * else into a new window with a capture of its own), Save writes the whole session as JSONL and Export writes it, or
 * the filtered or selected rows, in any export format, both from a snapshot of the store on a worker thread. The
 * title names the window's file and marks events not yet saved to it.
 */
class MainWindow : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    static constexpr quint16 DefaultServerPort = 8765;

    // A window driving a session that outlives it (tests, or a caller that shuts the session down itself).
    explicit MainWindow(CaptureSession* session, QWidget* parent = nullptr);
    // A window that owns its session: closing the window (destroying it) ends that capture.
    explicit MainWindow(std::unique_ptr<CaptureSession> session, QWidget* parent = nullptr);
    ~MainWindow() override;

    // A new window with a capture of its own, journaled to a new file in the default place, deleted when closed.
    static MainWindow* newWindow();

    // When set (the app does, tests need not), closing the window with events not saved to its file asks to save
    // them, discard them or cancel.
    void setAskToSaveOnClose(bool ask) { m_askToSaveOnClose = ask; }
    // When set (the app does, tests need not), the window takes the layout, theme, last URL and the server and
    // replay panes' setups of the previous run from QSettings now, and saves its own when it closes.
    void setRemembersLayout(bool remember);
    bool askToSaveOnClose() const { return m_askToSaveOnClose; }
    // An open, save or export is in progress (one at a time per window; further opens wait their turn).
    bool isFileTaskRunning() const
    {
        return m_task != nullptr || !m_pendingOpens.isEmpty() || !m_pendingRecoveryScan.isEmpty();
    }

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
    ProxyPane* proxyPane() const { return m_proxyPane; }
    // The saved connection profiles and recent URLs (loaded from the user's config when the window opens).
    const ConnectionProfiles& profiles() const { return *m_profiles; }

public Q_SLOTS:
    // Starts the test server with the server pane's options on this port (by default an echo server on
    // 127.0.0.1, moving on to the next ports when this one is taken).
    void startTestServer(quint16 port = DefaultServerPort);
    void stopTestServer();
    // Puts the URL in the URL bar and connects a client to it, with the headers and subprotocols set below it.
    void connectTo(const QUrl& url);
    // Reads a session file (.jsonl or .har) on a worker thread, then shows it in this window when its timeline is
    // empty, otherwise in a new window; sessionOpened follows. A file that cannot be read is explained in a message.
    void openSession(const QString& path);
    // Writes the whole session to the window's file (asks for one when it has none, or when it is not a .jsonl
    // session); nothing to do when nothing changed since. False when it did not start (or the user cancelled).
    bool saveSession();
    // Writes the whole session, losslessly (secrets included: it is the user's own data), as JSONL to path, which
    // then becomes the window's file; sessionSaved follows. False when it could not start.
    bool saveSessionAs(const QString& path);
    // Writes the chosen rows in the chosen format to path; sessionExported follows. False when it could not start
    // (a format that cannot be written yet is explained in a message).
    bool exportSession(const QString& path, const ExportDialog::Choice& choice);
    // Looks, on a worker thread, for the captures that earlier runs left unsaved in this folder and offers them in
    // a bar above the timeline (see RecoveryBar); nothing shows when there are none. This window's file task: an
    // open waits for it (isFileTaskRunning() is true until it is done).
    void offerRecovery(const QString& sessionsFolder);
    // The app is about to end without asking (SIGTERM at a logout, a kill): nothing is asked at close, and a capture
    // holding events not yet saved leaves its journal for the next start to offer (CaptureSession::
    // setEndingUnattended).
    void prepareForUnattendedEnd();
    // Fills the connection form with the named profile; false when there is none of that name.
    bool chooseProfile(const QString& name);
    // Saves what the connection form says as a profile of this name (replacing one of the same name); on bad
    // input or a failed write shows why and returns false.
    bool saveProfile(const QString& name);
    bool deleteProfile(const QString& name);

Q_SIGNALS:
    // path was read and is shown in window: this one, or a new one when this one held a capture already.
    void sessionOpened(const QString& path, wsi::MainWindow* window);
    void sessionSaved(const QString& path);
    void sessionExported(const QString& path, qint64 events);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
    void changeEvent(QEvent* event) override;
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragMoveEvent(QDragMoveEvent* event) override;
    void dropEvent(QDropEvent* event) override;

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
    // Window geometry, docks and toolbars, splitters, timeline columns, the last URL and the setups of the server
    // and replay panes, kept in QSettings across starts: restored when the window is made, saved when it closes.
    void restoreSettings();
    void saveSettings() const;
    void updateThemeActions();

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
    void showShortcuts();
    // The key is a shortcut of an enabled File command (Open, Save, Save As, Export, Quit).
    bool isFileCommandKey(const QKeyEvent* key) const;
    void chooseSessionFile();

    // Session files.
    void createFileActions();
    void chooseSaveFile();
    void chooseExport();
    void openRecentFile(const QString& path);
    void startNextOpen();
    // Puts what was read into this window's timeline, which must be empty.
    void showOpenedSession(const QString& path, SessionData& data);
    // Runs work on a worker thread with a progress dialog; done(cancelled) follows on this thread.
    void startTask(const QString& label, BackgroundTask::Unit unit, BackgroundTask::Work work,
        std::function<void(bool)> done, bool cancellable = true);
    void startRecoveryScan(const QString& sessionsFolder);
    void showRecoveryBar(std::shared_ptr<JournalRecovery> recovery);
    bool refuseWhileBusy();
    bool isOwnJournal(const QString& path) const;
    QString suggestedFileName(const QString& extension) const;
    void updateWindowTitle();
    void updateWindowModified();
    void updateFileActions();
    // The user chose to discard what this window captured: the journal kept for crash recovery has no more use.
    void journalNoLongerNeeded();
    // Asks before a save replaces the window's file, which held what the window could not show (m_fileLosses):
    // Discard (shown as Replace), Save (shown as Save As, when offered) or Cancel.
    QMessageBox::StandardButton askToReplaceLossy(const QString& path, bool offerSaveAs);

    std::unique_ptr<CaptureSession> m_ownedSession; // null when the session is lent
    CaptureSession* m_session;
    QMap<quint32, Client> m_clients;
    bool m_urlEditedByUser = false;

    TimelineViewModel* m_viewModel = nullptr;
    FilterBar* m_filterBar = nullptr;
    TimelineView* m_timeline = nullptr;
    QSplitter* m_mainSplitter = nullptr;
    QSplitter* m_bottomSplitter = nullptr;
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
    ProxyPane* m_proxyPane = nullptr;
    QDockWidget* m_proxyDock = nullptr;
    std::unique_ptr<ConnectionProfiles> m_profiles;
    bool m_profileSaveErrorShown = false;

    QAction* m_serverAction = nullptr;
    QAction* m_proxyAction = nullptr;
    QAction* m_connectAction = nullptr;
    QAction* m_disconnectAction = nullptr;
    QAction* m_copyUrlAction = nullptr;
    QAction* m_openAction = nullptr;
    QAction* m_quitAction = nullptr;
    QAction* m_aboutAction = nullptr;
    QAction* m_shortcutsAction = nullptr;
    QAction* m_saveProfileAction = nullptr;

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
    QActionGroup* m_themeGroup = nullptr; // View › Theme, one action per Theme::Mode (its data)
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

    QAction* m_saveAction = nullptr;
    QAction* m_saveAsAction = nullptr;
    QAction* m_exportAction = nullptr;
    RecentFilesMenu* m_recentMenu = nullptr;
    std::unique_ptr<BackgroundTask> m_task;
    QStringList m_pendingOpens;
    QString m_pendingRecoveryScan; // the folder to look in, before the next open
    qsizetype m_savedCount = 0; // rows of the store that the window's file holds
    quint64 m_savedSeq = 0; // the highest seq the window's file holds
    // What the window's file holds that the window does not show, and a save over it would drop.
    struct FileLosses
    {
        qsizetype unreadableLines = 0; // skipped by the reader
        qsizetype cutNotes = 0; // longer than the store keeps
        bool any() const { return unreadableLines > 0 || cutNotes > 0; }
    };
    FileLosses m_fileLosses;
    QDateTime m_sessionCreated; // when the opened session began; invalid for a capture of this window
    bool m_askToSaveOnClose = false;
    bool m_remembersLayout = false;
    bool m_closeAfterSave = false;
    ExportDialog::Choice m_lastExport;
};

} // namespace wsi
