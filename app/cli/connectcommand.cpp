#include "connectcommand.h"

#include "../core/capturequeue.h"
#include "../core/recorder.h"
#include "../net/capturesession.h"
#include "../wire/utf8.h"
#include "commandline.h"
#include "console.h"
#include "headlessrun.h"

#include <QCoreApplication>
#include <QFile>
#include <QSocketNotifier>
#include <QTimer>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <unistd.h>

namespace wsi {

using console::printLine;

namespace {

constexpr qint64 MaxSendFileBytes = qint64(64) * 1024 * 1024;
constexpr qint64 MaxInputLineBytes = qint64(64) * 1024 * 1024;
constexpr qint64 MaxAuthFileBytes = 64 * 1024;
// Back-pressure on stdin: while this many sends wait for the capture thread, stdin is not read (so that
// `cat big.txt | wsinspector connect URL` does not queue the whole file), and is looked at again this often.
constexpr qint64 MaxPendingSends = 2000;
constexpr int InputRetryMs = 5;
constexpr int BinaryPreviewBytes = 64;
constexpr int DrainIntervalMs = 20;
// After we asked to close: the engine ends the connection itself within a few seconds when the server does
// not answer; this is only the last resort so that the command always ends.
constexpr int CloseGraceMs = 10000;

// One message, one line: line breaks become \n and \r, other control characters \xHH (tab stays).
QByteArray oneLine(const QByteArray& utf8)
{
    const QString text = QString::fromUtf8(utf8);
    QString out;
    out.reserve(text.size());
    for (const QChar ch : text) {
        const char16_t u = ch.unicode();
        if (u == u'\n')
            out += QLatin1StringView("\\n");
        else if (u == u'\r')
            out += QLatin1StringView("\\r");
        else if ((u < 0x20 && u != u'\t') || u == 0x7f)
            out += QStringLiteral("\\x%1").arg(uint(u), 2, 16, QLatin1Char('0'));
        else
            out += ch;
    }
    return out.toUtf8();
}

QByteArray binaryLine(qint64 size, const QByteArray& payload)
{
    QByteArray line = "< [binary " + QByteArray::number(size) + (size == 1 ? " byte]" : " bytes]");
    if (!payload.isEmpty())
        line += ' ' + payload.left(BinaryPreviewBytes).toHex();
    if (size > BinaryPreviewBytes)
        line += "\u2026";
    return line;
}

// "1000 (normal closure): bye", "4001", "no status code"
QByteArray describeClose(quint16 code, const QByteArray& reason)
{
    QByteArray out = code == 0 ? QByteArray("no status code") : QByteArray::number(code);
    if (const QString meaning = closeCodeText(code); code != 0 && !meaning.isEmpty())
        out += " (" + meaning.toUtf8() + ')';
    if (!reason.isEmpty())
        out += ": " + oneLine(reason);
    return out;
}

// The server ended the conversation as it should: 1000 normal, 1001 going away, or a close frame without
// a code (1005 on our side), which is a complete closing handshake too.
bool isNormalClose(quint16 code)
{
    return code == 0 || code == 1000 || code == 1001 || code == 1005;
}

// --bearer @FILE, --basic @FILE: the secret comes from a file, so that it is not on the command line.
bool readAuthFile(const QString& path, ClientAuth* auth, QString* error)
{
    const QString option
        = auth->kind == ClientAuth::Kind::Bearer ? QStringLiteral("--bearer") : QStringLiteral("--basic");
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("%1 @FILE: cannot read %2: %3").arg(option, path, file.errorString());
        return false;
    }
    QByteArray data = file.read(MaxAuthFileBytes + 1);
    if (data.isEmpty() && file.error() != QFileDevice::NoError) {
        *error = QStringLiteral("%1 @FILE: cannot read %2: %3").arg(option, path, file.errorString());
        return false;
    }
    if (data.size() > MaxAuthFileBytes) {
        *error = QStringLiteral("%1 @FILE: %2 is too big for a credential (more than 64 KiB)").arg(option, path);
        return false;
    }
    // `echo TOKEN > FILE` ends it with a line break, which belongs to no token.
    while (data.endsWith('\n') || data.endsWith('\r'))
        data.chop(1);
    if (!isValidUtf8(data)) {
        *error = QStringLiteral("%1 @FILE: %2 is not UTF-8 text").arg(option, path);
        return false;
    }
    const QString problem = CommandLine::authFromValue(auth->kind, QString::fromUtf8(data), auth);
    if (!problem.isEmpty()) {
        *error = QStringLiteral("%1 (read from %2)").arg(problem, path);
        return false;
    }
    return true;
}

std::optional<QByteArray> readSendFile(const QString& path, QString* error)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    const QString tooBig = QStringLiteral("%1 is too big to send as one message (more than 64 MiB)").arg(path);
    if (file.size() > MaxSendFileBytes) {
        *error = tooBig;
        return std::nullopt;
    }
    // Read one byte more than allowed, so that files whose size the system does not know (pipes) are
    // checked too.
    const QByteArray data = file.read(MaxSendFileBytes + 1);
    if (data.isEmpty() && file.error() != QFileDevice::NoError) {
        *error = QStringLiteral("cannot read %1: %2").arg(path, file.errorString());
        return std::nullopt;
    }
    if (data.size() > MaxSendFileBytes) {
        *error = tooBig;
        return std::nullopt;
    }
    return data;
}

