#include "mainwindow.h"

#include "appicon.h"
#include "backgroundtask.h"
#include "composerpane.h"
#include "connectionspane.h"
#include "core/capturequeue.h"
#include "core/eventstore.h"
#include "core/recorder.h"
#include "core/timelinemodel.h"
#include "core/timelineviewmodel.h"
#include "detailpane.h"
#include "filterbar.h"
#include "formats/journalrecovery.h"
#include "formats/sessionexporter.h"
#include "formats/sessionimport.h"
#include "formats/sessionpaths.h"
#include "formats/sessionreader.h"
#include "formats/storeexport.h"
#include "net/capturesession.h"
#include "net/connectionprofiles.h"
#include "net/endpointoptions.h"
#include "proxypane.h"
#include "recentfilesmenu.h"
#include "recoverybar.h"
#include "replaypane.h"
#include "serverpane.h"
#include "shortcutsdialog.h"
#include "statspane.h"
#include "theme.h"
#include "timelinedelegate.h"
#include "timelineview.h"
#include "uitext.h"
#include "wire/httphead.h"
#include "wire/utf8.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QCloseEvent>
#include <QComboBox>
#include <QCompleter>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QItemSelectionModel>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QStringListModel>
#include <QThreadPool>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

#ifndef WSI_VERSION
#define WSI_VERSION "unknown"
#endif

namespace wsi {

namespace {
QString defaultServerUrl(quint16 port)
{
    return QStringLiteral("ws://127.0.0.1:%1/").arg(port);
}
} // namespace

MainWindow::MainWindow(CaptureSession* session, QWidget* parent)
    : QMainWindow(parent)
    , m_session(session)
    , m_profiles(std::make_unique<ConnectionProfiles>())
{
    setObjectName(QStringLiteral("mainWindow"));
    // The app's icon for every window and dialog; the first window installs it (tests make windows without main()).
    AppIcon::install();

    createDocks();
    createActions();
    createTimelineActions();
    createMenus();
    createToolBar();
    createStatusBar();

    m_filterBar = new FilterBar(this);
    m_timeline = new TimelineView(this);
    m_timeline->setObjectName(QStringLiteral("timelineView"));
    m_detail = new DetailPane(this);
    m_composer = new ComposerPane(this);

    if (TimelineModel* model = m_session->model()) {
        m_viewModel = new TimelineViewModel(this);
        m_viewModel->setObjectName(QStringLiteral("timelineViewModel"));
        m_viewModel->setSourceModel(model);
        m_timeline->setModel(m_viewModel);
        m_detail->setModel(model);
        m_filterBar->setViewModel(m_viewModel);
        // The source counts what is captured (also while paused); the view model what is shown.
        connect(model, &QAbstractItemModel::rowsInserted, this, [this] {
            updateEventCount();
            updatePauseUi();
        });
        connect(model, &QAbstractItemModel::modelReset, this, &MainWindow::updateEventCount);
        connect(m_viewModel, &TimelineViewModel::countsChanged, this, [this] {
            updateEventCount();
            updatePauseUi();
        });
        connect(m_viewModel, &QAbstractItemModel::modelReset, this, &MainWindow::updateEventCount);
        connect(m_viewModel, &TimelineViewModel::pausedChanged, this, [this](bool paused) {
            m_pauseAction->setChecked(paused);
            updatePauseUi();
        });
        connect(m_viewModel, &TimelineViewModel::clearUndoAvailable, m_undoClearAction, &QAction::setEnabled);
        connect(m_viewModel, &TimelineViewModel::timeModeChanged, this, [this](TimelineViewModel::TimeMode mode) {
            for (QAction* action : m_timeModeGroup->actions())
                action->setChecked(action->data().toInt() == int(mode));
        });
        m_undoClearAction->setEnabled(m_viewModel->canUndoClear());
    } else {
        for (QAction* action : { m_pauseAction, m_clearAction, m_findAction, m_jumpToLatestAction })
            action->setEnabled(false);
        m_timeModeGroup->setEnabled(false);
        m_filterBar->setEnabled(false);
    }
    connect(m_timeline, &TimelineView::currentEventChanged, this, &MainWindow::onCurrentEventChanged);
    connect(m_filterBar, &FilterBar::leaveRequested, m_timeline, [this] { m_timeline->setFocus(); });
    // Shortcuts that mean something else in text fields (Ctrl+C, Ctrl+Z) act on the timeline only when it
    // has the focus; the menus show them all the same.
    m_timeline->addActions({ m_copyAction, m_copyJsonAction, m_undoClearAction });
    m_timeline->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_timeline, &QWidget::customContextMenuRequested, this, &MainWindow::showTimelineMenu);
    m_timeline->horizontalHeader()->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_timeline->horizontalHeader(), &QWidget::customContextMenuRequested, this, &MainWindow::showHeaderMenu);

    // The filter bar belongs to the timeline: it sits right above it and goes where it goes.
    auto* timelineArea = new QWidget(this);
    timelineArea->setObjectName(QStringLiteral("timelineArea"));
    auto* timelineLayout = new QVBoxLayout(timelineArea);
    timelineLayout->setContentsMargins(0, 0, 0, 0);
    timelineLayout->setSpacing(2);
    timelineLayout->addWidget(m_filterBar);
    timelineLayout->addWidget(m_timeline, 1);

    // The timeline gets the full width, so that previews are readable; below it the detail pane is wide
    // enough for a 16-byte hex dump line, and the composer sits beside it.
    auto* bottomSplitter = m_bottomSplitter = new QSplitter(Qt::Horizontal);
    bottomSplitter->setObjectName(QStringLiteral("bottomSplitter"));
    bottomSplitter->addWidget(m_detail);
    bottomSplitter->addWidget(m_composer);
    bottomSplitter->setStretchFactor(0, 3);
    bottomSplitter->setStretchFactor(1, 2);
    bottomSplitter->setChildrenCollapsible(false);
    bottomSplitter->setSizes({ 760, 500 });

    auto* mainSplitter = m_mainSplitter = new QSplitter(Qt::Vertical);
    mainSplitter->setObjectName(QStringLiteral("mainSplitter"));
    mainSplitter->addWidget(timelineArea);
    mainSplitter->addWidget(bottomSplitter);
    mainSplitter->setStretchFactor(0, 3);
    mainSplitter->setStretchFactor(1, 2);
    mainSplitter->setChildrenCollapsible(false);
    mainSplitter->setSizes({ 420, 280 });

    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->addWidget(createConnectBar());
    layout->addWidget(mainSplitter, 1);
    setCentralWidget(central);
    central->addAction(m_connectAction);

    addDockWidget(Qt::BottomDockWidgetArea, m_statsDock);
    m_statsDock->hide();
    addDockWidget(Qt::RightDockWidgetArea, m_serverDock);
    m_serverDock->hide();
    addDockWidget(Qt::LeftDockWidgetArea, m_connectionsDock);
    m_connectionsDock->hide();
    addDockWidget(Qt::RightDockWidgetArea, m_replayDock);
    m_replayDock->hide();
    addDockWidget(Qt::RightDockWidgetArea, m_proxyDock);
    m_proxyDock->hide();
    connect(m_connectionsPane, &ConnectionsPane::connectRequested, this, [this](const QString& profile) {
        if (profile.isEmpty())
            connectFromUrlBar();
        else
            connectWithProfile(profile);
    });
    // The connection one is looking at is the one to write to; selectTarget ignores connections not open.
    connect(m_connectionsPane, &ConnectionsPane::currentConnectionChanged, this, [this](quint32 connection) {
        if (connection != 0)
            m_composer->selectTarget(connection);
    });
    connect(m_connectionsPane, &ConnectionsPane::connectionActivated, this, [this](quint32 connection) {
        if (m_viewModel)
            m_filterBar->setConnection(connection);
    });
    connect(m_serverPane, &ServerPane::stateChanged, this, &MainWindow::updateServerUi);
    // An option that keeps the server from starting is explained in the pane, which must then be seen.
    connect(m_serverPane, &ServerPane::attentionNeeded, this, [this] {
        m_serverDock->show();
        m_serverDock->raise();
    });
    connect(m_serverPane, &ServerPane::clientActivated, this, [this](quint32 connection) {
        if (m_viewModel)
            m_filterBar->setConnection(connection);
    });
    // As for the server: a field that keeps the proxy from starting, or a start that failed, is told in the pane.
    connect(m_proxyPane, &ProxyPane::attentionNeeded, this, [this] {
        m_proxyDock->show();
        m_proxyDock->raise();
    });
    connect(m_proxyPane, &ProxyPane::connectionActivated, this, [this](quint32 connection) {
        if (m_viewModel)
            m_filterBar->setConnection(connection);
    });
    connect(m_session, &CaptureSession::proxyStarted, this,
        [this](const QUrl& url) { statusBar()->showMessage(tr("Proxy listening on %1").arg(url.toString()), 5000); });

    m_composer->setBacklogProbe(
        [session = m_session] { return session->isSendBacklogged() ? ComposerPane::MaxBacklog + 1 : qint64(0); });
    connect(m_composer, &ComposerPane::sendRequested, this,
        [this](const QList<quint32>& connections, bool binary, const QByteArray& payload) {
            const QString text = binary ? QString() : QString::fromUtf8(payload);
            for (quint32 connection : connections) {
                if (binary)
                    m_session->sendBinary(connection, payload);
                else
                    m_session->sendText(connection, text);
            }
        });
    // The composer can write to the test server's clients too. They are added here, once, with their peer (which
    // arrives just after their Open state), and removed in onConnectionStateChanged.
    connect(m_session, &CaptureSession::serverClientOpened, this, [this](const ServerClient& client) {
        if (m_session->connectionState(client.id) == ConnectionState::Open)
            m_composer->addTarget(client.id, client.peer + client.path, ConnectionRole::Server);
    });
    for (const ServerClient& client : m_session->serverClients()) // the session may be serving already
        m_composer->addTarget(client.id, client.peer + client.path, ConnectionRole::Server);
    // The connection the composer writes to comes back under a new id: the composer follows it (and only it).
    connect(m_session, &CaptureSession::clientReconnecting, m_composer,
        [this](quint32 previous, quint32 next) { m_composer->followReconnect(previous, next); });

    connect(m_session, &CaptureSession::serverStarted, this, &MainWindow::onServerStarted);
    connect(m_session, &CaptureSession::serverStartFailed, this,
        [this](const QString& reason) { showError(tr("Could not start the test server: %1").arg(reason)); });
    connect(m_session, &CaptureSession::connectionStateChanged, this, &MainWindow::onConnectionStateChanged);
    connect(m_session, &CaptureSession::clientReconnecting, this, &MainWindow::onClientReconnecting);
    connect(m_session, &CaptureSession::clientGaveUp, this, &MainWindow::onClientGaveUp);
    connect(m_session, &CaptureSession::journalFailed, this, [this](const QString& reason) {
        m_journalLabel->setText(tr("Journal: failed"));
        showError(tr("The capture is no longer written to the journal file: %1").arg(reason));
    });

    // The session may already be serving (it outlives windows); show what is true, not what we assume.
    if (m_session->isServerRunning())
        onServerStarted(m_session->serverUrl());
    updateServerUi();
    updateConnectionUi();
    updateEventCount();
    updatePauseUi();
    updateTimelineActions();
    loadProfiles();
    resize(1280, 800);
    // The layout of an earlier run comes back only for the app's own windows (setRemembersLayout): windows made by
    // tests and tools start from the defaults and leave no settings behind.
    updateThemeActions();

    // Session files: the title names the window's file and marks what is not saved to it; files dropped on the
    // window open as if chosen in File › Open.
    setAcceptDrops(true);
    if (TimelineModel* model = m_session->model()) {
        connect(model, &QAbstractItemModel::rowsInserted, this, &MainWindow::updateWindowModified);
        connect(model, &QAbstractItemModel::modelReset, this, &MainWindow::updateWindowModified);
    }
    updateWindowTitle();
    updateWindowModified();
    updateFileActions();
    // File commands must win over text fields that claim their keys (see eventFilter); only the application sees
    // a key's shortcut override before the focused field does.
    qApp->installEventFilter(this);
}

MainWindow::MainWindow(std::unique_ptr<CaptureSession> session, QWidget* parent)
    : MainWindow(session.get(), parent)
{
    m_ownedSession = std::move(session);
}

MainWindow::~MainWindow()
{
    // A file task calls back into this window: it is given up first (without waiting for a read that cannot stop,
    // such as a big HAR file being parsed; what it read is dropped). One that writes into the session (a recovered
    // capture going into the journal) is waited for: the session must outlive it.
    BackgroundTask::abandon(std::move(m_task));
    if (!m_ownedSession)
        return;
    // The capture ends now, while every pane can still take what it reports (connections closing, the last rows),
    // as it did when main() shut down the session it lent to its window.
    m_ownedSession->shutdown();
    // The panes and models read the session to their end, so it must outlive them, as a lent session does: made
    // the last child, it is deleted after all the others. Nothing it or its model says from here on may reach
    // this half-destroyed window.
    m_session->disconnect(this);
    if (TimelineModel* model = m_session->model())
        model->disconnect(this);
    m_ownedSession.release()->setParent(this);
}

MainWindow* MainWindow::newWindow()
{
    // Two windows opened in the same second would get the same default name, and share one journal.
    QString journal = defaultJournalPath();
    const QString stem = journal.chopped(int(QLatin1StringView(".jsonl").size()));
    for (int n = 2; QFileInfo::exists(journal); ++n)
        journal = stem + u'-' + QString::number(n) + QLatin1StringView(".jsonl");
    CaptureSession::Options options;
    options.journalPath = journal;
    options.removeEmptyJournal = true; // a window that only shows a file leaves no empty journal behind
    auto* window = new MainWindow(std::make_unique<CaptureSession>(options));
    window->setAttribute(Qt::WA_DeleteOnClose);
    return window;
}

