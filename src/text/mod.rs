//! Text made for a width, for the terminal: numbers grouped in thousands, values cut to a
//! column's width keeping what tells them apart, and column widths chosen by what the columns
//! mean. The command line's tables and the workbench use the same helpers, so a value reads
//! the same in both.
//!
//! Widths are counted in characters (`char`s), as the rest of trailscope counts them.

pub mod columns;
mod cut;

pub use columns::{Column, Fitted, fit, fit_scrolled};
pub use cut::cut;

/// A count with its thousands grouped: `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Text cut in its middle to `width` characters, with `…` where it was cut: for text whose two
/// ends both tell (a title naming a resource). A value in a column is cut with [`cut`], which
/// knows which of its parts tell.
pub fn middle(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let keep = width - 1;
    let head: String = text.chars().take(keep / 2).collect();
    let tail: String = text.chars().skip(n - (keep - keep / 2)).collect();
    format!("{head}…{tail}")
}

/// The first `width` characters of `text` and `…` after them, `width` characters in all.
fn cut_at_end(text: &str, width: usize) -> String {
    if width == 0 {
        return String::new();
    }
    let kept: String = text.chars().take(width - 1).collect();
    format!("{kept}…")
}

/// `…` and the last characters of `text`, `width` characters in all.
fn cut_at_start(text: &str, width: usize) -> String {
    if width == 0 {
        return String::new();
    }
    let n = text.chars().count();
    let kept: String = text.chars().skip(n.saturating_sub(width - 1)).collect();
    format!("…{kept}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_in_thousands() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(u64::MAX), "18,446,744,073,709,551,615");
    }

    #[test]
    fn a_title_cut_in_its_middle_keeps_both_ends() {
        let title = "arn:aws:lambda:eu-west-1:356789012345:function:invoice-sync";
        assert_eq!(middle(title, 30), "arn:aws:lambda…on:invoice-sync");
        assert_eq!(middle(title, 30).chars().count(), 30);
        assert_eq!(middle("short", 30), "short");
        assert_eq!(middle("anything", 1), "…");
        assert_eq!(middle("anything", 0), "");
    }
}
