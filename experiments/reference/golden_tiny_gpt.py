# Golden values for Starling's engine, computed in float64 with PyTorch from a definition written here (not nanoGPT's
# code): a tiny GPT-2 (vocab 11, block 8, 2 layers, 2 heads, 16 channels, biases, tanh GELU, tied head) with weights
# drawn from a fixed seed, its mean cross-entropy loss and every gradient on one batch, and the parameters after
# three AdamW steps (decay on 2-D tensors only, global-norm clip 1.0) on three batches.
# Usage, from the project root: /usr/bin/python3 experiments/reference/golden_tiny_gpt.py
# Writes training/src/test/resources/golden/tiny_gpt_{model,golden}.safetensors; GoldenGptTest reads them (CI runs no
# Python). Needs torch (Debian: apt-get install python3-torch); 1.13 is what produced the committed files.
import json, math, struct, torch
import torch.nn.functional as F

OUT = 'training/src/test/resources/golden/'
V, T, L, H, C, B = 11, 8, 2, 2, 16, 2
LRS, BETAS, EPS, WD, CLIP = [1e-2, 8e-3, 6e-3], (0.9, 0.95), 1e-8, 0.1, 1.0
torch.manual_seed(20261122)
D = torch.float64

def param(*shape, std=0.1, mean=0.0):
    return (mean + std * torch.randn(*shape, dtype=torch.float32)).to(D).requires_grad_()

P = {'wte': param(V, C, std=0.3), 'wpe': param(T, C, std=0.3)}
for l in range(L):
    h = f'h.{l}.'
    P[h + 'ln_1.weight'] = param(C, mean=1.0); P[h + 'ln_1.bias'] = param(C, std=0.05)
    P[h + 'attn.c_attn.weight'] = param(3 * C, C, std=0.2); P[h + 'attn.c_attn.bias'] = param(3 * C, std=0.05)
    P[h + 'attn.c_proj.weight'] = param(C, C); P[h + 'attn.c_proj.bias'] = param(C, std=0.05)
    P[h + 'ln_2.weight'] = param(C, mean=1.0); P[h + 'ln_2.bias'] = param(C, std=0.05)
    P[h + 'mlp.c_fc.weight'] = param(4 * C, C, std=0.2); P[h + 'mlp.c_fc.bias'] = param(4 * C, std=0.05)
    P[h + 'mlp.c_proj.weight'] = param(C, 4 * C); P[h + 'mlp.c_proj.bias'] = param(C, std=0.05)
P['ln_f.weight'] = param(C, mean=1.0); P['ln_f.bias'] = param(C, std=0.05)
BATCHES = [torch.randint(V, (B, T + 1)) for _ in range(len(LRS))]

def loss_of(idx, tgt):
    x = P['wte'][idx] + P['wpe'][:T]
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)
    for l in range(L):
        h = f'h.{l}.'
        a = F.layer_norm(x, (C,), P[h + 'ln_1.weight'], P[h + 'ln_1.bias'], 1e-5)
        q, k, v = F.linear(a, P[h + 'attn.c_attn.weight'], P[h + 'attn.c_attn.bias']).split(C, dim=2)
        q, k, v = (z.view(B, T, H, C // H).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1) / math.sqrt(C // H)).masked_fill(mask, float('-inf')).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + F.linear(y, P[h + 'attn.c_proj.weight'], P[h + 'attn.c_proj.bias'])
        m = F.layer_norm(x, (C,), P[h + 'ln_2.weight'], P[h + 'ln_2.bias'], 1e-5)
        m = F.gelu(F.linear(m, P[h + 'mlp.c_fc.weight'], P[h + 'mlp.c_fc.bias']), approximate='tanh')
        x = x + F.linear(m, P[h + 'mlp.c_proj.weight'], P[h + 'mlp.c_proj.bias'])
    x = F.layer_norm(x, (C,), P['ln_f.weight'], P['ln_f.bias'], 1e-5)
    return F.cross_entropy((x @ P['wte'].T).view(-1, V), tgt.reshape(-1))

def write(path, tensors, meta):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = t.detach().to(torch.float32).contiguous().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b); off += len(b)
    header['__metadata__'] = meta
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * (-len(h) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h))); f.write(h); f.write(b''.join(blobs))

config = {'format': 'starling-gpt', 'vocab_size': str(V), 'block_size': str(T), 'n_layer': str(L), 'n_head': str(H),
          'n_embd': str(C), 'dropout': '0.0', 'bias': 'true'}
write(OUT + 'tiny_gpt_model.safetensors', P, config)
golden = {'tokens': torch.cat([b.reshape(-1) for b in BATCHES]).to(D)}
opt = torch.optim.AdamW([{'params': [p for p in P.values() if p.dim() >= 2], 'weight_decay': WD},
                         {'params': [p for p in P.values() if p.dim() < 2], 'weight_decay': 0.0}],
                        lr=LRS[0], betas=BETAS, eps=EPS)
losses = []
for s, lr in enumerate(LRS):
    idx = BATCHES[s]
    opt.zero_grad()
    loss = loss_of(idx[:, :-1], idx[:, 1:])
    loss.backward()
    losses.append(loss.item())
    if s == 0:
        golden.update({'grad.' + n: p.grad.clone() for n, p in P.items()})
    torch.nn.utils.clip_grad_norm_(list(P.values()), CLIP)
    for g in opt.param_groups:
        g['lr'] = lr
    opt.step()
golden['losses'] = torch.tensor(losses, dtype=D)
golden.update({'after3.' + n: p.detach().clone() for n, p in P.items()})
write(OUT + 'tiny_gpt_golden.safetensors', golden,
      {'lrs': json.dumps(LRS), 'betas': json.dumps(BETAS), 'eps': str(EPS), 'weight_decay': str(WD),
       'clip': str(CLIP), 'batch': str(B), 'seq': str(T), 'torch': torch.__version__})
print('losses', losses)
