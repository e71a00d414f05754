#include "detailpane.h"

#include "jsonhighlighter.h"

#include "core/connection.h"
#include "core/eventstore.h"
#include "core/hexdump.h"
#include "core/jsontreemodel.h"
#include "core/timelinemodel.h"
#include "wire/httphead.h"
#include "wire/utf8.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDateTime>
#include <QEvent>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QStringDecoder>
#include <QTabWidget>
#include <QTableWidget>
#include <QTextCursor>
#include <QThreadPool>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

#include <limits>
#include <memory>
#include <utility>

namespace wsi {

namespace {

const QString separator = QStringLiteral("  \u00b7  ");

QString flagsText(quint8 flags)
{
    QStringList names;
    if (flags & FlagFin)
        names << QStringLiteral("FIN");
    if (flags & FlagRsv1)
        names << QStringLiteral("RSV1");
    if (flags & FlagRsv2)
        names << QStringLiteral("RSV2");
    if (flags & FlagRsv3)
        names << QStringLiteral("RSV3");
    if (flags & FlagMasked)
        names << DetailPane::tr("masked");
    if (flags & FlagCompressed)
        names << DetailPane::tr("compressed");
    if (flags & FlagFragment)
        names << DetailPane::tr("fragmented");
    return names.join(QStringLiteral(", "));
}

QString directionText(Direction d)
{
    switch (d) {
    case Direction::C2S:
        return DetailPane::tr("\u2192 client to server");
    case Direction::S2C:
        return DetailPane::tr("\u2190 server to client");
    case Direction::None:
        break;
    }
    return {};
}

// RFC 6455 opcodes of the frames behind each kind; other kinds are not frames.
QString opcodeText(EventKind kind)
{
    switch (kind) {
    case EventKind::Text:
        return DetailPane::tr("opcode 0x1 (text)");
    case EventKind::Binary:
        return DetailPane::tr("opcode 0x2 (binary)");
    case EventKind::Close:
        return DetailPane::tr("opcode 0x8 (close)");
    case EventKind::Ping:
        return DetailPane::tr("opcode 0x9 (ping)");
    case EventKind::Pong:
        return DetailPane::tr("opcode 0xA (pong)");
    default:
        break;
    }
    return {};
}

QString byteCount(qint64 n)
{
    return n == 1 ? DetailPane::tr("1 byte") : DetailPane::tr("%1 bytes").arg(QLocale().toString(n));
}

// Where to end the part of source shown next: after a line break near the limit when there is one, so that
// appending the following part never re-lays out a long paragraph, and never between a surrogate pair.
qsizetype cutPoint(const QString& source, qsizetype from, qsizetype maxChars)
{
    if (source.size() - from <= maxChars)
        return source.size();
    qsizetype end = from + maxChars;
    const qsizetype newline = source.lastIndexOf(QLatin1Char('\n'), end - 1);
    if (newline >= from + maxChars / 2)
        return newline + 1;
    if (source.at(end - 1).isHighSurrogate())
        --end;
    return end;
}

void appendToView(QPlainTextEdit* view, QStringView text)
{
    QTextCursor cursor(view->document());
    cursor.movePosition(QTextCursor::End);
    cursor.insertText(text.toString());
}

QPlainTextEdit* makeTextView(const QString& objectName, QWidget* parent)
{
    auto* view = new QPlainTextEdit(parent);
    view->setObjectName(objectName);
    view->setReadOnly(true);
    view->setUndoRedoEnabled(false);
    view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    view->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    return view;
}

// JSON is worth trying only when the text starts like an object or array: a number or a word happens to be
// valid JSON too, but reads better as text.
bool looksLikeJson(QByteArrayView payload)
{
    for (const char c : payload) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        return c == '{' || c == '[';
    }
    return false;
}

} // namespace

