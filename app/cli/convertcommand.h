#pragma once

namespace wsi {

struct CommandLine;

/*
 * `wsinspector convert IN OUT`: reads a session file (readSessionFile: .jsonl, .har) and writes it in the
 * format OUT's extension names, through exportSession (so OUT is replaced only when all went well). The
 * reader's warnings are listed on stderr, at most a few, then summed up: the lines (or HAR entries and
 * messages) skipped, and the other warnings. They do not fail the conversion; an input that cannot be read at
 * all, or an output that cannot be written, exits with 1. Secrets are redacted unless --include-secrets.
 * Needs no event loop.
 */
class ConvertCommand
{
public:
    // The most reader warnings printed one by one; the rest are only counted.
    static constexpr int maxPrintedWarnings = 10;

    static int run(const CommandLine& commandLine);
};

} // namespace wsi
