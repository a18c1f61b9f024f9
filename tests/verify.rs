//! `trailscope verify`: an archive holds what its integrity chain says, and any object altered,
//! deleted or added outside it, a change record edited, a link cut off or a signature by another
//! key is named, with exit code 4.

mod common;

use std::path::Path;

use common::compaction::*;
use common::{stderr, stdout, trailscope};
use trailscope::archive::chain::verify::{VerifyOptions, verify};
use trailscope::archive::{Location, Quiet, StoreOptions, format};

fn run_verify(archive: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["verify", "--archive", archive.to_str().unwrap()];
    args.extend_from_slice(extra);
    trailscope(&args, &[])
}

fn parquet_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found: Vec<_> = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    found.sort();
    found
}

fn relative(archive: &Path, path: &Path) -> String {
    path.strip_prefix(archive).unwrap().display().to_string()
}

/// An archive of many ingest batches, index merges and a compaction (its replaced files still
/// in place, as for an hour after any compaction).
async fn busy_archive(dir: &Path) -> std::path::PathBuf {
    let archive = dir.join("archive");
    build_archive(&archive, dir).await;
    let (summary, _) = run(&archive, &Default::default(), usize::MAX).await;
    let summary = summary.unwrap();
    assert!(
        summary.partitions_rewritten > 0 && summary.replaced_files_kept > 0,
        "{summary:?}"
    );
    archive
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_archive_verifies_and_each_tampering_is_named_with_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    let template = busy_archive(dir.path()).await;
    let out = run_verify(&template, &[]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let said = stdout(&out);
    assert!(said.contains("holds what its integrity chain says"), "{said}");
    assert!(said.contains("still in place, hidden from readers"), "{said}");
    assert!(said.contains("Not covered by the chain: the access journal"), "{said}");
    let links = std::fs::read_dir(template.join("_chain")).unwrap().count();
    assert!(
        links > 5,
        "ingest batches, index merges and compactions each linked ({links})"
    );

    // Each tampering on its own copy of the archive.
    let copy = |name: &str| {
        let archive = dir.path().join(name);
        copy_dir(&template, &archive);
        archive
    };
    let problems = |archive: &Path, extra: &[&str]| {
        let out = run_verify(archive, extra);
        assert_eq!(out.status.code(), Some(4), "{}{}", stdout(&out), stderr(&out));
        assert!(stderr(&out).contains("failed verification"), "{}", stderr(&out));
        stdout(&out)
    };

    // One byte of one Parquet file.
    let altered = copy("altered");
    let victim = parquet_files(&altered.join("events"))[3].clone();
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[200] ^= 0x01;
    std::fs::write(&victim, &bytes).unwrap();
    let said = problems(&altered, &[]);
    let name = relative(&altered, &victim);
    assert!(
        said.lines()
            .any(|l| l.starts_with(&format!("{name}: altered: its SHA-256 is"))),
        "{said}"
    );
    assert_eq!(said.lines().filter(|l| l.contains(": altered")).count(), 1, "{said}");
    // --quick checks sizes only: the same size passes, and it says it did not read.
    let out = run_verify(&altered, &["--quick"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("--quick: not read"), "{}", stdout(&out));
    // A file cut short is found by --quick too.
    std::fs::write(&victim, &bytes[..bytes.len() - 1]).unwrap();
    let said = problems(&altered, &["--quick"]);
    assert!(said.contains(&format!("{name}: altered: it has")), "{said}");

    // One deleted (an index object: what the chain covers is not only events/).
    let deleted = copy("deleted");
    let victim = parquet_files(&deleted.join("_index"))[0].clone();
    std::fs::remove_file(&victim).unwrap();
    let said = problems(&deleted, &[]);
    let name = relative(&deleted, &victim);
    assert!(said.contains(&format!("{name}: missing: link ")), "{said}");

    // One added: a copy of a real part file under a name no link gave.
    let added = copy("added");
    let source = parquet_files(&added.join("events"))[0].clone();
    let planted = source.with_file_name("part-01ZZZZZZZZZZZZZZZZZZZZZZZZ.parquet");
    std::fs::copy(&source, &planted).unwrap();
    let said = problems(&added, &[]);
    let name = relative(&added, &planted);
    assert!(
        said.contains(&format!("{name}: unaccounted for: no link of the chain adds it")),
        "{said}"
    );

    // One change record edited: a committed compaction that "replaces" one more file would hide
    // it from every reader.
    let edited = copy("edited");
    let record = std::fs::read_dir(edited.join("_ingest/changes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".compact.committed.json"))
        .expect("a compaction's change record");
    let mut change: serde_json::Value = serde_json::from_slice(&std::fs::read(&record).unwrap()).unwrap();
    // The newest part file (its name is a ULID): one the compaction wrote, which readers see.
    let newest = parquet_files(&edited.join("events"))
        .into_iter()
        .max_by_key(|p| p.file_name().unwrap().to_owned())
        .unwrap();
    let hidden = relative(&edited, &newest);
    change["replaces"].as_array_mut().unwrap().push(hidden.clone().into());
    std::fs::write(&record, serde_json::to_vec_pretty(&change).unwrap()).unwrap();
    let said = problems(&edited, &[]);
    let name = relative(&edited, &record);
    assert!(said.contains(&format!("{name}: altered: link ")), "{said}");

    // A pending change record planted to hide a file it did not write.
    let planted = copy("planted");
    let change = serde_json::json!({"id": "01ZZZZZZZZZZZZZZZZZZZZZZZZ", "kind": "ingest", "adds": [hidden]});
    let key = planted.join("_ingest/changes/01ZZZZZZZZZZZZZZZZZZZZZZZZ.ingest.pending.json");
    std::fs::write(&key, serde_json::to_vec(&change).unwrap()).unwrap();
    let said = problems(&planted, &[]);
    assert!(said.contains(&format!("hides {hidden} from readers")), "{said}");

    // A committed record copied under the aborted state's name: the same bytes, but every
    // reader now hides the batch's files.
    let renamed = copy("renamed");
    let committed = std::fs::read_dir(renamed.join("_ingest/changes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".ingest.committed.json"))
        .expect("an ingest's change record");
    let aborted = committed.to_string_lossy().replace(".committed.json", ".aborted.json");
    std::fs::copy(&committed, &aborted).unwrap();
    let said = problems(&renamed, &["--quick"]);
    let name = relative(&renamed, Path::new(&aborted));
    assert!(
        said.contains(&format!("{name}: marked aborted, though the chain holds it as made")),
        "{said}"
    );

    // An index object planted with a change record of its own, aborted: readers read every index
    // object, whatever change it came with.
    let index_planted = copy("index-planted");
    let source = parquet_files(&index_planted.join("_index"))[0].clone();
    let planted = source.with_file_name("01ZZZZZZZZZZZZZZZZZZZZZZZZ.parquet");
    std::fs::copy(&source, &planted).unwrap();
    let name = relative(&index_planted, &planted);
    let change = serde_json::json!({"id": "01ZZZZZZZZZZZZZZZZZZZZZZZZ", "kind": "ingest", "adds": [name]});
    let key = index_planted.join("_ingest/changes/01ZZZZZZZZZZZZZZZZZZZZZZZZ.ingest.aborted.json");
    std::fs::write(&key, serde_json::to_vec(&change).unwrap()).unwrap();
    let said = problems(&index_planted, &["--quick"]);
    assert!(said.contains(&format!("{name}: unaccounted for")), "{said}");
    // And compaction does not build on it: the planted object is left where verify names it.
    let (summary, _) = run(&index_planted, &at_once(), usize::MAX).await;
    summary.unwrap();
    assert!(planted.exists());

    // A link planted far ahead: one finding, at once.
    let far = copy("far");
    std::fs::copy(
        far.join("_chain/000000000001.json"),
        far.join("_chain/999999999999.json"),
    )
    .unwrap();
    let said = problems(&far, &["--quick"]);
    assert!(said.contains("_chain/000000000"), "{said}");
    assert!(said.lines().count() < 20, "{said}");

    // A link altered, and a link deleted.
    let relinked = copy("relinked");
    let link = relinked.join("_chain/000000000002.json");
    let text = std::fs::read_to_string(&link)
        .unwrap()
        .replace("\"seq\":2", "\"seq\":2 ");
    std::fs::write(&link, text).unwrap();
    let said = problems(&relinked, &["--quick"]);
    assert!(said.contains("_chain/000000000003.json: broken link"), "{said}");
    std::fs::remove_file(&link).unwrap();
    let said = problems(&relinked, &["--quick"]);
    assert!(said.contains("_chain/000000000002.json: missing"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compaction_does_not_take_in_a_file_altered_outside_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    build_archive(&archive, dir.path()).await;
    // A file of a partition that compaction will merge (it has several), changed by a bit.
    let victim = parquet_files(&archive.join("events"))
        .into_iter()
        .find(|p| std::fs::read_dir(p.parent().unwrap()).unwrap().count() > 1)
        .unwrap();
    let mut bytes = std::fs::read(&victim).unwrap();
    bytes[100] ^= 0x01;
    std::fs::write(&victim, &bytes).unwrap();
    let (summary, _) = run(&archive, &at_once(), usize::MAX).await;
    let error = summary.unwrap_err();
    assert!(
        error.contains(&relative(&archive, &victim)) && error.contains("not as the integrity chain recorded it"),
        "{error}"
    );
    assert!(victim.exists(), "the altered file stays for verify to name");
    let out = run_verify(&archive, &[]);
    assert_eq!(out.status.code(), Some(4), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_cut_back_is_found_by_the_last_verification() {
    let dir = tempfile::tempdir().unwrap();
    let archive = busy_archive(dir.path()).await;
    assert!(run_verify(&archive, &["--quick"]).status.success());
    // The last link and everything it added, gone: the rest of the chain holds together.
    let mut links: Vec<_> = std::fs::read_dir(archive.join("_chain"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    links.sort();
    let last = links.pop().unwrap();
    let link: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&last).unwrap().lines().next().unwrap()).unwrap();
    for entry in link["added"].as_array().unwrap() {
        std::fs::remove_file(archive.join(entry["path"].as_str().unwrap())).unwrap();
    }
    std::fs::remove_file(&last).unwrap();
    let out = run_verify(&archive, &["--quick"]);
    assert_eq!(out.status.code(), Some(4), "{}", stdout(&out));
    assert!(stdout(&out).contains("its end was cut off"), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_chain_verifies_with_its_key_only_and_writers_must_sign() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("chain.pem");
    let out = trailscope(&["signing-key", key.to_str().unwrap()], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let public = dir.path().join("chain.pub.pem");
    std::fs::write(&public, stdout(&out)).unwrap();
    // A second run does not overwrite a key.
    let again = trailscope(&["signing-key", key.to_str().unwrap()], &[]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    let other = dir.path().join("other.pem");
    let out = trailscope(&["signing-key", other.to_str().unwrap()], &[]);
    let other_public = dir.path().join("other.pub.pem");
    std::fs::write(&other_public, stdout(&out)).unwrap();

    let archive = dir.path().join("archive");
    let path = archive.to_str().unwrap();
    let aws = common::fixture("aws");
    let out = trailscope(
        &["ingest", "--archive", path, aws.to_str().unwrap()],
        &[("TRAILSCOPE_SIGNING_KEY", key.to_str().unwrap())],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run_verify(&archive, &["--public-key", public.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("signed with the key given"), "{}", stdout(&out));

    let out = run_verify(&archive, &["--public-key", other_public.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("_chain/000000000000.json: its signature does not verify"),
        "{}",
        stdout(&out)
    );

    // A writer without the key is refused before it writes anything.
    let gcp = common::fixture("gcp");
    let out = trailscope(&["ingest", "--archive", path, gcp.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stderr(&out).contains("signing key"), "{}", stderr(&out));
    assert!(
        run_verify(&archive, &["--public-key", public.to_str().unwrap()])
            .status
            .success()
    );

    // An unsigned link made by hand (as whoever can write the bucket could) fails the check.
    let first = std::fs::read_to_string(archive.join("_chain/000000000000.json")).unwrap();
    let unsigned = first.lines().next().unwrap().to_string() + "\n";
    std::fs::write(archive.join("_chain/000000000000.json"), unsigned).unwrap();
    let out = run_verify(&archive, &["--public-key", public.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("000000000000.json: not signed"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archive_of_format_2_reads_as_before_and_compaction_brings_it_into_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    build_archive(&archive, dir.path()).await;
    let original = events(&archive).await;
    // What format 2 wrote: the same, without a chain.
    std::fs::remove_dir_all(archive.join("_chain")).unwrap();
    std::fs::write(
        archive.join("_ingest/format.json"),
        r#"{"format": 2, "written_by": "trailscope 0.1.0"}"#,
    )
    .unwrap();
    let before = events(&archive).await;
    let location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    assert_eq!(format::read(&location).await.unwrap(), Some(2));
    assert_eq!(before, original, "every event reads as it did");
    let out = run_verify(&archive, &[]);
    assert_eq!(out.status.code(), Some(4), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("run `trailscope compact` once"),
        "{}",
        stdout(&out)
    );

    // An ingest into it writes no links (the chain starts whole, at the migration)…
    let extra = common::fixture("gcp/compute-instances-insert.json");
    let inputs = trailscope::archive::inputs::resolve(&[extra.display().to_string()], &StoreOptions::default())
        .await
        .unwrap();
    trailscope::archive::ingest(&location, inputs, &Default::default(), &Quiet)
        .await
        .unwrap();
    assert!(!archive.join("_chain").exists());
    let with_extra = events(&archive).await;

    // …and compaction brings everything in, then compacts with links.
    let (summary, _) = run(&archive, &Default::default(), usize::MAX).await;
    let summary = summary.unwrap();
    assert_eq!((summary.format_before, summary.format_after), (2, format::CURRENT));
    let genesis = summary.genesis.expect("a genesis link");
    assert!(genesis.objects > 10, "{genesis:?}");
    assert_eq!(
        events(&archive).await,
        deduplicated(&with_extra, &header(&archive).await)
    );
    let report = verify(&location, &VerifyOptions::default(), &Quiet).await.unwrap();
    assert!(report.passed(), "{:?}", report.problems);
    assert!(report.awaiting_deletion > 0, "{report:?}");
    // A chain deleted from an archive of this format is not adopted again by the next run.
    std::fs::remove_dir_all(archive.join("_chain")).unwrap();
    let (summary, _) = run(&archive, &Default::default(), usize::MAX).await;
    assert!(summary.unwrap().genesis.is_none());
    let report = verify(&location, &VerifyOptions::default(), &Quiet).await.unwrap();
    assert!(!report.passed());
}

#[test]
fn verify_over_s3_names_an_object_deleted_from_the_bucket() {
    let server = common::S3Server::start(&["audit"]);
    let env: Vec<(&str, String)> = server.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let aws = common::fixture("aws");
    let out = trailscope(&["ingest", "--archive", "s3://audit/prod", aws.to_str().unwrap()], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = trailscope(&["verify", "--archive", "s3://audit/prod"], &env);
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("s3://audit/prod holds what"), "{}", stdout(&out));
    let victim = parquet_files(&server.root.path().join("audit/prod/events"))[0].clone();
    std::fs::remove_file(&victim).unwrap();
    let out = trailscope(&["verify", "--archive", "s3://audit/prod", "--json"], &env);
    assert_eq!(out.status.code(), Some(4), "{}", stdout(&out));
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let name = relative(&server.root.path().join("audit/prod"), &victim);
    assert_eq!(report["report"]["problems"][0]["object"], name.as_str(), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_auditor_refused_the_sealed_tier_verifies_the_rest_and_is_told_what_was_not_checked() {
    let dir = tempfile::tempdir().unwrap();
    let archive = busy_archive(dir.path()).await;
    let sealed = parquet_files(&archive.join("_sealed/records"));
    assert!(!sealed.is_empty(), "the fixtures hold secrets, so sealed records");
    let mut location = Location::open(archive.to_str().unwrap(), &StoreOptions::default()).unwrap();
    let refusing = std::sync::Arc::new(common::store::Watched::new(location.store.clone()));
    *refusing.denied.lock().unwrap() = Some(location.path("_sealed").to_string());
    location.store = refusing;
    let report = verify(&location, &VerifyOptions::default(), &Quiet).await.unwrap();
    assert!(report.passed(), "{:?}", report.problems);
    assert_eq!(report.sealed_unchecked, sealed.len() as u64, "{report:?}");
    // What it cannot read it does not vouch for: a sealed record altered is found by whoever may
    // read the tier.
    let mut bytes = std::fs::read(&sealed[0]).unwrap();
    bytes[100] ^= 0x01;
    std::fs::write(&sealed[0], &bytes).unwrap();
    assert!(
        verify(&location, &VerifyOptions::default(), &Quiet)
            .await
            .unwrap()
            .passed()
    );
    let out = run_verify(&archive, &[]);
    assert_eq!(out.status.code(), Some(4), "{}", stdout(&out));
    assert!(
        stdout(&out).contains(&relative(&archive, &sealed[0])),
        "{}",
        stdout(&out)
    );
}
