#pragma once

#include "sessionreader.h"

namespace wsi {

// Reads a native session (.jsonl) or a HAR file into data: the format comes from the extension, and from the
// content when the extension says neither. False with a user-readable reason in *error when nothing could be
// read; lines or entries that were skipped are listed in data.warnings.
bool readSessionFile(const QString& path, SessionData& data, QString* error, SessionReader::Progress progress = {});

} // namespace wsi
