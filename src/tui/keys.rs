//! The one key table: it turns keys into actions, and the same list writes the footer's hints
//! and the help screen, so that what is shown is what works. The config file's `[keys]` table
//! rebinds actions by name (`export = "ctrl+e"`).

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Screen(usize),
    Up,
    Down,
    /// `←`/`→`: the bucket on the timeline, the column elsewhere.
    Left,
    Right,
    ColLeft,
    ColRight,
    PageUp,
    PageDown,
    HalfUp,
    HalfDown,
    First,
    Last,
    /// Open what the cursor is on (an event, a principal, a bucket…).
    Open,
    /// Cancel what runs, else step back one pivot.
    Back,
    /// Cancel what runs.
    Cancel,
    Run,
    ZoomIn,
    ZoomOut,
    Principal,
    Resource,
    SourceIp,
    Centre,
    FilterIn,
    FilterOut,
    Where,
    Frequency,
    Copy,
    LocalTime,
    Sort,
    Search,
    SearchNext,
    SearchPrevious,
    Export,
    Command,
    HideColumn,
    ShowColumns,
    MoveColumnLeft,
    MoveColumnRight,
    /// The selected column wider or narrower (kept for the screen).
    Wider,
    Narrower,
    Focus,
    Suspend,
}

#[derive(Clone, Debug)]
pub struct Binding {
    pub key: KeyCode,
    pub modifiers: KeyModifiers,
    pub action: Action,
    /// The name the config file rebinds it by.
    pub name: &'static str,
    /// How the key is written in hints (`←/h`).
    pub label: String,
    pub help: &'static str,
    /// Shown in the footer (the rest only in help).
    pub hint: bool,
}

fn key(code: KeyCode, action: Action, name: &'static str, help: &'static str, hint: bool) -> Binding {
    with(code, KeyModifiers::NONE, action, name, help, hint)
}

fn with(
    code: KeyCode,
    modifiers: KeyModifiers,
    action: Action,
    name: &'static str,
    help: &'static str,
    hint: bool,
) -> Binding {
    Binding {
        key: code,
        modifiers,
        action,
        name,
        label: label(code, modifiers),
        help,
        hint,
    }
}

/// The table in help order; the first binding of an action is the one hints show.
pub fn bindings() -> Vec<Binding> {
    use Action::*;
    use KeyCode::{Char, Enter, Esc, F, Tab};
    let ctrl = KeyModifiers::CONTROL;
    vec![
        key(Char('q'), Quit, "quit", "quit", true),
        key(Char('?'), Help, "help", "keys", true),
        key(Char('1'), Screen(0), "timeline", "timeline", false),
        key(Char('2'), Screen(1), "principals", "principals", false),
        key(Char('3'), Screen(2), "resources", "resources", false),
        key(Char('4'), Screen(3), "sql", "SQL editor", false),
        key(Char('5'), Screen(4), "reports", "reports", false),
        key(Char('6'), Screen(5), "detections", "detections", false),
        key(Enter, Open, "open", "open", true),
        key(Esc, Back, "back", "back / cancel", true),
        key(Char('p'), Principal, "principal", "its principal", true),
        key(Char('r'), Resource, "resource", "its resource", true),
        key(Char('i'), SourceIp, "source_ip", "its source IP", false),
        key(Char('t'), Centre, "centre", "the timeline around it", false),
        key(Char('f'), FilterIn, "filter", "filter = value", true),
        key(Char('F'), FilterOut, "exclude", "filter ≠ value", false),
        key(Char('\\'), Where, "where", "filter: SQL condition", false),
        key(Char('c'), Frequency, "frequency", "count column values", true),
        key(Char('e'), Export, "export", "export whole result", true),
        key(Char(':'), Command, "command", "command line", true),
        key(Char('/'), Search, "search", "search the table", false),
        key(Char('n'), SearchNext, "search_next", "next match", false),
        key(Char('N'), SearchPrevious, "search_previous", "previous match", false),
        key(Char('s'), Sort, "sort", "sort (again: reverse)", false),
        key(Char('y'), Copy, "copy", "copy value (OSC 52)", false),
        key(Char('z'), LocalTime, "local_time", "UTC / local time", false),
        key(Char('+'), ZoomIn, "zoom_in", "zoom the window in", false),
        key(Char('-'), ZoomOut, "zoom_out", "zoom the window out", false),
        key(KeyCode::Up, Up, "up", "previous row", false),
        key(Char('k'), Up, "up_k", "previous row", false),
        key(KeyCode::Down, Down, "down", "next row", false),
        key(Char('j'), Down, "down_j", "next row", false),
        key(KeyCode::Left, Left, "left", "bucket or column", false),
        key(KeyCode::Right, Right, "right", "bucket or column", false),
        key(Char('h'), ColLeft, "column_left", "previous column", false),
        key(Char('l'), ColRight, "column_right", "next column", false),
        key(Char('['), Left, "bucket_left", "previous bucket", false),
        key(Char(']'), Right, "bucket_right", "next bucket", false),
        key(KeyCode::PageUp, PageUp, "page_up", "page up", false),
        key(KeyCode::PageDown, PageDown, "page_down", "page down", false),
        with(Char('u'), ctrl, HalfUp, "half_up", "half a page up", false),
        with(Char('d'), ctrl, HalfDown, "half_down", "half a page down", false),
        key(Char('g'), First, "first", "first row", false),
        key(KeyCode::Home, First, "home", "first row", false),
        key(Char('G'), Last, "last", "last row", false),
        key(KeyCode::End, Last, "end", "last row", false),
        key(Char('x'), HideColumn, "hide_column", "hide the column", false),
        key(Char('X'), ShowColumns, "show_columns", "show every column", false),
        key(Char('<'), MoveColumnLeft, "move_left", "move the column left", false),
        key(Char('>'), MoveColumnRight, "move_right", "move the column right", false),
        key(Char('}'), Wider, "wider", "widen the column", false),
        key(Char('{'), Narrower, "narrower", "narrow the column", false),
        key(Tab, Focus, "focus", "next part of screen", false),
        key(F(5), Run, "run", "run (again)", false),
        with(Enter, ctrl, Run, "run_ctrl_enter", "run the SQL", false),
        with(Char('c'), ctrl, Cancel, "cancel", "cancel queries", false),
        with(Char('z'), ctrl, Suspend, "suspend", "suspend (fg resumes)", false),
    ]
}

