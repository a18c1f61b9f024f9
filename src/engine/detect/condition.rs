//! A Sigma rule's condition: `and`, `or`, `not`, parentheses, search names, and `1 of` / `all of`
//! a name pattern (`selection_*`) or `them`. Patterns are resolved against the rule's searches
//! when the condition is read, so a pattern that names nothing is said at once.

use super::sigma::RuleProblem;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cond {
    Search(String),
    Not(Box<Cond>),
    And(Vec<Cond>),
    Or(Vec<Cond>),
}

/// `text` read against the rule's search `names`.
pub fn parse(text: &str, names: &[&str]) -> Result<Cond, RuleProblem> {
    if text.contains('|') {
        return Err(RuleProblem::Unsupported(
            "an aggregation in the condition ('| count() …', Sigma 1): write it as a correlation rule".into(),
        ));
    }
    let tokens = tokens(text);
    let mut parser = Parser {
        tokens: &tokens,
        at: 0,
        names,
        text,
        depth: 0,
    };
    let cond = parser.or()?;
    match parser.tokens.get(parser.at) {
        None => Ok(cond),
        Some(t) => Err(parser.invalid(&format!("unexpected '{t}'"))),
    }
}

fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        match c {
            '(' | ')' => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                out.push(c.to_string());
            }
            c if c.is_whitespace() => {
                if !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
            }
            c => word.push(c),
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

struct Parser<'a> {
    tokens: &'a [String],
    at: usize,
    names: &'a [&'a str],
    text: &'a str,
    /// Parentheses and `not`s open: a hostile rule must not overflow the stack.
    depth: usize,
}

/// The most parentheses and `not`s a condition may nest.
const DEEPEST: usize = 64;

impl Parser<'_> {
    fn invalid(&self, why: &str) -> RuleProblem {
        RuleProblem::Invalid(format!("the condition '{}': {why}", self.text))
    }

    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }

    fn keyword(&mut self, word: &str) -> bool {
        if self.peek().is_some_and(|t| t.eq_ignore_ascii_case(word)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Cond, RuleProblem> {
        let mut any = vec![self.and()?];
        while self.keyword("or") {
            any.push(self.and()?);
        }
        Ok(if any.len() == 1 { any.remove(0) } else { Cond::Or(any) })
    }

    fn and(&mut self) -> Result<Cond, RuleProblem> {
        let mut all = vec![self.not()?];
        while self.keyword("and") {
            all.push(self.not()?);
        }
        Ok(if all.len() == 1 { all.remove(0) } else { Cond::And(all) })
    }

    fn not(&mut self) -> Result<Cond, RuleProblem> {
        if self.keyword("not") {
            let inner = self.deeper(Self::not)?;
            return Ok(Cond::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn deeper(&mut self, part: fn(&mut Self) -> Result<Cond, RuleProblem>) -> Result<Cond, RuleProblem> {
        self.depth += 1;
        if self.depth > DEEPEST {
            return Err(self.invalid(&format!("it nests more than {DEEPEST} deep")));
        }
        let cond = part(self);
        self.depth -= 1;
        cond
    }

    fn primary(&mut self) -> Result<Cond, RuleProblem> {
        let Some(token) = self.peek().map(str::to_string) else {
            return Err(self.invalid("it ends where a search name was expected"));
        };
        self.at += 1;
        if token == "(" {
            let inner = self.deeper(Self::or)?;
            if !self.keyword(")") {
                return Err(self.invalid("a '(' is not closed"));
            }
            return Ok(inner);
        }
        let quantifier = match token.to_ascii_lowercase().as_str() {
            "1" | "any" => Some(false),
            "all" => Some(true),
            _ => None,
        };
        if let Some(all) = quantifier
            && self.keyword("of")
        {
            let Some(pattern) = self.peek().map(str::to_string) else {
                return Err(self.invalid("'of' is not followed by a name pattern or 'them'"));
            };
            self.at += 1;
            let matched: Vec<Cond> = self
                .names
                .iter()
                .filter(|n| match pattern.as_str() {
                    "them" => !n.starts_with('_'),
                    p => glob(p, n),
                })
                .map(|n| Cond::Search(n.to_string()))
                .collect();
            if matched.is_empty() {
                return Err(self.invalid(&format!("'{pattern}' names no search")));
            }
            return Ok(match all {
                true => Cond::And(matched),
                false => Cond::Or(matched),
            });
        }
        if let Some(n) = token.strip_suffix("of").filter(|n| n.parse::<u32>().is_ok()) {
            return Err(self.invalid(&format!("'{n}of' needs a space")));
        }
        if ["and", "or", "of", ")"].iter().any(|k| token.eq_ignore_ascii_case(k)) {
            return Err(self.invalid(&format!("'{token}' where a search name was expected")));
        }
        if !self.names.contains(&token.as_str()) {
            return Err(self.invalid(&format!("'{token}' is not one of its searches")));
        }
        Ok(Cond::Search(token))
    }
}

/// Whether `name` matches a pattern with `*` (any run) and `?` (one character): the greedy
/// match that backtracks only to the last `*` (linear, whatever the pattern).
fn glob(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: &str) -> Cond {
        Cond::Search(n.into())
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        let names = ["a", "b", "c"];
        assert_eq!(
            parse("a or b and not c", &names).unwrap(),
            Cond::Or(vec![s("a"), Cond::And(vec![s("b"), Cond::Not(Box::new(s("c")))])])
        );
        assert_eq!(
            parse("(a or b) and c", &names).unwrap(),
            Cond::And(vec![Cond::Or(vec![s("a"), s("b")]), s("c")])
        );
    }

    #[test]
    fn quantifiers_resolve_their_patterns() {
        let names = ["filter_main_a", "filter_main_b", "selection", "_hidden"];
        assert_eq!(
            parse("selection and not 1 of filter_main_*", &names).unwrap(),
            Cond::And(vec![
                s("selection"),
                Cond::Not(Box::new(Cond::Or(vec![s("filter_main_a"), s("filter_main_b")])))
            ])
        );
        assert_eq!(
            parse("all of them", &names).unwrap(),
            Cond::And(vec![s("filter_main_a"), s("filter_main_b"), s("selection")])
        );
        assert!(parse("1 of nothing_*", &names).is_err());
        assert!(parse("selection and", &names).is_err());
        assert!(parse("selection | count() > 5", &names).is_err());
        assert!(parse("(selection", &names).is_err());
        assert!(parse("other", &names).is_err());
        // Deep nesting is refused, not a stack overflow.
        let deep = format!("{}selection{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(parse(&deep, &names).is_err());
        assert!(parse(&format!("{}selection", "not ".repeat(100_000)), &names).is_err());
        assert!(parse("not not selection", &names).is_ok());
    }

    #[test]
    fn name_patterns_match_as_globs_in_linear_time() {
        assert!(glob("filter_*", "filter_main_a"));
        assert!(glob("*_a", "filter_main_a"));
        assert!(glob("f?lter*", "filter"));
        assert!(!glob("filter_*_b", "filter_main_a"));
        assert!(glob("*", ""));
        let long = "a".repeat(200);
        assert!(!glob(&format!("{}c", "*a".repeat(30)), &long));
    }
}
