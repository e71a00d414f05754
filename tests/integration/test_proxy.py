#!/usr/bin/python3
"""Integration test of the recording proxy (`wsinspector proxy --listen 0 --upstream URL --record FILE`) between
peers we did not write: a Python `websockets` server upstream and Python `websockets` clients (Debian's
python3-websockets 10.4) through the proxy, plus raw sockets for what no sane library sends.

    test_proxy.py PATH/TO/wsinspector

Checks, with one proxy process for all the cases of one upstream:
  1. the first stdout line is "proxying ws://127.0.0.1:PORT/ -> UPSTREAM", with token query values as
     [redacted]; an upstream with user:password@ exits with 2 without repeating the password;
  2. with permessage-deflate negotiated (websockets' default) and without (compression=None): text (non-ASCII
     too), binary, empty and 1 MiB messages arrive byte-exact at the upstream and back at the client; the
     client's path, query and Origin reach the upstream, with Host rewritten; fragmented messages (websockets
     sends an iterable as fragments) arrive joined; a client ping gets the upstream's pong;
  3. the client closing with 4001 "bye" -> the upstream sees 4001 "bye"; the upstream closing with 1011 -> the
     client sees 1011;
  4. a plain HTTP GET gets 426; a client that vanishes (a killed subprocess) gets its upstream connection
     dropped (1006); a new good connection works after each;
  5. upstream down -> the client gets HTTP 502 and the proxy goes on serving (the upstream started later
     works); an upstream that sends half a frame and drops -> the client is dropped too (1006);
  6. a wss upstream with a self-signed certificate -> 502 without --insecure, works with --insecure (and
     --origin rewrites the Origin);
  7. SIGTERM -> both sides of an open connection get close 1001, exit code 0;
  8. the record files hold every message decompressed, "compressed": true exactly on the compressed ones,
     the fragmented ones with "fragment": true, the ping and pong, the close codes both ways, 1006 for the
     dropped connections, and an error for each 502.
Every wait has a timeout, and a watchdog ends the whole run, so the test cannot hang.
"""

import asyncio
import base64
import hashlib
import os
import random
import re
import signal
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_serve_tls import make_certificate  # noqa: E402
from wsitest import (START_TIMEOUT, STEP_TIMEOUT, Failure, Record, Server, check, header_values,  # noqa: E402
                     import_websockets, info, main, ok, recv_within)

websockets = import_websockets()
from websockets.exceptions import ConnectionClosed, InvalidStatusCode  # noqa: E402

WATCHDOG_SECONDS = 240
MIB = 1024 * 1024
SEED = 20261130
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

random.seed(SEED)
MESSAGES = [
    "hello",
    "h\u00e9llo w\u00f6rld \u2014 \u2713 \u65e5\u672c\u8a9e \U0001F389",
    bytes(range(256)),
    "",
    b"",
    random.randbytes(MIB),  # barely compressible
    ("{\"tick\": %d, \"text\": \"gr\u00fc\u00dfe\"}\n" * 40000)[:MIB],  # very compressible, inflates far
]
FRAGMENTED = [
    ["frag-one ", "frag-two ", "\u2713 three"],
    [b"\x00\x01", b"", b"\x02\xff"],
]


def joined(fragments):
    return ("" if isinstance(fragments[0], str) else b"").join(fragments)


def as_bytes(message):
    return message.encode("utf-8") if isinstance(message, str) else message


def kind_of(message):
    return "text" if isinstance(message, str) else "binary"


def show(message):
    text = repr(message)
    return text if len(text) <= 40 else f"{text[:30]}... ({len(message)} long)"


