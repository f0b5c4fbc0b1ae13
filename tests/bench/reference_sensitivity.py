#!/usr/bin/env python3
"""Reference for bench_flatness in plain PyTorch (Debian's python3-torch 1.13), the way the
issue (6, "3-3 flatness") computes it.

Model 1 of 1-2 as a plain nn.Sequential in the default NCHW layout:
  [conv3x3 pad 1 -> maxpool 2 -> ReLU -> BatchNorm] for 16, 32, 64 channels,
  flatten (64*3*3 = 576), FC 120, ReLU, FC 10,
trained for --train-steps Adam steps (1e-3, batch 100, shuffled; 200 by default, so that the
norms are of the same order as bench_flatness's; nothing is saved), then in eval mode.
The data is read from the IDX gz files and normalised once ((x/255 - 0.2860)/0.3530) into
float32 tensors before timing, as in reference_cnn_epoch.py.

Sensitivity: the mean over the first --count (1,000) test images of the Frobenius norm of the
Jacobian of the softmax output with respect to the input image, by
  full       the issue's method: torch.autograd.functional.jacobian(f, x, vectorize=True) on
             batches of --batch (100), f mapping a batch to its softmax outputs. This computes
             the whole [B, 10, B, 1, 28, 28] Jacobian, cross-example blocks (all zero in eval
             mode) included, so its cost grows with B^2; the per-example diagonal blocks are
             taken and their Frobenius norms averaged. Timing stops after the batch that
             passes --max-seconds (0: no cap) and extrapolates to --count images (marked
             "extrapolated yes"); repeats are made only while a whole run fits.
  perclass   trainlab's algorithm written in PyTorch: one forward pass per batch, then one
             torch.autograd.grad of softmax[:, c].sum() with respect to the batch per class.
  functorch  functorch.vmap(functorch.jacrev(f1)) over the examples of a batch (f1: one image
             to its 10 probabilities): the per-example Jacobian without cross-example blocks.
Each is timed best of --repeats after a warm-up on 10 images.

Interpolation: one alpha point (0.5) between the trained model's state dict and a fresh
model's: lerp of every floating-point entry (weights, biases, BatchNorm running statistics;
num_batches_tracked kept), load_state_dict, then evaluation (loss.item(), accuracy) over the
whole train and test sets in batches of 500; and the same with the BatchNorm statistics
re-estimated instead (running stats reset, momentum None, BatchNorm in train mode, --bn-batches
shuffled training batches of 100 without gradients). Best of --alpha-repeats.

Usage: reference_sensitivity.py <fashion-mnist folder> [--threads 1,2] [--count 1000]
         [--batch 100] [--repeats 3] [--train-steps 200] [--max-seconds 30]
         [--methods full,perclass,functorch] [--no-alpha] [--bn-batches 20] [--alpha-repeats 2]
Prints, per thread count,
  "jacobian METHOD threads T batch B seconds S mean_norm N extrapolated yes|no (...)"
  "alpha threads T bn interpolated|reestimated seconds S (...)"
torch.set_num_threads(T) is all a user sets; OpenBLAS (the FC layers) keeps its own default.
"""
import argparse
import os
import resource
import time

import torch
import torch.nn.functional as F

from reference_common import load, model1  # this folder


def train(model, xtr, ytr, steps, batch=100):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    perm = torch.randperm(xtr.shape[0])
    for i in range(steps):
        idx = perm[(i * batch) % xtr.shape[0]:][:batch]
        opt.zero_grad()
        loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
        loss.backward()
        opt.step()
    model.eval()


# --- the three ways of computing the per-example norms of one batch (float64 [B]) ------------

def norms_full(model, x):
    f = lambda inp: torch.softmax(model(inp), 1)
    jac = torch.autograd.functional.jacobian(f, x, vectorize=True)  # [B, 10, B, 1, 28, 28]
    diag = jac.diagonal(dim1=0, dim2=2)  # [10, 1, 28, 28, B]: example i's own block
    out = diag.double().pow(2).sum(dim=(0, 1, 2, 3)).sqrt()
    del jac, diag
    return out


def norms_perclass(model, x):
    inp = x.detach().clone().requires_grad_(True)
    p = torch.softmax(model(inp), 1)
    sq = torch.zeros(x.shape[0], dtype=torch.float64)
    k = p.shape[1]
    for c in range(k):
        g, = torch.autograd.grad(p[:, c].sum(), inp, retain_graph=c + 1 < k)
        sq += g.double().pow(2).flatten(1).sum(1)
    return sq.sqrt()


def norms_functorch(model, x):
    import functorch
    f1 = lambda x1: torch.softmax(model(x1.unsqueeze(0)), 1)[0]
    jac = functorch.vmap(functorch.jacrev(f1))(x)  # [B, 10, 1, 28, 28]
    return jac.double().pow(2).flatten(1).sum(1).sqrt()


METHODS = {"full": norms_full, "perclass": norms_perclass, "functorch": norms_functorch}


def time_method(fn, model, xte, count, batch, repeats, max_seconds):
    """Best of `repeats` runs over the first `count` images; a run stops after the batch that
    passes max_seconds (> 0) and is extrapolated. Returns (seconds, mean norm, extrapolated,
    images done)."""
    fn(model, xte[:10])  # warm-up
    best = None
    for r in range(max(1, repeats)):
        t0 = time.perf_counter()
        total, done = 0.0, 0
        for i in range(0, count, batch):
            xb = xte[i:min(count, i + batch)]
            total += fn(model, xb).sum().item()
            done += xb.shape[0]
            if max_seconds > 0 and time.perf_counter() - t0 > max_seconds and done < count:
                break
        elapsed = time.perf_counter() - t0
        seconds = elapsed * count / done
        row = (seconds, total / done, done < count, done)
        if best is None or row[0] < best[0]:
            best = row
        if done < count:
            break  # a capped run is not repeated
    return best


