//! An OCI bundle of a busybox root and a config.json, and runix driven on it as conmon and
//! containerd's shim drive it (tests/oci_*.rs).
#![allow(dead_code)]

use super::proc::within;
use super::*;
use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A bundle (config.json, and a busybox root of its own) and a state root, removed on drop.
pub struct Bundle {
    pub dir: Root,
    pub rootfs: Root,
    /// Calls so far: each has files of its own.
    calls: std::cell::Cell<usize>,
}

impl Bundle {
    /// `process.args` as given; `extra` goes into `linux` (after the namespaces) and `process`.
    pub fn new(args: &[&str], linux: &str, process: &str) -> Bundle {
        // SAFETY: prctl(2) with integer arguments.
        assert_eq!(unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) }, 0);
        let rootfs = Root::busybox();
        let dir = Root::empty();
        let args: Vec<String> = args.iter().map(|a| format!("{a:?}")).collect();
        let config = format!(
            r#"{{"ociVersion":"1.0.2","process":{{"args":[{}],"cwd":"/","user":{{"uid":0,"gid":0}},"env":["PATH=/bin"]{process}}},
            "root":{{"path":{:?}}},"hostname":"oci","mounts":[{{"destination":"/proc","type":"proc","source":"proc"}},{{"destination":"/dev","type":"tmpfs","source":"tmpfs","options":["nosuid","strictatime","mode=755","size=65536k"]}},{{"destination":"/dev/pts","type":"devpts","source":"devpts","options":["nosuid","noexec","newinstance","ptmxmode=0666","mode=0620"]}}],
            "annotations":{{"org.example.k":"v \"q\""}},
            "linux":{{"namespaces":[{{"type":"pid"}},{{"type":"mount"}},{{"type":"ipc"}},{{"type":"uts"}},{{"type":"network"}}]{linux}}}}}"#,
            args.join(","),
            rootfs.s()
        );
        fs::write(dir.path.join("config.json"), config).unwrap();
        Bundle { dir, rootfs, calls: 0.into() }
    }

    pub fn state_root(&self) -> PathBuf {
        self.dir.path.join("state")
    }

    /// `runix --root STATE ARGS`, its stdout and stderr (and the container's, for create) into
    /// files: the container holds them open, so no pipe would see their end.
    pub fn runix(&self, args: &[&str]) -> Out {
        self.calls.set(self.calls.get() + 1);
        let (o, e) = (self.out(), self.dir.path.join(format!("err-{}", self.calls.get())));
        let root = self.state_root();
        let mut cmd = Command::new(runix());
        cmd.arg("--root").arg(&root).args(args).current_dir(&self.dir.path);
        cmd.stdin(Stdio::null()).stdout(fs::File::create(&o).unwrap()).stderr(fs::File::create(&e).unwrap());
        let mut child = cmd.spawn().unwrap();
        started(child.id());
        let pid = child.id();
        assert!(within(20, || child.try_wait().unwrap().is_some()), "runix {args:?} did not finish");
        let code = super::proc::code(child.wait().unwrap());
        Out { code, stdout: fs::read_to_string(o).unwrap(), stderr: fs::read_to_string(e).unwrap(), pid }
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let o = self.runix(args);
        assert_eq!(o.code, 0, "{args:?}: {}", o.stderr);
        o.stdout
    }

    /// `state ID`'s status and pid.
    pub fn status(&self, id: &str) -> (String, u32) {
        let s = self.ok(&["state", id]);
        (field(&s, "status"), field(&s, "pid").parse().unwrap())
    }

    /// The stdout of the last call: for `create`, the container's too.
    pub fn out(&self) -> PathBuf {
        self.dir.path.join(format!("out-{}", self.calls.get()))
    }

    pub fn bundle(&self) -> &str {
        self.dir.s()
    }
}

/// A member of a flat JSON object, as text (quotes off).
pub fn field(json: &str, key: &str) -> String {
    let at = json.find(&format!("\"{key}\":")).unwrap_or_else(|| panic!("no {key} in {json}")) + key.len() + 3;
    let v = &json[at..];
    let end = if let Some(s) = v.strip_prefix('"') { s.find('"').unwrap() + 2 } else { v.find([',', '}']).unwrap() };
    v[..end].trim_matches('"').to_string()
}

/// Reap the container's init (the test is its subreaper): its exit status.
pub fn reap(pid: u32) -> i32 {
    let mut status = 0;
    // SAFETY: waitpid(2) into a local.
    assert_eq!(unsafe { libc::waitpid(pid as i32, &mut status, 0) }, pid as i32);
    if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { 128 + libc::WTERMSIG(status) }
}


/// Whatever a test left (a failed assertion on the way): each container of its state root
/// deleted with --force (killed, its cgroups removed) before the bundle goes.
impl Drop for Bundle {
    fn drop(&mut self) {
        let Ok(dirs) = fs::read_dir(self.state_root()) else { return };
        for d in dirs.flatten() {
            let _ = Command::new(runix()).arg("--root").arg(self.state_root()).args(["delete", "--force"]).arg(d.file_name()).status();
        }
    }
}
