#!/usr/bin/env python3
"""Turns `jfr print --events jdk.ExecutionSample --stack-depth 64 FILE` output into a flame graph (SVG).

usage: jfr print --events jdk.ExecutionSample --stack-depth 64 rec.jfr | python3 flamegraph.py "title" > out.svg
Each sample's stack, root at the bottom, leaf on top; a frame's width is its share of the samples. No dependencies.
"""
import html
import re
import sys
from collections import defaultdict

title = sys.argv[1] if len(sys.argv) > 1 else "flame graph"
text = sys.stdin.read()
stacks = defaultdict(int)
for event in text.split("jdk.ExecutionSample")[1:]:
    frames = re.findall(r"^\s+([\w$.<>]+)\(", event, re.M)
    if frames:
        stacks[tuple(reversed(frames))] += 1  # root first

total = sum(stacks.values())


def tree():
    root = {"n": 0, "c": {}}
    for stack, count in stacks.items():
        node = root
        node["n"] += count
        for f in stack:
            node = node["c"].setdefault(f, {"n": 0, "c": {}})
            node["n"] += count
    return root


WIDTH, ROW = 1200.0, 16
rects = []
depth_max = 0


def walk(node, x, depth):
    global depth_max
    depth_max = max(depth_max, depth)
    for name, child in sorted(node["c"].items()):
        w = WIDTH * child["n"] / total
        if child["n"] >= 2:  # frames seen in one sample only are left out (noise, and file size)
            rects.append((x, depth, w, name, child["n"]))
            walk(child, x, depth + 1)
        x += w


walk(tree(), 0.0, 0)
height = (depth_max + 3) * ROW
out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="monospace" font-size="11">'
       % (WIDTH, height),
       '<text x="4" y="14">%s (%d samples)</text>' % (html.escape(title), total)]
for x, depth, w, name, n in rects:
    y = height - (depth + 1) * ROW
    short = name.rsplit(".", 2)
    label = ".".join(short[-2:]) if len(short) > 1 else name
    hue = 20 + (hash(name.split(".")[0]) % 40)
    out.append('<g><title>%s: %d samples (%.1f%%)</title><rect x="%.1f" y="%d" width="%.1f" height="%d" '
               'fill="hsl(%d,80%%,60%%)" stroke="white" stroke-width="0.5"/>' % (html.escape(name), n, 100.0 * n / total,
                                                                           x, y, w, ROW - 1, hue))
    if w > 40:
        out.append('<text x="%.1f" y="%d">%s</text>' % (x + 2, y + 11, html.escape(label[: int(w / 6.5)])))
    out.append("</g>")
out.append("</svg>")
print("\n".join(out))
