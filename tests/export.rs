//! Exporting a large result streams it: a result of more than a million rows is written to CSV
//! whole, row for row. (Its peak memory is measured by scripts/bench-export, not here.)

mod common;

use std::collections::HashSet;
use std::io::BufRead;

use common::{stderr, trailscope};

/// The incident fixture ingested into a fresh folder: the folder, and the archive in it.
fn incident_archive() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    common::ingest_incident(&archive);
    (dir, archive)
}

#[test]
fn a_result_of_over_a_million_rows_is_exported_to_csv_row_for_row() {
    let (dir, archive) = incident_archive();
    let file = dir.path().join("big.csv");
    // Every event of the archive, 10,000 times over: 1,220,000 rows, each (event, n) once.
    let sql = "SELECT e.event_id, r.value AS n, e.principal FROM events e CROSS JOIN range(0, 10000) AS r";
    let out = trailscope(
        &[
            "query",
            "--archive",
            archive.to_str().unwrap(),
            "--output",
            file.to_str().unwrap(),
            sql,
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("wrote 1220000 rows"), "{}", stderr(&out));

    let ids = trailscope(
        &[
            "query",
            "--archive",
            archive.to_str().unwrap(),
            "--format",
            "csv",
            "SELECT event_id, principal FROM events",
        ],
        &[],
    );
    let principal_of: std::collections::HashMap<String, String> = String::from_utf8(ids.stdout)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let (id, p) = l.split_once(',').unwrap();
            (id.to_string(), p.to_string())
        })
        .collect();
    assert_eq!(principal_of.len(), 122);

    let reader = std::io::BufReader::new(std::fs::File::open(&file).unwrap());
    let mut lines = reader.lines();
    assert_eq!(lines.next().unwrap().unwrap(), "event_id,n,principal");
    let mut seen: HashSet<(String, u32)> = HashSet::with_capacity(1_220_000);
    for line in lines {
        let line = line.unwrap();
        let mut cells = line.splitn(3, ',');
        let (id, n, principal) = (cells.next().unwrap(), cells.next().unwrap(), cells.next().unwrap());
        let n: u32 = n.parse().unwrap();
        assert!(n < 10_000, "{line}");
        assert_eq!(
            principal_of.get(id).map(String::as_str),
            Some(principal),
            "row {line} carries its event's principal"
        );
        assert!(seen.insert((id.to_string(), n)), "row {line} is written once");
    }
    assert_eq!(seen.len(), 1_220_000, "every row is there");
}

/// `--output /dev/null` (or a named pipe) is written in place: the atomic rename used for files
/// would replace the device with a regular file. A pipe stands in for /dev/null here.
#[cfg(unix)]
#[test]
fn an_output_that_is_not_a_regular_file_is_written_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let (dir, archive) = incident_archive();
    let pipe = dir.path().join("pipe");
    let c = std::ffi::CString::new(pipe.to_str().unwrap()).unwrap();
    // SAFETY: creating a named pipe at a path we own.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let reader = {
        let pipe = pipe.clone();
        std::thread::spawn(move || std::fs::read_to_string(pipe).unwrap())
    };
    let out = trailscope(
        &[
            "query",
            "--archive",
            archive.to_str().unwrap(),
            "--format",
            "csv",
            "--output",
            pipe.to_str().unwrap(),
            "SELECT count(*) AS n FROM events",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(reader.join().unwrap(), "n\n122\n");
    assert!(std::fs::metadata(&pipe).unwrap().file_type().is_fifo(), "still a pipe");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 2, "no temporary file left beside it: {left:?}");
}

#[test]
fn a_table_written_to_a_pipe_keeps_every_character_unless_columns_says_a_width() {
    let (_dir, archive) = incident_archive();
    let sql = "SELECT principal, concat(event_id, repeat('-', 200), 'end') AS long FROM events \
               WHERE principal LIKE 'arn:aws:sts::%' ORDER BY event_id LIMIT 3";
    let query = |env: &[(&str, &str)]| {
        let out = trailscope(&["query", "--archive", archive.to_str().unwrap(), sql], env);
        assert!(out.status.success(), "{}", stderr(&out));
        common::stdout(&out)
    };
    let whole = query(&[]);
    assert!(!whole.contains('…'), "{whole}");
    assert_eq!(whole.matches(&format!("{}end", "-".repeat(200))).count(), 3, "{whole}");
    assert!(whole.contains("arn:aws:sts::"), "{whole}");
    let fitted = query(&[("COLUMNS", "80")]);
    assert!(fitted.lines().all(|l| l.chars().count() <= 80), "{fitted}");
    assert!(fitted.contains('…'), "{fitted}");
}

#[test]
fn an_output_file_whose_extension_names_no_format_is_refused_before_anything_is_written() {
    let (dir, archive) = incident_archive();
    let query = |file: &std::path::Path, extra: &[&str]| {
        let mut args = vec![
            "query",
            "--archive",
            archive.to_str().unwrap(),
            "-o",
            file.to_str().unwrap(),
        ];
        args.extend(extra);
        args.push("SELECT count(*) AS n FROM events");
        trailscope(&args, &[])
    };
    let sheet = dir.path().join("result.xlsx");
    let out = query(&sheet, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("not .xlsx"), "{}", stderr(&out));
    assert!(!sheet.exists());
    // Said outright, the format wins over the name; .txt is the table.
    let out = query(&sheet, &["--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&sheet).unwrap(), "n\n122\n");
    let table = dir.path().join("result.txt");
    assert!(query(&table, &[]).status.success());
    assert!(std::fs::read_to_string(&table).unwrap().contains("(1 row)"));
}
