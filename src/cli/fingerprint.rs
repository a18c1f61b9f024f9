use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use super::{Context, Failure};
use crate::archive::Location;
use crate::archive::seal::read_key;

/// Reads a secret from standard input and prints the marker the archive holds in its place.
pub async fn run(cx: &Context) -> Result<ExitCode, Failure> {
    let location = Location::open(&cx.archive_to_read().await?, &cx.store)?;
    let Some(key) = read_key(&location).await? else {
        return Err(Failure::usage(format!(
            "the archive at {} has no fingerprint key yet: nothing in it was sealed",
            location.display
        )));
    };
    if std::io::stdin().is_terminal() {
        crate::note!("the secret (it is not shown; end with Enter, then Ctrl+D):");
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Failure::usage(format!("cannot read the secret from standard input: {e}")))?;
    // A trailing line break is the terminal's or `echo`'s, not the secret's.
    let secret = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(&text);
    if secret.is_empty() {
        return Err(Failure::usage("no secret was given on standard input"));
    }
    let fingerprint = key.fingerprint(secret);
    crate::say!("{fingerprint}");
    crate::note!(
        "its marker is [MASKED:<kind>:{fingerprint}]; every record it leaked into: \
         trailscope query \"SELECT event_time, principal, action FROM events WHERE raw LIKE '%:{fingerprint}]%'\""
    );
    Ok(ExitCode::SUCCESS)
}
