#include "composerpane.h"

#include "core/jsonformat.h"
#include "timelinedelegate.h"
#include "wire/utf8.h"

#include <QAction>
#include <QComboBox>
#include <QCoreApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QKeyEvent>
#include <QKeySequence>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextLayout>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace wsi {

namespace {
constexpr int TargetIdRole = Qt::UserRole;
constexpr int TargetKindRole = Qt::UserRole + 1;
// Hues of TimelineDelegate's accents: red for what blocks sending.
constexpr int ProblemHue = 0;

// The key that sends, as the Send action has it (its first shortcut).
QString sendKeyText(const QAction* send)
{
    return send->shortcut().toString(QKeySequence::NativeText);
}

bool atFirstLine(const QPlainTextEdit* edit)
{
    const QTextCursor cursor = edit->textCursor();
    if (cursor.block() != edit->document()->firstBlock())
        return false;
    const QTextLayout* layout = cursor.block().layout();
    if (!layout || layout->lineCount() == 0)
        return true;
    const QTextLine line = layout->lineForTextPosition(cursor.positionInBlock());
    return !line.isValid() || line.lineNumber() == 0;
}

bool atLastLine(const QPlainTextEdit* edit)
{
    const QTextCursor cursor = edit->textCursor();
    if (cursor.block() != edit->document()->lastBlock())
        return false;
    const QTextLayout* layout = cursor.block().layout();
    if (!layout || layout->lineCount() == 0)
        return true;
    const QTextLine line = layout->lineForTextPosition(cursor.positionInBlock());
    return !line.isValid() || line.lineNumber() == layout->lineCount() - 1;
}

// Menus take & as a mnemonic marker.
QString menuText(QString text)
{
    return text.replace(QLatin1Char('&'), QLatin1String("&&"));
}

// The first line of a message, short enough for a tooltip or a menu.
QString summary(const QString& text)
{
    QString line = text.left(200).section(QLatin1Char('\n'), 0, 0);
    if (line.size() < text.size())
        line += QChar(0x2026);
    return line;
}

QString hexText(const QByteArray& bytes)
{
    QStringList lines;
    lines.reserve(bytes.size() / 16 + 1);
    for (qsizetype i = 0; i < bytes.size(); i += 16)
        lines << QString::fromLatin1(bytes.mid(i, 16).toHex(' '));
    return lines.join(QLatin1Char('\n'));
}
} // namespace

ComposerPane::ComposerPane(QWidget* parent, const QString& libraryPath)
    : QWidget(parent)
    , m_library(libraryPath)
{
    setObjectName(QStringLiteral("composerPane"));
    // Names the pane where its keys work, in the shortcuts dialog too.
    setAccessibleName(tr("Composer"));
    m_libraryError = m_library.load();

    m_edit = new QPlainTextEdit(this);
    m_edit->setObjectName(QStringLiteral("composerEdit"));
    m_edit->setAccessibleName(tr("Message"));
    m_edit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_edit->setTabChangesFocus(false);
    // The history keys must reach us before the editor moves the cursor.
    m_edit->installEventFilter(this);

    m_stack = new QStackedWidget(this);
    m_stack->addWidget(m_edit);
    m_stack->addWidget(createFilePage());

    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("composerMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->setVisible(false);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addWidget(createToolRow());
    layout->addWidget(m_stack, 1);
    layout->addWidget(m_message);
    layout->addWidget(createSendRows());

    m_validateTimer = new QTimer(this);
    m_validateTimer->setSingleShot(true);
    m_validateTimer->setInterval(ValidationDelayMs);
    connect(m_validateTimer, &QTimer::timeout, this, &ComposerPane::validateNow);
    connect(m_edit, &QPlainTextEdit::textChanged, m_validateTimer, qOverload<>(&QTimer::start));

    m_repeatTimer = new QTimer(this);
    m_repeatTimer->setObjectName(QStringLiteral("repeatTimer"));
    connect(m_repeatTimer, &QTimer::timeout, this, &ComposerPane::onRepeatTimer);

    // A send changes the history; the file is written once the sending pauses, not at every message.
    m_saveTimer = new QTimer(this);
    m_saveTimer->setObjectName(QStringLiteral("librarySaveTimer"));
    m_saveTimer->setSingleShot(true);
    m_saveTimer->setInterval(HistorySaveDelayMs);
    connect(m_saveTimer, &QTimer::timeout, this, &ComposerPane::saveHistory);
    // The window may not be destroyed before the process ends (e.g. quit from a signal handler).
    connect(QCoreApplication::instance(), &QCoreApplication::aboutToQuit, this, &ComposerPane::flushLibrary);

    // Actions rather than a key handler in the editor: they work wherever the focus is in the pane (the target,
    // the repeat count, the file page), and the shortcuts dialog lists them from their real keys.
    m_sendAction = new QAction(tr("Send Message"), this);
    m_sendAction->setObjectName(QStringLiteral("sendMessageAction"));
    // Return on the main keyboard, Enter on the keypad.
    m_sendAction->setShortcuts({ QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter) });
    m_sendAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    // Enabled even without a target: send() then says why nothing went out, instead of the key doing nothing.
    connect(m_sendAction, &QAction::triggered, this, &ComposerPane::send);
    addAction(m_sendAction);
    m_stopAction = new QAction(tr("Stop Sending"), this);
    m_stopAction->setObjectName(QStringLiteral("stopSendingAction"));
    m_stopAction->setShortcut(QKeySequence(Qt::Key_Escape));
    m_stopAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    m_stopAction->setEnabled(false);
    connect(m_stopAction, &QAction::triggered, this, &ComposerPane::stop);
    addAction(m_stopAction);

    m_clearAfterSendAction->setChecked(m_library.clearAfterSend());
    updateModeUi();
    updateSendState();
    if (!m_libraryError.isEmpty())
        showProblem(m_libraryError);
}

ComposerPane::~ComposerPane()
{
    flushLibrary();
}

