//! Linux capabilities (capabilities(7)) as bit sets: parsed from names, docker's default set, and the five
//! sets the container's process starts with. Pure logic; the sys layer applies the result.

use crate::error::Error;

// Numbers from linux/capability.h (the libc crate has none of them).
pub const CAP_CHOWN: u8 = 0;
pub const CAP_DAC_OVERRIDE: u8 = 1;
pub const CAP_DAC_READ_SEARCH: u8 = 2;
pub const CAP_FOWNER: u8 = 3;
pub const CAP_FSETID: u8 = 4;
pub const CAP_KILL: u8 = 5;
pub const CAP_SETGID: u8 = 6;
pub const CAP_SETUID: u8 = 7;
pub const CAP_SETPCAP: u8 = 8;
pub const CAP_LINUX_IMMUTABLE: u8 = 9;
pub const CAP_NET_BIND_SERVICE: u8 = 10;
pub const CAP_NET_BROADCAST: u8 = 11;
pub const CAP_NET_ADMIN: u8 = 12;
pub const CAP_NET_RAW: u8 = 13;
pub const CAP_IPC_LOCK: u8 = 14;
pub const CAP_IPC_OWNER: u8 = 15;
pub const CAP_SYS_MODULE: u8 = 16;
pub const CAP_SYS_RAWIO: u8 = 17;
pub const CAP_SYS_CHROOT: u8 = 18;
pub const CAP_SYS_PTRACE: u8 = 19;
pub const CAP_SYS_PACCT: u8 = 20;
pub const CAP_SYS_ADMIN: u8 = 21;
pub const CAP_SYS_BOOT: u8 = 22;
pub const CAP_SYS_NICE: u8 = 23;
pub const CAP_SYS_RESOURCE: u8 = 24;
pub const CAP_SYS_TIME: u8 = 25;
pub const CAP_SYS_TTY_CONFIG: u8 = 26;
pub const CAP_MKNOD: u8 = 27;
pub const CAP_LEASE: u8 = 28;
pub const CAP_AUDIT_WRITE: u8 = 29;
pub const CAP_AUDIT_CONTROL: u8 = 30;
pub const CAP_SETFCAP: u8 = 31;
pub const CAP_MAC_OVERRIDE: u8 = 32;
pub const CAP_MAC_ADMIN: u8 = 33;
pub const CAP_SYSLOG: u8 = 34;
pub const CAP_WAKE_ALARM: u8 = 35;
pub const CAP_BLOCK_SUSPEND: u8 = 36;
pub const CAP_AUDIT_READ: u8 = 37;
pub const CAP_PERFMON: u8 = 38;
pub const CAP_BPF: u8 = 39;
pub const CAP_CHECKPOINT_RESTORE: u8 = 40;
pub const CAP_LAST_CAP: u8 = CAP_CHECKPOINT_RESTORE;

pub const fn bit(cap: u8) -> u64 {
    1 << cap
}

/// Every capability 0..=CAP_LAST_CAP: what `--privileged` gets.
pub const ALL: u64 = (1 << (CAP_LAST_CAP as u64 + 1)) - 1;

/// Docker's and containerd's default set; /proc/self/status shows it as `00000000a80425fb`.
pub const DOCKER_DEFAULT: u64 = bit(CAP_CHOWN)
    | bit(CAP_DAC_OVERRIDE)
    | bit(CAP_FSETID)
    | bit(CAP_FOWNER)
    | bit(CAP_MKNOD)
    | bit(CAP_NET_RAW)
    | bit(CAP_SETGID)
    | bit(CAP_SETUID)
    | bit(CAP_SETFCAP)
    | bit(CAP_SETPCAP)
    | bit(CAP_NET_BIND_SERVICE)
    | bit(CAP_SYS_CHROOT)
    | bit(CAP_KILL)
    | bit(CAP_AUDIT_WRITE);

/// A capability by name, with or without `CAP_`, in any case (`CAP_SYS_ADMIN`, `net_raw`).
pub fn parse_name(s: &[u8]) -> Result<u8, Error> {
    let bare = match s.get(..4) {
        Some(p) if upper_eq(p, b"CAP_") => &s[4..],
        _ => s,
    };
    match (0..=CAP_LAST_CAP).find(|&cap| upper_eq(bare, crate::sys::cap_name(cap).as_bytes())) {
        Some(cap) => Ok(cap),
        None => Err(Error::msg("unknown capability", s)),
    }
}

