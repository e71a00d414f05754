#include "composerpane.h"

#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QKeySequence>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace wsi {

ComposerPane::ComposerPane(QWidget* parent)
    : QWidget(parent)
    , m_edit(new QPlainTextEdit(this))
    , m_target(new QComboBox(this))
    , m_send(new QPushButton(tr("&Send"), this))
{
    setObjectName(QStringLiteral("composerPane"));
    m_edit->setObjectName(QStringLiteral("composerEdit"));
    m_target->setObjectName(QStringLiteral("targetCombo"));
    m_send->setObjectName(QStringLiteral("sendButton"));

    m_edit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_edit->setTabChangesFocus(false);
    const QString sendKey = QKeySequence(Qt::CTRL | Qt::Key_Return).toString(QKeySequence::NativeText);
    m_edit->setPlaceholderText(tr("Message text. %1 sends it.").arg(sendKey));
    // Ctrl+Enter must reach us before the editor turns it into a new paragraph.
    m_edit->installEventFilter(this);

    m_target->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_target->setMinimumContentsLength(24);
    m_target->setPlaceholderText(tr("No open client connection"));
    m_target->setToolTip(tr("The client connection that messages are sent on"));

    auto* targetLabel = new QLabel(tr("&To:"), this);
    targetLabel->setBuddy(m_target);

    auto* row = new QHBoxLayout;
    row->addWidget(targetLabel);
    row->addWidget(m_target, 1);
    row->addWidget(m_send);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_edit, 1);
    layout->addLayout(row);

    connect(m_send, &QPushButton::clicked, this, &ComposerPane::send);
    updateSendState();
}

ComposerPane::~ComposerPane() = default;

void ComposerPane::addTarget(quint32 connection, const QString& url)
{
    const QString label = QLatin1Char('#') + QString::number(connection) + QLatin1Char(' ') + url;
    if (const int i = m_target->findData(connection); i >= 0) {
        m_target->setItemText(i, label);
        return;
    }
    m_target->addItem(label, connection);
    // The connection just opened is the one the user most likely wants to talk to.
    m_target->setCurrentIndex(m_target->count() - 1);
    updateSendState();
}

void ComposerPane::removeTarget(quint32 connection)
{
    if (const int i = m_target->findData(connection); i >= 0)
        m_target->removeItem(i);
    updateSendState();
}

QList<quint32> ComposerPane::targets() const
{
    QList<quint32> ids;
    for (int i = 0; i < m_target->count(); ++i)
        ids << m_target->itemData(i).toUInt();
    return ids;
}

quint32 ComposerPane::currentTarget() const
{
    return m_target->currentIndex() < 0 ? 0 : m_target->currentData().toUInt();
}

bool ComposerPane::selectTarget(quint32 connection)
{
    const int i = m_target->findData(connection);
    if (i >= 0)
        m_target->setCurrentIndex(i);
    return i >= 0;
}

QString ComposerPane::text() const
{
    return m_edit->toPlainText();
}

void ComposerPane::setText(const QString& text)
{
    m_edit->setPlainText(text);
}

void ComposerPane::send()
{
    const quint32 target = currentTarget();
    if (target == 0)
        return;
    Q_EMIT sendRequested(target, m_edit->toPlainText());
}

bool ComposerPane::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == m_edit && event->type() == QEvent::KeyPress) {
        const auto* key = static_cast<QKeyEvent*>(event);
        if ((key->key() == Qt::Key_Return || key->key() == Qt::Key_Enter) && (key->modifiers() & Qt::ControlModifier)) {
            send();
            return true;
        }
    }
    return QWidget::eventFilter(watched, event);
}

void ComposerPane::updateSendState()
{
    const bool canSend = m_target->count() > 0;
    m_send->setEnabled(canSend);
    m_target->setEnabled(canSend);
    const QString sendKey = QKeySequence(Qt::CTRL | Qt::Key_Return).toString(QKeySequence::NativeText);
    m_send->setToolTip(
        canSend ? tr("Send the message to the selected connection (%1)").arg(sendKey) : tr("Connect a client first"));
}

} // namespace wsi
