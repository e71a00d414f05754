#include "serverpane.h"

#include "huemessage.h"
#include "listenaddress.h"

#include "core/event.h"
#include "core/messagetemplate.h"
#include "core/replyrules.h"
#include "core/replyrulesmodel.h"
#include "core/sessionstatistics.h"
#include "net/capturesession.h"
#include "replyrulesdelegate.h"
#include "timelinedelegate.h"
#include "wire/httphead.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDesktopServices>
#include <QDir>
#include <QEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QSettings>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace wsi {

namespace {
using HueMessage::AmberHue;
using HueMessage::NoHue;
using HueMessage::RedHue;
constexpr int TryNextPorts = 20; // as many as the one-click start always tried

bool hasSpaceOrControl(QStringView s)
{
    for (QChar c : s) {
        if (c.isSpace() || c.unicode() < 0x20 || c.unicode() == 0x7f)
            return true;
    }
    return false;
}

QStringList commaList(const QString& text)
{
    QStringList items;
    for (const QString& part : text.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const QString item = part.trimmed();
        if (!item.isEmpty())
            items << item;
    }
    return items;
}

// Whole sentences, one for each case, so that a translation can put every word where its language wants it
// (English alone needs "an echo" but "a broadcast").
QString startToolTip(ServerMode mode, const QString& host, int port, bool tryNextPorts)
{
    if (port == 0) {
        switch (mode) {
        case ServerMode::Echo:
            return ServerPane::tr("Start an echo server on %1, on any free port").arg(host);
        case ServerMode::Broadcast:
            return ServerPane::tr("Start a broadcast server on %1, on any free port").arg(host);
        case ServerMode::Silent:
            return ServerPane::tr("Start a silent server on %1, on any free port").arg(host);
        }
        return {};
    }
    const QString at = host + QLatin1Char(':') + QString::number(port);
    if (tryNextPorts) {
        switch (mode) {
        case ServerMode::Echo:
            return ServerPane::tr("Start an echo server on %1 (or the next free port)").arg(at);
        case ServerMode::Broadcast:
            return ServerPane::tr("Start a broadcast server on %1 (or the next free port)").arg(at);
        case ServerMode::Silent:
            return ServerPane::tr("Start a silent server on %1 (or the next free port)").arg(at);
        }
        return {};
    }
    switch (mode) {
    case ServerMode::Echo:
        return ServerPane::tr("Start an echo server on %1").arg(at);
    case ServerMode::Broadcast:
        return ServerPane::tr("Start a broadcast server on %1").arg(at);
    case ServerMode::Silent:
        return ServerPane::tr("Start a silent server on %1").arg(at);
    }
    return {};
}

QWidget* scrollable(QWidget* page, QWidget* parent)
{
    auto* area = new QScrollArea(parent);
    area->setWidget(page);
    area->setWidgetResizable(true);
    area->setFrameShape(QFrame::NoFrame);
    area->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    return area;
}
} // namespace

ServerPane::ServerPane(CaptureSession* session, SessionStatistics* statistics, QWidget* parent)
    : QWidget(parent)
    , m_session(session)
    , m_statistics(statistics)
    , m_startStopAction(new QAction(this))
    , m_applyTimer(new QTimer(this))
    , m_rules(new ReplyRulesModel(this))
    , m_rulesTimer(new QTimer(this))
    , m_clients(new QStandardItemModel(0, ClientColumnCount, this))
    , m_removeTimer(new QTimer(this))
    , m_sendSelectedAction(new QAction(tr("&Send to Selected"), this))
    , m_sendAllAction(new QAction(tr("Send to &All"), this))
    , m_closeAction(new QAction(tr("&Close\u2026"), this))
    , m_dropAction(new QAction(tr("&Drop"), this))
    , m_filterAction(new QAction(tr("&Filter Timeline by This Client"), this))
    , m_refreshTimer(new QTimer(this))
{
    setObjectName(QStringLiteral("serverPane"));
    if (!m_statistics && m_session->model())
        m_statistics = new SessionStatistics(m_session->model(), this);

    m_startStopAction->setObjectName(QStringLiteral("startServerAction"));
    connect(m_startStopAction, &QAction::triggered, this, [this] {
        if (m_state == State::Running)
            stop();
        else if (m_state == State::Stopped)
            start();
    });

    m_applyTimer->setSingleShot(true);
    m_applyTimer->setInterval(ApplyDelayMs);
    connect(m_applyTimer, &QTimer::timeout, this, &ServerPane::applyBehaviour);
    m_rulesTimer->setSingleShot(true);
    m_rulesTimer->setInterval(ApplyDelayMs);
    connect(m_rulesTimer, &QTimer::timeout, this, &ServerPane::compileRules);
    connect(m_rules, &ReplyRulesModel::rulesChanged, m_rulesTimer, qOverload<>(&QTimer::start));
    m_clock.start();
    m_removeTimer->setSingleShot(true);
    connect(m_removeTimer, &QTimer::timeout, this, &ServerPane::removeGoneClients);
    m_refreshTimer->setInterval(RefreshIntervalMs);
    connect(m_refreshTimer, &QTimer::timeout, this, [this] {
        if (m_clientsTable->isVisible())
            refreshClientCounts();
    });

    QWidget* header = createHeader(); // first, for the tab order
    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("serverTabs"));
    m_tabs->setDocumentMode(true);
    m_tabs->setUsesScrollButtons(true);
    m_tabs->addTab(scrollable(createOptionsPage(), m_tabs), tr("Options"));
    m_tabs->addTab(scrollable(createBehaviourPage(), m_tabs), tr("Behaviour"));
    m_tabs->addTab(createRulesPage(), tr("Rules"));
    m_tabs->addTab(createClientsPage(), QString());
    m_tabs->setTabToolTip(OptionsTab, tr("Where the server listens and what it accepts; used at the next start"));
    m_tabs->setTabToolTip(BehaviourTab, tr("What the server does with messages; changes apply at once"));
    m_tabs->setTabToolTip(RulesTab, tr("Messages that get a prepared reply; changes apply at once"));
    m_tabs->setTabToolTip(ClientsTab, tr("The clients connected to the server"));

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    layout->addWidget(header);
    layout->addWidget(m_tabs, 1);

    connect(m_session, &CaptureSession::serverStarted, this, [this](const QUrl& url) {
        m_url = url;
        setMessage(m_statusLabel, QString(), NoHue);
        setState(State::Running);
    });
    connect(m_session, &CaptureSession::serverStartFailed, this, [this](const QString& reason) {
        setMessage(m_statusLabel, tr("Could not start: %1").arg(reason), RedHue);
        setState(State::Stopped);
    });
    connect(m_session, &CaptureSession::serverStopped, this, [this] {
        setState(State::Stopped);
        // Every client goes at once: the final figures once, then all rows grey out (and go) together.
        refreshClientCounts();
        m_clientsTable->clearSelection();
        for (int row = 0; row < m_clients->rowCount(); ++row)
            greyOutClient(row);
        updateClientsTabTitle();
        updateClientActions();
    });
    connect(m_session, &CaptureSession::serverClientOpened, this, &ServerPane::onClientOpened);
    connect(m_session, &CaptureSession::connectionStateChanged, this, &ServerPane::onConnectionStateChanged);

    checkPushTemplate();
    // Checked, not applied: the session may already be serving (it outlives windows) with rules, a push and a
    // mode of its own, which the pane's defaults must not replace. The behaviour goes to the server when the
    // pane starts it, or when the user edits it here.
    updateRules();
    if (m_session->isServerRunning()) {
        m_url = m_session->serverUrl();
        m_state = State::Running;
    }
    for (const ServerClient& client : m_session->serverClients())
        onClientOpened(client);
    updateStateUi();
    updateClientActions();
    updateClientsTabTitle();
}

ServerPane::~ServerPane() = default;

