//! A bundle's config.json (runtime-spec config.md, config-linux.md) turned into a Spec, with
//! the meaning runc gives it. The document is checked whole first (json.rs); then each field
//! runix knows is looked up, and one it cannot honour is an error naming it
//! (`unsupported linux.namespaces[].type: user`), before anything exists. Unknown fields are
//! ignored, as the spec says; known ones runix does not do are refused unless empty (REFUSED).
//!
//! Each field is named once, by its error message (`invalid process.cwd`), whose last word
//! part is the member looked up (`cwd`; `args[]`: the value itself, an array's element). The
//! first error is kept and the walk goes on with nothing in its place, so that no lookup needs
//! a branch of its own: the Spec is returned only when there was none.
//!
//! What the Spec refers to (C strings, the argv, the seccomp program, the masked paths) lives
//! in a static arena (sys::Once) in .bss, which costs no byte of the executable.

use crate::buf::CBuf;
use crate::error::Error;
use crate::oci::json::Value;
use crate::spec::{self, BIND_ONE, COPY_UP, Mask, Mount, MountKind, Node, Program, RLIMITS, Seccomp, Spec, Ulimit};
use crate::sys::{self, Args, CList};
use crate::text::{After, has, word, word_index};
use core::ffi::CStr;
use libc::sock_filter;

type V = Value<'static>;

/// Most bytes of a config.json: podman's are some 20 KiB, most of it its seccomp profile.
const MAX_TEXT: usize = 1 << 20;
/// Most process.args.
pub const MAX_ARGS: usize = 256;
/// Room for what a Spec of MAX_TEXT refers to: its C strings (each at most its JSON string
/// and a NUL), the argv, the seccomp program (BPF_MAXINSNS), the masked and read-only paths.
pub const SPACE: usize = MAX_TEXT + (128 << 10);

/// Read BUNDLE/config.json and make the container it describes.
pub fn load(bundle: &'static CStr) -> Result<Spec, Error> {
    struct Arena {
        text: [u8; MAX_TEXT],
        space: [u8; SPACE],
    }
    static ARENA: sys::Once<Arena> = sys::Once::new(Arena { text: [0; MAX_TEXT], space: [0; SPACE] });
    let a = ARENA.take();
    let path = CBuf::<4096>::from(&[bundle.to_bytes(), b"/config.json"])?;
    from_json(read(path.as_cstr(), &mut a.text)?, bundle, &mut a.space)
}

