"""Shared pieces of the `wsinspector serve` integration tests (test_serve_*.py): the server process, checks that
end the run with one clear FAIL line, the record file reader and the watchdog. Runs under Debian's
/usr/bin/python3 (DESIGN.md "Tests"); imported from the directory of the test script."""

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

START_TIMEOUT = 15
STEP_TIMEOUT = 15
EXIT_TIMEOUT = 15


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def ok(message):
    print(f"ok: {message}", flush=True)


def info(message):
    print(f"info: {message}", flush=True)


def import_websockets():
    try:
        import websockets  # noqa: F401
        import websockets.exceptions  # noqa: F401
        import websockets.http  # noqa: F401
    except ImportError as error:
        print(f"FAIL: {sys.executable} cannot import websockets ({error}).\n"
              "Install Debian's python3-websockets: packaging/install-deps.sh test (make test does it).",
              file=sys.stderr)
        sys.exit(1)
    return websockets


class Server:
    """One `wsinspector serve --port 0 --record FILE ...` process; stdout and stderr go to files so a chatty server
    never blocks on a pipe."""

    def __init__(self, exe, workdir, name, extra_args=(), scheme="ws"):
        self.name = name
        self.record = os.path.join(workdir, f"{name}.jsonl")
        self.stdout_path = os.path.join(workdir, f"{name}.stdout")
        self.stderr_path = os.path.join(workdir, f"{name}.stderr")
        self.args = [exe, "serve", "--port", "0", "--record", self.record, *extra_args]
        self.scheme = scheme
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        self.port = self._read_port()
        self.url = f"{scheme}://127.0.0.1:{self.port}/"

    def _read_port(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            with open(self.stdout_path, "rb") as f:
                data = f.read()
            if b"\n" in data:
                first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
                match = re.fullmatch(rf"listening on {self.scheme}://127\.0\.0\.1:(\d+)/", first)
                check(match, f"{self.name}: first stdout line is {first!r}, expected "
                             f"'listening on {self.scheme}://127.0.0.1:PORT/' (`{' '.join(self.args)}`)")
                return int(match.group(1))
            code = self.process.poll()
            check(code is None, f"{self.name}: `{' '.join(self.args)}` exited with {code} before listening;"
                                f" stderr: {self.stderr()!r}")
            time.sleep(0.02)
        raise Failure(f"{self.name}: no 'listening on' line within {START_TIMEOUT} s (`{' '.join(self.args)}`)")

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-2000:]

    def check_alive(self, what):
        code = self.process.poll()
        check(code is None, f"{self.name}: the server exited with {code} during {what}; stderr: {self.stderr()!r}")

    def terminate(self):
        """SIGTERM, then the exit code, which must be 0 (the record file is flushed by then)."""
        self.check_alive("the test")
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
            try:
                self.process.wait(timeout=EXIT_TIMEOUT)
            except subprocess.TimeoutExpired:
                pass


def run_serve_expecting_error(exe, args, timeout=STEP_TIMEOUT):
    """Runs `wsinspector serve ARGS` that must refuse to start; returns (exit code, stderr text)."""
    try:
        done = subprocess.run([exe, "serve", *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failure(f"`serve {' '.join(args)}` still running after {timeout} s; expected it to refuse to start")
    return done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")


class Record:
    """A --record file (JSON Lines, DESIGN.md "Session file"), read after the server exited (complete=True) or
    while it runs (a partial last line is ignored)."""

    def __init__(self, path, complete=True):
        check(os.path.exists(path), f"record file {path} was not written")
        with open(path, "rb") as f:
            raw = f.read()
        if complete:
            check(raw.endswith(b"\n"), f"{path}: the last line is not complete after a clean exit")
        self.path = path
        self.connections = {}
        self.events = []
        self.header = None
        lines = raw.split(b"\n")
        for number, line in enumerate(lines[:-1], 1):
            try:
                value = json.loads(line.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as error:
                raise Failure(f"{path}:{number}: not a JSON line ({error}): {line[:120]!r}")
            check(isinstance(value, dict), f"{path}:{number}: not a JSON object")
            kind = value.get("type")
            if kind == "session":
                self.header = value
            elif kind == "connection":
                self.connections[value["id"]] = value  # a connection may be described again: the latest wins
            elif kind == "event":
                self.events.append(value)
        if complete:
            check(self.header and self.header.get("format") == "wsinspector-session",
                  f"{path}: no session header line")

    def connection_for(self, local_port):
        peer = f"127.0.0.1:{local_port}"
        found = [c for c in self.connections.values() if c.get("peer") == peer]
        check(len(found) == 1, f"{self.path}: expected one connection with peer {peer}, found {found}")
        return found[0]["id"]

    def events_of(self, conn, kind=None, direction=None):
        return [e for e in self.events if e.get("conn") == conn and (kind is None or e.get("kind") == kind)
                and (direction is None or e.get("dir") == direction)]


def header_values(event, name):
    headers = event.get("headers") or []
    return [h[1] for h in headers if isinstance(h, list) and len(h) == 2 and str(h[0]).lower() == name.lower()]


def report_failure(error, servers, workdir):
    if isinstance(error, Failure):
        print(f"FAIL: {error}", file=sys.stderr)
    else:
        traceback.print_exc()
        print(f"FAIL: {type(error).__name__}: {error}", file=sys.stderr)
    for server in servers:
        print(f"--- {server.name} stderr (last 2000 chars):\n{server.stderr()}", file=sys.stderr)
    print(f"files kept in {workdir}", file=sys.stderr)


def main(test_name, body, watchdog_seconds):
    """Runs body(exe, workdir, servers) under a watchdog; prints PASS or one FAIL line; returns the exit code.
    body appends every Server it starts to servers, so all are killed whatever happens."""
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} PATH/TO/wsinspector", file=sys.stderr)
        return 2
    exe = os.path.abspath(sys.argv[1])
    if not os.access(exe, os.X_OK):
        print(f"FAIL: {exe} is not an executable", file=sys.stderr)
        return 1

    def on_watchdog(signum, frame):
        raise Failure(f"watchdog: the test took longer than {watchdog_seconds} s")

    signal.signal(signal.SIGALRM, on_watchdog)
    signal.alarm(watchdog_seconds)
    websockets = import_websockets()
    print(f"python {sys.version.split()[0]}, websockets {websockets.version.version}", flush=True)
    workdir = tempfile.mkdtemp(prefix=f"wsi-{test_name}-")
    servers = []
    try:
        body(exe, workdir, servers)
    except BaseException as error:  # a Failure, a timeout or socket error on the way, the watchdog: all end the same
        if isinstance(error, KeyboardInterrupt):
            raise
        report_failure(error, servers, workdir)
        return 1
    finally:
        signal.alarm(0)
        for server in servers:
            server.kill()
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"PASS: {test_name}")
    return 0


async def recv_within(ws, seconds, what):
    try:
        return await asyncio.wait_for(ws.recv(), seconds)
    except asyncio.TimeoutError:
        raise Failure(f"{what}: nothing received within {seconds} s")


async def expect_nothing(ws, seconds, what):
    """Fails when ws receives a message within `seconds`."""
    try:
        message = await asyncio.wait_for(ws.recv(), seconds)
    except asyncio.TimeoutError:
        return
    raise Failure(f"{what}: expected nothing, received {message!r}")