QWidget* ServerPane::createHeader()
{
    auto* header = new QWidget(this);

    m_startStopButton = new QToolButton(header);
    m_startStopButton->setObjectName(QStringLiteral("startStopButton"));
    m_startStopButton->setDefaultAction(m_startStopAction);
    m_startStopButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);

    m_urlLabel = new QLabel(header);
    m_urlLabel->setObjectName(QStringLiteral("paneServerUrlLabel"));
    m_urlLabel->setTextFormat(Qt::PlainText);
    m_urlLabel->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_urlLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred); // a long URL must not widen the dock

    m_copyUrlButton = new QPushButton(tr("Cop&y"), header);
    m_copyUrlButton->setObjectName(QStringLiteral("paneCopyUrlButton"));
    m_copyUrlButton->setToolTip(tr("Copy the server's URL to the clipboard"));
    connect(m_copyUrlButton, &QPushButton::clicked, this, [this] {
        if (m_state == State::Running) {
            QApplication::clipboard()->setText(m_url.toString());
            setMessage(m_statusLabel, tr("Copied %1").arg(m_url.toString()), NoHue);
        }
    });

    m_openBrowserButton = new QPushButton(tr("Open &in Browser"), header);
    m_openBrowserButton->setObjectName(QStringLiteral("openBrowserButton"));
    m_openBrowserButton->setToolTip(tr("Open the server's test page: a browser client to talk to the server"));
    connect(m_openBrowserButton, &QPushButton::clicked, this, [this] {
        if (m_state != State::Running)
            return;
        const QUrl page = testPageUrl(ListenAddress::connectableUrl(m_url));
        if (!QDesktopServices::openUrl(page))
            setMessage(
                m_statusLabel, tr("Could not open a browser; the test page is at %1").arg(page.toString()), RedHue);
    });

    m_exposureWarning = HueMessage::newLabel(header, "exposureWarning");
    m_statusLabel = HueMessage::newLabel(header, "serverPaneStatus");

    auto* top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(m_startStopButton);
    top->addWidget(m_urlLabel, 1);
    auto* buttons = new QHBoxLayout;
    buttons->setContentsMargins(0, 0, 0, 0);
    buttons->addWidget(m_copyUrlButton);
    buttons->addWidget(m_openBrowserButton);
    buttons->addStretch(1);

    auto* layout = new QVBoxLayout(header);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addLayout(top);
    layout->addLayout(buttons);
    layout->addWidget(m_exposureWarning);
    layout->addWidget(m_statusLabel);
    return header;
}

QWidget* ServerPane::createOptionsPage()
{
    auto* page = new QWidget;
    m_optionsNote = new QLabel(page);
    m_optionsNote->setObjectName(QStringLiteral("optionsNote"));
    m_optionsNote->setWordWrap(true);
    m_optionsNote->setTextFormat(Qt::PlainText);

    m_optionsForm = new QWidget(page);
    m_optionsForm->setObjectName(QStringLiteral("optionsForm"));

    m_host = ListenAddress::newHostCombo(m_optionsForm, "hostCombo");
    m_hostHint = HueMessage::newLabel(m_optionsForm, "hostHint");
    connect(m_host, &QComboBox::currentTextChanged, this, [this] {
        updateHostHint();
        updateStateUi();
    });

    m_port = ListenAddress::newPortSpin(m_optionsForm, "portSpin", DefaultPort);
    connect(m_port, &QSpinBox::valueChanged, this, &ServerPane::updateStateUi);
    m_tryNextPorts = new QCheckBox(tr("or the ne&xt free one"), m_optionsForm);
    m_tryNextPorts->setObjectName(QStringLiteral("tryNextPortsCheck"));
    m_tryNextPorts->setToolTip(tr("When the port is taken, try the next %1 ports").arg(TryNextPorts));
    m_tryNextPorts->setChecked(true);
    connect(m_tryNextPorts, &QCheckBox::toggled, this, &ServerPane::updateStateUi); // the start button's tooltip
    auto* portRow = new QHBoxLayout;
    portRow->setContentsMargins(0, 0, 0, 0);
    portRow->addWidget(m_port);
    portRow->addWidget(m_tryNextPorts, 1);

    m_subprotocols = new QLineEdit(m_optionsForm);
    m_subprotocols->setObjectName(QStringLiteral("serverSubprotocolsEdit"));
    m_subprotocols->setPlaceholderText(tr("none, e.g. chat, graphql-ws"));
    m_subprotocols->setToolTip(tr("Subprotocols the server accepts, comma separated, in order of preference"));
    m_origins = new QLineEdit(m_optionsForm);
    m_origins->setObjectName(QStringLiteral("allowedOriginsEdit"));
    m_origins->setPlaceholderText(tr("any, e.g. http://localhost:3000"));
    m_origins->setToolTip(tr("Origins allowed to connect, comma separated; empty allows any (or none)"));

    m_maxConnections = new QSpinBox(m_optionsForm);
    m_maxConnections->setObjectName(QStringLiteral("maxConnectionsSpin"));
    m_maxConnections->setRange(1, 100000);
    m_maxConnections->setValue(ServerOptions().maxConnections);
    m_maxConnections->setToolTip(tr("Clients beyond this many are turned away"));
    m_maxMessageMiB = new QSpinBox(m_optionsForm);
    m_maxMessageMiB->setObjectName(QStringLiteral("maxMessageSpin"));
    m_maxMessageMiB->setRange(1, 2048);
    m_maxMessageMiB->setValue(int(ServerOptions().maxMessageBytes / (1024 * 1024)));
    m_maxMessageMiB->setSuffix(tr(" MiB"));
    m_maxMessageMiB->setToolTip(tr("A larger message closes its connection with 1009 (message too big)"));

    auto fileRow = [this](QLineEdit* edit, const char* name, const QString& title, const QString& filter) {
        edit->setObjectName(QLatin1String(name));
        edit->setClearButtonEnabled(true);
        auto* browse = new QToolButton(m_optionsForm);
        browse->setText(tr("\u2026"));
        browse->setAccessibleName(title);
        browse->setToolTip(title);
        connect(browse, &QToolButton::clicked, this, [this, edit, title, filter] { chooseFile(edit, title, filter); });
        auto* row = new QHBoxLayout;
        row->setContentsMargins(0, 0, 0, 0);
        row->addWidget(edit, 1);
        row->addWidget(browse);
        return row;
    };
    m_certificate = new QLineEdit(m_optionsForm);
    m_certificate->setPlaceholderText(tr("none: plain ws://"));
    m_certificate->setToolTip(tr("For wss://: a PEM certificate (chain); needs its key below"));
    m_key = new QLineEdit(m_optionsForm);
    m_key->setPlaceholderText(tr("none"));
    m_key->setToolTip(tr("The certificate's private key, PEM, not encrypted"));
    const QString pem = tr("PEM files (*.pem *.crt *.cer *.key);;All files (*)");
    QHBoxLayout* certificateRow = fileRow(m_certificate, "certificateEdit", tr("Choose the TLS certificate"), pem);
    QHBoxLayout* keyRow = fileRow(m_key, "keyEdit", tr("Choose the TLS private key"), pem);

    m_optionsError = HueMessage::newLabel(page, "optionsErrorLabel");
    for (QLineEdit* edit : { m_subprotocols, m_origins, m_certificate, m_key })
        connect(edit, &QLineEdit::textEdited, m_optionsError, &QWidget::hide);

    auto* form = new QFormLayout(m_optionsForm);
    form->setContentsMargins(0, 0, 0, 0);
    form->setRowWrapPolicy(QFormLayout::WrapLongRows);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("H&ost:"), m_host);
    form->addRow(m_hostHint);
    // A layout cannot be a buddy: rows holding several widgets get their label made here.
    auto buddyLabel = [this](const QString& text, QWidget* buddy) {
        auto* label = new QLabel(text, m_optionsForm);
        label->setBuddy(buddy);
        return label;
    };
    form->addRow(buddyLabel(tr("&Port:"), m_port), portRow);
    form->addRow(tr("Subp&rotocols:"), m_subprotocols);
    form->addRow(tr("Allowed ori&gins:"), m_origins);
    form->addRow(tr("Max co&nnections:"), m_maxConnections);
    form->addRow(tr("Max message si&ze:"), m_maxMessageMiB);
    form->addRow(buddyLabel(tr("T&LS certificate:"), m_certificate), certificateRow);
    form->addRow(buddyLabel(tr("TLS &key:"), m_key), keyRow);

    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_optionsNote);
    layout->addWidget(m_optionsForm);
    layout->addWidget(m_optionsError);
    layout->addStretch(1);
    updateHostHint();
    return page;
}

