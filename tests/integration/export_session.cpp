// export_session IN OUT: reads a session file and writes it in the format OUT's extension names, through
// readSessionFile() and exportSession() like `wsinspector convert` will. It lets the integration tests check
// our exporters' output with tools we did not write (tshark, Python's csv) before that command exists.
#include "formats/sessionexporter.h"
#include "formats/sessionformat.h"
#include "formats/sessionimport.h"

#include <QCoreApplication>
#include <QStringList>

#include <cstdio>

using namespace wsi;

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 3) {
        std::fprintf(stderr, "usage: export_session IN OUT\n");
        return 2;
    }
    const std::optional<SessionFormat> format = sessionFormatForPath(args.at(2));
    if (!format) {
        std::fprintf(stderr, "export_session: no format for %s\n", qPrintable(args.at(2)));
        return 2;
    }
    SessionData data;
    QString error;
    if (!readSessionFile(args.at(1), data, &error)) {
        std::fprintf(stderr, "export_session: %s: %s\n", qPrintable(args.at(1)), qPrintable(error));
        return 1;
    }
    ExportOptions options;
    options.app = QStringLiteral("export_session");
    if (!exportSession(data, args.at(2), *format, options, &error)) {
        std::fprintf(stderr, "export_session: %s: %s\n", qPrintable(args.at(2)), qPrintable(error));
        return 1;
    }
    return 0;
}
