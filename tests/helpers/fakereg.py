#!/usr/bin/env python3
"""fakereg.py: a small, hostile OCI distribution registry for pull tests.

Python 3 standard library only (mklayer.py next to it builds the content).
Listens on 127.0.0.1 only, on a free port, plain HTTP.

    fakereg.py --port-file FILE --outside DIR [--log FILE]

It builds its images at start, then writes the port to FILE (atomically), so
a test waits for FILE. DIR is a directory outside any data root that hostile
layers aim at (absolute paths, `../` chains, links); the test plants
DIR/target (a file) and DIR/dir (an empty directory) and checks they are
untouched.

Repositories (the behaviour is chosen by the repository name):

  ok/plain, ok/older, ok/newer   valid Docker schema 2 images, one gzip layer;
                                 created 2023-06-01, 2021-01-01, 2023-12-01
  ok/oci-zstd                    OCI manifest, one zstd layer (only when a
                                 zstd compressor exists; else 404)
  ok/index                       OCI index: linux/amd64 + linux/arm64/v8, the
                                 arm64 config carries "variant": "v8"
  ok/redirect                    blobs answer 307 to /_blobstore/<digest>
  flaky/img                      the first 2 manifest and 2 blob GETs get 503
  slow/img                       a 4 MiB incompressible layer sent at about
                                 320 KiB/s while ctl slow=1 (the default)
  auth/token                     Bearer token flow: 401 + WWW-Authenticate
                                 realm=http://127.0.0.1:PORT/token; the token
                                 endpoint wants Basic alice:s3cret
  auth/basic                     Basic auth alice:s3cret
  bad/digest                     layer bytes served differ from the digest
                                 (same length, still a valid gzip tar)
  bad/configdigest               config bytes served differ from the digest
  bad/diffid                     config diff_id does not match the layer
  bad/mandigest                  GET manifests/<digest> returns other bytes
                                 (pull it by that digest; tag `latest` has
                                 the advertised digest in Docker-Content-Digest)
  bad/truncgz                    gzip layer cut in half (digest matches)
  bad/corruptgz                  gzip layer with garbage in the deflate data
  bad/zstd                       zstd layer with garbage in the frame
  bad/dotdot                     entries ../escape-1, ../../escape-2 and a
                                 ../ chain to DIR/dotdot-pwned
  bad/abs                        entry DIR/abs-pwned (absolute name)
  bad/hardlink                   hardlinks to DIR/target (absolute and ../
                                 chain), then a file written to the link name
  bad/symlink                    symlink evil -> DIR/dir, then file evil/pwned
  bad/symlink-rel                symlink evil -> ../../../../..DIR/dir, then
                                 file evil/pwned
  bad/symlink-hardlink           symlink evil -> DIR, hardlink hl ->
                                 evil/target, then file hl
  bad/bigmanifest                a 5 MiB manifest
  err/500                        500 with a JSON errors body, every request
  err/500text                    500 with a text body, every request
  err/stall                      manifest: 200 + headers, then silence
  anything else                  404 NAME_UNKNOWN; an unknown tag in a known
                                 repository is 404 MANIFEST_UNKNOWN

Control and introspection (not part of the registry API):

  GET /_fakereg/stats            JSON: per-repository request counts
                                 {"manifest": n, "blob": n}, "token" count,
                                 "scopes" asked of the token endpoint,
                                 "authorization" headers seen per repo
                                 (scheme only), "bytes" sent per blob digest,
                                 "digests" of interesting content
  GET /_fakereg/ctl?slow=0|1     switch the slow layer's throttle
  GET /_fakereg/reset            zero the counters (and flaky's budget)
"""

import argparse
import base64
import http.server
import json
import os
import re
import secrets
import socketserver
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mklayer as ml  # noqa: E402

USER, PASSWORD = "alice", "s3cret"
SLOW_CHUNK = 32 * 1024
SLOW_DELAY = 0.1
STALL_MAX = 120.0