QWidget* ComposerPane::createToolRow()
{
    auto* row = new QWidget(this);
    m_mode = new QComboBox(row);
    m_mode->setObjectName(QStringLiteral("modeCombo"));
    m_mode->setAccessibleName(tr("Message kind"));
    m_mode->setToolTip(tr("What the message is and how it is sent"));
    const struct
    {
        ComposerMode mode;
        QString name;
        QString tip;
    } modes[] = {
        { ComposerMode::Text, tr("Text"), tr("A text frame; {{variables}} are filled in at each send") },
        { ComposerMode::Json, tr("JSON"),
            tr("A text frame, checked as JSON; {{variables}} are filled in at each send") },
        { ComposerMode::Hex, tr("Hex"), tr("A binary frame of hex bytes: 00 ff 10, 0x00, 0xff, \u2026") },
        { ComposerMode::Base64, tr("Base64"), tr("A binary frame of base64 data") },
        { ComposerMode::File, tr("File"), tr("A binary frame with a file's bytes, read when it is sent") },
    };
    for (const auto& m : modes) {
        m_mode->addItem(m.name, int(m.mode));
        m_mode->setItemData(m_mode->count() - 1, m.tip, Qt::ToolTipRole);
    }
    connect(m_mode, &QComboBox::currentIndexChanged, this, [this] {
        updateModeUi();
        validateNow();
    });

    m_format = new QPushButton(tr("Fo&rmat"), row);
    m_format->setObjectName(QStringLiteral("formatButton"));
    m_format->setToolTip(tr("Pretty-print the JSON (placeholders stay as they are)"));
    connect(m_format, &QPushButton::clicked, this, &ComposerPane::formatJson);

    m_variables = new QToolButton(row);
    m_variables->setObjectName(QStringLiteral("variablesButton"));
    m_variables->setText(tr("V&ariables"));
    m_variables->setToolTip(tr("Insert a variable, filled in at each send"));
    m_variables->setPopupMode(QToolButton::InstantPopup);
    m_variablesMenu = new QMenu(m_variables);
    m_variables->setMenu(m_variablesMenu);
    buildVariablesMenu();

    m_templates = new QToolButton(row);
    m_templates->setObjectName(QStringLiteral("templatesButton"));
    m_templates->setText(tr("Te&mplates"));
    m_templates->setToolTip(tr("Save the message as a template, or insert, rename and delete templates"));
    m_templates->setPopupMode(QToolButton::InstantPopup);
    m_templatesMenu = new QMenu(m_templates);
    m_templates->setMenu(m_templatesMenu);
    connect(m_templatesMenu, &QMenu::aboutToShow, this, &ComposerPane::buildTemplatesMenu);

    m_more = new QToolButton(row);
    m_more->setObjectName(QStringLiteral("composerMoreButton"));
    m_more->setText(QStringLiteral("\u22ef"));
    m_more->setAccessibleName(tr("More composer options"));
    m_more->setToolTip(tr("History and options"));
    m_more->setPopupMode(QToolButton::InstantPopup);
    m_more->setMenu(new QMenu(m_more));
    buildMoreMenu();

    auto* layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_mode);
    layout->addWidget(m_format);
    layout->addWidget(m_variables);
    layout->addWidget(m_templates);
    layout->addStretch(1);
    layout->addWidget(m_more);
    return row;
}

QWidget* ComposerPane::createFilePage()
{
    auto* page = new QWidget(this);
    m_chooseFile = new QPushButton(tr("Choose Fi&le\u2026"), page);
    m_chooseFile->setObjectName(QStringLiteral("chooseFileButton"));
    m_chooseFile->setToolTip(tr("The file whose bytes are sent as one binary message (up to %1)")
                                 .arg(QLocale().formattedDataSize(MaxFileBytes)));
    m_fileInfo = new QLabel(page);
    m_fileInfo->setObjectName(QStringLiteral("fileInfoLabel"));
    m_fileInfo->setWordWrap(true);
    m_fileInfo->setTextInteractionFlags(Qt::TextSelectableByMouse);
    connect(m_chooseFile, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Choose the File to Send"),
            m_filePath.isEmpty() ? QDir::homePath() : QFileInfo(m_filePath).path());
        if (!path.isEmpty())
            setFilePath(path);
    });

    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);
    auto* row = new QHBoxLayout;
    row->addWidget(m_chooseFile);
    row->addStretch(1);
    layout->addLayout(row);
    layout->addWidget(m_fileInfo);
    layout->addStretch(1);
    return page;
}

QWidget* ComposerPane::createSendRows()
{
    auto* rows = new QWidget(this);

    m_repeat = new QSpinBox(rows);
    m_repeat->setObjectName(QStringLiteral("repeatSpin"));
    m_repeat->setRange(1, MaxRepeat);
    m_repeat->setGroupSeparatorShown(true);
    m_repeat->setSuffix(tr(" \u00d7"));
    m_repeat->setAccessibleName(tr("Times to send"));
    m_repeat->setToolTip(tr("How many times to send the message; variables are filled in anew each time"));
    auto* repeatLabel = new QLabel(tr("Re&peat"), rows);
    repeatLabel->setBuddy(m_repeat);

    m_interval = new QSpinBox(rows);
    m_interval->setObjectName(QStringLiteral("intervalSpin"));
    m_interval->setRange(0, MaxIntervalMs);
    m_interval->setGroupSeparatorShown(true);
    m_interval->setSuffix(tr(" ms"));
    m_interval->setAccessibleName(tr("Interval between sends in milliseconds"));
    m_interval->setToolTip(tr("Time between two sends; 0 sends as fast as the window allows"));
    auto* intervalLabel = new QLabel(tr("ever&y"), rows);
    intervalLabel->setBuddy(m_interval);
    connect(m_repeat, &QSpinBox::valueChanged, this, &ComposerPane::updateSendState);

    m_progress = new QLabel(rows);
    m_progress->setObjectName(QStringLiteral("progressLabel"));

    m_stop = new QPushButton(tr("Stop"), rows);
    m_stop->setObjectName(QStringLiteral("stopButton"));
    m_stop->setToolTip(tr("Stop sending (Esc)"));
    connect(m_stop, &QPushButton::clicked, this, &ComposerPane::stop);

    m_target = new QComboBox(rows);
    m_target->setObjectName(QStringLiteral("targetCombo"));
    m_target->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_target->setMinimumContentsLength(20);
    m_target->setPlaceholderText(tr("No open connection"));
    m_target->setToolTip(tr("The connection (or all connections of a kind) that messages are sent on"));
    // What the user picks stays the target while new connections come and go.
    connect(m_target, &QComboBox::activated, this, [this](int index) {
        m_preferred = targetAt(m_target, index);
        m_preferredWaiting = false;
        m_userChose = true;
        updateSendState();
    });
    auto* toLabel = new QLabel(tr("&To:"), rows);
    toLabel->setBuddy(m_target);

    m_send = new QPushButton(tr("&Send"), rows);
    m_send->setObjectName(QStringLiteral("sendButton"));
    m_send->setDefault(false);
    connect(m_send, &QPushButton::clicked, this, &ComposerPane::send);

    auto* repeatRow = new QHBoxLayout;
    repeatRow->addWidget(repeatLabel);
    repeatRow->addWidget(m_repeat);
    repeatRow->addWidget(intervalLabel);
    repeatRow->addWidget(m_interval);
    repeatRow->addWidget(m_progress, 1);
    repeatRow->addWidget(m_stop);

    auto* toRow = new QHBoxLayout;
    toRow->addWidget(toLabel);
    toRow->addWidget(m_target, 1);
    toRow->addWidget(m_send);

    auto* layout = new QVBoxLayout(rows);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addLayout(repeatRow);
    layout->addLayout(toRow);
    return rows;
}

