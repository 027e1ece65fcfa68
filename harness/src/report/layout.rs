//! How wide terminal output may be, and tables built to fit it.
//!
//! The width is `COLUMNS`, else the terminal's (stdout), else unlimited (output to a
//! file or a pipe is not wrapped). `--wide` turns off both the width limit and the
//! collapsing of columns that carry no information.

use std::sync::OnceLock;
use tabled::builder::Builder;
use tabled::settings::{object::Columns, peaker::Priority, Alignment, Style, Width};

/// Terminal layout of the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Layout {
    /// Most characters a line may take; `None`: no limit.
    pub width: Option<usize>,
    /// Show every column, even those that say the same on every row.
    pub wide: bool,
}

static CURRENT: OnceLock<Layout> = OnceLock::new();

impl Layout {
    /// The layout for this process's stdout (`wide`: `--wide`).
    pub fn detect(wide: bool) -> Layout {
        let columns = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|&c| c > 0);
        let terminal = || {
            terminal_size::terminal_size_of(std::io::stdout())
                .map(|(terminal_size::Width(w), _)| w as usize)
        };
        Layout {
            width: if wide {
                None
            } else {
                columns.or_else(terminal)
            },
            wide,
        }
    }

    /// Set the process's layout (from the global options, once, in `main`).
    pub fn install(self) {
        let _ = CURRENT.set(self);
    }

    /// The process's layout: the installed one, else detected without `--wide`.
    pub fn current() -> Layout {
        *CURRENT.get_or_init(|| Layout::detect(false))
    }

    /// Whether columns with one value on every row are folded into the title.
    pub fn collapse(&self) -> bool {
        !self.wide
    }

    /// `text` with every line longer than the width broken at spaces; continuation lines
    /// are indented by two. A word longer than a line is broken where it must be.
    /// Written by hand: a greedy wrap of a few title lines does not call for a crate.
    pub fn wrap(&self, text: &str) -> String {
        let Some(width) = self.width.filter(|&w| w >= 20) else {
            return text.to_string();
        };
        let mut out = Vec::new();
        for line in text.lines() {
            if line.chars().count() <= width {
                out.push(line.to_string());
                continue;
            }
            let mut cur = String::new();
            for word in line.split(' ') {
                let blank = cur.trim().is_empty();
                let len = |s: &str| s.chars().count();
                if !blank && len(&cur) + 1 + len(word) > width {
                    out.push(std::mem::replace(&mut cur, "  ".into()));
                } else if !blank {
                    cur.push(' ');
                }
                let mut w = word;
                while len(&cur) + len(w) > width {
                    let room = width - len(&cur);
                    let cut = w.char_indices().nth(room).map_or(w.len(), |(i, _)| i);
                    cur.push_str(&w[..cut]);
                    out.push(std::mem::replace(&mut cur, "  ".into()));
                    w = &w[cut..];
                }
                cur.push_str(w);
            }
            if !cur.trim().is_empty() {
                out.push(cur);
            }
        }
        out.join("\n")
    }

    /// A rounded table of `header` and `rows`, the `numeric` columns right-aligned, fitted
    /// to the width: the columns named in `drop` (in that order) are left out while it is
    /// too wide, then cells wrap (widest columns first, at spaces where they can). The
    /// second value names the columns left out.
    pub fn table(
        &self,
        header: &[String],
        rows: &[Vec<String>],
        numeric: &[bool],
        drop: &[&str],
    ) -> (String, Vec<String>) {
        let mut keep: Vec<bool> = vec![true; header.len()];
        let mut dropped = Vec::new();
        let mut t = self.build(header, rows, numeric, &keep);
        for name in drop {
            if self.width.is_none_or(|w| t.total_width() <= w) {
                break;
            }
            if let Some(i) = header.iter().position(|h| h == name) {
                keep[i] = false;
                dropped.push(name.to_string());
                t = self.build(header, rows, numeric, &keep);
            }
        }
        self.fit(&mut t);
        (t.to_string(), dropped)
    }

    fn build(
        &self,
        header: &[String],
        rows: &[Vec<String>],
        numeric: &[bool],
        keep: &[bool],
    ) -> tabled::Table {
        let pick = |r: &[String]| -> Vec<String> {
            r.iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(c, _)| c.clone())
                .collect()
        };
        let mut b = Builder::default();
        b.push_record(pick(header));
        for r in rows {
            b.push_record(pick(r));
        }
        let mut t = b.build();
        t.with(Style::rounded());
        let kept_numeric = numeric
            .iter()
            .zip(keep)
            .filter(|(_, k)| **k)
            .map(|(n, _)| *n);
        for (i, n) in kept_numeric.enumerate() {
            if n {
                t.modify(Columns::one(i), Alignment::right());
            }
        }
        t
    }

    /// Wrap `t` inside its cells (widest columns first, at spaces where it can) when it is
    /// wider than the width.
    pub fn fit(&self, t: &mut tabled::Table) {
        if let Some(w) = self.width {
            if t.total_width() > w {
                t.with(
                    Width::wrap(w)
                        .priority(Priority::max(true))
                        .keep_words(true),
                );
            }
        }
    }
}

