// The headless test server under load, as the issue asks: N concurrent clients (default 1,000) each send M text
// messages (default 100) to `wsinspector serve --port 0 --mode echo --record f.jsonl`. The clients are raw
// non-blocking sockets in this one thread, speaking WebSocket with the app's own frame encoder and parser. All of
// them are connected and upgraded before the first message goes out; then every client sends its M messages at
// once (unique content, masked) and checks each echo byte for byte and in order. Prints the connect time, the time
// from the first send to the last echo, messages/s and per-client completion times; then closes every connection
// (1000), stops the server with SIGTERM (it must exit 0) and counts the connections and the text events of each
// direction in f.jsonl. Asserts no timing: exits 1 only when something was lost or failed.
//
// This process raises its open file soft limit to the hard limit; the server starts with the soft limit this
// process was given, as from a shell (so `ulimit -Sn 1024; bench_serve_load` shows what the server does about it).
// Over 1,000 clients the server gets --max-connections N (its default cap is 1,000). PATH defaults to the app of
// this build tree. The whole run ends within 10 minutes (watchdog).
//
// Usage: bench_serve_load [--clients N] [--messages M] [--size BYTES] [--wsinspector PATH]

#include "wire/frame.h"
#include "wire/handshake.h"

#include <QByteArray>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QUrl>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#ifndef WSINSPECTOR_PATH
#define WSINSPECTOR_PATH ""
#endif

namespace {

using Clock = std::chrono::steady_clock;

// Connections being set up at once: under the server's 64 pending connections and the listen backlog.
constexpr int ConnectBatch = 32;
// A phase that makes no progress for this long has failed (the server stopped accepting or answering).
constexpr auto StallTimeout = std::chrono::seconds(30);
constexpr unsigned WatchdogSeconds = 600;
constexpr qsizetype RefillBytes = 16 * 1024; // a client's pending output is topped up to about this much

volatile pid_t serverPid = -1;

void onWatchdog(int)
{
    static const char message[] = "bench_serve_load: FAILED: the run took more than 10 minutes (watchdog); the "
                                  "server was killed\n";
    [[maybe_unused]] const ssize_t n = ::write(STDOUT_FILENO, message, sizeof message - 1);
    if (serverPid > 0)
        ::kill(serverPid, SIGKILL);
    ::_exit(1);
}

double secondsSince(Clock::time_point start, Clock::time_point end = Clock::now())
{
    return std::chrono::duration<double>(end - start).count();
}

struct Options
{
    int clients = 1000;
    int messages = 100;
    int size = 32;
    QByteArray wsinspector;
};

// "c0042 m0099 ": which client and which of its messages, at least 4 digits each.
QByteArray messagePrefix(const Options& o, int client, int index)
{
    const qsizetype width = std::max<qsizetype>(
        { 4, QByteArray::number(o.clients - 1).size(), QByteArray::number(o.messages - 1).size() });
    return QByteArray("c") + QByteArray::number(client).rightJustified(width, '0') + QByteArray(" m")
        + QByteArray::number(index).rightJustified(width, '0') + QByteArray(" ");
}

// Message `index` of client `client`: its prefix padded to the size with a pattern that depends on both, so that
// a mix-up cannot hide in the padding.
QByteArray message(const Options& o, int client, int index)
{
    QByteArray m = messagePrefix(o, client, index);
    const qsizetype prefix = m.size();
    m.resize(o.size);
    for (qsizetype i = prefix; i < m.size(); ++i)
        m[i] = char('a' + (i + client + index) % 26);
    return m;
}

// Which message a recorded payload is: (client, index), or (-1, -1) when it is none of ours.
std::pair<int, int> identify(const Options& o, const QByteArray& payload)
{
    const qsizetype space = payload.indexOf(' ');
    if (!payload.startsWith('c') || space < 0 || payload.mid(space, 2) != " m")
        return { -1, -1 };
    bool ok1 = false;
    bool ok2 = false;
    const int client = payload.mid(1, space - 1).toInt(&ok1);
    const int index = payload.mid(space + 2, payload.indexOf(' ', space + 2) - space - 2).toInt(&ok2);
    if (!ok1 || !ok2 || client < 0 || client >= o.clients || index < 0 || index >= o.messages
        || payload != message(o, client, index))
        return { -1, -1 };
    return { client, index };
}

bool parseArguments(int argc, char* argv[], Options& o)
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray name = argv[i];
        if (i + 1 >= argc)
            return false;
        const QByteArray value = argv[++i];
        bool ok = true;
        if (name == "--clients")
            o.clients = value.toInt(&ok);
        else if (name == "--messages")
            o.messages = value.toInt(&ok);
        else if (name == "--size")
            o.size = value.toInt(&ok);
        else if (name == "--wsinspector")
            o.wsinspector = value;
        else
            return false;
        if (!ok)
            return false;
    }
    return o.clients > 0 && o.messages > 0 && o.size > 0;
}

