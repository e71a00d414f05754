#!/usr/bin/python3
"""Integration test of the headless client (`wsinspector connect URL ...`) against a server we did not write:
Python's `websockets` (Debian's python3-websockets 10.4), run in this script on port 0 and recording what
arrives (request headers, offered and chosen subprotocol, Origin, messages, pings answered):

    test_connect.py PATH/TO/wsinspector

Checks:
  1. -H (two headers, odd casing and inner spaces), --origin, --bearer arrive exactly; the subprotocol is
     negotiated and printed in "connected to URL (subprotocol: P)", the first stderr line; --send messages and
     then stdin lines arrive in order; the end of stdin closes with 1000 and the command exits 0;
  2. --basic USER:PASSWORD gives the right Authorization header;
  3. --send-file arrives byte-exact as one binary message (random bytes with 0x00 and 0xff); binary from the
     server is printed as "< [binary N bytes] HEX", text with line breaks as one line; the server closing with
     1000 prints "! closed by the server with 1000 (normal closure): bye" and exits 0; with 4001, or a
     connection dropped without a closing handshake (1006), exit 1;
  4. --ping-every 300: the server answers pings about every 300 ms (>= 3 in 1.5 s, at most one per 150 ms on
     average by the client's record; the intervals are printed);
  5. SIGINT closes with 1001 "going away", exit 0, the record file complete; --record /dev/stdout moves the
     message lines to stderr; stdin a terminal (a pty) is read only with --interactive, Ctrl+D closes;
  6. exit codes: refused port, unknown host (DNS), 403 from the server: 1 with the reason; --send-file that
     cannot be read or is too big, bad arguments: 2;
  7. stdin: a line that is not valid UTF-8 is reported by number and not sent, the others are; the server
     closing while a big stdin is still being piped in exits 0 (stdin is no longer read, sends that came too
     late are counted, not errors); a server that never answers our close at the end of stdin exits 1 with
     "! the server did not answer the closing handshake", while SIGINT with that server still exits 0;
  8. --bearer @FILE and --basic @FILE read the secret from the file (trailing newline dropped); a missing
     file exits 2 before connecting;
  9. wss to a websockets server with a throwaway self-signed certificate (made by `openssl` in a temporary
     directory, deleted at the end): a certificate error and exit 1 by default; with --insecure it works and
     the record notes that certificate errors were ignored.
"""

import asyncio
import base64
import http
import os
import re
import signal
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wsitest import STEP_TIMEOUT, Failure, Record, check, import_websockets, info, main, ok  # noqa: E402

websockets = import_websockets()
from websockets.frames import OP_PONG  # noqa: E402
from websockets.legacy.server import WebSocketServerProtocol  # noqa: E402

WATCHDOG_SECONDS = 240
SUBPROTOCOLS = ["chat.v1", "chat.v2"]


class Seen:
    """What one connection brought to the server."""

    def __init__(self, path, headers):
        self.path = path
        self.headers = headers  # [(name, value)] as sent, names in their casing
        self.subprotocol = None
        self.messages = []
        self.echoed = []  # the messages /echo sent back (one that arrives with the client's close cannot go)
        self.pongs = []  # time.monotonic() of each pong we sent (one per ping received)
        self.opened = None
        self.close_code = None
        self.close_reason = None
        self.ws = None
        self.done = asyncio.Event()

    def header(self, name):
        values = [v for n, v in self.headers if n.lower() == name.lower()]
        return values


class RecordingProtocol(WebSocketServerProtocol):
    """Counts the pongs the library writes: one for each ping the client sends."""

    seen = None

    async def write_frame(self, fin, opcode, data, **kwargs):
        if opcode == OP_PONG and self.seen is not None:
            self.seen.pongs.append(time.monotonic())
        await super().write_frame(fin, opcode, data, **kwargs)


