#!/usr/bin/python3
"""Integration test of `wsinspector replay` with real peers: Python's `websockets` (Debian's python3-websockets)
as the client that is recorded, as the servers a replay talks to, and as the client of the mock server.

    test_replay.py PATH/TO/wsinspector

Steps:
  1. record: `wsinspector serve --subprotocol chat --record rec.jsonl` (echo) and a Python client that sends six
     messages (JSON, text, binary) over about 2 s, each answered by its echo;
  2. replay as client at 1x against a Python echo server: it receives exactly the recorded c2s messages in
     order, with the recorded Origin, extra header and subprotocol; the span from the first message to the last
     is reported against the recording's (asserted only loosely: between 50% and 300% of it); exit 0; the
     --record file of the replay holds the new connection; at 10x the span shrinks (reported);
  3. paced replay against a server that answers each message after 0.4 s: no message arrives before the answer
     to the one before; as fast as possible against the same server, messages do not wait;
  4. replay as server (the mock): a Python client receives the recorded s2c messages in order on the recorded
     schedule (timing reported, asserted loosely); in answer mode, nothing at the open, then exactly one
     recorded message per client message, and nothing for a seventh; SIGTERM exits 0 with the record flushed;
  5. --expect: exit 0 against an identical backend; exit 1 against one that changes prices, naming the message
     and the JSON path ("message 1 differs at $.price: recorded 10, received 12"); --ignore-path makes it pass;
     a backend that answers twice fails with each extra named (the replay listens for them after the last reply);
  6. bad input (exit 1 with the reason on stderr): a session with no c2s messages, a connection id that is not
     in the file, an unreachable URL, a missing file, a connection with no recorded URL (and no journal made);
     bad arguments exit 2 with one line;
  7. the recording converted to HAR (`wsinspector convert`) replays end to end with the same result;
  8. SIGINT while a slow replay runs: exit 0, "replay ended: stopped after ...", the --record file complete.
Runs without --record journal into $XDG_DATA_HOME (a temporary directory set by CMake), never the user's.
Every wait has a timeout, and a watchdog ends the whole run, so the test cannot hang.
"""

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wsitest import (EXIT_TIMEOUT, START_TIMEOUT, STEP_TIMEOUT, Failure, Record, Server, check,  # noqa: E402
                     expect_nothing, header_values, import_websockets, info, main, ok, recv_within)

websockets = import_websockets()

WATCHDOG_SECONDS = 300
REPLAY_TIMEOUT = 60
ORIGIN = "http://localhost:5173"
EXTRA_HEADER = ("X-Replay-Test", "recorded-7")

# (seconds after the open, message): what the recorded client sends, each followed by its echo.
SCRIPT = [
    (0.0, '{"seq":1,"price":10,"ts":1}'),
    (0.25, "plain text, h\u00e9llo"),
    (0.6, b"\x00\x01\x02\xff"),
    (1.0, '{"seq":2,"items":[{"id":1,"price":5},{"id":2,"price":7}]}'),
    (1.5, '{"seq":3,"price":12}'),
    (2.0, "done"),
]
MESSAGES = [m for _, m in SCRIPT]
SLOW_ANSWER = 0.4


def as_recorded(event):
    """A text or binary event of the record as the Python value websockets would give (str or bytes)."""
    import base64
    data = event.get("data", "")
    raw = base64.b64decode(data) if event.get("enc") == "base64" else data.encode("utf-8")
    return raw.decode("utf-8") if event["kind"] == "text" else raw


