#!/usr/bin/env python3
"""rawhttp.py: raw HTTP/1.1 over a Unix socket, for robustness tests.

Python 3 standard library only. Talks to the socket path given, nothing else.

    rawhttp.py SOCK garbage        garbage request line
    rawhttp.py SOCK bigheader      a 1 MiB header
    rawhttp.py SOCK biguri         a 1 MiB request target
    rawhttp.py SOCK badchunk       chunked body with a bad chunk size
    rawhttp.py SOCK truncated [N]  N clients (default 1) send a body cut short
                                   (Content-Length or chunked), then close
    rawhttp.py SOCK send HEX       send these bytes (hex), print the answer;
                                   exit 0 if any answer or close came
    rawhttp.py SOCK hold FILE      send half a request, touch FILE.ready, hold
                                   the connection while FILE exists, then print
                                   what the server did meanwhile
                                   (result=<status>|open|closed); exit 0
                                   unless it answered 2xx
    rawhttp.py SOCK slow [N] [S]   N (default 20) connections stall mid-request
                                   (half a request line / half the headers /
                                   half a body) while S (default 200) /_ping
                                   requests on other connections must succeed
    rawhttp.py SOCK concurrent N M N keep-alive connections in parallel, each
                                   doing M GET /_ping; all must succeed, on the
                                   same connection
    rawhttp.py SOCK pipeline N     N pipelined GET /_ping in one write
    rawhttp.py SOCK headping       HEAD /_ping then GET /_ping on one
                                   connection: the HEAD answer must carry no
                                   body bytes (the GET answer must parse)

Each malformed-request mode prints one line `result=<status>|closed|timeout`
(the first answer's status code, or `closed` when the server closed without
an answer) and exits 0 if that is a 4xx or a close, 1 otherwise (2xx/5xx or
no reaction within the timeout). slow/concurrent/pipeline print a summary
and exit 0 only if every request succeeded. Everything is bounded by
--timeout (default 60 s).
"""

import argparse
import socket
import sys
import threading
import time

PING = b"GET /_ping HTTP/1.1\r\nHost: berth\r\n\r\n"


class Closed(Exception):
    pass


def connect(path, timeout):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


