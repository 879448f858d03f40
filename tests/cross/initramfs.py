#!/usr/bin/env python3
"""Write an initramfs: an uncompressed cpio archive in the kernel's "newc" format
(Documentation/driver-api/early-userspace/buffer-format.rst), without root and without cpio(1).

    initramfs.py OUT ENTRY... [--modules KERNEL_TREE NAME...]

ENTRY is one of
    dir:PATH            a directory (0755)
    file:PATH=SRC       the host file SRC, with its permission bits
    link:PATH=TARGET    a symbolic link
    chr:PATH=MAJ:MIN    a character device (0600): /dev/console, which the kernel opens
                        for the init's stdin, stdout and stderr before any /dev is mounted

--modules takes the tree a linux-image .deb was extracted to (dpkg-deb -x) and module names:
each module, and first those it depends on (the .modinfo "depends=" field: the package has no
modules.dep, depmod makes it at install), is written decompressed as /lib/modules/NAME.ko
(one the kernel has built in, as modules.builtin lists, is left out),
because busybox insmod reads plain ELF only; /lib/modules/order lists them, in load order.
The parents of every path are made as directories: the kernel makes none itself.
"""

import gzip
import lzma
import os
import struct
import sys
from pathlib import Path


class Cpio:
    def __init__(self, out):
        self.out = out
        self.ino = 0
        self.dirs = set()

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        self.ino += 1
        name = name.strip("/").encode()
        # Fields: ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor
        # rdevminor namesize check; mtime 0, so the same inputs give the same archive.
        fields = (self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name) + 1, 0)
        head = b"070701" + b"".join(b"%08x" % f for f in fields)
        self.out.write(head + name + b"\0")
        self.out.write(b"\0" * (-(len(head) + len(name) + 1) % 4))
        self.out.write(data)
        self.out.write(b"\0" * (-len(data) % 4))

    def parents(self, path):
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            self.dir("/".join(parts[:i]))

    def dir(self, path):
        path = path.strip("/")
        if path and path not in self.dirs:
            self.parents(path)
            self.dirs.add(path)
            self._entry(path, 0o040755)

    def file(self, path, data, perm=0o644):
        self.parents(path)
        self._entry(path, 0o100000 | perm, data)

    def link(self, path, target):
        self.parents(path)
        self._entry(path, 0o120777, target.encode())

    def chr(self, path, major, minor):
        self.parents(path)
        self._entry(path, 0o020600, rdev=(major, minor))

    def close(self):
        self._entry("TRAILER!!!", 0)


def decompress(path):
    data = path.read_bytes()
    if path.suffix == ".xz":
        return lzma.decompress(data)
    if path.suffix == ".gz":
        return gzip.decompress(data)
    if path.suffix == ".ko":
        return data
    sys.exit(f"initramfs.py: {path}: cannot decompress (only .ko, .ko.xz, .ko.gz)")


def modinfo(elf):
    """The .modinfo section's key=value strings of a module (32- or 64-bit, little-endian)."""
    if elf[:4] != b"\x7fELF" or elf[5] != 1:
        sys.exit("initramfs.py: a module that is not a little-endian ELF file")
    if elf[4] == 2:
        shoff, = struct.unpack_from("<Q", elf, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3A)
        sec = lambda i: struct.unpack_from("<IIQQQQ", elf, shoff + i * shentsize)
    else:
        shoff, = struct.unpack_from("<I", elf, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x2E)
        sec = lambda i: struct.unpack_from("<IIIIII", elf, shoff + i * shentsize)
    # (name, type, flags, addr, offset, size)
    strtab = sec(shstrndx)
    for i in range(shnum):
        s = sec(i)
        name = elf[strtab[4] + s[0]:].split(b"\0", 1)[0]
        if name == b".modinfo":
            raw = elf[s[4]:s[4] + s[5]]
            return dict(kv.split(b"=", 1) for kv in raw.split(b"\0") if b"=" in kv)
    return {}


def add_modules(cpio, tree, names):
    # Module names use - and _ alike (modprobe treats them as the same).
    norm = lambda n: n.replace("-", "_")
    files, builtin = {}, set()
    # /usr/lib/modules since trixie (merged /usr), /lib/modules before.
    for base in [*Path(tree).glob("usr/lib/modules/*"), *Path(tree).glob("lib/modules/*")]:
        for p in base.glob("kernel/**/*.ko*"):
            files[norm(p.name.split(".ko")[0])] = p
        if (base / "modules.builtin").exists():
            builtin |= {norm(Path(l).name.split(".ko")[0]) for l in (base / "modules.builtin").read_text().split()}
    order = []

    def add(name):
        name = norm(name)
        if name in order or (name in builtin and name not in files):
            return
        if name not in files:
            sys.exit(f"initramfs.py: module {name} is in neither {tree}'s modules nor its modules.builtin")
        elf = decompress(files[name])
        for dep in modinfo(elf).get(b"depends", b"").decode().split(","):
            if dep:
                add(dep)
        order.append(name)
        cpio.file(f"lib/modules/{name}.ko", elf)

    for n in names:
        add(n)
    cpio.file("lib/modules/order", "".join(n + "\n" for n in order).encode())


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    out, args = argv[1], argv[2:]
    modules = None
    if "--modules" in args:
        i = args.index("--modules")
        args, modules = args[:i], args[i + 1:]
    with open(out + ".tmp", "wb") as f:
        cpio = Cpio(f)
        for a in args:
            kind, _, spec = a.partition(":")
            path, _, value = spec.partition("=")
            if kind == "dir":
                cpio.dir(path)
            elif kind == "file":
                src = Path(value)
                cpio.file(path, src.read_bytes(), src.stat().st_mode & 0o777)
            elif kind == "link":
                cpio.link(path, value)
            elif kind == "chr":
                major, minor = value.split(":")
                cpio.chr(path, int(major), int(minor))
            else:
                sys.exit(f"initramfs.py: {a}: unknown entry")
        if modules:
            add_modules(cpio, modules[0], modules[1:])
        cpio.close()
    # Whole or not at all: a run stopped halfway leaves no archive that looks done.
    os.replace(out + ".tmp", out)


if __name__ == "__main__":
    main(sys.argv)
