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
  3. every other output format, one row each in CONTENT_CHECKS, with and without --include-secrets:
     .har: Chrome's shape as Python's json reads it (_resourceType "websocket", _webSocketMessages with type, time,
     opcode, data), every message byte-exact with its direction and time, the handshake headers and the close;
     then the HAR converted back to .jsonl holds the same messages, handshakes and closes, and reads without a
     warning; .csv: Python's csv module reads one row per event with its payload; .txt: every message as the
     log renders it; .pcap: tshark shows every frame's opcode, mask and payload in order, one TCP stream per
     connection, and the upgrade request's secrets as exported;
  3b. HAR -> JSONL -> HAR -> JSONL -> HAR -> JSONL through the binary on the Chrome, Firefox and HTTP Toolkit
     fixtures: the second and third JSONL files are identical but for the header's creation time, and so are
     the two HAR files written from them;
  4. bad arguments exit 2 with one line on stderr (missing IN or OUT, unknown extension with the known ones
     listed, IN == OUT also through a symbolic or hard link, unknown option, a third file); bad input exits 1
     with a reason naming IN (missing, a folder, unreadable, empty, not a session, a newer format version,
     an output folder that does not exist), and then OUT is neither created nor changed;
  5. lines the reader skips: at most 10 listed on stderr with their line numbers, the rest counted (also past
     the reader's own cap of 100 listed warnings), the conversion still exits 0 with the other events.
Redaction (2) is checked on every format, both ways.
Every wait has a timeout, and a watchdog ends the whole run, so the test cannot hang.

    environment: WSI_TSHARK (set by CMake)
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
from exportcheck import (check_csv, check_pcap_frames, check_text_messages, csv_data, payload_of, tool,  # noqa: E402
                         tshark_upgrade_requests)

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


def check_jsonl(exe, out_path, record, include_secrets):
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


# What an export shows of the recorded session: the secrets masked unless --include-secrets.

def chat_connection(record):
    return next(c for c in record.connections.values() if "/chat" in c.get("url", ""))


def raw_connection(record):
    return next(c for c in record.connections.values() if c.get("url", "").endswith("/raw"))


def exported_url(url, include_secrets):
    return url if include_secrets else url.replace(TOKEN, "[redacted]")


def exported_request(record, include_secrets):
    """The client's upgrade request as an export shows it: (target, [[name, value], ...])."""
    request = record.events_of(chat_connection(record)["id"], "handshake-request")[0]
    headers = [[name, "[redacted]" if name.lower() in ("authorization", "cookie") and not include_secrets else value]
               for name, value in request["headers"]]
    return exported_url(request["url"], include_secrets), headers


def head_bytes(start_line, headers):
    """A head as the handshake events hold it (HttpHead::toBytes)."""
    return (start_line + "\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers) + "\r\n").encode()


def exported_heads(record, include_secrets):
    """The bytes of the chat connection's request and response heads as an export shows them."""
    target, headers = exported_request(record, include_secrets)
    response = record.events_of(chat_connection(record)["id"], "handshake-response")[0]
    return (head_bytes(f"GET {target} HTTP/1.1", headers),
            head_bytes(f"HTTP/1.1 {response['status']} {response.get('reason', '')}", response["headers"]))


def recorded_messages(events):
    """(direction, kind, payload, ts) of every text and binary message."""
    return [(e["dir"], e["kind"], payload_of(e), e["ts"]) for e in events if e.get("kind") in ("text", "binary")]


def first_difference(got, want):
    index = next((i for i, (g, w) in enumerate(zip(got, want)) if g != w), min(len(got), len(want)))
    show = lambda m: m if m is None else (m[0], m[1], f"{len(m[2])} bytes {m[2][:40]!r}", m[3])  # noqa: E731
    return (f"message {index + 1}: {show(got[index] if index < len(got) else None)} vs recorded "
            f"{show(want[index] if index < len(want) else None)} ({len(got)} vs {len(want)} messages)")


# ---------------------------------------------------------------------------------------------------------------
# HAR

HAR_MESSAGE_KEYS = {"type", "time", "opcode", "data"}


def har_messages(entry):
    """(direction, kind, payload, µs) of a HAR entry's _webSocketMessages, decoded as Chrome's readers do."""
    out = []
    for m in entry["_webSocketMessages"]:
        binary = m["opcode"] == 2 or m.get("_encoding") == "base64"
        payload = base64.b64decode(m["data"], validate=True) if binary else m["data"].encode("utf-8")
        out.append(("c2s" if m["type"] == "send" else "s2c", "text" if m["opcode"] == 1 else "binary", payload,
                    round(m["time"] * 1e6)))
    return out


def check_har(exe, out_path, record, include_secrets):
    with open(out_path, encoding="utf-8") as f:
        log = json.load(f)["log"]
    check(log.get("version") == "1.2" and log.get("creator", {}).get("name") == "WebSocket Inspector",
          f"{out_path}: log version {log.get('version')!r}, creator {log.get('creator')!r}")
    entries = log["entries"]
    check(len(entries) == len(record.connections), f"{out_path}: {len(entries)} entries for "
                                                   f"{len(record.connections)} connections")
    # Chrome's shape, which DevTools, HTTP Toolkit and HAR viewers read.
    for n, entry in enumerate(entries):
        where = f"{out_path}: log.entries[{n}]"
        check(entry.get("_resourceType") == "websocket", f"{where}._resourceType {entry.get('_resourceType')!r}")
        check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entry.get("startedDateTime", "")),
              f"{where}.startedDateTime {entry.get('startedDateTime')!r}")
        request, response = entry["request"], entry["response"]
        check(request.get("method") == "GET" and request.get("url", "").startswith("ws://127.0.0.1:"),
              f"{where}.request: {request.get('method')} {request.get('url')}")
        for h in request["headers"] + response["headers"]:
            check(set(h) == {"name", "value"} and all(isinstance(v, str) for v in h.values()), f"{where}: header {h}")
        check(response.get("status") == 101, f"{where}.response.status {response.get('status')!r}")
        for i, m in enumerate(entry["_webSocketMessages"]):
            check(HAR_MESSAGE_KEYS <= set(m) <= HAR_MESSAGE_KEYS | {"_encoding"}, f"{where}._webSocketMessages[{i}]: "
                                                                                  f"keys {sorted(m)}")
            check(m["type"] in ("send", "receive") and m["opcode"] in (1, 2) and isinstance(m["time"], float)
                  and isinstance(m["data"], str) and m.get("_encoding", "base64") == "base64",
                  f"{where}._webSocketMessages[{i}]: {str(m)[:200]}")
            check(m["opcode"] == 1 or "_encoding" not in m, f"{where}._webSocketMessages[{i}]: _encoding on binary")

    chat, raw = chat_connection(record), raw_connection(record)
    entry = next(e for e in entries if "/chat" in e["request"]["url"])
    target, headers = exported_request(record, include_secrets)
    check(entry["request"]["url"] == exported_url(chat["url"], include_secrets),
          f"{out_path}: request.url {entry['request']['url']}")
    check([[h["name"], h["value"]] for h in entry["request"]["headers"]] == headers,
          f"{out_path}: request.headers {entry['request']['headers']}")
    response = record.events_of(chat["id"], "handshake-response")[0]
    check([[h["name"], h["value"]] for h in entry["response"]["headers"]] == response["headers"],
          f"{out_path}: response.headers {entry['response']['headers']}")
    want = recorded_messages(record.events_of(chat["id"]))
    got = har_messages(entry)
    check(got == want, f"{out_path}: _webSocketMessages of /chat: {first_difference(got, want)}")
    close = entry.get("_webSocketClose", {})
    check(close.get("code") == 1000 and close.get("reason") == CLOSE_REASON and close.get("by") == "client",
          f"{out_path}: _webSocketClose {close}")
    raw_entry = next(e for e in entries if e["request"]["url"].endswith("/raw"))
    check(har_messages(raw_entry) == recorded_messages(record.events_of(raw["id"]))
          and raw_entry["_webSocketMessages"][0].get("_encoding") == "base64",
          f"{out_path}: the text frame that is not UTF-8: {raw_entry['_webSocketMessages']}")

    # Back through the binary: the HAR reads without a warning into the same messages, handshakes and closes.
    back = out_path + ".jsonl"
    code, out, err = run_convert(exe, out_path, back, "--include-secrets")
    check(code == 0 and err == "", f"convert {out_path} back to JSONL: exit code {code}, stderr {err!r}")
    converted = Record(back)
    check(sorted(c["url"] for c in converted.connections.values())
          == sorted(exported_url(c["url"], include_secrets) for c in record.connections.values()),
          f"{back}: connections {converted.connections}")
    for conn in (chat, raw):
        mine = next(c for c in converted.connections.values() if c["url"] == exported_url(conn["url"],
                                                                                          include_secrets))
        check(mine["role"] == conn["role"] and mine["peer"] == conn["peer"], f"{back}: connection {mine}")
        events = converted.events_of(mine["id"])
        got, want = recorded_messages(events), recorded_messages(record.events_of(conn["id"]))
        check(got == want, f"{back}: the messages of {conn['url']}: {first_difference(got, want)}")
        for kind in ("handshake-request", "handshake-response"):
            mine_heads = [e for e in events if e["kind"] == kind]
            theirs = record.events_of(conn["id"], kind)[0]
            check(len(mine_heads) == 1, f"{back}: {len(mine_heads)} {kind} events on {conn['url']}")
            head = {k: mine_heads[0].get(k) for k in ("method", "url", "status", "reason", "headers")}
            expected = {k: theirs.get(k) for k in ("method", "url", "status", "reason", "headers")}
            if kind == "handshake-request" and conn is chat:
                expected["url"], expected["headers"] = exported_request(record, include_secrets)
            check(head == expected and mine_heads[0]["ts"] == theirs["ts"], f"{back}: {kind} of {conn['url']}: "
                                                                           f"{mine_heads[0]} vs {theirs}")
    mine = next(c for c in converted.connections.values() if "/chat" in c["url"])
    closes = [(e["dir"], e.get("code"), payload_of(e)) for e in converted.events_of(mine["id"], "close")]
    check(closes == [("c2s", 1000, CLOSE_REASON.encode())], f"{back}: the close of /chat: {closes}")
    info(f"{out_path}: {len(har_messages(entry))} + {len(har_messages(raw_entry))} messages as recorded, also after "
         "converting it back")


