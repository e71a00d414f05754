// Compiled with exactly the usage requirements of wsinspector_core. It must NOT compile: the application
// layer cannot see widget headers, so a stray widget include in app/ fails the build (shared/DESIGN.md).
#include <QWidget>

int widgetProbe()
{
    return sizeof(QWidget);
}
