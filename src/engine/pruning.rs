//! What a query skipped: files and row groups it never read, from the Parquet scans' own
//! execution metrics. Cheap: a walk of the finished plan, no I/O.

use std::any::Any;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::{Arc, Mutex};

use datafusion::datasource::physical_plan::FileScanConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::metrics::{CustomMetricValue, MetricValue};

use super::table::{DAYS, DAYS_LISTED, FILES_RULED_OUT, FILES_UNINDEXED};
use crate::text;

/// Files and row groups a finished query read and skipped.
///
/// `files` are those of the days (and clouds, tenants) the query's filters allowed: days outside
/// its window were never listed, so they are not counted here. A file is read when at least one
/// of its row groups survived the row-group statistics and the bloom filters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pruning {
    /// Files in the days (clouds, tenants) the query's filters allow.
    pub files: usize,
    /// Of those, files the archive's file index ruled out (never opened).
    pub files_ruled_out: usize,
    /// Files the file index was asked about but had no entry for (written by an older version).
    pub files_unindexed: usize,
    /// Of those, files whose rows were read.
    pub files_read: usize,
    /// Row groups in the opened files, when the query had a condition to test them against.
    pub row_groups: Option<usize>,
    pub row_groups_pruned_statistics: usize,
    pub row_groups_pruned_bloom_filter: usize,
    /// Rows inside read row groups skipped by the page index.
    pub rows_pruned_page_index: usize,
    /// Day folders listed, of those in the archive (a time window lists only its days).
    pub days_listed: usize,
    pub days: usize,
}

impl Pruning {
    pub fn row_groups_read(&self) -> Option<usize> {
        self.row_groups
            .map(|n| n.saturating_sub(self.row_groups_pruned_statistics + self.row_groups_pruned_bloom_filter))
    }

    /// Sums the Parquet scans of a finished plan; `None` when the plan read no Parquet file. A
    /// file two scans of `events` touch (a self-join, a union) is counted once: read if either
    /// read it, its row groups as the scan that read the most of them.
    pub fn of(plan: &Arc<dyn ExecutionPlan>) -> Option<Pruning> {
        let mut found = false;
        let mut pruning = Pruning::default();
        let (mut listed, mut ruled_out, mut unindexed, mut read) =
            (BTreeSet::new(), BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
        // Per file, the row groups of the scan that read most of them.
        let mut row_groups: BTreeMap<String, RowGroups> = BTreeMap::new();
        visit(plan, &mut |node| {
            let Some(scan) = node.downcast_ref::<DataSourceExec>() else {
                return;
            };
            let Some(config) = scan.data_source().downcast_ref::<FileScanConfig>() else {
                return;
            };
            found = true;
            let files: BTreeSet<String> = config
                .file_groups
                .iter()
                .flat_map(|g| g.iter())
                .map(|f| f.object_meta.location.to_string())
                .collect();
            let mut per_file: BTreeMap<String, RowGroups> = BTreeMap::new();
            for metric in node.metrics().iter().flat_map(|m| m.iter()) {
                match metric.value() {
                    MetricValue::Count { name, count } => match name.as_ref() {
                        DAYS_LISTED => pruning.days_listed = pruning.days_listed.max(count.value()),
                        DAYS => pruning.days = pruning.days.max(count.value()),
                        _ => {}
                    },
                    MetricValue::Custom { name, value } => {
                        let into = match name.as_ref() {
                            FILES_RULED_OUT => &mut ruled_out,
                            FILES_UNINDEXED => &mut unindexed,
                            _ => continue,
                        };
                        if let Some(names) = value.as_any().downcast_ref::<FileNames>() {
                            into.extend(names.names());
                        }
                    }
                    MetricValue::PruningMetrics { name, pruning_metrics } => {
                        let file = metric
                            .labels()
                            .iter()
                            .find(|l| l.name() == "filename")
                            .map(|l| l.value().to_string())
                            .unwrap_or_default();
                        let entry = per_file.entry(file).or_default();
                        match name.as_ref() {
                            "row_groups_pruned_statistics" => {
                                entry.pruned_statistics += pruning_metrics.pruned();
                                entry.matched_statistics += pruning_metrics.matched();
                            }
                            "row_groups_pruned_bloom_filter" => entry.pruned_bloom += pruning_metrics.pruned(),
                            "page_index_rows_pruned" => entry.rows_pruned_page_index += pruning_metrics.pruned(),
                            _ => {}
                        }
                    }
                    _ => {}
                }
            }
            per_file.retain(|file, groups| !file.is_empty() && groups.total() > 0);
            if per_file.is_empty() {
                // No file had a condition to test (or a LIMIT cut the scan short): all were read.
                read.extend(files.iter().cloned());
            }
            for (file, groups) in per_file {
                if groups.read() > 0 {
                    read.insert(file.clone());
                }
                let best = row_groups.entry(file).or_default();
                if groups.read() > best.read() || best.total() == 0 {
                    *best = groups;
                }
            }
            listed.extend(files);
        });
        if !found {
            return None;
        }
        // A file one scan ruled out and another opened was not "never opened".
        ruled_out.retain(|f| !listed.contains(f));
        pruning.files = listed.len() + ruled_out.len();
        pruning.files_ruled_out = ruled_out.len();
        pruning.files_unindexed = unindexed.len();
        pruning.files_read = read.len();
        for groups in row_groups.values() {
            pruning.row_groups = Some(pruning.row_groups.unwrap_or(0) + groups.total());
            pruning.row_groups_pruned_statistics += groups.pruned_statistics;
            pruning.row_groups_pruned_bloom_filter += groups.pruned_bloom;
            pruning.rows_pruned_page_index += groups.rows_pruned_page_index;
        }
        Some(pruning)
    }
}

/// One file's row groups in one scan: ruled out by their statistics, left by them, and of those
/// ruled out by the bloom filters; and rows of the rest skipped by the page index.
#[derive(Clone, Copy, Debug, Default)]
struct RowGroups {
    pruned_statistics: usize,
    matched_statistics: usize,
    pruned_bloom: usize,
    rows_pruned_page_index: usize,
}

impl RowGroups {
    fn total(&self) -> usize {
        self.pruned_statistics + self.matched_statistics
    }

