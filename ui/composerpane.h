#pragma once

#include "core/composerlibrary.h"
#include "core/composermessage.h"
#include "core/connection.h"
#include "core/messagetemplate.h"

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QWidget>

#include <functional>

#include <optional>

class QComboBox;
class QLabel;
class QMenu;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QTimer;
class QToolButton;

namespace wsi {

/*
 * Writes messages to open connections: the user's client connections and, while the test server has them, the
 * server's clients, one or all of a kind. A message is text or JSON (both rendered through MessageTemplate at
 * every send, so {{counter}} counts up), hex or base64 bytes, or a file's bytes (binary frames). Input is checked
 * as it is typed and nothing is sent while it is wrong. Templates, the history (Up/Down) and the options are kept
 * by a ComposerLibrary. A send can repeat up to a million times on a timer without blocking the window. The text
 * stays after sending unless "Clear after send" is on. Sending is a request (sendRequested): the window owns the
 * session; the window also keeps the target list current (addTarget/removeTarget).
 */
class ComposerPane : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ComposerPane)

public:
    // How many sends are still on their way (CaptureSession::pendingSends): a repeat waits while it is high.
    void setBacklogProbe(std::function<qint64()> probe) { m_backlogProbe = std::move(probe); }
    static constexpr qint64 MaxFileBytes = qint64(64) << 20;
    static constexpr int MaxRepeat = 1000000;
    static constexpr int MaxIntervalMs = 3600000;
    // With no interval, a repeat sends this many messages per turn of the event loop.
    static constexpr int RepeatBatch = 500;
    static constexpr qint64 MaxBacklog = 4 * RepeatBatch; // sends on their way before a repeat waits
    static constexpr int BacklogPollMs = 5; // how often a waiting repeat looks again
    // The library is written this long after the last send that changed the history (and when the pane goes).
    static constexpr int HistorySaveDelayMs = 1000;
    static constexpr int ValidationDelayMs = 200;
    static constexpr qsizetype MaxPayloadHexBytes = qsizetype(1) << 20;

    // What a send goes to: one connection, or every open one of a role.
    struct Target
    {
        enum class Kind : quint8 {
            None,
            Connection,
            AllClients,
            AllServerClients,
        };
        Kind kind = Kind::None;
        quint32 connection = 0; // Kind::Connection

        bool operator==(const Target&) const = default;
    };

    // The library lives in path (by default the user's composer.json); a load problem is shown in the pane
    // and kept in libraryError().
    explicit ComposerPane(QWidget* parent = nullptr, const QString& libraryPath = ComposerLibrary::defaultPath());
    ~ComposerPane() override;

    // Adds (or relabels, in place) an open connection: a client connection of ours (label: its URL) or a client
    // of the test server (role Server; label: its peer). A connection that is not open any more must be
    // removed. A new connection becomes the target only when there is none, when nobody chose the test server
    // client that is the target (a client of ours is likelier), or when it is the one the user chose (see
    // selectTarget and followReconnect): connections opening in the background do not take Send away.
    void addTarget(quint32 connection, const QString& label, ConnectionRole role = ConnectionRole::Client);
    void removeTarget(quint32 connection);
    // A client connection is being reconnected as a new one (CaptureSession::clientReconnecting): if previous
    // was the target the user chose, next becomes the target when it opens.
    void followReconnect(quint32 previous, quint32 next);
    // The open connections, in the order they were added.
    QList<quint32> targets() const;

    // The connection a Send goes to; 0 when there is none or the target is "all" of a kind.
    quint32 currentTarget() const;
    Target target() const;
    // Makes the given connection the target when it is one (e.g. the connection of the selected row, or one
    // the user just opened), as if the user had picked it.
    bool selectTarget(quint32 connection);
    // Makes "all client connections" (role Client) or "all server clients" (Server) the target, when offered
    // (two or more open connections of the role).
    bool selectAllTargets(ConnectionRole role);
    // The connections a send to the current target goes to now.
    QList<quint32> resolveTarget(const Target& target) const;

    ComposerMode mode() const;
    void setMode(ComposerMode mode);
    // The editor's text (in File mode the editor keeps what it had; filePath() is the file).
    QString text() const;
    void setText(const QString& text);
    QString filePath() const { return m_filePath; }
    void setFilePath(const QString& path);
    ComposerMessage message() const;
    void setMessage(const ComposerMessage& message);
    // Puts a recorded payload in the composer so that sending it sends the same bytes: text (escaped so that
    // no placeholder is expanded; JSON mode kept when it is JSON) or, for binary or non-UTF-8 data, hex.
    // False (and nothing changed) for binary data over MaxPayloadHexBytes, whose hex would swamp the editor.
    bool setPayload(const QByteArray& payload, bool binary);

    int repeatCount() const;
    int repeatIntervalMs() const;
    void setRepeat(int count, int intervalMs);
    bool isRepeating() const { return m_run.has_value(); }
    // Messages sent by the running (or last) send.
    qint64 sentCount() const { return m_sentCount; }

    // The problem shown under the editor, empty when there is none.
    QString errorText() const;
    QString libraryError() const { return m_libraryError; }

    bool clearAfterSend() const;
    void setClearAfterSend(bool clear);

    // Send (Ctrl+Enter) and Stop (Esc), working while the focus is anywhere in the pane; Help › Keyboard
    // Shortcuts reads their keys from here.
    QAction* sendAction() const { return m_sendAction; }
    QAction* stopAction() const { return m_stopAction; }

    // Templates: the current message saved by name (replacing one of that name), loaded into the editor,
    // renamed, deleted. Each change is saved at once (the history within HistorySaveDelayMs); false with the
    // reason shown when it failed.
    QStringList templateNames() const { return m_library.templateNames(); }
    bool saveTemplate(const QString& name);
    bool loadTemplate(const QString& name);
    bool renameTemplate(const QString& from, const QString& to);
    bool removeTemplate(const QString& name);

    // History, oldest first; recall goes back (previous) and forward (next) from the message being written.
    QList<ComposerMessage> history() const { return m_library.history(); }
    bool recallPrevious();
    bool recallNext();