class Proxy(Server):
    """One `wsinspector proxy --listen 0 --upstream URL --record FILE ...` process (a Server for its stderr,
    check_alive, terminate and kill)."""

    def __init__(self, exe, workdir, name, upstream, extra_args=(), shown=None):
        self.name = name
        self.upstream = upstream
        self.shown = shown or upstream  # the upstream as the first stdout line shows it
        self.record = os.path.join(workdir, f"{name}.jsonl")
        self.stdout_path = os.path.join(workdir, f"{name}.stdout")
        self.stderr_path = os.path.join(workdir, f"{name}.stderr")
        self.args = [exe, "proxy", "--listen", "0", "--upstream", upstream, "--record", self.record, *extra_args]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        self.port = self._read_port()
        self.url = f"ws://127.0.0.1:{self.port}"

    def _read_port(self):
        deadline = time.monotonic() + START_TIMEOUT
        expected = rf"proxying ws://127\.0\.0\.1:(\d+)/ -> {re.escape(self.shown)}"
        while time.monotonic() < deadline:
            with open(self.stdout_path, "rb") as f:
                data = f.read()
            if b"\n" in data:
                first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
                match = re.fullmatch(expected, first)
                check(match, f"{self.name}: first stdout line is {first!r}, expected "
                             f"'proxying ws://127.0.0.1:PORT/ -> {self.shown}' (`{' '.join(self.args)}`)")
                return int(match.group(1))
            code = self.process.poll()
            check(code is None, f"{self.name}: `{' '.join(self.args)}` exited with {code} before proxying;"
                                f" stderr: {self.stderr()!r}")
            time.sleep(0.02)
        raise Failure(f"{self.name}: no 'proxying' line within {START_TIMEOUT} s (`{' '.join(self.args)}`)")


async def start_proxy(exe, workdir, servers, name, upstream, extra_args=(), shown=None):
    # In a thread: the upstream runs on this event loop and must keep answering meanwhile.
    proxy = await asyncio.get_running_loop().run_in_executor(
        None, lambda: Proxy(exe, workdir, name, upstream, extra_args, shown))
    servers.append(proxy)
    ok(f"{name}: `proxy --listen 0 --upstream {upstream}` printed 'proxying {proxy.url}/ -> {proxy.shown}'")
    return proxy


async def terminate(proxy):
    await asyncio.get_running_loop().run_in_executor(None, proxy.terminate)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Upstream:
    """The upstream server, a Python websockets server on this event loop. Each connection is kept under its
    request path (with the query), which the tests make unique: what arrived, the headers, and how it closed.
    /close1011 closes with 1011 after echoing one message; every other path echoes every message."""

    def __init__(self):
        self.connections = {}
        self.server = None
        self.port = None

    async def start(self, ssl_context=None):
        self.server = await websockets.serve(self.handler, "127.0.0.1", 0, ssl=ssl_context, max_size=None,
                                             ping_interval=None, close_timeout=STEP_TIMEOUT)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def handler(self, ws, path=None):
        conn = {"headers": ws.request_headers, "received": [], "closed": asyncio.Event(), "code": None,
                "reason": None}
        self.connections[ws.path] = conn
        try:
            if ws.path.startswith("/close1011"):
                message = await ws.recv()
                conn["received"].append(message)
                await ws.send(message)
                await ws.close(1011, "upstream failed")
            else:
                async for message in ws:
                    conn["received"].append(message)
                    await ws.send(message)
        except ConnectionClosed:
            pass
        finally:
            await ws.wait_closed()
            conn["code"], conn["reason"] = ws.close_code, ws.close_reason
            conn["closed"].set()

    async def connection(self, path):
        deadline = time.monotonic() + STEP_TIMEOUT
        while path not in self.connections:
            check(time.monotonic() < deadline, f"upstream: no connection for {path} within {STEP_TIMEOUT} s "
                                               f"(it has {sorted(self.connections)})")
            await asyncio.sleep(0.02)
        return self.connections[path]

    async def closed(self, path):
        conn = await self.connection(path)
        try:
            await asyncio.wait_for(conn["closed"].wait(), STEP_TIMEOUT)
        except asyncio.TimeoutError:
            raise Failure(f"upstream: the connection {path} is still open {STEP_TIMEOUT} s later")
        return conn

    async def stop(self):
        self.server.close()
        await self.server.wait_closed()


async def connect(proxy, path, **options):
    """A websockets client through the proxy, on a socket of our own so that its local port, which the record
    names as the connection's peer, is known even when the handshake fails. Returns (ws or the exception,
    local port)."""
    sock = socket.socket()
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", proxy.port))
    port = sock.getsockname()[1]
    settings = dict(max_size=None, ping_interval=None, open_timeout=STEP_TIMEOUT, close_timeout=STEP_TIMEOUT)
    settings.update(options)
    try:
        ws = await websockets.connect(proxy.url + path, sock=sock, **settings)
    except (InvalidStatusCode, OSError, asyncio.TimeoutError) as error:
        sock.close()
        return error, port
    return ws, port