async def record_session(exe, workdir, servers):
    server = Server(exe, workdir, "recorded", ["--subprotocol", "chat"])
    servers.append(server)
    async with websockets.connect(server.url + "chat?room=1", subprotocols=["chat"], origin=ORIGIN,
                                  extra_headers=[EXTRA_HEADER], compression=None, ping_interval=None,
                                  open_timeout=STEP_TIMEOUT) as ws:
        check(ws.subprotocol == "chat", f"recording: subprotocol {ws.subprotocol!r}, expected 'chat'")
        opened = time.monotonic()
        for at, message in SCRIPT:
            await asyncio.sleep(max(0.0, opened + at - time.monotonic()))
            await ws.send(message)
            echo = await recv_within(ws, STEP_TIMEOUT, "recording")
            check(echo == message, f"recording: echo {echo!r} of {message!r}")
        await ws.close(1000, "bye")
    server.terminate()
    record = Record(server.record)
    check(len(record.connections) == 1, f"recording: {len(record.connections)} connections in {server.record}")
    conn = next(iter(record.connections))
    c2s = [e for e in record.events_of(conn, direction="c2s") if e["kind"] in ("text", "binary")]
    s2c = [e for e in record.events_of(conn, direction="s2c") if e["kind"] in ("text", "binary")]
    check([as_recorded(e) for e in c2s] == MESSAGES, f"recording: the c2s messages are {c2s}")
    check([as_recorded(e) for e in s2c] == MESSAGES, f"recording: the s2c messages are {s2c}")
    span = (c2s[-1]["ts"] - c2s[0]["ts"]) / 1e6
    ok(f"recorded connection {conn}: {len(c2s)} messages each way over {span:.3f} s ({server.record})")
    return server.record, conn, record, c2s, s2c


class Backend:
    """The servers a replay talks to, on one port; the path picks the behaviour:
    /echo     answers every message with itself at once;
    /slow     answers every message with itself after SLOW_ANSWER seconds, one at a time;
    /changed  answers with the message, every "price" in a JSON message raised by 2;
    /twice    answers every message with itself twice."""

    def __init__(self):
        self.connections = []
        self.server = None
        self.port = None

    async def start(self):
        self.server = await websockets.serve(self.handler, "127.0.0.1", 0, process_request=self.process_request,
                                             subprotocols=["chat"], compression=None, ping_interval=None,
                                             max_size=None)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    def url(self, path):
        return f"ws://127.0.0.1:{self.port}{path}"

    async def process_request(self, path, request_headers):
        self.connections.append({"path": path, "headers": list(request_headers.raw_items()), "received": [],
                                 "answered": []})
        return None

    @staticmethod
    def raise_prices(value):
        if isinstance(value, dict):
            return {k: (v + 2 if k == "price" and isinstance(v, (int, float)) else Backend.raise_prices(v))
                    for k, v in value.items()}
        if isinstance(value, list):
            return [Backend.raise_prices(v) for v in value]
        return value

    async def handler(self, ws, path=None):
        seen = self.connections[-1]
        seen["subprotocol"] = ws.subprotocol
        # Arrivals are taken by a reader that never waits, answers by a writer that may: a message's arrival
        # time is when it came, not when the slow server got round to it.
        answers = asyncio.Queue()

        async def answer():
            while True:
                message = await answers.get()
                if message is None:
                    return
                if ws.path == "/slow":
                    await asyncio.sleep(SLOW_ANSWER)
                elif ws.path == "/changed" and isinstance(message, str):
                    try:
                        message = json.dumps(self.raise_prices(json.loads(message)), separators=(",", ":"))
                    except ValueError:
                        pass
                await ws.send(message)
                if ws.path == "/twice":
                    await ws.send(message)
                seen["answered"].append(time.monotonic())

        writer = asyncio.ensure_future(answer())
        try:
            async for message in ws:
                seen["received"].append((time.monotonic(), message))
                answers.put_nowait(message)
        except websockets.exceptions.ConnectionClosed:
            pass
        finally:
            answers.put_nowait(None)
            try:
                await writer
            except websockets.exceptions.ConnectionClosed:
                pass


