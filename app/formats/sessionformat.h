#pragma once

#include <QString>

#include <optional>

namespace wsi {

// The file formats a session can be written to; JSONL and HAR can also be read.
enum class SessionFormat {
    Jsonl, // the native format (DESIGN.md "Session file")
    Har, // HAR 1.2 with Chrome's _webSocketMessages
    Csv, // one row per event, RFC 4180
    Text, // a readable log
    Pcap, // classic libpcap, Ethernet/IPv4/TCP, each connection a synthetic TCP stream
};

// From the file name's extension, case-insensitively: .jsonl .har .csv .txt .log .pcap; nullopt otherwise.
std::optional<SessionFormat> sessionFormatForPath(const QString& path);
// "JSONL", "HAR", ...: for messages.
QString sessionFormatName(SessionFormat format);
// The preferred extension without the dot: "jsonl", "har", "csv", "txt", "pcap".
QString sessionFormatExtension(SessionFormat format);
bool canImport(SessionFormat format);

} // namespace wsi