# ---------------------------------------------------------------------------------------------------------------
# CSV, text, pcap

def check_csv_format(exe, out_path, record, include_secrets):
    urls = {cid: exported_url(c["url"], include_secrets) for cid, c in record.connections.items()}
    rows = check_csv(out_path, record.events, urls)
    chat = chat_connection(record)["id"]
    heads = [csv_data(row) for row in rows if row["connection"] == str(chat) and row["kind"].startswith("handshake")]
    check(heads == list(exported_heads(record, include_secrets)), f"{out_path}: the handshake heads: {heads}")


def check_text(exe, out_path, record, include_secrets):
    header, blocks = check_text_messages(out_path, record.events)
    for c in record.connections.values():
        line = f"    #{c['id']}  {c['role']}  {exported_url(c['url'], include_secrets)}  peer {c['peer']}"
        check(line in header.split("\n"), f"{out_path}: the header does not list {line.strip()!r}:\n{header}")
    chat = chat_connection(record)["id"]
    request, response = exported_heads(record, include_secrets)
    for head, (first, rest) in zip((request, response), [b for b, e in zip(blocks, record.events)
                                                         if e["conn"] == chat and e["kind"].startswith("handshake")]):
        lines = head.rstrip(b"\r\n").split(b"\r\n")
        check(first.endswith(b"  " + lines[0]) and rest == lines[1:], f"{out_path}: a handshake block: {first!r} "
                                                                      f"{rest}, expected {lines}")


