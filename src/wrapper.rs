//! Running `stack.sh` (or any program) under devstack-doctor: the child inherits stdin, stdout and
//! stderr, so its output, colours and progress reach the terminal unchanged, and the wrapper waits
//! for it and reports how it ended, so that the caller can diagnose the run afterwards.
//!
//! Signals. The child stays in the wrapper's process group, so Ctrl-C at the terminal sends SIGINT to
//! both. While the child runs, the wrapper ignores SIGINT (the child alone decides what an interrupt
//! means; stack.sh cleans up and exits) and forwards SIGTERM sent to the wrapper on to the child. The
//! previous dispositions are restored when the child has ended. SIGHUP and SIGQUIT are not handled:
//! they end the wrapper as before (the terminal sends them to the child too).
//!
//! Boundary: this module starts one process and waits for it; it reads no log and decides nothing
//! about the run. It is Unix-only and calls the C library's `signal` and `kill` directly (declared
//! here, so that no crate is needed); see [`run`] for why that is sound.

use std::{
    ffi::{OsStr, OsString},
    io,
    os::unix::process::{CommandExt, ExitStatusExt},
    path::Path,
    process::{Command, ExitStatus},
    sync::{
        atomic::{AtomicBool, AtomicI32, Ordering},
        Mutex, PoisonError,
    },
};

/// How the child ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    /// The status as the operating system reported it.
    pub status: ExitStatus,
    /// The child's exit code, or 128 + the signal number if a signal killed it (as shells report it:
    /// 130 for SIGINT, 143 for SIGTERM).
    pub code: i32,
}

impl Outcome {
    /// The outcome of a status.
    pub fn from_status(status: ExitStatus) -> Outcome {
        let code = match (status.code(), status.signal()) {
            (Some(code), _) => code,
            (None, Some(signal)) => 128 + signal,
            // `wait` only returns for a child that has terminated, which has one or the other.
            (None, None) => 1,
        };
        Outcome { status, code }
    }

    /// Whether the child exited with code 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }
}

// The same numbers on Linux and the BSDs (macOS included).
const SIGINT: i32 = 2;
const SIGTERM: i32 = 15;
const SIG_DFL: usize = 0;
const SIG_IGN: usize = 1;
const SIG_ERR: usize = usize::MAX;

extern "C" {
    /// `sighandler_t signal(int signum, sighandler_t handler)`; a handler is a function pointer,
    /// passed and returned as an address (`SIG_DFL` is 0, `SIG_IGN` 1, `SIG_ERR` -1).
    fn signal(signum: i32, handler: usize) -> usize;
    /// `int kill(pid_t pid, int sig)`; `pid_t` is a 32-bit signed integer on the supported systems.
    fn kill(pid: i32, sig: i32) -> i32;
}

/// The child SIGTERM is forwarded to; 0 while there is none.
static CHILD: AtomicI32 = AtomicI32::new(0);
/// A SIGTERM arrived while there was no child to forward it to.
static TERM_PENDING: AtomicBool = AtomicBool::new(false);
/// Signal dispositions belong to the whole process: one wrapped child at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The SIGTERM handler: forwards the signal to the child, or remembers it until there is one.
/// Only atomics and `kill` are used here, which are async-signal-safe.
extern "C" fn forward_term(_signum: i32) {
    let pid = CHILD.load(Ordering::SeqCst);
    if pid > 0 {
        // SAFETY: kill is async-signal-safe and takes plain integers.
        unsafe {
            kill(pid, SIGTERM);
        }
    } else {
        TERM_PENDING.store(true, Ordering::SeqCst);
    }
}