void ComposerPane::buildVariablesMenu()
{
    const struct
    {
        QString placeholder;
        QString meaning;
    } variables[] = {
        { QStringLiteral("{{counter}}"), tr("1, 2, 3, \u2026 one more at each send") },
        { QStringLiteral("{{timestamp}}"), tr("milliseconds since 1970") },
        { QStringLiteral("{{isotime}}"), tr("the UTC time, ISO 8601") },
        { QStringLiteral("{{uuid}}"), tr("a random UUID") },
        { QStringLiteral("{{random 1 100}}"), tr("a random integer from 1 to 100") },
        { QStringLiteral("{{isotime | json}}"), tr("the time as a quoted JSON string") },
        { QStringLiteral("{{uuid | json}}"), tr("a UUID as a quoted JSON string") },
    };
    for (const auto& v : variables) {
        QAction* action = m_variablesMenu->addAction(menuText(v.placeholder + QLatin1String("  \u2014  ") + v.meaning));
        connect(
            action, &QAction::triggered, this, [this, placeholder = v.placeholder] { insertVariable(placeholder); });
    }
    m_variablesMenu->addSeparator();
    QAction* reset = m_variablesMenu->addAction(tr("&Reset Counter"));
    reset->setObjectName(QStringLiteral("resetCounterAction"));
    reset->setToolTip(tr("The next {{counter}} is 1"));
    connect(reset, &QAction::triggered, this, [this] {
        m_generators.resetCounter();
        showInfo(tr("The next {{counter}} is 1."));
    });
    QAction* hint = m_variablesMenu->addAction(tr("Write \\{{ for braces that are no variable"));
    hint->setEnabled(false);
}

void ComposerPane::buildTemplatesMenu()
{
    m_templatesMenu->clear();
    QAction* save = m_templatesMenu->addAction(tr("&Save as Template\u2026"));
    save->setObjectName(QStringLiteral("saveTemplateAction"));
    connect(save, &QAction::triggered, this, &ComposerPane::askTemplateName);
    QAction* manage = m_templatesMenu->addAction(tr("&Manage Templates\u2026"));
    manage->setObjectName(QStringLiteral("manageTemplatesAction"));
    manage->setEnabled(!m_library.templates().isEmpty());
    connect(manage, &QAction::triggered, this, &ComposerPane::manageTemplates);
    if (m_library.templates().isEmpty())
        return;
    m_templatesMenu->addSection(tr("Insert"));
    for (const ComposerLibrary::Template& t : m_library.templates()) {
        QAction* action = m_templatesMenu->addAction(menuText(t.name));
        action->setToolTip(
            tr("%1: %2").arg(m_mode->itemText(m_mode->findData(int(t.message.mode))), summary(t.message.text)));
        connect(action, &QAction::triggered, this, [this, name = t.name] { loadTemplate(name); });
    }
    m_templatesMenu->setToolTipsVisible(true);
}

void ComposerPane::buildMoreMenu()
{
    QMenu* menu = m_more->menu();
    m_clearAfterSendAction = menu->addAction(tr("&Clear after Send"));
    m_clearAfterSendAction->setObjectName(QStringLiteral("clearAfterSendAction"));
    m_clearAfterSendAction->setCheckable(true);
    connect(m_clearAfterSendAction, &QAction::toggled, this, &ComposerPane::setClearAfterSend);
    menu->addSeparator();
    // The keys work in the editor; here they are for reading (and act while the menu is open).
    QAction* previous = menu->addAction(tr("&Previous Message"), this, &ComposerPane::recallPrevious);
    previous->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Up));
    previous->setShortcutContext(Qt::WidgetShortcut);
    QAction* next = menu->addAction(tr("&Next Message"), this, &ComposerPane::recallNext);
    next->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Down));
    next->setShortcutContext(Qt::WidgetShortcut);
    QAction* clear = menu->addAction(tr("Clear &History"), this, [this] {
        m_library.clearHistory();
        m_historyIndex = -1;
        m_historyEdits.clear();
        saveLibrary();
    });
    clear->setObjectName(QStringLiteral("clearHistoryAction"));
    connect(menu, &QMenu::aboutToShow, this, [this, previous, next, clear] {
        previous->setEnabled(!m_library.history().isEmpty() && m_historyIndex != 0);
        next->setEnabled(m_historyIndex >= 0);
        clear->setEnabled(!m_library.history().isEmpty());
    });
}

// --- targets ---------------------------------------------------------------------------------------------

void ComposerPane::addTarget(quint32 connection, const QString& label, ConnectionRole role)
{
    if (const auto it = m_targetInfo.find(connection); it != m_targetInfo.end()) {
        // Known: a new label (the peer arrives after the Open state), changed in place.
        if (it->role == role) {
            it->label = label;
            m_target->setItemText(targetRow(connection), targetLabel(connection));
            return;
        }
        removeTarget(connection);
    }
    const Target before = target();
    m_targetInfo.insert(connection, TargetInfo { label, role });
    const int rank = roleRank(connection);
    {
        const QSignalBlocker blocker(m_target);
        if (role == ConnectionRole::Client) {
            m_target->insertItem(rank, targetLabel(connection));
            setTargetData(rank, Target::Kind::Connection, connection);
            ++m_clientCount;
            updateAllRow(ConnectionRole::Client, m_clientCount - 1);
            if (m_clientCount == 1 && m_serverCount > 0)
                m_target->insertSeparator(1);
        } else {
            const bool separate = m_serverCount == 0 && m_clientCount > 0;
            ++m_serverCount;
            if (separate)
                m_target->insertSeparator(serverStart() - 1);
            const int row = serverStart() + rank;
            m_target->insertItem(row, targetLabel(connection));
            setTargetData(row, Target::Kind::Connection, connection);
            updateAllRow(ConnectionRole::Server, m_serverCount - 1);
        }
    }
    const Target added { Target::Kind::Connection, connection };
    if (m_preferred == added) {
        // The connection the user opened, or the next attempt of the one they were writing to.
        m_preferredWaiting = false;
        setCurrentTarget(added);
    } else if (before.kind == Target::Kind::None) {
        chooseTarget(added);
    } else if (role == ConnectionRole::Client && !(m_userChose && before == m_preferred)
        && before.kind == Target::Kind::Connection
        && m_targetInfo.value(before.connection).role == ConnectionRole::Server) {
        // Nobody chose the test server's side: a client connection of ours is the likelier target.
        chooseTarget(added);
    } else {
        setCurrentTarget(before);
    }
}

