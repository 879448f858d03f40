//! The container's filesystem view: private propagation, the root switch, /proc.

use crate::error::Error;
use crate::spec::{RootMode, Spec};
use crate::sys;

/// Stop mount events crossing between the host and the container, both ways. Without this,
/// on a host where / is shared (systemd's default) the bind, the pivot_root and the umount
/// below would propagate back into the host's mount table (mount_namespaces(7)).
pub fn make_private() -> Result<(), Error> {
    sys::mount(None, c"/", None, libc::MS_REC | libc::MS_PRIVATE, None)
}

/// Make the root filesystem the container's `/`.
pub fn enter_root(spec: &Spec) -> Result<(), Error> {
    let root = spec.rootfs;
    // pivot_root(2) and MS_MOVE both need the new root to be a mount point: bind it onto itself.
    sys::mount(Some(root), root, None, libc::MS_BIND | libc::MS_REC, None)?;
    sys::chdir(root)?;
    match spec.root_mode {
        RootMode::PivotRoot => {
            // pivot_root(".", "."): the old root ends up stacked on the new one, and is then
            // detached, so no path inside the container leads back to the host (pivot_root(2)).
            sys::pivot_root(c".", c".").map_err(|e| {
                let e = e.at(root.to_bytes());
                // The initramfs root cannot be pivoted away from (pivot_root(2), ERRORS).
                if e.errno() == libc::EINVAL { e.hint("on an initramfs root, use --chroot") } else { e }
            })?;
            sys::umount2(c".", libc::MNT_DETACH)?;
        }
        RootMode::Chroot => {
            // switch_root(8)'s way, which works on initramfs: move the root onto / and chroot
            // into it. A plain chroot(2) is escaped with chroot+chdir(".."); with the mount
            // moved over /, ".." at the top stays on the container's root.
            sys::mount(Some(c"."), c"/", None, libc::MS_MOVE, None).map_err(|e| e.at(root.to_bytes()))?;
            sys::chroot(c".").map_err(|e| e.at(root.to_bytes()))?;
        }
    }
    sys::chdir(c"/")
}

/// A proc mount of the container's own PID namespace, so ps sees only the container.
pub fn mount_proc() -> Result<(), Error> {
    sys::mount(Some(c"proc"), c"/proc", Some(c"proc"), libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC, None)
}
