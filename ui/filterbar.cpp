#include "filterbar.h"

#include "core/eventstore.h"
#include "core/timelinemodel.h"
#include "core/timelineviewmodel.h"
#include "timelinedelegate.h"

#include <QActionGroup>
#include <QEvent>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QProgressBar>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace wsi {

namespace {
constexpr int RedHue = 0;
constexpr int MaxUrlChars = 60;

QString elideUrl(const QString& url)
{
    if (url.size() <= MaxUrlChars)
        return url;
    return url.left(MaxUrlChars - 1) + QChar(0x2026);
}
} // namespace

FilterBar::FilterBar(QWidget* parent)
    : QWidget(parent)
    , m_text(new QLineEdit(this))
    , m_regex(new QToolButton(this))
    , m_case(new QToolButton(this))
    , m_kindButton(new QToolButton(this))
    , m_kindMenu(new QMenu(this))
    , m_connectionButton(new QToolButton(this))
    , m_connectionMenu(new QMenu(this))
    , m_connectionGroup(new QActionGroup(this))
    , m_count(new QLabel(this))
    , m_busy(new QProgressBar(this))
    , m_error(new QLabel(this))
    , m_typingTimer(new QTimer(this))
{
    setObjectName(QStringLiteral("filterBar"));

    m_text->setObjectName(QStringLiteral("filterEdit"));
    m_text->setPlaceholderText(tr("Filter payloads and notes (Ctrl+F)"));
    m_text->setClearButtonEnabled(true);
    m_text->setMinimumWidth(m_text->fontMetrics().horizontalAdvance(QLatin1Char('x')) * 24);
    m_text->installEventFilter(this);
    connect(m_text, &QLineEdit::textChanged, this, &FilterBar::scheduleApply);
    connect(m_text, &QLineEdit::returnPressed, this, &FilterBar::applyNow);

    m_typingTimer->setSingleShot(true);
    m_typingTimer->setInterval(TypingDelayMs);
    connect(m_typingTimer, &QTimer::timeout, this, &FilterBar::applyNow);

    auto setUpToggle = [this](QToolButton* button, const char* name, const QString& text, const QString& tip) {
        button->setObjectName(QLatin1String(name));
        button->setText(text);
        button->setToolTip(tip);
        button->setCheckable(true);
        button->setAutoRaise(true);
    };
    setUpToggle(m_regex, "regexToggle", QStringLiteral(".*"), tr("Regular expression (off: plain substring)"));
    setUpToggle(m_case, "caseToggle", QStringLiteral("Aa"), tr("Match case"));

    // Kinds in a menu: eight toggles in a row would crowd out the text field.
    const QString groupNames[KindGroupCount] = { tr("text"), tr("binary"), tr("ping"), tr("pong"), tr("close"),
        tr("handshake"), tr("open / closed"), tr("error / note") };
    const char* groupIds[KindGroupCount]
        = { "text", "binary", "ping", "pong", "close", "handshake", "openClosed", "errorNote" };
    QAction* allKinds = m_kindMenu->addAction(tr("All kinds"));
    allKinds->setObjectName(QStringLiteral("kindActionAll"));
    connect(allKinds, &QAction::triggered, this, [this] {
        for (QAction* action : m_kindActions)
            action->setChecked(true);
        updateKindButton();
        applyNow();
    });
    QAction* messagesOnly = m_kindMenu->addAction(tr("Messages only"));
    messagesOnly->setObjectName(QStringLiteral("kindActionMessages"));
    connect(messagesOnly, &QAction::triggered, this, [this] {
        for (int i = 0; i < KindGroupCount; ++i)
            m_kindActions[i]->setChecked(i == TextGroup || i == BinaryGroup);
        updateKindButton();
        applyNow();
    });
    m_kindMenu->addSeparator();
    for (int i = 0; i < KindGroupCount; ++i) {
        QAction* action = m_kindMenu->addAction(groupNames[i]);
        action->setObjectName(QStringLiteral("kindAction_") + QLatin1String(groupIds[i]));
        action->setCheckable(true);
        action->setChecked(true);
        connect(action, &QAction::triggered, this, [this] {
            updateKindButton();
            applyNow();
        });
        m_kindActions[i] = action;
    }
    m_kindButton->setObjectName(QStringLiteral("kindButton"));
    m_kindButton->setMenu(m_kindMenu);
    m_kindButton->setPopupMode(QToolButton::InstantPopup);
    m_kindButton->setAutoRaise(true);
    m_kindButton->setToolTip(tr("Kinds of events to show"));

    const struct
    {
        Direction direction;
        const char* name;
        QString text;
        QString tip;
    } directions[] = {
        { Direction::C2S, "directionC2S", tr("\u2192 c2s"), tr("Frames from the client to the server") },
        { Direction::S2C, "directionS2C", tr("\u2190 s2c"), tr("Frames from the server to the client") },
        { Direction::None, "directionNone", tr("other"),
            tr("Events that are not frames: handshakes, open, closed, errors, notes") },
    };
    for (const auto& d : directions) {
        auto* button = new QToolButton(this);
        setUpToggle(button, d.name, d.text, d.tip);
        button->setChecked(true);
        m_directionButtons[int(d.direction)] = button;
    }

    m_connectionButton->setObjectName(QStringLiteral("connectionButton"));
    m_connectionButton->setMenu(m_connectionMenu);
    m_connectionButton->setPopupMode(QToolButton::InstantPopup);
    m_connectionButton->setAutoRaise(true);
    m_connectionButton->setToolTip(tr("Connection to show"));
    m_connectionGroup->setExclusive(true);
    // Connections come and go with the capture; the list is made when it is looked at.
    connect(m_connectionMenu, &QMenu::aboutToShow, this, &FilterBar::fillConnectionMenu);

    m_count->setObjectName(QStringLiteral("matchCountLabel"));
    m_count->setToolTip(tr("Events shown of the events captured since the last clear"));
    m_count->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_count->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    // Room for big counts from the start, so that the text field does not shrink when the first one shows.
    m_count->setMinimumWidth(
        fontMetrics().horizontalAdvance(tr("%1 of %2").arg(QLocale().toString(9999999), QLocale().toString(99999999))));

    m_busy->setObjectName(QStringLiteral("filterBusy"));
    m_busy->setRange(0, 0); // indeterminate: the filter does not say how far it got
    m_busy->setTextVisible(false);
    m_busy->setMaximumWidth(fontMetrics().horizontalAdvance(QLatin1Char('x')) * 8);
    m_busy->setMaximumHeight(fontMetrics().height());
    m_busy->setToolTip(tr("Filtering\u2026"));
    m_busy->hide();

    m_error->setObjectName(QStringLiteral("filterErrorLabel"));
    m_error->setTextFormat(Qt::PlainText);
    m_error->setWordWrap(true);
    m_error->hide();

    auto* row = new QHBoxLayout;
    row->setContentsMargins(0, 0, 0, 0);
    row->setSpacing(2);
    row->addWidget(m_text, 1);
    row->addWidget(m_regex);
    row->addWidget(m_case);
    row->addSpacing(8);
    row->addWidget(m_kindButton);
    row->addSpacing(8);
    for (Direction d : { Direction::C2S, Direction::S2C, Direction::None })
        row->addWidget(m_directionButtons[int(d)]);
    row->addSpacing(8);
    row->addWidget(m_connectionButton);
    row->addStretch(0);
    row->addSpacing(8);
    row->addWidget(m_busy);
    row->addWidget(m_count);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addLayout(row);
    layout->addWidget(m_error);

    // Connected once every control exists: spec() reads them all.
    for (QToolButton* toggle : { m_regex, m_case, m_directionButtons[0], m_directionButtons[1], m_directionButtons[2] })
        connect(toggle, &QToolButton::toggled, this, &FilterBar::applyNow);

    updateKindButton();
    updateConnectionButton();
    updateCounts();
}