ConnectionState MainWindow::clientState(quint32 connection) const
{
    // Closed clients are forgotten: a window open for days with a reconnecting client must not grow.
    const auto it = m_clients.constFind(connection);
    return it == m_clients.cend() ? ConnectionState::Closed : it->state;
}

void MainWindow::createDocks()
{
    // Statistics in a dock, hidden until asked for; View > Statistics (F9, the usual panel key) toggles it.
    m_statsDock = new QDockWidget(tr("Statistics"), this);
    m_statsDock->setObjectName(QStringLiteral("statisticsDock"));
    m_statsPane = new StatsPane(m_session->model(), m_statsDock);
    m_statsDock->setWidget(m_statsPane);
    m_statsDock->toggleViewAction()->setObjectName(QStringLiteral("statisticsAction"));
    m_statsDock->toggleViewAction()->setShortcut(QKeySequence(Qt::Key_F9));

    // The test server pane, beside the timeline (F7). Its start action is the toolbar's one-click start, so
    // both start the server the pane describes.
    m_serverDock = new QDockWidget(tr("Test server"), this);
    m_serverDock->setObjectName(QStringLiteral("serverDock"));
    m_serverPane = new ServerPane(m_session, m_statsPane->statistics(), m_serverDock);
    m_serverDock->setWidget(m_serverPane);
    m_serverDock->toggleViewAction()->setObjectName(QStringLiteral("serverPaneAction"));
    m_serverDock->toggleViewAction()->setShortcut(QKeySequence(Qt::Key_F7));
    m_serverDock->toggleViewAction()->setToolTip(
        tr("Show the test server's options, behaviour, auto-reply rules and clients (F7)"));

    // The client connections, left of the timeline (F6, next to the server's F7).
    m_connectionsDock = new QDockWidget(tr("Connections"), this);
    m_connectionsDock->setObjectName(QStringLiteral("connectionsDock"));
    m_connectionsPane = new ConnectionsPane(m_session, m_statsPane->statistics(), m_connectionsDock);
    m_connectionsDock->setWidget(m_connectionsPane);
    m_connectionsDock->toggleViewAction()->setObjectName(QStringLiteral("connectionsPaneAction"));
    m_connectionsDock->toggleViewAction()->setShortcut(QKeySequence(Qt::Key_F6));
    m_connectionsDock->toggleViewAction()->setToolTip(
        tr("Show the client connections: their state, traffic and round-trip time; disconnect, ping, duplicate (F6)"));

    // Replay, beside the timeline it adds to. F4, not F8 next to the server's F7: F8 pauses the display.
    m_replayDock = new QDockWidget(tr("Replay"), this);
    m_replayDock->setObjectName(QStringLiteral("replayDock"));
    m_replayPane = new ReplayPane(m_session, m_replayDock);
    m_replayDock->setWidget(m_replayPane);
    m_replayDock->toggleViewAction()->setObjectName(QStringLiteral("replayPaneAction"));
    m_replayDock->toggleViewAction()->setShortcut(QKeySequence(Qt::Key_F4));
    m_replayDock->toggleViewAction()->setToolTip(
        tr("Replay a recorded connection against a server, or serve it back as a mock server (F4)"));

    // The recording proxy, beside the timeline it records into. F3, the free key next to Replay's F4 (F2 edits
    // in item views, F10 steps the replay, F11 and F12 belong to the desktop and to developer tools).
    m_proxyDock = new QDockWidget(tr("Proxy"), this);
    m_proxyDock->setObjectName(QStringLiteral("proxyDock"));
    m_proxyPane = new ProxyPane(m_session, m_proxyDock);
    m_proxyDock->setWidget(m_proxyPane);
    m_proxyDock->toggleViewAction()->setObjectName(QStringLiteral("proxyPaneAction"));
    m_proxyDock->toggleViewAction()->setShortcut(QKeySequence(Qt::Key_F3));
    m_proxyDock->toggleViewAction()->setToolTip(
        tr("Show the recording proxy: put it between an app and its backend to see their traffic (F3)"));
}

void MainWindow::createActions()
{
    m_serverAction = m_serverPane->startStopAction();
    m_proxyAction = m_proxyPane->startStopAction();

    m_connectAction = new QAction(QIcon::fromTheme(QStringLiteral("network-connect")), tr("&Connect"), this);
    m_connectAction->setObjectName(QStringLiteral("connectAction"));
    m_connectAction->setToolTip(tr("Connect a client to the URL in the URL bar (F5)"));
    // F5 connects again, as a browser reloads; only outside the docks, where the Replay pane's F5 plays.
    m_connectAction->setShortcut(QKeySequence(Qt::Key_F5));
    m_connectAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    connect(m_connectAction, &QAction::triggered, this, &MainWindow::connectFromUrlBar);

    m_disconnectAction = new QAction(QIcon::fromTheme(QStringLiteral("network-disconnect")), tr("&Disconnect"), this);
    m_disconnectAction->setObjectName(QStringLiteral("disconnectAction"));
    m_disconnectAction->setToolTip(tr("Close the client connection chosen in the composer (code 1000)"));
    connect(m_disconnectAction, &QAction::triggered, this, &MainWindow::disconnectClient);

    m_copyUrlAction = new QAction(QIcon::fromTheme(QStringLiteral("edit-copy")), tr("Copy URL"), this);
    m_copyUrlAction->setObjectName(QStringLiteral("copyServerUrlAction"));
    m_copyUrlAction->setToolTip(tr("Copy the test server's URL to the clipboard"));
    connect(m_copyUrlAction, &QAction::triggered, this, [this] {
        if (m_session->isServerRunning()) {
            QApplication::clipboard()->setText(m_session->serverUrl().toString());
            statusBar()->showMessage(tr("Copied %1").arg(m_session->serverUrl().toString()), 3000);
        }
    });

    createFileActions();

    m_quitAction = new QAction(QIcon::fromTheme(QStringLiteral("application-exit")), tr("&Quit"), this);
    m_quitAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    m_quitAction->setMenuRole(QAction::QuitRole);
    // Every window, each asking about its unsaved capture; one that is kept open stops the quitting.
    connect(m_quitAction, &QAction::triggered, this, [] { QApplication::closeAllWindows(); });

    m_shortcutsAction = new QAction(tr("&Keyboard Shortcuts"), this);
    m_shortcutsAction->setObjectName(QStringLiteral("shortcutsAction"));
    m_shortcutsAction->setShortcut(QKeySequence::HelpContents);
    connect(m_shortcutsAction, &QAction::triggered, this, &MainWindow::showShortcuts);

    m_saveProfileAction = new QAction(tr("Save Connection &Profile\u2026"), this);
    m_saveProfileAction->setObjectName(QStringLiteral("saveProfileAction"));
    m_saveProfileAction->setToolTip(tr("Keep what the connection form says under a name"));
    connect(m_saveProfileAction, &QAction::triggered, this, &MainWindow::askProfileName);

    m_aboutAction = new QAction(tr("&About WebSocket Inspector"), this);
    m_aboutAction->setMenuRole(QAction::AboutRole);
    connect(m_aboutAction, &QAction::triggered, this, &MainWindow::showAbout);
}

void MainWindow::createTimelineActions()
{
    m_findAction = new QAction(QIcon::fromTheme(QStringLiteral("edit-find")), tr("&Filter\u2026"), this);
    m_findAction->setObjectName(QStringLiteral("findAction"));
    m_findAction->setShortcut(QKeySequence::Find);
    m_findAction->setToolTip(tr("Type what the timeline should show"));
    connect(m_findAction, &QAction::triggered, this, [this] { m_filterBar->focusText(); });

    m_pauseAction = new QAction(QIcon::fromTheme(QStringLiteral("media-playback-pause")), tr("&Pause Display"), this);
    m_pauseAction->setObjectName(QStringLiteral("pauseAction"));
    m_pauseAction->setCheckable(true);
    m_pauseAction->setShortcuts({ QKeySequence(Qt::Key_F8), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_P) });
    m_pauseAction->setToolTip(tr("Freeze the timeline to read it; the capture goes on (F8)"));
    connect(m_pauseAction, &QAction::toggled, this, [this](bool paused) {
        if (m_viewModel)
            m_viewModel->setPaused(paused);
        updatePauseUi();
    });

    m_clearAction = new QAction(QIcon::fromTheme(QStringLiteral("edit-clear-all")), tr("C&lear Timeline"), this);
    m_clearAction->setObjectName(QStringLiteral("clearAction"));
    m_clearAction->setShortcuts({ QKeySequence(Qt::CTRL | Qt::Key_L), QKeySequence(Qt::CTRL | Qt::Key_K) });
    m_clearAction->setToolTip(tr("Hide everything captured so far; the capture and the journal go on (Ctrl+L)"));
    connect(m_clearAction, &QAction::triggered, this, &MainWindow::clearTimeline);

    m_undoClearAction = new QAction(QIcon::fromTheme(QStringLiteral("edit-undo")), tr("&Undo Clear"), this);
    m_undoClearAction->setObjectName(QStringLiteral("undoClearAction"));
    m_undoClearAction->setShortcut(QKeySequence::Undo);
    m_undoClearAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_undoClearAction->setEnabled(false);
    connect(m_undoClearAction, &QAction::triggered, this, [this] {
        if (m_viewModel && m_viewModel->canUndoClear())
            m_viewModel->undoClear();
    });

    m_copyAction = new QAction(QIcon::fromTheme(QStringLiteral("edit-copy")), tr("&Copy"), this);
    m_copyAction->setObjectName(QStringLiteral("copyRowsAction"));
    m_copyAction->setShortcut(QKeySequence::Copy);
    m_copyAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_copyAction->setToolTip(tr("Copy the selected rows as text, one line per row, columns separated by tabs"));
    connect(m_copyAction, &QAction::triggered, this, &MainWindow::copySelection);

    m_copyJsonAction = new QAction(tr("Copy as &JSON Lines"), this);
    m_copyJsonAction->setObjectName(QStringLiteral("copyJsonLinesAction"));
    m_copyJsonAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    m_copyJsonAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_copyJsonAction->setToolTip(tr("Copy the selected events as session file lines"));
    connect(m_copyJsonAction, &QAction::triggered, this, &MainWindow::copySelectionAsJsonLines);

    m_copyPayloadAction = new QAction(tr("Copy &Payload"), this);
    m_copyPayloadAction->setObjectName(QStringLiteral("copyPayloadAction"));
    m_copyPayloadAction->setToolTip(tr("Copy the selected events' payloads (binary ones as hex)"));
    connect(m_copyPayloadAction, &QAction::triggered, this, &MainWindow::copyPayload);

    m_filterConnectionAction = new QAction(tr("Filter by This &Connection"), this);
    m_filterConnectionAction->setObjectName(QStringLiteral("filterConnectionAction"));
    connect(m_filterConnectionAction, &QAction::triggered, this, &MainWindow::filterBySelectedConnection);

    m_sendToComposerAction = new QAction(tr("&Send to Composer"), this);
    m_sendToComposerAction->setObjectName(QStringLiteral("sendToComposerAction"));
    m_sendToComposerAction->setToolTip(tr("Put the payload in the composer, addressed to this connection"));
    connect(m_sendToComposerAction, &QAction::triggered, this, &MainWindow::sendSelectedToComposer);

    m_jumpToLatestAction = new QAction(QIcon::fromTheme(QStringLiteral("go-bottom")), tr("&Jump to Latest"), this);
    m_jumpToLatestAction->setObjectName(QStringLiteral("jumpToLatestAction"));
    m_jumpToLatestAction->setToolTip(tr("Scroll to the newest event and follow the capture (End in the timeline)"));
    connect(m_jumpToLatestAction, &QAction::triggered, this, [this] { m_timeline->jumpToLatest(); });

    m_timeModeGroup = new QActionGroup(this);
    m_timeModeGroup->setExclusive(true);
    auto addTimeMode = [this](const char* name, const QString& text, TimelineViewModel::TimeMode mode) {
        auto* action = new QAction(text, m_timeModeGroup);
        action->setObjectName(QLatin1String(name));
        action->setCheckable(true);
        action->setData(int(mode));
        connect(action, &QAction::triggered, this, [this, mode] {
            if (m_viewModel)
                m_viewModel->setTimeMode(mode);
        });
        return action;
    };
    m_timeAbsoluteAction = addTimeMode("timeAbsoluteAction", tr("&Time of Day"), TimelineViewModel::TimeMode::Absolute);
    m_timeRelativeAction
        = addTimeMode("timeRelativeAction", tr("Seconds Since &Session Start"), TimelineViewModel::TimeMode::Relative);
    m_timeDeltaAction
        = addTimeMode("timeDeltaAction", tr("Seconds Since &Previous Row"), TimelineViewModel::TimeMode::Delta);
    m_timeAbsoluteAction->setChecked(true);
}

