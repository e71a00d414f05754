#pragma once

namespace wsi {

struct CommandLine;

/*
 * `wsinspector proxy`: the recording proxy without a window. Prints "proxying ws://HOST:PORT/ -> UPSTREAM"
 * first (so a script can read the port when --listen 0 picked one), then one line per event; records to
 * --record FILE or the default journal. A port that cannot be listened on exits 1 with the reason;
 * SIGINT/SIGTERM stops the proxy (a close 1001 to both sides of each connection), flushes the record file and
 * exits 0. Needs a QCoreApplication.
 */
class ProxyCommand
{
public:
    static int run(const CommandLine& commandLine);
};

} // namespace wsi
