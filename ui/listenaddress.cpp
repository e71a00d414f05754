#include "listenaddress.h"

#include "huemessage.h"
#include "net/endpointoptions.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>

namespace wsi {

namespace {
bool hasSpaceOrControl(QStringView s)
{
    for (QChar c : s) {
        if (c.isSpace() || c.unicode() < 0x20 || c.unicode() == 0x7f)
            return true;
    }
    return false;
}
} // namespace

QComboBox* ListenAddress::newHostCombo(QWidget* parent, const char* objectName)
{
    auto* host = new QComboBox(parent);
    host->setObjectName(QLatin1String(objectName));
    host->setEditable(true);
    host->setInsertPolicy(QComboBox::NoInsert);
    host->addItem(QStringLiteral("127.0.0.1"));
    host->setItemData(0, tr("This computer only (IPv4 loopback)"), Qt::ToolTipRole);
    host->addItem(QStringLiteral("localhost"));
    host->setItemData(1, tr("This computer only"), Qt::ToolTipRole);
    host->addItem(QStringLiteral("0.0.0.0"));
    host->setItemData(2, tr("All interfaces: other computers can connect"), Qt::ToolTipRole);
    host->setToolTip(tr("The address to listen on: 127.0.0.1 or localhost for this computer only, 0.0.0.0 for "
                        "all interfaces, or the address of one interface"));
    return host;
}

QSpinBox* ListenAddress::newPortSpin(QWidget* parent, const char* objectName, int port)
{
    auto* spin = new QSpinBox(parent);
    spin->setObjectName(QLatin1String(objectName));
    spin->setRange(0, 65535);
    spin->setValue(port);
    spin->setSpecialValueText(tr("any free"));
    spin->setToolTip(tr("The TCP port; 0 picks any free one"));
    return spin;
}

QString ListenAddress::hostProblem(const QString& host)
{
    if (host.isEmpty())
        return tr("Enter the host to listen on, e.g. 127.0.0.1.");
    if (hasSpaceOrControl(host) || host.contains(QLatin1Char('/')))
        return tr("\u201c%1\u201d is not a host name or address (e.g. 127.0.0.1, localhost, 0.0.0.0).").arg(host);
    return {};
}

void ListenAddress::showHostHint(QLabel* hint, const QString& host)
{
    const QPalette& base = hint->parentWidget() ? hint->parentWidget()->palette() : hint->palette();
    if (host.isEmpty())
        hint->hide();
    else if (exposesBeyondLoopback(host))
        HueMessage::show(hint, tr("Other computers can connect; you will be asked to confirm at the start."),
            HueMessage::AmberHue, base);
    else
        HueMessage::show(hint, tr("Only programs on this computer can connect."), HueMessage::NoHue, base);
}

QUrl ListenAddress::connectableUrl(QUrl url)
{
    if (url.host() == u"0.0.0.0")
        url.setHost(QStringLiteral("127.0.0.1"));
    else if (url.host() == u"::")
        url.setHost(QStringLiteral("::1"));
    return url;
}

bool ListenAddress::confirmExposure(
    QWidget* parent, const QString& title, const QString& text, const QString& startText)
{
    QMessageBox box(QMessageBox::Warning, title, text, QMessageBox::Cancel, parent);
    box.setObjectName(QStringLiteral("exposureConfirmation"));
    box.setInformativeText(tr("Do this only on a network you trust. 127.0.0.1 keeps it to this computer."));
    QPushButton* goAhead = box.addButton(startText, QMessageBox::AcceptRole);
    box.setDefaultButton(QMessageBox::Cancel);
    box.exec();
    return box.clickedButton() == goAhead;
}

} // namespace wsi
