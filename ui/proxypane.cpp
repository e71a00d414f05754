#include "proxypane.h"

#include "huemessage.h"
#include "listenaddress.h"

#include "formats/redaction.h"
#include "net/capturesession.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDateTime>
#include <QEvent>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStyle>
#include <QTableView>
#include <QToolButton>
#include <QToolTip>
#include <QVBoxLayout>

namespace wsi {

namespace {
using HueMessage::AmberHue;
using HueMessage::NoHue;
using HueMessage::RedHue;

constexpr QLatin1StringView SettingsGroup("proxyPane");

bool isWebSocketScheme(const QString& scheme)
{
    return scheme == u"ws" || scheme == u"wss";
}

// A name by which this computer reaches itself: loopback, or the wildcard a listener binds to.
bool meansThisComputer(const QString& host)
{
    return !exposesBeyondLoopback(host) || host == u"0.0.0.0" || host == u"::";
}

// The port a URL reaches, its scheme's default when it names none.
int effectivePort(const QUrl& url)
{
    return url.port(url.scheme() == u"wss" ? 443 : 80);
}
} // namespace

ProxyPane::ProxyPane(CaptureSession* session, QWidget* parent)
    : QWidget(parent)
    , m_session(session)
    , m_startStopAction(new QAction(this))
    , m_connections(new QStandardItemModel(0, ColumnCount, this))
{
    setObjectName(QStringLiteral("proxyPane"));

    m_startStopAction->setObjectName(QStringLiteral("startProxyAction"));
    connect(m_startStopAction, &QAction::triggered, this, [this] {
        if (m_state == State::Running)
            stop();
        else if (m_state == State::Stopped)
            start();
    });

    m_startStopButton = new QToolButton(this);
    m_startStopButton->setObjectName(QStringLiteral("proxyStartStopButton"));
    m_startStopButton->setDefaultAction(m_startStopAction);
    m_startStopButton->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);

    m_copyUrlButton = new QPushButton(tr("Cop&y URL"), this);
    m_copyUrlButton->setObjectName(QStringLiteral("proxyCopyUrlButton"));
    m_copyUrlButton->setToolTip(tr("Copy the URL clients connect to instead of the upstream"));
    m_copyUrlButton->setAutoDefault(false);
    connect(m_copyUrlButton, &QPushButton::clicked, this, [this] {
        if (m_state != State::Running)
            return;
        const QString url = ListenAddress::connectableUrl(m_url).toString();
        QApplication::clipboard()->setText(url);
        // Not in the status line, which keeps saying where the proxy listens and relays to.
        QToolTip::showText(m_copyUrlButton->mapToGlobal(QPoint(0, m_copyUrlButton->height())), tr("Copied %1").arg(url),
            m_copyUrlButton);
    });

    m_urlLabel = new QLabel(this);
    m_urlLabel->setObjectName(QStringLiteral("proxyUrlLabel"));
    m_urlLabel->setTextFormat(Qt::PlainText);
    m_urlLabel->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    m_urlLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred); // a long URL must not widen the dock

    m_exposureWarning = HueMessage::newLabel(this, "proxyExposureWarning");
    m_statusLabel = HueMessage::newLabel(this, "proxyStatus");

    auto* top = new QHBoxLayout;
    top->setContentsMargins(0, 0, 0, 0);
    top->addWidget(m_startStopButton);
    top->addWidget(m_urlLabel, 1);
    top->addWidget(m_copyUrlButton);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    layout->addLayout(top);
    layout->addWidget(m_exposureWarning);
    layout->addWidget(m_statusLabel);
    layout->addWidget(createForm());
    layout->addWidget(createConnectionsList(), 1);

    connect(m_session, &CaptureSession::proxyStarted, this, [this](const QUrl& url) {
        // A proxy started elsewhere (not from this pane) relays to an upstream this pane was not told about.
        if (m_state != State::Starting)
            m_upstream.clear();
        m_url = url;
        setState(State::Running);
    });
    connect(m_session, &CaptureSession::proxyStartFailed, this, [this](const QString& reason) {
        setState(State::Stopped);
        setStatus(tr("Could not start the proxy: %1").arg(reason), RedHue);
        Q_EMIT attentionNeeded();
    });
    connect(m_session, &CaptureSession::proxyStopped, this, [this] {
        removeAllConnections();
        setState(State::Stopped);
        setStatus(QString(), NoHue);
    });
    connect(m_session, &CaptureSession::proxyClientOpened, this, &ProxyPane::onClientOpened);
    connect(m_session, &CaptureSession::connectionStateChanged, this, &ProxyPane::onConnectionStateChanged);

    // The session may be proxying already (it outlives windows): show what is true.
    if (m_session->isProxyRunning()) {
        m_url = m_session->proxyUrl();
        m_state = State::Running;
    }
    for (const ServerClient& client : m_session->proxyClients())
        onClientOpened(client);
    updateStateUi();
}

