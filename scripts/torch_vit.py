#!/usr/bin/python3
"""PyTorch twin of tpp-lab's ViT, and a reader/writer of tpp-lab's safetensors checkpoints.

The model is shaped like tpp-lab's ViT (pre-LN, fused qkv, exact GELU, LayerNorm eps 1e-6, input = flattened
patches from `patchify`, optional LoRA on q and v for benchmarks) and uses timm's parameter names
(`patch_embed.proj`, `cls_token`, `pos_embed`, `blocks.i.norm1`, `blocks.i.attn.qkv`, ...), so a tpp-lab backbone
file loads with `load_state_dict`. Import it (`from torch_vit import ViT, PRESETS, patchify,
load_backbone`) or run it:

    /usr/bin/python3 scripts/torch_vit.py crosscheck BACKBONE INPUTS   # compare logits with tpp-lab's
    /usr/bin/python3 scripts/torch_vit.py export --preset tiny OUT INPUTS  # a PyTorch-initialised backbone

Both print one JSON line. Setup on Debian 12: `apt-get install -y python3-torch` (no safetensors package in
Debian 12, so the format is parsed here by hand: 8-byte little-endian header length, JSON header, raw data).
"""
import argparse
import hashlib
import json
import math
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

# The shapes of tpp-lab's VIT_PRESETS (src/model/config.ts) of the same names; keys are tpp-lab's ViTConfig fields.
PRESETS = {
    "tiny": dict(imageSize=28, channels=1, patchSize=7, dim=32, depth=2, heads=2, mlpDim=64),
    "tutorial": dict(imageSize=28, channels=1, patchSize=7, dim=64, depth=4, heads=4, mlpDim=128),
    "p4": dict(imageSize=28, channels=1, patchSize=4, dim=64, depth=4, heads=4, mlpDim=128),
    "large": dict(imageSize=64, channels=3, patchSize=8, dim=192, depth=6, heads=3, mlpDim=768),
    "small7": dict(imageSize=28, channels=1, patchSize=7, dim=128, depth=6, heads=4, mlpDim=256),
}
DEFAULTS = dict(numClasses=10, posEmbed="learned", pool="cls")
MAX_HEADER_BYTES = 100 * 1024 * 1024
DTYPES = {"F32": (torch.float32, 4), "F64": (torch.float64, 8), "I32": (torch.int32, 4), "I64": (torch.int64, 8),
          "U8": (torch.uint8, 1), "F16": (torch.float16, 2)}


def config(preset="tiny", **overrides):
    """A tpp-lab ViTConfig dict (camelCase fields) from a preset plus overrides."""
    return dict(DEFAULTS, **PRESETS[preset], **overrides)


class LoRA(nn.Module):
    def __init__(self, d, r):
        super().__init__()
        self.A = nn.Parameter(torch.randn(d, r) / math.sqrt(d))
        self.B = nn.Parameter(torch.zeros(r, d))

    def forward(self, x):
        return (x @ self.A) @ self.B


class Attention(nn.Module):
    def __init__(self, dim, heads, lora_rank=0):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.lora_q = LoRA(dim, lora_rank) if lora_rank else None
        self.lora_v = LoRA(dim, lora_rank) if lora_rank else None

    def forward(self, y):
        b, t, d = y.shape
        h, dh = self.heads, d // self.heads
        q, k, v = self.qkv(y).chunk(3, dim=-1)
        if self.lora_q is not None:
            q = q + self.lora_q(y)
            v = v + self.lora_v(y)
        q = q.reshape(b, t, h, dh).transpose(1, 2) / math.sqrt(dh)
        k = k.reshape(b, t, h, dh).transpose(1, 2)
        v = v.reshape(b, t, h, dh).transpose(1, 2)
        att = torch.softmax(q @ k.transpose(-1, -2), dim=-1)
        return self.proj((att @ v).transpose(1, 2).reshape(b, t, d))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, heads, mlp, lora_rank=0):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = Attention(dim, heads, lora_rank)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, mlp)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbed(nn.Module):
    def __init__(self, ppc, dim):
        super().__init__()
        self.proj = nn.Linear(ppc, dim)

    def forward(self, patches):
        return self.proj(patches)