void ComposerPane::removeTarget(quint32 connection)
{
    if (!m_targetInfo.contains(connection))
        return;
    const Target before = target();
    const int row = targetRow(connection);
    const ConnectionRole role = m_targetInfo.value(connection).role;
    m_targetInfo.remove(connection);
    {
        const QSignalBlocker blocker(m_target);
        m_target->removeItem(row);
        if (role == ConnectionRole::Client) {
            --m_clientCount;
            updateAllRow(ConnectionRole::Client, m_clientCount + 1);
            if (m_clientCount == 0 && m_serverCount > 0)
                m_target->removeItem(0); // the separator
        } else {
            --m_serverCount;
            updateAllRow(ConnectionRole::Server, m_serverCount + 1);
            if (m_serverCount == 0 && m_clientCount > 0)
                m_target->removeItem(serverStart()); // the separator
        }
    }
    if (targetIndex(before) >= 0) {
        setCurrentTarget(before);
    } else if (targetIndex(m_preferred) >= 0) {
        setCurrentTarget(m_preferred);
    } else {
        // The newest client connection, else the newest test server client.
        quint32 newest[2] = { 0, 0 }; // client, server
        for (auto it = m_targetInfo.cbegin(); it != m_targetInfo.cend(); ++it)
            newest[it->role == ConnectionRole::Client ? 0 : 1] = it.key();
        const quint32 fallback = newest[0] != 0 ? newest[0] : newest[1];
        setCurrentTarget(fallback != 0 ? Target { Target::Kind::Connection, fallback } : Target {});
    }
    if (m_run && resolveTarget(m_run->target).isEmpty()) {
        finishRun(m_run->target.kind == Target::Kind::Connection
                ? tr("Stopped: #%1 closed after %2 of %3 messages.")
                      .arg(connection)
                      .arg(QLocale().toString(m_sentCount), QLocale().toString(m_run->total))
                : tr("Stopped: the last connection closed after %1 of %2 messages.")
                      .arg(QLocale().toString(m_sentCount), QLocale().toString(m_run->total)));
    }
}

void ComposerPane::followReconnect(quint32 previous, quint32 next)
{
    if (m_preferred != Target { Target::Kind::Connection, previous })
        return;
    m_preferred = Target { Target::Kind::Connection, next };
    m_preferredWaiting = true;
    if (m_targetInfo.contains(next)) { // it opened before we heard of it
        m_preferredWaiting = false;
        setCurrentTarget(m_preferred);
    }
}

QList<quint32> ComposerPane::targets() const
{
    return m_targetInfo.keys();
}

ComposerPane::Target ComposerPane::targetAt(const QComboBox* combo, int index)
{
    if (index < 0 || index >= combo->count())
        return {};
    return Target { Target::Kind(combo->itemData(index, TargetKindRole).toInt()),
        combo->itemData(index, TargetIdRole).toUInt() };
}

ComposerPane::Target ComposerPane::target() const
{
    return targetAt(m_target, m_target->currentIndex());
}

quint32 ComposerPane::currentTarget() const
{
    const Target t = target();
    return t.kind == Target::Kind::Connection ? t.connection : 0;
}

int ComposerPane::serverStart() const
{
    return m_clientCount + (m_clientCount > 1 ? 1 : 0) + (m_clientCount > 0 && m_serverCount > 0 ? 1 : 0);
}

int ComposerPane::roleRank(quint32 connection) const
{
    const ConnectionRole role = m_targetInfo.value(connection).role;
    int rank = 0;
    for (auto it = m_targetInfo.cbegin(); it != m_targetInfo.cend() && it.key() < connection; ++it) {
        if (it->role == role)
            ++rank;
    }
    return rank;
}

int ComposerPane::targetRow(quint32 connection) const
{
    const int rank = roleRank(connection);
    return m_targetInfo.value(connection).role == ConnectionRole::Client ? rank : serverStart() + rank;
}

int ComposerPane::targetIndex(const Target& target) const
{
    switch (target.kind) {
    case Target::Kind::None:
        break;
    case Target::Kind::Connection:
        if (m_targetInfo.contains(target.connection))
            return targetRow(target.connection);
        break;
    case Target::Kind::AllClients:
        if (m_clientCount > 1)
            return m_clientCount;
        break;
    case Target::Kind::AllServerClients:
        if (m_serverCount > 1)
            return serverStart() + m_serverCount;
        break;
    }
    return -1;
}

QString ComposerPane::targetLabel(quint32 connection) const
{
    const TargetInfo info = m_targetInfo.value(connection);
    if (info.role == ConnectionRole::Client)
        return QLatin1Char('#') + QString::number(connection) + QLatin1Char(' ') + info.label;
    return info.label.isEmpty() ? tr("#%1 test server client").arg(connection)
                                : tr("#%1 test server client %2").arg(connection).arg(info.label);
}

void ComposerPane::setTargetData(int row, Target::Kind kind, quint32 connection)
{
    m_target->setItemData(row, connection, TargetIdRole);
    m_target->setItemData(row, int(kind), TargetKindRole);
}

void ComposerPane::updateAllRow(ConnectionRole role, int countBefore)
{
    // "All" is worth a line only when it means more than one; the counts are already the new ones.
    const bool clients = role == ConnectionRole::Client;
    const int count = clients ? m_clientCount : m_serverCount;
    const int row = clients ? m_clientCount : serverStart() + m_serverCount;
    const QString text
        = clients ? tr("All %1 client connections").arg(count) : tr("All %1 test server clients").arg(count);
    if (count > 1 && countBefore > 1) {
        m_target->setItemText(row, text);
    } else if (count > 1) {
        m_target->insertItem(row, text);
        setTargetData(row, clients ? Target::Kind::AllClients : Target::Kind::AllServerClients, 0);
    } else if (countBefore > 1) {
        m_target->removeItem(row);
    }
}

void ComposerPane::setCurrentTarget(const Target& target)
{
    const QSignalBlocker blocker(m_target);
    m_target->setCurrentIndex(targetIndex(target));
    updateSendState();
}

void ComposerPane::chooseTarget(const Target& target)
{
    setCurrentTarget(target);
    // Followed through reconnects like the user's choice, unless the user's choice is still open or coming back.
    if (!m_preferredWaiting && (!m_userChose || targetIndex(m_preferred) < 0)) {
        m_preferred = target;
        m_userChose = false;
    }
}

bool ComposerPane::selectTarget(quint32 connection)
{
    const Target t { Target::Kind::Connection, connection };
    const int i = targetIndex(t);
    if (i >= 0 && !m_run) {
        m_preferred = t;
        m_preferredWaiting = false;
        m_userChose = true;
        setCurrentTarget(t);
    }
    return i >= 0;
}