/// A column of a table over rows of `T`: its header, whether it holds numbers, its cell.
pub struct Column<'a, T> {
    /// The header.
    pub name: String,
    /// Right-aligned.
    pub numeric: bool,
    /// When every row has the same value, fold the column into a title note
    /// (`name value`) instead of repeating it (unless `--wide`).
    pub foldable: bool,
    /// Left out (first the lowest) when the table is too wide; `None`: always shown.
    pub drop_rank: Option<u8>,
    /// The cell of one row.
    pub cell: Box<dyn Fn(&T) -> String + 'a>,
}

impl<'a, T> Column<'a, T> {
    /// A text column.
    pub fn text(name: impl Into<String>, cell: impl Fn(&T) -> String + 'a) -> Self {
        Column {
            name: name.into(),
            numeric: false,
            foldable: false,
            drop_rank: None,
            cell: Box::new(cell),
        }
    }

    /// A numeric (right-aligned) column.
    pub fn num(name: impl Into<String>, cell: impl Fn(&T) -> String + 'a) -> Self {
        Column {
            numeric: true,
            ..Column::text(name, cell)
        }
    }

    /// Folded into the title when it says the same on every row.
    pub fn foldable(mut self) -> Self {
        self.foldable = true;
        self
    }

    /// Left out when the table does not fit, lowest `rank` first.
    pub fn droppable(mut self, rank: u8) -> Self {
        self.drop_rank = Some(rank);
        self
    }
}

/// The table of `rows` over `columns`, and the notes for the title: the columns folded
/// away (`kernel fully_connected`) and those left out to fit the width.
pub fn render<T>(
    layout: &Layout,
    columns: Vec<Column<'_, T>>,
    rows: &[T],
) -> (String, Vec<String>) {
    let mut notes = Vec::new();
    let mut kept = Vec::new();
    let mut cells: Vec<Vec<String>> = vec![Vec::new(); rows.len()];
    for col in columns {
        let values: Vec<String> = rows.iter().map(|r| (col.cell)(r)).collect();
        let same = values.windows(2).all(|w| w[0] == w[1]);
        if layout.collapse() && col.foldable && same && !rows.is_empty() {
            notes.push(format!("{} {}", col.name, values[0]));
            continue;
        }
        for (row, v) in cells.iter_mut().zip(values) {
            row.push(v);
        }
        kept.push((col.name, col.numeric, col.drop_rank));
    }
    let header: Vec<String> = kept.iter().map(|(n, _, _)| n.clone()).collect();
    let numeric: Vec<bool> = kept.iter().map(|(_, n, _)| *n).collect();
    let mut order: Vec<(u8, &str)> = kept
        .iter()
        .filter_map(|(n, _, r)| r.map(|r| (r, n.as_str())))
        .collect();
    order.sort();
    let order: Vec<&str> = order.into_iter().map(|(_, n)| n).collect();
    let (table, dropped) = layout.table(&header, &cells, &numeric, &order);
    if !dropped.is_empty() {
        notes.push(format!(
            "left out to fit: {} (--wide shows them)",
            dropped.join(", ")
        ));
    }
    (table, notes)
}

/// The widest line of `text`, in characters.
pub fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_wrap_at_spaces_and_short_ones_stay() {
        let l = Layout {
            width: Some(20),
            wide: false,
        };
        let text = "short\none two three four five six seven eight nine ten";
        let w = l.wrap(text);
        assert!(widest(&w) <= 20, "{w}");
        assert!(w.starts_with("short\none two three four"), "{w}");
        assert_eq!(w.replace("\n  ", " "), text);
        let long = "x".repeat(50);
        assert!(widest(&l.wrap(&long)) <= 20);
    }

    #[test]
    fn tables_wrap_to_the_width_and_fold_repeated_columns() {
        let rows: Vec<(String, u32)> = (0..4)
            .map(|i| (format!("a rather long case name number {i}"), 7))
            .collect();
        let cols = || {
            vec![
                Column::text("case", |r: &(String, u32)| r.0.clone()),
                Column::num("kind", |r: &(String, u32)| r.1.to_string()).foldable(),
            ]
        };
        let narrow = Layout {
            width: Some(24),
            wide: false,
        };
        let (t, notes) = render(&narrow, cols(), &rows);
        assert!(widest(&t) <= 24, "{t}");
        assert_eq!(notes, vec!["kind 7".to_string()]);
        let (t, notes) = render(
            &Layout {
                width: None,
                wide: true,
            },
            cols(),
            &rows,
        );
        assert!(t.contains("kind") && notes.is_empty(), "{t}");
    }
}
