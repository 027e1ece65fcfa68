#!/usr/bin/env bash
# Installs what building and testing tinybench needs on a fresh Debian/Ubuntu machine:
#  - cmake, clang/libclang, pkg-config, patch: unicorn-engine (the emulator backend) builds C
#    with cmake (ci/unicorn.sh: with tinybench's patch) and
#    generates its bindings with bindgen;
#  - chromium: headless, for the HTML dashboard test (tinybench report --html);
#  - qemu-system-misc, gdb-multiarch, qemu-system-arm: QEMU's RV32 and Cortex-M4 instruction
#    counts, the emulator's cross-check (the ARM one builds a QEMU plugin with cc);
#  - uhubctl on HIL runners (TINYBENCH_HIL=1): USB hub port power for the power-cycle hook;
#  - the firmware targets' standard libraries (rustup target add);
#  - python3-lxml: the JUnit export's schema check (harness/tests/reports.rs).
# TINYBENCH_SETUP_MINIMAL=1 (the benchmark jobs of ci/github/) installs only what running
# benchmarks needs: no chromium, no python3-lxml, no LiteRT venv (those serve the tests).
# Idempotent: installs only what is missing. Without root (or sudo) it prints the command.
set -euo pipefail

# A full test run (debug build, firmware for every core, the release binary) writes about
# NEED_GB to target/; a full disk shows up later as a baffling "linking with cc failed".
NEED_GB=8
free_kb=$(df -Pk "$(dirname "$0")/.." | awk 'NR==2 {print $4}')
if [ -n "$free_kb" ] && [ "$free_kb" -lt $((NEED_GB * 1024 * 1024)) ]; then
  echo "ci/setup.sh: warning: only $((free_kb / 1024 / 1024)) GiB free here; a full build and test run needs about ${NEED_GB} GiB" >&2
fi

need_apt=()
command -v cmake >/dev/null 2>&1 || need_apt+=(cmake)
command -v clang >/dev/null 2>&1 || need_apt+=(clang)
ls /usr/lib/llvm-*/lib/libclang*.so* >/dev/null 2>&1 || need_apt+=(libclang-dev)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v patch >/dev/null 2>&1 || need_apt+=(patch)
minimal=${TINYBENCH_SETUP_MINIMAL:-0}
if [ "$minimal" != 1 ]; then
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need_apt+=(chromium)
  # Debian's python3-lxml is for the system Python (the test also tries /usr/bin/python3).
  py=/usr/bin/python3; [ -x "$py" ] || py=python3
  "$py" -c 'import lxml.etree' >/dev/null 2>&1 || need_apt+=(python3-lxml)
  # QEMU and gdb-multiarch: the independent cross-check of the emulator's RV32 counts
  # (harness/tests/cores.rs rv32_smoke_and_kernels_counts_equal_qemus_exactly).
  command -v qemu-system-riscv32 >/dev/null 2>&1 || need_apt+=(qemu-system-misc)
  command -v gdb-multiarch >/dev/null 2>&1 || need_apt+=(gdb-multiarch)
  # ... and of its Cortex-M4 counts (cores.rs cortex_m4_smoke_and_kernels_counts_equal_qemus_exactly).
  command -v qemu-system-arm >/dev/null 2>&1 || need_apt+=(qemu-system-arm)
fi
# Hardware-in-the-loop runners (TINYBENCH_HIL=1, set by ci/github/hil.yml): uhubctl for the
# runner config's power-cycle hook (docs/ci.md).
if [ "${TINYBENCH_HIL:-0}" = 1 ]; then command -v uhubctl >/dev/null 2>&1 || need_apt+=(uhubctl); fi

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else SUDO=none; fi
  if [ "$SUDO" = none ]; then
    echo "tinybench needs: apt-get install ${need_apt[*]} (run it as root)" >&2
    exit 1
  fi
  echo "ci/setup.sh: installing ${need_apt[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

targets=(thumbv6m-none-eabi thumbv7m-none-eabi thumbv7em-none-eabihf thumbv8m.main-none-eabihf riscv32imac-unknown-none-elf riscv32imc-unknown-none-elf)
if command -v rustup >/dev/null 2>&1; then
  installed=$(rustup target list --installed)
  missing=()
  for t in "${targets[@]}"; do grep -qx "$t" <<<"$installed" || missing+=("$t"); done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "ci/setup.sh: rustup target add ${missing[*]}" >&2
    rustup target add "${missing[@]}"
  fi
else
  echo "ci/setup.sh: no rustup; firmware builds will use a build-std toolchain if present (tinybench doctor)" >&2
fi

# The emulator's unicorn, built with tinybench's patch (ci/unicorn.sh, docs/emulator.md).
bash "$(dirname "$0")/unicorn.sh"

# The LiteRT oracle (tools/litert/README.md): a Python venv at target/litert-venv with the
# pinned requirements, for harness/tests/litert_oracle.rs. Rebuilt only when missing or
# when requirements.txt changed (the stamp holds the sha256 of the one it was built from).
if [ "$minimal" = 1 ]; then exit 0; fi
root=$(cd "$(dirname "$0")/.." && pwd)
venv=$root/target/litert-venv
req=$root/tools/litert/requirements.txt
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
  command -v python3 >/dev/null 2>&1 || { echo "ci/setup.sh: the LiteRT oracle needs python3 (3.9-3.13)" >&2; exit 1; }
  echo "ci/setup.sh: creating $venv from $req" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  echo "$want" >"$venv/.requirements.sha256"
fi
