#pragma once

#include "core/event.h"
#include "core/jsonformat.h"
#include "core/jsontreemodel.h"

#include <QPointer>
#include <QWidget>

#include <algorithm>
#include <array>
#include <optional>

class QCheckBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTabWidget;
class QTableWidget;
class QTimer;
class QTreeView;

namespace wsi {

class JsonHighlighter;
class TimelineModel;

/*
 * Everything about one timeline row. On top, the facts: sequence number, time to the microsecond,
 * connection, direction, kind, size, opcode, frame flags, close code and reason, note. Below, the payload in
 * tabs: Text (wrap toggle), JSON (pretty printed and coloured, beside a tree with copy path/value), Hex
 * (offset | hex | ASCII) and Headers (a handshake's start line and header table).
 *
 * The pane opens the tab that suits the content (JSON for text that is a JSON object or array, Hex for
 * binary, Headers for handshakes, Text otherwise), but once the user picks a tab that choice is remembered
 * for rows of the same sort, so stepping through JSON messages in the Hex tab stays in the Hex tab while a
 * handshake in between still opens its headers. Tabs are rendered when first shown, and big payloads only
 * in part (1 Mi characters of text, 128 Ki of pretty JSON, 256 KiB of hex) until "Show all" renders the rest a chunk
 * per event-loop turn, so selecting a 10 MB message never freezes the window.
 *
 * JSON costs more than its size suggests: indentation can make a 1 MB message a 100 MB text. So pretty JSON
 * is printed only as far as it is first shown; "Show all" prints the rest on a pool thread, up to
 * maxPrettyJsonBytes(). Payloads from BackgroundJsonBytes on are also checked and turned into a tree on a pool
 * thread: such a row opens as JSON when it looks like JSON, and turns to text if the check says otherwise.
 */
class DetailPane : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DetailPane)

public:
    enum Tab {
        TextTab,
        JsonTab,
        HexTab,
        HeadersTab,
        TabCount
    };
    Q_ENUM(Tab)

    // What a row holds, as far as choosing a tab goes; a tab the user picks is remembered per sort.
    enum class Sort {
        Text,
        Json,
        Binary,
        Handshake,
        Status, // open, closed, error, note and close rows: a message rather than a payload
    };
    Q_ENUM(Sort)

    // Shown before "Show all". QTextDocument pays per line and the highlighter per token, so pretty JSON
    // (short lines, all coloured) gets a smaller share than plain text for the same wait.
    static constexpr qsizetype MaxTextChars = qsizetype(1) << 20;
    static constexpr qsizetype MaxJsonChars = qsizetype(128) << 10;
    static constexpr qsizetype MaxHexBytes = qsizetype(256) << 10;
    // Rendered per event-loop turn by "Show all": each turn stays well under a tenth of a second or so.
    static constexpr qsizetype TextChunkChars = qsizetype(256) << 10;
    static constexpr qsizetype JsonChunkChars = qsizetype(64) << 10;
    static constexpr qsizetype HexChunkBytes = qsizetype(64) << 10;
    // Lines longer than this are broken for display: Qt lays a paragraph out as a whole, and one
    // ten-megabyte line would stall the window however little of it is on screen.
    static constexpr qsizetype LongLineChars = 10000;
    // JSON payloads from this size on are checked, pretty printed and turned into a tree off the GUI thread.
    static constexpr qsizetype BackgroundJsonBytes = qsizetype(1) << 20;
    // The tree holds at most this many values: it is built on the GUI thread for small payloads, and nobody
    // expands more.
    static constexpr qsizetype MaxTreeNodes = 100000;
    // Pretty JSON printed for the first part: enough for MaxJsonChars characters in any script (a character
    // is 1 to 4 bytes of UTF-8), and cheap to print however deep or wide the document is.
    static constexpr qsizetype JsonPrefixBytes = 4 * MaxJsonChars;
    // "Show all" pretty prints this much at most; the Text tab always has the whole payload.
    static constexpr qsizetype MinPrettyJsonBytes = qsizetype(8) << 20;
    static constexpr qsizetype maxPrettyJsonBytes(qsizetype payloadBytes)
    {
        return std::max(4 * payloadBytes, MinPrettyJsonBytes);
    }

    explicit DetailPane(QWidget* parent = nullptr);
    ~DetailPane() override;

    void setModel(TimelineModel* model);
    int row() const { return m_row; }
    Sort sort() const { return m_sort; }

    Tab currentTab() const;
    // As if the user picked the tab: remembered for rows of the current sort. Ignored for disabled tabs.
    void selectTab(Tab tab);
    // The current tab shows only part of the payload (and "Show all" is offered).
    bool isTruncated() const;
    // "Show all" is still rendering.
    bool isRendering() const;

    // ISO 8601 local time with microseconds and the UTC offset, e.g. 2026-11-22T10:00:00.123456+01:00.
    static QString isoTimeUs(qint64 timestampUs);
    // Inserts a line break into every line longer than maxChars (never inside a surrogate pair).
    static QString breakLongLines(const QString& text, qsizetype maxChars, bool* changed = nullptr);

