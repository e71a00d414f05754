#!/usr/bin/python3
"""Integration test of the test server's behaviours (`wsinspector serve`) against Python's `websockets` (Debian's
python3-websockets 10.4) and `http.client`:

    test_serve_behaviours.py PATH/TO/wsinspector

Checks:
  1. --mode broadcast with 3 clients: the others get a message, the sender does not; with --broadcast-to-sender
     the sender does too; the record file holds the 3 connections and every message (counted);
  2. --rules: exact, substring (case-insensitive, case-sensitive), regex (groups, {{0}}), json (nested template
     fields, compared as JSON), delayMs (the reply is not early), disabled rules, first match wins, binary
     messages, templates ({{counter}} increments, {{message}}, {{uuid}} shape, {{timestamp}}, {{isotime}},
     {{random A B}}), fallback to the base mode (echo and silent); the record holds every reply;
  3. --push-every/--push: every client gets >= 2 pushes, the same rendering for all;
  4. --subprotocol: the client's first offer that the server accepts (the client lists its preference, as
     RFC 6455 has it); none in common or none offered -> no subprotocol;
  5. --allow-origin: another Origin or none -> HTTP 403, the allowed one works;
  6. --max-connections 2: the third upgrade gets HTTP 503, the first two still echo, a freed slot is reusable;
  7. bad rules files and bad arguments: exit 2 and one line on stderr naming the file and line/column, or the field;
  8. flood fairness: client A (its own process) floods 200,000 small messages while client B does 20 round trips;
     B completes within 30 s (its worst round trip is printed, not asserted), A gets every echo, the record
     holds every message;
  9. the browser test page: GET / -> 200 text/html with the page, HEAD / -> 200, GET /nope -> 404, POST / -> 405.
Every wait has a timeout, and a watchdog ends the whole run, so the test cannot hang.
"""

import asyncio
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wsitest import (STEP_TIMEOUT, Failure, Record, Server, check, expect_nothing, import_websockets,  # noqa: E402
                     info, main, ok, recv_within, run_serve_expecting_error)

websockets = import_websockets()
from websockets.exceptions import InvalidStatusCode  # noqa: E402

WATCHDOG_SECONDS = 420
QUIET = 0.5  # how long "nothing arrives" is watched
FLOOD_MESSAGES = 200_000
ROUND_TRIPS = 20
FAIRNESS_TIMEOUT = 30
FLOOD_TIMEOUT = 180
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def options(**extra):
    result = dict(compression=None, ping_interval=None, open_timeout=STEP_TIMEOUT, close_timeout=STEP_TIMEOUT)
    result.update(extra)
    return result


async def connect(url, **extra):
    return await asyncio.wait_for(websockets.connect(url, **options(**extra)), STEP_TIMEOUT)


async def close_all(*sockets):
    for ws in sockets:
        await asyncio.wait_for(ws.close(), STEP_TIMEOUT)


async def echo_ok(ws, text, what):
    await ws.send(text)
    got = await recv_within(ws, STEP_TIMEOUT, what)
    check(got == text, f"{what}: echo of {text!r} is {got!r}")


# ---------------------------------------------------------------------------------------------------------------
# 1. Broadcast

async def broadcast(url):
    a, b, c = [await connect(url) for _ in range(3)]
    ports = [ws.local_address[1] for ws in (a, b, c)]
    await a.send("from-A-1")
    for name, ws in (("B", b), ("C", c)):
        got = await recv_within(ws, STEP_TIMEOUT, f"broadcast: client {name} waiting for A's message")
        check(got == "from-A-1", f"broadcast: client {name} got {got!r}, expected A's 'from-A-1'")
    # B speaks after A's message went out: if A had been sent its own message, it would arrive before B's.
    await b.send(b"\x00from-B\xff")
    got = await recv_within(a, STEP_TIMEOUT, "broadcast: client A waiting for B's binary message")
    check(got != "from-A-1", "broadcast: the sender A got its own message back (no --broadcast-to-sender)")
    check(got == b"\x00from-B\xff", f"broadcast: client A got {got!r}, expected B's binary message as bytes")
    got = await recv_within(c, STEP_TIMEOUT, "broadcast: client C waiting for B's binary message")
    check(got == b"\x00from-B\xff", f"broadcast: client C got {got!r}, expected B's binary message as bytes")
    await expect_nothing(b, QUIET, "broadcast: the sender B after its own message")
    await close_all(a, b, c)
    ok("--mode broadcast: 3 clients, the other two get each message (text and binary, kind kept), the sender not")
    return ports


