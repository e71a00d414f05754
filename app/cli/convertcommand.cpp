#include "convertcommand.h"

#include "../formats/sessionexporter.h"
#include "../formats/sessionimport.h"
#include "../formats/sessionreader.h"
#include "commandline.h"
#include "console.h"

#include <QBuffer>
#include <QFile>
#include <QRegularExpression>

#include <sys/stat.h>

namespace wsi {

using console::printLine;

namespace {

QString prefixed(const QString& text)
{
    return QStringLiteral("wsinspector: convert: ") + text;
}

// Two names for one file (a link, a hard link, another spelling), which the command line alone cannot see.
// Writing OUT over IN would replace the session being read.
bool isSameFile(const QString& a, const QString& b)
{
    struct stat first = {};
    struct stat second = {};
    if (::stat(QFile::encodeName(a).constData(), &first) != 0 || ::stat(QFile::encodeName(b).constData(), &second) != 0)
        return false;
    return first.st_dev == second.st_dev && first.st_ino == second.st_ino;
}

// The reader lists at most SessionReader::maxWarnings and sums up the rest in a last line.
qint64 warningCount(const QStringList& warnings)
{
    static const QRegularExpression summary(QStringLiteral("^(\\d+) more warnings were not listed$"));
    if (warnings.isEmpty())
        return 0;
    if (const auto match = summary.match(warnings.back()); match.hasMatch())
        return warnings.size() - 1 + match.captured(1).toLongLong();
    return warnings.size();
}

// The formats this build can write, for the message about one it cannot.
QString writableFormats()
{
    QStringList names;
    for (SessionFormat f :
        { SessionFormat::Jsonl, SessionFormat::Har, SessionFormat::Csv, SessionFormat::Text, SessionFormat::Pcap }) {
        QBuffer probe;
        probe.open(QIODevice::WriteOnly);
        if (SessionExporter::create(f, &probe, {}))
            names.append(u'.' + sessionFormatExtension(f));
    }
    return names.join(QLatin1StringView(", "));
}

QString plural(qint64 n, const char* one, const char* many)
{
    return QString::number(n) + u' ' + QLatin1StringView(n == 1 ? one : many);
}

} // namespace

int ConvertCommand::run(const CommandLine& commandLine)
{
    const QString& in = commandLine.convertInput;
    const QString& out = commandLine.convertOutput;
    const std::optional<SessionFormat> format = sessionFormatForPath(out);
    if (!format) { // the parser refuses such names; kept so that a caller skipping it gets a message, not UB
        printLine(stderr, prefixed(QStringLiteral("cannot tell the output format from the name %1").arg(out)));
        return 2;
    }
    if (isSameFile(in, out)) {
        printLine(stderr, prefixed(QStringLiteral("%1 and %2 are the same file").arg(in, out)));
        return 2;
    }
    // Before reading what may be a big input: a format this build cannot write fails at once.
    {
        QBuffer probe;
        probe.open(QIODevice::WriteOnly);
        if (!SessionExporter::create(*format, &probe, {})) {
            printLine(stderr,
                prefixed(QStringLiteral("cannot write %1 files in this version (it writes %2)")
                             .arg(sessionFormatName(*format), writableFormats())));
            return 1;
        }
    }

    SessionData data;
    QString error;
    if (!readSessionFile(in, data, &error)) {
        // "cannot open IN: ..." names the file already; content errors do not.
        printLine(stderr, prefixed(error.contains(in) ? error : in + QStringLiteral(": ") + error));
        return 1;
    }
    const qint64 warnings = warningCount(data.warnings);
    if (warnings > 0) {
        const qsizetype listed = std::min<qsizetype>(maxPrintedWarnings, data.warnings.size());
        for (qsizetype i = 0; i < listed; ++i)
            printLine(stderr, prefixed(in + QStringLiteral(": ") + data.warnings.at(i)));
        if (warnings > listed)
            printLine(stderr,
                prefixed(in + QStringLiteral(": ") + plural(warnings - listed, "more warning", "more warnings")
                    + QStringLiteral(" not shown")));
        // A session file's warnings are lines that were skipped; a HAR file's are of many kinds (entries that
        // are not WebSocket connections, times read as milliseconds, a header left out), so they are counted.
        if (sessionFormatForPath(in) == SessionFormat::Har)
            printLine(
                stderr, prefixed(in + QStringLiteral(": converted with ") + plural(warnings, "warning", "warnings")));
        else
            printLine(stderr,
                prefixed(in + QStringLiteral(": skipped ") + plural(warnings, "line", "lines")
                    + QStringLiteral(" that could not be read; converted the rest")));
    }

    ExportOptions options;
    options.includeSecrets = commandLine.includeSecrets;
    options.app = QStringLiteral("wsinspector " WSI_VERSION);
    if (!exportSession(data, out, *format, options, &error)) {
        printLine(stderr, prefixed(QStringLiteral("cannot write %1: %2").arg(out, error)));
        return 1;
    }
    printLine(stdout,
        QStringLiteral("wrote %1 in %2 to %3 (%4%5)")
            .arg(plural(qint64(data.events.size()), "event", "events"),
                plural(data.connections.size(), "connection", "connections"), out, sessionFormatName(*format),
                options.includeSecrets ? QString() : QStringLiteral(", secrets redacted")));
    return 0;
}

} // namespace wsi
