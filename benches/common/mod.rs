//! Raw files for the micro-benchmarks: one demo day in each cloud's native format, made by the
//! demo generator (the same code that builds the demo archive), so sizes and field mixes are the
//! archive's, not a hand-written fixture's.

use std::path::{Path, PathBuf};

use trailscope::archive::Quiet;
use trailscope::demo::{DemoOptions, generate};

/// One raw file: its name as delivered, its bytes as stored (gzip for CloudTrail).
pub struct RawFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The largest delivered file of each cloud from one generated day of `events` events:
/// (CloudTrail, GCP, Azure).
pub fn one_day(events: u64) -> (RawFile, RawFile, RawFile) {
    let staging = tempfile::tempdir().expect("a temporary folder");
    let options = DemoOptions {
        events,
        days: 1,
        ..DemoOptions::default()
    };
    generate(staging.path(), &options, &Quiet).expect("the demo generator writes its files");
    let largest = |under: &str| largest_file(&staging.path().join(under));
    (
        largest("AWSLogs"),
        largest("gcp-audit-sink"),
        largest("insights-activity-logs"),
    )
}

fn largest_file(dir: &Path) -> RawFile {
    let mut files: Vec<PathBuf> = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("a readable folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    let path = files
        .into_iter()
        .max_by_key(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .expect("the generator wrote a file of this cloud");
    RawFile {
        name: path.display().to_string(),
        bytes: std::fs::read(&path).expect("a readable file"),
    }
}
