use std::io::Read;
use std::process::ExitCode;

use super::args::QueryArgs;
use super::{Failure, archive_to_read};
use crate::archive::{Location, StoreOptions};
use crate::engine::{Session, output};

pub async fn run(archive: Option<&str>, args: QueryArgs, options: &StoreOptions) -> Result<ExitCode, Failure> {
    let sql = if args.sql == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::usage(format!("cannot read SQL from standard input: {e}")))?;
        text
    } else {
        args.sql
    };
    let location = Location::open(archive_to_read(archive)?, options)?;
    let session = Session::open(location).await?;
    let stream = session.query(&sql).await?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    output::write(stream, args.format, &mut out).await?;
    Ok(ExitCode::SUCCESS)
}
