#!/usr/bin/python3
"""Integration test of the test server with a real browser: headless Chromium (Debian's chromium) opens the
browser test page the server serves, the page connects back over WebSocket and sends what its ?send= asks.

    test_serve_browser.py PATH/TO/wsinspector

Checks, all read from the server's --record file (polled while Chromium runs):
  1. the page's WebSocket reached the server on the path given by ?path=, with Chromium's User-Agent
     (HeadlessChrome) and the page's own Origin (http://127.0.0.1:PORT) in the handshake request;
  2. both ?send= messages arrived as c2s text, in order, and the server echoed them (s2c);
then Chromium is killed (its whole process group). A second page, from Chromium's --dump-dom, sends more
messages at once than its log keeps: 3. the log holds its last LOG_LIMIT entries, the oldest dropped.
Then the server ends with exit 0 on SIGTERM.
A missing chromium is a failure with advice, never a skip.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wsitest import Failure, Record, Server, check, header_values, info, main, ok  # noqa: E402

WATCHDOG_SECONDS = 180
BROWSER_TIMEOUT = 90  # a cold Chromium start on a busy 2-core machine can take a while
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
MESSAGES = ["hello-from-chromium", "second message ✓"]
WS_PATH = "/from-page"
LOG_LIMIT = 2000  # the page's MaxLogEntries
# Sent at once when the page connects: with "connecting" and "connected", more entries than the log keeps, whatever
# the echoes do. The request line must stay within the server's 16 KiB request head.
FLOOD = LOG_LIMIT + 50
FLOOD_ATTEMPTS = 3  # dumps of the flooded page taken before its WebSocket opened (see check_log_limit)


def find_chromium():
    for candidate in CHROMIUM_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    raise Failure("headless Chromium is missing (looked for " + ", ".join(CHROMIUM_CANDIDATES) + "). Install "
                  "Debian's chromium: packaging/install-deps.sh test (make test does it), or apt-get install chromium")


def stop_browser(browser):
    """Ends Chromium and every helper process it started (they share its process group)."""
    if browser is None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(browser.pid, sig)
        except ProcessLookupError:
            return
        try:
            browser.wait(timeout=5)
            if sig == signal.SIGTERM:
                # The main process is gone; make sure no helper lingers in the group.
                os.killpg(browser.pid, signal.SIGKILL)
            return
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            return


def find_page_connection(record, port):
    """The connection whose handshake came from Chromium and that carried the page's messages, or None yet."""
    for conn in record.connections:
        requests = record.events_of(conn, kind="handshake-request")
        if not requests:
            continue
        agents = header_values(requests[0], "User-Agent")
        if not any("Chrome" in agent for agent in agents):
            continue
        texts = [e.get("data") for e in record.events_of(conn, kind="text", direction="c2s")]
        if MESSAGES[-1] in texts:
            return conn, requests[0], agents[0]
    return None


def browser_args(chromium, profile, *extra):
    return [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-extensions", "--disable-sync",
            "--no-default-browser-check", "--disable-breakpad", "--disable-crash-reporter",
            f"--user-data-dir={profile}", *extra]


