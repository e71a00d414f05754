#!/usr/bin/python3
"""Integration test of `wsinspector serve` against a peer we did not write: Python's `websockets` (Debian's
python3-websockets 10.4, asyncio API) and, for protocol violations no sane client library will commit, a
hand-written client on a raw socket.

    test_python_peer.py PATH/TO/wsinspector

Checks:
  1. 1,000 text and binary messages (0 B to 1 MiB, non-ASCII text) come back byte-exact and in order;
  2. a text frame with invalid UTF-8 gets close 1007, while another client on the same server still gets its echo;
  3. with --max-message-size 1048576, a 1 MiB message is echoed and a 2 MiB one gets close 1009;
  4. SIGTERM ends the server with exit code 0 and a complete --record file;
  5. the record file (JSON Lines, DESIGN.md "Session file") holds the header, the connections, the handshake,
     every message twice (c2s, then its s2c echo) with kind, size and payload, the closes, and an error event
     for each violation.
Every wait has a timeout, and a watchdog ends the whole run, so the test cannot hang.
"""

import asyncio
import base64
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

WATCHDOG_SECONDS = 240
START_TIMEOUT = 15
EXCHANGE_TIMEOUT = 120
STEP_TIMEOUT = 15
EXIT_TIMEOUT = 10
MESSAGES = 1000
MIB = 1024 * 1024
SEED = 20261122

try:
    import websockets
    import websockets.http
    from websockets.exceptions import ConnectionClosed
except ImportError as error:
    print(f"FAIL: {sys.executable} cannot import websockets ({error}).\n"
          "Install Debian's python3-websockets: packaging/install-deps.sh test (make test does it).",
          file=sys.stderr)
    sys.exit(1)


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def ok(message):
    print(f"ok: {message}", flush=True)


class Server:
    """One `wsinspector serve` process; stdout and stderr go to files so a chatty server never blocks on a pipe."""

    def __init__(self, exe, workdir, name, extra_args=()):
        self.name = name
        self.record = os.path.join(workdir, f"{name}.jsonl")
        self.stdout_path = os.path.join(workdir, f"{name}.stdout")
        self.stderr_path = os.path.join(workdir, f"{name}.stderr")
        self.args = [exe, "serve", "--port", "0", "--record", self.record, *extra_args]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        self.port = self._read_port()
        self.url = f"ws://127.0.0.1:{self.port}/"

    def _read_port(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            with open(self.stdout_path, "rb") as f:
                data = f.read()
            if b"\n" in data:
                first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
                match = re.fullmatch(r"listening on ws://127\.0\.0\.1:(\d+)/", first)
                check(match, f"{self.name}: first stdout line is {first!r}, expected 'listening on ws://127.0.0.1:PORT/'")
                return int(match.group(1))
            code = self.process.poll()
            check(code is None, f"{self.name}: `{' '.join(self.args)}` exited with {code} before listening;"
                                f" stderr: {self.stderr()!r}")
            time.sleep(0.02)
        raise Failure(f"{self.name}: no 'listening on' line within {START_TIMEOUT} s")

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-2000:]

    def terminate(self):
        """SIGTERM, then the exit code, which must be 0 (the record file is flushed by then)."""
        self.process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        try:
            code = self.process.wait(timeout=EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Failure(f"{self.name}: still running {EXIT_TIMEOUT} s after SIGTERM")
        check(code == 0, f"{self.name}: exit code {code} after SIGTERM, expected 0; stderr: {self.stderr()!r}")
        ok(f"{self.name}: SIGTERM -> exit code 0 after {time.monotonic() - started:.2f} s")

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=EXIT_TIMEOUT)


# ---------------------------------------------------------------------------------------------------------------
# Messages

TEXT_POOL = (["a", "b", "z", "Q", "0", " ", "-", ".", "{", "}"] * 6
             + ["é", "ß", "ñ", "€", "Ж", "日本語", "🎉", "👩‍💻", "\"", "\\", "/", "\n", "\r", "\t", "\x00", "\x1f",
                "\x7f", "\u00a0", "\u2028", "\u2029", "\ufeff", "\U0010fffd"])


def make_text(rng, size):
    """A str whose UTF-8 form is exactly `size` bytes, mostly ASCII with multi-byte and control characters."""
    parts = []
    total = 0
    while total < size:
        piece = rng.choice(TEXT_POOL)
        n = len(piece.encode("utf-8"))
        if total + n > size:
            piece, n = "x" * (size - total), size - total
        parts.append(piece)
        total += n
    text = "".join(parts)
    assert len(text.encode("utf-8")) == size
    return text


