#!/usr/bin/env bash
# The GPU check of issue 10: gpo's ILGPU engine against the CPU engine and against PyTorch on one NVIDIA GPU.
#
#   scripts/gpu-check.sh --publish            where the .NET SDK is: builds artifacts/gpu-check/gpo (self-contained
#                                             linux-x64 single file, no .NET needed to run it), checks it fits in 64 MiB
#   scripts/gpu-check.sh                      on the GPU machine (NVIDIA driver, PyTorch with CUDA in python3 or $PYTHON;
#                                             no .NET): parity on cuda, one training step timed at `gpo bench`'s shape and
#                                             at 32 groups x dim_x 4096 x (100 + 100) questions of 4 options, for gpo on cuda,
#                                             gpo's CPU engine and PyTorch eager on cuda; a table last. Under 8 minutes.
#   scripts/gpu-check.sh --device ilgpu-cpu   a dry run of the same sequence without a GPU: ILGPU's CPU accelerator instead
#                                             of cuda, tiny shapes, PyTorch on the CPU when it can be imported.
set -uo pipefail
cd "$(dirname "$0")/.."
device=cuda
publish=0
while [ $# -gt 0 ]; do
  case "$1" in
    --publish) publish=1 ;;
    --device) device="${2:?--device needs cuda or ilgpu-cpu}"; shift ;;
    *) echo "usage: scripts/gpu-check.sh [--publish] [--device cuda|ilgpu-cpu]" >&2; exit 2 ;;
  esac
  shift
done
case "$device" in cuda|ilgpu-cpu) ;; *) echo "gpu-check: --device must be cuda or ilgpu-cpu, not '$device'" >&2; exit 2 ;; esac

