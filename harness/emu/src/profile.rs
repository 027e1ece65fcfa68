//! Where the instructions and modeled cycles of the timed regions go, per address and
//! per call stack. Collected only when asked for (`tinybench profile`): it reads SP on
//! every instruction, which a plain run does not need.

use crate::timing::InsnClass;
use std::collections::HashMap;

/// What the profiler hands back after a run: raw addresses, symbolized by the host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawProfile {
    /// Per executed address inside the profiled regions: (instructions, modeled cycles).
    pub by_pc: HashMap<u64, (u64, u64)>,
    /// Per call stack (outermost first, each frame a call target; the first frame is the
    /// address where profiling started): (instructions, modeled cycles) executed with
    /// exactly that stack.
    pub stacks: Vec<(Vec<u64>, u64, u64)>,
    /// Instructions per class, inside the profiled regions.
    pub mix: HashMap<&'static str, u64>,
    /// Profiled regions seen.
    pub regions: u64,
    /// Deepest stack use inside a profiled region, bytes below the SP at its start.
    pub stack_high_water: u64,
}

/// Which regions to profile: every region after the first `skip` (the firmware's
/// overhead calibration regions come first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileRequest {
    /// Timed regions to leave out at the start.
    pub skip: u64,
}

struct Frame {
    ret: u64,
    node: u32,
}

pub(crate) struct Profiler {
    req: ProfileRequest,
    reads: u64,
    inside: bool,
    by_pc: HashMap<u64, (u64, u64)>,
    /// Stack trie: (parent node, call target) → node; node 0 is the region's root.
    nodes: HashMap<(u32, u64), u32>,
    node_path: Vec<(u32, u64)>,
    node_counts: Vec<(u64, u64)>,
    frames: Vec<Frame>,
    pending_call: Option<u64>,
    mix: HashMap<&'static str, u64>,
    region_sp: u64,
    min_sp: u64,
    high_water: u64,
    regions: u64,
}

fn mix_class(c: Option<InsnClass>) -> &'static str {
    match c {
        Some(InsnClass::Load | InsnClass::LoadMulti { pc: false, .. }) => "load",
        Some(InsnClass::Store | InsnClass::StoreMulti { .. }) => "store",
        Some(InsnClass::Mul | InsnClass::MulAcc | InsnClass::MulLong) => "multiply/MAC",
        Some(InsnClass::DspMac) => "DSP",
        Some(InsnClass::Div) => "divide",
        Some(c) if c.is_branch() => "branch",
        _ => "other",
    }
}

impl Profiler {
    pub fn new(req: ProfileRequest) -> Self {
        Self {
            req,
            reads: 0,
            inside: false,
            by_pc: HashMap::new(),
            nodes: HashMap::new(),
            node_path: vec![(0, 0)],
            node_counts: vec![(0, 0)],
            frames: Vec::new(),
            pending_call: None,
            mix: HashMap::new(),
            region_sp: 0,
            min_sp: u64::MAX,
            high_water: 0,
            regions: 0,
        }
    }

    /// The firmware read its counter: regions open on even reads and close on odd ones.
    pub fn on_counter_read(&mut self, sp: u64) {
        let opening = self.reads.is_multiple_of(2);
        let region = self.reads / 2;
        self.reads += 1;
        if opening && region >= self.req.skip {
            self.inside = true;
            self.frames.clear();
            self.pending_call = None;
            self.region_sp = sp;
            self.min_sp = sp;
            self.regions += 1;
        } else if !opening && self.inside {
            self.inside = false;
            self.high_water = self
                .high_water
                .max(self.region_sp.saturating_sub(self.min_sp));
        }
    }

    /// Whether the next instruction is profiled (the caller then reads SP).
    pub fn active(&self) -> bool {
        self.inside
    }

    /// One executed instruction inside a region.
    pub fn step(&mut self, addr: u64, class: Option<(InsnClass, u8)>, cycles: u64, sp: u64) {
        if !self.inside {
            return;
        }
        self.min_sp = self.min_sp.min(sp);
        if self.node_path.len() == 1 && self.node_path[0].1 == 0 {
            // The root frame is wherever the region started.
            self.node_path[0].1 = addr;
        }
        // Returned to a caller? (Any return mechanism: BX LR, POP {PC}, RET.)
        while let Some(pos) = self.frames.iter().rposition(|f| f.ret == addr) {
            self.frames.truncate(pos);
        }
        if let Some(ret) = self.pending_call.take() {
            let parent = self.frames.last().map_or(0, |f| f.node);
            let next = self.node_path.len() as u32;
            let node = *self.nodes.entry((parent, addr)).or_insert(next);
            if node == next {
                self.node_path.push((parent, addr));
                self.node_counts.push((0, 0));
            }
            self.frames.push(Frame { ret, node });
        }
        let node = self.frames.last().map_or(0, |f| f.node) as usize;
        let nc = &mut self.node_counts[node];
        nc.0 += 1;
        nc.1 += cycles;
        let e = self.by_pc.entry(addr).or_insert((0, 0));
        e.0 += 1;
        e.1 += cycles;
        *self.mix.entry(mix_class(class.map(|c| c.0))).or_insert(0) += 1;
        if let Some((InsnClass::Call, size)) = class {
            self.pending_call = Some(addr + size as u64);
        }
    }

    pub fn finish(self) -> RawProfile {
        let path = |mut n: u32| {
            let mut v = Vec::new();
            loop {
                let (parent, addr) = self.node_path[n as usize];
                v.push(addr);
                if n == 0 {
                    break;
                }
                n = parent;
            }
            v.reverse();
            v
        };
        let stacks = (0..self.node_counts.len())
            .filter(|&n| self.node_counts[n].0 > 0)
            .map(|n| (path(n as u32), self.node_counts[n].0, self.node_counts[n].1))
            .collect();
        RawProfile {
            by_pc: self.by_pc,
            stacks,
            mix: self.mix,
            regions: self.regions,
            stack_high_water: self.high_water,
        }
    }
}
