//! The README tells the truth: every ```console block in it is run, and its output checked.
//! A block is a session: `$ COMMAND` lines, each followed by what it prints (stdout and stderr
//! together); a line `...` stands for any number of lines, `...` within a line for any text
//! (an fd number, the rest of the line). Commands run in `sh` as root, with
//! this build's runix first in PATH, in a directory where `fs/busybox` is a fresh busybox root
//! (what `make demo` makes). Examples that cannot run here (another user, a board, a
//! distribution root) are in ```sh blocks, which are not run.

mod common;
use common::*;
use std::fs;
use std::process::Command;

/// (command, expected output lines) of every `$` line in the README's console blocks.
fn sessions() -> Vec<(String, Vec<String>)> {
    let readme = fs::read_to_string(manifest().join("README.md")).unwrap();
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    // The indentation of the open block's fence (a block in a list is indented): None outside.
    let mut indent: Option<usize> = None;
    for l in readme.lines() {
        let t = l.trim_start();
        match (indent, t) {
            (None, "```console") => indent = Some(l.len() - t.len()),
            (Some(_), "```") => indent = None,
            (Some(n), _) => {
                let line = l.get(n..).unwrap_or("");
                match line.strip_prefix("$ ") {
                    Some(cmd) => out.push((cmd.to_string(), Vec::new())),
                    None => out.last_mut().expect("a console block starts with a `$` line").1.push(line.to_string()),
                }
            }
            _ => {}
        }
    }
    out
}

/// Whether `got` is `want`, where a `...` line of `want` matches any number of lines, and
/// `...` within a line any text.
fn matches(want: &[String], got: &[&str]) -> bool {
    match want.split_first() {
        None => got.is_empty(),
        Some((w, rest)) if w == "..." => (0..=got.len()).any(|i| matches(rest, &got[i..])),
        Some((w, rest)) => got.first().is_some_and(|g| line_matches(w, g)) && matches(rest, &got[1..]),
    }
}

/// Whether the line `got` is `want` with each `...` in it standing for any text.
fn line_matches(want: &str, got: &str) -> bool {
    let mut parts = want.split("...");
    let first = parts.next().unwrap_or("");
    let Some(mut left) = got.strip_prefix(first) else { return false };
    let mut parts: Vec<&str> = parts.collect();
    let Some(last) = parts.pop() else { return left.is_empty() };
    for p in parts {
        match left.find(p) {
            Some(i) => left = &left[i + p.len()..],
            None => return false,
        }
    }
    left.len() >= last.len() && left.ends_with(last)
}

#[test]
fn the_readme_console_examples_print_what_it_shows() {
    if !need_root() {
        return;
    }
    let s = sessions();
    assert!(s.len() >= 10, "only {} console examples in README.md", s.len());
    let r = Root::busybox();
    let dir = Root::empty();
    fs::create_dir(dir.path.join("fs")).unwrap();
    std::os::unix::fs::symlink(&r.path, dir.path.join("fs/busybox")).unwrap();
    let bin = runix();
    let path = format!("{}:{}", bin.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    for (cmd, want) in s {
        let mut c = Command::new("timeout");
        c.args(["30", "sh", "-c", &format!("exec 2>&1; {cmd}")]).current_dir(&dir.path).env("PATH", &path);
        let o = run_cmd(&mut c, "", 40);
        let got: Vec<&str> = o.stdout.lines().collect();
        assert!(matches(&want, &got), "README: `$ {cmd}` printed:\n{}\nwhere the README shows:\n{}", o.stdout, want.join("\n"));
    }
}

#[test]
fn dots_stand_for_any_lines() {
    let w = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(matches(&w(&["a", "...", "z"]), &["a", "b", "c", "z"]));
    assert!(matches(&w(&["a", "...", "z"]), &["a", "z"]));
    assert!(!matches(&w(&["a", "z"]), &["a", "b", "z"]));
    assert!(!matches(&w(&["a"]), &[]));
    assert!(matches(&w(&["..."]), &[]));
    assert!(matches(&w(&["n: ..."]), &["n: 2"]));
    assert!(!matches(&w(&["n: ..."]), &["m: 2"]));
    assert!(matches(&w(&["open(..., \"a\") = ..."]), &["open(16, \"a\") = 17"]));
    assert!(!matches(&w(&["open(..., \"a\") = ..."]), &["open(16, \"b\") = 17"]));
    assert!(!matches(&w(&["f(...) = 0"]), &["f(3) = 0 x"]));
    assert!(!matches(&w(&["ab...ba"]), &["aba"]));
}
