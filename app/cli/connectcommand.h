#pragma once

namespace wsi {

struct CommandLine;

/*
 * `wsinspector connect URL`: a client without a window, in the manner of wscat. Each message from the server
 * is one line on stdout ("< TEXT", "< [binary N bytes] HEX"); the connection, pings, pongs, closes and errors
 * are short lines on stderr. Sends the --send messages and the --send-file once open, then each line of stdin
 * (when it is not a terminal, or with --interactive), no faster than the capture thread sends them; the
 * end of stdin closes with 1000, and a close from the server stops reading it. Records to --record FILE or
 * the default journal. Exit code: 0 after a normal close (by the server with 1000/1001, or by us at the end
 * of stdin or on SIGINT/SIGTERM), 1 when the connection failed or ended abnormally (also when the server
 * does not answer our close at the end of stdin), 2 when --send-file or the file of --bearer/--basic @FILE
 * cannot be read. Needs a QCoreApplication.
 */
class ConnectCommand
{
public:
    static int run(const CommandLine& commandLine);
};

} // namespace wsi
