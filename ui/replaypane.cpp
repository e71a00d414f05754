#include "replaypane.h"

#include "huemessage.h"

#include "core/hexdump.h"
#include "core/jsonformat.h"
#include "formats/redaction.h"
#include "formats/sessionimport.h"
#include "jsonhighlighter.h"
#include "net/capturesession.h"
#include "replay/replayserver.h"
#include "replaycomparemodel.h"
#include "timelinedelegate.h"
#include "wire/httphead.h"

#include <QAction>
#include <QApplication>
#include <QButtonGroup>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDir>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QScrollBar>
#include <QSettings>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QThreadPool>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <atomic>

namespace wsi {

namespace {
using HueMessage::AmberHue;
using HueMessage::NoHue;
using HueMessage::RedHue;
constexpr int MaxWarningsShown = 3;
// What the side-by-side views show of one message: enough to read, not so much that a big one stalls them.
constexpr qsizetype MaxShownBytes = qsizetype(256) << 10;
constexpr int DefaultReplyTimeoutS = 10;

QString durationText(qint64 us)
{
    if (us < 1000000)
        return ReplayPane::tr("%1 ms").arg(us / 1000);
    if (us < 60000000)
        return ReplayPane::tr("%1 s").arg(QLocale().toString(double(us) / 1e6, 'f', 1));
    const qint64 s = us / 1000000;
    return ReplayPane::tr("%1 min %2 s").arg(s / 60).arg(s % 60);
}

QString roleText(ConnectionRole role)
{
    switch (role) {
    case ConnectionRole::Client:
        return ReplayPane::tr("client");
    case ConnectionRole::Server:
        return ReplayPane::tr("server");
    case ConnectionRole::Proxy:
        return ReplayPane::tr("proxy");
    }
    return {};
}

void addSpeeds(QComboBox* combo, bool paced)
{
    combo->addItem(ReplayPane::tr("0.25\u00d7"), 0.25);
    combo->addItem(ReplayPane::tr("1\u00d7 (as recorded)"), 1.0);
    combo->addItem(ReplayPane::tr("2\u00d7"), 2.0);
    combo->addItem(ReplayPane::tr("10\u00d7"), 10.0);
    combo->addItem(ReplayPane::tr("As fast as possible"), ReplayPane::AsFastAsPossible);
    if (paced)
        combo->addItem(ReplayPane::tr("Paced by replies"), ReplayPane::Paced);
    combo->setCurrentIndex(1);
}

// The message as a person reads it: pretty JSON when it is JSON, the text, or a hex dump; and whether it is JSON.
std::pair<QString, bool> readable(const ReplayMessage& m)
{
    if (!m.text)
        return { HexDump::dump(m.payload, MaxShownBytes / 4), false };
    QByteArray pretty;
    JsonFormatter::Options options;
    options.maxOutputBytes = MaxShownBytes;
    if (JsonFormatter::prettyPrint(m.payload, &pretty, options).isValid() && !m.payload.trimmed().isEmpty())
        return { QString::fromUtf8(pretty), true };
    if (m.payload.size() > MaxShownBytes)
        return { QString::fromUtf8(m.payload.left(MaxShownBytes)) + QChar(0x2026), false };
    return { QString::fromUtf8(m.payload), false };
}

// The engine's messages are made to follow "error: " on a command line; in the pane they stand alone.
QString sentence(QString text)
{
    if (!text.isEmpty())
        text[0] = text[0].toUpper();
    return text;
}

// Posts fn to the GUI thread; a pane gone by then (the window closed) is not called.
template <typename Fn> void backToPane(QPointer<ReplayPane> pane, Fn fn)
{
    QMetaObject::invokeMethod(
        qApp,
        [pane, fn = std::move(fn)]() mutable {
            if (pane)
                fn(pane.data());
        },
        Qt::QueuedConnection);
}
} // namespace

ReplayPane::ReplayPane(CaptureSession* session, QWidget* parent)
    : QWidget(parent)
    , m_session(session)
    , m_client(new ReplayClient(session, this))
    , m_server(new ReplayServer(session, this))
    , m_compare(new ReplayCompareModel(this))
    , m_ignoreTimer(new QTimer(this))
{
    setObjectName(QStringLiteral("replayPane"));
    m_ignoreTimer->setSingleShot(true);
    m_ignoreTimer->setInterval(ApplyDelayMs);
    connect(m_ignoreTimer, &QTimer::timeout, this, &ReplayPane::applyIgnorePaths);

    createActions();

    m_clientRadio = new QRadioButton(tr("As &client"), this);
    m_clientRadio->setObjectName(QStringLiteral("replayClientModeRadio"));
    m_clientRadio->setToolTip(tr("Send the recorded client messages to a server and compare what it answers"));
    m_clientRadio->setChecked(true);
    m_serverRadio = new QRadioButton(tr("As server (&mock)"), this);
    m_serverRadio->setObjectName(QStringLiteral("replayServerModeRadio"));
    m_serverRadio->setToolTip(tr("Serve the recorded server messages to whatever client connects"));
    m_modeGroup = new QButtonGroup(this);
    m_modeGroup->addButton(m_clientRadio, int(Mode::Client));
    m_modeGroup->addButton(m_serverRadio, int(Mode::Server));
    connect(m_modeGroup, &QButtonGroup::idClicked, this, [this](int id) { setMode(Mode(id)); });
    auto* modeRow = new QHBoxLayout;
    modeRow->setContentsMargins(0, 0, 0, 0);
    modeRow->addWidget(new QLabel(tr("Replay:"), this));
    modeRow->addWidget(m_clientRadio);
    modeRow->addWidget(m_serverRadio);
    modeRow->addStretch(1);

    m_planStatus = HueMessage::newLabel(this, "replayPlanStatus");

    m_pages = new QStackedWidget(this);
    m_pages->setObjectName(QStringLiteral("replayPages"));
    m_pages->addWidget(createClientPage());
    m_pages->addWidget(createServerPage());

    auto* lower = new QWidget(this);
    auto* lowerLayout = new QVBoxLayout(lower);
    lowerLayout->setContentsMargins(0, 0, 0, 0);
    lowerLayout->setSpacing(4);
    lowerLayout->addLayout(modeRow);
    lowerLayout->addWidget(m_planStatus);
    lowerLayout->addWidget(m_pages, 1);

    // The connection list is short-lived reading; the replay below it is where one works: it gets the room.
    auto* splitter = new QSplitter(Qt::Vertical, this);
    splitter->setObjectName(QStringLiteral("replaySplitter"));
    splitter->addWidget(createSourceSection());
    splitter->addWidget(lower);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 3);
    splitter->setChildrenCollapsible(false);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(splitter);

    connect(m_client, &ReplayClient::stateChanged, this, &ReplayPane::onClientState);
    connect(m_client, &ReplayClient::progress, this, &ReplayPane::onProgress);
    connect(m_client, &ReplayClient::messageReceived, this,
        [this](int, const ReplayMessage& message) { m_compare->addReceived(message); });
    connect(m_client, &ReplayClient::opened, this, [this] {
        setMessage(m_runStatus, tr("Connected: replaying…"), NoHue);
        if (m_stepWhenOpen) {
            m_stepWhenOpen = false;
            m_client->step();
        }
    });
    connect(m_client, &ReplayClient::waitTimedOut, this, [this](int index, int expected, int received) {
        setMessage(m_runStatus,
            tr("Message %1 was sent after waiting %2 s for replies: %3 of the %4 recorded before it arrived.")
                .arg(index + 1)
                .arg(m_replyTimeout->value())
                .arg(received)
                .arg(expected),
            AmberHue);
    });
    connect(m_client, &ReplayClient::finished, this, &ReplayPane::onFinished);
    connect(m_compare, &ReplayCompareModel::summaryChanged, this, &ReplayPane::updateSummary);

