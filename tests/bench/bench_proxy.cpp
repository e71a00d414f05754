// The recording proxy's cost, over loopback, in one run: the same client talks to the same echo upstream
// directly and through a ProxyEndpoint (a CaptureSession as `wsinspector proxy` runs it: the proxy on the capture
// thread, every frame recorded and journaled to a file in a temporary directory).
//
//  - upstream: a minimal raw echo on its own thread (poll, unmask, echo the frame with its FIN/RSV/opcode as it
//    came), cheap enough not to be the bottleneck that would hide the proxy's cost. It accepts a
//    permessage-deflate offer and echoes compressed payloads as they are: an echo of a valid compressed c2s
//    stream (context takeover, 15-bit windows both ways) is a valid s2c stream, so the proxy inflates both.
//  - client: a third thread with a QTcpSocket (blocking calls) writing raw masked frames (encodeFrame); the
//    compressed runs send messages that MessageDeflater compressed beforehand, in order.
//  - a second upstream, for the figures a user would see: our own ServerEndpoint in echo mode, on a thread of its
//    own with its own Recorder and no journal, as a real backend parses, validates and answers every frame. The
//    raw echo above does none of that, so "direct" against it is a bound no relay can come near; against the
//    WebSocket echo, direct and proxied pay the same server. It negotiates no compression: plain runs only.
//
// Prints, for 32-byte and 64 KiB text messages: throughput (messages/s and MB/s of payload each way, until the
// last echo is back, with a window of messages in flight) direct and through the proxy with their ratio, for
// compression off and with permessage-deflate; the CPU time each thread used in the proxied runs (from
// /proc/self/task) and how long the journal took to catch up; and the added latency of one message at a time
// (ping-pong, p50 and p99 of the round trip through the proxy minus direct); then the plain runs and the latency
// again against the WebSocket echo server, with a second proxy in front of it. Each throughput figure is the best of
// --reps runs, direct and proxied taking turns, since other processes share the machine. The goal
// (>= 80% of direct throughput, <= 200 us added p50) is printed beside the figures; nothing is asserted.
//
// Usage: bench_proxy [--small N] [--large N] [--pings N] [--reps N] [--equal-nice] [--no-journal] [--journal F] [--only
// CASE]...
//   --small N     32-byte messages per throughput run (default 200,000)
//   --large N     64 KiB messages per throughput run (default 2,000)
//   --pings N     round trips per latency run (default 2,000)
//   --reps N      throughput runs per figure, best kept (default 3)
//   --equal-nice  the client and upstream threads take the same lower priority as the capture and journal
//                 threads (which lower theirs, see lowerCurrentThreadPriority), to tell the cost of the proxy's
//                 code from the cost of its priority when the CPU is shared
//   --only CASE   run only these cases (for a profiler): small, large, small-deflate, large-deflate, latency, and
//                 against the WebSocket echo server: ws-small, ws-large, ws-latency
//   --no-journal  record into nothing (no SessionWriter): the proxy's own cost without the journal's, for diagnosis
//   --journal F   journal to F (kept) instead of a temporary file

#include "core/platform.h"
#include "core/recorder.h"
#include "net/capturesession.h"
#include "net/serverendpoint.h"
#include "wire/frame.h"
#include "wire/handshake.h"
#include "wire/httphead.h"
#include "wire/permessagedeflate.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFileInfo>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <QtEndian>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <map>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace wsi;

namespace {

constexpr qint64 LargeSize = 64 * 1024;
// Messages in flight: enough to keep every pipe full, bounded in bytes so that 64 KiB messages measure the
// relay rather than buffer sizes.
constexpr qint64 WindowMessages = 8192;
constexpr qint64 WindowBytes = 4 << 20;
constexpr int WaitMs = 15000;

// ---- the upstream: a raw echo server on its own thread ----

class EchoUpstream
{
public:
    EchoUpstream() = default;
    ~EchoUpstream() { stop(); }
    Q_DISABLE_COPY_MOVE(EchoUpstream)