class ViT(nn.Module):
    """tpp-lab's ViT. `c` is a ViTConfig dict; forward takes patches [B, L, P*P*C] from `patchify`."""

    def __init__(self, c, lora_rank=0):
        super().__init__()
        self.c = c
        self.tokens = (c["imageSize"] // c["patchSize"]) ** 2
        self.patch_embed = PatchEmbed(c["patchSize"] ** 2 * c["channels"], c["dim"])
        self.cls_token = nn.Parameter(torch.randn(1, 1, c["dim"]) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(1, self.tokens + 1, c["dim"]) * 0.02,
                                      requires_grad=c.get("posEmbed", "learned") == "learned")
        self.blocks = nn.ModuleList(
            [Block(c["dim"], c["heads"], c["mlpDim"], lora_rank) for _ in range(c["depth"])])
        self.norm = nn.LayerNorm(c["dim"], eps=1e-6)
        self.head = nn.Linear(c["dim"], c["numClasses"])

    def forward_tokens(self, x):
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x)

    def embed(self, patches):
        b = patches.shape[0]
        x = self.patch_embed(patches)
        return torch.cat([self.cls_token.expand(b, -1, -1), x], 1) + self.pos_embed

    def pool(self, x):
        # tpp-lab pools after the final norm: the class token, or the mean of the patch tokens.
        return x[:, 0] if self.c.get("pool", "cls") == "cls" else x[:, 1:].mean(1)

    def forward(self, patches):
        return self.head(self.pool(self.forward_tokens(self.embed(patches))))


