// Entry point: parses the command line, then runs a headless command or the GUI.

#include "cli/commandline.h"
#include "cli/connectcommand.h"
#include "cli/convertcommand.h"
#include "cli/proxycommand.h"
#include "cli/replaycommand.h"
#include "cli/servecommand.h"
#include "cli/signalwatcher.h"
#include "core/platform.h"
#include "formats/sessionpaths.h"

#include "backgroundtask.h"
#include "mainwindow.h"

#include <QApplication>
#include <QCoreApplication>
#include <QPointer>

#include <cstdio>

namespace {

void printOut(std::FILE* f, const QString& text)
{
    const QByteArray bytes = text.toLocal8Bit();
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), f);
    std::fflush(f);
}

bool hasDisplay()
{
    return !qEnvironmentVariableIsEmpty("DISPLAY") || !qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")
        || !qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM");
}

void setIdentity()
{
    QCoreApplication::setOrganizationName(QStringLiteral("wsinspector"));
    QCoreApplication::setApplicationName(QStringLiteral("wsinspector"));
    QCoreApplication::setApplicationVersion(QStringLiteral(WSI_VERSION));
}

} // namespace

int main(int argc, char* argv[])
{
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    const wsi::CommandLine commandLine = wsi::CommandLine::parse(arguments);
    wsi::raiseOpenFileLimit();

    switch (commandLine.action) {
    case wsi::CommandLine::Action::Error:
        printOut(stderr, QStringLiteral("wsinspector: ") + commandLine.error + u'\n');
        return 2;
    case wsi::CommandLine::Action::Help:
        printOut(stdout, wsi::CommandLine::helpText());
        return 0;
    case wsi::CommandLine::Action::Version:
        printOut(stdout,
            QStringLiteral("wsinspector %1 (Qt %2)\n")
                .arg(QStringLiteral(WSI_VERSION), QString::fromLatin1(qVersion())));
        return 0;
    case wsi::CommandLine::Action::Serve: {
        QCoreApplication app(argc, argv);
        setIdentity();
        return wsi::ServeCommand::run(commandLine);
    }
    case wsi::CommandLine::Action::Connect: {
        QCoreApplication app(argc, argv);
        setIdentity();
        return wsi::ConnectCommand::run(commandLine);
    }
    case wsi::CommandLine::Action::Convert: {
        QCoreApplication app(argc, argv);
        setIdentity();
        return wsi::ConvertCommand::run(commandLine);
    }
    case wsi::CommandLine::Action::Replay: {
        QCoreApplication app(argc, argv);
        setIdentity();
        return wsi::ReplayCommand::run(commandLine);
    }
    case wsi::CommandLine::Action::Proxy: {
        QCoreApplication app(argc, argv);
        setIdentity();
        return wsi::ProxyCommand::run(commandLine);
    }
    case wsi::CommandLine::Action::Gui:
        break;
    }

    if (!hasDisplay()) {
        printOut(stderr,
            QStringLiteral(
                "wsinspector: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
                "Run the headless test server with \"wsinspector serve\", or see \"wsinspector --help\".\n"));
        return 1;
    }
    QApplication app(argc, argv);
    setIdentity();
    QApplication::setApplicationDisplayName(QObject::tr("WebSocket Inspector"));
    QGuiApplication::setDesktopFileName(QStringLiteral(WSI_APP_ID));

    // SIGTERM (a logout, `kill`) and SIGINT end the app cleanly: the journals are closed and their locks released,
    // so that the next start does not take them for crashes. Nobody was asked about unsaved captures, though: their
    // journals are left for the next start to offer, as captures closed unsaved.
    wsi::SignalWatcher signalWatcher;
    QObject::connect(&signalWatcher, &wsi::SignalWatcher::terminationRequested, &app, [] {
        for (QWidget* widget : QApplication::topLevelWidgets()) {
            if (auto* mainWindow = qobject_cast<wsi::MainWindow*>(widget))
                mainWindow->prepareForUnattendedEnd();
        }
        QCoreApplication::exit(0);
    });

    // Each window owns its capture (files opened into a busy window get a window of their own); closing the last
    // one quits.
    wsi::MainWindow* window = wsi::MainWindow::newWindow();
    window->setAskToSaveOnClose(true);
    window->setRemembersLayout(true);
    window->show();
    // After the session took the lock of its own journal, which the search must not take for a crashed one.
    window->offerRecovery(wsi::sessionsFolder());
    if (!commandLine.file.isEmpty())
        window->openSession(commandLine.file);
    if (commandLine.guiServePort)
        window->startTestServer(*commandLine.guiServePort);
    if (commandLine.guiConnectUrl.isValid())
        window->connectTo(commandLine.guiConnectUrl);
    const int code = QApplication::exec();
    // Closed windows are deleted later, which the finished event loop no longer does; deleting them ends their
    // captures (connections closed, journals flushed). So does deleting a window still open.
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    QList<QPointer<wsi::MainWindow>> windows;
    for (QWidget* widget : QApplication::topLevelWidgets()) {
        if (auto* mainWindow = qobject_cast<wsi::MainWindow*>(widget))
            windows.append(mainWindow);
    }
    for (const QPointer<wsi::MainWindow>& w : std::as_const(windows))
        delete w.data();
    // Reads given up with their windows end on their own threads; none may outlive main().
    wsi::BackgroundTask::waitForAbandoned();
    return code;
}