// The app of the same build tree: CMake tells us where, else BUILD/wsinspector from BUILD/tests/bench/.
QByteArray defaultWsinspector()
{
    if (QFileInfo(QString::fromLocal8Bit(WSINSPECTOR_PATH)).isExecutable())
        return WSINSPECTOR_PATH;
    const QFileInfo self(QStringLiteral("/proc/self/exe"));
    return QFile::encodeName(QFileInfo(self.symLinkTarget()).absolutePath() + QStringLiteral("/../../wsinspector"));
}

struct Server
{
    pid_t pid = -1;
    quint16 port = 0;
    QString outPath;
    QString errPath;
};

// Starts `wsinspector serve` with stdout and stderr in files (it prints a line per event, so a pipe nobody reads
// would stall it), with the open file limit this process was given (as a shell would start it), and reads the
// port from its first line.
bool startServer(const QByteArray& program, int clients, const QString& record, const QTemporaryDir& dir,
    rlim_t originalSoftLimit, Server& server, QByteArray* error)
{
    server.outPath = dir.filePath(QStringLiteral("serve.out"));
    server.errPath = dir.filePath(QStringLiteral("serve.err"));
    const QByteArray outPath = QFile::encodeName(server.outPath);
    const QByteArray errPath = QFile::encodeName(server.errPath);
    const QByteArray recordPath = QFile::encodeName(record);
    // The server's default cap is 1,000 connections (more get 503): raise it when we bring more clients.
    const QByteArray maxConnections = QByteArray::number(std::max(clients, 1000));
    const char* const argv[] = { program.constData(), "serve", "--port", "0", "--mode", "echo", "--record",
        recordPath.constData(), "--max-connections", maxConnections.constData(), nullptr };
    const char* const* const end = argv + (clients > 1000 ? 10 : 8);
    std::vector<char*> args;
    for (const char* const* a = argv; a != end; ++a)
        args.push_back(const_cast<char*>(*a));
    args.push_back(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) {
        *error = "fork: " + QByteArray(std::strerror(errno));
        return false;
    }
    if (pid == 0) {
        std::signal(SIGPIPE, SIG_DFL);
        rlimit limit = {};
        ::getrlimit(RLIMIT_NOFILE, &limit);
        limit.rlim_cur = originalSoftLimit;
        ::setrlimit(RLIMIT_NOFILE, &limit);
        const int out = ::open(outPath.constData(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int err = ::open(errPath.constData(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0 || err < 0 || ::dup2(out, STDOUT_FILENO) < 0 || ::dup2(err, STDERR_FILENO) < 0)
            ::_exit(127);
        ::execv(program.constData(), args.data());
        std::fprintf(stderr, "cannot run %s: %s\n", program.constData(), std::strerror(errno));
        ::_exit(127);
    }
    server.pid = pid;
    serverPid = pid;
    const Clock::time_point start = Clock::now();
    while (secondsSince(start) < 30) {
        QFile out(server.outPath);
        if (out.open(QIODevice::ReadOnly)) {
            const QByteArray text = out.readAll();
            if (const qsizetype end = text.indexOf('\n'); end >= 0) {
                const QByteArray line = text.left(end);
                const QByteArray prefix = "listening on ";
                const int port = line.startsWith(prefix)
                    ? QUrl(QString::fromUtf8(line.mid(prefix.size())), QUrl::StrictMode).port()
                    : -1;
                if (port <= 0) {
                    *error = "unexpected first line from the server: " + line;
                    return false;
                }
                server.port = quint16(port);
                return true;
            }
        }
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            server.pid = -1;
            serverPid = -1;
            QFile err(server.errPath);
            *error = "the server exited (status " + QByteArray::number(WIFEXITED(status) ? WEXITSTATUS(status) : -1)
                + ") before listening";
            if (err.open(QIODevice::ReadOnly))
                *error += ": " + err.readAll().trimmed();
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    *error = "the server did not print its port within 30 s";
    return false;
}

// SIGTERM, then up to a minute for it to flush the record file and exit; its exit code, or -1.
int stopServer(Server& server)
{
    if (server.pid <= 0)
        return -1;
    ::kill(server.pid, SIGTERM);
    const Clock::time_point start = Clock::now();
    int status = 0;
    while (::waitpid(server.pid, &status, WNOHANG) == 0) {
        if (secondsSince(start) > 60) {
            std::printf("the server did not exit within 60 s of SIGTERM: killed\n");
            ::kill(server.pid, SIGKILL);
            ::waitpid(server.pid, &status, 0);
            server.pid = -1;
            serverPid = -1;
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    server.pid = -1;
    serverPid = -1;
    if (WIFSIGNALED(status))
        std::printf("the server died of signal %d\n", WTERMSIG(status));
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

enum class State {
    Idle,
    Connecting, // TCP connect in progress
    Upgrading, // upgrade request sent, waiting for the 101
    Open,
    Done, // every echo back
    Closed, // closing handshake over, socket closed
    Failed,
};

struct Client
{
    int fd = -1;
    State state = State::Idle;
    QByteArray key;
    QByteArray head; // the server's upgrade response as it arrives
    wsi::FrameParser parser;
    QByteArray out; // frames not written yet
    qsizetype outAt = 0;
    int queued = 0; // messages encoded into `out` so far
    int echoed = 0;
    double finishedSeconds = 0; // first send to this client's last echo
    bool closeAnswered = false;
};

struct Run
{
    const Options& options;
    std::vector<Client> clients;
    QByteArray firstError;
    int failures = 0;
    std::vector<char> buffer = std::vector<char>(1 << 16);

    void fail(int i, const QByteArray& why)
    {
        Client& c = clients[size_t(i)];
        if (firstError.isEmpty())
            firstError = "client " + QByteArray::number(i) + ": " + why;
        ++failures;
        if (c.fd >= 0)
            ::close(c.fd);
        c.fd = -1;
        c.state = State::Failed;
    }

    void startConnect(int i, quint16 port)
    {
        Client& c = clients[size_t(i)];
        c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (c.fd < 0)
            return fail(i, "socket: " + QByteArray(std::strerror(errno)));
        const int one = 1;
        ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in addr = {};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS)
            return fail(i, "connect: " + QByteArray(std::strerror(errno)));
        c.state = State::Connecting;
    }

    void onConnected(int i, quint16 port)
    {
        Client& c = clients[size_t(i)];
        int error = 0;
        socklen_t length = sizeof error;
        if (::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0)
            return fail(i, "connect: " + QByteArray(std::strerror(error)));
        wsi::handshake::ClientRequest request;
        request.url = QUrl(QStringLiteral("ws://127.0.0.1:%1/load").arg(port));
        request.key = c.key = wsi::handshake::newKey();
        const QByteArray bytes = wsi::handshake::buildRequest(request).toBytes();
        if (::send(c.fd, bytes.constData(), size_t(bytes.size()), MSG_NOSIGNAL) != bytes.size())
            return fail(i, "cannot send the upgrade request");
        c.state = State::Upgrading;
    }

    // Reads what is there; false (and the client failed) on an error or the end of the stream.
    bool readInto(int i, QByteArray& to)
    {
        Client& c = clients[size_t(i)];
        const ssize_t n = ::read(c.fd, buffer.data(), buffer.size());
        if (n > 0) {
            to.append(buffer.data(), n);
            return true;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return true;
        fail(i,
            n == 0 ? QByteArray("the server closed the connection")
                   : QByteArray("read: " + QByteArray(std::strerror(errno))));
        return false;
    }

    void onUpgradeData(int i)
    {
        Client& c = clients[size_t(i)];
        if (!readInto(i, c.head))
            return;
        wsi::HttpHead response;
        const wsi::HttpHead::ParseResult parsed = wsi::HttpHead::parse(c.head, response);
        if (parsed.status == wsi::HttpHead::ParseStatus::Incomplete)
            return;
        if (parsed.status == wsi::HttpHead::ParseStatus::Invalid)
            return fail(i, "bad upgrade response: " + parsed.error);
        if (response.status != 101)
            return fail(i, "upgrade refused: " + QByteArray::number(response.status) + ' ' + response.reason);
        const wsi::handshake::Verdict verdict = wsi::handshake::checkResponse(response, c.key, {});
        if (!verdict.ok)
            return fail(i, "bad upgrade response: " + verdict.reason);
        c.parser.feed(QByteArrayView(c.head).sliced(parsed.consumed));
        c.head.clear();
        c.state = State::Open;
    }

    void refill(int i)
    {
        Client& c = clients[size_t(i)];
        if (c.outAt == c.out.size()) {
            c.out.clear();
            c.outAt = 0;
        }
        while (c.out.size() - c.outAt < RefillBytes && c.queued < options.messages) {
            const quint32 mask = 0x9e3779b9u * quint32(i * options.messages + c.queued + 1);
            c.out += wsi::encodeFrame(wsi::Opcode::Text, message(options, i, c.queued), true, mask);
            ++c.queued;
        }
    }

    void onWritable(int i)
    {
        Client& c = clients[size_t(i)];
        const ssize_t n = ::send(c.fd, c.out.constData() + c.outAt, size_t(c.out.size() - c.outAt), MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return fail(i, "write: " + QByteArray(std::strerror(errno)));
        if (n > 0)
            c.outAt += n;
        refill(i);
    }

    void onEchoData(int i, Clock::time_point firstSend)
    {
        Client& c = clients[size_t(i)];
        QByteArray data;
        if (!readInto(i, data))
            return;
        c.parser.feed(data);
        wsi::Frame frame;
        for (;;) {
            const wsi::FrameParser::Status status = c.parser.next(frame);
            if (status == wsi::FrameParser::Status::NeedMore)
                return;
            if (status == wsi::FrameParser::Status::Failed)
                return fail(i, "bad frame from the server: " + c.parser.error().message);
            if (frame.opcode == wsi::Opcode::Close)
                return fail(i, "the server sent a close frame after " + QByteArray::number(c.echoed) + " echoes");
            if (frame.opcode != wsi::Opcode::Text || !frame.fin || frame.masked)
                return fail(i, "unexpected frame (opcode " + QByteArray::number(int(frame.opcode)) + ")");
            if (c.echoed >= options.messages)
                return fail(i, "an echo too many: " + frame.payload.left(40));
            const QByteArray expected = message(options, i, c.echoed);
            if (frame.payload != expected)
                return fail(i,
                    "echo " + QByteArray::number(c.echoed) + " is \"" + frame.payload.left(40) + "\", expected \""
                        + expected.left(40) + '"');
            if (++c.echoed == options.messages) {
                c.finishedSeconds = secondsSince(firstSend);
                c.state = State::Done;
            }
        }
    }

    void onCloseData(int i)
    {
        Client& c = clients[size_t(i)];
        const ssize_t n = ::read(c.fd, buffer.data(), buffer.size());
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (n > 0) {
            c.parser.feed(QByteArrayView(buffer.data(), n));
            wsi::Frame frame;
            while (c.parser.next(frame) == wsi::FrameParser::Status::Frame) {
                if (frame.opcode == wsi::Opcode::Close && frame.payload.size() >= 2)
                    c.closeAnswered = (quint8(frame.payload[0]) << 8 | quint8(frame.payload[1])) == 1000;
            }
            return;
        }
        ::close(c.fd); // the server ended the TCP connection after its close frame
        c.fd = -1;
        c.state = State::Closed;
    }
};

// Polls the clients `wanted` says want something (0 to skip) and hands the ready ones to `handle`. False after
// StallTimeout without any ready socket.
template <typename Wanted, typename Handle>
bool pollOnce(Run& run, std::vector<pollfd>& fds, std::vector<int>& index, Clock::time_point& lastProgress,
    Wanted wanted, Handle handle)
{
    fds.clear();
    index.clear();
    for (int i = 0; i < int(run.clients.size()); ++i) {
        if (const short events = wanted(i)) {
            fds.push_back({ run.clients[size_t(i)].fd, events, 0 });
            index.push_back(i);
        }
    }
    const int ready = ::poll(fds.data(), nfds_t(fds.size()), 1000);
    if (ready < 0 && errno != EINTR) {
        std::printf("poll: %s\n", std::strerror(errno));
        return false;
    }
    if (ready <= 0)
        return Clock::now() - lastProgress < StallTimeout;
    lastProgress = Clock::now();
    for (size_t k = 0; k < fds.size(); ++k) {
        if (fds[k].revents)
            handle(index[k], fds[k].revents);
    }
    return true;
}

const char* yesNo(bool b)
{
    return b ? "yes" : "no";
}

} // namespace

int main(int argc, char* argv[])
{
    Options options;
    if (!parseArguments(argc, argv, options)) {
        std::fprintf(stderr,
            "usage: bench_serve_load [--clients N (1000)] [--messages M (100)] [--size BYTES (32)] "
            "[--wsinspector PATH]\n");
        return 2;
    }
    if (options.size < messagePrefix(options, options.clients - 1, options.messages - 1).size()) {
        std::fprintf(stderr, "bench_serve_load: --size %d is too small for the message numbers\n", options.size);
        return 2;
    }
    if (options.wsinspector.isEmpty())
        options.wsinspector = defaultWsinspector();
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    std::signal(SIGPIPE, SIG_IGN);
    std::signal(SIGALRM, onWatchdog);
    ::alarm(WatchdogSeconds);

    // One socket per client, and a few for everything else.
    rlimit limit = {};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    const rlim_t originalSoft = limit.rlim_cur;
    limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? std::max<rlim_t>(limit.rlim_cur, 1 << 20) : limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
    const rlim_t needed = rlim_t(options.clients) + 64;
    if (limit.rlim_cur < needed) {
        std::printf("bench_serve_load: the open file limit is %llu (hard limit %llu), %d clients need %llu: raise the "
                    "hard limit (ulimit -Hn) or use fewer --clients\n",
            static_cast<unsigned long long>(limit.rlim_cur), static_cast<unsigned long long>(limit.rlim_max),
            options.clients, static_cast<unsigned long long>(needed));
        return 1;
    }

    QTemporaryDir dir;
    if (!dir.isValid()) {
        std::printf("bench_serve_load: cannot create a temporary directory\n");
        return 1;
    }
    const QString record = dir.filePath(QStringLiteral("f.jsonl"));
    std::printf("%d clients x %d messages of %d bytes, echoed by %s serve --mode echo (open file limit: this "
                "process %llu, server started with %llu)\n",
        options.clients, options.messages, options.size, options.wsinspector.constData(),
        static_cast<unsigned long long>(limit.rlim_cur), static_cast<unsigned long long>(originalSoft));
    Server server;
    QByteArray error;
    if (!startServer(options.wsinspector, options.clients, record, dir, originalSoft, server, &error)) {
        std::printf("bench_serve_load: FAILED: cannot start the server: %s\n", error.constData());
        stopServer(server);
        return 1;
    }

    Run run { options, std::vector<Client>(size_t(options.clients)), {}, 0 };
    std::vector<pollfd> fds;
    std::vector<int> index;
    bool ok = true;

    // Connect phase: at most ConnectBatch connections being set up at a time, until all are open.
    const Clock::time_point connectStart = Clock::now();
    Clock::time_point lastProgress = connectStart;
    int next = 0;
    int open = 0;
    int settingUp = 0;
    while (open + run.failures < options.clients) {
        for (; settingUp < ConnectBatch && next < options.clients; ++next) {
            run.startConnect(next, server.port);
            settingUp += run.clients[size_t(next)].state == State::Connecting;
        }
        const bool alive = pollOnce(
            run, fds, index, lastProgress,
            [&](int i) -> short {
                const State s = run.clients[size_t(i)].state;
                return s == State::Connecting ? POLLOUT : s == State::Upgrading ? POLLIN : 0;
            },
            [&](int i, short revents) {
                Client& c = run.clients[size_t(i)];
                if (c.state == State::Connecting && (revents & (POLLOUT | POLLERR | POLLHUP)))
                    run.onConnected(i, server.port);
                else if (c.state == State::Upgrading)
                    run.onUpgradeData(i);
                if (c.state == State::Open || c.state == State::Failed) {
                    --settingUp;
                    open += c.state == State::Open;
                }
            });
        if (!alive) {
            std::printf("connect phase stalled for %lld s: %d of %d clients open, %d being set up, %d not started "
                        "(has the server stopped accepting?)\n",
                static_cast<long long>(StallTimeout.count()), open, options.clients, settingUp, options.clients - next);
            ok = false;
            break;
        }
    }
    const double connectSeconds = secondsSince(connectStart);
    std::printf("connect phase: %d of %d clients connected and upgraded in %.3f s (%.0f connections/s)\n", open,
        options.clients, connectSeconds, double(open) / connectSeconds);
    if (run.failures > 0) {
        std::printf("  %d clients failed; the first: %s\n", run.failures, run.firstError.constData());
        ok = false;
    }

    // Echo phase: every client sends all its messages and reads the echoes.
    qint64 echoed = 0;
    double echoSeconds = 0;
    if (ok) {
        const Clock::time_point firstSend = Clock::now();
        lastProgress = firstSend;
        for (int i = 0; i < options.clients; ++i)
            run.refill(i);
        int done = 0;
        while (done + run.failures < options.clients) {
            const bool alive = pollOnce(
                run, fds, index, lastProgress,
                [&](int i) -> short {
                    const Client& c = run.clients[size_t(i)];
                    if (c.state != State::Open)
                        return 0;
                    return short(POLLIN | (c.outAt < c.out.size() ? POLLOUT : 0));
                },
                [&](int i, short revents) {
                    Client& c = run.clients[size_t(i)];
                    if (revents & POLLOUT)
                        run.onWritable(i);
                    if (c.state == State::Open && (revents & (POLLIN | POLLERR | POLLHUP)))
                        run.onEchoData(i, firstSend);
                    done += c.state == State::Done;
                });
            if (!alive) {
                std::printf("echo phase stalled for %lld s: %d of %d clients done\n",
                    static_cast<long long>(StallTimeout.count()), done, options.clients);
                break;
            }
        }
        echoSeconds = secondsSince(firstSend);
        std::vector<double> finished;
        for (const Client& c : run.clients) {
            echoed += c.echoed;
            if (c.state == State::Done)
                finished.push_back(c.finishedSeconds);
        }
        const qint64 expected = qint64(options.clients) * options.messages;
        std::printf("echo phase: %lld of %lld messages echoed byte-exact and in order, first send to last echo "
                    "%.3f s\n",
            static_cast<long long>(echoed), static_cast<long long>(expected), echoSeconds);
        std::printf("  %.0f echoed messages/s, %.1f MB/s of payload each way\n", double(echoed) / echoSeconds,
            double(echoed) * options.size / echoSeconds / 1e6);
        if (!finished.empty()) {
            std::sort(finished.begin(), finished.end());
            const auto at = [&](double q) { return finished[size_t(q * double(finished.size() - 1))] * 1e3; };
            std::printf("  per-client completion (first send to the client's last echo): min %.1f ms, p50 %.1f "
                        "ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
                at(0), at(0.5), at(0.9), at(0.99), at(1));
        }
        if (echoed != expected) {
            ok = false;
            if (run.failures > 0)
                std::printf("  %d clients failed; the first: %s\n", run.failures, run.firstError.constData());
        }
    }

    // Close phase: close 1000 from every client, then wait for the server's close frame and the end of the stream.
    const Clock::time_point closeStart = Clock::now();
    lastProgress = closeStart;
    int closing = 0;
    const QByteArray closeFrame = wsi::encodeFrame(wsi::Opcode::Close, wsi::closePayload(1000, {}), true, 0x01020304u);
    for (Client& c : run.clients) {
        if (c.fd < 0)
            continue;
        if (c.state == State::Done || c.state == State::Open) {
            [[maybe_unused]] const ssize_t n
                = ::send(c.fd, closeFrame.constData(), size_t(closeFrame.size()), MSG_NOSIGNAL);
            c.state = State::Done;
            ++closing;
        } else {
            ::close(c.fd); // never upgraded
            c.fd = -1;
        }
    }
    const int closeSent = closing;
    while (closing > 0) {
        const bool alive = pollOnce(
            run, fds, index, lastProgress,
            [&](int i) -> short { return run.clients[size_t(i)].state == State::Done ? POLLIN : 0; },
            [&](int i, short) {
                run.onCloseData(i);
                closing -= run.clients[size_t(i)].state == State::Closed;
            });
        if (!alive)
            break;
    }
    int closeAnswered = 0;
    for (Client& c : run.clients) {
        closeAnswered += c.closeAnswered;
        if (c.fd >= 0)
            ::close(c.fd);
    }
    std::printf("close phase: %d close frames sent, %d answered with 1000 and ended by the server in %.3f s\n",
        closeSent, closeAnswered, secondsSince(closeStart));
    ok = ok && closeAnswered == closeSent;

    const Clock::time_point stopStart = Clock::now();
    const int exitCode = stopServer(server);
    std::printf("server: SIGTERM, exit code %d after %.3f s\n", exitCode, secondsSince(stopStart));
    ok = ok && exitCode == 0;
    if (QFile out(server.outPath); out.open(QIODevice::ReadOnly)) {
        const QByteArray text = out.readAll().trimmed();
        std::printf("server's last line: %s\n", text.mid(text.lastIndexOf('\n') + 1).constData());
    }
    if (QFile err(server.errPath); err.open(QIODevice::ReadOnly) && err.size() > 0) {
        const QByteArray text = err.readAll().trimmed();
        std::printf(
            "server's stderr (%lld bytes): %s\n", static_cast<long long>(text.size()), text.left(2000).constData());
    }

    // What the record file holds: every message once each way.
    const qint64 expected = qint64(options.clients) * options.messages;
    std::vector<bool> seen[2] = { std::vector<bool>(size_t(expected)), std::vector<bool>(size_t(expected)) };
    qint64 texts[2] = { 0, 0 };
    qint64 unique[2] = { 0, 0 };
    qint64 foreign = 0;
    qint64 connections = 0;
    qint64 lines = 0;
    QFile f(record);
    if (!f.open(QIODevice::ReadOnly)) {
        std::printf("cannot read %s\n", qPrintable(record));
        return 1;
    }
    while (!f.atEnd()) {
        const QByteArray line = f.readLine();
        ++lines;
        const QJsonObject o = QJsonDocument::fromJson(line).object();
        if (o.value(QLatin1StringView("type")).toString() == QLatin1StringView("connection")) {
            ++connections;
            continue;
        }
        if (o.value(QLatin1StringView("kind")).toString() != QLatin1StringView("text"))
            continue;
        const QString dir = o.value(QLatin1StringView("dir")).toString();
        const int d = dir == QLatin1StringView("c2s") ? 0 : dir == QLatin1StringView("s2c") ? 1 : -1;
        if (d < 0)
            continue;
        ++texts[d];
        const auto [client, i] = identify(options, o.value(QLatin1StringView("data")).toString().toUtf8());
        if (client < 0) {
            ++foreign;
            continue;
        }
        const size_t slot = size_t(client) * size_t(options.messages) + size_t(i);
        unique[d] += !seen[d][slot];
        seen[d][slot] = true;
    }
    const bool allRecorded = connections == options.clients && texts[0] == expected && texts[1] == expected
        && unique[0] == expected && unique[1] == expected;
    std::printf("f.jsonl: %lld lines, %.1f MB; %lld connections; text c2s %lld (%lld distinct), text s2c %lld (%lld "
                "distinct), %lld not ours; expected %d connections and %lld each way\n",
        static_cast<long long>(lines), double(f.size()) / 1e6, static_cast<long long>(connections),
        static_cast<long long>(texts[0]), static_cast<long long>(unique[0]), static_cast<long long>(texts[1]),
        static_cast<long long>(unique[1]), static_cast<long long>(foreign), options.clients,
        static_cast<long long>(expected));
    std::printf("all recorded: %s\n", yesNo(allRecorded));
    ok = ok && allRecorded;
    std::printf("result: %s\n", ok ? "ok" : "FAILED (something was lost or failed, see above)");
    return ok ? 0 : 1;
}
