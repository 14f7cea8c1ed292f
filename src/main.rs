//! The `devstack-doctor` binary: parse arguments, run the command, map the outcome to an exit code.
//! Everything else lives in the library so that tests can drive it.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = devstack_doctor::cli::Cli::parse_args();
    match devstack_doctor::app::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // A closed pipe (`devstack-doctor ... | head`) is not a failure.
            if err.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            #[allow(clippy::print_stderr)]
            {
                eprintln!("devstack-doctor: {err:#}");
            }
            ExitCode::from(2)
        }
    }
}
