#!/usr/bin/env bash
# Builds the emulator's unicorn library with tinybench's patch (harness/emu/unicorn/,
# docs/emulator.md "The patched unicorn") into target/unicorn, where .cargo/config.toml
# points unicorn-engine-sys's pkg-config probe. The source is the crates.io package
# unicorn-engine-sys (the version Cargo.lock pins, from cargo's own registry cache), so
# nothing is downloaded from anywhere else. Without this library cargo builds the crate's
# stock unicorn: the same counts, about 1.8x slower on DSP-heavy firmware (VWW, docs/emulator.md).
#
# Idempotent: rebuilds only when the patch, the pinned version or this script changed
# (the stamp holds their sha256). Called by ci/setup.sh; about 2 minutes on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
patch_file=$root/harness/emu/unicorn/fast-exits.patch
dest=$root/target/unicorn
archs="arm;riscv" # the workspace's unicorn-engine features (Cargo.toml)

manifest=$(cargo metadata --format-version 1 --locked 2>/dev/null |
  grep -o '"manifest_path":"[^"]*/unicorn-engine-sys-[0-9.]*/Cargo.toml"' | head -1 |
  sed 's/^"manifest_path":"//; s/"$//')
if [ -z "$manifest" ] || [ ! -f "$manifest" ]; then
  echo "ci/unicorn.sh: cannot find unicorn-engine-sys's source through 'cargo metadata' (is crates.io reachable?)" >&2
  exit 1
fi
src=$(dirname "$manifest")
want=$(cat "$patch_file" "$0" <(echo "$src $archs") | sha256sum | cut -d' ' -f1)
if [ -f "$dest/lib/libunicorn.a" ] && [ "$(cat "$dest/.stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

echo "ci/unicorn.sh: building $(basename "$src") with harness/emu/unicorn/fast-exits.patch into target/unicorn" >&2
work=$root/target/unicorn-build
rm -rf "$dest" "$work"
mkdir -p "$work"
cp -a "$src" "$work/src"
patch -d "$work/src" -p1 --quiet --forward <"$patch_file"
# -fPIC: the library is linked into Rust's position-independent executables (the cmake
# crate passes the same flag when unicorn-engine-sys builds it).
cmake -S "$work/src" -B "$work/obj" -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-fPIC \
  -DUNICORN_ARCH="$archs" -DUNICORN_BUILD_TESTS=OFF -DUNICORN_INSTALL=ON \
  -DCMAKE_INSTALL_PREFIX="$dest" -DCMAKE_INSTALL_LIBDIR=lib >"$work/cmake.log" 2>&1 ||
  { tail -20 "$work/cmake.log" >&2; exit 1; }
cmake --build "$work/obj" -j "$(nproc)" >"$work/build.log" 2>&1 ||
  { tail -30 "$work/build.log" >&2; exit 1; }
cmake --install "$work/obj" >/dev/null
# Only the static library is linked (unicorn-engine-sys asks for static=unicorn).
rm -f "$dest"/lib/libunicorn.so*
echo "tinybench_patch=fast-exits" >>"$dest/lib/pkgconfig/unicorn.pc"
rm -rf "$work"
# Target directories whose unicorn-engine-sys was built before (with the crate's own
# library): its build script runs again only when its sources change, so drop its output.
cargo clean --quiet -p unicorn-engine-sys 2>/dev/null || true
cargo clean --quiet --release -p unicorn-engine-sys 2>/dev/null || true
echo "$want" >"$dest/.stamp"
