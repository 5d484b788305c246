"""PyTorch references for the segmentation losses (tests/autograd/segmentation_loss_test.cpp).

Writes tests/fixtures/segmentation_loss.safetensors. Every configuration `cfg` stores
cfg.x (logits, float64), cfg.t (class indices), cfg.params ([kind, gamma_or_smooth]: kind 0 =
focal, 1 = dice), cfg.loss and cfg.gx (the gradient of the loss with respect to the logits).
PyTorch has neither loss built in: they are written here from their papers' formulas with
torch ops, and PyTorch's autograd gives the gradients. The focal loss with gamma 0 is checked
against F.cross_entropy, so the formula's conventions are PyTorch's.
Run: /usr/bin/python3 tools/ref/segmentation_loss_ref.py
"""
import torch
import torch.nn.functional as F

from common import save_fixture, seeded


def focal(x, t, gamma):
    """Lin et al. 2017 without alpha: mean over pixels of -(1 - p_t)^gamma log p_t."""
    logp = F.log_softmax(x, dim=1)
    logpt = logp.gather(1, t.unsqueeze(1)).squeeze(1)
    return (-(1 - logpt.exp()) ** gamma * logpt).mean()


def dice(x, t, smooth):
    """Soft Dice per sample and class, 1 - mean over (n, c), sums over the pixels."""
    n, c = x.shape[0], x.shape[1]
    p = F.softmax(x, dim=1).reshape(n, c, -1)
    oh = F.one_hot(t.reshape(n, -1), c).permute(0, 2, 1).to(x.dtype)
    inter = (p * oh).sum(2)
    total = p.sum(2) + oh.sum(2)
    return 1 - ((2 * inter + smooth) / (total + smooth)).mean()


def main():
    seeded(17)
    out = {}
    shapes = [(2, 3, 4, 5), (3, 2, 6, 6), (1, 4, 3, 3), (4, 2, 8)]
    k = 0
    for shape in shapes:
        for kind, params in ((0, (0, 1, 2, 3)), (1, (1.0, 0.0, 0.5))):
            for prm in params:
                x = (torch.randn(*shape, dtype=torch.float64) * 2).requires_grad_(True)
                t = torch.randint(0, shape[1], (shape[0],) + shape[2:])
                if kind == 1 and prm == 0.0:
                    t[:, ...] = t.clamp(max=shape[1] - 2)  # a class absent: smooth 0 still finite
                loss = focal(x, t, prm) if kind == 0 else dice(x, t, prm)
                if kind == 0 and prm == 0:
                    ce = F.cross_entropy(x, t)
                    assert torch.allclose(loss, ce), (loss, ce)
                loss.backward()
                key = f"c{k:02d}"
                out.update({key + ".x": x.detach(), key + ".t": t.double(),
                            key + ".params": torch.tensor([float(kind), float(prm)], dtype=torch.float64),
                            key + ".loss": loss.detach().reshape(1), key + ".gx": x.grad})
                k += 1
    save_fixture("segmentation_loss", out)


if __name__ == "__main__":
    main()