/// How a key is written: `Ctrl+d`, `F5`, `Enter`, `x`.
fn label(code: KeyCode, modifiers: KeyModifiers) -> String {
    let base = match code {
        KeyCode::Char(c) => c.to_string(),
        KeyCode::F(n) => format!("F{n}"),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        other => format!("{other:?}"),
    };
    if modifiers.contains(KeyModifiers::CONTROL) {
        format!("Ctrl+{base}")
    } else if modifiers.contains(KeyModifiers::ALT) {
        format!("Alt+{base}")
    } else {
        base
    }
}

/// Reads a key as the config file writes it: `x`, `ctrl+e`, `alt+x`, `f5`, `enter`, `esc`.
fn parse_key(text: &str) -> Option<(KeyCode, KeyModifiers)> {
    let lower = text.trim();
    let mut modifiers = KeyModifiers::NONE;
    let mut rest = lower;
    loop {
        let l = rest.to_ascii_lowercase();
        if let Some(r) = l.strip_prefix("ctrl+") {
            modifiers |= KeyModifiers::CONTROL;
            rest = &rest[rest.len() - r.len()..];
        } else if let Some(r) = l.strip_prefix("alt+") {
            modifiers |= KeyModifiers::ALT;
            rest = &rest[rest.len() - r.len()..];
        } else {
            break;
        }
    }
    let code = match rest.to_ascii_lowercase().as_str() {
        "enter" => KeyCode::Enter,
        "esc" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "pageup" => KeyCode::PageUp,
        "pagedown" => KeyCode::PageDown,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "space" => KeyCode::Char(' '),
        f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => KeyCode::F(f[1..].parse().ok()?),
        _ => {
            let mut chars = rest.chars();
            let c = chars.next()?;
            if chars.next().is_some() {
                return None;
            }
            KeyCode::Char(c)
        }
    };
    Some((code, modifiers))
}

