#!/usr/bin/python3
"""A WebSocket client we did not write (Python's websockets), driven line by line, for C++ tests of the server's
actions (tst_serveractions):

    peer_client.py URL [SUBPROTOCOL]...

stdout, one line per event (payloads JSON-encoded, so any text fits on one line):
    open LOCAL_PORT SUBPROTOCOL_OR_-
    recv "TEXT"             (binary messages: recv-binary HEX)
    closed CODE "REASON"    (1006 when the connection dropped without a closing handshake)
    error "WHAT"
stdin, one command per line:
    send TEXT
    close CODE REASON
The process ends after "closed", or when stdin closes (then it closes with 1000 first).
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


async def main(url, subprotocols):
    try:
        ws = await asyncio.wait_for(websockets.connect(url, subprotocols=subprotocols or None, compression=None,
                                                       ping_interval=None, close_timeout=10), 15)
    except Exception as error:
        say(f"error {json.dumps(f'connect: {type(error).__name__}: {error}')}")
        return 1
    say(f"open {ws.local_address[1]} {ws.subprotocol or '-'}")

    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    async def receive():
        try:
            async for message in ws:
                if isinstance(message, str):
                    say(f"recv {json.dumps(message)}")
                else:
                    say(f"recv-binary {message.hex()}")
        except websockets.exceptions.ConnectionClosed:
            pass

    async def commands():
        while True:
            line = (await reader.readline()).decode("utf-8")
            if not line:
                await ws.close(1000, "stdin closed")
                return
            command, _, rest = line.rstrip("\n").partition(" ")
            try:
                if command == "send":
                    await ws.send(rest)
                elif command == "close":
                    code, _, reason = rest.partition(" ")
                    await ws.close(int(code), reason)
                else:
                    say(f"error {json.dumps('unknown command ' + command)}")
            except websockets.exceptions.ConnectionClosed:
                return

    receiving = asyncio.ensure_future(receive())
    commanding = asyncio.ensure_future(commands())
    await asyncio.wait([receiving, commanding], return_when=asyncio.FIRST_COMPLETED)
    await ws.wait_closed()
    say(f"closed {ws.close_code} {json.dumps(ws.close_reason)}")
    commanding.cancel()
    receiving.cancel()
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(f"usage: {sys.argv[0]} URL [SUBPROTOCOL]...", file=sys.stderr)
        sys.exit(2)
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2:])))