QWidget* ServerPane::createBehaviourPage()
{
    auto* page = new QWidget;
    auto* note = new QLabel(tr("Changes apply at once, also while the server runs."), page);
    note->setWordWrap(true);

    m_mode = new QComboBox(page);
    m_mode->setObjectName(QStringLiteral("modeCombo"));
    m_mode->addItem(tr("Echo"), int(ServerMode::Echo));
    m_mode->setItemData(0, tr("Each message goes back to its sender"), Qt::ToolTipRole);
    m_mode->addItem(tr("Broadcast"), int(ServerMode::Broadcast));
    m_mode->setItemData(1, tr("Each message goes to every other client"), Qt::ToolTipRole);
    m_mode->addItem(tr("Silent"), int(ServerMode::Silent));
    m_mode->setItemData(2, tr("Messages are only recorded"), Qt::ToolTipRole);
    m_mode->setToolTip(tr("What happens to a message no auto-reply rule answers"));

    m_broadcastToSender = new QCheckBox(tr("Broadcast to the sende&r too"), page);
    m_broadcastToSender->setObjectName(QStringLiteral("broadcastToSenderCheck"));
    m_broadcastToSender->setEnabled(false);
    connect(m_mode, &QComboBox::currentIndexChanged, this, [this] {
        m_broadcastToSender->setEnabled(ServerMode(m_mode->currentData().toInt()) == ServerMode::Broadcast);
        onBehaviourEdited();
        updateStateUi();
    });
    connect(m_broadcastToSender, &QCheckBox::toggled, this, &ServerPane::onBehaviourEdited);

    m_push = new QCheckBox(tr("&Push to every client every"), page);
    m_push->setObjectName(QStringLiteral("pushCheck"));
    m_push->setToolTip(tr("Send a message made from the template below to every client, again and again"));
    m_pushInterval = new QSpinBox(page);
    m_pushInterval->setObjectName(QStringLiteral("pushIntervalSpin"));
    m_pushInterval->setRange(10, 3600000);
    m_pushInterval->setValue(1000);
    m_pushInterval->setSingleStep(100);
    m_pushInterval->setAccelerated(true);
    m_pushInterval->setSuffix(tr(" ms"));
    m_pushInterval->setAccessibleName(tr("Push interval"));
    m_pushTemplate = new QLineEdit(QStringLiteral(R"({"type":"tick","n":{{counter}},"at":"{{isotime}}"})"), page);
    m_pushTemplate->setObjectName(QStringLiteral("pushTemplateEdit"));
    m_pushTemplate->setMaxLength(ReplyRulesDelegate::MaxTextChars);
    m_pushTemplate->setToolTip(tr("The message to push, a template"));
    m_pushError = HueMessage::newLabel(page, "pushErrorLabel");
    auto* placeholders = new QLabel(tr("Template placeholders: {{counter}}, {{timestamp}}, {{isotime}}, {{uuid}}, "
                                       "{{random 1 100}}; \\{{ for literal braces."),
        page);
    placeholders->setWordWrap(true);
    placeholders->setTextFormat(Qt::PlainText);
    placeholders->setTextInteractionFlags(Qt::TextSelectableByMouse);
    placeholders->setForegroundRole(QPalette::PlaceholderText);

    connect(m_push, &QCheckBox::toggled, this, [this](bool on) {
        m_pushInterval->setEnabled(on);
        m_pushTemplate->setEnabled(on);
        onBehaviourEdited();
    });
    connect(m_pushInterval, &QSpinBox::valueChanged, m_applyTimer, qOverload<>(&QTimer::start));
    connect(m_pushTemplate, &QLineEdit::textChanged, this, &ServerPane::checkPushTemplate);
    m_pushInterval->setEnabled(false);
    m_pushTemplate->setEnabled(false);

    auto* pushRow = new QHBoxLayout;
    pushRow->setContentsMargins(0, 0, 0, 0);
    pushRow->addWidget(m_push);
    pushRow->addWidget(m_pushInterval);
    pushRow->addStretch(1);

    auto* form = new QFormLayout;
    form->setContentsMargins(0, 0, 0, 0);
    form->setRowWrapPolicy(QFormLayout::WrapLongRows);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("M&ode:"), m_mode);
    form->addRow(m_broadcastToSender);
    form->addRow(pushRow);
    form->addRow(tr("Temp&late:"), m_pushTemplate);
    form->addRow(m_pushError);
    form->addRow(placeholders);

    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(note);
    layout->addLayout(form);
    layout->addStretch(1);
    return page;
}

QWidget* ServerPane::createRulesPage()
{
    auto* page = new QWidget(this);
    m_useRules = new QCheckBox(tr("Use &rules: the first enabled rule that matches answers"), page);
    m_useRules->setObjectName(QStringLiteral("useRulesCheck"));
    m_useRules->setToolTip(tr("Messages no rule answers get the mode's treatment (echo, broadcast, silent)"));
    m_useRules->setChecked(true);
    connect(m_useRules, &QCheckBox::toggled, this, &ServerPane::onBehaviourEdited);

    m_rulesTable = new QTableView(page);
    m_rulesTable->setObjectName(QStringLiteral("rulesTable"));
    m_rulesTable->setModel(m_rules);
    m_rulesTable->setItemDelegate(new ReplyRulesDelegate(m_rulesTable));
    m_rulesTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_rulesTable->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::SelectedClicked
        | QAbstractItemView::EditKeyPressed | QAbstractItemView::AnyKeyPressed);
    m_rulesTable->setTabKeyNavigation(false); // Tab leaves the table, arrows move inside it
    m_rulesTable->setWordWrap(false);
    m_rulesTable->setAlternatingRowColors(true);
    m_rulesTable->verticalHeader()->setDefaultSectionSize(m_rulesTable->fontMetrics().height() + 8);
    m_rulesTable->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    QHeaderView* header = m_rulesTable->horizontalHeader();
    header->setHighlightSections(false);
    header->setStretchLastSection(false);
    header->setSectionResizeMode(QHeaderView::Interactive);
    const int digit = m_rulesTable->fontMetrics().horizontalAdvance(QLatin1Char('8'));
    auto width = [&](int column, int chars) {
        const int title
            = header->fontMetrics().horizontalAdvance(m_rules->headerData(column, Qt::Horizontal).toString())
            + digit * 2;
        m_rulesTable->setColumnWidth(column, std::max(title, digit * chars));
    };
    width(ReplyRulesModel::EnabledColumn, 3);
    width(ReplyRulesModel::NameColumn, 10);
    width(ReplyRulesModel::MatchColumn, 9);
    width(ReplyRulesModel::PatternColumn, 12);
    width(ReplyRulesModel::ValueColumn, 8);
    width(ReplyRulesModel::CaseColumn, 3);
    width(ReplyRulesModel::ReplyColumn, 18);
    width(ReplyRulesModel::DelayColumn, 7);
    // A narrow dock shows what a rule does first; its optional name goes last.
    header->moveSection(header->visualIndex(ReplyRulesModel::NameColumn), ReplyRulesModel::ColumnCount - 1);

    auto button = [page](const QString& text, const char* name, const QString& tip) {
        auto* b = new QPushButton(text, page);
        b->setObjectName(QLatin1String(name));
        b->setToolTip(tip);
        b->setAutoDefault(false);
        return b;
    };
    m_addRule = button(tr("Add"), "addRuleButton", tr("Add a rule below the selected one (Insert)"));
    m_removeRule = button(tr("Remove"), "removeRuleButton", tr("Remove the selected rules (Delete)"));
    m_duplicateRule = button(tr("Du&plicate"), "duplicateRuleButton", tr("Copy the selected rule"));
    m_ruleUp = button(tr("Up"), "ruleUpButton", tr("Ask the selected rule earlier (Ctrl+Up)"));
    m_ruleDown = button(tr("Down"), "ruleDownButton", tr("Ask the selected rule later (Ctrl+Down)"));
    auto* load = button(tr("&Load\u2026"), "loadRulesButton", tr("Replace the rules with those of a rules file"));
    auto* save = button(tr("Save\u2026"), "saveRulesButton", tr("Write the rules to a rules file"));
    connect(m_addRule, &QPushButton::clicked, this, &ServerPane::addRule);
    connect(m_removeRule, &QPushButton::clicked, this, &ServerPane::removeRules);
    connect(m_duplicateRule, &QPushButton::clicked, this, &ServerPane::duplicateRule);
    connect(m_ruleUp, &QPushButton::clicked, this, [this] { moveRule(-1); });
    connect(m_ruleDown, &QPushButton::clicked, this, [this] { moveRule(+1); });
    connect(load, &QPushButton::clicked, this, &ServerPane::chooseRulesToLoad);
    connect(save, &QPushButton::clicked, this, &ServerPane::chooseRulesToSave);

    // Keys for the table itself; only while it has the focus, so that the line edits keep Delete and Insert.
    auto tableKey = [this](const QKeySequence& key, auto slot) {
        auto* action = new QAction(m_rulesTable);
        action->setShortcut(key);
        action->setShortcutContext(Qt::WidgetShortcut);
        connect(action, &QAction::triggered, this, slot);
        m_rulesTable->addAction(action);
    };
    tableKey(QKeySequence(Qt::Key_Insert), [this] { addRule(); });
    tableKey(QKeySequence::Delete, [this] { removeRules(); });
    tableKey(QKeySequence(Qt::CTRL | Qt::Key_Up), [this] { moveRule(-1); });
    tableKey(QKeySequence(Qt::CTRL | Qt::Key_Down), [this] { moveRule(+1); });

    connect(
        m_rulesTable->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ServerPane::updateRuleButtons);
    connect(m_rules, &QAbstractItemModel::rowsInserted, this, &ServerPane::updateRuleButtons);
    connect(m_rules, &QAbstractItemModel::rowsRemoved, this, &ServerPane::updateRuleButtons);
    connect(m_rules, &QAbstractItemModel::rowsMoved, this, &ServerPane::updateRuleButtons);
    connect(m_rules, &QAbstractItemModel::modelReset, this, &ServerPane::updateRuleButtons);

    m_rulesStatus = HueMessage::newLabel(page, "rulesStatusLabel");

    auto* editButtons = new QHBoxLayout;
    editButtons->setContentsMargins(0, 0, 0, 0);
    editButtons->setSpacing(2);
    for (QPushButton* b : { m_addRule, m_removeRule, m_duplicateRule, m_ruleUp, m_ruleDown })
        editButtons->addWidget(b);
    editButtons->addStretch(1);
    auto* fileButtons = new QHBoxLayout;
    fileButtons->setContentsMargins(0, 0, 0, 0);
    fileButtons->setSpacing(2);
    fileButtons->addWidget(load);
    fileButtons->addWidget(save);
    fileButtons->addStretch(1);

    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    layout->addWidget(m_useRules);
    layout->addWidget(m_rulesTable, 1);
    layout->addLayout(editButtons);
    layout->addLayout(fileButtons);
    layout->addWidget(m_rulesStatus);
    updateRuleButtons();
    return page;
}

