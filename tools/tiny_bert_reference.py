#!/usr/bin/env python3
"""A tiny random BERT folder (BF16 weights with a 'bert.' name prefix, 4 heads, 2 layers) and its
PyTorch mean-pooled outputs, for tests that need no downloaded model.

Writes tests/Gpo.Tests/Fixtures/tiny_bert/{config.json, tokenizer.json, model.safetensors, expected.json}.
The safetensors file is written by the small writer below (BF16 = the upper 16 bits of float32, rounded
to nearest even); the reference forward pass (tools/minilm_reference.py's `forward`) runs on the same
BF16-rounded values in float32. Sequences are given as ids, so the fixture checks the forward pass and
the loader (sizes from config.json, BF16, name prefix); the tokenizer.json is for the loader only.

Usage: /usr/bin/python3 tools/tiny_bert_reference.py
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from minilm_reference import forward  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests/Gpo.Tests/Fixtures/tiny_bert"
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "the", "man", "eat", "##ing", "food", "horse", "ride",
         "yes", "no", "question", "answer", ":", ".", "?", "!", ","]
CONFIG = {
    "architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu", "hidden_size": 16, "num_attention_heads": 4,
    "num_hidden_layers": 2, "intermediate_size": 24, "layer_norm_eps": 1e-12, "max_position_embeddings": 24,
    "type_vocab_size": 2, "vocab_size": len(VOCAB), "position_embedding_type": "absolute",
}
SEQUENCES = [[2, 5, 7, 3], [2, 7, 8, 9, 10, 18, 3], [2, 15, 17, 6, 7, 12, 11, 19, 16, 17, 13, 3], [2, 3]]


def bf16_round(t):
    bits = t.contiguous().view(torch.int32).numpy().astype(np.int64) & 0xFFFFFFFF
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16) & 0xFFFF
    return torch.from_numpy((rounded << 16).astype(np.uint32).view(np.float32).copy()).reshape(t.shape), rounded.astype(np.uint16)


def main():
    torch.manual_seed(20240501)
    h, inter, layers = CONFIG["hidden_size"], CONFIG["intermediate_size"], CONFIG["num_hidden_layers"]
    shapes = {
        "embeddings.word_embeddings.weight": [len(VOCAB), h], "embeddings.position_embeddings.weight": [CONFIG["max_position_embeddings"], h],
        "embeddings.token_type_embeddings.weight": [2, h], "embeddings.LayerNorm.weight": [h], "embeddings.LayerNorm.bias": [h],
    }
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for n in ("query", "key", "value"):
            shapes[p + f"attention.self.{n}.weight"] = [h, h]
            shapes[p + f"attention.self.{n}.bias"] = [h]
        shapes.update({p + "attention.output.dense.weight": [h, h], p + "attention.output.dense.bias": [h],
                       p + "attention.output.LayerNorm.weight": [h], p + "attention.output.LayerNorm.bias": [h],
                       p + "intermediate.dense.weight": [inter, h], p + "intermediate.dense.bias": [inter],
                       p + "output.dense.weight": [h, inter], p + "output.dense.bias": [h],
                       p + "output.LayerNorm.weight": [h], p + "output.LayerNorm.bias": [h]})
    weights, raw = {}, {}
    for name, shape in shapes.items():
        values = torch.randn(shape) * (0.1 if "LayerNorm" in name else 0.5)
        if name.endswith("LayerNorm.weight"):
            values += 1.0
        weights[name], raw[name] = bf16_round(values)

    header, offset, blobs = {"__metadata__": {"format": "pt", "source": "tools/tiny_bert_reference.py"}}, 0, []
    for name, shape in shapes.items():
        blob = raw[name].tobytes()
        header["bert." + name] = {"dtype": "BF16", "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    header_bytes = json.dumps(header, separators=(",", ":")).encode()
    header_bytes += b" " * ((8 - len(header_bytes) % 8) % 8)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "model.safetensors").write_bytes(struct.pack("<Q", len(header_bytes)) + header_bytes + b"".join(blobs))
    (OUT / "config.json").write_text(json.dumps(CONFIG, indent=1) + "\n")
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": t, "special": True} for i, t in enumerate(VOCAB[:5])],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
                  "vocab": {t: i for i, t in enumerate(VOCAB)}},
    }
    (OUT / "tokenizer.json").write_text(json.dumps(tokenizer, indent=1) + "\n")

    longest = max(len(s) for s in SEQUENCES)
    ids = torch.zeros(len(SEQUENCES), longest, dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, s in enumerate(SEQUENCES):
        ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
    with torch.no_grad():
        pooled = forward(weights, CONFIG, ids, mask)
    expected = {"source": "tools/tiny_bert_reference.py (PyTorch fp32 on BF16-rounded weights, mean pooling, no normalisation)",
                "cases": [{"ids": s, "mean_pooled": [round(float(v), 7) for v in pooled[i]]} for i, s in enumerate(SEQUENCES)]}
    (OUT / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
