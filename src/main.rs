use std::process::ExitCode;

use clap::Parser;
use trailscope::cli::{self, Cli};

fn main() -> ExitCode {
    // A closed pipe (`trailscope query … | head -1`) is an error on the write, not a signal, so
    // that the query's end is recorded in the journal first; the process then ends by SIGPIPE,
    // quietly, as every Unix tool does (see `cli::out::closed_pipe`).
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            trailscope::note!("trailscope: cannot start: {e}");
            return ExitCode::from(cli::exit::FAILURE);
        }
    };
    let outcome = runtime.block_on(cli::run(cli));
    // Work still running on blocking threads (a file being parsed when Ctrl+C came) is not
    // waited for: the journal is written, the next run undoes a half-written batch.
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    match outcome {
        Ok(code) => code,
        Err(failure) if failure.code == cli::exit::CLOSED_PIPE => cli::out::closed_pipe(),
        Err(failure) => {
            trailscope::note!("trailscope: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
