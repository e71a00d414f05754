#pragma once

#include <QByteArray>
#include <QString>

#include <cstdio>

namespace wsi::console {

// Writes line and a line feed to f, flushed at once (a script reading our output sees each line as it happens).
void printLine(std::FILE* f, const QString& line);
void printLine(std::FILE* f, const QByteArray& utf8Line);

// True when the path names what standard output is (e.g. --record /dev/stdout): the journal then owns
// stdout and the human-readable lines move to stderr so the two do not interleave.
bool isStandardOutput(const QString& path);

} // namespace wsi::console
