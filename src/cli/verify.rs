//! `trailscope verify` and `trailscope signing-key`.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use indicatif::ProgressBar;

use super::args::{SigningKeyArgs, VerifyArgs};
use super::compact::{days_asked, megabytes};
use super::{Context, Failure, exit};
use crate::archive::Location;
use crate::archive::chain::verify::{Report, VerifyOptions, VerifyProgress, verify};
use crate::archive::chain::{PublicKey, Signer};
use crate::archive::digests::DigestSummary;
use crate::archive::verified::{self, Verified};
use crate::text::thousands;

/// What the chain does not cover, said with every result.
pub const NOT_COVERED: &str = "Not covered by the chain: the access journal (_journal/), the quarantine \
(_sealed/quarantine/), the ingest ledger and lock (_ingest/), policies (_policy/), the fingerprint key \
(_sealed/key) and the records of earlier runs (_verify/).";

pub async fn run(cx: &Context, args: VerifyArgs) -> Result<ExitCode, Failure> {
    let days = days_asked(args.date.as_deref(), args.from.as_deref(), args.to.as_deref())?;
    let public_keys = args
        .public_key
        .iter()
        .map(|p| PublicKey::from_file(p).map_err(Failure::usage))
        .collect::<Result<Vec<_>, _>>()?;
    let mut cloudtrail_keys: Option<crate::sources::aws::digest::PublicKeys> = None;
    for file in &args.cloudtrail_public_keys {
        cloudtrail_keys
            .get_or_insert_with(Default::default)
            .extend(super::ingest::read_public_keys(file)?);
    }
    let location = Location::open(&cx.archive_to_read().await?, &cx.store)?;
    if !super::compact::is_archive(&location).await? {
        return Err(Failure::usage(format!(
            "{} is not an archive (it has no events/ or _ingest/ folder): nothing to verify",
            location.display
        )));
    }
    let options = VerifyOptions {
        quick: args.quick,
        days: days.clone(),
        public_keys,
    };
    let bar = Bar(super::progress_bar(
        0,
        "{spinner} verifying {bytes}/{total_bytes} ({binary_bytes_per_sec}, {eta} left)",
    ));
    let started = Instant::now();
    let report = verify(&location, &options, &bar).await?;
    bar.0.finish_and_clear();
    // CloudTrail's own evidence: every log file against the digests AWS signed for it.
    let digests = crate::archive::digests::summary_checking(&location, cloudtrail_keys.as_ref()).await?;
    let digest_failures: Vec<String> = digests.failures().map(super::ingest::describe_failure).collect();
    let passed = report.passed() && digest_failures.is_empty();
    let seconds = started.elapsed().as_secs_f64();

    let run = Verified {
        at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        by: location.identity().await,
        quick: args.quick,
        from: days.as_ref().map(|d| d.0.clone()),
        to: days.as_ref().map(|d| d.1.clone()),
        passed,
        problems: report.problems.len() + digest_failures.len(),
        links: report.head.as_ref().map_or(0, |(seq, _)| seq + 1),
        objects: report.objects,
        bytes: report.bytes,
        signatures_checked: report.signatures_checked.map(|n| n == report.links && n > 0),
        digests_validated: digests.trails.values().map(|t| t.validated).sum(),
        digests_failed: digest_failures.len() as u64,
        sealed_unchecked: report.sealed_unchecked,
    };
    if args.json {
        let json = serde_json::json!({
            "archive": location.display,
            "seconds": seconds,
            "report": report,
            "cloudtrail_digests": digests_json(&digests, &digest_failures),
        });
        super::out::data(&serde_json::to_string_pretty(&json).expect("a report serialises"));
    } else {
        crate::say!("{}", render(&location.display, &options, &report, seconds).trim_end());
        crate::say!("{}", render_digests(&digests, &digest_failures).trim_end());
    }
    // Kept for `concept` and the next verify (which finds a chain cut back); a reader without
    // write access is told, and the result stands.
    if let Err(e) = verified::record(&location, &run).await {
        crate::note!("trailscope: this verification was not recorded in the archive's _verify/ ({e})");
    }
    if passed {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Failure {
            message: format!(
                "the archive at {} failed verification: {} problem(s), listed above",
                location.display,
                report.problems.len() + digest_failures.len()
            ),
            code: exit::INTEGRITY,
        })
    }
}