/// The table with the config file's rebindings applied. An unknown action or key is an error
/// naming it: a silently ignored binding would leave the user pressing a dead key.
pub fn configured(overrides: &BTreeMap<String, String>) -> Result<Vec<Binding>, String> {
    let mut table = bindings();
    for (name, text) in overrides {
        let Some((code, modifiers)) = parse_key(text) else {
            return Err(format!(
                "the config file's [keys] {name} = \"{text}\" is not a key (examples: \"x\", \"ctrl+e\", \"f6\")"
            ));
        };
        let Some(b) = table.iter_mut().find(|b| b.name == name) else {
            let names: Vec<&str> = bindings().iter().map(|b| b.name).collect();
            return Err(format!(
                "the config file's [keys] names no action '{name}' (actions: {})",
                names.join(", ")
            ));
        };
        b.key = code;
        b.modifiers = modifiers;
        b.label = label(code, modifiers);
        // The key now means only this action.
        let taken = (code, modifiers);
        for other in table.iter_mut().filter(|o| o.name != name) {
            if (other.key, other.modifiers) == taken {
                other.key = KeyCode::Null;
                other.label = "—".into();
            }
        }
    }
    Ok(table)
}

/// The action a key press means, if any.
pub fn action(event: KeyEvent, table: &[Binding]) -> Option<Action> {
    table
        .iter()
        .find(|b| {
            b.key == event.code
                && (b.modifiers == event.modifiers
                    || (b.modifiers.is_empty() && event.modifiers == KeyModifiers::SHIFT))
        })
        .map(|b| b.action)
}

/// The key table the workbench runs with: keys to actions, and actions to how their key is
/// written, so that every hint names the key that works (rebound or not).
#[derive(Clone, Debug)]
pub struct KeyTable(Vec<Binding>);

impl Default for KeyTable {
    fn default() -> Self {
        KeyTable(bindings())
    }
}

impl KeyTable {
    pub fn new(bindings: Vec<Binding>) -> Self {
        KeyTable(bindings)
    }

    pub fn bindings(&self) -> &[Binding] {
        &self.0
    }

    pub fn action(&self, event: KeyEvent) -> Option<Action> {
        action(event, &self.0)
    }

    /// How the action's key is written (its first binding), `—` when no key is left for it.
    pub fn label(&self, action: Action) -> String {
        self.0
            .iter()
            .find(|b| b.action == action && b.key != KeyCode::Null)
            .map_or_else(|| "—".to_string(), |b| b.label.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn keys_map_to_actions_and_every_hint_is_a_working_key() {
        let table = bindings();
        assert_eq!(
            action(press(KeyCode::Char('q'), KeyModifiers::NONE), &table),
            Some(Action::Quit)
        );
        assert_eq!(
            action(press(KeyCode::Char('G'), KeyModifiers::SHIFT), &table),
            Some(Action::Last)
        );
        assert_eq!(
            action(press(KeyCode::Char('c'), KeyModifiers::CONTROL), &table),
            Some(Action::Cancel)
        );
        assert_eq!(
            action(press(KeyCode::Char('c'), KeyModifiers::NONE), &table),
            Some(Action::Frequency)
        );
        assert_eq!(action(press(KeyCode::Char('Z'), KeyModifiers::NONE), &table), None);
        for b in table.iter().filter(|b| b.hint) {
            assert_eq!(action(press(b.key, b.modifiers), &table), Some(b.action), "{}", b.label);
        }
        let mut names: Vec<&str> = table.iter().map(|b| b.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), table.len(), "every binding has its own name");
    }

    #[test]
    fn the_config_file_rebinds_by_name_and_rejects_what_it_cannot_read() {
        let overrides = BTreeMap::from([("export".to_string(), "ctrl+e".to_string())]);
        let table = configured(&overrides).unwrap();
        assert_eq!(
            action(press(KeyCode::Char('e'), KeyModifiers::CONTROL), &table),
            Some(Action::Export)
        );
        assert_eq!(action(press(KeyCode::Char('e'), KeyModifiers::NONE), &table), None);
        let help: Vec<String> = table
            .iter()
            .filter(|b| b.action == Action::Export)
            .map(|b| b.label.clone())
            .collect();
        assert_eq!(help, vec!["Ctrl+e"], "help and hints show the new key");
        // Taking another action's key takes it away from that action.
        let table = configured(&BTreeMap::from([("export".to_string(), "q".to_string())])).unwrap();
        assert_eq!(
            action(press(KeyCode::Char('q'), KeyModifiers::NONE), &table),
            Some(Action::Export)
        );
        let e = configured(&BTreeMap::from([("exprot".to_string(), "x".to_string())])).unwrap_err();
        assert!(e.contains("no action 'exprot'"), "{e}");
        let e = configured(&BTreeMap::from([("export".to_string(), "ctrl+".to_string())])).unwrap_err();
        assert!(e.contains("not a key"), "{e}");
        assert_eq!(parse_key("F6"), Some((KeyCode::F(6), KeyModifiers::NONE)));
    }
}