DetailPane::DetailPane(QWidget* parent)
    : QWidget(parent)
    , m_facts(new QLabel(this))
    , m_info(new QLabel(this))
    , m_tabs(new QTabWidget(this))
    , m_wrap(new QCheckBox(tr("&Wrap lines"), this))
    , m_text(makeTextView(QStringLiteral("textView"), this))
    , m_jsonText(makeTextView(QStringLiteral("jsonView"), this))
    , m_tree(new QTreeView(this))
    , m_treeModel(new JsonTreeModel(this))
    , m_highlighter(new JsonHighlighter(m_jsonText->document()))
    , m_pathLabel(new QLabel(this))
    , m_hex(makeTextView(QStringLiteral("hexView"), this))
    , m_startLine(new QLabel(this))
    , m_headers(new QTableWidget(this))
    , m_statusBar(new QWidget(this))
    , m_status(new QLabel(m_statusBar))
    , m_showAll(new QPushButton(tr("Show &all"), m_statusBar))
    , m_chunkTimer(new QTimer(this))
{
    m_chosenTab.fill(-1);
    m_treeModel->setMaxNodes(MaxTreeNodes);
    setObjectName(QStringLiteral("detailPane"));
    m_facts->setObjectName(QStringLiteral("factsLabel"));
    m_info->setObjectName(QStringLiteral("infoLabel"));
    m_tabs->setObjectName(QStringLiteral("detailTabs"));
    m_wrap->setObjectName(QStringLiteral("wrapToggle"));
    m_tree->setObjectName(QStringLiteral("jsonTree"));
    m_pathLabel->setObjectName(QStringLiteral("jsonPathLabel"));
    m_startLine->setObjectName(QStringLiteral("startLineLabel"));
    m_headers->setObjectName(QStringLiteral("headersTable"));
    m_statusBar->setObjectName(QStringLiteral("truncationBar"));
    m_status->setObjectName(QStringLiteral("truncationLabel"));
    m_showAll->setObjectName(QStringLiteral("showAllButton"));

    for (QLabel* label : { m_facts, m_info, m_pathLabel, m_startLine, m_status }) {
        label->setTextFormat(Qt::PlainText);
        label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    }
    m_facts->setWordWrap(true);
    m_info->setWordWrap(true);
    m_status->setWordWrap(true);
    m_info->setForegroundRole(QPalette::PlaceholderText);
    m_pathLabel->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_startLine->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    m_hex->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_wrap->setChecked(true);
    m_wrap->setToolTip(tr("Wrap long lines in the Text and JSON views"));
    connect(m_wrap, &QCheckBox::toggled, this, &DetailPane::updateWrap);

    m_tabs->addTab(m_text, tr("Text"));
    m_tabs->addTab(createJsonPage(), tr("JSON"));
    m_tabs->addTab(m_hex, tr("Hex"));
    m_tabs->addTab(createHeadersPage(), tr("Headers"));
    m_tabs->setCornerWidget(m_wrap, Qt::TopRightCorner);
    m_tabs->setDocumentMode(true);
    for (int tab = 0; tab < TabCount; ++tab) {
        // Window-wide, so that the tabs can be switched while the timeline keeps the focus.
        auto* shortcut = new QShortcut(QKeySequence(Qt::ALT | Qt::Key(Qt::Key_1 + tab)), this);
        connect(shortcut, &QShortcut::activated, this, [this, tab] { selectTab(Tab(tab)); });
        m_tabs->setTabToolTip(
            tab, tr("%1 (%2)").arg(m_tabs->tabText(tab), shortcut->key().toString(QKeySequence::NativeText)));
    }
    connect(m_tabs, &QTabWidget::currentChanged, this, &DetailPane::onCurrentChanged);

    auto* statusLayout = new QHBoxLayout(m_statusBar);
    statusLayout->setContentsMargins(0, 0, 0, 0);
    statusLayout->addWidget(m_status, 1);
    statusLayout->addWidget(m_showAll);
    m_showAll->setToolTip(tr("Render the whole payload, a part at a time"));
    connect(m_showAll, &QPushButton::clicked, this, &DetailPane::showAll);
    m_chunkTimer->setInterval(0);
    connect(m_chunkTimer, &QTimer::timeout, this, &DetailPane::renderChunk);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_facts);
    layout->addWidget(m_info);
    layout->addWidget(m_tabs, 1);
    layout->addWidget(m_statusBar);

    updateWrap();
    clear();
}

DetailPane::~DetailPane() = default;

QWidget* DetailPane::createJsonPage()
{
    m_tree->setModel(m_treeModel);
    m_tree->setUniformRowHeights(true); // lets the view skip measuring rows in big documents
    m_tree->setAlternatingRowColors(true);
    m_tree->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_tree->header()->setStretchLastSection(false);
    m_tree->header()->setSectionResizeMode(JsonTreeModel::ValueColumn, QHeaderView::Stretch);
    m_tree->header()->resizeSection(JsonTreeModel::KeyColumn, 160);
    m_tree->header()->resizeSection(JsonTreeModel::TypeColumn, 70);
    m_tree->setContextMenuPolicy(Qt::ActionsContextMenu);

    auto* copyValue = new QAction(tr("Copy &Value"), m_tree);
    copyValue->setObjectName(QStringLiteral("copyValueAction"));
    copyValue->setShortcut(QKeySequence::Copy);
    copyValue->setShortcutContext(Qt::WidgetShortcut);
    connect(copyValue, &QAction::triggered, this, [this] { copyFromTree(false); });
    auto* copyPath = new QAction(tr("Copy &Path"), m_tree);
    copyPath->setObjectName(QStringLiteral("copyPathAction"));
    copyPath->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_C));
    copyPath->setShortcutContext(Qt::WidgetShortcut);
    connect(copyPath, &QAction::triggered, this, [this] { copyFromTree(true); });
    m_tree->addAction(copyPath);
    m_tree->addAction(copyValue);

    connect(m_tree->selectionModel(), &QItemSelectionModel::currentChanged, this,
        [this](const QModelIndex& current) { m_pathLabel->setText(m_treeModel->displayPath(current)); });
    m_pathLabel->setToolTip(tr("Path of the selected node (Ctrl+Shift+C copies it)"));

    auto* treeSide = new QWidget(this);
    auto* treeLayout = new QVBoxLayout(treeSide);
    treeLayout->setContentsMargins(0, 0, 0, 0);
    treeLayout->addWidget(m_tree, 1);
    treeLayout->addWidget(m_pathLabel);

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setObjectName(QStringLiteral("jsonSplitter"));
    splitter->addWidget(m_jsonText);
    splitter->addWidget(treeSide);
    splitter->setChildrenCollapsible(true);
    return splitter;
}