ProxyPane::~ProxyPane() = default;

QWidget* ProxyPane::createForm()
{
    m_form = new QWidget(this);
    m_form->setObjectName(QStringLiteral("proxyForm"));

    m_host = ListenAddress::newHostCombo(m_form, "proxyHostCombo");
    m_hostHint = HueMessage::newLabel(m_form, "proxyHostHint");
    connect(m_host, &QComboBox::currentTextChanged, this, [this](const QString& text) {
        ListenAddress::showHostHint(m_hostHint, text.trimmed());
        m_fieldError->hide();
        updateStateUi();
    });
    m_port = ListenAddress::newPortSpin(m_form, "proxyPortSpin", DefaultPort);
    connect(m_port, &QSpinBox::valueChanged, this, &ProxyPane::updateStateUi);

    m_upstreamEdit = new QLineEdit(m_form);
    m_upstreamEdit->setObjectName(QStringLiteral("proxyUpstreamEdit"));
    m_upstreamEdit->setPlaceholderText(tr("e.g. wss://api.example.com/socket"));
    m_upstreamEdit->setToolTip(tr("The real server, ws:// or wss://. A client's path and query are appended to "
                                  "its path: ws://proxy/chat?room=1 goes to wss://upstream/socket/chat?room=1"));
    m_upstreamEdit->setClearButtonEnabled(true);
    connect(m_upstreamEdit, &QLineEdit::returnPressed, this, [this] {
        if (m_state == State::Stopped)
            start();
    });

    m_insecure = new QCheckBox(tr("&Accept any TLS certificate (unsafe)"), m_form);
    m_insecure->setObjectName(QStringLiteral("proxyInsecureCheck"));
    m_insecure->setToolTip(tr("For a wss:// upstream with a self-signed or otherwise untrusted certificate: the "
                              "connection is made anyway, and a note says so in the timeline"));

    m_origin = new QLineEdit(m_form);
    m_origin->setObjectName(QStringLiteral("proxyOriginEdit"));
    m_origin->setPlaceholderText(tr("as the client sends it"));
    m_origin->setToolTip(tr("Replaces the Origin header of each client's request, for an upstream that only "
                            "accepts its own site's origin; empty passes the client's Origin on unchanged"));
    m_origin->setClearButtonEnabled(true);

    m_maxMessageMiB = new QSpinBox(m_form);
    m_maxMessageMiB->setObjectName(QStringLiteral("proxyMaxMessageSpin"));
    // The command line's --max-message-size takes at most 1G: the event store counts sizes in 32 bits.
    m_maxMessageMiB->setRange(1, 1024);
    m_maxMessageMiB->setValue(int(ProxyOptions().maxMessageBytes / (1024 * 1024)));
    m_maxMessageMiB->setSuffix(tr(" MiB"));
    m_maxMessageMiB->setToolTip(tr("A larger message is relayed all the same, and recorded without its payload"));

    m_fieldError = HueMessage::newLabel(m_form, "proxyFieldError");
    for (QLineEdit* edit : { m_upstreamEdit, m_origin })
        connect(edit, &QLineEdit::textEdited, m_fieldError, &QWidget::hide);
    connect(m_port, &QSpinBox::valueChanged, m_fieldError, &QWidget::hide);

    auto* form = new QFormLayout(m_form);
    form->setContentsMargins(0, 0, 0, 0);
    form->setRowWrapPolicy(QFormLayout::WrapLongRows);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    // The one field that must be filled first; where the proxy listens has a default that usually does.
    form->addRow(tr("&Upstream:"), m_upstreamEdit);
    form->addRow(m_insecure);
    form->addRow(tr("&Origin:"), m_origin);
    form->addRow(tr("&Listen on:"), m_host);
    form->addRow(m_hostHint);
    form->addRow(tr("Po&rt:"), m_port);
    form->addRow(tr("Max message si&ze:"), m_maxMessageMiB);
    form->addRow(m_fieldError);
    QWidget::setTabOrder(m_upstreamEdit, m_insecure);
    QWidget::setTabOrder(m_insecure, m_origin);
    QWidget::setTabOrder(m_origin, m_host);
    QWidget::setTabOrder(m_host, m_port);
    QWidget::setTabOrder(m_port, m_maxMessageMiB);
    ListenAddress::showHostHint(m_hostHint, m_host->currentText());
    return m_form;
}

