//! Human output: aligned tables and colour (on a terminal, `NO_COLOR`
//! respected via anstream), and JSON printing for `--json`.

use crate::cli::ColorChoice;
use daytwo_types::ReplicaState;
use owo_colors::OwoColorize;
use serde::Serialize;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

static COLOR: AtomicBool = AtomicBool::new(false);

pub fn init_color(choice: ColorChoice) {
    let enabled = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    COLOR.store(enabled, Ordering::Relaxed);
    let anstream_choice = if enabled {
        anstream::ColorChoice::Always
    } else {
        anstream::ColorChoice::Never
    };
    anstream::ColorChoice::write_global(anstream_choice);
}

pub fn color_enabled() -> bool {
    COLOR.load(Ordering::Relaxed)
}

/// Pretty JSON on stdout.
pub fn print_json(value: &impl Serialize) {
    let text = serde_json::to_string_pretty(value).expect("output types serialize");
    anstream::println!("{text}");
}

/// A cell: its plain text (for width) and how to style it.
pub struct Cell {
    text: String,
    style: Style,
}

#[derive(Clone, Copy)]
pub enum Style {
    Plain,
    Dim,
    Bold,
    Good,
    Warn,
    Bad,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            style: Style::Plain,
        }
    }

    pub fn styled(text: impl Into<String>, style: Style) -> Self {
        Self {
            text: text.into(),
            style,
        }
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::new(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::new(text)
    }
}

pub fn paint(text: &str, style: Style) -> String {
    if !color_enabled() {
        return text.to_string();
    }
    match style {
        Style::Plain => text.to_string(),
        Style::Dim => text.dimmed().to_string(),
        Style::Bold => text.bold().to_string(),
        Style::Good => text.green().to_string(),
        Style::Warn => text.yellow().to_string(),
        Style::Bad => text.red().bold().to_string(),
    }
}

/// Renders rows under a header with columns aligned on their plain width.
pub fn table(header: &[&str], rows: Vec<Vec<Cell>>) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (index, cell) in row.iter().enumerate() {
            widths[index] = widths[index].max(cell.text.chars().count());
        }
    }
    let mut out = String::new();
    let last = header.len() - 1;
    let head: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(index, h)| pad(h, widths[index], index == last))
        .collect();
    out.push_str(&paint(&head.join("  "), Style::Bold));
    out.push('\n');
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(index, cell)| paint(&pad(&cell.text, widths[index], index == last), cell.style))
            .collect();
        out.push_str(&cells.join("  "));
        out.push('\n');
    }
    out
}

fn pad(text: &str, width: usize, last: bool) -> String {
    if last {
        return text.to_string();
    }
    let len = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(len)))
}

pub fn state_cell(state: ReplicaState) -> Cell {
    let style = match state {
        ReplicaState::Healthy => Style::Good,
        ReplicaState::Starting | ReplicaState::Stopping => Style::Warn,
        ReplicaState::Exited => Style::Dim,
        ReplicaState::Unhealthy | ReplicaState::Crashloop => Style::Bad,
    };
    Cell::styled(state.as_str(), style)
}

/// `123.4 MiB`-style size.
pub fn bytes(value: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut size = value as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value} B")
    } else {
        format!("{size:.1} {}", UNITS[unit])
    }
}

/// Coarse age of an RFC 3339 timestamp, e.g. `5s`, `3m`, `2h`.
pub fn age(rfc3339: &str) -> String {
    let Ok(then) = rfc3339.parse::<jiff::Timestamp>() else {
        return "-".to_string();
    };
    let seconds = (jiff::Timestamp::now().as_second() - then.as_second()).max(0);
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m", seconds / 60),
        3600..86400 => format!("{}h", seconds / 3600),
        _ => format!("{}d", seconds / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_aligns_columns_on_plain_width() {
        let rendered = table(
            &["NAME", "STATE"],
            vec![
                vec![Cell::new("web.1"), Cell::new("healthy")],
                vec![Cell::new("worker.10"), Cell::new("starting")],
            ],
        );
        assert_eq!(
            rendered,
            "NAME       STATE\nweb.1      healthy\nworker.10  starting\n"
        );
    }

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(3 * 1024 * 1024 / 2), "1.5 MiB");
    }
}
