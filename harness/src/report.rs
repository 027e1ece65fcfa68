//! Ways to show a run: terminal table, JSON.

pub mod json;
pub mod table;
