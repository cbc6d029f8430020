#!/usr/bin/env python3
"""mklayer.py: build image layers (tar streams) and images for registry tests.

Python 3 standard library only; zstd compression uses the `zstandard` module
when it is installed, else the `zstd` command, else it is unavailable
(zstd_available() says which).

As a module (fakereg.py imports it):

    tar_bytes(entries)            entries: list of dicts
        {"name": "etc/x", "type": "file", "data": b"...", "mode": 0o644}
        {"name": "d", "type": "dir"}
        {"name": "l", "type": "symlink", "target": "/anywhere"}
        {"name": "h", "type": "hardlink", "target": "etc/x"}
      Names are written exactly as given: `../x` and `/abs` stay hostile.
    gzip_bytes(data, level=6)     deterministic gzip (mtime 0)
    zstd_bytes(data)              zstd frame (None when unavailable)
    sha256(data)                  "sha256:<hex>"
    make_image(layers, ...)       {"config": bytes, "manifest": bytes,
                                   "manifest_type": ..., "blobs": {digest: bytes}}

As a command, for poking at a daemon by hand:

    mklayer.py tar SPEC.json OUT [--gzip|--zstd]
      SPEC.json is a list of entries as above ("data" is a string).
"""

import gzip
import hashlib
import io
import json
import shutil
import subprocess
import sys
import tarfile

MT_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MT_DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
MT_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MT_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
MT_OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
MT_OCI_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"

MTIME = 1700000000


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_bytes(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            ti = tarfile.TarInfo(e["name"])
            ti.mtime = e.get("mtime", MTIME)
            ti.uid = ti.gid = 0
            ti.uname = ti.gname = "root"
            kind = e.get("type", "file")
            data = None
            if kind == "file":
                data = e.get("data", b"")
                if isinstance(data, str):
                    data = data.encode()
                ti.type = tarfile.REGTYPE
                ti.size = len(data)
                ti.mode = e.get("mode", 0o644)
            elif kind == "dir":
                ti.type = tarfile.DIRTYPE
                ti.mode = e.get("mode", 0o755)
            elif kind == "symlink":
                ti.type = tarfile.SYMTYPE
                ti.linkname = e["target"]
                ti.mode = 0o777
            elif kind == "hardlink":
                ti.type = tarfile.LNKTYPE
                ti.linkname = e["target"]
                ti.mode = e.get("mode", 0o644)
            else:
                raise ValueError("unknown entry type %r" % kind)
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def gzip_bytes(data, level=6):
    return gzip.compress(data, compresslevel=level, mtime=0)


def zstd_available():
    try:
        import zstandard  # noqa: F401

        return "zstandard"
    except ImportError:
        pass
    if shutil.which("zstd"):
        return "zstd-cli"
    return None


def zstd_bytes(data):
    how = zstd_available()
    if how == "zstandard":
        import zstandard

        return zstandard.ZstdCompressor(level=3).compress(data)
    if how == "zstd-cli":
        return subprocess.run(
            ["zstd", "-q", "-c", "-3"], input=data, stdout=subprocess.PIPE, check=True
        ).stdout
    return None


def layer(entries, compression="gzip", oci=False, level=6):
    """A layer descriptor source: (blob bytes, media type, diff_id)."""
    raw = tar_bytes(entries)
    if compression == "gzip":
        blob = gzip_bytes(raw, level)
        mt = MT_OCI_LAYER_GZIP if oci else MT_DOCKER_LAYER
    elif compression == "zstd":
        blob = zstd_bytes(raw)
        if blob is None:
            return None
        mt = MT_OCI_LAYER_ZSTD
    elif compression == "none":
        blob = raw
        mt = MT_OCI_LAYER_TAR
    else:
        raise ValueError(compression)
    return {"blob": blob, "media_type": mt, "diff_id": sha256(raw), "tar": raw}


def make_config(diff_ids, created="2023-06-01T00:00:00Z", arch="amd64", os_="linux",
                variant=None, labels=None, cmd=None, history=None):
    cfg = {
        "architecture": arch,
        "os": os_,
        "created": created,
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": cmd or ["/hello"],
        },
        "rootfs": {"type": "layers", "diff_ids": list(diff_ids)},
        "history": history
        or [{"created": created, "created_by": "fakereg layer %d" % i} for i in range(len(diff_ids))],
    }
    if variant:
        cfg["variant"] = variant
    if labels:
        cfg["config"]["Labels"] = labels
    return json.dumps(cfg, sort_keys=True).encode()


def make_image(layers, oci=False, config=None, **cfg_kw):
    """layers: list of layer() results. Returns the config, the manifest and
    every blob by digest."""
    if config is None:
        config = make_config([l["diff_id"] for l in layers], **cfg_kw)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MT_OCI_MANIFEST if oci else MT_DOCKER_MANIFEST,
        "config": {
            "mediaType": MT_OCI_CONFIG if oci else MT_DOCKER_CONFIG,
            "size": len(config),
            "digest": sha256(config),
        },
        "layers": [
            {"mediaType": l["media_type"], "size": len(l["blob"]), "digest": sha256(l["blob"])}
            for l in layers
        ],
    }
    mbytes = json.dumps(manifest, indent=3).encode()
    blobs = {sha256(config): config}
    for l in layers:
        blobs[sha256(l["blob"])] = l["blob"]
    return {
        "config": config,
        "config_digest": sha256(config),
        "manifest": mbytes,
        "manifest_digest": sha256(mbytes),
        "manifest_type": manifest["mediaType"],
        "blobs": blobs,
    }


def make_index(images, oci=True):
    """images: list of (make_image result, platform dict)."""
    idx = {
        "schemaVersion": 2,
        "mediaType": MT_OCI_INDEX if oci else MT_DOCKER_LIST,
        "manifests": [
            {
                "mediaType": img["manifest_type"],
                "size": len(img["manifest"]),
                "digest": img["manifest_digest"],
                "platform": plat,
            }
            for img, plat in images
        ],
    }
    b = json.dumps(idx, indent=3).encode()
    return {"manifest": b, "manifest_digest": sha256(b), "manifest_type": idx["mediaType"]}


def main(argv):
    if len(argv) < 4 or argv[1] != "tar":
        sys.stderr.write(__doc__)
        return 2
    with open(argv[2]) as f:
        entries = json.load(f)
    data = tar_bytes(entries)
    if "--gzip" in argv:
        data = gzip_bytes(data)
    elif "--zstd" in argv:
        data = zstd_bytes(data)
        if data is None:
            sys.stderr.write("no zstd compressor (pip install zstandard, or apt install zstd)\n")
            return 1
    with open(argv[3], "wb") as f:
        f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
