#include "sessionformat.h"

#include <QFileInfo>

namespace wsi {

std::optional<SessionFormat> sessionFormatForPath(const QString& path)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == u"jsonl")
        return SessionFormat::Jsonl;
    if (suffix == u"har")
        return SessionFormat::Har;
    if (suffix == u"csv")
        return SessionFormat::Csv;
    if (suffix == u"txt" || suffix == u"log")
        return SessionFormat::Text;
    if (suffix == u"pcap")
        return SessionFormat::Pcap;
    return std::nullopt;
}

QString sessionFormatName(SessionFormat format)
{
    switch (format) {
    case SessionFormat::Jsonl:
        return QStringLiteral("JSONL");
    case SessionFormat::Har:
        return QStringLiteral("HAR");
    case SessionFormat::Csv:
        return QStringLiteral("CSV");
    case SessionFormat::Text:
        return QStringLiteral("text");
    case SessionFormat::Pcap:
        return QStringLiteral("pcap");
    }
    return {};
}

QString sessionFormatExtension(SessionFormat format)
{
    switch (format) {
    case SessionFormat::Jsonl:
        return QStringLiteral("jsonl");
    case SessionFormat::Har:
        return QStringLiteral("har");
    case SessionFormat::Csv:
        return QStringLiteral("csv");
    case SessionFormat::Text:
        return QStringLiteral("txt");
    case SessionFormat::Pcap:
        return QStringLiteral("pcap");
    }
    return {};
}

bool canImport(SessionFormat format)
{
    return format == SessionFormat::Jsonl || format == SessionFormat::Har;
}

} // namespace wsi