out_dir=artifacts/gpu-check/gpo
bin="$out_dir/Gpo.Cli"
if [ "$publish" = 1 ]; then
  rm -rf "$out_dir"
  dotnet publish lib/Gpo.Cli/Gpo.Cli.csproj -c Release -r linux-x64 --self-contained true -nologo \
    -p:PublishSingleFile=true -p:EnableCompressionInSingleFile=true -p:IncludeNativeLibrariesForSelfExtract=true \
    -p:DebugType=none -o "$out_dir" || exit 1
  rm -f "$out_dir"/*.xml "$out_dir"/*.pdb
  mkdir -p artifacts/gpu-check/tools
  cp tools/gpo_gpu_bench.py tools/gpo_reference.py artifacts/gpu-check/tools/
  bytes=$(du -sb artifacts/gpu-check | cut -f1)
  echo "gpu-check: artifacts/gpu-check holds $((bytes / 1024 / 1024)) MiB ($bytes bytes)"
  if [ "$bytes" -gt $((64 * 1024 * 1024)) ]; then echo "gpu-check: more than 64 MiB" >&2; exit 1; fi
  exit 0
fi

[ -x "$bin" ] || { echo "gpu-check: $bin is missing: run scripts/gpu-check.sh --publish where the .NET SDK is" >&2; exit 2; }
python="${PYTHON:-python3}"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
# The single-file host extracts its native parts here (a fresh machine may have no writable home).
export DOTNET_BUNDLE_EXTRACT_BASE_DIR="${DOTNET_BUNDLE_EXTRACT_BASE_DIR:-$results/extract}" DOTNET_CLI_TELEMETRY_OPTOUT=1

if [ "$device" = cuda ]; then
  shapes=("bench 8 55 4 384 20 5 5 2" "large 32 100 4 4096 10 3 2 1"); torch_device=cuda; architecture=(); slow=1
else
  # The dry run: tiny shapes, a 1-layer d_model 16 model for the timings, and long timeouts (ILGPU's CPU accelerator is slow).
  shapes=("bench 2 3 4 8 1 0 1 0" "large 2 4 4 16 1 0 1 0"); torch_device=cpu; architecture=(--width 16 --layers 1); slow=8
fi

step() { echo "== $*" >&2; }
step "gpo version"
timeout 60 "$bin" version | tee "$results/version.txt"

step "parity on $device (loss, every gradient, predictions, three Adam steps vs the CPU engine)"
timeout $((120 * slow)) "$bin" bench --parity --device "$device" > "$results/parity.json"; echo "exit $?" >&2

torch_shapes=()
for entry in "${shapes[@]}"; do
  read -r name groups questions options dim steps warmup cpu_steps cpu_warmup <<< "$entry"
  torch_shapes+=(--shape "$groups,$questions,$options,$dim")
  step "gpo bench --device $device at $name ($groups groups, $questions+$questions questions of $options, dim_x $dim)"
  timeout $((90 * slow)) "$bin" bench --device "$device" --groups "$groups" --questions "$questions" --options "$options" --dim-x "$dim" \
    --steps "$steps" --warmup "$warmup" "${architecture[@]}" > "$results/gpo-$name.json"; echo "exit $?" >&2
  step "gpo bench --device cpu at $name"
  timeout 120 "$bin" bench --device cpu --groups "$groups" --questions "$questions" --options "$options" --dim-x "$dim" \
    --steps "$cpu_steps" --warmup "$cpu_warmup" "${architecture[@]}" > "$results/cpu-$name.json"; echo "exit $?" >&2
done

step "PyTorch ($python) on $torch_device"
tools=tools
[ -f "$tools/gpo_gpu_bench.py" ] || tools=artifacts/gpu-check/tools
if "$python" -c "import torch" 2>/dev/null; then
  read -r _ _ _ _ _ steps warmup _ _ <<< "${shapes[0]}"
  timeout 150 "$python" "$tools/gpo_gpu_bench.py" --device "$torch_device" --steps "$steps" --warmup "$warmup" "${torch_shapes[@]}" > "$results/torch.jsonl"
  echo "exit $?" >&2
else
  echo '{"error": "python cannot import torch"}' > "$results/torch.jsonl"
fi

"$python" - "$results" "$device" <<'PY'
import json, sys
from pathlib import Path
results, device = Path(sys.argv[1]), sys.argv[2]

def load(name):
    try:
        return json.loads((results / name).read_text())
    except Exception as e:  # a step that failed or timed out
        return {"error": f"{name}: {type(e).__name__}"}

parity = load("parity.json")
torch_rows = {}
torch_info = {}
try:
    for line in (results / "torch.jsonl").read_text().splitlines():
        row = json.loads(line)
        if "shape" in row: torch_rows[row["shape"]] = row
        else: torch_info.update(row)
except Exception as e:
    torch_info["error"] = f"torch.jsonl: {type(e).__name__}"
ceiling = torch_info.get("float32_matmul_gflops")

print()
checks = parity.get("checks", [])
worst = max((c["relative_l2"] for c in checks if c.get("tolerance") is not None), default=float("nan"))
print(f"parity on {device}: {'PASSED' if parity.get('passed') else 'FAILED'} ({len(checks)} checks, worst relative L2 {worst:.2e}, bound 1e-5)"
      + (f" [{parity['error']}]" if "error" in parity else ""))
for c in checks:
    if not c["passed"]: print(f"  failed: {c['config']} {c['quantity']}: {c['relative_l2']:.2e}")
    elif c.get("tolerance") is None: print(f"  reference: {c['config']} {c['quantity']}: {c['relative_l2']:.2e}")
print(f"PyTorch {torch_info.get('torch', '?')} on {torch_info.get('gpu', '?')}; float32 matmul ceiling {ceiling} GFLOP/s (TF32 off)"
      + (f" [{torch_info['error']}]" if "error" in torch_info else ""))
print()
print(f"| shape | gpo {device} s/step | gpo GFLOP/s | % of ceiling | gpo cpu engine s/step | speed-up vs cpu | torch eager (reference) s/step | torch eager (context-only) s/step |")
print("|---|---|---|---|---|---|---|---|")
for name in ("bench", "large"):
    gpo, cpu = load(f"gpo-{name}.json"), load(f"cpu-{name}.json")
    shape = gpo.get("shape") or cpu.get("shape") or {}
    key = f"{shape.get('groups')},{shape.get('context_tokens_per_group', 0) // max(shape.get('options_per_question', 1), 1)},{shape.get('options_per_question')},{shape.get('dim_x')}"
    t = torch_rows.get(key, {})
    fmt = lambda v: "–" if v is None else f"{v:.4g}"
    g, c = gpo.get("sec_per_step"), cpu.get("sec_per_step")
    pct = None if gpo.get("gflops") is None or not ceiling else 100 * gpo["gflops"] / ceiling
    print(f"| {name} ({key}) | {fmt(g)} | {fmt(gpo.get('gflops'))} | {fmt(pct)} | {fmt(c)} | {fmt(c / g if g and c else None)}× | "
          f"{fmt(t.get('torch_reference_sec_per_step'))} | {fmt(t.get('torch_context_sec_per_step'))} |")
print()
print("Every step includes copying the batch from host memory to the device; medians over the timed steps.")
PY
