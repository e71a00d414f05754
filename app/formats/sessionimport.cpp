#include "sessionimport.h"

#include "harreader.h"
#include "sessionformat.h"

#include <QFile>

namespace wsi {

namespace {

// What the first bytes say: a session file starts with its header line, a HAR file with {"log": (after
// optional whitespace); anything else is left to the JSONL reader, whose error names the problem.
std::optional<SessionFormat> sniff(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QByteArray start = file.peek(4096);
    const QByteArray trimmed = start.trimmed();
    if (trimmed.startsWith("{\"type\""))
        return SessionFormat::Jsonl;
    if (trimmed.startsWith('{') && trimmed.contains("\"log\""))
        return SessionFormat::Har;
    return std::nullopt;
}

} // namespace

bool readSessionFile(const QString& path, SessionData& data, QString* error, SessionReader::Progress progress)
{
    // The content wins over the extension: a session saved as .har by mistake still opens.
    std::optional<SessionFormat> format = sniff(path);
    if (!format)
        format = sessionFormatForPath(path);
    if (format == SessionFormat::Har)
        return HarReader::readFile(path, data, error, std::move(progress));
    return SessionReader::readFile(path, data, error, std::move(progress));
}

} // namespace wsi