    connect(m_server, &ReplayServer::started, this, [this](const QUrl& url) {
        m_serverUrl->setText(url.toString());
        setMessage(
            m_serverStatus, tr("Serving connection %1 of the recording.").arg(m_server->plan().connection), NoHue);
        updateServerUi();
        updateControls();
    });
    connect(m_server, &ReplayServer::startFailed, this, [this](const QString& reason) {
        setMessage(m_serverStatus, tr("Could not start the mock server: %1").arg(reason), RedHue);
        updateServerUi();
        updateControls();
    });
    connect(m_server, &ReplayServer::stopped, this, [this] {
        m_clientsConnected = 0;
        updateServerUi();
        updateControls();
    });
    connect(m_server, &ReplayServer::clientOpened, this, [this] {
        ++m_clientsServed;
        ++m_clientsConnected;
        updateServerUi();
    });
    connect(m_server, &ReplayServer::clientClosed, this, [this] {
        m_clientsConnected = std::max(0, m_clientsConnected - 1);
        updateServerUi();
    });

    m_compare->setPalette(palette());
    updateSummary();
    updateControls();
    updateServerUi();
}

ReplayPane::~ReplayPane()
{
    // Results still on their way find no pane (QPointer); those of a worker still running are dropped.
    m_liveSource->store(++m_sourceGeneration);
    ++m_planGeneration;
}

void ReplayPane::createActions()
{
    auto make = [this](const char* name, const QString& text, const QString& icon, const QKeySequence& key,
                    const QString& toolTip) {
        auto* action = new QAction(QIcon::fromTheme(icon), text, this);
        action->setObjectName(QLatin1String(name));
        action->setShortcut(key);
        // Only while the pane has the focus: F5 and the others mean nothing to the rest of the window.
        action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        action->setToolTip(QStringLiteral("%1 (%2)").arg(toolTip, key.toString(QKeySequence::NativeText)));
        addAction(action);
        return action;
    };
    // Play and pause share F5, a toggle: only one of them is enabled at a time.
    m_playAction = make("replayPlayAction", tr("&Play"), QStringLiteral("media-playback-start"),
        QKeySequence(Qt::Key_F5), tr("Start the replay, or go on after a pause"));
    m_pauseAction = make("replayPauseAction", tr("P&ause"), QStringLiteral("media-playback-pause"),
        QKeySequence(Qt::Key_F5), tr("Hold the next messages; the connection stays open"));
    m_stepAction = make("replayStepAction", tr("S&tep"), QStringLiteral("media-skip-forward"),
        QKeySequence(Qt::Key_F10), tr("Send the next message now and stay paused"));
    m_stopAction = make("replayStopAction", tr("St&op"), QStringLiteral("media-playback-stop"),
        QKeySequence(Qt::SHIFT | Qt::Key_F5), tr("Close the connection without sending the rest"));
    connect(m_playAction, &QAction::triggered, this, &ReplayPane::play);
    connect(m_pauseAction, &QAction::triggered, this, &ReplayPane::pause);
    connect(m_stepAction, &QAction::triggered, this, &ReplayPane::step);
    connect(m_stopAction, &QAction::triggered, this, &ReplayPane::stop);
}

QWidget* ReplayPane::createSourceSection()
{
    auto* section = new QWidget(this);

    m_sourceCombo = new QComboBox(section);
    m_sourceCombo->setObjectName(QStringLiteral("replaySourceCombo"));
    m_sourceCombo->addItem(tr("Current session"), int(Source::CurrentSession));
    m_sourceCombo->addItem(tr("File…"), int(Source::File));
    m_sourceCombo->setToolTip(tr("Replay a connection of this capture, or of a session file (.jsonl or .har)"));
    connect(m_sourceCombo, &QComboBox::activated, this, &ReplayPane::onSourceChosen);

    m_fileEdit = new QLineEdit(section);
    m_fileEdit->setObjectName(QStringLiteral("replayFileEdit"));
    m_fileEdit->setPlaceholderText(tr("Session file (.jsonl or .har)"));
    m_fileEdit->setClearButtonEnabled(true);
    connect(m_fileEdit, &QLineEdit::returnPressed, this, [this] {
        if (!m_fileEdit->text().trimmed().isEmpty())
            loadFile(m_fileEdit->text().trimmed());
    });
    m_browseButton = new QPushButton(tr("&Browse…"), section);
    m_browseButton->setObjectName(QStringLiteral("replayBrowseButton"));
    connect(m_browseButton, &QPushButton::clicked, this, &ReplayPane::chooseFile);
    m_reloadButton = new QPushButton(tr("&Reload"), section);
    m_reloadButton->setObjectName(QStringLiteral("replayReloadButton"));
    m_reloadButton->setToolTip(tr("List the connections again: the capture as it is now, or the file as it is now"));
    connect(m_reloadButton, &QPushButton::clicked, this, [this] {
        if (m_source == Source::CurrentSession)
            useCurrentSession();
        else if (!m_filePath.isEmpty())
            loadFile(m_filePath);
    });

    auto* row = new QHBoxLayout;
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(new QLabel(tr("Source:"), section));
    row->addWidget(m_sourceCombo);
    row->addWidget(m_fileEdit, 1);
    row->addWidget(m_browseButton);
    row->addWidget(m_reloadButton);

    m_sourceStatus = HueMessage::newLabel(section, "replaySourceStatus");

    m_candidateModel = new QStandardItemModel(0, CandidateColumnCount, this);
    m_candidateModel->setHorizontalHeaderLabels(
        { tr("Id"), tr("Recorded by"), tr("URL"), tr("c2s"), tr("s2c"), tr("Duration") });
    m_candidateModel->horizontalHeaderItem(CandidateC2sColumn)->setToolTip(tr("Messages the client sent"));
    m_candidateModel->horizontalHeaderItem(CandidateS2cColumn)->setToolTip(tr("Messages the server sent"));
    m_candidateView = new QTableView(section);
    m_candidateView->setObjectName(QStringLiteral("replayCandidateView"));
    m_candidateView->setModel(m_candidateModel);
    m_candidateView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_candidateView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_candidateView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_candidateView->verticalHeader()->hide();
    m_candidateView->setWordWrap(false);
    m_candidateView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_candidateView->horizontalHeader()->setSectionResizeMode(CandidateUrlColumn, QHeaderView::Stretch);
    m_candidateView->verticalHeader()->setDefaultSectionSize(m_candidateView->fontMetrics().height() + 6);
    connect(m_candidateView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        &ReplayPane::onCandidateSelected);

    auto* layout = new QVBoxLayout(section);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addLayout(row);
    layout->addWidget(m_sourceStatus);
    layout->addWidget(m_candidateView, 1);

    m_fileEdit->hide();
    m_browseButton->hide();
    return section;
}