def check_pcap(exe, out_path, record, include_secrets):
    tshark = tool("tshark", "WSI_TSHARK")
    frames = check_pcap_frames(tshark, out_path, record.events)
    target, headers = exported_request(record, include_secrets)
    values = {name.lower(): value for name, value in headers}
    requests = tshark_upgrade_requests(tshark, out_path)
    chat = [r for r in requests if r[0].startswith("/chat")]
    check(chat == [(target, values["authorization"], values["cookie"])],
          f"{out_path}: tshark reads the upgrade requests as {requests}")
    info(f"{out_path}: tshark shows {frames} WebSocket frames as recorded; the request as {chat[0]}")


# One row per format whose content this test checks: extension -> check(exe, out_path, record, include_secrets).
CONTENT_CHECKS = {
    ".jsonl": check_jsonl,
    ".har": check_har,
    ".csv": check_csv_format,
    ".txt": check_text,
    ".pcap": check_pcap,
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
            check_success(code, out, err, out_path, format_name, not include_secrets, record)
            check(os.path.getsize(out_path) > 0, f"{out_path} is empty")
            CONTENT_CHECKS[extension](exe, out_path, record, include_secrets)
            check_secrets(out_path, include_secrets)
            ok(f"{extension}{' --include-secrets' if include_secrets else ''}: content as recorded, secrets "
               f"{'kept' if include_secrets else 'redacted'}")

    # Converting the converted file again changes nothing but the header's creation time.
    again = os.path.join(workdir, "again.jsonl")
    code, out, err = run_convert(exe, os.path.join(workdir, "out-secrets.jsonl"), again, "--include-secrets")
    check_success(code, out, err, again, "JSONL", False, record)
    check(lines_of(again)[1:] == lines_of(os.path.join(workdir, "out-secrets.jsonl"))[1:],
          "a converted session converted again differs")
    ok("JSONL -> JSONL again: the same lines")


# ---------------------------------------------------------------------------------------------------------------
# HAR -> JSONL -> HAR -> JSONL round trips of the HAR files other tools wrote

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "unit", "data")
# name -> (WebSocket entries, the stderr of the first conversion: what the reader says about the file)
HAR_FIXTURES = {
    "chrome-websocket.har": (1, ["skipped 1 entry that is not a WebSocket connection", "converted with 1 warning"]),
    "firefox-websocket.har": (2, ["skipped 1 entry that is not a WebSocket connection", "converted with 1 warning"]),
    "httptoolkit-websocket.har": (2, []),
}


