//! A bundle's config.json (runtime-spec config.md, config-linux.md) turned into a Spec, with
//! the meaning runc gives it. The document is checked whole first (json.rs); then each field
//! runix knows is looked up, and one it cannot honour is an error naming it, before anything
//! exists. Unknown fields are ignored, as the spec says.
//!
//! The Spec refers to its strings for the rest of the process: the text and the C strings made
//! of it live in a static arena (sys::Once), in .bss, so it costs no byte of the executable.

use crate::buf::CBuf;
use crate::error::Error;
use crate::oci::json::Value;
use crate::spec::{Mount, MountKind, RLIMITS, Spec, Ulimit};
use crate::sys::{self, Args, CList};
use crate::text::word_index;
use core::ffi::CStr;

type V = Value<'static>;

/// Most bytes of a config.json: podman's are some 20 KiB, most of it its seccomp profile.
const MAX_TEXT: usize = 1 << 20;
/// Most process.args.
pub const MAX_ARGS: usize = 256;

/// The text, room for the C strings made of it (each at most its JSON string and a NUL), and
/// the command's argv.
struct Arena {
    text: [u8; MAX_TEXT],
    space: [u8; MAX_TEXT + 8192],
    argv: CList<MAX_ARGS>,
}

/// Read BUNDLE/config.json and make the container it describes.
pub fn load(bundle: &'static CStr) -> Result<Spec, Error> {
    static ARENA: sys::Once<Arena> = sys::Once::new(Arena { text: [0; MAX_TEXT], space: [0; MAX_TEXT + 8192], argv: CList::new() });
    let a = ARENA.take();
    let path = CBuf::<4096>::from(&[bundle.to_bytes(), b"/config.json"])?;
    let fd = sys::openat(sys::AT_FDCWD, path.as_cstr(), libc::O_RDONLY, 0).map_err(|e| e.at(path.bytes()))?;
    let n = sys::read_plain(fd, &mut a.text).map_err(|e| e.at(path.bytes()));
    let _ = sys::close(fd);
    from_json(&a.text[..n?], bundle, &mut a.space, &mut a.argv)
}

/// The Spec for the config.json `text` of `bundle`; its strings go into `space` (as long as
/// the text, and a little more), the command's argv into `argv`.
#[inline(never)]
pub fn from_json(text: &'static [u8], bundle: &'static CStr, space: &'static mut [u8], argv: &'static mut CList<MAX_ARGS>) -> Result<Spec, Error> {
    let doc = Value::parse(text, "malformed config.json at byte")?;
    let mut c = Cx { space };
    if !get(doc, b"ociVersion").and_then(str).is_some_and(|v| v.starts_with(b"1.")) {
        return Err(bad("unsupported ociVersion", get(doc, b"ociVersion")));
    }
    refuse_present(doc)?;
    let process = need(doc, b"process", "invalid process")?;
    for a in list(get(process, b"args"), "invalid process.args")? {
        let s = c.cstr(a, "invalid process.args")?;
        if !argv.push(s) {
            return Err(bad("too many process.args", None));
        }
    }
    if argv.get(0).is_none_or(CStr::is_empty) {
        return Err(bad("invalid process.args", None));
    }
    let mut spec = Spec::new(Args::of(argv));
    for e in list(get(process, b"env"), "invalid process.env")? {
        let s = c.cstr(e, "invalid process.env")?;
        if !spec.env.push(s) {
            return Err(bad("too many process.env", None));
        }
    }
    spec.workdir = Some(c.path(need(process, b"cwd", "invalid process.cwd")?, "invalid process.cwd")?);
    spec.tty = flag(process, b"terminal", "invalid process.terminal")?;
    let user = need(process, b"user", "invalid process.user")?;
    spec.ids = Some((id(user, b"uid")?, id(user, b"gid")?));
    for r in list(get(process, b"rlimits"), "invalid process.rlimits")? {
        let u = ulimit(r).ok_or_else(|| bad("invalid process.rlimits", get(r, b"type")))?;
        if !spec.ulimits.push(u) {
            return Err(bad("too many process.rlimits", None));
        }
    }
    let caps = get(process, b"capabilities");
    spec.caps = c.caps(caps.and_then(|c| get(c, b"bounding")))?;

    let root = need(doc, b"root", "invalid root")?;
    spec.rootfs = c.root(bundle, need(root, b"path", "invalid root.path")?)?;
    spec.read_only = flag(root, b"readonly", "invalid root.readonly")?;
    spec.hostname = match get(doc, b"hostname") {
        Some(h) => c.cstr(h, "invalid hostname").ok().filter(|h| h.count_bytes() <= 64).ok_or_else(|| bad("invalid hostname", Some(h)))?,
        None => c"",
    };
    for m in list(get(doc, b"mounts"), "invalid mounts")? {
        c.mount(&mut spec, m)?;
    }
    // For the state (oci/state.rs), as it is.
    spec.annotations = get(doc, b"annotations").map_or(b"", Value::text);
    let linux = get(doc, b"linux");
    namespaces(&mut spec, linux.and_then(|l| get(l, b"namespaces")))?;
    if let Some(r) = linux.and_then(|l| get(l, b"resources")) {
        resources(&mut spec, r)?;
    }
    spec.seccomp = crate::spec::Seccomp::Unconfined;
    Ok(spec)
}

