#!/usr/bin/env bash
# The GPU check (issue 17): GLM-4.1V-9B and Qwen3-VL-8B at their real sizes with random weights, through
# the training code, on the GPUs present; one JSON line per check, at most 8 minutes on one large GPU.
#
#   scripts/gpu_check.sh            # PYTHON=... to choose the interpreter (default .venv's, else python3)
#
# Checks (widget2code/training/gpu_check.py says what each measures): glm (SFT steps at 8,192 tokens:
# tokens/s, MFU, peak memory; one GRPO step, G 5 × 512 new tokens, with its time split), qwen_qlora (the
# same with the NF4 base and LoRA r64 on seven projections; needs bitsandbytes), ddp and fsdp (SFT over
# every GPU through the project's strategies). A check that fails or runs out of its time prints a line
# with its error instead, and the others still run. Needs torch, transformers, peft, lightning,
# torchmetrics, tokenizers and pyyaml; no weights, no network.
set -uo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${PYTHON:-}" ]]; then
  PYTHON=python3
  [[ -x .venv/bin/python ]] && PYTHON=.venv/bin/python
fi

if ! "$PYTHON" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 3)' 2>/dev/null; then
  echo "gpu_check: needs a CUDA GPU, and torch sees none here; run it on a GPU machine. On a CPU," \
       "python -m widget2code.training.gpu_check glm --size tiny --device cpu runs the same code on tiny models." >&2
  exit 3
fi

check() {  # check SECONDS NAME: one check in its own process, bounded in time
  local seconds=$1 name=$2 status
  PYTHONUNBUFFERED=1 timeout "$seconds" "$PYTHON" -m widget2code.training.gpu_check "$name"
  status=$?
  if [[ $status -ne 0 ]]; then
    echo "{\"check\": \"$name\", \"error\": \"exit $status$([[ $status -eq 124 ]] && echo ": over ${seconds} s")\"}"
  fi
}

check 150 glm          # budget: 150 + 180 + 75 + 75 s = 8 minutes at most
check 180 qwen_qlora
check 75 ddp
check 75 fsdp
