#include "console.h"

#include <QFile>

#include <sys/stat.h>
#include <unistd.h>

namespace wsi::console {

void printLine(std::FILE* f, const QByteArray& utf8Line)
{
    const QByteArray bytes = utf8Line + '\n';
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), f);
    std::fflush(f);
}

void printLine(std::FILE* f, const QString& line)
{
    printLine(f, line.toLocal8Bit());
}

bool isStandardOutput(const QString& path)
{
    struct stat out = {};
    struct stat file = {};
    if (::fstat(STDOUT_FILENO, &out) != 0 || ::stat(QFile::encodeName(path).constData(), &file) != 0)
        return false;
    return out.st_dev == file.st_dev && out.st_ino == file.st_ino;
}

} // namespace wsi::console
