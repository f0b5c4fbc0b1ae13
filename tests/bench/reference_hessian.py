#!/usr/bin/env python3
"""Reference for bench_hessian: the exact Hessian of the 2-3 net's MSE in plain PyTorch.

torch.autograd.functional.hessian of the 599-parameter MLP (1-12-10-18-8-6-5-1, LeakyReLU
0.2) MSE over x = arange(-3, 3, 0.001), y = 2 cosh(x), with respect to one flat parameter
vector (a hand-written forward from the flat vector; torch 1.13 API, no torch.func), plus
torch.linalg.eigvalsh. One thread by default.

Prints one line per repeat: "hessian_s=<s> eig_s=<s> total_s=<s> ratio=<minimal ratio>".
Usage: reference_hessian.py [repeats=2] [threads=1]
"""
import sys
import time

import torch
import torch.nn.functional as F

WIDTHS = [1, 12, 10, 18, 8, 6, 5, 1]


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    layers = [torch.nn.Linear(a, b) for a, b in zip(WIDTHS[:-1], WIDTHS[1:])]
    flat0 = torch.cat([t.detach().reshape(-1) for l in layers for t in (l.weight, l.bias)])
    assert flat0.numel() == 599, flat0.numel()
    x = torch.arange(-3, 3, 0.001, dtype=torch.float32).unsqueeze(1)
    y = 2 * torch.cosh(x)

    def loss(flat):
        h = x
        k = 0
        for i, (a, b) in enumerate(zip(WIDTHS[:-1], WIDTHS[1:])):
            w = flat[k:k + a * b].view(b, a)
            k += a * b
            bias = flat[k:k + b]
            k += b
            h = F.linear(h, w, bias)
            if i + 2 < len(WIDTHS):
                h = F.leaky_relu(h, 0.2)
        return F.mse_loss(h, y)

    for _ in range(repeats):
        t0 = time.perf_counter()
        hess = torch.autograd.functional.hessian(loss, flat0)
        t1 = time.perf_counter()
        eig = torch.linalg.eigvalsh(hess)
        t2 = time.perf_counter()
        ratio = (eig > 0).sum().item() / eig.numel()
        print(f"hessian_s={t1 - t0:.4f} eig_s={t2 - t1:.4f} total_s={t2 - t0:.4f} ratio={ratio:.4f}",
              flush=True)


if __name__ == "__main__":
    main()