    fn read(&self) -> usize {
        self.matched_statistics.saturating_sub(self.pruned_bloom)
    }
}

/// The names of files a scan skipped for a reason of its own (see `table`), carried as one of its
/// metrics; shown as their number.
#[derive(Debug, Default)]
pub struct FileNames(Mutex<BTreeSet<String>>);

impl FileNames {
    pub fn new(names: Vec<String>) -> FileNames {
        FileNames(Mutex::new(names.into_iter().collect()))
    }

    fn names(&self) -> BTreeSet<String> {
        self.0.lock().expect("not poisoned").clone()
    }
}

impl fmt::Display for FileNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.lock().expect("not poisoned").len())
    }
}

impl CustomMetricValue for FileNames {
    fn new_empty(&self) -> Arc<dyn CustomMetricValue> {
        Arc::new(FileNames::default())
    }

    fn aggregate(&self, other: Arc<dyn CustomMetricValue + 'static>) {
        if let Some(other) = other.as_any().downcast_ref::<FileNames>() {
            let names = other.names();
            self.0.lock().expect("not poisoned").extend(names);
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn as_usize(&self) -> usize {
        self.0.lock().expect("not poisoned").len()
    }

    fn is_eq(&self, other: &Arc<dyn CustomMetricValue>) -> bool {
        other
            .as_any()
            .downcast_ref::<FileNames>()
            .is_some_and(|other| other.names() == self.names())
    }
}

fn visit(plan: &Arc<dyn ExecutionPlan>, f: &mut dyn FnMut(&Arc<dyn ExecutionPlan>)) {
    f(plan);
    for child in plan.children() {
        visit(child, f);
    }
}

impl fmt::Display for Pruning {
    /// `read 3 of 41 files in 2 of 30 days (file index ruled out 30), 4 of 11 row groups
    /// (statistics pruned 3, bloom filter pruned 4)`; the alternate form (`{:#}`) gives the
    /// counts without the reasons, for a narrow screen.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let thousands = |n: usize| text::thousands(n as u64);
        let plural = if self.files == 1 { "" } else { "s" };
        write!(
            f,
            "read {} of {} file{plural}",
            thousands(self.files_read),
            thousands(self.files)
        )?;
        if self.days > 0 {
            let plural = if self.days == 1 { "" } else { "s" };
            write!(
                f,
                " in {} of {} day{plural}",
                thousands(self.days_listed),
                thousands(self.days)
            )?;
        }
        let mut index = Vec::new();
        if self.files_ruled_out > 0 {
            index.push(format!("file index ruled out {}", thousands(self.files_ruled_out)));
        }
        if self.files_unindexed > 0 {
            index.push(format!(
                "{} not in the file index: `trailscope compact` adds them",
                thousands(self.files_unindexed)
            ));
        }
        if !index.is_empty() && !f.alternate() {
            write!(f, " ({})", index.join("; "))?;
        }
        if let (Some(total), Some(read)) = (self.row_groups, self.row_groups_read()) {
            write!(f, ", {} of {} row groups", thousands(read), thousands(total))?;
            let mut why = Vec::new();
            if self.row_groups_pruned_statistics > 0 {
                why.push(format!(
                    "statistics pruned {}",
                    thousands(self.row_groups_pruned_statistics)
                ));
            }
            if self.row_groups_pruned_bloom_filter > 0 {
                why.push(format!(
                    "bloom filter pruned {}",
                    thousands(self.row_groups_pruned_bloom_filter)
                ));
            }
            if self.rows_pruned_page_index > 0 {
                why.push(format!(
                    "page index skipped {} rows",
                    thousands(self.rows_pruned_page_index)
                ));
            }
            if !why.is_empty() && !f.alternate() {
                write!(f, " ({})", why.join(", "))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pruning_reads_as_one_line() {
        let p = Pruning {
            files: 41,
            files_read: 3,
            row_groups: Some(230),
            row_groups_pruned_statistics: 46,
            row_groups_pruned_bloom_filter: 180,
            rows_pruned_page_index: 0,
            days_listed: 2,
            days: 30,
            ..Pruning::default()
        };
        assert_eq!(
            p.to_string(),
            "read 3 of 41 files in 2 of 30 days, 4 of 230 row groups (statistics pruned 46, bloom filter pruned 180)"
        );
        let indexed = Pruning {
            files: 71,
            files_ruled_out: 30,
            files_unindexed: 2,
            ..p.clone()
        };
        assert_eq!(
            indexed.to_string(),
            "read 3 of 71 files in 2 of 30 days (file index ruled out 30; 2 not in the file index: \
             `trailscope compact` adds them), 4 of 230 row groups (statistics pruned 46, bloom filter pruned 180)"
        );
        let plain = Pruning {
            files: 1,
            files_read: 1,
            ..Pruning::default()
        };
        assert_eq!(plain.to_string(), "read 1 of 1 file");
    }
}