bool ComposerPane::selectAllTargets(ConnectionRole role)
{
    const Target t { role == ConnectionRole::Server ? Target::Kind::AllServerClients : Target::Kind::AllClients, 0 };
    const int i = targetIndex(t);
    if (i >= 0 && !m_run) {
        m_preferred = t;
        m_preferredWaiting = false;
        m_userChose = true;
        setCurrentTarget(t);
    }
    return i >= 0;
}

QList<quint32> ComposerPane::resolveTarget(const Target& target) const
{
    QList<quint32> ids;
    switch (target.kind) {
    case Target::Kind::None:
        break;
    case Target::Kind::Connection:
        if (m_targetInfo.contains(target.connection))
            ids << target.connection;
        break;
    case Target::Kind::AllClients:
    case Target::Kind::AllServerClients: {
        const ConnectionRole role
            = target.kind == Target::Kind::AllClients ? ConnectionRole::Client : ConnectionRole::Server;
        for (auto it = m_targetInfo.cbegin(); it != m_targetInfo.cend(); ++it) {
            if (it->role == role)
                ids << it.key();
        }
        break;
    }
    }
    return ids;
}

// --- the message ---------------------------------------------------------------------------------------

ComposerMode ComposerPane::mode() const
{
    return ComposerMode(m_mode->currentData().toInt());
}

void ComposerPane::setMode(ComposerMode mode)
{
    m_mode->setCurrentIndex(m_mode->findData(int(mode)));
}

QString ComposerPane::text() const
{
    return m_edit->toPlainText();
}

void ComposerPane::setText(const QString& text)
{
    m_edit->setPlainText(text);
}

void ComposerPane::setFilePath(const QString& path)
{
    m_filePath = path;
    updateFileInfo();
    if (mode() == ComposerMode::File)
        validateNow();
}

ComposerMessage ComposerPane::message() const
{
    const ComposerMode m = mode();
    return ComposerMessage { m, m == ComposerMode::File ? m_filePath : m_edit->toPlainText() };
}

void ComposerPane::setMessage(const ComposerMessage& message)
{
    if (message.mode == ComposerMode::File) {
        m_filePath = message.text;
        updateFileInfo();
    } else {
        m_edit->setPlainText(message.text);
    }
    if (mode() != message.mode)
        setMode(message.mode); // validates
    else
        validateNow();
}

bool ComposerPane::setPayload(const QByteArray& payload, bool binary)
{
    if (!binary && isValidUtf8(payload)) {
        const bool json = mode() == ComposerMode::Json && JsonFormatter::validate(payload).isValid();
        setMessage(ComposerMessage {
            json ? ComposerMode::Json : ComposerMode::Text, MessageTemplate::escape(QString::fromUtf8(payload)) });
        return true;
    }
    if (payload.size() > MaxPayloadHexBytes)
        return false;
    setMessage(ComposerMessage { ComposerMode::Hex, hexText(payload) });
    return true;
}

void ComposerPane::updateModeUi()
{
    const ComposerMode m = mode();
    m_stack->setCurrentIndex(m == ComposerMode::File ? 1 : 0);
    m_format->setVisible(m == ComposerMode::Json);
    m_variables->setEnabled(ComposerMessage::isTemplate(m));
    const QString key = sendKeyText(m_sendAction);
    switch (m) {
    case ComposerMode::Text:
        m_edit->setPlaceholderText(tr("Message text; {{counter}} and other variables are filled in at each send. "
                                      "%1 sends, Up and Down recall sent messages.")
                                       .arg(key));
        break;
    case ComposerMode::Json:
        m_edit->setPlaceholderText(tr("JSON, checked as you type; variables such as {{counter}} are filled in at "
                                      "each send. %1 sends.")
                                       .arg(key));
        break;
    case ComposerMode::Hex:
        m_edit->setPlaceholderText(
            tr("Hex bytes, as 00 ff 10 or 0x00, 0xff, 0x10. %1 sends a binary message.").arg(key));
        break;
    case ComposerMode::Base64:
        m_edit->setPlaceholderText(tr("Base64, as AP8Q. %1 sends a binary message.").arg(key));
        break;
    case ComposerMode::File:
        break;
    }
    if (m == ComposerMode::File)
        updateFileInfo();
}

void ComposerPane::updateFileInfo()
{
    if (m_filePath.isEmpty()) {
        m_fileInfo->setText(tr("No file chosen. Its bytes are read when the message is sent, up to %1.")
                                .arg(QLocale().formattedDataSize(MaxFileBytes)));
        return;
    }
    const QFileInfo info(m_filePath);
    const QString name = info.fileName().toHtmlEscaped();
    const QString where = QDir::toNativeSeparators(info.absolutePath()).toHtmlEscaped();
    if (!info.exists()) {
        m_fileInfo->setText(tr("<b>%1</b> in %2 (not found)").arg(name, where));
        return;
    }
    const QLocale locale;
    m_fileInfo->setText(tr("<b>%1</b> \u2014 %2 (%3 bytes)<br>in %4")
                            .arg(name, locale.formattedDataSize(info.size()), locale.toString(info.size()), where));
}

bool ComposerPane::checkJson(const MessageTemplate& compiled, QString* problem) const
{
    TemplateGenerators scratch; // checking must not count as a send
    const QByteArray rendered = compiled.render({}, scratch);
    const JsonFormatter::Result result = JsonFormatter::validate(rendered);
    if (result.isValid())
        return true;
    const QString renderedText = QString::fromUtf8(rendered);
    const qsizetype offset = QString::fromUtf8(rendered.left(result.errorOffset)).size();
    const QString where = ComposerMessage::position(renderedText, offset);
    if (rendered == m_edit->toPlainText().toUtf8()) {
        *problem = tr("Not valid JSON at %1: %2.").arg(where, result.errorMessage);
    } else {
        *problem = tr("Not valid JSON once the variables are filled in, at %1 of the message sent: %2. A variable "
                      "that gives text needs quotes or | json.")
                       .arg(where, result.errorMessage);
    }
    return false;
}

