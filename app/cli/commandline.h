#pragma once

#include "../net/endpointoptions.h"

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

    // serve
    ServerOptions server;
    QString recordFile;
    QString rulesFile; // read by the command: parsing has no side effects

    static CommandLine parse(const QStringList& arguments);
    static QString helpText();
};

} // namespace wsi
