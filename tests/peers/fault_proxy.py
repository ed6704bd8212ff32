#!/usr/bin/env python3
"""A TCP proxy for RTSP with faults switched at run time (test peer).

Needs only the Python 3 standard library (any python3 >= 3.7); no Debian
package beyond python3.

Usage:
  python3 tests/peers/fault_proxy.py --upstream HOST:PORT [--port 0]
      [--control-port 0] [--udp] [--udp-loss P] [--udp-delay-ms D]
      [--udp-reorder P] [--seed N] [--verbose]

Prints one line "READY PORT CONTROL_PORT" on stdout once it listens (both on
127.0.0.1 unless --listen says otherwise; 0 = a free port, the bound one is
printed). The RTSP client connects to PORT; each connection gets its own
upstream connection. Bytes are passed through unchanged unless --udp.

Control: line commands, each answered by one line "OK ..." or "ERR ...":
  - on a TCP connection to CONTROL_PORT (several may be open), and
  - on stdin when stdin is a pipe or a terminal (answers go to stdout).
Commands:
  stall          stop forwarding server->client bytes (TCP, and UDP packets
                 are dropped), connections stay open; client->server flows
  resume         undo stall (held TCP bytes are then delivered)
  drop           close every current connection (client and upstream side)
  reset          same, with TCP RST instead of FIN
  refuse         new connections are accepted and closed at once
  hang           new connections are accepted and never answered
  accept         new connections are proxied (the default)
  udp-loss P     drop this fraction (0..1) of server->client UDP packets
                 (1 = UDP blocked: a client must fall back to TCP)
  udp-delay MS   delay server->client UDP packets by MS milliseconds
  udp-reorder P  hold back this fraction of packets behind the next one
  status         "OK mode=... stalled=0|1 conns=N accepted=N udp_fwd=N
                 udp_lost=N udp_reordered=N relays=N"
  quit           exit
--udp: the proxy parses the RTSP stream, rewrites client_port/server_port
(and source) in the Transport headers of SETUP requests and responses, and
relays the RTP/RTCP UDP packets through its own ports, applying the UDP
faults (server->client only). TCP-interleaved sessions pass unchanged.

Exits on SIGTERM/SIGINT, on "quit", and when stdin is a pipe closed by the
parent. Every wait is bounded (select timeouts <= 0.2 s, upstream connect
timeout 5 s).
"""

import argparse
import errno
import heapq
import os
import random
import re
import select
import signal
import socket
import stat
import struct
import sys
import time

MAX_BUF = 1 << 20          # stop reading a side when this much is queued
MAX_HEADER = 64 * 1024     # give up parsing beyond this (then raw pass-through)
CONNECT_TIMEOUT = 5.0
REORDER_FLUSH = 0.2        # a held-back packet waits at most this long


def log(args, *msg):
    if args.verbose:
        print("fault_proxy:", *msg, file=sys.stderr, flush=True)


class Framer:
    """Splits an RTSP byte stream into messages and interleaved frames.

    feed() returns a list of (kind, bytes): kind is "msg" (a full RTSP
    request/response with its body), "data" ($-framed) or "raw" (anything
    unparseable; the framer then stays raw for good)."""

    def __init__(self):
        self.buf = bytearray()
        self.raw = False

    def feed(self, data):
        self.buf += data
        out = []
        while self.buf:
            if self.raw:
                out.append(("raw", bytes(self.buf)))
                self.buf.clear()
                break
            if self.buf[0:1] == b"$":
                if len(self.buf) < 4:
                    break
                n = 4 + struct.unpack(">H", self.buf[2:4])[0]
                if len(self.buf) < n:
                    break
                out.append(("data", bytes(self.buf[:n])))
                del self.buf[:n]
                continue
            if self.buf[0:1] in (b"\r", b"\n"):
                out.append(("raw", bytes(self.buf[:1])))
                del self.buf[:1]
                continue
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > MAX_HEADER:
                    self.raw = True
                    continue
                break
            head = bytes(self.buf[:end + 4])
            m = re.search(rb"(?im)^content-length[ \t]*:[ \t]*(\d+)", head)
            n = end + 4 + (int(m.group(1)) if m else 0)
            if len(self.buf) < n:
                break
            out.append(("msg", bytes(self.buf[:n])))
            del self.buf[:n]
        return out


def header_value(head, name):
    m = re.search(rb"(?im)^" + re.escape(name) + rb"[ \t]*:[ \t]*(.*?)\r?$", head)
    return m.group(1).decode("latin-1").strip() if m else None


