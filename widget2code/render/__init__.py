"""TSX -> PNG: a fast, sandboxed renderer for untrusted widget code.

    from widget2code.render import Renderer
    with Renderer() as renderer:
        result = renderer.render(tsx)          # RenderResult: ok, png, image, error_kind, ...
        results = renderer.render_many(sources)
"""

from widget2code.render.compiler import Compiler, CompileResult, RendererSetupError
from widget2code.render.renderer import Renderer
from widget2code.render.result import ErrorKind, RenderResult
from widget2code.render.settings import RenderSettings

__all__ = ["CompileResult", "Compiler", "ErrorKind", "RenderResult", "RenderSettings", "Renderer",
           "RendererSetupError"]
