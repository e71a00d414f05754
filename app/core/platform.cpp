#include "platform.h"

#include <QtGlobal>

#include <algorithm>
#include <cerrno>

#ifdef Q_OS_LINUX
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace wsi {

void lowerCurrentThreadPriority()
{
#ifdef Q_OS_LINUX
    // On Linux a nice value belongs to a thread, not to the whole process. Raising it needs no privilege.
    constexpr int Step = 5;
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    errno = 0;
    const int current = ::getpriority(PRIO_PROCESS, tid);
    if (errno == 0)
        ::setpriority(PRIO_PROCESS, tid, std::min(current + Step, 19));
#endif
}

void releaseFreeMemory()
{
#ifdef __GLIBC__
    ::malloc_trim(0);
#endif
}

void raiseOpenFileLimit()
{
#ifdef Q_OS_LINUX
    struct rlimit limit = {};
    // Enough for tens of thousands of clients; not the hard limit itself, which may be in the millions, and
    // which programs we start (a browser for the test page) would inherit: some size tables by it.
    constexpr rlim_t Wanted = 65536;
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < std::min(Wanted, limit.rlim_max)) {
        limit.rlim_cur = std::min(Wanted, limit.rlim_max);
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
#endif
}

} // namespace wsi
