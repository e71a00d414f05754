#pragma once

#include <QtGlobal>

#include <functional>
#include <optional>

class QTimer;

namespace wsi {

class WsConnection;

/*
 * The one send loop of the replay drivers (client and mock server): sends every message that is due now,
 * then arms a single-shot timer for the next one. It hands the event loop back after MaxSendsPerTurn sends
 * (so that pause, stop and the socket's writes are heard between batches, even as fast as possible) and
 * waits CongestionRetryMs instead of queueing more while the peer does not read. What is next and when it
 * is due is the caller's: a schedule, a paced wait, a queue of answers.
 */
class ReplaySendLoop
{
public:
    static constexpr int MaxSendsPerTurn = 256;
    static constexpr int CongestionRetryMs = 5;

    enum class Outcome : quint8 {
        Done, // nothing left to send
        Waiting, // the timer is armed: call run() again when it fires
    };

    // nsUntilNext: nullopt when nothing is left, else how long until the next message is due (0 or less: now).
    // sendNext: sends it (and moves on to the one after).
    static Outcome run(QTimer* timer, const WsConnection* connection,
        const std::function<std::optional<qint64>()>& nsUntilNext, const std::function<void()>& sendNext);
};

} // namespace wsi
