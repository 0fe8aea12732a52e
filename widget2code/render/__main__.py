"""Render TSX widgets from the command line.

    python -m widget2code.render WIDGET.tsx -o OUT.png        # one JSON line; exit 0 rendered, 1 failed, 2 usage
    python -m widget2code.render --batch DIR --out DIR        # every .tsx/.jsx/.js, PNGs + results.jsonl + a summary
    python -m widget2code.render --imports strict ...         # what a widget may import: default | strict | shadcn | widget2code
    python -m widget2code.render --imports widget2code --viewport 1920x1080 --background '#000000' --margin 0 W.jsx -o W.png
                                                              # as the official Widget2Code renderer draws it
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from widget2code.files import atomic_write_bytes, atomic_write_text
from widget2code.render.compiler import RendererSetupError
from widget2code.render.renderer import Renderer
from widget2code.render.result import RenderResult
from widget2code.render.settings import IMPORT_PROFILES, RenderSettings

EXIT_RENDERED, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
#: What --batch renders: widget modules, whether written as TSX or as plain JSX.
WIDGET_SUFFIXES = (".tsx", ".jsx", ".js")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m widget2code.render", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("widget", nargs="?", type=Path, help="a .tsx (or .jsx/.js) file to render")
    parser.add_argument("-o", "--output", type=Path, help="where to write the PNG (single-file mode)")
    parser.add_argument("--batch", type=Path, help="render every .tsx, .jsx and .js file in this directory")
    parser.add_argument("--out", type=Path, help="output directory for --batch")
    parser.add_argument("--slots", type=int, default=1, help="renders in flight at once (default 1)")
    parser.add_argument("--cache-dir", type=Path, default=None, help="content-addressed render cache")
    defaults = RenderSettings()
    parser.add_argument("--viewport", type=_viewport, default=(defaults.viewport_width, defaults.viewport_height),
                        metavar="WxH", help="viewport in CSS pixels (default: %(default)s)")
    parser.add_argument("--scale", type=float, default=defaults.device_scale_factor, help="device scale factor")
    parser.add_argument("--background", default=defaults.background, help="page background (CSS colour)")
    parser.add_argument("--margin", type=int, default=defaults.margin, help="pixels kept around the widget")
    parser.add_argument("--timeout", type=float, default=defaults.timeout_s, help="seconds per render")
    parser.add_argument("--imports", choices=list(IMPORT_PROFILES), default=defaults.import_profile,
                        help="import profile: what a widget may import (default: %(default)s)")
    parser.add_argument("--virtual-time", type=int, default=defaults.virtual_time_ms, metavar="MS",
                        help="virtual time run before the capture (default: %(default)s ms)")
    return parser


def _viewport(text: str) -> tuple[int, int]:
    width, _, height = text.lower().partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise argparse.ArgumentTypeError(f"viewport must be WIDTHxHEIGHT in pixels, e.g. 1920x1080, got {text!r}")
    return int(width), int(height)


def _usage_error(parser: argparse.ArgumentParser, message: str) -> int:
    parser.print_usage(sys.stderr)
    print(f"error: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return EXIT_USAGE if exit_.code else EXIT_RENDERED
    if args.batch is None and args.widget is None:
        return _usage_error(parser, "give a WIDGET.tsx file or --batch DIR")
    if args.batch is not None and (args.widget is not None or args.out is None):
        return _usage_error(parser, "--batch DIR needs --out DIR and no WIDGET argument")
    if args.batch is None and args.output is None:
        return _usage_error(parser, "single-file mode needs -o OUT.png")
    source_path = args.batch if args.batch is not None else args.widget
    if args.batch is not None and not args.batch.is_dir():
        return _usage_error(parser, f"--batch {args.batch} is not a directory")
    if args.batch is None and not args.widget.is_file():
        return _usage_error(parser, f"{source_path} is not a file")
    try:
        settings = RenderSettings(viewport_width=args.viewport[0], viewport_height=args.viewport[1],
                                  device_scale_factor=args.scale, background=args.background, margin=args.margin,
                                  timeout_s=args.timeout, import_profile=args.imports,
                                  virtual_time_ms=args.virtual_time)
    except ValueError as err:
        return _usage_error(parser, str(err))
    try:
        with Renderer(settings=settings, slots=args.slots, cache_dir=args.cache_dir) as renderer:
            if args.batch is not None:
                return _render_batch(renderer, args.batch, args.out)
            return _render_one(renderer, args.widget, args.output)
    except RendererSetupError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted: the PNGs written so far are kept", file=sys.stderr)
        return 130


def _render_one(renderer: Renderer, widget: Path, output: Path) -> int:
    result = renderer.render(widget.read_bytes())
    if result.ok and result.png is not None:
        atomic_write_bytes(output, result.png)
    print(json.dumps(result.summary()))
    return EXIT_RENDERED if result.ok else EXIT_FAILED


def _render_batch(renderer: Renderer, batch: Path, out: Path) -> int:
    """Render every widget file in `batch`; each PNG is written as soon as it is rendered."""
    files = sorted(p for p in batch.iterdir() if p.suffix in WIDGET_SUFFIXES and p.is_file())
    out.mkdir(parents=True, exist_ok=True)
    stems = Counter(f.stem for f in files)
    # card.tsx -> card.png; card.tsx and card.jsx side by side -> card.tsx.png and card.jsx.png
    pngs = [out / f"{f.stem if stems[f.stem] == 1 else f.name}.png" for f in files]

    def save(index: int, result: RenderResult) -> None:
        if result.ok and result.png is not None:
            atomic_write_bytes(pngs[index], result.png)

    results = renderer.render_many([f.read_bytes() for f in files], progress=f"rendering {batch}", on_result=save)
    lines = [json.dumps({"file": path.name, **result.summary()}) for path, result in zip(files, results, strict=True)]
    atomic_write_text(out / "results.jsonl", "".join(line + "\n" for line in lines))
    kinds = Counter(str(r.error_kind) for r in results if not r.ok)
    ok = sum(r.ok for r in results)
    print(json.dumps({"rendered": ok, "failed": len(results) - ok, "errors": dict(kinds),
                      "results": str(out / "results.jsonl")}))
    return EXIT_RENDERED if ok == len(results) else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
