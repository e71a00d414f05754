#pragma once

#include "core/eventstore.h"
#include "replay/jsonpathpattern.h"
#include "replay/replayclient.h"
#include "replay/replayplan.h"

#include <QUrl>
#include <QWidget>

#include <atomic>
#include <memory>
#include <optional>

class QAction;
class QButtonGroup;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QRadioButton;
class QSettings;
class QSpinBox;
class QStackedWidget;
class QStandardItemModel;
class QTabWidget;
class QTableView;
class QTableWidget;
class QTimer;
class QToolButton;

namespace wsi {

class CaptureSession;
class JsonHighlighter;
class ReplayCompareModel;
class ReplayServer;
struct SessionData;

/*
 * The Replay dock: plays a recorded connection again, from the current capture or a session file (.jsonl or
 * .har, read on a worker thread), either as the client against a server or as a mock server for clients.
 *
 * As client: the target URL, handshake headers and subprotocols come from the recording and can be edited; the
 * recorded c2s messages go out on the recorded schedule at a chosen speed, or paced by the server's replies,
 * with play, pause, step and stop; the replayed connection lands in the timeline like any other. What the server
 * sends back is compared with the recording as it arrives (ReplayCompareModel), side by side, with JSON paths to
 * ignore. As server: a local mock that plays the recorded s2c messages to whoever connects, on the schedule or
 * in answer to each client message. The engine (ReplayClient, ReplayServer) does the network work on the capture
 * thread; this pane only asks and shows. Every error is said in the pane, never in a dialog.
 */
class ReplayPane : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReplayPane)

public:
    enum class Source {
        CurrentSession,
        File,
    };
    enum class Mode {
        Client,
        Server,
    };
    enum CandidateColumn {
        CandidateIdColumn,
        CandidateRoleColumn,
        CandidateUrlColumn,
        CandidateC2sColumn,
        CandidateS2cColumn,
        CandidateDurationColumn,
        CandidateColumnCount
    };
    enum HeaderColumn {
        HeaderNameColumn,
        HeaderValueColumn,
    };
    // The speed choices (the combo's item data): a factor, AsFastAsPossible, or (client only) Paced.
    static constexpr double AsFastAsPossible = 0.0;
    static constexpr double Paced = -1.0;
    static constexpr int CandidateIdRole = Qt::UserRole + 1;
    static constexpr int ApplyDelayMs = 300; // typing in the ignore paths settles before the comparison reruns

    explicit ReplayPane(CaptureSession* session, QWidget* parent = nullptr);
    ~ReplayPane() override;

    Source source() const { return m_source; }
    QString filePath() const { return m_filePath; }
    // A source or a plan is being read or built on a worker thread.
    bool isBusy() const { return m_loading || m_planning; }
    // The connections of the source that have messages, as listed.
    const QList<ReplayCandidate>& candidates() const { return m_candidates; }
    quint32 selectedConnection() const { return m_selected; }
    Mode mode() const { return m_mode; }
    // The plan for the selected connection in this mode; null while there is none (or it could not be made).
    const ReplayPlan* plan() const { return m_plan ? &*m_plan : nullptr; }

    ReplayClient* client() const { return m_client; }
    ReplayServer* server() const { return m_server; }
    ReplayCompareModel* compareModel() const { return m_compare; }
    QAction* playAction() const { return m_playAction; }
    QAction* pauseAction() const { return m_pauseAction; }
    QAction* stepAction() const { return m_stepAction; }
    QAction* stopAction() const { return m_stopAction; }

    // What the pane says (empty when nothing): about the source, the selected connection's plan, the client
    // setup's input, the client replay, the mock server.
    QString sourceMessage() const;
    QString planMessage() const;
    QString setupMessage() const;
    QString runMessage() const;
    QString serverMessage() const;

    // The setup the user chose (the target they typed, speed, reply wait, ignore paths, the mock server's
    // options), kept across starts: written to and read from the settings' current group; a value that is
    // missing or cannot be used keeps what the pane has. A target URL is kept only when the user typed one
    // over the recorded URL, and it replaces the recorded URL once, for the first connection chosen after.
    void saveSettings(QSettings& settings) const;
    void restoreSettings(const QSettings& settings);

public Q_SLOTS:
    // Lists the connections of the capture as it is now (again: what was captured since is listed too).
    void useCurrentSession();
    // Reads a session file on a worker thread and lists its connections; errors are shown in the pane.
    void loadFile(const QString& path);
    void selectConnection(quint32 id);
    void setMode(wsi::ReplayPane::Mode mode);
    // Client: start (or resume) the replay; step sends one message and stays paused (starting paused first).
    void play();
    void pause();
    void step();
    void stop();
    // Server: start the mock server with what the server page says, and stop it.
    void startServer();
    void stopServer();

Q_SIGNALS:
    // The candidates were listed (or the source failed: then none are).
    void candidatesChanged();
    // A plan was made for the selected connection, or failed (plan() is then null and the reason shown).
    void planChanged();

