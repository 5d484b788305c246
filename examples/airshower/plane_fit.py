"""The classical baseline for examples/airshower's direction: a plane front fitted to the
triggered stations' arrival times (least squares, weights sqrt(S)), u_x = -c b_x, u_y = -c b_y.
It ignores the front's curvature, as a first-guess reconstruction does. Prints the 68 % quantile
of the opening angle (the `airshower` metric set's angular_resolution_deg).
Run: /usr/bin/python3 examples/airshower/plane_fit.py examples/airshower/square_test.npz [hex]
"""
import sys

import numpy as np

C = 0.299792458  # m/ns


def positions(grid, rows, cols, d=750.0):
    r, c = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    if grid == "hex":
        x, y = c * d * np.sqrt(3) / 2, -(r + 0.5 * (c % 2)) * d
    else:
        x, y = c * d, -r * d
    return x - x.mean(), y - y.mean()


def main():
    f = np.load(sys.argv[1])
    grid = sys.argv[2] if len(sys.argv) > 2 else "square"
    signal, time, u = f["signal"], f["time"], f["direction"]
    x, y = positions(grid, *signal.shape[1:])
    angles = []
    for s, t, true in zip(signal, time, u):
        m = s > 0
        w = np.sqrt(np.sqrt(s[m]))  # rows scaled by sqrt(weight sqrt(S))
        A = np.stack([np.ones(m.sum()), x[m], y[m]], 1) * w[:, None]
        b = np.linalg.lstsq(A, t[m] * w, rcond=None)[0]
        ux, uy = -C * b[1], -C * b[2]
        uz = np.sqrt(max(0.0, 1 - ux * ux - uy * uy))
        p = np.array([ux, uy, uz])
        angles.append(np.degrees(np.arctan2(np.linalg.norm(np.cross(p, true)), p @ true)))
    print(f"plane fit on {len(angles)} showers: angular resolution (68%) "
          f"{np.quantile(angles, 0.68):.3f} deg")


if __name__ == "__main__":
    main()
