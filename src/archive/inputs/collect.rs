//! Listing object-store sources against the archive: what is new since the last run.
//!
//! A prefix is walked one folder level at a time (delimiter listings, many at once: a real store
//! adds 10–50 ms per request and an organisation bucket has hundreds of accounts × regions).
//! A folder whose sub-folders are years (`2026/`, `y=2026/`) is a date layout: it is listed in one
//! paginated listing that starts after the `--since` day's key (S3 start-after, GCS startOffset,
//! Azure startFrom), never from its first year. Each listing is repeated on the archive's mirror
//! of the folder (see `seen`), so objects the archive read as they are now are passed over by
//! their names alone.

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::NaiveDate;
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use object_store::ObjectMeta;
use object_store::path::Path;

use super::dates;
use super::{Input, Inputs, Origin, Place, StoreOptions, list_readable, pass_over, resolve_local, shown_name};
use crate::archive::seen::{self, Collected, Markers, Mirror};
use crate::archive::{ArchiveError, Location};

/// From which day date layouts are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Since {
    /// The last day listed in each date folder by an earlier run, minus [`MARGIN_DAYS`]; a date
    /// folder never collected is listed whole.
    Remembered,
    Day(NaiveDate),
    /// Everything (date folders listed whole).
    All,
}

/// How many days before the last day already collected a run lists again. Files land in the
/// folder of the day their events are from (UTC), not of their delivery: CloudTrail delivers
/// within about 15 minutes but may lag hours, a GCS sink writes each hour's file after it, and
/// Azure's PT1H.json of 23:00 grows until past midnight. A run just after midnight lists the new
/// day, the day before (files still arriving for its last hours) and one more for a delivery an
/// hour or more late across that boundary. Listing three days costs a few LISTs; missing a file
/// is for ever.
pub const MARGIN_DAYS: u64 = 2;

/// Delimiter listings in flight at once.
const LISTS_IN_FLIGHT: usize = 16;

/// What a listing reports as it goes.
pub trait CollectProgress: Send + Sync {
    fn listed(&self, _objects: usize, _bytes: u64, _unchanged: usize) {}
}

impl CollectProgress for crate::archive::Quiet {}

/// Resolves each source against the archive: local files as [`super::resolve`] does, objects in
/// stores listed from `since` and passed over when the archive read them as they are.
pub async fn collect(
    sources: &[String],
    options: &StoreOptions,
    archive: &Location,
    since: Since,
    progress: &dyn CollectProgress,
) -> Result<Inputs, ArchiveError> {
    let mut inputs = Inputs::default();
    for source in sources {
        if source.contains("://") && !source.starts_with("file://") {
            let location = Location::open(source, options)?;
            let prefix = source.ends_with('/');
            collect_location(&location, archive, since, prefix, progress, &mut inputs).await?;
        } else {
            resolve_local(source, &mut inputs)?;
        }
    }
    Ok(inputs)
}

enum Job {
    /// One folder level, by a delimiter listing.
    Level(Path),
    /// A date folder listed whole from `offset` on.
    Dated { folder: Path, offset: Option<Path> },
}

#[derive(Default)]
struct Done {
    objects: Vec<ObjectMeta>,
    markers: Markers,
    jobs: Vec<Job>,
    /// A date folder, the day it was listed from and the last day found in it.
    dated: Option<(Path, Option<NaiveDate>, Option<NaiveDate>)>,
    /// The earliest day of a sub-folder of a date folder that could not be listed.
    held: Option<NaiveDate>,
    passed_over: Vec<(String, String)>,
    found_any: bool,
}

struct Walk<'a> {
    source: &'a Location,
    archive: &'a Location,
    mirror: Mirror,
    since: Since,
    memory: &'a Collected,
    base: String,
}

