#include "sessionpaths.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QStandardPaths>

namespace wsi {

QString sessionsFolder()
{
    // The generic location plus our own folder: AppDataLocation would nest organisation and application
    // name (~/.local/share/wsinspector/wsinspector).
    QString base = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    if (base.isEmpty())
        base = QDir::homePath() + QLatin1StringView("/.local/share");
    return base + QLatin1StringView("/wsinspector/sessions");
}

QString defaultJournalPath()
{
    return sessionsFolder() + u'/' + QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")) + u'-'
        + QString::number(QCoreApplication::applicationPid()) + QLatin1StringView(".jsonl");
}

} // namespace wsi