// One run of the command: the session's events in, lines out, stdin lines and signals in.
class ConnectRun
{
public:
    ConnectRun(const CommandLine& commandLine, QByteArray fileToSend, CaptureSession* session, std::FILE* messages)
        : m_commandLine(commandLine)
        , m_fileToSend(std::move(fileToSend))
        , m_session(session)
        , m_messages(messages)
        , m_queue(std::make_shared<CaptureQueue>())
        , m_drainTimer(new QTimer(&m_context))
        , m_graceTimer(new QTimer(&m_context))
        , m_inputRetryTimer(new QTimer(&m_context))
    {
        m_session->recorder()->addSink(m_queue);
        m_drainTimer->setInterval(DrainIntervalMs);
        QObject::connect(m_drainTimer, &QTimer::timeout, &m_context, [this] { drain(); });
        m_graceTimer->setSingleShot(true);
        m_graceTimer->setInterval(CloseGraceMs);
        QObject::connect(m_graceTimer, &QTimer::timeout, &m_context, [this] {
            diagnostic("! the connection did not end within " + QByteArray::number(CloseGraceMs / 1000)
                + " s of closing; giving up");
            checkCloseAnswered();
            finish(m_failed ? 1 : 0);
        });
        m_inputRetryTimer->setSingleShot(true);
        m_inputRetryTimer->setInterval(InputRetryMs);
        QObject::connect(m_inputRetryTimer, &QTimer::timeout, &m_context, [this] { resumeInputWhenDrained(); });
        // A state change means there is something to print (open, closed): no need to wait for the timer.
        QObject::connect(m_session, &CaptureSession::connectionStateChanged, &m_context, [this] { drain(); });
    }
    ~ConnectRun() { m_session->recorder()->removeSink(m_queue); }
    Q_DISABLE_COPY_MOVE(ConnectRun)

    void start()
    {
        m_id = m_session->connectClient(m_commandLine.client);
        m_drainTimer->start();
    }

    // SIGINT/SIGTERM: the first closes politely, a second one does not wait any more.
    void onTerminationRequested()
    {
        if (m_closeRequested) {
            finish(m_failed ? 1 : 0);
            return;
        }
        requestClose(1001, QStringLiteral("going away"), CloseCause::Interrupted);
    }

    // Prints what is left after the session shut down.
    void drain()
    {
        const CaptureBatch batch = m_queue->takeAll();
        for (const Connection& c : batch.connections) {
            if (c.id == m_id)
                m_subprotocol = c.subprotocol;
        }
        for (const Event& e : batch.events) {
            if (e.connection == m_id)
                handle(e);
        }
    }

    int exitCode() const { return m_exitCode; }

