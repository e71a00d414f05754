#!/usr/bin/python3
"""Integration test of `wsinspector convert IN OUT [--include-secrets]` on a session recorded for real: a
`wsinspector serve --port 0 --record FILE` and Python's `websockets` (Debian's python3-websockets) as the client,
plus a raw-socket client for a text frame that is not UTF-8.

    test_convert.py PATH/TO/wsinspector

Checks:
  1. the record converted to .jsonl: every message the client sent and every echo is there byte-exact (text,
     non-ASCII, JSON-special and control characters, a leading BOM, U+2028, empty text, binary, bytes that are
     not UTF-8, empty binary, big ones, a ping payload, the close reason, a text frame that is not UTF-8), and
     every event and connection line equals the record's, except the secrets; the output converts again to
     the same lines; the stdout line counts the events and connections;
  2. redaction: by default the client's Authorization and Cookie headers and its ?token= query value appear
     nowhere in the output and "[redacted]" stands in their place; with --include-secrets the output equals the
     record;
  3. every other output format (.har .csv .txt .pcap): it converts (exit 0, a file) or says it cannot write that
     format yet (exit 1, no file); content checks are one row each in CONTENT_CHECKS;
  4. bad arguments exit 2 with one line on stderr (missing IN or OUT, unknown extension with the known ones
     listed, IN == OUT also through a symbolic or hard link, unknown option, a third file); bad input exits 1
     with a reason naming IN (missing, a folder, unreadable, empty, not a session, a newer format version,
     an output folder that does not exist), and then OUT is neither created nor changed;
  5. lines the reader skips: at most 10 listed on stderr with their line numbers, the rest counted (also past
     the reader's own cap of 100 listed warnings), the conversion still exits 0 with the other events.
Every wait has a timeout, and a watchdog ends the whole run, so the test cannot hang.
"""

import asyncio
import base64
import hashlib
import json
import os
import random
import re
import socket
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wsitest import STEP_TIMEOUT, Failure, Record, Server, check, import_websockets, info, main, ok  # noqa: E402

websockets = import_websockets()

WATCHDOG_SECONDS = 240
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# Secrets the client sends; none may appear in a default export.
BEARER = "Bearer convert-test-bearer-8f3a"
COOKIE_VALUE = "sid=convert-test-cookie-51c2"
TOKEN = "convert-test-token-77d0"
SECRETS = [BEARER, "convert-test-bearer-8f3a", "convert-test-cookie-51c2", TOKEN]

rng = random.Random(6)
MESSAGES = [
    "hello",
    "héllo wörld — 世界 🎉",
    "",
    'quote " backslash \\ newline \n tab \t nul \x00 unit \x1f del \x7f',
    "\ufeffa leading byte order mark",
    "line\u2028separator and \u2029paragraph",
    "".join(rng.choice("abcdefghij é€😀\n\"\\") for _ in range(100_000)),
    bytes(range(256)),
    b"\xff\xfe\xc3\x28 not utf-8",
    b"plain ascii as binary",
    b"",
    rng.randbytes(300_000),
]
RAW_INVALID_TEXT = b"caf\xc3 \xff\xfe not utf-8"
PING = b"ping \x00\xff payload"
CLOSE_REASON = "bye ✓"