void MainWindow::createMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->setObjectName(QStringLiteral("fileMenu"));
    file->addAction(m_openAction);
    file->addMenu(m_recentMenu);
    file->addSeparator();
    file->addAction(m_saveAction);
    file->addAction(m_saveAsAction);
    file->addSeparator();
    file->addAction(m_exportAction);
    file->addSeparator();
    file->addAction(m_quitAction);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    edit->setObjectName(QStringLiteral("editMenu"));
    edit->addAction(m_undoClearAction);
    edit->addSeparator();
    edit->addAction(m_copyAction);
    edit->addAction(m_copyJsonAction);
    edit->addAction(m_copyPayloadAction);
    edit->addSeparator();
    edit->addAction(m_findAction);
    edit->addAction(m_clearAction);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->setObjectName(QStringLiteral("viewMenu"));
    QMenu* time = view->addMenu(tr("&Time Column"));
    time->addActions(m_timeModeGroup->actions());
    QMenu* theme = view->addMenu(tr("T&heme"));
    theme->setObjectName(QStringLiteral("themeMenu"));
    m_themeGroup = new QActionGroup(this);
    const auto addTheme = [this, theme](const char* name, const QString& text, Theme::Mode mode) {
        QAction* action = theme->addAction(text);
        action->setObjectName(QLatin1String(name));
        action->setCheckable(true);
        action->setData(int(mode));
        m_themeGroup->addAction(action);
        connect(action, &QAction::triggered, this, [mode] {
            Theme::apply(mode);
            // App-wide, like the theme itself: every window and the next start use it.
            QSettings().setValue(QStringLiteral("theme"), Theme::name(mode));
        });
    };
    addTheme("themeSystemAction", tr("&System"), Theme::Mode::System);
    addTheme("themeLightAction", tr("&Light"), Theme::Mode::Light);
    addTheme("themeDarkAction", tr("&Dark"), Theme::Mode::Dark);
    // Another window may have changed the theme since this menu was last shown.
    connect(theme, &QMenu::aboutToShow, this, &MainWindow::updateThemeActions);
    updateThemeActions();
    view->addSeparator();
    view->addAction(m_pauseAction);
    view->addAction(m_jumpToLatestAction);
    view->addSeparator();
    view->addAction(m_connectionsDock->toggleViewAction());
    view->addAction(m_serverDock->toggleViewAction());
    view->addAction(m_proxyDock->toggleViewAction());
    view->addAction(m_replayDock->toggleViewAction());
    view->addAction(m_statsDock->toggleViewAction());

    QMenu* capture = menuBar()->addMenu(tr("&Capture"));
    capture->setObjectName(QStringLiteral("captureMenu"));
    capture->addAction(m_serverAction);
    capture->addAction(m_copyUrlAction);
    capture->addSeparator();
    capture->addAction(m_proxyAction);
    capture->addSeparator();
    capture->addAction(m_connectAction);
    capture->addAction(m_disconnectAction);
    capture->addSeparator();
    capture->addAction(m_pauseAction);
    capture->addAction(m_clearAction);

    QMenu* tools = menuBar()->addMenu(tr("&Tools"));
    tools->setObjectName(QStringLiteral("toolsMenu"));
    tools->addAction(m_replayDock->toggleViewAction());
    tools->addAction(m_statsDock->toggleViewAction());
    tools->addSeparator();
    tools->addAction(m_saveProfileAction);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->setObjectName(QStringLiteral("helpMenu"));
    help->addAction(m_shortcutsAction);
    help->addSeparator();
    help->addAction(m_aboutAction);
}

void MainWindow::createToolBar()
{
    QToolBar* toolBar = addToolBar(tr("Test server"));
    toolBar->setObjectName(QStringLiteral("serverToolBar"));
    toolBar->setMovable(false);
    toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolBar->addAction(m_serverAction);
    toolBar->addSeparator();

    m_serverUrlLabel = new QLabel(this);
    m_serverUrlLabel->setObjectName(QStringLiteral("serverUrlLabel"));
    m_serverUrlLabel->setTextFormat(Qt::PlainText);
    // Selectable so the URL can be copied into a browser or a script, as well as with the button.
    m_serverUrlLabel->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_serverUrlLabel->setContentsMargins(8, 0, 4, 0);
    toolBar->addWidget(m_serverUrlLabel);
    toolBar->addAction(m_copyUrlAction);

    QToolBar* timelineBar = addToolBar(tr("Timeline"));
    timelineBar->setObjectName(QStringLiteral("timelineToolBar"));
    timelineBar->setMovable(false);
    timelineBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    timelineBar->addAction(m_pauseAction);
    timelineBar->addAction(m_clearAction);
}

QWidget* MainWindow::createConnectBar()
{
    auto* bar = new QWidget(this);

    m_urlEdit = new QLineEdit(defaultServerUrl(DefaultServerPort), bar);
    m_urlEdit->setObjectName(QStringLiteral("urlEdit"));
    m_urlEdit->setPlaceholderText(tr("ws://host:port/path or wss://\u2026"));
    m_urlEdit->setClearButtonEnabled(true);
    m_urlEdit->setToolTip(tr("The WebSocket URL to connect to; Down lists the recent ones"));
    // Once the user typed a URL, a server starting must not overwrite it.
    connect(m_urlEdit, &QLineEdit::textEdited, this, [this] {
        m_urlEditedByUser = true;
        clearConnectError();
    });
    connect(m_urlEdit, &QLineEdit::returnPressed, this, &MainWindow::connectFromUrlBar);
    m_recentUrlsModel = new QStringListModel(this);
    m_urlCompleter = new QCompleter(m_recentUrlsModel, this);
    m_urlCompleter->setObjectName(QStringLiteral("recentUrlsCompleter"));
    m_urlCompleter->setCaseSensitivity(Qt::CaseInsensitive);
    m_urlCompleter->setFilterMode(Qt::MatchContains); // "8765" finds ws://127.0.0.1:8765/
    m_urlCompleter->setCompletionMode(QCompleter::PopupCompletion);
    m_urlCompleter->setMaxVisibleItems(ConnectionProfiles::MaxRecentUrls);
    m_urlEdit->setCompleter(m_urlCompleter);
    m_urlEdit->installEventFilter(this);
    connect(m_urlCompleter, qOverload<const QString&>(&QCompleter::activated), this, [this] {
        m_urlEditedByUser = true;
        clearConnectError();
    });

    auto* urlLabel = new QLabel(tr("&URL:"), bar);
    urlLabel->setBuddy(m_urlEdit);

    m_connectButton = new QPushButton(tr("&Connect"), bar);
    m_connectButton->setObjectName(QStringLiteral("connectButton"));
    m_connectButton->setToolTip(m_connectAction->toolTip());
    connect(m_connectButton, &QPushButton::clicked, this, &MainWindow::connectFromUrlBar);

    m_disconnectButton = new QPushButton(tr("&Disconnect"), bar);
    m_disconnectButton->setObjectName(QStringLiteral("disconnectButton"));
    m_disconnectButton->setToolTip(m_disconnectAction->toolTip());
    connect(m_disconnectButton, &QPushButton::clicked, this, &MainWindow::disconnectClient);

    m_optionsToggle = new QToolButton(bar);
    m_optionsToggle->setObjectName(QStringLiteral("optionsToggle"));
    m_optionsToggle->setText(tr("Co&nnection options"));
    m_optionsToggle->setToolTip(
        tr("Profiles, headers, subprotocols, Origin, authentication, keep-alive pings and reconnection"));
    m_optionsToggle->setCheckable(true);
    m_optionsToggle->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_optionsToggle->setArrowType(Qt::RightArrow);
    m_optionsToggle->setAutoRaise(true);

    auto* row = new QHBoxLayout;
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(urlLabel);
    row->addWidget(m_urlEdit, 1);
    row->addWidget(m_connectButton);
    row->addWidget(m_disconnectButton);
    row->addWidget(m_optionsToggle);

    m_optionsPanel = createConnectionForm(bar);
    m_optionsPanel->setVisible(false);
    connect(m_optionsToggle, &QToolButton::toggled, this, [this](bool expanded) {
        m_optionsPanel->setVisible(expanded);
        m_optionsToggle->setArrowType(expanded ? Qt::DownArrow : Qt::RightArrow);
    });

    m_connectError = new QLabel(bar);
    m_connectError->setObjectName(QStringLiteral("connectErrorLabel"));
    m_connectError->setTextFormat(Qt::PlainText);
    m_connectError->setWordWrap(true);
    m_connectError->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_connectError->setVisible(false);

    auto* layout = new QVBoxLayout(bar);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(row);
    layout->addWidget(m_optionsPanel);
    layout->addWidget(m_connectError);
    return bar;
}

