#!/usr/bin/env python3
"""PyTorch reference for the GPO module (spec section 3) and the fixtures the C# tests compare with.

Written from the spec: embedder MLP over [x; y] (y = 0 for targets), post-LN nn.TransformerEncoder
(dropout 0, ReLU, no positional encoding, no final norm) where every token attends only to its
group's real context tokens, predictor MLP -> (mu, s); p = per-question softmax of mu;
loss = -sum over real targets of Normal(p, exp(s)).log_prob(y) / (B * padded Nt).

Usage (Debian's python3 with python3-torch):
  python3 tools/gpo_reference.py fixtures [OUT_DIR]      # writes tests/Gpo.Tests/Fixtures/gpo_reference/*.safetensors
  python3 tools/gpo_reference.py bench [THREADS]        # seconds per float32 training step at the `gpo bench` shape
      # (meaningful only with an optimised BLAS: Debian's python3-torch 1.13 is built with BLAS_INFO=generic,
      #  about 1.7 GFLOP/s per matrix product, and takes ~10 s per step)
  python3 tools/gpo_reference.py check CHECKPOINT [INPUT.json]
      # loads a C#-written checkpoint strictly; with INPUT.json (the `gpo predict` schema) prints predictions
Safetensors files are read and written by the minimal code below (no safetensors package needed).
"""
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

# ---------------------------------------------------------------- safetensors (minimal) ----------

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16}