def lerp_state(a, b, alpha):
    return {k: (a[k] * (1 - alpha) + b[k] * alpha) if a[k].is_floating_point() else a[k].clone()
            for k in a}


def evaluate(model, x, y, batch=500):
    model.eval()
    correct, loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            out = model(x[i:i + batch])
            loss += F.cross_entropy(out, y[i:i + batch], reduction="sum").item()
            correct += (out.argmax(1) == y[i:i + batch]).sum().item()
    return loss / x.shape[0], correct / x.shape[0]


def reestimate_bn(model, xtr, batches, batch=100):
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    momenta = [m.momentum for m in bns]
    model.eval()
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
        m.train()
    perm = torch.randperm(xtr.shape[0])
    with torch.no_grad():
        for i in range(batches):
            model(xtr[perm[i * batch:(i + 1) * batch]])
    for m, mom in zip(bns, momenta):
        m.momentum = mom
    model.eval()


def alpha_point(work, sa, sb, xtr, ytr, xte, yte, reestimate, bn_batches):
    t0 = time.perf_counter()
    work.load_state_dict(lerp_state(sa, sb, 0.5))
    t1 = time.perf_counter()
    if reestimate:
        reestimate_bn(work, xtr, bn_batches)
    t2 = time.perf_counter()
    _, tr_acc = evaluate(work, xtr, ytr)
    t3 = time.perf_counter()
    _, te_acc = evaluate(work, xte, yte)
    t4 = time.perf_counter()
    return t4 - t0, t1 - t0, t2 - t1, t3 - t2, t4 - t3, tr_acc, te_acc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--train-steps", type=int, default=200)
    ap.add_argument("--max-seconds", type=float, default=30)
    ap.add_argument("--methods", default="full,perclass,functorch")
    ap.add_argument("--no-alpha", action="store_true")
    ap.add_argument("--bn-batches", type=int, default=20)
    ap.add_argument("--alpha-repeats", type=int, default=2)
    a = ap.parse_args()
    methods = [m for m in a.methods.split(",") if m]
    for m in methods:
        if m not in METHODS:
            ap.error(f"unknown method {m}")
    xtr, ytr = load(a.folder, "train")
    xte, yte = load(a.folder, "t10k")
    count = min(a.count, xte.shape[0])
    print(f"# torch {torch.__version__}, {xtr.shape[0]} train / {xte.shape[0]} test images, data "
          f"preloaded as normalised float32, NCHW; load average {os.getloadavg()[0]:.2f}", flush=True)

    torch.set_num_threads(1)
    torch.manual_seed(1)
    model = model1()
    t0 = time.perf_counter()
    train(model, xtr, ytr, a.train_steps)
    _, acc = evaluate(model, xte, yte)
    print(f"# trained {a.train_steps} Adam steps in {time.perf_counter() - t0:.2f} s, test accuracy "
          f"{acc:.4f}", flush=True)

    # Consistency of the three methods on the first 10 images.
    x10 = xte[:10]
    ref = norms_perclass(model, x10)
    for m in methods:
        try:
            n = METHODS[m](model, x10)
            rel = ((n - ref).abs() / ref.abs().clamp_min(1e-30)).max().item()
            print(f"# check {m} vs perclass on 10 images: max relative difference {rel:.2e}", flush=True)
        except Exception as e:  # functorch may lack a batching rule
            print(f"# check {m}: unavailable ({type(e).__name__}: {e})", flush=True)
    print("# norms of the first 10 images: " + " ".join(f"{v:.5g}" for v in ref.tolist()), flush=True)

    torch.manual_seed(2)
    fresh = model1().eval()
    sa = {k: v.detach().clone() for k, v in model.state_dict().items()}
    sb = {k: v.detach().clone() for k, v in fresh.state_dict().items()}
    work = model1()

    for t in [int(s) for s in a.threads.split(",") if s]:
        torch.set_num_threads(t)
        for m in methods:
            try:
                cap = a.max_seconds if m == "full" else 0
                sec, mean, ext, done = time_method(METHODS[m], model, xte, count, a.batch, a.repeats, cap)
            except Exception as e:
                print(f"# jacobian {m} threads {t}: failed ({type(e).__name__}: {e})", flush=True)
                continue
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"jacobian {m} threads {t} batch {a.batch} seconds {sec:.3f} mean_norm {mean:.6f} "
                  f"extrapolated {'yes' if ext else 'no'} ({done} images timed, peak RSS so far "
                  f"{rss:.0f} MB, load {os.getloadavg()[0]:.2f})", flush=True)
        if a.no_alpha:
            continue
        evaluate(work, xte[:1000], yte[:1000])  # warm-up
        for re in (False, True):
            best = None
            for _ in range(max(1, a.alpha_repeats)):
                row = alpha_point(work, sa, sb, xtr, ytr, xte, yte, re, a.bn_batches)
                if best is None or row[0] < best[0]:
                    best = row
            total, lerp_s, bn_s, train_s, test_s, tr_acc, te_acc = best
            print(f"alpha threads {t} bn {'reestimated' if re else 'interpolated'} seconds {total:.3f} "
                  f"(lerp+load {lerp_s:.4f} bn {bn_s:.3f} train {train_s:.3f} test {test_s:.3f}; "
                  f"accuracy train {tr_acc:.4f} test {te_acc:.4f})", flush=True)


if __name__ == "__main__":
    main()