FilterBar::~FilterBar() = default;

void FilterBar::setViewModel(TimelineViewModel* model)
{
    for (const QMetaObject::Connection& c : std::as_const(m_modelConnections))
        disconnect(c);
    m_modelConnections.clear();
    m_model = model;
    if (model) {
        m_modelConnections << connect(model, &TimelineViewModel::filterStarted, this, [this] { m_busy->show(); });
        m_modelConnections << connect(model, &TimelineViewModel::filterFinished, this, [this] {
            m_busy->hide();
            updateCounts();
        });
        m_modelConnections << connect(model, &TimelineViewModel::filterError, this, &FilterBar::showError);
        m_modelConnections << connect(model, &TimelineViewModel::countsChanged, this, &FilterBar::updateCounts);
        m_modelConnections << connect(model, &QAbstractItemModel::modelReset, this, &FilterBar::updateCounts);
        m_busy->setVisible(model->isFilterRunning());
    }
    updateCounts();
}

quint32 FilterBar::kindsOf(KindGroup group)
{
    switch (group) {
    case TextGroup:
        return FilterSpec::kindBit(EventKind::Text);
    case BinaryGroup:
        return FilterSpec::kindBit(EventKind::Binary);
    case PingGroup:
        return FilterSpec::kindBit(EventKind::Ping);
    case PongGroup:
        return FilterSpec::kindBit(EventKind::Pong);
    case CloseGroup:
        return FilterSpec::kindBit(EventKind::Close);
    case HandshakeGroup:
        return FilterSpec::kindBit(EventKind::HandshakeRequest) | FilterSpec::kindBit(EventKind::HandshakeResponse);
    case OpenClosedGroup:
        return FilterSpec::kindBit(EventKind::Open) | FilterSpec::kindBit(EventKind::Closed);
    case ErrorNoteGroup:
        return FilterSpec::kindBit(EventKind::Error) | FilterSpec::kindBit(EventKind::Note);
    case KindGroupCount:
        break;
    }
    return 0;
}

