#!/usr/bin/env bash
# The test entry point (README's test command; .ci/run calls it): prepare the machine,
# then run every test of the workspace. The integration tests build the real firmware
# and run it in the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
# The fuzz targets of fuzz/ (issue 19) run this many seconds each (5 targets, 2 at a time).
export TINYBENCH_FUZZ_SECS="${TINYBENCH_FUZZ_SECS:-20}"
cargo test --workspace --locked