QWidget* DetailPane::createHeadersPage()
{
    m_headers->setColumnCount(2);
    m_headers->setHorizontalHeaderLabels({ tr("Name"), tr("Value") });
    m_headers->horizontalHeader()->setStretchLastSection(true);
    m_headers->horizontalHeader()->resizeSection(0, 200);
    m_headers->verticalHeader()->hide();
    m_headers->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_headers->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_headers->setWordWrap(false);
    auto* copy = new QAction(tr("&Copy"), m_headers);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetShortcut);
    connect(copy, &QAction::triggered, this, &DetailPane::copyHeaders);
    m_headers->addAction(copy);
    m_headers->setContextMenuPolicy(Qt::ActionsContextMenu);

    auto* page = new QWidget(this);
    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_startLine);
    layout->addWidget(m_headers, 1);
    return page;
}

void DetailPane::setModel(TimelineModel* model)
{
    if (m_model)
        disconnect(m_model, nullptr, this, nullptr);
    m_model = model;
    clear();
    if (!model)
        return;
    // Rows are numbered from the start of the store: after a reset or a removal the number names another
    // event, or none.
    connect(model, &QAbstractItemModel::modelAboutToBeReset, this, &DetailPane::clear);
    connect(model, &QAbstractItemModel::rowsAboutToBeRemoved, this, &DetailPane::clear);
}

DetailPane::Tab DetailPane::currentTab() const
{
    return Tab(m_tabs->currentIndex());
}

void DetailPane::selectTab(Tab tab)
{
    if (tab < 0 || tab >= TabCount || !m_tabs->isTabEnabled(tab))
        return;
    if (m_row >= 0) {
        m_chosenTab[size_t(m_sort)] = tab;
        m_tabPicked = true;
    }
    m_tabs->setCurrentIndex(tab);
}

bool DetailPane::isTruncated() const
{
    if (m_row < 0)
        return false;
    switch (currentTab()) {
    case TextTab:
        return m_rendered[TextTab] && m_textProgress.shown < m_textProgress.total();
    case JsonTab:
        return m_rendered[JsonTab] && (m_jsonProgress.shown < m_jsonProgress.total() || m_jsonMore);
    case HexTab:
        return m_rendered[HexTab] && m_hexShownBytes < m_payload.size();
    default:
        break;
    }
    return false;
}

bool DetailPane::isRendering() const
{
    return m_renderingTab >= 0;
}

void DetailPane::resetViews()
{
    m_chunkTimer->stop();
    m_renderingTab = -1;
    m_rendered.fill(false);
    m_payload.clear();
    m_json = {};
    m_jsonChecked = false;
    ++m_jsonGeneration;
    m_jsonPending = false;
    m_jsonWork.reset();
    m_jsonMore = false;
    m_jsonRestPending = false;
    m_jsonCapped = false;
    m_tabPicked = false;
    m_payloadInfo.clear();
    m_textProgress = {};
    m_jsonProgress = {};
    m_hexShownBytes = 0;
    m_textLinesBroken = false;
    m_jsonLinesBroken = false;
    m_text->clear();
    m_jsonText->clear();
    m_jsonText->setPlaceholderText(QString());
    m_treeModel->clear();
    m_pathLabel->clear();
    m_hex->clear();
    m_startLine->clear();
    m_headers->setRowCount(0);
}

void DetailPane::clear()
{
    resetViews();
    m_row = -1;
    m_facts->setText(tr("No event selected"));
    m_info->hide();
    m_text->setPlaceholderText(tr("Select an event in the timeline to see its full content here."));
    m_hex->setPlaceholderText(QString());
    m_quiet = true;
    for (int tab = 0; tab < TabCount; ++tab)
        m_tabs->setTabEnabled(tab, tab != HeadersTab);
    m_quiet = false;
    updateStatus();
}