bool ComposerPane::prepare(
    std::optional<MessageTemplate>* compiled, QByteArray* bytes, bool readFile, QString* problem) const
{
    const QString text = m_edit->toPlainText();
    QString error;
    switch (mode()) {
    case ComposerMode::Text:
    case ComposerMode::Json: {
        std::optional<MessageTemplate> t = MessageTemplate::compile(text, &error);
        if (!t) {
            *problem = tr("Not sent: %1. Write \\{{ for braces that are no variable.").arg(error);
            return false;
        }
        if (mode() == ComposerMode::Json && !checkJson(*t, problem))
            return false;
        *compiled = std::move(t);
        return true;
    }
    case ComposerMode::Hex:
        if (std::optional<QByteArray> decoded = ComposerMessage::decodeHex(text, &error)) {
            *bytes = std::move(*decoded);
            return true;
        }
        *problem = tr("Not hex: %1.").arg(error);
        return false;
    case ComposerMode::Base64:
        if (std::optional<QByteArray> decoded = ComposerMessage::decodeBase64(text, &error)) {
            *bytes = std::move(*decoded);
            return true;
        }
        *problem = tr("Not base64: %1.").arg(error);
        return false;
    case ComposerMode::File: {
        if (m_filePath.isEmpty()) {
            *problem = tr("Choose the file to send.");
            return false;
        }
        const QLocale locale;
        const QString name = QFileInfo(m_filePath).fileName();
        const auto tooLarge = [&](qint64 size) {
            return tr("%1 is %2; the composer sends files of up to %3.")
                .arg(name, locale.formattedDataSize(size), locale.formattedDataSize(MaxFileBytes));
        };
        if (!readFile) {
            const QFileInfo info(m_filePath);
            if (!info.exists() || !info.isFile()) {
                *problem = tr("%1 is not there (any more).").arg(QDir::toNativeSeparators(m_filePath));
                return false;
            }
            if (info.size() > MaxFileBytes) {
                *problem = tooLarge(info.size());
                return false;
            }
            return true;
        }
        QFile file(m_filePath);
        if (!file.open(QIODevice::ReadOnly)) {
            *problem = tr("Not sent: %1 could not be opened (%2).")
                           .arg(QDir::toNativeSeparators(m_filePath), file.errorString());
            return false;
        }
        // The size is checked on what is read: the file may have grown since it was chosen.
        QByteArray data = file.read(MaxFileBytes + 1);
        if (file.error() != QFileDevice::NoError) {
            *problem = tr("Not sent: %1 could not be read (%2).")
                           .arg(QDir::toNativeSeparators(m_filePath), file.errorString());
            return false;
        }
        if (data.size() > MaxFileBytes) {
            *problem = tooLarge(file.size());
            return false;
        }
        *bytes = std::move(data);
        return true;
    }
    }
    return false;
}

void ComposerPane::validateNow()
{
    m_validateTimer->stop();
    // An empty editor is no mistake yet.
    if (mode() != ComposerMode::File && m_edit->document()->isEmpty()) {
        showInfo(QString());
        return;
    }
    std::optional<MessageTemplate> compiled;
    QByteArray bytes;
    QString problem;
    if (prepare(&compiled, &bytes, false, &problem))
        showInfo(QString());
    else
        showProblem(problem);
}

void ComposerPane::showProblem(const QString& problem)
{
    m_messageIsProblem = true;
    m_message->setText(problem);
    m_message->setVisible(true);
    updateMessageLabelColour();
}

void ComposerPane::showInfo(const QString& info)
{
    m_messageIsProblem = false;
    m_message->setText(info);
    m_message->setVisible(!info.isEmpty());
    updateMessageLabelColour();
}

QString ComposerPane::errorText() const
{
    return m_messageIsProblem ? m_message->text() : QString();
}

void ComposerPane::updateMessageLabelColour()
{
    QPalette p = palette();
    if (m_messageIsProblem)
        p.setColor(QPalette::WindowText, TimelineDelegate::accentColor(p, ProblemHue));
    m_message->setPalette(p);
}

void ComposerPane::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::PaletteChange)
        updateMessageLabelColour();
    QWidget::changeEvent(event);
}

void ComposerPane::formatJson()
{
    if (mode() != ComposerMode::Json)
        return;
    const QString text = m_edit->toPlainText();
    // Placeholders are not JSON: each becomes a number that cannot occur in the text, which pretty-printing
    // keeps as written, and comes back afterwards.
    QString marker;
    do
        marker = QStringLiteral("7%1").arg(QRandomGenerator::global()->bounded(100000000, 999999999));
    while (text.contains(marker));
    QString shielded;
    QStringList placeholders;
    qsizetype i = 0;
    while (i < text.size()) {
        const qsizetype open = text.indexOf(QLatin1String("{{"), i);
        const qsizetype close = open < 0 ? -1 : text.indexOf(QLatin1String("}}"), open + 2);
        if (close < 0) {
            shielded += QStringView(text).sliced(i);
            break;
        }
        shielded += QStringView(text).sliced(i, open - i);
        shielded += marker + QStringLiteral("%1").arg(placeholders.size(), 6, 10, QLatin1Char('0'));
        placeholders << text.sliced(open, close + 2 - open);
        i = close + 2;
    }
    const QByteArray utf8 = shielded.toUtf8();
    QByteArray pretty;
    const JsonFormatter::Result result = JsonFormatter::prettyPrint(utf8, &pretty);
    if (!result.isValid()) {
        const qsizetype offset = QString::fromUtf8(utf8.left(result.errorOffset)).size();
        showProblem(tr("Cannot format: not valid JSON at %1: %2.")
                        .arg(ComposerMessage::position(shielded, offset), result.errorMessage));
        return;
    }
    QString formatted = QString::fromUtf8(pretty);
    if (formatted.endsWith(QLatin1Char('\n')))
        formatted.chop(1);
    for (qsizetype n = placeholders.size() - 1; n >= 0; --n)
        formatted.replace(marker + QStringLiteral("%1").arg(n, 6, 10, QLatin1Char('0')), placeholders.at(n));
    if (formatted == text)
        return;
    // Through a cursor, so that Undo brings the text back.
    QTextCursor cursor(m_edit->document());
    cursor.select(QTextCursor::Document);
    cursor.insertText(formatted);
    validateNow();
}

// --- sending --------------------------------------------------------------------------------------------

int ComposerPane::repeatCount() const
{
    return m_repeat->value();
}

int ComposerPane::repeatIntervalMs() const
{
    return m_interval->value();
}

void ComposerPane::setRepeat(int count, int intervalMs)
{
    m_repeat->setValue(count);
    m_interval->setValue(intervalMs);
}

void ComposerPane::send()
{
    if (m_run)
        return; // one send at a time; Stop ends it
    const Target t = target();
    if (resolveTarget(t).isEmpty()) {
        showProblem(tr("Not sent: there is no open connection to send to."));
        return;
    }
    Run run;
    run.target = t;
    run.mode = mode();
    run.total = m_repeat->value();
    run.intervalMs = m_interval->value();
    QString problem;
    if (!prepare(&run.compiled, &run.bytes, true, &problem)) {
        showProblem(problem);
        return;
    }
    const ComposerMessage sent = message();
    m_run = std::move(run);
    m_sentCount = 0;
    m_runTotal = m_run->total;
    showInfo(QString());
    rememberSent(sent);
    if (m_library.clearAfterSend() && sent.mode != ComposerMode::File)
        m_edit->clear();
    updateSendState();
    if (!sendNext(m_run->intervalMs == 0 ? RepeatBatch : 1))
        return;
    m_repeatTimer->start(m_run->intervalMs);
}

