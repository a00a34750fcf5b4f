# Full validation-set loss (every non-overlapping 64-token window of nanoGPT's val.bin) of nanoGPT and Starling
# baby-GPT checkpoints, all evaluated by nanoGPT's own model.py (float32, one thread), so both engines' models are
# scored by the same code on the same 111,488 tokens. Not nanoGPT's code; it imports it from $NANOGPT (a checkout,
# see run_nanogpt.sh). Usage: NANOGPT=/tmp/nanogpt /usr/bin/python3 full_val_eval.py KIND:PATH:GELU ...
# KIND nanogpt (ckpt.pt) or starling (model.safetensors); GELU none (exact, nanoGPT since 2023-05) or tanh.
import sys, json, struct, numpy as np, torch, torch.nn as nn
import os; sys.path.insert(0, os.environ.get('NANOGPT', '/tmp/nanogpt')); from model import GPT, GPTConfig
torch.set_num_threads(1)
val = np.fromfile(os.environ.get('NANOGPT', '/tmp/nanogpt') + '/data/shakespeare_char/val.bin', dtype=np.uint16).astype(np.int64)
T = 64; n = (len(val) - 1) // T
X = torch.from_numpy(val[:n * T].reshape(n, T)); Y = torch.from_numpy(val[1:n * T + 1].reshape(n, T))
def model(gelu):
    m = GPT(GPTConfig(block_size=64, vocab_size=65, n_layer=4, n_head=4, n_embd=128, dropout=0.0, bias=False))
    for b in m.transformer.h: b.mlp.gelu = nn.GELU(approximate=gelu)
    return m.eval()
def load_starling(path):
    f = open(path, 'rb'); k = struct.unpack('<Q', f.read(8))[0]; h = json.loads(f.read(k)); base = 8 + k
    raw = open(path, 'rb').read(); sd = {}
    for name, e in h.items():
        if name == '__metadata__': continue
        a, b = e['data_offsets']; t = torch.from_numpy(np.frombuffer(raw[base + a:base + b], dtype='<f4').copy()).view(*e['shape'])
        sd['transformer.' + (name + '.weight' if name in ('wte', 'wpe') else name)] = t
    return sd
@torch.no_grad()
def evaluate(m):
    tot = 0.0
    for i in range(0, n, 128):
        _, loss = m(X[i:i + 128], Y[i:i + 128]); tot += loss.item() * len(X[i:i + 128])
    return tot / n
for spec in sys.argv[1:]:
    kind, path, gelu = spec.split(':')
    m = model(gelu)
    if kind == 'nanogpt':
        sd = torch.load(path, map_location='cpu')['model']
    else:
        sd = load_starling(path)
    missing, unexpected = m.load_state_dict(sd, strict=False)
    missing = [k for k in missing if not k.endswith('.attn.bias') and k != 'lm_head.weight']
    assert not missing and not [k for k in unexpected if not k.endswith('.attn.bias')], (missing, unexpected)
    assert m.lm_head.weight is m.transformer.wte.weight
    print(f'{spec}: full-val loss over {n} windows of {T} = {evaluate(m):.4f}', flush=True)
