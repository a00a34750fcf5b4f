# The baby-GPT recipe of issue 3 in PyTorch (written for Starling, not nanoGPT's code), as a reference for what the
# recipe itself reaches when the validation loss is averaged over 200 batches, as `starling train --preset baby-gpt`
# measures it. Usage: python3 baby_gpt_torch.py SEED [none|tanh] [THREADS] (Debian: apt-get install python3-torch).
# Run it from the project root (it reads ../shared/data/tinyshakespeare.txt), or set STARLING_SHAKESPEARE to the file.
import os, math, sys, time, torch, torch.nn as nn, torch.nn.functional as F
seed = int(sys.argv[1]) if len(sys.argv) > 1 else 1337
gelu_approx = sys.argv[2] if len(sys.argv) > 2 else 'none'
torch.manual_seed(seed); torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
text = open(os.environ.get('STARLING_SHAKESPEARE', '../shared/data/tinyshakespeare.txt')).read()
chars = sorted(set(text)); stoi = {c: i for i, c in enumerate(chars)}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
n = int(0.9 * len(data)); train, val = data[:n], data[n:]
V, T, L, H, C, B = len(chars), 64, 4, 4, 128, 12
MASK = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
def batch(d):
    ix = torch.randint(len(d) - T, (B,))
    return torch.stack([d[i:i+T] for i in ix]), torch.stack([d[i+1:i+1+T] for i in ix])
class Blk(nn.Module):
    def __init__(s):
        super().__init__()
        s.ln1 = nn.LayerNorm(C, bias=False) if 'bias' in nn.LayerNorm.__init__.__code__.co_varnames else nn.LayerNorm(C)
        s.qkv = nn.Linear(C, 3*C, bias=False); s.proj = nn.Linear(C, C, bias=False)
        s.ln2 = nn.LayerNorm(C); s.fc = nn.Linear(C, 4*C, bias=False); s.fc2 = nn.Linear(4*C, C, bias=False)
    def forward(s, x):
        q, k, v = s.qkv(s.ln1(x)).split(C, dim=2)
        sh = lambda t: t.view(x.size(0), T, H, C // H).transpose(1, 2)
        q, k, v = sh(q), sh(k), sh(v); a = (q @ k.transpose(-2, -1)) / math.sqrt(C // H)
        a = a.masked_fill(MASK, float('-inf')).softmax(-1); y = a @ v
        x = x + s.proj(y.transpose(1, 2).reshape(x.size(0), T, C))
        return x + s.fc2(F.gelu(s.fc(s.ln2(x)), approximate=gelu_approx))
class Gpt(nn.Module):
    def __init__(s):
        super().__init__()
        s.wte = nn.Embedding(V, C); s.wpe = nn.Embedding(T, C)
        s.blocks = nn.ModuleList(Blk() for _ in range(L)); s.lnf = nn.LayerNorm(C)
        s.head = nn.Linear(C, V, bias=False); s.head.weight = s.wte.weight
        for name, p in s.named_parameters():
            if p.dim() >= 2: nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * L) if name.endswith(('proj.weight', 'fc2.weight')) else 0.02)
    def forward(s, idx, tgt):
        x = s.wte(idx) + s.wpe(torch.arange(T))
        for b in s.blocks: x = b(x)
        logits = s.head(s.lnf(x))
        return F.cross_entropy(logits.view(-1, V), tgt.view(-1))
m = Gpt()
# LayerNorm biases exist in torch 1.13 (no bias=False); zero and freeze them to match a bias-free model.
for mod in m.modules():
    if isinstance(mod, nn.LayerNorm) and mod.bias is not None: mod.bias.requires_grad_(False)
decay = [p for p in m.parameters() if p.requires_grad and p.dim() >= 2]
nodecay = [p for p in m.parameters() if p.requires_grad and p.dim() < 2]
opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.1}, {'params': nodecay, 'weight_decay': 0.0}], lr=1e-3, betas=(0.9, 0.99))
def lr_at(it):
    if it < 100: return 1e-3 * (it + 1) / 101
    r = (it - 100) / 1900; return 1e-4 + 0.5 * (1 + math.cos(math.pi * r)) * 9e-4
t0 = time.time()
for it in range(2000):
    for g in opt.param_groups: g['lr'] = lr_at(it)
    x, y = batch(train); loss = m(x, y); opt.zero_grad(set_to_none=True); loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0); opt.step()
    if it % 500 == 0: print(it, loss.item(), flush=True)
with torch.no_grad():
    vl = sum(m(*batch(val)).item() for _ in range(200)) / 200
print({'seed': seed, 'gelu': gelu_approx, 'val_loss': round(vl, 4), 'wall_s': round(time.time() - t0, 1)}, flush=True)
