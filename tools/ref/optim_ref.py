"""PyTorch references for physcnn::optim: optimizer trajectories, lr schedules and clipping.

Writes tests/fixtures/optim_trajectories.safetensors, optim_schedules.safetensors and
optim_clip.safetensors, read by tests/optim/*_test.cpp. Deterministic (fixed seeds).
Run: /usr/bin/python3 tools/ref/optim_ref.py

The problem: parameters W (4,3), b (4), c (4) and u (2) with
    z = x W^T + b,   loss = mean((z - t)^2) + 0.1 * sum(log(1 + exp(z * c)))
where the c term is left out on every 4th step (k % 4 == 3), so c has no gradient there and
is skipped (its step count lags), and u never has a gradient. Gradients are set to None after
every step (zero_grad(set_to_none=True)), which is what physcnn's zero_grad does.
"""
import math

import numpy as np
import torch
from torch.optim import lr_scheduler as sched

from common import save_fixture, seeded

STEPS = 20
PARAM_NAMES = ["W", "b", "c", "u"]


def problem(dtype):
    g = seeded(1234)
    x = torch.rand(6, 3, generator=g, dtype=torch.float64) * 2 - 1
    t = torch.rand(6, 4, generator=g, dtype=torch.float64) * 2 - 1
    init = {
        "W": torch.rand(4, 3, generator=g, dtype=torch.float64) * 2 - 1,
        "b": torch.rand(4, generator=g, dtype=torch.float64) * 2 - 1,
        "c": torch.rand(4, generator=g, dtype=torch.float64) * 2 - 1,
        "u": torch.rand(2, generator=g, dtype=torch.float64) * 2 - 1,
    }
    return x.to(dtype), t.to(dtype), {k: v.to(dtype) for k, v in init.items()}


def loss_fn(params, x, t, k):
    z = torch.nn.functional.linear(x, params["W"], params["b"])
    loss = torch.square(z - t).mean()
    if k % 4 != 3:
        loss = loss + 0.1 * torch.log(torch.exp(z * params["c"]) + 1.0).sum()
    return loss


OPTIMIZERS = {
    "sgd_plain": (torch.optim.SGD, dict(lr=0.1)),
    "sgd_momentum": (torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    "sgd_nesterov": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    "sgd_weight_decay": (torch.optim.SGD, dict(lr=0.1, momentum=0.5, weight_decay=0.01)),
    "sgd_dampening": (torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.3)),
    "rmsprop_plain": (torch.optim.RMSprop, dict(lr=0.01)),
    "rmsprop_centered": (torch.optim.RMSprop, dict(lr=0.01, centered=True)),
    "rmsprop_momentum": (torch.optim.RMSprop, dict(lr=0.01, momentum=0.8, weight_decay=0.01)),
    "adam": (torch.optim.Adam, dict(lr=0.05)),
    "adam_amsgrad": (torch.optim.Adam, dict(lr=0.05, amsgrad=True, weight_decay=0.01)),
    "adamw": (torch.optim.AdamW, dict(lr=0.05, weight_decay=0.1)),
    "adamw_amsgrad": (torch.optim.AdamW, dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
}
FLOAT32_CONFIGS = ["sgd_momentum", "rmsprop_centered", "adam", "adamw"]


def run(cfg, dtype, make_schedule=None):
    """Trajectories {name: (STEPS, *shape)} and the lr used at each step."""
    x, t, init = problem(dtype)
    params = {k: v.clone().requires_grad_(True) for k, v in init.items()}
    ctor, kwargs = OPTIMIZERS[cfg]
    opt = ctor([params[k] for k in PARAM_NAMES], **kwargs)
    schedule = make_schedule(opt) if make_schedule else None
    traj = {k: [] for k in PARAM_NAMES}
    lrs = []
    for k in range(STEPS):
        opt.zero_grad(set_to_none=True)
        loss_fn(params, x, t, k).backward()
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if schedule:
            schedule.step()
        for name in PARAM_NAMES:
            traj[name].append(params[name].detach().clone())
    return {k: torch.stack(v) for k, v in traj.items()}, lrs


def warmup_cosine(opt, warmup, total, start_factor, eta_min):
    return sched.SequentialLR(
        opt,
        [sched.LinearLR(opt, start_factor=start_factor, end_factor=1.0, total_iters=warmup),
         sched.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=eta_min)],
        milestones=[warmup])