def make_messages(rng):
    boundaries = [0, 1, 2, 125, 126, 127, 128, 65535, 65536, 65537, MIB]
    sizes = [(kind, size) for size in boundaries for kind in ("text", "binary")]
    while len(sizes) < MESSAGES:
        roll = rng.random()
        if roll < 0.85:
            size = rng.randint(0, 256)
        elif roll < 0.98:
            size = rng.randint(257, 16384)
        else:
            size = rng.randint(16385, MIB)
        sizes.append((rng.choice(("text", "binary")), size))
    rng.shuffle(sizes)
    return [make_text(rng, size) if kind == "text" else rng.randbytes(size) for kind, size in sizes]


def payload_bytes(message):
    return message.encode("utf-8") if isinstance(message, str) else message


def describe(message):
    kind = "text" if isinstance(message, str) else "binary"
    return f"{kind} of {len(payload_bytes(message))} B"


# ---------------------------------------------------------------------------------------------------------------
# Raw socket client, for what a WebSocket library refuses to send

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise Failure(f"raw client: connection closed after {len(data)} of {n} bytes")
        data += chunk
    return data


def raw_handshake(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=STEP_TIMEOUT)
    sock.settimeout(STEP_TIMEOUT)
    key = base64.b64encode(os.urandom(16))
    sock.sendall(b"GET / HTTP/1.1\r\n"
                 b"Host: 127.0.0.1:" + str(port).encode() + b"\r\n"
                 b"Upgrade: websocket\r\n"
                 b"Connection: Upgrade\r\n"
                 b"Sec-WebSocket-Key: " + key + b"\r\n"
                 b"Sec-WebSocket-Version: 13\r\n"
                 b"User-Agent: wsinspector-integration-raw-client\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        check(chunk, f"raw client: connection closed during the handshake, got {head!r}")
        head += chunk
    head, rest = head.split(b"\r\n\r\n", 1)
    check(rest == b"", f"raw client: unexpected bytes after the handshake response: {rest[:40]!r}")
    lines = head.decode("latin-1").split("\r\n")
    check(lines[0].startswith("HTTP/1.1 101"), f"raw client: handshake answered {lines[0]!r}")
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
    headers = {line.split(":", 1)[0].strip().lower(): line.split(":", 1)[1].strip() for line in lines[1:]}
    check(headers.get("sec-websocket-accept") == accept,
          f"raw client: Sec-WebSocket-Accept is {headers.get('sec-websocket-accept')!r}, expected {accept!r}")
    return sock


def masked_frame(opcode, payload, fin=True):
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def read_frame(sock):
    b0, b1 = recv_exact(sock, 2)
    check(not (b1 & 0x80), "raw client: the server sent a masked frame (RFC 6455 5.1: servers must not mask)")
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", recv_exact(sock, 2))[0]
    elif n == 127:
        n = struct.unpack("!Q", recv_exact(sock, 8))[0]
    return b0 & 0x80, b0 & 0x0F, recv_exact(sock, n)


def raw_invalid_utf8(port):
    """Sends a text frame that is not UTF-8; expects close 1007 and the TCP connection to end. Returns the port
    the raw client used, to find its connection in the record file."""
    sock = raw_handshake(port)
    local_port = sock.getsockname()[1]
    try:
        sock.sendall(masked_frame(0x1, b"caf\xc3 \xff\xfe not utf-8"))
        fin, opcode, payload = read_frame(sock)
        check(opcode == 0x8, f"raw client: expected a close frame after invalid UTF-8, got opcode {opcode}")
        check(len(payload) >= 2, f"raw client: close frame without a status code: {payload!r}")
        code = struct.unpack("!H", payload[:2])[0]
        check(code == 1007, f"raw client: close code {code} after invalid UTF-8, expected 1007")
        reason = payload[2:]
        reason.decode("utf-8")  # a close reason must be UTF-8 itself
        # Answer the close, then wait for the server to end the TCP connection. A server that fails a connection
        # may close it without waiting for the answer (RFC 6455 7.1.7), so a reset here is fine too.
        try:
            sock.sendall(masked_frame(0x8, struct.pack("!H", 1007)))
            while sock.recv(4096):
                pass
        except (ConnectionResetError, BrokenPipeError):
            pass
    finally:
        sock.close()
    ok(f"invalid UTF-8 in a text frame -> close 1007 ({reason.decode('utf-8')!r})")
    return local_port


# ---------------------------------------------------------------------------------------------------------------
# The scenarios

def client_options(**extra):
    options = dict(compression=None, max_size=16 * MIB, ping_interval=None, open_timeout=STEP_TIMEOUT,
                   close_timeout=STEP_TIMEOUT)
    options.update(extra)
    return options


async def echo_messages(url, messages):
    """Pipelines all messages, receives the echoes concurrently; returns the client's local port."""
    async with websockets.connect(url, **client_options()) as ws:
        local_port = ws.local_address[1]

        async def sender():
            for message in messages:
                await ws.send(message)

        async def receiver():
            for i, message in enumerate(messages):
                echo = await ws.recv()
                if echo != message:
                    what = "a str" if isinstance(echo, str) else "bytes"
                    raise Failure(f"echo of message {i} ({describe(message)}) differs: got {what} of "
                                  f"{len(payload_bytes(echo))} B")

        started = time.monotonic()
        await asyncio.wait_for(asyncio.gather(sender(), receiver()), EXCHANGE_TIMEOUT)
        elapsed = time.monotonic() - started
        await asyncio.wait_for(ws.close(1000, "done"), STEP_TIMEOUT)
        check(ws.close_code == 1000, f"server answered the close with code {ws.close_code}, expected 1000")
    total = sum(len(payload_bytes(m)) for m in messages)
    ok(f"{len(messages)} messages ({total / MIB:.1f} MiB, text and binary, 0 B to 1 MiB) echoed byte-exact and in"
       f" order in {elapsed:.2f} s; close 1000 answered")
    return local_port


async def violation_beside_healthy_client(url, port, violation):
    """Runs `violation` (a blocking raw-socket function) while another client stays connected, then checks that
    client still gets its echo. Returns (violating client's port, healthy client's port)."""
    async with websockets.connect(url, **client_options()) as ws:
        healthy_port = ws.local_address[1]
        await ws.send("before ✓")
        check(await asyncio.wait_for(ws.recv(), STEP_TIMEOUT) == "before ✓", "healthy client: wrong echo")
        bad_port = await asyncio.wait_for(asyncio.to_thread(violation, port), STEP_TIMEOUT * 2)
        await ws.send("still alive ✓")
        check(await asyncio.wait_for(ws.recv(), STEP_TIMEOUT) == "still alive ✓",
              "healthy client: wrong echo after the other client's violation")
        await asyncio.wait_for(ws.close(), STEP_TIMEOUT)
    ok("a second client connected at the same time still gets its echo")
    return bad_port, healthy_port


async def oversized_message(url):
    """On a server with --max-message-size 1048576: 1 MiB is echoed, 2 MiB gets close 1009; returns the port."""
    async with websockets.connect(url, **client_options()) as ws:
        local_port = ws.local_address[1]
        exact = random.Random(SEED + 1).randbytes(MIB)
        await ws.send(exact)
        check(await asyncio.wait_for(ws.recv(), STEP_TIMEOUT) == exact, "1 MiB message at the limit: wrong echo")
        ok("a message of exactly --max-message-size (1 MiB) is echoed")
        try:
            await ws.send(b"\x00" * (2 * MIB))
            echo = await asyncio.wait_for(ws.recv(), STEP_TIMEOUT)
            raise Failure(f"2 MiB message over a 1 MiB limit was answered with {len(payload_bytes(echo))} B"
                          " instead of close 1009")
        except ConnectionClosed:
            pass
        await asyncio.wait_for(ws.wait_closed(), STEP_TIMEOUT)
        check(ws.close_code == 1009, f"close code {ws.close_code} for a message over the limit, expected 1009")
    ok(f"2 MiB message over --max-message-size 1048576 -> close 1009 ({ws.close_reason!r})")
    return local_port


# ---------------------------------------------------------------------------------------------------------------
# The record file

class Record:
    def __init__(self, path):
        check(os.path.exists(path), f"record file {path} was not written")
        with open(path, "rb") as f:
            raw = f.read()
        check(raw.endswith(b"\n"), f"{path}: the last line is not complete after a clean exit")
        self.lines = []
        for number, line in enumerate(raw.split(b"\n")[:-1], 1):
            try:
                self.lines.append(json.loads(line.decode("utf-8")))
            except (UnicodeDecodeError, ValueError) as error:
                raise Failure(f"{path}:{number}: not a JSON line ({error}): {line[:120]!r}")
            check(isinstance(self.lines[-1], dict), f"{path}:{number}: not a JSON object")
        check(self.lines, f"{path} is empty")
        self.path = path
        header = self.lines[0]
        check(header.get("type") == "session" and header.get("format") == "wsinspector-session"
              and header.get("version") == 1, f"{path}: bad header line {header}")
        check(str(header.get("app", "")).startswith("wsinspector"), f"{path}: header without app: {header}")
        check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", str(header.get("created", ""))),
              f"{path}: header 'created' is not an ISO 8601 UTC time: {header.get('created')!r}")
        self.connections = {}
        self.events = []
        last_seq = 0
        for line in self.lines[1:]:
            kind = line.get("type")
            if kind == "connection":
                self.connections[line["id"]] = line
            elif kind == "event":
                check(isinstance(line.get("seq"), int) and line["seq"] > last_seq,
                      f"{path}: seq {line.get('seq')} after {last_seq}: not increasing")
                last_seq = line["seq"]
                check(isinstance(line.get("ts"), int) and line["ts"] > 1_600_000_000_000_000,
                      f"{path}: event {line['seq']} has no integer µs timestamp: {line.get('ts')!r}")
                check(line.get("conn") in self.connections,
                      f"{path}: event {line['seq']} refers to connection {line.get('conn')} before its connection line")
                self.events.append(line)
            else:
                raise Failure(f"{path}: unknown line type {kind!r}")
        ok(f"{os.path.basename(path)}: header, {len(self.connections)} connections, {len(self.events)} events,"
           " seq increasing")

    def connection_for(self, local_port):
        peer = f"127.0.0.1:{local_port}"
        found = [c for c in self.connections.values() if c.get("peer") == peer]
        check(len(found) == 1, f"{self.path}: expected one connection with peer {peer}, found {found}")
        connection = found[0]
        check(connection.get("role") == "server", f"{self.path}: connection {connection} does not have role server")
        return connection["id"]

    def events_of(self, conn):
        return [e for e in self.events if e["conn"] == conn]


