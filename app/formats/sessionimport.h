#pragma once

#include "sessionreader.h"

namespace wsi {

// Reads a native session (.jsonl) or a HAR file into data: the format comes from the content (a session's header
// line, a HAR's "log"), and from the extension when the content says neither. False with a user-readable reason
// in *error when nothing could be read; lines or entries that were skipped are listed in data.warnings and
// counted in data.skipped, and data.format says what the file was read as.
bool readSessionFile(const QString& path, SessionData& data, QString* error, SessionReader::Progress progress = {});

} // namespace wsi