QWidget* MainWindow::createConnectionForm(QWidget* parent)
{
    auto* panel = new QWidget(parent);
    panel->setObjectName(QStringLiteral("optionsPanel"));

    // Profiles: the whole form under a name.
    m_profileCombo = new QComboBox(panel);
    m_profileCombo->setObjectName(QStringLiteral("profileCombo"));
    m_profileCombo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_profileCombo->setMinimumContentsLength(18);
    m_profileCombo->setToolTip(tr("Choosing a profile fills in the URL and the options below"));
    connect(m_profileCombo, &QComboBox::activated, this, [this](int index) {
        if (index > 0)
            chooseProfile(m_profileCombo->itemText(index));
        m_deleteProfileButton->setEnabled(index > 0);
    });
    auto* profileLabel = new QLabel(tr("&Profile:"), panel);
    profileLabel->setBuddy(m_profileCombo);
    m_saveProfileButton = new QPushButton(tr("Save &as\u2026"), panel);
    m_saveProfileButton->setObjectName(QStringLiteral("saveProfileButton"));
    m_saveProfileButton->setToolTip(tr("Save the URL and the options below as a named profile"));
    m_saveProfileButton->setAutoDefault(false);
    connect(m_saveProfileButton, &QPushButton::clicked, this, &MainWindow::askProfileName);
    m_deleteProfileButton = new QPushButton(tr("De&lete"), panel);
    m_deleteProfileButton->setObjectName(QStringLiteral("deleteProfileButton"));
    m_deleteProfileButton->setToolTip(tr("Delete the chosen profile"));
    m_deleteProfileButton->setAutoDefault(false);
    connect(m_deleteProfileButton, &QPushButton::clicked, this, &MainWindow::askDeleteProfile);
    m_profilesHint = new QLabel(panel);
    m_profilesHint->setObjectName(QStringLiteral("profilesHint"));
    m_profilesHint->setTextFormat(Qt::PlainText);
    m_profilesHint->setWordWrap(true);
    m_profilesHint->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_profilesHint->setForegroundRole(QPalette::PlaceholderText);
    m_profilesHint->setText(tr("Profiles are saved in plain text, tokens and passwords included, in %1. The URLs "
                               "you connected to are kept there too, query strings included (not passwords).")
                                .arg(QDir::toNativeSeparators(m_profiles->path())));
    auto* profileRow = new QHBoxLayout;
    profileRow->setContentsMargins(0, 0, 0, 0);
    profileRow->addWidget(profileLabel);
    profileRow->addWidget(m_profileCombo);
    profileRow->addWidget(m_saveProfileButton);
    profileRow->addWidget(m_deleteProfileButton);
    profileRow->addWidget(m_profilesHint, 1);

    // What goes into the upgrade request.
    m_headersEdit = new QPlainTextEdit(panel);
    m_headersEdit->setObjectName(QStringLiteral("headersEdit"));
    m_headersEdit->setPlaceholderText(tr("One header per line, e.g.\nX-Api-Key: abc123"));
    m_headersEdit->setTabChangesFocus(true);
    m_headersEdit->setFixedHeight(m_headersEdit->fontMetrics().lineSpacing() * 4
        + int(m_headersEdit->document()->documentMargin() * 2) + m_headersEdit->frameWidth() * 2);
    connect(m_headersEdit, &QPlainTextEdit::textChanged, this, &MainWindow::clearConnectError);
    m_subprotocolsEdit = new QLineEdit(panel);
    m_subprotocolsEdit->setObjectName(QStringLiteral("subprotocolsEdit"));
    m_subprotocolsEdit->setPlaceholderText(tr("e.g. graphql-ws, chat (comma separated, in order of preference)"));
    connect(m_subprotocolsEdit, &QLineEdit::textEdited, this, &MainWindow::clearConnectError);
    m_originEdit = new QLineEdit(panel);
    m_originEdit->setObjectName(QStringLiteral("originEdit"));
    m_originEdit->setPlaceholderText(tr("e.g. https://example.com (empty: no Origin header)"));
    connect(m_originEdit, &QLineEdit::textEdited, this, &MainWindow::clearConnectError);

    auto* requestForm = new QFormLayout;
    requestForm->setContentsMargins(0, 0, 0, 0);
    requestForm->addRow(tr("Hea&ders:"), m_headersEdit);
    requestForm->addRow(tr("&Subprotocols:"), m_subprotocolsEdit);
    requestForm->addRow(tr("&Origin:"), m_originEdit);

    // Authentication: becomes the Authorization header (unless the headers above have one).
    m_authCombo = new QComboBox(panel);
    m_authCombo->setObjectName(QStringLiteral("authCombo"));
    m_authCombo->addItem(tr("None"), int(ClientAuth::Kind::None));
    m_authCombo->addItem(tr("Bearer token"), int(ClientAuth::Kind::Bearer));
    m_authCombo->addItem(tr("Basic"), int(ClientAuth::Kind::Basic));
    m_authCombo->setToolTip(tr("Bearer: a token; Basic: a user name and password. Sent as the Authorization "
                               "header, unless the headers have one already."));
    connect(m_authCombo, &QComboBox::currentIndexChanged, this, [this] {
        updateAuthFields();
        clearConnectError();
    });
    m_tokenEdit = new QLineEdit(panel);
    m_tokenEdit->setObjectName(QStringLiteral("tokenEdit"));
    m_tokenEdit->setPlaceholderText(tr("token"));
    m_tokenEdit->setAccessibleName(tr("Bearer token"));
    connect(m_tokenEdit, &QLineEdit::textEdited, this, &MainWindow::clearConnectError);
    m_userEdit = new QLineEdit(panel);
    m_userEdit->setObjectName(QStringLiteral("userEdit"));
    m_userEdit->setPlaceholderText(tr("user"));
    m_userEdit->setAccessibleName(tr("User name"));
    connect(m_userEdit, &QLineEdit::textEdited, this, &MainWindow::clearConnectError);
    m_passwordEdit = new QLineEdit(panel);
    m_passwordEdit->setObjectName(QStringLiteral("passwordEdit"));
    m_passwordEdit->setPlaceholderText(tr("password"));
    m_passwordEdit->setAccessibleName(tr("Password"));
    m_passwordEdit->setEchoMode(QLineEdit::Password);
    connect(m_passwordEdit, &QLineEdit::textEdited, this, &MainWindow::clearConnectError);
    auto* basicFields = new QWidget(panel);
    auto* basicLayout = new QHBoxLayout(basicFields);
    basicLayout->setContentsMargins(0, 0, 0, 0);
    basicLayout->addWidget(m_userEdit);
    basicLayout->addWidget(m_passwordEdit);
    m_authFields = new QStackedWidget(panel);
    m_authFields->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    m_authFields->addWidget(new QWidget(m_authFields));
    m_authFields->addWidget(m_tokenEdit);
    m_authFields->addWidget(basicFields);
    auto* authRow = new QHBoxLayout;
    authRow->setContentsMargins(0, 0, 0, 0);
    authRow->addWidget(m_authCombo);
    authRow->addWidget(m_authFields, 1);

    m_ignoreCertificates = new QCheckBox(tr("I&gnore certificate errors (unsafe)"), panel);
    m_ignoreCertificates->setObjectName(QStringLiteral("ignoreCertificatesCheck"));
    m_ignoreCertificates->setToolTip(tr("wss:// only: accept any certificate, e.g. a self-signed one. Anyone on "
                                        "the way can then read and change the traffic."));

    m_pingIntervalSpin = new QSpinBox(panel);
    m_pingIntervalSpin->setObjectName(QStringLiteral("pingIntervalSpin"));
    m_pingIntervalSpin->setRange(0, 3600);
    m_pingIntervalSpin->setPrefix(tr("every "));
    m_pingIntervalSpin->setSuffix(tr(" s"));
    m_pingIntervalSpin->setSpecialValueText(tr("off"));
    m_pingIntervalSpin->setToolTip(tr("Send a ping this often while the connection is open (0: off)"));

    m_reconnectCheck = new QCheckBox(tr("&Reconnect automatically,"), panel);
    m_reconnectCheck->setObjectName(QStringLiteral("reconnectCheck"));
    m_reconnectCheck->setToolTip(tr("When the connection ends without you closing it, connect again, waiting "
                                    "twice as long after each failed attempt"));
    connect(m_reconnectCheck, &QCheckBox::toggled, this, &MainWindow::updateReconnectFields);
    const ReconnectPolicy defaults;
    m_initialDelaySpin = new QSpinBox(panel);
    m_initialDelaySpin->setObjectName(QStringLiteral("initialDelaySpin"));
    m_initialDelaySpin->setRange(10, 3600000);
    m_initialDelaySpin->setSingleStep(100);
    m_initialDelaySpin->setValue(defaults.initialDelayMs);
    m_initialDelaySpin->setPrefix(tr("first after "));
    m_initialDelaySpin->setToolTip(tr("The wait before the first attempt; it doubles after each failed one"));
    m_initialDelaySpin->setSuffix(tr(" ms"));
    m_initialDelaySpin->setAccessibleName(tr("Initial reconnection delay"));
    m_maxDelaySpin = new QSpinBox(panel);
    m_maxDelaySpin->setObjectName(QStringLiteral("maxDelaySpin"));
    m_maxDelaySpin->setRange(10, 3600000);
    m_maxDelaySpin->setSingleStep(1000);
    m_maxDelaySpin->setValue(defaults.maxDelayMs);
    m_maxDelaySpin->setPrefix(tr("doubling up to "));
    m_maxDelaySpin->setSuffix(tr(" ms"));
    m_maxDelaySpin->setAccessibleName(tr("Longest reconnection delay"));
    m_maxAttemptsSpin = new QSpinBox(panel);
    m_maxAttemptsSpin->setObjectName(QStringLiteral("maxAttemptsSpin"));
    m_maxAttemptsSpin->setRange(0, 100000);
    m_maxAttemptsSpin->setValue(defaults.maxAttempts);
    m_maxAttemptsSpin->setPrefix(tr("at most "));
    m_maxAttemptsSpin->setSuffix(tr(" attempts"));
    m_maxAttemptsSpin->setToolTip(tr("Attempts in a row before giving up (0: unlimited)"));
    m_maxAttemptsSpin->setSpecialValueText(tr("unlimited attempts"));
    m_maxAttemptsSpin->setAccessibleName(tr("Reconnection attempts (0: unlimited)"));
    for (QSpinBox* spin : { m_initialDelaySpin, m_maxDelaySpin, m_maxAttemptsSpin, m_pingIntervalSpin })
        connect(spin, &QSpinBox::valueChanged, this, &MainWindow::clearConnectError);
    auto* reconnectRow = new QHBoxLayout;
    reconnectRow->setContentsMargins(0, 0, 0, 0);
    reconnectRow->addWidget(m_reconnectCheck);
    reconnectRow->addWidget(m_initialDelaySpin);
    reconnectRow->addWidget(m_maxDelaySpin);
    reconnectRow->addWidget(m_maxAttemptsSpin);
    reconnectRow->addStretch(1);

    auto* behaviourForm = new QFormLayout;
    behaviourForm->setContentsMargins(0, 0, 0, 0);
    auto* authLabel = new QLabel(tr("Au&th:"), panel);
    authLabel->setBuddy(m_authCombo);
    behaviourForm->addRow(authLabel, authRow);
    auto* pingLabel = new QLabel(tr("&Keep-alive ping:"), panel);
    pingLabel->setBuddy(m_pingIntervalSpin);
    auto* pingRow = new QHBoxLayout;
    pingRow->setContentsMargins(0, 0, 0, 0);
    pingRow->addWidget(m_pingIntervalSpin);
    pingRow->addStretch(1);
    behaviourForm->addRow(pingLabel, pingRow);
    behaviourForm->addRow(QString(), m_ignoreCertificates);

    auto* columns = new QHBoxLayout;
    columns->setContentsMargins(0, 0, 0, 0);
    columns->addLayout(requestForm, 1);
    columns->addSpacing(12);
    columns->addLayout(behaviourForm, 1);

    auto* layout = new QVBoxLayout(panel);
    layout->setContentsMargins(0, 4, 0, 4);
    layout->addLayout(profileRow);
    layout->addLayout(columns);
    layout->addLayout(reconnectRow);

    QWidget::setTabOrder(m_profileCombo, m_saveProfileButton);
    QWidget::setTabOrder(m_saveProfileButton, m_deleteProfileButton);
    QWidget::setTabOrder(m_deleteProfileButton, m_headersEdit);
    QWidget::setTabOrder(m_headersEdit, m_subprotocolsEdit);
    QWidget::setTabOrder(m_subprotocolsEdit, m_originEdit);
    QWidget::setTabOrder(m_originEdit, m_authCombo);
    QWidget::setTabOrder(m_authCombo, m_tokenEdit);
    QWidget::setTabOrder(m_tokenEdit, m_userEdit);
    QWidget::setTabOrder(m_userEdit, m_passwordEdit);
    QWidget::setTabOrder(m_passwordEdit, m_pingIntervalSpin);
    QWidget::setTabOrder(m_pingIntervalSpin, m_reconnectCheck);
    QWidget::setTabOrder(m_reconnectCheck, m_initialDelaySpin);
    QWidget::setTabOrder(m_initialDelaySpin, m_maxDelaySpin);
    QWidget::setTabOrder(m_maxDelaySpin, m_maxAttemptsSpin);
    QWidget::setTabOrder(m_maxAttemptsSpin, m_ignoreCertificates);

    updateAuthFields();
    updateReconnectFields();
    updateWarningColours();
    return panel;
}

void MainWindow::createStatusBar()
{
    m_serverStatus = new QLabel(this);
    m_serverStatus->setObjectName(QStringLiteral("serverStatusLabel"));
    m_serverStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_eventCount = new QLabel(this);
    m_eventCount->setObjectName(QStringLiteral("eventCountLabel"));
    m_pauseLabel = new QLabel(this);
    m_pauseLabel->setObjectName(QStringLiteral("pauseLabel"));
    m_pauseLabel->setToolTip(tr("The timeline is paused; the capture goes on. F8 resumes."));
    m_pauseLabel->hide();
    m_journalLabel = new QLabel(this);
    m_journalLabel->setObjectName(QStringLiteral("journalLabel"));
    m_journalLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    const QString journal = m_session->journalPath();
    if (journal.isEmpty()) {
        m_journalLabel->setText(tr("Journal: off"));
        m_journalLabel->setToolTip(tr("This capture is not written to disk"));
    } else {
        m_journalLabel->setText(tr("Journal: %1").arg(QDir::toNativeSeparators(journal)));
        m_journalLabel->setToolTip(tr("Everything captured is written to this file as it happens"));
    }
    // Permanent widgets: temporary messages (errors, "Copied") go to the left and do not hide them.
    statusBar()->addPermanentWidget(m_serverStatus);
    statusBar()->addPermanentWidget(m_pauseLabel);
    statusBar()->addPermanentWidget(m_eventCount);
    statusBar()->addPermanentWidget(m_journalLabel);
}

void MainWindow::startTestServer(quint16 port)
{
    if (m_serverPane->state() != ServerPane::State::Stopped)
        return;
    m_serverPane->setPort(port);
    m_serverPane->start();
}

void MainWindow::stopTestServer()
{
    m_serverPane->stop();
}

void MainWindow::onServerStarted(const QUrl& url)
{
    if (!m_urlEditedByUser)
        m_urlEdit->setText(url.toString());
    updateServerUi();
    statusBar()->showMessage(tr("Test server listening on %1").arg(url.toString()), 5000);
}

void MainWindow::updateServerUi()
{
    // The start/stop action is the pane's; it keeps its own text. The labels here follow the pane's state.
    switch (m_serverPane->state()) {
    case ServerPane::State::Stopped:
        m_serverUrlLabel->setText(tr("Test server not running"));
        m_serverStatus->setText(tr("Server: stopped"));
        break;
    case ServerPane::State::Starting:
        m_serverUrlLabel->setText(tr("Starting\u2026"));
        m_serverStatus->setText(tr("Server: starting"));
        break;
    case ServerPane::State::Running: {
        const QString url = m_session->serverUrl().toString();
        m_serverUrlLabel->setText(url);
        m_serverStatus->setText(tr("Server: %1").arg(url));
        break;
    }
    }
    m_copyUrlAction->setEnabled(m_serverPane->state() == ServerPane::State::Running);
}

void MainWindow::connectTo(const QUrl& url)
{
    m_urlEdit->setText(url.toString());
    m_urlEditedByUser = true;
    connectFromUrlBar();
}

bool MainWindow::clientOptionsFromInput(ClientOptions* options)
{
    QString text = m_urlEdit->text().trimmed();
    if (text.isEmpty()) {
        showConnectError(tr("Enter a WebSocket URL, e.g. %1").arg(defaultServerUrl(DefaultServerPort)), m_urlEdit);
        return false;
    }
    // People type host:port; a WebSocket inspector can safely assume what they mean.
    if (!text.contains(QLatin1String("://")))
        text.prepend(QLatin1String("ws://"));
    const QUrl url(text, QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || url.host().isEmpty() || (scheme != u"ws" && scheme != u"wss")) {
        showConnectError(tr("\u201c%1\u201d is not a WebSocket URL. Use ws://host:port/path or wss://host/path.")
                             .arg(m_urlEdit->text().trimmed()),
            m_urlEdit);
        return false;
    }
    options->url = url;

    const QStringList lines = m_headersEdit->toPlainText().split(QLatin1Char('\n'));
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QString line = lines.at(i).trimmed();
        if (line.isEmpty())
            continue;
        const qsizetype colon = line.indexOf(QLatin1Char(':'));
        if (colon < 0) {
            showConnectError(tr("Header line %1, \u201c%2\u201d, has no colon. Write one header per line as "
                                "Name: value.")
                                 .arg(i + 1)
                                 .arg(line),
                m_headersEdit);
            return false;
        }
        const QString name = line.left(colon).trimmed();
        const QString value = line.mid(colon + 1).trimmed();
        // The same rules as `connect -H`, including the headers the client writes itself.
        if (const QString problem = extraHeaderProblem(name, value); !problem.isEmpty()) {
            showConnectError(tr("Header line %1: %2.").arg(i + 1).arg(problem), m_headersEdit);
            return false;
        }
        options->headers.append({ name.toLatin1(), value.toUtf8() });
    }

    const QStringList protocols = m_subprotocolsEdit->text().split(QLatin1Char(','), Qt::SkipEmptyParts);
    for (const QString& p : protocols) {
        const QString protocol = p.trimmed();
        if (protocol.isEmpty())
            continue;
        if (!isHttpToken(protocol)) {
            showConnectError(
                tr("\u201c%1\u201d is not a valid subprotocol name (no spaces or separators).").arg(protocol),
                m_subprotocolsEdit);
            return false;
        }
        options->subprotocols << protocol;
    }

    const QString origin = m_originEdit->text().trimmed();
    if (!isHttpFieldValue(origin)) {
        showConnectError(tr("The Origin contains control characters."), m_originEdit);
        return false;
    }
    options->origin = origin;

    ClientAuth auth;
    auth.kind = ClientAuth::Kind(m_authCombo->currentData().toInt());
    switch (auth.kind) {
    case ClientAuth::Kind::None:
        break;
    case ClientAuth::Kind::Bearer:
        auth.token = m_tokenEdit->text().trimmed();
        if (auth.token.isEmpty()) {
            showConnectError(tr("Enter the bearer token, or choose no authentication."), m_tokenEdit);
            return false;
        }
        if (!isHttpFieldValue(auth.token)) {
            showConnectError(tr("The bearer token contains control characters."), m_tokenEdit);
            return false;
        }
        break;
    case ClientAuth::Kind::Basic:
        auth.user = m_userEdit->text();
        auth.password = m_passwordEdit->text();
        if (auth.user.isEmpty() && auth.password.isEmpty()) {
            showConnectError(tr("Enter a user name and password, or choose no authentication."), m_userEdit);
            return false;
        }
        // RFC 7617: the first colon ends the user name, so a user name cannot hold one.
        if (auth.user.contains(QLatin1Char(':'))) {
            showConnectError(tr("A user name for Basic authentication cannot contain a colon."), m_userEdit);
            return false;
        }
        if (!isHttpFieldValue(auth.user) || !isHttpFieldValue(auth.password)) {
            showConnectError(tr("The user name or password contains control characters."),
                !isHttpFieldValue(auth.user) ? m_userEdit : m_passwordEdit);
            return false;
        }
        break;
    }
    options->auth = auth;
    options->ignoreCertificateErrors = m_ignoreCertificates->isChecked();
    options->pingIntervalMs = m_pingIntervalSpin->value() * 1000;

    options->reconnect.enabled = m_reconnectCheck->isChecked();
    options->reconnect.initialDelayMs = m_initialDelaySpin->value();
    options->reconnect.maxDelayMs = m_maxDelaySpin->value();
    options->reconnect.maxAttempts = m_maxAttemptsSpin->value();
    if (options->reconnect.enabled && options->reconnect.maxDelayMs < options->reconnect.initialDelayMs) {
        showConnectError(tr("The longest wait between reconnection attempts (%1 ms) is shorter than the first "
                            "(%2 ms).")
                             .arg(options->reconnect.maxDelayMs)
                             .arg(options->reconnect.initialDelayMs),
            m_maxDelaySpin);
        return false;
    }
    return true;
}

