#pragma once

namespace wsi {

struct CommandLine;

/*
 * `wsinspector replay FILE`: reads a session (readSessionFile: .jsonl, .har), picks one recorded connection
 * (ReplayPlan) and plays it through a CaptureSession, so that the replay is journaled (--record) like any
 * capture. As client (ReplayClient): one line per message sent ("> ...") and received ("< ..."), then how it
 * ended, the timing against the recording, and the comparison of the server's messages with the recorded
 * ones; exit 0 when every message was sent, 1 on a connection error or, with --expect, on any difference.
 * As server (ReplayServer): "listening on ws://HOST:PORT/" first, then one line per event (EventPrinter) until
 * SIGINT/SIGTERM, exit 0. A file that cannot be read or holds nothing to replay exits with 1.
 */
class ReplayCommand
{
public:
    // The most reader warnings printed one by one; the rest are only counted.
    static constexpr int maxPrintedWarnings = 10;

    static int run(const CommandLine& commandLine);
};

} // namespace wsi