public Q_SLOTS:
    // Validates and sends the message (repeated as set); on a problem shows it and sends nothing.
    void send();
    void stop();
    // Pretty-prints the JSON in the editor (placeholders kept as they are).
    void formatJson();

Q_SIGNALS:
    // One message to send on each connection: a text frame of UTF-8, or a binary frame.
    void sendRequested(const QList<quint32>& connections, bool binary, const QByteArray& payload);
    // A send (all of its repetitions) ended: completed (sent == total), stopped, or cut short by a problem.
    void sendFinished(qint64 sent, qint64 total);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    struct TargetInfo
    {
        QString label;
        ConnectionRole role = ConnectionRole::Client;
    };
    // A send in progress: what to send, where, how often.
    struct Run
    {
        Target target;
        ComposerMode mode = ComposerMode::Text;
        std::optional<MessageTemplate> compiled; // Text and Json
        QByteArray bytes; // the binary modes
        qint64 total = 1;
        int intervalMs = 0;
    };

    QWidget* createToolRow();
    QWidget* createFilePage();
    QWidget* createSendRows();
    void buildVariablesMenu();
    void buildTemplatesMenu();
    void buildMoreMenu();

    // The combo holds the client connections, "All N client connections" (N > 1), a separator (when there are
    // both), the test server's clients and "All M test server clients" (M > 1); items are inserted and removed
    // one at a time, so that a thousand targets cost no rebuilds.
    int serverStart() const;
    int roleRank(quint32 connection) const;
    int targetRow(quint32 connection) const;
    int targetIndex(const Target& target) const;
    QString targetLabel(quint32 connection) const;
    void setTargetData(int row, Target::Kind kind, quint32 connection);
    void updateAllRow(ConnectionRole role, int countBefore);
    void setCurrentTarget(const Target& target);
    // Makes target current without the user: it is followed through reconnects unless the user chose another.
    void chooseTarget(const Target& target);
    static Target targetAt(const QComboBox* combo, int index);

    // Checks the message as it stands; on a problem returns false with it in *problem. For the binary modes
    // the bytes are in *bytes (a file is read only when readFile is set); for the template modes the compiled
    // template is in *compiled.
    bool prepare(std::optional<MessageTemplate>* compiled, QByteArray* bytes, bool readFile, QString* problem) const;
    // Renders the template with a scratch counter and checks the result is JSON.
    bool checkJson(const MessageTemplate& compiled, QString* problem) const;
    void validateNow();
    void showProblem(const QString& problem);
    void showInfo(const QString& info);
    void updateMessageLabelColour();

    // Sends the next repetitions (at most max); returns false when the run ended.
    bool sendNext(qint64 max);
    void finishRun(const QString& problem);
    void onRepeatTimer();
    void updateProgress();
    void updateModeUi();
    void updateSendState();
    void updateFileInfo();

    // Saves now (returns false with the problem shown); flushLibrary saves a pending history change.
    bool saveLibrary();
    void flushLibrary();
    void saveHistory();
    void rememberSent(const ComposerMessage& message);
    void showHistoryEntry(int index);
    void insertVariable(const QString& placeholder);
    void askTemplateName();
    void manageTemplates();

    ComposerLibrary m_library;
    QString m_libraryError;
    TemplateGenerators m_generators;

    QComboBox* m_mode = nullptr;
    QPushButton* m_format = nullptr;
    QToolButton* m_variables = nullptr;
    QToolButton* m_templates = nullptr;
    QToolButton* m_more = nullptr;
    QMenu* m_variablesMenu = nullptr;
    QMenu* m_templatesMenu = nullptr;
    QStackedWidget* m_stack = nullptr;
    QPlainTextEdit* m_edit = nullptr;
    QPushButton* m_chooseFile = nullptr;
    QLabel* m_fileInfo = nullptr;
    QLabel* m_message = nullptr;
    bool m_messageIsProblem = false;
    QComboBox* m_target = nullptr;
    QSpinBox* m_repeat = nullptr;
    QSpinBox* m_interval = nullptr;
    QLabel* m_progress = nullptr;
    QPushButton* m_stop = nullptr;
    QPushButton* m_send = nullptr;
    QAction* m_clearAfterSendAction = nullptr;
    QTimer* m_validateTimer = nullptr;
    QTimer* m_repeatTimer = nullptr;
    QTimer* m_saveTimer = nullptr;
    QAction* m_sendAction = nullptr;
    QAction* m_stopAction = nullptr;
    QString m_currentTemplate; // the template last loaded or saved: the name Save as Template offers

    QString m_filePath;
    QMap<quint32, TargetInfo> m_targetInfo; // ids grow, so this is the order connections opened in
    int m_clientCount = 0;
    int m_serverCount = 0;
    // What the user chose to write to; it may be closed (a reconnect brings it back) while another is current.
    Target m_preferred;
    bool m_preferredWaiting = false; // m_preferred is a reconnect's next connection, not open yet
    bool m_userChose = false; // m_preferred was picked by the user, not taken for want of another

    std::optional<Run> m_run;
    qint64 m_sentCount = 0;
    qint64 m_runTotal = 0;

    // History navigation: -1 is the message being written; edits made to recalled entries (and the draft) are
    // kept until the next send, as shells do.
    int m_historyIndex = -1;
    QMap<int, ComposerMessage> m_historyEdits;
    std::function<qint64()> m_backlogProbe;
};

} // namespace wsi
