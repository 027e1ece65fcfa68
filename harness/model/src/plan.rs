//! Memory planning: every activation tensor gets an offset in one arena so that tensors
//! alive at the same time never overlap. Greedy by size (largest first, each at the lowest
//! offset that fits between the already placed tensors it overlaps in time), the scheme
//! TFLite Micro's greedy planner uses; written here because it is twenty lines over our
//! own IR. A reshape's output shares its input's bytes.

use crate::ir::Model;
use tinybench_kernels::graph::LayerOp;

/// Arena offsets are multiples of this.
pub const ALIGN: usize = 4;

/// Where every activation tensor lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Offset of each tensor of the model (`None` for constants and unused tensors).
    pub offsets: Vec<Option<usize>>,
    /// Peak arena size in bytes.
    pub arena_bytes: usize,
    /// Bytes of tensors alive while each node runs (its inputs, output and everything
    /// kept for later), per node.
    pub live_bytes: Vec<usize>,
}

/// One buffer: a tensor and the reshapes that alias it.
struct Buffer {
    root: usize,
    len: usize,
    first: usize,
    last: usize,
}

/// Plan the arena of `model`.
pub fn plan(model: &Model) -> Plan {
    let n = model.tensors.len();
    // root[t]: the tensor whose bytes t uses (itself, or a reshape's input's root).
    let mut root: Vec<usize> = (0..n).collect();
    for node in &model.nodes {
        if node.op == LayerOp::Reshape {
            root[node.output] = root[node.inputs[0]];
        }
    }
    let end = model.nodes.len();
    let mut span: Vec<Option<(usize, usize)>> = vec![None; n];
    let mut touch = |t: usize, at: usize| {
        let r = root[t];
        let s = span[r].get_or_insert((at, at));
        s.0 = s.0.min(at);
        s.1 = s.1.max(at);
    };
    for &t in &model.inputs {
        touch(t, 0);
    }
    for &t in &model.outputs {
        touch(t, end);
    }
    for (i, node) in model.nodes.iter().enumerate() {
        for &t in node.inputs.iter().chain([&node.output]) {
            touch(t, i);
        }
    }
    let mut buffers: Vec<Buffer> = span
        .iter()
        .enumerate()
        .filter_map(|(r, s)| {
            let (first, last) = (*s)?;
            // Bytes: an int16 tensor (16x8 models) takes two per element.
            let len = model.tensors[r].as_ref()?.bytes();
            Some(Buffer {
                root: r,
                len,
                first,
                last,
            })
        })
        .collect();
    buffers.sort_by(|a, b| b.len.cmp(&a.len).then(a.first.cmp(&b.first)));
    let mut placed: Vec<(usize, usize, usize, usize)> = Vec::new(); // offset, len, first, last
    let mut at = vec![None; n];
    for b in &buffers {
        let mut busy: Vec<(usize, usize)> = placed
            .iter()
            .filter(|p| p.2 <= b.last && b.first <= p.3)
            .map(|p| (p.0, p.0 + p.1))
            .collect();
        busy.sort_unstable();
        let mut offset = 0;
        for (lo, hi) in busy {
            if offset + b.len <= lo {
                break;
            }
            offset = offset.max(hi.next_multiple_of(ALIGN));
        }
        placed.push((offset, b.len, b.first, b.last));
        at[b.root] = Some(offset);
    }
    let offsets: Vec<Option<usize>> = (0..n)
        .map(|t| model.tensors[t].as_ref().and(at[root[t]]))
        .collect();
    let arena_bytes = placed
        .iter()
        .map(|p| p.0 + p.1)
        .max()
        .unwrap_or(0)
        .next_multiple_of(ALIGN);
    let live_bytes = (0..end)
        .map(|i| {
            buffers
                .iter()
                .filter(|b| b.first <= i && i <= b.last)
                .map(|b| b.len)
                .sum()
        })
        .collect();
    Plan {
        offsets,
        arena_bytes,
        live_bytes,
    }
}