QWidget* ProxyPane::createConnectionsList()
{
    auto* box = new QWidget(this);
    QStringList headers(ColumnCount);
    headers[IdColumn] = tr("#");
    headers[PeerColumn] = tr("Client");
    headers[PathColumn] = tr("Path");
    headers[SubprotocolColumn] = tr("Subprotocol");
    headers[OpenedColumn] = tr("Opened");
    m_connections->setHorizontalHeaderLabels(headers);
    m_connections->horizontalHeaderItem(IdColumn)->setToolTip(tr("Connection id, as in the timeline"));
    m_connections->horizontalHeaderItem(PeerColumn)->setToolTip(tr("The client's address and port"));
    m_connections->horizontalHeaderItem(PathColumn)->setToolTip(tr("The path and query the client asked for"));

    m_connectionsTitle = new QLabel(box);
    m_connectionsTitle->setObjectName(QStringLiteral("proxyConnectionsTitle"));

    m_table = new QTableView(box);
    m_table->setObjectName(QStringLiteral("proxyConnectionsTable"));
    m_table->setModel(m_connections);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setTabKeyNavigation(false);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideMiddle);
    m_table->setAlternatingRowColors(true);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->setToolTip(tr("Double-click or press Enter to show a connection in the timeline"));
    QHeaderView* header = m_table->horizontalHeader();
    header->setHighlightSections(false);
    header->setStretchLastSection(true);
    const int digit = m_table->fontMetrics().horizontalAdvance(QLatin1Char('8'));
    auto width = [&](int column, int chars) {
        const int title
            = header->fontMetrics().horizontalAdvance(m_connections->headerData(column, Qt::Horizontal).toString())
            + digit * 2;
        m_table->setColumnWidth(column, std::max(title, digit * chars));
    };
    width(IdColumn, 4);
    width(PeerColumn, 15);
    width(PathColumn, 14);
    width(SubprotocolColumn, 10);
    width(OpenedColumn, 9);
    // Enter and double-click both activate a row (and a single click on platforms that activate on one).
    connect(m_table, &QAbstractItemView::activated, this, [this](const QModelIndex& index) {
        const quint32 id = m_connections->index(index.row(), IdColumn).data(ConnectionIdRole).toUInt();
        if (id != 0)
            Q_EMIT connectionActivated(id);
    });

    m_connectionsHint = new QLabel(box);
    m_connectionsHint->setObjectName(QStringLiteral("proxyConnectionsHint"));
    m_connectionsHint->setWordWrap(true);
    m_connectionsHint->setTextFormat(Qt::PlainText);
    m_connectionsHint->setForegroundRole(QPalette::PlaceholderText);

    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(m_connectionsTitle);
    layout->addWidget(m_connectionsHint);
    layout->addWidget(m_table, 1);
    return box;
}

QSize ProxyPane::sizeHint() const
{
    // Every column of the list readable, with room for a path, so that the dock opens at a useful width.
    int width = 0;
    for (int column = 0; column < ColumnCount; ++column)
        width += m_table->columnWidth(column);
    width += m_table->frameWidth() * 2 + style()->pixelMetric(QStyle::PM_ScrollBarExtent) + 8;
    return { width, QWidget::sizeHint().height() };
}

// --- Fields ----------------------------------------------------------------------------------------------------

ProxyOptions ProxyPane::options() const
{
    ProxyOptions options;
    options.host = m_host->currentText().trimmed();
    options.port = quint16(m_port->value());
    options.upstream = QUrl(m_upstreamEdit->text().trimmed(), QUrl::StrictMode);
    options.ignoreCertificateErrors = m_insecure->isChecked();
    options.origin = m_origin->text().trimmed();
    options.maxMessageBytes = qint64(m_maxMessageMiB->value()) * 1024 * 1024;
    return options;
}

