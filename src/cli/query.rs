use std::io::Read;
use std::process::ExitCode;

use super::args::QueryArgs;
use super::{Context, Failure, print};

pub async fn run(cx: &Context, args: QueryArgs) -> Result<ExitCode, Failure> {
    let sql = if args.sql == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure::usage(format!("cannot read SQL from standard input: {e}")))?;
        text
    } else {
        args.sql
    };
    let session = cx.session(args.output.reveal).await?;
    let stream = session.sql(&sql).await?;
    print::emit(stream, &args.output).await?;
    Ok(ExitCode::SUCCESS)
}
