//! runix as containerd's runtime: `ctr` through containerd's runc shim (io.containerd.runc.v2)
//! with `--runc-binary runix`, on a containerd of the test's own: its socket, root and state
//! under target/, a namespace of its own (so the shim's runtime root, /run/containerd/runc/NS,
//! is the test's too). A host's containerd, if any, is not touched.

mod common;
use common::proc::within;
use common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

struct Containerd {
    dir: PathBuf,
    ns: String,
    daemon: Child,
}

impl Containerd {
    fn start() -> Option<Containerd> {
        if !need_root() {
            return None;
        }
        for tool in ["containerd", "ctr", "containerd-shim-runc-v2"] {
            if !Path::new("/usr/bin").join(tool).exists() {
                skip(&format!("{tool} is not installed (`make podman-deps` installs containerd)"));
                return None;
            }
        }
        let dir = manifest().join("target").join(format!("containerd-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let d = dir.display();
        // The CRI plugin stays out of it: ctr is the client, and it has no cgroup of its own.
        let config = format!("version = 2\nroot = \"{d}/root\"\nstate = \"{d}/state\"\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n[grpc]\n  address = \"{d}/sock\"\n");
        fs::write(dir.join("config.toml"), config).unwrap();
        let log = fs::File::create(dir.join("log")).unwrap();
        let daemon = Command::new("containerd").arg("--config").arg(dir.join("config.toml")).stdout(log.try_clone().unwrap()).stderr(log).spawn().unwrap();
        let c = Containerd { ns: format!("runix-test-{}", std::process::id()), dir, daemon };
        assert!(within(20, || c.ctr(&["version"]).code == 0), "containerd did not start: {}", fs::read_to_string(c.dir.join("log")).unwrap_or_default());
        Some(c)
    }

    /// `ctr` on this containerd, in the test's namespace.
    fn ctr(&self, args: &[&str]) -> Out {
        run_cmd(Command::new("ctr").arg("--address").arg(self.dir.join("sock")).args(["--namespace", &self.ns]).args(args), "", 30)
    }

    fn ok(&self, args: &[&str], code: i32) -> Out {
        let o = self.ctr(args);
        assert_eq!(o.code, code, "ctr {args:?}: {}{}", o.stdout, o.stderr);
        o
    }

    /// runix's state root, as the shim gives it (`--root`).
    fn runtime_root(&self) -> PathBuf {
        Path::new("/run/containerd/runc").join(&self.ns)
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        // SAFETY: kill(2) of the daemon this test started.
        unsafe { libc::kill(self.daemon.id() as i32, libc::SIGTERM) };
        let _ = self.daemon.wait();
        let _ = fs::remove_dir_all(&self.dir);
        let _ = fs::remove_dir(self.runtime_root());
        // The cgroupsPath's parent, /NAMESPACE, which runc leaves too.
        for h in hierarchies() {
            let _ = fs::remove_dir(h.join(&self.ns));
        }
    }
}

/// Where a cgroup hierarchy may be mounted: /sys/fs/cgroup (v2) and the directories in it (v1,
/// and a hybrid host's unified).
fn hierarchies() -> Vec<PathBuf> {
    let sub = fs::read_dir("/sys/fs/cgroup").unwrap().filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_dir());
    std::iter::once(PathBuf::from("/sys/fs/cgroup")).chain(sub).collect()
}

/// ctr's cgroupsPath is /NAMESPACE/ID: the container's cgroup in each hierarchy.
fn cgroups(c: &Containerd, id: &str) -> Vec<PathBuf> {
    hierarchies().into_iter().map(|h| h.join(&c.ns).join(id)).collect()
}

#[test]
fn ctr_run_rm_gives_the_output_and_the_exit_status() {
    let Some(c) = Containerd::start() else { return };
    let root = Root::busybox();
    let rt = runix();
    // The container keeps the host's hostname: ctr's config.json gives none (runc's rule).
    let o = c.ok(&["run", "--rm", "--runc-binary", rt.to_str().unwrap(), "--rootfs", root.s(), "r1", "sh", "-c", "echo hi; hostname; exit 3"], 3);
    assert_eq!(o.stdout, format!("hi\n{}\n", fs::read_to_string("/proc/sys/kernel/hostname").unwrap().trim()));
    assert!(!c.runtime_root().join("r1").exists(), "runix's state is left");
    assert!(cgroups(&c, "r1").iter().all(|p| !p.exists()), "cgroups are left");
}

#[test]
fn ctr_run_d_then_exec_kill_and_delete() {
    let Some(c) = Containerd::start() else { return };
    let root = Root::busybox();
    let rt = runix();
    c.ok(&["run", "-d", "--runc-binary", rt.to_str().unwrap(), "--rootfs", root.s(), "r2", "sh", "-c", "while :; do sleep 0.1; done"], 0);
    assert!(c.runtime_root().join("r2").join("state.json").exists());
    // The shim's exec: `runix exec --process F --detach --pid-file P r2`, the status its own.
    let o = c.ok(&["task", "exec", "--exec-id", "e1", "r2", "sh", "-c", "tr '\\0' ' ' </proc/1/cmdline; exit 5"], 5);
    assert_eq!(o.stdout, "sh -c while :; do sleep 0.1; done ");
    let ps = c.ok(&["task", "ps", "r2"], 0).stdout;
    assert!(ps.lines().count() >= 2, "{ps}");
    c.ok(&["task", "kill", "--signal", "KILL", "r2"], 0);
    assert!(within(10, || c.ctr(&["task", "ls"]).stdout.contains("STOPPED")));
    c.ok(&["task", "delete", "r2"], 0);
    c.ok(&["container", "delete", "r2"], 0);
    assert!(!c.runtime_root().join("r2").exists(), "runix's state is left");
    let left: Vec<PathBuf> = cgroups(&c, "r2").into_iter().filter(|p| p.exists()).collect();
    assert!(left.is_empty(), "cgroups are left: {left:?}");
}