async def broadcast_to_sender(url):
    a, b, c = [await connect(url) for _ in range(3)]
    await a.send("to-all")
    for name, ws in (("A (sender)", a), ("B", b), ("C", c)):
        got = await recv_within(ws, STEP_TIMEOUT, f"--broadcast-to-sender: client {name}")
        check(got == "to-all", f"--broadcast-to-sender: client {name} got {got!r}, expected 'to-all'")
    await close_all(a, b, c)
    ok("--mode broadcast --broadcast-to-sender: the sender gets its message too")


def check_broadcast_record(server, ports):
    record = Record(server.record)
    conns = [record.connection_for(p) for p in ports]
    check(len(set(conns)) == 3, f"broadcast record: connections {conns} are not 3 distinct ones")
    for conn in conns:
        check(record.connections[conn].get("role") == "server", f"broadcast record: connection {conn} role")
    a, b, c = conns
    counts = {(name, d): len([e for e in record.events_of(conn, direction=d) if e["kind"] in ("text", "binary")])
              for name, conn in (("A", a), ("B", b), ("C", c)) for d in ("c2s", "s2c")}
    expected = {("A", "c2s"): 1, ("A", "s2c"): 1, ("B", "c2s"): 1, ("B", "s2c"): 1, ("C", "c2s"): 0,
                ("C", "s2c"): 2}
    check(counts == expected, f"broadcast record: messages per (client, direction) {counts}, expected {expected}")
    a_in = record.events_of(a, kind="binary", direction="s2c")
    check(a_in and a_in[0].get("enc") == "base64", f"broadcast record: B's binary message to A: {a_in}")
    ok(f"broadcast record: {len(record.connections)} connections, 2 messages in and 4 out, as sent")


# ---------------------------------------------------------------------------------------------------------------
# 2. Rules

RULES = {"version": 1, "rules": [
    {"name": "greet", "match": "exact", "pattern": "hello", "reply": "hi #{{counter}}"},
    {"match": "substring", "pattern": "ping", "caseSensitive": False, "reply": "pong", "delayMs": 500},
    {"match": "regex", "pattern": "^add (\\d+) (\\d+)$", "reply": "got {{1}} and {{2}}"},
    {"match": "json", "path": "type", "value": "subscribe", "reply": "{\"ok\":true,\"id\":{{json.id}}}"},
    {"match": "exact", "pattern": "off", "enabled": False, "reply": "disabled rule answered"},
    {"match": "substring", "pattern": "Secret", "caseSensitive": True, "reply": "found it"},
    {"match": "substring", "pattern": "order", "reply": "first"},
    {"match": "substring", "pattern": "order", "reply": "second"},
    {"match": "regex", "pattern": "w(or)ld", "reply": "[{{0}}|{{1}}]"},
    {"match": "json", "path": "user.tags.1", "value": 7, "reply": "hello {{json.user.name}} {{json.user.tags}}"},
    {"match": "exact", "pattern": "say", "reply": "you said {{message}}"},
    {"match": "exact", "pattern": "uuid", "reply": "{{uuid}}"},
    {"match": "exact", "pattern": "clock", "reply": "{{timestamp}} {{isotime}}"},
    {"match": "exact", "pattern": "dice", "reply": "{{random 1 6}}"},
    {"match": "exact", "pattern": "bin", "reply": "text for bin"},
]}


