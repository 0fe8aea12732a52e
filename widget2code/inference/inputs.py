"""The images an inference run reads, checked up front (light imports: a typo is reported before the
model stack loads)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, UnidentifiedImageError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif")


class InferInputError(ValueError):
    """The images to predict cannot be read (missing path, no images in a folder, undecodable file)."""


def find_images(path: str | Path) -> list[Path]:
    """The image itself, or the images directly inside a folder (sorted); each one must decode.

    Every image gets an output folder named after its stem, so two images may not share one.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise InferInputError(f"input {path} does not exist: give an image or a folder of images")
    if path.is_dir():
        images = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not images:
            raise InferInputError(f"folder {path} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    else:
        images = [path]
    stems: dict[str, Path] = {}
    for image in images:
        if image.stem in stems:
            raise InferInputError(f"{stems[image.stem].name} and {image.name} would share the output folder "
                                  f"{image.stem}/: rename one")
        stems[image.stem] = image
        try:
            with Image.open(image) as opened:
                opened.load()
        except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as err:
            raise InferInputError(f"cannot read image {image}: {err}") from err
    return images
