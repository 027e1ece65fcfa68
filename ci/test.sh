#!/usr/bin/env bash
# The test entry point (README's test command; .ci/run calls it): prepare the machine,
# then run every test of the workspace. The integration tests build the real firmware
# and run it in the emulator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
cargo test --workspace --locked