QWidget* ReplayPane::createClientPage()
{
    auto* page = new QWidget(this);
    page->setObjectName(QStringLiteral("replayClientPage"));

    auto button = [page](QAction* action, const char* name) {
        auto* b = new QToolButton(page);
        b->setObjectName(QLatin1String(name));
        b->setDefaultAction(action);
        b->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        return b;
    };
    m_playButton = button(m_playAction, "replayPlayButton");
    m_pauseButton = button(m_pauseAction, "replayPauseButton");
    m_stepButton = button(m_stepAction, "replayStepButton");
    m_stopButton = button(m_stopAction, "replayStopButton");

    m_progress = new QProgressBar(page);
    m_progress->setObjectName(QStringLiteral("replayProgress"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setFormat(tr("%v of %m sent"));
    m_progress->setTextVisible(true);
    m_receivedLabel = new QLabel(page);
    m_receivedLabel->setObjectName(QStringLiteral("replayReceivedLabel"));

    auto* controls = new QHBoxLayout;
    controls->setContentsMargins(0, 0, 0, 0);
    controls->setSpacing(2);
    controls->addWidget(m_playButton);
    controls->addWidget(m_pauseButton);
    controls->addWidget(m_stepButton);
    controls->addWidget(m_stopButton);
    controls->addStretch(1);
    auto* progressRow = new QHBoxLayout;
    progressRow->setContentsMargins(0, 0, 0, 0);
    progressRow->addWidget(m_progress, 1);
    progressRow->addWidget(m_receivedLabel);

    m_runStatus = HueMessage::newLabel(page, "replayRunStatus");

    m_clientTabs = new QTabWidget(page);
    m_clientTabs->setObjectName(QStringLiteral("replayClientTabs"));
    m_clientTabs->addTab(createSetupTab(), tr("Set&up"));
    m_clientTabs->addTab(createCompareTab(), tr("Compar&e"));

    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addLayout(controls);
    layout->addLayout(progressRow);
    layout->addWidget(m_runStatus);
    layout->addWidget(m_clientTabs, 1);
    return page;
}

QWidget* ReplayPane::createSetupTab()
{
    auto* tab = new QWidget(this);

    m_targetUrl = new QLineEdit(tab);
    m_targetUrl->setObjectName(QStringLiteral("replayTargetUrlEdit"));
    m_targetUrl->setPlaceholderText(tr("ws://host:port/path"));
    m_targetUrl->setToolTip(tr("The server to replay against; the recorded URL until changed (a changed one is "
                               "kept for the next start)"));
    connect(m_targetUrl, &QLineEdit::textEdited, this, [this] { setMessage(m_setupError, QString(), NoHue); });

    m_headers = new QTableWidget(0, 2, tab);
    m_headers->setObjectName(QStringLiteral("replayHeadersTable"));
    m_headers->setHorizontalHeaderLabels({ tr("Header"), tr("Value") });
    m_headers->verticalHeader()->hide();
    m_headers->horizontalHeader()->setSectionResizeMode(HeaderNameColumn, QHeaderView::ResizeToContents);
    m_headers->horizontalHeader()->setStretchLastSection(true);
    m_headers->setToolTip(tr("Sent in the upgrade request. Secrets are here only when the file kept them: an export "
                             "without secrets replaced them, and those headers are left out."));
    m_headers->verticalHeader()->setDefaultSectionSize(m_headers->fontMetrics().height() + 8);
    connect(m_headers, &QTableWidget::itemChanged, this, [this] { setMessage(m_setupError, QString(), NoHue); });
    m_addHeader = new QPushButton(tr("A&dd"), tab);
    m_addHeader->setObjectName(QStringLiteral("replayAddHeaderButton"));
    connect(m_addHeader, &QPushButton::clicked, this, [this] {
        const int row = m_headers->rowCount();
        m_headers->insertRow(row);
        m_headers->setItem(row, HeaderNameColumn, new QTableWidgetItem);
        m_headers->setItem(row, HeaderValueColumn, new QTableWidgetItem);
        m_headers->setCurrentCell(row, HeaderNameColumn);
        m_headers->editItem(m_headers->item(row, HeaderNameColumn));
    });
    m_removeHeader = new QPushButton(tr("Remo&ve"), tab);
    m_removeHeader->setObjectName(QStringLiteral("replayRemoveHeaderButton"));
    connect(m_removeHeader, &QPushButton::clicked, this, [this] {
        if (m_headers->currentRow() >= 0)
            m_headers->removeRow(m_headers->currentRow());
    });
    auto* headerButtons = new QVBoxLayout;
    headerButtons->setContentsMargins(0, 0, 0, 0);
    headerButtons->addWidget(m_addHeader);
    headerButtons->addWidget(m_removeHeader);
    headerButtons->addStretch(1);
    auto* headersRow = new QHBoxLayout;
    headersRow->setContentsMargins(0, 0, 0, 0);
    headersRow->addWidget(m_headers, 1);
    headersRow->addLayout(headerButtons);

    m_subprotocols = new QLineEdit(tab);
    m_subprotocols->setObjectName(QStringLiteral("replaySubprotocolsEdit"));
    m_subprotocols->setPlaceholderText(tr("none (comma-separated, in order of preference)"));

    m_speed = new QComboBox(tab);
    m_speed->setObjectName(QStringLiteral("replaySpeedCombo"));
    addSpeeds(m_speed, true);
    m_speed->setToolTip(tr("The recorded timing scaled, or each message sent once the server has answered as much "
                           "as it had in the recording"));
    m_replyTimeout = new QSpinBox(tab);
    m_replyTimeout->setObjectName(QStringLiteral("replayReplyTimeoutSpin"));
    m_replyTimeout->setRange(1, 3600);
    m_replyTimeout->setValue(DefaultReplyTimeoutS);
    m_replyTimeout->setSuffix(tr(" s"));
    m_replyTimeout->setToolTip(tr("The longest wait for replies: before a paced message, and for the last replies "
                                  "before the replay closes the connection"));

    m_setupError = HueMessage::newLabel(tab, "replaySetupError");

    auto* form = new QFormLayout;
    form->setContentsMargins(0, 0, 0, 0);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("Tar&get:"), m_targetUrl);
    form->addRow(tr("Subprotoco&ls:"), m_subprotocols);
    form->addRow(tr("&Speed:"), m_speed);
    form->addRow(tr("&Wait for replies:"), m_replyTimeout);

    auto* layout = new QVBoxLayout(tab);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addLayout(form);
    layout->addWidget(new QLabel(tr("Handshake headers:"), tab));
    layout->addLayout(headersRow, 1);
    layout->addWidget(m_setupError);
    return tab;
}

QWidget* ReplayPane::createCompareTab()
{
    auto* tab = new QWidget(this);

    m_compareSummary = new QLabel(tab);
    m_compareSummary->setObjectName(QStringLiteral("replayCompareSummary"));
    m_compareSummary->setWordWrap(true);

    m_compareView = new QTableView(tab);
    m_compareView->setObjectName(QStringLiteral("replayCompareView"));
    m_compareView->setModel(m_compare);
    m_compareView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_compareView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_compareView->verticalHeader()->hide();
    m_compareView->setWordWrap(false);
    m_compareView->verticalHeader()->setDefaultSectionSize(m_compareView->fontMetrics().height() + 6);
    QHeaderView* header = m_compareView->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setSectionResizeMode(ReplayCompareModel::IndexColumn, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(ReplayCompareModel::StatusColumn, QHeaderView::ResizeToContents);
    header->resizeSection(ReplayCompareModel::PathsColumn, 140);
    header->resizeSection(ReplayCompareModel::RecordedColumn, 160);
    header->setStretchLastSection(true);
    connect(
        m_compareView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &ReplayPane::showComparedPair);
    connect(m_compare, &QAbstractItemModel::dataChanged, this,
        [this](const QModelIndex& topLeft, const QModelIndex& bottomRight) {
            const int current = m_compareView->currentIndex().row();
            if (current >= topLeft.row() && current <= bottomRight.row())
                showComparedPair();
        });
    connect(m_compare, &QAbstractItemModel::modelReset, this, &ReplayPane::showComparedPair);

    auto textView = [tab](const char* name) {
        auto* view = new QPlainTextEdit(tab);
        view->setObjectName(QLatin1String(name));
        view->setReadOnly(true);
        view->setLineWrapMode(QPlainTextEdit::NoWrap);
        view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
        return view;
    };
    m_recordedText = textView("replayRecordedText");
    m_receivedText = textView("replayReceivedText");
    m_recordedHighlighter = new JsonHighlighter(nullptr);
    m_recordedHighlighter->setParent(this);
    m_receivedHighlighter = new JsonHighlighter(nullptr);
    m_receivedHighlighter->setParent(this);
    m_recordedTitle = new QLabel(tr("Recorded"), tab);
    m_receivedTitle = new QLabel(tr("Received"), tab);
    auto column = [tab](QLabel* title, QPlainTextEdit* view) {
        auto* w = new QWidget(tab);
        auto* l = new QVBoxLayout(w);
        l->setContentsMargins(0, 0, 0, 0);
        l->setSpacing(2);
        l->addWidget(title);
        l->addWidget(view, 1);
        return w;
    };
    auto* sideBySide = new QSplitter(Qt::Horizontal, tab);
    sideBySide->setObjectName(QStringLiteral("replaySideBySide"));
    sideBySide->addWidget(column(m_recordedTitle, m_recordedText));
    sideBySide->addWidget(column(m_receivedTitle, m_receivedText));
    sideBySide->setChildrenCollapsible(false);
    // The two sides scroll together, so that the same lines stay side by side.
    for (auto [from, to] :
        { std::pair { m_recordedText, m_receivedText }, std::pair { m_receivedText, m_recordedText } }) {
        connect(from->verticalScrollBar(), &QScrollBar::valueChanged, to->verticalScrollBar(), &QScrollBar::setValue);
        connect(
            from->horizontalScrollBar(), &QScrollBar::valueChanged, to->horizontalScrollBar(), &QScrollBar::setValue);
    }

    m_differences = HueMessage::newLabel(tab, "replayDifferencesLabel");

    m_ignoreEdit = new QPlainTextEdit(tab);
    m_ignoreEdit->setObjectName(QStringLiteral("replayIgnorePathsEdit"));
    m_ignoreEdit->setPlaceholderText(tr("JSON paths to leave out, one per line, e.g.\n$.timestamp\n$..id"));
    m_ignoreEdit->setTabChangesFocus(true);
    m_ignoreEdit->setToolTip(tr("$.name a member, [3] an element, [*] or .* any, ..name at any depth; a path "
                                "covers everything below it"));
    m_ignoreEdit->setFixedHeight(m_ignoreEdit->fontMetrics().lineSpacing() * 3
        + int(m_ignoreEdit->document()->documentMargin() * 2) + m_ignoreEdit->frameWidth() * 2);
    connect(m_ignoreEdit, &QPlainTextEdit::textChanged, m_ignoreTimer, qOverload<>(&QTimer::start));
    m_ignoreError = HueMessage::newLabel(tab, "replayIgnoreError");

    auto* detail = new QWidget(tab);
    auto* detailLayout = new QVBoxLayout(detail);
    detailLayout->setContentsMargins(0, 0, 0, 0);
    detailLayout->setSpacing(2);
    detailLayout->addWidget(sideBySide, 1);
    detailLayout->addWidget(m_differences);

    auto* splitter = new QSplitter(Qt::Vertical, tab);
    splitter->addWidget(m_compareView);
    splitter->addWidget(detail);
    splitter->setChildrenCollapsible(false);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 1);

    auto* ignoreLabel = new QLabel(tr("&Ignore paths:"), tab);
    ignoreLabel->setBuddy(m_ignoreEdit);

    auto* layout = new QVBoxLayout(tab);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    layout->addWidget(m_compareSummary);
    layout->addWidget(splitter, 1);
    layout->addWidget(ignoreLabel);
    layout->addWidget(m_ignoreEdit);
    layout->addWidget(m_ignoreError);
    return tab;
}

QWidget* ReplayPane::createServerPage()
{
    auto* page = new QWidget(this);
    page->setObjectName(QStringLiteral("replayServerPage"));

    m_serverHost = new QComboBox(page);
    m_serverHost->setObjectName(QStringLiteral("replayServerHostCombo"));
    m_serverHost->setEditable(true);
    m_serverHost->addItems(
        { QStringLiteral("127.0.0.1"), QStringLiteral("localhost"), QStringLiteral("::1"), QStringLiteral("0.0.0.0") });
    connect(m_serverHost, &QComboBox::currentTextChanged, this, &ReplayPane::updateHostHint);
    m_hostHint = HueMessage::newLabel(page, "replayServerHostHint");

    m_serverPort = new QSpinBox(page);
    m_serverPort->setObjectName(QStringLiteral("replayServerPortSpin"));
    m_serverPort->setRange(0, 65535);
    m_serverPort->setValue(0);
    m_serverPort->setSpecialValueText(tr("any free port"));

    m_serverSchedule = new QComboBox(page);
    m_serverSchedule->setObjectName(QStringLiteral("replayServerScheduleCombo"));
    m_serverSchedule->addItem(tr("On the recorded schedule"), false);
    m_serverSchedule->addItem(tr("In answer to the client's messages"), true);
    m_serverSchedule->setToolTip(tr("Schedule: each message at its recorded time after the connection opens. "
                                    "Answer: the messages that followed the k-th client message in the "
                                    "recording go out when a client sends its k-th message."));
    m_serverSpeed = new QComboBox(page);
    m_serverSpeed->setObjectName(QStringLiteral("replayServerSpeedCombo"));
    addSpeeds(m_serverSpeed, false);
    m_loop = new QCheckBox(tr("&Loop: start over after the last message"), page);
    m_loop->setObjectName(QStringLiteral("replayLoopCheck"));

    m_serverButton = new QPushButton(tr("&Start Mock Server"), page);
    m_serverButton->setObjectName(QStringLiteral("replayServerStartStopButton"));
    connect(m_serverButton, &QPushButton::clicked, this, [this] {
        if (m_server->isRunning())
            stopServer();
        else
            startServer();
    });
    m_serverUrl = new QLineEdit(page);
    m_serverUrl->setObjectName(QStringLiteral("replayServerUrlEdit"));
    m_serverUrl->setReadOnly(true);
    m_serverUrl->setPlaceholderText(tr("not running"));
    m_copyUrl = new QPushButton(tr("Cop&y"), page);
    m_copyUrl->setObjectName(QStringLiteral("replayCopyServerUrlButton"));
    connect(m_copyUrl, &QPushButton::clicked, this, [this] {
        if (m_server->isRunning())
            QApplication::clipboard()->setText(m_server->url().toString());
    });
    m_clientsLabel = new QLabel(page);
    m_clientsLabel->setObjectName(QStringLiteral("replayClientsServedLabel"));
    m_serverStatus = HueMessage::newLabel(page, "replayServerStatus");

    auto* form = new QFormLayout;
    form->setContentsMargins(0, 0, 0, 0);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("&Host:"), m_serverHost);
    form->addRow(QString(), m_hostHint);
    form->addRow(tr("&Port:"), m_serverPort);
    form->addRow(tr("S&end:"), m_serverSchedule);
    form->addRow(tr("Spee&d:"), m_serverSpeed);
    form->addRow(QString(), m_loop);

    auto* urlRow = new QHBoxLayout;
    urlRow->setContentsMargins(0, 0, 0, 0);
    urlRow->addWidget(m_serverUrl, 1);
    urlRow->addWidget(m_copyUrl);

    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(form);
    layout->addWidget(m_serverButton);
    layout->addLayout(urlRow);
    layout->addWidget(m_clientsLabel);
    layout->addWidget(m_serverStatus);
    layout->addStretch(1);
    return page;
}