async def connect_ok(proxy, path, **options):
    ws, port = await connect(proxy, path, **options)
    check(not isinstance(ws, Exception), f"{proxy.name}: connecting to {path} failed: {ws!r}")
    return ws, port


async def expect_status(proxy, path, status, what):
    error, port = await connect(proxy, path, compression=None)
    if not isinstance(error, Exception):
        await error.close()
        raise Failure(f"{proxy.name}: {what}: the handshake succeeded, expected HTTP {status}")
    check(isinstance(error, InvalidStatusCode) and error.status_code == status,
          f"{proxy.name}: {what}: {error!r}, expected HTTP {status}")
    ok(f"{proxy.name}: {what} -> HTTP {status}")
    return port


async def exchange(proxy, upstream, tag, compression):
    """The messages, fragmented ones, a ping and a client close 4001 on one connection; returns its local port
    and what was sent, in order."""
    path = f"/echo/{tag}?mode={tag}&x=1"
    options = {} if compression else {"compression": None}
    ws, port = await connect_ok(proxy, path, origin="http://app.example:5173", **options)
    deflate = [e for e in ws.extensions if e.name == "permessage-deflate"]
    check(bool(deflate) == compression, f"{tag}: extensions {ws.extensions}, expected permessage-deflate "
                                        f"{'negotiated' if compression else 'absent'}")
    sent = []
    for message in MESSAGES:
        await ws.send(message)
        echo = await recv_within(ws, STEP_TIMEOUT, f"{tag}: the echo of {show(message)}")
        check(type(echo) is type(message) and echo == message,
              f"{tag}: sent {show(message)}, got back {show(echo)}")
        sent.append(message)
    for fragments in FRAGMENTED:
        await ws.send(fragments)
        echo = await recv_within(ws, STEP_TIMEOUT, f"{tag}: the echo of fragments {fragments!r}")
        check(echo == joined(fragments), f"{tag}: sent fragments {fragments!r}, got back {show(echo)}")
        sent.append(joined(fragments))
    pong = await ws.ping(b"ping-" + tag.encode())
    try:
        await asyncio.wait_for(pong, STEP_TIMEOUT)
    except asyncio.TimeoutError:
        raise Failure(f"{tag}: no pong within {STEP_TIMEOUT} s")
    ok(f"{tag}: {len(MESSAGES)} messages (text, non-ASCII, binary, empty, 1 MiB) and {len(FRAGMENTED)} "
       f"fragmented ones echoed byte-exact, a ping answered"
       + (f" ({deflate[0].name} negotiated end to end)" if compression else " (no compression)"))

    conn = await upstream.connection(path)
    check(conn["received"] == sent, f"{tag}: the upstream received {[show(m) for m in conn['received']]}, "
                                    f"expected {[show(m) for m in sent]}")
    host = conn["headers"].get("Host")
    check(host == f"127.0.0.1:{upstream.port}", f"{tag}: the upstream saw Host {host!r}, "
                                                 f"expected 127.0.0.1:{upstream.port}")
    origin = conn["headers"].get("Origin")
    check(origin == "http://app.example:5173", f"{tag}: the upstream saw Origin {origin!r}")
    ok(f"{tag}: the upstream received every message byte-exact at {path} (Host {host}, Origin kept)")

    await ws.close(4001, "bye")
    conn = await upstream.closed(path)
    check((conn["code"], conn["reason"]) == (4001, "bye"),
          f"{tag}: the client closed with 4001 'bye', the upstream saw {conn['code']} {conn['reason']!r}")
    ok(f"{tag}: the client's close 4001 'bye' reached the upstream")
    return port, sent


