#include "connectionspane.h"

#include "core/event.h"
#include "core/eventstore.h"
#include "core/sessionstatistics.h"
#include "net/capturesession.h"
#include "timelinedelegate.h"

#include <QAction>
#include <QDialog>
#include <QDialogButtonBox>
#include <QEvent>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStyle>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace wsi {

namespace {
constexpr int GreenHue = 130;
constexpr int AmberHue = 35;
constexpr int RedHue = 0;
constexpr int NoHue = -1;
constexpr int MaxRememberedIds = 64; // earlier attempts a row still answers to

int hueOf(ConnectionsPane::Phase phase)
{
    switch (phase) {
    case ConnectionsPane::Phase::Open:
        return GreenHue;
    case ConnectionsPane::Phase::Connecting:
    case ConnectionsPane::Phase::Closing:
    case ConnectionsPane::Phase::Reconnecting:
        return AmberHue;
    case ConnectionsPane::Phase::GaveUp:
        return RedHue;
    case ConnectionsPane::Phase::Closed:
        break;
    }
    return NoHue;
}

QString formatRtt(qint64 ns)
{
    const QLocale locale;
    const double ms = double(ns) / 1e6;
    if (ms < 10)
        return ConnectionsPane::tr("%1 ms").arg(locale.toString(ms, 'f', 2));
    if (ms < 1000)
        return ConnectionsPane::tr("%1 ms").arg(locale.toString(ms, 'f', 1));
    return ConnectionsPane::tr("%1 s").arg(locale.toString(ms / 1000, 'f', 2));
}

void setTextIfChanged(QStandardItem* item, const QString& text)
{
    // Setting the same text again would still repaint the cell.
    if (item->text() != text)
        item->setText(text);
}
} // namespace

