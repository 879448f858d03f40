#!/bin/sh
# deps.sh DIR PACKAGE...: install the host's qemu packages (and OpenSBI) when missing.
# qemu's packages must all be of one version. A Debian host whose qemu-utils came from
# backports (as this project's machines have it) gets the rest from backports too: through an
# apt of its own under DIR (sources, lists, cache), so /etc/apt stays as it is. Any other host
# installs them from its own sources.
set -eu

dir=$1
shift
missing=
for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
[ -n "$missing" ] || exit 0
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive

case $(dpkg-query -W -f '${Version}' qemu-utils 2>/dev/null || true) in
*bpo*)
	. /etc/os-release
	apt=$(realpath -m "$dir")
	mkdir -p "$apt/parts" "$apt/lists/partial" "$apt/cache/archives/partial"
	keys=/usr/share/keyrings/debian-archive-keyring.gpg
	# The host's release (for the libraries qemu needs) and its backports.
	printf 'deb [signed-by=%s] http://deb.debian.org/debian %s main\n' "$keys" "$VERSION_CODENAME" "$keys" "$VERSION_CODENAME-backports" >"$apt/sources.list"
	set -- -o Dir::Etc::SourceList="$apt/sources.list" -o Dir::Etc::SourceParts="$apt/parts" \
		-o Dir::State::Lists="$apt/lists" -o Dir::Cache="$apt/cache" -o Acquire::Languages=none
	apt-get "$@" update -qq
	# shellcheck disable=SC2086 # a list of package names
	apt-get "$@" install -y -qq -t "$VERSION_CODENAME-backports" --no-install-recommends $missing >/dev/null
	;;
*)
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
	;;
esac
