# Converts a nanoGPT ckpt.pt (bias=False) into a Hugging Face-layout GPT-2 safetensors file, so that
# `starling train --preset baby-gpt --init-from OUT --steps 0` scores nanoGPT's model with Starling's own validation
# (200 fixed batches). Usage: /usr/bin/python3 nanogpt_to_safetensors.py ckpt.pt OUT.safetensors
import sys, json, struct, torch
sd = torch.load(sys.argv[1], map_location='cpu')['model']
sd = {k.replace('_orig_mod.', ''): v for k, v in sd.items()}
conv = ('attn.c_attn.weight', 'attn.c_proj.weight', 'mlp.c_fc.weight', 'mlp.c_proj.weight')
out = {}
for k, v in sd.items():
    if k.endswith('.attn.bias') or k == 'lm_head.weight':
        continue  # causal-mask buffer; the head is tied to wte
    v = v.float()
    out[k] = (v.t() if k.endswith(conv) else v).contiguous()
header, blobs, off = {}, [], 0
for k, v in out.items():
    b = v.numpy().astype('<f4').tobytes()
    header[k] = {'dtype': 'F32', 'shape': list(v.shape), 'data_offsets': [off, off + len(b)]}
    blobs.append(b); off += len(b)
h = json.dumps(header).encode(); h += b' ' * (-len(h) % 8)
with open(sys.argv[2], 'wb') as f:
    f.write(struct.pack('<Q', len(h))); f.write(h); [f.write(b) for b in blobs]
print(sys.argv[2], len(out), 'tensors')
