// Writing and reading sessions in every format: 100,000 messages (JSON text and small binary, both ways, on a
// few connections with their handshakes) exported to JSONL, HAR, CSV, text and pcap, from a file just read
// (SessionData) and from the event store (what File > Export does), then the two formats that can be read
// (JSONL, HAR) read back. Prints time, size and the peak memory each step added; no pass/fail.
//
//   bench_formats [--messages 100000] [--payload BYTES]

#include "core/eventstore.h"
#include "formats/sessionexporter.h"
#include "formats/sessionimport.h"
#include "formats/storeexport.h"
#include "residentmemory.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>

#include <cstdio>
#include <fstream>
#include <malloc.h>

using namespace wsi;

namespace {

constexpr quint32 connectionCount = 4;

// The peak resident memory (VmHWM) since the last reset, in bytes; -1 when unknown.
qint64 peakResidentBytes()
{
    std::ifstream status("/proc/self/status");
    std::string key;
    while (status >> key) {
        if (key == "VmHWM:") {
            long long kib = 0;
            status >> kib;
            return qint64(kib) * 1024;
        }
        status.ignore(1 << 20, '\n');
    }
    return -1;
}

// Linux lets a process reset its own peak (clear_refs 5), so that each step is measured on its own. Memory
// that an earlier step freed goes back to the system first: reused, it would hide what this step takes.
void resetPeak()
{
    malloc_trim(0);
    std::ofstream("/proc/self/clear_refs") << "5";
}

SessionData makeSession(int messages, int payloadBytes)
{
    SessionData data;
    qint64 ts = 1796000000000000;
    quint64 seq = 0;
    auto add = [&](quint32 conn, Direction d, EventKind kind, QByteArray payload, quint16 code = 0) {
        Event e = makeEvent(conn, d, kind, std::move(payload));
        e.seq = ++seq;
        e.timestampUs = (ts += 137);
        e.monotonicNs = e.timestampUs * 1000;
        e.closeCode = code;
        if (kind == EventKind::Close && code)
            e.size += 2;
        data.events.push_back(std::move(e));
    };
    for (quint32 id = 1; id <= connectionCount; ++id) {
        Connection c;
        c.id = id;
        c.role = ConnectionRole::Client;
        c.url = QStringLiteral("wss://api.example.com/stream?room=%1&token=bench").arg(id);
        c.peer = QStringLiteral("93.184.216.34:443");
        data.connections.append(c);
        add(id, Direction::None, EventKind::HandshakeRequest,
            "GET /stream?room=" + QByteArray::number(id)
                + "&token=bench HTTP/1.1\r\nHost: api.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                  "Authorization: Bearer bench\r\n\r\n");
        add(id, Direction::None, EventKind::HandshakeResponse,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
        add(id, Direction::None, EventKind::Open, "connected");
    }
    const QByteArray padding(std::max(0, payloadBytes - 48), 'x');
    for (int i = 0; i < messages; ++i) {
        const quint32 id = quint32(i) % connectionCount + 1;
        const Direction d = i % 2 ? Direction::S2C : Direction::C2S;
        if (i % 4 == 3) {
            QByteArray binary(std::max(1, payloadBytes / 2), Qt::Uninitialized);
            for (qsizetype b = 0; b < binary.size(); ++b)
                binary[b] = char(i + b);
            add(id, d, EventKind::Binary, binary);
        } else {
            add(id, d, EventKind::Text,
                R"({"type":"tick","n":)" + QByteArray::number(i) + R"(,"text":"caf\u00e9 )" + padding + "\"}");
        }
    }
    for (quint32 id = 1; id <= connectionCount; ++id)
        add(id, Direction::C2S, EventKind::Close, "bye", 1000);
    return data;
}

QByteArray megabytes(qint64 bytes)
{
    return QByteArray::number(double(bytes) / 1e6, 'f', 1) + " MB";
}

void printRow(const char* step, const QString& format, qint64 ms, qint64 fileBytes, qint64 peakAdded)
{
    std::printf("%-22s %-6s %7lld ms  %10s  %6.1f MB/s  peak +%s\n", step, qPrintable(format), (long long)ms,
        megabytes(fileBytes).constData(), ms > 0 ? double(fileBytes) / 1e3 / double(ms) : 0.0,
        megabytes(peakAdded).constData());
}

} // namespace

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    int messages = 100000;
    int payload = 64;
    const QStringList args = app.arguments();
    for (qsizetype i = 1; i + 1 < args.size(); i += 2) {
        if (args.at(i) == QLatin1StringView("--messages"))
            messages = args.at(i + 1).toInt();
        else if (args.at(i) == QLatin1StringView("--payload"))
            payload = args.at(i + 1).toInt();
    }
    QTemporaryDir dir;
    if (!dir.isValid())
        return 1;

    const SessionData data = makeSession(messages, payload);
    qint64 payloadBytes = 0;
    for (const Event& e : data.events)
        payloadBytes += e.payload.size();
    std::printf("%d messages of about %d bytes in %u connections: %zu events, %s of payload\n", messages, payload,
        connectionCount, data.events.size(), megabytes(payloadBytes).constData());

    EventStore store;
    store.append(data.events);
    for (const Connection& c : data.connections)
        store.applyConnection(c);

    ExportOptions options;
    options.app = QStringLiteral("wsinspector bench");
    const SessionFormat formats[]
        = { SessionFormat::Jsonl, SessionFormat::Har, SessionFormat::Csv, SessionFormat::Text, SessionFormat::Pcap };
    QElapsedTimer timer;
    for (const bool fromStore : { false, true }) {
        for (const SessionFormat format : formats) {
            const QString path = dir.filePath(QStringLiteral("session.") + sessionFormatExtension(format));
            QString error;
            const qint64 base = residentBytes();
            resetPeak();
            timer.start();
            const bool ok = fromStore
                ? StoreExport(store.snapshot(), store.connections()).write(path, format, options, &error)
                : exportSession(data, path, format, options, &error);
            const qint64 ms = timer.elapsed();
            const qint64 peak = peakResidentBytes();
            if (!ok) {
                std::printf("write %s failed: %s\n", qPrintable(sessionFormatName(format)), qPrintable(error));
                return 1;
            }
            printRow(fromStore ? "write from the store" : "write from SessionData", sessionFormatName(format), ms,
                QFileInfo(path).size(), std::max<qint64>(0, peak - base));
        }
    }
    for (const SessionFormat format : { SessionFormat::Jsonl, SessionFormat::Har }) {
        const QString path = dir.filePath(QStringLiteral("session.") + sessionFormatExtension(format));
        SessionData back;
        QString error;
        const qint64 base = residentBytes();
        resetPeak();
        timer.start();
        const bool ok = readSessionFile(path, back, &error);
        const qint64 ms = timer.elapsed();
        const qint64 peak = peakResidentBytes();
        if (!ok) {
            std::printf("read %s failed: %s\n", qPrintable(sessionFormatName(format)), qPrintable(error));
            return 1;
        }
        printRow("read", sessionFormatName(format), ms, QFileInfo(path).size(), std::max<qint64>(0, peak - base));
        std::printf("%29s%zu events, %lld connections, %lld warnings\n", "", back.events.size(),
            (long long)back.connections.size(), (long long)back.warnings.size());
    }
    return 0;
}