async def rules_on_echo(url):
    ws = await connect(url)
    port = ws.local_address[1]
    replies = 0

    async def ask(message, expected, what):
        nonlocal replies
        await ws.send(message)
        got = await recv_within(ws, STEP_TIMEOUT, f"rules: {what}")
        if callable(expected):
            check(expected(got), f"rules: {what}: {message!r} -> {got!r}")
        else:
            check(got == expected, f"rules: {what}: {message!r} -> {got!r}, expected {expected!r}")
        replies += 1
        return got

    await ask("hello", "hi #1", "exact match with {{counter}}")
    await ask("hello", "hi #2", "{{counter}} increments")
    await ask("hello there", "hello there", "exact does not match a longer message: echo")
    started = time.monotonic()
    await ask("PiNg me", "pong", "case-insensitive substring with delayMs 500")
    elapsed = time.monotonic() - started
    check(elapsed >= 0.45, f"rules: delayMs 500 reply arrived after {elapsed * 1000:.0f} ms")
    ok(f"rules: delayMs 500 -> reply after {elapsed * 1000:.0f} ms")
    await ask("add 2 40", "got 2 and 40", "regex with groups {{1}} {{2}}")
    await ask("add 2 x", "add 2 x", "regex without a match: echo")
    await ask("hello world", "[world|or]", "regex matching somewhere, {{0}} and {{1}}")
    reply = await ask('{"type":"subscribe","id":42}', lambda g: True, "json field match")
    try:
        parsed = json.loads(reply)
    except ValueError:
        raise Failure(f"rules: json rule reply {reply!r} is not JSON")
    check(parsed == {"ok": True, "id": 42}, f"rules: json rule reply {parsed}, expected {{'ok': True, 'id': 42}}")
    await ask('{"type":"unsubscribe","id":1}', '{"type":"unsubscribe","id":1}', "json value differs: echo")
    await ask('{"type":"subscribe"', '{"type":"subscribe"', "not JSON at all: echo")
    await ask('{"user":{"name":"Ada","tags":[1,7.0]}}', "hello Ada [1,7]",
              "nested json path with array index, compared as JSON (7 == 7.0); string unquoted, array compact")
    await ask('{"user":{"name":"Ada","tags":[1,"7"]}}', '{"user":{"name":"Ada","tags":[1,"7"]}}',
              'json value "7" does not equal 7: echo')
    await ask("off", "off", "a disabled rule does not answer: echo")
    await ask("a Secret here", "found it", "case-sensitive substring")
    await ask("a secret here", "a secret here", "case-sensitive substring, other case: echo")
    await ask("in order", "first", "the first matching rule answers")
    await ask("say", "you said say", "{{message}}")
    first = await ask("uuid", lambda g: UUID_RE.fullmatch(g), "{{uuid}} is a version 4 UUID without braces")
    second = await ask("uuid", lambda g: UUID_RE.fullmatch(g), "{{uuid}} again")
    check(first != second, f"rules: two {{{{uuid}}}} renderings are the same: {first}")
    before = time.time() * 1000
    clock = await ask("clock", lambda g: re.fullmatch(r"\d{13} \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", g),
                      "{{timestamp}} {{isotime}}")
    stamp = int(clock.split()[0])
    check(before - 5000 <= stamp <= time.time() * 1000 + 5000, f"rules: {{{{timestamp}}}} {stamp} is not now")
    dice = {int(await ask("dice", lambda g: g.isdigit() and 1 <= int(g) <= 6, "{{random 1 6}}"))
            for _ in range(30)}
    check(len(dice) >= 3, f"rules: 30 rolls of {{{{random 1 6}}}} gave only {sorted(dice)}")
    await ask(b"bin", "text for bin", "a binary message matched by exact gets a text reply")
    await ask(b"\x01\x02", b"\x01\x02", "unmatched binary message: binary echo")
    await ask("hello", lambda g: re.fullmatch(r"hi #\d+", g) and int(g[4:]) > 2,
              "{{counter}} keeps counting")
    await close_all(ws)
    ok(f"rules on echo: every match type, options, placeholders and the echo fallback ({replies} answers)")
    return replies, port


async def rules_on_silent(url):
    ws = await connect(url)
    await ws.send("nobody answers this")
    await ws.send("hello")
    got = await recv_within(ws, STEP_TIMEOUT, "rules on silent: reply to 'hello'")
    check(got == "hi #1", f"rules on silent: first message received is {got!r}, expected 'hi #1' (the unmatched"
                          " message must get nothing)")
    await expect_nothing(ws, QUIET, "rules on silent: after the reply")
    await close_all(ws)
    ok("rules on --mode silent: an unmatched message gets nothing, a matched one its reply")


def check_rules_record(server, port, replies):
    record = Record(server.record)
    conn = record.connection_for(port)
    c2s = [e for e in record.events_of(conn, direction="c2s") if e["kind"] in ("text", "binary")]
    s2c = [e for e in record.events_of(conn, direction="s2c") if e["kind"] in ("text", "binary")]
    check(len(c2s) == replies and len(s2c) == replies,
          f"rules record: {len(c2s)} messages in and {len(s2c)} out, expected {replies} each")
    pong = [e for e in s2c if e.get("data") == "pong"]
    check(len(pong) == 1, f"rules record: the delayed 'pong' reply recorded {len(pong)} times")
    ok(f"rules record: {replies} messages and {replies} replies")


