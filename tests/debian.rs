//! `runix run` as root in a real distribution: a Debian minbase root that `make debian-root`
//! makes once with debootstrap from the machine's own apt mirror (tests/debian/mirror.sh).
//! The original README's demo, for real. The tests never download anything.

mod common;
use common::*;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Seconds one container may take; bash and apt start in well under one.
const SECS: u64 = 60;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// What a run must not change in the image: every entry of the top level, /etc and /root,
/// with its type, mode, owner, size, inode and change times.
fn listing(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["", "etc", "root"] {
        let d = root.join(dir);
        let mut names: Vec<PathBuf> = fs::read_dir(&d).unwrap().map(|e| e.unwrap().path()).collect();
        names.sort();
        names.insert(0, d);
        for p in names {
            let m = fs::symlink_metadata(&p).unwrap();
            out.push(format!(
                "{} {:o} {}:{} {} ino={} mtime={}.{:09} ctime={}.{:09}",
                p.strip_prefix(root).unwrap().display(),
                m.mode(),
                m.uid(),
                m.gid(),
                m.size(),
                m.ino(),
                m.mtime(),
                m.mtime_nsec(),
                m.ctime(),
                m.ctime_nsec()
            ));
        }
    }
    out
}

/// Host mounts at or under the root: the test's own, so other containers on the host do not
/// disturb it. A run must leave none.
fn mounts_under(root: &Path) -> Vec<String> {
    let root = fs::canonicalize(root).unwrap();
    fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .filter(|l| Path::new(l.split(' ').nth(4).unwrap()).starts_with(&root))
        .map(String::from)
        .collect()
}

/// The root on disk and the host's mounts in it, as they were: names what differs.
fn assert_unchanged(r: &Path, before: &(Vec<String>, Vec<String>), what: &str) {
    let after = (listing(r), mounts_under(r));
    let gone = before.0.iter().chain(&before.1).filter(|l| !after.0.contains(l) && !after.1.contains(l));
    let new = after.0.iter().chain(&after.1).filter(|l| !before.0.contains(l) && !before.1.contains(l));
    let diff: Vec<String> = gone.map(|l| format!("- {l}")).chain(new.map(|l| format!("+ {l}"))).collect();
    assert!(diff.is_empty(), "{what} changed the root on disk:\n{}", diff.join("\n"));
}

#[test]
fn ps_hostname_id_and_dev() {
    let Some(r) = debian() else { return };
    let o = run_in(&["run", "-r", s(&r), "bash", "-c", "ps -ax; hostname; id; ls /dev"], "", SECS);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""), "{}", o.stdout);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines[0], "    PID TTY      STAT   TIME COMMAND", "{}", o.stdout);
    // Only the container's processes: bash as PID 1, and the ps it forked. PID TTY STAT TIME
    // are the first four columns; the command line is the rest.
    let procs: Vec<(&str, String)> = lines[1..3]
        .iter()
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w[0], w[4..].join(" "))
        })
        .collect();
    assert_eq!(procs[0], ("1", "bash -c ps -ax; hostname; id; ls /dev".to_string()), "{}", o.stdout);
    assert_eq!(procs[1].1, "ps -ax", "{}", o.stdout);
    let dev = ["fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"];
    let mut want = vec!["container", "uid=0(root) gid=0(root) groups=0(root)"];
    want.extend(dev);
    assert_eq!(lines[3..], want[..], "{}", o.stdout);
}

#[test]
fn apt_get_version() {
    let Some(r) = debian() else { return };
    // The version dpkg installed, from the image's own package database.
    let status = fs::read_to_string(r.join("var/lib/dpkg/status")).unwrap();
    let apt = status.split("\n\n").find(|p| p.starts_with("Package: apt\n")).expect("apt in var/lib/dpkg/status");
    let field = |name: &str| apt.lines().find_map(|l| l.strip_prefix(name)).unwrap().to_string();
    let o = run_in(&["run", "-r", s(&r), "apt-get", "--version"], "", SECS);
    assert_eq!((o.code, o.stderr.as_str()), (0, ""), "{}", o.stdout);
    assert_eq!(o.stdout.lines().next(), Some(format!("apt {} ({})", field("Version: "), field("Architecture: ")).as_str()), "{}", o.stdout);
}

#[test]
fn bash_fed_from_a_pipe() {
    let Some(r) = debian() else { return };
    let version = fs::read_to_string(r.join("etc/debian_version")).unwrap();
    // `runix run -r ../fs/ubuntu-fs -p 20 -v /bin/bash`, typed into from stdin.
    let o = run_in(&["run", "-r", s(&r), "bash"], "echo $$\nhostname\ncat /etc/debian_version\nexit 3\necho not reached\n", SECS);
    assert_eq!((o.code, o.stderr.as_str()), (3, ""), "{}", o.stdout);
    assert_eq!(o.stdout, format!("1\ncontainer\n{version}"));
}