/// Fields runix does not honour yet: an error when present with anything in them.
const REFUSED: [&[u8]; 12] = [
    b"hooks",
    b"linux.seccomp",
    b"linux.sysctl",
    b"linux.uidMappings",
    b"linux.gidMappings",
    b"linux.devices",
    b"linux.mountLabel",
    b"linux.intelRdt",
    b"linux.personality",
    b"process.apparmorProfile",
    b"process.selinuxLabel",
    b"process.oomScoreAdj",
];

#[inline(never)]
fn refuse_present(doc: V) -> Result<(), Error> {
    for path in REFUSED {
        let mut v = Some(doc);
        for name in path.split(|&c| c == b'.') {
            v = v.and_then(|v| get(v, name));
        }
        // Empty counts as absent: `"hooks": {}`, `"sysctl": {}`, `false`, `""`.
        if v.is_some_and(|v| v.members().is_some_and(|mut m| m.next().is_some()) || v.elements().is_some_and(|mut e| e.next().is_some()) || v.as_bool() == Some(true) || v.as_str(&mut []).is_some_and(|s| !s.is_empty()) || v.as_u64().is_some()) {
            return Err(Error::msg("unsupported config.json field", path));
        }
    }
    Ok(())
}

/// Where the C strings go: the front of the arena's free part.
struct Cx {
    space: &'static mut [u8],
}

