#pragma once

#include "core/connection.h"
#include "net/endpointoptions.h"

#include <QElapsedTimer>
#include <QHash>
#include <QPersistentModelIndex>
#include <QSet>
#include <QUrl>
#include <QWidget>

#include <deque>
#include <memory>
#include <optional>
#include <utility>

class QAction;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSettings;
class QSpinBox;
class QStandardItemModel;
class QTabWidget;
class QTableView;
class QTimer;
class QToolButton;

namespace wsi {

class CaptureSession;
class ReplyRules;
class ReplyRulesModel;
class SessionStatistics;

/*
 * The test server's dock: start and stop it, its URL (copy, open the browser test page), the options it starts
 * with (host, port, subprotocols, origins, limits, TLS), what it does with messages (echo, broadcast, silent,
 * periodic push) and the auto-reply rules, both applied at once while it runs, and its connected clients, which
 * can be written to, closed or dropped. The start/stop action is the window's one-click toolbar action too, so
 * one click starts the server with whatever the pane says (by default an echo server on 127.0.0.1:8765).
 *
 * Bad input never reaches the server: options are checked at start and the error is shown next to them, a
 * push template or a rule that does not compile is reported in place while the last good one keeps running.
 */
class ServerPane : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ServerPane)

public:
    enum class State {
        Stopped,
        Starting,
        Running,
    };
    enum Tab {
        OptionsTab,
        BehaviourTab,
        RulesTab,
        ClientsTab,
    };
    enum ClientColumn {
        // What tells clients apart first (their request path) and what they did; the peer's port last-ish.
        ClientIdColumn,
        ClientPathColumn,
        ClientInColumn,
        ClientOutColumn,
        ClientPeerColumn,
        ClientOpenedColumn,
        ClientSubprotocolColumn,
        ClientOriginColumn,
        ClientColumnCount
    };

    static constexpr quint16 DefaultPort = 8765;
    static constexpr int ApplyDelayMs = 300; // typing settles before rules and templates are applied
    static constexpr int RefreshIntervalMs = 250;
    static constexpr int ClosedLingerMs = 2000; // a closed client stays greyed out this long, then goes
    static constexpr int ClientIdRole = Qt::UserRole + 1;

    // statistics gives the clients' message counts; null: the pane keeps its own over the session's timeline.
    explicit ServerPane(CaptureSession* session, SessionStatistics* statistics = nullptr, QWidget* parent = nullptr);
    ~ServerPane() override;

    State state() const { return m_state; }
    // Start when stopped, stop when running: the window puts it in its toolbar and menu.
    QAction* startStopAction() const { return m_startStopAction; }

    // What the inputs say, unchecked (start() checks them).
    ServerOptions options() const;
    // What the server does now (or will do when started): mode, the last rules and push template that compiled.
    ServerBehaviour behaviour() const;
    std::shared_ptr<const ReplyRules> appliedRules() const { return m_appliedRules; }
    ReplyRulesModel* rulesModel() const { return m_rules; }

    void setPort(quint16 port);
    void setTryNextPorts(bool tryNext);
    // The clients listed (closed ones included until they go), oldest first.
    QList<quint32> clients() const;
    void showTab(Tab tab);

    // What the user set (options, behaviour, rules), kept across starts: written to and read from the settings'
    // current group. A value that is missing or cannot be used keeps what the pane has; while the server runs
    // only the options (used at the next start) are read, so that a serving session keeps its behaviour.
    void saveSettings(QSettings& settings) const;
    void restoreSettings(const QSettings& settings);

public Q_SLOTS:
    // Checks the options and starts the server; asks first when the host is reachable from other machines.
    // False when nothing was started (bad options, the user said no, not stopped).
    bool start();
    void stop();
    // Replace the rules with those of a rules file / write the rules to one; errors go to a message box.
    bool loadRules(const QString& path);
    bool saveRules(const QString& path);

Q_SIGNALS:
    void stateChanged(wsi::ServerPane::State state);
    // Something the user must read is shown in the pane (an option that stops the start): show the dock.
    void attentionNeeded();
    // A client row was double-clicked: the window may filter the timeline by it.
    void clientActivated(quint32 connection);

protected:
    void showEvent(QShowEvent* event) override;
    void hideEvent(QHideEvent* event) override;
    void changeEvent(QEvent* event) override;