ConnectionsPane::ConnectionsPane(CaptureSession* session, SessionStatistics* statistics, QWidget* parent)
    : QWidget(parent)
    , m_session(session)
    , m_statistics(statistics)
    , m_model(new QStandardItemModel(0, ColumnCount, this))
    , m_table(new QTableView(this))
    , m_hint(new QLabel(this))
    , m_message(new QLabel(this))
    , m_connectMenu(new QMenu(this))
    , m_connectButton(new QToolButton(this))
    , m_disconnectButton(new QPushButton(tr("Disconnect\u2026"), this))
    , m_duplicateButton(new QPushButton(tr("Duplicate"), this))
    , m_removeButton(new QPushButton(tr("Remove"), this))
    , m_pingButton(new QPushButton(tr("Ping"), this))
    , m_connectAction(new QAction(tr("&Connect"), this))
    , m_disconnectAction(new QAction(tr("&Disconnect\u2026"), this))
    , m_duplicateAction(new QAction(tr("D&uplicate"), this))
    , m_removeAction(new QAction(tr("&Remove"), this))
    , m_pingAction(new QAction(tr("&Ping"), this))
    , m_timer(new QTimer(this))
{
    setObjectName(QStringLiteral("connectionsPane"));
    m_clock.start();
    if (!m_statistics && m_session->model())
        m_statistics = new SessionStatistics(m_session->model(), this);

    QStringList headers(ColumnCount);
    headers[IdColumn] = tr("#");
    headers[StateColumn] = tr("State");
    headers[UrlColumn] = tr("URL");
    headers[InColumn] = tr("In");
    headers[OutColumn] = tr("Out");
    headers[RttColumn] = tr("RTT");
    m_model->setHorizontalHeaderLabels(headers);
    m_model->horizontalHeaderItem(IdColumn)->setToolTip(tr("Connection id, as in the timeline"));
    m_model->horizontalHeaderItem(InColumn)->setToolTip(tr("Messages from the server"));
    m_model->horizontalHeaderItem(OutColumn)->setToolTip(tr("Messages to the server"));
    m_model->horizontalHeaderItem(RttColumn)->setToolTip(tr("Round-trip time of the last ping answered"));
    m_model->horizontalHeaderItem(StateColumn)
        ->setToolTip(tr("Connecting, open, closed (with the close code), "
                        "reconnecting or given up"));

    m_table->setObjectName(QStringLiteral("connectionsTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setTabKeyNavigation(false);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideMiddle);
    m_table->setAlternatingRowColors(true);
    m_table->setContextMenuPolicy(Qt::CustomContextMenu);
    m_table->setAccessibleName(tr("Client connections"));
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    QHeaderView* header = m_table->horizontalHeader();
    header->setHighlightSections(false);
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setStretchLastSection(true);
    header->setMinimumSectionSize(m_table->fontMetrics().horizontalAdvance(QLatin1Char('8')) * 3);
    const int digit = m_table->fontMetrics().horizontalAdvance(QLatin1Char('8'));
    auto width = [&](int column, int chars) {
        const int title
            = header->fontMetrics().horizontalAdvance(m_model->headerData(column, Qt::Horizontal).toString())
            + digit * 2;
        m_table->setColumnWidth(column, std::max(title, digit * chars));
    };
    width(IdColumn, 4);
    width(StateColumn, 22); // "reconnecting 2/10 in 4.0 s"
    width(InColumn, 5);
    width(OutColumn, 5);
    width(RttColumn, 8);
    connect(m_table, &QWidget::customContextMenuRequested, this, &ConnectionsPane::showMenu);
    connect(m_table, &QAbstractItemView::doubleClicked, this, [this](const QModelIndex& index) {
        if (index.row() >= 0 && index.row() < m_rows.size())
            Q_EMIT connectionActivated(m_rows.at(index.row()).id);
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this] {
        updateActions();
        const quint32 current = currentConnection();
        if (current != m_lastCurrent) {
            m_lastCurrent = current;
            Q_EMIT currentConnectionChanged(current);
        }
    });

    m_hint->setObjectName(QStringLiteral("connectionsHint"));
    m_hint->setText(tr("No client connections yet. Connect from the URL bar, or with Connect below."));
    m_hint->setWordWrap(true);
    m_hint->setForegroundRole(QPalette::PlaceholderText);
    m_message->setObjectName(QStringLiteral("connectionsMessage"));
    m_message->setTextFormat(Qt::PlainText);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->setVisible(false);

    // Shortcuts work while the focus is in the pane, so they cannot clash with the window's.
    auto setUp = [this](QAction* action, const char* name, const QString& toolTip, const QKeySequence& key) {
        action->setObjectName(QLatin1String(name));
        action->setToolTip(toolTip);
        action->setShortcut(key);
        action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        addAction(action);
    };
    setUp(m_connectAction, "connectionsConnectAction",
        tr("Open a new connection with the options of the URL bar (Ctrl+N); the arrow offers the saved profiles"),
        QKeySequence(Qt::CTRL | Qt::Key_N));
    setUp(m_disconnectAction, "connectionsDisconnectAction",
        tr("Close the selected connection with a close code and reason of your choice (Ctrl+W)"),
        QKeySequence(Qt::CTRL | Qt::Key_W));
    setUp(m_duplicateAction, "connectionsDuplicateAction", tr("Open another connection with the same options (Ctrl+D)"),
        QKeySequence(Qt::CTRL | Qt::Key_D));
    setUp(m_removeAction, "connectionsRemoveAction",
        tr("Take the selected connection off the list, closing it first (Delete)"), QKeySequence(Qt::Key_Delete));
    setUp(m_pingAction, "connectionsPingAction",
        tr("Send a ping; the round-trip time appears when the pong comes back (Ctrl+P)"),
        QKeySequence(Qt::CTRL | Qt::Key_P));
    connect(m_connectAction, &QAction::triggered, this, [this] { Q_EMIT connectRequested(QString()); });
    connect(m_disconnectAction, &QAction::triggered, this, &ConnectionsPane::askDisconnect);
    connect(m_duplicateAction, &QAction::triggered, this, &ConnectionsPane::duplicateCurrent);
    connect(m_removeAction, &QAction::triggered, this, &ConnectionsPane::removeCurrent);
    connect(m_pingAction, &QAction::triggered, this, &ConnectionsPane::pingCurrent);

    m_connectButton->setObjectName(QStringLiteral("connectionsConnectButton"));
    // No mnemonics on the buttons: the window's URL bar has the same words; the actions have shortcuts instead.
    m_connectButton->setText(tr("Connect"));
    m_connectButton->setToolTip(m_connectAction->toolTip());
    m_connectButton->setPopupMode(QToolButton::MenuButtonPopup);
    m_connectButton->setMenu(m_connectMenu);
    m_connectButton->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_connectButton->setFocusPolicy(Qt::StrongFocus);
    connect(m_connectButton, &QToolButton::clicked, m_connectAction, &QAction::trigger);
    m_connectMenu->setObjectName(QStringLiteral("connectionsConnectMenu"));
    setProfileNames({});

    auto button = [](QPushButton* b, QAction* action, const char* name) {
        b->setObjectName(QLatin1String(name));
        b->setToolTip(action->toolTip());
        b->setAutoDefault(false);
        connect(b, &QPushButton::clicked, action, &QAction::trigger);
    };
    button(m_disconnectButton, m_disconnectAction, "connectionsDisconnectButton");
    button(m_duplicateButton, m_duplicateAction, "connectionsDuplicateButton");
    button(m_removeButton, m_removeAction, "connectionsRemoveButton");
    button(m_pingButton, m_pingAction, "connectionsPingButton");

    auto* buttons = new QHBoxLayout;
    buttons->setContentsMargins(0, 0, 0, 0);
    buttons->addWidget(m_connectButton);
    buttons->addWidget(m_disconnectButton);
    buttons->addWidget(m_pingButton);
    buttons->addWidget(m_duplicateButton);
    buttons->addWidget(m_removeButton);
    buttons->addStretch(1);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->setSpacing(4);
    layout->addWidget(m_hint);
    layout->addWidget(m_table, 1);
    layout->addLayout(buttons);
    layout->addWidget(m_message);
    setTabOrder(m_table, m_connectButton);
    setTabOrder(m_connectButton, m_disconnectButton);
    setTabOrder(m_disconnectButton, m_pingButton);
    setTabOrder(m_pingButton, m_duplicateButton);
    setTabOrder(m_duplicateButton, m_removeButton);

    m_timer->setInterval(RefreshIntervalMs);
    connect(m_timer, &QTimer::timeout, this, &ConnectionsPane::refresh);

    connect(m_session, &CaptureSession::connectionStateChanged, this, &ConnectionsPane::onConnectionStateChanged);
    connect(m_session, &CaptureSession::clientReconnecting, this, &ConnectionsPane::onReconnecting);
    connect(m_session, &CaptureSession::clientGaveUp, this, &ConnectionsPane::onGaveUp);
    updateActions();
}

ConnectionsPane::~ConnectionsPane() = default;

// --- Rows ------------------------------------------------------------------------------------------------------

quint32 ConnectionsPane::openConnection(const ClientOptions& options)
{
    const quint32 id = m_session->connectClient(options);
    addConnection(id, options);
    return id;
}

void ConnectionsPane::addConnection(quint32 connection, const ClientOptions& options)
{
    if (rowOf(connection) >= 0)
        return;
    m_forgotten.remove(connection);
    const int row = appendRow(connection, options);
    m_rows[row].phase = [&] {
        switch (m_session->connectionState(connection)) {
        case ConnectionState::Connecting:
            return Phase::Connecting;
        case ConnectionState::Open:
            return Phase::Open;
        case ConnectionState::Closing:
            return Phase::Closing;
        case ConnectionState::Closed:
            break;
        }
        return Phase::Closed;
    }();
    updateRow(row);
}

int ConnectionsPane::appendRow(quint32 connection, const ClientOptions& options)
{
    Row r;
    r.id = connection;
    r.options = options;
    m_rows.append(r);
    QList<QStandardItem*> items;
    for (int column = 0; column < ColumnCount; ++column) {
        auto* item = new QStandardItem;
        item->setEditable(false);
        if (column == IdColumn || column == InColumn || column == OutColumn || column == RttColumn)
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        items << item;
    }
    const QString url = options.url.toString();
    items[UrlColumn]->setText(url);
    items[UrlColumn]->setToolTip(url);
    m_model->appendRow(items);
    m_hint->setVisible(false);
    const int row = int(m_rows.size()) - 1;
    // The first connection is the one the actions apply to, without a click.
    if (!m_table->selectionModel()->currentIndex().isValid())
        m_table->setCurrentIndex(m_model->index(row, IdColumn));
    updateActions();
    return row;
}

QList<quint32> ConnectionsPane::connections() const
{
    QList<quint32> ids;
    for (const Row& r : m_rows)
        ids << r.id;
    return ids;
}

int ConnectionsPane::rowOf(quint32 connection) const
{
    for (int row = 0; row < m_rows.size(); ++row) {
        if (m_rows.at(row).id == connection || m_rows.at(row).previousIds.contains(connection))
            return row;
    }
    return -1;
}

ConnectionsPane::Phase ConnectionsPane::phase(int row) const
{
    return m_rows.at(row).phase;
}

QString ConnectionsPane::stateText(int row) const
{
    return m_model->item(row, StateColumn)->text();
}

const ClientOptions& ConnectionsPane::options(int row) const
{
    return m_rows.at(row).options;
}

int ConnectionsPane::currentRow() const
{
    const QModelIndex index = m_table->selectionModel()->currentIndex();
    return index.isValid() && index.row() < m_rows.size() ? index.row() : -1;
}

quint32 ConnectionsPane::currentConnection() const
{
    const int row = currentRow();
    return row >= 0 ? m_rows.at(row).id : 0;
}

void ConnectionsPane::selectConnection(quint32 connection)
{
    const int row = rowOf(connection);
    if (row >= 0)
        m_table->setCurrentIndex(m_model->index(row, IdColumn));
}

bool ConnectionsPane::isLive(int row) const
{
    const Phase p = m_rows.at(row).phase;
    return p == Phase::Connecting || p == Phase::Open || p == Phase::Reconnecting;
}

void ConnectionsPane::onConnectionStateChanged(quint32 connection, ConnectionRole role, ConnectionState state)
{
    if (role != ConnectionRole::Client || m_forgotten.contains(connection))
        return;
    int row = rowOf(connection);
    if (row < 0) {
        // A client opened by someone else (the command line, a test): listed once it is open. Waiting for that
        // leaves time for a reconnection attempt, which is announced before it connects, to be claimed by its row.
        if (state != ConnectionState::Open)
            return;
        ClientOptions options;
        const EventStore* store = m_session->store();
        if (const Connection* c = store ? store->connection(connection) : nullptr)
            options.url = QUrl(c->url);
        row = appendRow(connection, options);
    }
    Row& r = m_rows[row];
    if (r.id != connection)
        return; // an earlier attempt of this client, superseded
    switch (state) {
    case ConnectionState::Connecting:
        if (r.phase != Phase::Reconnecting)
            r.phase = Phase::Connecting;
        break;
    case ConnectionState::Open:
        r.phase = Phase::Open;
        r.attempt = 0;
        r.userClosed = false;
        break;
    case ConnectionState::Closing:
        r.phase = Phase::Closing;
        break;
    case ConnectionState::Closed:
        // A failed attempt is followed by the next one or by giving up: until then it is still reconnecting.
        if (r.phase != Phase::GaveUp && !(r.phase == Phase::Reconnecting && !r.userClosed))
            r.phase = Phase::Closed;
        break;
    }
    updateRow(row);
    updateActions();
}

void ConnectionsPane::onReconnecting(quint32 previous, quint32 next, int attempt, int maxAttempts, int delayMs)
{
    if (m_forgotten.contains(previous)) {
        // Removed by the user before the engine reported the drop: the loop is stopped, not left running unseen.
        m_forgotten.insert(next);
        m_session->closeConnection(next);
        return;
    }
    const int row = rowOf(previous);
    if (row < 0)
        return; // not one of ours
    // The new attempt may have been listed on its own before this arrived: it belongs to this row.
    const int stray = rowOf(next);
    if (stray >= 0 && stray != row) {
        m_rows.removeAt(stray);
        m_model->removeRow(stray);
        onReconnecting(previous, next, attempt, maxAttempts, delayMs);
        return;
    }
    Row& r = m_rows[row];
    if (r.id != next) {
        r.previousIds.append(r.id);
        if (r.previousIds.size() > MaxRememberedIds)
            r.previousIds.removeFirst();
        r.id = next;
    }
    if (r.userClosed) {
        // Disconnect was asked for while the engine was already noticing the drop: the attempt it schedules is
        // called off at once (closing a waiting attempt cancels it) and the row stays closed.
        m_session->closeConnection(next);
        r.phase = Phase::Closed;
        updateRow(row);
        updateActions();
        if (row == currentRow() && m_lastCurrent != next) {
            m_lastCurrent = next;
            Q_EMIT currentConnectionChanged(next);
        }
        return;
    }
    r.phase = Phase::Reconnecting;
    r.attempt = attempt;
    r.maxAttempts = maxAttempts;
    r.attemptAtMs = m_clock.elapsed() + std::max(0, delayMs);
    updateRow(row);
    updateActions();
    if (row == currentRow() && m_lastCurrent != next) {
        m_lastCurrent = next;
        Q_EMIT currentConnectionChanged(next);
    }
}

void ConnectionsPane::onGaveUp(quint32 connection, int attempts)
{
    const int row = rowOf(connection);
    if (row < 0)
        return;
    Row& r = m_rows[row];
    r.phase = Phase::GaveUp;
    r.attempt = attempts;
    updateRow(row);
    updateActions();
}

void ConnectionsPane::updateRow(int row)
{
    const Row& r = m_rows.at(row);
    const QLocale locale;
    QStandardItem* idItem = m_model->item(row, IdColumn);
    if (idItem->data(ConnectionIdRole).toUInt() != r.id) {
        idItem->setData(r.id, ConnectionIdRole);
        idItem->setText(QString::number(r.id));
        QStringList earlier;
        for (quint32 id : r.previousIds)
            earlier << QStringLiteral("#%1").arg(id);
        idItem->setToolTip(earlier.isEmpty() ? QString() : tr("Earlier attempts: %1").arg(earlier.join(u", ")));
    }

    const SessionStatistics::ConnectionStats* stats = m_statistics ? m_statistics->connection(r.id) : nullptr;
    QString state;
    QString detail; // the tooltip, when the cell says less than there is to say
    switch (r.phase) {
    case Phase::Connecting:
        state = tr("connecting");
        break;
    case Phase::Open:
        state = tr("open");
        break;
    case Phase::Closing:
        state = tr("closing");
        break;
    case Phase::Closed:
        // The close code, where one was sent or received (not for a connection that never opened).
        if (stats && stats->hasCloseCode) {
            state = tr("closed (%1)").arg(stats->closeCode);
            detail = stats->closeReason.isEmpty()
                ? tr("Closed with code %1").arg(stats->closeCode)
                : tr("Closed with code %1: %2").arg(stats->closeCode).arg(QString::fromUtf8(stats->closeReason));
        } else {
            state = tr("closed");
        }
        break;
    case Phase::Reconnecting: {
        const qint64 waitMs = r.attemptAtMs - m_clock.elapsed();
        const QString seconds = locale.toString(double(std::max<qint64>(0, waitMs)) / 1000.0, 'f', 1);
        // Short enough for a narrow dock; the tooltip says it in full.
        const QString attempt
            = r.maxAttempts > 0 ? tr("%1/%2").arg(r.attempt).arg(r.maxAttempts) : tr("#%1").arg(r.attempt);
        const QString attemptInFull = r.maxAttempts > 0 ? tr("attempt %1 of %2").arg(r.attempt).arg(r.maxAttempts)
                                                        : tr("attempt %1 (no limit)").arg(r.attempt);
        if (waitMs > 0) {
            state = tr("reconnecting %1 in %2 s").arg(attempt, seconds);
            detail = tr("Reconnecting: %1 in %2 s, as connection #%3").arg(attemptInFull, seconds).arg(r.id);
        } else {
            state = tr("reconnecting %1\u2026").arg(attempt);
            detail = tr("Reconnecting: %1, as connection #%2").arg(attemptInFull).arg(r.id);
        }
        break;
    }
    case Phase::GaveUp:
        state = r.attempt == 1 ? tr("gave up after 1 attempt") : tr("gave up after %1 attempts").arg(r.attempt);
        break;
    }
    QStandardItem* stateItem = m_model->item(row, StateColumn);
    setTextIfChanged(stateItem, state);
    if (detail.isEmpty())
        detail = state;
    if (stateItem->toolTip() != detail)
        stateItem->setToolTip(detail);
    const int hue = hueOf(r.phase);
    const QBrush brush = hue == NoHue ? QBrush(palette().color(QPalette::PlaceholderText))
                                      : QBrush(TimelineDelegate::accentColor(palette(), hue));
    if (stateItem->foreground() != brush)
        stateItem->setForeground(brush);

    setTextIfChanged(
        m_model->item(row, InColumn), locale.toString(stats ? stats->traffic[SessionStatistics::S2C].messages : 0));
    setTextIfChanged(
        m_model->item(row, OutColumn), locale.toString(stats ? stats->traffic[SessionStatistics::C2S].messages : 0));
    setTextIfChanged(
        m_model->item(row, RttColumn), stats && stats->lastRttNs >= 0 ? formatRtt(stats->lastRttNs) : QString());
}

QSize ConnectionsPane::sizeHint() const
{
    // Every column readable, with room for a URL, so that the dock opens at a useful width.
    int width = 0;
    for (int column = 0; column < ColumnCount - 1; ++column)
        width += m_table->columnWidth(column);
    width += m_table->fontMetrics().averageCharWidth() * 24 + m_table->frameWidth() * 2
        + style()->pixelMetric(QStyle::PM_ScrollBarExtent) + 8;
    return { width, QWidget::sizeHint().height() };
}

void ConnectionsPane::refresh()
{
    for (int row = 0; row < m_rows.size(); ++row)
        updateRow(row);
}

void ConnectionsPane::setProfileNames(const QStringList& names)
{
    m_profileNames = names;
    m_connectMenu->clear();
    QAction* fromForm = m_connectMenu->addAction(tr("With the URL Bar\u2019s Options"));
    connect(fromForm, &QAction::triggered, this, [this] { Q_EMIT connectRequested(QString()); });
    if (names.isEmpty()) {
        QAction* none = m_connectMenu->addAction(tr("No saved profiles"));
        none->setEnabled(false);
        return;
    }
    m_connectMenu->addSection(tr("Profiles"));
    for (const QString& name : names) {
        // Ampersands in a name are not mnemonics.
        QAction* action = m_connectMenu->addAction(QString(name).replace(u'&', QLatin1String("&&")));
        connect(action, &QAction::triggered, this, [this, name] { Q_EMIT connectRequested(name); });
    }
}

// --- Actions ---------------------------------------------------------------------------------------------------

void ConnectionsPane::updateActions()
{
    const int row = currentRow();
    const bool any = row >= 0;
    const bool live = any && isLive(row);
    const bool open = any && m_rows.at(row).phase == Phase::Open;
    m_disconnectAction->setEnabled(live);
    m_duplicateAction->setEnabled(any && m_rows.at(row).options.url.isValid());
    m_removeAction->setEnabled(any);
    m_pingAction->setEnabled(open);
    m_disconnectButton->setEnabled(m_disconnectAction->isEnabled());
    m_duplicateButton->setEnabled(m_duplicateAction->isEnabled());
    m_removeButton->setEnabled(m_removeAction->isEnabled());
    m_pingButton->setEnabled(m_pingAction->isEnabled());
    m_hint->setVisible(m_rows.isEmpty());
}

bool ConnectionsPane::disconnectCurrent(int code, const QString& reason)
{
    return disconnectRow(currentRow(), code, reason);
}

bool ConnectionsPane::disconnectConnection(quint32 connection, int code, const QString& reason)
{
    return disconnectRow(rowOf(connection), code, reason);
}

bool ConnectionsPane::disconnectRow(int row, int code, const QString& reason)
{
    if (row < 0 || !isLive(row))
        return false;
    if (const QString problem = closeRequestProblem(code, reason); !problem.isEmpty()) {
        showMessage(problem, true);
        return false;
    }
    Row& r = m_rows[row];
    r.userClosed = true;
    m_session->closeConnection(r.id, quint16(code), reason);
    // A reconnection that is only waiting is called off at once: there is no connection to see close.
    if (r.phase == Phase::Reconnecting && r.attemptAtMs > m_clock.elapsed())
        r.phase = Phase::Closed;
    showMessage(QString(), false);
    updateRow(row);
    updateActions();
    return true;
}

void ConnectionsPane::askDisconnect()
{
    const int row = currentRow();
    if (row < 0 || !isLive(row))
        return;
    const quint32 id = m_rows.at(row).id;

    auto* dialog = new QDialog(this);
    dialog->setObjectName(QStringLiteral("disconnectDialog"));
    dialog->setWindowTitle(tr("Disconnect #%1").arg(id));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    auto* code = new QSpinBox(dialog);
    code->setObjectName(QStringLiteral("disconnectCodeSpin"));
    code->setRange(1000, 4999);
    code->setValue(1000);
    code->setToolTip(tr("1000 normal, 1001 going away, 1008 policy, 1011 server error, 3000-4999 your own"));
    auto* reason = new QLineEdit(dialog);
    reason->setObjectName(QStringLiteral("disconnectReasonEdit"));
    reason->setPlaceholderText(tr("optional, at most %1 bytes").arg(MaxCloseReasonBytes));
    auto* error = new QLabel(dialog);
    error->setObjectName(QStringLiteral("disconnectErrorLabel"));
    error->setTextFormat(Qt::PlainText);
    error->setWordWrap(true);
    error->setVisible(false);
    QPalette errorPalette = error->palette();
    errorPalette.setColor(QPalette::WindowText, TimelineDelegate::accentColor(errorPalette, RedHue));
    error->setPalette(errorPalette);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, dialog);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("&Disconnect"));

    auto* form = new QFormLayout(dialog);
    form->addRow(new QLabel(
        tr("Close connection #%1 to %2 with a closing handshake.").arg(id).arg(m_rows.at(row).options.url.toString()),
        dialog));
    form->addRow(tr("Close &code:"), code);
    form->addRow(tr("&Reason:"), reason);
    form->addRow(error);
    form->addRow(buttons);

    connect(code, &QSpinBox::valueChanged, error, &QWidget::hide);
    connect(reason, &QLineEdit::textEdited, error, &QWidget::hide);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    connect(buttons, &QDialogButtonBox::accepted, dialog, [this, dialog, id, code, reason, error] {
        const int row = rowOf(id);
        if (row < 0 || !isLive(row)) {
            dialog->reject(); // closed meanwhile: nothing left to do
            return;
        }
        if (const QString problem = closeRequestProblem(code->value(), reason->text()); !problem.isEmpty()) {
            error->setText(problem);
            error->show();
            const bool codeIsWrong = !closeRequestProblem(code->value(), QString()).isEmpty();
            (codeIsWrong ? static_cast<QWidget*>(code) : reason)->setFocus();
            return;
        }
        m_table->setCurrentIndex(m_model->index(row, IdColumn));
        disconnectCurrent(code->value(), reason->text());
        dialog->accept();
    });
    code->setFocus();
    code->selectAll();
    dialog->open();
}

