//! Turning the emulator's raw profile (addresses) into what a user reads: per-function
//! exclusive and inclusive counts, folded stacks, a flamegraph, per-line counts.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use tinybench_device::FirmwareImage;
use tinybench_emu::RawProfile;

/// One function's share of the profiled regions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRow {
    /// Demangled name, or `0x…` for code without a symbol.
    pub name: String,
    /// Instructions executed in the function itself.
    pub self_instructions: u64,
    /// Instructions executed in it and everything it called.
    pub incl_instructions: u64,
    /// Modeled cycles in the function itself.
    pub self_cycles: u64,
    /// Modeled cycles including callees.
    pub incl_cycles: u64,
}

impl FunctionRow {
    fn empty(name: String) -> Self {
        Self {
            name,
            self_instructions: 0,
            incl_instructions: 0,
            self_cycles: 0,
            incl_cycles: 0,
        }
    }
}

/// A symbolized profile.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Functions, hottest (self instructions) first.
    pub functions: Vec<FunctionRow>,
    /// Folded stacks (`outer;inner count`), the format flamegraph tools read.
    pub folded: Vec<String>,
    /// Total instructions in the profiled regions.
    pub total_instructions: u64,
    /// Total modeled cycles in them.
    pub total_cycles: u64,
    /// Regions profiled (timed repetitions).
    pub regions: u64,
    /// Instruction mix: class → instructions.
    pub mix: BTreeMap<String, u64>,
    /// Deepest stack use in a region, bytes.
    pub stack_high_water: u64,
}

fn name_of(image: &FirmwareImage, pc: u64) -> String {
    image
        .function_of(pc)
        .map(|(n, _)| n)
        .unwrap_or_else(|| format!("{pc:#010x}"))
}

/// Symbolize a raw profile with the firmware's symbols.
pub fn symbolize(raw: &RawProfile, image: &FirmwareImage) -> Profile {
    let mut by_fn: HashMap<String, FunctionRow> = HashMap::new();
    for (&pc, &(n, c)) in &raw.by_pc {
        let name = name_of(image, pc);
        let r = by_fn
            .entry(name.clone())
            .or_insert_with(|| FunctionRow::empty(name));
        r.self_instructions += n;
        r.self_cycles += c;
    }
    let mut folded_counts: BTreeMap<String, u64> = BTreeMap::new();
    for (stack, n, c) in &raw.stacks {
        let names: Vec<String> = stack.iter().map(|&a| name_of(image, a)).collect();
        // Inclusive: each function on the stack once, however often it recurs.
        let distinct: HashSet<&String> = names.iter().collect();
        for name in distinct {
            let r = by_fn
                .entry(name.clone())
                .or_insert_with(|| FunctionRow::empty(name.clone()));
            r.incl_instructions += n;
            r.incl_cycles += c;
        }
        *folded_counts.entry(names.join(";")).or_insert(0) += n;
    }
    let mut functions: Vec<FunctionRow> = by_fn.into_values().collect();
    functions.sort_by(|a, b| {
        b.self_instructions
            .cmp(&a.self_instructions)
            .then(a.name.cmp(&b.name))
    });
    Profile {
        total_instructions: raw.by_pc.values().map(|v| v.0).sum(),
        total_cycles: raw.by_pc.values().map(|v| v.1).sum(),
        functions,
        folded: folded_counts
            .into_iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect(),
        regions: raw.regions,
        mix: raw.mix.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        stack_high_water: raw.stack_high_water,
    }
}

/// Instructions per source line (`file:line`), from the ELF's DWARF; addresses without
/// line information are grouped under `?`.
pub fn by_line(raw: &RawProfile, elf_path: &Path) -> Result<Vec<(String, u64, u64)>, String> {
    let loader = addr2line::Loader::new(elf_path)
        .map_err(|e| format!("reading DWARF of {}: {e}", elf_path.display()))?;
    let mut lines: HashMap<String, (u64, u64)> = HashMap::new();
    for (&pc, &(n, c)) in &raw.by_pc {
        let key = match loader.find_location(pc) {
            Ok(Some(loc)) => format!("{}:{}", loc.file.unwrap_or("?"), loc.line.unwrap_or(0)),
            _ => "?".to_string(),
        };
        let e = lines.entry(key).or_insert((0, 0));
        e.0 += n;
        e.1 += c;
    }
    let mut v: Vec<(String, u64, u64)> = lines.into_iter().map(|(k, (n, c))| (k, n, c)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(v)
}

/// Render folded stacks as an SVG flamegraph (inferno).
pub fn flamegraph_svg(folded: &[String], title: &str) -> Result<Vec<u8>, String> {
    let mut opts = inferno::flamegraph::Options::default();
    opts.title = title.to_string();
    opts.count_name = "instructions".to_string();
    let mut out = Vec::new();
    inferno::flamegraph::from_lines(&mut opts, folded.iter().map(String::as_str), &mut out)
        .map_err(|e| e.to_string())?;
    Ok(out)
}