void ProxyPane::setPort(quint16 port)
{
    m_port->setValue(port);
}

void ProxyPane::setUpstream(const QString& url)
{
    m_upstreamEdit->setText(url);
}

QString ProxyPane::statusText() const
{
    return m_statusLabel->isHidden() ? QString() : m_statusLabel->text();
}

std::optional<ProxyOptions> ProxyPane::checkedOptions()
{
    ProxyOptions options = this->options();
    if (const QString problem = ListenAddress::hostProblem(options.host); !problem.isEmpty()) {
        showFieldError(problem, m_host);
        return std::nullopt;
    }

    const QString upstreamText = m_upstreamEdit->text().trimmed();
    const QUrl& upstream = options.upstream;
    const QString example = QStringLiteral("wss://api.example.com/socket");
    if (upstreamText.isEmpty()) {
        showFieldError(
            tr("Enter the upstream URL: the server the proxy relays to, e.g. %1.").arg(example), m_upstreamEdit);
        return std::nullopt;
    }
    // Before anything that quotes the URL back. The proxy passes on each client's own Authorization and Cookie
    // headers; a user name and password in the URL would reach nobody, and only end up on screen and on disk.
    if (!upstream.userInfo().isEmpty() || redaction::withoutUserInfo(upstreamText) != upstreamText) {
        showFieldError(tr("Remove the user name and password (user:password@) from the upstream URL: the proxy "
                          "passes on each client's own Authorization and Cookie headers instead."),
            m_upstreamEdit);
        return std::nullopt;
    }
    if (!upstream.isValid()) {
        showFieldError(tr("\u201c%1\u201d is not a valid URL. Write the upstream as ws://host[:port]/path or "
                          "wss://host[:port]/path, e.g. %2.")
                           .arg(upstreamText, example),
            m_upstreamEdit);
        return std::nullopt;
    }
    const QString scheme = upstream.scheme().toLower();
    if (scheme == u"http" || scheme == u"https") {
        QUrl suggestion = upstream;
        suggestion.setScheme(scheme == u"http" ? QStringLiteral("ws") : QStringLiteral("wss"));
        showFieldError(tr("The upstream must be a WebSocket URL: write %1 rather than %2.")
                           .arg(suggestion.toString(), upstream.toString()),
            m_upstreamEdit);
        return std::nullopt;
    }
    if (!isWebSocketScheme(scheme)) {
        showFieldError(tr("The upstream must start with ws:// or wss://, e.g. %1.").arg(example), m_upstreamEdit);
        return std::nullopt;
    }
    if (upstream.host().isEmpty()) {
        showFieldError(tr("\u201c%1\u201d names no host to relay to.").arg(upstreamText), m_upstreamEdit);
        return std::nullopt;
    }
    if (upstream.hasFragment()) {
        showFieldError(tr("A WebSocket URL cannot have a fragment (the part from #): remove it."), m_upstreamEdit);
        return std::nullopt;
    }
    // Relaying to itself, the proxy would take each connection it opens for a new client, without end.
    if (options.port != 0 && effectivePort(upstream) == options.port
        && (upstream.host() == options.host
            || (meansThisComputer(upstream.host()) && meansThisComputer(options.host)))) {
        showFieldError(tr("The upstream is the proxy itself (port %1): relay to another server, or listen on "
                          "another port.")
                           .arg(options.port),
            m_upstreamEdit);
        return std::nullopt;
    }

    if (!options.origin.isEmpty()) {
        const QUrl origin(options.origin, QUrl::StrictMode);
        const QString path = origin.path();
        if (!origin.isValid() || origin.scheme().isEmpty() || origin.host().isEmpty()
            || !(path.isEmpty() || path == u"/") || origin.hasQuery() || origin.hasFragment()) {
            showFieldError(
                tr("\u201c%1\u201d is not an origin (write scheme://host[:port], e.g. http://localhost:3000).")
                    .arg(options.origin),
                m_origin);
            return std::nullopt;
        }
    }
    m_fieldError->hide();
    return options;
}

void ProxyPane::showFieldError(const QString& message, QWidget* culprit)
{
    HueMessage::show(m_fieldError, message, RedHue, palette());
    setStatus(tr("Not started: see the fields below."), RedHue);
    if (culprit)
        culprit->setFocus(Qt::OtherFocusReason);
}