/// The report a user reads.
pub fn render(archive: &str, options: &VerifyOptions, r: &Report, seconds: f64) -> String {
    let mut out = String::new();
    for p in &r.problems {
        out.push_str(&format!("{}: {}\n", p.object, p.what));
    }
    if !r.problems.is_empty() {
        out.push('\n');
    }
    let scope = match &options.days {
        Some((from, to)) if from == to => format!(" of {from}"),
        Some((from, to)) => format!(" of {from} to {to}"),
        None => String::new(),
    };
    let how = if options.quick {
        "each of the size its link recorded (--quick: not read)"
    } else {
        "each read and matching the SHA-256 its link recorded"
    };
    if r.unchained {
        out.push_str(&format!("{archive} cannot be verified yet.\n"));
    } else if r.passed() {
        out.push_str(&format!(
            "{archive} holds what its integrity chain says: {} link(s), {} object(s){scope} ({}) under events/, _index/ and _sealed/records/, {how}; nothing missing, altered or unaccounted for ({seconds:.1} s).\n",
            thousands(r.links),
            thousands(r.objects),
            megabytes(r.bytes),
        ));
    } else {
        out.push_str(&format!(
            "{archive} does not hold what its integrity chain says: {} problem(s) above. Walked {} link(s); {} object(s){scope} ({}) were as recorded, {how} ({seconds:.1} s).\n",
            thousands(r.problems.len() as u64),
            thousands(r.links),
            thousands(r.objects),
            megabytes(r.bytes),
        ));
    }
    if let Some((seq, sha)) = &r.head {
        out.push_str(&format!(
            "Head: link {seq}, SHA-256 {sha}. Keep it outside the archive: a later head that is earlier means links were cut off.\n"
        ));
    }
    if r.awaiting_deletion > 0 {
        out.push_str(&format!(
            "{} file(s) replaced by a compaction are still in place, hidden from readers, and go an hour after it.\n",
            thousands(r.awaiting_deletion)
        ));
    }
    if r.index_leftovers > 0 {
        out.push_str(&format!(
            "{} index object(s) an interrupted index merge replaced are still in place, as they were written; the next merge of their day deletes them.\n",
            thousands(r.index_leftovers)
        ));
    }
    if r.sealed_unchecked > 0 {
        out.push_str(&format!(
            "Not checked: {} sealed record object(s) the chain lists under _sealed/records/: the store refused this reader the sealed tier (as its owners may intend); verify with access to it for a complete check.\n",
            thousands(r.sealed_unchecked)
        ));
    }
    if r.uncommitted > 0 {
        out.push_str(&format!(
            "{} object(s) belong to a change that has not committed (being written, or undone by the next ingest or compact); readers do not see them.\n",
            thousands(r.uncommitted)
        ));
    }
    match r.signatures_checked {
        Some(n) if r.passed() => out.push_str(&format!(
            "Signatures: all {} link(s) signed with the key given.\n",
            thousands(n)
        )),
        Some(n) => out.push_str(&format!(
            "Signatures: {} of {} link(s) signed with the key given.\n",
            thousands(n),
            thousands(r.links)
        )),
        None if !r.unchained => out.push_str("Signatures: not checked (give --public-key FILE to check them).\n"),
        None => {}
    }
    out.push_str(NOT_COVERED);
    out.push('\n');
    out
}

/// What CloudTrail's digests say, after the chain's report.
fn render_digests(d: &DigestSummary, failures: &[String]) -> String {
    if d.trails.is_empty() {
        return "CloudTrail digests: none in the archive (ingest the CloudTrail-Digest/ folders with the logs to have AWS's own evidence checked).\n".into();
    }
    let mut out = String::new();
    for f in failures {
        out.push_str(&format!("{f}\n"));
    }
    out.push_str("CloudTrail digests (AWS's signed lists of the log files it delivered), per account and region:\n");
    for ((account, region), t) in &d.trails {
        let mut line = format!(
            "  {account} {region}: {} digest(s); log files {} validated, {} contradicted, {} not listed by their hour's digest, {} without a digest",
            thousands(t.digests),
            thousands(t.validated),
            thousands(t.mismatched),
            thousands(t.not_listed),
            thousands(t.uncovered),
        );
        if t.chain_breaks > 0 {
            line.push_str(&format!("; {} chain break(s)", t.chain_breaks));
        }
        if t.digests > 0 {
            line.push_str(&format!(
                "; signatures {} valid, {} failed, {} unavailable (read from a folder), {} not checked",
                t.signatures_valid, t.signatures_failed, t.signatures_unavailable, t.signatures_unchecked
            ));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn digests_json(d: &DigestSummary, failures: &[String]) -> serde_json::Value {
    let trails: Vec<serde_json::Value> = d
        .trails
        .iter()
        .map(|((account, region), t)| {
            serde_json::json!({
                "account": account, "region": region, "validated": t.validated, "contradicted": t.mismatched,
                "not_listed": t.not_listed, "no_digest": t.uncovered, "digests": t.digests,
                "chain_breaks": t.chain_breaks, "previous_missing": t.previous_missing,
                "signatures_valid": t.signatures_valid, "signatures_failed": t.signatures_failed,
                "signatures_unavailable": t.signatures_unavailable, "signatures_unchecked": t.signatures_unchecked,
            })
        })
        .collect();
    serde_json::json!({ "trails": trails, "failures": failures })
}

/// The signing key of `--signing-key` / `TRAILSCOPE_SIGNING_KEY`, read.
pub fn signing_key(path: Option<&Path>) -> Result<Option<Arc<Signer>>, Failure> {
    path.map(|p| Signer::from_file(p).map(Arc::new).map_err(Failure::usage))
        .transpose()
}

/// `trailscope signing-key FILE`: a new private key, written for its owner only; its public key
/// on standard output.
pub fn new_key(args: SigningKeyArgs) -> Result<ExitCode, Failure> {
    use std::io::Write;
    let pem = Signer::generate_pem().map_err(|e| Failure {
        message: e,
        code: exit::FAILURE,
    })?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options
        .open(&args.file)
        .and_then(|mut f| f.write_all(pem.as_bytes()).and_then(|()| f.sync_all()));
    if let Err(e) = written {
        return Err(Failure {
            message: format!("cannot write the new key to {}: {e}", args.file.display()),
            code: if e.kind() == std::io::ErrorKind::AlreadyExists {
                exit::USAGE
            } else {
                exit::FAILURE
            },
        });
    }
    let signer = Signer::from_file(&args.file).map_err(|e| Failure {
        message: e,
        code: exit::FAILURE,
    })?;
    super::out::data(signer.public_key().pem().trim_end());
    crate::note!(
        "trailscope: wrote the private key to {} (readable by you only); its public key, above, is what `verify --public-key` takes",
        args.file.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// A progress bar by bytes hashed, drawn only on a terminal.
struct Bar(ProgressBar);

impl VerifyProgress for Bar {
    fn hashing(&self, _objects: u64, bytes: u64) {
        self.0.set_length(bytes);
    }
    fn hashed(&self, bytes: u64) {
        self.0.inc(bytes);
    }
}