void ConnectionsPane::duplicateCurrent()
{
    const int row = currentRow();
    if (row < 0)
        return;
    const quint32 id = openConnection(m_rows.at(row).options);
    selectConnection(id);
    showMessage(tr("Opened #%1 with the options of #%2.").arg(id).arg(m_rows.at(row).id), false);
}

void ConnectionsPane::removeCurrent()
{
    const int row = currentRow();
    if (row < 0)
        return;
    const Row r = m_rows.at(row);
    if (isLive(row) || r.phase == Phase::Closing)
        m_session->closeConnection(r.id, 1000, QString());
    m_forgotten.insert(r.id);
    for (quint32 id : r.previousIds)
        m_forgotten.insert(id);
    m_rows.removeAt(row);
    m_model->removeRow(row);
    updateActions();
    // The row taking its place becomes the one the actions apply to.
    const quint32 current = currentConnection();
    if (current != m_lastCurrent) {
        m_lastCurrent = current;
        Q_EMIT currentConnectionChanged(current);
    }
}

void ConnectionsPane::pingCurrent()
{
    const int row = currentRow();
    if (row < 0 || m_rows.at(row).phase != Phase::Open)
        return;
    m_session->ping(m_rows.at(row).id);
    showMessage(tr("Ping sent to #%1.").arg(m_rows.at(row).id), false);
}