# ---------------------------------------------------------------------------------------------------------------
# 3. Periodic push

async def push(url):
    a = await connect(url)
    b = await connect(url)
    seen = {"A": [], "B": []}

    def enough(name):
        # >= 2 pushes each, and one rendering both got (B connects a moment after A, so A's first may be its own).
        return len(seen[name]) >= 2 and set(seen["A"]) & set(seen["B"])

    async def collect(name, ws):
        while not enough(name):
            message = await ws.recv()
            check(isinstance(message, str) and message.startswith("tick "),
                  f"push: client {name} got {message!r}, expected 'tick N'")
            seen[name].append(message)

    try:
        await asyncio.wait_for(asyncio.gather(collect("A", a), collect("B", b)), 20)
    except asyncio.TimeoutError:
        hint = (" - never the same rendering: is the template rendered per client instead of once per tick?"
                if len(seen["A"]) >= 2 and len(seen["B"]) >= 2 else "")
        raise Failure(f"push: within 20 s, with --push-every 200, client A got {seen['A']} and B {seen['B']}{hint}")
    await echo_between_pushes_tolerant(a, "still echoes", "push: echo between pushes")
    await close_all(a, b)
    ok(f"--push-every 200: A got {seen['A']}, B got {seen['B']}")


async def echo_between_pushes_tolerant(ws, text, what):
    await ws.send(text)
    deadline = time.monotonic() + STEP_TIMEOUT
    while True:
        got = await recv_within(ws, max(0.1, deadline - time.monotonic()), what)
        if got == text:
            return
        check(isinstance(got, str) and got.startswith("tick "), f"{what}: got {got!r}")


# ---------------------------------------------------------------------------------------------------------------
# 4. Subprotocols, 5. origins, 6. connection limit

async def subprotocols(url):
    cases = [(["chat.v1", "chat.v2"], "chat.v1", "the client's first offer that the server accepts"),
             (["other", "chat.v2", "chat.v1"], "chat.v2", "offers the server does not speak are passed over"),
             (["chat.v1"], "chat.v1", "the only one in common"),
             (["other"], None, "none in common"),
             (None, None, "none offered")]
    wrong = []
    for offered, expected, what in cases:
        ws = await connect(url, subprotocols=offered)
        if ws.subprotocol != expected:
            wrong.append(f"offered {offered} to a server accepting chat.v2, chat.v1: chose {ws.subprotocol!r},"
                         f" expected {expected!r} ({what})")
        await echo_ok(ws, f"sub {expected}", f"subprotocol {expected}")
        await close_all(ws)
    check(not wrong, "subprotocol: " + "; ".join(wrong))
    ok("--subprotocol chat.v2 --subprotocol chat.v1: client's order, only common, none in common, none offered")


async def expect_status(url, status, what, **extra):
    try:
        ws = await connect(url, **extra)
    except InvalidStatusCode as error:
        check(error.status_code == status, f"{what}: handshake answered {error.status_code}, expected {status}")
        return
    await ws.close()
    raise Failure(f"{what}: the handshake succeeded, expected HTTP {status}")


async def origins(url):
    await expect_status(url, 403, "origin not allowed", origin="https://evil.example")
    await expect_status(url, 403, "no Origin header with --allow-origin")
    for origin in ("https://good.example", "http://localhost:3000"):
        ws = await connect(url, origin=origin)
        await echo_ok(ws, f"from {origin}", f"allowed origin {origin}")
        await close_all(ws)
    ok("--allow-origin: other Origin -> 403, none -> 403, both allowed origins echo")


async def connection_limit(url):
    first = await connect(url)
    second = await connect(url)
    await echo_ok(first, "one", "max-connections: first client")
    await expect_status(url, 503, "max-connections 2: the third simultaneous upgrade")
    await echo_ok(first, "one again", "max-connections: first client after the refusal")
    await echo_ok(second, "two", "max-connections: second client after the refusal")
    await asyncio.wait_for(first.close(), STEP_TIMEOUT)
    deadline = time.monotonic() + STEP_TIMEOUT
    while True:  # the server notices the closed connection a moment later
        try:
            third = await connect(url)
            break
        except InvalidStatusCode as error:
            check(error.status_code == 503, f"max-connections: a new client got {error.status_code}")
            check(time.monotonic() < deadline, f"max-connections: a slot freed by a close is still refused"
                                               f" after {STEP_TIMEOUT} s")
            await asyncio.sleep(0.1)
    await echo_ok(third, "three", "max-connections: a client in the freed slot")
    await close_all(second, third)
    ok("--max-connections 2: third gets 503, the two others still echo, a freed slot is reusable")