bool ComposerPane::sendNext(qint64 max)
{
    for (qint64 i = 0; i < max && m_run && m_sentCount < m_run->total; ++i) {
        const QList<quint32> ids = resolveTarget(m_run->target);
        if (ids.isEmpty()) {
            finishRun(tr("Stopped: no connection to send to after %1 of %2 messages.")
                          .arg(QLocale().toString(m_sentCount), QLocale().toString(m_run->total)));
            return false;
        }
        const bool binary = ComposerMessage::isBinary(m_run->mode);
        QByteArray payload = binary ? m_run->bytes : m_run->compiled->render({}, m_generators);
        if (m_run->mode == ComposerMode::Json && !JsonFormatter::validate(payload).isValid()) {
            // A variable can make the JSON invalid only on some sends ({{random -1 1}} after a minus sign).
            finishRun(tr("Stopped before message %1 of %2: with its variables filled in it is not valid JSON.")
                          .arg(QLocale().toString(m_sentCount + 1), QLocale().toString(m_run->total)));
            return false;
        }
        Q_EMIT sendRequested(ids, binary, payload);
        ++m_sentCount;
    }
    if (!m_run)
        return false; // stopped by a receiver of sendRequested
    if (m_sentCount >= m_run->total) {
        finishRun(QString());
        return false;
    }
    updateProgress();
    return true;
}

void ComposerPane::onRepeatTimer()
{
    if (!m_run)
        return;
    // Faster than the capture thread can send: let it catch up rather than queue a million messages. A 0 ms
    // timer would spin the GUI thread while it waits, so the wait polls at BacklogPollMs.
    if (m_backlogProbe && m_backlogProbe() > MaxBacklog) {
        if (m_repeatTimer->interval() < BacklogPollMs)
            m_repeatTimer->setInterval(BacklogPollMs);
        return;
    }
    if (m_repeatTimer->interval() != m_run->intervalMs)
        m_repeatTimer->setInterval(m_run->intervalMs);
    sendNext(m_run->intervalMs == 0 ? RepeatBatch : 1);
}

void ComposerPane::stop()
{
    if (!m_run)
        return;
    finishRun(QString());
}

void ComposerPane::finishRun(const QString& problem)
{
    if (!m_run)
        return;
    m_repeatTimer->stop();
    const qint64 total = m_run->total;
    m_run.reset();
    updateProgress();
    if (!problem.isEmpty())
        showProblem(problem);
    updateSendState();
    Q_EMIT sendFinished(m_sentCount, total);
}

void ComposerPane::updateProgress()
{
    if (m_runTotal <= 1) {
        m_progress->clear();
        return;
    }
    const QLocale locale;
    const QString count = tr("%1 of %2").arg(locale.toString(m_sentCount), locale.toString(m_runTotal));
    if (m_run)
        m_progress->setText(count);
    else if (m_sentCount == m_runTotal)
        m_progress->setText(tr("Sent %1").arg(count));
    else
        m_progress->setText(tr("Stopped at %1").arg(count));
}

void ComposerPane::updateSendState()
{
    const bool hasTarget = m_target->currentIndex() >= 0;
    const bool running = m_run.has_value();
    m_send->setEnabled(hasTarget && !running);
    m_target->setEnabled(m_target->count() > 0 && !running);
    m_mode->setEnabled(!running);
    m_repeat->setEnabled(!running);
    m_interval->setEnabled(!running);
    m_chooseFile->setEnabled(!running);
    m_stop->setEnabled(running);
    m_stop->setVisible(running || m_repeat->value() > 1);
    m_stopAction->setEnabled(running);
    m_send->setToolTip(hasTarget ? tr("Send the message to the chosen connection (%1)").arg(sendKeyText(m_sendAction))
                                 : tr("Connect a client first"));
}

// --- history and templates ------------------------------------------------------------------------------

bool ComposerPane::saveLibrary()
{
    m_saveTimer->stop();
    const QString problem = m_library.save();
    if (!problem.isEmpty())
        showProblem(problem);
    return problem.isEmpty();
}

void ComposerPane::flushLibrary()
{
    if (m_saveTimer->isActive())
        saveHistory();
}

void ComposerPane::saveHistory()
{
    m_saveTimer->stop();
    // A file this version must not write was reported when it was read; not again after every send.
    if (m_library.isWritable())
        saveLibrary();
}

void ComposerPane::rememberSent(const ComposerMessage& message)
{
    m_historyIndex = -1;
    m_historyEdits.clear();
    if (m_library.addToHistory(message))
        m_saveTimer->start();
}

bool ComposerPane::recallPrevious()
{
    const int count = int(m_library.history().size());
    const int index = m_historyIndex < 0 ? count - 1 : m_historyIndex - 1;
    if (index < 0)
        return false;
    showHistoryEntry(index);
    // At the start, so that Up again goes on to the entry before.
    QTextCursor cursor = m_edit->textCursor();
    cursor.movePosition(QTextCursor::Start);
    cursor.movePosition(QTextCursor::EndOfLine);
    m_edit->setTextCursor(cursor);
    return true;
}

bool ComposerPane::recallNext()
{
    if (m_historyIndex < 0)
        return false;
    const int index = m_historyIndex + 1;
    showHistoryEntry(index >= m_library.history().size() ? -1 : index);
    m_edit->moveCursor(QTextCursor::End);
    return true;
}

void ComposerPane::showHistoryEntry(int index)
{
    const QList<ComposerMessage>& history = m_library.history();
    // What is being left is kept, unless it is the entry as sent.
    const ComposerMessage current = message();
    if (m_historyIndex < 0 || current != history.value(m_historyIndex))
        m_historyEdits.insert(m_historyIndex, current);
    else
        m_historyEdits.remove(m_historyIndex);
    m_historyIndex = index;
    ComposerMessage shown = m_historyEdits.value(index, index >= 0 ? history.value(index) : ComposerMessage {});
    if (index < 0 && !m_historyEdits.contains(-1))
        shown.mode = mode();
    setMessage(shown);
}

void ComposerPane::insertVariable(const QString& placeholder)
{
    if (!ComposerMessage::isTemplate(mode()))
        return;
    m_edit->insertPlainText(placeholder);
    m_edit->setFocus(Qt::OtherFocusReason);
}

bool ComposerPane::clearAfterSend() const
{
    return m_library.clearAfterSend();
}

void ComposerPane::setClearAfterSend(bool clear)
{
    m_clearAfterSendAction->setChecked(clear);
    if (m_library.clearAfterSend() == clear)
        return;
    m_library.setClearAfterSend(clear);
    saveLibrary();
}

