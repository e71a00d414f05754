#!/usr/bin/python3
"""An echo server we did not write (Python's websockets), for C++ tests that need a server they can kill and
start again on the same port (tst_clientreconnect):

    peer_echo_server.py PORT

Prints "ready" once the library is imported, then waits for a line "listen" on stdin before it binds
127.0.0.1:PORT, so that the test decides to the millisecond when the port opens (a cold Python start does not
count). stdout, one line per event:
    ready
    listening PORT
    open REMOTE_PORT
    error "WHAT"
Every message is sent back as it came. Runs until killed (or stdin closes).
"""

import asyncio
import json
import sys

try:
    import websockets
except ImportError as error:
    print(f"error {json.dumps(f'{sys.executable} cannot import websockets: {error}')}", flush=True)
    sys.exit(1)


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def echo(ws, path=None):
    say(f"open {ws.remote_address[1]}")
    try:
        async for message in ws:
            await ws.send(message)
    except websockets.exceptions.ConnectionClosed:
        pass


async def main(port):
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    say("ready")
    while True:
        line = (await reader.readline()).decode("utf-8")
        if not line:
            return 0
        if line.strip() == "listen":
            break
    try:
        server = await websockets.serve(echo, "127.0.0.1", port, compression=None, ping_interval=None)
    except OSError as error:
        say(f"error {json.dumps(f'cannot listen on {port}: {error}')}")
        return 1
    say(f"listening {port}")
    async with server:
        while await reader.readline():
            pass
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(int(sys.argv[1]))))
