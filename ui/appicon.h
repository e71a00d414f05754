#pragma once

#include <QIcon>
#include <QList>

namespace wsi {

/*
 * The app's own icon for its windows (title bars, task switchers, dialogs): the PNG renderings of
 * packaging/icons/wsinspector.svg that the package installs, compiled in, every size of them. Qt picks the
 * rendering that fits the size asked for in device pixels, so a 2x screen gets the 64-pixel picture for a 32-point
 * icon instead of the 32-pixel one scaled up (blurred); no SVG renderer is needed at run time.
 */
class AppIcon
{
public:
    // The sizes compiled in (square, in pixels), smallest first.
    static QList<int> sizes();
    // The icon with all of them; the same instance every time.
    static QIcon icon();
    // Makes it the application's window icon (every window and dialog without one of its own), once.
    static void install();
};

} // namespace wsi
