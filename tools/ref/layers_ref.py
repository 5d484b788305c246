"""PyTorch references for activations, softmax, batch norm and losses (tests/autograd/parity_test.cpp).

Writes tests/fixtures/layers_{activation,norm,loss}.safetensors. Every configuration `cfg` stores
its inputs, a random output direction `cfg.g`, the outputs and the gradients of <g, out>, plus
`cfg.params` (a float64 vector whose meaning is documented per family below) so that the C++
test is driven by the file. Inputs are stored as float32; PyTorch evaluates the ops on those
exact values in float64 and the results are stored rounded to float32. PyTorch's own float32
path is off by more than 1e-6 in places (gelu tanh gradient at x = -5: float32 -2.0e-6, exact
-1.5e-6), so the float64 evaluation is the oracle a 1e-5 relative comparison needs.
Run: /usr/bin/python3 tools/ref/layers_ref.py
"""
import torch
import torch.nn.functional as F


def f64(t):
    """A float64 leaf holding the same (float32-representable) values as t."""
    return t.detach().double().requires_grad_()


def f32(d):
    """The dict with every tensor rounded to float32 (int tensors and params kept)."""
    return {k: (v.detach().float() if v.dtype == torch.float64 and not k.endswith(".params") else v)
            for k, v in d.items()}


from common import save_fixture, seeded  # noqa: E402

REDUCTIONS = {"mean": 0, "sum": 1, "none": 2}


def activations():
    # params: [kind, arg, dim]; kind indexes ACT below (same order in the C++ test).
    acts = [
        ("relu", lambda x, a, d: F.relu(x)),
        ("leaky_relu", lambda x, a, d: F.leaky_relu(x, a)),
        ("elu", lambda x, a, d: F.elu(x, a)),
        ("gelu", lambda x, a, d: F.gelu(x)),
        ("gelu_tanh", lambda x, a, d: F.gelu(x, approximate="tanh")),
        ("sigmoid", lambda x, a, d: torch.sigmoid(x)),
        ("tanh", lambda x, a, d: torch.tanh(x)),
        ("softmax", lambda x, a, d: F.softmax(x, d)),
        ("log_softmax", lambda x, a, d: F.log_softmax(x, d)),
    ]
    kinds = {name: i for i, (name, _) in enumerate(acts)}
    configs = [
        ("relu", 0.0, 0, (4, 5, 6)),
        ("leaky_relu", 0.2, 0, (4, 5, 6)),
        ("elu", 1.0, 0, (4, 5, 6)),
        ("elu", 0.5, 0, (30,)),
        ("gelu", 0.0, 0, (4, 5, 6)),
        ("gelu_tanh", 0.0, 0, (4, 5, 6)),
        ("sigmoid", 0.0, 0, (4, 5, 6)),
        ("tanh", 0.0, 0, (4, 5, 6)),
        ("softmax", 0.0, 0, (3, 4, 5)),
        ("softmax", 0.0, 1, (3, 4, 5)),
        ("softmax", 0.0, -1, (3, 4, 5)),
        ("softmax", 0.0, 1, (2, 3, 4, 5)),
        ("softmax", 0.0, 0, (7,)),
        ("log_softmax", 0.0, 0, (3, 4, 5)),
        ("log_softmax", 0.0, 1, (2, 3, 4, 5)),
        ("log_softmax", 0.0, -1, (6, 10)),
    ]
    out = {}
    for i, (name, arg, dim, shape) in enumerate(configs):
        seeded(100 + i)
        x = torch.randn(shape) * 3
        if name.endswith("softmax") and i % 2 == 0:
            x += 50.0  # large logits: only a max-subtracted softmax survives this
        x = f64(x)
        y = acts[kinds[name]][1](x, arg, dim)
        g = torch.randn(y.shape).double()
        (y * g).sum().backward()
        key = f"a{i:02d}_{name}"
        out.update({key + ".x": x, key + ".g": g, key + ".y": y, key + ".gx": x.grad,
                    key + ".params": torch.tensor([kinds[name], arg, dim], dtype=torch.float64)})
    save_fixture("layers_activation", f32(out))


def norms():
    # params: [training, affine, momentum, eps]
    configs = [
        ((8, 4), True, True, 0.1, 1e-5),
        ((8, 4), True, False, 0.1, 1e-5),
        ((8, 4), False, True, 0.1, 1e-5),
        ((4, 3, 5), True, True, 0.3, 1e-3),
        ((4, 3, 5), False, False, 0.1, 1e-5),
        ((4, 3, 5, 6), True, True, 0.1, 1e-5),
        ((4, 3, 5, 6), True, False, 0.2, 1e-5),
        ((4, 3, 5, 6), False, True, 0.1, 1e-5),
        ((2, 6, 3, 3), False, False, 0.1, 1e-3),
    ]
    out = {}
    for i, (shape, training, affine, momentum, eps) in enumerate(configs):
        seeded(200 + i)
        C = shape[1]
        x = f64(torch.randn(shape) * 2 + 1.5)
        w = f64(torch.rand(C) + 0.5)
        b = f64(torch.randn(C))
        rm, rv = (torch.randn(C) * 0.5).double(), (torch.rand(C) + 0.5).double()
        rm0, rv0 = rm.clone(), rv.clone()
        y = F.batch_norm(x, rm, rv, w if affine else None, b if affine else None,
                         training=training, momentum=momentum, eps=eps)
        g = torch.randn(y.shape).double()
        (y * g).sum().backward()
        key = f"n{i:02d}"
        out.update({key + ".x": x, key + ".g": g, key + ".y": y, key + ".gx": x.grad,
                    key + ".rm": rm0, key + ".rv": rv0, key + ".rm_out": rm, key + ".rv_out": rv,
                    key + ".params": torch.tensor([training, affine, momentum, eps],
                                                  dtype=torch.float64)})
        if affine:
            out.update({key + ".w": w, key + ".b": b, key + ".gw": w.grad, key + ".gb": b.grad})
    save_fixture("layers_norm", f32(out))