/// Runs `program` with `args`, with inherited stdin, stdout and stderr, and waits for it to end.
///
/// While it runs, SIGINT is ignored by this process (the child gets it from the terminal) and SIGTERM
/// is forwarded to the child; both dispositions are restored afterwards. A SIGTERM that arrives when
/// no child is running (just before it starts or just after it ended) is delivered to this process
/// once the dispositions are restored. Calls are serialised, since dispositions are process-wide.
///
/// Why this is sound without the `libc` crate: `signal` and `kill` are declared with their C
/// signatures (a handler is a pointer-sized address; `pid_t` and `int` are `i32`). The dispositions
/// are changed *before* the child is forked, so no SIGINT can end this process between the fork and
/// the change; the child would inherit "ignored" across `exec`, so a `pre_exec` hook puts each signal
/// back to what this process had before (default, or ignored if it was ignored already, as under
/// `nohup`-like launchers); a caught signal becomes default at `exec` anyway. That hook runs between
/// `fork` and `exec` and only calls `signal`, which is a thin wrapper over the `sigaction` system call
/// (async-signal-safe; the standard library resets SIGPIPE at the same place the same way). The
/// SIGTERM handler touches only atomics and `kill`. A SIGTERM sent to the whole process group reaches
/// the child twice (directly and forwarded); for a shell script that is the same as once.
///
/// # Errors
///
/// The program cannot be started (the message names it and says why), a signal disposition cannot be
/// changed, or waiting fails.
pub fn run(program: &OsStr, args: &[OsString]) -> io::Result<Outcome> {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    CHILD.store(0, Ordering::SeqCst);
    TERM_PENDING.store(false, Ordering::SeqCst);

    let result = {
        let dispositions = Dispositions::take()?;
        let (child_int, child_term) = dispositions.for_child();
        let mut command = Command::new(program);
        command.args(args);
        // SAFETY: the hook runs in the forked child before exec and only calls `signal`, which is
        // async-signal-safe (see above); it allocates nothing and takes no lock.
        unsafe {
            command.pre_exec(move || {
                signal(SIGINT, child_int);
                signal(SIGTERM, child_term);
                Ok(())
            });
        }
        match command.spawn() {
            Err(e) => Err(spawn_error(program, e)),
            Ok(mut child) => {
                CHILD.store(child.id() as i32, Ordering::SeqCst);
                if TERM_PENDING.swap(false, Ordering::SeqCst) {
                    forward_term(SIGTERM);
                }
                let status = child.wait();
                CHILD.store(0, Ordering::SeqCst);
                status.map(Outcome::from_status).map_err(|e| {
                    io::Error::new(e.kind(), format!("waiting for {}: {e}", Path::new(program).display()))
                })
            }
        }
        // `dispositions` is dropped here: the previous handlers are back.
    };
    if TERM_PENDING.swap(false, Ordering::SeqCst) {
        // The SIGTERM was meant for this process; deliver it now that the default action is back.
        // SAFETY: kill takes plain integers.
        unsafe {
            kill(std::process::id() as i32, SIGTERM);
        }
    }
    result
}

/// The dispositions this process had before [`run`] changed them; restored on drop.
struct Dispositions {
    int: Option<usize>,
    term: Option<usize>,
}

impl Dispositions {
    /// Ignores SIGINT and forwards SIGTERM (unless SIGTERM was ignored: then it stays ignored).
    fn take() -> io::Result<Dispositions> {
        let mut taken = Dispositions { int: None, term: None };
        taken.int = Some(set(SIGINT, SIG_IGN)?);
        let term = set(SIGTERM, forward_term as extern "C" fn(i32) as usize)?;
        taken.term = Some(term);
        if term == SIG_IGN {
            set(SIGTERM, SIG_IGN)?;
        }
        Ok(taken)
    }

    /// What the child starts with: ignored if this process ignored it before, else the default.
    fn for_child(&self) -> (usize, usize) {
        let child = |previous: Option<usize>| if previous == Some(SIG_IGN) { SIG_IGN } else { SIG_DFL };
        (child(self.int), child(self.term))
    }
}

impl Drop for Dispositions {
    fn drop(&mut self) {
        // Restoring can only fail for an invalid signal number, which these are not.
        if let Some(term) = self.term {
            let _ = set(SIGTERM, term);
        }
        if let Some(int) = self.int {
            let _ = set(SIGINT, int);
        }
    }
}

/// Sets a disposition; returns the previous one.
fn set(signum: i32, handler: usize) -> io::Result<usize> {
    // SAFETY: `signal` with a valid signal number and SIG_DFL, SIG_IGN or an `extern "C" fn(i32)`
    // that is async-signal-safe ([`forward_term`]), or a value `signal` itself returned earlier.
    let previous = unsafe { signal(signum, handler) };
    if previous == SIG_ERR {
        return Err(io::Error::last_os_error());
    }
    Ok(previous)
}