def har_round_trips(exe, workdir):
    for name, (connections, warnings) in HAR_FIXTURES.items():
        source = os.path.join(FIXTURES, name)
        base = os.path.join(workdir, name.removesuffix(".har"))
        paths = [source, f"{base}-1.jsonl", f"{base}-1.har", f"{base}-2.jsonl", f"{base}-2.har", f"{base}-3.jsonl"]
        for step, (source_path, out_path) in enumerate(zip(paths, paths[1:])):
            code, out, err = run_convert(exe, source_path, out_path, "--include-secrets")
            check(code == 0, f"convert {source_path} {out_path}: exit code {code}; stderr {err!r}")
            expected = [f"wsinspector: convert: {source_path}: {w}" for w in warnings] if step == 0 else []
            check(err.splitlines() == expected, f"convert {source_path} {out_path}: stderr {err!r}, expected "
                                                f"{expected}")
        first, second, third = (lines_of(p) for p in paths[1::2])
        record = Record(paths[1])
        check(len(record.connections) == connections and recorded_messages(record.events),
              f"{paths[1]}: {len(record.connections)} connections, {len(recorded_messages(record.events))} messages")
        for a, b in ((second, third),) + (((first, second),) if name.startswith("chrome") else ()):
            check({**a[0], "created": ""} == {**b[0], "created": ""}, f"{name}: header lines {a[0]} vs {b[0]}")
            if a[1:] != b[1:]:
                diff = next(((x, y) for x, y in zip(a[1:], b[1:]) if x != y), "")
                raise Failure(f"{name}: the JSONL files differ ({len(a)} vs {len(b)} lines): {diff}")
        with open(paths[2], "rb") as f, open(paths[4], "rb") as g:
            check(f.read() == g.read(), f"{name}: the two HAR files written differ")
        ok(f"{name}: HAR -> JSONL -> HAR -> JSONL -> HAR -> JSONL: {len(record.events)} events, "
           f"{len(recorded_messages(record.events))} messages; the second and third JSONL are the same"
           f"{' as the first' if name.startswith('chrome') else ''}, and so are the two HAR files")


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
    har_round_trips(exe, workdir)
    bad_arguments_and_input(exe, workdir, record_path)
    skipped_lines(exe, workdir, record_path, record)


if __name__ == "__main__":
    sys.exit(main("convert", body, WATCHDOG_SECONDS))
