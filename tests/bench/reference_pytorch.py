#!/usr/bin/env python3
"""Reference timings in plain PyTorch (Debian's python3-torch) for bench_training.

Prints one line per case: "<case> <threads> <ms per step> <total seconds>".
Cases mirror bench_training: the 1-1 models (full-batch steps) and the 2-2 net.
"""
import sys
import time

import torch


def mlp(widths, slope=0.2):
    layers = []
    for i in range(len(widths) - 1):
        layers.append(torch.nn.Linear(widths[i], widths[i + 1]))
        if i + 2 < len(widths):
            layers.append(torch.nn.LeakyReLU(slope))
    return torch.nn.Sequential(*layers)


def train(widths, x, y, opt_name, lr, steps, grad_norm=True):
    torch.manual_seed(0)
    model = mlp(widths)
    opt = (torch.optim.SGD if opt_name == "sgd" else torch.optim.Adam)(model.parameters(), lr=lr)
    loss_fn = torch.nn.MSELoss()
    t0 = time.perf_counter()
    for _ in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        if grad_norm:
            g = sum(p.grad.pow(2).sum() for p in model.parameters()).sqrt().item()
        loss.item()
        opt.step()
    return time.perf_counter() - t0


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    threads = [int(t) for t in (sys.argv[2].split(",") if len(sys.argv) > 2 else ["1", "2"])]
    x1 = torch.linspace(-2, 2, 5000).unsqueeze(1)
    y1 = torch.sin(x1) + torch.cos(x1)
    x2 = torch.linspace(-1.5, 1.5, 301).unsqueeze(1)
    t = 5 * torch.pi * x2
    y2 = torch.where(t.abs() < 1e-12, torch.ones_like(t), torch.sin(t) / t)
    x3 = torch.arange(-5, 5, 0.001).unsqueeze(1).float()
    y3 = torch.exp(x3) + torch.exp(-x3)
    cases = [
        ("f1_model1", [1, 50, 60, 30, 20, 10, 1], x1, y1, "sgd", 1e-2),
        ("f1_model2", [1, 50, 40, 30, 20, 1], x1, y1, "sgd", 1e-2),
        ("f1_model3", [1, 50, 20, 1], x1, y1, "sgd", 1e-2),
        ("f2_model1", [1, 5, 10, 10, 10, 10, 10, 5, 1], x2, y2, "adam", 1e-2),
        ("f2_model2", [1, 10, 17, 14, 6, 1], x2, y2, "adam", 1e-2),
        ("f2_model3", [1, 182, 1], x2, y2, "adam", 1e-2),
        ("gradnorm_599", [1, 12, 10, 18, 8, 6, 5, 1], x3, y3, "sgd", 1e-3),
    ]
    for n in threads:
        torch.set_num_threads(n)
        for name, widths, x, y, opt, lr in cases:
            secs = train(widths, x, y, opt, lr, steps)
            print(f"{name} {n} {secs / steps * 1e3:.4f} {secs:.3f}", flush=True)


if __name__ == "__main__":
    main()