DetailPane::Tab DetailPane::autoTab(Sort sort) const
{
    switch (sort) {
    case Sort::Json:
        return JsonTab;
    case Sort::Binary:
        return HexTab;
    case Sort::Handshake:
        return HeadersTab;
    case Sort::Text:
    case Sort::Status:
        break;
    }
    return TextTab;
}

void DetailPane::showRow(int row)
{
    const EventStore* store = m_model ? m_model->store() : nullptr;
    if (!store || row < 0 || row >= store->count()) {
        clear();
        return;
    }
    if (row == m_row) {
        // The timeline announces its current row again after every filter change. Rows are numbered from the
        // start of the store, which only grows until a reset or removal (and those clear the pane), so the same
        // row is the same event: what is rendered, scrolled to and shown in full stays. Only the facts may have
        // grown (a connection's details arrive after its first events).
        m_facts->setText(factsText(row));
        return;
    }
    resetViews();
    m_row = row;
    m_kind = store->kind(row);
    m_payload = store->payload(row).toByteArray();

    QStringList info;
    switch (m_kind) {
    case EventKind::HandshakeRequest:
    case EventKind::HandshakeResponse:
        m_sort = Sort::Handshake;
        break;
    case EventKind::Binary:
        m_sort = Sort::Binary;
        break;
    case EventKind::Text:
    case EventKind::Ping:
    case EventKind::Pong:
        if (!isValidUtf8(m_payload)) {
            // A ping's application data is often not text at all; a text message that is not UTF-8 is a
            // protocol violation worth pointing out, and still best read as text.
            if (m_kind != EventKind::Text) {
                m_sort = Sort::Binary;
                break;
            }
            info << tr("The payload is not valid UTF-8; invalid bytes are shown as \uFFFD.");
        }
        m_sort = Sort::Text;
        if (looksLikeJson(m_payload) && m_payload.size() >= BackgroundJsonBytes) {
            // Checking megabytes holds the window for a tenth of a second and more: JSON for now, settled
            // by takeJsonWork() when the pool thread is done.
            m_sort = Sort::Json;
            startJsonWork();
        } else if (looksLikeJson(m_payload)) {
            m_json = JsonFormatter::validate(m_payload);
            m_jsonChecked = true;
            if (m_json.isValid())
                m_sort = Sort::Json;
            else
                info << m_json.errorText();
        }
        break;
    default:
        m_sort = Sort::Status;
        break;
    }
    m_payloadInfo = info.join(QLatin1Char('\n'));
    m_info->setText(m_payloadInfo);
    m_info->setVisible(!m_payloadInfo.isEmpty());
    m_facts->setText(factsText(row));

    const QString empty = tr("(empty payload)");
    m_text->setPlaceholderText(empty);
    m_hex->setPlaceholderText(empty);
    m_jsonText->setPlaceholderText(empty);
    // Disabling the current tab moves the selection; that is the pane's doing, not a choice to remember.
    m_quiet = true;
    for (int tab = 0; tab < TabCount; ++tab)
        m_tabs->setTabEnabled(tab, tab != HeadersTab || m_sort == Sort::Handshake);
    m_quiet = false;

    Tab tab = autoTab(m_sort);
    if (const int chosen = m_chosenTab[size_t(m_sort)]; chosen >= 0 && m_tabs->isTabEnabled(chosen))
        tab = Tab(chosen);
    setCurrentTabQuietly(tab);
    ensureRendered(tab);
    updateStatus();
}

void DetailPane::setCurrentTabQuietly(Tab tab)
{
    m_quiet = true;
    m_tabs->setCurrentIndex(tab);
    m_quiet = false;
}

void DetailPane::onCurrentChanged(int index)
{
    if (index < 0)
        return;
    if (!m_quiet && m_row >= 0) {
        m_chosenTab[size_t(m_sort)] = index;
        m_tabPicked = true;
    }
    if (m_row >= 0)
        ensureRendered(Tab(index));
    updateStatus();
}

void DetailPane::ensureRendered(Tab tab)
{
    if (m_row < 0 || m_rendered[tab])
        return;
    m_rendered[tab] = true;
    switch (tab) {
    case TextTab:
        renderText();
        break;
    case JsonTab:
        renderJson();
        break;
    case HexTab:
        renderHex();
        break;
    case HeadersTab:
        renderHeaders();
        break;
    case TabCount:
        break;
    }
}

void DetailPane::renderText()
{
    QString text = QString::fromUtf8(m_payload);
    if (m_sort == Sort::Handshake)
        text.replace(QStringLiteral("\r\n"), QStringLiteral("\n"));
    m_textProgress.source = breakLongLines(text, LongLineChars, &m_textLinesBroken);
    m_textProgress.shown = cutPoint(m_textProgress.source, 0, MaxTextChars);
    m_text->setPlainText(m_textProgress.source.left(m_textProgress.shown));
}

