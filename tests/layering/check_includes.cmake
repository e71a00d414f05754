# Fails when a file of the application layer includes a GUI module header by its module path
# (<QtWidgets/QWidget>, <QtGui/QColor>, <QtWidgets>): those resolve through Qt's common include root, which
# the core library does see, so the compile probe alone would not catch them. Run with -DAPP_DIR=<app/>.
file(GLOB_RECURSE sources "${APP_DIR}/*.h" "${APP_DIR}/*.cpp")
set(offenders "")
foreach(source ${sources})
    file(STRINGS "${source}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"](QtWidgets|QtGui|QtOpenGLWidgets|QtPrintSupport)([/>\"])")
    foreach(line ${lines})
        list(APPEND offenders "${source}: ${line}")
    endforeach()
endforeach()
if(offenders)
    list(JOIN offenders "\n" text)
    message(FATAL_ERROR "the application layer includes GUI headers:\n${text}")
endif()
message(STATUS "${APP_DIR}: no GUI module includes")
