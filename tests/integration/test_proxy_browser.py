#!/usr/bin/python3
"""Integration test of the recording proxy with a real browser: headless Chromium (Debian's chromium) loads a
file:// page whose WebSocket goes through `wsinspector proxy` to a Python websockets echo server (both ends
negotiate permessage-deflate by default: Chromium offers it with client_max_window_bits, websockets 10.4 answers
with 12-bit windows both ways, so the proxy must honour the negotiated window bits).

    test_proxy_browser.py PATH/TO/wsinspector

The page sends MESSAGES (short text, non-ASCII text, a long repetitive text, binary), checks every echo against
what it sent, writes its verdict into the DOM and closes with 1000. Chromium runs with --dump-dom, which prints the
DOM after the load event; the page holds that event back with an image from the upstream's /hold/RUN, which
the upstream answers only once the page's WebSocket connection ended there, so the dump shows the final verdict
(a virtual time budget would not do: it runs out early when nothing but a WebSocket is pending, and a pending
fetch pauses it along with the WebSocket's events). Checks:
  1. the page saw every echo byte-exact (its verdict in the dumped DOM);
  2. the upstream received every message byte-exact, with Chromium's User-Agent and the Host rewritten to it;
  3. the proxy's --record file, after SIGTERM (exit 0): the handshake request has Chromium's headers (User-Agent
     HeadlessChrome, a Sec-WebSocket-Extensions permessage-deflate offer), the 101 response accepted
     permessage-deflate, every message is recorded in both directions decompressed and byte-exact, with the
     compressed flag (and RSV1), the long one much smaller on the wire than inflated; the closes are recorded.
A missing chromium is a failure with advice, never a skip.
"""

import asyncio
import base64
import html
import http
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_proxy import Proxy  # noqa: E402
from test_serve_browser import browser_args, find_chromium, stop_browser  # noqa: E402
from wsitest import Failure, Record, check, header_values, info, main, ok  # noqa: E402

WATCHDOG_SECONDS = 300
BROWSER_TIMEOUT = 120  # a cold Chromium start on a busy 2-core machine can take a while
HOLD_SECONDS = 60  # the longest the upstream holds the page's /hold fetch
LONG = "".join(f'{{"row":{i},"status":"ok","note":"the same words again and again"}},' for i in range(1500))
BINARY = bytes(range(256)) * 3
MESSAGES = [("text", "hello through the proxy"), ("text", "non-ASCII: héllo wörld ✓ 🚀"), ("text", LONG),
            ("binary", BINARY)]