    // Sends that found the connection closed (the server closed while stdin still had lines): said once, at
    // the end, as what it is rather than as one engine error per line.
    void reportUnsent()
    {
        if (m_unsent > 0)
            diagnostic("! " + QByteArray::number(m_unsent) + (m_unsent == 1 ? " line" : " lines")
                + " not sent: the connection was closed");
    }

private:
    void diagnostic(const QByteArray& line) { printLine(stderr, line); }

    // A reader that went away (`wsinspector connect URL | head -3`) ends the conversation as a browser tab
    // that closes would: 1001, going away, with the record flushed.
    void message(const QByteArray& line)
    {
        if (m_readerGone)
            return;
        const QByteArray bytes = line + '\n';
        if (std::fwrite(bytes.constData(), 1, size_t(bytes.size()), m_messages) != size_t(bytes.size())
            || std::fflush(m_messages) != 0) {
            m_readerGone = true;
            requestClose(1001, QStringLiteral("going away"), CloseCause::Interrupted);
        }
    }

    void handle(const Event& e)
    {
        switch (e.kind) {
        case EventKind::Open:
            onOpen(e);
            break;
        case EventKind::Text:
            if (e.direction == Direction::S2C)
                message("< " + oneLine(e.payload));
            break;
        case EventKind::Binary:
            if (e.direction == Direction::S2C)
                message(binaryLine(e.size, e.payload));
            break;
        case EventKind::Ping:
            if (e.direction == Direction::S2C)
                diagnostic("! ping from the server"
                    + (e.payload.isEmpty() ? QByteArray() : ": " + QByteArray::number(e.payload.size()) + " bytes"));
            break;
        case EventKind::Pong:
            if (e.direction == Direction::S2C)
                diagnostic("! pong" + (e.note.isEmpty() ? QByteArray() : " (" + e.note + ')'));
            break;
        case EventKind::Close:
            onClose(e);
            break;
        case EventKind::Closed:
            onClosed(e);
            break;
        case EventKind::Error:
            // A send that came too late: the outcome is the close's, not this error's.
            if (e.payload == "cannot send: connection " + QByteArray::number(m_id) + " is not open") {
                ++m_unsent;
                break;
            }
            // An error after we asked to close (a cancelled attempt, say) is how it ended, not a failure.
            if (!m_closeRequested)
                m_failed = true;
            diagnostic("! " + oneLine(e.payload));
            // The engine's advice names the GUI's switch; here it is an option.
            if (e.payload.startsWith("TLS certificate problem") && !m_commandLine.client.ignoreCertificateErrors)
                diagnostic("! --insecure connects anyway (unsafe: anyone on the way could read and change the "
                           "traffic)");
            break;
        case EventKind::Note:
            diagnostic("! " + oneLine(e.payload));
            break;
        case EventKind::HandshakeRequest:
        case EventKind::HandshakeResponse:
            break; // in the record, not on the terminal
        }
    }

    void onOpen(const Event& e)
    {
        QByteArray line = "connected to " + m_commandLine.client.url.toString().toUtf8();
        if (!m_subprotocol.isEmpty())
            line += " (subprotocol: " + m_subprotocol.toUtf8() + ')';
        diagnostic(line);
        m_opened = true;
        if (!e.note.isEmpty())
            diagnostic("! " + e.note);
        if (m_closeRequested)
            return; // a signal arrived while connecting; the close is on its way
        for (const QString& text : m_commandLine.sendTexts)
            m_session->sendText(m_id, text);
        if (!m_commandLine.sendFile.isEmpty())
            m_session->sendBinary(m_id, m_fileToSend);
        m_fileToSend.clear();
        if (!::isatty(STDIN_FILENO) || m_commandLine.interactive)
            startReadingInput();
    }

