#!/usr/bin/python3
"""Our exports of a real recorded session, read by tools we did not write: tshark (Wireshark 4.0) for pcap,
Python's csv module for CSV.

    test_export_tshark.py PATH/TO/wsinspector     (environment: WSI_TSHARK)

  1. `wsinspector serve --port 0 --record X.jsonl` echoes what a Python websockets client sends: texts (ASCII,
     non-ASCII, empty, with a newline and a tab, 100 KB so that it spans TCP segments), binary, a ping, then
     close 1000 "bye";
  2. `wsinspector convert X.jsonl X.pcap` (and .csv, .txt) writes the exports;
  3. `tshark -r X.pcap -Y websocket -T fields -e websocket.opcode -e websocket.payload.text ...` (no -d option)
     yields every recorded frame in order: opcode, direction (mask), text, binary as data.data hex, ping/pong
     payloads, close status code and reason; IPv4 and TCP checksums pass tshark's own validation; the upgrade
     request's Host names the real port;
  4. csv.reader reads one row per recorded event with the recorded payloads (text or base64), CRLF line ends;
  5. the text log names the connection and reads "1000 normal closure: bye".
tshark is a test dependency (packaging/install-deps.sh test): a missing tshark fails the test, it is not skipped.
"""

import asyncio
import base64
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wsitest import STEP_TIMEOUT, Record, Server, check, import_websockets, info, main, ok  # noqa: E402
from exportcheck import check_csv, run, tool  # noqa: E402

websockets = import_websockets()

WATCHDOG_SECONDS = 240

TEXTS = ["hello", "h\u00e9llo w\u00f6rld \u20ac \U0001F600 \u65e5\u672c", "", "line one\nline two\tand a tab, comma",
         "x" * 100_000]
BINARY = bytes([0, 1, 2, 0xFF, 0x80]) + bytes(range(256))
PING = b"ping-1"


async def client(url):
    async with websockets.connect(url, compression=None, ping_interval=None, max_size=None,
                                  open_timeout=STEP_TIMEOUT, close_timeout=STEP_TIMEOUT) as ws:
        for text in TEXTS:
            await ws.send(text)
            echo = await asyncio.wait_for(ws.recv(), STEP_TIMEOUT)
            check(echo == text, f"echo of a {len(text)}-character text differs")
        await ws.send(BINARY)
        echo = await asyncio.wait_for(ws.recv(), STEP_TIMEOUT)
        check(echo == BINARY, "echo of the binary message differs")
        pong = await ws.ping(PING)
        await asyncio.wait_for(pong, STEP_TIMEOUT)
        await ws.close(1000, "bye")


def tshark_escape(text):
    # -T fields shows control characters as C escapes.
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


def expected_frames(record, conn):
    """(opcode, masked, text, data hex, ping hex, pong hex, close code, close reason) per recorded frame."""
    out = []
    for e in record.events_of(conn):
        if e.get("dir") not in ("c2s", "s2c"):
            continue
        masked = "1" if e["dir"] == "c2s" else "0"
        kind = e["kind"]
        data = e.get("data", "")
        raw = base64.b64decode(data) if e.get("enc") == "base64" else data.encode("utf-8")
        if kind == "text":
            out.append(("1", masked, tshark_escape(data), "", "", "", "", ""))
        elif kind == "binary":
            out.append(("2", masked, "", raw.hex(), "", "", "", ""))
        elif kind == "ping":
            out.append(("9", masked, "", "", raw.hex(), "", "", ""))
        elif kind == "pong":
            out.append(("10", masked, "", "", "", raw.hex(), "", ""))
        elif kind == "close":
            code = str(e["code"]) if "code" in e else ""
            out.append(("8", masked, "", "", "", "", code, tshark_escape(e.get("reason", ""))))
    return out