fn spawn_error(program: &OsStr, e: io::Error) -> io::Error {
    let shown = Path::new(program).display();
    let hint = match e.kind() {
        io::ErrorKind::NotFound if !program.as_encoded_bytes().contains(&b'/') => {
            " (not found in PATH; give its path, for example ./stack.sh)"
        }
        io::ErrorKind::NotFound => " (no such file, or its #! interpreter is missing)",
        io::ErrorKind::PermissionDenied => " (not executable: chmod +x it, or run it with bash)",
        _ => "",
    };
    io::Error::new(e.kind(), format!("cannot run {shown}: {e}{hint}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs a shell script through `/bin/sh` (not exec'd directly: a file just written can fail to
    /// exec with ETXTBSY while another test thread forks).
    fn sh(script: &str, args: &[&str]) -> io::Result<Outcome> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("stand-in.sh");
        std::fs::write(&path, script).expect("write script");
        let mut all = vec![path.into_os_string()];
        all.extend(args.iter().map(OsString::from));
        run(OsStr::new("/bin/sh"), &all)
    }

    #[test]
    fn returns_the_exit_code() {
        let outcome = sh("#!/bin/sh\necho hello; exit 3\n", &[]).expect("run");
        assert_eq!(outcome.code, 3);
        assert_eq!(outcome.status.code(), Some(3));
        assert!(!outcome.success());
        assert!(sh("exit 0\n", &[]).expect("run").success());
    }

    #[test]
    fn passes_the_arguments_unchanged() {
        let outcome =
            sh("[ \"$1\" = a ] && [ \"$2\" = 'b c' ] && [ $# = 2 ] && exit 7; exit 1\n", &["a", "b c"]);
        assert_eq!(outcome.expect("run").code, 7);
    }

    #[test]
    fn a_signal_gives_128_plus_its_number() {
        let outcome = sh("#!/bin/sh\nkill -TERM $$\nsleep 5\n", &[]).expect("run");
        assert_eq!(outcome.code, 143);
        assert_eq!(outcome.status.signal(), Some(SIGTERM));
    }

    #[test]
    fn the_child_gets_sigint_as_usual() {
        // Were "ignored" inherited by the child, the shell would live on and exit 0.
        let outcome = sh("kill -INT $$\nsleep 5\nexit 0\n", &[]).expect("run");
        assert_eq!(outcome.code, 130);
    }

    #[test]
    fn sigint_to_the_wrapper_does_not_end_it() {
        // $PPID is this test process: without the wrapper ignoring SIGINT, the whole test run would die.
        let outcome = sh("kill -INT $PPID\nsleep 0.2\nexit 5\n", &[]).expect("run");
        assert_eq!(outcome.code, 5);
    }

    #[test]
    fn sigterm_to_the_wrapper_is_forwarded_to_the_child() {
        // The wrapper survives (else the test run would end) and the child gets the SIGTERM.
        let outcome = sh("kill -TERM $PPID\nexec sleep 5\n", &[]).expect("run");
        assert_eq!(outcome.code, 143);
    }

    #[test]
    fn dispositions_are_restored() {
        sh("exit 0\n", &[]).expect("run");
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
        assert_eq!(set(SIGINT, SIG_DFL).expect("signal"), SIG_DFL);
        assert_eq!(set(SIGTERM, SIG_DFL).expect("signal"), SIG_DFL);
    }

    #[test]
    fn a_missing_program_is_a_clear_error() {
        let err = run(OsStr::new("/nonexistent/stack.sh"), &[]).expect_err("missing");
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
        assert!(err.to_string().starts_with("cannot run /nonexistent/stack.sh: "), "{err}");
        assert!(err.to_string().contains("no such file"), "{err}");

        let err = run(OsStr::new("no-such-stack-sh-here"), &[]).expect_err("missing");
        assert!(err.to_string().contains("not found in PATH"), "{err}");
    }

    #[test]
    fn a_file_that_is_not_executable_is_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("stack.sh");
        std::fs::write(&path, "#!/bin/sh\nexit 0\n").expect("write");
        let err = run(path.as_os_str(), &[]).expect_err("not executable");
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert!(err.to_string().contains("chmod +x"), "{err}");
    }
}
