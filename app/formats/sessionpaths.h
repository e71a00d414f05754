#pragma once

#include <QString>

namespace wsi {

// The folder the app journals its captures into: ~/.local/share/wsinspector/sessions (XDG_DATA_HOME respected).
// Crash recovery looks for unsaved captures here.
QString sessionsFolder();

// Where a capture is journaled when the user named no file:
// ~/.local/share/wsinspector/sessions/YYYYMMDD-HHMMSS-PID.jsonl (XDG_DATA_HOME respected). The process id keeps two
// instances started in the same second apart.
QString defaultJournalPath();

} // namespace wsi