protected:
    void showEvent(QShowEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    QWidget* createSourceSection();
    QWidget* createClientPage();
    QWidget* createSetupTab();
    QWidget* createCompareTab();
    QWidget* createServerPage();
    void createActions();

    void chooseFile();
    void onSourceChosen(int index);
    void setCandidates(const QList<ReplayCandidate>& candidates, const QStringList& warnings);
    void onCandidateSelected();
    void requestPlan();
    void takePlan(std::optional<ReplayPlan> plan, const QString& error);
    void fillClientFields(const ReplayPlan& plan);
    // Options from the client page; on bad input nullopt, the reason shown in the pane.
    std::optional<ReplayClientOptions> clientOptions();
    bool startReplay(bool paused);

    void onClientState(ReplayClient::State state);
    void onProgress(int sent, int total, int received);
    void onFinished(bool ok, const QString& reason);
    void applyIgnorePaths();
    void showComparedPair();
    void updateSummary();

    void updateControls();
    void updateServerUi();
    void updateHostHint();

    // Message colours come from the palette (hue -1: its own text colour); set again when it changes.
    void setMessage(QLabel* label, const QString& text, int hue);
    void updateColours();

    CaptureSession* m_session;
    Source m_source = Source::CurrentSession;
    Mode m_mode = Mode::Client;
    QString m_filePath;
    // What the connections come from: a file's contents, or the capture at the moment it was listed.
    std::shared_ptr<const SessionData> m_fileData;
    EventStore::Snapshot m_snapshot;
    QList<Connection> m_snapshotConnections;
    quint64 m_sourceGeneration = 0; // bumps for each source read: late results of an older one are dropped
    // The same, for the workers to see: a read that is no longer wanted stops early.
    std::shared_ptr<std::atomic<quint64>> m_liveSource = std::make_shared<std::atomic<quint64>>(0);
    quint64 m_planGeneration = 0;
    bool m_loading = false;
    bool m_planning = false;
    bool m_shownOnce = false;
    QList<ReplayCandidate> m_candidates;
    quint32 m_selected = 0;
    std::optional<ReplayPlan> m_plan;
    // The source and connection the client fields were filled from: edits survive a mode switch.
    quint64 m_fieldsGeneration = 0;
    quint32 m_fieldsConnection = 0;
    bool m_stepWhenOpen = false;
    QList<JsonPathPattern> m_ignore; // the last ignore paths that parsed
    QString m_restoredTarget; // the target URL of the last run, for the first connection's setup

    ReplayClient* m_client;
    ReplayServer* m_server;
    ReplayCompareModel* m_compare;
    int m_clientsServed = 0;
    int m_clientsConnected = 0;

    QAction* m_playAction = nullptr;
    QAction* m_pauseAction = nullptr;
    QAction* m_stepAction = nullptr;
    QAction* m_stopAction = nullptr;

    QComboBox* m_sourceCombo = nullptr;
    QLineEdit* m_fileEdit = nullptr;
    QPushButton* m_browseButton = nullptr;
    QPushButton* m_reloadButton = nullptr;
    QLabel* m_sourceStatus = nullptr;
    QStandardItemModel* m_candidateModel = nullptr;
    QTableView* m_candidateView = nullptr;
    QRadioButton* m_clientRadio = nullptr;
    QRadioButton* m_serverRadio = nullptr;
    QButtonGroup* m_modeGroup = nullptr;
    QLabel* m_planStatus = nullptr;
    QStackedWidget* m_pages = nullptr;

    QToolButton* m_playButton = nullptr;
    QToolButton* m_pauseButton = nullptr;
    QToolButton* m_stepButton = nullptr;
    QToolButton* m_stopButton = nullptr;
    QProgressBar* m_progress = nullptr;
    QLabel* m_receivedLabel = nullptr;
    QLabel* m_runStatus = nullptr;
    QTabWidget* m_clientTabs = nullptr;
    QLineEdit* m_targetUrl = nullptr;
    QTableWidget* m_headers = nullptr;
    QPushButton* m_addHeader = nullptr;
    QPushButton* m_removeHeader = nullptr;
    QLineEdit* m_subprotocols = nullptr;
    QComboBox* m_speed = nullptr;
    QSpinBox* m_replyTimeout = nullptr;
    QLabel* m_setupError = nullptr;

    QLabel* m_compareSummary = nullptr;
    QTableView* m_compareView = nullptr;
    QLabel* m_recordedTitle = nullptr;
    QLabel* m_receivedTitle = nullptr;
    QPlainTextEdit* m_recordedText = nullptr;
    QPlainTextEdit* m_receivedText = nullptr;
    JsonHighlighter* m_recordedHighlighter = nullptr;
    JsonHighlighter* m_receivedHighlighter = nullptr;
    QLabel* m_differences = nullptr;
    QPlainTextEdit* m_ignoreEdit = nullptr;
    QLabel* m_ignoreError = nullptr;
    QTimer* m_ignoreTimer;

    QComboBox* m_serverHost = nullptr;
    QLabel* m_hostHint = nullptr;
    QSpinBox* m_serverPort = nullptr;
    QComboBox* m_serverSchedule = nullptr;
    QComboBox* m_serverSpeed = nullptr;
    QCheckBox* m_loop = nullptr;
    QPushButton* m_serverButton = nullptr;
    QLineEdit* m_serverUrl = nullptr;
    QPushButton* m_copyUrl = nullptr;
    QLabel* m_clientsLabel = nullptr;
    QLabel* m_serverStatus = nullptr;
};

} // namespace wsi