def check_pcap(tshark, pcap, record, conn, port):
    fields = ["websocket.opcode", "websocket.mask", "websocket.payload.text", "data.data", "websocket.payload.ping",
              "websocket.payload.pong", "websocket.payload.close.status_code", "websocket.payload.close.reason"]
    args = [tshark, "-n", "-r", pcap, "-Y", "websocket", "-T", "fields"]
    for field in fields:
        args += ["-e", field]
    output = run(args, "tshark").decode("utf-8")
    got = [tuple(line.split("\t")) for line in output.split("\n") if line]
    want = expected_frames(record, conn)
    check(len(want) >= 2 * len(TEXTS) + 2 + 2 + 2, f"the record holds only {len(want)} frames")
    for index, (g, w) in enumerate(zip(got, want)):
        check(g == w, f"tshark frame {index + 1}: {[x[:80] for x in g]} != recorded {[x[:80] for x in w]}")
    check(len(got) == len(want), f"tshark shows {len(got)} WebSocket frames, the record holds {len(want)}")
    ok(f"tshark: {len(got)} WebSocket frames, opcodes and payloads as recorded, in order "
       f"(opcodes {' '.join(g[0] for g in got)})")

    # Our checksums pass tshark's validation (off by default in Wireshark, so asked for).
    bad = run([tshark, "-n", "-r", pcap, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
               "-Y", "ip.checksum.status == \"Bad\" || tcp.checksum.status == \"Bad\" || tcp.analysis.flags",
               "-T", "fields", "-e", "frame.number"], "tshark checksums").decode().split()
    check(not bad, f"tshark reports bad checksums or TCP analysis problems in frames {bad}")
    ok("tshark: IPv4 and TCP checksums valid, no TCP analysis warning")

    hosts = run([tshark, "-n", "-r", pcap, "-Y", "http.request", "-T", "fields", "-e", "http.host",
                 "-e", "tcp.dstport"], "tshark http").decode().split("\n")
    check(hosts[0] == f"127.0.0.1:{port}\t80", f"upgrade request Host/port in the capture: {hosts[0]!r}")
    ok(f"tshark: the upgrade request names the real port (Host 127.0.0.1:{port}), the capture's server port is 80")


def check_text(path, port):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    check(text.startswith("WebSocket Inspector session log\n"), "the text log has no header")
    check(f"#1  server  ws://127.0.0.1:{port}/" in text, "the text log does not list the connection")
    check("c2s  close" in text and "1000 normal closure: bye" in text, "the text log has no 'close 1000 ... bye'")
    check("h\u00e9llo w\u00f6rld" in text, "the text log lost the non-ASCII text")
    ok("text log: header, connection, close line")


def body(exe, workdir, servers):
    tshark = tool("tshark", "WSI_TSHARK")
    info(run([tshark, "--version"], "tshark --version").decode().split("\n")[0])

    server = Server(exe, workdir, "export")
    servers.append(server)
    asyncio.run(client(server.url))
    server.terminate()
    record = Record(server.record)
    check(len(record.connections) == 1, f"expected one connection, the record has {len(record.connections)}")
    conn = next(iter(record.connections))
    kinds = [e["kind"] for e in record.events_of(conn)]
    check("handshake-request" in kinds and kinds.count("close") == 2 and "pong" in kinds,
          f"the record lacks a part of the exchange: {kinds}")
    ok(f"recorded {len(record.events)} events")

    outputs = {}
    for ext in ("pcap", "csv", "txt"):
        outputs[ext] = os.path.join(workdir, f"export.{ext}")
        out = run([exe, "convert", server.record, outputs[ext]], f"convert to .{ext}").decode()
        check(out.startswith(f"wrote {len(record.events)} events in 1 connection to {outputs[ext]}"),
              f"convert to .{ext}: stdout {out!r}")
    check_pcap(tshark, outputs["pcap"], record, conn, server.port)
    rows = check_csv(outputs["csv"], record.events, {conn: record.connections[conn]["url"]})
    ok(f"csv.reader: {len(rows)} rows, payloads as recorded")
    check_text(outputs["txt"], server.port)


if __name__ == "__main__":
    sys.exit(main("integration_export_tshark", body, WATCHDOG_SECONDS))
