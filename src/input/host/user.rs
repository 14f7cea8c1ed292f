//! Who runs the doctor: the user id (from `/proc/self/status`, else `id -u`), the name (from
//! `/etc/passwd`, else `id -un`, else `$USER`), whether that is root (DevStack refuses to run as root)
//! and whether `sudo -n true` works without a password (DevStack needs it).

use super::{command, Collected, Context};

/// The effective uid on the `Uid:` line of `/proc/<pid>/status` (real, effective, saved, fs).
pub(crate) fn parse_status_uid(status: &str) -> Option<u32> {
    let line = status.lines().find_map(|line| line.strip_prefix("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The name of `uid` in passwd(5) text.
pub(crate) fn parse_passwd_name(passwd: &str, uid: u32) -> Option<String> {
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let id: u32 = fields.nth(1)?.parse().ok()?;
        (id == uid && !name.is_empty()).then(|| name.to_string())
    })
}

/// Records the `user.*` facts.
pub(crate) fn collect(context: &Context) -> Collected {
    let mut out = Collected::default();
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| parse_status_uid(&status))
        .or_else(|| {
            command::run("id", &["-u"], context.timeout).ok().and_then(|o| o.stdout.trim().parse().ok())
        });
    match uid {
        Some(uid) => {
            out.int("user.uid", i64::from(uid));
            out.bool("user.is_root", uid == 0);
            let name = std::fs::read_to_string("/etc/passwd")
                .ok()
                .and_then(|passwd| parse_passwd_name(&passwd, uid))
                .or_else(|| {
                    // Directory users (LDAP, SSSD) are not in /etc/passwd.
                    command::run("id", &["-un"], context.timeout)
                        .ok()
                        .filter(|o| o.success)
                        .map(|o| o.stdout.trim().to_string())
                })
                .filter(|name| !name.is_empty())
                .or_else(|| std::env::var("USER").ok());
            match name {
                Some(name) => out.str("user.name", name),
                None => out.not_read("user.name", format!("uid {uid} has no name in /etc/passwd or id -un")),
            }
        }
        None => out.not_read_all(
            &["user.uid", "user.is_root", "user.name"],
            "neither /proc/self/status nor id -u gave a uid",
        ),
    }
    match command::run("sudo", &["-n", "true"], context.timeout) {
        Ok(output) if output.success => out.bool("user.sudo_nopasswd", true),
        // "a password is required" or "not in the sudoers file": either way, not usable unattended.
        Ok(_) => out.bool("user.sudo_nopasswd", false),
        Err(why) => out.not_read("user.sudo_nopasswd", why),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_is_the_effective_one() {
        assert_eq!(parse_status_uid(include_str!("../../../samples/host/proc-self-status")), Some(1000));
        assert_eq!(parse_status_uid("Uid:\t1000\t0\t0\t0\n"), Some(0));
        assert_eq!(parse_status_uid("Name:\tcat\n"), None);
    }

    #[test]
    fn names_come_from_passwd() {
        let passwd = include_str!("../../../samples/host/passwd");
        assert_eq!(parse_passwd_name(passwd, 1001).as_deref(), Some("stack"));
        assert_eq!(parse_passwd_name(passwd, 0).as_deref(), Some("root"));
        assert_eq!(parse_passwd_name(passwd, 4242), None);
        // The gid column must not be taken for the uid.
        assert_eq!(parse_passwd_name(passwd, 119), None);
    }
}