class Repo:
    def __init__(self, name):
        self.name = name
        self.manifests = {}  # tag or digest -> (bytes, media type, digest header)
        self.blobs = {}  # digest -> bytes
        self.serve_blob = {}  # digest -> bytes served instead (lies)
        self.serve_manifest = {}  # reference -> bytes served instead (lies)
        self.auth = None  # None | "token" | "basic"
        self.fail = None  # None | "json" | "text"
        self.flaky = 0  # this many manifest GETs and this many blob GETs fail
        self.stall = False
        self.redirect = False
        self.slow = set()  # blob digests sent slowly

    def add_image(self, img, tag="latest"):
        self.manifests[tag] = (img["manifest"], img["manifest_type"], img["manifest_digest"])
        self.manifests[img["manifest_digest"]] = self.manifests[tag]
        self.blobs.update(img.get("blobs", {}))

    def add_index(self, idx, images, tag="latest"):
        self.manifests[tag] = (idx["manifest"], idx["manifest_type"], idx["manifest_digest"])
        self.manifests[idx["manifest_digest"]] = self.manifests[tag]
        for img in images:
            self.add_image(img, tag=img["manifest_digest"])


def base_entries(tag):
    return [
        {"name": "etc", "type": "dir"},
        {"name": "etc/fakereg-release", "data": "fakereg %s\n" % tag},
        {"name": "hello", "data": "#!/bin/sh\necho hello from %s\n" % tag, "mode": 0o755},
    ]


def simple(name, entries=None, compression="gzip", oci=False, **kw):
    r = Repo(name)
    l = ml.layer(entries if entries is not None else base_entries(name), compression, oci)
    if l is None:
        return None
    img = ml.make_image([l], oci=oci, **kw)
    r.add_image(img)
    r.image = img
    r.layer = l
    return r


def corrupt_middle(b, n=64):
    mid = len(b) // 2
    return b[:mid] + bytes((x ^ 0xA5) for x in b[mid : mid + n]) + b[mid + n :]


