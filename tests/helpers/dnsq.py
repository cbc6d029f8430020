#!/usr/bin/env python3
"""dnsq.py: a tiny DNS client and fake upstream server for the e2e tests.

  dnsq.py query SERVER NAME [TYPE] [--tcp]
      sends one query (TYPE: A, AAAA or PTR; for PTR, NAME may be an IPv4
      address) and prints "rcode=N" and one line per answer: "A 1.2.3.4" or
      "PTR name". Exit 0 on any reply, 2 on a timeout.
  dnsq.py raw SERVER HEXBYTES
      sends the bytes as one UDP datagram; prints "reply LEN" or "timeout".
  dnsq.py bench SERVER NAME COUNT
      COUNT A queries of NAME one after the other (UDP); prints
      "mean N us, p99 N us, K answered". For bench/net.
  dnsq.py serve ADDR PORT ANSWER_IP [COUNT_FILE]
      a fake upstream on UDP and TCP: answers every A query with ANSWER_IP
      (and NODATA for other types), appending each asked name to COUNT_FILE
      ("tcp NAME" for TCP). Runs until killed; prints "ready" once bound.

Run inside a container's network namespace with nsenter to reach
127.0.0.11. Only the standard library.
"""
import random
import socket
import struct
import sys


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def build_query(name, qtype):
    types = {"A": 1, "PTR": 12, "AAAA": 28}
    if qtype == "PTR" and all(p.isdigit() for p in name.split(".")):
        name = ".".join(reversed(name.split("."))) + ".in-addr.arpa"
    qid = random.randint(0, 65535)
    hdr = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    return qid, hdr + encode_name(name) + struct.pack(">HH", types[qtype], 1)


def read_name(msg, off):
    labels, jumped, end = [], False, off
    for _ in range(128):
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if not jumped:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            jumped = True
            continue
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n].decode())
        off += n
    return ".".join(labels), (end if jumped else off)


def parse_reply(msg):
    qid, flags, qd, an, _, _ = struct.unpack(">HHHHHH", msg[:12])
    off = 12
    for _ in range(qd):
        _, off = read_name(msg, off)
        off += 4
    answers = []
    for _ in range(an):
        _, off = read_name(msg, off)
        rtype, _, _, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        rdata = msg[off:off + rdlen]
        if rtype == 1:
            answers.append("A " + socket.inet_ntoa(rdata))
        elif rtype == 12:
            answers.append("PTR " + read_name(msg, off)[0])
        else:
            answers.append("TYPE%d" % rtype)
        off += rdlen
    return qid, flags, answers


def query(server, name, qtype, tcp):
    qid, q = build_query(name, qtype)
    if tcp:
        s = socket.create_connection((server, 53), timeout=5)
        s.sendall(struct.pack(">H", len(q)) + q)
        buf = b""
        while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        msg = buf[2:]
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(5)
        s.sendto(q, (server, 53))
        msg, _ = s.recvfrom(65535)
    rid, flags, answers = parse_reply(msg)
    if rid != qid:
        print("id mismatch")
        return 1
    print("rcode=%d" % (flags & 0xF))
    for a in answers:
        print(a)
    return 0


def answer(msg, answer_ip):
    name, off = read_name(msg, 12)
    qtype = struct.unpack(">H", msg[off:off + 2])[0]
    qid = msg[:2]
    question = msg[12:off + 4]
    if qtype == 1:
        ans = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton(answer_ip)
        return name, qid + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0) + question + ans
    return name, qid + struct.pack(">HHHHH", 0x8180, 1, 0, 0, 0) + question


def log_name(count_file, line):
    if count_file:
        with open(count_file, "a") as f:
            f.write(line + "\n")


def serve_tcp(lsock, answer_ip, count_file):
    while True:
        c, _ = lsock.accept()
        try:
            buf = b""
            while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
                chunk = c.recv(4096)
                if not chunk:
                    break
                buf += chunk
            name, reply = answer(buf[2:], answer_ip)
            log_name(count_file, "tcp " + name)
            c.sendall(struct.pack(">H", len(reply)) + reply)
        except (OSError, IndexError, struct.error):
            pass
        c.close()


def serve(addr, port, answer_ip, count_file):
    import threading
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, int(port)))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((addr, int(port)))
    t.listen(16)
    threading.Thread(target=serve_tcp, args=(t, answer_ip, count_file), daemon=True).start()
    print("ready", flush=True)
    while True:
        msg, peer = s.recvfrom(65535)
        name, reply = answer(msg, answer_ip)
        log_name(count_file, name)
        s.sendto(reply, peer)


def bench(server, name, count):
    import time
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((server, 53))
    times, ok = [], 0
    for _ in range(count):
        qid, q = build_query(name, "A")
        t0 = time.perf_counter()
        s.send(q)
        try:
            while True:
                msg = s.recv(65535)
                if msg[:2] == q[:2]:
                    break
            ok += parse_reply(msg)[2] != []
        except socket.timeout:
            continue
        times.append(time.perf_counter() - t0)
    times.sort()
    if not times:
        print("no answers")
        return 2
    mean = sum(times) / len(times) * 1e6
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))] * 1e6
    print("mean %.0f us, p99 %.0f us, %d answered" % (mean, p99, ok))
    return 0


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "query":
        qtype = "A"
        rest = sys.argv[4:]
        if rest and rest[0] in ("A", "AAAA", "PTR"):
            qtype = rest.pop(0)
        try:
            return query(sys.argv[2], sys.argv[3], qtype, "--tcp" in rest)
        except socket.timeout:
            print("timeout")
            return 2
    if len(sys.argv) == 4 and sys.argv[1] == "raw":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(1)
        s.sendto(bytes.fromhex(sys.argv[3]), (sys.argv[2], 53))
        try:
            msg, _ = s.recvfrom(65535)
            print("reply %d" % len(msg))
        except socket.timeout:
            print("timeout")
        return 0
    if len(sys.argv) == 5 and sys.argv[1] == "bench":
        return bench(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    if len(sys.argv) in (5, 6) and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] if len(sys.argv) == 6 else None)
        return 0
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main())