/// `s` in upper case is `upper` (smaller than eq_ignore_ascii_case, which is built for speed).
fn upper_eq(s: &[u8], upper: &[u8]) -> bool {
    s.len() == upper.len() && s.iter().zip(upper).all(|(c, u)| c.to_ascii_uppercase() == *u)
}

/// All `--cap-add` (or all `--cap-drop`) values: the named capabilities, and whether `ALL` was one.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub struct CapList {
    pub caps: u64,
    pub all: bool,
}

impl CapList {
    /// One more value: a capability name or `ALL` in any case, as docker accepts them
    /// (`CAP_ALL` is unknown there too).
    pub fn push(&mut self, s: &[u8]) -> Result<(), Error> {
        if upper_eq(s, b"ALL") {
            self.all = true;
        } else {
            self.caps |= bit(parse_name(s)?);
        }
        Ok(())
    }
}

/// The bounding set as docker computes it (moby `TweakCapabilities`): `--privileged` gets all;
/// `--cap-add ALL` all but the dropped; `--cap-drop ALL` only the added; otherwise the default
/// minus the dropped plus the added (naming one in both adds it).
pub fn bounding(add: CapList, drop: CapList, privileged: bool) -> u64 {
    if privileged {
        ALL
    } else if add.all {
        ALL & !drop.caps
    } else if drop.all {
        add.caps
    } else {
        (DOCKER_DEFAULT & !drop.caps) | add.caps
    }
}

/// The capability sets of the container's first process, in capset(2) and prctl(2) terms.
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub struct Sets {
    pub bounding: u64,
    pub permitted: u64,
    pub effective: u64,
    pub inheritable: u64,
    pub ambient: u64,
}

/// uid 0 holds the whole bounding set; any other user starts with none and only gets some by
/// executing a file with file capabilities, within the bounding set (as docker does). Inheritable
/// and ambient stay empty for everyone: non-empty ones let a non-root user's execve of a file with
/// inheritable file capabilities gain them (CVE-2022-29162, CVE-2022-27650).
pub fn sets(bounding: u64, uid: u32) -> Sets {
    let held = if uid == 0 { bounding } else { 0 };
    Sets { bounding, permitted: held, effective: held, inheritable: 0, ambient: 0 }
}

/// Drop from the bounding set every capability not in `keep`, up to the kernel's last one
/// (PR_CAPBSET_DROP says EINVAL past it): no process of the container can ever gain them back,
/// not even through a file capability or a setuid binary.
pub fn drop_bounding(keep: u64) -> Result<(), Error> {
    for cap in 0..64 {
        // --dry-run never hears EINVAL: it shows the drops of the capabilities runix knows.
        if cap > CAP_LAST_CAP && crate::sys::trace::dry_run() {
            break;
        }
        if keep & bit(cap) == 0 {
            match crate::sys::capbset_drop(cap) {
                Err(e) if e.errno() == libc::EINVAL => return Ok(()),
                r => r?,
            }
        }
    }
    Ok(())
}