QWidget* ServerPane::createClientsPage()
{
    auto* page = new QWidget(this);
    QStringList headers(ClientColumnCount);
    headers[ClientIdColumn] = tr("#");
    headers[ClientPathColumn] = tr("Path");
    headers[ClientInColumn] = tr("In");
    headers[ClientOutColumn] = tr("Out");
    headers[ClientPeerColumn] = tr("Peer");
    headers[ClientOpenedColumn] = tr("Opened");
    headers[ClientSubprotocolColumn] = tr("Subprotocol");
    headers[ClientOriginColumn] = tr("Origin");
    m_clients->setHorizontalHeaderLabels(headers);
    m_clients->horizontalHeaderItem(ClientInColumn)->setToolTip(tr("Messages from the client"));
    m_clients->horizontalHeaderItem(ClientOutColumn)->setToolTip(tr("Messages to the client"));

    m_clientsTable = new QTableView(page);
    m_clientsTable->setObjectName(QStringLiteral("clientsTable"));
    m_clientsTable->setModel(m_clients);
    m_clientsTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_clientsTable->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_clientsTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_clientsTable->setTabKeyNavigation(false);
    m_clientsTable->setWordWrap(false);
    m_clientsTable->setTextElideMode(Qt::ElideMiddle);
    m_clientsTable->setAlternatingRowColors(true);
    m_clientsTable->verticalHeader()->hide();
    m_clientsTable->verticalHeader()->setDefaultSectionSize(m_clientsTable->fontMetrics().height() + 6);
    m_clientsTable->setContextMenuPolicy(Qt::CustomContextMenu);
    QHeaderView* header = m_clientsTable->horizontalHeader();
    header->setHighlightSections(false);
    header->setStretchLastSection(true);
    const int digit = m_clientsTable->fontMetrics().horizontalAdvance(QLatin1Char('8'));
    auto width = [&](int column, int chars) {
        const int title
            = header->fontMetrics().horizontalAdvance(m_clients->headerData(column, Qt::Horizontal).toString())
            + digit * 2;
        m_clientsTable->setColumnWidth(column, std::max(title, digit * chars));
    };
    width(ClientIdColumn, 4);
    width(ClientPeerColumn, 15);
    width(ClientPathColumn, 14);
    width(ClientInColumn, 5);
    width(ClientOutColumn, 5);
    width(ClientOpenedColumn, 8);
    width(ClientSubprotocolColumn, 10);
    connect(m_clientsTable, &QWidget::customContextMenuRequested, this, &ServerPane::showClientMenu);
    connect(m_clientsTable, &QAbstractItemView::doubleClicked, this, [this](const QModelIndex& index) {
        const quint32 id = m_clients->index(index.row(), ClientIdColumn).data(ClientIdRole).toUInt();
        if (id != 0)
            Q_EMIT clientActivated(id);
    });
    connect(m_clientsTable->selectionModel(), &QItemSelectionModel::selectionChanged, this,
        &ServerPane::updateClientActions);

    m_clientMessage = new QLineEdit(page);
    m_clientMessage->setObjectName(QStringLiteral("clientMessageEdit"));
    m_clientMessage->setMaxLength(ReplyRulesDelegate::MaxTextChars);
    m_clientMessage->setPlaceholderText(tr("A text message for the clients"));
    connect(m_clientMessage, &QLineEdit::returnPressed, this, [this] {
        if (m_sendSelectedAction->isEnabled())
            sendToSelected();
    });
    auto* messageLabel = new QLabel(tr("Messa&ge:"), page);
    messageLabel->setBuddy(m_clientMessage);

    m_closeCode = new QSpinBox(page);
    m_closeCode->setObjectName(QStringLiteral("closeCodeSpin"));
    m_closeCode->setRange(1000, 4999);
    m_closeCode->setValue(1000);
    m_closeCode->setToolTip(tr("1000 normal, 1001 going away, 1008 policy, 1011 server error, 3000-4999 your own"));
    auto* codeLabel = new QLabel(tr("Close c&ode:"), page);
    codeLabel->setBuddy(m_closeCode);
    m_closeReason = new QLineEdit(page);
    m_closeReason->setObjectName(QStringLiteral("closeReasonEdit"));
    m_closeReason->setPlaceholderText(tr("reason (optional)"));
    m_closeReason->setAccessibleName(tr("Close reason"));
    m_clientsError = HueMessage::newLabel(page, "clientsErrorLabel");
    connect(m_closeCode, &QSpinBox::valueChanged, m_clientsError, &QWidget::hide);
    connect(m_closeReason, &QLineEdit::textEdited, m_clientsError, &QWidget::hide);

    m_sendSelectedAction->setObjectName(QStringLiteral("sendToSelectedAction"));
    m_sendSelectedAction->setToolTip(tr("Send the message to the selected clients (Enter in the message)"));
    m_sendAllAction->setObjectName(QStringLiteral("sendToAllAction"));
    m_sendAllAction->setToolTip(tr("Send the message to every client of the server"));
    m_closeAction->setObjectName(QStringLiteral("closeClientAction"));
    m_closeAction->setToolTip(tr("Close the selected clients with the code and reason beside"));
    m_dropAction->setObjectName(QStringLiteral("dropClientAction"));
    m_dropAction->setToolTip(tr("Cut the selected clients off without a closing handshake"));
    m_filterAction->setObjectName(QStringLiteral("filterClientAction"));
    m_filterAction->setToolTip(tr("Show only this client's events in the timeline (double-click)"));
    connect(m_sendSelectedAction, &QAction::triggered, this, &ServerPane::sendToSelected);
    connect(m_sendAllAction, &QAction::triggered, this, &ServerPane::sendToAll);
    connect(m_closeAction, &QAction::triggered, this, &ServerPane::closeSelected);
    connect(m_dropAction, &QAction::triggered, this, &ServerPane::dropSelected);
    connect(m_filterAction, &QAction::triggered, this, [this] {
        const QList<quint32> ids = selectedClients();
        if (!ids.isEmpty())
            Q_EMIT clientActivated(ids.constFirst());
    });

    auto button = [page](QAction* action, const QString& text, const char* name) {
        auto* b = new QPushButton(text, page);
        b->setObjectName(QLatin1String(name));
        b->setToolTip(action->toolTip());
        b->setAutoDefault(false);
        connect(b, &QPushButton::clicked, action, &QAction::trigger);
        return b;
    };
    m_sendSelectedButton = button(m_sendSelectedAction, tr("Send to Se&lected"), "sendSelectedButton");
    m_sendAllButton = button(m_sendAllAction, tr("Send to All"), "sendAllButton");
    m_closeButton = button(m_closeAction, tr("Close"), "closeClientButton");
    m_dropButton = button(m_dropAction, tr("D&rop"), "dropClientButton");

    auto* sendRow = new QHBoxLayout;
    sendRow->setContentsMargins(0, 0, 0, 0);
    sendRow->addWidget(messageLabel);
    sendRow->addWidget(m_clientMessage, 1);
    auto* sendButtons = new QHBoxLayout;
    sendButtons->setContentsMargins(0, 0, 0, 0);
    sendButtons->addStretch(1);
    sendButtons->addWidget(m_sendSelectedButton);
    sendButtons->addWidget(m_sendAllButton);
    auto* closeRow = new QHBoxLayout;
    closeRow->setContentsMargins(0, 0, 0, 0);
    closeRow->addWidget(codeLabel);
    closeRow->addWidget(m_closeCode);
    closeRow->addWidget(m_closeReason, 1);
    auto* closeButtons = new QHBoxLayout;
    closeButtons->setContentsMargins(0, 0, 0, 0);
    closeButtons->addStretch(1);
    closeButtons->addWidget(m_closeButton);
    closeButtons->addWidget(m_dropButton);

    m_clientsHint
        = new QLabel(tr("No clients yet. Connect one to the server's URL, or open the test page in a browser."), page);
    m_clientsHint->setObjectName(QStringLiteral("clientsHint"));
    m_clientsHint->setWordWrap(true);
    m_clientsHint->setForegroundRole(QPalette::PlaceholderText);

    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    layout->addWidget(m_clientsHint);
    layout->addWidget(m_clientsTable, 1);
    layout->addLayout(sendRow);
    layout->addLayout(sendButtons);
    layout->addLayout(closeRow);
    layout->addLayout(closeButtons);
    layout->addWidget(m_clientsError);

    QWidget::setTabOrder(m_clientsTable, m_clientMessage);
    QWidget::setTabOrder(m_clientMessage, m_sendSelectedButton);
    QWidget::setTabOrder(m_sendSelectedButton, m_sendAllButton);
    QWidget::setTabOrder(m_sendAllButton, m_closeCode);
    QWidget::setTabOrder(m_closeCode, m_closeReason);
    QWidget::setTabOrder(m_closeReason, m_closeButton);
    QWidget::setTabOrder(m_closeButton, m_dropButton);
    return page;
}