# ---------------------------------------------------------------------------------------------------------------
# 7. Bad rules files and arguments

def bad_input(exe, workdir):
    def write(name, text):
        path = os.path.join(workdir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def refuses(args, what, *needles):
        code, out, err = run_serve_expecting_error(exe, args)
        lines = [line for line in err.splitlines() if line.strip()]
        check(code == 2, f"{what}: `serve {' '.join(args)}` exited with {code}, expected 2; stderr {err!r}")
        check(len(lines) == 1, f"{what}: expected one line on stderr, got {err!r}")
        check("listening" not in out, f"{what}: the server started listening anyway: {out!r}")
        for needle in needles:
            check(needle.lower() in err.lower(), f"{what}: stderr {err.strip()!r} does not mention {needle!r}")
        return lines[0]

    syntax = write("syntax.json", '{"version": 1, "rules": [\n  {"match": "exact", "pattern": "a", "reply": "b"}\n'
                                  '  {"match": "exact"}\n]}\n')
    line = refuses(["--rules", syntax], "rules file with a JSON syntax error", "syntax.json", "line", "column")
    check(re.search(r"line 3\b", line), f"rules syntax error: {line!r} does not name line 3 (the missing comma)")
    ok(f"syntax error -> exit 2: {line}")

    cases = [
        ('{"version":1,"rules":[{"match":"exact","pattern":"a","reply":"b"},'
         '{"match":"exact","pattern":"c","reply":"d","delayMs":-5}]}', "rules[1].delayMs", "negative delayMs"),
        ('{"version":1,"rules":[{"match":"regex","pattern":"(unclosed","reply":"x"}]}', "rules[0].pattern",
         "invalid regular expression"),
        ('{"version":1,"rules":[{"match":"fuzzy","pattern":"a","reply":"x"}]}', "rules[0].match", "unknown match"),
        ('{"version":1,"rules":[{"match":"exact","pattern":"a","reply":"x","delayMS":5}]}', "delayMS",
         "unknown key (typo)"),
        ('{"version":1,"rules":[{"match":"exact","pattern":"a","reply":"{{nope}}"}]}', "rules[0].reply",
         "unknown placeholder"),
    ]
    for i, (text, field, what) in enumerate(cases):
        path = write(f"bad{i}.json", text)
        line = refuses(["--rules", path], f"rules file with {what}", f"bad{i}.json")
        if field not in line and field.startswith("rules[0].") and re.search(r"\brule 1\b", line):
            # Checks made when the rules are compiled (regex, template) name the rule, one-based, instead of the
            # field: accepted, but noted, since the same file's other errors count from 0 ("rules[0].delayMs").
            info(f"{what}: the error names 'rule 1' rather than the field {field!r}: {line}")
        else:
            check(field in line, f"rules file with {what}: stderr {line!r} does not name {field!r}")
        ok(f"{what} -> exit 2: {line}")
    missing = os.path.join(workdir, "no-such-rules.json")
    line = refuses(["--rules", missing], "missing rules file", "no-such-rules.json")
    ok(f"missing rules file -> exit 2: {line}")

    for args, what in ((["--mode", "shout"], "unknown mode"),
                       (["--push-every", "100"], "--push-every without --push"),
                       (["--push-every", "-1", "--push", "x"], "negative --push-every"),
                       (["--push-every", "100", "--push", "{{bogus}}"], "bad push template"),
                       (["--tls-cert", "/nonexistent/c.pem"], "--tls-cert without --tls-key"),
                       (["--max-connections", "0"], "zero connection limit"),
                       (["--subprotocol"], "--subprotocol without a value")):
        line = refuses(["--port", "0", *args], what)
        ok(f"{what} -> exit 2: {line}")


# ---------------------------------------------------------------------------------------------------------------
# 8. Flood fairness

FLOOD_CLIENT = r"""
import asyncio, sys, time, websockets
url, count = sys.argv[1], int(sys.argv[2])
async def main():
    async with websockets.connect(url, compression=None, ping_interval=None, open_timeout=15,
                                  close_timeout=15, max_queue=None) as ws:
        print("port", ws.local_address[1], flush=True)
        received = 0
        async def receiver():
            nonlocal received
            while received < count:
                message = await ws.recv()
                if message != f"f{received:06d}":
                    print("wrong", received, repr(message), flush=True)
                    sys.exit(3)
                received += 1
        task = asyncio.ensure_future(receiver())
        started = time.monotonic()
        for i in range(count):
            await ws.send(f"f{i:06d}")
            if i == 2000:
                print("flooding", flush=True)
        print(f"sent {count} in {time.monotonic() - started:.2f}", flush=True)
        await task
        print(f"received {received} in {time.monotonic() - started:.2f}", flush=True)
asyncio.run(main())
"""


def flood_fairness(server, workdir):
    out_path = os.path.join(workdir, "flood.out")
    with open(out_path, "wb") as out:
        flooder = subprocess.Popen([sys.executable, "-c", FLOOD_CLIENT, server.url, str(FLOOD_MESSAGES)],
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)

    def flood_output():
        with open(out_path, "r", encoding="utf-8", errors="replace") as f:
            return f.read()

    try:
        deadline = time.monotonic() + STEP_TIMEOUT
        while "flooding" not in flood_output():
            check(flooder.poll() is None, f"flood: the flooding client ended early: {flood_output()!r}")
            check(time.monotonic() < deadline, f"flood: the flooding client did not start: {flood_output()!r}")
            time.sleep(0.02)

        async def round_trips():
            ws = await connect(server.url)
            times = []
            for i in range(ROUND_TRIPS):
                started = time.monotonic()
                await ws.send(f"rt{i}")
                got = await ws.recv()
                times.append(time.monotonic() - started)
                check(got == f"rt{i}", f"flood: client B's round trip {i} got {got!r}")
            await asyncio.wait_for(ws.close(), STEP_TIMEOUT)
            return times, ws.local_address[1]

        started = time.monotonic()
        try:
            times, b_port = asyncio.run(asyncio.wait_for(round_trips(), FAIRNESS_TIMEOUT))
        except asyncio.TimeoutError:
            raise Failure(f"flood: client B did not complete {ROUND_TRIPS} round trips within {FAIRNESS_TIMEOUT} s"
                          f" while A flooded (flooder says {flood_output()!r})")
        total = time.monotonic() - started
        still_flooding = "received" not in flood_output()
        info(f"flood fairness: B's {ROUND_TRIPS} round trips took {total:.2f} s; worst {max(times) * 1000:.1f} ms,"
             f" median {statistics.median(times) * 1000:.1f} ms; A still busy when B finished: {still_flooding}")
        ok(f"flood: client B completed {ROUND_TRIPS} round trips within {FAIRNESS_TIMEOUT} s while A flooded")
        try:
            code = flooder.wait(timeout=FLOOD_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Failure(f"flood: client A did not get its {FLOOD_MESSAGES} echoes within {FLOOD_TIMEOUT} s:"
                          f" {flood_output()!r}")
        check(code == 0 and f"received {FLOOD_MESSAGES}" in flood_output(),
              f"flood: client A ended with {code}: {flood_output()!r}")
        a_port = int(re.search(r"port (\d+)", flood_output()).group(1))
        ok(f"flood: client A got all {FLOOD_MESSAGES} echoes in order ({flood_output().strip().splitlines()[-1]})")
        server.check_alive("the flood")
        return a_port, b_port
    finally:
        if flooder.poll() is None:
            flooder.kill()
            flooder.wait(timeout=STEP_TIMEOUT)


def check_flood_record(server, a_port, b_port):
    record = Record(server.record)
    for port, count, name in ((a_port, FLOOD_MESSAGES, "A"), (b_port, ROUND_TRIPS, "B")):
        conn = record.connection_for(port)
        c2s = len(record.events_of(conn, kind="text", direction="c2s"))
        s2c = len(record.events_of(conn, kind="text", direction="s2c"))
        check(c2s == count and s2c == count,
              f"flood record: client {name} has {c2s} messages in and {s2c} out, expected {count} each")
    ok(f"flood record: all {FLOOD_MESSAGES} + {ROUND_TRIPS} messages both ways")


# ---------------------------------------------------------------------------------------------------------------
# 9. The browser test page

def test_page(port):
    def request(method, path, body=None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=STEP_TIMEOUT)
        try:
            connection.request(method, path, body=body)
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read()
        finally:
            connection.close()

    for path in ("/", "/?send=hello&path=/x"):
        status, content_type, body = request("GET", path)
        check(status == 200, f"test page: GET {path} -> {status}, expected 200")
        check(content_type.lower().startswith("text/html"), f"test page: GET {path} Content-Type {content_type!r}")
        check(b"<html" in body and b"WebSocket Inspector test page" in body,
              f"test page: GET {path} body is not the test page: {body[:200]!r}")
    ok(f"test page: GET / -> 200 {content_type}, {len(body)} bytes of the page (a query string too)")
    status, content_type, body = request("HEAD", "/")
    check(status == 200 and body == b"", f"test page: HEAD / -> {status} with {len(body)} bytes of body")
    for method, path, expected in (("GET", "/nope", 404), ("POST", "/", 405), ("PUT", "/", 405),
                                   ("DELETE", "/nope", None)):
        status, _, _ = request(method, path, body=b"x" if method in ("POST", "PUT") else None)
        if expected is None:
            check(status in (404, 405), f"test page: {method} {path} -> {status}, expected 404 or 405")
        else:
            check(status == expected, f"test page: {method} {path} -> {status}, expected {expected}")
    ok("test page: HEAD / -> 200 without body, GET /nope -> 404, POST / and PUT / -> 405")


# ---------------------------------------------------------------------------------------------------------------

def body(exe, workdir, servers):
    def start(name, *args):
        server = Server(exe, workdir, name, args)
        servers.append(server)
        return server

    rules_path = os.path.join(workdir, "rules.json")
    with open(rules_path, "w", encoding="utf-8") as f:
        json.dump(RULES, f, indent=1)

    def broadcast_section():
        s = start("broadcast", "--mode", "broadcast")
        ports = asyncio.run(broadcast(s.url))
        test_page(s.port)  # the page is served whatever the mode; a plain GET is not a connection
        s.terminate()
        check_broadcast_record(s, ports)

    def broadcast_to_sender_section():
        s = start("broadcast-to-sender", "--mode", "broadcast", "--broadcast-to-sender")
        asyncio.run(broadcast_to_sender(s.url))
        s.terminate()

    def rules_section():
        s = start("rules", "--rules", rules_path)
        replies, port = asyncio.run(rules_on_echo(s.url))
        s.terminate()
        check_rules_record(s, port, replies)

    def rules_silent_section():
        s = start("rules-silent", "--mode", "silent", "--rules", rules_path)
        asyncio.run(rules_on_silent(s.url))
        s.terminate()

    def push_section():
        s = start("push", "--push-every", "200", "--push", "tick {{counter}}")
        asyncio.run(push(s.url))
        s.terminate()

    def subprotocols_section():
        s = start("subprotocols", "--subprotocol", "chat.v2", "--subprotocol", "chat.v1")
        asyncio.run(subprotocols(s.url))
        s.terminate()

    def origins_section():
        s = start("origins", "--allow-origin", "https://good.example", "--allow-origin", "http://localhost:3000")
        asyncio.run(origins(s.url))
        s.terminate()

    def limit_section():
        s = start("limit", "--max-connections", "2")
        asyncio.run(connection_limit(s.url))
        s.terminate()

    def flood_section():
        s = start("flood")
        a_port, b_port = flood_fairness(s, workdir)
        s.terminate()
        check_flood_record(s, a_port, b_port)

    # Each section has its own server; a failing one is reported at once and the others still run.
    failures = []
    for name, section in (("bad input", lambda: bad_input(exe, workdir)), ("broadcast", broadcast_section),
                          ("broadcast to sender", broadcast_to_sender_section), ("rules", rules_section),
                          ("rules on silent", rules_silent_section), ("push", push_section),
                          ("subprotocols", subprotocols_section), ("origins", origins_section),
                          ("connection limit", limit_section), ("flood fairness", flood_section)):
        try:
            section()
        except Exception as error:  # a Failure, or a timeout or socket error on the way
            text = str(error) if isinstance(error, Failure) else f"{type(error).__name__}: {error}"
            print(f"FAIL: [{name}] {text}", file=sys.stderr, flush=True)
            failures.append(f"[{name}] {text}")
    check(not failures, f"{len(failures)} section(s) failed: " + " || ".join(failures))


if __name__ == "__main__":
    sys.exit(main("integration_serve_behaviours", body, WATCHDOG_SECONDS))