    void onClose(const Event& e)
    {
        // The conversation is ending: lines read from now on could not be sent any more.
        stopReadingInput();
        if (e.direction == Direction::C2S) {
            if (!m_closeReceived && !m_weClosedFirst) {
                m_weClosedFirst = true;
                if (!m_closeRequested) // the engine closes by itself on a protocol error
                    diagnostic("! closing with " + describeClose(e.closeCode, e.payload));
            }
            return;
        }
        if (m_closeReceived)
            return;
        m_closeReceived = true;
        m_receivedCode = e.closeCode;
        if (m_weClosedFirst)
            diagnostic("! the server answered our close with " + describeClose(e.closeCode, e.payload));
        else
            diagnostic("! closed by the server with " + describeClose(e.closeCode, e.payload));
    }

    void onClosed(const Event& e)
    {
        if (!m_closeReceived && m_opened) {
            // No close frame from the server: the connection dropped. (One that never opened has said why in
            // its error already.)
            QByteArray line = "! " + oneLine(e.payload) + " (code " + QByteArray::number(e.closeCode);
            if (const QString meaning = closeCodeText(e.closeCode); !meaning.isEmpty())
                line += ", " + meaning.toUtf8();
            diagnostic(line + ')');
        }
        checkCloseAnswered();
        // Whatever happened after the user asked to close is how it ended, not a failure.
        if (!m_closeRequested) {
            if (!m_closeReceived)
                m_failed = true; // dropped, or never opened
            else if (m_weClosedFirst)
                m_failed = true; // the engine closed because of a protocol error
            else if (!isNormalClose(m_receivedCode))
                m_failed = true; // the server ended it with a code that says something went wrong
        }
        finish(m_failed ? 1 : 0);
    }

    enum class CloseCause {
        EndOfInput,
        Interrupted, // a signal, or the reader of stdout went away
    };

    // At the end of stdin the user expects a complete closing handshake; a server that does not answer our
    // close is a failure there. (After a signal, it is only how the interrupted conversation ended.)
    void checkCloseAnswered()
    {
        if (m_closeCause != CloseCause::EndOfInput || !m_opened || m_closeReceived || m_reportedUnanswered)
            return;
        m_reportedUnanswered = true;
        m_failed = true;
        diagnostic("! the server did not answer the closing handshake");
    }

    void requestClose(quint16 code, const QString& reason, CloseCause cause)
    {
        if (m_closeRequested)
            return;
        m_closeRequested = true;
        m_closeCause = cause;
        stopReadingInput();
        m_session->closeConnection(m_id, code, reason);
        m_graceTimer->start();
    }

    void finish(int code)
    {
        if (m_finished)
            return;
        m_finished = true;
        m_exitCode = code;
        stopReadingInput();
        m_graceTimer->stop();
        QCoreApplication::exit(code);
    }

    void startReadingInput()
    {
        m_input = new QSocketNotifier(STDIN_FILENO, QSocketNotifier::Read, &m_context);
        QObject::connect(m_input, &QSocketNotifier::activated, &m_context, [this] { readInput(); });
    }

    void stopReadingInput()
    {
        m_inputRetryTimer->stop();
        if (!m_input)
            return;
        m_input->setEnabled(false);
        m_input->deleteLater();
        m_input = nullptr;
    }

    void resumeInputWhenDrained()
    {
        if (!m_input)
            return;
        if (m_session->pendingSends() > MaxPendingSends)
            m_inputRetryTimer->start();
        else
            m_input->setEnabled(true);
    }

    void readInput()
    {
        // One read per wake-up: the descriptor is readable, so this does not block, and stdin stays in the
        // blocking mode the shell gave it.
        char buffer[65536];
        const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            return;
        if (n <= 0) {
            if (!m_pendingLine.isEmpty() && !m_skippingLine)
                sendLine(m_pendingLine);
            m_pendingLine.clear();
            requestClose(1000, {}, CloseCause::EndOfInput);
            return;
        }
        // The bytes kept from before hold no line break: only the new ones need looking at, so that a long
        // line arriving in many reads is not scanned again and again.
        const qsizetype scanFrom = m_pendingLine.size();
        m_pendingLine.append(buffer, n);
        qsizetype start = 0;
        for (qsizetype end = m_pendingLine.indexOf('\n', scanFrom); end >= 0;
             end = m_pendingLine.indexOf('\n', start)) {
            if (m_skippingLine)
                ++m_lineNumber; // said when it began
            else
                sendLine(m_pendingLine.sliced(start, end - start));
            m_skippingLine = false;
            start = end + 1;
        }
        m_pendingLine.remove(0, start);
        if (m_skippingLine) {
            m_pendingLine.clear(); // more of the line being dropped
        } else if (m_pendingLine.size() > MaxInputLineBytes) {
            diagnostic("! line " + QByteArray::number(m_lineNumber + 1) + " is longer than 64 MiB; not sent");
            m_skippingLine = true;
            m_pendingLine.clear();
        }
        if (m_input && m_session->pendingSends() > MaxPendingSends) {
            m_input->setEnabled(false);
            m_inputRetryTimer->start();
        }
    }