// --- Server state and options ----------------------------------------------------------------------------------

ServerOptions ServerPane::options() const
{
    ServerOptions options;
    options.host = m_host->currentText().trimmed();
    options.port = quint16(m_port->value());
    options.tryNextPorts = m_tryNextPorts->isChecked() && options.port != 0 ? TryNextPorts : 0;
    options.behaviour = behaviour();
    options.subprotocols = commaList(m_subprotocols->text());
    options.allowedOrigins = commaList(m_origins->text());
    options.maxConnections = m_maxConnections->value();
    options.maxMessageBytes = qint64(m_maxMessageMiB->value()) * 1024 * 1024;
    options.tlsCertificatePath = m_certificate->text().trimmed();
    options.tlsKeyPath = m_key->text().trimmed();
    return options;
}

namespace {
// The names the command line uses (serve --mode), so that a settings file reads as one would type it.
constexpr std::pair<ServerMode, QLatin1StringView> ModeNames[] = {
    { ServerMode::Echo, QLatin1StringView("echo") },
    { ServerMode::Broadcast, QLatin1StringView("broadcast") },
    { ServerMode::Silent, QLatin1StringView("silent") },
};
} // namespace

void ServerPane::saveSettings(QSettings& settings) const
{
    settings.setValue(QStringLiteral("host"), m_host->currentText());
    settings.setValue(QStringLiteral("port"), m_port->value());
    settings.setValue(QStringLiteral("tryNextPorts"), m_tryNextPorts->isChecked());
    settings.setValue(QStringLiteral("subprotocols"), m_subprotocols->text());
    settings.setValue(QStringLiteral("allowedOrigins"), m_origins->text());
    settings.setValue(QStringLiteral("maxConnections"), m_maxConnections->value());
    settings.setValue(QStringLiteral("maxMessageMiB"), m_maxMessageMiB->value());
    settings.setValue(QStringLiteral("tlsCertificate"), m_certificate->text());
    settings.setValue(QStringLiteral("tlsKey"), m_key->text());
    const auto mode = ServerMode(m_mode->currentData().toInt());
    for (const auto& [value, name] : ModeNames) {
        if (value == mode)
            settings.setValue(QStringLiteral("mode"), QString(name));
    }
    settings.setValue(QStringLiteral("broadcastToSender"), m_broadcastToSender->isChecked());
    settings.setValue(QStringLiteral("push"), m_push->isChecked());
    settings.setValue(QStringLiteral("pushIntervalMs"), m_pushInterval->value());
    settings.setValue(QStringLiteral("pushTemplate"), m_pushTemplate->text());
    settings.setValue(QStringLiteral("useRules"), m_useRules->isChecked());
    // In the rules file format, which has a careful reader. The last rules that compiled: a rule left half typed
    // in the table is not kept.
    if (m_appliedRules)
        settings.setValue(QStringLiteral("rules"), QString::fromUtf8(m_appliedRules->toJson()));
    else
        settings.remove(QStringLiteral("rules"));
}

void ServerPane::restoreSettings(const QSettings& settings)
{
    const auto text = [&settings](const QString& key, auto apply) {
        const QVariant value = settings.value(key);
        if (value.isValid())
            apply(value.toString());
    };
    // Spin boxes clamp what is out of their range; a value that is no number is skipped.
    const auto number = [&settings](const QString& key, QSpinBox* spin) {
        bool ok = false;
        const int value = settings.value(key).toInt(&ok);
        if (ok)
            spin->setValue(value);
    };
    const auto check = [&settings](const QString& key, QCheckBox* box) {
        const QVariant value = settings.value(key);
        if (value.isValid())
            box->setChecked(value.toBool());
    };
    text(QStringLiteral("host"), [this](const QString& host) {
        if (!host.trimmed().isEmpty())
            m_host->setCurrentText(host);
    });
    number(QStringLiteral("port"), m_port);
    check(QStringLiteral("tryNextPorts"), m_tryNextPorts);
    text(QStringLiteral("subprotocols"), [this](const QString& value) { m_subprotocols->setText(value); });
    text(QStringLiteral("allowedOrigins"), [this](const QString& value) { m_origins->setText(value); });
    number(QStringLiteral("maxConnections"), m_maxConnections);
    number(QStringLiteral("maxMessageMiB"), m_maxMessageMiB);
    text(QStringLiteral("tlsCertificate"), [this](const QString& value) { m_certificate->setText(value); });
    text(QStringLiteral("tlsKey"), [this](const QString& value) { m_key->setText(value); });
    updateHostHint();
    updateStateUi();
    if (m_session->isServerRunning())
        return;

    const QString mode = settings.value(QStringLiteral("mode")).toString();
    for (const auto& [value, name] : ModeNames) {
        if (mode == name)
            m_mode->setCurrentIndex(m_mode->findData(int(value)));
    }
    check(QStringLiteral("broadcastToSender"), m_broadcastToSender);
    number(QStringLiteral("pushIntervalMs"), m_pushInterval);
    text(QStringLiteral("pushTemplate"), [this](const QString& value) { m_pushTemplate->setText(value); });
    check(QStringLiteral("push"), m_push);
    check(QStringLiteral("useRules"), m_useRules);
    const QVariant rules = settings.value(QStringLiteral("rules"));
    if (rules.isValid()) {
        QString error;
        if (const std::shared_ptr<const ReplyRules> read = ReplyRules::fromJson(rules.toString().toUtf8(), &error)) {
            m_rules->setRules(read->rules());
            updateRules();
        }
    }
    // The session starts the server with what the pane says; until then it keeps the behaviour for that start.
    m_applyTimer->stop();
    applyBehaviour();
}