impl Walk<'_> {
    async fn run(&self, job: Job) -> Result<Done, ArchiveError> {
        match job {
            Job::Level(folder) => self.level(folder).await,
            Job::Dated { folder, offset } => self.dated(folder, offset).await,
        }
    }

    fn err(&self, e: object_store::Error) -> ArchiveError {
        ArchiveError::store(&self.source.display, e)
    }

    async fn level(&self, folder: Path) -> Result<Done, ArchiveError> {
        let mut done = Done::default();
        let level = match self.source.store.list_with_delimiter(Some(&folder)).await {
            Ok(level) => level,
            Err(e @ object_store::Error::InvalidPath { .. }) => {
                done.passed_over.push((
                    format!("{}/{folder}/", self.base),
                    format!(
                        "the objects in this folder cannot be listed: a key in it cannot be read ({})",
                        crate::secrets::mask_text(&e.to_string())
                    ),
                ));
                return Ok(done);
            }
            Err(e) => return Err(self.err(e)),
        };
        done.found_any = !level.objects.is_empty() || !level.common_prefixes.is_empty();
        if !level.objects.is_empty() {
            done.markers = seen::list(self.archive, &self.mirror, &folder, None, false).await?;
        }
        done.objects = level.objects;
        let years: Vec<(&Path, dates::Style)> = level
            .common_prefixes
            .iter()
            .filter_map(|p| Some((p, p.filename().and_then(dates::year_style)?)))
            .collect();
        let mut style = years.first().map(|(_, style)| *style);
        // A folder named like a year (an Azure resource group `2024`) is not a date layout
        // unless its year holds months: checked once, before the folder gives a day to remember.
        if let Some((latest, year_style)) = years.last()
            && self.memory.day(folder.as_ref()).is_none()
        {
            let months = match self.source.store.list_with_delimiter(Some(latest)).await {
                Ok(level) => level.common_prefixes,
                Err(object_store::Error::InvalidPath { .. }) => Vec::new(),
                Err(e) => return Err(self.err(e)),
            };
            if !months
                .iter()
                .any(|m| m.filename().is_some_and(|m| dates::is_month(m, *year_style)))
            {
                style = None;
            }
        }
        for child in level.common_prefixes {
            match (style, child.filename().and_then(dates::year_style)) {
                (Some(_), Some(_)) => {}
                _ => done.jobs.push(Job::Level(child)),
            }
        }
        if let Some(style) = style {
            let from = match self.since {
                Since::Day(day) => Some(day),
                // Never after today minus the margin, whatever an earlier run remembered: a
                // day in the future would hide every real delivery from then on.
                Since::Remembered => self
                    .memory
                    .day(folder.as_ref())
                    .and_then(|d| d.min(today()).checked_sub_days(chrono::Days::new(MARGIN_DAYS))),
                Since::All => None,
            };
            let offset = from.map(|day| dates::offset(&folder, style, day));
            done.jobs.push(Job::Dated { folder, offset });
        }
        Ok(done)
    }

    async fn dated(&self, folder: Path, offset: Option<Path>) -> Result<Done, ArchiveError> {
        let listing = async {
            let mut stream = match &offset {
                Some(at) => self.source.store.list_with_offset(Some(&folder), at),
                None => self.source.store.list(Some(&folder)),
            };
            let mut found = Vec::new();
            while let Some(item) = stream.next().await {
                match item {
                    Ok(meta) => found.push(meta),
                    Err(object_store::Error::InvalidPath { .. }) => return Ok(None),
                    Err(e) => return Err(self.err(e)),
                }
            }
            Ok(Some(found))
        };
        let markers = seen::list(self.archive, &self.mirror, &folder, offset.as_ref(), true);
        let (listed, markers) = futures::join!(listing, markers);
        let mut done = Done {
            markers: markers?,
            ..Done::default()
        };
        done.objects = match listed? {
            Some(found) => found,
            // A key the client cannot represent fails the listing: narrowed folder by folder.
            None => {
                let mut inputs = Inputs::default();
                let found = list_readable(self.source, &folder, &self.base, &mut inputs).await?;
                // What could not be listed is listed again by the next run: the folder's
                // remembered day stays before it (a folder with no day in its name, the folder's
                // first day).
                let base = format!("{}/", self.base);
                done.held = inputs
                    .passed_over
                    .iter()
                    .map(|(name, _)| {
                        let key = Path::from(name.strip_prefix(&base).unwrap_or(name).trim_end_matches('/'));
                        dates::earliest_day_of(&folder, &key).map(|(day, _)| day)
                    })
                    .min()
                    .map(|day| day.unwrap_or(NaiveDate::MIN));
                done.passed_over = inputs.passed_over;
                found
                    .into_iter()
                    .filter(|m| offset.as_ref().is_none_or(|at| m.location.as_ref() > at.as_ref()))
                    .collect()
            }
        };
        done.found_any = true;
        // A key filed under a day after tomorrow (UTC) is planted or mistaken, not a delivery:
        // remembered, it would move the next run's listing past every real one.
        let latest = today().checked_add_days(chrono::Days::new(1));
        let last = done
            .objects
            .iter()
            .filter_map(|m| dates::day_of(&folder, &m.location))
            .filter(|day| latest.is_none_or(|l| *day <= l))
            .max();
        let from = offset.as_ref().and_then(|at| dates::day_of(&folder, at));
        done.dated = Some((folder, from, last));
        Ok(done)
    }
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The objects under an opened location (a prefix of a bucket), or the one object it names,
/// listed against the archive's markers.
pub async fn collect_location(
    location: &Location,
    archive: &Location,
    since: Since,
    prefix: bool,
    progress: &dyn CollectProgress,
    inputs: &mut Inputs,
) -> Result<(), ArchiveError> {
    let base = location.store_url.as_str().trim_end_matches('/').to_string();
    let mirror = Mirror::new(archive, location);
    let mut found: BTreeMap<Path, ObjectMeta> = BTreeMap::new();
    let mut markers = Markers::default();
    // A URL naming one object reads that object (one ending in `/` is a prefix). It is found by
    // listing its folder, as a walk finds it, so that its size and ETag read alike either way.
    if !location.root.as_ref().is_empty() && !prefix {
        let parts: Vec<_> = location.root.parts().collect();
        let parent = Path::from_iter(parts[..parts.len() - 1].iter().cloned());
        let level = location.store.list_with_delimiter(Some(&parent)).await;
        if let Some(meta) = level
            .ok()
            .and_then(|l| l.objects.into_iter().find(|m| m.location == location.root))
        {
            markers = seen::list(archive, &mirror, &parent, None, false).await?;
            found.insert(meta.location.clone(), meta);
            take(
                location,
                &base,
                &mirror,
                found,
                &markers,
                progress,
                inputs,
                true,
                &|_| None,
            );
            return Ok(());
        }
    }
    let source = mirror.name(&location.display);
    let mut memory = Collected::read(archive, &source).await?;
    let walk = Walk {
        source: location,
        archive,
        mirror: mirror.clone(),
        since,
        memory: &memory,
        base: base.clone(),
    };
    let mut queue = VecDeque::from([Job::Level(location.root.clone())]);
    let mut running = FuturesUnordered::new();
    let mut found_any = false;
    let mut days: HashMap<String, NaiveDate> = HashMap::new();
    let mut held: Vec<(String, NaiveDate)> = Vec::new();
    let mut dated: Vec<Path> = Vec::new();
    let (mut listed_from, mut dated_folders): (Option<NaiveDate>, usize) = (None, 0);
    loop {
        while running.len() < LISTS_IN_FLIGHT
            && let Some(job) = queue.pop_front()
        {
            running.push(walk.run(job));
        }
        let Some(done) = running.next().await else { break };
        let done = done?;
        found_any |= done.found_any;
        queue.extend(done.jobs);
        inputs.passed_over.extend(done.passed_over);
        markers.merge(done.markers);
        for meta in done.objects {
            found.insert(meta.location.clone(), meta);
        }
        if let Some((folder, from, last)) = done.dated {
            dated_folders += 1;
            if let Some(day) = done.held {
                held.push((folder.to_string(), day));
            }
            dated.push(folder.clone());
            if let Some(from) = from {
                listed_from = Some(listed_from.map_or(from, |d: NaiveDate| d.min(from)));
            }
            if let Some(last) = last {
                days.insert(folder.to_string(), last);
            }
        }
        let bytes = found.values().map(|m| m.size).sum();
        progress.listed(found.len(), bytes, 0);
    }
    drop(running);
    if !found_any {
        return Err(ArchiveError::MissingSource(location.display.clone()));
    }
    if dated_folders > 0 {
        let how = match since {
            Since::Day(_) => "--since".to_string(),
            _ => format!("the last day collected minus {MARGIN_DAYS} days; folders never collected whole"),
        };
        let from = listed_from.map_or("their first day".to_string(), |d| d.format("%Y-%m-%d").to_string());
        inputs.listing.listed_from = Some((from, dated_folders, how));
    }
    if !days.is_empty() {
        for (folder, day) in days {
            memory.saw(&folder, day);
        }
        for (folder, day) in held {
            memory.hold(&folder, day);
        }
        inputs.listing.collected.push(memory);
    }
    let dated = |path: &Path| {
        dated.iter().find_map(|folder| {
            let day = dates::day_of(folder, path)?;
            Some((source.clone(), folder.to_string(), day))
        })
    };
    take(
        location, &base, &mirror, found, &markers, progress, inputs, false, &dated,
    );
    Ok(())
}