QString ReplayPane::sourceMessage() const
{
    return m_sourceStatus->text();
}

QString ReplayPane::planMessage() const
{
    return m_planStatus->text();
}

QString ReplayPane::setupMessage() const
{
    return m_setupError->text();
}

QString ReplayPane::runMessage() const
{
    return m_runStatus->text();
}

QString ReplayPane::serverMessage() const
{
    return m_serverStatus->text();
}

void ReplayPane::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    // The capture is listed when first looked at, not when the window is made (it is empty then).
    if (!m_shownOnce && m_source == Source::CurrentSession && !m_loading) {
        m_shownOnce = true;
        useCurrentSession();
    }
}

void ReplayPane::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        updateColours();
}

void ReplayPane::chooseFile()
{
    const QString start = m_filePath.isEmpty() ? QString() : QFileInfo(m_filePath).absolutePath();
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Replay a Session File"), start, tr("Sessions (*.jsonl *.har);;All files (*)"));
    if (!path.isEmpty())
        loadFile(path);
}

void ReplayPane::onSourceChosen(int index)
{
    if (Source(m_sourceCombo->itemData(index).toInt()) == Source::CurrentSession) {
        useCurrentSession();
        return;
    }
    m_fileEdit->show();
    m_browseButton->show();
    if (m_filePath.isEmpty())
        chooseFile();
    else if (m_source != Source::File)
        loadFile(m_filePath);
}