DetailPane::PrettyJson DetailPane::prettyJson(const QByteArray& json, qsizetype maxBytes)
{
    QByteArray bytes;
    JsonFormatter::Options options;
    options.maxOutputBytes = maxBytes;
    PrettyJson pretty;
    pretty.cut = JsonFormatter::prettyPrint(json, &bytes, options).stopped;
    pretty.text = breakLongLines(QString::fromUtf8(bytes), LongLineChars, &pretty.linesBroken);
    return pretty;
}

DetailPane::JsonWork DetailPane::prepareJson(const QByteArray& json, qsizetype maxTreeNodes, bool validated)
{
    JsonWork work;
    work.tree = JsonTreeModel::build(json, maxTreeNodes);
    work.result = work.tree.result();
    // A tree cut at its node cap has seen only part of the document.
    if (!validated && work.result.isValid() && work.result.stopped)
        work.result = JsonFormatter::validate(json);
    work.result.stopped = false;
    if (work.result.isValid())
        work.pretty = prettyJson(json, JsonPrefixBytes);
    return work;
}

void DetailPane::startJsonWork()
{
    m_jsonPending = true;
    const quint64 generation = m_jsonGeneration;
    const qsizetype maxNodes = m_treeModel->maxNodes();
    QPointer<DetailPane> self(this);
    // A result for a row that is no longer shown is dropped (the generation moved on).
    QThreadPool::globalInstance()->start([self, payload = m_payload, generation, maxNodes] {
        auto work = std::make_shared<JsonWork>(prepareJson(payload, maxNodes, false));
        QMetaObject::invokeMethod(
            qApp,
            [self, generation, work] {
                if (self && self->m_jsonGeneration == generation)
                    self->takeJsonWork(std::move(*work));
            },
            Qt::QueuedConnection);
    });
}

void DetailPane::takeJsonWork(JsonWork work)
{
    m_jsonPending = false;
    m_json = work.result;
    m_jsonChecked = true;
    if (m_json.isValid()) {
        m_jsonWork = std::move(work);
        if (m_rendered[JsonTab])
            showJsonWork();
        updateStatus();
        return;
    }
    if (m_rendered[JsonTab])
        m_jsonText->setPlaceholderText(m_json.errorText());
    if (m_sort == Sort::Json) {
        // Looked like JSON, is not: a text message after all, opened as one unless the user picked a tab.
        m_sort = Sort::Text;
        m_payloadInfo += (m_payloadInfo.isEmpty() ? QString() : QStringLiteral("\n")) + m_json.errorText();
        m_info->setText(m_payloadInfo);
        m_info->setVisible(true);
        if (!m_tabPicked) {
            Tab tab = autoTab(m_sort);
            if (const int chosen = m_chosenTab[size_t(m_sort)]; chosen >= 0 && m_tabs->isTabEnabled(chosen))
                tab = Tab(chosen);
            setCurrentTabQuietly(tab);
            ensureRendered(tab);
        }
    }
    updateStatus();
}

void DetailPane::showJsonWork()
{
    JsonWork work = std::move(*m_jsonWork);
    m_jsonWork.reset();
    m_jsonLinesBroken = work.pretty.linesBroken;
    m_jsonMore = work.pretty.cut;
    m_jsonProgress.source = std::move(work.pretty.text);
    m_jsonProgress.shown = cutPoint(m_jsonProgress.source, 0, MaxJsonChars);
    m_jsonText->setPlainText(m_jsonProgress.source.left(m_jsonProgress.shown));

    m_treeModel->setTree(std::move(work.tree));
    const QModelIndex root = m_treeModel->index(0, 0);
    m_tree->expand(root);
    m_tree->setCurrentIndex(root);
    updateStatus();
}

void DetailPane::renderJson()
{
    if (m_payload.isEmpty())
        return; // the placeholder says "(empty payload)"
    if (!m_jsonChecked) {
        if (m_payload.size() >= BackgroundJsonBytes) {
            // Megabytes are checked, printed and parsed on a pool thread; takeJsonWork() shows them.
            if (!m_jsonPending)
                startJsonWork();
            m_jsonText->setPlaceholderText(
                tr("Formatting %1 bytes of JSON\u2026").arg(QLocale().toString(m_payload.size())));
            return;
        }
        m_json = JsonFormatter::validate(m_payload);
        m_jsonChecked = true;
    }
    if (!m_json.isValid()) {
        m_jsonText->setPlaceholderText(m_json.errorText());
        return;
    }
    // Less than BackgroundJsonBytes: parsing it all for the tree and printing the first part is quick.
    if (!m_jsonWork)
        m_jsonWork = prepareJson(m_payload, m_treeModel->maxNodes(), true);
    showJsonWork();
}