class BrowserProxy(Proxy):
    """`wsinspector proxy --listen 127.0.0.1:0 --upstream URL --record FILE`, read as integration_proxy reads it
    (first stdout line `proxying ws://127.0.0.1:PORT/ -> URL`)."""

    def __init__(self, exe, workdir, name, upstream):  # not Proxy.__init__: it listens with `--listen 0`
        self.name = name
        self.upstream = upstream
        self.shown = upstream  # the first stdout line shows it as given: it holds no secret
        self.record = os.path.join(workdir, f"{name}.jsonl")
        self.stdout_path = os.path.join(workdir, f"{name}.stdout")
        self.stderr_path = os.path.join(workdir, f"{name}.stderr")
        self.args = [exe, "proxy", "--listen", "127.0.0.1:0", "--upstream", upstream, "--record", self.record]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(self.args, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        self.port = self._read_port()
        self.url = f"ws://127.0.0.1:{self.port}/"


class Upstream:
    """A Python websockets echo server (default compression: permessage-deflate) on a thread of its own. It keeps
    what each connection's request and messages were, by path, and answers GET /hold/RUN once the WebSocket
    connection on /browser/RUN ended (or after HOLD_SECONDS)."""

    def __init__(self, websockets):
        self.websockets = websockets
        self.requests = {}  # path -> request headers (list of pairs)
        self.received = {}  # path -> [message, ...]
        self.ended = {}  # run -> asyncio.Event, set when its connection ended
        self.error = None
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="upstream", daemon=True)
        self.thread.start()
        check(self.ready.wait(15), "the Python websockets upstream did not start within 15 s")
        check(self.error is None, f"the Python websockets upstream did not start: {self.error}")

    def _ended(self, run):
        return self.ended.setdefault(run, asyncio.Event())

    async def _echo(self, ws, target):
        path = target.split("?")[0]
        self.requests[path] = list(ws.request_headers.raw_items())
        messages = self.received.setdefault(path, [])
        try:
            async for message in ws:
                messages.append(message)
                await ws.send(message)
        except self.websockets.exceptions.ConnectionClosed:
            pass
        finally:
            match = re.fullmatch(r"/browser/(\d+)", path)
            if match:
                self._ended(match.group(1)).set()

    async def _process_request(self, target, headers):
        match = re.fullmatch(r"/hold/(\d+)", target.split("?")[0])
        if not match:
            return None
        try:
            await asyncio.wait_for(self._ended(match.group(1)).wait(), HOLD_SECONDS)
            body = b"released"
        except asyncio.TimeoutError:
            body = b"timed out"
        return http.HTTPStatus.OK, [("Access-Control-Allow-Origin", "*"), ("Content-Type", "text/plain")], body

    def _run(self):
        asyncio.set_event_loop(self.loop)

        async def start():
            return await self.websockets.serve(self._echo, "127.0.0.1", 0, process_request=self._process_request,
                                               max_size=4 * 1024 * 1024)

        try:
            self.server = self.loop.run_until_complete(start())
            self.port = self.server.sockets[0].getsockname()[1]
        except Exception as error:  # reported by the constructor
            self.error = error
            self.ready.set()
            return
        self.ready.set()
        self.loop.run_forever()

    def stop(self):
        if self.error is None and self.loop.is_running():
            async def close():
                self.server.close()
                await self.server.wait_closed()
            asyncio.run_coroutine_threadsafe(close(), self.loop).result(15)
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(15)


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>wsinspector proxy test</title></head>
<body><pre id="state">loading</pre><pre id="verdict">none</pre><pre id="hold">holding</pre>
<script>
'use strict';
var params = new URLSearchParams(location.search);
var run = params.get('run');
var messages = MESSAGES_JSON;
var $ = function (id) { return document.getElementById(id); };
// The dump comes after the load event, which waits for this image: the upstream answers its request only once
// the page's WebSocket connection ended there, after the verdict below is in the DOM. (Not a fetch with a
// virtual time budget: virtual time pauses while a fetch is pending, and holds back the WebSocket's events.)
var hold = document.createElement('img');
hold.onload = hold.onerror = function () { $('hold').textContent = 'released'; };
hold.src = 'http://127.0.0.1:' + params.get('upstream') + '/hold/' + run;
document.body.appendChild(hold);
function bytesOf(message) {
  var s = atob(message[1]), out = new Uint8Array(s.length);
  for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
function same(sent, got) {
  if (sent[0] === 'text') return typeof got === 'string' && got === sent[1];
  if (!(got instanceof ArrayBuffer)) return false;
  var a = bytesOf(sent), b = new Uint8Array(got);
  if (a.length !== b.length) return false;
  for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
var ws = new WebSocket('ws://127.0.0.1:' + params.get('proxy') + '/browser/' + run + '?from=chromium');
ws.binaryType = 'arraybuffer';
var echoes = [];
ws.onopen = function () {
  $('state').textContent = 'open';
  messages.forEach(function (m) { ws.send(m[0] === 'text' ? m[1] : bytesOf(m)); });
};
ws.onmessage = function (e) {
  echoes.push(e.data);
  if (echoes.length < messages.length) return;
  var verdict = messages.map(function (m, i) {
    return { kind: m[0], same: same(m, echoes[i]),
             length: typeof echoes[i] === 'string' ? echoes[i].length : echoes[i].byteLength };
  });
  $('verdict').textContent = JSON.stringify(verdict);
  $('state').textContent = 'echoed';
  ws.close(1000, 'done');
};
ws.onerror = function () { $('state').textContent = 'error'; };
ws.onclose = function (e) { if ($('state').textContent !== 'echoed') $('state').textContent = 'closed ' + e.code; };
</script></body></html>
"""


def write_page(workdir):
    encoded = [[kind, value if kind == "text" else base64.b64encode(value).decode("ascii")]
               for kind, value in MESSAGES]
    path = os.path.join(workdir, "page.html")
    with open(path, "w", encoding="utf-8") as f:
        # </ cannot occur in the JSON of our messages, so the script element cannot end early.
        f.write(PAGE.replace("MESSAGES_JSON", json.dumps(encoded)))
    return path


def dump_page(chromium, page_url, workdir, run):
    """Runs Chromium with --dump-dom on the page; returns (state, verdict, hold text, stderr tail)."""
    profile = tempfile.mkdtemp(prefix=f"wsi-chromium-proxy-{run}-", dir=workdir)
    args = browser_args(chromium, profile, "--dump-dom", page_url)
    info(f"run {run}: {' '.join(args)}")
    browser = None
    try:
        browser = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   start_new_session=True)
        try:
            dom, errors = browser.communicate(timeout=BROWSER_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise Failure(f"Chromium's --dump-dom of the page took over {BROWSER_TIMEOUT} s") from None
    finally:
        stop_browser(browser)
    shutil.rmtree(profile, ignore_errors=True)
    text = dom.decode("utf-8", "replace")

    def element(name):
        match = re.search(rf'<pre id="{name}">(.*?)</pre>', text, re.S)
        return html.unescape(match.group(1)).strip() if match else None

    return element("state"), element("verdict"), element("hold"), errors[-1500:].decode("utf-8", "replace")


def payload_of(event):
    """The recorded message as (kind, bytes or str)."""
    data = event.get("data", "")
    if event.get("enc") == "base64":
        data = base64.b64decode(data)
        # Text in base64 is text that is not UTF-8: shown with replacement characters, it cannot match.
        return event.get("kind"), data.decode("utf-8", "replace") if event.get("kind") == "text" else data
    return event.get("kind"), data


def extension_params(value):
    """'permessage-deflate; server_max_window_bits=12' -> ('permessage-deflate', {...})."""
    parts = [p.strip() for p in value.split(";")]
    params = {}
    for p in parts[1:]:
        name, _, v = p.partition("=")
        params[name.strip().lower()] = v.strip().strip('"')
    return parts[0].lower(), params


def check_record(record, path):
    conns = [c for c in record.connections
             if any(e.get("url", "").startswith(path) for e in record.events_of(c, kind="handshake-request"))]
    check(len(conns) == 1, f"expected one recorded connection for {path}, found {conns}"
                           f" among {list(record.connections.values())}")
    conn = conns[0]
    requests = record.events_of(conn, kind="handshake-request")
    request = requests[0]
    agents = header_values(request, "User-Agent")
    check(agents and "HeadlessChrome" in agents[0], f"the recorded request's User-Agent is {agents}, expected"
                                                    " HeadlessChrome's")
    offers = header_values(request, "Sec-WebSocket-Extensions")
    check(any(extension_params(o.split(",")[0])[0] == "permessage-deflate" for o in offers),
          f"the recorded request offers extensions {offers}, expected Chromium's permessage-deflate offer")
    ok(f"recorded request: GET {request.get('url')}, User-Agent {agents[0]!r}, Sec-WebSocket-Extensions {offers}")

    responses = record.events_of(conn, kind="handshake-response")
    check(responses, f"no handshake-response recorded on connection {conn}")
    response = responses[-1]
    check(response.get("status") == 101, f"the recorded response has status {response.get('status')}, expected 101")
    accepted = header_values(response, "Sec-WebSocket-Extensions")
    check(len(accepted) == 1 and extension_params(accepted[0])[0] == "permessage-deflate",
          f"the recorded 101 accepts extensions {accepted}, expected permessage-deflate")
    ok(f"recorded response: 101 with Sec-WebSocket-Extensions {accepted[0]!r}")

    errors = record.events_of(conn, kind="error")
    check(not errors, f"the proxy recorded errors on the page's connection: {errors}")
    for direction in ("c2s", "s2c"):
        data = [e for e in record.events_of(conn, direction=direction) if e.get("kind") in ("text", "binary")]
        got = [payload_of(e) for e in data]
        expected = [(kind, value) for kind, value in MESSAGES]
        shown = [(k, v if len(v) < 80 else f"{len(v)} long") for k, v in got]
        check(got == expected, f"{direction}: recorded {shown}, expected the page's messages"
                               f" {[(k, len(v)) for k, v in expected]} decompressed, in order")
        for e in data:
            check(e.get("compressed") is True and (e.get("rsv", 0) & 4),
                  f"{direction} {e.get('kind')} message of {e.get('size')} bytes is not marked compressed with"
                  f" RSV1: {dict((k, v) for k, v in e.items() if k != 'data')}")
        long_event = data[2]
        check(0 < long_event.get("size", 0) < len(LONG) // 4,
              f"{direction}: the long message is {long_event.get('size')} bytes on the wire, expected well under"
              f" {len(LONG)} (compressed)")
        ok(f"{direction}: {len(data)} messages recorded decompressed and byte-exact, all compressed (the long one"
           f" {long_event.get('size')} bytes on the wire for {len(LONG)})")
    closes = {e.get("dir"): e.get("code") for e in record.events_of(conn, kind="close")}
    check(closes.get("c2s") == 1000, f"the page's close 1000 was not recorded c2s: {closes}")
    ok(f"closes recorded: {closes}")


def body(exe, workdir, servers):
    chromium = find_chromium()
    import websockets
    upstream = Upstream(websockets)
    try:
        proxy = BrowserProxy(exe, workdir, "proxy", f"ws://127.0.0.1:{upstream.port}/")
        servers.append(proxy)
        info(f"upstream ws://127.0.0.1:{upstream.port}/, proxy {proxy.url}")
        page = write_page(workdir)
        run = 1
        page_url = f"file://{page}?run={run}&proxy={proxy.port}&upstream={upstream.port}"
        state, verdict, hold, errors = dump_page(chromium, page_url, workdir, run)
        proxy.check_alive("the browser test")
        check(state == "echoed", f"the page ended in state {state!r} (hold: {hold!r}); Chromium's stderr ends with:"
                                 f" {errors}")
        results = json.loads(verdict)
        check([r["kind"] for r in results] == [kind for kind, _ in MESSAGES] and all(r["same"] for r in results),
              f"the page's echoes differ from what it sent: {results}")
        ok(f"the page saw its {len(results)} messages echoed byte-exact through the proxy: {results}")

        path = f"/browser/{run}"
        received = upstream.received.get(path)
        check(received == [value for _, value in MESSAGES],
              f"the upstream received {[len(m) for m in received or []]} on {path}, expected the page's messages"
              f" {[len(v) for _, v in MESSAGES]} byte-exact (connections seen: {list(upstream.received)})")
        headers = upstream.requests[path]
        hosts = [v for k, v in headers if k.lower() == "host"]
        agents = [v for k, v in headers if k.lower() == "user-agent"]
        check(hosts == [f"127.0.0.1:{upstream.port}"], f"the upstream saw Host {hosts}, expected the upstream's")
        check(agents and "HeadlessChrome" in agents[0], f"the upstream saw User-Agent {agents}, expected Chromium's")
        ok(f"the upstream received the messages byte-exact, Host {hosts[0]}, Chromium's User-Agent")

        proxy.terminate()
        check_record(Record(proxy.record), path)
    finally:
        upstream.stop()


if __name__ == "__main__":
    sys.exit(main("integration_proxy_browser", body, WATCHDOG_SECONDS))