    void sendLine(QByteArray line)
    {
        ++m_lineNumber;
        if (line.endsWith('\r'))
            line.chop(1);
        // Text messages are UTF-8 by definition (RFC 6455); replacing the bad bytes would send something else
        // than the user gave, without a word.
        if (!isValidUtf8(line)) {
            diagnostic("! line " + QByteArray::number(m_lineNumber) + " is not valid UTF-8; not sent");
            return;
        }
        m_session->sendText(m_id, QString::fromUtf8(line));
    }

    const CommandLine& m_commandLine;
    QByteArray m_fileToSend;
    CaptureSession* m_session;
    std::FILE* m_messages;
    QObject m_context;
    std::shared_ptr<CaptureQueue> m_queue;
    QTimer* m_drainTimer;
    QTimer* m_graceTimer;
    QTimer* m_inputRetryTimer; // stdin paused while the capture thread has many sends to do
    QSocketNotifier* m_input = nullptr;
    QByteArray m_pendingLine;
    qint64 m_lineNumber = 0; // of stdin, complete lines so far
    bool m_skippingLine = false;
    qint64 m_unsent = 0;
    bool m_readerGone = false;
    quint32 m_id = 0;
    QString m_subprotocol;
    bool m_opened = false;
    bool m_closeRequested = false; // by the user: end of stdin, a signal
    CloseCause m_closeCause = CloseCause::Interrupted;
    bool m_reportedUnanswered = false;
    bool m_weClosedFirst = false;
    bool m_closeReceived = false;
    quint16 m_receivedCode = 0;
    bool m_failed = false;
    bool m_finished = false;
    int m_exitCode = 0;
};

} // namespace

int ConnectCommand::run(const CommandLine& givenCommandLine)
{
    CommandLine commandLine = givenCommandLine;
    if (!commandLine.authFile.isEmpty()) {
        QString error;
        if (!readAuthFile(commandLine.authFile, &commandLine.client.auth, &error)) {
            printLine(stderr, QStringLiteral("wsinspector: connect: ") + error);
            return 2;
        }
    }
    QByteArray fileToSend;
    if (!commandLine.sendFile.isEmpty()) {
        QString error;
        const std::optional<QByteArray> data = readSendFile(commandLine.sendFile, &error);
        if (!data) {
            printLine(stderr, QStringLiteral("wsinspector: connect: ") + error);
            return 2;
        }
        fileToSend = *data;
    }
    // A closed stdout is an answer (see ConnectRun::message), not a reason to die without flushing the record.
    std::signal(SIGPIPE, SIG_IGN);
    HeadlessRun frame;
    if (!frame.isValid())
        return 1;
    const CaptureSession::Options options = HeadlessRun::sessionOptions(commandLine.recordFile);
    std::FILE* const messages = console::isStandardOutput(options.journalPath) ? stderr : stdout;

    int exitCode = 0;
    {
        CaptureSession session(options);
        ConnectRun run(commandLine, std::move(fileToSend), &session, messages);
        frame.watch(&session);
        frame.onTermination([&run] { run.onTerminationRequested(); });
        run.start();
        frame.exec(&session);
        run.drain();
        run.reportUnsent();
        exitCode = frame.journalFailed() ? 1 : run.exitCode();
    }
    return exitCode;
}

} // namespace wsi
