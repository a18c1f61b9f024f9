use std::io::Read;
use std::process::ExitCode;

use super::args::QueryArgs;
use super::{Context, Failure, print};
use crate::engine::Query;
use crate::engine::export::Provenance;

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
    let query = Query {
        sql: sql.clone(),
        ..Query::default()
    };
    // Typed SQL carries its own range: no window is recorded beside a file it writes.
    let provenance = Provenance::of(&session, &query, None);
    let rows = print::emit(session.run(&query).await?, &args.output, provenance).await?;
    if rows == 0 && session.redacts() && mentions_raw(&sql) {
        if session.masks_results() {
            crate::note!(
                "no rows: note that the query read raw with secrets masked, in its filters too (a search for a \
                 secret's text finds nothing); --reveal reads them unmasked, and the journal records it"
            );
        } else {
            crate::note!(
                "no rows: note that raw holds markers where the records held secrets ([MASKED:kind:fingerprint]), \
                 so a search for a secret's text finds nothing: `trailscope fingerprint` turns a secret into its \
                 marker's fingerprint, and --reveal searches the verbatim records (the journal records it)"
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether the SQL names the `raw` column (as a word, in any case).
fn mentions_raw(sql: &str) -> bool {
    sql.to_ascii_lowercase()
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|word| word == "raw")
}
