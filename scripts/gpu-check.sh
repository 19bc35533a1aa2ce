#!/usr/bin/env bash
# GPU check for a machine with an NVIDIA GPU and no network, bounded in time (default 470 s < 8 min).
# Run it from a repository checkout with node_modules, or from the folder scripts/gpu-pack.sh builds (it then
# uses the Node binary carried in node/bin/node). Results: JSON files in ${GPU_RESULTS:-./gpu-results}:
#   system.json           card, driver (nvidia-smi), Node, the Vulkan ICD used
#   info-auto.json        `tpp-lab info --json` with automatic selection (webgpu expected on a real GPU)
#   info-webgpu.json      the same with TPP_BACKEND=webgpu (the adapter and its limits)
#   parity-<method>.json  tiny preset, 4 steps from seed 0 on webgpu and on wasm: losses and parameters compared
#   steps-<backend>-<method>.json  ms per training step (train-steps.ts, preset $GPU_STEPS_PRESET, batch 64)
#   bench-<backend>-<variant>.json `tpp-lab bench --json`, only where that command exists
#   torch-cuda-<variant>.json      the PyTorch reference on CUDA, where torch sees a GPU
#   summary.json          the table (also printed): ms per step by backend, ratios to PyTorch CUDA
# Environment: GPU_RESULTS, GPU_CHECK_BUDGET_S (470), GPU_STEPS_PRESET (tutorial), GPU_STEPS (20),
#   GPU_BENCH_PRESET (tutorial), GPU_BENCH_VARIANTS ("full lora mae"), TPP_TORCH_REFERENCE (the reference
#   timing script; default: scripts/torch_bench.py), PYTHON (python3),
#   VK_DRIVER_FILES (else the NVIDIA ICD is looked for), GPU_CHECK_ALLOW_SOFTWARE=1 (test run on lavapipe).
# Exit: 0 when parity passed on a hardware adapter, 1 otherwise (all steps still run and write their files).
set -uo pipefail
budget=${GPU_CHECK_BUDGET_S:-470}
if [ -z "${GPU_CHECK_INNER:-}" ]; then
  export GPU_CHECK_INNER=1
  exec timeout -k 10 "$budget" bash "$0" "$@"
fi
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ -z "${NODE:-}" ]; then
  if [ -x "$root/node/bin/node" ]; then NODE="$root/node/bin/node"; else NODE=$(command -v node); fi
fi
out=${GPU_RESULTS:-./gpu-results}
mkdir -p "$out" && out=$(cd "$out" && pwd)
deadline=$(( $(date +%s) + budget - 20 ))
status=0
log() { echo "gpu-check: $*" >&2; }

# step NAME MAX_S OUTFILE CMD...: run CMD with at most MAX_S seconds (less if the budget is running out),
# stdout into OUTFILE, stderr into OUT/NAME.log; a failure is recorded, never fatal.
step() {
  local name=$1 max=$2 file=$3; shift 3
  local left=$(( deadline - $(date +%s) ))
  [ "$left" -lt "$max" ] && max=$left
  if [ "$max" -le 5 ]; then log "$name skipped: time budget spent"; echo "{\"skipped\":\"time budget spent\"}" > "$file"; return 1; fi
  local t0=$(date +%s)
  timeout -k 5 "$max" "$@" > "$file" 2> "$out/$name.log"
  local rc=$?
  log "$name: exit $rc in $(( $(date +%s) - t0 )) s"
  [ "$rc" -eq 0 ] || { [ -s "$file" ] || echo "{\"error\":\"exit $rc\",\"log\":\"$name.log\"}" > "$file"; }
  return $rc
}

# Dawn reaches NVIDIA GPUs through Vulkan: point the loader at NVIDIA's driver manifest.
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  for f in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$f" ]; then export VK_DRIVER_FILES=$f VK_ICD_FILENAMES=$f; break; fi
  done
fi
log "node $("$NODE" --version) ($NODE); VK_DRIVER_FILES=${VK_DRIVER_FILES:-unset}; results in $out"

smi=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1 || true)
"$NODE" -e 'const [smi, icd, node] = process.argv.slice(1); const [card, driver, memory] = smi ? smi.split(", ") : [null, null, null];
  console.log(JSON.stringify({ card, driver, memory, vkDriverFiles: icd || null, node, host: require("os").hostname(), date: new Date().toISOString() }, null, 2));' \
  "$smi" "${VK_DRIVER_FILES:-}" "$("$NODE" --version)" > "$out/system.json"

cli=("$NODE" bin/tpp-lab.js)   # arrays, not functions: `timeout` runs commands
ts=("$NODE" --import tsx)
step info-auto 60 "$out/info-auto.json" "${cli[@]}" info --json
TPP_BACKEND=webgpu step info-webgpu 60 "$out/info-webgpu.json" "${cli[@]}" info --json
software=$("$NODE" -e 'try { const i = require(process.argv[1]); console.log(i.backend !== "webgpu" ? "none" : i.webgpuAdapter && i.webgpuAdapter.software ? "software" : "hardware") } catch { console.log("none") }' "$out/info-webgpu.json")
log "webgpu adapter: $software"
if [ "$software" != hardware ]; then
  status=1
  [ "${GPU_CHECK_ALLOW_SOFTWARE:-}" = 1 ] || log "WARNING: webgpu is not on a hardware GPU ($software): is the NVIDIA Vulkan ICD installed? numbers below are not GPU numbers"
