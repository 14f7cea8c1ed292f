//! TLS trust as DevStack's downloads see it: the system CA bundle (Debian's or Red Hat's path) and
//! whether it looks usable, and git's `http.sslVerify` and `http.sslCAInfo` (system and global
//! config; a setting that is not set is unknown with the reason "not set").

use std::path::Path;

use super::{command, first_line, Collected, Context};

/// CA bundles, Debian family first.
const CA_BUNDLES: &[&str] = &["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"];

/// A bundle smaller than this holds no real certificate list.
const MIN_BUNDLE_BYTES: u64 = 1024;

/// The value `git config --get` printed (git exits 1, printing nothing, when the key is not set).
pub(crate) fn parse_git_config_value(stdout: &str) -> Option<String> {
    let value = stdout.trim_end_matches(['\n', '\r']);
    (!value.is_empty()).then(|| value.to_string())
}

/// Records `tls.ca_bundle_path`, `tls.ca_bundle_ok`, `git.ssl_verify` and `git.ssl_cainfo`.
pub(crate) fn collect(context: &Context) -> Collected {
    let mut out = Collected::default();
    match CA_BUNDLES.iter().find(|path| Path::new(path).exists()) {
        Some(path) => {
            out.str("tls.ca_bundle_path", *path);
            let ok =
                std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.len() > MIN_BUNDLE_BYTES);
            out.bool("tls.ca_bundle_ok", ok);
        }
        None => {
            out.not_read("tls.ca_bundle_path", format!("none of {} exists", CA_BUNDLES.join(", ")));
            out.bool("tls.ca_bundle_ok", false);
        }
    }
    for (key, name) in [("git.ssl_verify", "http.sslVerify"), ("git.ssl_cainfo", "http.sslCAInfo")] {
        match command::run("git", &["config", "--get", name], context.timeout) {
            Ok(output) if output.success => match parse_git_config_value(&output.stdout) {
                Some(value) => out.str(key, value),
                None => out.not_read(key, "not set"),
            },
            // Exit status 1 with nothing on stderr: the key is not set.
            Ok(output) if output.stderr.trim().is_empty() => out.not_read(key, "not set"),
            Ok(output) => out.not_read(key, format!("git config failed: {}", first_line(&output.stderr))),
            Err(why) => out.not_read(key, why),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_config_values() {
        let verify = include_str!("../../../samples/host/git-config-get-http.sslVerify");
        let cainfo = include_str!("../../../samples/host/git-config-get-http.sslCAInfo");
        assert_eq!(parse_git_config_value(verify).as_deref(), Some("false"));
        assert_eq!(
            parse_git_config_value(cainfo).as_deref(),
            Some("/etc/pki/ca-trust/source/anchors/corp-root-ca.pem")
        );
        assert_eq!(parse_git_config_value(""), None);
    }
}