bool ComposerPane::saveTemplate(const QString& name)
{
    QString problem;
    if (!m_library.setTemplate(name, message(), &problem)) {
        showProblem(problem);
        return false;
    }
    m_currentTemplate = ComposerLibrary::validName(name, nullptr);
    if (saveLibrary())
        showInfo(tr("Saved as the template \u201c%1\u201d.").arg(m_currentTemplate));
    return true;
}

bool ComposerPane::loadTemplate(const QString& name)
{
    const ComposerLibrary::Template* t = m_library.findTemplate(name);
    if (!t)
        return false;
    m_currentTemplate = t->name;
    setMessage(t->message);
    if (t->message.mode != ComposerMode::File) {
        m_edit->setFocus(Qt::OtherFocusReason);
        m_edit->moveCursor(QTextCursor::End);
    }
    return true;
}

bool ComposerPane::renameTemplate(const QString& from, const QString& to)
{
    QString problem;
    if (!m_library.renameTemplate(from, to, &problem)) {
        showProblem(problem);
        return false;
    }
    if (m_currentTemplate.compare(from, Qt::CaseInsensitive) == 0)
        m_currentTemplate = ComposerLibrary::validName(to, nullptr);
    saveLibrary();
    return true;
}

bool ComposerPane::removeTemplate(const QString& name)
{
    if (!m_library.removeTemplate(name))
        return false;
    if (m_currentTemplate.compare(name, Qt::CaseInsensitive) == 0)
        m_currentTemplate.clear();
    saveLibrary();
    return true;
}

void ComposerPane::askTemplateName()
{
    bool ok = false;
    const QString name = QInputDialog::getText(
        this, tr("Save as Template"), tr("Template name:"), QLineEdit::Normal, m_currentTemplate, &ok);
    if (!ok)
        return;
    const ComposerLibrary::Template* existing = m_library.findTemplate(name);
    if (existing && existing->message != message()
        && QMessageBox::question(this, tr("Replace Template"),
               tr("Replace the template \u201c%1\u201d with this message?").arg(existing->name))
            != QMessageBox::Yes)
        return;
    saveTemplate(name);
}

void ComposerPane::manageTemplates()
{
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Templates"));
    auto* list = new QListWidget(&dialog);
    list->setObjectName(QStringLiteral("templatesList"));
    list->setEditTriggers(QAbstractItemView::EditKeyPressed | QAbstractItemView::SelectedClicked);
    auto* problem = new QLabel(&dialog);
    problem->setWordWrap(true);
    QPalette p = problem->palette();
    p.setColor(QPalette::WindowText, TimelineDelegate::accentColor(p, ProblemHue));
    problem->setPalette(p);
    problem->setVisible(false);

    auto fill = [this, list](const QString& current) {
        const QSignalBlocker blocker(list);
        list->clear();
        for (const ComposerLibrary::Template& t : m_library.templates()) {
            auto* item = new QListWidgetItem(t.name, list);
            item->setData(Qt::UserRole, t.name);
            item->setToolTip(summary(t.message.text));
            item->setFlags(item->flags() | Qt::ItemIsEditable);
            if (t.name == current)
                list->setCurrentItem(item);
        }
        if (!list->currentItem() && list->count() > 0)
            list->setCurrentRow(0);
    };
    fill(m_currentTemplate);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, &dialog);
    QPushButton* insert = buttons->addButton(tr("&Insert"), QDialogButtonBox::AcceptRole);
    QPushButton* rename = buttons->addButton(tr("&Rename"), QDialogButtonBox::ActionRole);
    QPushButton* remove = buttons->addButton(tr("&Delete"), QDialogButtonBox::ActionRole);
    insert->setDefault(true);
    auto updateButtons = [list, insert, rename, remove] {
        for (QPushButton* b : { insert, rename, remove })
            b->setEnabled(list->currentItem() != nullptr);
    };
    updateButtons();
    connect(list, &QListWidget::currentItemChanged, &dialog, updateButtons);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    connect(insert, &QPushButton::clicked, &dialog, [this, list, &dialog] {
        if (list->currentItem() && loadTemplate(list->currentItem()->data(Qt::UserRole).toString()))
            dialog.accept();
    });
    connect(list, &QListWidget::itemActivated, insert, &QPushButton::click);
    connect(rename, &QPushButton::clicked, list, [list] {
        if (list->currentItem())
            list->editItem(list->currentItem());
    });
    connect(list, &QListWidget::itemChanged, &dialog, [this, list, problem, fill](QListWidgetItem* item) {
        const QString from = item->data(Qt::UserRole).toString();
        QString reason;
        ComposerLibrary probe = m_library; // checks first, so that the reason is shown here
        const bool renamed = probe.renameTemplate(from, item->text(), &reason) && renameTemplate(from, item->text());
        problem->setText(reason);
        problem->setVisible(!renamed);
        // The list is refilled once the editor is done with the item.
        const QString current = renamed ? ComposerLibrary::validName(item->text(), nullptr) : from;
        QTimer::singleShot(0, list, [fill, current] { fill(current); });
    });
    connect(remove, &QPushButton::clicked, &dialog, [this, list, fill, &dialog] {
        QListWidgetItem* item = list->currentItem();
        if (!item)
            return;
        const QString name = item->data(Qt::UserRole).toString();
        if (QMessageBox::question(&dialog, tr("Delete Template"), tr("Delete the template \u201c%1\u201d?").arg(name))
            != QMessageBox::Yes)
            return;
        removeTemplate(name);
        fill(QString());
    });

    auto* layout = new QVBoxLayout(&dialog);
    layout->addWidget(new QLabel(tr("Double-click or Enter inserts a template; F2 renames it."), &dialog));
    layout->addWidget(list, 1);
    layout->addWidget(problem);
    layout->addWidget(buttons);
    dialog.resize(420, 320);
    dialog.exec();
}

// --- keys -----------------------------------------------------------------------------------------------

bool ComposerPane::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_edit && event->type() == QEvent::KeyPress) {
        const auto* key = static_cast<QKeyEvent*>(event);
        const Qt::KeyboardModifiers modifiers = key->modifiers() & ~Qt::KeypadModifier;
        switch (key->key()) {
        case Qt::Key_Up:
            if (modifiers == Qt::ControlModifier) {
                recallPrevious();
                return true;
            }
            if (modifiers == Qt::NoModifier && atFirstLine(m_edit) && recallPrevious())
                return true;
            break;
        case Qt::Key_Down:
            if (modifiers == Qt::ControlModifier) {
                recallNext();
                return true;
            }
            if (modifiers == Qt::NoModifier && atLastLine(m_edit) && recallNext())
                return true;
            break;
        default:
            break;
        }
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace wsi