def build_repos(outside):
    repos = {}
    digests = {}

    def add(r):
        if r is not None:
            repos[r.name] = r
        return r

    add(simple("ok/plain", created="2023-06-01T00:00:00Z"))
    add(simple("ok/older", created="2021-01-01T00:00:00Z"))
    add(simple("ok/newer", created="2023-12-01T00:00:00Z"))
    add(simple("ok/oci-zstd", compression="zstd", oci=True))
    digests["zstd"] = ml.zstd_available()
    r = add(simple("ok/redirect"))
    r.redirect = True
    r = add(simple("flaky/img"))
    r.flaky = 2

    # an index with a variant in the arm64 config, as Docker Hub's images have
    r = Repo("ok/index")
    imgs = []
    for arch, variant in (("amd64", None), ("arm64", "v8")):
        l = ml.layer(base_entries("index-" + arch), "gzip", oci=True)
        img = ml.make_image([l], oci=True, arch=arch, variant=variant)
        plat = {"architecture": arch, "os": "linux"}
        if variant:
            plat["variant"] = variant
        imgs.append((img, plat))
        digests["index-" + arch] = {
            "manifest": img["manifest_digest"],
            "config": img["config_digest"],
        }
    idx = ml.make_index(imgs)
    r.add_index(idx, [i for i, _ in imgs])
    digests["index"] = idx["manifest_digest"]
    add(r)

    # slow: incompressible, so the transfer really takes time
    rnd = os.urandom(4 * 1024 * 1024)
    l = ml.layer(base_entries("slow") + [{"name": "random.bin", "data": rnd}], "gzip", level=1)
    img = ml.make_image([l])
    r = Repo("slow/img")
    r.add_image(img)
    r.slow.add(ml.sha256(l["blob"]))
    digests["slow-layer"] = ml.sha256(l["blob"])
    digests["slow-config"] = img["config_digest"]
    add(r)

    r = add(simple("auth/token"))
    r.auth = "token"
    r = add(simple("auth/basic"))
    r.auth = "basic"

    # digest mismatch: a stored (level 0) gzip of a same-length tar with other bytes
    good = ml.layer(base_entries("digest-AAAA"), "gzip", level=0)
    evil = ml.layer(base_entries("digest-BBBB"), "gzip", level=0)
    assert len(good["blob"]) == len(evil["blob"]) and good["blob"] != evil["blob"]
    img = ml.make_image([good])
    r = Repo("bad/digest")
    r.add_image(img)
    r.serve_blob[ml.sha256(good["blob"])] = evil["blob"]
    digests["bad-digest-layer"] = ml.sha256(good["blob"])
    add(r)

    r = add(simple("bad/configdigest"))
    cfg = r.image["config"]
    r.serve_blob[r.image["config_digest"]] = cfg.replace(b'"amd64"', b'"arm64"')
    assert len(r.serve_blob[r.image["config_digest"]]) == len(cfg)

    l = ml.layer(base_entries("diffid"))
    other = ml.layer(base_entries("diffid-other"))
    img = ml.make_image([l], config=ml.make_config([other["diff_id"]]))
    r = Repo("bad/diffid")
    r.add_image(img)
    add(r)

    r = add(simple("bad/mandigest"))
    d = r.image["manifest_digest"]
    r.serve_manifest[d] = r.image["manifest"] + b"\n\n"
    digests["bad-mandigest"] = d

    l = ml.layer(base_entries("truncgz") + [{"name": "pad.bin", "data": os.urandom(64 * 1024)}])
    blob = l["blob"][: len(l["blob"]) // 2]
    img = ml.make_image([{"blob": blob, "media_type": l["media_type"], "diff_id": l["diff_id"]}],
                        config=ml.make_config([l["diff_id"]]))
    r = Repo("bad/truncgz")
    r.add_image(img)
    add(r)

    l = ml.layer(base_entries("corruptgz") + [{"name": "pad.bin", "data": os.urandom(64 * 1024)}])
    blob = corrupt_middle(l["blob"])
    img = ml.make_image([{"blob": blob, "media_type": l["media_type"], "diff_id": l["diff_id"]}],
                        config=ml.make_config([l["diff_id"]]))
    r = Repo("bad/corruptgz")
    r.add_image(img)
    add(r)

    l = ml.layer(base_entries("zstd") + [{"name": "pad.bin", "data": os.urandom(64 * 1024)}],
                 "zstd", oci=True)
    if l is not None:
        blob = corrupt_middle(l["blob"])
        img = ml.make_image(
            [{"blob": blob, "media_type": l["media_type"], "diff_id": l["diff_id"]}], oci=True,
            config=ml.make_config([l["diff_id"]]))
        r = Repo("bad/zstd")
        r.add_image(img)
        add(r)

    deep = "../" * 24
    out = outside.lstrip("/")
    hostile = {
        "bad/dotdot": [
            {"name": "ok.txt", "data": "fine\n"},
            {"name": "../escape-1", "data": "pwned\n"},
            {"name": "../../escape-2", "data": "pwned\n"},
            {"name": deep + out + "/dotdot-pwned", "data": "pwned\n"},
        ],
        "bad/abs": [
            {"name": "ok.txt", "data": "fine\n"},
            {"name": outside + "/abs-pwned", "data": "pwned\n"},
        ],
        "bad/hardlink": [
            {"name": "ok.txt", "data": "fine\n"},
            {"name": "hl-abs", "type": "hardlink", "target": outside + "/target"},
            {"name": "hl-rel", "type": "hardlink", "target": deep + out + "/target"},
            {"name": "hl-abs", "data": "pwned\n"},
            {"name": "hl-rel", "data": "pwned\n"},
        ],
        "bad/symlink": [
            {"name": "ok.txt", "data": "fine\n"},
            {"name": "evil", "type": "symlink", "target": outside + "/dir"},
            {"name": "evil/pwned", "data": "pwned\n"},
        ],
        "bad/symlink-rel": [
            {"name": "ok.txt", "data": "fine\n"},
            {"name": "evil", "type": "symlink", "target": deep + out + "/dir"},
            {"name": "evil/pwned", "data": "pwned\n"},
        ],
        "bad/symlink-hardlink": [
            {"name": "ok.txt", "data": "fine\n"},
            {"name": "evil", "type": "symlink", "target": outside},
            {"name": "hl", "type": "hardlink", "target": "evil/target"},
            {"name": "hl", "data": "pwned\n"},
        ],
    }
    for name, entries in hostile.items():
        add(simple(name, entries=entries))

    # > 4 MiB: a valid manifest padded with an annotation
    r = simple("bad/bigmanifest")
    m = json.loads(r.image["manifest"])
    m["annotations"] = {"org.fakereg.padding": "x" * (5 * 1024 * 1024)}
    mb = json.dumps(m).encode()
    r.manifests = {}
    r.add_image({"manifest": mb, "manifest_type": m["mediaType"],
                 "manifest_digest": ml.sha256(mb), "blobs": r.image["blobs"]})
    add(r)

    r = add(simple("err/500"))
    r.fail = "json"
    r = add(simple("err/500text"))
    r.fail = "text"
    r = add(simple("err/stall"))
    r.stall = True

    for name, r in repos.items():
        if name.startswith("ok/") or name.startswith("auth/") or name in ("slow/img", "flaky/img"):
            if "latest" in r.manifests:
                digests.setdefault("manifest", {})[name] = r.manifests["latest"][2]
            img = getattr(r, "image", None)
            if img:
                digests.setdefault("config", {})[name] = img["config_digest"]
    return repos, digests


class State:
    def __init__(self, repos, digests):
        self.repos = repos
        self.digests = digests
        self.lock = threading.Lock()
        self.slow = True
        self.stop = threading.Event()
        self.tokens = set()  # (token, repository)
        self.reset()

    def reset(self):
        with self.lock:
            self.counts = {}
            self.token_count = 0
            self.scopes = []
            self.authz = {}
            self.bytes = {}
            self.flaky_left = {n: {"manifest": r.flaky, "blob": r.flaky} for n, r in self.repos.items()}

    def count(self, repo, kind):
        with self.lock:
            c = self.counts.setdefault(repo, {"manifest": 0, "blob": 0})
            c[kind] += 1


ROUTE = re.compile(r"^/v2/(.+)/(manifests|blobs)/([^/]+)$")


def errors_body(code, message, detail=None):
    e = {"code": code, "message": message}
    if detail is not None:
        e["detail"] = detail
    return json.dumps({"errors": [e]}).encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakereg/1"
    st = None  # State

    def log_message(self, fmt, *args):
        sys.stderr.write("%s fakereg: %s\n" % (time.strftime("%H:%M:%S"), fmt % args))
        sys.stderr.flush()

    def reply(self, status, body=b"", ctype="application/json", headers=None, head=False):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Docker-Distribution-API-Version", "registry/2.0")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if not head and body:
            self.wfile.write(body)

    def do_HEAD(self):
        self.handle_any(head=True)

    def do_GET(self):
        self.handle_any(head=False)

    def handle_any(self, head):
        try:
            self.route(head)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def route(self, head):
        st = self.st
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        if u.path == "/_fakereg/stats":
            with st.lock:
                body = json.dumps({"counts": st.counts, "token": st.token_count, "scopes": st.scopes,
                                   "authorization": st.authz, "bytes": st.bytes,
                                   "digests": st.digests, "slow": st.slow}).encode()
            return self.reply(200, body, head=head)
        if u.path == "/_fakereg/ctl":
            if "slow" in q:
                st.slow = q["slow"][0] == "1"
            return self.reply(200, b"{}", head=head)
        if u.path == "/_fakereg/reset":
            st.reset()
            return self.reply(200, b"{}", head=head)
        if u.path == "/token":
            return self.token(q, head)
        if u.path in ("/v2", "/v2/"):
            return self.reply(200, b"{}", head=head)
        if u.path.startswith("/_blobstore/"):
            d = u.path[len("/_blobstore/"):]
            for r in st.repos.values():
                if d in r.blobs:
                    return self.reply(200, r.blobs[d], "application/octet-stream", head=head)
            return self.reply(404, b"not here", "text/plain", head=head)
        m = ROUTE.match(u.path)
        if not m:
            return self.reply(404, errors_body("UNSUPPORTED", "not a registry path"), head=head)
        name, kind, ref = m.group(1), m.group(2), m.group(3)
        kind1 = "manifest" if kind == "manifests" else "blob"
        r = st.repos.get(name)
        if r is None:
            st.count(name, kind1)
            return self.reply(404, errors_body("NAME_UNKNOWN", "repository name not known to registry",
                                               {"name": name}), head=head)
        auth = self.headers.get("Authorization")
        with st.lock:
            st.authz.setdefault(name, []).append(auth.split(" ", 1)[0] if auth else "")
        if not self.authorized(r, auth):
            return self.challenge(r, head)
        st.count(name, kind1)
        if r.fail == "json":
            return self.reply(500, errors_body("UNKNOWN", "fakereg: internal failure"), head=head)
        if r.fail == "text":
            return self.reply(500, b"boom: the backend is on fire\n", "text/plain", head=head)
        if not head:
            with st.lock:
                left = st.flaky_left[name][kind1]
                if left > 0:
                    st.flaky_left[name][kind1] = left - 1
            if left > 0:
                return self.reply(503, errors_body("UNAVAILABLE", "fakereg: try again"))
        if kind == "manifests":
            return self.manifest(r, ref, head)
        return self.blob(r, ref, head)

    # --- auth ---------------------------------------------------------------------
    def basic_ok(self, auth):
        if not auth or not auth.startswith("Basic "):
            return False
        try:
            up = base64.b64decode(auth[6:].strip()).decode()
        except Exception:
            return False
        return up == "%s:%s" % (USER, PASSWORD)

    def authorized(self, r, auth):
        if r.auth is None:
            return True
        if r.auth == "basic":
            return self.basic_ok(auth)
        if auth and auth.startswith("Bearer "):
            tok = auth[7:].strip()
            with self.st.lock:
                return (tok, r.name) in self.st.tokens
        return False

    def challenge(self, r, head):
        if r.auth == "basic":
            h = {"WWW-Authenticate": 'Basic realm="fakereg"'}
        else:
            port = self.server.server_address[1]
            h = {"WWW-Authenticate": 'Bearer realm="http://127.0.0.1:%d/token",service="fake",'
                                     'scope="repository:%s:pull"' % (port, r.name)}
        return self.reply(401, errors_body("UNAUTHORIZED", "authentication required"), headers=h,
                          head=head)

    def token(self, q, head):
        st = self.st
        scope = (q.get("scope") or [""])[0]
        with st.lock:
            st.token_count += 1
            st.scopes.append({"scope": scope, "service": (q.get("service") or [""])[0]})
        if not self.basic_ok(self.headers.get("Authorization")):
            body = json.dumps({"details": "incorrect username or password",
                               "errors": [{"code": "UNAUTHORIZED",
                                           "message": "incorrect username or password"}]}).encode()
            return self.reply(401, body, head=head)
        m = re.match(r"^repository:(.+):([a-z,*]+)$", scope)
        if not m or "pull" not in m.group(2).split(","):
            return self.reply(403, errors_body("DENIED", "bad scope %r" % scope), head=head)
        tok = "fk-" + secrets.token_hex(16)
        with st.lock:
            st.tokens.add((tok, m.group(1)))
        body = json.dumps({"token": tok, "access_token": tok, "expires_in": 300}).encode()
        return self.reply(200, body, head=head)

    # --- content ------------------------------------------------------------------
    def manifest(self, r, ref, head):
        ent = r.manifests.get(ref)
        if ent is None:
            return self.reply(404, errors_body("MANIFEST_UNKNOWN", "manifest unknown", {"Tag": ref}),
                              head=head)
        body, mt, digest = ent
        body = r.serve_manifest.get(ref, body)
        if r.stall and not head:
            # headers (and a promised body), then nothing
            self.send_response(200)
            self.send_header("Content-Type", mt)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Docker-Content-Digest", digest)
            self.end_headers()
            self.wfile.flush()
            self.st.stop.wait(STALL_MAX)
            self.close_connection = True
            return
        return self.reply(200, body, mt, {"Docker-Content-Digest": digest}, head=head)

    def blob(self, r, digest, head):
        data = r.blobs.get(digest)
        if data is None:
            return self.reply(404, errors_body("BLOB_UNKNOWN", "blob unknown to registry",
                                               {"digest": digest}), head=head)
        data = r.serve_blob.get(digest, data)
        if r.redirect and not head:
            return self.reply(307, b"", "text/plain",
                              {"Location": "/_blobstore/%s" % digest})
        if digest not in r.slow or head:
            return self.reply(200, data, "application/octet-stream",
                              {"Docker-Content-Digest": digest}, head=head)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Docker-Content-Digest", digest)
        self.end_headers()
        sent = 0
        with self.st.lock:
            self.st.bytes[digest] = 0
        while sent < len(data):
            n = SLOW_CHUNK if self.st.slow else len(data) - sent
            self.wfile.write(data[sent : sent + n])
            self.wfile.flush()
            sent += n
            with self.st.lock:
                self.st.bytes[digest] = sent
            if self.st.slow and not self.st.stop.is_set():
                time.sleep(SLOW_DELAY)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--outside", required=True)
    ap.add_argument("--log")
    a = ap.parse_args()
    if a.log:
        f = open(a.log, "a", buffering=1)
        sys.stderr = f
    repos, digests = build_repos(os.path.abspath(a.outside))
    st = State(repos, digests)
    Handler.st = st
    srv = Server(("127.0.0.1", 0), Handler)
    port = srv.server_address[1]
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, a.port_file)
    sys.stderr.write("fakereg: listening on 127.0.0.1:%d, %d repositories, zstd=%s\n"
                     % (port, len(repos), digests.get("zstd")))
    try:
        srv.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        st.stop.set()


if __name__ == "__main__":
    main()