def replace_header(msg, name, value):
    end = msg.find(b"\r\n\r\n")
    head, rest = msg[:end], msg[end:]
    head = re.sub(rb"(?im)^(" + re.escape(name) + rb"[ \t]*:[ \t]*).*?(\r?)$",
                  lambda m: m.group(1) + value.encode("latin-1") + m.group(2),
                  head, count=1)
    return head + rest


def parse_ports(value):
    """'5000-5001' -> (5000, 5001); '5000' -> (5000, None)."""
    a, _, b = value.partition("-")
    return int(a), (int(b) if b else None)


def fmt_ports(a, b):
    return f"{a}-{b}" if b is not None else f"{a}"


def set_param(spec, key, value):
    """Set or replace key=value in one transport spec ('RTP/AVP;unicast;...')."""
    parts = spec.split(";")
    for i, p in enumerate(parts):
        if p.strip().split("=", 1)[0].strip().lower() == key:
            parts[i] = f"{key}={value}"
            return ";".join(parts)
    return spec


def get_param(spec, key):
    for p in spec.split(";"):
        k, eq, v = p.strip().partition("=")
        if k.strip().lower() == key and eq:
            return v.strip()
    return None


def bind_pair(host):
    """Two UDP sockets on consecutive ports, the first even (RTP, RTCP)."""
    for _ in range(50):
        a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        a.bind((host, 0))
        port = a.getsockname()[1]
        if port % 2 == 0 and port < 65535:
            b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                b.bind((host, port + 1))
            except OSError:
                a.close()
                b.close()
                continue
            for s in (a, b):
                s.setblocking(False)
            return a, b
        a.close()
    raise OSError("no consecutive UDP port pair")


class Relay:
    """UDP relay for one SETUP: server <-> proxy pair P <-> proxy pair Q <-> client."""

    def __init__(self, p_pair, q_pair, client_host, client_ports, server_host, server_ports):
        self.p = p_pair            # faces the server (server sends here)
        self.q = q_pair            # faces the client (client sends RTCP here)
        self.client = [(client_host, client_ports[0]),
                       (client_host, client_ports[1]) if client_ports[1] else None]
        self.server = [(server_host, server_ports[0]) if server_ports[0] else None,
                       (server_host, server_ports[1]) if server_ports[1] else None]
        self.held = [None, None]   # (deadline, data) held back for reordering

    def sockets(self):
        return list(self.p) + list(self.q)

    def close(self):
        for s in self.sockets():
            s.close()


class Conn:
    def __init__(self, proxy, cl, hang=False):
        self.proxy = proxy
        self.cl = cl
        self.up = None
        self.connecting = False
        self.deadline = 0.0
        self.c2s = bytearray()
        self.s2c = bytearray()
        self.up_eof = False
        self.closed = False
        self.hang = hang
        self.c2s_framer = Framer() if proxy.args.udp else None
        self.s2c_framer = Framer() if proxy.args.udp else None
        self.pending = {}          # proxy P rtp port -> (P pair, client ports)
        self.relays = []
        if not hang:
            self.up = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.up.setblocking(False)
            self.up.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            err = self.up.connect_ex(proxy.upstream)
            if err not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
                raise OSError(err, os.strerror(err))
            self.connecting = True
            self.deadline = time.monotonic() + CONNECT_TIMEOUT

    # --- rewriting (only with --udp) ---
    def from_client(self, data):
        if not self.c2s_framer:
            self.c2s += data
            return
        for kind, chunk in self.c2s_framer.feed(data):
            if kind == "msg" and re.match(rb"SETUP ", chunk):
                chunk = self.rewrite_setup_request(chunk)
            self.c2s += chunk

    def from_server(self, data):
        if not self.s2c_framer:
            self.s2c += data
            return
        for kind, chunk in self.s2c_framer.feed(data):
            if kind == "msg" and chunk.startswith(b"RTSP/"):
                chunk = self.rewrite_setup_response(chunk)
            self.s2c += chunk

    def rewrite_setup_request(self, msg):
        end = msg.find(b"\r\n\r\n")
        tr = header_value(msg[:end], b"Transport")
        if not tr:
            return msg
        specs = []
        for spec in tr.split(","):
            cp = get_param(spec, "client_port")
            if cp and "interleaved" not in spec.lower():
                try:
                    ports = parse_ports(cp)
                    pair = bind_pair(self.proxy.udp_host)
                except (ValueError, OSError) as e:
                    log(self.proxy.args, "cannot relay", cp, e)
                    specs.append(spec)
                    continue
                pp = pair[0].getsockname()[1]
                self.pending[pp] = (pair, ports)
                spec = set_param(spec, "client_port",
                                 fmt_ports(pp, pp + 1 if ports[1] else None))
            specs.append(spec)
        new = ",".join(specs)
        log(self.proxy.args, "SETUP Transport:", tr, "->", new)
        return replace_header(msg, b"Transport", new)

    def rewrite_setup_response(self, msg):
        end = msg.find(b"\r\n\r\n")
        tr = header_value(msg[:end], b"Transport")
        if not tr or not self.pending:
            return msg
        cp = get_param(tr, "client_port")
        try:
            pp = parse_ports(cp)[0] if cp else None
        except ValueError:
            return msg
        if pp not in self.pending:
            return msg
        p_pair, cports = self.pending.pop(pp)
        sp = get_param(tr, "server_port")
        try:
            sports = parse_ports(sp) if sp else (None, None)
        except ValueError:
            sports = (None, None)
        try:
            q_pair = bind_pair(self.proxy.udp_host)
        except OSError as e:
            log(self.proxy.args, "cannot relay", e)
            return msg
        src = get_param(tr, "source")
        server_host = src if src else self.proxy.upstream[0]
        try:
            client_host = self.cl.getpeername()[0]
        except OSError:
            return msg
        relay = Relay(p_pair, q_pair, client_host, cports, server_host, sports)
        self.relays.append(relay)
        qp = q_pair[0].getsockname()[1]
        new = set_param(tr, "client_port", fmt_ports(*cports))
        if sp:
            new = set_param(new, "server_port", fmt_ports(qp, qp + 1 if sports[1] else None))
        if src:
            new = set_param(new, "source", self.cl.getsockname()[0])
        log(self.proxy.args, "SETUP reply Transport:", tr, "->", new)
        return replace_header(msg, b"Transport", new)

    def close(self, rst=False):
        if self.closed:
            return
        self.closed = True
        for s in (self.cl, self.up):
            if s is None:
                continue
            if rst:
                try:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
            s.close()
        for r in self.relays:
            r.close()
        for pair, _ in self.pending.values():
            for s in pair:
                s.close()
        self.relays = []
        self.pending = {}