void MainWindow::connectFromUrlBar()
{
    ClientOptions options;
    if (!clientOptionsFromInput(&options))
        return;
    clearConnectError();
    const quint32 id = m_connectionsPane->openConnection(options);
    // The password stays out of the status bar, the composer's targets and the recent URLs.
    const QString url = options.url.toString(QUrl::RemovePassword);
    m_clients.insert(id, Client { url, ConnectionState::Connecting, true, options.reconnect.enabled });
    updateConnectionUi();
    statusBar()->showMessage(tr("Connecting #%1 to %2\u2026").arg(id).arg(url), 5000);
}

void MainWindow::disconnectClient()
{
    // The composer's target is the connection the user is looking at; failing that, the newest live one
    // (e.g. one still connecting to a server that does not answer).
    quint32 id = m_composer->currentTarget();
    if (id == 0 || !m_clients.contains(id)) {
        id = 0;
        for (auto it = m_clients.cbegin(); it != m_clients.cend(); ++it) {
            if (it->state == ConnectionState::Connecting || it->state == ConnectionState::Open)
                id = it.key();
        }
    }
    if (id == 0)
        return;
    // Through the Connections pane when it lists the client, so that its row knows the user closed it: a drop
    // the engine noticed first must not start a reconnection loop no one sees.
    if (!m_connectionsPane->disconnectConnection(id, 1000, QString()))
        m_session->closeConnection(id, 1000, QString());
    if (const auto it = m_clients.find(id); it != m_clients.end())
        it->reconnects = false; // the user ended it: forgotten once closed
}

void MainWindow::showConnectError(const QString& message, QWidget* culprit)
{
    // Red derived from the palette so it reads on light and dark themes alike.
    QPalette palette = m_connectError->palette();
    palette.setColor(QPalette::WindowText, TimelineDelegate::accentColor(palette, 0));
    m_connectError->setPalette(palette);
    m_connectError->setText(message);
    m_connectError->setVisible(true);
    if (culprit != m_urlEdit && !m_optionsToggle->isChecked())
        m_optionsToggle->setChecked(true); // the mistake must be visible to be fixed
    if (culprit)
        culprit->setFocus(Qt::OtherFocusReason);
}

void MainWindow::clearConnectError()
{
    if (m_connectError->isHidden())
        return;
    m_connectError->clear();
    m_connectError->setVisible(false);
}

void MainWindow::onConnectionStateChanged(quint32 connection, ConnectionRole role, ConnectionState state)
{
    if (role == ConnectionRole::Server) {
        // The test server's side of a connection: added to the composer's targets on serverClientOpened.
        if (state != ConnectionState::Open && state != ConnectionState::Connecting)
            m_composer->removeTarget(connection);
        return;
    }
    if (role != ConnectionRole::Client)
        return;
    auto it = m_clients.find(connection);
    if (it == m_clients.end()) {
        if (state == ConnectionState::Closed)
            return; // forgotten already, or never known: nothing to show
        // Opened by someone else (e.g. --connect through the session); ours to write to.
        it = m_clients.insert(connection, Client { QString(), state });
    }
    if (it->url.isEmpty()) {
        // The connection's description reaches the timeline with a batch, which may come after this state.
        const EventStore* store = m_session->store();
        const Connection* c = store ? store->connection(connection) : nullptr;
        it->url = c ? QUrl(c->url).toString(QUrl::RemovePassword) : QString();
    }
    it->state = state;
    switch (state) {
    case ConnectionState::Open:
        m_composer->addTarget(connection, it->url);
        // What the user just opened with the form is what they want to write to; so is the row chosen in the
        // Connections pane, which may have been waiting for this. Other connections do not take the target.
        // A reconnection is the composer's only if its predecessor was (ComposerPane::followReconnect).
        if ((it->fromForm && !it->isReconnection) || m_connectionsPane->currentConnection() == connection)
            m_composer->selectTarget(connection);
        if (it->fromForm)
            rememberUrl(it->url);
        statusBar()->showMessage(it->url.isEmpty() ? tr("Connected #%1").arg(connection)
                                                   : tr("Connected #%1 to %2").arg(connection).arg(it->url),
            5000);
        break;
    case ConnectionState::Closing:
        m_composer->removeTarget(connection);
        break;
    case ConnectionState::Closed:
        m_composer->removeTarget(connection);
        statusBar()->showMessage(tr("Connection #%1 closed").arg(connection), 5000);
        // Nothing refers to a closed client any more, except the reconnection that may follow it: that needs
        // to know it came from the form (onClientReconnecting, onClientGaveUp forget it then).
        if (!(it->fromForm && it->reconnects))
            m_clients.erase(it);
        break;
    case ConnectionState::Connecting:
        break;
    }
    updateConnectionUi();
}

void MainWindow::onClientReconnecting(quint32 previous, quint32 next, int attempt, int maxAttempts, int delayMs)
{
    // The next attempt is a connection of its own, waiting for its timer: it is listed now, so the URL bar's
    // Disconnect can call it off (closing a waiting attempt cancels it) without the Connections dock.
    Client client;
    if (const auto it = m_clients.constFind(previous); it != m_clients.cend()) {
        client = *it;
        if (it->state == ConnectionState::Closed)
            m_clients.erase(it);
    }
    client.state = ConnectionState::Connecting;
    client.isReconnection = true;
    if (const auto it = m_clients.constFind(next); it == m_clients.cend() || it->state != ConnectionState::Open)
        m_clients.insert(next, client);
    const QString seconds = QLocale().toString(double(std::max(0, delayMs)) / 1000.0, 'f', 1);
    statusBar()->showMessage(maxAttempts > 0
            ? tr("Connection #%1 ended; reconnecting in %2 s as #%3 (attempt %4 of %5)")
                  .arg(previous)
                  .arg(seconds)
                  .arg(next)
                  .arg(attempt)
                  .arg(maxAttempts)
            : tr("Connection #%1 ended; reconnecting in %2 s as #%3 (attempt %4)")
                  .arg(previous)
                  .arg(seconds)
                  .arg(next)
                  .arg(attempt),
        std::max(5000, delayMs));
    updateConnectionUi();
}

void MainWindow::onClientGaveUp(quint32 connection, int attempts)
{
    QString url;
    if (const auto it = m_clients.constFind(connection); it != m_clients.cend()) {
        url = it->url;
        if (it->state == ConnectionState::Closed)
            m_clients.erase(it);
    }
    // Stays until something else is said: the user may not have been watching when it happened.
    const QString after = attempts == 1 ? tr("after 1 attempt") : tr("after %1 attempts").arg(attempts);
    statusBar()->showMessage(url.isEmpty() ? tr("Gave up reconnecting #%1 %2").arg(connection).arg(after)
                                           : tr("Gave up reconnecting #%1 to %2 %3").arg(connection).arg(url, after));
    updateConnectionUi();
}

void MainWindow::updateConnectionUi()
{
    // Closed clients are dropped as they close, so this walks the live ones (and the few waiting for a
    // reconnection to be announced), not every attempt there ever was.
    bool anyLive = false;
    for (const Client& c : std::as_const(m_clients))
        anyLive = anyLive || c.state == ConnectionState::Connecting || c.state == ConnectionState::Open;
    m_disconnectAction->setEnabled(anyLive);
    m_disconnectButton->setEnabled(anyLive);
}

void MainWindow::onCurrentEventChanged(int sourceRow)
{
    m_detail->showRow(sourceRow);
    // Writing to the connection one is looking at is what the user expects; selectTarget ignores
    // connections that are not open clients.
    const EventStore* store = m_session->store();
    if (store && sourceRow >= 0 && sourceRow < store->count())
        m_composer->selectTarget(store->connectionId(sourceRow));
    updateTimelineActions();
}

namespace {
// Kinds whose payload is a message a user could send again.
bool isResendable(EventKind kind)
{
    return kind == EventKind::Text || kind == EventKind::Binary || kind == EventKind::Ping || kind == EventKind::Pong;
}
} // namespace

void MainWindow::updateTimelineActions()
{
    const bool hasSelection = m_timeline->selectionModel() && m_timeline->selectionModel()->hasSelection();
    for (QAction* action : { m_copyAction, m_copyJsonAction, m_copyPayloadAction })
        action->setEnabled(hasSelection);
    const EventStore* store = m_session->store();
    const int row = hasSelection ? m_timeline->currentSourceRow() : -1;
    const bool valid = store && row >= 0 && row < store->count();
    m_filterConnectionAction->setEnabled(valid);
    m_filterConnectionAction->setText(
        valid ? tr("Filter by Connection #%1").arg(store->connectionId(row)) : tr("Filter by This &Connection"));
    m_sendToComposerAction->setEnabled(valid && isResendable(store->kind(row)));
}

void MainWindow::updatePauseUi()
{
    const bool paused = m_viewModel && m_viewModel->isPaused();
    if (paused)
        m_pauseLabel->setText(tr("Paused \u2014 %1 new").arg(QLocale().toString(m_viewModel->pendingCount())));
    m_pauseLabel->setVisible(paused);
    m_pauseAction->setText(paused ? tr("Resume &Display") : tr("&Pause Display"));
    m_pauseAction->setIcon(
        QIcon::fromTheme(paused ? QStringLiteral("media-playback-start") : QStringLiteral("media-playback-pause")));
}

void MainWindow::showTimelineMenu(const QPoint& pos)
{
    updateTimelineActions();
    QMenu menu(this);
    menu.addAction(m_copyAction);
    menu.addAction(m_copyJsonAction);
    menu.addAction(m_copyPayloadAction);
    menu.addSeparator();
    menu.addAction(m_filterConnectionAction);
    menu.addAction(m_sendToComposerAction);
    menu.addSeparator();
    menu.addAction(m_clearAction);
    if (m_undoClearAction->isEnabled())
        menu.addAction(m_undoClearAction);
    menu.exec(m_timeline->viewport()->mapToGlobal(pos));
}

void MainWindow::showHeaderMenu(const QPoint& pos)
{
    QHeaderView* header = m_timeline->horizontalHeader();
    QMenu menu(this);
    menu.addSection(tr("Time column"));
    menu.addActions(m_timeModeGroup->actions());
    menu.addSection(tr("Columns"));
    const QAbstractItemModel* model = m_timeline->model();
    // The preview stretches to fill the row; hiding it would leave a hole.
    for (int column = 0; model && column < model->columnCount() - 1; ++column) {
        QAction* action = menu.addAction(model->headerData(column, Qt::Horizontal).toString());
        action->setCheckable(true);
        action->setChecked(!header->isSectionHidden(column));
        connect(action, &QAction::toggled, header,
            [header, column](bool shown) { header->setSectionHidden(column, !shown); });
    }
    menu.exec(header->viewport()->mapToGlobal(pos));
}

void MainWindow::clearTimeline()
{
    if (!m_viewModel)
        return;
    m_viewModel->clear();
    statusBar()->showMessage(tr("Timeline cleared; the capture goes on. Edit \u203a Undo Clear (%1 in the timeline) "
                                "brings the rows back.")
                                 .arg(QKeySequence(QKeySequence::Undo).toString(QKeySequence::NativeText)),
        8000);
}

void MainWindow::copySelection()
{
    QApplication::clipboard()->setText(m_timeline->selectionAsText());
}

void MainWindow::copySelectionAsJsonLines()
{
    QApplication::clipboard()->setText(QString::fromUtf8(m_timeline->selectionAsJsonLines()));
}

void MainWindow::copyPayload()
{
    const EventStore* store = m_session->store();
    if (!store)
        return;
    // Text as text; what is not (binary frames, invalid UTF-8) as hex, which survives a clipboard.
    QStringList payloads;
    for (int row : m_timeline->selectedSourceRows()) {
        if (row >= store->count())
            continue;
        const QByteArrayView payload = store->payload(row);
        if (store->kind(row) == EventKind::Binary || !isValidUtf8(payload))
            payloads << QString::fromLatin1(payload.toByteArray().toHex(' '));
        else
            payloads << QString::fromUtf8(payload);
    }
    QApplication::clipboard()->setText(payloads.join(QLatin1Char('\n')));
}

