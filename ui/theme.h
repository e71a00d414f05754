#pragma once

#include <QCoreApplication>
#include <QPalette>
#include <QString>

namespace wsi {

/*
 * The application's colours: the desktop's own (System), or Fusion with a light or a dark palette for users whose
 * desktop theme does not suit long reading sessions. Everything else takes its colours from the palette (the
 * timeline delegate derives its accents from Base), so switching here is all it takes. App-wide, not per window; the
 * choice is kept in QSettings ("theme") by the windows that offer it.
 */
class Theme
{
    Q_DECLARE_TR_FUNCTIONS(Theme)

public:
    enum class Mode {
        System,
        Light,
        Dark
    };

    // Applies mode to the running application; the first call remembers the desktop's style and palette, which
    // System goes back to.
    static void apply(Mode mode);
    static Mode current();

    static QPalette lightPalette();
    static QPalette darkPalette();

    // For QSettings: "system", "light", "dark"; an unknown name reads as System.
    static QString name(Mode mode);
    static Mode fromName(const QString& name);
};

} // namespace wsi