impl Cx {
    /// A JSON string as a C string that lives for the process; `what` names the field.
    #[inline(never)]
    fn cstr(&mut self, v: V, what: &'static str) -> Result<&'static CStr, Error> {
        let space = core::mem::take(&mut self.space);
        let n = match v.as_str(&mut []) {
            // No escape: the document's own bytes, copied.
            Some(s) => space.get_mut(..s.len()).map(|d| d.copy_from_slice(s)).map(|_| s.len()),
            None => v.as_str(space).map(<[u8]>::len),
        };
        let Some((s, rest)) = n.and_then(|n| space.split_at_mut_checked(n + 1)) else { return Err(bad(what, Some(v))) };
        self.space = rest;
        if let Some(nul) = s.last_mut() {
            *nul = 0;
        }
        CStr::from_bytes_with_nul(s).map_err(|_| bad(what, Some(v)))
    }

    /// An absolute path in the container, without `..`.
    fn path(&mut self, v: V, what: &'static str) -> Result<&'static CStr, Error> {
        let p = self.cstr(v, what)?;
        let b = p.to_bytes();
        match b.starts_with(b"/") && !crate::text::has(b, b'/', b"..") {
            true => Ok(p),
            false => Err(bad(what, Some(v))),
        }
    }

    /// root.path: absolute, or relative to the bundle.
#[inline(never)]
    fn root(&mut self, bundle: &CStr, v: V) -> Result<&'static CStr, Error> {
        let p = self.cstr(v, "invalid root.path")?;
        if p.is_empty() || p.to_bytes().starts_with(b"/") {
            return if p.is_empty() { Err(bad("invalid root.path", Some(v))) } else { Ok(p) };
        }
        let b = CBuf::<4096>::from(&[bundle.to_bytes(), b"/", p.to_bytes()])?;
        let (s, rest) = core::mem::take(&mut self.space).split_at_mut_checked(b.len() + 1).ok_or_else(|| bad("invalid root.path", Some(v)))?;
        self.space = rest;
        s[..b.len()].copy_from_slice(b.bytes());
        s[b.len()] = 0;
        CStr::from_bytes_with_nul(s).map_err(|_| bad("invalid root.path", Some(v)))
    }

    /// A capability set: names, each known.
#[inline(never)]
    fn caps(&mut self, v: Option<V>) -> Result<u64, Error> {
        let mut set = 0;
        for n in list(v, "invalid process.capabilities")? {
            let name = str(n).ok_or_else(|| bad("invalid process.capabilities", Some(n)))?;
            set |= crate::security::caps::bit(crate::security::caps::parse_name(name)?);
        }
        Ok(set)
    }

    /// One of `mounts`, onto the Spec.
#[inline(never)]
    fn mount(&mut self, spec: &mut Spec, m: V) -> Result<(), Error> {
        let dst = self.path(need(m, b"destination", "invalid mounts[].destination")?, "invalid mounts[].destination")?.to_bytes();
        let ty = get(m, b"type").and_then(str).unwrap_or(b"");
        let mut ro = false;
        let mut bind = ty == b"bind";
        for o in list(get(m, b"options"), "invalid mounts[].options")? {
            match word_index("ro bind rbind rw rprivate private nosuid nodev noexec relatime strictatime", str(o).unwrap_or(b"")) {
                Some(0) => ro = true,
                Some(1 | 2) => bind = true,
                Some(_) => {}
                None if !bind && ty != b"bind" => {}
                None => return Err(bad("unsupported mounts[].options", Some(o))),
            }
        }
        let kind = match ty {
            // runix's own /proc, /sys, /dev and what it holds.
            _ if is_standard(ty, dst) => return Ok(()),
            _ if bind => MountKind::Bind { src: self.cstr(need(m, b"source", "invalid mounts[].source")?, "invalid mounts[].source")?.to_bytes(), ro },
            b"tmpfs" => MountKind::Tmpfs { size: None },
            _ => return Err(bad("unsupported mounts[].type", get(m, b"type"))),
        };
        match spec.mounts.push(Mount { dst, kind }) {
            true => Ok(()),
            false => Err(bad("too many mounts", None)),
        }
    }
}

/// The mounts runix makes itself, as podman and containerd list them: type, then place.
const STANDARD: &str = "proc /proc sysfs /sys tmpfs /dev devpts /dev/pts mqueue /dev/mqueue tmpfs /dev/shm";

#[inline(never)]
fn is_standard(ty: &[u8], dst: &[u8]) -> bool {
    (0..6).any(|i| crate::text::word(STANDARD, 2 * i).map(str::as_bytes) == Some(ty) && crate::text::word(STANDARD, 2 * i + 1).map(str::as_bytes) == Some(dst))
}

/// linux.namespaces: runix always makes pid, mount, ipc and uts ones; network is the host's
/// unless listed; cgroup is made either way (runix's own cgroup is its root).
#[inline(never)]
fn namespaces(spec: &mut Spec, v: Option<V>) -> Result<(), Error> {
    const TYPES: &str = "pid mount ipc uts network cgroup";
    let mut seen = 0u32;
    for n in list(v, "invalid linux.namespaces")? {
        let t = get(n, b"type").and_then(str).unwrap_or(b"");
        let Some(i) = word_index(TYPES, t) else { return Err(bad("unsupported linux.namespaces[].type", get(n, b"type"))) };
        if get(n, b"path").is_some() {
            return Err(bad("unsupported linux.namespaces[].path", get(n, b"path")));
        }
        seen |= 1 << i;
    }
    if seen & 0xf != 0xf {
        return Err(bad("unsupported linux.namespaces (runix always makes pid, mount, ipc and uts ones)", None));
    }
    spec.new_net = seen & 0x10 != 0;
    Ok(())
}

/// linux.resources: the cgroup limits.
#[inline(never)]
fn resources(spec: &mut Spec, r: V) -> Result<(), Error> {
    let l = &mut spec.limits;
    if let Some(p) = get(r, b"pids").and_then(|p| get(p, b"limit")) {
        // 0 and below: no limit (runc writes "max").
        l.pids = p.as_i64().ok_or_else(|| bad("invalid linux.resources.pids.limit", Some(p)))?.try_into().ok().filter(|&n: &u64| n > 0);
    }
    // Device rules: runix's are the default (Docker's) allow-list after denying all, which
    // runc adds to any config's too.
    let mut rules = list(get(r, b"devices"), "invalid linux.resources.devices")?;
    if let Some(first) = rules.next() {
        if flag(first, b"allow", "invalid linux.resources.devices[].allow")? || get(first, b"type").and_then(str).is_some_and(|t| t != b"a") {
            return Err(bad("unsupported linux.resources.devices (want deny-all first)", None));
        }
    }
    for d in rules {
        if !device_allowed(d) {
            return Err(bad("unsupported linux.resources.devices[] (beyond runix's default list)", None));
        }
    }
    l.devices = true;
    for (k, v) in r.members().into_iter().flatten() {
        let k = str(k).unwrap_or(b"");
        let Some(i) = word_index("pids devices memory cpu", k) else { return Err(Error::msg("unsupported config.json field: linux.resources", k)) };
        let known = ["limit", "", "limit swap", "shares quota period cpus mems"][i];
        for (name, n) in v.members().into_iter().flatten() {
            let name = str(name).unwrap_or(b"");
            let n = Some(n).filter(|n| !n.is_null());
            match (k, name) {
                _ if n.is_none() => {}
                _ if i == 1 || word_index(known, name).is_none() => return Err(Error::msg("unsupported config.json field: linux.resources", name)),
                (b"memory", b"limit") => l.memory = positive(n),
                // Memory and swap together, as Docker's --memory-swap; -1 is no limit.
                (b"memory", b"swap") => l.memory_swap = n.and_then(|n| n.as_i64()).filter(|&n| n == -1 || n > 0),
                (_, b"shares") => l.cpu_shares = positive(n),
                // A quota of -1 (or none) is no limit; the period defaults to CFS's.
                (_, b"quota") => l.cpus = positive(n).map(|q| (q, get(v, b"period").and_then(|p| p.as_u64()).unwrap_or(crate::spec::CPU_PERIOD))),
                (_, b"cpus") => l.cpuset_cpus = n.and_then(str),
                (_, b"mems") => l.cpuset_mems = n.and_then(str),
                _ => {}
            }
        }
    }
    if l.memory_swap.is_some() && l.memory.is_none() {
        l.memory_swap = None;
    }
    Ok(())
}

/// A number above 0; 0 and -1 mean no limit in resources.
fn positive(v: Option<V>) -> Option<u64> {
    v.and_then(|v| v.as_i64()).filter(|&n| n > 0).map(|n| n as u64)
}

/// An allow rule within runix's default list (resources.rs DEVICE_RULES): c 1:3 5 7 8 9,
/// 5:0 5:1 5:2, 136:*.
#[inline(never)]
fn device_allowed(d: V) -> bool {
    let n = |k: &[u8]| get(d, k).map(|v| v.as_i64());
    let (major, minor) = (n(b"major"), n(b"minor"));
    matches!(get(d, b"type").and_then(str), Some(b"c"))
        && get(d, b"allow").and_then(|v| v.as_bool()) == Some(true)
        && match (major, minor) {
            (Some(Some(1)), Some(Some(3 | 5 | 7 | 8 | 9))) | (Some(Some(5)), Some(Some(0..=2))) => true,
            (Some(Some(136)), None | Some(Some(-1))) => true,
            _ => false,
        }
}

/// process.rlimits[]: {type, soft, hard}.
#[inline(never)]
fn ulimit(r: V) -> Option<Ulimit> {
    let t = get(r, b"type").and_then(str)?.strip_prefix(b"RLIMIT_")?;
    let mut lower = [0u8; 16];
    let lower = lower.get_mut(..t.len())?;
    for (l, c) in lower.iter_mut().zip(t) {
        *l = c.to_ascii_lowercase();
    }
    let resource = word_index(RLIMITS, lower)? as u8;
    let (soft, hard) = (get(r, b"soft")?.as_u64()?, get(r, b"hard")?.as_u64()?);
    Some(Ulimit { resource, soft, hard })
}

/// A member that is there and not null (Go's encoding/json reads a null as absent).
#[inline(never)]
fn get(v: V, name: &[u8]) -> Option<V> {
    v.get(name).filter(|v| !v.is_null())
}

#[inline(never)]
fn need(v: V, name: &[u8], what: &'static str) -> Result<V, Error> {
    get(v, name).ok_or_else(|| bad(what, None))
}

/// A string's bytes, when it has no escape (runix's keywords have none).
#[inline(never)]
fn str(v: V) -> Option<&'static [u8]> {
    v.as_str(&mut [])
}