void ConnectionsPane::showMenu(const QPoint& pos)
{
    updateActions();
    QMenu menu(this);
    menu.addAction(m_connectAction);
    if (!m_profileNames.isEmpty()) {
        QMenu* profiles = menu.addMenu(tr("Connect with &Profile"));
        for (const QString& name : std::as_const(m_profileNames)) {
            QAction* action = profiles->addAction(QString(name).replace(u'&', QLatin1String("&&")));
            connect(action, &QAction::triggered, this, [this, name] { Q_EMIT connectRequested(name); });
        }
    }
    menu.addSeparator();
    menu.addAction(m_disconnectAction);
    menu.addAction(m_pingAction);
    menu.addAction(m_duplicateAction);
    menu.addSeparator();
    menu.addAction(m_removeAction);
    menu.exec(m_table->viewport()->mapToGlobal(pos));
}

void ConnectionsPane::showMessage(const QString& text, bool error)
{
    m_messageIsError = error;
    m_message->setText(text);
    m_message->setVisible(!text.isEmpty());
    updateMessageColour();
}

void ConnectionsPane::updateMessageColour()
{
    QPalette p = palette();
    if (m_messageIsError)
        p.setColor(QPalette::WindowText, TimelineDelegate::accentColor(p, RedHue));
    m_message->setPalette(p);
}

// --- Events ----------------------------------------------------------------------------------------------------

void ConnectionsPane::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    refresh();
    m_timer->start();
}

void ConnectionsPane::hideEvent(QHideEvent* event)
{
    m_timer->stop();
    QWidget::hideEvent(event);
}

void ConnectionsPane::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange) {
        updateMessageColour();
        refresh();
    }
}

} // namespace wsi