void DetailPane::startFullJson()
{
    m_jsonRestPending = true;
    const quint64 generation = m_jsonGeneration;
    const qsizetype maxBytes = maxPrettyJsonBytes(m_payload.size());
    QPointer<DetailPane> self(this);
    QThreadPool::globalInstance()->start([self, payload = m_payload, generation, maxBytes] {
        auto pretty = std::make_shared<PrettyJson>(prettyJson(payload, maxBytes));
        QMetaObject::invokeMethod(
            qApp,
            [self, generation, pretty] {
                if (self && self->m_jsonGeneration == generation)
                    self->takeFullJson(std::move(*pretty));
            },
            Qt::QueuedConnection);
    });
}

void DetailPane::takeFullJson(PrettyJson pretty)
{
    m_jsonRestPending = false;
    m_jsonMore = false;
    m_jsonCapped = pretty.cut;
    m_jsonLinesBroken = pretty.linesBroken;
    // The first part came from the same printer, cut between characters and broken at the same places, so it
    // begins this text and the view carries on where it is. Checked all the same: a view that silently
    // skipped or repeated a part would be worse than one that starts again.
    const QString previous = std::exchange(m_jsonProgress.source, std::move(pretty.text));
    if (!QStringView(m_jsonProgress.source).startsWith(QStringView(previous).first(m_jsonProgress.shown))) {
        m_jsonProgress.shown = cutPoint(m_jsonProgress.source, 0, MaxJsonChars);
        m_jsonText->setPlainText(m_jsonProgress.source.left(m_jsonProgress.shown));
    }
    if (m_renderingTab == JsonTab)
        m_chunkTimer->start();
    updateStatus();
}

void DetailPane::renderHex()
{
    m_hexShownBytes = std::min(m_payload.size(), MaxHexBytes);
    m_hex->setPlainText(HexDump::lines(m_payload, 0, HexDump::lineCount(m_hexShownBytes)));
}

void DetailPane::renderHeaders()
{
    HttpHead head;
    HttpHead::Limits limits;
    limits.maxHeadBytes = std::max<qsizetype>(m_payload.size(), limits.maxHeadBytes);
    limits.maxHeaders = std::numeric_limits<int>::max();
    // A head that the strict parser refuses (cut short, odd lines) is still shown, line by line.
    QList<QPair<QString, QString>> rows;
    QString startLine;
    if (HttpHead::parse(m_payload, head, limits).status == HttpHead::ParseStatus::Complete) {
        startLine = head.isRequest()
            ? QString::fromUtf8(head.method + ' ' + head.target + ' ' + head.version)
            : QString::fromUtf8(head.version + ' ' + QByteArray::number(head.status) + ' ' + head.reason);
        for (const HttpHeader& header : std::as_const(head.headers))
            rows.append({ QString::fromUtf8(header.first), QString::fromUtf8(header.second) });
    } else {
        const QStringList lines = QString::fromUtf8(m_payload).split(QLatin1Char('\n'));
        for (qsizetype i = 0; i < lines.size(); ++i) {
            const QString line = lines[i].trimmed();
            if (i == 0) {
                startLine = line;
                continue;
            }
            if (line.isEmpty())
                break;
            const qsizetype colon = line.indexOf(QLatin1Char(':'));
            rows.append(colon < 0 ? qMakePair(line, QString())
                                  : qMakePair(line.left(colon).trimmed(), line.mid(colon + 1).trimmed()));
        }
    }
    m_startLine->setText(startLine);
    m_headers->setRowCount(int(rows.size()));
    for (int i = 0; i < rows.size(); ++i) {
        m_headers->setItem(i, 0, new QTableWidgetItem(rows[i].first));
        m_headers->setItem(i, 1, new QTableWidgetItem(rows[i].second));
        m_headers->item(i, 1)->setToolTip(rows[i].second);
    }
}

void DetailPane::showAll()
{
    if (!isTruncated() || isRendering())
        return;
    m_renderingTab = currentTab();
    if (m_renderingTab == JsonTab && m_jsonMore && !m_jsonRestPending)
        startFullJson();
    m_chunkTimer->start();
    updateStatus();
}

void DetailPane::renderChunk()
{
    bool done = true;
    switch (m_renderingTab) {
    case TextTab:
    case JsonTab: {
        Progressive& progress = m_renderingTab == TextTab ? m_textProgress : m_jsonProgress;
        QPlainTextEdit* view = m_renderingTab == TextTab ? m_text : m_jsonText;
        const bool more = m_renderingTab == JsonTab && m_jsonMore;
        if (progress.shown >= progress.total() && more) {
            // Everything printed so far is shown; takeFullJson() restarts the timer with the rest.
            m_chunkTimer->stop();
            updateStatus();
            return;
        }
        const qsizetype end
            = cutPoint(progress.source, progress.shown, m_renderingTab == TextTab ? TextChunkChars : JsonChunkChars);
        appendToView(view, QStringView(progress.source).sliced(progress.shown, end - progress.shown));
        progress.shown = end;
        done = progress.shown >= progress.total() && !more;
        break;
    }
    case HexTab: {
        // Whole lines only: the shown part always ends on a 16-byte boundary until the last line.
        const qsizetype first = HexDump::lineCount(m_hexShownBytes);
        const qsizetype lines = HexChunkBytes / HexDump::BytesPerLine;
        appendToView(m_hex, HexDump::lines(m_payload, first, lines));
        m_hexShownBytes = std::min(m_payload.size(), (first + lines) * HexDump::BytesPerLine);
        done = m_hexShownBytes >= m_payload.size();
        break;
    }
    default:
        break;
    }
    if (done) {
        m_chunkTimer->stop();
        m_renderingTab = -1;
    }
    updateStatus();
}

