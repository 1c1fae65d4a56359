"""Attendance charts as PNG images (matplotlib's Agg canvas, no pyplot: safe in a thread)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, timedelta

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from core.programme import PROGRAMMES
from db.attendance import SessionCount

__all__ = ["breakdown_chart", "overview_chart", "week_start"]

# One colour per programme, in weekday order (colour-blind friendly "tab" palette).
_COLOURS = {p.key: c for p, c in zip(
    PROGRAMMES, ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"), strict=True
)}
_NAMES = {p.key: p.name for p in PROGRAMMES}


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


def overview_chart(counts: Sequence[SessionCount], first: date, last: date) -> bytes:
    """Two panels: attendance per session (bars coloured by programme), and per programme
    per week (lines)."""
    fig = Figure(figsize=(11, 7.5), layout="constrained")
    top, bottom = fig.subplots(2, 1)
    fig.suptitle(
        f"Kehadiran ASN Dahar Ngopi, {first:%d/%m/%Y} – {last:%d/%m/%Y}", fontsize=13
    )
    xs = list(range(len(counts)))
    top.bar(xs, [c.count for c in counts],
            color=[_COLOURS.get(c.programme_key, "#7f7f7f") for c in counts])
    step = max(1, len(counts) // 20)  # at most ~20 labels stay readable
    top.set_xticks(xs[::step], [f"{c.day:%d/%m}" for c in counts][::step], rotation=45,
                   fontsize=8)
    top.set_ylabel("Kehadiran per sesi")
    top.set_title("Per sesi", fontsize=11, loc="left")
    top.grid(axis="y", alpha=0.3)

    weeks: list[date] = []
    monday = week_start(first)
    while monday <= last:
        weeks.append(monday)
        monday += timedelta(days=7)
    index = {w: i for i, w in enumerate(weeks)}
    for key, name in _NAMES.items():
        series = [0] * len(weeks)
        for c in counts:
            if c.programme_key == key:
                series[index[week_start(c.day)]] += c.count
        if any(series):
            bottom.plot(range(len(weeks)), series, marker="o", label=name,
                        color=_COLOURS[key])
    bottom.set_xticks(range(len(weeks)), [f"{w:%d/%m}" for w in weeks], fontsize=8)
    bottom.set_ylabel("Kehadiran per minggu")
    bottom.set_xlabel("Minggu mulai (Senin)")
    bottom.set_title("Per program per minggu", fontsize=11, loc="left")
    bottom.grid(alpha=0.3)
    if any(c.count for c in counts):
        bottom.legend(fontsize=8, loc="upper left")
    else:
        top.text(0.5, 0.5, "Belum ada kehadiran", transform=top.transAxes, ha="center")
    return _png(fig)


def breakdown_chart(
    title: str, by_region: Sequence[tuple[str, int]], by_instansi: Sequence[tuple[str, int]]
) -> bytes:
    """Horizontal bars of one session's attendance by kabupaten/kota and by instansi."""
    fig = Figure(figsize=(11, 6.5), layout="constrained")
    left, right = fig.subplots(1, 2)
    fig.suptitle(title[:90], fontsize=12)
    for ax, rows, label in ((left, by_region, "Kabupaten/kota"), (right, by_instansi, "Instansi")):
        names = [n[:32] for n, _ in rows][::-1]
        values = [v for _, v in rows][::-1]
        ax.barh(range(len(values)), values, color="#1f77b4")
        ax.set_yticks(range(len(values)), names, fontsize=8)
        ax.set_title(label, fontsize=11, loc="left")
        ax.grid(axis="x", alpha=0.3)
        if not rows:
            ax.text(0.5, 0.5, "Belum ada kehadiran", transform=ax.transAxes, ha="center")
    return _png(fig)