class Proxy:
    def __init__(self, args):
        self.args = args
        host, _, port = args.upstream.rpartition(":")
        self.upstream = (host.strip("[]") or "127.0.0.1", int(port))
        self.udp_host = args.listen
        self.mode = "accept"
        self.stalled = False
        self.loss = args.udp_loss
        self.delay = args.udp_delay_ms / 1000.0
        self.reorder = args.udp_reorder
        self.rng = random.Random(args.seed)
        self.conns = []
        self.ctl_clients = {}      # socket -> bytearray
        self.queue = []            # (due, seq, socket, data, addr)
        self.seq = 0
        self.stop = False
        self.stats = dict(accepted=0, udp_fwd=0, udp_lost=0, udp_reordered=0)
        self.stdin_buf = bytearray()
        self.use_stdin = False

        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((args.listen, args.port))
        self.lsock.listen(64)
        self.lsock.setblocking(False)
        self.csock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.csock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.csock.bind((args.listen, args.control_port))
        self.csock.listen(8)
        self.csock.setblocking(False)
        try:
            st = os.fstat(0).st_mode
            self.use_stdin = stat.S_ISFIFO(st) or stat.S_ISSOCK(st) or os.isatty(0)
        except OSError:
            self.use_stdin = False

    # --- control ---
    def command(self, line):
        words = line.strip().split()
        if not words:
            return None
        cmd, rest = words[0].lower(), words[1:]
        try:
            if cmd == "stall":
                self.stalled = True
            elif cmd == "resume":
                self.stalled = False
            elif cmd in ("drop", "reset"):
                n = len(self.conns)
                for c in self.conns:
                    c.close(rst=(cmd == "reset"))
                self.conns = []
                return f"OK {cmd} {n}"
            elif cmd in ("refuse", "accept", "hang"):
                self.mode = cmd
            elif cmd == "udp-loss":
                self.loss = min(1.0, max(0.0, float(rest[0])))
            elif cmd == "udp-delay":
                self.delay = max(0.0, float(rest[0])) / 1000.0
            elif cmd == "udp-reorder":
                self.reorder = min(1.0, max(0.0, float(rest[0])))
            elif cmd == "status":
                pass
            elif cmd == "quit":
                self.stop = True
                return "OK quit"
            else:
                return f"ERR unknown command {cmd!r}"
        except (IndexError, ValueError):
            return f"ERR {cmd} needs a number"
        log(self.args, "command", line.strip())
        return "OK " + self.status()

    def status(self):
        relays = sum(len(c.relays) for c in self.conns)
        return (f"mode={self.mode} stalled={int(self.stalled)} conns={len(self.conns)} "
                f"accepted={self.stats['accepted']} udp_fwd={self.stats['udp_fwd']} "
                f"udp_lost={self.stats['udp_lost']} "
                f"udp_reordered={self.stats['udp_reordered']} relays={relays} "
                f"udp_loss={self.loss:g} udp_delay_ms={self.delay * 1000:g} "
                f"udp_reorder={self.reorder:g}")

    # --- UDP ---
    def emit(self, sock, data, addr, now):
        self.seq += 1
        heapq.heappush(self.queue, (now + self.delay, self.seq, sock, data, addr))

    def udp_from_server(self, conn, relay, idx, data, addr, now):
        if relay.server[idx] is None:
            relay.server[idx] = addr   # learn where the server sends from
        dst = relay.client[idx]
        if dst is None:
            return
        if self.stalled or (self.loss > 0 and self.rng.random() < self.loss):
            self.stats["udp_lost"] += 1
            return
        out = relay.q[idx]
        held = relay.held[idx]
        if held is not None:
            relay.held[idx] = None
            self.emit(out, data, dst, now)
            self.emit(out, held[1], dst, now)
            return
        if self.reorder > 0 and self.rng.random() < self.reorder:
            relay.held[idx] = (now + REORDER_FLUSH, data)
            self.stats["udp_reordered"] += 1
            return
        self.emit(out, data, dst, now)

    def flush_due(self, now):
        for c in self.conns:
            for r in c.relays:
                for i in (0, 1):
                    h = r.held[i]
                    if h is not None and h[0] <= now and r.client[i] is not None:
                        r.held[i] = None
                        self.emit(r.q[i], h[1], r.client[i], now)
        while self.queue and self.queue[0][0] <= now:
            _, _, sock, data, addr = heapq.heappop(self.queue)
            if sock.fileno() < 0:
                continue
            try:
                sock.sendto(data, addr)
                self.stats["udp_fwd"] += 1
            except OSError:
                pass

    # --- main loop ---
    def run(self):
        print(f"READY {self.lsock.getsockname()[1]} {self.csock.getsockname()[1]}", flush=True)
        while not self.stop:
            now = time.monotonic()
            rl = [self.lsock, self.csock] + list(self.ctl_clients)
            if self.use_stdin:
                rl.append(0)
            wl = []
            owner = {}
            for c in self.conns:
                if c.connecting:
                    if now > c.deadline:
                        log(self.args, "upstream connect timeout")
                        c.close()
                        continue
                    wl.append(c.up)
                    rl.append(c.cl)
                    continue
                if len(c.c2s) < MAX_BUF:
                    rl.append(c.cl)
                if c.up is not None:
                    if not self.stalled and not c.up_eof and len(c.s2c) < MAX_BUF:
                        rl.append(c.up)
                    if c.c2s:
                        wl.append(c.up)
                if c.s2c and not self.stalled:
                    wl.append(c.cl)
                for r in c.relays:
                    for i, s in enumerate(r.p):
                        rl.append(s)
                        owner[s] = (c, r, "p", i)
                    for i, s in enumerate(r.q):
                        rl.append(s)
                        owner[s] = (c, r, "q", i)
            self.conns = [c for c in self.conns if not c.closed]
            timeout = 0.2
            if self.queue:
                timeout = max(0.0, min(timeout, self.queue[0][0] - now))
            try:
                r, w, _ = select.select(rl, wl, [], timeout)
            except (OSError, ValueError):
                # a socket closed under us: rebuild the lists
                self.conns = [c for c in self.conns if not c.closed]
                continue
            now = time.monotonic()
            rset, wset = set(r), set(w)
            if self.lsock in rset:
                self.accept()
            if self.csock in rset:
                try:
                    s, _ = self.csock.accept()
                    s.setblocking(False)
                    self.ctl_clients[s] = bytearray()
                except OSError:
                    pass
            for s in [s for s in self.ctl_clients if s in rset]:
                self.control_read(s)
            if 0 in rset:
                self.stdin_read()
            for c in list(self.conns):
                if c.closed:
                    continue
                self.service(c, rset, wset)
            for s, (c, rel, side, i) in owner.items():
                if s in rset and not c.closed:
                    try:
                        data, addr = s.recvfrom(65536)
                    except OSError:
                        continue
                    if side == "p":
                        self.udp_from_server(c, rel, i, data, addr, now)
                    elif rel.server[i] is not None:
                        # client -> server (RTCP receiver reports, NAT pokes)
                        self.emit_direct(rel.p[i], data, rel.server[i])
            self.flush_due(now)
            self.conns = [c for c in self.conns if not c.closed]
        for c in self.conns:
            c.close()
        for s in self.ctl_clients:
            s.close()

    def emit_direct(self, sock, data, addr):
        try:
            sock.sendto(data, addr)
        except OSError:
            pass

    def accept(self):
        try:
            s, addr = self.lsock.accept()
        except OSError:
            return
        self.stats["accepted"] += 1
        log(self.args, "client", addr, "mode", self.mode)
        if self.mode == "refuse":
            s.close()
            return
        s.setblocking(False)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.conns.append(Conn(self, s, hang=(self.mode == "hang")))
        except OSError as e:
            log(self.args, "upstream connect failed:", e)
            s.close()

    def service(self, c, rset, wset):
        if c.connecting:
            if c.cl in rset and not self.recv_client(c):
                return
            if c.up in wset:
                err = c.up.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    log(self.args, "upstream connect:", os.strerror(err))
                    c.close()
                    return
                c.connecting = False
            return
        if c.cl in rset and not self.recv_client(c):
            return
        if c.up is not None and c.up in rset:
            try:
                data = c.up.recv(65536)
            except BlockingIOError:
                data = None
            except OSError:
                data = b""
            if data == b"":
                c.up_eof = True
            elif data:
                c.from_server(data)
        if c.up is not None and c.up in wset and c.c2s:
            try:
                n = c.up.send(c.c2s)
                del c.c2s[:n]
            except BlockingIOError:
                pass
            except OSError:
                c.up_eof = True
        if c.cl in wset and c.s2c and not self.stalled:
            try:
                n = c.cl.send(c.s2c)
                del c.s2c[:n]
            except BlockingIOError:
                pass
            except OSError:
                c.close()
                return
        if c.up_eof and not c.s2c:
            c.close()

    def recv_client(self, c):
        try:
            data = c.cl.recv(65536)
        except BlockingIOError:
            return True
        except OSError:
            data = b""
        if not data:
            c.close()
            return False
        if c.hang:
            return True          # swallow: nobody answers
        c.from_client(data)
        return True

    def control_read(self, s):
        try:
            data = s.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            s.close()
            del self.ctl_clients[s]
            return
        buf = self.ctl_clients[s]
        buf += data
        while b"\n" in buf:
            line, _, rest = bytes(buf).partition(b"\n")
            buf[:] = rest
            reply = self.command(line.decode("utf-8", "replace"))
            if reply:
                try:
                    s.setblocking(True)
                    s.settimeout(2.0)
                    s.sendall(reply.encode() + b"\n")
                    s.setblocking(False)
                except OSError:
                    pass
        if len(buf) > 4096:
            buf.clear()

    def stdin_read(self):
        try:
            data = os.read(0, 4096)
        except OSError:
            data = b""
        if not data:
            log(self.args, "stdin closed: exiting")
            self.stop = True
            return
        self.stdin_buf += data
        while b"\n" in self.stdin_buf:
            line, _, rest = bytes(self.stdin_buf).partition(b"\n")
            self.stdin_buf[:] = rest
            reply = self.command(line.decode("utf-8", "replace"))
            if reply:
                print(reply, flush=True)