class PeerServer:
    """A websockets server on 127.0.0.1, port 0. What it does depends on the path:
    /echo       sends every message back;
    /script     sends "line one\\nline two", then binary 00 01 ff, then waits for "bye please" and closes 1000 "bye";
    /close4001  closes at once with 4001 "not allowed";
    /drop       drops the TCP connection at once, without a closing handshake;
    /quiet      records and answers nothing (pings are answered by the library);
    /deaf       reads nothing after the upgrade, so it never answers a close (the test aborts it);
    /forbidden  answers the upgrade request with 403."""

    def __init__(self):
        self.connections = []
        self.server = None
        self.port = None

    async def start(self, ssl_context=None):
        self.server = await websockets.serve(
            self.handler, "127.0.0.1", 0, create_protocol=RecordingProtocol, process_request=self.process_request,
            subprotocols=SUBPROTOCOLS, select_subprotocol=self.select_subprotocol, ssl=ssl_context,
            compression=None, ping_interval=None, close_timeout=STEP_TIMEOUT)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def url(self, path, scheme="ws"):
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    async def process_request(self, path, request_headers):
        self.connections.append(Seen(path, list(request_headers.raw_items())))
        if path == "/forbidden":
            return http.HTTPStatus.FORBIDDEN, [("Content-Type", "text/plain")], b"no entry\n"
        return None

    @staticmethod
    def select_subprotocol(client_subprotocols, server_subprotocols):
        # The client's first offer that we accept (its order is its preference).
        for p in client_subprotocols:
            if p in server_subprotocols:
                return p
        return None

    async def handler(self, ws, path=None):
        seen = self.connections[-1]
        ws.seen = seen
        seen.ws = ws
        seen.subprotocol = ws.subprotocol
        seen.opened = time.monotonic()
        try:
            if ws.path == "/script":
                await ws.send("line one\nline two")
                await ws.send(b"\x00\x01\xff")
            if ws.path == "/close4001":
                await ws.close(4001, "not allowed")
            if ws.path == "/drop":
                ws.transport.abort()  # the TCP connection ends without a closing handshake
            if ws.path == "/deaf":
                ws.transport.pause_reading()  # the client's close frame is never read, so never answered
                await ws.wait_closed()
            async for message in ws:
                seen.messages.append(message)
                if ws.path == "/echo":
                    # Messages that arrived just before the client's close are still recorded: an echo that
                    # cannot go out any more ends nothing.
                    try:
                        await ws.send(message)
                        seen.echoed.append(message)
                    except websockets.exceptions.ConnectionClosed:
                        pass
                elif ws.path == "/script" and message == "bye please":
                    await ws.close(1000, "bye")
        except websockets.exceptions.ConnectionClosed:
            pass
        finally:
            await ws.wait_closed()
            seen.close_code, seen.close_reason = ws.close_code, ws.close_reason
            seen.done.set()

    async def only_connection(self):
        check(len(self.connections) == 1, f"expected one connection at the server, got {len(self.connections)}")
        seen = self.connections[0]
        try:
            await asyncio.wait_for(seen.done.wait(), STEP_TIMEOUT)
        except asyncio.TimeoutError:
            raise Failure(f"{seen.path}: the server's connection did not end within {STEP_TIMEOUT} s")
        return seen

    async def stop(self):
        self.server.close()
        await self.server.wait_closed()


