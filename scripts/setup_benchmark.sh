#!/usr/bin/env bash
# Fetch the Widget2Code benchmark's test screenshots and lay them out for scripts/evaluate.py:
#
#   scripts/setup_benchmark.sh [DEST]                 # download (needs internet), DEST=data/widget2code-benchmark
#   scripts/setup_benchmark.sh --from COPY [DEST]     # lay out a copy fetched elsewhere (its test/ folder)
#   python scripts/evaluate.py references.dir=DEST/GT predictor=tsx_dir predictor.dir=YOUR_TSX
#
# Source: the Hugging Face dataset Djanghao/widget2code-benchmark (folder test/, 1,000 screenshots),
# linked from github.com/Djanghao/widget2code. HF_ENDPOINT and HF_TOKEN are honoured.
# Result: DEST/GT/gt_XXXX.<ext>, flat, XXXX the first 4-digit run of each original file name (the official
# evaluator's rule; files without one are numbered after the highest id), and DEST/GT/ids.tsv mapping
# each id to its original file. The file count is checked against W2C_BENCHMARK_COUNT (default 1000).
# Exit status: 0 done (or already laid out), 1 the source cannot be reached or the download failed,
# 2 bad usage or an unexpected layout (wrong count, duplicate ids).
set -euo pipefail

REPO="${W2C_BENCHMARK_REPO:-Djanghao/widget2code-benchmark}"
EXPECTED="${W2C_BENCHMARK_COUNT:-1000}"
ENDPOINT="${HF_ENDPOINT:-https://huggingface.co}"
TIMEOUT_S="${W2C_CONNECT_TIMEOUT_S:-10}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY=python3

COPY=""
if [ "${1:-}" = "--from" ]; then
  [ -n "${2:-}" ] || { echo "error: --from needs the folder of a downloaded copy" >&2; exit 2; }
  COPY="$2"
  shift 2
fi
DEST="${1:-$ROOT/data/widget2code-benchmark}"
GT="$DEST/GT"

count_images() { find "$1" -maxdepth 1 -type f \( -iname '*.png' -o -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.webp' \) | wc -l; }

if [ -d "$GT" ] && [ "$(count_images "$GT")" -eq "$EXPECTED" ]; then
  echo "benchmark already laid out: $GT ($EXPECTED screenshots)"
  exit 0
fi

if [ -z "$COPY" ]; then
  url="$ENDPOINT/api/datasets/$REPO"
  status="$(curl -sS -o /dev/null -w '%{http_code}' --connect-timeout "$TIMEOUT_S" --max-time $((2 * TIMEOUT_S)) \
    ${HF_TOKEN:+-H "Authorization: Bearer $HF_TOKEN"} "$url" 2>/dev/null)" || status="unreachable"
  if [ "$status" != "200" ]; then
    echo "error: cannot reach the Widget2Code benchmark at $url ($status). It needs internet access:" \
         "run this script on a connected machine, or download the dataset $REPO (folder test/) elsewhere" \
         "and lay it out here with: $0 --from THAT_COPY $DEST" >&2
    exit 1
  fi
  COPY="$DEST/download"
  echo "downloading $REPO (test/) from $ENDPOINT into $COPY ..."
  if ! "$PY" - "$REPO" "$COPY" <<'EOF'
import sys
from huggingface_hub import snapshot_download

snapshot_download(repo_id=sys.argv[1], repo_type="dataset", allow_patterns=["test/*", "test/**/*"],
                  local_dir=sys.argv[2])
EOF
  then
    echo "error: downloading $REPO failed (see above); rerun to resume" >&2
    exit 1
  fi
fi

SOURCE="$COPY/test"
[ -d "$SOURCE" ] || SOURCE="$COPY"
if ! "$PY" - "$SOURCE" "$GT" "$EXPECTED" <<'EOF'
import re
import shutil
import sys
from pathlib import Path

source, gt, expected = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
images = sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp"))
if len(images) != expected:
    sys.exit(f"error: {source} holds {len(images)} screenshots, expected {expected} "
             "(set W2C_BENCHMARK_COUNT if the benchmark changed)")
ids: dict[str, Path] = {}
unnamed = []
for path in images:
    match = re.search(r"\d{4}", path.name)
    if match is None:
        unnamed.append(path)
    elif match.group(0) in ids:
        sys.exit(f"error: {ids[match.group(0)].name} and {path.name} share the id {match.group(0)}")
    else:
        ids[match.group(0)] = path
next_id = max((int(i) for i in ids), default=0) + 1
for path in unnamed:
    ids[f"{next_id:04d}"] = path
    next_id += 1
if next_id > 10000:
    sys.exit("error: more than 9999 ids; the official layout has 4-digit ids")
tmp = gt.with_name(gt.name + ".tmp")
shutil.rmtree(tmp, ignore_errors=True)
tmp.mkdir(parents=True)
for image_id, path in sorted(ids.items()):
    shutil.copyfile(path, tmp / f"gt_{image_id}{path.suffix.lower()}")
(tmp / "ids.tsv").write_text("".join(f"{i}\t{p.relative_to(source)}\n" for i, p in sorted(ids.items())))
shutil.rmtree(gt, ignore_errors=True)
tmp.rename(gt)
print(f"laid out {len(ids)} screenshots in {gt}")
EOF
then
  exit 2
fi
echo "evaluate with: python scripts/evaluate.py references.dir=$GT predictor=tsx_dir predictor.dir=YOUR_TSX_FOLDER"