def main():
    ap = argparse.ArgumentParser(description="RTSP fault-injection proxy (test peer)")
    ap.add_argument("--upstream", required=True, help="HOST:PORT of the RTSP server")
    ap.add_argument("--listen", default="127.0.0.1", help="address for all proxy sockets")
    ap.add_argument("--port", type=int, default=0, help="RTSP listen port, 0 = free")
    ap.add_argument("--control-port", type=int, default=0, help="0 = free")
    ap.add_argument("--udp", action="store_true",
                    help="rewrite SETUP Transport and relay RTP/RTCP over UDP")
    ap.add_argument("--udp-loss", type=float, default=0.0, help="fraction 0..1")
    ap.add_argument("--udp-delay-ms", type=float, default=0.0)
    ap.add_argument("--udp-reorder", type=float, default=0.0, help="fraction 0..1")
    ap.add_argument("--seed", type=int, default=None, help="for reproducible loss")
    ap.add_argument("--verbose", action="store_true", help="log to stderr")
    args = ap.parse_args()

    try:
        proxy = Proxy(args)
    except OSError as e:
        print(f"fault_proxy: cannot listen: {e}", file=sys.stderr, flush=True)
        sys.exit(2)

    def on_signal(*_):
        proxy.stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    proxy.run()


if __name__ == "__main__":
    main()