def losses():
    out = {}
    # Cross-entropy. params: [ignore_index, label_smoothing, reduction, has_weights]
    ce = [
        ((8, 5), -100, 0.0, "mean", False, 0),
        ((8, 5), -100, 0.0, "sum", False, 0),
        ((8, 5), -100, 0.0, "none", False, 0),
        ((8, 5), -100, 0.0, "mean", True, 0),
        ((8, 5), -100, 0.0, "mean", False, 3),   # 3 ignored targets
        ((8, 5), -100, 0.1, "mean", False, 0),
        ((8, 5), -100, 0.2, "mean", True, 2),
        ((8, 5), 1, 0.3, "sum", True, 0),        # ignore_index is a real class
        ((2, 4, 3, 5), 2, 0.2, "mean", True, 0),  # per-pixel, weights, ignore, smoothing
        ((2, 4, 3, 5), -100, 0.0, "none", True, 5),
        ((2, 4, 6), -100, 0.15, "none", False, 4),
        ((2, 4, 6), -1, 0.0, "sum", False, 4),
        # Unweighted mean with ignored targets and smoothing: PyTorch 1.13 divides the smoothing
        # term by the count of non-ignored targets too.
        ((8, 5), -100, 0.25, "mean", False, 3),
        ((2, 3, 4, 4), -100, 0.1, "mean", False, 6),
    ]
    for i, (shape, ignore, ls, red, weighted, n_ignored) in enumerate(ce):
        gen = seeded(300 + i)
        N, C = shape[0], shape[1]
        x = f64(torch.randn(shape) * 2)
        tshape = (N,) + shape[2:]
        t = torch.randint(0, C, tshape, generator=gen)
        if n_ignored:
            flat = t.view(-1)
            flat[torch.randperm(flat.numel(), generator=gen)[:n_ignored]] = ignore
        w = (torch.rand(C) + 0.25).double() if weighted else None
        loss = F.cross_entropy(x, t, weight=w, ignore_index=ignore, label_smoothing=ls,
                               reduction=red)
        g = torch.randn(loss.shape).double()
        (loss * g).sum().backward()
        key = f"ce{i:02d}"
        out.update({key + ".x": x, key + ".t": t.double(), key + ".g": g, key + ".loss": loss,
                    key + ".gx": x.grad,
                    key + ".params": torch.tensor([ignore, ls, REDUCTIONS[red], weighted],
                                                  dtype=torch.float64)})
        if weighted:
            out[key + ".w"] = w
    # BCE with logits. params: [reduction, has_pos_weight]
    bce = [
        ((6, 4), "mean", None),
        ((6, 4), "sum", None),
        ((6, 4), "none", None),
        ((6, 4), "mean", (4,)),
        ((2, 3, 4, 4), "sum", (3, 1, 1)),
        ((2, 3, 4, 4), "none", (4,)),
    ]
    for i, (shape, red, pw_shape) in enumerate(bce):
        seeded(400 + i)
        x = torch.randn(shape) * 4
        x.view(-1)[0], x.view(-1)[1] = 40.0, -40.0  # exp(40) overflows float32 if done naively
        x = f64(x)
        t = torch.rand(shape)
        t.view(-1)[2:6] = torch.tensor([0.0, 1.0, 0.0, 1.0])
        t = t.double()
        pw = (torch.rand(pw_shape) * 3 + 0.1).double() if pw_shape else None
        loss = F.binary_cross_entropy_with_logits(x, t, reduction=red, pos_weight=pw)
        g = torch.randn(loss.shape).double()
        (loss * g).sum().backward()
        key = f"bce{i:02d}"
        out.update({key + ".x": x, key + ".t": t, key + ".g": g, key + ".loss": loss,
                    key + ".gx": x.grad,
                    key + ".params": torch.tensor([REDUCTIONS[red], pw is not None],
                                                  dtype=torch.float64)})
        if pw is not None:
            out[key + ".pw"] = pw
    # MSE. params: [reduction]
    for i, red in enumerate(["mean", "sum", "none"]):
        seeded(500 + i)
        x = f64(torch.randn(3, 4, 5))
        t = f64(torch.randn(3, 4, 5))
        loss = F.mse_loss(x, t, reduction=red)
        g = torch.randn(loss.shape).double()
        (loss * g).sum().backward()
        key = f"mse{i:02d}"
        out.update({key + ".x": x, key + ".t": t, key + ".g": g, key + ".loss": loss,
                    key + ".gx": x.grad, key + ".gt": t.grad,
                    key + ".params": torch.tensor([REDUCTIONS[red]], dtype=torch.float64)})
    save_fixture("layers_loss", f32(out))


if __name__ == "__main__":
    torch.set_num_threads(1)
    activations()
    norms()
    losses()
