#include "uitext.h"

#include <QDir>
#include <QLocale>
#include <QStringList>

namespace wsi {

namespace {
struct FormatWords
{
    QString description;
    QStringList extensions; // without the dot, the preferred one first
};

// One switch for the dialog's label and the file dialog's filter, so that the two cannot drift apart.
FormatWords formatWords(SessionFormat format)
{
    switch (format) {
    case SessionFormat::Jsonl:
        return { UiText::tr("WebSocket Inspector session"), { QStringLiteral("jsonl") } };
    case SessionFormat::Har:
        return { UiText::tr("HAR, for browser developer tools"), { QStringLiteral("har") } };
    case SessionFormat::Csv:
        return { UiText::tr("CSV, one row per event"), { QStringLiteral("csv") } };
    case SessionFormat::Text:
        return { UiText::tr("Text log"), { QStringLiteral("txt"), QStringLiteral("log") } };
    case SessionFormat::Pcap:
        return { UiText::tr("pcap, for Wireshark"), { QStringLiteral("pcap") } };
    }
    return {};
}
} // namespace

QString UiText::eventCount(qint64 count)
{
    return count == 1 ? tr("1 event") : tr("%1 events").arg(QLocale().toString(count));
}

QString UiText::nativePath(const QString& path)
{
    return QDir::toNativeSeparators(path);
}

QString UiText::formatLabel(SessionFormat format)
{
    const FormatWords words = formatWords(format);
    return tr("%1 (.%2)").arg(words.description, words.extensions.value(0));
}

QString UiText::formatFilter(SessionFormat format)
{
    const FormatWords words = formatWords(format);
    QStringList patterns;
    for (const QString& extension : words.extensions)
        patterns << QStringLiteral("*.") + extension;
    return tr("%1 (%2)").arg(words.description, patterns.join(u' '));
}

} // namespace wsi