void ReplayPane::useCurrentSession()
{
    m_source = Source::CurrentSession;
    m_shownOnce = true;
    m_sourceCombo->setCurrentIndex(m_sourceCombo->findData(int(Source::CurrentSession)));
    m_fileEdit->hide();
    m_browseButton->hide();
    m_fileData.reset();
    const quint64 generation = ++m_sourceGeneration;
    m_liveSource->store(generation);
    ++m_planGeneration;
    m_planning = false;

    EventStore* store = m_session ? m_session->store() : nullptr;
    if (!store) {
        m_snapshot = {};
        m_snapshotConnections.clear();
        setMessage(m_sourceStatus, tr("This capture keeps no timeline: open a session file instead."), RedHue);
        setCandidates({}, {});
        return;
    }
    // What the timeline shows; the last few milliseconds still on their way are listed by the next Reload. (Not
    // flush(): that also writes the journal to disk, on this thread.)
    m_snapshot = store->snapshot();
    m_snapshotConnections = store->connections();
    m_loading = true;
    setMessage(m_sourceStatus, tr("Listing the connections of the capture…"), NoHue);
    updateControls();

    QPointer<ReplayPane> self(this);
    // Listed on a worker, straight from the snapshot (nothing copied): the capture may hold a million events.
    QThreadPool::globalInstance()->start(
        [self, snapshot = m_snapshot, connections = m_snapshotConnections, generation] {
            QList<ReplayCandidate> candidates = ReplayPlan::candidates(snapshot, connections);
            backToPane(self, [generation, candidates = std::move(candidates)](ReplayPane* pane) {
                if (pane->m_sourceGeneration != generation)
                    return;
                pane->m_loading = false;
                if (candidates.isEmpty())
                    pane->setMessage(pane->m_sourceStatus,
                        tr("The capture has no messages to replay yet. Capture some, then Reload (or open a file)."),
                        AmberHue);
                else
                    pane->setMessage(pane->m_sourceStatus, QString(), NoHue);
                pane->setCandidates(candidates, {});
            });
        });
}

void ReplayPane::loadFile(const QString& path)
{
    m_source = Source::File;
    m_shownOnce = true;
    m_filePath = path;
    m_sourceCombo->setCurrentIndex(m_sourceCombo->findData(int(Source::File)));
    m_fileEdit->setText(QDir::toNativeSeparators(path));
    m_fileEdit->show();
    m_browseButton->show();
    m_fileData.reset();
    m_snapshot = {};
    m_snapshotConnections.clear();
    const quint64 generation = ++m_sourceGeneration;
    m_liveSource->store(generation);
    ++m_planGeneration;
    m_planning = false;
    m_loading = true;
    const QString name = QFileInfo(path).fileName();
    setMessage(m_sourceStatus, tr("Reading %1…").arg(name), NoHue);
    setCandidates({}, {});

    QPointer<ReplayPane> self(this);
    QThreadPool::globalInstance()->start([self, path, name, generation, live = m_liveSource] {
        auto data = std::make_shared<SessionData>();
        QString error;
        int lastPercent = -1;
        const bool ok = readSessionFile(path, *data, &error, [&](qint64 done, qint64 total) {
            const int percent = total > 0 ? int(done * 100 / total) : -1;
            if (percent >= 0 && percent != lastPercent) {
                lastPercent = percent;
                backToPane(self, [generation, name, percent](ReplayPane* pane) {
                    if (pane->m_sourceGeneration == generation && pane->m_loading)
                        pane->setMessage(pane->m_sourceStatus, tr("Reading %1… %2%").arg(name).arg(percent), NoHue);
                });
            }
            // A newer source (or the pane's end) makes this read pointless.
            return live->load() == generation;
        });
        QList<ReplayCandidate> candidates;
        if (ok)
            candidates = ReplayPlan::candidates(*data);
        backToPane(self,
            [generation, ok, error, name, data = std::shared_ptr<const SessionData>(std::move(data)),
                candidates = std::move(candidates)](ReplayPane* pane) {
                if (pane->m_sourceGeneration != generation)
                    return;
                pane->m_loading = false;
                if (!ok) {
                    pane->setMessage(pane->m_sourceStatus, tr("Could not read %1: %2").arg(name, error), RedHue);
                    pane->setCandidates({}, {});
                    return;
                }
                pane->m_fileData = data;
                if (candidates.isEmpty())
                    pane->setMessage(pane->m_sourceStatus,
                        tr("%1 holds no messages: there is nothing to replay.").arg(name), RedHue);
                else
                    pane->setMessage(pane->m_sourceStatus, QString(), NoHue);
                pane->setCandidates(candidates, data->warnings);
            });
    });
}

void ReplayPane::setCandidates(const QList<ReplayCandidate>& candidates, const QStringList& warnings)
{
    m_candidates = candidates;
    const quint32 previous = m_selected;
    {
        const QSignalBlocker blocker(m_candidateView->selectionModel());
        m_candidateModel->removeRows(0, m_candidateModel->rowCount());
        for (const ReplayCandidate& c : candidates) {
            auto item = [](const QString& text) {
                auto* i = new QStandardItem(text);
                i->setEditable(false);
                return i;
            };
            QList<QStandardItem*> row = { item(QString::number(c.id)), item(roleText(c.role)),
                item(c.url.isEmpty() ? tr("(no URL)") : c.url), item(QLocale().toString(c.c2sMessages)),
                item(QLocale().toString(c.s2cMessages)), item(durationText(c.durationUs)) };
            row[CandidateIdColumn]->setData(c.id, CandidateIdRole);
            row[CandidateUrlColumn]->setToolTip(c.url);
            for (int column : { CandidateIdColumn, CandidateC2sColumn, CandidateS2cColumn, CandidateDurationColumn })
                row[column]->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            m_candidateModel->appendRow(row);
        }
    }
    if (!warnings.isEmpty()) {
        QStringList shown = warnings.mid(0, MaxWarningsShown);
        if (warnings.size() > MaxWarningsShown)
            shown.append(tr("and %1 more").arg(warnings.size() - MaxWarningsShown));
        setMessage(
            m_sourceStatus, tr("Some of the file was skipped:\n%1").arg(shown.join(QLatin1Char('\n'))), AmberHue);
    }
    m_selected = 0;
    m_plan.reset();
    Q_EMIT candidatesChanged();

    // The same connection again when it is still there (a reload), else the first that has something to send.
    quint32 pick = 0;
    for (const ReplayCandidate& c : candidates) {
        if (c.id == previous)
            pick = c.id;
    }
    if (pick == 0) {
        for (const ReplayCandidate& c : candidates) {
            if ((m_mode == Mode::Client ? c.c2sMessages : c.s2cMessages) > 0) {
                pick = c.id;
                break;
            }
        }
    }
    if (pick == 0 && !candidates.isEmpty())
        pick = candidates.front().id;
    if (pick != 0) {
        selectConnection(pick);
    } else {
        setMessage(m_planStatus, QString(), NoHue);
        Q_EMIT planChanged();
        updateControls();
    }
}

