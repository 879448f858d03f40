//! The shape of the source tree (docs/architecture.md): no file over 700 lines, and no import
//! circle between modules, so that each layer depends only on those below it. No root needed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 700;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn no_file_is_over_700_lines() {
    let mut files = Vec::new();
    for d in ["src", "tests", "build.rs"] {
        let p = root().join(d);
        if p.is_dir() { rust_files(&p, &mut files) } else { files.push(p) }
    }
    let long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let n = fs::read_to_string(f).unwrap().lines().count();
            (n > MAX_LINES).then(|| format!("{}: {n} lines", f.strip_prefix(root()).unwrap().display()))
        })
        .collect();
    assert!(long.is_empty(), "over {MAX_LINES} lines:\n{}", long.join("\n"));
}

/// `src/a/b.rs` and `src/a/b/mod.rs` are module `a::b`; lib.rs and main.rs are the crate.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root().join("src")).unwrap();
    let mut parts: Vec<String> = rel.iter().map(|c| c.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap();
    match last.as_str() {
        "mod.rs" | "lib.rs" | "main.rs" => {}
        f => parts.push(f.trim_end_matches(".rs").to_string()),
    }
    parts
}

/// The paths named after `crate::` and `super::` in a file's code (not its comments, not its
/// tests), each as the list of its segments from the crate root; `{a, b::c}` groups expand.
fn references(text: &str, me: &[String]) -> Vec<Vec<String>> {
    let code: String = text
        .split("#[cfg(test)]\nmod tests {")
        .next()
        .unwrap()
        .lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let boundary = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b':');
        let (base, len): (Vec<String>, usize) = if boundary && b[i..].starts_with(b"crate::") {
            (Vec::new(), 7)
        } else if boundary && b[i..].starts_with(b"$crate::") {
            (Vec::new(), 8)
        } else if boundary && b[i..].starts_with(b"super::") {
            let mut base = me.to_vec();
            let mut len = 0;
            while b[i + len..].starts_with(b"super::") {
                base.pop();
                len += 7;
            }
            (base, len)
        } else {
            i += 1;
            continue;
        };
        i += len;
        path_at(&code, &mut i, base, &mut out);
    }
    out
}

/// The path (or `{...}` group of paths) at `i`, appended to `base`.
fn path_at(code: &str, i: &mut usize, mut base: Vec<String>, out: &mut Vec<Vec<String>>) {
    let b = code.as_bytes();
    loop {
        while *i < b.len() && b[*i].is_ascii_whitespace() {
            *i += 1;
        }
        if *i < b.len() && b[*i] == b'{' {
            *i += 1;
            loop {
                path_at(code, i, base.clone(), out);
                while *i < b.len() && b[*i] != b',' && b[*i] != b'}' {
                    *i += 1;
                }
                if *i >= b.len() || b[*i] == b'}' {
                    *i += 1;
                    return;
                }
                *i += 1;
            }
        }
        let start = *i;
        while *i < b.len() && (b[*i].is_ascii_alphanumeric() || b[*i] == b'_') {
            *i += 1;
        }
        if *i == start {
            break;
        }
        base.push(code[start..*i].to_string());
        if b[*i..].starts_with(b"::") {
            *i += 2;
        } else {
            break;
        }
    }
    out.push(base);
}

#[test]
fn no_import_circles() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let sources: Vec<(Vec<String>, String, String)> = files
        .iter()
        .map(|f| (module_of(f), fs::read_to_string(f).unwrap(), f.strip_prefix(root()).unwrap().display().to_string()))
        .collect();
    let lib = fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let circles = circles(&sources, &lib);
    assert!(circles.is_empty(), "import circles:\n{}", circles.join("\n"));
}

/// The circles among `sources` (module, text, name shown): each edge on one, with why.
fn circles(sources: &[(Vec<String>, String, String)], lib: &str) -> Vec<String> {
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.0.clone()).collect();
    // lib.rs's `pub use a::b;`: `crate::b` is `crate::a::b`.
    let aliases: BTreeMap<String, Vec<String>> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub use ")?.strip_suffix(';'))
        .map(|p| p.split("::").map(String::from).collect::<Vec<_>>())
        .map(|p| (p.last().unwrap().clone(), p))
        .collect();
    // Edges between the two modules a reference joins, each taken at the level where their
    // paths part (siblings under one parent): a module's own children, and its parents, are
    // its own business.
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    let mut why: BTreeMap<(Vec<String>, Vec<String>), String> = BTreeMap::new();
    for (me, text, name) in sources {
        if me.is_empty() {
            continue;
        }
        for mut r in references(text, me) {
            if let Some(a) = r.first().and_then(|x| aliases.get(x)) {
                r.splice(..1, a.iter().cloned());
            }
            let target = (0..=r.len()).rev().map(|n| r[..n].to_vec()).find(|p| modules.contains(p)).unwrap();
            let common = me.iter().zip(&target).take_while(|(a, b)| a == b).count();
            if common == me.len() || common == target.len() {
                continue;
            }
            let (a, b) = (me[..=common].to_vec(), target[..=common].to_vec());
            why.entry((a.clone(), b.clone())).or_insert_with(|| format!("{name} uses crate::{}", r.join("::")));
            edges.entry(a).or_default().insert(b);
        }
    }
    let mut circles = Vec::new();
    for (from, tos) in &edges {
        for to in tos {
            if reaches(&edges, to, from, &mut BTreeSet::new()) {
                circles.push(format!("{} -> {} ({})", from.join("::"), to.join("::"), why[&(from.clone(), to.clone())]));
            }
        }
    }
    circles
}

