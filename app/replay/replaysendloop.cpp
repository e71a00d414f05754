#include "replaysendloop.h"

#include "../net/wsconnection.h"
#include "replayclock.h"

#include <QTimer>

namespace wsi {

ReplaySendLoop::Outcome ReplaySendLoop::run(QTimer* timer, const WsConnection* connection,
    const std::function<std::optional<qint64>()>& nsUntilNext, const std::function<void()>& sendNext)
{
    timer->stop();
    for (int sentThisTurn = 0;; ++sentThisTurn) {
        const std::optional<qint64> waitNs = nsUntilNext();
        if (!waitNs)
            return Outcome::Done;
        if (*waitNs > 0) {
            timer->start(ReplayClock::timerMs(*waitNs));
            return Outcome::Waiting;
        }
        if (sentThisTurn >= MaxSendsPerTurn) {
            timer->start(0);
            return Outcome::Waiting;
        }
        if (connection->isCongested()) {
            timer->start(CongestionRetryMs);
            return Outcome::Waiting;
        }
        sendNext();
    }
}

} // namespace wsi