def patchify(x, patch):
    """NCHW images -> [B, L, P*P*C], patches row-major, (py, px, c) inside a patch (tpp-lab's `patchify`, src/model/patches.ts)."""
    b, ch, hh, ww = x.shape
    x = x.reshape(b, ch, hh // patch, patch, ww // patch, patch).permute(0, 2, 4, 3, 5, 1)
    return x.reshape(b, (hh // patch) * (ww // patch), patch * patch * ch)


def read_safetensors(path):
    """Parse a safetensors file by hand with the same bounds checks as tpp-lab. Returns (tensors, metadata)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > MAX_HEADER_BYTES or n > len(raw) - 8:
        raise ValueError(f"{path}: header length {n} out of bounds")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors, cursor = {}, 0
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, end = e["data_offsets"]
        dtype, size = DTYPES[e["dtype"]]
        if begin != cursor or end > len(data) or math.prod(e["shape"]) * size != end - begin:
            raise ValueError(f"{path}: bad data_offsets for {name}")
        cursor = end
        tensors[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype).reshape(e["shape"]).clone()
    if cursor != len(data):
        raise ValueError(f"{path}: trailing bytes")
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Write float32 tensors (dict name -> tensor) and string metadata as safetensors."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        b = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = dict(dtype="F32", shape=list(t.shape), data_offsets=[offset, offset + len(b)])
        chunks.append(b)
        offset += len(b)
    js = json.dumps(header).encode("utf-8")
    js += b" " * ((8 - len(js) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)) + js + b"".join(chunks))


def fingerprint(tensors):
    """tpp-lab's backbone fingerprint: SHA-256 over sorted non-head names, shapes and float32 LE bytes."""
    h = hashlib.sha256()
    for name in sorted(k for k in tensors if k not in ("head.weight", "head.bias")):
        t = tensors[name]
        h.update(f"{name}\nfloat32\n{','.join(str(s) for s in t.shape)}\n".encode("utf-8"))
        h.update(t.to(torch.float32).contiguous().numpy().astype("<f4").tobytes())
    return "sha256:" + h.hexdigest()


def to_state_dict(tensors, c):
    """tpp-lab / timm tensors -> this module's state dict (conv patch weight [D, C, P, P] -> linear [D, P*P*C])."""
    sd = dict(tensors)
    w = sd["patch_embed.proj.weight"]
    sd["patch_embed.proj.weight"] = w.permute(0, 2, 3, 1).reshape(c["dim"], -1)
    return sd


def from_state_dict(model):
    """This module's state dict -> tpp-lab / timm tensors (linear patch weight -> conv layout)."""
    c = model.c
    sd = {k: v.detach().clone() for k, v in model.state_dict().items()}
    p, ch = c["patchSize"], c["channels"]
    sd["patch_embed.proj.weight"] = sd["patch_embed.proj.weight"].reshape(c["dim"], p, p, ch).permute(0, 3, 1, 2).contiguous()
    return sd


def load_backbone(path):
    """A tpp-lab backbone file -> (ViT in eval mode, tensors, metadata)."""
    tensors, meta = read_safetensors(path)
    c = json.loads(meta["vit_config"])
    model = ViT(c)
    model.load_state_dict(to_state_dict(tensors, c), strict=True)
    return model.eval(), tensors, meta


def conv_logits(model, tensors, images_nchw):
    """Logits with the patch embedding done as timm does it (a strided Conv2d on NCHW images): an independent
    check that the conv weight layout and the patch order agree."""
    c = model.c
    x = F.conv2d(images_nchw, tensors["patch_embed.proj.weight"], tensors["patch_embed.proj.bias"], stride=c["patchSize"])
    x = x.flatten(2).transpose(1, 2)
    b = x.shape[0]
    x = torch.cat([model.cls_token.expand(b, -1, -1), x], 1) + model.pos_embed
    return model.head(model.pool(model.forward_tokens(x)))


def crosscheck(args):
    model, tensors, meta = load_backbone(args.backbone)
    inputs, _ = read_safetensors(args.inputs)
    images = inputs["images"]  # [N, H, W, C] channels-last, as tpp-lab's data
    nchw = images.permute(0, 3, 1, 2).contiguous()
    with torch.no_grad():
        logits = model(patchify(nchw, model.c["patchSize"]))
        conv = conv_logits(model, tensors, nchw)
    out = dict(
        torch=torch.__version__,
        max_abs_diff=float((logits - inputs["logits"]).abs().max()),
        max_abs_diff_conv=float((conv - inputs["logits"]).abs().max()),
        fingerprint_ok=fingerprint(tensors) == meta.get("fingerprint"),
        shape=list(logits.shape),
    )
    print(json.dumps(out))


def export(args):
    torch.manual_seed(args.seed)
    c = config(args.preset)
    model = ViT(c).eval()
    # Non-trivial norms and biases so the check covers them.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias") or "norm" in name:
                p.add_(torch.randn_like(p) * 0.1)
    tensors = from_state_dict(model)
    write_safetensors(args.out, tensors, dict(format="tpp-lab/vit-backbone", format_version="1",
                                              vit_config=json.dumps(c), fingerprint=fingerprint(tensors),
                                              metadata=json.dumps(dict(source="torch_vit.py export"))))
    images = torch.rand(4, c["imageSize"], c["imageSize"], c["channels"])
    with torch.no_grad():
        logits = model(patchify(images.permute(0, 3, 1, 2), c["patchSize"]))
    write_safetensors(args.inputs, dict(images=images, logits=logits))
    print(json.dumps(dict(torch=torch.__version__, out=args.out, inputs=args.inputs)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    cc = sub.add_parser("crosscheck", help="compare logits of a tpp-lab backbone with PyTorch's")
    cc.add_argument("backbone")
    cc.add_argument("inputs", help="safetensors with images [N,H,W,C] and tpp-lab's logits [N,K]")
    ex = sub.add_parser("export", help="write a PyTorch-initialised backbone and test inputs/logits")
    ex.add_argument("--preset", default="tiny", choices=sorted(PRESETS))
    ex.add_argument("--seed", type=int, default=0)
    ex.add_argument("out")
    ex.add_argument("inputs")
    args = ap.parse_args()
    torch.set_num_threads(1)
    (crosscheck if args.cmd == "crosscheck" else export)(args)


if __name__ == "__main__":
    sys.exit(main())
