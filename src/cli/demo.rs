use std::path::Path;
use std::process::ExitCode;

use indicatif::ProgressBar;
use object_store::ObjectStoreExt;

use super::args::DemoArgs;
use super::{Context, Failure};
use crate::archive::{IngestProgress, Location};
use crate::demo::{DemoOptions, DemoProgress, build, default_location};

/// Progress of the generator, then of the ingest, on a terminal only.
struct Bar(ProgressBar);

impl Bar {
    fn new(total: u64) -> Self {
        let bar = super::progress_bar(total, "{spinner} {msg} {human_pos}/{human_len} ({eta} left)");
        bar.set_message("generating events");
        Bar(bar)
    }
}

impl IngestProgress for Bar {
    fn file_done(&self, _name: &str, _bytes: u64) {
        self.0.inc(1);
    }
    fn writing(&self, events: usize) {
        self.0.set_message(format!("writing {events} events"));
    }
}

impl DemoProgress for Bar {
    fn generated(&self, events: u64, total: u64) {
        self.0.set_length(total);
        self.0.set_position(events.min(total));
    }
    fn staged(&self, files: usize) {
        self.0.set_length(files as u64);
        self.0.set_position(0);
        self.0.set_message("ingesting files");
    }
}

async fn generate(
    target: &str,
    options: &DemoOptions,
    store: &crate::archive::StoreOptions,
) -> Result<crate::demo::DemoSummary, Failure> {
    let location = Location::create(target, store)?;
    let bar = Bar::new(options.events);
    let mut summary = build(&location, options, &bar).await?;
    bar.0.finish_and_clear();
    let events = summary.ingest.events_total();
    crate::note!(
        "demo archive: {events} events in {} files ({} of them CloudTrail digests), generated in {:.1} s, ingested in {:.1} s ({:.0} events/s), at {}",
        summary.files,
        summary.digests,
        summary.generate_seconds,
        summary.ingest_seconds,
        events as f64 / summary.ingest_seconds.max(0.001),
        location.display
    );
    summary.generated = events;
    Ok(summary)
}

pub async fn run(cx: &Context, args: DemoArgs) -> Result<ExitCode, Failure> {
    let target = match cx.archive() {
        Some(a) => a.to_string(),
        None => default_location()
            .ok_or_else(|| Failure::usage("there is no data folder for the demo archive: pass --archive PATH"))?
            .display()
            .to_string(),
    };
    let options = DemoOptions {
        events: args.events,
        days: args.days,
        seed: args.seed,
        keep_raw: args.keep_raw,
        tenants: args.tenants,
    };
    // Made-up events must never mix with real ones: the demo goes only into an empty folder or
    // an archive the demo built.
    let location = Location::create(&target, &cx.store)?;
    let marker = location.path(MARKER);
    if location.holds_any(crate::archive::layout::EVENTS).await? && location.store.head(&marker).await.is_err() {
        return Err(Failure::usage(format!(
            "{} holds an archive the demo did not build: its made-up events would mix with those; \
             give the demo an empty folder with --archive",
            location.display
        )));
    }
    let summary = generate(&target, &options, &cx.store).await?;
    location
        .store
        .put(&marker, DEMO_FORMAT.into())
        .await
        .map_err(|e| crate::archive::ArchiveError::store(&location.display, e))?;
    if summary.ingest.has_rejections() {
        return Err(Failure {
            message: "the demo's own files were rejected: this is a bug".into(),
            code: super::exit::FAILURE,
        });
    }
    crate::say!("The demo archive is ready: try `trailscope view principals --archive {target}`");
    Ok(ExitCode::SUCCESS)
}

/// The default demo archive's format: raised when the archive gains something an older demo
/// lacks (2: the file index and `assumed_principal`; 3: outcome `started`; 4: sealed secrets and
/// archive format 2; 5: a stopped tenant, a gap and a missing one for `coverage`; 6: CloudTrail
/// digests, and a delivery file they do not list; 7: hundreds of actions, S3 data events, Entra ID
/// logs and the unknown app's consent and credential), so that an older one is built again rather
/// than shown without it.
const DEMO_FORMAT: &str = "7";

/// The object in which a demo archive records that the demo built it, and in which format.
const MARKER: &str = ".trailscope-demo-format";

/// Where the default demo archive records the format it was built in.
fn format_marker(demo: &Path) -> std::path::PathBuf {
    demo.join(MARKER)
}

/// Builds the default demo archive if it has no events yet, or was built by an older trailscope
/// (it is generated data in our own data folder), saying so in one line.
pub async fn ensure(demo: &Path) -> Result<(), Failure> {
    let current = std::fs::read_to_string(format_marker(demo)).is_ok_and(|f| f.trim() == DEMO_FORMAT);
    if demo.join("events").is_dir() && current {
        return Ok(());
    }
    let options = DemoOptions::default();
    if demo.join("events").is_dir() {
        crate::note!(
            "The demo archive in {} was built by an older trailscope: building it again ({} events, once).",
            demo.display(),
            options.events
        );
        std::fs::remove_dir_all(demo).map_err(|e| Failure {
            message: format!("cannot remove the older demo archive in {}: {e}", demo.display()),
            code: super::exit::FAILURE,
        })?;
    } else {
        crate::note!(
            "No archive is configured: building the demo archive ({} events) in {} (once).",
            options.events,
            demo.display()
        );
    }
    generate(
        &demo.display().to_string(),
        &options,
        &crate::archive::StoreOptions::default(),
    )
    .await?;
    std::fs::write(format_marker(demo), DEMO_FORMAT).map_err(|e| Failure {
        message: format!("cannot write {}: {e}", format_marker(demo).display()),
        code: super::exit::FAILURE,
    })?;
    Ok(())
}
