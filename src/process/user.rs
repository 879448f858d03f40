//! `-u USER[:GROUP]`: names resolved in the container's own /etc/passwd and /etc/group (after
//! the switch into the root and with no host fd open, read only inside it: the image's files,
//! never the host's), then the identity change:
//! no supplementary groups, then the gid, then the uid (setgroups and setresgid need the
//! privilege the uid change gives up).

use crate::rootfs;
use crate::error::Error;
use crate::sys;
use crate::buf::CBuf;
use crate::spec::MAX_ENV;
use crate::sys::CList;
use crate::text::fields;
use core::ffi::CStr;

/// uid and gid for `spec` ("1000", "1000:100", "alice", "alice:staff", "1000:staff").
/// A uid without a group takes the passwd entry's gid, or 0 when there is none, as Docker does.
#[inline(never)]
pub fn resolve(spec: &[u8]) -> Result<(u32, u32), Error> {
    let (user, group) = match spec.iter().position(|&c| c == b':') {
        Some(i) => (&spec[..i], Some(&spec[i + 1..])),
        None => (spec, None),
    };
    let entry = lookup(c"/etc/passwd", |l| passwd_entry(l, user))?;
    let uid = match (number(user), entry) {
        (Some(n), _) => n,
        (None, Some((uid, _))) => uid,
        (None, None) => return Err(Error::msg("unknown user (not in the container's /etc/passwd)", user)),
    };
    let gid = match group {
        Some(g) => match number(g) {
            Some(n) => n,
            None => lookup(c"/etc/group", |l| group_entry(l, g))?.ok_or(Error::msg("unknown group (not in the container's /etc/group)", g))?,
        },
        None => entry.map_or(0, |(_, gid)| gid),
    };
    Ok((uid, gid))
}

/// `HOME=DIR` for an environment `env` without HOME (or with an empty one: podman exec's), as
/// runc sets it: the home of `uid` in the image's /etc/passwd, else `/`. None when `env` has
/// one.
#[inline(never)]
pub fn home(env: &CList<MAX_ENV>, uid: u32) -> Result<Option<&'static CStr>, Error> {
    if (0..env.len()).filter_map(|i| env.get(i)).any(|e| e.to_bytes().starts_with(b"HOME=") && e.count_bytes() > 5) {
        return Ok(None);
    }
    static HOME: sys::Once<CBuf<4096>> = sys::Once::new(CBuf::new());
    let h = HOME.take();
    let mut digits = [0u8; 10];
    let uid = crate::text::itoa(uid as u64, &mut digits);
    h.push(b"HOME=")?;
    lookup(c"/etc/passwd", |l| {
        let mut f = fields(l, b':');
        (f.nth(2) == Some(uid)).then(|| f.nth(2).map(|d| h.push(d).is_ok()))
    })?;
    if h.len() == 5 {
        h.push(b"/")?;
    }
    let h: &'static CBuf<4096> = h;
    Ok(Some(h.as_cstr()))
}

/// Become uid:gid, with the supplementary groups `groups` (None where setgroups is denied).
pub fn switch(uid: u32, gid: u32, groups: Option<&[u32]>) -> Result<(), Error> {
    if let Some(g) = groups {
        sys::setgroups(g)?;
    }
    sys::setresgid(gid)?;
    sys::setresuid(uid)
}

/// The first line of the image's `file` for which `f` says something; None when the file is
/// missing. Read after the switch into the root, so the root is the working directory.
fn lookup<T>(file: &CStr, mut f: impl FnMut(&[u8]) -> Option<T>) -> Result<Option<T>, Error> {
    let mut found = None;
    rootfs::each_image_line(sys::AT_FDCWD, file, &mut |line| {
        found = f(line);
        Ok(found.is_none())
    })?;
    Ok(found)
}

/// A uid or gid. 4294967295 is (uid_t)-1, which setresuid(2) takes as "leave unchanged": it
/// would keep the command at uid 0, so it is no id.
pub fn number(s: &[u8]) -> Option<u32> {
    crate::text::number(s).and_then(|n| u32::try_from(n).ok()).filter(|&n| s.len() <= 10 && n != u32::MAX)
}

/// `name:x:uid:gid:...` matching `user` by name, or by uid when `user` is a number.
pub fn passwd_entry(line: &[u8], user: &[u8]) -> Option<(u32, u32)> {
    let mut f = fields(line, b':');
    let (name, _, uid, gid) = (f.next()?, f.next()?, f.next()?, f.next()?);
    (name == user || uid == user).then_some((number(uid)?, number(gid)?))
}

/// `name:x:gid:members` matching `group` by name.
pub fn group_entry(line: &[u8], group: &[u8]) -> Option<u32> {
    let mut f = fields(line, b':');
    let (name, _, gid) = (f.next()?, f.next()?, f.next()?);
    (name == group).then_some(number(gid)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_and_group_lines() {
        let l = b"alice:x:1000:100:Alice:/home/alice:/bin/sh";
        assert_eq!(passwd_entry(l, b"alice"), Some((1000, 100)));
        assert_eq!(passwd_entry(l, b"1000"), Some((1000, 100)));
        assert_eq!(passwd_entry(l, b"bob"), None);
        assert_eq!(passwd_entry(b"broken", b"broken"), None);
        assert_eq!(passwd_entry(b"x:x:notanumber:1", b"x"), None);
        assert_eq!(group_entry(b"staff:x:50:alice,bob", b"staff"), Some(50));
        assert_eq!(group_entry(b"staff:x:50:", b"wheel"), None);
    }

    #[test]
    fn home_is_the_user_s_unless_the_environment_has_one() {
        // (The image's /etc/passwd is read from the working directory, the root by then.)
        let mut env = CList::<MAX_ENV>::new();
        assert_eq!(home(&env, 4242424).unwrap(), Some(c"HOME=/"));
        env.push(c"HOME=/x");
        assert_eq!(home(&env, 0).unwrap(), None);
    }

    #[test]
    fn numbers() {
        assert_eq!(number(b"0"), Some(0));
        assert_eq!(number(b"4294967294"), Some(u32::MAX - 1));
        // (uid_t)-1: setresuid would leave the uid as it is.
        assert_eq!(number(b"4294967295"), None);
        assert_eq!(number(b"4294967296"), None);
        assert_eq!(number(b"-1"), None);
        assert_eq!(number(b""), None);
        // Ten digits at most, as an id has: a long run of zeros is no id.
        assert_eq!(number(b"0000001000"), Some(1000));
        assert_eq!(number(b"00000001000"), None);
    }
}