async def upstream_closes(proxy, upstream):
    ws, port = await connect_ok(proxy, "/close1011?n=1")
    await ws.send("last words")
    echo = await recv_within(ws, STEP_TIMEOUT, "close1011: the echo")
    check(echo == "last words", f"close1011: got {echo!r}")
    try:
        extra = await asyncio.wait_for(ws.recv(), STEP_TIMEOUT)
        raise Failure(f"close1011: expected the close, received {extra!r}")
    except ConnectionClosed:
        pass
    except asyncio.TimeoutError:
        raise Failure(f"close1011: the connection is still open {STEP_TIMEOUT} s after the upstream closed")
    check((ws.close_code, ws.close_reason) == (1011, "upstream failed"),
          f"close1011: the client saw {ws.close_code} {ws.close_reason!r}, expected 1011 'upstream failed'")
    ok("the upstream's close 1011 'upstream failed' reached the client")
    return port


async def still_good(proxy, upstream, why):
    path = "/echo/good-after-" + re.sub(r"[^a-z0-9]+", "-", why)
    ws, _ = await connect_ok(proxy, path)
    await ws.send(f"still there after {why}")
    echo = await recv_within(ws, STEP_TIMEOUT, f"good connection after {why}")
    check(echo == f"still there after {why}", f"good connection after {why}: got {echo!r}")
    await ws.close()
    ok(f"{proxy.name}: a new connection works after {why}")


async def plain_http(proxy):
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    try:
        writer.write(b"GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n\r\n")
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), STEP_TIMEOUT)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), STEP_TIMEOUT)
    finally:
        writer.close()
    check(re.match(rb"HTTP/1\.1 426 ", status), f"plain HTTP GET -> {status!r}, expected HTTP/1.1 426")
    check(b"upgrade: websocket" in head.lower(), f"426 without Upgrade: websocket: {head!r}")
    ok(f"{proxy.name}: a plain HTTP GET -> {status.decode().strip()}")


VANISHING_CLIENT = """
import asyncio, sys, websockets
async def main():
    async with websockets.connect(sys.argv[1], compression=None, ping_interval=None) as ws:
        await ws.send("alive")
        await ws.recv()
        print(ws.local_address[1], flush=True)
        await asyncio.sleep(3600)
asyncio.run(main())
"""


async def vanishing_client(proxy, upstream):
    path = "/echo/vanish"
    process = await asyncio.create_subprocess_exec(sys.executable, "-c", VANISHING_CLIENT, proxy.url + path,
                                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    try:
        line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
        check(line.strip().isdigit(), f"vanishing client: printed {line!r}, expected its local port")
        port = int(line)
        await upstream.connection(path)
        process.kill()
        await asyncio.wait_for(process.wait(), STEP_TIMEOUT)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    conn = await upstream.closed(path)
    check(conn["code"] == 1006, f"vanishing client: the upstream's connection ended with {conn['code']} "
                                f"{conn['reason']!r}, expected 1006 (dropped without a close)")
    ok("a client killed with SIGKILL -> its upstream connection dropped (1006 at the upstream)")
    return port


def half_frame_server(handshakes):
    """A raw upstream: completes the handshake, then on /half sends half of a 100-byte text frame and drops the
    connection; on /ok sends "hello" and a close 1000, and drops the TCP connection once the client answered."""

    async def serve(reader, writer):
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), STEP_TIMEOUT)
            lines = head.decode("latin-1").split("\r\n")
            target = lines[0].split(" ")[1]
            headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if line)}
            handshakes.append(target)
            accept = base64.b64encode(hashlib.sha1(headers["sec-websocket-key"].encode() + WS_GUID).digest())
            writer.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
            if target.startswith("/half"):
                writer.write(b"\x81\x64" + b"h" * 50)
                await writer.drain()
                await asyncio.sleep(0.2)
            else:
                writer.write(b"\x81\x05hello\x88\x02\x03\xe8")
                await writer.drain()
                await asyncio.wait_for(reader.read(2), STEP_TIMEOUT)  # the client's close
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return serve


async def dropped_mid_frame(proxy):
    ws, port = await connect_ok(proxy, "/half", compression=None)
    try:
        message = await asyncio.wait_for(ws.recv(), STEP_TIMEOUT)
        raise Failure(f"half frame: received {show(message)}, expected the connection dropped")
    except ConnectionClosed:
        pass
    except asyncio.TimeoutError:
        raise Failure(f"half frame: the client is still connected {STEP_TIMEOUT} s after the upstream dropped")
    check(ws.close_code == 1006, f"half frame: the client saw {ws.close_code} {ws.close_reason!r}, expected 1006")
    ok(f"{proxy.name}: the upstream dropped mid-frame -> the client dropped too (1006)")
    return port


