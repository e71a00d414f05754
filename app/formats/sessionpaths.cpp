#include "sessionpaths.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QStandardPaths>

namespace wsi {

QString defaultJournalPath()
{
    QString base = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    if (base.isEmpty())
        base = QDir::homePath() + QLatin1StringView("/.local/share/wsinspector");
    return base + QLatin1StringView("/sessions/")
        + QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss")) + u'-'
        + QString::number(QCoreApplication::applicationPid()) + QLatin1StringView(".jsonl");
}

} // namespace wsi
