//! Secrets in a JSON record, found by walking its text: every key is read decoded (a key
//! spelled with `\u` escapes is the same key), a value under a secret's name is a secret
//! whatever its type, a name/value pair whose name names a secret has a secret value, a string
//! that is itself JSON is walked too, and every other string is searched for secret shapes.
//! Each finding is an edit of the original text, so everything else stays byte for byte.

use std::ops::Range;

use super::{Masker, catalogue};

/// An edit of the record's text: the range replaced and its replacement.
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
}

/// How deep a record (and the JSON inside its strings) is walked: as deep as serde_json parses
/// (a record it parsed is walked whole).
const MAX_DEPTH: usize = 130;

/// Walks one JSON document; an error means the text is not JSON of a shape it can walk.
pub struct Walk<'t, 'm> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    masker: &'m mut Masker,
    pub edits: Vec<Edit>,
}

/// What the value being read is, by where it is.
#[derive(Clone, Copy, Default)]
struct Place {
    /// Under a secret's name: the secret's kind (a text or number here is masked).
    secret: Option<&'static str>,
    /// Inside a value under a secret's name (`"credentials": {"user": …, "pass": …}`,
    /// `"secrets": [{"name": …, "value": …}]`): the secret's kind. Every value inside is a secret
    /// but those whose names only describe one (`accessKeyId`, `expiration`).
    holder: Option<&'static str>,
}

/// A value read, for its object's name/value pair.
enum Read {
    Text { range: Range<usize>, content: String },
    Number(Range<usize>),
    Other,
}

type Walked<T> = Result<T, ()>;

impl<'t, 'm> Walk<'t, 'm> {
    pub fn new(text: &'t str, masker: &'m mut Masker) -> Self {
        Walk {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            masker,
            edits: Vec::new(),
        }
    }

    /// Walks the whole document.
    pub fn document(&mut self, depth: usize) -> Walked<()> {
        self.ws();
        self.value(Place::default(), depth)?;
        self.ws();
        if self.pos == self.bytes.len() { Ok(()) } else { Err(()) }
    }

