#!/usr/bin/env python3
"""Reference BERT forward pass (PyTorch, fp32) for the encoder tests.

Reads a BERT-family model folder (config.json + one .safetensors file, F32/F16/BF16) with a minimal
safetensors parser of its own, runs the post-LayerNorm BERT encoder on fixed token-id sequences
with torch's own layer_norm / gelu / softmax, and writes the mean-pooled last hidden states (no L2
normalisation) to tests/Gpo.Tests/Fixtures/minilm_reference.json.

The id sequences are given here literally (ids, not text), so the fixture checks the forward pass
alone; the tokenizer is checked against the ids in spec/minilm.md. One batch is run padded to the
longest sequence with an attention mask, as transformers does, and each sequence also alone; the
script asserts both agree before writing.

Usage: /usr/bin/python3 tools/minilm_reference.py <model folder> [output.json]
"""
import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
import torch

SEQUENCES = {
    "A man is eating food.": [101, 1037, 2158, 2003, 5983, 2833, 1012, 102],
    "Question: Do you support same-sex marriage? Answer: Strongly agree":
        [101, 3160, 1024, 2079, 2017, 2490, 2168, 1011, 3348, 3510, 1029, 3437, 1024, 6118, 5993, 102],
    "(ids only) a short one": [101, 7592, 102],
    "(ids only) a longer mixed one": [101] + [2023, 2003, 1037, 3231, 1997, 1996, 4372, 16044, 2099, 1012] * 5 + [102],
}


def read_safetensors(path):
    data = Path(path).read_bytes()
    (header_length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_length])
    base = 8 + header_length
    dtypes = {"F32": np.float32, "F16": np.float16, "BF16": None, "I64": np.int64}
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        raw = data[base + begin:base + end]
        if info["dtype"] == "BF16":
            values = np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16
            array = values.view(np.float32)
        else:
            array = np.frombuffer(raw, dtype=dtypes[info["dtype"]])
        tensors[name] = torch.from_numpy(array.astype(np.float32) if array.dtype != np.int64 else array.copy()).reshape(info["shape"])
    return tensors


def forward(weights, config, ids_batch, mask):
    hidden = config["hidden_size"]
    heads = config["num_attention_heads"]
    head_dim = hidden // heads
    eps = config["layer_norm_eps"]
    batch, length = ids_batch.shape
    positions = torch.arange(length)
    h = (weights["embeddings.word_embeddings.weight"][ids_batch]
         + weights["embeddings.position_embeddings.weight"][positions][None]
         + weights["embeddings.token_type_embeddings.weight"][0][None, None])
    h = torch.nn.functional.layer_norm(h, (hidden,), weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"], eps)
    additive_mask = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min

    def linear(x, prefix):
        return x @ weights[prefix + ".weight"].T + weights[prefix + ".bias"]

    for layer in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{layer}."
        def split(x):
            return x.view(batch, length, heads, head_dim).transpose(1, 2)
        q, k, v = (split(linear(h, p + f"attention.self.{n}")) for n in ("query", "key", "value"))
        scores = q @ k.transpose(-1, -2) / math.sqrt(head_dim) + additive_mask
        context = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(batch, length, hidden)
        h = torch.nn.functional.layer_norm(h + linear(context, p + "attention.output.dense"), (hidden,),
                                           weights[p + "attention.output.LayerNorm.weight"], weights[p + "attention.output.LayerNorm.bias"], eps)
        f = torch.nn.functional.gelu(linear(h, p + "intermediate.dense"))  # exact erf form
        h = torch.nn.functional.layer_norm(h + linear(f, p + "output.dense"), (hidden,),
                                           weights[p + "output.LayerNorm.weight"], weights[p + "output.LayerNorm.bias"], eps)
    m = mask[:, :, None].float()
    return (h * m).sum(1) / m.sum(1)


def main():
    folder = Path(sys.argv[1])
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parent.parent / "tests/Gpo.Tests/Fixtures/minilm_reference.json"
    config = json.loads((folder / "config.json").read_text())
    files = sorted(folder.glob("*.safetensors"))
    weights = read_safetensors(files[0])
    names = list(SEQUENCES)
    longest = max(len(s) for s in SEQUENCES.values())
    ids = torch.zeros(len(names), longest, dtype=torch.long)
    mask = torch.zeros(len(names), longest, dtype=torch.long)
    for i, name in enumerate(names):
        seq = SEQUENCES[name]
        ids[i, :len(seq)] = torch.tensor(seq)
        mask[i, :len(seq)] = 1
    with torch.no_grad():
        padded = forward(weights, config, ids, mask)
        for i, name in enumerate(names):
            seq = torch.tensor([SEQUENCES[name]])
            alone = forward(weights, config, seq, torch.ones_like(seq))[0]
            assert torch.allclose(alone, padded[i], atol=1e-5), name
    cases = [{"label": name, "ids": SEQUENCES[name], "mean_pooled": [round(float(x), 7) for x in padded[i]]} for i, name in enumerate(names)]
    fixture = {
        "source": "tools/minilm_reference.py: PyTorch fp32 forward of all-MiniLM-L6-v2 (" + files[0].name + "), mean pooling over the mask, no L2 normalisation",
        "model_file": files[0].name,
        "torch_version": torch.__version__,
        "cases": cases,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(fixture, indent=1) + "\n")
    for case in cases:
        v = np.array(case["mean_pooled"])
        unit = v / np.linalg.norm(v)
        print(case["label"][:40], "first 8 normalised", np.round(unit[:8], 5), "sum", round(float(unit.sum()), 5))


if __name__ == "__main__":
    main()