FilterSpec FilterBar::spec() const
{
    FilterSpec spec;
    spec.text = m_text->text();
    spec.regex = m_regex->isChecked();
    spec.caseSensitive = m_case->isChecked();
    spec.kinds = 0;
    for (int i = 0; i < KindGroupCount; ++i) {
        if (m_kindActions[i]->isChecked())
            spec.kinds |= kindsOf(KindGroup(i));
    }
    spec.directions = 0;
    for (Direction d : { Direction::None, Direction::C2S, Direction::S2C }) {
        if (m_directionButtons[int(d)]->isChecked())
            spec.directions |= FilterSpec::directionBit(d);
    }
    if (m_connection != 0)
        spec.connections = { m_connection };
    return spec;
}

void FilterBar::setConnection(quint32 connection)
{
    m_connection = connection;
    updateConnectionButton();
    applyNow();
}

void FilterBar::focusText()
{
    m_text->setFocus(Qt::ShortcutFocusReason);
    m_text->selectAll();
}

void FilterBar::clearText()
{
    m_text->clear();
    applyNow();
}

void FilterBar::scheduleApply()
{
    // Restarted per keystroke: the filter runs once the user pauses, not for every letter of a word.
    m_typingTimer->start();
}

void FilterBar::applyNow()
{
    m_typingTimer->stop();
    // An error belongs to the expression that caused it; the model reports again if this one is bad too.
    clearError();
    if (m_model)
        m_model->setFilter(spec());
    updateCounts();
}

bool FilterBar::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_text && event->type() == QEvent::KeyPress) {
        const auto* key = static_cast<QKeyEvent*>(event);
        if (key->key() == Qt::Key_Escape && key->modifiers() == Qt::NoModifier) {
            if (m_text->text().isEmpty())
                Q_EMIT leaveRequested();
            else
                clearText();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

void FilterBar::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange && m_hasError)
        updateErrorStyle();
}

void FilterBar::showError(const QString& message, int offset)
{
    m_hasError = true;
    // The message is the model's whole sentence (TimelineViewModel::filterError), already translated;
    // only the place, which the model gives as a number, is put into words here.
    const QString text = offset >= 0 ? tr("%1 (at position %2)").arg(message).arg(offset + 1) : message;
    m_error->setText(text);
    m_error->show();
    m_text->setToolTip(text);
    m_text->setProperty("invalid", true);
    updateErrorStyle();
}