void ReplayPane::selectConnection(quint32 id)
{
    for (int row = 0; row < m_candidateModel->rowCount(); ++row) {
        if (m_candidateModel->item(row, CandidateIdColumn)->data(CandidateIdRole).toUInt() == id) {
            m_candidateView->selectionModel()->setCurrentIndex(
                m_candidateModel->index(row, 0), QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
            if (m_selected != id) // the view's current row was already this one
                onCandidateSelected();
            return;
        }
    }
}

void ReplayPane::onCandidateSelected()
{
    const QModelIndex current = m_candidateView->currentIndex();
    const quint32 id = current.isValid()
        ? m_candidateModel->item(current.row(), CandidateIdColumn)->data(CandidateIdRole).toUInt()
        : 0;
    if (id == m_selected && (m_plan || m_planning))
        return;
    m_selected = id;
    requestPlan();
}

void ReplayPane::setMode(Mode mode)
{
    if (m_mode == mode)
        return;
    m_mode = mode;
    m_modeGroup->button(int(mode))->setChecked(true);
    m_pages->setCurrentIndex(mode == Mode::Client ? 0 : 1);
    if (m_selected != 0)
        requestPlan();
    updateControls();
}

void ReplayPane::requestPlan()
{
    const quint64 generation = ++m_planGeneration;
    m_plan.reset();
    if (m_selected == 0) {
        m_planning = false;
        Q_EMIT planChanged();
        updateControls();
        return;
    }
    m_planning = true;
    setMessage(m_planStatus, tr("Reading connection %1…").arg(m_selected), NoHue);
    updateControls();

    const ReplayRole role = m_mode == Mode::Client ? ReplayRole::Client : ReplayRole::Server;
    const quint32 id = m_selected;
    QPointer<ReplayPane> self(this);
    auto deliver = [self, generation](std::optional<ReplayPlan> plan, QString error) {
        backToPane(self, [generation, plan = std::move(plan), error](ReplayPane* pane) mutable {
            if (pane->m_planGeneration == generation)
                pane->takePlan(std::move(plan), error);
        });
    };
    if (m_source == Source::File) {
        const QString source = QFileInfo(m_filePath).fileName();
        QThreadPool::globalInstance()->start([data = m_fileData, id, role, source, deliver] {
            QString error;
            std::optional<ReplayPlan> plan = data ? ReplayPlan::build(*data, id, role, source, &error) : std::nullopt;
            deliver(std::move(plan), error);
        });
        return;
    }
    const QString source = tr("the current session");
    QThreadPool::globalInstance()->start(
        [snapshot = m_snapshot, connections = m_snapshotConnections, id, role, source, deliver] {
            QString error;
            std::optional<ReplayPlan> plan = ReplayPlan::build(snapshot, connections, id, role, source, &error);
            deliver(std::move(plan), error);
        });
}

void ReplayPane::takePlan(std::optional<ReplayPlan> plan, const QString& error)
{
    m_planning = false;
    m_plan = std::move(plan);
    if (!m_plan) {
        setMessage(m_planStatus, error.isEmpty() ? tr("Nothing to replay.") : sentence(error), RedHue);
    } else {
        // What the plan left out is all about the client's handshake (URL, headers): news only to a client.
        QStringList warnings;
        if (m_mode == Mode::Client) {
            for (const QString& warning : std::as_const(m_plan->warnings))
                warnings.append(sentence(warning));
        }
        setMessage(m_planStatus, warnings.join(QLatin1Char('\n')), AmberHue);
        // Another connection: its recording fills the setup, and the last run's figures no longer apply.
        const ReplayClient::State state = m_client->state();
        if ((m_fieldsGeneration != m_sourceGeneration || m_fieldsConnection != m_plan->connection)
            && (state == ReplayClient::State::Idle || state == ReplayClient::State::Finished)) {
            fillClientFields(*m_plan);
            m_compare->reset({});
            setMessage(m_runStatus, QString(), NoHue);
            m_progress->setRange(0, std::max(1, m_plan->c2sCount()));
            m_progress->setValue(0);
            m_receivedLabel->setText(
                m_plan->s2cCount() == 1 ? tr("1 reply recorded") : tr("%1 replies recorded").arg(m_plan->s2cCount()));
        }
    }
    Q_EMIT planChanged();
    updateControls();
}

void ReplayPane::fillClientFields(const ReplayPlan& plan)
{
    m_fieldsGeneration = m_sourceGeneration;
    m_fieldsConnection = plan.connection;
    m_targetUrl->setText(m_restoredTarget.isEmpty() ? plan.url.toString() : m_restoredTarget);
    m_restoredTarget.clear();
    m_subprotocols->setText(plan.subprotocols.join(QStringLiteral(", ")));
    m_headers->setRowCount(0);
    auto addRow = [this](const QString& name, const QString& value) {
        const int row = m_headers->rowCount();
        m_headers->insertRow(row);
        m_headers->setItem(row, HeaderNameColumn, new QTableWidgetItem(name));
        m_headers->setItem(row, HeaderValueColumn, new QTableWidgetItem(value));
    };
    // Origin is a field of its own for the client endpoint, but to the user it is one more header.
    if (!plan.origin.isEmpty())
        addRow(QStringLiteral("Origin"), plan.origin);
    for (const auto& [name, value] : plan.headers)
        addRow(QString::fromUtf8(name), QString::fromUtf8(value));
    setMessage(m_setupError, QString(), NoHue);
}

void ReplayPane::saveSettings(QSettings& settings) const
{
    const QString target = m_targetUrl->text().trimmed();
    // The URL is kept for the next start, but never a password in it: settings are a plain file.
    if (!target.isEmpty() && (!m_plan || target != m_plan->url.toString()))
        settings.setValue(QStringLiteral("targetUrl"), redaction::withoutUserInfo(target));
    else
        settings.remove(QStringLiteral("targetUrl"));
    settings.setValue(QStringLiteral("speed"), m_speed->currentData().toDouble());
    settings.setValue(QStringLiteral("replyTimeoutS"), m_replyTimeout->value());
    settings.setValue(QStringLiteral("ignorePaths"), m_ignoreEdit->toPlainText());
    settings.setValue(QStringLiteral("serverHost"), m_serverHost->currentText());
    settings.setValue(QStringLiteral("serverPort"), m_serverPort->value());
    settings.setValue(QStringLiteral("serverAnswers"), m_serverSchedule->currentData().toBool());
    settings.setValue(QStringLiteral("serverSpeed"), m_serverSpeed->currentData().toDouble());
    settings.setValue(QStringLiteral("serverLoop"), m_loop->isChecked());
}

void ReplayPane::restoreSettings(const QSettings& settings)
{
    const QString target = settings.value(QStringLiteral("targetUrl")).toString().trimmed();
    if (!target.isEmpty()) {
        m_restoredTarget = target;
        if (!m_plan)
            m_targetUrl->setText(target);
    }
    // Only one of the choices the combo offers.
    const auto choose = [&settings](const QString& key, QComboBox* combo, auto convert) {
        const QVariant value = settings.value(key);
        if (!value.isValid())
            return;
        for (int i = 0; i < combo->count(); ++i) {
            if (convert(combo->itemData(i)) == convert(value))
                combo->setCurrentIndex(i);
        }
    };
    const auto toDouble = [](const QVariant& v) { return v.toDouble(); };
    const auto toBool = [](const QVariant& v) { return v.toBool(); };
    const auto number = [&settings](const QString& key, QSpinBox* spin) {
        bool ok = false;
        const int value = settings.value(key).toInt(&ok);
        if (ok)
            spin->setValue(value);
    };
    choose(QStringLiteral("speed"), m_speed, toDouble);
    number(QStringLiteral("replyTimeoutS"), m_replyTimeout);
    const QVariant ignore = settings.value(QStringLiteral("ignorePaths"));
    if (ignore.isValid())
        m_ignoreEdit->setPlainText(ignore.toString());
    const QString host = settings.value(QStringLiteral("serverHost")).toString();
    if (!host.trimmed().isEmpty())
        m_serverHost->setCurrentText(host);
    number(QStringLiteral("serverPort"), m_serverPort);
    choose(QStringLiteral("serverAnswers"), m_serverSchedule, toBool);
    choose(QStringLiteral("serverSpeed"), m_serverSpeed, toDouble);
    const QVariant loop = settings.value(QStringLiteral("serverLoop"));
    if (loop.isValid())
        m_loop->setChecked(loop.toBool());
}

std::optional<ReplayClientOptions> ReplayPane::clientOptions()
{
    auto fail = [this](const QString& message, QWidget* culprit) -> std::optional<ReplayClientOptions> {
        m_clientTabs->setCurrentIndex(0);
        setMessage(m_setupError, message, RedHue);
        setMessage(m_runStatus, tr("Not started: see the setup below."), RedHue);
        if (culprit)
            culprit->setFocus(Qt::OtherFocusReason);
        return std::nullopt;
    };
    ReplayClientOptions options;
    options.connection = m_plan->clientOptions();
    const QUrl url(m_targetUrl->text().trimmed(), QUrl::StrictMode);
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || (scheme != QLatin1String("ws") && scheme != QLatin1String("wss")) || url.host().isEmpty())
        return fail(
            tr("The target must be a ws:// or wss:// URL with a host, e.g. ws://127.0.0.1:8765/."), m_targetUrl);
    options.connection.url = url;
    options.connection.headers.clear();
    options.connection.origin.clear();
    for (int row = 0; row < m_headers->rowCount(); ++row) {
        const QTableWidgetItem* nameItem = m_headers->item(row, HeaderNameColumn);
        const QTableWidgetItem* valueItem = m_headers->item(row, HeaderValueColumn);
        const QString name = nameItem ? nameItem->text().trimmed() : QString();
        const QString value = valueItem ? valueItem->text().trimmed() : QString();
        if (name.isEmpty() && value.isEmpty())
            continue;
        if (name.compare(QLatin1String("Origin"), Qt::CaseInsensitive) == 0) {
            options.connection.origin = value;
            continue;
        }
        if (const QString problem = extraHeaderProblem(name, value); !problem.isEmpty()) {
            m_headers->setCurrentCell(row, HeaderNameColumn);
            return fail(tr("Header row %1: %2.").arg(row + 1).arg(problem), m_headers);
        }
        options.connection.headers.append({ name.toLatin1(), value.toUtf8() });
    }
    options.connection.subprotocols.clear();
    for (const QString& p : m_subprotocols->text().split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString protocol = p.trimmed();
        if (!protocol.isEmpty())
            options.connection.subprotocols.append(protocol);
    }
    const double speed = m_speed->currentData().toDouble();
    options.paced = speed == Paced;
    options.speed = options.paced ? 1.0 : speed;
    options.replyTimeoutMs = m_replyTimeout->value() * 1000;
    setMessage(m_setupError, QString(), NoHue);
    return options;
}

