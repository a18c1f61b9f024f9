//! Fetching sources: many GETs in flight (a real store answers each in 10–50 ms), apart from the
//! few parsers, with the bytes held at once bounded; and reading an Azure append blob that grew
//! from where the last run stopped.

use std::sync::Arc;

use bytes::Bytes;
use object_store::ObjectMeta;
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::archive::inputs::Input;
use crate::archive::ledger::{Appended, Ledger};
use crate::archive::seen;
use crate::archive::{ArchiveError, Location};
use crate::secrets::hex;

/// A source as fetched, holding its share of the byte budget until it is dealt with.
pub(super) struct Got {
    pub(super) input: Input,
    pub(super) bytes: Result<Bytes, ArchiveError>,
    pub(super) signature: Option<(String, Option<String>)>,
    pub(super) meta: Option<ObjectMeta>,
    pub(super) blob: Option<Blob>,
    pub(super) _permit: Option<OwnedSemaphorePermit>,
}

/// What part of an append blob a run reads.
#[derive(Clone, Debug)]
pub(super) struct Blob {
    /// Where this run starts (where the last one stopped), and the end of the last complete line.
    pub(super) from: u64,
    pub(super) end: u64,
    /// SHA-256 of bytes `[0, end)`.
    pub(super) read_sha256: String,
    /// The content ledger key of the part read.
    pub(super) key: String,
    /// The part read before had changed: the blob is read whole as a new source.
    pub(super) rewritten: bool,
}

impl Blob {
    /// Nothing complete was added since the last run.
    pub(super) fn nothing_new(&self) -> bool {
        !self.rewritten && self.from >= self.end
    }

    pub(super) fn appended(&self) -> Option<Appended> {
        (!self.rewritten).then(|| Appended {
            from: self.from,
            to: self.end,
            read_sha256: self.read_sha256.clone(),
        })
    }
}

/// The share of the byte budget a source of `size` bytes takes (in KiB, at most all of it).
pub(super) async fn permit(budget: &Arc<Semaphore>, total_kib: u32, size: u64) -> OwnedSemaphorePermit {
    let kib = size.div_ceil(1024).clamp(1, total_kib as u64) as u32;
    budget
        .clone()
        .acquire_many_owned(kib)
        .await
        .expect("the byte budget is never closed")
}

/// Whether a source is an append blob read in parts: Azure diagnostic settings' hourly
/// `PT1H.json` in a store the archive tracks by location.
fn is_append_blob(input: &Input) -> bool {
    input.place.is_some() && input.file_name() == "PT1H.json"
}

/// Fetches a source; for an append blob, works out the part this run reads.
pub(super) async fn fetch(
    location: &Location,
    mut input: Input,
    max_bytes: u64,
    permit: OwnedSemaphorePermit,
) -> Result<Got, ArchiveError> {
    let mut got = Got {
        bytes: Err(ArchiveError::TooLarge(String::new())),
        signature: None,
        meta: None,
        blob: None,
        _permit: Some(permit),
        input: input.clone(),
    };
    // A file larger than the limit is not read at all: its size is known.
    if input.size > max_bytes {
        let too_large = crate::sources::document::DocumentError::TooLarge(max_bytes).to_string();
        got.bytes = Err(ArchiveError::TooLarge(too_large));
        return Ok(got);
    }
    let fetched = match input.fetch().await {
        Ok(f) => f,
        Err(e) => {
            got.bytes = Err(e);
            return Ok(got);
        }
    };
    got.signature = fetched.signature;
    got.meta = fetched.meta;
    let mut bytes = fetched.bytes;
    if is_append_blob(&input) {
        let blob = resume(location, &input, &bytes).await?;
        bytes = bytes.slice(blob.from as usize..blob.end as usize);
        input.size = bytes.len() as u64;
        got.blob = Some(blob);
    }
    got.input = input;
    got.bytes = Ok(bytes);
    Ok(got)
}

/// Where an append blob's complete records end: after its last newline, or at its end when what
/// follows that newline is a whole JSON value (a record not cut off, only unterminated). A record
/// cut mid-line is left for the run that finds it complete.
pub(super) fn complete_end(bytes: &[u8]) -> usize {
    let after = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let tail = &bytes[after..];
    if tail.iter().all(u8::is_ascii_whitespace) || serde_json::from_slice::<serde::de::IgnoredAny>(tail).is_ok() {
        bytes.len()
    } else {
        after
    }
}