void ServerPane::setPort(quint16 port)
{
    m_port->setValue(port);
}

void ServerPane::setTryNextPorts(bool tryNext)
{
    m_tryNextPorts->setChecked(tryNext);
}

std::optional<ServerOptions> ServerPane::checkedOptions()
{
    const ServerOptions options = this->options();
    if (const QString problem = ListenAddress::hostProblem(options.host); !problem.isEmpty()) {
        showOptionsError(problem, m_host);
        return std::nullopt;
    }
    for (const QString& protocol : options.subprotocols) {
        if (!isHttpToken(protocol)) {
            showOptionsError(
                tr("\u201c%1\u201d is not a valid subprotocol name (no spaces or separators).").arg(protocol),
                m_subprotocols);
            return std::nullopt;
        }
    }
    for (const QString& origin : options.allowedOrigins) {
        if (hasSpaceOrControl(origin)) {
            showOptionsError(
                tr("\u201c%1\u201d is not an origin (write scheme://host[:port], e.g. http://localhost:3000).")
                    .arg(origin),
                m_origins);
            return std::nullopt;
        }
    }
    if (options.tlsCertificatePath.isEmpty() != options.tlsKeyPath.isEmpty()) {
        showOptionsError(tr("For wss:// choose both a certificate and its private key; for ws:// leave both empty."),
            options.tlsCertificatePath.isEmpty() ? m_certificate : m_key);
        return std::nullopt;
    }
    for (QLineEdit* edit : { m_certificate, m_key }) {
        const QString path = edit->text().trimmed();
        if (path.isEmpty())
            continue;
        const QFileInfo info(path);
        if (!info.isFile() || !info.isReadable()) {
            showOptionsError(info.exists() ? tr("%1 cannot be read.").arg(QDir::toNativeSeparators(path))
                                           : tr("%1 does not exist.").arg(QDir::toNativeSeparators(path)),
                edit);
            return std::nullopt;
        }
    }
    m_optionsError->hide();
    return options;
}

void ServerPane::showOptionsError(const QString& message, QWidget* culprit)
{
    setMessage(m_optionsError, message, RedHue);
    showTab(OptionsTab);
    if (culprit)
        culprit->setFocus(Qt::OtherFocusReason);
    setMessage(m_statusLabel, tr("Not started: see the options below."), RedHue);
}

bool ServerPane::start()
{
    if (m_state != State::Stopped)
        return false;
    const std::optional<ServerOptions> options = checkedOptions();
    if (!options) {
        Q_EMIT attentionNeeded();
        return false;
    }
    if (exposesBeyondLoopback(options->host)) {
        const bool confirmed
            = ListenAddress::confirmExposure(this, tr("Start the Test Server on %1?").arg(options->host),
                tr("Listening on %1, the test server can be reached from other computers. Anyone who can reach this "
                   "one can connect to it, send messages, and receive what it sends.")
                    .arg(options->host),
                tr("&Start on %1").arg(options->host));
        if (!confirmed)
            return false;
    }
    setMessage(m_statusLabel, QString(), NoHue);
    setState(State::Starting);
    m_session->startServer(*options);
    return true;
}

void ServerPane::stop()
{
    if (m_state == State::Running)
        m_session->stopServer();
}

void ServerPane::setState(State state)
{
    if (state == m_state)
        return;
    m_state = state;
    if (state != State::Running)
        m_url.clear();
    updateStateUi();
    updateClientActions();
    Q_EMIT stateChanged(state);
}

void ServerPane::updateStateUi()
{
    switch (m_state) {
    case State::Stopped:
        m_startStopAction->setText(tr("Start &test server"));
        m_startStopAction->setIcon(QIcon::fromTheme(QStringLiteral("media-playback-start")));
        m_startStopAction->setToolTip(startToolTip(ServerMode(m_mode->currentData().toInt()),
            m_host->currentText().trimmed(), m_port->value(), m_tryNextPorts->isChecked()));
        m_startStopAction->setEnabled(true);
        m_urlLabel->setText(tr("Not running"));
        break;
    case State::Starting:
        m_startStopAction->setText(tr("Starting test server\u2026"));
        m_startStopAction->setEnabled(false);
        m_urlLabel->setText(tr("Starting\u2026"));
        break;
    case State::Running:
        m_startStopAction->setText(tr("Stop &test server"));
        m_startStopAction->setIcon(QIcon::fromTheme(QStringLiteral("media-playback-stop")));
        m_startStopAction->setToolTip(tr("Stop the test server at %1").arg(m_url.toString()));
        m_startStopAction->setEnabled(true);
        m_urlLabel->setText(m_url.toString());
        break;
    }
    const bool running = m_state == State::Running;
    m_copyUrlButton->setEnabled(running);
    m_openBrowserButton->setEnabled(running);
    if (running && exposesBeyondLoopback(m_url.host())) {
        setMessage(m_exposureWarning,
            tr("\u26a0 Reachable from other computers (listening on %1). Stop the server when you are done.")
                .arg(m_url.host()),
            AmberHue);
    } else {
        m_exposureWarning->hide();
    }
    m_optionsForm->setEnabled(m_state == State::Stopped);
    m_optionsNote->setText(m_state == State::Stopped
            ? tr("Used when the server starts.")
            : tr("The server is running: stop it to change these options; they apply at its next start."));
}

void ServerPane::updateHostHint()
{
    ListenAddress::showHostHint(m_hostHint, m_host->currentText().trimmed());
}

void ServerPane::chooseFile(QLineEdit* edit, const QString& title, const QString& filter)
{
    const QString path = QFileDialog::getOpenFileName(this, title, edit->text(), filter);
    if (!path.isEmpty()) {
        edit->setText(QDir::toNativeSeparators(path));
        m_optionsError->hide();
    }
}

// --- Behaviour -------------------------------------------------------------------------------------------------

ServerBehaviour ServerPane::behaviour() const
{
    ServerBehaviour behaviour;
    behaviour.mode = ServerMode(m_mode->currentData().toInt());
    behaviour.broadcastToSender = behaviour.mode == ServerMode::Broadcast && m_broadcastToSender->isChecked();
    if (m_useRules->isChecked() && m_appliedRules && !m_appliedRules->isEmpty())
        behaviour.rules = m_appliedRules;
    if (m_push->isChecked() && m_validPushTemplate) {
        behaviour.pushEveryMs = m_pushInterval->value();
        behaviour.pushTemplate = *m_validPushTemplate;
    }
    return behaviour;
}

void ServerPane::onBehaviourEdited()
{
    m_applyTimer->stop();
    applyBehaviour();
}

void ServerPane::applyBehaviour()
{
    // Also while stopped: the session keeps it for the next start.
    m_session->setServerBehaviour(behaviour());
}

void ServerPane::checkPushTemplate()
{
    QString error;
    const QString text = m_pushTemplate->text();
    if (MessageTemplate::compile(text, &error)) {
        m_pushError->hide();
        if (m_validPushTemplate != text) {
            m_validPushTemplate = text;
            if (m_push->isChecked())
                m_applyTimer->start();
        }
        return;
    }
    setMessage(m_pushError,
        m_validPushTemplate ? tr("%1. The last valid template is pushed until this one is fixed.").arg(error)
                            : tr("%1. Nothing is pushed until the template is fixed.").arg(error),
        RedHue);
}