bool ReplayPane::startReplay(bool paused)
{
    if (!m_plan || m_mode != Mode::Client)
        return false;
    std::optional<ReplayClientOptions> options = clientOptions();
    if (!options)
        return false;
    options->startPaused = paused;
    m_compare->reset(m_plan->messagesFrom(Direction::S2C)); // the ignore paths stay
    m_progress->setRange(0, std::max(1, m_plan->c2sCount()));
    m_progress->setValue(0);
    m_receivedLabel->setText(tr("0 of %1 received").arg(m_plan->s2cCount()));
    QString error;
    if (!m_client->start(*m_plan, *options, &error)) {
        setMessage(m_runStatus, tr("Could not start the replay: %1").arg(error), RedHue);
        updateControls();
        return false;
    }
    setMessage(m_runStatus, tr("Connecting to %1…").arg(options->connection.url.toString()), NoHue);
    updateControls();
    return true;
}

void ReplayPane::play()
{
    switch (m_client->state()) {
    case ReplayClient::State::Paused:
        m_client->resume();
        break;
    case ReplayClient::State::Idle:
    case ReplayClient::State::Finished:
        m_stepWhenOpen = false;
        startReplay(false);
        break;
    default:
        break;
    }
}

void ReplayPane::pause()
{
    const ReplayClient::State state = m_client->state();
    if (state == ReplayClient::State::Playing || state == ReplayClient::State::Connecting)
        m_client->pause();
}

void ReplayPane::step()
{
    switch (m_client->state()) {
    case ReplayClient::State::Idle:
    case ReplayClient::State::Finished:
        // Connects paused; the first message goes once the connection is open.
        m_stepWhenOpen = startReplay(true);
        break;
    case ReplayClient::State::Connecting:
        m_stepWhenOpen = true;
        m_client->pause();
        break;
    case ReplayClient::State::Playing:
    case ReplayClient::State::Paused:
        m_client->step();
        break;
    case ReplayClient::State::Finishing:
        break;
    }
}

void ReplayPane::stop()
{
    const ReplayClient::State state = m_client->state();
    if (state != ReplayClient::State::Idle && state != ReplayClient::State::Finished)
        m_client->stop();
    m_stepWhenOpen = false;
}

void ReplayPane::onClientState(ReplayClient::State state)
{
    switch (state) {
    case ReplayClient::State::Paused:
        setMessage(m_runStatus,
            tr("Paused after %1 of %2 messages.").arg(m_client->sentCount()).arg(m_client->totalCount()), NoHue);
        break;
    case ReplayClient::State::Playing:
        if (HueMessage::hueOf(m_runStatus) == NoHue)
            setMessage(m_runStatus, tr("Replaying…"), NoHue);
        break;
    case ReplayClient::State::Finishing:
        setMessage(m_runStatus, tr("Every message sent: waiting for the last replies…"), NoHue);
        break;
    default:
        break;
    }
    updateControls();
}

void ReplayPane::onProgress(int sent, int total, int received)
{
    m_progress->setRange(0, std::max(1, total));
    m_progress->setValue(sent);
    m_receivedLabel->setText(tr("%1 of %2 received").arg(received).arg(m_compare->recordedCount()));
}