def event_payload(event):
    data = event.get("data", "")
    if event.get("enc") == "base64":
        return base64.b64decode(data, validate=True)
    check(isinstance(data, str), f"event {event['seq']}: data is not a string")
    return data.encode("utf-8")


def check_handshake(events, user_agent):
    requests = [e for e in events if e["kind"] == "handshake-request"]
    check(len(requests) == 1, f"expected one handshake-request, found {len(requests)}")
    request = requests[0]
    check(request.get("method") == "GET" and request.get("url") == "/",
          f"handshake-request method/url: {request.get('method')!r} {request.get('url')!r}")
    headers = request.get("headers")
    check(isinstance(headers, list) and all(isinstance(h, list) and len(h) == 2 for h in headers),
          f"handshake-request headers are not [[name, value], ...]: {headers!r}")
    agents = [value for name, value in headers if name.lower() == "user-agent"]
    check(agents == [user_agent], f"handshake-request User-Agent {agents}, expected [{user_agent!r}]")
    responses = [e for e in events if e["kind"] == "handshake-response"]
    check(len(responses) == 1 and responses[0].get("status") == 101,
          f"expected one handshake-response with status 101, got {responses}")
    check(events.index(request) < events.index(responses[0]), "handshake-response before handshake-request")


def check_echo_record(record, conn, messages):
    events = record.events_of(conn)
    check_handshake(events, websockets.http.USER_AGENT)
    frames = [e for e in events if e["kind"] in ("text", "binary")]
    c2s = [e for e in frames if e["dir"] == "c2s"]
    s2c = [e for e in frames if e["dir"] == "s2c"]
    check(len(c2s) == len(messages) and len(s2c) == len(messages),
          f"expected {len(messages)} messages each way, recorded {len(c2s)} c2s and {len(s2c)} s2c")
    for i, message in enumerate(messages):
        expected_kind = "text" if isinstance(message, str) else "binary"
        expected = payload_bytes(message)
        for direction, event in (("c2s", c2s[i]), ("s2c", s2c[i])):
            where = f"{direction} message {i} ({describe(message)}), seq {event['seq']}"
            check(event["kind"] == expected_kind, f"{where}: recorded as {event['kind']}")
            check(event.get("size") == len(expected), f"{where}: size {event.get('size')}")
            if expected_kind == "binary" and expected:
                check(event.get("enc") == "base64", f"{where}: binary payload without \"enc\":\"base64\"")
            if expected_kind == "text":
                check("enc" not in event, f"{where}: valid UTF-8 text recorded as {event.get('enc')}")
                check(event.get("data", "") == message, f"{where}: text payload differs")
            check(event_payload(event) == expected, f"{where}: payload differs")
        check(c2s[i]["seq"] < s2c[i]["seq"], f"echo of message {i} recorded before the message itself")
    ok(f"record: all {len(messages)} messages twice (c2s, then the s2c echo) with kind, size and payload")

    last_message = frames[-1]["seq"]
    closes = [e for e in events if e["kind"] == "close"]
    client_close = [e for e in closes if e["dir"] == "c2s"]
    server_close = [e for e in closes if e["dir"] == "s2c"]
    check(len(client_close) == 1 and client_close[0].get("code") == 1000 and client_close[0].get("reason") == "done",
          f"expected the client's close 1000 'done', recorded {client_close}")
    check(len(server_close) == 1 and server_close[0].get("code") == 1000,
          f"expected the server's close reply with 1000, recorded {server_close}")
    check(min(e["seq"] for e in closes) > last_message, "a message was recorded after the close")
    ok("record: handshake (GET, Python's User-Agent, 101) first, close 1000 both ways at the end")


