//! How fast each cloud's raw format becomes normalized events: decompress, split into records,
//! map every field (`read_file`, the ingest path's parser). Throughput is of the raw JSON text.
//!
//! `cargo bench --bench parsers`

mod common;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use trailscope::sources::document::decompress;
use trailscope::sources::{CloudChoice, read_file};

/// About 333,000 events a day, as the default 10-million-event, 30-day benchmark archive: a
/// CloudTrail file then holds a day of one account and region (a few thousand records).
const EVENTS_PER_DAY: u64 = 333_000;

fn parsers(c: &mut Criterion) {
    let (aws, gcp, azure) = common::one_day(EVENTS_PER_DAY);
    let mut group = c.benchmark_group("parse");
    group.sample_size(20);
    group.measurement_time(std::time::Duration::from_secs(8));
    for (label, file) in [
        ("cloudtrail_delivery_file", &aws),
        ("gcp_sink_json_lines", &gcp),
        ("azure_pt1h_json", &azure),
    ] {
        let json_bytes = decompress(&file.bytes, u64::MAX)
            .expect("the generator's own file")
            .len() as u64;
        let records = read_file(&file.bytes, &file.name, CloudChoice::Auto)
            .expect("the generator's own file")
            .events()
            .count();
        eprintln!("{label}: {records} events, {json_bytes} bytes of JSON ({})", file.name);
        group.throughput(Throughput::Bytes(json_bytes));
        group.bench_function(label, |b| {
            b.iter(|| read_file(std::hint::black_box(&file.bytes), &file.name, CloudChoice::Auto).expect("parses"))
        });
    }
    group.finish();
}

criterion_group!(benches, parsers);
criterion_main!(benches);
