"""Whole-model PyTorch parity fixtures for tests/nn/model_parity_test.cpp: W1 lenet5 and W4 unet_small.

For each model: the input, targets, logits, loss, every parameter's gradient (in full up to
GRAD_SAMPLES elements, else GRAD_SAMPLES evenly spaced coordinates plus the full sum and sum of
squares, to keep the fixtures small), and the losses of 10 optimizer steps on the same batch.

The initial weights are not random draws of torch (which C++ cannot reproduce) but a
counter-based hash, uniform in +-1/sqrt(fan_in) like PyTorch's default init, that the C++ test
recomputes bit for bit (hash_uniform in the test); the fixture stores per-tensor sums of the
initial state_dict so both sides check they start from the same weights. Module names here are
the C++ model zoo's (src/nn/models/), so the state_dict keys are the same.

Run: /usr/bin/python3 tools/ref/model_ref.py  (writes tests/fixtures/model_*.safetensors)
"""
import numpy as np
import torch
from torch import nn

from common import save_fixture, seeded

GRAD_SAMPLES = 1024
STEPS = 10
MASK = (1 << 64) - 1


def hash_uniform(n, tensor_index, bound):
    """float32 values in [-bound, bound): splitmix64 of (i+1)*golden + tensor_index*C2."""
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        x = ((i + 1) * 0x9E3779B97F4A7C15 + tensor_index * 0xBF58476D1CE4E5B9) & MASK
        x ^= x >> 30
        x = (x * 0xBF58476D1CE4E5B9) & MASK
        x ^= x >> 27
        x = (x * 0x94D049BB133111EB) & MASK
        x ^= x >> 31
        u = (x >> 11) * (1.0 / (1 << 53))
        out[i] = (2.0 * u - 1.0) * bound
    return out.astype(np.float32)


def fan_in(name, shape, model):
    """PyTorch's fan_in of a weight (bias: that of its layer's weight); transposed conv uses size(1)."""
    module = model.get_submodule(name.rsplit(".", 1)[0])
    w = module.weight
    receptive = int(np.prod(w.shape[2:])) if w.dim() > 2 else 1
    return w.shape[1] * receptive


def hash_init(model):
    """Overwrites every parameter with hash_uniform; tensor_index is the position in state_dict order."""
    with torch.no_grad():
        for index, (name, p) in enumerate(model.named_parameters()):
            bound = 1.0 / np.sqrt(fan_in(name, p.shape, model))
            p.copy_(torch.from_numpy(hash_uniform(p.numel(), index, bound)).reshape(p.shape))


def sample_indices(n):
    return [(j * n) // GRAD_SAMPLES for j in range(GRAD_SAMPLES)] if n > GRAD_SAMPLES else list(range(n))


def record(model, x, target, loss_fn, make_opt, name, meta):
    hash_init(model)
    out = {"input": x, "target": target.to(torch.int64)}
    for k, v in model.state_dict().items():
        out["init_sum." + k] = torch.tensor([v.double().sum().item(), v.double().abs().sum().item()],
                                            dtype=torch.float64)
    logits = model(x)
    loss = loss_fn(logits, target)
    loss.backward()
    out["logits"] = logits.detach()
    out["loss"] = loss.detach().reshape(1)
    for k, p in model.named_parameters():
        g = p.grad.detach().reshape(-1)
        out["grad_sample." + k] = g[sample_indices(g.numel())].clone()
        out["grad_stats." + k] = torch.tensor([g.double().sum().item(), (g.double() ** 2).sum().item()],
                                              dtype=torch.float64)
    # 10 training steps from the same initial weights on the same batch.
    hash_init(model)
    opt = make_opt(model.parameters())
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(model(x), target)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    out["train_losses"] = torch.tensor(losses, dtype=torch.float64)
    path = save_fixture(name, out, meta)
    print(path, "loss", out["loss"].item(), "last", losses[-1])


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
            nn.Linear(84, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def double_conv(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU())


class UNetSmall(nn.Module):
    def __init__(self, cin=1, classes=2, base=16):
        super().__init__()
        c1, c2, c3 = base, 2 * base, 4 * base
        self.enc1 = double_conv(cin, c1)
        self.enc2 = double_conv(c1, c2)
        self.bottleneck = double_conv(c2, c3)
        self.pool = nn.MaxPool2d(2)
        self.up2 = nn.ConvTranspose2d(c3, c2, 2, stride=2)
        self.dec2 = double_conv(2 * c2, c2)
        self.up1 = nn.ConvTranspose2d(c2, c1, 2, stride=2)
        self.dec1 = double_conv(2 * c1, c1)
        self.head = nn.Conv2d(c1, classes, 1)

    def forward(self, x):
        s1 = self.enc1(x)
        s2 = self.enc2(self.pool(s1))
        b = self.bottleneck(self.pool(s2))
        d2 = self.dec2(torch.cat([self.up2(b), s2], 1))
        d1 = self.dec1(torch.cat([self.up1(d2), s1], 1))
        return self.head(d1)


def main():
    torch.set_num_threads(1)
    g = seeded(1)
    x = torch.randn(4, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (4,), generator=g)
    record(LeNet5(), x, y, nn.CrossEntropyLoss(),
           lambda p: torch.optim.SGD(p, lr=0.01, momentum=0.9), "model_lenet5",
           {"model": "lenet5 (W1)", "input": "4x1x28x28", "optimizer": "SGD lr 0.01 momentum 0.9",
            "grad_samples": GRAD_SAMPLES})
    g = seeded(4)
    x = torch.randn(2, 1, 32, 32, generator=g)
    y = torch.randint(0, 2, (2, 32, 32), generator=g)
    record(UNetSmall(), x, y, nn.CrossEntropyLoss(),
           lambda p: torch.optim.Adam(p, lr=1e-3), "model_unet_small",
           {"model": "unet_small (W4)", "input": "2x1x32x32 (smaller than the benchmark's 64x64)",
            "optimizer": "Adam lr 1e-3", "grad_samples": GRAD_SAMPLES})


if __name__ == "__main__":
    main()