#[test]
fn runs_leave_the_root_on_disk_unchanged() {
    let Some(r) = debian() else { return };
    let before = (listing(&r), mounts_under(&r));
    let o = run_in(&["run", "-r", s(&r), "bash", "-c", "ps -ax >/dev/null && apt-get --version >/dev/null && ls -laR /etc /root >/dev/null && echo ok"], "", SECS);
    assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "ok\n", ""));
    let o = run_in(&["run", "-r", s(&r), "bash"], "cd /tmp\nhostname\n", SECS);
    assert_eq!((o.code, o.stdout.as_str()), (0, "container\n"), "{}", o.stderr);
    assert_unchanged(&r, &before, "a run");
}

#[test]
fn overlay_writes_leave_the_root_on_disk_unchanged() {
    let Some(r) = debian() else { return };
    let before = (listing(&r), mounts_under(&r));
    let script = "touch /etc/new && echo hi >/root/f && rm /etc/hostname && ls /etc/new && cat /root/f && ! test -e /etc/hostname && echo gone";
    let o = run_in(&["run", "-r", s(&r), "--overlay", "bash", "-c", script], "", SECS);
    assert_eq!((o.code, o.stdout.as_str(), o.stderr.as_str()), (0, "/etc/new\nhi\ngone\n", ""));
    // Each run starts again from the image.
    let o = run_in(&["run", "-r", s(&r), "--overlay", "bash", "-c", "ls /etc/new /root/f; cat /etc/hostname >/dev/null && echo back"], "", SECS);
    assert_eq!(o.stdout, "back\n", "{}", o.stderr);
    assert_unchanged(&r, &before, "--overlay");
    assert!(!r.join("etc/new").exists());
}

/// tests/debian/mirror.sh, which names the mirror and release debootstrap uses: the first
/// enabled `deb` entry for a release, in one-line sources.list and in deb822 .sources.
#[test]
fn mirror_is_read_from_either_apt_sources_format() {
    let mirror = |files: &[(&str, &str)]| {
        let dir = Root::empty();
        fs::create_dir_all(dir.path.join("sources.list.d")).unwrap();
        for (name, text) in files {
            dir.file(name, text, 0o644);
        }
        let out = Command::new(manifest().join("tests/debian/mirror.sh")).env("APT_DIR", &dir.path).output().unwrap();
        (out.status.code().unwrap(), String::from_utf8(out.stdout).unwrap())
    };
    let classic = "# deb http://commented/debian bookworm main\n\
                   deb-src http://src/debian bookworm main\n\
                   deb [arch=amd64 signed-by=/k.gpg] http://security.debian.org/debian-security bookworm-security main\n\
                   deb [ arch=amd64 ] http://ftp.de.debian.org/debian/ bookworm main contrib # trailing\n";
    assert_eq!(mirror(&[("sources.list", classic)]), (0, "http://ftp.de.debian.org/debian/ bookworm\n".into()));
    let deb822 = "Types: deb\nEnabled: no\nURIs: http://off/debian\nSuites: trixie\n\n\
                  # a comment\n\
                  Types: deb-src deb\nURIs:\n http://deb.debian.org/debian\n http://second/debian\n\
                  Suites: trixie-updates\n  trixie\nComponents: main\n";
    assert_eq!(mirror(&[("sources.list.d/debian.sources", deb822)]), (0, "http://deb.debian.org/debian trixie\n".into()));
    // apt's order: sources.list first, then sources.list.d/ by name; a stanza ends at the end
    // of its file too.
    let files = [
        ("sources.list", "deb http://u/debian bookworm-updates main\n"),
        ("sources.list.d/a.sources", "Types: deb\nURIs: http://a/debian\nSuites: sid"),
        ("sources.list.d/b.list", "deb http://b/debian bookworm main\n"),
        ("sources.list.d/c.disabled", "deb http://c/debian bookworm main\n"),
    ];
    assert_eq!(mirror(&files), (0, "http://a/debian sid\n".into()));
    assert_eq!(mirror(&files[2..]), (0, "http://b/debian bookworm\n".into()));
    assert_eq!(mirror(&files[3..]).0, 1, "no sources");
    assert_eq!(mirror(&[("sources.list", "deb http://u/debian bookworm-updates main\n")]).0, 1, "no release");
}