class Client:
    """One `wsinspector connect ...` process; stdout and stderr are collected line by line as they come."""

    running = []  # pids, for the kill at the end whatever happened

    def __init__(self, exe, args, name):
        self.exe, self.args, self.name = exe, args, name
        self.out, self.err = [], []
        self.process = None

    async def start(self, stdin=asyncio.subprocess.PIPE):
        self.process = await asyncio.create_subprocess_exec(
            self.exe, "connect", *self.args, stdin=stdin, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
        Client.running.append(self.process.pid)
        self._readers = [asyncio.ensure_future(self._read(self.process.stdout, self.out)),
                         asyncio.ensure_future(self._read(self.process.stderr, self.err))]
        return self

    @staticmethod
    async def _read(stream, lines):
        while True:
            line = await stream.readline()
            if not line:
                return
            lines.append(line.decode("utf-8", "replace").rstrip("\n"))

    def describe(self):
        return (f"`wsinspector connect {' '.join(self.args)}`\n  stdout: {self.out[-20:]}\n"
                f"  stderr: {self.err[-20:]}")

    async def wait_stderr(self, pattern, timeout=STEP_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.err:
                if re.search(pattern, line):
                    return line
            if self.process.returncode is not None:
                break
            await asyncio.sleep(0.02)
        raise Failure(f"{self.name}: no stderr line matching {pattern!r}; {self.describe()}")

    async def write(self, data):
        self.process.stdin.write(data)
        await self.process.stdin.drain()

    def close_stdin(self):
        self.process.stdin.close()

    async def finish(self, timeout=STEP_TIMEOUT):
        try:
            code = await asyncio.wait_for(self.process.wait(), timeout)
        except asyncio.TimeoutError:
            self.process.kill()
            raise Failure(f"{self.name}: still running {timeout} s later; {self.describe()}")
        await asyncio.wait_for(asyncio.gather(*self._readers), timeout)
        Client.running.remove(self.process.pid)
        return code


async def run_client(exe, args, name, stdin_data=None, timeout=STEP_TIMEOUT):
    """Runs to the end: with stdin_data, it is written and stdin closed; without, stdin is /dev/null."""
    client = Client(exe, args, name)
    await client.start(stdin=asyncio.subprocess.PIPE if stdin_data is not None else asyncio.subprocess.DEVNULL)
    if stdin_data is not None:
        await client.write(stdin_data)
        client.close_stdin()
    code = await client.finish(timeout)
    return client, code


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def headers_subprotocol_order(exe, workdir):
    server = await PeerServer().start()
    record = os.path.join(workdir, "headers.jsonl")
    args = [server.url("/echo"), "-H", "X-CuStOm-HeAdEr:   odd  Casing   kept ", "-H", "x-second:two",
            "--origin", "http://app.example:5173", "--subprotocol", "nope", "--subprotocol", "chat.v2",
            "--subprotocol", "chat.v1", "--bearer", "tok.123-abc", "--send", "first", "--send", "second message",
            "--record", record]
    client = Client(exe, args, "headers")
    await client.start()
    first = await client.wait_stderr(r"^connected to ")
    await client.write("third line\r\nfourth ✓\n\nlast without newline".encode())
    client.close_stdin()
    code = await client.finish()
    seen = await server.only_connection()
    await server.stop()

    check(client.err[0] == first == f"connected to {server.url('/echo')} (subprotocol: chat.v2)",
          f"first stderr line is {client.err[:1]}, expected 'connected to URL (subprotocol: chat.v2)';"
          f" {client.describe()}")
    check(seen.header("X-CuStOm-HeAdEr") == ["odd  Casing   kept"],
          f"-H: X-CuStOm-HeAdEr arrived as {seen.header('X-CuStOm-HeAdEr')}; headers {seen.headers}")
    check(("X-CuStOm-HeAdEr", "odd  Casing   kept") in seen.headers and ("x-second", "two") in seen.headers,
          f"-H: names or values changed on the way: {seen.headers}")
    check(seen.header("Origin") == ["http://app.example:5173"], f"--origin arrived as {seen.header('Origin')}")
    check(seen.header("Authorization") == ["Bearer tok.123-abc"],
          f"--bearer: Authorization arrived as {seen.header('Authorization')}")
    check(seen.header("Sec-WebSocket-Protocol") == ["nope, chat.v2, chat.v1"],
          f"--subprotocol: offered {seen.header('Sec-WebSocket-Protocol')}")
    check(seen.subprotocol == "chat.v2", f"negotiated subprotocol {seen.subprotocol!r}, expected 'chat.v2'")
    ok("-H (odd casing, inner spaces), --origin, --bearer arrive exactly; subprotocol chat.v2 negotiated, printed")

    expected = ["first", "second message", "third line", "fourth ✓", "", "last without newline"]
    check(seen.messages == expected, f"messages arrived as {seen.messages}, expected {expected}")
    ok("--send messages, then stdin lines (CRLF, empty, unterminated last) arrive in order as text")
    check(seen.close_code == 1000, f"end of stdin: the server saw close code {seen.close_code}, expected 1000")
    check(code == 0, f"end of stdin: exit code {code}, expected 0; {client.describe()}")
    # How many echoes go out depends on timing: the client may send everything and its close at once (stdin is
    # written right after the open), and the server cannot echo what arrives with the close. Every echo that
    # did go out precedes the server's close frame, so each must be printed, in order.
    echoes = [line for line in client.out if line.startswith("< ")]
    check(echoes == ["< " + m for m in seen.echoed] and seen.echoed == expected[:len(seen.echoed)],
          f"echoes printed as {client.out}; the server echoed {seen.echoed}: expected each printed, in order")
    ok(f"end of stdin closes with 1000, exit 0; {len(echoes)} echoes printed in order on stdout")
    rec = Record(record)
    requests = [e for e in rec.events if e.get("kind") == "handshake-request"]
    check(len(requests) == 1 and any(h == ["X-CuStOm-HeAdEr", "odd  Casing   kept"] for h in requests[0]["headers"]),
          f"the record's handshake-request lacks the -H header as given: {requests}")
    ok("the record file has the handshake request with the headers as given")


async def basic_auth(exe, workdir):
    server = await PeerServer().start()
    client, code = await run_client(exe, [server.url("/echo"), "--basic", "ann:se:cret ✓",
                                          "--record", os.path.join(workdir, "basic.jsonl")], "basic", b"")
    seen = await server.only_connection()
    await server.stop()
    want = "Basic " + base64.b64encode("ann:se:cret ✓".encode()).decode()
    check(seen.header("Authorization") == [want],
          f"--basic: Authorization arrived as {seen.header('Authorization')}, expected {want!r}")
    check(code == 0, f"--basic: exit code {code}; {client.describe()}")
    ok(f"--basic ann:se:cret ✓ -> Authorization: {want}")


async def binary_both_ways(exe, workdir):
    data = os.urandom(1000) + b"\x00\xff\x00\xff"
    data = b"\x00\xff" + data
    path = os.path.join(workdir, "payload.bin")
    with open(path, "wb") as f:
        f.write(data)
    server = await PeerServer().start()
    client = Client(exe, [server.url("/echo"), "--send", "before", "--send-file", path,
                          "--record", os.path.join(workdir, "file.jsonl")], "send-file")
    await client.start()
    await client.wait_stderr(r"^connected to ")
    deadline = time.monotonic() + STEP_TIMEOUT
    while len(client.out) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    client.close_stdin()
    code = await client.finish()
    seen = await server.only_connection()
    await server.stop()
    check(len(seen.messages) == 2 and seen.messages[0] == "before" and seen.messages[1] == data,
          f"--send-file: the server got {[type(m).__name__ + ' ' + str(len(m)) for m in seen.messages]}, "
          f"expected text 'before' then {len(data)} bytes byte-exact")
    ok(f"--send-file arrives after --send as one binary message of {len(data)} bytes, byte-exact")
    want = f"< [binary {len(data)} bytes] {data[:64].hex()}…"
    check(client.out[:2] == ["< before", want], f"binary echo printed as {client.out}, expected {want!r}")
    check(code == 0, f"--send-file: exit code {code}; {client.describe()}")
    ok("binary from the server is printed as '< [binary N bytes] HEX…' (first 64 bytes)")


async def server_closes(exe, workdir):
    server = await PeerServer().start()
    client = Client(exe, [server.url("/script"), "--record", os.path.join(workdir, "script.jsonl")], "script")
    await client.start()
    await client.wait_stderr(r"^connected to ")
    deadline = time.monotonic() + STEP_TIMEOUT
    while len(client.out) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    await client.write(b"bye please\n")  # stdin stays open: the server ends it
    code = await client.finish()
    await server.only_connection()
    check(client.out == ["< line one\\nline two", "< [binary 3 bytes] 0001ff"],
          f"the server's messages printed as {client.out}")
    ok("text with a line break is one line ('\\n'), binary 3 bytes as '< [binary 3 bytes] 0001ff'")
    check("! closed by the server with 1000 (normal closure): bye" in client.err,
          f"no '! closed by the server with 1000 (normal closure): bye' line; {client.describe()}")
    check(code == 0, f"server closed with 1000: exit code {code}, expected 0; {client.describe()}")
    ok("the server closing with 1000 'bye' -> '! closed by the server with 1000 (normal closure): bye', exit 0")

    client = Client(exe, [server.url("/close4001"), "--record", os.path.join(workdir, "4001.jsonl")], "close4001")
    await client.start()
    code = await client.finish()
    check(code == 1, f"server closed with 4001: exit code {code}, expected 1; {client.describe()}")
    check(any("4001" in line and "not allowed" in line for line in client.err),
          f"server closed with 4001: no line with the code and reason; {client.describe()}")
    ok("the server closing with 4001 -> exit 1, code and reason on stderr")

    client = Client(exe, [server.url("/drop"), "--record", os.path.join(workdir, "drop.jsonl")], "drop")
    await client.start()
    code = await client.finish()
    check(code == 1 and any("1006" in line for line in client.err),
          f"connection dropped: exit code {code}, expected 1 with 1006 on stderr; {client.describe()}")
    ok(f"the connection dropped without a closing handshake -> exit 1: {client.err[-1]!r}")
    await server.stop()


async def keep_alive(exe, workdir):
    server = await PeerServer().start()
    client = Client(exe, [server.url("/quiet"), "--ping-every", "300",
                          "--record", os.path.join(workdir, "ping.jsonl")], "ping")
    await client.start()
    await client.wait_stderr(r"^connected to ")
    # 300 ms: two unanswered pings (600 ms) drop the connection as dead, which a loaded machine must not reach.
    await asyncio.sleep(1.7)
    client.close_stdin()
    code = await client.finish()
    seen = await server.only_connection()
    await server.stop()
    window = [t for t in seen.pongs if t - seen.opened <= 1.5]
    # The spacing is the client's: taken from its record (when each ping left), not from when the server
    # answered, which a loaded machine can delay so that two pongs go out together.
    sent = [e["mono"] for e in Record(os.path.join(workdir, "ping.jsonl")).events
            if e.get("kind") == "ping" and e.get("dir") == "c2s"]
    gaps = [round((b - a) / 1e6) for a, b in zip(sent, sent[1:])]
    first = round((seen.pongs[0] - seen.opened) * 1000) if seen.pongs else None
    info(f"--ping-every 300: {len(seen.pongs)} pings answered, the first {first} ms after the open; "
         f"{len(sent)} sent, at intervals (ms): {gaps}")
    check(len(window) >= 3, f"--ping-every 300: only {len(window)} pings within 1.5 s of the open; "
                            f"{client.describe()}")
    # Single intervals are printed, not asserted (a late tick is followed by an early one on a loaded machine);
    # on average there is no more than one ping per half interval.
    span_s = (sent[-1] - sent[0]) / 1e9 if len(sent) > 1 else 0
    check(len(sent) <= span_s / 0.15 + 2, f"--ping-every 300: {len(sent)} pings in {span_s:.2f} s: intervals {gaps}")
    check(code == 0, f"--ping-every: exit code {code}; {client.describe()}")
    check(sum(1 for line in client.err if line.startswith("! pong")) >= 3,
          f"--ping-every: the pongs are not reported on stderr; {client.describe()}")
    ok(f"--ping-every 300: {len(window)} pings in 1.5 s, no more than one per 150 ms on average")


async def interrupt(exe, workdir):
    server = await PeerServer().start()
    record = os.path.join(workdir, "sigint.jsonl")
    client = Client(exe, [server.url("/quiet"), "--send", "hello", "--record", record], "sigint")
    await client.start()
    await client.wait_stderr(r"^connected to ")
    while not server.connections[0].messages:
        await asyncio.sleep(0.02)
    client.process.send_signal(signal.SIGINT)
    code = await client.finish()
    seen = await server.only_connection()
    check(code == 0, f"SIGINT: exit code {code}, expected 0; {client.describe()}")
    check((seen.close_code, seen.close_reason) == (1001, "going away"),
          f"SIGINT: the server saw close {seen.close_code} {seen.close_reason!r}, expected 1001 'going away'")
    rec = Record(record)
    closes = [e for e in rec.events if e.get("kind") == "close" and e.get("dir") == "c2s"]
    check(closes and closes[0].get("code") == 1001, f"SIGINT: the record's closes are {closes}")
    ok("SIGINT closes with 1001 'going away', exit 0, the record file is complete")

    client = Client(exe, [server.url("/script"), "--record", "/dev/stdout"], "record-stdout")
    await client.start()
    await client.wait_stderr(r"^< \[binary 3 bytes\]")
    await client.write(b"bye please\n")
    code = await client.finish()
    await server.stop()
    check(code == 0, f"--record /dev/stdout: exit code {code}; {client.describe()}")
    check(client.out and all(line.startswith("{") for line in client.out),
          f"--record /dev/stdout: stdout holds more than the journal: {client.out[:5]}")
    check("< line one\\nline two" in client.err, f"--record /dev/stdout: no message lines on stderr; {client.err}")
    ok("--record /dev/stdout: stdout is the journal only, the message lines go to stderr")


async def terminal(exe, workdir):
    """stdin a terminal (a pty): its lines are sent only with --interactive; Ctrl+D at a line start closes."""
    import pty
    import termios
    server = await PeerServer().start()
    results = []
    for interactive in (False, True):
        master, slave = pty.openpty()
        try:
            attrs = termios.tcgetattr(slave)
            attrs[3] &= ~termios.ECHO  # what we type is not echoed back to the master
            termios.tcsetattr(slave, termios.TCSANOW, attrs)
            args = [server.url("/quiet"), "--send", "hello",
                    "--record", os.path.join(workdir, f"tty-{interactive}.jsonl")] + (["-i"] if interactive else [])
            client = Client(exe, args, f"terminal{' -i' if interactive else ''}")
            await client.start(stdin=slave)
            await client.wait_stderr(r"^connected to ")
            os.write(master, "typed line ✓\n".encode())
            await asyncio.sleep(0.5)
            if interactive:
                os.write(master, b"\x04")  # Ctrl+D: the end of input
            else:
                client.process.send_signal(signal.SIGTERM)
            code = await client.finish()
        finally:
            os.close(slave)
            os.close(master)
        seen = server.connections[-1]
        await asyncio.wait_for(seen.done.wait(), STEP_TIMEOUT)
        results.append((code, seen.messages, seen.close_code))
    await server.stop()
    check(results[0] == (0, ["hello"], 1001),
          f"stdin a terminal without -i: (exit, messages, close) {results[0]}, expected (0, ['hello'], 1001)")
    check(results[1] == (0, ["hello", "typed line ✓"], 1000),
          f"stdin a terminal with -i: (exit, messages, close) {results[1]}, expected "
          "(0, ['hello', 'typed line ✓'], 1000)")
    ok("stdin a terminal: lines are sent only with --interactive; Ctrl+D closes with 1000; SIGTERM with 1001")


async def stdin_lines(exe, workdir):
    """Bad UTF-8 on stdin; the server closing while stdin is still being piped in."""
    server = await PeerServer().start()
    client, code = await run_client(exe, [server.url("/echo"), "--record", os.path.join(workdir, "utf8.jsonl")],
                                    "bad-utf8", b"good\n\xff\xfe bad\n\xed\xa0\x80 surrogate\nafter \xe2\x9c\x93\n")
    seen = await server.only_connection()
    check(seen.messages == ["good", "after ✓"], f"bad UTF-8 lines: the server got {seen.messages}")
    for number in (2, 3):
        check(f"! line {number} is not valid UTF-8; not sent" in client.err,
              f"bad UTF-8: no '! line {number} is not valid UTF-8; not sent'; {client.describe()}")
    check(code == 0, f"bad UTF-8 lines: exit code {code}, expected 0; {client.describe()}")
    ok("stdin lines that are not valid UTF-8 are named by number and not sent; the others are, exit 0")

    # `cat lines | wsinspector connect URL`, and the server says goodbye after the first line: whatever is
    # still in the pipe is not sent, and the exit code says how the server closed (1000: 0).
    client = Client(exe, [server.url("/script"), "--record", os.path.join(workdir, "late.jsonl")], "late-lines")
    await client.start()
    filler = b"".join(b"line %d that comes after the goodbye\n" % i for i in range(20000))

    async def feed():
        try:
            await client.write(b"bye please\n")
            for _ in range(100):  # about 70 MB, far more than the pipe holds
                await client.write(filler)
            client.close_stdin()
        except (BrokenPipeError, ConnectionResetError):
            # The client is gone: it stopped reading, as it should. (Collect the pipe's error too, so that
            # asyncio does not report it as never retrieved.)
            try:
                await client.process.stdin.wait_closed()
            except (BrokenPipeError, ConnectionResetError):
                pass

    feeder = asyncio.ensure_future(feed())
    code = await client.finish(timeout=60)
    await asyncio.wait_for(feeder, STEP_TIMEOUT)
    await server.stop()
    check(not any("is not open" in line for line in client.err),
          f"late lines: sends after the server's close reported as errors; {client.describe()}")
    check("! closed by the server with 1000 (normal closure): bye" in client.err,
          f"late lines: no close from the server; {client.describe()}")
    check(code == 0, f"late lines: the server closed with 1000 but the exit code is {code}; {client.describe()}")
    unsent = [line for line in client.err if re.fullmatch(r"! \d+ lines? not sent: the connection was closed", line)]
    ok(f"the server closing while stdin is piped in: stdin no longer read, exit 0 ({unsent or 'no line unsent'})")


async def unanswered_close(exe, workdir):
    """A server that never answers our close: a failure at the end of stdin, not after SIGINT."""
    results = []
    for how in ("end of stdin", "SIGINT"):
        server = await PeerServer().start()
        client = Client(exe, [server.url("/deaf"), "--send", "hello",
                              "--record", os.path.join(workdir, f"deaf-{how[:3]}.jsonl")], f"deaf ({how})")
        await client.start()
        await client.wait_stderr(r"^connected to ")
        if how == "SIGINT":
            client.process.send_signal(signal.SIGINT)
        else:
            client.close_stdin()
        code = await client.finish()
        server.connections[0].ws.transport.abort()
        await server.only_connection()
        await server.stop()
        results.append((code, "! the server did not answer the closing handshake" in client.err, client))
    check(results[0][:2] == (1, True),
          f"end of stdin, no answer to our close: exit {results[0][0]}, expected 1 with '! the server did not "
          f"answer the closing handshake'; {results[0][2].describe()}")
    check(results[1][0] == 0, f"SIGINT, no answer to our close: exit {results[1][0]}, expected 0;"
                              f" {results[1][2].describe()}")
    ok("a server that never answers our close: exit 1 at the end of stdin (reason on stderr), 0 after SIGINT")


async def secrets_from_files(exe, workdir):
    token_file = os.path.join(workdir, "token.txt")
    with open(token_file, "w") as f:
        f.write("tok.from-file_1\n")
    basic_file = os.path.join(workdir, "basic.txt")
    with open(basic_file, "w") as f:
        f.write("ann:p@ss:word\r\n")
    server = await PeerServer().start()
    for option, path, want in (("--bearer", token_file, "Bearer tok.from-file_1"),
                               ("--basic", basic_file, "Basic " + base64.b64encode(b"ann:p@ss:word").decode())):
        client, code = await run_client(exe, [server.url("/echo"), option, "@" + path,
                                              "--record", os.path.join(workdir, f"auth{option}.jsonl")],
                                        f"{option} @FILE", b"")
        check(code == 0, f"{option} @FILE: exit code {code}; {client.describe()}")
        check(server.connections[-1].header("Authorization") == [want],
              f"{option} @FILE: Authorization arrived as {server.connections[-1].header('Authorization')},"
              f" expected {want!r}")
    await server.stop()
    missing = os.path.join(workdir, "no-token.txt")
    client, code = await run_client(exe, [server.url("/echo"), "--bearer", "@" + missing], "missing token file")
    check(code == 2 and len(client.err) == 1 and missing in client.err[0],
          f"--bearer @missing: exit code {code}, expected 2 with one line naming the file; {client.describe()}")
    check(len(server.connections) == 2, "--bearer @missing: it connected anyway")
    ok("--bearer @FILE and --basic @FILE send the secret from the file; a missing file exits 2 before connecting")


async def failures(exe, workdir):
    port = free_port()
    client, code = await run_client(exe, [f"ws://127.0.0.1:{port}/", "--record",
                                          os.path.join(workdir, "refused.jsonl")], "refused")
    check(code == 1 and any("refused" in line for line in client.err),
          f"refused port: exit code {code}, expected 1 with 'refused'; {client.describe()}")
    ok(f"refused port -> exit 1: {client.err[-1]!r}")

    client, code = await run_client(exe, ["ws://no-such-host.invalid/", "--record",
                                          os.path.join(workdir, "dns.jsonl")], "dns", timeout=30)
    check(code == 1 and any("DNS" in line or "host" in line for line in client.err),
          f"unknown host: exit code {code}, expected 1 with a DNS message; {client.describe()}")
    ok(f"unknown host -> exit 1: {client.err[-1]!r}")

    server = await PeerServer().start()
    client, code = await run_client(exe, [server.url("/forbidden"), "--record",
                                          os.path.join(workdir, "403.jsonl")], "403")
    await server.stop()
    check(code == 1 and any("403" in line for line in client.err),
          f"403: exit code {code}, expected 1 with the status; {client.describe()}")
    ok(f"server answering 403 -> exit 1: {[line for line in client.err if '403' in line][0]!r}")

    missing = os.path.join(workdir, "does-not-exist.bin")
    client, code = await run_client(exe, ["ws://127.0.0.1:9/", "--send-file", missing], "missing-file")
    check(code == 2 and any("does-not-exist.bin" in line for line in client.err),
          f"--send-file missing: exit code {code}, expected 2 naming the file; {client.describe()}")
    big = os.path.join(workdir, "big.bin")
    with open(big, "wb") as f:
        f.truncate(64 * 1024 * 1024 + 1)
    client, code = await run_client(exe, ["ws://127.0.0.1:9/", "--send-file", big], "big-file")
    check(code == 2 and any("too big" in line for line in client.err),
          f"--send-file of 64 MiB + 1: exit code {code}, expected 2 'too big'; {client.describe()}")
    os.unlink(big)
    client, code = await run_client(exe, ["ws://127.0.0.1:9/", "-H", "no colon"], "bad-header")
    check(code == 2 and len(client.err) == 1 and "no colon" in client.err[0],
          f"bad -H: exit code {code}, expected 2 with one line; {client.describe()}")
    ok("--send-file missing or over 64 MiB, a bad -H: exit 2 with a one-line reason, before connecting")


def make_certificate(workdir):
    import shutil
    import subprocess
    openssl = shutil.which("openssl") or "/usr/bin/openssl"
    check(os.access(openssl, os.X_OK), "the openssl command is missing: install Debian's openssl"
                                       " (packaging/install-deps.sh test; make test does it)")
    key, cert = os.path.join(workdir, "k.pem"), os.path.join(workdir, "c.pem")
    done = subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                           "-days", "1", "-subj", "/CN=localhost",
                           "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    check(done.returncode == 0, f"openssl req failed with {done.returncode}: {done.stderr.decode('utf-8', 'replace')}")
    return cert, key


async def tls(exe, workdir):
    cert, key = make_certificate(workdir)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = await PeerServer().start(context)
    url = server.url("/echo", "wss")
    client, code = await run_client(exe, [url, "--send", "x", "--record", os.path.join(workdir, "tls.jsonl")],
                                    "tls-verify")
    check(code == 1 and any("certificate" in line.lower() for line in client.err),
          f"wss with a self-signed certificate: exit code {code}, expected 1 with a certificate error;"
          f" {client.describe()}")
    check(any("--insecure" in line for line in client.err),
          f"wss with a self-signed certificate: stderr does not name --insecure; {client.describe()}")
    check(not any(s.messages for s in server.connections), "wss: a message crossed despite the certificate error")
    ok(f"wss, self-signed certificate -> exit 1: {[line for line in client.err if 'ertificate' in line][0]!r}")

    record = os.path.join(workdir, "insecure.jsonl")
    client = Client(exe, [url, "--insecure", "--send", "over TLS ✓", "--record", record], "tls-insecure")
    await client.start()
    await client.wait_stderr(r"^connected to ")
    deadline = time.monotonic() + STEP_TIMEOUT
    while not client.out and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    client.close_stdin()
    code = await client.finish()
    await server.stop()
    check(code == 0 and client.out == ["< over TLS ✓"],
          f"wss --insecure: exit code {code}, stdout {client.out}; {client.describe()}")
    # A note event (its text in "message") or a note on another event.
    notes = [e.get("message") if e.get("kind") == "note" else e.get("note") for e in Record(record).events]
    notes = [n for n in notes if n and "certificate" in n]
    check(notes, f"wss --insecure: the record has no note that certificate errors were ignored ({record})")
    check(any(line.startswith("! ") and "certificate" in line for line in client.err),
          f"wss --insecure: stderr does not say that certificate errors were ignored; {client.describe()}")
    ok(f"wss --insecure: connected, echo printed, exit 0; the record notes: {notes[0]!r}")


async def scenario(exe, workdir):
    await headers_subprotocol_order(exe, workdir)
    await basic_auth(exe, workdir)
    await binary_both_ways(exe, workdir)
    await server_closes(exe, workdir)
    await keep_alive(exe, workdir)
    await interrupt(exe, workdir)
    await terminal(exe, workdir)
    await stdin_lines(exe, workdir)
    await unanswered_close(exe, workdir)
    await secrets_from_files(exe, workdir)
    await failures(exe, workdir)
    await tls(exe, workdir)


class Leftovers:
    """Kills the client processes still running when the test ends early (wsitest.main calls kill())."""

    name = "connect clients"

    def kill(self):
        for pid in Client.running:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def stderr(self):
        return ""


def body(exe, workdir, servers):
    servers.append(Leftovers())
    asyncio.run(scenario(exe, workdir))


if __name__ == "__main__":
    sys.exit(main("connect", body, WATCHDOG_SECONDS))
