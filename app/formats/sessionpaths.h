#pragma once

#include <QString>

namespace wsi {

// Where a capture is journaled when the user named no file:
// ~/.local/share/wsinspector/sessions/YYYYMMDD-HHMMSS-PID.jsonl (XDG_DATA_HOME respected). The process id keeps two
// instances started in the same second apart.
QString defaultJournalPath();

} // namespace wsi
