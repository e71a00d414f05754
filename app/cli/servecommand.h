#pragma once

namespace wsi {

struct CommandLine;

/*
 * `wsinspector serve`: the test server without a window. Prints "listening on ws://HOST:PORT/" first (so a
 * script can read the port when --port 0 picked one), then one line per event; records to --record FILE or
 * the default journal. SIGINT/SIGTERM closes the connections, flushes the record file and exits 0. Needs a
 * QCoreApplication.
 */
class ServeCommand
{
public:
    static int run(const CommandLine& commandLine);
};

} // namespace wsi