    bool start(bool lowerPriority, QByteArray* error)
    {
        m_listen = ::socket(AF_INET, SOCK_STREAM, 0);
        const int one = 1;
        ::setsockopt(m_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr = {};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof addr;
        if (::bind(m_listen, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(m_listen, 16) != 0
            || ::getsockname(m_listen, reinterpret_cast<sockaddr*>(&addr), &length) != 0 || ::pipe(m_wake) != 0) {
            *error = "upstream: " + QByteArray(std::strerror(errno));
            return false;
        }
        m_port = ntohs(addr.sin_port);
        m_thread = std::thread([this, lowerPriority] {
            pthread_setname_np(pthread_self(), "bench-upstream");
            if (lowerPriority)
                lowerCurrentThreadPriority();
            run();
        });
        return true;
    }
    quint16 port() const { return m_port; }
    void stop()
    {
        if (!m_thread.joinable())
            return;
        const char c = 'q';
        [[maybe_unused]] const ssize_t w = ::write(m_wake[1], &c, 1);
        m_thread.join();
        ::close(m_wake[0]);
        ::close(m_wake[1]);
        ::close(m_listen);
    }

private:
    struct Peer
    {
        int fd = -1;
        bool upgraded = false;
        bool closing = false; // our close echo is queued: the TCP connection ends once it is written
        QByteArray in;
        qsizetype inAt = 0;
        QByteArray out;
        qsizetype outAt = 0;
        qsizetype pendingOut() const { return out.size() - outAt; }
    };

    void run()
    {
        std::vector<Peer> peers;
        std::vector<pollfd> fds;
        for (;;) {
            fds.clear();
            fds.push_back({ m_wake[0], POLLIN, 0 });
            fds.push_back({ m_listen, POLLIN, 0 });
            for (const Peer& p : peers) {
                // Stop reading while much of our answer is unsent: the client must feel the back-pressure.
                const bool read = !p.closing && p.pendingOut() < WindowBytes;
                fds.push_back({ p.fd, short((read ? POLLIN : 0) | (p.pendingOut() > 0 ? POLLOUT : 0)), 0 });
            }
            if (::poll(fds.data(), nfds_t(fds.size()), -1) < 0 && errno != EINTR)
                break;
            if (fds[0].revents)
                break;
            if (fds[1].revents & POLLIN) {
                const int fd = ::accept(m_listen, nullptr, nullptr);
                if (fd >= 0) {
                    const int one = 1;
                    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
                    Peer peer;
                    peer.fd = fd;
                    peers.push_back(std::move(peer));
                }
            }
            for (size_t i = 0; i < peers.size(); ++i) {
                Peer& p = peers[i];
                const short ev = fds[i + 2].revents;
                bool drop = false;
                if (ev & POLLIN)
                    drop = !readFrom(p);
                if (!drop && p.pendingOut() > 0)
                    drop = !writeTo(p);
                if (!drop && (ev & (POLLERR | POLLHUP)) && !(ev & POLLIN))
                    drop = true;
                if (!drop && p.closing && p.pendingOut() == 0)
                    drop = true;
                if (drop) {
                    ::close(p.fd);
                    p.fd = -1;
                }
            }
            std::erase_if(peers, [](const Peer& p) { return p.fd < 0; });
        }
        for (const Peer& p : peers)
            ::close(p.fd);
    }

    // False when the connection is over.
    bool readFrom(Peer& p)
    {
        const qsizetype old = p.in.size();
        p.in.resize(old + (256 << 10));
        const ssize_t n = ::read(p.fd, p.in.data() + old, 256 << 10);
        p.in.resize(old + std::max<ssize_t>(n, 0));
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return false;
        if (!p.upgraded && !upgrade(p))
            return false;
        if (p.upgraded)
            echoFrames(p);
        if (p.inAt == p.in.size()) {
            p.in.resize(0);
            p.inAt = 0;
        } else if (p.inAt > 0) {
            p.in.remove(0, p.inAt);
            p.inAt = 0;
        }
        return true;
    }

    bool upgrade(Peer& p)
    {
        HttpHead request;
        const HttpHead::ParseResult parsed = HttpHead::parse(p.in, request);
        if (parsed.status == HttpHead::ParseStatus::Incomplete)
            return true;
        if (parsed.status == HttpHead::ParseStatus::Invalid)
            return false;
        QByteArray response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                              "Sec-WebSocket-Accept: "
            + handshake::acceptKey(request.header("Sec-WebSocket-Key")) + "\r\n";
        // The plain offer's answer: context takeover and 15-bit windows both ways.
        if (request.header("Sec-WebSocket-Extensions").contains("permessage-deflate"))
            response += "Sec-WebSocket-Extensions: permessage-deflate\r\n";
        response += "\r\n";
        p.out += response;
        p.inAt = parsed.consumed;
        p.upgraded = true;
        return true;
    }

    void echoFrames(Peer& p)
    {
        while (p.in.size() - p.inAt >= 2) {
            const auto* h = reinterpret_cast<const uchar*>(p.in.constData() + p.inAt);
            const qsizetype available = p.in.size() - p.inAt;
            const bool masked = h[1] & 0x80;
            quint64 length = h[1] & 0x7f;
            qsizetype header = 2;
            if (length == 126) {
                if (available < 4)
                    return;
                length = qFromBigEndian<quint16>(h + 2);
                header = 4;
            } else if (length == 127) {
                if (available < 10)
                    return;
                length = qFromBigEndian<quint64>(h + 2);
                header = 10;
            }
            const qsizetype keyAt = header;
            if (masked)
                header += 4;
            if (available < header + qsizetype(length))
                return;
            const auto opcode = Opcode(h[0] & 0x0f);
            char* payload = p.in.data() + p.inAt + header;
            if (masked)
                applyMask(payload, qsizetype(length), qFromBigEndian<quint32>(h + keyAt));
            // The echo keeps FIN, RSV and opcode (a ping is answered with a pong) and drops the mask.
            const uchar first = uchar((h[0] & 0xf0) | quint8(opcode == Opcode::Ping ? Opcode::Pong : opcode));
            uchar out[10];
            qsizetype outHeader = 2;
            out[0] = first;
            if (length < 126) {
                out[1] = uchar(length);
            } else if (length <= 0xffff) {
                out[1] = 126;
                qToBigEndian<quint16>(quint16(length), out + 2);
                outHeader = 4;
            } else {
                out[1] = 127;
                qToBigEndian<quint64>(length, out + 2);
                outHeader = 10;
            }
            p.out.append(reinterpret_cast<const char*>(out), outHeader);
            p.out.append(payload, qsizetype(length));
            p.inAt += header + qsizetype(length);
            if (opcode == Opcode::Close) {
                p.closing = true;
                return;
            }
        }
    }

    bool writeTo(Peer& p)
    {
        const ssize_t n = ::write(p.fd, p.out.constData() + p.outAt, size_t(p.pendingOut()));
        if (n < 0)
            return errno == EAGAIN || errno == EINTR;
        p.outAt += n;
        if (p.outAt == p.out.size()) {
            p.out.resize(0);
            p.outAt = 0;
        } else if (p.outAt > (1 << 20)) {
            p.out.remove(0, p.outAt);
            p.outAt = 0;
        }
        return true;
    }

    int m_listen = -1;
    int m_wake[2] = { -1, -1 };
    quint16 m_port = 0;
    std::thread m_thread;
};

// ---- the second upstream: our WebSocket echo server on its own thread ----

class WsEchoUpstream
{
public:
    WsEchoUpstream() = default;
    ~WsEchoUpstream() { stop(); }
    Q_DISABLE_COPY_MOVE(WsEchoUpstream)

    bool start(bool lowerPriority, QByteArray* error)
    {
        m_thread.setObjectName(QStringLiteral("bench-wsecho"));
        m_thread.start();
        m_context.moveToThread(&m_thread);
        bool ok = false;
        QMetaObject::invokeMethod(
            &m_context,
            [&] {
                if (lowerPriority)
                    lowerCurrentThreadPriority();
                ServerOptions options;
                options.port = 0;
                options.behaviour.mode = ServerMode::Echo;
                m_server = std::make_unique<ServerEndpoint>(options, &m_recorder);
                QString why;
                ok = m_server->listen(&why);
                if (ok)
                    m_port = quint16(m_server->url().port());
                else
                    *error = "WebSocket echo upstream: " + why.toUtf8();
            },
            Qt::BlockingQueuedConnection);
        return ok;
    }
    quint16 port() const { return m_port; }
    void stop()
    {
        if (!m_thread.isRunning())
            return;
        // Made and ended on its own thread, as its sockets live there.
        QMetaObject::invokeMethod(
            &m_context,
            [this] {
                if (m_server)
                    m_server->shutdown();
                m_server.reset();
            },
            Qt::BlockingQueuedConnection);
        m_thread.quit();
        m_thread.wait();
    }

private:
    QThread m_thread;
    QObject m_context; // on m_thread: what the calls above run in
    Recorder m_recorder; // no sink: the events are numbered and dropped, as a backend keeps no record
    std::unique_ptr<ServerEndpoint> m_server;
    quint16 m_port = 0;
};

// ---- what the client sends ----

// A text payload of exactly `size` bytes, JSON-like and varying with n, as an app's messages would be.
QByteArray textPayload(qsizetype size, qint64 n)
{
    if (size <= 64) {
        QByteArray p = "{\"n\":" + QByteArray::number(n % 1000000).rightJustified(6, '0') + ",\"msg\":\"bench";
        return p.leftJustified(size - 2, '.', true) + "\"}";
    }
    QByteArray p;
    p.reserve(size + 128);
    p += "[";
    for (qint64 i = 0; p.size() < size; ++i) {
        const qint64 id = n * 1000 + i;
        p += "{\"id\":" + QByteArray::number(id) + ",\"user\":\"user-" + QByteArray::number(id % 97)
            + "\",\"price\":" + QByteArray::number(double(id % 10007) / 100.0, 'f', 2) + ",\"tags\":[\"a\",\"b\"]},";
    }
    p.truncate(size - 1);
    return p + "]";
}

// The frames of one throughput run, grouped into writes: a run sends the chunks in order, from the first again
// when it cycles.
struct Workload
{
    QByteArray name;
    qsizetype messageSize = 0;
    bool deflate = false;
    std::vector<QByteArray> chunks;
    std::vector<qint64> counts; // messages in each chunk
    qint64 total = 0; // messages per run
};

// Uncompressed: a few distinct chunks cycled (the content does not change the relay's work).
Workload plainWorkload(qsizetype size, qint64 messages)
{
    Workload w;
    w.messageSize = size;
    const int perChunk = size < 1024 ? 256 : 1;
    const int distinct = size < 1024 ? 4 : 8;
    for (int c = 0; c < distinct; ++c) {
        QByteArray chunk;
        for (int i = 0; i < perChunk; ++i) {
            const qint64 n = qint64(c) * perChunk + i;
            chunk += encodeFrame(Opcode::Text, textPayload(size, n), true, 0x5a5a1234u + quint32(n));
        }
        w.chunks.push_back(chunk);
        w.counts.push_back(perChunk);
    }
    w.total = std::max<qint64>(perChunk, messages / perChunk * perChunk);
    return w;
}

// permessage-deflate: every message compressed in order by one MessageDeflater (context takeover), sent once.
Workload deflateWorkload(qsizetype size, qint64 messages)
{
    Workload w;
    w.messageSize = size;
    w.deflate = true;
    w.total = messages;
    MessageDeflater deflater(15, false);
    QByteArray chunk;
    qint64 inChunk = 0;
    for (qint64 n = 0; n < messages; ++n) {
        const QByteArray compressed = deflater.deflate(textPayload(size, n));
        chunk += encodeFrame(Opcode::Text, compressed, true, 0x5a5a1234u + quint32(n), 4);
        if (++inChunk == 256 || chunk.size() >= (64 << 10) || n + 1 == messages) {
            w.chunks.push_back(chunk);
            w.counts.push_back(inChunk);
            chunk.clear();
            inChunk = 0;
        }
    }
    return w;
}

// ---- CPU time per thread, from /proc/self/task/TID/schedstat (nanoseconds) ----

struct ThreadTime
{
    double cpuS = 0; // on a CPU
    double waitS = 0; // runnable, waiting for a CPU (other processes, or a lower priority)
};
using ThreadTimes = std::map<std::string, ThreadTime>; // by thread name

// This thread's own time (a thread that ended is gone from /proc/self/task: the client measures itself).
ThreadTime currentThreadTime()
{
    std::ifstream statFile("/proc/thread-self/schedstat");
    long long cpuNs = 0;
    long long waitNs = 0;
    statFile >> cpuNs >> waitNs;
    return { double(cpuNs) / 1e9, double(waitNs) / 1e9 };
}

ThreadTimes threadTimes()
{
    ThreadTimes times;
    const QString self = QString::number(::getpid());
    std::ifstream commFile("/proc/self/comm");
    std::string processName;
    std::getline(commFile, processName);
    const QStringList tasks = QDir(QStringLiteral("/proc/self/task")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString& tid : tasks) {
        std::ifstream nameFile(QStringLiteral("/proc/self/task/%1/comm").arg(tid).toStdString());
        std::string name;
        std::getline(nameFile, name);
        if (tid == self)
            name = "main";
        else if (name == processName)
            name = "journal"; // the only unnamed thread here: the SessionWriter's std::thread
        std::ifstream statFile(QStringLiteral("/proc/self/task/%1/schedstat").arg(tid).toStdString());
        long long cpuNs = 0;
        long long waitNs = 0;
        if (statFile >> cpuNs >> waitNs) {
            times[name].cpuS += double(cpuNs) / 1e9;
            times[name].waitS += double(waitNs) / 1e9;
        }
    }
    return times;
}

ThreadTimes operator-(ThreadTimes after, const ThreadTimes& before)
{
    for (auto& [name, t] : after) {
        if (const auto it = before.find(name); it != before.end()) {
            t.cpuS -= it->second.cpuS;
            t.waitS -= it->second.waitS;
        }
    }
    return after;
}

// "capture 1.20 (waited 0.50 s), journal ...; all 2.10 us/msg", busiest first.
QByteArray describeTimes(const ThreadTimes& t, qint64 messages)
{
    std::vector<std::pair<double, std::string>> sorted;
    double all = 0;
    for (const auto& [name, time] : t) {
        all += time.cpuS;
        if (time.cpuS > 0.0005)
            sorted.emplace_back(time.cpuS, name);
    }
    std::sort(sorted.rbegin(), sorted.rend());
    const auto perMessage = [messages](double s) { return QByteArray::number(s * 1e6 / double(messages), 'f', 2); };
    QByteArray out;
    for (const auto& [cpu, name] : sorted) {
        out += QByteArray(out.isEmpty() ? "" : ", ") + name.c_str() + " " + perMessage(cpu) + " (waited "
            + QByteArray::number(t.at(name).waitS, 'f', 2) + " s)";
    }
    return out + "; all " + perMessage(all) + " us/msg";
}

// ---- the client: one thread, one QTcpSocket, blocking calls ----

// Counts the frames of a server's stream (unmasked) without copying their payloads.
class FrameCounter
{
public:
    qint64 feed(const char* data, qsizetype size)
    {
        qint64 frames = 0;
        while (size > 0) {
            if (m_skip > 0) {
                const qint64 take = std::min<qint64>(m_skip, size);
                m_skip -= take;
                data += take;
                size -= take;
                frames += m_skip == 0;
                continue;
            }
            m_head[m_headSize++] = uchar(*data++);
            --size;
            if (m_headSize < 2)
                continue;
            const quint8 length7 = m_head[1] & 0x7f;
            const int need = 2 + (length7 == 126 ? 2 : length7 == 127 ? 8 : 0) + ((m_head[1] & 0x80) ? 4 : 0);
            if (m_headSize < need)
                continue;
            m_skip = length7 == 126 ? qFromBigEndian<quint16>(m_head + 2)
                : length7 == 127    ? qint64(qFromBigEndian<quint64>(m_head + 2))
                                    : length7;
            m_headSize = 0;
            frames += m_skip == 0;
        }
        return frames;
    }

private:
    uchar m_head[14] = {};
    int m_headSize = 0;
    qint64 m_skip = 0;
};

struct ClientRun
{
    bool ok = false;
    QByteArray error;
    qint64 ns = 0; // throughput: first write to last echo
    std::vector<qint64> roundTripsNs; // latency
    ThreadTime cpu; // the client thread's, over the whole run
};

class BenchClient
{
public:
    bool open(quint16 port, bool deflate, QByteArray* error)
    {
        m_socket.connectToHost(QStringLiteral("127.0.0.1"), port);
        if (!m_socket.waitForConnected(WaitMs)) {
            *error = "connect: " + m_socket.errorString().toUtf8();
            return false;
        }
        m_socket.setSocketOption(QAbstractSocket::LowDelayOption, 1);
        const QByteArray key = handshake::newKey();
        QByteArray request = "GET /bench?run=1 HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port)
            + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key
            + "\r\nSec-WebSocket-Version: 13\r\nUser-Agent: bench_proxy\r\n";
        if (deflate)
            request += "Sec-WebSocket-Extensions: permessage-deflate\r\n";
        request += "\r\n";
        m_socket.write(request);
        QByteArray answer;
        HttpHead response;
        for (;;) {
            const HttpHead::ParseResult parsed = HttpHead::parse(answer, response);
            if (parsed.status == HttpHead::ParseStatus::Complete) {
                // The echo sends nothing unasked, so nothing may follow the head.
                if (answer.size() != parsed.consumed) {
                    *error = "bytes after the 101 response";
                    return false;
                }
                break;
            }
            if (parsed.status == HttpHead::ParseStatus::Invalid || !m_socket.waitForReadyRead(WaitMs)) {
                *error = "no valid upgrade response: " + answer.left(200);
                return false;
            }
            answer += m_socket.readAll();
        }
        // checkResponse knows no extensions and would refuse the deflate answer: the status and the accept key are
        // what matter here.
        if (response.status != 101 || response.header("Sec-WebSocket-Accept") != handshake::acceptKey(key)) {
            *error = "upgrade refused: " + response.toBytes().left(200);
            return false;
        }
        QByteArray why;
        if (deflate != negotiatedDeflate(response, &why).has_value()) {
            *error = "permessage-deflate " + QByteArray(deflate ? "was not accepted " : "was not offered ") + why;
            return false;
        }
        return true;
    }

    // Sends the workload's messages with up to `window` of them in flight; returns when every echo is back.
    bool flood(const Workload& w, qint64* ns, QByteArray* error)
    {
        const qint64 window = std::clamp<qint64>(WindowBytes / std::max<qint64>(1, w.messageSize), 1, WindowMessages);
        qint64 sent = 0;
        qint64 received = 0;
        size_t next = 0;
        QElapsedTimer clock;
        clock.start();
        while (received < w.total) {
            while (sent < w.total && sent - received < window && m_socket.bytesToWrite() < WindowBytes) {
                const size_t at = next++ % w.chunks.size();
                m_socket.write(w.chunks[at]);
                sent += w.counts[at];
            }
            m_socket.flush();
            if (m_socket.bytesAvailable() == 0 && !m_socket.waitForReadyRead(WaitMs)) {
                *error = "no echo for " + QByteArray::number(WaitMs) + " ms after " + QByteArray::number(received)
                    + " of " + QByteArray::number(w.total) + " (" + m_socket.errorString().toUtf8() + ")";
                return false;
            }
            received += drain();
        }
        *ns = clock.nsecsElapsed();
        return true;
    }

    // One message at a time: each round trip from the write to its whole echo.
    bool pingPong(const QByteArray& frame, int rounds, std::vector<qint64>* roundTrips, QByteArray* error)
    {
        QElapsedTimer clock;
        roundTrips->reserve(size_t(rounds));
        for (int i = 0; i < rounds; ++i) {
            clock.start();
            m_socket.write(frame);
            m_socket.flush();
            qint64 got = 0;
            while (got == 0) {
                if (m_socket.bytesAvailable() == 0 && !m_socket.waitForReadyRead(WaitMs)) {
                    *error = "no echo in round " + QByteArray::number(i);
                    return false;
                }
                got += drain();
            }
            roundTrips->push_back(clock.nsecsElapsed());
        }
        return true;
    }

    // A polite end: close 1000, then wait until the far end closes the TCP connection.
    void close()
    {
        m_socket.write(encodeFrame(Opcode::Close, closePayload(1000, {}), true, 0x01020304u));
        m_socket.flush();
        while (m_socket.state() == QAbstractSocket::ConnectedState && m_socket.waitForReadyRead(WaitMs))
            m_socket.readAll();
        m_socket.abort();
    }

private:
    qint64 drain()
    {
        qint64 frames = 0;
        for (;;) {
            const qint64 n = m_socket.read(m_buffer.data(), qint64(m_buffer.size()));
            if (n <= 0)
                return frames;
            frames += m_counter.feed(m_buffer.data(), n);
        }
    }

    QTcpSocket m_socket;
    std::vector<char> m_buffer = std::vector<char>(256 << 10);
    FrameCounter m_counter;
};

bool g_equalNice = false;

// Runs fn on a client thread of its own while this thread's event loop (the session's) goes on.
ClientRun onClientThread(const std::function<ClientRun()>& fn)
{
    ClientRun result;
    QThread* thread = QThread::create([&] {
        if (g_equalNice)
            lowerCurrentThreadPriority();
        result = fn();
    });
    thread->setObjectName(QStringLiteral("bench-client"));
    QEventLoop loop;
    QObject::connect(thread, &QThread::finished, &loop, &QEventLoop::quit);
    thread->start();
    loop.exec();
    thread->wait();
    delete thread;
    return result;
}

ClientRun throughputRun(quint16 port, const Workload& w)
{
    return onClientThread([&] {
        ClientRun run;
        const ThreadTime start = currentThreadTime();
        BenchClient client;
        if (!client.open(port, w.deflate, &run.error) || !client.flood(w, &run.ns, &run.error))
            return run;
        client.close();
        const ThreadTime end = currentThreadTime();
        run.cpu = { end.cpuS - start.cpuS, end.waitS - start.waitS };
        run.ok = true;
        return run;
    });
}

ClientRun latencyRun(quint16 port, qsizetype size, int rounds)
{
    const QByteArray frame = encodeFrame(Opcode::Text, textPayload(size, 7), true, 0x11223344u);
    return onClientThread([&] {
        ClientRun run;
        BenchClient client;
        if (!client.open(port, false, &run.error) || !client.pingPong(frame, rounds, &run.roundTripsNs, &run.error))
            return run;
        client.close();
        run.ok = true;
        return run;
    });
}

// ---- figures ----

struct Figures
{
    double bestDirect = 0; // messages/s
    double bestProxy = 0;
    ThreadTimes directCpu; // of the best direct run
    ThreadTimes proxyCpu; // of the best proxied run, its journal's catch-up included
    double journalCatchUpMs = 0; // after the best proxied run
    QByteArray error;
};

Figures throughput(CaptureSession& session, quint16 upstreamPort, quint16 proxyPort, const Workload& w, int reps)
{
    Figures f;
    for (int rep = 0; rep < reps && f.error.isEmpty(); ++rep) {
        ThreadTimes before = threadTimes();
        const ClientRun direct = throughputRun(upstreamPort, w);
        ThreadTimes cpu = threadTimes() - before;
        cpu["bench-client"] = direct.cpu;
        if (!direct.ok) {
            f.error = "direct: " + direct.error;
            break;
        }
        if (const double rate = double(w.total) / (double(direct.ns) / 1e9); rate > f.bestDirect) {
            f.bestDirect = rate;
            f.directCpu = cpu;
        }
        before = threadTimes();
        const ClientRun proxied = throughputRun(proxyPort, w);
        // What is recorded reaches the journal a little later, on the writer's thread (and on this one, which
        // flushes the rest now): part of the cost.
        QElapsedTimer catchUp;
        catchUp.start();
        session.flushJournal();
        const double catchUpMs = double(catchUp.nsecsElapsed()) / 1e6;
        cpu = threadTimes() - before;
        cpu["bench-client"] = proxied.cpu;
        if (!proxied.ok) {
            f.error = "through the proxy: " + proxied.error;
            break;
        }
        if (const double rate = double(w.total) / (double(proxied.ns) / 1e9); rate > f.bestProxy) {
            f.bestProxy = rate;
            f.proxyCpu = cpu;
            f.journalCatchUpMs = catchUpMs;
        }
    }
    return f;
}

QByteArray sizeName(qsizetype size)
{
    if (size >= 1024)
        return QByteArray::number(size / 1024) + " KiB";
    return QByteArray::number(size) + " B";
}

double percentile(std::vector<qint64> v, double p)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return double(v[size_t(double(v.size() - 1) * p)]) / 1000.0;
}

QUrl startProxy(CaptureSession& session, quint16 upstreamPort, QString* error)
{
    ProxyOptions options;
    options.port = 0;
    options.upstream = QUrl(QStringLiteral("ws://127.0.0.1:%1/").arg(upstreamPort));
    QUrl url;
    QEventLoop loop;
    QObject::connect(&session, &CaptureSession::proxyStarted, &loop, [&](const QUrl& u) {
        url = u;
        loop.quit();
    });
    QObject::connect(&session, &CaptureSession::proxyStartFailed, &loop, [&](const QString& why) {
        *error = why;
        loop.quit();
    });
    QTimer::singleShot(WaitMs, &loop, [&] {
        *error = QStringLiteral("no answer from startProxy");
        loop.quit();
    });
    session.startProxy(options);
    loop.exec();
    return url;
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    qint64 small = 200000;
    qint64 large = 2000;
    int pings = 2000;
    int reps = 3;
    QStringList only; // case names; empty: every case
    bool journal = true;
    QString journalPath; // empty: in a temporary directory, removed at the end
    const QStringList args = QCoreApplication::arguments().mid(1);
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString& a = args[i];
        const bool hasValue = i + 1 < args.size();
        if (a == QLatin1StringView("--small") && hasValue)
            small = args[++i].toLongLong();
        else if (a == QLatin1StringView("--large") && hasValue)
            large = args[++i].toLongLong();
        else if (a == QLatin1StringView("--pings") && hasValue)
            pings = args[++i].toInt();
        else if (a == QLatin1StringView("--reps") && hasValue)
            reps = args[++i].toInt();
        else if (a == QLatin1StringView("--equal-nice"))
            g_equalNice = true;
        else if (a == QLatin1StringView("--no-journal"))
            journal = false;
        else if (a == QLatin1StringView("--journal") && hasValue)
            journalPath = args[++i];
        else if (a == QLatin1StringView("--only") && hasValue)
            only.append(args[++i]);
        else
            small = -1;
    }
    if (small <= 0 || large <= 0 || pings <= 0 || reps <= 0) {
        std::fprintf(stderr,
            "usage: bench_proxy [--small N] [--large N] [--pings N] [--reps N] [--equal-nice] [--no-journal] "
            "[--journal F] [--only CASE]...\n");
        return 2;
    }

