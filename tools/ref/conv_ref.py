"""PyTorch reference for the convolution ops: writes tests/fixtures/conv_parity.safetensors.

For every row of the test table (the same names and parameters as tests/kernels/conv/conv_cases.cpp)
it stores, under "<row>.<key>": the input x, weight w, bias b (if any), the output y, a fixed
output gradient g and the gradients of <g, y> with respect to x, w and b. Inputs are float32
values; the expected tensors are computed by PyTorch in float64 from those exact values and
rounded to float32, so they are as exact as float32 can hold.
Run: /usr/bin/python3 tools/ref/conv_ref.py
"""
import torch
import torch.nn.functional as F

from common import save_fixture, seeded

# name, op, N, IC, OC, H, W, KH, KW, args, bias
# conv2d args: stride (sh, sw), padding (top, bottom, left, right), mode, dilation, groups
# conv1d args: stride, padding (left, right), mode, dilation, groups
# convT args: stride, padding (ph, pw), output_padding, dilation, groups
C2 = "conv2d"
C1 = "conv1d"
CT = "conv_transpose2d"


def c2(stride=(1, 1), padding=(0, 0, 0, 0), mode="zeros", dilation=(1, 1), groups=1):
    return dict(stride=stride, padding=padding, mode=mode, dilation=dilation, groups=groups)


def c1(stride=1, padding=(0, 0), mode="zeros", dilation=1, groups=1):
    return dict(stride=stride, padding=padding, mode=mode, dilation=dilation, groups=groups)


def ct(stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1), groups=1):
    return dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation,
                groups=groups)


ROWS = [
    ("odd_sizes", C2, 2, 3, 4, 7, 9, 3, 3, c2(padding=(1, 1, 1, 1)), True),
    ("stride2", C2, 2, 2, 3, 9, 8, 3, 3, c2(stride=(2, 2), padding=(1, 1, 1, 1)), True),
    ("stride3_rect", C2, 1, 2, 3, 10, 11, 4, 3, c2(stride=(3, 2)), True),
    ("dilation2", C2, 2, 2, 3, 9, 9, 3, 3, c2(padding=(2, 2, 2, 2), dilation=(2, 2)), True),
    ("groups2", C2, 2, 4, 6, 6, 7, 3, 3, c2(padding=(1, 1, 1, 1), groups=2), True),
    ("depthwise_stride2", C2, 2, 4, 8, 7, 6, 3, 3,
     c2(stride=(2, 2), padding=(1, 1, 1, 1), groups=4), True),
    ("pointwise_nobias", C2, 2, 5, 2, 4, 3, 1, 1, c2(), False),
    ("lenet_5x5", C2, 2, 1, 3, 8, 8, 5, 5, c2(padding=(2, 2, 2, 2)), True),
    ("zeros_asym", C2, 2, 3, 2, 6, 5, 2, 3, c2(padding=(0, 1, 2, 0)), True),
    ("circular", C2, 2, 2, 3, 6, 6, 3, 3, c2(padding=(1, 1, 1, 1), mode="circular"), True),
    ("circular_asym_groups_nobias", C2, 2, 4, 4, 5, 6, 3, 2,
     c2(padding=(2, 0, 1, 0), mode="circular", groups=2), False),
    ("reflect_asym", C2, 1, 2, 3, 7, 6, 3, 3, c2(padding=(1, 2, 2, 0), mode="reflect"), True),
    ("replicate_asym_stride2", C2, 2, 2, 2, 5, 7, 3, 2,
     c2(stride=(2, 2), padding=(0, 2, 1, 1), mode="replicate"), True),
    ("conv1d_stride2", C1, 2, 3, 4, 1, 11, 1, 3, c1(stride=2, padding=(1, 1)), True),
    ("conv1d_circular_dil2_groups2_nobias", C1, 2, 2, 4, 1, 12, 1, 3,
     c1(padding=(2, 2), mode="circular", dilation=2, groups=2), False),
    ("convT_k2_stride2", CT, 2, 4, 3, 4, 5, 2, 2, ct(stride=(2, 2)), True),
    ("convT_k3_stride2_outpad1", CT, 2, 3, 2, 4, 3, 3, 3,
     ct(stride=(2, 2), padding=(1, 1), output_padding=(1, 1)), True),
    ("convT_dilation2", CT, 1, 2, 3, 5, 4, 3, 3, ct(padding=(1, 1), dilation=(2, 2)), True),
    ("convT_groups2_nobias", CT, 2, 4, 6, 4, 4, 3, 3,
     ct(stride=(2, 2), padding=(1, 1), output_padding=(1, 0), groups=2), False),
    ("convT_outpad_below_dilation", CT, 1, 2, 2, 4, 5, 3, 3,
     ct(output_padding=(1, 1), dilation=(2, 2)), True),
    ("convT_rect_stride3", CT, 2, 2, 2, 3, 4, 2, 3,
     ct(stride=(3, 2), padding=(1, 0), output_padding=(2, 1)), True),
]


def pad_mode(mode):
    return {"circular": "circular", "reflect": "reflect", "replicate": "replicate"}[mode]


def run(op, a, x, w, b):
    if op == C2:
        t, bo, l, r = a["padding"]
        if a["mode"] == "zeros":
            x = F.pad(x, (l, r, t, bo))
        else:
            x = F.pad(x, (l, r, t, bo), mode=pad_mode(a["mode"]))
        return F.conv2d(x, w, b, stride=a["stride"], dilation=a["dilation"], groups=a["groups"])
    if op == C1:
        l, r = a["padding"]
        if a["mode"] == "zeros":
            x = F.pad(x, (l, r))
        else:
            x = F.pad(x, (l, r), mode=pad_mode(a["mode"]))
        return F.conv1d(x, w, b, stride=a["stride"], dilation=a["dilation"], groups=a["groups"])
    return F.conv_transpose2d(x, w, b, stride=a["stride"], padding=a["padding"],
                              output_padding=a["output_padding"], groups=a["groups"],
                              dilation=a["dilation"])


def main():
    gen = seeded(20261121)
    tensors = {}
    for name, op, n, ic, oc, h, wd, kh, kw, a, has_bias in ROWS:
        g = a["groups"]
        if op == C2:
            xs, ws = (n, ic, h, wd), (oc, ic // g, kh, kw)
        elif op == C1:
            xs, ws = (n, ic, wd), (oc, ic // g, kw)
        else:
            xs, ws = (n, ic, h, wd), (ic, oc // g, kh, kw)
        # float32 values, promoted exactly to float64 for the computation
        x = torch.randn(xs, generator=gen).float().double().requires_grad_()
        w = (torch.randn(ws, generator=gen) * 0.5).float().double().requires_grad_()
        b = torch.randn(oc, generator=gen).float().double().requires_grad_() if has_bias else None
        y = run(op, a, x, w, b)
        gy = torch.randn(y.shape, generator=gen).float().double()
        (y * gy).sum().backward()
        out = {"x": x, "w": w, "y": y, "g": gy, "dx": x.grad, "dw": w.grad}
        if has_bias:
            out.update(b=b, db=b.grad)
        for k, v in out.items():
            tensors[f"{name}.{k}"] = v.detach().float()
    path = save_fixture("conv_parity", tensors, {"rows": len(ROWS)})
    print("wrote", path, len(tensors), "tensors")


if __name__ == "__main__":
    main()
