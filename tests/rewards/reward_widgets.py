"""Small TSX widgets with knobs for controlled perturbations, shared by the reward tests.

Each function returns TSX source; the defaults give the "true" widget. Hidden elements keep their
box (`invisible`), so element removal changes only the pixels of the removed element.
"""

from __future__ import annotations


def mix(a: str, b: str, t: float) -> str:
    """The colour a fraction `t` of the way from hex colour `a` to hex colour `b`."""
    ca = [int(a[i:i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb, strict=True))


def stat_card(card: str = "#1e293b", dx: int = 0, hide: int = 0) -> str:
    """A dark statistics card: accent bar, label, big number, badge; `hide` hides the last n of them."""
    vis = ["invisible" if i >= 4 - hide else "" for i in range(4)]
    return f"""
export default function StatCard() {{
  return (
    <div className="w-[280px] rounded-2xl bg-[{card}] p-5 text-white">
      <div className="ml-[{dx}px] w-[200px]">
        <div className="h-3 w-28 rounded-full bg-[#3b82f6] {vis[0]}" />
        <p className="mt-4 text-sm text-[#cbd5e1] {vis[1]}">Weekly revenue</p>
        <p className="mt-1 text-3xl font-bold {vis[2]}">$12,480</p>
        <span className="mt-3 inline-block rounded-full bg-[#22c55e] px-3 py-1 text-xs font-semibold text-black {vis[3]}">+8.1%</span>
      </div>
    </div>
  );
}}
"""


def task_list(accent: str = "#6366f1", hide: int = 0) -> str:
    """A light bordered card with a heading and three rows (dot + text); `hide` hides the last n rows."""
    rows = ["Design review", "Ship release", "Write notes"]
    items = "\n".join(
        f'        <li className="flex items-center gap-3 {"invisible" if i >= 3 - hide else ""}">'
        f'<span className="h-3 w-3 rounded-full bg-[{accent}]" />'
        f'<span className="text-sm text-[#334155]">{text}</span></li>'
        for i, text in enumerate(rows))
    return f"""
export default function TaskList() {{
  return (
    <div className="w-[240px] rounded-xl border border-[#e2e8f0] bg-white p-4">
      <h2 className="text-base font-semibold text-[#0f172a]">Today</h2>
      <ul className="mt-3 space-y-2">
{items}
      </ul>
    </div>
  );
}}
"""


def bar_chart(color: str = "#0ea5e9", heights: tuple[int, ...] = (40, 72, 56, 90)) -> str:
    """A chart widget: a row of vertical bars on a pale panel."""
    bars = "\n".join(f'        <div className="w-6 rounded-t bg-[{color}]" style={{{{height: {h}}}}} />'
                     for h in heights)
    return f"""
export default function Chart() {{
  return (
    <div className="w-[200px] rounded-lg bg-[#f1f5f9] p-4">
      <div className="flex h-[100px] items-end gap-3">
{bars}
      </div>
    </div>
  );
}}
"""
