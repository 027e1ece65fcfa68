#!/usr/bin/env bash
# The test entry point (README's test command; .ci/run calls it): prepare the machine,
# then run every test of the workspace. The integration tests build the real firmware
# and run it in the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
# The fuzz targets of fuzz/ (issue 19): the same seeded cases on every run (a fixed
# TINYBENCH_FUZZ_SEED, the crate's default), at most this many per target, and at most this
# many seconds each (5 targets, 2 at a time): CI fails on a change, never on the draw.
export TINYBENCH_FUZZ_CASES="${TINYBENCH_FUZZ_CASES:-3000}"
export TINYBENCH_FUZZ_SECS="${TINYBENCH_FUZZ_SECS:-60}"
cargo test --workspace --locked