fn sha(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The content ledger key of the part of a blob that starts at `from`: named by the blob, what
/// precedes the part and the part's first line, so that a run that finds the blob grown further
/// still finds the part an earlier (killed) run took, whatever its end.
fn part_key(name: &str, bytes: &[u8], from: usize) -> String {
    let rest = &bytes[from..];
    let first_line = &rest[..rest.iter().position(|b| *b == b'\n').map_or(rest.len(), |i| i + 1)];
    let mut h = Sha256::new();
    h.update(format!(
        "trailscope append blob part\n{name}\n{from}\n{}\n{}",
        sha(&bytes[..from]),
        sha(first_line)
    ));
    hex(&h.finalize())
}

/// Where this run reads an append blob from: where its marker says the last run stopped, if
/// the part read then is unchanged, then past any part the content ledger already holds (a run
/// killed before writing its marker). If the part read before changed, the blob is read whole.
async fn resume(location: &Location, input: &Input, bytes: &Bytes) -> Result<Blob, ArchiveError> {
    let end = complete_end(bytes);
    let mut from = 0usize;
    let mut rewritten = false;
    let latest = input.place.as_ref().and_then(|p| p.earlier.last());
    if let Some((_, marker)) = latest
        && let Some(mark) = seen::read(location, marker).await
    {
        let to = mark.read_to as usize;
        if to <= bytes.len() && sha(&bytes[..to]) == mark.read_sha256 {
            from = to;
        } else {
            rewritten = true;
        }
    }
    let ledger = Ledger::new(location);
    let name = input
        .place
        .as_ref()
        .map_or(input.name.clone(), |p| p.mirror.name(&input.name));
    let marked = from > 0;
    // Read by no run that left a marker: an archive written before blobs were read in parts (or
    // under another source name) holds the blob by the SHA-256 of what it read, whole or up to
    // its last complete line. That part is in already.
    if !rewritten && from == 0 {
        let mut ends = vec![bytes.len(), end];
        ends.dedup();
        for to in ends.into_iter().filter(|to| *to > 0) {
            if ledger.get(&sha(&bytes[..to])).await?.is_some() {
                from = to;
                break;
            }
        }
    }
    while !rewritten && from < end {
        let mut record = ledger.get(&part_key(&name, bytes, from)).await?;
        // Parts read before stores had namespaces are named by the source alone (and have
        // markers under the old mirror only).
        if record.is_none() && !marked && name != input.name {
            record = ledger.get(&part_key(&input.name, bytes, from)).await?;
        }
        let Some(record) = record else {
            break;
        };
        match record.appended {
            Some(a)
                if a.from as usize == from
                    && (a.to as usize) > from
                    && (a.to as usize) <= bytes.len()
                    && sha(&bytes[..a.to as usize]) == a.read_sha256 =>
            {
                from = a.to as usize
            }
            _ => rewritten = true,
        }
    }
    let from = if rewritten { 0 } else { from.min(end) };
    // A first part is known by its content, as any source is: an archive read by another name
    // or by a later version still finds it.
    let key = if rewritten || from == 0 {
        sha(&bytes[..end])
    } else {
        part_key(&name, bytes, from)
    };
    Ok(Blob {
        from: from as u64,
        end: end as u64,
        read_sha256: sha(&bytes[..end]),
        key,
        rewritten,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_cut_mid_line_is_left_for_later() {
        assert_eq!(complete_end(b"{\"a\":1}\n{\"b\":"), 8);
        assert_eq!(complete_end(b"{\"a\":1}\n{\"b\":2}"), 15);
        assert_eq!(complete_end(b"{\"a\":1}\n"), 8);
        assert_eq!(complete_end(b"{\"a\""), 0);
        assert_eq!(complete_end(b""), 0);
    }

    #[test]
    fn a_part_is_named_by_what_precedes_it_and_its_first_line() {
        let a = b"{\"a\":1}\n{\"b\":2}\n";
        let b = b"{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n";
        assert_eq!(part_key("x", a, 8), part_key("x", b, 8));
        assert_ne!(part_key("x", a, 8), part_key("y", a, 8));
        assert_ne!(part_key("x", a, 0), part_key("x", b"{\"z\":1}\n", 0));
    }
}
