#pragma once

#include <QWidget>

class QComboBox;
class QPlainTextEdit;
class QPushButton;

namespace wsi {

/*
 * Writes messages to open client connections. The target list holds the client connections that are open
 * right now (the window keeps it current); the text stays after sending, because the usual next step is to
 * send it again or to tweak it. Sending is a request (sendRequested): the window owns the session.
 */
class ComposerPane : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ComposerPane)

public:
    explicit ComposerPane(QWidget* parent = nullptr);
    ~ComposerPane() override;

    // Adds (or renames) a target; a connection that is not open any more must be removed.
    void addTarget(quint32 connection, const QString& url);
    void removeTarget(quint32 connection);
    QList<quint32> targets() const;

    // The connection a Send goes to, 0 when there is none.
    quint32 currentTarget() const;
    // Makes the given connection the target when it is one (e.g. the connection of the selected row).
    bool selectTarget(quint32 connection);

    QString text() const;
    void setText(const QString& text);

public Q_SLOTS:
    void send();

Q_SIGNALS:
    void sendRequested(quint32 connection, const QString& text);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void updateSendState();

    QPlainTextEdit* m_edit;
    QComboBox* m_target;
    QPushButton* m_send;
};

} // namespace wsi