fn reaches(edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>, from: &Vec<String>, to: &Vec<String>, seen: &mut BTreeSet<Vec<String>>) -> bool {
    if from == to {
        return true;
    }
    if !seen.insert(from.clone()) {
        return false;
    }
    edges.get(from).is_some_and(|tos| tos.iter().any(|t| reaches(edges, t, to, seen)))
}

/// All `unsafe` is in sys: the rest of runix is safe Rust (`#[unsafe(...)]` attributes aside).
#[test]
fn unsafe_only_in_sys() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let found: Vec<String> = files
        .iter()
        .filter(|f| !f.starts_with(root().join("src/sys")))
        .flat_map(|f| {
            let text = fs::read_to_string(f).unwrap();
            let rel = f.strip_prefix(root()).unwrap().display().to_string();
            text.lines()
                .enumerate()
                .filter(|(_, l)| {
                    let code = l.split("//").next().unwrap();
                    code.contains("unsafe") && !code.contains("#[unsafe(")
                })
                .map(|(i, l)| format!("{rel}:{}: {}", i + 1, l.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(found.is_empty(), "unsafe outside src/sys:\n{}", found.join("\n"));
}

#[test]
fn a_circle_is_seen_past_a_test_module_declared_at_the_top() {
    let m = |p: &str| p.split("::").map(String::from).collect::<Vec<_>>();
    let src = |module: &str, text: &str| (m(module), text.to_string(), module.to_string());
    let a = src("a", "use crate::b::x;\n");
    let b = src("b", "#[cfg(test)]\nmod tests;\n\nuse crate::a::y;\n#[cfg(test)]\nmod tests {\n    use crate::c;\n}\n");
    let c = src("c", "use crate::b::z;\n");
    let found = circles(&[a.clone(), b.clone(), c.clone(), src("b::tests", "")], "");
    assert_eq!(found, ["a -> b (a uses crate::b::x)", "b -> a (b uses crate::a::y)"]);
    let lone = src("b", "use crate::d::y;\n");
    assert!(circles(&[a, lone, c, src("d", "")], "").is_empty());
}

#[test]
fn the_checks_see_a_circle_and_a_group() {
    let me = vec!["a".to_string(), "b".to_string()];
    let r = references("use crate::x::{y, z::w};\nfn f() { super::c::d(); } // crate::nope\nconst S: &str = \"\u{e9}t\u{e9}\";\n", &me);
    let s: Vec<String> = r.iter().map(|p| p.join("::")).collect();
    assert_eq!(s, ["x::y", "x::z::w", "a::c::d"]);
}

/// The README's module table ("How it is built") names each entry of src/ and only those.
#[test]
fn readme_module_table_matches_the_tree() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let table = readme.split("## How it is built\n\n```\n").nth(1).and_then(|t| t.split("```").next()).expect("README has its module table");
    let named: BTreeSet<String> =
        table.lines().filter_map(|l| l.split_whitespace().next()).filter(|w| w.starts_with("src/")).map(|w| w.trim_end_matches('/').to_string()).collect();
    let present: BTreeSet<String> = fs::read_dir(root().join("src"))
        .unwrap()
        .map(|e| format!("src/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    assert_eq!(named, present, "README's module table against src/");
}

/// Every source file the docs and comments name (`src/x/y.rs`) is there.
#[test]
fn named_source_files_exist() {
    let mut files = vec![root().join("README.md")];
    rust_files(&root().join("src"), &mut files);
    files.extend(fs::read_dir(root().join("docs")).unwrap().map(|e| e.unwrap().path()));
    let mut missing = Vec::new();
    for f in &files {
        let text = fs::read_to_string(f).unwrap();
        for (i, _) in text.match_indices("src/") {
            let name: String = text[i..].chars().take_while(|c| c.is_ascii_alphanumeric() || "/_.".contains(*c)).collect();
            let name = name.trim_end_matches('.');
            // The log format's example, `src/file.rs:LINE`, names a file by its shape only.
            if name.ends_with(".rs") && !root().join(name).exists() {
                missing.push(format!("{}: {name}", f.strip_prefix(root()).unwrap().display()));
            }
        }
    }
    assert!(missing.is_empty(), "named but not there:\n{}", missing.join("\n"));
}

/// No test hook in production code: `#[cfg(test)]` marks whole items (a test module, a test
/// build's own version of a helper), never a statement inside a function.
#[test]
fn no_test_hook_inside_a_function() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let items = ["pub", "fn", "mod", "use", "static", "const", "struct", "enum", "impl", "type", "std::thread_local!", "thread_local!", "#[", "extern", "unsafe impl", "}"];
    let mut hooks = Vec::new();
    for f in &files {
        let text = fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if l.trim() != "#[cfg(test)]" {
                continue;
            }
            let next = lines[i + 1..].iter().map(|l| l.trim()).find(|l| !l.is_empty() && !l.starts_with("//")).unwrap_or("");
            if !items.iter().any(|k| next.starts_with(k)) {
                hooks.push(format!("{}:{}: {next}", f.strip_prefix(root()).unwrap().display(), i + 1));
            }
        }
    }
    assert!(hooks.is_empty(), "#[cfg(test)] on a statement:\n{}", hooks.join("\n"));
}