/// Permitted, effective and inheritable as `s` says (inheritable empty also empties ambient),
/// less what runix itself does not hold: no process can give itself more (capabilities(7)),
/// so `--privileged` means all that runix has.
pub fn apply(s: Sets) -> Result<(), Error> {
    match crate::sys::capset(s.effective, s.permitted, s.inheritable) {
        Err(e) if e.errno() == libc::EPERM => {
            let held = crate::sys::capget_permitted()?;
            crate::sys::capset(s.effective & held, s.permitted & held, s.inheritable)?
        }
        r => r?,
    }
    // Ambient: each must be permitted and inheritable already (PR_CAP_AMBIENT_RAISE).
    for cap in (0..=CAP_LAST_CAP).filter(|&c| s.ambient & bit(c) != 0) {
        crate::sys::ambient_raise(cap)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::tests::show;
    use crate::sys::cap_name as name;

    #[test]
    fn docker_default_matches_proc_status() {
        assert_eq!(DOCKER_DEFAULT, 0x00000000a80425fb);
        assert_eq!(DOCKER_DEFAULT.count_ones(), 14);
        assert_eq!(ALL, 0x000001ffffffffff);
    }

    #[test]
    fn names_follow_kernel_order() {
        for (cap, n) in [
            (CAP_CHOWN, "CHOWN"),
            (CAP_DAC_READ_SEARCH, "DAC_READ_SEARCH"),
            (CAP_LINUX_IMMUTABLE, "LINUX_IMMUTABLE"),
            (CAP_NET_RAW, "NET_RAW"),
            (CAP_SYS_ADMIN, "SYS_ADMIN"),
            (CAP_SYS_TTY_CONFIG, "SYS_TTY_CONFIG"),
            (CAP_MKNOD, "MKNOD"),
            (CAP_SETFCAP, "SETFCAP"),
            (CAP_SYSLOG, "SYSLOG"),
            (CAP_AUDIT_READ, "AUDIT_READ"),
            (CAP_PERFMON, "PERFMON"),
            (CAP_BPF, "BPF"),
            (CAP_CHECKPOINT_RESTORE, "CHECKPOINT_RESTORE"),
        ] {
            assert_eq!(name(cap), n);
        }
        assert_eq!(name(CAP_LAST_CAP + 1), "?");
        for cap in 0..=CAP_LAST_CAP {
            assert_eq!(parse_name(name(cap).as_bytes()).unwrap(), cap);
        }
    }

    #[test]
    fn parses_names_with_or_without_prefix_in_any_case() {
        assert_eq!(parse_name(b"CAP_SYS_ADMIN").unwrap(), CAP_SYS_ADMIN);
        assert_eq!(parse_name(b"SYS_ADMIN").unwrap(), CAP_SYS_ADMIN);
        assert_eq!(parse_name(b"cap_net_raw").unwrap(), CAP_NET_RAW);
        assert_eq!(parse_name(b"Net_Bind_Service").unwrap(), CAP_NET_BIND_SERVICE);
        assert_eq!(parse_name(b"chown").unwrap(), CAP_CHOWN);
    }

    #[test]
    fn unknown_names_are_errors() {
        assert_eq!(show(&parse_name(b"CAP_FOO").unwrap_err()), "unknown capability: CAP_FOO");
        for bad in [&b""[..], b"CAP_", b"CAP_CAP_CHOWN", b"SYS_ADMIN ", b"ALL", b"CAP_ALL", b"CHOWN\0"] {
            assert!(parse_name(bad).is_err(), "{:?}", bad);
        }
        let mut l = CapList::default();
        assert_eq!(show(&l.push(b"CAP_ALL").unwrap_err()), "unknown capability: CAP_ALL");
        assert_eq!(l, CapList::default());
    }

    fn list(names: &[&str]) -> CapList {
        let mut l = CapList::default();
        for n in names {
            l.push(n.as_bytes()).unwrap();
        }
        l
    }

    #[test]
    fn bounding_follows_docker() {
        let none = CapList::default();
        assert_eq!(bounding(none, none, false), DOCKER_DEFAULT);
        // --cap-drop ALL --cap-add X: only X.
        assert_eq!(bounding(list(&["NET_ADMIN"]), list(&["all"]), false), bit(CAP_NET_ADMIN));
        assert_eq!(bounding(none, list(&["ALL"]), false), 0);
        // --cap-add ALL --cap-drop X: all but X.
        assert_eq!(bounding(list(&["ALL"]), list(&["CAP_CHOWN"]), false), ALL & !bit(CAP_CHOWN));
        assert_eq!(bounding(list(&["ALL"]), list(&["ALL"]), false), ALL);
        // Drops apply to the default, then adds.
        let b = bounding(list(&["SYS_PTRACE"]), list(&["NET_RAW", "MKNOD"]), false);
        assert_eq!(b, (DOCKER_DEFAULT & !bit(CAP_NET_RAW) & !bit(CAP_MKNOD)) | bit(CAP_SYS_PTRACE));
        assert_eq!(bounding(list(&["CHOWN"]), list(&["CHOWN"]), false), DOCKER_DEFAULT);
        assert_eq!(bounding(list(&["SYS_ADMIN"]), list(&["SYS_ADMIN"]), false), DOCKER_DEFAULT | bit(CAP_SYS_ADMIN));
        // --privileged ignores both lists.
        assert_eq!(bounding(none, list(&["ALL"]), true), ALL);
        assert_eq!(bounding(none, none, true), ALL);
    }

    #[test]
    fn root_holds_the_bounding_set_others_nothing() {
        let root = sets(DOCKER_DEFAULT, 0);
        assert_eq!(root, Sets { bounding: DOCKER_DEFAULT, permitted: DOCKER_DEFAULT, effective: DOCKER_DEFAULT, inheritable: 0, ambient: 0 });
        let user = sets(DOCKER_DEFAULT, 1000);
        assert_eq!(user, Sets { bounding: DOCKER_DEFAULT, permitted: 0, effective: 0, inheritable: 0, ambient: 0 });
        let privileged = sets(ALL, 0);
        assert_eq!((privileged.inheritable, privileged.ambient), (0, 0));
    }
}
