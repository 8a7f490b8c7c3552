#!/usr/bin/env python3
"""The benchmark chart: reads a `make bench` run's output and draws its comparisons as an SVG.

    python3 bench/chart.py build/bench/results.txt build/bench/chart.svg [--note TEXT]

Every comparison a bench makes is printed as one line (see bench/*.c)
    @ratio <group> | <label> | <factor>
where factor = how many times better mp.h is than the baseline named in the label (> 1: mp.h is
better). One horizontal bar per line, grouped, on a logarithmic axis centred on 1x: a bar to the
right of 1x is mp.h ahead, to the left behind. Python's standard library only; no network.
"""
import math
import os
import platform
import sys
import time
from xml.sax.saxutils import escape


def parse(text):
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("@ratio "):
            continue
        parts = [p.strip() for p in line[len("@ratio "):].split("|")]
        if len(parts) != 3:
            continue
        try:
            factor = float(parts[2])
        except ValueError:
            continue
        if factor > 0 and math.isfinite(factor):
            rows.append((parts[0], parts[1], factor))
    return rows


def fmt(f):
    if f >= 100:
        return "%.0fx" % f
    if f >= 10:
        return "%.1fx" % f
    return "%.2fx" % f


def svg(rows, note):
    groups = []
    for g, _, _ in rows:
        if g not in groups:
            groups.append(g)
    label_w, bar_w, value_w, row_h, group_gap = 330, 460, 70, 20, 14
    top, left = 80, 10
    width = left + label_w + bar_w + value_w + 10
    height = top + len(rows) * row_h + len(groups) * (row_h + group_gap) + 40
    lo = min([f for _, _, f in rows] + [0.5])
    hi = max([f for _, _, f in rows] + [2.0])
    lmin = math.floor(math.log10(lo) * 2) / 2  # half decades
    lmax = math.ceil(math.log10(hi) * 2) / 2
    x0 = left + label_w

    def x(f):
        return x0 + (math.log10(f) - lmin) / (lmax - lmin) * bar_w

    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
        'viewBox="0 0 %d %d" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" '
        'font-size="12">' % (width, height, width, height),
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        '<text x="%d" y="20" font-size="15" font-weight="bold">mp.h against raw system calls '
        "and Python multiprocessing</text>" % left,
        '<text x="%d" y="38" fill="#555">how many times better mp.h is (log scale): right of 1x '
        "mp.h is ahead, left of it behind</text>" % left,
        '<text x="%d" y="56" fill="#555">%s</text>' % (left, escape(note)),
    ]
    # the axis: decades and half decades, 1x stronger
    axis_bottom = height - 30
    e = lmin
    while e <= lmax + 1e-9:
        f = 10 ** e
        xx = x(f)
        whole = abs(e - round(e)) < 1e-9
        stroke = "#333" if abs(e) < 1e-9 else ("#bbb" if whole else "#e4e4e4")
        out.append(
            '<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="%s"/>'
            % (xx, top - 8, xx, axis_bottom, stroke, "1.5" if abs(e) < 1e-9 else "1")
        )
        if whole:
            out.append(
                '<text x="%.1f" y="%d" text-anchor="middle" fill="#333">%s</text>'
                % (xx, axis_bottom + 16, "%gx" % round(f, 6))
            )
        e += 0.5
    y = top
    for g in groups:
        out.append('<text x="%d" y="%d" font-weight="bold">%s</text>' % (left, y + 13, escape(g)))
        y += row_h
        for gg, label, f in rows:
            if gg != g:
                continue
            x1, x2 = sorted((x(1.0), x(f)))
            color = "#2e8b57" if f >= 1 else "#d2691e"
            out.append(
                '<text x="%d" y="%d" fill="#222">%s</text>' % (left + 12, y + 13, escape(label))
            )
            out.append(
                '<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>'
                % (x1, y + 3, max(x2 - x1, 1.0), row_h - 6, color)
            )
            tx = x(f) + 4 if f >= 1 else x(f) - 4
            anchor = "start" if f >= 1 else "end"
            if f < 1 and x(f) - 4 < x0 + 30:  # no room on the left: write it right of 1x
                tx, anchor = x(1.0) + 4, "start"
            out.append(
                '<text x="%.1f" y="%d" text-anchor="%s" fill="#222">%s</text>'
                % (tx, y + 13, anchor, fmt(f))
            )
            y += row_h
        y += group_gap
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    note = ""
    if len(argv) > 4 and argv[3] == "--note":
        note = argv[4]
    with open(argv[1], encoding="utf-8", errors="replace") as f:
        rows = parse(f.read())
    if not rows:
        sys.stderr.write("chart.py: no @ratio lines in %s\n" % argv[1])
        return 1
    if not note:
        note = "%s, %d CPUs, %s" % (
            platform.system(),
            os.cpu_count() or 1,
            time.strftime("%Y-%m-%d", time.gmtime()),
        )
    with open(argv[2], "w", encoding="utf-8") as f:
        f.write(svg(rows, note))
    print("chart: %d comparisons -> %s" % (len(rows), argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