    EchoUpstream upstream;
    QByteArray upstreamError;
    if (!upstream.start(g_equalNice, &upstreamError)) {
        std::fprintf(stderr, "%s\n", upstreamError.constData());
        return 1;
    }
    QTemporaryDir dir;
    CaptureSession::Options sessionOptions;
    sessionOptions.keepTimeline = false; // as `wsinspector proxy` runs: journal only
    if (journal)
        sessionOptions.journalPath = journalPath.isEmpty() ? dir.filePath(QStringLiteral("proxy.jsonl")) : journalPath;
    CaptureSession session(sessionOptions);
    QString proxyError;
    const QUrl proxyUrl = startProxy(session, upstream.port(), &proxyError);
    if (!proxyUrl.isValid()) {
        std::fprintf(stderr, "cannot start the proxy: %s\n", qPrintable(proxyError));
        return 1;
    }
    const quint16 proxyPort = quint16(proxyUrl.port());

    const auto wanted = [&only](const char* name) { return only.isEmpty() || only.contains(QLatin1StringView(name)); };
    // The WebSocket echo and a second proxy session in front of it, with a journal of its own as the first has.
    const bool wsWanted = wanted("ws-small") || wanted("ws-large") || wanted("ws-latency");
    WsEchoUpstream wsUpstream;
    CaptureSession::Options wsSessionOptions = sessionOptions;
    if (journal) {
        wsSessionOptions.journalPath = journalPath.isEmpty() ? dir.filePath(QStringLiteral("proxy-ws.jsonl"))
                                                             : journalPath + QStringLiteral(".ws");
    }
    std::unique_ptr<CaptureSession> wsSession;
    quint16 wsProxyPort = 0;
    if (wsWanted) {
        if (!wsUpstream.start(g_equalNice, &upstreamError)) {
            std::fprintf(stderr, "%s\n", upstreamError.constData());
            return 1;
        }
        wsSession = std::make_unique<CaptureSession>(wsSessionOptions);
        const QUrl wsProxyUrl = startProxy(*wsSession, wsUpstream.port(), &proxyError);
        if (!wsProxyUrl.isValid()) {
            std::fprintf(stderr, "cannot start the second proxy: %s\n", qPrintable(proxyError));
            return 1;
        }
        wsProxyPort = quint16(wsProxyUrl.port());
    }