void MainWindow::filterBySelectedConnection()
{
    const EventStore* store = m_session->store();
    const int row = m_timeline->currentSourceRow();
    if (store && row >= 0 && row < store->count())
        m_filterBar->setConnection(store->connectionId(row));
}

void MainWindow::sendSelectedToComposer()
{
    const EventStore* store = m_session->store();
    const int row = m_timeline->currentSourceRow();
    if (!store || row < 0 || row >= store->count())
        return;
    if (!m_composer->setPayload(store->payload(row).toByteArray(), store->kind(row) == EventKind::Binary)) {
        statusBar()->showMessage(tr("The payload is too large to edit in the composer"), 5000);
        return;
    }
    const quint32 connection = store->connectionId(row);
    if (m_composer->selectTarget(connection)) {
        statusBar()->showMessage(tr("The composer sends to #%1").arg(connection), 5000);
    } else {
        // A closed connection cannot be written to; the payload is still useful.
        statusBar()->showMessage(
            tr("Payload put in the composer; #%1 is not open any more, choose where to send it").arg(connection), 5000);
    }
}

void MainWindow::updateEventCount()
{
    if (!m_viewModel) {
        const TimelineModel* model = m_session->model();
        m_eventCount->setText(UiText::eventCount(model ? model->rowCount() : 0));
        return;
    }
    if (m_viewModel->filter().isEmpty()) {
        m_eventCount->setText(UiText::eventCount(m_viewModel->totalCount()));
        return;
    }
    const QLocale locale;
    m_eventCount->setText(
        tr("%1 of %2 events")
            .arg(locale.toString(m_viewModel->matchCount()), locale.toString(m_viewModel->totalCount())));
}

void MainWindow::showError(const QString& message)
{
    statusBar()->showMessage(message);
    // Non-modal: a failure must not stop the capture or the user. One box collects what goes wrong.
    if (m_errorBox && m_errorBox->isVisible()) {
        m_errorBox->setText(m_errorBox->text() + QLatin1String("\n\n") + message);
        return;
    }
    if (!m_errorBox) {
        m_errorBox
            = new QMessageBox(QMessageBox::Warning, tr("WebSocket Inspector"), QString(), QMessageBox::Close, this);
        m_errorBox->setObjectName(QStringLiteral("errorMessageBox"));
        m_errorBox->setTextFormat(Qt::PlainText);
        m_errorBox->setAttribute(Qt::WA_DeleteOnClose);
        m_errorBox->setModal(false);
        m_errorBox->setWindowModality(Qt::NonModal);
    }
    m_errorBox->setText(message);
    m_errorBox->show();
    m_errorBox->raise();
}

void MainWindow::offerRecovery(const QString& sessionsFolder)
{
    // Reading the journals left behind takes about a second a gigabyte: on a worker, like opening a file, so that
    // the window shows at once. A file named on the command line waits for it (it is the same window's task).
    m_pendingRecoveryScan = sessionsFolder;
    startNextOpen();
}

void MainWindow::startRecoveryScan(const QString& sessionsFolder)
{
    auto recovery = std::make_shared<JournalRecovery>(sessionsFolder);
    startTask(
        tr("Looking for unsaved captures\u2026"), BackgroundTask::Unit::Bytes,
        [recovery](BackgroundTask::Progress& progress) {
            recovery->scan([&progress](qint64 done, qint64 total) { return progress.report(done, total); });
        },
        [this, recovery](bool cancelled) {
            // Cancelled: what was claimed is let go with the recovery, and offered again at the next start.
            if (!cancelled && !recovery->journals().isEmpty())
                showRecoveryBar(recovery);
        });
}

void MainWindow::showRecoveryBar(std::shared_ptr<JournalRecovery> recovery)
{
    auto* timelineArea = findChild<QWidget*>(QStringLiteral("timelineArea"));
    if (!timelineArea)
        return;
    auto* bar = new RecoveryBar(m_session, std::move(recovery), timelineArea);
    qobject_cast<QVBoxLayout*>(timelineArea->layout())->insertWidget(0, bar);
    bar->show(); // the window may be showing already: a late child would otherwise appear only later
    connect(bar, &RecoveryBar::message, this, [this](const QString& text) { statusBar()->showMessage(text, 10000); });
    // A capture that cannot go into this timeline (it has begun) opens in a window of this process, like any file
    // opened into a busy window.
    bar->setLauncher([this](const QString& path) {
        openSession(path);
        return true;
    });
    // The window's one file task at a time: a recovery does not run beside an open into the same timeline.
    bar->setTaskRunner([this](const QString& label, BackgroundTask::Unit unit, BackgroundTask::Work work,
                           std::function<void(bool)> done, bool cancellable) {
        if (m_task)
            return false;
        startTask(label, unit, std::move(work), std::move(done), cancellable);
        return true;
    });
}

// --- Session files -----------------------------------------------------------------------------------------------

namespace {
QString appNameAndVersion()
{
    return QStringLiteral("wsinspector %1").arg(QStringLiteral(WSI_VERSION));
}

// Local files with a session's extension among dropped URLs.
QStringList droppedSessionFiles(const QMimeData* mime)
{
    QStringList files;
    if (!mime || !mime->hasUrls())
        return files;
    for (const QUrl& url : mime->urls()) {
        if (!url.isLocalFile())
            continue;
        const QString path = url.toLocalFile();
        if (const auto format = sessionFormatForPath(path); format && canImport(*format))
            files << path;
    }
    return files;
}

// A note longer than this is cut by the store (its record keeps a 16-bit length).
constexpr qsizetype MaxStoredNoteBytes = std::numeric_limits<quint16>::max();

// Where file dialogs start: the folder of the file last opened or saved.
QString lastFolder()
{
    const QStringList recent = RecentFilesMenu::files();
    return recent.isEmpty() ? QDir::homePath() : QFileInfo(recent.constFirst()).absolutePath();
}
} // namespace

void MainWindow::createFileActions()
{
    m_openAction = new QAction(QIcon::fromTheme(QStringLiteral("document-open")), tr("&Open\u2026"), this);
    m_openAction->setObjectName(QStringLiteral("openSessionAction"));
    m_openAction->setShortcut(QKeySequence::Open);
    m_openAction->setToolTip(tr("Open a saved session (.jsonl) or a HAR file from browser developer tools"));
    connect(m_openAction, &QAction::triggered, this, &MainWindow::chooseSessionFile);

    m_recentMenu = new RecentFilesMenu(this);
    connect(m_recentMenu, &RecentFilesMenu::fileChosen, this, &MainWindow::openRecentFile);

    m_saveAction = new QAction(QIcon::fromTheme(QStringLiteral("document-save")), tr("&Save"), this);
    m_saveAction->setObjectName(QStringLiteral("saveSessionAction"));
    m_saveAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_S));
    m_saveAction->setToolTip(tr("Save everything captured in this window as a session file"));
    connect(m_saveAction, &QAction::triggered, this, &MainWindow::saveSession);

    m_saveAsAction = new QAction(QIcon::fromTheme(QStringLiteral("document-save-as")), tr("Save &As\u2026"), this);
    m_saveAsAction->setObjectName(QStringLiteral("saveSessionAsAction"));
    m_saveAsAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
    connect(m_saveAsAction, &QAction::triggered, this, &MainWindow::chooseSaveFile);

    m_exportAction = new QAction(QIcon::fromTheme(QStringLiteral("document-export")), tr("&Export\u2026"), this);
    m_exportAction->setObjectName(QStringLiteral("exportAction"));
    m_exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_exportAction->setToolTip(tr("Write the session, the filtered rows or the selection as HAR, CSV, text or pcap"));
    connect(m_exportAction, &QAction::triggered, this, &MainWindow::chooseExport);
}

void MainWindow::chooseSessionFile()
{
    const QStringList filters { tr("Sessions (*.jsonl *.har)"), UiText::formatFilter(SessionFormat::Jsonl),
        UiText::formatFilter(SessionFormat::Har), tr("All files (*)") };
    const QStringList paths
        = QFileDialog::getOpenFileNames(this, tr("Open Session"), lastFolder(), filters.join(QLatin1String(";;")));
    for (const QString& path : paths)
        openSession(path);
}

void MainWindow::openRecentFile(const QString& path)
{
    if (!QFileInfo::exists(path)) {
        RecentFilesMenu::removeFile(path);
        statusBar()->showMessage(
            tr("%1 is not there any more; it was taken off the recent files").arg(UiText::nativePath(path)), 8000);
        return;
    }
    openSession(path);
}

void MainWindow::openSession(const QString& path)
{
    if (!m_session->model()) {
        showError(tr("Could not open %1: this window keeps no timeline").arg(UiText::nativePath(path)));
        return;
    }
    // One file at a time: a second one waits, and then goes to a window of its own when this one is taken.
    m_pendingOpens.append(path);
    startNextOpen();
}

void MainWindow::startNextOpen()
{
    if (m_task)
        return;
    if (!m_pendingRecoveryScan.isEmpty()) {
        startRecoveryScan(std::exchange(m_pendingRecoveryScan, QString()));
        return;
    }
    if (m_pendingOpens.isEmpty())
        return;
    const QString path = m_pendingOpens.takeFirst();
    struct Result
    {
        SessionData data;
        QString error;
        bool ok = false;
    };
    auto result = std::make_shared<Result>();
    startTask(
        tr("Opening %1\u2026").arg(QFileInfo(path).fileName()), BackgroundTask::Unit::Bytes,
        [path, result](BackgroundTask::Progress& progress) {
            result->ok = readSessionFile(path, result->data, &result->error,
                [&progress](qint64 done, qint64 total) { return progress.report(done, total); });
        },
        [this, path, result](bool cancelled) {
            if (cancelled) {
                statusBar()->showMessage(tr("Opening %1 was cancelled").arg(UiText::nativePath(path)), 5000);
                return;
            }
            if (!result->ok) {
                showError(tr("Could not open %1: %2").arg(UiText::nativePath(path), result->error));
                return;
            }
            // A capture (or a file) already here is not mixed with another session's numbering.
            MainWindow* target = this;
            if (m_session->store()->count() > 0) {
                target = newWindow();
                target->setAskToSaveOnClose(m_askToSaveOnClose);
                target->setRemembersLayout(m_remembersLayout);
                target->resize(size());
                target->move(pos() + QPoint(32, 32));
                target->show();
            }
            target->showOpenedSession(path, result->data);
            result->data = SessionData {};
            Q_EMIT sessionOpened(path, target);
        });
}

void MainWindow::showOpenedSession(const QString& path, SessionData& data)
{
    TimelineModel* model = m_session->model();
    CaptureBatch batch;
    batch.connections.assign(data.connections.cbegin(), data.connections.cend());
    batch.events = std::move(data.events);
    const qsizetype count = qsizetype(batch.events.size());
    quint32 lastConnection = 0;
    quint64 lastSeq = 0;
    for (const Connection& c : batch.connections)
        lastConnection = std::max(lastConnection, c.id);
    // What saving over the file would lose: the lines the reader skipped, and notes longer than the store keeps.
    FileLosses losses;
    losses.unreadableLines = data.skipped;
    for (const Event& e : batch.events) {
        lastConnection = std::max(lastConnection, e.connection);
        lastSeq = std::max(lastSeq, e.seq);
        if (e.note.size() > MaxStoredNoteBytes)
            ++losses.cutNotes;
    }
    // What is captured after the file continues its numbering instead of reusing its ids.
    m_session->recorder()->continueAfter(lastConnection, lastSeq);
    model->append(batch); // one insertion, however many rows
    // The store has its own copy now. Freeing a million payloads takes a while: not on the GUI thread.
    QThreadPool::globalInstance()->start([events = std::move(batch.events)] { Q_UNUSED(events) });

    m_savedCount = m_session->store()->count();
    m_savedSeq = lastSeq;
    m_fileLosses = losses;
    // The session began when the file says, not when it is saved again (HAR: its first page's start).
    m_sessionCreated = QDateTime::fromString(data.created, Qt::ISODateWithMs);
    setWindowFilePath(QFileInfo(path).absoluteFilePath());
    updateWindowTitle();
    updateWindowModified();
    RecentFilesMenu::addFile(path);
    if (data.warnings.isEmpty()) {
        statusBar()->showMessage(tr("Opened %1: %2").arg(UiText::nativePath(path), UiText::eventCount(count)), 5000);
    } else if (data.skipped == 0) {
        // Remarks that lost nothing (a HAR's page loads and images, which are not WebSocket connections): worth a
        // line in the status bar, not a box to dismiss.
        statusBar()->showMessage(tr("Opened %1: %2 (%3)")
                                     .arg(UiText::nativePath(path), UiText::eventCount(count),
                                         data.warnings.mid(0, 3).join(QStringLiteral("; "))),
            15000);
    } else {
        // The good lines are shown; the user must still learn that some were not.
        showError(tr("Opened %1 (%2), but some of it was skipped:\n%3")
                      .arg(UiText::nativePath(path), UiText::eventCount(count),
                          data.warnings.mid(0, 10).join(QLatin1Char('\n'))
                              + (data.warnings.size() > 10
                                      ? u'\n' + tr("and %1 more").arg(QString::number(data.warnings.size() - 10))
                                      : QString())));
    }
}