// --- Start and stop --------------------------------------------------------------------------------------------

bool ProxyPane::start()
{
    if (m_state != State::Stopped)
        return false;
    const std::optional<ProxyOptions> options = checkedOptions();
    if (!options) {
        Q_EMIT attentionNeeded();
        return false;
    }
    if (exposesBeyondLoopback(options->host)) {
        const bool confirmed = ListenAddress::confirmExposure(this, tr("Start the Proxy on %1?").arg(options->host),
            tr("Listening on %1, the proxy can be reached from other computers. Anyone who can reach this one can "
               "connect through it to %2, and read what it answers.")
                .arg(options->host, options->upstream.toString(QUrl::RemoveUserInfo)),
            tr("&Start on %1").arg(options->host));
        if (!confirmed)
            return false;
    }
    m_upstream = options->upstream;
    setStatus(QString(), NoHue);
    setState(State::Starting);
    m_session->startProxy(*options);
    return true;
}

void ProxyPane::stop()
{
    if (m_state == State::Running)
        m_session->stopProxy();
}

void ProxyPane::setState(State state)
{
    if (state == m_state)
        return;
    m_state = state;
    if (state != State::Running)
        m_url.clear();
    updateStateUi();
    Q_EMIT stateChanged(state);
}

void ProxyPane::updateStateUi()
{
    switch (m_state) {
    case State::Stopped: {
        m_startStopAction->setText(tr("Start P&roxy"));
        m_startStopAction->setIcon(QIcon::fromTheme(QStringLiteral("media-playback-start")));
        const QString at = m_host->currentText().trimmed() + QLatin1Char(':')
            + (m_port->value() == 0 ? tr("any free port") : QString::number(m_port->value()));
        m_startStopAction->setToolTip(tr("Start the recording proxy on %1, relaying to the upstream below").arg(at));
        m_startStopAction->setEnabled(true);
        m_urlLabel->setText(tr("Not running"));
        break;
    }
    case State::Starting:
        m_startStopAction->setText(tr("Starting Proxy\u2026"));
        m_startStopAction->setEnabled(false);
        m_urlLabel->setText(tr("Starting\u2026"));
        break;
    case State::Running:
        m_startStopAction->setText(tr("Stop P&roxy"));
        m_startStopAction->setIcon(QIcon::fromTheme(QStringLiteral("media-playback-stop")));
        m_startStopAction->setToolTip(
            tr("Stop the proxy at %1; the connections through it are closed").arg(m_url.toString()));
        m_startStopAction->setEnabled(true);
        m_urlLabel->setText(m_url.toString());
        if (m_upstream.isEmpty()) {
            setStatus(tr("Listening on %1").arg(m_url.toString()), NoHue);
        } else {
            const QString listening
                = tr("Listening on %1 \u2192 %2").arg(m_url.toString(), m_upstream.toString(QUrl::RemoveUserInfo));
            const bool insecure = m_upstream.scheme() == u"wss" && m_insecure->isChecked();
            setStatus(insecure ? tr("%1 (any certificate accepted)").arg(listening) : listening, NoHue);
        }
        break;
    }
    const bool running = m_state == State::Running;
    m_copyUrlButton->setEnabled(running);
    if (running && exposesBeyondLoopback(m_url.host())) {
        HueMessage::show(m_exposureWarning,
            tr("\u26a0 Reachable from other computers (listening on %1). Stop the proxy when you are done.")
                .arg(m_url.host()),
            AmberHue, palette());
    } else {
        m_exposureWarning->hide();
    }
    m_form->setEnabled(m_state == State::Stopped);
    m_form->setToolTip(m_state == State::Stopped ? QString() : tr("Stop the proxy to change these"));
    updateConnectionsUi();
}

void ProxyPane::setStatus(const QString& text, int hue)
{
    HueMessage::show(m_statusLabel, text, hue, palette());
}

// --- Connections -----------------------------------------------------------------------------------------------