    std::ifstream loadFile("/proc/loadavg");
    std::string load;
    std::getline(loadFile, load);
    std::printf("recording proxy vs direct, loopback, echo upstream on 127.0.0.1:%u, proxy %s, journal %s\n"
                "%u CPUs, load average %s; best of %d runs each, direct and proxied taking turns%s%s\n\n",
        unsigned(upstream.port()), qPrintable(proxyUrl.toString()),
        qPrintable(sessionOptions.journalPath.isEmpty() ? QStringLiteral("none") : sessionOptions.journalPath),
        std::thread::hardware_concurrency(), load.c_str(), reps,
        g_equalNice ? "; client and upstream at the capture thread's priority" : "",
        journal ? "" : "; NO JOURNAL (--no-journal)");

    struct CpuLine
    {
        QByteArray name;
        qint64 messages;
        Figures figures;
    };
    std::vector<CpuLine> cpuLines;
    const auto tableHead = [](const char* upstreamName) {
        std::printf("throughput against %s (text messages, payload MB/s each way; goal: proxy >= 80%% of direct)\n",
            upstreamName);
        std::printf("%9s %12s %9s %12s %9s %12s %9s %7s\n", "size", "compression", "messages", "direct msg/s", "MB/s",
            "proxy msg/s", "MB/s", "ratio");
    };
    const auto report = [&](CaptureSession& s, quint16 directPort, quint16 viaPort, const char* upstreamName,
                            const Workload& w, const char* compression) {
        const Figures f = throughput(s, directPort, viaPort, w, reps);
        const QByteArray size = sizeName(w.messageSize);
        if (!f.error.isEmpty()) {
            std::printf("%9s %12s %9lld  failed: %s\n", size.constData(), compression, static_cast<long long>(w.total),
                f.error.constData());
        } else {
            const double mb = double(w.messageSize) / 1e6;
            std::printf("%9s %12s %9lld %12.0f %9.1f %12.0f %9.1f %6.0f%%\n", size.constData(), compression,
                static_cast<long long>(w.total), f.bestDirect, f.bestDirect * mb, f.bestProxy, f.bestProxy * mb,
                100.0 * f.bestProxy / f.bestDirect);
            cpuLines.push_back({ size + " " + compression + ", " + upstreamName, w.total, f });
        }
        std::fflush(stdout);
    };
    const char* const rawName = "the raw echo";
    const char* const wsName = "the WebSocket echo server";
    if (wanted("small") || wanted("large") || wanted("small-deflate") || wanted("large-deflate"))
        tableHead(rawName);
    if (wanted("small"))
        report(session, upstream.port(), proxyPort, rawName, plainWorkload(32, small), "off");
    if (wanted("large"))
        report(session, upstream.port(), proxyPort, rawName, plainWorkload(LargeSize, large), "off");
    if (wanted("small-deflate"))
        report(session, upstream.port(), proxyPort, rawName, deflateWorkload(32, small), "deflate");
    if (wanted("large-deflate"))
        report(session, upstream.port(), proxyPort, rawName, deflateWorkload(LargeSize, large), "deflate");
    if (wanted("ws-small") || wanted("ws-large")) {
        std::printf("\n");
        tableHead(wsName);
    }
    if (wanted("ws-small"))
        report(*wsSession, wsUpstream.port(), wsProxyPort, wsName, plainWorkload(32, small), "off");
    if (wanted("ws-large"))
        report(*wsSession, wsUpstream.port(), wsProxyPort, wsName, plainWorkload(LargeSize, large), "off");

