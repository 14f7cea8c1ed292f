//! Running one external command, read-only, with a timeout: the child is spawned with no stdin and
//! the C locale, polled with `try_wait`, and killed when the time is up. Its output is drained on
//! helper threads so a chatty command can never block on a full pipe. This is the only place in the
//! crate that starts a process.

use std::{
    io::Read,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use crate::input::io_reason;

/// Directories searched after `PATH`: `ip`, `vgs` and `losetup` live in sbin, which a normal user's
/// `PATH` often lacks.
const EXTRA_DIRS: &[&str] = &["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/// What a command that finished printed, and whether it succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Output {
    /// The command exited with status 0.
    pub success: bool,
    /// Its standard output, lossily decoded.
    pub stdout: String,
    /// Its standard error, lossily decoded.
    pub stderr: String,
}

/// Where `program` would be run from: `PATH` first, then the usual system directories.
pub(crate) fn find_program(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let path = PathBuf::from(program);
        return is_executable(&path).then_some(path);
    }
    let from_env = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    from_env
        .into_iter()
        .chain(EXTRA_DIRS.iter().map(PathBuf::from))
        // Commands run in `/`, so a relative PATH entry would point somewhere else.
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Runs `program args…` and waits at most `timeout`. The error is a reason fit for
/// [`super::Collected::unknown`]: not installed, could not start, or timed out (the child is killed).
/// A command that ran and failed is an `Ok` with `success == false`.
pub(crate) fn run(program: &str, args: &[&str], timeout: Duration) -> Result<Output, String> {
    let Some(path) = find_program(program) else {
        return Err(format!("{program} is not installed"));
    };
    let deadline = Instant::now() + timeout;
    let mut child = Command::new(&path)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("LC_ALL", "C")
        .env("LANG", "C")
        .current_dir("/")
        .spawn()
        .map_err(|err| format!("could not run {program}: {}", io_reason(&err)))?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let timed_out = || format!("{program} did not finish within {} ms", timeout.as_millis());
    let status = match wait(&mut child, deadline) {
        Ok(Some(status)) => status,
        Ok(None) => return Err(timed_out()),
        Err(err) => return Err(format!("waiting for {program}: {}", io_reason(&err))),
    };
    // A grandchild may hold the pipes open after the child exits; the deadline still applies.
    let (Some(stdout), Some(stderr)) = (collect(&stdout, deadline), collect(&stderr, deadline)) else {
        return Err(timed_out());
    };
    Ok(Output {
        success: status.success(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

/// Polls the child until it exits or the deadline passes; on timeout it is killed and reaped.
fn wait(child: &mut Child, deadline: Instant) -> std::io::Result<Option<std::process::ExitStatus>> {
    // Start with short naps: most commands here finish in a few milliseconds.
    let mut nap = Duration::from_millis(1);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            // Already-exited races and kill errors do not matter: the child is gone either way.
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        thread::sleep(nap.min(deadline - now));
        nap = (nap * 2).min(Duration::from_millis(20));
    }
}

/// Reads a pipe to its end on a helper thread.
fn drain(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel();
    match pipe {
        Some(mut pipe) => {
            thread::spawn(move || {
                let mut bytes = Vec::new();
                // A read error keeps what was read before it.
                let _ = pipe.read_to_end(&mut bytes);
                let _ = tx.send(bytes);
            });
        }
        None => {
            let _ = tx.send(Vec::new());
        }
    }
    rx
}

fn collect(rx: &mpsc::Receiver<Vec<u8>>, deadline: Instant) -> Option<Vec<u8>> {
    rx.recv_timeout(deadline.saturating_duration_since(Instant::now())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_and_status_are_captured() {
        let out = run("sh", &["-c", "echo out; echo err >&2; exit 3"], Duration::from_secs(5)).unwrap();
        assert!(!out.success);
        assert_eq!(out.stdout, "out\n");
        assert_eq!(out.stderr, "err\n");
        assert!(run("true", &[], Duration::from_secs(5)).unwrap().success);
    }

    #[test]
    fn missing_program_is_a_reason() {
        let err = run("no-such-program-devstack-doctor", &[], Duration::from_secs(1)).unwrap_err();
        assert_eq!(err, "no-such-program-devstack-doctor is not installed");
    }

    #[test]
    fn slow_command_is_killed_at_the_deadline() {
        let started = Instant::now();
        let err = run("sleep", &["10"], Duration::from_millis(100)).unwrap_err();
        assert!(err.contains("did not finish within 100 ms"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn large_output_does_not_block() {
        let out = run("sh", &["-c", "seq 1 100000"], Duration::from_secs(10)).unwrap();
        assert!(out.success);
        assert_eq!(out.stdout.lines().count(), 100_000);
    }

    #[test]
    fn sbin_programs_are_found_without_path() {
        assert!(find_program("sh").is_some());
        assert!(find_program("/no/such/program").is_none());
    }
}
