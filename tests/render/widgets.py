"""Small TSX sources the renderer tests share: good widgets and one per kind of failure."""

from __future__ import annotations

CARD = """
export default function Card() {
  return (
    <div className="w-64 rounded-2xl bg-gradient-to-br from-sky-500 to-indigo-600 p-4 text-white shadow-2xl">
      <h1 className="text-xl font-bold">Hello</h1>
      <p className="text-sm opacity-80">A small card</p>
    </div>
  );
}
"""

COUNTER = """
import { useState, useEffect } from "react";
export default function Counter() {
  const [n, setN] = useState(1);
  useEffect(() => setN(7), []);
  return <div className="w-40 rounded-lg bg-emerald-100 p-3 text-emerald-900">Count {n}</div>;
}
"""

# (expected error kind, source) for failures that are quick to produce. Timeouts and crashes take
# seconds and have their own tests.
FAILING = {
    "syntax": ("syntax", "export default function W() { return <div> }"),
    "import": ("import", "import _ from 'lodash';\nexport default function W() { return <div/>; }"),
    "import_css": ("import", "import './styles.css';\nexport default function W() { return <div/>; }"),
    "import_dynamic": ("import", "export default function W() { import('three'); return <div/>; }"),
    "no_default_export": ("no_component", "export const answer = 42;"),
    "default_not_component": ("no_component", "export default 42;"),
    "throws_in_render": ("runtime", "export default function W() { throw new Error('boom'); }"),
    "throws_at_import": ("runtime", "throw new Error('at import');\nexport default function W() { return <div/>; }"),
    "undefined_access": ("runtime", "export default function W() { const x: any = undefined; return <div>{x.y}</div>; }"),
    "renders_null": ("empty", "export default function W() { return null; }"),
    "zero_size_box": ("empty", "export default function W() { return <div className='h-0 w-0'/>; }"),
    "element_export": ("no_component", "export default <div className='p-4'>an element, not a component</div>;"),
    "several_components": ("no_component", "export function A() { return <div/>; }\nexport const B = () => <div/>;"),
    "markdown_fence": ("syntax", "```tsx\nexport default function W() { return <div className='p-4'>x</div>; }\n```"),
    "missing_icon": ("import", "import { NoSuchIcon } from 'lucide-react';\nexport default function W() { return <NoSuchIcon/>; }"),
    "navigates_away": ("runtime", "import { useEffect } from 'react';\nexport default function W() {"
                       " useEffect(() => { location.href = 'https://example.com/'; }, []); return <div className='p-4'>x</div>; }"),
    "blank_source": ("invalid_input", "   \n  "),
    "binary_source": ("invalid_input", b"\x89PNG\r\n\x1a\n\x00\x00"),
}

# Shapes of real widget code (LLM-written and hand-written), rewritten for the tests.
LUCIDE_HEART = """
import { Heart } from "lucide-react";
export default function Liked() {
  return <div className="p-2"><Heart className="h-24 w-24 text-red-600" fill="currentColor" /></div>;
}
"""
REACT_ICON = """
import { FaGithub } from "react-icons/fa";
export default function Repo() {
  return <div className="p-2 text-black"><FaGithub size={96} /></div>;
}
"""
# A thick red line across a chart sized by ResponsiveContainer (which measures its parent through a
# ResizeObserver) and drawn by recharts' default animation (animation frames): both on virtual time.
RECHARTS_LINE = """
import { Line, LineChart, ResponsiveContainer } from "recharts";
const data = [{ v: 1 }, { v: 4 }, { v: 2 }, { v: 5 }];
export default function Trend() {
  return (
    <div style={{ width: 320, height: 160 }}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data}><Line dataKey="v" stroke="#ff0000" strokeWidth={6} dot={false} /></LineChart>
      </ResponsiveContainer>
    </div>
  );
}
"""
NAMED_ONLY = """
import { Users, type LucideIcon } from "lucide-react";
interface StatCardProps { label?: string; icon?: LucideIcon }
export function StatCard({ label = "Members", icon: Icon = Users }: StatCardProps) {
  return <div className="flex w-56 items-center gap-3 rounded-xl border p-4"><Icon className="h-6 w-6" />{label}</div>;
}
"""
# Widgets whose picture depends on time: each encodes what it saw as a width, so the test reads it back.
INTERVAL = """
import { useEffect, useState } from "react";
export default function Ticks() {
  const [n, setN] = useState(0);
  useEffect(() => { const id = setInterval(() => setN((x) => x + 1), 100); return () => clearInterval(id); }, []);
  return <div className="h-4 bg-emerald-500" style={{ width: 10 * n + 1 }} />;
}
"""
FRAMES = """
import { useEffect, useState } from "react";
export default function Frames() {
  const [n, setN] = useState(0);
  useEffect(() => {
    let id = requestAnimationFrame(function step() { setN((x) => x + 1); id = requestAnimationFrame(step); });
    return () => cancelAnimationFrame(id);
  }, []);
  return <div className="h-4 bg-sky-500" style={{ width: n + 1 }} />;
}
"""
LATE_TIMEOUT = """
import { useEffect, useState } from "react";
export default function Late() {
  const [wide, setWide] = useState(false);
  useEffect(() => { const id = setTimeout(() => setWide(true), 2500); return () => clearTimeout(id); }, []);
  return <div className="h-4 bg-amber-500" style={{ width: wide ? 400 : 100 }} />;
}
"""
CLOCK = """
import { useEffect, useState } from "react";
export function LiveClock() {
  const [now, setNow] = useState(new Date());
  useEffect(() => { const id = setInterval(() => setNow(new Date()), 1000); return () => clearInterval(id); }, []);
  return <div className="rounded-lg bg-slate-900 p-4 font-mono text-3xl text-white">{now.toLocaleTimeString()}
    <span className="ml-2 text-sm">{Math.round(performance.now())}</span></div>;
}
"""
LAZY = """
import { lazy, Suspense } from "react";
const Panel = lazy(() => new Promise<{ default: () => JSX.Element }>((resolve) =>
  setTimeout(() => resolve({ default: () => <div className="h-40 w-80 bg-violet-600" /> }), 600)));
export default function Deferred() {
  return <Suspense fallback={<div className="h-4 w-4 bg-gray-300" />}><Panel /></Suspense>;
}
"""
CHANCE = """
export default function Ids() {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return <div className="p-4 font-mono">{crypto.randomUUID()} {bytes.join(".")} {Math.random().toFixed(6)}
    {new Intl.DateTimeFormat("en-US", { timeStyle: "medium", timeZone: "UTC" }).format()}</div>;
}
"""
