#!/bin/sh
# Print "URI SUITE" of the machine's main Debian (or Ubuntu) archive, read from apt's sources:
# the first enabled `deb` entry whose suite is a release (not -updates, -security, ...).
# Both formats apt reads: one-line sources.list(5) and deb822 *.sources, in apt's order
# (sources.list, then sources.list.d/ in name order). APT_DIR is for the tests.
set -eu
dir=${APT_DIR:-/etc/apt}
files=""
[ -f "$dir/sources.list" ] && files="$dir/sources.list"
for f in "$dir"/sources.list.d/*; do
    case $f in *.list|*.sources) [ -f "$f" ] && files="$files $f" ;; esac
done
[ -n "$files" ] || { echo "mirror.sh: no apt sources in $dir" >&2; exit 1; }

# shellcheck disable=SC2086 # file names from apt's own directory, split on purpose
awk '
function release(s) { return s !~ /[-\/]/ }
function found(uri, suite) { print uri, suite; done = 1; exit }
# A deb822 file ends its last stanza.
FNR == 1 && prev ~ /\.sources$/ { stanza(); delete f; key = "" }
{ prev = FILENAME }
# One-line format: deb [opt=v ...] URI SUITE COMPONENT...
FILENAME ~ /\.list$/ {
    sub(/#.*/, "")
    if ($1 != "deb") next
    line = $0
    sub(/^[ \t]*deb[ \t]+/, "", line)
    if (line ~ /^\[/) sub(/^\[[^]]*\][ \t]*/, "", line)
    n = split(line, w, " ")
    if (n >= 2 && release(w[2])) found(w[1], w[2])
    next
}
# deb822: stanzas of "Field: value" lines separated by blank lines; a value may go on over
# lines that start with a space.
function stanza(   n, t, u, s, i, j, ok) {
    if (tolower(f["enabled"]) == "no") return
    n = split(f["types"], t, " "); ok = 0
    for (i = 1; i <= n; i++) if (t[i] == "deb") ok = 1
    if (!ok) return
    split(f["uris"], u, " ")
    n = split(f["suites"], s, " ")
    for (j = 1; j <= n; j++) if (s[j] != "" && release(s[j])) found(u[1], s[j])
}
/^[ \t]*#/ { next }
/^[ \t]*$/ { stanza(); delete f; key = ""; next }
/^[ \t]/ && key != "" { v = $0; gsub(/^[ \t]+|[ \t]+$/, "", v); f[key] = f[key] " " v; next }
{
    key = tolower($0); sub(/:.*/, "", key)
    v = $0; sub(/^[^:]*:[ \t]*/, "", v); sub(/[ \t]+$/, "", v)
    f[key] = v
}
END {
    if (done) exit 0
    if (prev ~ /\.sources$/) stanza()
    if (!done) { print "mirror.sh: no enabled deb entry for a release in the apt sources" > "/dev/stderr"; exit 1 }
}
' $files