// --- Rules -----------------------------------------------------------------------------------------------------

void ServerPane::compileRules()
{
    if (updateRules())
        applyBehaviour();
}

bool ServerPane::updateRules()
{
    m_rulesTimer->stop();
    QString error;
    std::shared_ptr<const ReplyRules> compiled = m_rules->compile(&error);
    if (!compiled) {
        setMessage(m_rulesStatus,
            m_appliedRules && !m_appliedRules->isEmpty()
                ? tr("%1. The last valid rules stay in use until this is fixed.").arg(error)
                : tr("%1. No rules are used until this is fixed.").arg(error),
            RedHue);
        return false;
    }
    const bool changed = !m_appliedRules || m_appliedRules->rules() != compiled->rules();
    m_appliedRules = compiled;
    qsizetype enabled = 0;
    for (const ReplyRule& rule : compiled->rules())
        enabled += rule.enabled ? 1 : 0;
    if (compiled->isEmpty())
        setMessage(m_rulesStatus, tr("No rules: Add one, or Load a rules file."), NoHue);
    else if (enabled == 1)
        setMessage(m_rulesStatus, tr("1 rule enabled."), NoHue);
    else
        setMessage(m_rulesStatus, tr("%1 rules enabled.").arg(enabled), NoHue);
    return changed;
}

void ServerPane::addRule()
{
    // A rule that works from the start, rather than an empty one in red ("the pattern is empty") before the user
    // typed anything: an example of what a rule is, which the editor opened on its pattern replaces at once.
    ReplyRule rule;
    rule.match = RuleMatch::Exact;
    rule.pattern = QStringLiteral("ping");
    rule.reply = QStringLiteral("pong");
    const QModelIndex current = m_rulesTable->currentIndex();
    const int row = m_rules->insertRule(current.isValid() ? current.row() + 1 : m_rules->rowCount(), rule);
    const QModelIndex pattern = m_rules->index(row, ReplyRulesModel::PatternColumn);
    m_rulesTable->setCurrentIndex(pattern);
    m_rulesTable->selectRow(row);
    m_rulesTable->setFocus(Qt::OtherFocusReason);
    m_rulesTable->edit(pattern);
}

void ServerPane::removeRules()
{
    QList<int> rows;
    for (const QModelIndex& index : m_rulesTable->selectionModel()->selectedRows())
        rows << index.row();
    std::sort(rows.begin(), rows.end(), std::greater<>());
    for (int row : rows)
        m_rules->removeRow(row);
    if (m_rules->rowCount() > 0 && !rows.isEmpty())
        m_rulesTable->selectRow(std::min(rows.constLast(), m_rules->rowCount() - 1));
}

void ServerPane::moveRule(int delta)
{
    const QModelIndex current = m_rulesTable->currentIndex();
    if (!current.isValid())
        return;
    const int to = current.row() + delta;
    if (m_rules->moveRule(current.row(), to)) {
        m_rulesTable->setCurrentIndex(m_rules->index(to, current.column()));
        m_rulesTable->selectRow(to);
    }
}

void ServerPane::duplicateRule()
{
    const QModelIndex current = m_rulesTable->currentIndex();
    const int row = m_rules->duplicateRule(current.isValid() ? current.row() : -1);
    if (row >= 0)
        m_rulesTable->selectRow(row);
}

void ServerPane::updateRuleButtons()
{
    const QItemSelectionModel* selection = m_rulesTable->selectionModel();
    const bool selected = selection && selection->hasSelection();
    const QModelIndex current = m_rulesTable->currentIndex();
    m_removeRule->setEnabled(selected);
    m_duplicateRule->setEnabled(selected && current.isValid());
    m_ruleUp->setEnabled(selected && current.isValid() && current.row() > 0);
    m_ruleDown->setEnabled(selected && current.isValid() && current.row() < m_rules->rowCount() - 1);
}

void ServerPane::chooseRulesToLoad()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Load Auto-reply Rules"), QString(), tr("Rules files (*.json);;All files (*)"));
    if (!path.isEmpty())
        loadRules(path);
}

void ServerPane::chooseRulesToSave()
{
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Save Auto-reply Rules"), QStringLiteral("rules.json"), tr("Rules files (*.json);;All files (*)"));
    if (!path.isEmpty())
        saveRules(path);
}

bool ServerPane::loadRules(const QString& path)
{
    QString error;
    const std::shared_ptr<const ReplyRules> rules = ReplyRules::fromFile(path, &error);
    if (!rules) {
        showRulesFileError(tr("Could not load the rules from %1:\n%2").arg(QDir::toNativeSeparators(path), error));
        return false;
    }
    m_rules->setRules(rules->rules());
    compileRules();
    showTab(RulesTab);
    return true;
}

bool ServerPane::saveRules(const QString& path)
{
    QString error;
    const std::shared_ptr<const ReplyRules> rules = m_rules->compile(&error);
    if (!rules) {
        showRulesFileError(
            tr("Could not save the rules to %1: fix this first:\n%2").arg(QDir::toNativeSeparators(path), error));
        return false;
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(rules->toJson()) < 0 || !file.commit()) {
        showRulesFileError(
            tr("Could not save the rules to %1:\n%2").arg(QDir::toNativeSeparators(path), file.errorString()));
        return false;
    }
    setMessage(m_rulesStatus, tr("Saved to %1.").arg(QDir::toNativeSeparators(path)), NoHue);
    return true;
}