async def raw_upstream_ok(proxy, why):
    ws, _ = await connect_ok(proxy, "/ok", compression=None)
    message = await recv_within(ws, STEP_TIMEOUT, "raw upstream /ok")
    check(message == "hello", f"raw upstream /ok: got {message!r}")
    await ws.wait_closed()
    check(ws.close_code == 1000, f"raw upstream /ok: closed with {ws.close_code}, expected 1000")
    ok(f"{proxy.name}: a new connection works after {why}")


async def sigterm_closes_both(proxy, upstream):
    path = "/echo/sigterm"
    ws, _ = await connect_ok(proxy, path)
    await ws.send("before the end")
    await recv_within(ws, STEP_TIMEOUT, "sigterm: the echo")
    stopping = asyncio.ensure_future(terminate(proxy))
    try:
        await asyncio.wait_for(ws.wait_closed(), STEP_TIMEOUT)
    except asyncio.TimeoutError:
        raise Failure(f"SIGTERM: the client is still connected {STEP_TIMEOUT} s later")
    await stopping
    conn = await upstream.closed(path)
    check(ws.close_code == 1001, f"SIGTERM: the client saw close {ws.close_code} {ws.close_reason!r}, "
                                 "expected 1001")
    check(conn["code"] == 1001, f"SIGTERM: the upstream saw close {conn['code']} {conn['reason']!r}, "
                                "expected 1001")
    ok("SIGTERM: close 1001 to the client and to the upstream, exit code 0")


async def refuses_to_start(exe, busy, upstream):
    """A port in use -> exit 1 with the reason; a bad argument -> exit 2 with a one-line reason."""
    loop = asyncio.get_running_loop()
    upstream_url = f"ws://127.0.0.1:{upstream.port}/"
    for args, expected_code, mention in (
            (["--listen", str(busy.port), "--upstream", upstream_url], 1, str(busy.port)),
            (["--listen", "0", "--upstream", "http://127.0.0.1/"], 2, "http://127.0.0.1/"),
            (["--listen", "::1:0", "--upstream", upstream_url], 2, "[::1]:9000"),
            # Each client's own Authorization and Cookie are passed on; a password in the URL would reach nobody.
            (["--listen", "0", "--upstream", f"ws://user:s3cret@127.0.0.1:{upstream.port}/"], 2,
             "user name or password")):
        done = await loop.run_in_executor(None, lambda: subprocess.run(
            [exe, "proxy", *args], stdin=subprocess.DEVNULL, capture_output=True, timeout=STEP_TIMEOUT))
        err = done.stderr.decode("utf-8", "replace")
        check(done.returncode == expected_code and mention in err and err.count("\n") == 1
              and b"proxying" not in done.stdout and "s3cret" not in err,
              f"`proxy {' '.join(args)}`: exit {done.returncode}, stderr {err!r}, stdout {done.stdout!r}; "
              f"expected exit {expected_code} and one line naming {mention}")
        ok(f"`proxy {' '.join(args)}` -> exit {expected_code}: {err.strip()}")


def check_stdout(proxy):
    with open(proxy.stdout_path, "rb") as f:
        lines = f.read().decode("utf-8", "replace").splitlines()
    check(len(lines) > 3 and lines[-1].startswith("stopped; "), f"{proxy.name}: stdout ends with {lines[-3:]}")
    for needle in (" c2s text ", " s2c binary ", " c2s close ", " closed"):
        check(any(needle in line for line in lines), f"{proxy.name}: no stdout line with {needle!r}")
    ok(f"{proxy.name}: {len(lines)} stdout lines, one per event, then {lines[-1]!r}")


# --- the record files ---

def data_of(event):
    data = event.get("data", "")
    return base64.b64decode(data) if event.get("enc") == "base64" else data.encode("utf-8")