async def run(exe, *args, timeout=REPLAY_TIMEOUT):
    """Runs `wsinspector ARGS` without blocking the event loop (the Python peers live on it); returns
    (exit code, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(exe, *args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                                   stderr=subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        raise Failure(f"`wsinspector {' '.join(args)}` still running after {timeout} s")
    return process.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def sessions_folder():
    base = os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share")
    return os.path.join(base, "wsinspector", "sessions")


def journals():
    folder = sessions_folder()
    return set(os.listdir(folder)) if os.path.isdir(folder) else set()


def span_ratio(times, recorded):
    """The replayed span (first to last) over the recorded one, and the largest deviation of a message's offset
    from the first against its recorded offset, in ms."""
    replayed = times[-1] - times[0]
    expected = recorded[-1] - recorded[0]
    worst = max(abs((t - times[0]) - (r - recorded[0])) for t, r in zip(times, recorded)) * 1000
    return replayed / expected, replayed, expected, worst


async def replay_as_client(exe, workdir, session, conn, c2s):
    backend = await Backend().start()
    recorded_times = [e["ts"] / 1e6 for e in c2s]
    replay_record = os.path.join(workdir, "replay-client.jsonl")
    code, out, err = await run(exe, "replay", session, "--url", backend.url("/echo"), "--record", replay_record)
    check(code == 0, f"replay 1x: exit code {code}; stderr: {err!r}; stdout: {out!r}")
    check(len(backend.connections) == 1, f"replay 1x: {len(backend.connections)} connections to the backend")
    seen = backend.connections[0]
    received = [m for _, m in seen["received"]]
    check(received == MESSAGES, f"replay 1x: the server received {received!r}, expected {MESSAGES!r}")
    ok("replay 1x: the server received exactly the recorded messages, in order, text and binary alike")
    check(seen["subprotocol"] == "chat", f"replay 1x: subprotocol {seen['subprotocol']!r}, expected 'chat'")
    headers = {name.lower(): value for name, value in seen["headers"]}
    check(headers.get("origin") == ORIGIN, f"replay 1x: Origin {headers.get('origin')!r}, expected {ORIGIN!r}")
    check(headers.get(EXTRA_HEADER[0].lower()) == EXTRA_HEADER[1],
          f"replay 1x: {EXTRA_HEADER[0]} is {headers.get(EXTRA_HEADER[0].lower())!r}")
    check(seen["path"] == "/echo", f"replay 1x: path {seen['path']!r} (--url's path should be used)")
    ok("replay 1x: the recorded Origin, extra header and subprotocol were sent again")

    ratio, replayed, expected, worst = span_ratio([t for t, _ in seen["received"]], recorded_times)
    info(f"TIMING 1x: first to last message {replayed * 1000:.1f} ms at the server, recorded "
         f"{expected * 1000:.1f} ms: error {(ratio - 1) * 100:+.2f}%; largest offset deviation {worst:.1f} ms")
    check(0.5 <= ratio <= 3.0, f"replay 1x: the replay took {ratio:.2f} times the recorded span")
    check(re.search(r"^timing: [\d.]+ ms from the first message sent to the last; [\d.]+ ms expected", out, re.M),
          f"replay 1x: no timing line in {out!r}")
    sent_lines = [line for line in out.splitlines() if line.startswith("> ")]
    received_lines = [line for line in out.splitlines() if line.startswith("< ")]
    check(len(sent_lines) == 6 and len(received_lines) == 6,
          f"replay 1x: {len(sent_lines)} '> ' and {len(received_lines)} '< ' lines in {out!r}")
    check(sent_lines[0] == "> " + MESSAGES[0] and sent_lines[2] == "> [binary 4 bytes] 00 01 02 ff",
          f"replay 1x: sent lines {sent_lines[:3]!r}")
    check("compared with the recording: 6 messages: 6 equal" in out, f"replay 1x: no comparison line in {out!r}")
    ok("replay 1x: one line per message sent and received, the timing and the comparison on stdout; exit 0")

    # The replay is recorded like any capture: one client connection with the messages both ways.
    record = Record(replay_record)
    clients = [c for c in record.connections.values() if c.get("role") == "client"]
    check(len(clients) == 1, f"replay --record: connections {record.connections}")
    rid = clients[0]["id"]
    check(clients[0]["url"] == backend.url("/echo"), f"replay --record: url {clients[0]['url']!r}")
    replayed = [as_recorded(e) for e in record.events_of(rid, direction="c2s") if e["kind"] in ("text", "binary")]
    check(replayed == MESSAGES, f"replay --record: c2s {replayed!r}")
    request = record.events_of(rid, kind="handshake-request")
    check(request and header_values(request[0], EXTRA_HEADER[0]) == [EXTRA_HEADER[1]],
          f"replay --record: the handshake request {request}")
    ok(f"replay --record: connection {rid} with the replayed messages and the recorded header")

    # 10x: the same messages, a tenth of the span (reported; the bounds are loose). No --record: the journal goes
    # to the sessions folder, which CMake points at a temporary directory.
    before = journals()
    code, out, err = await run(exe, "replay", session, "--url", backend.url("/echo"), "--speed", "10")
    check(code == 0, f"replay 10x: exit code {code}; stderr: {err!r}")
    if os.environ.get("XDG_DATA_HOME"):
        check(len(journals() - before) == 1, f"replay 10x: no new journal in {sessions_folder()}")
        ok(f"replay without --record: journaled into {sessions_folder()}")
    seen = backend.connections[-1]
    check([m for _, m in seen["received"]] == MESSAGES, "replay 10x: not the recorded messages")
    ratio, replayed, expected, _ = span_ratio([t for t, _ in seen["received"]], recorded_times)
    info(f"TIMING 10x: first to last {replayed * 1000:.1f} ms, expected {expected * 100:.1f} ms "
         f"(error {(ratio * 10 - 1) * 100:+.1f}%)")
    check(ratio < 0.5, f"replay 10x: took {ratio:.2f} of the recorded span")
    ok("replay 10x: same messages, a fraction of the time")
    backend.server.close()
    await backend.server.wait_closed()


async def paced(exe, session):
    backend = await Backend().start()
    code, out, err = await run(exe, "replay", session, "--url", backend.url("/slow"), "--paced")
    check(code == 0, f"replay --paced: exit code {code}; stderr: {err!r}")
    seen = backend.connections[-1]
    check([m for _, m in seen["received"]] == MESSAGES, f"replay --paced: received {seen['received']!r}")
    check(len(seen["answered"]) == 6, f"replay --paced: {len(seen['answered'])} answers went out")
    # In the recording, each message followed the echo of the one before: paced replay waits for it.
    for i in range(1, 6):
        arrived = seen["received"][i][0]
        answered = seen["answered"][i - 1]
        check(arrived >= answered - 0.001,
              f"replay --paced: message {i + 1} arrived {(answered - arrived) * 1000:.0f} ms before the answer to "
              f"message {i}")
    check("compared with the recording: 6 messages: 6 equal" in out, f"replay --paced: {out!r}")
    ok(f"replay --paced: every message waited for the answer to the one before ({SLOW_ANSWER} s each)")

    code, out, err = await run(exe, "replay", session, "--url", backend.url("/slow"), "--speed", "0")
    check(code == 0, f"replay --speed 0: exit code {code}; stderr: {err!r}")
    seen = backend.connections[-1]
    before_first_answer = sum(1 for t, _ in seen["received"] if t < seen["answered"][0])
    check(before_first_answer >= 2,
          f"replay --speed 0: only {before_first_answer} message(s) arrived before the first answer")
    ok(f"replay --speed 0: {before_first_answer} of 6 messages arrived before the slow server's first answer")
    backend.server.close()
    await backend.server.wait_closed()


class Mock:
    """`wsinspector replay FILE --as server --port 0 ...`, its port read from the first stdout line."""

    def __init__(self, exe, workdir, name, session, extra):
        self.name = name
        self.record = os.path.join(workdir, f"{name}.jsonl")
        self.stdout_path = os.path.join(workdir, f"{name}.stdout")
        self.stderr_path = os.path.join(workdir, f"{name}.stderr")
        self.args = [exe, "replay", session, "--as", "server", "--port", "0", "--record", self.record, *extra]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=out, stderr=err)

    async def port(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            with open(self.stdout_path, "rb") as f:
                data = f.read()
            if b"\n" in data:
                first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
                match = re.fullmatch(r"listening on ws://127\.0\.0\.1:(\d+)/", first)
                check(match, f"{self.name}: first stdout line {first!r}, expected 'listening on ws://127.0.0.1:PORT/'")
                return int(match.group(1))
            check(self.process.poll() is None,
                  f"{self.name}: exited with {self.process.returncode} before listening: {self.stderr()!r}")
            await asyncio.sleep(0.02)
        raise Failure(f"{self.name}: no 'listening on' line within {START_TIMEOUT} s")

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-2000:]

    async def terminate(self):
        check(self.process.poll() is None, f"{self.name}: exited early: {self.stderr()!r}")
        self.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + EXIT_TIMEOUT
        while self.process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        check(self.process.poll() is not None, f"{self.name}: still running {EXIT_TIMEOUT} s after SIGTERM")
        check(self.process.returncode == 0, f"{self.name}: exit code {self.process.returncode} after SIGTERM")

    def kill(self):
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


async def replay_as_server(exe, workdir, session, s2c, mocks):
    recorded = [as_recorded(e) for e in s2c]
    opened_us = None
    # Offsets from the recorded open event, as the mock plays them.
    record = Record(session)
    conn = s2c[0]["conn"]
    opens = record.events_of(conn, kind="open")
    opened_us = opens[0]["ts"]
    recorded_offsets = [(e["ts"] - opened_us) / 1e6 for e in s2c]

    mock = Mock(exe, workdir, "mock-schedule", session, [])
    mocks.append(mock)
    port = await mock.port()
    async with websockets.connect(f"ws://127.0.0.1:{port}/anything", subprotocols=["chat"], compression=None,
                                  ping_interval=None, open_timeout=STEP_TIMEOUT, max_size=None) as ws:
        check(ws.subprotocol == "chat", f"mock: subprotocol {ws.subprotocol!r}, expected the recorded 'chat'")
        opened = time.monotonic()
        got = []
        times = []
        for i in range(len(recorded)):
            got.append(await recv_within(ws, STEP_TIMEOUT, f"mock schedule, message {i + 1}"))
            times.append(time.monotonic() - opened)
        check(got == recorded, f"mock schedule: received {got!r}, expected {recorded!r}")
        worst = max(abs(t - r) for t, r in zip(times, recorded_offsets)) * 1000
        ratio = times[-1] / recorded_offsets[-1]
        info(f"TIMING mock schedule: last message {times[-1] * 1000:.1f} ms after the open, recorded "
             f"{recorded_offsets[-1] * 1000:.1f} ms (error {(ratio - 1) * 100:+.2f}%); largest deviation "
             f"{worst:.1f} ms")
        check(0.5 <= ratio <= 3.0, f"mock schedule: took {ratio:.2f} times the recorded time")
        await expect_nothing(ws, 0.3, "mock schedule after the last message")
    ok("mock schedule: a Python client received the recorded server messages in order, on schedule")

    answer = Mock(exe, workdir, "mock-answer", session, ["--answer"])
    mocks.append(answer)
    port = await answer.port()
    async with websockets.connect(f"ws://127.0.0.1:{port}/", compression=None, ping_interval=None,
                                  open_timeout=STEP_TIMEOUT, max_size=None) as ws:
        await expect_nothing(ws, 0.3, "mock answer mode at the open")
        for i, expected in enumerate(recorded):
            await ws.send(f"client message {i + 1}")
            reply = await recv_within(ws, STEP_TIMEOUT, f"mock answer mode, message {i + 1}")
            check(reply == expected, f"mock answer mode: reply {i + 1} is {reply!r}, expected {expected!r}")
        await ws.send("one more")
        await expect_nothing(ws, 0.5, "mock answer mode after the recorded client messages")
    ok("mock answer mode: nothing at the open, then the recorded answer to each client message, nothing more")

    for m in (mock, answer):
        await m.terminate()
        rec = Record(m.record)
        servers = [c for c in rec.connections.values() if c.get("role") == "server"]
        check(len(servers) == 1, f"{m.name}: connections in the record: {rec.connections}")
        sent = [as_recorded(e) for e in rec.events_of(servers[0]["id"], direction="s2c")
                if e["kind"] in ("text", "binary")]
        check(sent == recorded, f"{m.name}: the record has {sent!r}")
    ok("mock: SIGTERM -> exit 0; each record file holds the mock's connection and what it sent")


async def expect(exe, session):
    backend = await Backend().start()
    # --expect listens the whole --reply-timeout after the last reply for extras: kept short here.
    quick = ["--speed", "0", "--expect", "--reply-timeout", "1000"]
    code, out, err = await run(exe, "replay", session, "--url", backend.url("/echo"), *quick)
    check(code == 0, f"--expect, identical backend: exit code {code}; stdout: {out!r}; stderr: {err!r}")
    check("6 messages: 6 equal" in out, f"--expect, identical backend: {out!r}")
    ok("--expect: an identical backend passes (exit 0)")

    code, out, err = await run(exe, "replay", session, "--url", backend.url("/changed"), *quick)
    check(code == 1, f"--expect, changed backend: exit code {code}, expected 1; stdout: {out!r}")
    for line in ("message 1 differs at $.price: recorded 10, received 12",
                 "message 4 differs at $.items[0].price: recorded 5, received 7",
                 "message 4 differs at $.items[1].price: recorded 7, received 9",
                 "message 5 differs at $.price: recorded 12, received 14",
                 "compared with the recording: 6 messages: 3 equal, 3 differ"):
        check(line in out.splitlines(), f"--expect, changed backend: no line {line!r} in {out!r}")
    ok("--expect: a changed backend fails (exit 1) naming each message and JSON path")

    code, out, err = await run(exe, "replay", session, "--url", backend.url("/changed"), *quick,
                               "--ignore-path", "$.price", "--ignore-path", "$.items[*].price")
    check(code == 0, f"--expect --ignore-path: exit code {code}; stdout: {out!r}")
    check("6 messages: 6 equal" in out, f"--expect --ignore-path: {out!r}")
    code, out, err = await run(exe, "replay", session, "--url", backend.url("/changed"), *quick,
                               "--ignore-path", "$..price")
    check(code == 0, f"--expect --ignore-path '$..price': exit code {code}; stdout: {out!r}")
    ok("--expect --ignore-path: the changed prices ignored, it passes again")

    # Every answer twice: the second of each is a message the recording did not have. Even the last one, after
    # the recorded count of replies was in, is seen.
    code, out, err = await run(exe, "replay", session, "--url", backend.url("/twice"), *quick)
    check(code == 1, f"--expect, doubled answers: exit code {code}, expected 1; stdout: {out!r}")
    check("compared with the recording: 12 messages: 6 equal, 6 extra" in out.splitlines(),
          f"--expect, doubled answers: {out!r}")
    check('message 12 is extra (received: "done")' in out.splitlines(), f"--expect, doubled answers: {out!r}")
    ok("--expect: extra messages fail it, the one after the last recorded reply too")
    backend.server.close()
    await backend.server.wait_closed()


async def bad_input(exe, workdir, session, conn):
    # A session whose connections have no c2s messages: the recording without its client messages.
    only_s2c = os.path.join(workdir, "only-s2c.jsonl")
    with open(session, "rb") as src, open(only_s2c, "wb") as dst:
        for line in src:
            value = json.loads(line)
            if value.get("type") == "event" and value.get("dir") == "c2s" and value.get("kind") in ("text", "binary"):
                continue
            dst.write(line)
    code, out, err = await run(exe, "replay", only_s2c)
    check(code == 1, f"no c2s messages: exit code {code}; stderr {err!r}")
    check(f"no connection in {only_s2c} has client (c2s) messages to replay as a client" in err,
          f"no c2s messages: stderr {err!r}")
    ok("a session with no c2s messages: exit 1, \"no connection in FILE has client (c2s) messages ...\"")

    code, out, err = await run(exe, "replay", session, "--connection", "99")
    check(code == 1, f"--connection 99: exit code {code}")
    check(f"connection 99 is not in {session}; it has {conn}" in err, f"--connection 99: stderr {err!r}")
    check(re.search(rf"^  {conn}  ws://127\.0\.0\.1:\d+/chat\?room=1  6 c2s, 6 s2c, 2\.\d s$", err, re.M),
          f"--connection 99: the candidates are not listed: {err!r}")
    ok(f"--connection 99: exit 1, \"connection 99 is not in FILE; it has {conn}\" and the candidates listed")

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    code, out, err = await run(exe, "replay", session, "--url", f"ws://127.0.0.1:{closed_port}/")
    check(code == 1, f"unreachable URL: exit code {code}; stderr {err!r}")
    check(f"connection refused by 127.0.0.1:{closed_port}" in err, f"unreachable URL: stderr {err!r}")
    ok("an unreachable URL: exit 1, \"connection refused by 127.0.0.1:PORT ...\"")

    # No URL anywhere in the file (no connection URL, no upgrade request to take the Host from): said before any
    # journal is made.
    no_url = os.path.join(workdir, "no-url.jsonl")
    with open(session, "rb") as src, open(no_url, "wb") as dst:
        for line in src:
            value = json.loads(line)
            if value.get("type") == "connection":
                value["url"] = ""
            elif value.get("kind") == "handshake-request":
                continue
            dst.write(json.dumps(value).encode("utf-8") + b"\n")
    before = journals()
    code, out, err = await run(exe, "replay", no_url)
    check(code == 1 and f"connection {conn} has no recorded URL; give --url" in err,
          f"no recorded URL: exit code {code}; stderr {err!r}")
    check(journals() == before, f"no recorded URL: a journal was made in {sessions_folder()}")
    ok("a connection with no recorded URL: exit 1, \"... has no recorded URL; give --url\", no journal made")

    missing = os.path.join(workdir, "missing.jsonl")
    code, out, err = await run(exe, "replay", missing)
    check(code == 1 and missing in err and err.startswith("wsinspector: replay: "),
          f"missing file: exit code {code}; stderr {err!r}")
    ok("a missing file: exit 1 with its name")

    for args, needle in ((["replay"], "replay needs a session file"),
                         (["replay", session, "--speed", "-1"], "invalid speed"),
                         (["replay", session, "--speed", "0.001"], "invalid speed"),
                         (["replay", session, "--as", "server", "--loop", "--speed", "0"], "--loop with --speed 0"),
                         (["replay", session, "--speed", "2", "--paced"], "either --speed or --paced"),
                         (["replay", session, "--loop"], "--loop is for --as server"),
                         (["replay", session, "--as", "server", "--expect"], "--expect is for --as client"),
                         (["replay", session, "--as", "proxy"], "--as needs client or server"),
                         (["replay", session, "--ignore-path", "price"], "invalid JSON path"),
                         (["replay", session, "--url", "http://x/"], "is not a ws:// or wss:// URL"),
                         (["replay", session, "--frobnicate"], "unknown option")):
        code, out, err = await run(exe, *args)
        lines = err.strip().splitlines()
        check(code == 2 and len(lines) == 1 and needle in lines[0],
              f"`{' '.join(args)}`: exit code {code}, stderr {err!r}; expected 2 and one line with {needle!r}")
    ok("bad arguments: exit 2 with one line each")


async def har_end_to_end(exe, workdir, session):
    har = os.path.join(workdir, "recorded.har")
    code, out, err = await run(exe, "convert", session, har)
    check(code == 0 and os.path.exists(har), f"convert to HAR: exit code {code}; stderr {err!r}")
    backend = await Backend().start()
    code, out, err = await run(exe, "replay", har, "--url", backend.url("/echo"), "--speed", "0", "--expect",
                               "--reply-timeout", "1000")
    check(code == 0, f"replay of the HAR: exit code {code}; stdout {out!r}; stderr {err!r}")
    seen = backend.connections[-1]
    check([m for _, m in seen["received"]] == MESSAGES, f"replay of the HAR: the server received {seen['received']!r}")
    check(seen["subprotocol"] == "chat", f"replay of the HAR: subprotocol {seen['subprotocol']!r}")
    headers = {name.lower(): value for name, value in seen["headers"]}
    check(headers.get("origin") == ORIGIN, f"replay of the HAR: Origin {headers.get('origin')!r}")
    check("compared with the recording: 6 messages: 6 equal" in out, f"replay of the HAR: {out!r}")
    ok("the recording as HAR (wsinspector convert) replays end to end: same messages, origin, subprotocol, 6 equal")
    backend.server.close()
    await backend.server.wait_closed()


async def interrupted(exe, workdir, session):
    """SIGINT during a slow replay (0.05x: the six messages would take 40 s): exit 0, the record flushed."""
    backend = await Backend().start()
    record_path = os.path.join(workdir, "replay-interrupted.jsonl")
    process = await asyncio.create_subprocess_exec(exe, "replay", session, "--url", backend.url("/echo"), "--speed",
                                                   "0.05", "--record", record_path, stdin=subprocess.DEVNULL,
                                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + STEP_TIMEOUT
        while not (backend.connections and backend.connections[-1]["received"]) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        check(backend.connections and backend.connections[-1]["received"],
              "SIGINT: the first message did not arrive")
        process.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(process.communicate(), EXIT_TIMEOUT)
    except BaseException:
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    out = out.decode("utf-8", "replace")
    err = err.decode("utf-8", "replace")
    check(process.returncode == 0, f"SIGINT: exit code {process.returncode}; stderr {err!r}")
    check(re.search(r"^replay ended: stopped after 1 of 6 messages sent, [01] received$", out, re.M),
          f"SIGINT: no 'replay ended: stopped after ...' line in {out!r}")
    record = Record(record_path)
    clients = [c for c in record.connections.values() if c.get("role") == "client"]
    check(len(clients) == 1, f"SIGINT: connections in the record {record.connections}")
    rid = clients[0]["id"]
    check(record.events_of(rid, kind="closed"), f"SIGINT: the record has no end of connection {rid}")
    closes = record.events_of(rid, kind="close", direction="c2s")
    check(closes and closes[0].get("code") == 1000, f"SIGINT: the replay's close frame {closes}")
    ok("SIGINT during a replay as client: exit 0, 'replay ended: stopped after 1 of 6', the record complete")
    backend.server.close()
    await backend.server.wait_closed()


def body(exe, workdir, servers):
    mocks = []

    async def steps():
        session, conn, record, c2s, s2c = await record_session(exe, workdir, servers)
        await replay_as_client(exe, workdir, session, conn, c2s)
        await paced(exe, session)
        await replay_as_server(exe, workdir, session, s2c, mocks)
        await expect(exe, session)
        await bad_input(exe, workdir, session, conn)
        await har_end_to_end(exe, workdir, session)
        await interrupted(exe, workdir, session)

    try:
        asyncio.run(steps())
    except BaseException:
        for m in mocks:
            print(f"--- {m.name} stderr:\n{m.stderr()}", file=sys.stderr)
        raise
    finally:
        for m in mocks:
            m.kill()


if __name__ == "__main__":
    sys.exit(main("replay", body, WATCHDOG_SECONDS))
