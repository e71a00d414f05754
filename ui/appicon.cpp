#include "appicon.h"

#include <QDir>
#include <QGuiApplication>
#include <QString>

#include <algorithm>

namespace wsi {

namespace {
const QString IconFolder = QStringLiteral(":/wsinspector/icons");
} // namespace

QList<int> AppIcon::sizes()
{
    // What ui/CMakeLists.txt compiled in (WSI_ICON_SIZES): one folder per size, named as in the hicolor theme.
    QList<int> sizes;
    for (const QString& name : QDir(IconFolder).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        const QStringList sides = name.split(u'x');
        bool ok = false;
        const int size = sides.value(0).toInt(&ok);
        if (ok && sides.size() == 2 && sides[1] == sides[0])
            sizes.append(size);
    }
    std::sort(sizes.begin(), sizes.end());
    return sizes;
}

QIcon AppIcon::icon()
{
    static const QIcon icon = [] {
        QIcon built;
        for (int size : sizes())
            built.addFile(IconFolder + QStringLiteral("/%1x%1/wsinspector.png").arg(size), QSize(size, size));
        return built;
    }();
    return icon;
}

void AppIcon::install()
{
    if (QGuiApplication::windowIcon().cacheKey() != icon().cacheKey())
        QGuiApplication::setWindowIcon(icon());
}

} // namespace wsi