void ProxyPane::onClientOpened(const ServerClient& client)
{
    if (m_rows.contains(client.id))
        return;
    auto item = [](const QString& text) {
        auto* item = new QStandardItem(text);
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
        return item;
    };
    QList<QStandardItem*> row(ColumnCount);
    row[IdColumn] = item(QStringLiteral("#%1").arg(client.id));
    row[IdColumn]->setData(client.id, ConnectionIdRole);
    row[PeerColumn] = item(client.peer);
    if (!client.userAgent.isEmpty())
        row[PeerColumn]->setToolTip(tr("User agent: %1").arg(client.userAgent));
    row[PathColumn] = item(client.path);
    row[PathColumn]->setToolTip(
        client.origin.isEmpty() ? client.path : tr("%1\nOrigin: %2").arg(client.path, client.origin));
    row[SubprotocolColumn] = item(client.subprotocol);
    const QDateTime opened = client.opened.isValid() ? client.opened.toLocalTime() : QDateTime::currentDateTime();
    row[OpenedColumn] = item(opened.toString(QStringLiteral("HH:mm:ss")));
    row[OpenedColumn]->setToolTip(QLocale().toString(opened, QLocale::LongFormat));
    m_connections->appendRow(row);
    m_rows.insert(client.id, QPersistentModelIndex(m_connections->index(m_connections->rowCount() - 1, IdColumn)));
    updateConnectionsUi();
}

void ProxyPane::onConnectionStateChanged(quint32 connection, ConnectionRole role, ConnectionState state)
{
    if (role != ConnectionRole::Proxy || state != ConnectionState::Closed)
        return;
    const QPersistentModelIndex index = m_rows.take(connection);
    if (index.isValid()) {
        m_connections->removeRow(index.row());
        updateConnectionsUi();
    }
}

void ProxyPane::removeAllConnections()
{
    m_rows.clear();
    m_connections->removeRows(0, m_connections->rowCount());
    updateConnectionsUi();
}

QList<quint32> ProxyPane::connections() const
{
    QList<quint32> ids;
    for (int row = 0; row < m_connections->rowCount(); ++row)
        ids << m_connections->item(row, IdColumn)->data(ConnectionIdRole).toUInt();
    return ids;
}

void ProxyPane::updateConnectionsUi()
{
    const int count = m_connections->rowCount();
    m_connectionsTitle->setText(
        count > 0 ? tr("Connections through the proxy (%1)").arg(count) : tr("Connections through the proxy"));
    m_connectionsHint->setVisible(count == 0);
    m_connectionsHint->setText(m_state == State::Running
            ? tr("None yet. Point your app at %1 instead of its backend.")
                  .arg(ListenAddress::connectableUrl(m_url).toString())
            : tr("None. Start the proxy, then point your app at it instead of its backend."));
}

// --- Settings and colours --------------------------------------------------------------------------------------

void ProxyPane::saveSettings(QSettings& settings) const
{
    settings.beginGroup(SettingsGroup);
    settings.setValue(QStringLiteral("host"), m_host->currentText().trimmed());
    settings.setValue(QStringLiteral("port"), m_port->value());
    // A password typed into the field (which the pane refuses to start with) is not written to disk.
    settings.setValue(QStringLiteral("upstream"), redaction::withoutUserInfo(m_upstreamEdit->text().trimmed()));
    settings.setValue(QStringLiteral("origin"), m_origin->text().trimmed());
    settings.setValue(QStringLiteral("maxMessageMiB"), m_maxMessageMiB->value());
    settings.endGroup();
}

void ProxyPane::restoreSettings(QSettings& settings)
{
    settings.beginGroup(SettingsGroup);
    // Each field keeps its default when its key is missing (a first start) or unreadable.
    if (const QString host = settings.value(QStringLiteral("host")).toString(); !host.isEmpty())
        m_host->setCurrentText(host);
    bool ok = false;
    if (const int port = settings.value(QStringLiteral("port")).toInt(&ok); ok && port >= 0 && port <= 65535)
        m_port->setValue(port);
    if (const int mib = settings.value(QStringLiteral("maxMessageMiB")).toInt(&ok);
        ok && mib >= m_maxMessageMiB->minimum() && mib <= m_maxMessageMiB->maximum())
        m_maxMessageMiB->setValue(mib);
    m_upstreamEdit->setText(settings.value(QStringLiteral("upstream"), m_upstreamEdit->text()).toString());
    m_origin->setText(settings.value(QStringLiteral("origin"), m_origin->text()).toString());
    settings.endGroup();
}

void ProxyPane::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        HueMessage::recolour(this);
}

} // namespace wsi