/// Where an object is in a date layout (see [`Place::dated`]).
type DatedOf<'a> = dyn Fn(&Path) -> Option<(String, String, NaiveDate)> + 'a;

/// The objects listed, each passed over (by its name, or as unchanged) or to be read.
#[allow(clippy::too_many_arguments)]
fn take(
    location: &Location,
    base: &str,
    mirror: &Mirror,
    found: BTreeMap<Path, ObjectMeta>,
    markers: &Markers,
    progress: &dyn CollectProgress,
    inputs: &mut Inputs,
    named: bool,
    dated: &DatedOf<'_>,
) {
    for (path, meta) in found {
        inputs.listing.objects += 1;
        inputs.listing.bytes += meta.size;
        let name = path.filename().unwrap_or_default().to_string();
        // An object named by its URL is read whatever its name, as a file named on the command line is.
        if !named && let Some(why) = pass_over(&name) {
            inputs.passed_over.push((format!("{base}/{path}"), why.to_string()));
            continue;
        }
        if markers.unchanged(mirror, &meta) {
            inputs.listing.unchanged += 1;
            inputs.listing.unchanged_bytes += meta.size;
            continue;
        }
        inputs.files.push(Input {
            name: shown_name(&format!("{base}/{path}")),
            size: meta.size,
            place: Some(Place {
                mirror: mirror.clone(),
                earlier: markers.earlier(mirror, &path),
                dated: dated(&path),
                listed: meta,
            }),
            origin: Origin::Remote {
                store: location.store.clone(),
                path,
                display: location.display.clone(),
            },
        });
    }
    progress.listed(inputs.listing.objects, inputs.listing.bytes, inputs.listing.unchanged);
}
