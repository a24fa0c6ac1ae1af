#!/usr/bin/env python3
"""manifest.py ROOT [--skip PATH]... - one line per file under ROOT, sorted.

Each line: path, type, mode, owner, size, content hash, link target, device
numbers, extended attributes, mtime (seconds) and the hard-link group (the
first path with the same inode), so two trees are equal when their
manifests are.  --skip leaves out a path (relative to ROOT) and what is
below it.
"""
import hashlib
import os
import stat
import sys


def main():
    root = sys.argv[1]
    skip = set()
    args = sys.argv[2:]
    while args:
        if args[0] == "--skip":
            skip.add(args[1].strip("/"))
            args = args[2:]
        else:
            sys.exit("usage: manifest.py ROOT [--skip PATH]...")
    first_of_inode = {}
    lines = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        names = sorted(dirnames + filenames)
        dirnames[:] = [d for d in dirnames
                       if os.path.normpath(os.path.join(rel_dir, d)) not in skip
                       and not os.path.islink(os.path.join(dirpath, d))]
        entries = [rel_dir] if rel_dir == "." else []
        entries += [os.path.normpath(os.path.join(rel_dir, n)) for n in names]
        for rel in entries:
            if rel in skip:
                continue
            path = os.path.join(root, rel)
            st = os.lstat(path)
            kind = stat.S_IFMT(st.st_mode)
            digest = link = dev = "-"
            if stat.S_ISREG(st.st_mode):
                with open(path, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()[:16]
            elif stat.S_ISLNK(st.st_mode):
                link = os.readlink(path)
            elif stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode):
                dev = "%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
            xattrs = []
            for name in sorted(os.listxattr(path, follow_symlinks=False)):
                value = os.getxattr(path, name, follow_symlinks=False)
                xattrs.append("%s=%s" % (name, value.hex()))
            group = "-"
            if not stat.S_ISDIR(st.st_mode):
                group = first_of_inode.setdefault((st.st_dev, st.st_ino), rel)
            size = st.st_size if not stat.S_ISDIR(st.st_mode) else "-"
            lines.append(" ".join(str(x) for x in (
                rel, oct(kind), oct(stat.S_IMODE(st.st_mode)),
                "%d:%d" % (st.st_uid, st.st_gid), size, digest, link, dev,
                ",".join(xattrs) or "-", int(st.st_mtime), group)))
    for line in sorted(lines):
        print(line)


main()