public Q_SLOTS:
    void showRow(int row); // a row of the TimelineModel; -1 or an invalid row clears the pane
    void clear();
    void showAll(); // renders the rest of the current tab's payload

protected:
    void changeEvent(QEvent* event) override;

private:
    // A view filled a part at a time: source is everything, shown how much of it is in the view.
    struct Progressive
    {
        QString source;
        qsizetype shown = 0;
        qsizetype total() const { return source.size(); }
    };

    QWidget* createJsonPage();
    QWidget* createHeadersPage();
    void onCurrentChanged(int index);
    void setCurrentTabQuietly(Tab tab);
    void ensureRendered(Tab tab);
    void renderText();
    void renderJson();

    // Pretty text for the view, at most maxBytes of UTF-8 of it; cut says there is more.
    struct PrettyJson
    {
        QString text;
        bool linesBroken = false;
        bool cut = false;
    };
    // What the JSON tab shows of a valid payload, made on a pool thread for big ones.
    struct JsonWork
    {
        JsonFormatter::Result result;
        PrettyJson pretty; // the first JsonPrefixBytes
        JsonTreeModel::Tree tree;
    };
    static PrettyJson prettyJson(const QByteArray& json, qsizetype maxBytes);
    static JsonWork prepareJson(const QByteArray& json, qsizetype maxTreeNodes, bool validated);
    void startJsonWork();
    void takeJsonWork(JsonWork work);
    void showJsonWork();
    void startFullJson();
    void takeFullJson(PrettyJson pretty);
    void renderHex();
    void renderHeaders();
    void renderChunk();
    void updateStatus();
    void updateWrap();
    void resetViews();
    Tab autoTab(Sort sort) const;
    QString factsText(int row) const;
    void copyFromTree(bool path);
    void copyHeaders();

    QPointer<TimelineModel> m_model;
    int m_row = -1;
    EventKind m_kind = EventKind::Note;
    Sort m_sort = Sort::Text;
    QByteArray m_payload; // a copy: rendering in chunks outlives the store's views
    JsonFormatter::Result m_json;
    bool m_jsonChecked = false;
    quint64 m_jsonGeneration = 0; // bumped for every row shown: late background results are dropped
    bool m_jsonPending = false; // a pool thread is checking and preparing a big payload's JSON
    std::optional<JsonWork> m_jsonWork; // prepared, waiting for the JSON tab to be shown
    bool m_jsonMore = false; // the pretty text goes on past m_jsonProgress.source, not printed yet
    bool m_jsonRestPending = false; // "Show all" waits for a pool thread to print the rest
    bool m_jsonCapped = false; // the pretty text stops at maxPrettyJsonBytes()
    bool m_tabPicked = false; // the user picked a tab since the row was shown
    QString m_payloadInfo;
    static constexpr int SortCount = int(Sort::Status) + 1;
    std::array<int, SortCount> m_chosenTab; // Tab per Sort, -1 when the user has not chosen
    std::array<bool, TabCount> m_rendered {};
    bool m_quiet = false; // tab changes made by the pane, not by the user

    Progressive m_textProgress;
    Progressive m_jsonProgress;
    qsizetype m_hexShownBytes = 0;
    bool m_textLinesBroken = false;
    bool m_jsonLinesBroken = false;
    int m_renderingTab = -1; // the tab "Show all" is filling, -1 when none

    QLabel* m_facts;
    QLabel* m_info;
    QTabWidget* m_tabs;
    QCheckBox* m_wrap;
    QPlainTextEdit* m_text;
    QPlainTextEdit* m_jsonText;
    QTreeView* m_tree;
    JsonTreeModel* m_treeModel;
    JsonHighlighter* m_highlighter;
    QLabel* m_pathLabel;
    QPlainTextEdit* m_hex;
    QLabel* m_startLine;
    QTableWidget* m_headers;
    QWidget* m_statusBar;
    QLabel* m_status;
    QPushButton* m_showAll;
    QTimer* m_chunkTimer;
};

} // namespace wsi
