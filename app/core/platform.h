#pragma once

namespace wsi {

// Lowers the scheduling priority of the calling thread a little below the rest of the process (Linux: a
// higher nice value for this thread only; elsewhere nothing). For background work that must never make the
// window wait for a CPU: the capture thread and the journal writer, under a flood, would otherwise take
// turns with the GUI thread on a machine with few cores. They still get every cycle the GUI does not use.
void lowerCurrentThreadPriority();

// Hands memory that the allocator keeps free back to the system (glibc: malloc_trim; elsewhere nothing). After
// a flood, the buffers that carried it stay reserved by the allocator and inflate the process for nothing.
// Costs a few milliseconds on a big heap: call it when idle, now and then.
void releaseFreeMemory();

// Raises the soft limit on open files to 65,536, or the hard limit when that is lower (Linux; elsewhere nothing). Each
// client of the test server is a socket, and the usual soft limit of 1,024 would refuse clients long before
// --max-connections.
void raiseOpenFileLimit();

} // namespace wsi