bool MainWindow::saveSession()
{
    const QString path = windowFilePath();
    // Opened HAR files, and windows never saved, are saved under a name the user chooses.
    if (path.isEmpty() || sessionFormatForPath(path) != SessionFormat::Jsonl) {
        chooseSaveFile();
        return m_task != nullptr;
    }
    if (!isWindowModified() && QFileInfo::exists(path)) {
        statusBar()->showMessage(tr("Nothing new to save in %1").arg(UiText::nativePath(path)), 3000);
        return true;
    }
    if (m_fileLosses.any()) {
        switch (askToReplaceLossy(path, true)) {
        case QMessageBox::Save:
            chooseSaveFile();
            return m_task != nullptr;
        case QMessageBox::Discard:
            break; // replace it all the same
        default:
            m_closeAfterSave = false;
            return false;
        }
    }
    return saveSessionAs(path);
}

QMessageBox::StandardButton MainWindow::askToReplaceLossy(const QString& path, bool offerSaveAs)
{
    QStringList losses;
    if (m_fileLosses.unreadableLines > 0) {
        losses << (m_fileLosses.unreadableLines == 1
                ? tr("1 line that could not be read")
                : tr("%1 lines that could not be read").arg(QLocale().toString(m_fileLosses.unreadableLines)));
    }
    if (m_fileLosses.cutNotes > 0) {
        losses << (m_fileLosses.cutNotes == 1
                ? tr("1 note longer than 64 KiB, shown cut short")
                : tr("%1 notes longer than 64 KiB, shown cut short").arg(QLocale().toString(m_fileLosses.cutNotes)));
    }
    QMessageBox box(QMessageBox::Warning, tr("WebSocket Inspector"),
        tr("\u201c%1\u201d had %2; saving over it drops them.")
            .arg(QFileInfo(path).fileName(), losses.join(tr(" and "))),
        QMessageBox::Cancel, this);
    box.setObjectName(QStringLiteral("replaceLossyBox"));
    // Discard stands for "replace": the file loses what could not be shown.
    box.addButton(QMessageBox::Discard)->setText(tr("&Replace"));
    if (offerSaveAs) {
        box.addButton(QMessageBox::Save)->setText(tr("Save &As\u2026"));
        box.setDefaultButton(QMessageBox::Save);
        box.setInformativeText(tr("Save As keeps that file as it is."));
    } else {
        box.setDefaultButton(QMessageBox::Cancel);
    }
    box.setEscapeButton(QMessageBox::Cancel);
    return QMessageBox::StandardButton(box.exec());
}

void MainWindow::chooseSaveFile()
{
    const QString current = windowFilePath();
    const QString suggested = sessionFormatForPath(current) == SessionFormat::Jsonl
        ? current
        : QDir(lastFolder()).filePath(suggestedFileName(QStringLiteral("jsonl")));
    QString path = QFileDialog::getSaveFileName(this, tr("Save Session As"), suggested,
        UiText::formatFilter(SessionFormat::Jsonl) + QLatin1String(";;") + tr("All files (*)"));
    if (path.isEmpty()) {
        m_closeAfterSave = false;
        return;
    }
    // A session is always JSONL, whatever the name says; other formats are for Export.
    if (sessionFormatForPath(path) != SessionFormat::Jsonl)
        path += QLatin1String(".jsonl");
    // The file dialog asked about replacing a file, not about what this one would lose.
    if (m_fileLosses.any() && QFileInfo(path).absoluteFilePath() == QFileInfo(current).absoluteFilePath()
        && askToReplaceLossy(path, false) != QMessageBox::Discard) {
        m_closeAfterSave = false;
        return;
    }
    if (!saveSessionAs(path))
        m_closeAfterSave = false;
}

bool MainWindow::saveSessionAs(const QString& path)
{
    EventStore* store = m_session->store();
    if (!store || refuseWhileBusy())
        return false;
    if (isOwnJournal(path)) {
        showError(tr("Could not save to %1: it is the journal this capture is being written to. Choose another "
                     "file.")
                      .arg(UiText::nativePath(path)));
        return false;
    }
    const auto job = std::make_shared<StoreExport>(store->snapshot(), store->connections());
    const qsizetype count = job->eventCount();
    // Live events reach the store in the order they were numbered: the last row has the highest seq of the
    // capture, and an opened file's rows (in any order) come before it.
    const quint64 savedSeq = std::max(m_savedSeq, count > 0 ? store->seq(count - 1) : quint64(0));
    ExportOptions options;
    options.includeSecrets = true; // the user's own data, not something to share: lossless
    options.app = appNameAndVersion();
    options.created = m_sessionCreated;
    auto result = std::make_shared<QString>();
    auto ok = std::make_shared<bool>(false);
    startTask(
        tr("Saving %1\u2026").arg(QFileInfo(path).fileName()), BackgroundTask::Unit::Events,
        [job, path, options, result, ok](BackgroundTask::Progress& progress) {
            *ok = job->write(path, SessionFormat::Jsonl, options, result.get(),
                [&progress](qint64 done, qint64 total) { return progress.report(done, total); });
        },
        [this, path, count, savedSeq, result, ok](bool cancelled) {
            // Written before the cancel arrived is written: the file says so, and so does the window.
            if (!*ok) {
                m_closeAfterSave = false;
                if (cancelled)
                    statusBar()->showMessage(
                        tr("Saving was cancelled; %1 was left as it was").arg(UiText::nativePath(path)));
                else
                    showError(tr("Could not save %1: %2").arg(UiText::nativePath(path), *result));
                return;
            }
            m_savedCount = count;
            m_savedSeq = savedSeq;
            m_fileLosses = FileLosses {}; // the file holds what the window shows now
            // The journal need not outlive the capture for what is saved now (CaptureSession decides at its end).
            m_session->setJournalSavedUpTo(savedSeq);
            setWindowFilePath(QFileInfo(path).absoluteFilePath());
            updateWindowTitle();
            updateWindowModified();
            RecentFilesMenu::addFile(path);
            statusBar()->showMessage(
                tr("Saved %1 to %2").arg(UiText::eventCount(count), UiText::nativePath(path)), 5000);
            Q_EMIT sessionSaved(path);
            if (m_closeAfterSave) {
                m_closeAfterSave = false;
                close();
            }
        });
    return true;
}

void MainWindow::chooseExport()
{
    const EventStore* store = m_session->store();
    if (!store || refuseWhileBusy())
        return;
    const qsizetype total = store->count();
    const qsizetype shown = m_viewModel ? m_viewModel->rowCount() : total;
    const qsizetype selected = m_timeline->selectionModel() ? m_timeline->selectedSourceRows().size() : 0;
    ExportDialog dialog(total, shown, selected, this);
    dialog.setChoice(m_lastExport);
    if (dialog.exec() != QDialog::Accepted)
        return;
    ExportDialog::Choice choice = dialog.choice();
    m_lastExport = choice;
    const QString extension = sessionFormatExtension(choice.format);
    QString path = QFileDialog::getSaveFileName(this, tr("Export Session"),
        QDir(lastFolder()).filePath(suggestedFileName(extension)),
        UiText::formatFilter(choice.format) + QLatin1String(";;") + tr("All files (*)"));
    if (path.isEmpty())
        return;
    // A name with a format's extension chooses that format; any other name gets the chosen format's.
    if (const auto byName = sessionFormatForPath(path))
        choice.format = *byName;
    else
        path += u'.' + extension;
    exportSession(path, choice);
}

bool MainWindow::exportSession(const QString& path, const ExportDialog::Choice& choice)
{
    const EventStore* store = m_session->store();
    if (!store || refuseWhileBusy())
        return false;
    if (isOwnJournal(path)) {
        showError(tr("Could not export to %1: it is the journal this capture is being written to. Choose another "
                     "file.")
                      .arg(UiText::nativePath(path)));
        return false;
    }
    const auto job = std::make_shared<StoreExport>(store->snapshot(), store->connections());
    if (choice.scope == ExportDialog::Scope::Filtered && m_viewModel) {
        std::vector<qsizetype> rows;
        const int shown = m_viewModel->rowCount();
        rows.reserve(size_t(shown));
        for (int row = 0; row < shown; ++row)
            rows.push_back(m_viewModel->sourceRow(row));
        job->setRows(std::move(rows));
    } else if (choice.scope == ExportDialog::Scope::Selected) {
        const QList<int> selected = m_timeline->selectionModel() ? m_timeline->selectedSourceRows() : QList<int>();
        std::vector<qsizetype> rows(selected.cbegin(), selected.cend());
        std::sort(rows.begin(), rows.end()); // the order of the session, whatever the order of selecting
        job->setRows(std::move(rows));
    }
    const qsizetype count = job->eventCount();
    ExportOptions options;
    options.includeSecrets = choice.includeSecrets;
    options.app = appNameAndVersion();
    const SessionFormat format = choice.format;
    auto result = std::make_shared<QString>();
    auto ok = std::make_shared<bool>(false);
    startTask(
        tr("Exporting to %1\u2026").arg(QFileInfo(path).fileName()), BackgroundTask::Unit::Events,
        [job, path, format, options, result, ok](BackgroundTask::Progress& progress) {
            *ok = job->write(path, format, options, result.get(),
                [&progress](qint64 done, qint64 total) { return progress.report(done, total); });
        },
        [this, path, count, result, ok](bool cancelled) {
            if (!*ok) {
                if (cancelled)
                    statusBar()->showMessage(
                        tr("Export cancelled; %1 was left as it was").arg(UiText::nativePath(path)));
                else
                    showError(tr("Could not export to %1: %2").arg(UiText::nativePath(path), *result));
                return;
            }
            statusBar()->showMessage(
                tr("Exported %1 to %2").arg(UiText::eventCount(count), UiText::nativePath(path)), 8000);
            Q_EMIT sessionExported(path, count);
        });
    return true;
}

void MainWindow::startTask(const QString& label, BackgroundTask::Unit unit, BackgroundTask::Work work,
    std::function<void(bool)> done, bool cancellable)
{
    m_task = std::make_unique<BackgroundTask>(label, unit, std::move(work), this);
    m_task->setCancellable(cancellable);
    connect(m_task.get(), &BackgroundTask::finished, this, [this, done = std::move(done)] {
        const bool cancelled = m_task->isCancelled();
        // Deleted once this signal has returned; from now on the window is free for the next task.
        m_task.release()->deleteLater();
        done(cancelled);
        updateFileActions();
        startNextOpen();
    });
    m_task->start();
    updateFileActions();
}

bool MainWindow::refuseWhileBusy()
{
    if (!m_task)
        return false;
    statusBar()->showMessage(tr("Wait for the file being read or written to be done"), 5000);
    return true;
}

bool MainWindow::isOwnJournal(const QString& path) const
{
    // Replacing the journal would leave its writer appending to a file that is no longer there.
    const QString journal = m_session->journalPath();
    return !journal.isEmpty() && QFileInfo(path).absoluteFilePath() == QFileInfo(journal).absoluteFilePath();
}

QString MainWindow::suggestedFileName(const QString& extension) const
{
    const QString current = windowFilePath();
    const QString base = current.isEmpty()
        ? QStringLiteral("capture-") + QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))
        : QFileInfo(current).completeBaseName();
    return base + u'.' + extension;
}

void MainWindow::updateWindowTitle()
{
    const QString path = windowFilePath();
    const QString name = path.isEmpty() ? tr("Untitled capture") : QFileInfo(path).fileName();
    setWindowTitle(tr("%1[*] \u2014 WebSocket Inspector").arg(name));
}

void MainWindow::updateWindowModified()
{
    const EventStore* store = m_session->store();
    setWindowModified(store && store->count() > m_savedCount);
}

void MainWindow::updateFileActions()
{
    const bool hasTimeline = m_session->store() != nullptr;
    const bool idle = !m_task;
    m_saveAction->setEnabled(hasTimeline && idle);
    m_saveAsAction->setEnabled(hasTimeline && idle);
    m_exportAction->setEnabled(hasTimeline && idle);
    m_openAction->setEnabled(hasTimeline);
}

void MainWindow::journalNoLongerNeeded()
{
    // The journal is what crash recovery offers back. Once the user said the capture may go, it need not outlive
    // it: the session deletes it at shutdown.
    m_session->setKeepJournal(false);
}

void MainWindow::prepareForUnattendedEnd()
{
    // Nobody is there to answer a question, and nothing may be lost for it: a capture with events that were not
    // saved is left for the next start to offer.
    m_askToSaveOnClose = false;
    m_session->setEndingUnattended();
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    if (m_askToSaveOnClose && isWindowModified()) {
        const QString question = windowFilePath().isEmpty()
            ? tr("Save this capture before closing?")
            : tr("Save the new events to \u201c%1\u201d before closing?").arg(QFileInfo(windowFilePath()).fileName());
        const qsizetype unsaved = m_session->store()->count() - std::min(m_savedCount, m_session->store()->count());
        QMessageBox box(QMessageBox::Warning, tr("WebSocket Inspector"), question,
            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, this);
        box.setObjectName(QStringLiteral("saveOnCloseBox"));
        box.setInformativeText(tr("Not saved yet: %1.").arg(UiText::eventCount(unsaved)));
        box.setDefaultButton(QMessageBox::Save);
        box.setEscapeButton(QMessageBox::Cancel);
        switch (box.exec()) {
        case QMessageBox::Save:
            // Closes once the file is written; a failure or a cancel keeps the window.
            event->ignore();
            m_closeAfterSave = true;
            if (!saveSession())
                m_closeAfterSave = false;
            return;
        case QMessageBox::Discard:
            break;
        default:
            event->ignore();
            return;
        }
        journalNoLongerNeeded();
    }
    // Otherwise the session decides at its end: the journal goes when nothing was recorded after what was saved
    // (see setJournalSavedUpTo). The closes of connections still open, recorded as the capture ends, come after
    // it, and keep the journal: it is the only place that holds them.
    // A file still being read or written is given up, without waiting for it: a save leaves the old file as it
    // was, a read is dropped when it ends.
    m_pendingOpens.clear();
    m_pendingRecoveryScan.clear();
    BackgroundTask::abandon(std::move(m_task));
    if (m_remembersLayout)
        saveSettings();
    QMainWindow::closeEvent(event);
}