def write_safetensors(path, tensors, metadata=None):
    """tensors: list of (name, np.ndarray) in order; float64 arrays are written as F64, everything else as F32."""
    header, offset, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    for name, array in tensors:
        wide = np.asarray(array).dtype == np.float64
        data = np.ascontiguousarray(array, dtype="<f8" if wide else "<f4").tobytes()
        header[name] = {"dtype": "F64" if wide else "F32", "shape": list(np.shape(array)), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = Path(str(path) + ".tmp")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    tmp.replace(path)


def read_safetensors(path):
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = np.dtype(DTYPES[entry["dtype"]]).newbyteorder("<")
        tensors[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(entry["shape"]).astype(np.float64)
    return tensors, metadata

# ---------------------------------------------------------------- model -------------------------


class GPO(nn.Module):
    def __init__(self, dim_x, d_model=128, heads=4, layers=6, ffn=128):
        super().__init__()
        self.heads = heads
        self.embedder = nn.Sequential(
            nn.Linear(dim_x + 1, d_model), nn.ReLU(), nn.Linear(d_model, d_model), nn.ReLU(),
            nn.Linear(d_model, d_model), nn.ReLU(), nn.Linear(d_model, d_model))
        layer = nn.TransformerEncoderLayer(d_model, heads, ffn, dropout=0.0, activation="relu",
                                           layer_norm_eps=1e-5, batch_first=True, norm_first=False)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.predictor = nn.Sequential(nn.Linear(d_model, d_model), nn.ReLU(), nn.Linear(d_model, 2))

    def forward(self, xc, yc, xt, real_context):
        """xc [B, Nc, dx], yc [B, Nc, 1], xt [B, Nt, dx], real_context [B] -> (mu, s) each [B, Nt]."""
        b, nc, _ = xc.shape
        nt = xt.shape[1]
        tokens = torch.cat([torch.cat([xc, yc], -1), torch.cat([xt, torch.zeros_like(xt[..., :1])], -1)], 1)
        n = nc + nt
        # attn_mask[i, j] True = i may not attend to j: nobody attends to targets.
        attn_mask = torch.zeros(n, n, dtype=torch.bool)
        attn_mask[:, nc:] = True
        # key padding: padded context tokens (and, redundantly, all targets) are no keys.
        key_padding = torch.ones(b, n, dtype=torch.bool)
        for g in range(b):
            key_padding[g, :int(real_context[g])] = False
        h = self.encoder(self.embedder(tokens), mask=attn_mask, src_key_padding_mask=key_padding)
        out = self.predictor(h[:, nc:])
        return out[..., 0], out[..., 1]


def question_softmax(mu, option_counts):
    """mu [B, Nt] -> p [B, Nt]: softmax over each question's consecutive options; padding -> 0."""
    p = torch.zeros_like(mu)
    for g, counts in enumerate(option_counts):
        start = 0
        for k in counts:
            p[g, start:start + k] = torch.softmax(mu[g, start:start + k], 0)
            start += k
    return p


def gpo_loss(p, s, y, option_counts):
    b, nt = p.shape
    mask = torch.zeros(b, nt, dtype=p.dtype)
    for g, counts in enumerate(option_counts):
        mask[g, :sum(counts)] = 1
    log_prob = torch.distributions.Normal(p, torch.exp(s)).log_prob(y)
    return -(log_prob * mask).sum() / (b * nt)

# ---------------------------------------------------------------- fixtures ----------------------


def formula_weights(model):
    """Deterministic weights both sides can compute: value i of tensor t = bound * sin(1.7 i + 0.3 t), rounded to float32."""
    with torch.no_grad():
        for t, (name, param) in enumerate(model.state_dict().items()):
            fan_in = param.shape[1] if param.dim() == 2 else 16
            bound = 1.0 / math.sqrt(fan_in)
            if name.endswith("norm1.weight") or name.endswith("norm2.weight"):
                values = 1.0 + 0.1 * np.sin(1.7 * np.arange(param.numel()) + 0.3 * t)
            else:
                values = bound * np.sin(1.7 * np.arange(param.numel()) + 0.3 * t)
            param.copy_(torch.from_numpy(values.astype(np.float32).astype(np.float64)).reshape(param.shape))


def make_inputs(rng, dx, nc, nt, real_context, option_counts):
    b = len(real_context)
    xc = rng.uniform(-1, 1, (b, nc, dx)).astype(np.float32)
    yc = rng.uniform(0, 1, (b, nc)).astype(np.float32)
    xt = rng.uniform(-1, 1, (b, nt, dx)).astype(np.float32)
    yt = rng.uniform(0, 1, (b, nt)).astype(np.float32)
    for g in range(b):  # padding rows are zero, as the C# batch fills them
        xc[g, real_context[g]:] = 0
        yc[g, real_context[g]:] = 0
        xt[g, sum(option_counts[g]):] = 0
        yt[g, sum(option_counts[g]):] = 0
    return xc, yc, xt, yt


def run(model, xc, yc, xt, yt, real_context, option_counts):
    t = lambda a: torch.from_numpy(a.astype(np.float64))
    mu, s = model(t(xc), t(yc)[..., None], t(xt), real_context)
    p = question_softmax(mu, option_counts)
    loss = gpo_loss(p, s, t(yt), option_counts)
    return mu, s, p, loss


def input_tensors(xc, yc, xt, yt, real_context, option_counts):
    counts = np.zeros((len(option_counts), max(len(c) for c in option_counts)), np.float32)
    for g, c in enumerate(option_counts):
        counts[g, :len(c)] = c
    return [("input.context_x", xc), ("input.context_y", yc), ("input.target_x", xt), ("input.target_y", yt),
            ("input.real_context", np.array(real_context, np.float32)), ("input.option_counts", counts)]


def fixture_small(out_dir):
    """dx 16, d 16, 2 heads, 2 layers, FFN 24; 3 unequal groups with padding; PyTorch-initialised weights
    (seeded, stored); expected loss, (mu, s), p, every gradient; and the parameters after three Adam steps
    with cosine decay (torch.optim.Adam + CosineAnnealingLR)."""
    torch.manual_seed(1234)
    rng = np.random.default_rng(1234)
    dx, nc, nt = 16, 9, 8
    real_context = [9, 5, 7]
    option_counts = [[2, 4, 2], [3, 3], [4, 1]]
    model = GPO(dx, 16, 2, 2, 24)
    with torch.no_grad():  # round weights to float32 so both sides start from identical values
        for p in model.parameters():
            p.copy_(p.float())
    model = model.double()
    weights = [(k, v.float().numpy()) for k, v in model.state_dict().items()]
    inputs = make_inputs(rng, dx, nc, nt, real_context, option_counts)
    mu, s, p, loss = run(model, *inputs, real_context, option_counts)
    loss.backward()
    grads = [("grad." + k, v.grad.numpy().copy()) for k, v in model.named_parameters()]  # copy: zero_grad reuses the storage
    expected = [("expected.loss", np.array([loss.item()])), ("expected.mu", mu.detach().numpy()),
                ("expected.s", s.detach().numpy()), ("expected.predictions", p.detach().numpy())]

    # Adam: three full steps (forward, backward, step) from the stored weights, lr 1e-2 with cosine decay over 3 steps.
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=3, eta_min=0)
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        _, _, _, step_loss = run(model, *inputs, real_context, option_counts)
        step_loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(step_loss.item())
    adam = [("adam." + k, v.detach().numpy()) for k, v in model.named_parameters()]
    adam.append(("adam.losses", np.array(losses)))
    # Weights and inputs are float32; expected values and gradients are the float64 results (F64).
    write_safetensors(out_dir / "small.safetensors", weights + input_tensors(*inputs, real_context, option_counts) + expected + grads + adam,
                      {"heads": 2, "description": "gpo_reference.py fixture_small"})


def fixture_default(out_dir):
    """The default architecture's widths (d 128, 4 heads of 32, FFN 128) with 2 layers and dx 8; formula
    weights (see formula_weights; not stored); expected loss, p, and gradients of a subset of tensors plus
    the L2 norm of every tensor's gradient."""
    rng = np.random.default_rng(99)
    dx, nc, nt = 8, 12, 10
    real_context = [12, 9]
    option_counts = [[4, 4, 2], [3, 5]]
    model = GPO(dx, 128, 4, 2, 128).double()
    formula_weights(model)
    inputs = make_inputs(rng, dx, nc, nt, real_context, option_counts)
    mu, s, p, loss = run(model, *inputs, real_context, option_counts)
    loss.backward()
    full = ["embedder.0.weight", "encoder.layers.0.self_attn.in_proj_bias", "encoder.layers.1.self_attn.out_proj.bias",
            "encoder.layers.0.norm1.weight", "encoder.layers.1.linear1.bias", "encoder.layers.1.norm2.bias", "predictor.2.weight"]
    named = dict(model.named_parameters())
    grads = [("grad." + k, named[k].grad.numpy()) for k in full]
    norms = [("gradnorm." + k, np.array([v.grad.norm().item()])) for k, v in named.items()]
    expected = [("expected.loss", np.array([loss.item()])), ("expected.predictions", p.detach().numpy())]
    write_safetensors(out_dir / "default_arch.safetensors", input_tensors(*inputs, real_context, option_counts) + expected + grads + norms,
                      {"heads": 4, "layers": 2, "d_model": 128, "ffn": 128, "dim_x": dx, "weights": "formula: bound*sin(1.7 i + 0.3 t)"})


# ---------------------------------------------------------------- checkpoint check --------------

def load_checkpoint(path):
    tensors, metadata = read_safetensors(path)
    dim_x = tensors["embedder.0.weight"].shape[1] - 1
    d_model = tensors["embedder.0.weight"].shape[0]
    layers = len([k for k in tensors if k.endswith(".norm1.weight")])
    ffn = tensors["encoder.layers.0.linear1.weight"].shape[0]
    heads = int(metadata.get("heads", 4))
    model = GPO(dim_x, d_model, heads, layers, ffn).double()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()}, strict=True)
    return model