class Reader:
    """Minimal HTTP/1.1 response reader (Content-Length, chunked, or close)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise Closed()
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def response(self, head=False):
        """Returns (status, headers dict lowercased, body)."""
        status_line = self._line()
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            raise ValueError("bad status line %r" % status_line)
        status = int(parts[1])
        headers = {}
        while True:
            line = self._line()
            if not line:
                break
            k, _, v = line.partition(b":")
            headers[k.strip().lower().decode()] = v.strip().decode("latin-1")
        body = b""
        if head or status in (204, 304) or 100 <= status < 200:
            return status, headers, body
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                body += self._exact(size)
                self._exact(2)
        elif "content-length" in headers:
            body = self._exact(int(headers["content-length"]))
        else:
            try:
                while True:
                    self._fill()
            except Closed:
                pass
            body, self.buf = self.buf, b""
        return status, headers, body


def answer_of(sock, timeout):
    """First reaction of the server: ('status', code) / ('closed',) / ('timeout',)."""
    sock.settimeout(timeout)
    try:
        st, _, _ = Reader(sock).response()
        return str(st)
    except Closed:
        return "closed"
    except (ConnectionResetError, BrokenPipeError):
        return "closed"
    except socket.timeout:
        return "timeout"
    except ValueError as e:
        return "garbage(%s)" % e


def send_all(sock, data):
    """sendall that treats the server hanging up on us as a valid outcome."""
    try:
        sock.sendall(data)
        return True
    except (BrokenPipeError, ConnectionResetError):
        return False


def malformed(path, data, timeout, shut_wr=False):
    s = connect(path, timeout)
    try:
        sent = send_all(s, data)
        if sent and shut_wr:
            s.shutdown(socket.SHUT_WR)
        res = answer_of(s, timeout)
    finally:
        s.close()
    print("result=%s" % res)
    return 0 if res == "closed" or res.startswith("4") else 1


def mode_truncated(path, n, timeout):
    """n clients each send a request whose body is cut short, then close."""
    reqs = [
        b"POST /v1.47/containers/create HTTP/1.1\r\nHost: berth\r\n"
        b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"Image\":",
        b"POST /v1.47/containers/create HTTP/1.1\r\nHost: berth\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n100\r\n{\"Ima",
        b"GET /_ping HTTP/1.1\r\nHost: berth\r\nContent-Length: 10\r\n\r\nabc",
    ]
    for i in range(n):
        s = connect(path, timeout)
        send_all(s, reqs[i % len(reqs)])
        s.close()
    print("truncated=%d" % n)
    return 0


def mode_send(path, data, timeout):
    s = connect(path, timeout)
    try:
        send_all(s, data)
        res = answer_of(s, timeout)
    finally:
        s.close()
    print("result=%s" % res)
    return 1 if res == "timeout" else 0


def mode_hold(path, flag, timeout):
    import os
    s = connect(path, timeout)
    s.sendall(b"GET /_ping HTTP/1.1\r\nHost: berth\r\nX-Slow: ")
    open(flag + ".ready", "w").close()
    deadline = time.monotonic() + timeout
    while os.path.exists(flag) and time.monotonic() < deadline:
        time.sleep(0.05)
    s.setblocking(False)
    try:
        data = s.recv(65536)
        res = "closed" if not data else (data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "garbage")
    except BlockingIOError:
        res = "open"
    except ConnectionResetError:
        res = "closed"
    s.close()
    print("result=%s" % res)
    return 1 if res.startswith("2") else 0


def ping_once(path, timeout):
    s = connect(path, timeout)
    try:
        s.sendall(PING)
        st, _, body = Reader(s).response()
        return st == 200 and body == b"OK"
    finally:
        s.close()


def mode_slow(path, n, pings, timeout):
    """Stalled clients must not stop the daemon from serving others."""
    stalls = [
        b"GET /_ping HT",                                         # mid request line
        b"GET /_ping HTTP/1.1\r\nHost: berth\r\nX-Slow: aaa",       # mid headers
        b"POST /v1.47/containers/create HTTP/1.1\r\nHost: berth\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"Ima",  # mid body
        b"POST /v1.47/containers/create HTTP/1.1\r\nHost: berth\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n10\r\n{\"Im",           # mid chunk
    ]
    held = []
    for i in range(n):
        s = connect(path, timeout)
        s.sendall(stalls[i % len(stalls)])
        held.append(s)
    ok = 0
    deadline = time.monotonic() + timeout
    for _ in range(pings):
        if time.monotonic() > deadline:
            break
        try:
            if ping_once(path, 10):
                ok += 1
        except (OSError, ValueError, Closed):
            pass
    # The stalled connections must still be open or closed cleanly; the
    # daemon must not have answered them with a 2xx.
    bad = 0
    for s in held:
        s.setblocking(False)
        try:
            data = s.recv(65536)
            if data.startswith(b"HTTP/1.1 2"):
                bad += 1
        except (BlockingIOError, ConnectionResetError):
            pass
        s.close()
    print("stalled=%d pings_ok=%d/%d stalled_answered_2xx=%d" % (n, ok, pings, bad))
    return 0 if ok == pings and bad == 0 else 1


def mode_concurrent(path, nconn, nreq, timeout):
    results = [0] * nconn
    errors = []
    lock = threading.Lock()
    start = threading.Barrier(nconn, timeout=timeout)
    deadline = time.monotonic() + timeout

    def worker(i):
        try:
            s = connect(path, max(1.0, deadline - time.monotonic()))
        except OSError as e:
            with lock:
                errors.append("conn %d: connect: %s" % (i, e))
            try:
                start.abort()
            except threading.BrokenBarrierError:
                pass
            return
        try:
            try:
                start.wait()
            except threading.BrokenBarrierError:
                pass
            r = Reader(s)
            for _ in range(nreq):
                if time.monotonic() > deadline:
                    raise socket.timeout("deadline")
                s.sendall(PING)
                st, hdr, body = r.response()
                if st != 200 or body != b"OK":
                    raise ValueError("status %d body %r" % (st, body[:40]))
                if hdr.get("connection", "").lower() == "close":
                    raise ValueError("server sent Connection: close")
                results[i] += 1
        except (OSError, ValueError, Closed) as e:
            with lock:
                errors.append("conn %d after %d requests: %s: %s"
                              % (i, results[i], type(e).__name__, e))
        finally:
            s.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(nconn)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.1, deadline - time.monotonic()))
    hung = sum(1 for t in threads if t.is_alive())
    total = sum(results)
    print("connections=%d requests_ok=%d/%d errors=%d hung=%d seconds=%.2f"
          % (nconn, total, nconn * nreq, len(errors), hung, time.monotonic() - t0))
    for e in errors[:10]:
        print("  " + e)
    return 0 if total == nconn * nreq and not errors and not hung else 1


def mode_headping(path, timeout):
    s = connect(path, timeout)
    try:
        s.sendall(b"HEAD /_ping HTTP/1.1\r\nHost: berth\r\n\r\n")
        r = Reader(s)
        st1, h1, _ = r.response(head=True)
        s.sendall(PING)
        st2, _, body2 = r.response()
        print("head=%d head_content_length=%s get=%d get_body=%s"
              % (st1, h1.get("content-length", "-"), st2, body2.decode("latin-1")))
        return 0 if st1 == 200 and st2 == 200 and body2 == b"OK" else 1
    except (OSError, ValueError, Closed) as e:
        print("error: %s: %s" % (type(e).__name__, e))
        return 1
    finally:
        s.close()


def mode_pipeline(path, n, timeout):
    s = connect(path, timeout)
    ok = 0
    try:
        s.sendall(PING * n)
        r = Reader(s)
        for _ in range(n):
            st, _, body = r.response()
            if st == 200 and body == b"OK":
                ok += 1
    except (OSError, ValueError, Closed) as e:
        print("error: %s: %s" % (type(e).__name__, e))
    finally:
        s.close()
    print("pipelined=%d ok=%d" % (n, ok))
    return 0 if ok == n else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("sock")
    ap.add_argument("mode")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    t = a.timeout
    big = b"a" * (1 << 20)
    if a.mode == "garbage":
        return malformed(a.sock, b"\x16\x03\x01 GARBAGE \x00\xff nonsense\r\n\r\n", t)
    if a.mode == "bigheader":
        return malformed(a.sock, b"GET /_ping HTTP/1.1\r\nHost: berth\r\nX-Big: " + big + b"\r\n\r\n", t)
    if a.mode == "biguri":
        return malformed(a.sock, b"GET /_ping?" + big + b" HTTP/1.1\r\nHost: berth\r\n\r\n", t)
    if a.mode == "badchunk":
        return malformed(a.sock, b"POST /v1.47/containers/create HTTP/1.1\r\nHost: berth\r\n"
                         b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                         b"zz-not-hex\r\n{}\r\n0\r\n\r\n", t)
    if a.mode == "truncated":
        return mode_truncated(a.sock, int(a.args[0]) if a.args else 1, t)
    if a.mode == "send":
        return mode_send(a.sock, bytes.fromhex(a.args[0]), t)
    if a.mode == "hold":
        return mode_hold(a.sock, a.args[0], t)
    if a.mode == "slow":
        n = int(a.args[0]) if a.args else 20
        pings = int(a.args[1]) if len(a.args) > 1 else 200
        return mode_slow(a.sock, n, pings, t)
    if a.mode == "concurrent":
        return mode_concurrent(a.sock, int(a.args[0]), int(a.args[1]), t)
    if a.mode == "headping":
        return mode_headping(a.sock, t)
    if a.mode == "pipeline":
        return mode_pipeline(a.sock, int(a.args[0]) if a.args else 10, t)
    ap.error("unknown mode %s" % a.mode)
    return 2


if __name__ == "__main__":
    sys.exit(main())