private:
    QWidget* createHeader();
    QWidget* createOptionsPage();
    QWidget* createBehaviourPage();
    QWidget* createRulesPage();
    QWidget* createClientsPage();

    void setState(State state);
    void updateStateUi();
    void updateHostHint();
    // The options to start with; on bad input null, the reason shown beside the culprit.
    std::optional<ServerOptions> checkedOptions();
    void showOptionsError(const QString& message, QWidget* culprit);
    void chooseFile(QLineEdit* edit, const QString& title, const QString& filter);

    void onBehaviourEdited();
    void applyBehaviour();
    void checkPushTemplate();
    // Compiles the rules and applies them when they changed.
    void compileRules();
    // Compiles the rules and shows the outcome; true when the rules in use changed (the caller applies them).
    bool updateRules();
    void addRule();
    void removeRules();
    void moveRule(int delta);
    void duplicateRule();
    void updateRuleButtons();
    void chooseRulesToLoad();
    void chooseRulesToSave();
    void showRulesFileError(const QString& message);

    void onClientOpened(const ServerClient& client);
    void onConnectionStateChanged(quint32 connection, ConnectionRole role, ConnectionState state);
    int clientRow(quint32 connection) const;
    void markClientGone(int row);
    // Greys the row out and queues its removal; markClientGone() also takes the final counts, the selection and
    // the actions along, which the server's stop does once for all rows.
    void greyOutClient(int row);
    void removeGoneClients();
    QList<quint32> selectedClients() const;
    bool anyOpenClientSelected() const;
    void updateClientActions();
    void updateClientsTabTitle();
    void refreshClientCounts();
    void refreshClientCounts(int row);
    void sendToSelected();
    void sendToAll();
    void closeSelected();
    void dropSelected();
    void showClientMenu(const QPoint& pos);

    // Message colours come from the palette; they are set again when it changes.
    void setMessage(QLabel* label, const QString& text, int hue);
    void updateMessageColours();

    CaptureSession* m_session;
    SessionStatistics* m_statistics;
    State m_state = State::Stopped;
    QUrl m_url;

    QAction* m_startStopAction;
    QToolButton* m_startStopButton = nullptr;
    QLabel* m_urlLabel = nullptr;
    QPushButton* m_copyUrlButton = nullptr;
    QPushButton* m_openBrowserButton = nullptr;
    QLabel* m_exposureWarning = nullptr;
    QLabel* m_statusLabel = nullptr;
    QTabWidget* m_tabs = nullptr;

    QLabel* m_optionsNote = nullptr;
    QWidget* m_optionsForm = nullptr;
    QComboBox* m_host = nullptr;
    QLabel* m_hostHint = nullptr;
    QSpinBox* m_port = nullptr;
    QCheckBox* m_tryNextPorts = nullptr;
    QLineEdit* m_subprotocols = nullptr;
    QLineEdit* m_origins = nullptr;
    QSpinBox* m_maxConnections = nullptr;
    QSpinBox* m_maxMessageMiB = nullptr;
    QLineEdit* m_certificate = nullptr;
    QLineEdit* m_key = nullptr;
    QLabel* m_optionsError = nullptr;

    QComboBox* m_mode = nullptr;
    QCheckBox* m_broadcastToSender = nullptr;
    QCheckBox* m_push = nullptr;
    QSpinBox* m_pushInterval = nullptr;
    QLineEdit* m_pushTemplate = nullptr;
    QLabel* m_pushError = nullptr;
    std::optional<QString> m_validPushTemplate; // the last template that compiled
    QTimer* m_applyTimer;

    ReplyRulesModel* m_rules;
    std::shared_ptr<const ReplyRules> m_appliedRules; // the last rules that compiled
    QCheckBox* m_useRules = nullptr;
    QTableView* m_rulesTable = nullptr;
    QPushButton* m_addRule = nullptr;
    QPushButton* m_removeRule = nullptr;
    QPushButton* m_duplicateRule = nullptr;
    QPushButton* m_ruleUp = nullptr;
    QPushButton* m_ruleDown = nullptr;
    QLabel* m_rulesStatus = nullptr;
    QTimer* m_rulesTimer;

    QStandardItemModel* m_clients;
    // Every listed client's row (its id cell), so that thousands of clients coming and going stay cheap.
    QHash<quint32, QPersistentModelIndex> m_clientRows;
    QSet<quint32> m_goneClients; // greyed out, about to be removed
    std::deque<std::pair<qint64, quint32>> m_leaving; // (when it goes on m_clock, id), in that order
    QElapsedTimer m_clock;
    QTimer* m_removeTimer;
    QTableView* m_clientsTable = nullptr;
    QLabel* m_clientsHint = nullptr;
    QLineEdit* m_clientMessage = nullptr;
    QSpinBox* m_closeCode = nullptr;
    QLineEdit* m_closeReason = nullptr;
    QLabel* m_clientsError = nullptr;
    QPushButton* m_sendSelectedButton = nullptr;
    QPushButton* m_sendAllButton = nullptr;
    QPushButton* m_closeButton = nullptr;
    QPushButton* m_dropButton = nullptr;
    QAction* m_sendSelectedAction;
    QAction* m_sendAllAction;
    QAction* m_closeAction;
    QAction* m_dropAction;
    QAction* m_filterAction;
    QTimer* m_refreshTimer;
};

} // namespace wsi