fi

# Correctness: the same few steps of the project's training step (trainStep: AdamW, clipping at norm 1) on webgpu
# and wasm, compared (tolerance in scripts/train-steps.ts).
for m in lora full; do
  a=(--preset tiny --method "$m" --steps 4 --batch 16 --seed 0)
  step "parity-$m-wasm" 90 "$out/parity-$m-wasm.run.json" "${ts[@]}" scripts/train-steps.ts "${a[@]}" --backend wasm
  step "parity-$m-webgpu" 120 "$out/parity-$m-webgpu.run.json" "${ts[@]}" scripts/train-steps.ts "${a[@]}" --backend webgpu
  step "parity-$m" 30 "$out/parity-$m.json" "${ts[@]}" scripts/train-steps.ts --compare "$out/parity-$m-wasm.run.json" "$out/parity-$m-webgpu.run.json" || status=1
done

# Step times on a bigger preset (the first step, shader compilation, is excluded from the summary's median).
sp=${GPU_STEPS_PRESET:-tutorial}
for m in full lora; do
  for b in webgpu wasm; do
    step "steps-$b-$m" 90 "$out/steps-$b-$m.json" "${ts[@]}" scripts/train-steps.ts --preset "$sp" --method "$m" --steps "${GPU_STEPS:-20}" --batch 64 --backend "$b"
  done
done

# tpp-lab bench, where the command exists (performance issue).
bp=${GPU_BENCH_PRESET:-tutorial}
if "${cli[@]}" bench --help >/dev/null 2>&1; then
  for v in ${GPU_BENCH_VARIANTS:-full lora mae}; do
    for b in webgpu wasm; do
      TPP_BACKEND=$b step "bench-$b-$v" 90 "$out/bench-$b-$v.json" "${cli[@]}" bench --preset "$bp" --variant "$v" --json
    done
  done
else
  log "tpp-lab bench not available: skipped"
fi

# PyTorch on CUDA, where installed.
py=${PYTHON:-python3}
ref=${TPP_TORCH_REFERENCE:-scripts/torch_bench.py}
if command -v "$py" >/dev/null && "$py" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
  if [ -n "$ref" ]; then
    for v in ${GPU_BENCH_VARIANTS:-full lora mae}; do
      step "torch-cuda-$v" 90 "$out/torch-cuda-$v.json" "$py" scripts/torch_cuda.py "$ref" --preset "$sp" --variant "$v"
    done
  else
    log "PyTorch with CUDA found but no reference script: set TPP_TORCH_REFERENCE"
  fi
else
  log "PyTorch with CUDA not available: skipped"
fi

# Summary table.
"$NODE" - "$out" <<'JS' > "$out/summary.json"
const fs = require('fs'); const path = require('path'); const dir = process.argv[2];
const read = (f) => { try { return JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')); } catch { return null; } };
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : null; };
const sys = read('system.json') || {}; const info = read('info-webgpu.json') || {};
const rows = [];
for (const m of ['full', 'lora']) {
  const torch = read(`torch-cuda-${m}.json`);
  const torchMs = torch && typeof torch.ms_median === 'number' ? torch.ms_median : null;
  for (const b of ['webgpu', 'wasm']) {
    const r = read(`steps-${b}-${m}.json`);
    const ms = r && Array.isArray(r.stepMs) ? median(r.stepMs.slice(1)) : null;
    rows.push({ method: m, backend: (r && r.backend) || b, preset: (r && r.preset) || null, batch: (r && r.batch) || null, msPerStep: ms && +ms.toFixed(1), firstStepMs: r && Array.isArray(r.stepMs) ? +r.stepMs[0].toFixed(0) : null, ratioToTorchCuda: ms && torchMs ? +(ms / torchMs).toFixed(2) : null });
  }
  if (torchMs !== null) rows.push({ method: m, backend: 'torch-cuda', preset: torch.preset, batch: torch.config ? torch.config.batch : torch.batch, msPerStep: torchMs, firstStepMs: null, ratioToTorchCuda: 1 });
}
const parity = Object.fromEntries(['lora', 'full'].map((m) => [m, read(`parity-${m}.json`)]));
const adapter = info.webgpuAdapter || null;
console.log(JSON.stringify({ card: sys.card || null, driver: sys.driver || null, adapter, parity, rows }, null, 2));
console.error(`card ${sys.card || '?'}, driver ${sys.driver || '?'}, webgpu adapter ${adapter ? `${adapter.vendor} ${adapter.description}${adapter.software ? ' (software)' : ''}` : 'none'}`);
for (const [m, p] of Object.entries(parity)) console.error(`parity ${m}: ${p && 'ok' in p ? (p.ok ? 'ok' : 'FAILED') + ` (loss ${p.maxLossDiff}, params ${p.maxParamDiff})` : 'not run'}`);
console.error('method  backend     preset    batch  ms/step  first step ms  x torch-cuda');
for (const r of rows) console.error(`${r.method.padEnd(8)}${String(r.backend).padEnd(12)}${String(r.preset).padEnd(10)}${String(r.batch).padEnd(7)}${String(r.msPerStep).padEnd(9)}${String(r.firstStepMs).padEnd(15)}${r.ratioToTorchCuda ?? ''}`);
JS
log "done: $(ls "$out" | grep -c '\.json$') JSON files in $out"
exit $status
