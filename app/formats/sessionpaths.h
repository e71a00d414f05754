#pragma once

#include <QString>

namespace wsi {

// Where a capture is journaled when the user named no file: <app data>/sessions/YYYYMMDD-HHMMSS-PID.jsonl.
// The process id keeps two instances started in the same second apart.
QString defaultJournalPath();

} // namespace wsi
