"""Shared by the PyTorch references of the CNN benchmarks (reference_cnn_epoch.py,
reference_sensitivity.py): Fashion-MNIST read from its IDX files, and 1-2's Model 1 written
the way a user writes it."""
import gzip
import os

import numpy as np
import torch


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(folder, split, mean=0.2860, std=0.3530):
    images = torch.from_numpy(read_idx(os.path.join(folder, f"{split}-images-idx3-ubyte.gz")).copy())
    labels = torch.from_numpy(read_idx(os.path.join(folder, f"{split}-labels-idx1-ubyte.gz")).astype(np.int64))
    x = (images.unsqueeze(1).float() / 255 - mean) / std  # [N, 1, 28, 28] float32, preloaded
    return x, labels


def model1():
    layers = []
    cin = 1
    for c in (16, 32, 64):
        layers += [torch.nn.Conv2d(cin, c, 3, padding=1), torch.nn.MaxPool2d(2), torch.nn.ReLU(),
                   torch.nn.BatchNorm2d(c)]
        cin = c
    layers += [torch.nn.Flatten(), torch.nn.Linear(64 * 3 * 3, 120), torch.nn.ReLU(), torch.nn.Linear(120, 10)]
    return torch.nn.Sequential(*layers)
