"""Readers of our export formats for the integration tests (test_convert.py, test_export_tshark.py), built on tools
we did not write where there is one: tshark for pcap, Python's csv module for CSV. Each reader returns what the
file says in terms of the record's events, so that a test compares it with what was recorded.
Imported from the directory of the test script; runs under Debian's /usr/bin/python3 (DESIGN.md "Tests")."""

import base64
import csv
import datetime
import io
import json
import os
import re
import subprocess

from wsitest import Failure, check

TOOL_TIMEOUT = 120
CSV_HEADER = ["seq", "time", "timestamp_us", "connection", "url", "direction", "kind", "size", "close_code", "flags",
              "encoding", "data", "note"]
OPCODES = {"text": 1, "binary": 2, "close": 8, "ping": 9, "pong": 10}
FRAME_KINDS = tuple(OPCODES)
TEXT_INDENT = b"    "
TEXT_HEX_DUMP_BYTES = 256  # TextExporter::MaxHexDumpBytes


def tool(name, variable):
    """The program named by environment variable `variable` (set by CMake), or a Failure with advice."""
    path = os.environ.get(variable, "")
    if not path or not os.access(path, os.X_OK):
        raise Failure(f"{name} not found ({variable}={path!r}). Install it: packaging/install-deps.sh test (Debian "
                      f"package {name}), then re-run cmake.")
    return path


