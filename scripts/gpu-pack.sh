#!/usr/bin/env bash
# Assemble what scripts/gpu-check.sh needs on a GPU machine without network: this Node binary (stripped), the
# runtime node_modules only (tfjs, its wasm and webgpu backends, Dawn's build for this platform, tsx), and the
# repository's bin/, src/, scripts/, package.json and tsconfig.json. Writes the folder and a .tar.gz of it, and
# prints both sizes (the tarball must stay under 64 MiB).
#
#   scripts/gpu-pack.sh [OUT_DIR]        default ./build/gpu-pack  (tarball: OUT_DIR.tar.gz)
#
# On the GPU machine:  tar xzf gpu-pack.tar.gz && gpu-pack/scripts/gpu-check.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$repo/build/gpu-pack}")
node_bin=$(readlink -f "$(command -v node)")
rm -rf "$out" "$out.tar.gz"
mkdir -p "$out/node/bin"

cp "$node_bin" "$out/node/bin/node"
# Debug symbols are most of a distribution's node binary; strip them when we can (still the same program).
if command -v strip >/dev/null; then strip "$out/node/bin/node" 2>/dev/null || true; fi

cp -r "$repo/bin" "$repo/src" "$repo/package.json" "$repo/tsconfig.json" "$out/"
mkdir -p "$out/scripts"
cp "$repo/scripts/gpu-check.sh" "$repo/scripts/train-steps.ts" "$repo/scripts/torch_cuda.py" "$repo/scripts/torch_bench.py" "$repo/scripts/torch_blas.py" "$repo/scripts/torch_vit.py" "$out/scripts/"

# The dependency closure of the runtime roots, read from the installed package.json files, copied with what
# Node needs at run time only (no source maps, typings, docs, ES-module trees the Node entry points don't load).
"$node_bin" - "$repo" "$out" <<'EOF'
const fs = require('fs');
const path = require('path');
const [repo, out] = process.argv.slice(2);
const roots = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu', 'webgpu', 'tsx'];
// Dependencies that only tfjs's command-line tools and browser bundles load (the Node bundles never require them).
const skip = new Set(['core-js', 'regenerator-runtime', 'yargs', 'chalk', 'argparse']);
const seen = new Map(); // package dir (absolute) -> true
function resolveDir(name, fromDir) {
  for (let d = fromDir; ; d = path.dirname(d)) {
    const p = path.join(d, 'node_modules', name);
    if (fs.existsSync(path.join(p, 'package.json'))) return p;
    if (d === path.dirname(d)) return null;
  }
}
function visit(dir) {
  if (seen.has(dir)) return;
  seen.set(dir, true);
  const pj = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  for (const dep of Object.keys({ ...pj.dependencies, ...pj.optionalDependencies })) {
    if (skip.has(dep)) continue;
    const d = resolveDir(dep, dir);
    if (d) visit(d); // absent optional dependencies (other platforms' esbuild builds) are skipped
  }
}
for (const r of roots) visit(resolveDir(r, repo));
const platformDir = `${process.platform}-${process.platform === 'darwin' ? 'universal' : process.arch}`;
const drop = (rel) => /\.(map|d\.ts|d\.mts|d\.cts|md|markdown)$/i.test(rel) && !/LICENSE/i.test(rel);
function keep(pkgName, pj, rel) {
  if (drop(rel)) return false;
  if (pkgName === 'esbuild' && rel === path.join('bin', 'esbuild')) return false; // the CLI; the API runs @esbuild/<platform>'s copy
  if (pkgName === 'webgpu') return !rel.startsWith('dist/') || rel.startsWith(`dist/${platformDir}/`);
  if (pkgName.startsWith('@tensorflow/') && rel.startsWith('dist/')) {
    // tfjs packages ship many bundles; Node loads `main` (one CommonJS bundle) and the wasm binaries.
    return rel === path.normalize(pj.main) || rel.endsWith('.wasm');
  }
  if (pkgName.startsWith('@webgpu/types') || pkgName.startsWith('@types/')) return rel === 'package.json';
  return true;
}
function copyTree(src, dst, pkgName, pj, base = src) {
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const s = path.join(src, e.name);
    const rel = path.relative(base, s);
    if (e.isDirectory()) {
      if (e.name === 'node_modules') continue; // nested packages are visited on their own
      copyTree(s, path.join(dst, e.name), pkgName, pj, base);
    } else if (keep(pkgName, pj, rel)) {
      fs.mkdirSync(dst, { recursive: true });
      fs.copyFileSync(s, path.join(dst, e.name));
      fs.chmodSync(path.join(dst, e.name), fs.statSync(s).mode);
    }
  }
}
for (const dir of seen.keys()) {
  const pj = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  copyTree(dir, path.join(out, path.relative(repo, dir)), pj.name, pj);
}
console.log(`gpu-pack: ${seen.size} packages`);
EOF

tar -C "$(dirname "$out")" -czf "$out.tar.gz" "$(basename "$out")"
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
echo "gpu-pack: folder $out $(mib "$(du -sb "$out" | cut -f1)") (node $(mib "$(stat -c %s "$out/node/bin/node")"), node_modules $(mib "$(du -sb "$out/node_modules" | cut -f1)"))"
echo "gpu-pack: tarball $out.tar.gz $(mib "$(stat -c %s "$out.tar.gz")")"