void ServerPane::showRulesFileError(const QString& message)
{
    // Window-modal but not blocking: the capture goes on behind it.
    auto* box = new QMessageBox(QMessageBox::Warning, tr("Auto-reply Rules"), message, QMessageBox::Close, this);
    box->setObjectName(QStringLiteral("rulesFileErrorBox"));
    box->setTextFormat(Qt::PlainText);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

// --- Clients ---------------------------------------------------------------------------------------------------

void ServerPane::onClientOpened(const ServerClient& client)
{
    if (m_clientRows.contains(client.id))
        return;
    auto item = [](const QString& text) {
        auto* item = new QStandardItem(text);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
        return item;
    };
    const QLocale locale;
    QList<QStandardItem*> row(ClientColumnCount);
    row[ClientIdColumn] = item(QStringLiteral("#%1").arg(client.id));
    row[ClientIdColumn]->setData(client.id, ClientIdRole);
    row[ClientPeerColumn] = item(client.peer);
    if (!client.userAgent.isEmpty())
        row[ClientPeerColumn]->setToolTip(tr("User agent: %1").arg(client.userAgent));
    row[ClientPathColumn] = item(client.path);
    row[ClientPathColumn]->setToolTip(client.path);
    row[ClientInColumn] = item(QStringLiteral("0"));
    row[ClientOutColumn] = item(QStringLiteral("0"));
    for (int column : { ClientInColumn, ClientOutColumn })
        row[column]->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
    const QDateTime opened = client.opened.isValid() ? client.opened.toLocalTime() : QDateTime::currentDateTime();
    row[ClientOpenedColumn] = item(opened.toString(QStringLiteral("HH:mm:ss")));
    row[ClientOpenedColumn]->setToolTip(locale.toString(opened, QLocale::LongFormat));
    row[ClientSubprotocolColumn] = item(client.subprotocol);
    row[ClientOriginColumn] = item(client.origin);
    row[ClientOriginColumn]->setToolTip(client.origin);
    m_clients->appendRow(row);
    const int added = m_clients->rowCount() - 1;
    m_clientRows.insert(client.id, QPersistentModelIndex(m_clients->index(added, ClientIdColumn)));
    // No need to ask whether it closed already: the capture thread reports a client's opening before its close,
    // in order, and the clients open before this pane was made come from the session's list of open ones.
    refreshClientCounts(added);
    updateClientsTabTitle();
    updateClientActions();
}

void ServerPane::onConnectionStateChanged(quint32 connection, ConnectionRole role, ConnectionState state)
{
    if (role != ConnectionRole::Server || state != ConnectionState::Closed)
        return;
    const int row = clientRow(connection);
    if (row >= 0)
        markClientGone(row);
}

int ServerPane::clientRow(quint32 connection) const
{
    // An unknown id gives the invalid index, whose row is -1.
    return m_clientRows.value(connection).row();
}

void ServerPane::markClientGone(int row)
{
    refreshClientCounts(row); // the final figures, while the row is still there
    QItemSelectionModel* selection = m_clientsTable->selectionModel();
    if (selection->isRowSelected(row))
        selection->select(m_clients->index(row, 0), QItemSelectionModel::Deselect | QItemSelectionModel::Rows);
    greyOutClient(row);
    updateClientsTabTitle();
    updateClientActions();
}

void ServerPane::greyOutClient(int row)
{
    const quint32 id = m_clients->item(row, ClientIdColumn)->data(ClientIdRole).toUInt();
    if (m_goneClients.contains(id))
        return;
    m_goneClients.insert(id);
    // Disabled items are drawn greyed out and cannot be selected: the user sees it go and cannot act on it.
    for (int column = 0; column < ClientColumnCount; ++column) {
        QStandardItem* item = m_clients->item(row, column);
        item->setFlags(Qt::NoItemFlags);
        if (column == ClientIdColumn)
            item->setToolTip(tr("Closed"));
    }
    // One timer for all: rows that go at about the same time are removed together.
    m_leaving.emplace_back(m_clock.elapsed() + ClosedLingerMs, id);
    if (!m_removeTimer->isActive())
        m_removeTimer->start(ClosedLingerMs);
}

void ServerPane::removeGoneClients()
{
    // Those due within this much of now go with the first: a burst of closes is one removal, not many.
    constexpr qint64 SlackMs = 100;
    const qint64 now = m_clock.elapsed();
    QList<int> rows;
    while (!m_leaving.empty() && m_leaving.front().first <= now + SlackMs) {
        const quint32 id = m_leaving.front().second;
        m_leaving.pop_front();
        m_goneClients.remove(id);
        const QPersistentModelIndex index = m_clientRows.take(id);
        if (index.isValid())
            rows << index.row();
    }
    // Bottom up, a run of neighbouring rows at a time, so that the rows still to go keep their numbers.
    std::sort(rows.begin(), rows.end(), std::greater<>());
    for (qsizetype first = 0; first < rows.size();) {
        qsizetype last = first;
        while (last + 1 < rows.size() && rows.at(last + 1) == rows.at(last) - 1)
            ++last;
        m_clients->removeRows(rows.at(last), int(last - first + 1));
        first = last + 1;
    }
    if (!m_leaving.empty())
        m_removeTimer->start(int(std::max<qint64>(0, m_leaving.front().first - now)));
    updateClientsTabTitle();
    updateClientActions();
}

QList<quint32> ServerPane::clients() const
{
    QList<quint32> ids;
    for (int row = 0; row < m_clients->rowCount(); ++row)
        ids << m_clients->item(row, ClientIdColumn)->data(ClientIdRole).toUInt();
    return ids;
}

QList<quint32> ServerPane::selectedClients() const
{
    QList<quint32> ids;
    for (const QModelIndex& index : m_clientsTable->selectionModel()->selectedRows(ClientIdColumn)) {
        const quint32 id = index.data(ClientIdRole).toUInt();
        if (!m_goneClients.contains(id))
            ids << id;
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

bool ServerPane::anyOpenClientSelected() const
{
    // Asked on every selection change and every client that goes: the first open row found will do.
    for (const QItemSelectionRange& range : m_clientsTable->selectionModel()->selection()) {
        for (int row = range.top(); row <= range.bottom(); ++row) {
            if (!m_goneClients.contains(m_clients->item(row, ClientIdColumn)->data(ClientIdRole).toUInt()))
                return true;
        }
    }
    return false;
}

void ServerPane::updateClientActions()
{
    const bool selected = anyOpenClientSelected();
    const bool anyOpen = m_state == State::Running && m_clients->rowCount() > m_goneClients.size();
    m_sendSelectedAction->setEnabled(selected);
    m_closeAction->setEnabled(selected);
    m_dropAction->setEnabled(selected);
    m_filterAction->setEnabled(selected);
    m_sendAllAction->setEnabled(anyOpen);
    m_sendSelectedButton->setEnabled(selected);
    m_closeButton->setEnabled(selected);
    m_dropButton->setEnabled(selected);
    m_sendAllButton->setEnabled(anyOpen);
}

void ServerPane::updateClientsTabTitle()
{
    const qsizetype open = m_clients->rowCount() - m_goneClients.size();
    m_clientsHint->setVisible(m_clients->rowCount() == 0);
    m_tabs->setTabText(ClientsTab, open > 0 ? tr("Clients (%1)").arg(open) : tr("Clients"));
}

void ServerPane::refreshClientCounts()
{
    for (int row = 0; row < m_clients->rowCount(); ++row)
        refreshClientCounts(row);
}

void ServerPane::refreshClientCounts(int row)
{
    if (!m_statistics)
        return;
    const quint32 id = m_clients->item(row, ClientIdColumn)->data(ClientIdRole).toUInt();
    const SessionStatistics::ConnectionStats* stats = m_statistics->connection(id);
    if (!stats)
        return;
    const QLocale locale;
    const QString in = locale.toString(stats->traffic[SessionStatistics::C2S].messages);
    const QString out = locale.toString(stats->traffic[SessionStatistics::S2C].messages);
    // Setting the same text again would still repaint the cell.
    if (m_clients->item(row, ClientInColumn)->text() != in)
        m_clients->item(row, ClientInColumn)->setText(in);
    if (m_clients->item(row, ClientOutColumn)->text() != out)
        m_clients->item(row, ClientOutColumn)->setText(out);
}

void ServerPane::sendToSelected()
{
    const QList<quint32> ids = selectedClients();
    const QString text = m_clientMessage->text();
    for (quint32 id : ids)
        m_session->sendText(id, text);
    if (!ids.isEmpty()) {
        setMessage(m_statusLabel,
            ids.size() == 1 ? tr("Sent to #%1.").arg(ids.constFirst()) : tr("Sent to %1 clients.").arg(ids.size()),
            NoHue);
    }
}

void ServerPane::sendToAll()
{
    m_session->sendTextToServerClients(m_clientMessage->text());
    setMessage(m_statusLabel, tr("Sent to every client."), NoHue);
}

void ServerPane::closeSelected()
{
    const int code = m_closeCode->value();
    const QString reason = m_closeReason->text();
    if (const QString problem = closeRequestProblem(code, reason); !problem.isEmpty()) {
        setMessage(m_clientsError, problem, RedHue);
        const bool codeIsWrong = !closeRequestProblem(code, QString()).isEmpty();
        (codeIsWrong ? static_cast<QWidget*>(m_closeCode) : m_closeReason)->setFocus(Qt::OtherFocusReason);
        return;
    }
    m_clientsError->hide();
    for (quint32 id : selectedClients())
        m_session->closeConnection(id, quint16(code), reason);
}

void ServerPane::dropSelected()
{
    for (quint32 id : selectedClients())
        m_session->abortConnection(id);
}

void ServerPane::showClientMenu(const QPoint& pos)
{
    updateClientActions();
    QMenu menu(this);
    menu.addAction(m_sendSelectedAction);
    menu.addAction(m_sendAllAction);
    menu.addSeparator();
    m_closeAction->setText(tr("&Close with Code %1").arg(m_closeCode->value()));
    menu.addAction(m_closeAction);
    menu.addAction(m_dropAction);
    menu.addSeparator();
    menu.addAction(m_filterAction);
    menu.exec(m_clientsTable->viewport()->mapToGlobal(pos));
}

void ServerPane::showTab(Tab tab)
{
    m_tabs->setCurrentIndex(tab);
}

// --- Events and colours ----------------------------------------------------------------------------------------

void ServerPane::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    refreshClientCounts();
    m_refreshTimer->start();
}

void ServerPane::hideEvent(QHideEvent* event)
{
    m_refreshTimer->stop();
    QWidget::hideEvent(event);
}

void ServerPane::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        updateMessageColours();
}

void ServerPane::setMessage(QLabel* label, const QString& text, int hue)
{
    HueMessage::show(label, text, hue, palette());
}

void ServerPane::updateMessageColours()
{
    HueMessage::recolour(this);
}

} // namespace wsi
