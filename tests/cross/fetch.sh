#!/bin/sh
# fetch.sh CPU DIR: a Debian kernel and busybox-static of CPU, extracted under DIR/CPU:
#   kernel/     the linux-image package's tree (boot/vmlinu*, boot/config-*, usr/lib/modules)
#   busybox     busybox-static of CPU
#   busybox32   busybox-static of the CPU's 32-bit compat ABI (x86_64: i386, aarch64: armhf)
# From Debian trixie (SUITE), through an apt of its own under DIR/apt: the host's apt sources,
# lists and architectures are left as they are. Done once: DIR/CPU/.complete marks a finished
# fetch; remove DIR/CPU for a fresh one (DIR/apt/lists, for fresh package lists).
set -eu

cpu=$1 dir=$2
SUITE=${SUITE:-trixie}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

# Debian's name for the CPU, its kernel flavour (the meta package, which depends on the
# versioned package that holds the kernel), and the compat CPU, if it has one.
case $cpu in
x86_64) arch=amd64 kernel=linux-image-amd64 compat=i386 ;;
aarch64) arch=arm64 kernel=linux-image-arm64 compat=armhf ;;
riscv64) arch=riscv64 kernel=linux-image-riscv64 compat= ;;
# LPAE: the flavour qemu's virt machine with a cortex-a15 boots (and what armhf servers run).
armv7) arch=armhf kernel=linux-image-armmp-lpae compat= ;;
*) echo "fetch.sh: unknown CPU $cpu (x86_64 aarch64 riscv64 armv7)" >&2; exit 2 ;;
esac

out=$dir/$cpu
[ -f "$out/.complete" ] && exit 0

apt=$(realpath -m "$dir/apt")
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/etc/sources.list.d" \
	"$apt/etc/preferences.d" "$apt/etc/apt.conf.d" "$apt/etc/trusted.gpg.d"
# An empty dpkg status: apt resolves against nothing installed, so it never looks at (or
# wants to change) the host's packages.
touch "$apt/status"
keys=/usr/share/keyrings/debian-archive-$SUITE-automatic.gpg,/usr/share/keyrings/debian-archive-$SUITE-stable.gpg
echo "deb [signed-by=$keys] $MIRROR $SUITE main" >"$apt/etc/sources.list"
# Every Dir:: apt reads or writes points into $apt; the parts directories are empty, so the
# host's /etc/apt/apt.conf.d (proxies aside, which come from the environment) do not apply.
cat >"$apt/apt.conf" <<EOF
Dir::Etc::Main "$apt/apt.conf";
Dir::Etc::Parts "$apt/etc/apt.conf.d";
Dir::Etc::SourceList "$apt/etc/sources.list";
Dir::Etc::SourceParts "$apt/etc/sources.list.d";
Dir::Etc::Preferences "$apt/etc/preferences";
Dir::Etc::PreferencesParts "$apt/etc/preferences.d";
Dir::Etc::Trusted "/usr/share/keyrings/debian-archive-$SUITE-stable.gpg";
Dir::Etc::TrustedParts "$apt/etc/trusted.gpg.d";
Dir::State "$apt";
Dir::State::Lists "$apt/lists";
Dir::State::status "$apt/status";
Dir::Cache "$apt/cache";
APT::Architectures { "amd64"; "i386"; "arm64"; "armhf"; "riscv64"; };
Acquire::Languages "none";
// Lists kept compressed, and no source package cache: half the disk space.
Acquire::GzipIndexes "true";
Dir::Cache::srcpkgcache "";
// apt-get download writes into a directory of root's: no _apt sandbox to refuse it.
APT::Sandbox::User "root";
EOF
export APT_CONFIG="$apt/apt.conf"

# One apt at a time on $apt (make -j may fetch several CPUs at once).
exec 9>"$apt/lock.fetch"
flock 9

update() { apt-get update -qq >/dev/null; }
[ -f "$apt/.updated" ] || { update && touch "$apt/.updated"; }

# The versioned kernel package the meta package depends on.
real() { apt-cache depends "$kernel:$arch" | sed -n "s/^ *Depends: \(linux-image-[^:]*\).*/\1/p" | head -n 1; }
pkg=$(real)
[ -n "$pkg" ] || { echo "fetch.sh: no kernel package for $kernel:$arch in $SUITE" >&2; exit 1; }

rm -rf "$out" "$out.tmp"
mkdir -p "$out.tmp/debs"
want="$pkg:$arch busybox-static:$arch${compat:+ busybox-static:$compat}"
echo "fetch.sh: $cpu: $want ($SUITE)"
# Lists from an earlier run may name a kernel the mirror has dropped since (a point
# release replaces it): then fresh lists, and the kernel they name.
if ! (cd "$out.tmp/debs" && apt-get download -qq $want); then
	update
	pkg=$(real)
	want="$pkg:$arch busybox-static:$arch${compat:+ busybox-static:$compat}"
	(cd "$out.tmp/debs" && apt-get download -qq $want)
fi

dpkg-deb -x "$out.tmp/debs/${pkg}_"*"_$arch.deb" "$out.tmp/kernel"
for a in $arch $compat; do
	dpkg-deb -x "$out.tmp/debs/busybox-static_"*"_$a.deb" "$out.tmp/bb-$a"
done
# /usr/bin/busybox since trixie (merged /usr), /bin/busybox before.
cp "$out.tmp/bb-$arch/usr/bin/busybox" "$out.tmp/busybox" 2>/dev/null || cp "$out.tmp/bb-$arch/bin/busybox" "$out.tmp/busybox"
[ -z "$compat" ] || cp "$out.tmp/bb-$compat/usr/bin/busybox" "$out.tmp/busybox32" 2>/dev/null || cp "$out.tmp/bb-$compat/bin/busybox" "$out.tmp/busybox32"
# What the VMs use is kept; the .debs and busybox's trees are not.
rm -rf "$out.tmp/debs" "$out.tmp"/bb-* "$out.tmp/kernel/usr/share/doc"
touch "$out.tmp/.complete"
mv "$out.tmp" "$out"
