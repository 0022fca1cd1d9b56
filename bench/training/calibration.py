#!/usr/bin/env python3
"""Writes the governor calibration data set: 200,000 rows, 12 numeric and 4 categorical features, binary label y.

Usage: bench/training/calibration.py OUT.csv
"""
import random
import sys

random.seed(5)
with open(sys.argv[1], "w") as f:
    f.write(",".join(["id"] + [f"n{i}" for i in range(12)] + [f"c{i}" for i in range(4)] + ["y"]) + "\n")
    for r in range(200_000):
        n = [random.gauss(0, 1) for _ in range(12)]
        c = [random.choice("ABCDEFGH") for _ in range(4)]
        z = n[0] * 1.2 - n[1] + 0.5 * n[2] * n[3] + (0.8 if c[0] == "A" else 0) + random.gauss(0, 1)
        f.write(",".join([f"r{r}"] + [f"{x:.5f}" for x in n] + c + ["yes" if z > 0.5 else "no"]) + "\n")