def check_log_limit(chromium, server, workdir):
    """The page's log keeps its last LOG_LIMIT entries: FLOOD messages sent at once push the first ones out."""
    query = urllib.parse.urlencode([("send", "x")] * FLOOD + [("path", "/flood")])
    page = f"http://127.0.0.1:{server.port}/?{query}"
    # --dump-dom prints the page once it settled; the virtual time budget lets it connect and send first. Virtual
    # time runs out early when nothing counts as pending for a moment, which a loaded machine can make happen
    # before the WebSocket even opened: a page that is still "connecting" says nothing about the log's limit,
    # so that (and only that) is tried again.
    for attempt in range(1, FLOOD_ATTEMPTS + 1):
        profile = tempfile.mkdtemp(prefix="wsi-chromium-flood-", dir=workdir)
        args = browser_args(chromium, profile, "--virtual-time-budget=10000", "--dump-dom", page)
        browser = None
        try:
            browser = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                       stderr=subprocess.PIPE, start_new_session=True)
            try:
                dom, errors = browser.communicate(timeout=BROWSER_TIMEOUT)
            except subprocess.TimeoutExpired:
                raise Failure(f"Chromium's --dump-dom of the flooded page took over {BROWSER_TIMEOUT} s") from None
        finally:
            stop_browser(browser)
        entries = re.findall(r'<li class="([a-z]+)">.*?</span>(.*?)</li>', dom.decode("utf-8", "replace"), re.S)
        kinds = sorted({kind for kind, _ in entries})
        if kinds != ["connecting"] or attempt == FLOOD_ATTEMPTS:
            break
        info(f"the flooded page was dumped before its WebSocket opened (attempt {attempt}); trying again")
        shutil.rmtree(profile, ignore_errors=True)
    check(len(entries) == LOG_LIMIT,
          f"the page's log holds {len(entries)} entries after {FLOOD} messages sent at once, expected the last"
          f" {LOG_LIMIT} (kinds: {kinds}; Chromium's stderr ends with:"
          f" {errors[-800:].decode('utf-8', 'replace')})")
    check(set(kinds) <= {"sent", "received"},
          f"the page's log still holds {kinds}: its oldest entries (connecting, connected) should have gone")
    ok(f"the page's log kept its last {LOG_LIMIT} entries of {FLOOD + 2} or more")
    shutil.rmtree(profile, ignore_errors=True)


def body(exe, workdir, servers):
    chromium = find_chromium()
    server = Server(exe, workdir, "browser")
    servers.append(server)
    query = urllib.parse.urlencode([("send", m) for m in MESSAGES] + [("path", WS_PATH)])
    page = f"http://127.0.0.1:{server.port}/?{query}"
    profile = tempfile.mkdtemp(prefix="wsi-chromium-profile-", dir=workdir)
    log_path = os.path.join(workdir, "chromium.log")
    args = browser_args(chromium, profile, page)
    browser = None
    try:
        with open(log_path, "wb") as log:
            browser = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        info(f"started {' '.join(args[:-1])} {page}")
        started = time.monotonic()
        found = None
        while found is None:
            if time.monotonic() - started > BROWSER_TIMEOUT:
                with open(log_path, "rb") as f:
                    tail = f.read()[-1500:].decode("utf-8", "replace")
                record = Record(server.record, complete=False)
                seen = [(c, [h for e in record.events_of(c, kind="handshake-request")
                             for h in header_values(e, "User-Agent")]) for c in record.connections]
                raise Failure(f"no connection from Chromium with the page's messages was recorded within"
                              f" {BROWSER_TIMEOUT} s; connections seen (id, User-Agent): {seen}; Chromium"
                              f" {'exited with ' + str(browser.poll()) if browser.poll() is not None else 'runs'};"
                              f" its log ends with: {tail}")
            server.check_alive("the browser test")
            time.sleep(0.25)
            found = find_page_connection(Record(server.record, complete=False), server.port)
        conn, request, agent = found
        ok(f"Chromium's page connected after {time.monotonic() - started:.1f} s, User-Agent {agent!r}")
    finally:
        stop_browser(browser)
    check("HeadlessChrome" in agent, f"User-Agent {agent!r} is not HeadlessChrome")
    check_log_limit(chromium, server, workdir)
    server.terminate()

    record = Record(server.record)
    check(request.get("url") == WS_PATH, f"the page's handshake asked for {request.get('url')!r}, expected"
                                         f" {WS_PATH!r} (?path=)")
    origins = header_values(request, "Origin")
    check(origins == [f"http://127.0.0.1:{server.port}"],
          f"the page's handshake Origin is {origins}, expected ['http://127.0.0.1:{server.port}']")
    ok(f"handshake: GET {request.get('url')} from Origin {origins[0]}")
    c2s = [e.get("data") for e in record.events_of(conn, kind="text", direction="c2s")]
    s2c = [e.get("data") for e in record.events_of(conn, kind="text", direction="s2c")]
    check(c2s == MESSAGES, f"the page sent {c2s}, expected {MESSAGES} (?send= twice, in order)")
    check(s2c == MESSAGES, f"the server echoed {s2c} to the page, expected {MESSAGES}")
    ok(f"the page sent {MESSAGES} and the server echoed both")
    shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main("integration_serve_browser", body, WATCHDOG_SECONDS))
