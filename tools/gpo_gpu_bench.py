#!/usr/bin/env python3
"""PyTorch side of scripts/gpu-check.sh: seconds per GPO training step (forward + backward + Adam) on a CUDA GPU,
at the shapes `gpo bench` uses, for comparison with `gpo bench --device cuda` in the same run.

The module is tools/gpo_reference.py's GPO (same parameters, same math). Two forms are timed, both eager PyTorch:
  reference  - nn.TransformerEncoder over all Nc + Nt tokens with the GPO mask (what gpo_reference.py runs);
  context    - the same layers computed the way gpo's engine does: queries from every token, keys and values from the
               context tokens only, through F.scaled_dot_product_attention (the fastest libtorch form measured on CPU).
Each step copies the batch from host memory to the GPU first, as gpo's step does. Every question has the same number of
options here, so the per-question softmax is one reshape. Also measures the card's float32 matrix-product ceiling
(TF32 off) for the GFLOP/s comparison.

Usage: python3 tools/gpo_gpu_bench.py [--steps 20] [--warmup 5] [--shape GROUPS,QUESTIONS,OPTIONS,DIM_X ...] [--device cpu]
(--device cpu: a dry run of the same code on the CPU, to check the script where no GPU is reachable)
Prints one JSON object per line.
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gpo_reference import GPO  # noqa: E402  (the one PyTorch GPO module of this repository)


def flops_per_step(dx, d, ffn, layers, groups, nc, nt):
    """gpo's GpoFlops.TrainingStep: matrix products only, as computed (attention over the queries x Nc block)."""
    tokens, context, targets = groups * (nc + nt), groups * nc, groups * nt
    embedder = 2 * tokens * (dx + 1) * d + 3 * 2 * tokens * d * d

    def layer(queries):
        return 2 * queries * d * d + 2 * context * 2 * d * d + 2 * 2 * queries * nc * d + 2 * queries * d * d + 2 * queries * d * ffn * 2

    encoder = 0 if layers == 0 else (layers - 1) * layer(tokens) + layer(targets)
    forward = embedder + encoder + 2 * targets * d * d + 2 * targets * d * 2
    return 3 * forward - 2 * tokens * (dx + 1) * d


def loss_of(mu, s, y, options):
    b, nt = mu.shape
    p = torch.softmax(mu.reshape(b, nt // options, options), -1).reshape(b, nt)
    return -torch.distributions.Normal(p, torch.exp(s)).log_prob(y).sum() / (b * nt)


def forward_reference(model, xc, yc, xt, nc):
    b, _, _ = xc.shape
    nt = xt.shape[1]
    n = nc + nt
    tokens = torch.cat([torch.cat([xc, yc.unsqueeze(-1)], -1), torch.cat([xt, torch.zeros_like(xt[..., :1])], -1)], 1)
    mask = torch.zeros(n, n, dtype=torch.bool, device=xc.device)
    mask[:, nc:] = True
    h = model.encoder(model.embedder(tokens), mask=mask)
    out = model.predictor(h[:, nc:])
    return out[..., 0], out[..., 1]


def forward_context(model, xc, yc, xt, nc):
    tokens = torch.cat([torch.cat([xc, yc.unsqueeze(-1)], -1), torch.cat([xt, torch.zeros_like(xt[..., :1])], -1)], 1)
    x = model.embedder(tokens)
    b, n, d = x.shape
    heads = model.heads
    layers = model.encoder.layers
    for i, layer in enumerate(layers):
        attn = layer.self_attn
        w, bias = attn.in_proj_weight, attn.in_proj_bias
        queries = x if i < len(layers) - 1 else x[:, nc:]   # the last layer's context outputs feed nothing
        q = F.linear(queries, w[:d], bias[:d])
        kv = F.linear(x[:, :nc], w[d:], bias[d:])
        k, v = kv[..., :d], kv[..., d:]
        split = lambda t: t.reshape(b, t.shape[1], heads, d // heads).transpose(1, 2)  # noqa: E731
        o = F.scaled_dot_product_attention(split(q), split(k), split(v)).transpose(1, 2).reshape(b, queries.shape[1], d)
        h = layer.norm1(queries + attn.out_proj(o))
        x = layer.norm2(h + layer.linear2(F.relu(layer.linear1(h))))
    out = model.predictor(x if len(layers) > 0 else x[:, nc:])
    return out[..., 0], out[..., 1]


def random_batch(groups, questions, options, dx, seed=1):
    g = torch.Generator().manual_seed(seed)
    n = questions * options
    xc = torch.rand(groups, n, dx, generator=g) * 2 - 1
    xt = torch.rand(groups, n, dx, generator=g) * 2 - 1
    shares = lambda: torch.softmax(torch.rand(groups, questions, options, generator=g), -1).reshape(groups, n)  # noqa: E731
    return xc, shares(), xt, shares()


def time_steps(form, model, batch, options, steps, warmup, device):
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-4)
    xc, yc, xt, yt = batch
    nc = xc.shape[1]
    times = []
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for i in range(warmup + steps):
        sync()
        start = time.perf_counter()
        on = [t.to(device) for t in (xc, yc, xt, yt)]  # the batch copied in, as gpo's step does
        mu, s = form(model, on[0], on[1], on[2], nc)
        loss = loss_of(mu, s, on[3], options)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        sync()
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return statistics.median(times), float(loss)


def matmul_ceiling(device):
    n = 8192 if device.type == "cuda" else 512
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)
    for _ in range(3):
        a @ b
    sync()
    start = time.perf_counter()
    for _ in range(10):
        a @ b
    sync()
    return 10 * 2 * n ** 3 / (time.perf_counter() - start) / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--shape", action="append", default=None, help="GROUPS,QUESTIONS,OPTIONS,DIM_X (repeatable)")
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        print(json.dumps({"error": "PyTorch sees no CUDA device"}))
        return 1
    device = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu"
    print(json.dumps({"torch": torch.__version__, "gpu": name,
                      "float32_matmul_gflops": round(matmul_ceiling(device), 1)}), flush=True)
    for text in args.shape or ["8,55,4,384", "32,100,4,4096"]:
        groups, questions, options, dx = (int(v) for v in text.split(","))
        batch = random_batch(groups, questions, options, dx)
        flops = flops_per_step(dx, 128, 128, 6, groups, questions * options, questions * options)
        row = {"shape": text, "gflop_per_step": round(flops / 1e9, 3)}
        for name, form in (("reference", forward_reference), ("context", forward_context)):
            torch.manual_seed(0)
            model = GPO(dx).to(device)
            seconds, loss = time_steps(form, model, batch, options, args.steps, args.warmup, device)
            row[f"torch_{name}_sec_per_step"] = round(seconds, 5)
            row[f"torch_{name}_loss"] = round(loss, 5)
        print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