def check_exchange_record(record, port, sent, compression, tag):
    conn = record.connection_for(port)
    for direction in ("c2s", "s2c"):
        messages = [e for e in record.events_of(conn, direction=direction) if e["kind"] in ("text", "binary")]
        got = [(e["kind"], data_of(e)) for e in messages]
        expected = [(kind_of(m), as_bytes(m)) for m in sent]
        if got != expected:
            raise Failure(f"record {tag} {direction}: messages {[(k, show(d)) for k, d in got]}, expected "
                          f"{[(k, show(d)) for k, d in expected]}")
        for event, message in zip(messages, sent):
            check(bool(event.get("compressed")) == compression,
                  f"record {tag} {direction}: {show(message)} has compressed={event.get('compressed')}, expected "
                  f"{compression}")
            if not compression:
                check(event.get("size") == len(as_bytes(message)),
                      f"record {tag} {direction}: {show(message)} recorded with size {event.get('size')}")
        fragmented = [e for e, m in zip(messages, sent) if e.get("fragment")]
        expected_fragmented = len(FRAGMENTED) if direction == "c2s" else 0
        check(len(fragmented) == expected_fragmented,
              f"record {tag} {direction}: {len(fragmented)} messages flagged fragment, expected "
              f"{expected_fragmented} (websockets sends the echo in one frame)")
    ping = [data_of(e) for e in record.events_of(conn, "ping", "c2s")]
    pong = [data_of(e) for e in record.events_of(conn, "pong", "s2c")]
    expected_ping = b"ping-" + tag.encode()
    check(ping == [expected_ping] and pong == [expected_ping],
          f"record {tag}: pings {ping}, pongs {pong}, expected one of each with {expected_ping!r}")
    closes = [(e["dir"], e.get("code"), e.get("reason")) for e in record.events_of(conn, "close")]
    check(closes[:1] == [("c2s", 4001, "bye")] and len(closes) == 2 and closes[1][:2] == ("s2c", 4001),
          f"record {tag}: closes {closes}, expected c2s 4001 'bye' then the upstream's s2c 4001")
    request = [e for e in record.events_of(conn, "handshake-request")]
    response = [e for e in record.events_of(conn, "handshake-response")]
    check(request and response, f"record {tag}: no handshake request or response")
    extensions = [v for e in response for v in header_values(e, "Sec-WebSocket-Extensions")]
    check(any("permessage-deflate" in v for v in extensions) == compression,
          f"record {tag}: the 101 response's extensions are {extensions}")
    ok(f"record {tag}: {len(sent)} messages each way decompressed and byte-exact,"
       f" compressed={compression} on each, {len(FRAGMENTED)} fragmented (c2s), ping and pong, closes 4001")


def check_dropped(record, port, what):
    conn = record.connection_for(port)
    codes = [e.get("code") for e in record.events_of(conn, "closed")]
    events = [(e["kind"], e.get("code"), e.get("error") or e.get("message")) for e in record.events_of(conn)]
    check(1006 in codes, f"record: {what}: closed events {codes}, expected 1006; events: {events}")
    ok(f"record: {what} recorded as closed with 1006")


def check_error(record, port, what):
    conn = record.connection_for(port)
    errors = [e.get("error") or e.get("message") for e in record.events_of(conn, "error")]
    check(errors, f"record: {what}: no error event; events: {[e['kind'] for e in record.events_of(conn)]}")
    ok(f"record: {what}: error {errors[0]!r}")


