#!/usr/bin/env python3
"""oci-layout.py - write OCI image layouts and layer tars for the tests.

  oci-layout.py tar OUT ENTRY...
      a layer tar; each ENTRY is one of
        f:PATH=TEXT     a file      d:PATH   a directory
        l:PATH=TARGET   a symlink   h:PATH=TARGET  a hard link
  oci-layout.py image DIR REF [OPTION...] TAR...
      adds an image named REF, of the layers TAR... (lowest first), to the
      layout DIR (made when missing):
        --compress gzip|none        how layers are stored (gzip)
        --layer-media-type TYPE     the layers' media type as written
        --platform OS/ARCH          the config's and the index entry's
        --wrong-diff-id             the config's last diff_id is off by one digit
        --extra-diff-id             the config lists one diff_id more than layers
        --cmd WORD                  a word of the config's Cmd (repeatable)
        --index                     the manifest behind an image index of two
                                    platforms (OS/ARCH and linux/s390x)

Blobs are written under their digests; index.json lists the images by
org.opencontainers.image.ref.name, as umoci and skopeo write them.
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest


def descriptor(media_type, digest, data, **extra):
    d = {"mediaType": media_type, "digest": digest, "size": len(data)}
    d.update(extra)
    return d


def make_tar(out, entries):
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            kind, rest = e.split(":", 1)
            path, _, value = rest.partition("=")
            info = tarfile.TarInfo(path)
            info.mtime = 1000000000
            data = None
            if kind == "f":
                data = value.encode()
                info.size = len(data)
                info.mode = 0o644
            elif kind == "d":
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
            elif kind == "l":
                info.type = tarfile.SYMTYPE
                info.linkname = value
            elif kind == "h":
                info.type = tarfile.LNKTYPE
                info.linkname = value
            else:
                sys.exit("oci-layout.py: unknown entry kind " + kind)
            t.addfile(info, io.BytesIO(data) if data is not None else None)


def make_image(layout, ref, args):
    compress, media, platform, wrong, cmd, index = "gzip", None, "linux/amd64", False, [], False
    extra = False
    tars = []
    while args:
        a = args.pop(0)
        if a == "--compress":
            compress = args.pop(0)
        elif a == "--layer-media-type":
            media = args.pop(0)
        elif a == "--platform":
            platform = args.pop(0)
        elif a == "--wrong-diff-id":
            wrong = True
        elif a == "--extra-diff-id":
            extra = True
        elif a == "--cmd":
            cmd.append(args.pop(0))
        elif a == "--index":
            index = True
        else:
            tars.append(a)
    os_, arch = platform.split("/")[:2]
    os.makedirs(layout, exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    layers, diff_ids = [], []
    for path in tars:
        with open(path, "rb") as f:
            raw = f.read()
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        data = gzip.compress(raw, mtime=0) if compress == "gzip" else raw
        mt = media or ("application/vnd.oci.image.layer.v1.tar" +
                       ("+gzip" if compress == "gzip" else ""))
        layers.append(descriptor(mt, blob(layout, data), data))
    if wrong:
        last = diff_ids[-1]
        diff_ids[-1] = last[:-1] + ("0" if last[-1] != "0" else "1")
    if extra:
        diff_ids.append("sha256:" + "0" * 64)
    config = {"architecture": arch, "os": os_,
              "config": {"Cmd": cmd or ["/bin/sh"], "Env": ["PATH=/usr/bin:/bin"]},
              "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    cdata = json.dumps(config).encode()
    manifest = {"schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": descriptor("application/vnd.oci.image.config.v1+json",
                                     blob(layout, cdata), cdata),
                "layers": layers}
    mdata = json.dumps(manifest).encode()
    entry = descriptor("application/vnd.oci.image.manifest.v1+json", blob(layout, mdata), mdata,
                       platform={"os": os_, "architecture": arch})
    if index:
        other = dict(entry, platform={"os": "linux", "architecture": "s390x"})
        idata = json.dumps({"schemaVersion": 2, "manifests": [other, entry]}).encode()
        entry = descriptor("application/vnd.oci.image.index.v1+json", blob(layout, idata), idata)
    entry["annotations"] = {"org.opencontainers.image.ref.name": ref}
    path = os.path.join(layout, "index.json")
    top = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(path):
        with open(path) as f:
            top = json.load(f)
    top["manifests"].append(entry)
    with open(path, "w") as f:
        json.dump(top, f)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "tar":
        make_tar(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) >= 4 and sys.argv[1] == "image":
        make_image(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit(__doc__)


main()