def run_convert(exe, *args, cwd=None):
    try:
        done = subprocess.run([exe, "convert", *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=STEP_TIMEOUT * 4, cwd=cwd)
    except subprocess.TimeoutExpired:
        raise Failure(f"`convert {' '.join(args)}` still running after {STEP_TIMEOUT * 4} s")
    return done.returncode, done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")


def payload_of(event):
    """The payload bytes of a text/binary/ping/pong event (its "data"), or of a close (its "reason")."""
    key = "reason" if event.get("kind") == "close" else "data"
    value = event.get(key, "")
    if event.get("enc") == "base64":
        return base64.b64decode(value, validate=True)
    # Python's json keeps a lone surrogate escape as a surrogate; our files never hold one.
    return value.encode("utf-8")


def as_bytes(message):
    return message.encode("utf-8") if isinstance(message, str) else message


# ---------------------------------------------------------------------------------------------------------------
# Recording a session

def raw_invalid_text(port):
    """A text frame that is not UTF-8 from a raw socket (no client library sends one): the server fails the
    connection, and the record holds whatever it made of it."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=STEP_TIMEOUT)
    try:
        key = base64.b64encode(os.urandom(16))
        sock.sendall(b"GET /raw HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Key: " + key + b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            check(chunk, f"raw client: closed during the handshake after {head!r}")
            head += chunk
        check(head.startswith(b"HTTP/1.1 101"), f"raw client: handshake answered {head[:60]!r}")
        check(base64.b64encode(hashlib.sha1(key + GUID).digest()) in head, "raw client: wrong Sec-WebSocket-Accept")
        payload = RAW_INVALID_TEXT
        mask = os.urandom(4)
        sock.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
        try:
            while sock.recv(4096):  # the close frame, then the end of the connection
                pass
        except (ConnectionResetError, BrokenPipeError):
            pass
    finally:
        sock.close()


async def client_session(url):
    headers = [("Authorization", BEARER), ("Cookie", COOKIE_VALUE)]
    async with websockets.connect(url, extra_headers=headers, compression=None, max_size=None, ping_interval=None,
                                  open_timeout=STEP_TIMEOUT, close_timeout=STEP_TIMEOUT) as ws:
        for message in MESSAGES:
            await ws.send(message)
            echo = await asyncio.wait_for(ws.recv(), STEP_TIMEOUT)
            check(echo == message, f"the server's echo of a {len(message)}-long message differs")
        pong = await ws.ping(PING)
        await asyncio.wait_for(pong, STEP_TIMEOUT)
        await ws.close(1000, CLOSE_REASON)


def record_session(exe, workdir, servers):
    server = Server(exe, workdir, "recorded")
    servers.append(server)
    asyncio.run(client_session(f"{server.url}chat?room=7&token={TOKEN}"))
    raw_invalid_text(server.port)
    server.terminate()
    record = Record(server.record)
    ok(f"recorded {len(record.events)} events in {len(record.connections)} connections")
    raw = [c["id"] for c in record.connections.values() if c.get("url", "").endswith("/raw")]
    check(len(raw) == 1, f"the raw client's connection is not in the record: {record.connections!r}")
    info("the raw client's invalid text frame was recorded as: "
         + ", ".join(f"{e['kind']}{' (base64)' if e.get('enc') else ''}" for e in record.events_of(raw[0])))
    return server.record, record


# ---------------------------------------------------------------------------------------------------------------
# Output checks, one per format

SUCCESS_LINE = re.compile(r"wrote (\d+) events? in (\d+) connections? to (.+) \(([A-Za-z]+)(, secrets redacted)?\)")


def check_success(code, out, err, out_path, format_name, redacted, record):
    check(code == 0, f"convert to {out_path}: exit code {code}; stderr: {err!r}")
    check(err == "", f"convert to {out_path}: unexpected stderr {err!r}")
    lines = out.splitlines()
    check(len(lines) == 1, f"convert to {out_path}: expected one stdout line, got {out!r}")
    match = SUCCESS_LINE.fullmatch(lines[0])
    check(match, f"convert to {out_path}: stdout line {lines[0]!r}")
    check(int(match.group(1)) == len(record.events) and int(match.group(2)) == len(record.connections),
          f"{lines[0]!r}: the record has {len(record.events)} events in {len(record.connections)} connections")
    check(match.group(3) == out_path and match.group(4) == format_name, f"{lines[0]!r}: path or format name")
    check(bool(match.group(5)) == redacted, f"{lines[0]!r}: the redaction note is {'missing' if redacted else 'wrong'}")


def lines_of(path):
    with open(path, "rb") as f:
        raw = f.read()
    check(raw.endswith(b"\n"), f"{path}: the last line has no newline")
    # Split on LF only: str.splitlines() would also split at U+2028, which JSON strings may hold as it is.
    return [json.loads(line.decode("utf-8")) for line in raw.split(b"\n")[:-1]]


def messages_in(events, direction):
    return [payload_of(e) for e in events if e.get("dir") == direction and e.get("kind") in ("text", "binary")]


def check_jsonl(out_path, record, include_secrets):
    lines = lines_of(out_path)
    header = lines[0]
    check(header.get("type") == "session" and header.get("format") == "wsinspector-session"
          and header.get("version") == 1 and header.get("app", "").startswith("wsinspector "),
          f"{out_path}: header line {header!r}")
    converted = Record(out_path)
    check(len(converted.events) == len(record.events), f"{out_path}: {len(converted.events)} events, the record "
                                                       f"has {len(record.events)}")
    # The messages themselves, byte for byte, against what the client sent.
    conn = next(c for c in converted.connections.values() if "/chat" in c.get("url", ""))["id"]
    events = converted.events_of(conn)
    sent = [as_bytes(m) for m in MESSAGES]
    check(messages_in(events, "c2s") == sent, f"{out_path}: the client's messages differ from what it sent")
    check(messages_in(events, "s2c") == sent, f"{out_path}: the echoes differ from what the server sent")
    kinds = [e["kind"] for e in events if e.get("dir") == "c2s" and e.get("kind") in ("text", "binary")]
    check(kinds == ["text" if isinstance(m, str) else "binary" for m in MESSAGES], f"{out_path}: kinds {kinds}")
    for e in events:
        if e.get("kind") in ("text", "binary", "ping", "pong"):
            check(e.get("size") == len(payload_of(e)), f"{out_path}: seq {e.get('seq')}: size {e.get('size')}")
    pings = [payload_of(e) for e in events if e.get("kind") == "ping"]
    check(pings == [PING], f"{out_path}: ping payloads {pings!r}")
    closes = [e for e in events if e.get("kind") == "close" and e.get("dir") == "c2s"]
    check(len(closes) == 1 and closes[0].get("code") == 1000 and payload_of(closes[0]) == CLOSE_REASON.encode(),
          f"{out_path}: the client's close {closes!r}")

    raw = next(c for c in converted.connections.values() if c.get("url", "").endswith("/raw"))["id"]
    raw_texts = [payload_of(e) for e in converted.events_of(raw, "text")]
    check(raw_texts == [RAW_INVALID_TEXT], f"{out_path}: the text frame that is not UTF-8: {raw_texts!r}")

    # Everything else as recorded, except the secrets.
    for mine, theirs in zip(converted.events, record.events):
        if include_secrets or not mine.get("kind", "").startswith("handshake"):
            check(mine == theirs, f"{out_path}: seq {theirs.get('seq')} differs: {mine!r} vs {theirs!r}")
    for cid, c in record.connections.items():
        expected = c if include_secrets else {**c, "url": c["url"].replace(TOKEN, "[redacted]")}
        check(converted.connections.get(cid) == expected, f"{out_path}: connection {cid}: "
                                                          f"{converted.connections.get(cid)!r}")
    request = [e for e in events if e.get("kind") == "handshake-request"]
    check(len(request) == 1, f"{out_path}: {len(request)} handshake requests")
    headers = {name.lower(): value for name, value in request[0].get("headers", [])}
    if include_secrets:
        check(headers.get("authorization") == BEARER and headers.get("cookie") == COOKIE_VALUE,
              f"{out_path}: --include-secrets lost a header: {headers!r}")
        check(request[0].get("url") == f"/chat?room=7&token={TOKEN}", f"{out_path}: url {request[0].get('url')}")
    else:
        check(headers.get("authorization") == "[redacted]" and headers.get("cookie") == "[redacted]",
              f"{out_path}: secret headers are {headers.get('authorization')!r}, {headers.get('cookie')!r}")
        check(request[0].get("url") == "/chat?room=7&token=[redacted]", f"{out_path}: url {request[0].get('url')}")
        others = {k: v for k, v in headers.items() if k not in ("authorization", "cookie")}
        recorded = [e for e in record.events if e.get("seq") == request[0].get("seq")][0]
        check(others == {n.lower(): v for n, v in recorded["headers"] if n.lower() not in ("authorization", "cookie")},
              f"{out_path}: redaction changed other headers")


# One row per format whose content this test checks: extension -> check(out_path, record, include_secrets).
# A format without a row is still converted and must either work or say it cannot be written yet (check 3).
CONTENT_CHECKS = {
    ".jsonl": check_jsonl,
}
FORMAT_NAMES = {".jsonl": "JSONL", ".har": "HAR", ".csv": "CSV", ".txt": "text", ".pcap": "pcap"}


def check_secrets(path, present):
    with open(path, "rb") as f:
        data = f.read()
    for secret in SECRETS:
        found = secret.encode() in data
        check(found == present, f"{path}: {secret!r} is {'missing' if present else 'still there'}")


def convert_to_every_format(exe, workdir, record_path, record):
    for extension, format_name in FORMAT_NAMES.items():
        for include_secrets in (False, True):
            out_path = os.path.join(workdir, f"out{'-secrets' if include_secrets else ''}{extension}")
            args = [record_path, out_path] + (["--include-secrets"] if include_secrets else [])
            code, out, err = run_convert(exe, *args)
            if extension not in CONTENT_CHECKS and code == 1 and "cannot write" in err:
                check(not os.path.exists(out_path), f"{out_path} was created although the format cannot be written")
                check(re.fullmatch(rf"wsinspector: convert: cannot write {format_name} files .*\.jsonl.*\n", err),
                      f"convert to {extension}: stderr {err!r}")
                info(f"{extension}: not written by this version yet ({err.strip()})")
                break
            check_success(code, out, err, out_path, format_name, not include_secrets, record)
            check(os.path.getsize(out_path) > 0, f"{out_path} is empty")
            if extension in CONTENT_CHECKS:
                CONTENT_CHECKS[extension](out_path, record, include_secrets)
                ok(f"{extension}{' --include-secrets' if include_secrets else ''}: content as recorded")
            else:
                info(f"{extension}: written, {os.path.getsize(out_path)} bytes; add a CONTENT_CHECKS row for it")
            if extension in (".jsonl", ".har", ".csv", ".txt"):  # pcap may hold the bytes in other framing
                check_secrets(out_path, include_secrets)

    # Converting the converted file again changes nothing but the header's creation time.
    again = os.path.join(workdir, "again.jsonl")
    code, out, err = run_convert(exe, os.path.join(workdir, "out-secrets.jsonl"), again, "--include-secrets")
    check_success(code, out, err, again, "JSONL", False, record)
    check(lines_of(again)[1:] == lines_of(os.path.join(workdir, "out-secrets.jsonl"))[1:],
          "a converted session converted again differs")
    ok("JSONL -> JSONL again: the same lines")


# ---------------------------------------------------------------------------------------------------------------
# Bad arguments and bad input

def expect_failure(exe, args, code, pattern, cwd, out_path=None, before=None):
    got, out, err = run_convert(exe, *args, cwd=cwd)
    what = f"`convert {' '.join(args)}`"
    check(got == code, f"{what}: exit code {got}, expected {code}; stderr: {err!r}")
    check(out == "", f"{what}: stdout {out!r}")
    check(err.endswith("\n") and err.count("\n") == 1, f"{what}: expected one stderr line, got {err!r}")
    check(err.startswith("wsinspector: convert"), f"{what}: {err!r}")
    check(re.search(pattern, err), f"{what}: stderr {err!r} does not match {pattern!r}")
    if out_path is not None:
        path = os.path.join(cwd, out_path)
        if before is None:
            check(not os.path.exists(path), f"{what}: {out_path} was created")
        else:
            with open(path, "rb") as f:
                check(f.read() == before, f"{what}: {out_path} was changed")
    ok(f"{what} -> {code}: {err.strip()}")


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def bad_arguments_and_input(exe, workdir, record_path):
    d = os.path.join(workdir, "bad")
    os.mkdir(d)
    with open(record_path, "rb") as f:
        session = f.read()
    write(os.path.join(d, "in.jsonl"), session)
    os.symlink("in.jsonl", os.path.join(d, "link.jsonl"))
    os.link(os.path.join(d, "in.jsonl"), os.path.join(d, "hard.jsonl"))

    known = re.escape(".jsonl, .har, .csv, .txt, .log, .pcap")
    for args, pattern in [
        ([], r"convert needs an input and an output file: wsinspector convert IN OUT"),
        (["--include-secrets"], r"IN OUT"),
        (["in.jsonl"], r"missing the output file.*" + known),
        (["in.jsonl", "out.xml"], r"“out\.xml”.*known extensions: " + known),
        (["in.jsonl", "out"], r"“out”.*known extensions"),
        (["in.jsonl", "./in.jsonl"], r"same file"),
        (["in.jsonl", "link.jsonl"], r"in\.jsonl and link\.jsonl are the same file"),
        (["in.jsonl", "hard.jsonl"], r"same file"),
        (["--bogus", "in.jsonl", "out.jsonl"], r"unknown option “--bogus”"),
        (["in.jsonl", "a.jsonl", "out.jsonl"], r"one input and one output only"),
    ]:
        expect_failure(exe, args, 2, pattern, d, out_path="out.jsonl" if "out.jsonl" in args else None)
    with open(os.path.join(d, "in.jsonl"), "rb") as f:
        check(f.read() == session, "a refused same-file conversion changed the input")

    os.mkdir(os.path.join(d, "folder.jsonl"))
    write(os.path.join(d, "empty.jsonl"), b"")
    write(os.path.join(d, "text.jsonl"), b"hello world\n")
    write(os.path.join(d, "v2.jsonl"), b'{"type":"session","format":"wsinspector-session","version":2}\n'
                                       b'{"type":"event","kind":"text","dir":"c2s","data":"from the future"}\n')
    write(os.path.join(d, "other.jsonl"), b'{"type":"session","format":"other-tool","version":1}\n')
    write(os.path.join(d, "locked.jsonl"), session)
    os.chmod(os.path.join(d, "locked.jsonl"), 0)
    precious = b"an older export that a failed conversion must not touch\n"
    write(os.path.join(d, "precious.jsonl"), precious)

    cases = [
        ("missing.jsonl", r"cannot open missing\.jsonl: No such file"),
        ("folder.jsonl", r"cannot open folder\.jsonl: .*director"),
        ("empty.jsonl", r"empty\.jsonl: not a WebSocket Inspector session \(the file is empty\)"),
        ("text.jsonl", r"text\.jsonl: not a WebSocket Inspector session \(its first line is not JSON\)"),
        ("v2.jsonl", r"v2\.jsonl: .*format version 2, which is newer .*update"),
        ("other.jsonl", r"other\.jsonl: .*its format is \"other-tool\""),
    ]
    if os.geteuid() != 0:  # root reads any file
        cases.append(("locked.jsonl", r"cannot open locked\.jsonl: Permission denied"))
    for source, pattern in cases:
        expect_failure(exe, [source, "out.jsonl"], 1, pattern, d, out_path="out.jsonl")
        expect_failure(exe, [source, "precious.jsonl"], 1, pattern, d, out_path="precious.jsonl", before=precious)
    expect_failure(exe, ["in.jsonl", "no/such/folder/out.jsonl"], 1, r"cannot write no/such/folder/out\.jsonl: ", d)
    os.chmod(os.path.join(d, "locked.jsonl"), 0o600)


def skipped_lines(exe, workdir, record_path, record):
    """Bad lines cost only themselves: listed (10 at most) with their numbers, then counted; exit 0."""
    with open(record_path, "rb") as f:
        lines = f.read().split(b"\n")[:-1]
    for bad_count in (3, 12, 150):
        mixed = [lines[0]]
        bad_numbers = []
        for i, line in enumerate(lines[1:]):
            mixed.append(line)
            if i < bad_count:
                mixed.append(b"garbage %d" % i if i % 2 else b'{"type":"event","kind":"shout","dir":"c2s"}')
                bad_numbers.append(len(mixed))
        while len(bad_numbers) < bad_count:
            mixed.append(b"{ not json")
            bad_numbers.append(len(mixed))
        path = os.path.join(workdir, f"skipped-{bad_count}.jsonl")
        write(path, b"\n".join(mixed) + b"\n")
        out_path = os.path.join(workdir, f"skipped-{bad_count}-out.jsonl")
        code, out, err = run_convert(exe, path, out_path)
        check_success(code, out, "", out_path, "JSONL", True, record)
        err_lines = err.splitlines()
        listed = min(bad_count, 10)
        prefix = f"wsinspector: convert: {path}: "
        for n, line in zip(bad_numbers, err_lines[:listed]):
            check(line.startswith(f"{prefix}line {n}: "), f"skipped {bad_count}: stderr line {line!r}, expected "
                                                          f"line {n}")
        rest = err_lines[listed:]
        expected = ([f"{prefix}{bad_count - listed} more warnings not shown"] if bad_count > listed else []) + [
            f"{prefix}skipped {bad_count} lines that could not be read; converted the rest"]
        check(rest == expected, f"skipped {bad_count}: stderr ends with {rest!r}, expected {expected!r}")
        check(Record(out_path).events == Record(os.path.join(workdir, "out.jsonl")).events,
              f"skipped {bad_count}: the good lines did not all come through")
        ok(f"{bad_count} bad lines: {listed} listed, exit 0, every good event converted")


def body(exe, workdir, servers):
    record_path, record = record_session(exe, workdir, servers)
    convert_to_every_format(exe, workdir, record_path, record)
    bad_arguments_and_input(exe, workdir, record_path)
    skipped_lines(exe, workdir, record_path, record)


if __name__ == "__main__":
    sys.exit(main("convert", body, WATCHDOG_SECONDS))