/// The file at `path`, into `buf`.
#[inline(never)]
fn read(path: &CStr, buf: &'static mut [u8]) -> Result<&'static [u8], Error> {
    let fd = sys::openat(sys::AT_FDCWD, path, libc::O_RDONLY, 0).map_err(|e| e.at(path.to_bytes()))?;
    let n = sys::read_plain(fd, buf).map_err(|e| e.at(path.to_bytes()));
    let _ = sys::close(fd);
    Ok(&buf[..n?])
}

/// `runix exec --process FILE`: the process object in FILE in place of `spec`'s (the
/// container's config.json's), whose filter, namespaces and the rest stay.
pub fn load_process(path: &CStr, spec: &mut Spec) -> Result<(), Error> {
    struct Arena {
        text: [u8; 1 << 16],
        space: [u8; 1 << 17],
    }
    static ARENA: sys::Once<Arena> = sys::Once::new(Arena { text: [0; 1 << 16], space: [0; 1 << 17] });
    let a = ARENA.take();
    let doc = Value::parse(read(path, &mut a.text)?, "malformed process file at byte")?;
    let c = &mut Cx { space: &mut a.space, bundle: c"", err: None };
    let p = process_spec(c, Some(doc));
    if let Some(e) = c.err {
        return Err(e);
    }
    (spec.argv, spec.env, spec.workdir, spec.tty, spec.ids, spec.groups, spec.ngroups) = (p.argv, p.env, p.workdir, p.tty, p.ids, p.groups, p.ngroups);
    (spec.umask, spec.caps, spec.cap_sets, spec.ulimits, spec.no_new_privs) = (p.umask, p.caps, p.cap_sets, p.ulimits, p.no_new_privs);
    // The config's unless the file says (runc keeps the container's): not what runix's caller
    // has, a shim's -999.
    spec.oom_score_adj = p.oom_score_adj.or(spec.oom_score_adj);
    Ok(())
}

/// Fields runix does not do: an error unless absent or empty.
const REFUSED: &str = "hooks domainname linux.uidMappings linux.gidMappings linux.mountLabel linux.intelRdt linux.personality linux.timeOffsets";
/// process's (config.json's, or `runix exec --process`'s).
const REFUSED_PROCESS: &str = "process.apparmorProfile process.selinuxLabel process.scheduler process.ioPriority";

/// The Spec for the config.json `text` of `bundle`; what it refers to is kept in `space`.
#[inline(never)]
pub fn from_json(text: &'static [u8], bundle: &'static CStr, space: &'static mut [u8]) -> Result<Spec, Error> {
    let doc = Some(Value::parse(text, "malformed config.json at byte")?);
    let c = &mut Cx { space, bundle, err: None };
    let version = c.str(doc, unsupported!("ociVersion"));
    c.check(version.is_some_and(|v| v.starts_with(b"1.")), unsupported!("ociVersion"), at(doc, "ociVersion"));
    for i in 0..8 {
        let path = word(REFUSED, i).unwrap_or("");
        let v = crate::text::fields(path.as_bytes(), b'.').fold(doc, |v, name| v?.get(name));
        if v.is_some_and(|v| !empty(v)) {
            return Err(Error::msg(unsupported!("config.json field"), path.as_bytes()));
        }
    }

    let process = c.need(doc, invalid!("process"));
    let mut spec = process_spec(c, process);

    let root = c.need(doc, invalid!("root"));
    spec.rootfs = c.beside(at(root, "path"), invalid!("root.path")).unwrap_or(c"");
    spec.read_only = c.flag(root, invalid!("root.readonly"));
    spec.hostname = c.cstr(at(doc, "hostname"), invalid!("hostname")).unwrap_or(c"");
    c.check(spec.hostname.count_bytes() <= 64, invalid!("hostname"), at(doc, "hostname"));
    (spec.own, spec.make_points) = (0, true);
    for m in c.list(doc, invalid!("mounts")) {
        c.mount(&mut spec, m);
    }
    // /proc: the init's way back to exec.fifo (/proc/self/fd) goes through runix's own.
    c.check(spec.own & (spec::OWN_DEV | spec::OWN_PROC) == spec::OWN_DEV | spec::OWN_PROC, unsupported!("mounts (runix needs its proc on /proc and tmpfs on /dev)"), None);
    c.check(!spec.tty || spec.own & spec::OWN_PTS != 0, unsupported!("process.terminal (without a devpts on /dev/pts)"), None);

    // For the state (oci/state.rs), as it is.
    spec.annotations = at(doc, "annotations").map_or(b"", Value::text);
    let linux = c.need(doc, invalid!("linux"));
    c.namespaces(&mut spec, linux);
    c.resources(&mut spec, linux);
    spec.cgroup_path = c.str(linux, invalid!("linux.cgroupsPath"));
    // Only cgroupfs's form: systemd's is `slice:prefix:name`.
    c.check(spec.cgroup_path.is_none_or(|p| !p.iter().any(|&c| c == b':') && !has(p, b'/', b"..")), unsupported!("linux.cgroupsPath"), at(linux, "cgroupsPath"));
    let propagation = c.str(linux, invalid!("linux.rootfsPropagation")).unwrap_or(b"private");
    c.check(word_index("private rprivate", propagation).is_some(), unsupported!("linux.rootfsPropagation"), at(linux, "rootfsPropagation"));
    if let Some(m) = c.obj(linux, invalid!("linux.sysctl")).and_then(Value::members) {
        for (k, v) in m {
            let kv = c.sysctl(&spec, k).zip(c.cstr(Some(v), invalid!("linux.sysctl[]")));
            c.check(kv.is_none_or(|kv| spec.sysctls.push(kv)), unsupported!("linux.sysctl (too many)"), None);
        }
    }
    spec.seccomp = Seccomp::Unconfined;
    if let Some(s) = c.obj(linux, invalid!("linux.seccomp")) {
        let prog = c.carve(4096, sock_filter { code: 0, jt: 0, jf: 0, k: 0 });
        match crate::oci::seccomp::compile(s, prog) {
            Ok(f) => {
                let prog: &'static [sock_filter] = prog;
                spec.seccomp = Seccomp::Program(Program { insns: &prog[..f.len], flags: f.flags });
            }
            Err(e) => c.err = c.err.or(Some(e)),
        }
    }
    spec.nodes = c.devices(linux);
    spec.masked = c.masks(&spec, linux, unsupported!("linux.maskedPaths"));
    spec.read_only_paths = c.masks(&spec, linux, unsupported!("linux.readonlyPaths"));
    match c.err {
        Some(e) => Err(e),
        None => Ok(spec),
    }
}

/// A process object (config.json's, or `runix exec --process`'s file): a Spec of it alone.
#[inline(never)]
fn process_spec(c: &mut Cx, process: Option<V>) -> Spec {
    for i in 0..4 {
        let name = word(REFUSED_PROCESS, i).unwrap_or("process.");
        if at(process, name.get(8..).unwrap_or("")).is_some_and(|v| !empty(v)) {
            c.err = c.err.or(Some(Error::msg(unsupported!("config.json field"), name.as_bytes())));
        }
    }
    let argv = &mut c.carve(1, CList::<MAX_ARGS>::new())[0];
    for a in c.list(process, invalid!("process.args")) {
        let s = c.cstr(Some(a), invalid!("process.args[]"));
        c.check(s.is_some_and(|s| argv.push(s)), unsupported!("process.args (too many)"), None);
    }
    c.check(argv.get(0).is_some_and(|a| !a.is_empty()), invalid!("process.args"), None);
    let mut spec = Spec::new(Args::of(argv));
    for e in c.list(process, invalid!("process.env")) {
        let s = c.cstr(Some(e), invalid!("process.env[]"));
        c.check(s.is_some_and(|s| spec.env.push(s)), unsupported!("process.env (too many)"), None);
    }
    spec.workdir = c.cstr(at(process, "cwd"), invalid!("process.cwd"));
    c.check(spec.workdir.is_some_and(|p| p.to_bytes().starts_with(b"/")), invalid!("process.cwd"), at(process, "cwd"));
    spec.tty = c.flag(process, invalid!("process.terminal"));
    let user = c.need(process, invalid!("process.user"));
    spec.ids = Some((c.id(user, invalid!("process.user.uid")), c.id(user, invalid!("process.user.gid"))));
    for g in c.list(user, invalid!("process.user.additionalGids")) {
        let g = c.id(Some(g), invalid!("process.user.additionalGids[]"));
        c.check(spec.ngroups < spec.groups.len(), unsupported!("process.user.additionalGids (too many)"), None);
        if let Some(slot) = spec.groups.get_mut(spec.ngroups) {
            *slot = g;
            spec.ngroups += 1;
        }
    }
    spec.umask = c.int(user, invalid!("process.user.umask"), 0, 0o7777).map(|m| m as u32);
    let caps = c.obj(process, invalid!("process.capabilities"));
    let mut sets = [0; 5];
    for (i, set) in sets.iter_mut().enumerate() {
        for n in c.list(caps, crate::text::field(CAP_SETS, b',', i as u64).unwrap_or("")) {
            let cap = str(n).and_then(|n| crate::security::caps::parse_name(n).ok());
            c.check(cap.is_some(), invalid!("process.capabilities"), Some(n));
            *set |= cap.map_or(0, crate::security::caps::bit);
        }
    }
    let [bounding, sets @ ..] = sets;
    (spec.caps, spec.cap_sets) = (bounding, Some(sets));
    for r in c.list(process, invalid!("process.rlimits")) {
        let u = ulimit(r);
        c.check(u.is_some(), invalid!("process.rlimits[]"), at(Some(r), "type"));
        c.check(u.is_none_or(|u| spec.ulimits.push(u)), unsupported!("process.rlimits (too many)"), None);
    }
    spec.no_new_privs = c.flag(process, invalid!("process.noNewPrivileges"));
    spec.oom_score_adj = c.int(process, invalid!("process.oomScoreAdj"), -1000, 1000).map(|n| n as i32);

    spec
}

/// linux.devices[]' numbers; absent, 0 but fileMode's 0o666.
const DEVICE_FIELDS: &str = concat!(invalid!("linux.devices[].major"), ",", invalid!("linux.devices[].minor"), ",", invalid!("linux.devices[].uid"), ",", invalid!("linux.devices[].gid"), ",", invalid!("linux.devices[].fileMode"));

/// process.capabilities' sets: the bounding one, then those of `Spec::cap_sets`.
const CAP_SETS: &str = concat!(invalid!("process.capabilities.bounding"), ",", invalid!("process.capabilities.effective"), ",", invalid!("process.capabilities.permitted"), ",", invalid!("process.capabilities.inheritable"), ",", invalid!("process.capabilities.ambient"));

/// The walk through the document: where the C strings go, the bundle, the first error.
struct Cx {
    space: &'static mut [u8],
    bundle: &'static CStr,
    err: Option<Error>,
}

impl Cx {
    /// Keep `what` (with the value, when it is a string) as the error, unless there is one.
    #[inline(never)]
    fn fail(&mut self, what: &'static str, v: Option<V>) {
        if self.err.is_none() {
            self.err = Some(Error::msg(what, v.and_then(str).unwrap_or(b"")));
        }
    }

    /// `ok`, or the error `what`.
    #[inline(never)]
    fn check(&mut self, ok: bool, what: &'static str, v: Option<V>) {
        if !ok {
            self.fail(what, v);
        }
    }

    /// `n` copies of `init`, kept for the process; none (and an error) when full.
    fn carve<T: Copy>(&mut self, n: usize, init: T) -> &'static mut [T] {
        let s = sys::carve(&mut self.space, n, init);
        self.check(s.is_some(), unsupported!("config.json (too large)"), None);
        s.unwrap_or_default()
    }

    /// `b` and a NUL, kept for the process.
    #[inline(never)]
    fn keep(&mut self, b: &[u8]) -> Option<&'static CStr> {
        let s = self.carve(b.len() + 1, 0u8);
        let (last, s2) = s.split_last_mut()?;
        s2.copy_from_slice(b);
        *last = 0;
        // A NUL of `b`'s would cut the string short: refused.
        Some(sys::cstr_in(s)).filter(|c| c.count_bytes() == b.len())
    }

    /// A member the field `what` names that is of the right kind (`kind` says whether it is),
    /// or none (and the error `what`, when it is there but of another kind).
    #[inline(never)]
    fn member(&mut self, v: Option<V>, what: &'static str, kind: fn(V) -> bool) -> Option<V> {
        let m = at(v, what);
        let ok = m.filter(|&m| kind(m));
        self.check(m.is_none() || ok.is_some(), what, m);
        ok
    }

    fn obj(&mut self, v: Option<V>, what: &'static str) -> Option<V> {
        self.member(v, what, |m| m.members().is_some())
    }

    /// An object that must be there.
    fn need(&mut self, v: Option<V>, what: &'static str) -> Option<V> {
        let o = self.obj(v, what);
        self.check(o.is_some(), what, None);
        o
    }

    /// A string without escapes (runix's keywords and numbers have none).
    fn str(&mut self, v: Option<V>, what: &'static str) -> Option<&'static [u8]> {
        self.member(v, what, |m| str(m).is_some()).and_then(str)
    }

    /// A boolean; absent is false.
    fn flag(&mut self, v: Option<V>, what: &'static str) -> bool {
        self.member(v, what, |m| m.as_bool().is_some()).and_then(Value::as_bool).unwrap_or(false)
    }

    /// An integer from `min` to `max`.
    #[inline(never)]
    fn int(&mut self, v: Option<V>, what: &'static str, min: i64, max: i64) -> Option<i64> {
        let n = self.member(v, what, |m| m.as_i64().is_some()).and_then(Value::as_i64);
        self.check(n.is_none_or(|n| (min..=max).contains(&n)), what, None);
        n.filter(|n| (min..=max).contains(n))
    }

    /// A uid or gid; (uid_t)-1 is none (setresuid(2) would leave the id as it is).
    fn id(&mut self, v: Option<V>, what: &'static str) -> u32 {
        let n = self.int(v, what, 0, u32::MAX as i64 - 1);
        self.check(n.is_some(), what, None);
        n.unwrap_or(0) as u32
    }

    /// The elements of an array; absent is none.
    #[inline(never)]
    fn list(&mut self, v: Option<V>, what: &'static str) -> Items<impl Iterator<Item = V> + use<>> {
        Items(self.member(v, what, |m| m.elements().is_some()).and_then(Value::elements))
    }

    /// A string value as a C string, kept for the process. One with a NUL is refused.
    #[inline(never)]
    fn cstr(&mut self, v: Option<V>, what: &'static str) -> Option<&'static CStr> {
        let mut buf = [0u8; 4096];
        let s = v.and_then(|m| m.as_str(&mut buf)).and_then(|s| self.keep(s));
        self.check(v.is_none() || s.is_some(), what, v);
        s
    }

    /// A host path: absolute, or relative to the bundle.
    #[inline(never)]
    fn beside(&mut self, v: Option<V>, what: &'static str) -> Option<&'static CStr> {
        let p = self.cstr(v, what)?;
        let b = p.to_bytes();
        if b.starts_with(b"/") {
            return Some(p);
        }
        let joined = CBuf::<4096>::from(&[self.bundle.to_bytes(), b"/", b]).ok();
        self.check(joined.is_some() && !b.is_empty(), what, v);
        self.keep(joined?.bytes())
    }

    /// One of `mounts`, in order: one of runix's own (OWN_*), or a bind, tmpfs or mqueue of
    /// the user's.
    #[inline(never)]
    fn mount(&mut self, spec: &mut Spec, m: V) {
        let m = Some(m);
        let dst = self.cstr(at(m, "destination"), invalid!("mounts[].destination")).map_or(&b""[..], CStr::to_bytes);
        self.check(dst.starts_with(b"/") && !has(dst, b'/', b".."), invalid!("mounts[].destination"), at(m, "destination"));
        let ty = self.str(m, invalid!("mounts[].type")).unwrap_or(b"");
        let (mut flags, mut data) = (0u32, CBuf::<512>::new());
        for o in self.list(m, invalid!("mounts[].options")) {
            let s = str(o).unwrap_or(b"");
            match word_index(OPTIONS, s) {
                Some(i) if i >= OPTION_FLAGS.len() => self.fail(unsupported!("mounts[].options"), Some(o)),
                Some(i) if OPTION_FLAGS[i] & CLEAR != 0 => flags &= !OPTION_FLAGS[i],
                Some(i) => flags |= OPTION_FLAGS[i],
                None => {
                    let sep: &[u8] = if data.is_empty() { b"" } else { b"," };
                    let pushed = data.push(sep).and_then(|d| d.push(s));
                    self.check(pushed.is_ok(), invalid!("mounts[].options"), Some(o));
                }
            }
        }
        let bind = ty == b"bind" || flags & libc::MS_BIND as u32 != 0;
        let own = word_index(OWN, ty).filter(|&i| !bind && word(OWN_AT, i as u64).map(str::as_bytes) == Some(dst));
        let kind = match own {
            // One of runix's own: its flags as given, its data runix's (as podman and
            // containerd give it).
            Some(i) => {
                let ours = word(OWN_DATA, i as u64).unwrap_or("").as_bytes();
                let foreign = crate::text::fields(data.bytes(), b',').any(|o| !o.is_empty() && !has(ours, b',', o));
                self.check(!foreign, unsupported!("mounts[].options"), None);
                spec.own |= 1 << i;
                if let Some(f) = spec.own_flags.get_mut(OWN_FLAGS[i] as usize) {
                    *f = flags;
                }
                return;
            }
            None if bind => {
                // Flags a bind cannot have (sync, mand...), or data (a bind has none).
                let other = flags & !(ATTRS | ATIME | (libc::MS_BIND | libc::MS_REC) as u32);
                self.check(other == 0 && data.is_empty(), unsupported!("mounts[].options"), None);
                let src = self.beside(at(m, "source"), invalid!("mounts[].source"));
                self.check(src.is_some(), invalid!("mounts[].source"), None);
                let src = src.map_or(&b""[..], CStr::to_bytes);
                let one = if flags & libc::MS_REC as u32 == 0 { BIND_ONE } else { 0 };
                MountKind::Bind { src, attrs: (flags & ATTRS) as u8 | one }
            }
            None => {
                let fs = ty == b"tmpfs" || ty == b"mqueue" && flags & COPY_UP == 0;
                self.check(fs && word_index(OWN_AT, dst).is_none(), unsupported!("mounts[].type"), at(m, "type"));
                MountKind::Fs { fstype: self.keep(ty).unwrap_or(c""), flags: flags & !(libc::MS_REC as u32), data: self.keep(data.bytes()).unwrap_or(c"") }
            }
        };
        let pushed = spec.mounts.push(Mount { dst, kind });
        self.check(pushed, unsupported!("mounts (too many)"), None);
    }

    /// linux.namespaces: pid and mount are made; network, ipc and uts are made, or joined
    /// (a path); network not listed is runix's own. A cgroup namespace is made either way: its
    /// root is the container's cgroup.
    #[inline(never)]
    fn namespaces(&mut self, spec: &mut Spec, linux: Option<V>) {
        const TYPES: &str = "pid mount network ipc uts cgroup";
        let mut seen = 0;
        spec.new_net = false;
        for n in self.list(linux, invalid!("linux.namespaces")) {
            let t = self.str(Some(n), unsupported!("linux.namespaces[].type"));
            let i = t.and_then(|t| word_index(TYPES, t));
            self.check(i.is_some(), unsupported!("linux.namespaces[].type"), at(Some(n), "type"));
            let i = i.unwrap_or(0);
            seen |= 1 << i;
            let flag = [0, 0, libc::CLONE_NEWNET, libc::CLONE_NEWIPC, libc::CLONE_NEWUTS, 0][i] as u32;
            match self.cstr(at(Some(n), "path"), invalid!("linux.namespaces[].path")) {
                Some(p) => {
                    let joined = flag != 0 && spec.joins.push((flag, p));
                    self.check(joined, unsupported!("linux.namespaces[].path"), at(Some(n), "path"));
                }
                None => spec.new_net |= i == 2,
            }
        }
        self.check(seen & 0b11011 == 0b11011, unsupported!("linux.namespaces (runix makes pid, mount, ipc and uts ones)"), None);
    }

    /// linux.resources: the cgroup limits. Device rules: runix's are the default (Docker's)
    /// allow-list after denying all, which runc adds to any config's too.
    #[inline(never)]
    fn resources(&mut self, spec: &mut Spec, linux: Option<V>) {
        let r = self.obj(linux, invalid!("linux.resources"));
        for (k, d) in self.list(r, invalid!("linux.resources.devices")).enumerate() {
            let n = |k: &'static str| at(Some(d), k).map_or(-1, |v| v.as_i64().unwrap_or(-2));
            let allow = at(Some(d), "allow").and_then(Value::as_bool) == Some(true);
            let kind = at(Some(d), "type").and_then(str).unwrap_or(b"a");
            // The first denies all (or, alone, allows all: --privileged); the others allow
            // what runix's list allows.
            if k == 0 {
                spec.all_devices = allow;
            }
            let ok = match k {
                0 => kind == b"a" && (!allow || at(Some(d), "access").and_then(str) == Some(b"rwm")),
                _ => allow && kind == b"c" && matches!((n("major"), n("minor")), (1, 3 | 5 | 7 | 8 | 9) | (5, 0..=2) | (136, -1)),
            };
            self.check(ok && (k == 0 || !spec.all_devices), unsupported!("linux.resources.devices[] (runix's own rules only)"), None);
        }
        let l = &mut spec.limits;
        l.devices = !spec.all_devices;
        let Some(m) = r.and_then(Value::members) else { return };
        for (k, v) in m {
            let i = str(k).and_then(|k| word_index(RESOURCES, k)).unwrap_or(9);
            self.check(i < 4 || empty(v), unsupported!("linux.resources"), Some(k));
            // Each member's fields are a range of FIELDS.
            let (lo, hi) = [(0, 1), (0, 0), (1, 3), (3, 8)].get(i).copied().unwrap_or((0, 0));
            for (name, n) in v.members().into_iter().flatten() {
                let j = (lo..hi).find(|&j| word(FIELDS, j).map(str::as_bytes) == str(name)).unwrap_or(9);
                let num = n.as_i64();
                self.check(n.is_null() || j < 6 && num.is_some() || j == 6 || j == 7, unsupported!("linux.resources"), Some(name));
                // 0 and -1 are no limit.
                let pos = num.filter(|&n| n > 0).map(|n| n as u64);
                match j {
                    0 => l.pids = pos,
                    1 => l.memory = pos,
                    // Memory and swap together, as Docker's --memory-swap; -1 is no limit.
                    2 => l.memory_swap = num.filter(|&n| n == -1 || n > 0),
                    3 => l.cpu_shares = pos,
                    4 => l.cpus = pos.map(|q| (q, at(Some(v), "period").and_then(Value::as_u64).unwrap_or(spec::CPU_PERIOD))),
                    6 => l.cpuset_cpus = str(n),
                    7 => l.cpuset_mems = str(n),
                    _ => {}
                }
            }
        }
        if l.memory.is_none() {
            l.memory_swap = None;
        }
    }

    /// linux.sysctl's key `k`, as runc checks it (only settings of the container's own
    /// namespaces), as its path under /proc/sys.
    #[inline(never)]
    fn sysctl(&mut self, spec: &Spec, k: V) -> Option<&'static CStr> {
        let key = str(k).unwrap_or(b"/");
        let net = spec.new_net || spec.joins.iter().any(|j| j.0 == libc::CLONE_NEWNET as u32);
        let ok = word_index(SYSCTLS, key).is_some() || key.starts_with(b"fs.mqueue.") || net && key.starts_with(b"net.");
        let p = CBuf::<256>::from(&[b"/proc/sys/", key]).ok().filter(|_| ok && !key.iter().any(|&c| c == b'/'));
        self.check(p.is_some(), unsupported!("linux.sysctl"), Some(k));
        // /proc/sys/kernel/shmmax: the dots are slashes (none before them).
        let mut path = [0u8; 256];
        for (d, &s) in path.iter_mut().zip(p?.bytes()) {
            *d = if s == b'.' { b'/' } else { s };
        }
        self.keep(&path[..10 + key.len()])
    }

    /// linux.maskedPaths or readonlyPaths: paths on runix's own /proc or /sys, short enough
    /// for rootfs/mask.rs.
    /// linux.devices: nodes under /dev (--privileged's are the host's).
    #[inline(never)]
    fn devices(&mut self, linux: Option<V>) -> &'static [Node] {
        const WHAT: &str = invalid!("linux.devices");
        let n = self.list(linux, WHAT).count();
        let out = self.carve(n, Node { path: c"", mode: 0, major: 0, minor: 0, uid: 0, gid: 0 });
        for (slot, d) in out.iter_mut().zip(self.list(linux, WHAT)) {
            let d = Some(d);
            let path = self.cstr(at(d, "path"), invalid!("linux.devices[].path")).unwrap_or(c"");
            let b = path.to_bytes();
            let kind = self.str(d, invalid!("linux.devices[].type")).and_then(|t| word_index("c u b p", t)).unwrap_or(9);
            let mut f = [0u32; 5];
            for (i, v) in f.iter_mut().enumerate() {
                *v = self.int(d, crate::text::field(DEVICE_FIELDS, b',', i as u64).unwrap_or(""), 0, u32::MAX as i64 - 1).unwrap_or(if i == 4 { 0o666 } else { 0 }) as u32;
            }
            let [major, minor, uid, gid, mode] = f;
            // mknodat's encoding holds a 12-bit major and a 20-bit minor.
            let ok = b.starts_with(b"/dev/") && !b.ends_with(b"/") && !has(b, b'/', b"..") && kind < 4 && major < 1 << 12 && minor < 1 << 20;
            self.check(ok, unsupported!("linux.devices[]"), at(d, "path"));
            let kind = [libc::S_IFCHR, libc::S_IFCHR, libc::S_IFBLK, libc::S_IFIFO].get(kind).copied().unwrap_or(0);
            *slot = Node { path, mode: kind | mode & 0o7777, major, minor, uid, gid };
        }
        out
    }

    #[inline(never)]
    fn masks(&mut self, spec: &Spec, linux: Option<V>, what: &'static str) -> &'static [Mask] {
        let n = self.list(linux, what).count();
        let out = self.carve(n, Mask { path: c"", dir: false });
        for (slot, v) in out.iter_mut().zip(self.list(linux, what)) {
            let p = self.cstr(Some(v), what).unwrap_or(c"");
            let b = p.to_bytes();
            // A name in runix's /proc or /sys, looked up from its top (rootfs/mask.rs): plain
            // components, none empty (`//`), `.` or `..`, and none the magic links of
            // /proc/self or /proc/thread-self.
            let on = |dir: &[u8], own| b.starts_with(dir) && spec.own & own != 0;
            let rest = b.get(if b.starts_with(b"/sys/") { 5 } else { 6 }..).unwrap_or_default();
            let plain = [&b""[..], b".", b"..", b"self", b"thread-self"].iter().all(|c| !has(rest, b'/', c));
            let ok = (on(b"/proc/", spec::OWN_PROC) || on(b"/sys/", spec::OWN_SYS)) && plain && b.len() <= crate::rootfs::MASK_PATH_MAX;
            self.check(ok, what, Some(v));
            slot.path = p;
        }
        out
    }
}

/// Mount options (mount(8)), and the MS_* flag each sets, or clears (CLEAR); past the flags,
/// refused (propagation other than private: runix's mounts are all private).
const OPTIONS: &str = "ro rw nosuid suid nodev dev noexec exec sync async dirsync mand nomand atime noatime diratime nodiratime relatime norelatime strictatime nostrictatime bind rbind rprivate private tmpcopyup shared rshared slave rslave unbindable runbindable remount";
const CLEAR: u32 = 1 << 31;
const OPTION_FLAGS: [u32; 26] = [
    libc::MS_RDONLY as u32,
    libc::MS_RDONLY as u32 | CLEAR,
    libc::MS_NOSUID as u32,
    libc::MS_NOSUID as u32 | CLEAR,
    libc::MS_NODEV as u32,
    libc::MS_NODEV as u32 | CLEAR,
    libc::MS_NOEXEC as u32,
    libc::MS_NOEXEC as u32 | CLEAR,
    libc::MS_SYNCHRONOUS as u32,
    libc::MS_SYNCHRONOUS as u32 | CLEAR,
    libc::MS_DIRSYNC as u32,
    libc::MS_MANDLOCK as u32,
    libc::MS_MANDLOCK as u32 | CLEAR,
    libc::MS_NOATIME as u32 | CLEAR,
    libc::MS_NOATIME as u32,
    libc::MS_NODIRATIME as u32 | CLEAR,
    libc::MS_NODIRATIME as u32,
    libc::MS_RELATIME as u32,
    libc::MS_RELATIME as u32 | CLEAR,
    libc::MS_STRICTATIME as u32,
    libc::MS_STRICTATIME as u32 | CLEAR,
    libc::MS_BIND as u32,
    (libc::MS_BIND | libc::MS_REC) as u32,
    0,
    0,
    COPY_UP,
];
/// The flags that are MOUNT_ATTR_* of a bind too (the same bits), and the atime ones, which
/// runix leaves as they are (the kernel's relatime).
const ATTRS: u32 = (libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC) as u32;
const ATIME: u32 = (libc::MS_NOATIME | libc::MS_NODIRATIME | libc::MS_RELATIME | libc::MS_STRICTATIME) as u32;

/// runix's own mounts, in the order of their OWN_* bits: the type, the place, the data runix
/// gives it (`-`: none), and which of `Spec::own_flags` takes the flags (9: none).
const OWN: &str = "proc sysfs tmpfs devpts - cgroup";
const OWN_AT: &str = "/proc /sys /dev /dev/pts - /sys/fs/cgroup";
const OWN_DATA: &str = "- - mode=755,size=65536k gid=5,newinstance,ptmxmode=0666,mode=0620 - -";
const OWN_FLAGS: [u8; 6] = [0, 1, 2, 9, 9, 3];

/// The settings of the namespaces runix makes (besides fs.mqueue.* and, with a network
/// namespace of its own, net.*), as runc allows them.
const SYSCTLS: &str = "kernel.msgmax kernel.msgmnb kernel.msgmni kernel.sem kernel.shmall kernel.shmmax kernel.shmmni kernel.shm_rmid_forced kernel.domainname";

/// linux.resources' members runix sets, and the fields of all (pids' from 0, memory's from
/// 1, cpu's from 3).
const RESOURCES: &str = "pids devices memory cpu";
const FIELDS: &str = "limit limit swap shares quota period cpus mems";

/// process.rlimits[]: {type, soft, hard}.
#[inline(never)]
fn ulimit(r: V) -> Option<Ulimit> {
    let r = Some(r);
    let t = str(at(r, "type")?)?.after(b"RLIMIT_")?;
    let mut lower = [0u8; 16];
    let lower = lower.get_mut(..t.len())?;
    for (l, c) in lower.iter_mut().zip(t) {
        *l = c.to_ascii_lowercase();
    }
    let resource = word_index(RLIMITS, lower)? as u8;
    Some(Ulimit { resource, soft: at(r, "soft")?.as_u64()?, hard: at(r, "hard")?.as_u64()? })
}

/// Empty: null, false, 0, "", [], or an object of empty members (`"hooks": {"prestart": []}`).
fn empty(v: V) -> bool {
    v.is_null() || v.as_bool() == Some(false) || v.as_u64() == Some(0) || str(v) == Some(b"") || v.elements().is_some_and(|mut e| e.next().is_none()) || v.members().is_some_and(|mut m| m.all(|(_, v)| empty(v)))
}

/// The member that `what` names last (`invalid!("process.user.uid")`: `uid`), unless absent or null
/// (Go's encoding/json reads a null as absent); a name with `[]` is the value itself.
#[inline(never)]
fn at(v: Option<V>, what: &'static str) -> Option<V> {
    let w = what.as_bytes();
    let name = &w[w.iter().rposition(|&c| c == b'.' || c <= b' ').map_or(0, |i| i + 1)..];
    match name.last() {
        Some(b']') => v,
        _ => v?.get(name),
    }
    .filter(|v| !v.is_null())
}

/// A string's bytes, when it has no escape.
#[inline(never)]
fn str(v: V) -> Option<&'static [u8]> {
    v.as_str(&mut [])
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

#[cfg(test)]
mod tests;
