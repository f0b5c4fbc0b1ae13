#!/usr/bin/env python3
"""Reference for bench_cnn in plain PyTorch (Debian's python3-torch 1.13), the way a user
writes it: one training epoch of 1-2's Model 1 on Fashion-MNIST (60,000 28x28 images, batch
100, shuffled, Adam 1e-3, cross-entropy), then the 10,000 test images evaluated in eval mode
in batches of 500.

The model is a plain nn.Sequential in the default NCHW layout:
  [conv3x3 pad 1 -> maxpool 2 -> ReLU -> BatchNorm] for 16, 32, 64 channels,
  flatten (64*3*3 = 576), FC 120, ReLU, FC 10.
The data is preloaded: the whole uint8 train and test sets are read into tensors and
normalised ONCE into float32 tensors ((x/255 - 0.2860)/0.3530) before timing; each step
indexes a batch of the shuffled permutation. Each step does what trainlab's does: zero_grad,
forward, cross-entropy, backward, loss.item(), step, and the running accuracy count.

Usage: reference_cnn_epoch.py <fashion-mnist folder> [--threads 1,2] [--steps N] [--warmup 20]
                              [--layout nchw|cl] [--max-seconds 40]
--steps N times N steps and extrapolates to the epoch's 600 (the output says so); so does a
thread count whose timing passes --max-seconds (0: no cap), as in bench_cnn.
--layout cl is the channels-last variant for comparison (model.to(memory_format=
torch.channels_last), each batch converted the same way); the default is NCHW.
Prints one line per thread count:
  "threads T epoch_s S ms_per_step M eval_s E extrapolated yes|no"
torch.set_num_threads(T) is all a user sets; OpenBLAS (the FC layers) keeps its own default.
"""
import argparse
import time

import torch
import torch.nn.functional as F

from reference_common import load, model1  # this folder


def run(xtr, ytr, xte, yte, threads, steps, warmup, channels_last, max_seconds, batch=100):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = model1()
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    if channels_last:
        model = model.to(memory_format=fmt)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    n = xtr.shape[0]
    per_epoch = (n + batch - 1) // batch
    stats = {"loss": 0.0, "correct": 0}

    def step(idx):
        x, y = xtr[idx].contiguous(memory_format=fmt), ytr[idx]
        opt.zero_grad()
        out = model(x)
        loss = F.cross_entropy(out, y)
        loss.backward()
        v = loss.item()
        opt.step()
        stats["loss"] += v
        stats["correct"] += (out.detach().argmax(1) == y).sum().item()

    perm = torch.randperm(n)
    for i in range(min(warmup, per_epoch)):  # warm-up
        step(perm[i * batch:(i + 1) * batch])

    limit = per_epoch if steps <= 0 else min(steps, per_epoch)
    perm = torch.randperm(n)
    t0 = time.perf_counter()
    done = 0
    for i in range(limit):
        step(perm[i * batch:(i + 1) * batch])
        done += 1
        if max_seconds > 0 and time.perf_counter() - t0 > max_seconds:
            break
    timed = time.perf_counter() - t0

    t1 = time.perf_counter()
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, xte.shape[0], 500):
            out = model(xte[i:i + 500].contiguous(memory_format=fmt))
            F.cross_entropy(out, yte[i:i + 500], reduction="sum").item()
            correct += (out.argmax(1) == yte[i:i + 500]).sum().item()
    eval_s = time.perf_counter() - t1
    return timed, done, per_epoch, eval_s, correct / xte.shape[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--steps", type=int, default=0)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--layout", choices=("nchw", "cl"), default="nchw")
    ap.add_argument("--max-seconds", type=float, default=40)
    a = ap.parse_args()
    xtr, ytr = load(a.folder, "train")
    xte, yte = load(a.folder, "t10k")
    print(f"# torch {torch.__version__}, {xtr.shape[0]} train / {xte.shape[0]} test images, "
          f"data preloaded as normalised float32, layout {a.layout}", flush=True)
    for t in [int(s) for s in a.threads.split(",") if s]:
        timed, done, per_epoch, eval_s, acc = run(xtr, ytr, xte, yte, t, a.steps, a.warmup, a.layout == "cl", a.max_seconds)
        epoch = timed * per_epoch / done
        print(f"threads {t} epoch_s {epoch:.3f} ms_per_step {1e3 * timed / done:.3f} eval_s {eval_s:.3f} "
              f"extrapolated {'yes' if done < per_epoch else 'no'} (timed {done} steps in {timed:.2f} s, "
              f"test accuracy {acc:.4f})", flush=True)


if __name__ == "__main__":
    main()