    fn ws(&mut self) {
        while self.pos < self.bytes.len() && matches!(self.bytes[self.pos], b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> Walked<()> {
        if self.bytes.get(self.pos) == Some(&b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(())
        }
    }

    fn value(&mut self, place: Place, depth: usize) -> Walked<Read> {
        if depth > MAX_DEPTH {
            return Err(());
        }
        match self.bytes.get(self.pos) {
            Some(b'{') => self.object(place, depth).map(|()| Read::Other),
            Some(b'[') => self.array(place, depth).map(|()| Read::Other),
            Some(b'"') => {
                let (range, content) = self.string()?;
                self.text_value(range.clone(), &content, place, depth)?;
                Ok(Read::Text { range, content })
            }
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            Some(_) => {
                let start = self.pos;
                while self.pos < self.bytes.len()
                    && matches!(self.bytes[self.pos], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                {
                    self.pos += 1;
                }
                if self.pos == start {
                    return Err(());
                }
                if let Some(kind) = place.secret {
                    // A number under a secret's name is a secret too (a PIN, a numeric password).
                    let number = &self.text[start..self.pos];
                    let marker = self.masker.marker(kind, number);
                    self.edit(start..self.pos, format!("\"{marker}\""));
                }
                Ok(Read::Number(start..self.pos))
            }
            None => Err(()),
        }
    }

    fn literal(&mut self, word: &str) -> Walked<Read> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(Read::Other)
        } else {
            Err(())
        }
    }

    fn object(&mut self, place: Place, depth: usize) -> Walked<()> {
        self.eat(b'{')?;
        // The name of a name/value pair that names a secret, and the pair's value.
        let mut pair_name: Option<&'static str> = None;
        let mut pair_value: Option<Read> = None;
        self.ws();
        if self.eat(b'}').is_ok() {
            return Ok(());
        }
        loop {
            self.ws();
            let (key_range, key) = self.string()?;
            // A key may be a secret itself (an attacker's, or a map keyed by tokens).
            self.text_value(key_range, &key, Place::default(), depth)?;
            self.ws();
            self.eat(b':')?;
            self.ws();
            let named = catalogue::secret_name(&key);
            // Inside a secret, a value is one too unless its name only describes it. An Azure
            // `authorization` is an object of action, scope and evidence: only a `value` in it is.
            let inherited = place.holder.filter(|kind| {
                if *kind == "authorization" {
                    catalogue::holds_value(&key)
                } else {
                    !catalogue::describes(&key)
                }
            });
            let kind = named.or(inherited);
            let child = Place {
                secret: kind,
                holder: kind,
            };
            let read = self.value(child, depth + 1)?;
            if catalogue::names_sibling(&key)
                && let Read::Text { content, .. } = &read
            {
                pair_name = pair_name.or(catalogue::secret_name(content));
            } else if catalogue::holds_value(&key) && child.secret.is_none() {
                pair_value = Some(read);
            }
            self.ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(()),
            }
        }
        if let (Some(kind), Some(value)) = (pair_name, pair_value) {
            match value {
                Read::Text { range, content } if catalogue::maskable(&content) => {
                    let marker = self.masker.marker(kind, &content);
                    self.replace(range, format!("\"{marker}\""));
                }
                Read::Number(range) => {
                    let marker = self.masker.marker(kind, &self.text[range.clone()]);
                    self.replace(range, format!("\"{marker}\""));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn array(&mut self, place: Place, depth: usize) -> Walked<()> {
        self.eat(b'[')?;
        self.ws();
        if self.eat(b']').is_ok() {
            return Ok(());
        }
        // Elements of a list under a secret's name are secrets (`"passwords": ["a", "b"]`), and
        // so are the values of the objects in it.
        let child = place;
        loop {
            self.ws();
            self.value(child, depth + 1)?;
            self.ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(()),
            }
        }
    }

    /// A string's range (with its quotes) and its decoded content.
    fn string(&mut self) -> Walked<(Range<usize>, String)> {
        let start = self.pos;
        self.eat(b'"')?;
        let mut escaped = false;
        let mut i = self.pos;
        loop {
            match self.bytes.get(i) {
                Some(b'"') => break,
                Some(b'\\') => {
                    escaped = true;
                    i += 2;
                }
                Some(_) => i += 1,
                None => return Err(()),
            }
        }
        let inner = self.text.get(self.pos..i).ok_or(())?;
        self.pos = i + 1;
        let content = if escaped { decode(inner)? } else { inner.to_string() };
        Ok((start..self.pos, content))
    }

    /// Decides about one string: a secret by its place, JSON to walk, or text to search.
    fn text_value(&mut self, range: Range<usize>, content: &str, place: Place, depth: usize) -> Walked<()> {
        if let Some(kind) = place.secret {
            if catalogue::maskable(content) {
                let marker = self.masker.marker(kind, content);
                self.edit(range, format!("\"{marker}\""));
            }
            return Ok(());
        }
        if !catalogue::may_hold_secret(content) {
            return Ok(());
        }
        let trimmed = content.trim_start();
        let masked = if (trimmed.starts_with('{') || trimmed.starts_with('[')) && depth < MAX_DEPTH {
            let mut inner = Walk::new(content, self.masker);
            match inner.document(depth + 1) {
                Ok(()) => {
                    let edits = std::mem::take(&mut inner.edits);
                    // What the walk did not mask (a text that is JSON but carries a secret in
                    // a way only free text shows) is searched as text too.
                    let walked = apply(content, edits);
                    let text = self.masker.free_text(&walked).into_owned();
                    (text != content).then_some(text)
                }
                Err(()) => self.masker.free_text_changed(content),
            }
        } else {
            self.masker.free_text_changed(content)
        };
        if let Some(text) = masked {
            self.edit(range, serde_json::to_string(&text).expect("a string serialises"));
        }
        Ok(())
    }

    fn edit(&mut self, range: Range<usize>, text: String) {
        self.edits.push(Edit { range, text });
    }

    /// An edit of a whole value that earlier edits searched inside: those give way to it.
    fn replace(&mut self, range: Range<usize>, text: String) {
        self.edits
            .retain(|e| e.range.end <= range.start || e.range.start >= range.end);
        self.edit(range, text);
    }
}

/// `text` with `edits` applied. An edit that overlaps an earlier one is joined to it: what it
/// covers beyond the earlier one is left out too (the tail of a secret two rules found differently
/// must not stay in clear).
pub fn apply(text: &str, mut edits: Vec<Edit>) -> String {
    if edits.is_empty() {
        return text.to_string();
    }
    edits.sort_by_key(|e| (e.range.start, std::cmp::Reverse(e.range.end)));
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in edits {
        if edit.range.start < at {
            at = at.max(edit.range.end);
            continue;
        }
        out.push_str(&text[at..edit.range.start]);
        out.push_str(&edit.text);
        at = edit.range.end;
    }
    out.push_str(&text[at..]);
    out
}

/// The content of a JSON string (between its quotes) with its escapes decoded.
fn decode(inner: &str) -> Walked<String> {
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next().ok_or(())? {
            '"' => out.push('"'),
            '\\' => out.push('\\'),
            '/' => out.push('/'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'u' => {
                let mut unit = || -> Walked<u32> {
                    let hex: String = chars.by_ref().take(4).collect();
                    if hex.len() != 4 {
                        return Err(());
                    }
                    u32::from_str_radix(&hex, 16).map_err(|_| ())
                };
                let first = unit()?;
                let code = if (0xD800..0xDC00).contains(&first) {
                    // A surrogate pair: `\uD83D\uDE00`.
                    let rest = chars.as_str();
                    if let Some(low) = rest.strip_prefix("\\u").and_then(|r| r.get(..4))
                        && let Ok(low) = u32::from_str_radix(low, 16)
                        && (0xDC00..0xE000).contains(&low)
                    {
                        chars = rest[6..].chars();
                        0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        0xFFFD
                    }
                } else {
                    first
                };
                out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
            }
            _ => return Err(()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_decode_as_json_defines_them() {
        assert_eq!(decode(r"pass\u0077ord").unwrap(), "password");
        assert_eq!(decode(r#"a\"b\\c\/d\n"#).unwrap(), "a\"b\\c/d\n");
        assert_eq!(decode(r"\ud83d\ude00").unwrap(), "😀");
        assert_eq!(decode(r"\ud83dx").unwrap(), "\u{FFFD}x");
        assert!(decode(r"\q").is_err());
    }

    #[test]
    fn edits_apply_in_order_and_overlaps_keep_the_first() {
        let edits = vec![
            Edit {
                range: 4..6,
                text: "X".into(),
            },
            Edit {
                range: 0..2,
                text: "Y".into(),
            },
            Edit {
                range: 5..7,
                text: "Z".into(),
            },
        ];
        assert_eq!(apply("abcdefgh", edits), "YcdXh", "the overlap's tail goes with it");
    }
}