def check(path, input_json=None):
    model = load_checkpoint(path)
    count = sum(p.numel() for p in model.parameters())
    print(f"loaded {path}: {count} parameters, strict state_dict match")
    if input_json:
        doc = json.loads(Path(input_json).read_text())
        xc = np.array([[c["x"] for c in doc["context"]]], np.float64)
        yc = np.array([[c["y"] for c in doc["context"]]], np.float64)
        counts = [[len(t["x"]) for t in doc["targets"]]]
        xt = np.array([[x for t in doc["targets"] for x in t["x"]]], np.float64)
        mu, s = model(torch.from_numpy(xc), torch.from_numpy(yc)[..., None], torch.from_numpy(xt), [xc.shape[1]])
        p = question_softmax(mu, counts)
        out, start = [], 0
        for k in counts[0]:
            out.append([round(v, 7) for v in p[0, start:start + k].tolist()])
            start += k
        result = {"predictions": out}
        if all("y" in t for t in doc["targets"]):
            y = torch.tensor([[v for t in doc["targets"] for v in t["y"]]], dtype=torch.float64)
            result["loss"] = gpo_loss(p, s, y, counts).item()
        print(json.dumps(result))


def bench(threads):
    """One training step (forward, backward, Adam) in float32 on 8 groups x (220 + 220) tokens, dim_x 384."""
    import time
    torch.set_num_threads(threads)
    torch.set_default_dtype(torch.float32)
    torch.manual_seed(0)
    b, n, dx, k = 8, 220, 384, 4
    model = GPO(dx)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-4)
    xc, yc, xt, yt = torch.rand(b, n, dx), torch.rand(b, n, 1), torch.rand(b, n, dx), torch.rand(b, n)
    counts = [[k] * (n // k)] * b
    times = []
    for step in range(8):
        start = time.perf_counter()
        optimizer.zero_grad()
        mu, s = model(xc, yc, xt, [n] * b)
        loss = gpo_loss(question_softmax(mu, counts), s, yt, counts)
        loss.backward()
        optimizer.step()
        if step >= 3:
            times.append(time.perf_counter() - start)
    times.sort()
    print(json.dumps({"torch": torch.__version__, "threads": threads, "sec_per_step": round(times[len(times) // 2], 4)}))


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "bench":
        bench(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
        sys.exit(0)
    torch.set_default_dtype(torch.float64)
    if len(sys.argv) >= 2 and sys.argv[1] == "fixtures":
        out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parent.parent / "tests/Gpo.Tests/Fixtures/gpo_reference"
        out.mkdir(parents=True, exist_ok=True)
        fixture_small(out)
        fixture_default(out)
        for f in sorted(out.glob("*.safetensors")):
            print(f"{f.name}: {f.stat().st_size} bytes")
    elif len(sys.argv) >= 3 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    else:
        print(__doc__)
        sys.exit(2)