def run(args, what, timeout=TOOL_TIMEOUT):
    """Runs a tool that must succeed; returns its stdout bytes."""
    try:
        done = subprocess.run(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failure(f"{what}: still running after {timeout} s: {' '.join(args)}")
    check(done.returncode == 0, f"{what}: exit code {done.returncode}: {' '.join(args)}\n"
                                f"{done.stderr.decode('utf-8', 'replace')[-2000:]}")
    return done.stdout


def payload_of(event):
    """The payload bytes of a text/binary/ping/pong event (its "data"), or of a close (its "reason")."""
    key = "reason" if event.get("kind") == "close" else "data"
    value = event.get(key, "")
    if event.get("enc") == "base64":
        return base64.b64decode(value, validate=True)
    # Python's json keeps a lone surrogate escape as a surrogate; our files never hold one.
    return value.encode("utf-8")


def frame_payload(event):
    """The bytes of a recorded frame's payload as they were on the wire: a close's code comes first."""
    payload = payload_of(event)
    if event["kind"] == "close" and "code" in event:
        return event["code"].to_bytes(2, "big") + payload
    return payload


def wire_frames(events):
    """(connection, opcode, masked, payload) for every recorded frame, in order."""
    return [(e["conn"], OPCODES[e["kind"]], e["dir"] == "c2s", frame_payload(e)) for e in events
            if e.get("dir") in ("c2s", "s2c") and e.get("kind") in FRAME_KINDS]


# ---------------------------------------------------------------------------------------------------------------
# pcap, through tshark

def tshark_frames(tshark, pcap):
    """(tcp stream, opcode, masked, payload) for every WebSocket frame tshark finds in the capture, in order.

    The payload comes from the raw bytes (-T json -x): byte-exact, where -T fields cuts strings at NUL and escapes
    them its own way. tshark unmasks only the first 256 KiB of a masked payload (websocket.payload), so a masked
    payload is unmasked here from websocket.masked_payload and the masking key, and tshark's part must agree."""
    output = run([tshark, "-n", "-r", pcap, "-Y", "websocket", "-T", "json", "-x", "--no-duplicate-keys"],
                 "tshark -T json")
    frames = []
    for packet in json.loads(output.decode("utf-8")):
        layers = packet["_source"]["layers"]
        ws = layers["websocket"]
        check(isinstance(ws, dict), f"frame {layers['frame']['frame.number']}: more than one WebSocket frame in a "
                                    "packet, which our exporter never writes")
        raw = ws.get("websocket.payload_raw")
        payload = bytes.fromhex(raw[0]) if raw else b""
        masked = ws["websocket.mask"] == "1"
        if masked and "websocket.masked_payload_raw" in ws:
            key = bytes.fromhex(ws["websocket.masking_key_raw"][0])
            unmasked = bytes(b ^ key[i % 4] for i, b in enumerate(bytes.fromhex(ws["websocket.masked_payload_raw"][0])))
            check(unmasked.startswith(payload), f"frame {layers['frame']['frame.number']}: tshark unmasks the payload "
                                                "differently")
            payload = unmasked
        frames.append((layers["tcp"]["tcp.stream"], int(ws["websocket.opcode"]), masked, payload))
    return frames


def check_pcap_frames(tshark, pcap, events):
    """tshark sees every recorded frame, in order, with its opcode, mask bit and payload, each connection in a
    TCP stream of its own. Returns the number of frames."""
    got = tshark_frames(tshark, pcap)
    want = wire_frames(events)
    streams = {}
    for index, ((stream, *frame), (conn, *expected)) in enumerate(zip(got, want)):
        if frame != expected:
            raise Failure(f"{pcap}: tshark frame {index + 1}: opcode {frame[0]}, masked {frame[1]}, "
                          f"{len(frame[2])} bytes {frame[2][:60]!r}; recorded opcode {expected[0]}, masked "
                          f"{expected[1]}, {len(expected[2])} bytes {expected[2][:60]!r}")
        check(streams.setdefault(conn, stream) == stream, f"{pcap}: connection {conn} spans TCP streams")
    check(len(got) == len(want), f"{pcap}: tshark shows {len(got)} WebSocket frames, the record holds {len(want)}")
    check(len(set(streams.values())) == len(streams), f"{pcap}: two connections share a TCP stream: {streams}")
    return len(got)


def tshark_upgrade_requests(tshark, pcap):
    """(request URI, Authorization, Cookie) of every HTTP request in the capture."""
    output = run([tshark, "-n", "-r", pcap, "-Y", "http.request", "-T", "fields", "-E", "separator=|",
                  "-e", "http.request.uri", "-e", "http.authorization", "-e", "http.cookie"], "tshark http")
    return [tuple(line.split("|")) for line in output.decode("utf-8").split("\n") if line]


# ---------------------------------------------------------------------------------------------------------------
# CSV, through Python's csv module

def csv_rows(path):
    """The data rows of one of our CSV files, as dicts by column name, after checking the RFC 4180 framing."""
    with open(path, "rb") as f:
        raw = f.read()
    # Records end in CRLF; a bare LF may only appear inside a quoted field, as data.
    quoted = False
    for i, byte in enumerate(raw):
        if byte == ord('"'):
            quoted = not quoted  # a doubled quote flips twice
        elif byte == ord("\n") and not quoted:
            check(i > 0 and raw[i - 1] == ord("\r"), f"{path}: a record ends in a bare LF at byte {i}")
    check(raw.endswith(b"\r\n"), f"{path}: does not end in CRLF")
    csv.field_size_limit(1 << 30)  # a field holds a whole message; the default allows 128 KiB
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    check(rows and rows[0] == CSV_HEADER, f"{path}: header row {rows[:1]}")
    for n, row in enumerate(rows[1:], 2):
        check(len(row) == len(CSV_HEADER), f"{path}: record {n} has {len(row)} fields: {row[:8]}")
    return [dict(zip(CSV_HEADER, row)) for row in rows[1:]]


def csv_data(row):
    return base64.b64decode(row["data"], validate=True) if row["encoding"] == "base64" else row["data"].encode()


def check_csv(path, events, urls):
    """One row per recorded event, in order, with its seq, time, connection and URL (urls: id -> expected URL),
    direction, kind, and for frames the size, close code and payload bytes. Returns the rows."""
    rows = csv_rows(path)
    check(len(rows) == len(events), f"{path}: {len(rows)} rows, the record has {len(events)} events")
    for row, e in zip(rows, events):
        what = f"{path}: the row of seq {e['seq']}"
        check(row["seq"] == str(e["seq"]) and row["timestamp_us"] == str(e["ts"]) and row["kind"] == e["kind"]
              and row["direction"] == e["dir"] and row["connection"] == str(e["conn"]),
              f"{what}: {[row[k] for k in CSV_HEADER[:8]]}")
        check(row["time"] == time_text(e["ts"], "T") + "Z", f"{what}: time {row['time']}")
        check(row["url"] == urls[e["conn"]], f"{what}: url {row['url']!r}, expected {urls[e['conn']]!r}")
        if e["kind"] in FRAME_KINDS:
            check(csv_data(row) == payload_of(e), f"{what}: data differs from the record")
            check(row["size"] == str(e["size"]), f"{what}: size {row['size']}, recorded {e['size']}")
        if e["kind"] in ("close", "closed"):
            check(row["close_code"] == str(e.get("code", "")), f"{what}: close code {row['close_code']!r}")
        if e["kind"] == "binary":
            check(row["encoding"] == "base64", f"{what}: a binary message is not in base64")
    return rows


# ---------------------------------------------------------------------------------------------------------------
# The text log

def time_text(ts, separator=" "):
    """ts (µs since the epoch, UTC) as "2026-11-30 12:00:00.123456"."""
    t = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=ts)
    return t.strftime(f"%Y-%m-%d{separator}%H:%M:%S.%f")


