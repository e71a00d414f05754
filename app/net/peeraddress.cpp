#include "peeraddress.h"

#include <QAbstractSocket>
#include <QHostAddress>

namespace wsi {

QString hostForUrl(const QHostAddress& address)
{
    QHostAddress a = address;
    bool mapped = false;
    if (const quint32 v4 = a.toIPv4Address(&mapped); mapped)
        a = QHostAddress(v4);
    return a.protocol() == QAbstractSocket::IPv6Protocol ? u'[' + a.toString() + u']' : a.toString();
}

QString peerOf(const QAbstractSocket* socket)
{
    return hostForUrl(socket->peerAddress()) + u':' + QString::number(socket->peerPort());
}

} // namespace wsi
