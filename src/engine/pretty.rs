//! An original record laid out for reading: the same tokens in the same order (no key is
//! re-sorted, no number re-written), one value per line, with the JSON path of each line so a
//! reader can tell where the cursor is (`responseElements.credentials.sessionToken`).

/// One line of a laid-out record.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonLine {
    pub depth: usize,
    /// The line's text without its indentation.
    pub text: String,
    /// `a.b[2].c` — the value this line opens, closes or holds.
    pub path: String,
    /// The characters of `text` that are the key (`"name"`), before `: `.
    pub key_len: usize,
    /// The value the line holds, if it holds one (not a bracket).
    pub value: Option<JsonValue>,
}

/// A value on a line of a record.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonValue {
    pub kind: JsonKind,
    /// A string's text unquoted and unescaped (then made safe for a terminal); anything else as
    /// written.
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonKind {
    String,
    Number,
    /// `true`, `false`, `null`.
    Literal,
}

impl JsonValue {
    fn of(atom: &str) -> JsonValue {
        let (kind, text) = match atom.as_bytes().first() {
            Some(b'"') => (
                JsonKind::String,
                serde_json::from_str::<String>(atom).unwrap_or_else(|_| atom.to_string()),
            ),
            Some(c) if c.is_ascii_digit() || *c == b'-' => (JsonKind::Number, atom.to_string()),
            _ => (JsonKind::Literal, atom.to_string()),
        };
        // Decoded, a JSON escape is the character again: kept as its visible escape.
        let text = crate::terminal_text::escape(&text).into_owned();
        JsonValue { kind, text }
    }
}

#[derive(Debug, PartialEq)]
enum Token<'a> {
    Open(char),
    Close(char),
    Colon,
    Comma,
    /// A string (with its quotes) or a number, `true`, `false`, `null`, as written.
    Atom(&'a str),
}

fn tokens(raw: &str) -> Vec<Token<'_>> {
    let bytes = raw.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'{' | b'[' => out.push(Token::Open(c as char)),
            b'}' | b']' => out.push(Token::Close(c as char)),
            b':' => out.push(Token::Colon),
            b',' => out.push(Token::Comma),
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                out.push(Token::Atom(&raw[start..=i.min(bytes.len() - 1)]));
            }
            c if c.is_ascii_whitespace() => {}
            _ => {
                let start = i;
                while i + 1 < bytes.len() && !b",:]} \t\r\n".contains(&bytes[i + 1]) {
                    i += 1;
                }
                out.push(Token::Atom(&raw[start..=i]));
            }
        }
        i += 1;
    }
    out
}

/// The record laid out line by line; text that is not JSON comes back as one line.
/// Each line's text is safe for a terminal (JSON escapes control characters itself, but not a
/// bidi override or an invisible character written as it is).
pub fn json_lines(raw: &str) -> Vec<JsonLine> {
    if serde_json::from_str::<serde::de::IgnoredAny>(raw).is_err() {
        let text = crate::terminal_text::escape(raw).into_owned();
        return vec![JsonLine {
            depth: 0,
            value: Some(JsonValue {
                kind: JsonKind::String,
                text: text.clone(),
            }),
            text,
            path: String::new(),
            key_len: 0,
        }];
    }
    let tokens = tokens(raw);
    let mut lines = Vec::new();
    let mut at = 0;
    layout(&tokens, &mut at, 0, String::new(), String::new(), &mut lines);
    for line in &mut lines {
        if let std::borrow::Cow::Owned(safe) = crate::terminal_text::escape(&line.text) {
            line.text = safe;
        }
    }
    lines
}

fn layout(tokens: &[Token<'_>], at: &mut usize, depth: usize, path: String, prefix: String, lines: &mut Vec<JsonLine>) {
    let Some(token) = tokens.get(*at) else { return };
    *at += 1;
    match token {
        Token::Open(open) => {
            let close = if *open == '{' { '}' } else { ']' };
            if tokens.get(*at) == Some(&Token::Close(close)) {
                *at += 1;
                lines.push(JsonLine {
                    depth,
                    key_len: key_len(&prefix),
                    text: format!("{prefix}{open}{close}"),
                    path,
                    value: None,
                });
                return;
            }
            lines.push(JsonLine {
                depth,
                key_len: key_len(&prefix),
                text: format!("{prefix}{open}"),
                path: path.clone(),
                value: None,
            });
            let mut index = 0;
            loop {
                let (child, child_prefix) = if *open == '{' {
                    let Some(Token::Atom(key)) = tokens.get(*at) else { break };
                    *at += 1;
                    if tokens.get(*at) == Some(&Token::Colon) {
                        *at += 1;
                    }
                    let name: String = serde_json::from_str(key).unwrap_or_else(|_| key.trim_matches('"').to_string());
                    let child = if path.is_empty() {
                        name
                    } else {
                        format!("{path}.{name}")
                    };
                    (child, format!("{key}: "))
                } else {
                    (format!("{path}[{index}]"), String::new())
                };
                layout(tokens, at, depth + 1, child, child_prefix, lines);
                index += 1;
                if tokens.get(*at) == Some(&Token::Comma) {
                    *at += 1;
                    if let Some(last) = lines.last_mut() {
                        last.text.push(',');
                    }
                } else {
                    break;
                }
            }
            if tokens.get(*at) == Some(&Token::Close(close)) {
                *at += 1;
            }
            lines.push(JsonLine {
                depth,
                text: close.to_string(),
                path,
                key_len: 0,
                value: None,
            });
        }
        Token::Atom(atom) => lines.push(JsonLine {
            depth,
            key_len: key_len(&prefix),
            text: format!("{prefix}{atom}"),
            path,
            value: Some(JsonValue::of(atom)),
        }),
        Token::Close(_) | Token::Colon | Token::Comma => {}
    }
}

/// The key's length in a line's prefix (`"key": `).
fn key_len(prefix: &str) -> usize {
    prefix.chars().count().saturating_sub(2)
}

/// The record as indented text.
pub fn pretty_json(raw: &str) -> String {
    json_lines(raw)
        .iter()
        .map(|l| format!("{}{}", "  ".repeat(l.depth), l.text))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_keeps_its_order_and_tokens_and_each_line_knows_its_path() {
        let raw = r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"},"n":1.50,"items":[{"id":"i-1"},[],"x\"y"],"e":{}}"#;
        let text = pretty_json(raw);
        assert_eq!(
            text,
            r#"{
  "eventVersion": "1.08",
  "userIdentity": {
    "type": "IAMUser",
    "arn": "arn:aws:iam::1:user/a"
  },
  "n": 1.50,
  "items": [
    {
      "id": "i-1"
    },
    [],
    "x\"y"
  ],
  "e": {}
}"#
        );
        let reparsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(reparsed, serde_json::from_str::<serde_json::Value>(raw).unwrap());
        let lines = json_lines(raw);
        let path = |needle: &str| lines.iter().find(|l| l.text.contains(needle)).unwrap().path.clone();
        assert_eq!(path("\"arn\""), "userIdentity.arn");
        assert_eq!(path("\"id\""), "items[0].id");
        assert_eq!(path("x\\\"y"), "items[2]");
        assert_eq!(json_lines("not json")[0].text, "not json");
    }
}
