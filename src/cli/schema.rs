use std::process::ExitCode;

use crate::archive::schema::{COLUMNS, Kind, Stored};

pub fn run() -> ExitCode {
    let width = COLUMNS.iter().map(|c| c.name.len()).max().unwrap_or(0);
    crate::say!("events: one row per audit event\n");
    for c in COLUMNS {
        let kind = match c.kind {
            Kind::Timestamp => "timestamp (UTC)",
            Kind::Text => "text",
            Kind::Boolean => "boolean",
            Kind::UInt32 => "integer",
        };
        let null = if c.nullable { "?" } else { "" };
        let typ = format!("{kind}{null}");
        crate::say!("  {:width$}  {:16}  {}", c.name, typ, c.meaning);
    }
    let partitions: Vec<&str> = COLUMNS
        .iter()
        .filter(|c| c.stored == Stored::InPath)
        .map(|c| c.name)
        .collect();
    crate::say!(
        "\n? = may be empty (NULL). {} come from the archive's folder names.",
        partitions.join(", ")
    );
    crate::say!("JSON inside `raw` can be read with json_get_str(raw, 'requestParameters', 'functionName') and kin.");
    ExitCode::SUCCESS
}
