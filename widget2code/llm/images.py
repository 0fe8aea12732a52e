"""Images as data URLs, the form OpenAI-compatible chat APIs accept inline."""

from __future__ import annotations

import base64
import io

from PIL import Image

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_bytes(image: Image.Image | bytes) -> bytes:
    """PNG-encoded bytes of a PIL image, or of encoded image bytes (PNG passes through untouched)."""
    if isinstance(image, bytes | bytearray | memoryview):
        data = bytes(image)
        if data.startswith(_PNG_SIGNATURE):
            return data
        try:
            with Image.open(io.BytesIO(data)) as decoded:
                image = decoded.copy()
        except OSError as err:
            raise ValueError(f"image bytes are not a decodable image ({len(data)} bytes): {err}") from err
    if not isinstance(image, Image.Image):
        raise TypeError(f"expected a PIL image or encoded image bytes, got {type(image).__name__}")
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def image_to_data_url(image: Image.Image | bytes) -> str:
    """`data:image/png;base64,...` for a PIL image or encoded image bytes."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")
