#pragma once

#include "formats/sessionformat.h"

#include <QCoreApplication>
#include <QString>

namespace wsi {

/*
 * Words the windows and dialogs share, so that an event count, a path or a format reads the same in the title,
 * the status bar, the recovery bar and the file dialogs: one place to word them and one translation context.
 */
class UiText
{
    Q_DECLARE_TR_FUNCTIONS(wsi::UiText)

public:
    // "1 event", "12,345 events". Spelled out rather than "%n event(s)": without a loaded translation, Qt would
    // show the "(s)" literally.
    static QString eventCount(qint64 count);
    // A path as the platform writes it.
    static QString nativePath(const QString& path);
    // What a format is for, with its extension: "HAR, for browser developer tools (.har)" (the export dialog).
    static QString formatLabel(SessionFormat format);
    // The same as a file dialog's name filter: "HAR, for browser developer tools (*.har)".
    static QString formatFilter(SessionFormat format);
};

} // namespace wsi