void FilterBar::clearError()
{
    if (!m_hasError)
        return;
    m_hasError = false;
    m_error->clear();
    m_error->hide();
    m_text->setToolTip(QString());
    m_text->setProperty("invalid", false);
    m_text->setStyleSheet(QString());
}

void FilterBar::updateErrorStyle()
{
    // Red from the palette, so that it reads on light and dark themes; the label sits on the window colour.
    QPalette onWindow = palette();
    onWindow.setColor(QPalette::Base, onWindow.color(QPalette::Window));
    QPalette labelPalette = m_error->palette();
    labelPalette.setColor(QPalette::WindowText, TimelineDelegate::accentColor(onWindow, RedHue));
    m_error->setPalette(labelPalette);
    const QColor frame = TimelineDelegate::accentColor(palette(), RedHue);
    m_text->setStyleSheet(
        QStringLiteral("QLineEdit { border: 2px solid %1; border-radius: 3px; padding: 1px; }").arg(frame.name()));
}

void FilterBar::updateCounts()
{
    if (!m_model) {
        m_count->clear();
        return;
    }
    const QLocale locale;
    const qsizetype total = m_model->totalCount();
    if (m_model->filter().isEmpty()) {
        // Without a filter the status bar already counts the events; say nothing rather than "N of N".
        m_count->setText(QString());
        return;
    }
    m_count->setText(tr("%1 of %2").arg(locale.toString(m_model->matchCount()), locale.toString(total)));
}

void FilterBar::updateKindButton()
{
    QStringList chosen;
    for (QAction* action : m_kindActions) {
        if (action->isChecked())
            chosen << action->text();
    }
    if (chosen.size() == KindGroupCount)
        m_kindButton->setText(tr("All kinds"));
    else if (chosen.isEmpty())
        m_kindButton->setText(tr("No kinds"));
    else if (chosen.size() <= 2)
        m_kindButton->setText(chosen.join(QStringLiteral(", ")));
    else
        m_kindButton->setText(tr("%1 of %2 kinds").arg(chosen.size()).arg(int(KindGroupCount)));
}

QString FilterBar::connectionLabel(quint32 connection) const
{
    if (connection == 0)
        return tr("All connections");
    const EventStore* store = m_model && m_model->timelineModel() ? m_model->timelineModel()->store() : nullptr;
    const Connection* c = store ? store->connection(connection) : nullptr;
    if (!c)
        return tr("#%1").arg(connection);
    return tr("#%1 %2 %3").arg(connection).arg(roleName(c->role), elideUrl(c->url));
}

void FilterBar::updateConnectionButton()
{
    const QString label = connectionLabel(m_connection);
    // The button stays compact; the menu shows the whole label.
    m_connectionButton->setText(m_connectionButton->fontMetrics().elidedText(
        label, Qt::ElideMiddle, m_connectionButton->fontMetrics().horizontalAdvance(QLatin1Char('x')) * 28));
    m_connectionButton->setToolTip(tr("Connection to show: %1").arg(label));
}

void FilterBar::fillConnectionMenu()
{
    // Deleting the actions also takes them out of the group.
    m_connectionMenu->clear();
    auto add = [&](quint32 id) {
        QAction* action = m_connectionMenu->addAction(connectionLabel(id));
        action->setObjectName(QStringLiteral("connectionAction_%1").arg(id));
        action->setCheckable(true);
        action->setChecked(id == m_connection);
        action->setActionGroup(m_connectionGroup);
        connect(action, &QAction::triggered, this, [this, id] { setConnection(id); });
    };
    add(0);
    m_connectionMenu->addSeparator();
    const EventStore* store = m_model && m_model->timelineModel() ? m_model->timelineModel()->store() : nullptr;
    if (!store)
        return;
    QList<Connection> connections = store->connections();
    std::sort(
        connections.begin(), connections.end(), [](const Connection& a, const Connection& b) { return a.id < b.id; });
    for (const Connection& c : std::as_const(connections))
        add(c.id);
}

} // namespace wsi