/// A boolean member; absent is false.
#[inline(never)]
fn flag(v: V, name: &[u8], what: &'static str) -> Result<bool, Error> {
    match get(v, name) {
        Some(b) => b.as_bool().ok_or_else(|| bad(what, Some(b))),
        None => Ok(false),
    }
}

/// A uid or gid in process.user.
#[inline(never)]
fn id(user: V, name: &[u8]) -> Result<u32, Error> {
    let v = get(user, name);
    v.and_then(|v| v.as_u64()).and_then(|n| u32::try_from(n).ok()).filter(|&n| n != u32::MAX).ok_or_else(|| bad("invalid process.user", v))
}

/// The elements of an array; absent is none.
#[inline(never)]
fn list(v: Option<V>, what: &'static str) -> Result<Items<impl Iterator<Item = V>>, Error> {
    Ok(Items(v.map(|v| v.elements().ok_or_else(|| bad(what, Some(v)))).transpose()?))
}

/// An array's elements, walked by one copy of the code for every loop over one.
struct Items<I>(Option<I>);

impl<I: Iterator<Item = V>> Iterator for Items<I> {
    type Item = V;

    #[inline(never)]
    fn next(&mut self) -> Option<V> {
        self.0.as_mut()?.next()
    }
}

/// `what`, with the value when it is a string.
#[inline(never)]
fn bad(what: &'static str, v: Option<V>) -> Error {
    Error::msg(what, v.and_then(str).unwrap_or(b""))
}

#[cfg(test)]
mod tests;