def trajectories():
    out = {}
    for dtype, prefix, cfgs in [(torch.float64, "", list(OPTIMIZERS)),
                                (torch.float32, "f32.", FLOAT32_CONFIGS)]:
        x, t, init = problem(dtype)
        for name, v in init.items():
            out[f"{prefix}init.{name}"] = v
        out[f"{prefix}x"], out[f"{prefix}t"] = x, t
        for cfg in cfgs:
            traj, _ = run(cfg, dtype)
            for name, v in traj.items():
                out[f"{prefix}{cfg}.{name}"] = v
    # An optimizer driven by a schedule stepped once per optimizer step.
    traj, lrs = run("adam", torch.float64,
                    lambda opt: warmup_cosine(opt, warmup=4, total=15, start_factor=0.25,
                                              eta_min=0.001))
    for name, v in traj.items():
        out[f"adam_warmup_cosine.{name}"] = v
    out["adam_warmup_cosine.lr"] = torch.tensor(lrs, dtype=torch.float64)
    save_fixture("optim_trajectories", out, {"steps": STEPS})


def schedule_lrs(make, epochs=25, metrics=None):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    s = make(opt)
    lrs = [opt.param_groups[0]["lr"]]
    for e in range(epochs):
        opt.step()  # no grad: a no-op, only to keep the call order PyTorch expects
        if metrics is None:
            s.step()
        else:
            s.step(metrics[e])
        lrs.append(opt.param_groups[0]["lr"])
    return torch.tensor(lrs, dtype=torch.float64)


def schedules():
    out = {
        "step": schedule_lrs(lambda o: sched.StepLR(o, step_size=3, gamma=0.5)),
        "multistep": schedule_lrs(lambda o: sched.MultiStepLR(o, milestones=[11, 2, 5, 5],
                                                              gamma=0.3)),
        "exponential": schedule_lrs(lambda o: sched.ExponentialLR(o, gamma=0.9)),
        "cosine": schedule_lrs(lambda o: sched.CosineAnnealingLR(o, T_max=8, eta_min=0.001)),
        "warmup_cosine": schedule_lrs(lambda o: warmup_cosine(o, 4, 15, 0.25, 0.01)),
    }
    m1 = [1.0, 0.9, 0.95, 0.91, 0.92, 0.93, 0.8, 0.85, 0.86, 0.87, 0.88, 0.7, 0.699, 0.698,
          0.71, 0.72, 0.73, 0.74, 0.75, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6]
    out["plateau_min_rel.metric"] = torch.tensor(m1, dtype=torch.float64)
    out["plateau_min_rel"] = schedule_lrs(
        lambda o: sched.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=2, threshold=0.01,
                                          cooldown=1, min_lr=0.01), metrics=m1)
    m2 = [0.1, 0.2, 0.22, 0.24, float("nan"), 0.3, 0.31, 0.32, 0.5, 0.5, 0.5, 0.5, 0.56, 0.57,
          0.58, 0.59, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]
    out["plateau_max_abs.metric"] = torch.tensor(m2, dtype=torch.float64)
    out["plateau_max_abs"] = schedule_lrs(
        lambda o: sched.ReduceLROnPlateau(o, mode="max", factor=0.2, patience=1,
                                          threshold=0.05, threshold_mode="abs", cooldown=2,
                                          min_lr=1e-3), metrics=m2)
    save_fixture("optim_schedules", out)


def clipping():
    out = {}
    shapes = {"g0": (4, 3), "g1": (4,), "g2": (2, 2)}
    for dtype, prefix in [(torch.float64, ""), (torch.float32, "f32.")]:
        g = seeded(99)
        grads = {k: (torch.randn(*s, generator=g, dtype=torch.float64)).to(dtype)
                 for k, s in shapes.items()}
        for k, v in grads.items():
            out[f"{prefix}grad.{k}"] = v
        cases = {"norm2": (1.0, 2.0), "norm_inf": (0.5, math.inf), "norm3": (1.0, 3.0),
                 "norm1": (2.0, 1.0), "noop": (100.0, 2.0)}
        for case, (max_norm, norm_type) in cases.items():
            params = [torch.zeros(s, dtype=dtype, requires_grad=True) for s in shapes.values()]
            for p, k in zip(params, shapes):
                p.grad = grads[k].clone()
            total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
            out[f"{prefix}{case}.total"] = total.reshape(1).to(torch.float64)
            for p, k in zip(params, shapes):
                out[f"{prefix}{case}.{k}"] = p.grad
        params = [torch.zeros(s, dtype=dtype, requires_grad=True) for s in shapes.values()]
        for p, k in zip(params, shapes):
            p.grad = grads[k].clone()
        torch.nn.utils.clip_grad_value_(params, 0.3)
        for p, k in zip(params, shapes):
            out[f"{prefix}value.{k}"] = p.grad
    save_fixture("optim_clip", out)


if __name__ == "__main__":
    torch.set_num_threads(1)
    trajectories()
    schedules()
    clipping()
