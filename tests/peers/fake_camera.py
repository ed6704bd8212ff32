#!/usr/bin/env python3
"""A scripted RTSP camera that never streams: it answers OPTIONS, asks for
credentials, redirects DESCRIBE and records every request it receives, so
that a test can see what a client sent where (credentials above all).

    fake_camera.py --listen HOST:PORT [--listen HOST:PORT ...]
                   [--auth none|basic|digest] [--redirect PATH=URL ...]

Every listener behaves the same:
- OPTIONS: 200 with a Public header.
- DESCRIBE without an Authorization header, when --auth is not none: 401
  with one WWW-Authenticate challenge of that scheme. Any Authorization
  header is accepted (what matters is whether and where it is sent).
- DESCRIBE of a PATH given to --redirect: 302 with `Location: URL`.
- anything else: 404.
A PORT of 0 picks a free port; "{0}" in a --listen PORT or a --redirect URL
stands for the port of the first listener, "{1}" for the second's...

Prints `READY PORT0 PORT1 ...` once listening, then one line per request:
`REQUEST {"listener": "HOST:PORT", "method", "uri", "headers": {name: value}}`
(header names in lower case). Standard library only; stops on SIGTERM/SIGINT.
"""
import argparse
import json
import signal
import socket
import sys
import threading


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", action="append", required=True)
    ap.add_argument("--auth", choices=["none", "basic", "digest"], default="none")
    ap.add_argument("--redirect", action="append", default=[])
    return ap.parse_args()


print_lock = threading.Lock()


def emit(line):
    with print_lock:
        print(line, flush=True)


def read_request(f):
    """One request from a file object: (method, uri, headers) or None at EOF."""
    line = f.readline()
    while line in (b"\r\n", b"\n"):
        line = f.readline()
    if not line:
        return None
    parts = line.decode("latin-1").split()
    if len(parts) != 3:
        return None
    headers = {}
    while True:
        h = f.readline()
        if not h or h in (b"\r\n", b"\n"):
            break
        name, _, value = h.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    if length:
        f.read(length)
    return parts[0], parts[1], headers


def serve_connection(conn, listener, args, redirects):
    try:
        answer_requests(conn, listener, args, redirects)
    except OSError:
        pass  # the client went away
    finally:
        conn.close()


def answer_requests(conn, listener, args, redirects):
    with conn.makefile("rb") as f:
        while True:
            req = read_request(f)
            if req is None:
                return
            method, uri, headers = req
            emit("REQUEST " + json.dumps({"listener": listener, "method": method, "uri": uri, "headers": headers}))
            path = "/" + uri.split("://", 1)[-1].split("/", 1)[-1] if "://" in uri else uri
            extra = []
            if method == "OPTIONS":
                status = "200 OK"
                extra.append("Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN")
            elif method == "DESCRIBE" and args.auth != "none" and "authorization" not in headers:
                status = "401 Unauthorized"
                if args.auth == "basic":
                    extra.append('WWW-Authenticate: Basic realm="fake"')
                else:
                    extra.append('WWW-Authenticate: Digest realm="fake", nonce="0a4f113b5c2d"')
            elif method == "DESCRIBE" and path in redirects:
                status = "302 Found"
                extra.append("Location: " + redirects[path])
            else:
                status = "404 Not Found"
            cseq = headers.get("cseq", "0")
            answer = "\r\n".join([f"RTSP/1.0 {status}", f"CSeq: {cseq}", *extra, "Content-Length: 0", "", ""])
            conn.sendall(answer.encode())


def main():
    args = parse_args()
    sockets, ports = [], []
    for spec in args.listen:
        host, _, port = spec.rpartition(":")
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, int(port.format(*ports))))
        except OSError as e:
            print(f"cannot listen on {spec}: {e}", file=sys.stderr)
            sys.exit(2)
        s.listen(16)
        sockets.append(s)
        ports.append(s.getsockname()[1])
    redirects = {}
    for r in args.redirect:
        path, _, url = r.partition("=")
        redirects[path] = url.format(*ports)

    def accept_loop(s):
        host, port = s.getsockname()
        while True:
            try:
                conn, _ = s.accept()
            except OSError:
                return
            threading.Thread(target=serve_connection, args=(conn, f"{host}:{port}", args, redirects),
                             daemon=True).start()

    for s in sockets:
        threading.Thread(target=accept_loop, args=(s,), daemon=True).start()
    emit("READY " + " ".join(str(p) for p in ports))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass


if __name__ == "__main__":
    main()
