#include "configfile.h"

#include <QFile>
#include <QFileInfo>

namespace wsi {

namespace {
// More would mean something keeps failing the same way; the last name is then tried and refused.
constexpr int MaxBadFiles = 1000;
} // namespace

QString setAsideBadFile(const QString& path, SetAside how, QString* error)
{
    QString bad = path + QLatin1StringView(".bad");
    for (int n = 2; QFileInfo::exists(bad) && n <= MaxBadFiles; ++n)
        bad = path + QLatin1StringView(".bad.") + QString::number(n);
    QFile file(path);
    // Neither QFile::rename nor QFile::copy replaces an existing file, so a race cannot destroy an older copy.
    const bool done = how == SetAside::Move ? file.rename(bad) : file.copy(bad);
    if (!done) {
        if (error)
            *error = file.errorString();
        return {};
    }
    return bad;
}

} // namespace wsi