def check_violation_record(record, conn, code, what):
    events = record.events_of(conn)
    errors = [e for e in events if e["kind"] == "error"]
    check(errors, f"record: no error event for the {what} on connection {conn}; its events: "
                  f"{[(e['dir'], e['kind']) for e in events]}")
    check(all(e["dir"] == "none" for e in errors), f"record: error event with a direction: {errors}")
    closes = [e for e in events if e["kind"] == "close" and e["dir"] == "s2c"]
    check(closes and closes[0].get("code") == code, f"record: the server's close for the {what} is {closes},"
                                                    f" expected code {code}")
    ok(f"record: error event ({errors[0].get('error', '')!r}) and close {code} for the {what}")


def check_healthy_record(record, conn):
    texts = [(e["dir"], e.get("data")) for e in record.events_of(conn) if e["kind"] == "text"]
    expected = [(d, t) for t in ("before ✓", "still alive ✓") for d in ("c2s", "s2c")]
    check(texts == expected, f"record: the healthy client's messages are {texts}, expected {expected}")
    check(not [e for e in record.events_of(conn) if e["kind"] == "error"], "record: error on the healthy client")


# ---------------------------------------------------------------------------------------------------------------

def on_watchdog(signum, frame):
    raise Failure(f"watchdog: the test took longer than {WATCHDOG_SECONDS} s")


