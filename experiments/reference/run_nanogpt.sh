#!/bin/bash
# Runs karpathy/nanoGPT itself (not committed here) on the baby-GPT recipe with the README's CPU command, to compare
# its validation loss with `starling train --preset baby-gpt`. Usage, from the project root:
#   experiments/reference/run_nanogpt.sh NANOGPT_GIT_DIR COMMIT SEED WORKDIR
# e.g. run_nanogpt.sh /tmp/nanoGPT.git HEAD 1337 /tmp/nanogpt (COMMIT 23a8e701 is the version whose README first
# quoted "a loss of only 1.88", 2023-02-05). Needs $PYTHON (default /usr/bin/python3) with torch and numpy
# (Debian: python3-torch 1.13.1 works unpatched; nanoGPT falls back to its own attention without
# scaled_dot_product_attention).
# Three local edits, made with python below, none of which changes training:
#   - the seed comes from NANOGPT_SEED (nanoGPT hard-codes 1337) and torch's thread count from OMP_NUM_THREADS;
#   - estimate_loss also returns the standard deviation of the per-batch losses;
#   - at the last iteration, after the usual eval_iters=20 estimate, a second estimate over 200 fresh batches.
# One thread: on the loaded 2-core box two OpenMP threads ran at 1-2 s per iteration instead of 0.1-0.2 s.
set -euo pipefail
py=${PYTHON:-/usr/bin/python3}
git_dir=$1; commit=$2; seed=$3; work=$4
shakespeare=${STARLING_SHAKESPEARE:-../shared/data/tinyshakespeare.txt}
rm -rf "$work" && mkdir -p "$work"
git --git-dir="$git_dir" archive "$commit" | tar -x -C "$work"
cp "$shakespeare" "$work/data/shakespeare_char/input.txt"   # prepare.py downloads only when input.txt is missing
(cd "$work/data/shakespeare_char" && sed -i 's/^import requests/# import requests/' prepare.py && "$py" prepare.py)
"$py" - "$work/train.py" <<'EOF'
import sys
path = sys.argv[1]; s = open(path).read()
def edit(old, new):
    global s
    assert old in s, old
    s = s.replace(old, new)
edit("torch.manual_seed(1337 + seed_offset)",
     "torch.manual_seed(int(os.environ.get('NANOGPT_SEED', '1337')) + seed_offset)\n"
     "torch.set_num_threads(int(os.environ.get('OMP_NUM_THREADS', '1')))")
edit("        out[split] = losses.mean()\n",
     "        out[split] = losses.mean()\n        out[split + '_std'] = losses.std()\n")
line = "        print(f\"step {iter_num}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}\")\n"
edit(line, line +
     "        if iter_num == max_iters:\n"
     "            _ei = eval_iters; eval_iters = 200; l200 = estimate_loss(); eval_iters = _ei\n"
     "            print(f\"step {iter_num} (200 batches): val loss {l200['val']:.4f},"
     " per-batch std {l200['val_std']:.4f}\", flush=True)\n")
open(path, 'w').write(s)
EOF
cd "$work"
NANOGPT_SEED=$seed OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} nice -n 5 "$py" -u train.py config/train_shakespeare_char.py \
    --device=cpu --compile=False --eval_iters=20 --log_interval=1 --block_size=64 --batch_size=12 --n_layer=4 \
    --n_head=4 --n_embd=128 --max_iters=2000 --lr_decay_iters=2000 --dropout=0.0 --out_dir="$work/out" \
    | grep -E '^step|^number of parameters|^num '
