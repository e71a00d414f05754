#pragma once

#include <QtGlobal>

#include <fstream>
#include <unistd.h>

// The process's resident memory in bytes (Linux /proc), -1 when unknown: what a user sees the app take.
inline qint64 residentBytes()
{
    std::ifstream statm("/proc/self/statm");
    long long sizePages = 0;
    long long residentPages = 0;
    if (!(statm >> sizePages >> residentPages))
        return -1;
    return qint64(residentPages) * qint64(sysconf(_SC_PAGESIZE));
}
