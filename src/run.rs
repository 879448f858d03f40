//! THE sequence: what runix asks of the kernel to make a container, in order.
//!
//! Parent                                   Child (new PID, mount, UTS, IPC namespaces)
//!   open rootfs (is it a directory?)
//!   mkdir cgroup, write pids.max
//!   socketpair, mmap stack, clone  ───────▶  close parent's end
//!   write cgroup.procs
//!   sync 1: "go" ─────────────────────────▶  wait for "go"
//!                                            mount / MS_REC|MS_PRIVATE
//!                                            sethostname
//!                                            bind rootfs, pivot_root, umount old root
//!                                            mount /proc
//!   sync 2: read error or EOF ◀───────────  execve (EOF: the socket is CLOEXEC)
//!   wait4, rmdir cgroup, exit with the command's status

use crate::cgroup::{self, Cgroup};
use crate::error::Error;
use crate::spec::Spec;
use crate::sys::{self, Fd, trace};
use crate::{exec, rootfs};
use core::convert::Infallible;

/// The namespaces of a container (namespaces(7)); SIGCHLD makes it an ordinary child for wait4.
const CLONE_FLAGS: u64 = (libc::CLONE_NEWPID | libc::CLONE_NEWNS | libc::CLONE_NEWUTS | libc::CLONE_NEWIPC | libc::SIGCHLD) as u64;

/// The child's stack before it execs. It runs only runix's setup code, whose deepest frame is
/// a few KiB of path buffers; mmap'd pages are touched only when used.
const STACK_SIZE: usize = 128 * 1024;

/// What the child needs: its part of the spec and its end of the socket.
struct Child<'a> {
    spec: &'a Spec,
    sock: Fd,
    parent_sock: Fd,
    /// Wait for the parent's "go" (it has work to do on the child's pid first).
    sync: bool,
}

/// Run the container described by `spec`; Ok(exit status of the command).
pub fn run(spec: &Spec) -> Result<i32, Error> {
    check_rootfs(spec)?;
    let cgroup = match spec.pids {
        Some(n) => Some(pids_cgroup(n)?),
        None => None,
    };
    let r = start_and_wait(spec, cgroup.as_ref());
    // The cgroup goes on every path: after the command, and after any failure.
    if let Some(cg) = &cgroup {
        let removed = cg.remove();
        info!("(parent) removed cgroup {}", cg.dir.as_cstr().to_str().unwrap_or("?"));
        if r.is_ok() {
            removed?;
        } else if let Err(e) = removed {
            crate::log::error(&e);
        }
    }
    r
}

/// Bad input fails here, before anything exists that would need cleaning up.
fn check_rootfs(spec: &Spec) -> Result<(), Error> {
    let fd = sys::openat(sys::AT_FDCWD, spec.rootfs, libc::O_PATH | libc::O_DIRECTORY, 0).map_err(|e| Error::sys("rootfs", e.errno(), spec.rootfs.to_bytes()))?;
    sys::close(fd)
}

/// A v1 pids cgroup nested under runix's own, with pids.max set.
fn pids_cgroup(max: u64) -> Result<Cgroup, Error> {
    let parent = cgroup::find("pids")?;
    crate::debug!("(parent) runix's pids cgroup is {}", parent.as_cstr().to_str().unwrap_or("?"));
    let cg = Cgroup::create(&parent, sys::getpid())?;
    info!("(parent) created cgroup {}", cg.dir.as_cstr().to_str().unwrap_or("?"));
    if let Err(e) = cg.write_num(b"pids.max", max) {
        let _ = cg.remove();
        return Err(e);
    }
    Ok(cg)
}

fn start_and_wait(spec: &Spec, cgroup: Option<&Cgroup>) -> Result<i32, Error> {
    let [ours, theirs] = sys::socketpair()?;
    crate::debug!("(parent) sync socket {} (ours), {} (child's)", ours, theirs);
    let child = Child { spec, sock: theirs, parent_sock: ours, sync: cgroup.is_some() };
    let pid = sys::mmap_stack(STACK_SIZE).and_then(|stack| sys::clone(CLONE_FLAGS, &stack, container_main, &child));
    let _ = sys::close(theirs);
    let pid = match pid {
        Ok(pid) => pid,
        Err(e) => {
            let _ = sys::close(ours);
            return Err(e);
        }
    };
    info!("(parent) container is pid {}", pid);
    let r = supervise(pid, ours, cgroup, &child);
    let _ = sys::close(ours);
    r
}

fn supervise(pid: i32, sock: Fd, cgroup: Option<&Cgroup>, child: &Child) -> Result<i32, Error> {
    // Sync 1: the child joins its cgroup before it runs anything of the container's, so no
    // process of the container ever escapes the limit.
    if let Some(cg) = cgroup {
        if let Err(e) = cg.write_num(b"cgroup.procs", pid as u64).and_then(|_| sys::sync_wake(sock)) {
            let _ = sys::kill(pid, libc::SIGKILL);
            let _ = sys::wait4(pid);
            return Err(e);
        }
    }
    if trace::dry_run() {
        // No child was made: show its steps here, where it would take them.
        trace::set_child(true);
        let _ = container_init(child);
        trace::set_child(false);
    }
    // ^C and ^\ at the terminal reach the container (it shares our process group); runix
    // outlives them to report its status and clean up, as system(3) does.
    sys::signal(libc::SIGINT, true)?;
    sys::signal(libc::SIGQUIT, true)?;
    // Sync 2: a setup error from the child, or EOF once its execve closed the CLOEXEC socket.
    let mut err = Error::msg("", b"");
    let failed = sys::recv(sock, &mut err);
    info!("(parent) waiting for {}", pid);
    let status = sys::wait4(pid)?;
    if failed? {
        return Err(err);
    }
    let code = exit_status(status);
    info!("(parent) container exited with status {}", code);
    Ok(code)
}

/// wait(2) status to shell convention: the exit code, or 128+N when killed by signal N.
pub fn exit_status(status: i32) -> i32 {
    match status & 0x7f {
        0 => (status >> 8) & 0xff,
        sig => 128 + sig,
    }
}

/// The child, PID 1 of the new PID namespace. On failure it reports the error to the parent
/// (which prints it once) and exits with the error's status.
fn container_main(c: &Child) -> ! {
    trace::set_child(true);
    let Err(e) = container_init(c);
    let _ = sys::send(c.sock, &e);
    sys::exit_group(e.exit_code())
}

fn container_init(c: &Child) -> Result<Infallible, Error> {
    let spec = c.spec;
    // Holding the parent's end would keep our own read from seeing EOF if the parent died.
    sys::close(c.parent_sock)?;
    if c.sync {
        sys::sync_wait(c.sock)?;
    }
    rootfs::make_private()?;
    sys::sethostname(spec.hostname)?;
    rootfs::enter_root(spec)?;
    rootfs::mount_proc()?;
    info!("(child) executing {}", spec.argv.get(0).and_then(|c| c.to_str().ok()).unwrap_or("?"));
    Err(exec::exec(spec.argv, &spec.env))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_follows_the_shell() {
        assert_eq!(exit_status(0), 0);
        assert_eq!(exit_status(3 << 8), 3);
        assert_eq!(exit_status(255 << 8), 255);
        assert_eq!(exit_status(9), 137);
        assert_eq!(exit_status(15 | 0x80), 143); // core dumped
    }
}
