"""How every metric prepares a (reference, candidate) pair: colour modes, alpha, common canvas."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from widget2code.rewards.images import ImageInputError, pad_to_square, parse_color, prepare_pairs, to_rgb


def card(size: tuple[int, int] = (120, 80), fill: str = "#1e293b") -> Image.Image:
    img = Image.new("RGB", size, "white")
    ImageDraw.Draw(img).rectangle((10, 10, size[0] - 11, size[1] - 11), fill=fill)
    return img


def test_transparent_pixels_take_the_background_and_partial_alpha_mixes() -> None:
    rgba = Image.new("RGBA", (4, 1), (0, 0, 0, 0))
    rgba.putpixel((1, 0), (255, 0, 0, 255))
    rgba.putpixel((2, 0), (0, 0, 255, 128))
    out = np.asarray(to_rgb(rgba, (255, 255, 255)))
    assert out[0, 0].tolist() == [255, 255, 255]  # fully transparent -> page background
    assert out[0, 1].tolist() == [255, 0, 0]  # opaque -> unchanged
    assert out[0, 2, 2] == 255 and 120 <= out[0, 2, 0] <= 135  # half-transparent blue over white
    dark = np.asarray(to_rgb(rgba, parse_color("#102030")))
    assert dark[0, 0].tolist() == [16, 32, 48]


def test_grayscale_palette_and_16_bit_modes_become_rgb() -> None:
    gray = Image.new("L", (3, 3), 77)
    assert np.asarray(to_rgb(gray))[0, 0].tolist() == [77, 77, 77]
    pal = card().convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    assert to_rgb(pal).mode == "RGB"
    transparent_pal = Image.new("P", (2, 2), 0)
    transparent_pal.putpalette([0, 0, 0, 200, 0, 0])
    transparent_pal.info["transparency"] = 0
    assert np.asarray(to_rgb(transparent_pal, (9, 9, 9)))[0, 0].tolist() == [9, 9, 9]
    sixteen = Image.fromarray(np.full((2, 2), 65535, dtype=np.uint16))
    assert np.asarray(to_rgb(sixteen))[0, 0].tolist() == [255, 255, 255]  # rescaled, not clipped junk
    la = Image.new("LA", (1, 1), (0, 0))
    assert np.asarray(to_rgb(la, (1, 2, 3)))[0, 0].tolist() == [1, 2, 3]


def test_identical_inputs_give_identical_arrays_and_a_full_valid_mask() -> None:
    img = card()
    batch = prepare_pairs([img], [img.copy()], size=64)
    assert batch.reference.shape == (1, 64, 64, 3) and batch.reference.dtype == np.float32
    assert np.array_equal(batch.reference, batch.candidate)
    # 120 x 80 keeps its aspect: 64 x 43 of the square are the canvas, the rest is filler.
    assert batch.valid[0].sum() == 64 * 43 and batch.valid[0, :43, :64].all()
    assert np.allclose(batch.reference[0, 50:, :], 1.0)  # the filler is the background


def test_pair_shares_one_canvas_padded_top_left() -> None:
    small, big = card((60, 40), "#ff0000"), card((120, 80), "#ff0000")
    batch = prepare_pairs([big], [small], size=120)
    assert batch.valid[0].sum() == 120 * 80  # canvas = the larger of the two, not rescaled
    # The smaller candidate is not stretched: its lower-right part of the canvas is background.
    assert np.allclose(batch.candidate[0, 60:80, 60:120], 1.0)
    assert not np.allclose(batch.reference[0, 60:70, 60:110], 1.0)
    assert np.allclose(batch.candidate[0, 15, 15], [1.0, 0.0, 0.0])  # top-left anchored


def test_one_pixel_and_extreme_aspect_images() -> None:
    dot = Image.new("RGB", (1, 1), (10, 200, 30))
    batch = prepare_pairs([dot], [dot], size=32)
    assert batch.valid[0].all() and np.allclose(batch.reference[0], np.array([10, 200, 30]) / 255.0)
    line = Image.new("RGB", (500, 1), "black")
    batch = prepare_pairs([line], [dot], size=32)
    assert batch.valid[0].sum() == 32  # one row of 32 px, never an empty canvas


def test_bad_inputs_raise_typed_errors() -> None:
    img = card()
    with pytest.raises(ImageInputError, match="2 references for 1 candidates"):
        prepare_pairs([img, img], [img])
    with pytest.raises(ImageInputError, match="not a colour"):
        prepare_pairs([img], [img], background="not-a-colour")
    with pytest.raises(ImageInputError, match="expected a PIL image"):
        prepare_pairs([img], [np.zeros((4, 4, 3))])  # type: ignore[list-item]
    with pytest.raises(ImageInputError, match="working size"):
        prepare_pairs([img], [img], size=4)
    with pytest.raises(ImageInputError, match="zero size"):
        to_rgb(Image.new("RGB", (0, 5)))
    assert issubclass(ImageInputError, ValueError)


def test_pad_to_square_keeps_the_whole_widget_centred() -> None:
    wide = Image.new("RGB", (100, 20), "black")
    square = pad_to_square(wide, (255, 255, 255))
    assert square.size == (100, 100)
    arr = np.asarray(square)
    assert arr[40:60].max() == 0 and arr[:40].min() == 255 and arr[60:].min() == 255
