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
    "blank_source": ("invalid_input", "   \n  "),
    "binary_source": ("invalid_input", b"\x89PNG\r\n\x1a\n\x00\x00"),
}
