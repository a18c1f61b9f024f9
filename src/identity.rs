//! Who runs trailscope, as the operating system knows them: recorded in the access journal and
//! in the archive's lock. `$USER` is anyone's to set, so the account is read from the process's
//! user id.

/// The account name of this process's user id (from the password database), `uid N` when the
/// id has no name; the environment's name only where the system offers no user id.
pub fn local_user() -> String {
    #[cfg(unix)]
    {
        // SAFETY: getuid has no preconditions and cannot fail.
        let uid = unsafe { libc::getuid() };
        let name = std::fs::read_to_string("/etc/passwd").ok().and_then(|passwd| {
            passwd.lines().find_map(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                (fields.len() > 2 && fields[2] == uid.to_string()).then(|| fields[0].to_string())
            })
        });
        name.unwrap_or_else(|| format!("uid {uid}"))
    }
    #[cfg(not(unix))]
    {
        ["USERNAME", "USER"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
            .unwrap_or_else(|| "unknown".into())
    }
}

/// This machine's name.
pub fn host() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(unix)]
    fn the_user_is_read_from_the_user_id_not_from_the_environment() {
        // SAFETY: a test of this process's own environment, read only by this test.
        unsafe { std::env::set_var("USER", "someone-else") };
        assert_ne!(super::local_user(), "someone-else");
    }
}