void ReplayPane::onFinished(bool ok, const QString& reason)
{
    m_stepWhenOpen = false;
    m_compare->finish();
    const QString connection = m_client->connection() != 0
        ? tr(" The replay is connection %1 in the timeline.").arg(m_client->connection())
        : QString();
    if (ok)
        setMessage(m_runStatus, tr("Done: %1.%2").arg(reason, connection), NoHue);
    else
        setMessage(m_runStatus, tr("The replay did not finish: %1.%2").arg(reason, connection), RedHue);
    updateControls();
}

void ReplayPane::applyIgnorePaths()
{
    QList<JsonPathPattern> patterns;
    const QStringList lines = m_ignoreEdit->toPlainText().split(QLatin1Char('\n'));
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QString line = lines[i].trimmed();
        if (line.isEmpty())
            continue;
        QString error;
        std::optional<JsonPathPattern> pattern = JsonPathPattern::parse(line, &error);
        if (!pattern) {
            // The last good list keeps working while this line is being typed.
            setMessage(m_ignoreError, tr("Line %1: %2").arg(i + 1).arg(error), RedHue);
            return;
        }
        patterns.append(std::move(*pattern));
    }
    setMessage(m_ignoreError, QString(), NoHue);
    m_ignore = patterns;
    m_compare->setIgnorePaths(std::move(patterns));
}

void ReplayPane::showComparedPair()
{
    const int row = m_compareView->currentIndex().row();
    const ReplayMessage* recorded = m_compare->recorded(row);
    const ReplayMessage* received = m_compare->received(row);
    auto show = [](QPlainTextEdit* view, JsonHighlighter* highlighter, const ReplayMessage* m, const QString& none) {
        const int scroll = view->verticalScrollBar()->value();
        if (!m) {
            highlighter->setDocument(nullptr);
            view->setPlainText(QString());
            view->setPlaceholderText(none);
            return;
        }
        const auto [text, json] = readable(*m);
        highlighter->setDocument(json ? view->document() : nullptr);
        view->setPlainText(text);
        view->verticalScrollBar()->setValue(scroll);
    };
    const bool any = row >= 0;
    show(m_recordedText, m_recordedHighlighter, recorded, any ? tr("Not in the recording") : QString());
    const bool awaited = any && !m_compare->isFinished() && !received;
    show(m_receivedText, m_receivedHighlighter, received,
        !any          ? QString()
            : awaited ? tr("Not received yet")
                      : tr("Not received"));
    m_recordedTitle->setText(any ? tr("Recorded message %1").arg(row + 1) : tr("Recorded"));
    m_receivedTitle->setText(any ? tr("Received message %1").arg(row + 1) : tr("Received"));
    const QString differences = any ? m_compare->describe(row) : QString();
    QStringList lines = differences.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (QString& line : lines)
        line = sentence(line);
    setMessage(m_differences, lines.join(QLatin1Char('\n')), RedHue);
}

void ReplayPane::updateSummary()
{
    const QString summary = m_compare->summary();
    m_compareSummary->setText(
        summary.isEmpty() ? tr("The server's messages are compared with the recording as they arrive.") : summary);
    const int differing = m_compare->count(ReplayCompareRow::Status::Differ)
        + m_compare->count(ReplayCompareRow::Status::Missing) + m_compare->count(ReplayCompareRow::Status::Extra);
    m_clientTabs->setTabText(1, differing > 0 ? tr("Compar&e (%1)").arg(differing) : tr("Compar&e"));
}

void ReplayPane::updateControls()
{
    const ReplayClient::State state = m_client->state();
    const bool idle = state == ReplayClient::State::Idle || state == ReplayClient::State::Finished;
    const bool clientReady = m_mode == Mode::Client && m_plan && !m_planning && !m_loading;
    m_playAction->setEnabled((idle && clientReady) || state == ReplayClient::State::Paused);
    m_pauseAction->setEnabled(state == ReplayClient::State::Playing || state == ReplayClient::State::Connecting);
    m_stepAction->setEnabled((idle && clientReady) || state == ReplayClient::State::Paused
        || state == ReplayClient::State::Playing || state == ReplayClient::State::Connecting);
    m_stopAction->setEnabled(!idle);
    // What is replaying stays what was chosen: the source, the connection and the mode are fixed while it runs.
    const bool serverBusy = m_server->isRunning();
    const bool locked = !idle || serverBusy;
    m_sourceCombo->setEnabled(!locked);
    m_fileEdit->setEnabled(!locked);
    m_browseButton->setEnabled(!locked);
    m_reloadButton->setEnabled(!locked);
    m_candidateView->setEnabled(!locked);
    m_clientRadio->setEnabled(!locked);
    m_serverRadio->setEnabled(!locked);
    m_clientTabs->widget(0)->setEnabled(idle);
    updateServerUi();
}

void ReplayPane::updateServerUi()
{
    if (!m_serverButton)
        return;
    const bool running = m_server->isRunning();
    m_serverButton->setText(running ? tr("&Stop Mock Server") : tr("&Start Mock Server"));
    m_serverButton->setEnabled(running || (m_mode == Mode::Server && m_plan && !m_planning && !m_loading));
    m_copyUrl->setEnabled(running);
    if (!running)
        m_serverUrl->clear();
    for (QWidget* w :
        std::initializer_list<QWidget*> { m_serverHost, m_serverPort, m_serverSchedule, m_serverSpeed, m_loop })
        w->setEnabled(!running);
    m_clientsLabel->setText(m_clientsServed == 1
            ? tr("1 client served, %1 connected now").arg(m_clientsConnected)
            : tr("%1 clients served, %2 connected now").arg(m_clientsServed).arg(m_clientsConnected));
}

void ReplayPane::updateHostHint()
{
    const QString host = m_serverHost->currentText().trimmed();
    if (!host.isEmpty() && exposesBeyondLoopback(host))
        setMessage(m_hostHint,
            tr("Other computers can connect and will receive the recorded messages. 127.0.0.1 keeps the mock to "
               "this computer."),
            AmberHue);
    else
        setMessage(m_hostHint, QString(), NoHue);
}

void ReplayPane::startServer()
{
    if (!m_plan || m_mode != Mode::Server || m_server->isRunning())
        return;
    ReplayServerOptions options;
    options.server.host = m_serverHost->currentText().trimmed();
    if (options.server.host.isEmpty()) {
        setMessage(m_serverStatus, tr("Say which address to listen on, e.g. 127.0.0.1."), RedHue);
        m_serverHost->setFocus(Qt::OtherFocusReason);
        return;
    }
    options.server.port = quint16(m_serverPort->value());
    options.server.tryNextPorts = 0;
    options.speed = m_serverSpeed->currentData().toDouble();
    options.answer = m_serverSchedule->currentData().toBool();
    options.loop = m_loop->isChecked();
    m_clientsServed = 0;
    m_clientsConnected = 0;
    QString error;
    if (!m_server->start(*m_plan, options, &error)) {
        setMessage(m_serverStatus, tr("Could not start the mock server: %1").arg(error), RedHue);
        return;
    }
    setMessage(m_serverStatus, tr("Starting…"), NoHue);
    updateControls();
}

void ReplayPane::stopServer()
{
    if (!m_server->isRunning())
        return;
    m_server->stop();
    setMessage(m_serverStatus,
        tr("Stopped after serving %1.")
            .arg(m_clientsServed == 1 ? tr("1 client") : tr("%1 clients").arg(m_clientsServed)),
        NoHue);
    updateControls();
}

void ReplayPane::setMessage(QLabel* label, const QString& text, int hue)
{
    HueMessage::show(label, text, hue, palette());
}

void ReplayPane::updateColours()
{
    HueMessage::recolour(this);
    m_compare->setPalette(palette());
    m_recordedHighlighter->setPalette(palette());
    m_receivedHighlighter->setPalette(palette());
}

} // namespace wsi