    std::printf("\nCPU per message echoed, by thread, in the best run of each line (us/msg; capture: the proxy, "
                "journal: the SessionWriter, main: the session and the journal's last flush, bench-wsecho: the "
                "WebSocket echo server; waited: runnable without a CPU)\n");
    for (const CpuLine& line : cpuLines) {
        const ThreadTimes& proxy = line.figures.proxyCpu;
        const auto capture = proxy.find("capture");
        const double limit
            = capture == proxy.end() || capture->second.cpuS <= 0 ? 0 : double(line.messages) / capture->second.cpuS;
        std::printf("  %s\n    direct:  %s\n    proxied: %s\n    the proxy thread alone could relay %.0f msg/s on "
                    "one core; the journal caught up %.0f ms after the last echo\n",
            line.name.constData(), describeTimes(line.figures.directCpu, line.messages).constData(),
            describeTimes(proxy, line.messages).constData(), limit, line.figures.journalCatchUpMs);
    }

    const auto latency = [&](quint16 directPort, quint16 viaPort, const char* upstreamName) {
        std::printf("\nlatency against %s, one message at a time (%d round trips; goal: <= 200 us added p50)\n",
            upstreamName, pings);
        std::printf("%9s %11s %11s %11s %11s %12s %12s\n", "size", "direct p50", "p99", "proxy p50", "p99", "added p50",
            "added p99");
        for (const qsizetype size : { qsizetype(32), LargeSize }) {
            const ClientRun direct = latencyRun(directPort, size, pings);
            const ClientRun proxied = latencyRun(viaPort, size, pings);
            const QByteArray name = sizeName(size);
            if (!direct.ok || !proxied.ok) {
                std::printf("%9s  failed: %s\n", name.constData(), (direct.ok ? proxied : direct).error.constData());
                continue;
            }
            const double d50 = percentile(direct.roundTripsNs, 0.5);
            const double d99 = percentile(direct.roundTripsNs, 0.99);
            const double p50 = percentile(proxied.roundTripsNs, 0.5);
            const double p99 = percentile(proxied.roundTripsNs, 0.99);
            std::printf("%9s %8.0f us %8.0f us %8.0f us %8.0f us %9.0f us %9.0f us\n", name.constData(), d50, d99, p50,
                p99, p50 - d50, p99 - d99);
            std::fflush(stdout);
        }
    };
    if (wanted("latency"))
        latency(upstream.port(), proxyPort, rawName);
    if (wanted("ws-latency"))
        latency(wsUpstream.port(), wsProxyPort, wsName);

    session.shutdown();
    if (wsSession)
        wsSession->shutdown();
    if (journal) {
        std::printf("\njournal: %.1f MB", double(QFileInfo(sessionOptions.journalPath).size()) / 1e6);
        if (wsSession)
            std::printf(
                ", behind the WebSocket echo: %.1f MB", double(QFileInfo(wsSessionOptions.journalPath).size()) / 1e6);
        std::printf("\n");
    }
    wsUpstream.stop();
    upstream.stop();
    return 0;
}
