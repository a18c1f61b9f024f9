use std::process::ExitCode;

use clap::Parser;
use trailscope::cli::{self, Cli};

fn main() -> ExitCode {
    // Rust ignores SIGPIPE, which turns `trailscope … | head` into a panic or an error message;
    // the default action ends the process quietly, as every Unix tool does.
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to its default, before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("trailscope: cannot start: {e}");
            return ExitCode::from(cli::exit::FAILURE);
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("trailscope: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}