namespace {
// Under one group, so that other parts of the app (recent files, profiles) keep their keys apart.
constexpr QLatin1StringView SettingsGroup("mainWindow");
// The test server's and the replay's setups, apart from the window's layout.
constexpr QLatin1StringView ServerPaneGroup("serverPane");
constexpr QLatin1StringView ReplayPaneGroup("replayPane");
} // namespace

void MainWindow::updateThemeActions()
{
    for (QAction* action : m_themeGroup->actions())
        action->setChecked(action->data().toInt() == int(Theme::current()));
}

void MainWindow::setRemembersLayout(bool remember)
{
    if (remember && !m_remembersLayout)
        restoreSettings();
    m_remembersLayout = remember;
}

void MainWindow::restoreSettings()
{
    QSettings settings;
    const Theme::Mode theme = Theme::fromName(settings.value(QStringLiteral("theme")).toString());
    // Set once per run, by the first window; later windows find it applied already.
    if (theme != Theme::current())
        Theme::apply(theme);
    updateThemeActions();
    settings.beginGroup(SettingsGroup);
    // Each restore is skipped when its key is missing or stale (Qt rejects state it cannot read), keeping the
    // defaults set up above.
    restoreGeometry(settings.value(QStringLiteral("geometry")).toByteArray());
    restoreState(settings.value(QStringLiteral("state")).toByteArray());
    m_mainSplitter->restoreState(settings.value(QStringLiteral("mainSplitter")).toByteArray());
    m_bottomSplitter->restoreState(settings.value(QStringLiteral("bottomSplitter")).toByteArray());
    m_timeline->horizontalHeader()->restoreState(settings.value(QStringLiteral("timelineHeader")).toByteArray());
    const QString url = settings.value(QStringLiteral("url")).toString();
    if (!url.isEmpty()) {
        m_urlEdit->setText(url);
        m_urlEditedByUser = true; // the user's last endpoint: a server starting must not replace it
    }
    m_proxyPane->restoreSettings(settings);
    settings.endGroup();
    settings.beginGroup(ServerPaneGroup);
    m_serverPane->restoreSettings(settings);
    settings.endGroup();
    settings.beginGroup(ReplayPaneGroup);
    m_replayPane->restoreSettings(settings);
}

void MainWindow::saveSettings() const
{
    QSettings settings;
    settings.beginGroup(SettingsGroup);
    settings.setValue(QStringLiteral("geometry"), saveGeometry());
    settings.setValue(QStringLiteral("state"), saveState());
    settings.setValue(QStringLiteral("mainSplitter"), m_mainSplitter->saveState());
    settings.setValue(QStringLiteral("bottomSplitter"), m_bottomSplitter->saveState());
    settings.setValue(QStringLiteral("timelineHeader"), m_timeline->horizontalHeader()->saveState());
    // Only a URL the user typed or chose: the test server's own URL is put back by starting the server.
    if (m_urlEditedByUser)
        settings.setValue(QStringLiteral("url"), m_urlEdit->text());
    else
        settings.remove(QStringLiteral("url"));
    m_proxyPane->saveSettings(settings);
    settings.endGroup();
    settings.beginGroup(ServerPaneGroup);
    m_serverPane->saveSettings(settings);
    settings.endGroup();
    settings.beginGroup(ReplayPaneGroup);
    m_replayPane->saveSettings(settings);
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (!droppedSessionFiles(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dragMoveEvent(QDragMoveEvent* event)
{
    if (!droppedSessionFiles(event->mimeData()).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const QStringList files = droppedSessionFiles(event->mimeData());
    if (files.isEmpty())
        return;
    event->acceptProposedAction();
    for (const QString& path : files)
        openSession(path);
}

void MainWindow::showShortcuts()
{
    // Not modal: it can stay open beside the window while the keys are tried out.
    auto* dialog = new ShortcutsDialog(this, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
}

void MainWindow::showAbout()
{
    QMessageBox::about(this, tr("About WebSocket Inspector"),
        tr("<h3>WebSocket Inspector %1</h3>"
           "<p>Connects to WebSocket servers, runs a local test server and records everything that crosses "
           "the wire.</p>"
           "<p>Qt %2</p>"
           "<p>Licence: GPL-3.0-or-later</p>")
            .arg(QStringLiteral(WSI_VERSION), QString::fromLatin1(qVersion())));
}

// --- Connection form and profiles ------------------------------------------------------------------------------

void MainWindow::fillConnectionForm(const ClientOptions& options)
{
    m_urlEdit->setText(options.url.toString());
    m_urlEditedByUser = true; // a server starting must not replace the profile's URL
    QStringList headers;
    for (const auto& [name, value] : options.headers)
        headers << QString::fromUtf8(name) + QLatin1String(": ") + QString::fromUtf8(value);
    m_headersEdit->setPlainText(headers.join(QLatin1Char('\n')));
    m_subprotocolsEdit->setText(options.subprotocols.join(QLatin1String(", ")));
    m_originEdit->setText(options.origin);
    m_authCombo->setCurrentIndex(std::max(0, m_authCombo->findData(int(options.auth.kind))));
    m_tokenEdit->setText(options.auth.token);
    m_userEdit->setText(options.auth.user);
    m_passwordEdit->setText(options.auth.password);
    m_ignoreCertificates->setChecked(options.ignoreCertificateErrors);
    // The spin box counts whole seconds; a profile written by hand may hold less than one.
    m_pingIntervalSpin->setValue(options.pingIntervalMs <= 0 ? 0 : std::max(1, (options.pingIntervalMs + 500) / 1000));
    m_reconnectCheck->setChecked(options.reconnect.enabled);
    m_initialDelaySpin->setValue(options.reconnect.initialDelayMs);
    m_maxDelaySpin->setValue(options.reconnect.maxDelayMs);
    m_maxAttemptsSpin->setValue(options.reconnect.maxAttempts);
    clearConnectError();
}

void MainWindow::updateAuthFields()
{
    // Page 0 is empty (no auth), 1 the token, 2 user and password: the same order as the kinds.
    m_authFields->setCurrentIndex(m_authCombo->currentIndex());
}

void MainWindow::updateReconnectFields()
{
    const bool enabled = m_reconnectCheck->isChecked();
    for (QSpinBox* spin : { m_initialDelaySpin, m_maxDelaySpin, m_maxAttemptsSpin })
        spin->setEnabled(enabled);
}

void MainWindow::updateWarningColours()
{
    // Unsafe whether ticked or not: the colour says so before it is ticked. From the palette, for dark themes.
    QPalette palette = this->palette();
    const QColor warning = TimelineDelegate::accentColor(palette, 20);
    palette.setColor(QPalette::WindowText, warning);
    palette.setColor(QPalette::ButtonText, warning);
    m_ignoreCertificates->setPalette(palette);
}

void MainWindow::changeEvent(QEvent* event)
{
    QMainWindow::changeEvent(event);
    if (event->type() == QEvent::PaletteChange && m_ignoreCertificates)
        updateWarningColours();
}

bool MainWindow::isFileCommandKey(const QKeyEvent* key) const
{
    const QKeySequence pressed(QKeyCombination(key->modifiers() & ~Qt::KeypadModifier, Qt::Key(key->key())));
    for (const QAction* action : { m_openAction, m_saveAction, m_saveAsAction, m_exportAction, m_quitAction }) {
        if (action->isEnabled() && action->shortcuts().contains(pressed))
            return true;
    }
    return false;
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event)
{
    // A text field takes some keys before the window's shortcuts see them (QLineEdit and the text editors claim
    // Ctrl+E for "end of line" under X11's emacs-style bindings). For the File commands the window wins: left
    // unclaimed, the key goes to the shortcut and the field never sees it. Editing keys that mean something in a
    // field (Ctrl+C, Ctrl+Z, Ctrl+K) are not File commands and stay the field's.
    if (event->type() == QEvent::ShortcutOverride && watched->isWidgetType()
        && static_cast<QWidget*>(watched)->window() == this && isFileCommandKey(static_cast<QKeyEvent*>(event))) {
        event->ignore();
        return true;
    }
    // Down in the URL field lists every recent URL, not only those matching what is typed.
    if (watched == m_urlEdit && event->type() == QEvent::KeyPress
        && static_cast<QKeyEvent*>(event)->key() == Qt::Key_Down && !m_urlCompleter->popup()->isVisible()
        && m_recentUrlsModel->rowCount() > 0) {
        m_urlCompleter->setCompletionPrefix(QString());
        m_urlCompleter->complete();
        return true;
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::loadProfiles()
{
    QString error;
    if (!m_profiles->load(&error)) {
        // After the window is up, so that the message has something to sit on.
        QMetaObject::invokeMethod(
            this, [this, error] { showError(error); }, Qt::QueuedConnection);
    }
    m_recentUrlsModel->setStringList(m_profiles->recentUrls());
    updateProfileUi();
}

bool MainWindow::saveProfiles(bool quiet)
{
    QString error;
    if (m_profiles->save(&error))
        return true;
    if (!quiet || !m_profileSaveErrorShown)
        showError(error);
    m_profileSaveErrorShown = true;
    return false;
}

void MainWindow::updateProfileUi()
{
    const QString current = m_profileCombo->currentIndex() > 0 ? m_profileCombo->currentText() : QString();
    const QStringList names = m_profiles->names();
    m_profileCombo->clear();
    m_profileCombo->addItem(names.isEmpty() ? tr("No saved profiles") : tr("Choose a profile\u2026"));
    m_profileCombo->addItems(names);
    m_profileCombo->setCurrentIndex(std::max(0, m_profileCombo->findText(current)));
    m_deleteProfileButton->setEnabled(m_profileCombo->currentIndex() > 0);
    m_connectionsPane->setProfileNames(names);
}

bool MainWindow::chooseProfile(const QString& name)
{
    const ConnectionProfile* profile = m_profiles->profile(name);
    if (!profile)
        return false;
    fillConnectionForm(profile->options);
    m_profileCombo->setCurrentIndex(std::max(0, m_profileCombo->findText(name)));
    m_deleteProfileButton->setEnabled(m_profileCombo->currentIndex() > 0);
    statusBar()->showMessage(tr("Profile \u201c%1\u201d: %2").arg(name, profile->options.url.toString()), 5000);
    return true;
}

bool MainWindow::saveProfile(const QString& name)
{
    const QString trimmed = name.trimmed();
    if (trimmed.isEmpty()) {
        showConnectError(tr("A profile needs a name."), m_profileCombo);
        return false;
    }
    ConnectionProfile profile;
    profile.name = trimmed;
    if (!clientOptionsFromInput(&profile.options))
        return false;
    clearConnectError();
    m_profiles->setProfile(profile);
    updateProfileUi();
    m_profileCombo->setCurrentIndex(std::max(0, m_profileCombo->findText(trimmed)));
    m_deleteProfileButton->setEnabled(true);
    if (!saveProfiles(false))
        return false;
    statusBar()->showMessage(tr("Saved profile \u201c%1\u201d").arg(trimmed), 5000);
    return true;
}

bool MainWindow::deleteProfile(const QString& name)
{
    if (!m_profiles->removeProfile(name))
        return false;
    updateProfileUi();
    m_profileCombo->setCurrentIndex(0);
    m_deleteProfileButton->setEnabled(false);
    saveProfiles(false);
    statusBar()->showMessage(tr("Deleted profile \u201c%1\u201d").arg(name), 5000);
    return true;
}

void MainWindow::askProfileName()
{
    // Checked before asking for a name: a profile that cannot connect is not worth saving.
    ClientOptions options;
    if (!clientOptionsFromInput(&options))
        return;
    auto* dialog = new QInputDialog(this);
    dialog->setObjectName(QStringLiteral("saveProfileDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(tr("Save Connection Profile"));
    dialog->setLabelText(tr("Profile name (a profile of the same name is replaced):"));
    dialog->setTextValue(m_profileCombo->currentIndex() > 0 ? m_profileCombo->currentText() : options.url.host());
    dialog->setOkButtonText(tr("&Save"));
    connect(dialog, &QInputDialog::textValueSelected, this, [this](const QString& name) { saveProfile(name); });
    dialog->open();
}

void MainWindow::askDeleteProfile()
{
    if (m_profileCombo->currentIndex() <= 0)
        return;
    const QString name = m_profileCombo->currentText();
    auto* box = new QMessageBox(QMessageBox::Question, tr("Delete Connection Profile"),
        tr("Delete the profile \u201c%1\u201d?").arg(name), QMessageBox::Yes | QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("deleteProfileBox"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->button(QMessageBox::Yes)->setText(tr("&Delete"));
    connect(box, &QMessageBox::finished, this, [this, name](int result) {
        if (result == QMessageBox::Yes)
            deleteProfile(name);
    });
    box->open();
}

void MainWindow::rememberUrl(const QString& url)
{
    if (url.isEmpty() || (!m_profiles->recentUrls().isEmpty() && m_profiles->recentUrls().constFirst() == url))
        return;
    m_profiles->addRecentUrl(url);
    m_recentUrlsModel->setStringList(m_profiles->recentUrls());
    // A file from a newer version is left alone; the user was told when it was read.
    if (m_profiles->isWritable())
        saveProfiles(true);
}

void MainWindow::connectWithProfile(const QString& name)
{
    if (!chooseProfile(name)) {
        showError(tr("There is no profile named \u201c%1\u201d any more.").arg(name));
        return;
    }
    connectFromUrlBar();
}

} // namespace wsi
