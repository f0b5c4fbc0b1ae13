#!/usr/bin/env python3
"""Reference for the 2-1 experiment in plain PyTorch (Debian's python3-torch), the way a
notebook does it: MLP 784-128-64-10, SGD lr 1e-3, batch 100, shuffled, a test evaluation per
epoch, weights flattened every `every` epochs, runs one after another.

Usage: reference_weight_pca.py <fashion-mnist folder> [runs] [epochs] [every] [threads]
Prints "seconds_per_run_epoch <s>" and "total <s>".
"""
import gzip
import os
import sys
import time

import numpy as np
import torch


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def main():
    folder = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    every = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    torch.set_num_threads(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    mean, std = 0.2860, 0.3530
    xtr = (torch.from_numpy(read_idx(os.path.join(folder, "train-images-idx3-ubyte.gz")).copy()).float() / 255 - mean) / std
    ytr = torch.from_numpy(read_idx(os.path.join(folder, "train-labels-idx1-ubyte.gz")).astype(np.int64))
    xte = (torch.from_numpy(read_idx(os.path.join(folder, "t10k-images-idx3-ubyte.gz")).copy()).float() / 255 - mean) / std
    yte = torch.from_numpy(read_idx(os.path.join(folder, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))
    xtr, xte = xtr.view(-1, 784), xte.view(-1, 784)
    t0 = time.perf_counter()
    snapshots = []
    for r in range(runs):
        torch.manual_seed(r)
        model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 64),
                                    torch.nn.ReLU(), torch.nn.Linear(64, 10))
        opt = torch.optim.SGD(model.parameters(), lr=1e-3)
        for e in range(1, epochs + 1):
            model.train()
            perm = torch.randperm(xtr.shape[0])
            for i in range(0, xtr.shape[0], 100):
                idx = perm[i:i + 100]
                opt.zero_grad()
                loss = torch.nn.functional.cross_entropy(model(xtr[idx]), ytr[idx])
                loss.backward()
                opt.step()
                loss.item()
            model.eval()
            with torch.no_grad():
                out = model(xte)
                torch.nn.functional.cross_entropy(out, yte).item()
                (out.argmax(1) == yte).float().mean().item()
            if e % every == 0:
                snapshots.append(torch.cat([p.detach().flatten() for p in model.parameters()]).numpy().copy())
    total = time.perf_counter() - t0
    print(f"seconds_per_run_epoch {total / (runs * epochs):.4f}")
    print(f"total {total:.3f}")


if __name__ == "__main__":
    main()
