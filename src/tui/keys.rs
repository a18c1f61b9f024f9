//! The one key table: it turns keys into actions, and the same list writes the footer's hints
//! and the help screen, so that what is shown is what works.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    Screen(usize),
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    First,
    Last,
    /// Narrow the window to the selected bucket.
    Narrow,
    ZoomOut,
    Cancel,
    Refresh,
    Help,
}

pub struct Binding {
    pub key: KeyCode,
    pub modifiers: KeyModifiers,
    pub action: Action,
    /// How the key is written in hints (`←/h`).
    pub label: &'static str,
    pub help: &'static str,
    /// Shown in the footer (the rest only in help).
    pub hint: bool,
}

const fn key(key: KeyCode, action: Action, label: &'static str, help: &'static str, hint: bool) -> Binding {
    Binding {
        key,
        modifiers: KeyModifiers::NONE,
        action,
        label,
        help,
        hint,
    }
}

pub fn bindings() -> Vec<Binding> {
    use Action::{Cancel, First, Help, Last, Narrow, Quit, Refresh, Screen, ZoomOut};
    use KeyCode::{Char, Enter, Esc};
    vec![
        key(Char('q'), Quit, "q", "quit", true),
        key(Char('?'), Help, "?", "keys", true),
        key(Char('1'), Screen(0), "1", "timeline", true),
        key(Char('2'), Screen(1), "2", "principals", true),
        key(Char('3'), Screen(2), "3", "resources", true),
        key(KeyCode::Left, Action::Left, "←/h", "bucket", true),
        key(Char('h'), Action::Left, "h", "previous bucket", false),
        key(KeyCode::Right, Action::Right, "→/l", "bucket", true),
        key(Char('l'), Action::Right, "l", "next bucket", false),
        key(KeyCode::Up, Action::Up, "↑/k", "previous row", false),
        key(Char('k'), Action::Up, "k", "previous row", false),
        key(KeyCode::Down, Action::Down, "↓/j", "row", true),
        key(Char('j'), Action::Down, "j", "next row", false),
        key(KeyCode::PageUp, Action::PageUp, "PgUp", "page up", false),
        key(KeyCode::PageDown, Action::PageDown, "PgDn", "page down", false),
        key(Char('g'), First, "g", "first row", false),
        key(Char('G'), Last, "G", "last row", false),
        key(Enter, Narrow, "Enter", "narrow to bucket", true),
        key(Char('-'), ZoomOut, "-", "widen back", true),
        key(Esc, Cancel, "Esc", "cancel", true),
        key(Char('r'), Refresh, "r", "run again", false),
        Binding {
            key: Char('c'),
            modifiers: KeyModifiers::CONTROL,
            action: Cancel,
            label: "Ctrl+C",
            help: "cancel running queries",
            hint: false,
        },
    ]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_actions_and_every_hint_is_a_working_key() {
        let table = bindings();
        assert_eq!(
            action(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE), &table),
            Some(Action::Quit)
        );
        assert_eq!(
            action(KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT), &table),
            Some(Action::Last)
        );
        assert_eq!(
            action(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL), &table),
            Some(Action::Cancel)
        );
        assert_eq!(
            action(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE), &table),
            None
        );
        for b in table.iter().filter(|b| b.hint) {
            assert_eq!(
                action(KeyEvent::new(b.key, b.modifiers), &table),
                Some(b.action),
                "{}",
                b.label
            );
        }
    }
}