async def run(exe, workdir, servers):
    cert, key = make_certificate(workdir)
    upstream = await Upstream().start()

    # One proxy for the good cases, and for the failures that do not depend on the upstream.
    main_proxy = await start_proxy(exe, workdir, servers, "proxy", f"ws://127.0.0.1:{upstream.port}/")
    deflate_port, deflate_sent = await exchange(main_proxy, upstream, "deflate", compression=True)
    plain_port, plain_sent = await exchange(main_proxy, upstream, "plain", compression=False)
    close1011_port = await upstream_closes(main_proxy, upstream)
    await plain_http(main_proxy)
    await still_good(main_proxy, upstream, "the plain HTTP request")
    vanish_port = await vanishing_client(main_proxy, upstream)
    await still_good(main_proxy, upstream, "the vanished client")

    await refuses_to_start(exe, main_proxy, upstream)

    # Upstream down: 502; then a raw upstream comes up on that port, which drops one connection mid-frame.
    raw_port = free_port()
    down_proxy = await start_proxy(exe, workdir, servers, "proxy-down", f"ws://127.0.0.1:{raw_port}/")
    down_client_port = await expect_status(down_proxy, "/nobody", 502, "upstream down")
    handshakes = []
    raw_server = await asyncio.start_server(half_frame_server(handshakes), "127.0.0.1", raw_port)
    await raw_upstream_ok(down_proxy, "the 502, once the upstream is up")
    half_port = await dropped_mid_frame(down_proxy)
    await raw_upstream_ok(down_proxy, "the connection dropped mid-frame")

    # TLS upstream with a self-signed certificate.
    tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls_context.load_cert_chain(cert, key)
    tls_upstream = await Upstream().start(tls_context)
    tls_url = f"wss://127.0.0.1:{tls_upstream.port}/"
    strict_proxy = await start_proxy(exe, workdir, servers, "proxy-tls-strict", tls_url)
    strict_client_port = await expect_status(strict_proxy, "/echo/strict", 502,
                                             "wss upstream with a self-signed certificate, no --insecure")
    check(not tls_upstream.connections, "the strict proxy completed a handshake with the untrusted upstream")
    await expect_status(strict_proxy, "/echo/strict-again", 502, "the same again (the proxy goes on serving)")
    insecure_proxy = await start_proxy(exe, workdir, servers, "proxy-tls-insecure", tls_url,
                                       ["--insecure", "--origin", "http://rewritten.example"])
    ws, _ = await connect_ok(insecure_proxy, "/echo/insecure", origin="http://app.example:5173")
    await ws.send("over wss")
    echo = await recv_within(ws, STEP_TIMEOUT, "--insecure: the echo")
    check(echo == "over wss", f"--insecure: got {echo!r}")
    await ws.close()
    origin = (await tls_upstream.connection("/echo/insecure"))["headers"].get("Origin")
    check(origin == "http://rewritten.example", f"--origin: the upstream saw Origin {origin!r}")
    ok("proxy-tls-insecure: --insecure relays to the self-signed wss upstream; --origin rewrote the Origin")

    # A token in the upstream's query stays out of the first stdout line, which scripts and CI logs keep.
    query_upstream = f"ws://127.0.0.1:{upstream.port}/q?access_token=T0KEN&room=1"
    query_proxy = await start_proxy(exe, workdir, servers, "proxy-query", query_upstream,
                                    shown=f"ws://127.0.0.1:{upstream.port}/q?access_token=[redacted]&room=1")
    await terminate(query_proxy)
    with open(query_proxy.stdout_path, "rb") as f:
        check(b"T0KEN" not in f.read(), "proxy-query: the token is on stdout")
    ok("proxy-query: the upstream's access_token shows as [redacted] on stdout")

    await sigterm_closes_both(main_proxy, upstream)
    for proxy in (down_proxy, strict_proxy, insecure_proxy):
        await terminate(proxy)
    raw_server.close()
    await upstream.stop()
    await tls_upstream.stop()

    check_stdout(main_proxy)
    record = Record(main_proxy.record)
    check_exchange_record(record, deflate_port, deflate_sent, True, "deflate")
    check_exchange_record(record, plain_port, plain_sent, False, "plain")
    conn = record.connection_for(close1011_port)
    closes = [(e["dir"], e.get("code"), e.get("reason")) for e in record.events_of(conn, "close")]
    check(closes[:1] == [("s2c", 1011, "upstream failed")] and [c[:2] for c in closes[1:]] == [("c2s", 1011)],
          f"record close1011: closes {closes}, expected s2c 1011 'upstream failed' then c2s 1011")
    ok("record: the upstream's close 1011 and the client's answer")
    check_dropped(record, vanish_port, "the vanished client")

    record = Record(down_proxy.record)
    check_error(record, down_client_port, "upstream down")
    check_dropped(record, half_port, "the upstream dropped mid-frame")
    record = Record(strict_proxy.record)
    check_error(record, strict_client_port, "untrusted upstream certificate")
    info(f"raw upstream handshakes: {handshakes}")


def body(exe, workdir, servers):
    started = time.monotonic()
    asyncio.run(run(exe, workdir, servers))
    info(f"test_proxy took {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    sys.exit(main("proxy", body, WATCHDOG_SECONDS))
