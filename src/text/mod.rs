//! Placeholder until the text module lands from its branch.

pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn middle(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return text.to_string();
    }
    let keep = width.saturating_sub(1);
    let head: String = text.chars().take(keep / 2).collect();
    let tail: String = text.chars().skip(n - (keep - keep / 2)).collect();
    format!("{head}…{tail}")
}

pub fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_string()
    } else if width >= 16 && (text.contains('/') || text.starts_with("arn:")) && !text.contains(' ') {
        middle(text, width)
    } else {
        let kept: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

pub mod columns {
    //! Placeholder until the module lands from its branch.
    pub struct Column<'a> {
        pub name: &'a str,
        pub natural: usize,
        pub fixed: bool,
        pub empty: bool,
        pub wanted: bool,
    }

    pub struct Fitted {
        pub widths: Vec<usize>,
    }

    pub fn fit(columns: &[Column], total: usize, spacing: usize) -> Fitted {
        let least: Vec<usize> = columns
            .iter()
            .map(|c| {
                if c.fixed {
                    c.natural
                } else if c.empty {
                    c.natural.min(3)
                } else {
                    c.natural.min(20)
                }
            })
            .collect();
        let mut used = 0;
        let n = least
            .iter()
            .take_while(|&&l| {
                used += l + spacing;
                used <= total + spacing
            })
            .count()
            .max(1);
        let mut widths: Vec<usize> = least[..n].to_vec();
        let mut room = (total + spacing).saturating_sub(widths.iter().map(|w| w + spacing).sum());
        while room > 0 {
            let Some(i) = (0..n)
                .filter(|&i| widths[i] < columns[i].natural)
                .min_by_key(|&i| columns[i].natural - widths[i])
            else {
                break;
            };
            widths[i] += 1;
            room -= 1;
        }
        Fitted { widths }
    }
}
