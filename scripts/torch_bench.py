#!/usr/bin/python3
"""PyTorch side of `npm run bench`: the same steps as `tpp-lab bench`, on the model of scripts/torch_vit.py.

Presets and variants mean what they mean in tpp-lab (src/bench/task.ts):
fwd (inference), full (all weights trained), lora (rank 4 on q and v; LoRA and head trained), mae (mask ratio
0.75 with the preset's decoder; encoder and decoder trained). Training steps use AdamW (weight decay 0.05) and
clipping at global norm 1, like tpp-lab's training loop. Prints one JSON line with tpp-lab bench's keys, plus
the resident memory at the start and end of the timed steps and the OpenBLAS core kernels used (torch_blas.py).
With --check it times nothing: it prints the loss of one forward pass of every training variant (fixed seed) and
the BLAS probe, so `npm run bench` can check that two BLAS settings compute the same thing before timing both.

Setup (Debian 12): apt-get install -y python3-torch. Run with Debian's python and one BLAS thread per torch
thread:  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 scripts/torch_bench.py --preset tutorial --variant full
"""
import argparse
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch_blas import probe  # noqa: E402
from torch_vit import PRESETS, Block, ViT, config, patchify  # noqa: E402

# tpp-lab's DECODER_PRESETS (src/model/mae.ts) for the presets of torch_vit.py.
DECODERS = {
    "tiny": dict(dim=32, depth=1, heads=2, mlp=64),
    "tutorial": dict(dim=64, depth=1, heads=4, mlp=128),
    "p4": dict(dim=64, depth=1, heads=4, mlp=128),
    "large": dict(dim=128, depth=2, heads=4, mlp=512),
    "small7": dict(dim=64, depth=2, heads=4, mlp=128),
}
BATCH = {"tiny": 8, "tutorial": 64, "p4": 64, "large": 32, "small7": 64}


class MAE(nn.Module):
    """MAE around torch_vit's ViT, with timm/MAE parameter names (decoder_embed, mask_token, ...)."""

    def __init__(self, c, dec):
        super().__init__()
        self.encoder = ViT(c)
        n, ppc = self.encoder.tokens, c["patchSize"] ** 2 * c["channels"]
        self.decoder_embed = nn.Linear(c["dim"], dec["dim"])
        self.mask_token = nn.Parameter(torch.randn(1, 1, dec["dim"]) * 0.02)
        self.decoder_pos_embed = nn.Parameter(torch.randn(1, n + 1, dec["dim"]) * 0.02)
        self.decoder_blocks = nn.ModuleList([Block(dec["dim"], dec["heads"], dec["mlp"]) for _ in range(dec["depth"])])
        self.decoder_norm = nn.LayerNorm(dec["dim"], eps=1e-6)
        self.decoder_pred = nn.Linear(dec["dim"], ppc)

    def forward(self, patches, ratio=0.75):
        e = self.encoder
        b, n, ppc = patches.shape
        keep_n = round(n * (1 - ratio))
        shuffle = torch.rand(b, n).argsort(1)
        restore = shuffle.argsort(1)
        keep = shuffle[:, :keep_n]
        visible = torch.gather(patches, 1, keep[..., None].expand(-1, -1, ppc))
        pos = torch.gather(e.pos_embed[:, 1:].expand(b, -1, -1), 1, keep[..., None].expand(-1, -1, e.c["dim"]))
        cls = (e.cls_token + e.pos_embed[:, :1]).expand(b, -1, -1)
        x = e.forward_tokens(torch.cat([cls, e.patch_embed(visible) + pos], 1))
        y = self.decoder_embed(x)
        dd = y.shape[-1]
        full = torch.cat([y[:, 1:], self.mask_token.expand(b, n - keep_n, -1)], 1)
        full = torch.gather(full, 1, restore[..., None].expand(-1, -1, dd))
        y = torch.cat([y[:, :1], full], 1) + self.decoder_pos_embed
        for blk in self.decoder_blocks:
            y = blk(y)
        pred = self.decoder_pred(self.decoder_norm(y)[:, 1:])
        mask = (restore >= keep_n).float()
        per_patch = ((pred - patches) ** 2).mean(-1)
        return (per_patch * mask).sum() / mask.sum()


def rss_mb():
    """Current resident memory of this process in MiB (Linux /proc; 0 where it cannot be read)."""
    try:
        with open("/proc/self/statm") as f:
            return round(int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    except (OSError, ValueError, IndexError):
        return 0.0


def build(variant, preset, batch):
    """(model, trainable params, loss(), forward()) of `variant` on one random batch, seeded like every run."""
    torch.manual_seed(0)
    c = config(preset)
    patches = patchify(torch.rand(batch, c["channels"], c["imageSize"], c["imageSize"]), c["patchSize"]).contiguous()
    labels = torch.randint(0, c["numClasses"], (batch,))
    if variant == "mae":
        model = MAE(c, DECODERS[preset])
        model.encoder.head.requires_grad_(False)  # unused by MAE, not trained (as in tpp-lab)
        loss_fn = lambda: model(patches)
    else:
        model = ViT(c, lora_rank=4 if variant == "lora" else 0)
        if variant == "lora":
            for name, p in model.named_parameters():
                p.requires_grad = ".lora_" in name or name.startswith("head.")
        loss_fn = lambda: F.cross_entropy(model(patches), labels)
    params = [p for p in model.parameters() if p.requires_grad]
    return model, params, loss_fn, (lambda: model(patches)) if variant != "mae" else loss_fn


def check(preset, batch):
    """The loss of one forward pass of each training variant, and the BLAS probe, as one dict."""
    losses = {}
    for variant in ("full", "lora", "mae"):
        _, _, loss_fn, _ = build(variant, preset, batch)
        with torch.no_grad():
            losses[variant] = float(loss_fn())
    return dict(preset=preset, batch=batch, losses=losses, blas=probe())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="tutorial", choices=sorted(PRESETS))
    ap.add_argument("--variant", default="full", choices=["fwd", "full", "lora", "mae"])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--batch", type=int)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--check", action="store_true", help="print forward losses and the BLAS probe; time nothing")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    batch = args.batch or BATCH[args.preset]
    if args.check:
        print(json.dumps(check(args.preset, batch)))
        return
    model, params, loss_fn, forward = build(args.variant, args.preset, batch)
    if args.variant == "fwd":
        def step():
            with torch.no_grad():
                forward()
    else:
        opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.05)

        def step():
            opt.zero_grad(set_to_none=True)
            loss = loss_fn()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
    for _ in range(args.warmup):
        step()
    rss_start = rss_mb()
    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    rss_end = rss_mb()
    rss_peak = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    times.sort()
    median = times[len(times) // 2]
    print(json.dumps(dict(
        backend="torch-%s" % torch.__version__, workers=args.threads, preset=args.preset, variant=args.variant,
        batch=batch, steps=args.steps, ms_median=round(median, 2), ms_min=round(times[0], 2),
        images_per_s=round(batch * 1000.0 / median, 1),
        rss_mb=rss_peak, rss_mb_start=rss_start,
        rss_mb_end=rss_end, openblas_corename=probe(time_matmul=False)["openblas_corename"],
        params=sum(p.numel() for p in model.parameters()), trainable=sum(p.numel() for p in params))))


if __name__ == "__main__":
    main()