void DetailPane::updateStatus()
{
    QStringList notes;
    const Tab tab = currentTab();
    const auto progressText = [this](qsizetype shown, qsizetype total, const QString& unitsOfTotal) {
        if (m_renderingTab >= 0 && m_renderingTab == currentTab())
            return tr("Rendering\u2026 %1%").arg(total > 0 ? shown * 100 / total : 100);
        return tr("Showing the first %1 of %2.").arg(QLocale().toString(shown), unitsOfTotal);
    };
    if (m_row >= 0) {
        switch (tab) {
        case TextTab:
            if (m_textProgress.shown < m_textProgress.total()) {
                notes << progressText(m_textProgress.shown, m_textProgress.total(),
                    tr("%1 characters").arg(QLocale().toString(m_textProgress.total())));
            }
            if (m_textLinesBroken)
                notes << tr("Lines longer than %1 characters are broken for display.")
                             .arg(QLocale().toString(LongLineChars));
            break;
        case JsonTab:
            if (m_jsonChecked && !m_json.isValid() && !m_payload.isEmpty())
                notes << m_json.errorText();
            if (m_jsonMore) {
                // How long the whole pretty text is, nobody knows before printing it.
                notes << (m_renderingTab == JsonTab
                        ? tr("Formatting the rest\u2026")
                        : tr("Showing the first %1 characters.").arg(QLocale().toString(m_jsonProgress.shown)));
            } else if (m_jsonProgress.shown < m_jsonProgress.total()) {
                notes << progressText(m_jsonProgress.shown, m_jsonProgress.total(),
                    tr("%1 characters").arg(QLocale().toString(m_jsonProgress.total())));
            }
            if (m_jsonCapped)
                notes << tr("Too large to pretty print in full: formatting stops after %1 bytes. The raw text is in "
                            "the Text tab.")
                             .arg(QLocale().toString(maxPrettyJsonBytes(m_payload.size())));
            if (m_jsonLinesBroken)
                notes << tr("Lines longer than %1 characters are broken for display.")
                             .arg(QLocale().toString(LongLineChars));
            if (m_treeModel->isTruncated())
                notes << tr("The tree holds the first %1 values.").arg(QLocale().toString(m_treeModel->nodeCount()));
            break;
        case HexTab:
            if (m_rendered[HexTab] && m_hexShownBytes < m_payload.size())
                notes << progressText(m_hexShownBytes, m_payload.size(), byteCount(m_payload.size()));
            break;
        default:
            break;
        }
    }
    m_status->setText(notes.join(QLatin1Char(' ')));
    const bool truncated = isTruncated();
    m_showAll->setVisible(truncated);
    m_showAll->setEnabled(truncated && !isRendering());
    m_statusBar->setVisible(!notes.isEmpty());
}

void DetailPane::updateWrap()
{
    const auto mode = m_wrap->isChecked() ? QPlainTextEdit::WidgetWidth : QPlainTextEdit::NoWrap;
    m_text->setLineWrapMode(mode);
    m_jsonText->setLineWrapMode(mode);
}

