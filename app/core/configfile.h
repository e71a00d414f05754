#pragma once

#include <QString>

namespace wsi {

// How setAsideBadFile keeps the unreadable file: renamed (the usual case: the program goes on without it) or
// copied (the program uses the part it could read and will write the file again).
enum class SetAside : quint8 {
    Move,
    Copy,
};

// Keeps a configuration file that could not be read for the user to look at: FILE becomes FILE.bad, or the
// first free FILE.bad.2, FILE.bad.3, ... when an older one is there (that one may be the only copy of what was
// lost before, so it is never replaced). Returns the path it went to; an empty string, with the reason in
// error, when it could not be set aside. Callers must then not save over FILE, or the only copy is gone.
QString setAsideBadFile(const QString& path, SetAside how = SetAside::Move, QString* error = nullptr);

} // namespace wsi
