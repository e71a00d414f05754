#!/usr/bin/python3
"""Integration test of the TLS test server (`wsinspector serve --tls-cert F --tls-key F`) against Python's
`websockets` (Debian's python3-websockets 10.4), `ssl` and `http.client`:

    test_serve_tls.py PATH/TO/wsinspector

A throwaway self-signed certificate (CN=localhost, SAN DNS:localhost and IP:127.0.0.1) and its key are made with
the `openssl` command in a temporary directory, deleted at the end; no key is ever kept in the repository.

Checks:
  1. the first stdout line is "listening on wss://127.0.0.1:PORT/";
  2. a client trusting the certificate connects to wss://127.0.0.1:PORT/ and gets its echoes (text and binary);
  3. a client with the default trust store fails with a certificate verification error, and the server goes on;
  4. a plain ws:// client on the TLS port fails without hurting the server;
  5. https GET / returns the browser test page (200 text/html);
  6. a certificate file that does not exist: the server refuses to start, naming the file;
  7. SIGTERM -> exit 0; the record file holds the wss connection and its messages.
"""

import asyncio
import http.client
import os
import shutil
import ssl
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wsitest import (STEP_TIMEOUT, Failure, Record, Server, check, import_websockets, main, ok,  # noqa: E402
                     recv_within, run_serve_expecting_error)

websockets = import_websockets()

WATCHDOG_SECONDS = 180


def make_certificate(workdir):
    openssl = shutil.which("openssl") or "/usr/bin/openssl"
    check(os.access(openssl, os.X_OK), "the openssl command is missing: install Debian's openssl"
                                       " (packaging/install-deps.sh test; make test does it)")
    key, cert = os.path.join(workdir, "k.pem"), os.path.join(workdir, "c.pem")
    try:
        done = subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                               "-days", "1", "-subj", "/CN=localhost",
                               "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                              stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise Failure("openssl req did not make a certificate within 60 s")
    check(done.returncode == 0 and os.path.exists(key) and os.path.exists(cert),
          f"openssl req failed with {done.returncode}: {done.stderr.decode('utf-8', 'replace')}")
    ok("throwaway self-signed certificate for localhost and 127.0.0.1 made with openssl")
    return cert, key


def options(**extra):
    result = dict(compression=None, ping_interval=None, open_timeout=STEP_TIMEOUT, close_timeout=STEP_TIMEOUT)
    result.update(extra)
    return result


async def trusted_echo(url, trusting):
    ws = await asyncio.wait_for(websockets.connect(url, ssl=trusting, **options()), STEP_TIMEOUT)
    port = ws.local_address[1]
    for message in ("over TLS ✓", b"\x00\x01binary\xff", "x" * 70000):
        await ws.send(message)
        got = await recv_within(ws, STEP_TIMEOUT, "wss echo")
        check(got == message, f"wss: echo of a {type(message).__name__} of {len(message)} differs: {got[:60]!r}")
    await asyncio.wait_for(ws.close(1000, "done"), STEP_TIMEOUT)
    check(ws.close_code == 1000, f"wss: close answered with {ws.close_code}")
    return port


async def untrusted(url):
    try:
        ws = await asyncio.wait_for(websockets.connect(url, ssl=ssl.create_default_context(), **options()),
                                    STEP_TIMEOUT)
    except ssl.SSLCertVerificationError as error:
        return error
    await ws.close()
    raise Failure("wss: a client with the default trust store accepted the self-signed certificate")


async def plain_on_tls_port(port):
    try:
        ws = await asyncio.wait_for(websockets.connect(f"ws://127.0.0.1:{port}/", **options()), STEP_TIMEOUT)
    except asyncio.TimeoutError:
        raise Failure("a plain ws:// client on the TLS port hung instead of failing")
    except Exception as error:  # any refusal will do (InvalidMessage, ConnectionClosed, reset, ...)
        return error
    await ws.close()
    raise Failure("a plain ws:// client completed a handshake on the TLS port")


def https_page(port, trusting):
    connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=STEP_TIMEOUT, context=trusting)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        status, content_type, body = response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()
    check(status == 200, f"https GET / -> {status}, expected 200")
    check(content_type.lower().startswith("text/html"), f"https GET / Content-Type {content_type!r}")
    check(b"<html" in body and b"WebSocket Inspector test page" in body, f"https GET / body: {body[:200]!r}")
    ok(f"https GET / -> 200 {content_type}, the test page ({len(body)} bytes)")


def body(exe, workdir, servers):
    cert, key = make_certificate(workdir)

    missing = os.path.join(workdir, "missing-cert.pem")
    code, out, err = run_serve_expecting_error(exe, ["--port", "0", "--tls-cert", missing, "--tls-key", key])
    check(code in (1, 2) and "listening" not in out,
          f"serve with a missing certificate file exited with {code} (stdout {out!r}), expected 1 or 2 without"
          " listening")
    check("missing-cert.pem" in err, f"serve with a missing certificate file: stderr {err!r} does not name it")
    ok(f"missing certificate file -> exit {code}: {err.strip()}")

    server = Server(exe, workdir, "tls", ["--tls-cert", cert, "--tls-key", key], scheme="wss")
    servers.append(server)
    ok(f"serve --tls-cert --tls-key printed {server.url}")
    trusting = ssl.create_default_context(cafile=cert)

    error = asyncio.run(untrusted(server.url))
    ok(f"default trust store: certificate verification error ({error.verify_message or error})")
    error = asyncio.run(plain_on_tls_port(server.port))
    ok(f"plain ws:// on the TLS port fails: {type(error).__name__}")
    port = asyncio.run(trusted_echo(server.url, trusting))
    ok("a client trusting c.pem gets its echoes over wss (text, binary, 70 kB) after the failed attempts")
    https_page(server.port, trusting)
    server.terminate()

    record = Record(server.record)
    conn = record.connection_for(port)
    url = record.connections[conn].get("url", "")
    check(url.startswith("wss://"), f"record: the TLS connection's url is {url!r}, expected wss://...")
    messages = [e for e in record.events_of(conn) if e["kind"] in ("text", "binary")]
    check(len(messages) == 6, f"record: {len(messages)} messages on the wss connection, expected 3 each way")
    ok(f"record: the wss connection ({url}) with its 6 messages")


if __name__ == "__main__":
    sys.exit(main("integration_serve_tls", body, WATCHDOG_SECONDS))