def main():
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} PATH/TO/wsinspector", file=sys.stderr)
        return 2
    exe = os.path.abspath(sys.argv[1])
    if not os.access(exe, os.X_OK):
        print(f"FAIL: {exe} is not an executable", file=sys.stderr)
        return 1
    signal.signal(signal.SIGALRM, on_watchdog)
    signal.alarm(WATCHDOG_SECONDS)
    print(f"python {sys.version.split()[0]}, websockets {websockets.version.version}, seed {SEED}", flush=True)

    workdir = tempfile.mkdtemp(prefix="wsi-python-peer-")
    servers = []
    try:
        messages = make_messages(random.Random(SEED))

        # Server A, default limits: the echo flood, then invalid UTF-8 beside a healthy client.
        a = Server(exe, workdir, "echo")
        servers.append(a)
        ok(f"serve --port 0 printed {a.url}")
        echo_port = asyncio.run(echo_messages(a.url, messages))
        bad_port, healthy_port = asyncio.run(violation_beside_healthy_client(a.url, a.port, raw_invalid_utf8))
        a.terminate()

        # Server B: the message size limit.
        b = Server(exe, workdir, "limit", ["--max-message-size", str(MIB)])
        servers.append(b)
        big_port = asyncio.run(oversized_message(b.url))
        b.terminate()

        record_a = Record(a.record)
        check_echo_record(record_a, record_a.connection_for(echo_port), messages)
        check_violation_record(record_a, record_a.connection_for(bad_port), 1007, "invalid UTF-8")
        check_healthy_record(record_a, record_a.connection_for(healthy_port))
        record_b = Record(b.record)
        check_violation_record(record_b, record_b.connection_for(big_port), 1009, "message over the size limit")
    except Exception as error:  # a Failure, or a timeout or socket error on the way: all end the same
        if isinstance(error, Failure):
            print(f"FAIL: {error}", file=sys.stderr)
        else:
            traceback.print_exc()
            print(f"FAIL: {type(error).__name__}: {error}", file=sys.stderr)
        for server in servers:
            print(f"--- {server.name} stderr (last 2000 chars):\n{server.stderr()}", file=sys.stderr)
        print(f"files kept in {workdir}", file=sys.stderr)
        return 1
    finally:
        signal.alarm(0)
        for server in servers:
            server.kill()
    shutil.rmtree(workdir, ignore_errors=True)
    print("PASS: integration_python_peer")
    return 0


if __name__ == "__main__":
    sys.exit(main())