def visible(line):
    """A line of text as the log shows it: control characters other than tab escaped."""
    out = bytearray()
    for byte in line:
        if byte == 0x09 or (byte >= 0x20 and byte != 0x7F):
            out.append(byte)
        elif byte == 0x0D:
            out += b"\\r"
        else:
            out += b"\\x%02x" % byte
    return bytes(out)


def hex_dump(data):
    """The classic hex dump of the first TEXT_HEX_DUMP_BYTES, as the log shows a binary message."""
    lines = []
    shown = data[:TEXT_HEX_DUMP_BYTES]
    for offset in range(0, len(shown), 16):
        chunk = shown[offset:offset + 16]
        hex_part = ""
        for i in range(16):
            hex_part += (f"{chunk[i]:02x}" if i < len(chunk) else "  ") + (" " if i != 7 else "  ")
        ascii_part = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        lines.append(f"{offset:08x}  {hex_part} |{ascii_part}|".encode())
    return lines


def text_blocks(path):
    """The event blocks of a text log: (first line, continuation lines without their indent), in order, after
    the header block."""
    with open(path, "rb") as f:
        raw = f.read()
    check(raw.startswith(b"WebSocket Inspector session log\n"), f"{path}: no header")
    check(b"\n\n" in raw and raw.endswith(b"\n"), f"{path}: no blank line after the header, or no last newline")
    body = raw.split(b"\n\n", 1)[1]
    blocks = []
    for line in body.split(b"\n")[:-1]:
        if line.startswith(TEXT_INDENT):
            check(blocks, f"{path}: a continuation line before the first event: {line[:80]!r}")
            blocks[-1][1].append(line[len(TEXT_INDENT):])
        else:
            check(re.match(rb"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}  #\d+  ", line),
                  f"{path}: event line {line[:80]!r}")
            blocks.append((line, []))
    return raw.split(b"\n\n", 1)[0].decode("utf-8"), blocks


def text_message_lines(e):
    """The exact lines the log gives a recorded text or binary message."""
    payload = payload_of(e)
    head = f"{time_text(e['ts'])}  #{e['conn']}  {e['dir']}  {e['kind']:<8}{str(e['size']) + ' B':>11}  ".encode()
    if e["kind"] == "binary":
        return [head.rstrip(b" ")] + hex_dump(payload) + omitted_line(payload)
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        return [head + b"(not valid UTF-8)"] + hex_dump(payload) + omitted_line(payload)
    lines = payload.split(b"\n")
    lines = [line[:-1] if line.endswith(b"\r") and i < len(lines) - 1 else line for i, line in enumerate(lines)]
    return [(head + visible(lines[0])).rstrip(b" ")] + [visible(line) for line in lines[1:]]


def omitted_line(payload):
    # The count is formatted for the locale ("… 299,744 more bytes"): matched loosely by check_text_messages.
    return [b"OMITTED %d" % (len(payload) - TEXT_HEX_DUMP_BYTES)] if len(payload) > TEXT_HEX_DUMP_BYTES else []


def check_text_messages(path, events):
    """One block per recorded event, in order; every text and binary message exactly as the log renders it.
    Returns (header text, blocks)."""
    header, blocks = text_blocks(path)
    check(len(blocks) == len(events), f"{path}: {len(blocks)} event blocks, the record has {len(events)} events")
    for (first, rest), e in zip(blocks, events):
        prefix = f"{time_text(e['ts'])}  #{e['conn']}  ".encode()
        check(first.startswith(prefix), f"{path}: seq {e['seq']}: line {first[:80]!r}, expected {prefix!r}...")
        column = f"{e['dir'] if e['kind'] in FRAME_KINDS else '   '}  {e['kind']} ".encode()
        check((first + b" ")[len(prefix):].startswith(column), f"{path}: seq {e['seq']}: {first[:80]!r}, expected "
                                                               f"{column!r} after the time and connection")
        if e["kind"] not in ("text", "binary"):
            continue
        want = text_message_lines(e)
        got = [first] + rest
        if want[-1].startswith(b"OMITTED "):
            count = int(want[-1].split()[1])
            match = re.fullmatch(r"\u2026 ([\d.,\s\u00a0\u202f]+) more bytes", got[-1].decode("utf-8"))
            check(match and int(re.sub(r"\D", "", match.group(1))) == count,
                  f"{path}: seq {e['seq']}: the last line should count {count} omitted bytes: {got[-1]!r}")
            want, got = want[:-1], got[:-1]
        if got != want:
            diff = next(i for i in range(max(len(got), len(want))) if got[i:i + 1] != want[i:i + 1])
            raise Failure(f"{path}: seq {e['seq']} ({e['kind']}, {e['size']} B): line {diff + 1} is "
                          f"{got[diff:diff + 1]!r}, expected {want[diff:diff + 1]!r}")
    return header, blocks
