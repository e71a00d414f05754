#pragma once

#include "../net/endpointoptions.h"
#include "../replay/replayplan.h"

#include <QString>
#include <QStringList>
#include <QUrl>

#include <optional>

namespace wsi {

/*
 * The command line contract of shared/DESIGN.md, parsed without side effects so that every rule can be
 * tested: the GUI forms (`wsinspector [FILE]`, `--serve [PORT]`, `--connect URL`), the headless commands, and
 * `--version`/`--help`. Bad arguments give a one-line reason; main() prints it and exits with 2.
 */
struct CommandLine
{
    enum class Action {
        Gui,
        Serve,
        Connect,
        Convert,
        Replay,
        Proxy,
        Version,
        Help,
        Error,
    };
    Action action = Action::Gui;
    QString error; // one line, for Action::Error

    // GUI
    QString file;
    std::optional<quint16> guiServePort;
    QUrl guiConnectUrl;

    // serve (and replay --as server: host and port)
    ServerOptions server;
    QString recordFile; // serve, connect and replay
    QString rulesFile; // read by the command: parsing has no side effects

    // connect
    ClientOptions client;
    QStringList sendTexts; // sent in order once the connection is open
    QString sendFile; // then this file as one binary message (read by the command)
    bool interactive = false; // read stdin lines even when stdin is a terminal
    // --bearer @FILE, --basic @FILE: client.auth has the kind only; the command reads the value from this file.
    QString authFile;

    // convert: both paths as given; the output's extension names a known format (sessionFormatForPath).
    QString convertInput;
    QString convertOutput;
    bool includeSecrets = false;

    // replay
    QString replayFile; // the session to replay (.jsonl or .har), read by the command
    ReplayRole replayRole = ReplayRole::Client;
    quint32 replayConnection = 0; // 0: the first connection with messages to send in that role
    QUrl replayUrl; // --url; empty: the recorded one
    double replaySpeed = 1.0; // 0: as fast as possible
    bool replayPaced = false;
    int replyTimeoutMs = 10000;
    QStringList ignorePaths; // each one a valid JsonPathPattern
    bool expect = false;
    bool replayLoop = false;
    bool replayAnswer = false;

    // proxy: --listen [HOST:]PORT (host 127.0.0.1 when only a port is given), --upstream URL, --insecure,
    // --origin ORIGIN, --max-connections N; --record FILE goes to recordFile.
    ProxyOptions proxy;

    // Checks a --bearer TOKEN (kind Bearer) or --basic USER:PASSWORD (kind Basic) value and sets auth from it;
    // the reason, naming the option, when it is not valid.
    static QString authFromValue(ClientAuth::Kind kind, const QString& value, ClientAuth* auth);

    // ".jsonl, .har, ...": every extension convert accepts for its OUTPUT (the format is chosen by it), for
    // messages; the input is read as a session or a HAR file whatever its name.
    static QString convertExtensions();

    static CommandLine parse(const QStringList& arguments);
    static QString helpText();
};

} // namespace wsi