QString DetailPane::factsText(int row) const
{
    const EventStore* store = m_model->store();
    const Direction direction = store->direction(row);
    const quint32 connectionId = store->connectionId(row);
    const qint64 timestampUs = store->timestampUs(row);

    // One line per question a reader scans for: which and when, on which connection, what it was.
    const QString first = QLatin1Char('#') + QString::number(store->seq(row)) + separator + isoTimeUs(timestampUs)
        + separator + tr("%1 \u00b5s since the epoch").arg(timestampUs);

    QString connection = tr("Connection %1").arg(connectionId);
    if (const Connection* c = store->connection(connectionId)) {
        connection += QStringLiteral(" (") + roleName(c->role) + QStringLiteral(") ") + c->url;
        if (!c->peer.isEmpty())
            connection += separator + tr("peer %1").arg(c->peer);
        if (!c->subprotocol.isEmpty())
            connection += separator + tr("subprotocol %1").arg(c->subprotocol);
    }

    QStringList what;
    if (direction != Direction::None)
        what << directionText(direction);
    what << kindName(m_kind);
    if (direction != Direction::None || !m_payload.isEmpty())
        what << byteCount(direction != Direction::None ? store->size(row) : m_payload.size());
    if (direction != Direction::None) {
        if (const QString opcode = opcodeText(m_kind); !opcode.isEmpty())
            what << opcode;
        const QString flags = flagsText(store->flags(row));
        what << (flags.isEmpty() ? tr("no flags") : flags);
    }
    QStringList lines { first, connection, what.join(separator) };

    if (m_kind == EventKind::Close) {
        const quint16 code = store->closeCode(row);
        QString close;
        if (code == 0) {
            close = tr("no close code");
        } else {
            const QString meaning = closeCodeText(code);
            close = meaning.isEmpty() ? tr("code %1").arg(code) : tr("code %1 (%2)").arg(code).arg(meaning);
        }
        close += separator
            + (m_payload.isEmpty() ? tr("no reason") : tr("reason \u201c%1\u201d").arg(QString::fromUtf8(m_payload)));
        lines << close;
    }
    if (const QByteArrayView note = store->note(row); !note.isEmpty())
        lines << tr("Note: %1").arg(QString::fromUtf8(note));
    return lines.join(QLatin1Char('\n'));
}

void DetailPane::copyFromTree(bool path)
{
    const QModelIndex index = m_tree->currentIndex();
    if (!index.isValid())
        return;
    QGuiApplication::clipboard()->setText(path ? m_treeModel->pathOf(index) : m_treeModel->copyValue(index));
}

void DetailPane::copyHeaders()
{
    QStringList lines;
    const QModelIndexList rows = m_headers->selectionModel()->selectedRows();
    for (const QModelIndex& index : rows)
        lines << m_headers->item(index.row(), 0)->text() + QStringLiteral(": ")
                + m_headers->item(index.row(), 1)->text();
    if (!lines.isEmpty())
        QGuiApplication::clipboard()->setText(lines.join(QLatin1Char('\n')));
}

void DetailPane::changeEvent(QEvent* event)
{
    // The pane's own palette: it is the one already changed; its children take theirs after this event.
    if (event->type() == QEvent::PaletteChange)
        m_highlighter->setPalette(palette());
    QWidget::changeEvent(event);
}

QString DetailPane::breakLongLines(const QString& text, qsizetype maxChars, bool* changed)
{
    if (changed)
        *changed = false;
    if (maxChars <= 1 || text.size() <= maxChars)
        return text;
    // Most payloads have no long line at all: check before building a copy.
    qsizetype lineStart = 0;
    bool any = false;
    while (lineStart <= text.size() && !any) {
        qsizetype newline = text.indexOf(QLatin1Char('\n'), lineStart);
        if (newline < 0)
            newline = text.size();
        any = newline - lineStart > maxChars;
        lineStart = newline + 1;
    }
    if (!any)
        return text;
    if (changed)
        *changed = true;
    QString out;
    out.reserve(text.size() + text.size() / maxChars + 1);
    lineStart = 0;
    while (lineStart <= text.size()) {
        qsizetype newline = text.indexOf(QLatin1Char('\n'), lineStart);
        if (newline < 0)
            newline = text.size();
        qsizetype pos = lineStart;
        while (newline - pos > maxChars) {
            qsizetype end = pos + maxChars;
            if (text.at(end - 1).isHighSurrogate())
                --end;
            out += QStringView(text).sliced(pos, end - pos);
            out += QLatin1Char('\n');
            pos = end;
        }
        out += QStringView(text).sliced(pos, newline - pos);
        if (newline < text.size())
            out += QLatin1Char('\n');
        lineStart = newline + 1;
    }
    return out;
}

QString DetailPane::isoTimeUs(qint64 timestampUs)
{
    // Floor division, so that the (rare) timestamps before 1970 still get a micro part in 0..999.
    qint64 ms = timestampUs / 1000;
    qint64 micro = timestampUs % 1000;
    if (micro < 0) {
        micro += 1000;
        --ms;
    }
    const QDateTime time = QDateTime::fromMSecsSinceEpoch(ms);
    QString out = time.toString(QStringLiteral("yyyy-MM-dd'T'HH:mm:ss.zzz"))
        + QString::number(micro).rightJustified(3, QLatin1Char('0'));
    const int offset = time.offsetFromUtc();
    if (offset == 0) {
        out += QLatin1Char('Z');
    } else {
        const int minutes = std::abs(offset) / 60;
        out += QLatin1Char(offset < 0 ? '-' : '+') + QString::number(minutes / 60).rightJustified(2, QLatin1Char('0'))
            + QLatin1Char(':') + QString::number(minutes % 60).rightJustified(2, QLatin1Char('0'));
    }
    return out;
}

} // namespace wsi
