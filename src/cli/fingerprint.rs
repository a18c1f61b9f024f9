use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use super::{Context, Failure};
use crate::archive::Location;
use crate::archive::seal::read_key;
use crate::engine::journal::{ArchiveJournal, End, Journal, Start};

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
    // Testing a secret against the archive's key is access to the sealed tier: it is journaled
    // (without the secret), and refused when the owners require a record that cannot be written.
    let journal = Journal::local(Journal::default_path())
        .with_notices(std::sync::Arc::new(|m| crate::note!("trailscope: {m}")))
        .with_archive(ArchiveJournal::open(&location).await?);
    let start = Start {
        id: ulid::Ulid::new().to_string(),
        time: chrono::Utc::now().to_rfc3339(),
        user: crate::identity::local_user(),
        identity: location.identity().await,
        host: crate::identity::host(),
        archive: location.display.clone(),
        sql: "(a secret's fingerprint, read with the archive's key; the secret is not recorded)".into(),
        params: Default::default(),
        kind: "fingerprint".into(),
        report: None,
        revealed: true,
        engine: String::new(),
    };
    journal
        .start(&start)
        .await
        .map_err(|e| Failure::from(crate::engine::EngineError::NotJournaled(e.0)))?;
    let fingerprint = key.fingerprint(secret);
    journal.end(End {
        id: start.id.clone(),
        ended: chrono::Utc::now().to_rfc3339(),
        rows: 1,
        outcome: "completed".into(),
    });
    journal.flush().await;
    crate::say!("{fingerprint}");
    crate::note!(
        "its marker is [MASKED:<kind>:{fingerprint}]; every record it leaked into: \
         trailscope query \"SELECT event_time, principal, action FROM events WHERE raw LIKE '%:{fingerprint}]%'\""
    );
    Ok(ExitCode::SUCCESS)
}
