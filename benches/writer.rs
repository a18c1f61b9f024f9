//! How fast normalized events become one Parquet file's bytes: sort by time, build the Arrow
//! columns, zstd, statistics, page index and bloom filters (`archive::writer::encode`).
//!
//! `cargo bench --bench writer`

mod common;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use trailscope::archive::writer::{ROW_GROUP_ROWS, encode};
use trailscope::sources::{CloudChoice, Event, read_file};

/// Events of a generated day, all clouds, repeated until there are `n` (ids made unique).
fn events(n: usize) -> Vec<Event> {
    let (aws, gcp, azure) = common::one_day(200_000);
    let mut pool: Vec<Event> = Vec::new();
    for file in [&aws, &gcp, &azure] {
        let read = read_file(&file.bytes, &file.name, CloudChoice::Auto).expect("the generator's own file");
        pool.extend(read.events().cloned());
    }
    (0..n)
        .map(|i| {
            let mut e = pool[i % pool.len()].clone();
            e.event_id = format!("{}-{i}", e.event_id);
            e
        })
        .collect()
}

fn writer(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode_parquet");
    group.sample_size(10);
    group.measurement_time(std::time::Duration::from_secs(8));
    for n in [10_000, ROW_GROUP_ROWS] {
        let input = events(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("{n}_events"), |b| {
            b.iter_batched(
                || input.clone(),
                |mut events| encode(&mut events, "bench").expect("encodes").bytes,
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, writer);
criterion_main!(benches);
