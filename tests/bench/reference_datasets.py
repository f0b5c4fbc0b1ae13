#!/usr/bin/env python3
"""Reference timings for bench_datasets in plain Python (Debian's python3-torch, numpy, PIL).

Usage: reference_datasets.py <fashion-mnist folder> <cifar10 image folder root>
Prints "name seconds" lines: fashion_load, cifar_folder_load, epoch_batches.
"""
import gzip
import os
import sys
import time

import numpy as np
import torch
from PIL import Image


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_fashion(folder):
    out = {}
    for split in ("train", "t10k"):
        images = torch.from_numpy(read_idx(os.path.join(folder, f"{split}-images-idx3-ubyte.gz")).copy())
        labels = torch.from_numpy(read_idx(os.path.join(folder, f"{split}-labels-idx1-ubyte.gz")).astype(np.int64))
        out[split] = (images.unsqueeze(1), labels)
    return out


def load_folder(root):
    out = {}
    for split in ("train", "test"):
        classes = sorted(d for d in os.listdir(os.path.join(root, split)) if not d.startswith("."))
        arrays, labels = [], []
        for k, c in enumerate(classes):
            folder = os.path.join(root, split, c)
            for name in sorted(os.listdir(folder)):
                with Image.open(os.path.join(folder, name)) as im:
                    arrays.append(np.asarray(im.convert("RGB")))
                labels.append(k)
        images = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()
        out[split] = (images, torch.tensor(labels))
    return out


def main():
    torch.set_num_threads(1)
    fashion, cifar = sys.argv[1], sys.argv[2]
    t = time.perf_counter()
    data = load_fashion(fashion)
    print(f"fashion_load {time.perf_counter() - t:.4f}", flush=True)
    if os.path.isdir(cifar):
        t = time.perf_counter()
        load_folder(cifar)
        print(f"cifar_folder_load {time.perf_counter() - t:.4f}", flush=True)
    images, labels = data["train"]
    mean, std = 0.2860, 0.3530
    g = torch.Generator().manual_seed(0)
    t = time.perf_counter()
    order = torch.randperm(images.shape[0], generator=g)
    for i in range(0, images.shape[0], 100):
        idx = order[i:i + 100]
        x = (images[idx].float() / 255 - mean) / std
        y = labels[idx]
    print(f"epoch_batches {time.perf_counter() - t:.4f}", flush=True)


if __name__ == "__main__":
    main()
