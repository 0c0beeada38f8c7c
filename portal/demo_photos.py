"""Painted site photos for the demo: made with Pillow, so seeding needs no network or assets.

A few base scenes (sky, ground, a concrete frame going up, a crane) are painted once per run;
each photo is a copy with its own mark-ups and a caption naming the record. Photos are as
large as a phone's (1536 to 2400 px wide) so the report-size renditions have work to do.
"""

from __future__ import annotations

import io
import random
from datetime import datetime

from PIL import Image, ImageDraw, ImageFont, ImageOps

from portal.photos import DATE_TIME_ORIGINAL, EXIF_IFD

SCENE_SIZES = ((2400, 1800), (2048, 1536), (1920, 1440), (2304, 1296), (1536, 2048), (1800, 1350))
JPEG_QUALITY = 70  # modest: the demo stores hundreds of them
SKIES = (((70, 120, 190), (205, 222, 236)), ((120, 130, 145), (200, 204, 210)))
GROUNDS = (((160, 148, 128), (92, 82, 70)), ((150, 150, 146), (96, 96, 94)))
CONCRETE = (178, 176, 170)
SAFETY_ORANGE = (236, 110, 30)
CRANE_YELLOW = (240, 196, 40)
MARKER_RED = (220, 40, 40)


class PhotoStudio:
    """Paints the base scenes once, then any number of photos on them."""

    def __init__(self, rng: random.Random):
        self.scenes = [paint_scene(random.Random(rng.randrange(2**32)), s) for s in SCENE_SIZES]

    def photo(
        self, scene: int, variant: int, caption: str, taken_at: datetime | None = None
    ) -> bytes:
        """The same scene, variant, caption and time always give the same JPEG bytes; the
        time goes into EXIF DateTimeOriginal, as a camera writes it."""
        image = self.scenes[scene].copy()
        rng = random.Random(variant)
        draw = ImageDraw.Draw(image)
        for _ in range(rng.randint(1, 3)):
            _mark_up(draw, rng, image.size)
        _caption(draw, image.size, caption)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=JPEG_QUALITY, exif=_exif(taken_at))
        return out.getvalue()


def _exif(taken_at: datetime | None) -> bytes:
    exif = Image.Exif()
    if taken_at is not None:
        exif.get_ifd(EXIF_IFD)[DATE_TIME_ORIGINAL] = f"{taken_at:%Y:%m:%d %H:%M:%S}"
    return exif.tobytes()


def paint_scene(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    width, height = size
    horizon = int(height * rng.uniform(0.42, 0.58))
    image = Image.new("RGB", size)
    image.paste(_gradient((width, horizon), *rng.choice(SKIES)), (0, 0))
    image.paste(_gradient((width, height - horizon), *rng.choice(GROUNDS)), (0, horizon))
    draw = ImageDraw.Draw(image)
    _crane(draw, rng, size, horizon)
    _frame(draw, rng, size, horizon)
    for _ in range(rng.randint(2, 5)):
        _barrier(draw, rng, size, horizon)
    return Image.blend(image, _grain(rng, size), 0.06)


def _grain(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """Sensor noise from our own generator (Pillow's effect_noise can't be seeded)."""
    tile = Image.frombytes("L", (256, 256), rng.randbytes(256 * 256)).convert("RGB")
    grain = Image.new("RGB", size)
    for x in range(0, size[0], 256):
        for y in range(0, size[1], 256):
            grain.paste(tile, (x, y))
    return grain


def _gradient(size: tuple[int, int], top: tuple, bottom: tuple) -> Image.Image:
    return ImageOps.colorize(Image.linear_gradient("L").resize(size), top, bottom)


def _frame(draw: ImageDraw.ImageDraw, rng: random.Random, size, horizon: int) -> None:
    """A concrete frame under construction: slabs, columns, dark openings, scaffold."""
    width, height = size
    left, right = int(width * rng.uniform(0.05, 0.3)), int(width * rng.uniform(0.6, 0.95))
    levels, storey = rng.randint(3, 6), int(height * rng.uniform(0.07, 0.1))
    bays = rng.randint(4, 8)
    bay = (right - left) // bays
    base = horizon + int(height * 0.05)
    for level in range(levels):
        top = base - (level + 1) * storey
        draw.rectangle((left, top, right, top + storey // 8), fill=CONCRETE)
        for n in range(bays):
            x = left + n * bay
            draw.rectangle(
                (x + bay // 10, top + storey // 8, x + bay, top + storey), fill=(58, 62, 70)
            )
            draw.rectangle((x, top, x + bay // 10, top + storey), fill=CONCRETE)
    for x in range(left - 20, right + 40, max(bay // 3, 20)):
        draw.line((x, base - levels * storey, x, base), fill=(150, 156, 162), width=4)


def _crane(draw: ImageDraw.ImageDraw, rng: random.Random, size, horizon: int) -> None:
    width, height = size
    mast = int(width * rng.uniform(0.55, 0.85))
    top = int(height * rng.uniform(0.05, 0.15))
    draw.rectangle((mast, top, mast + width // 90, horizon), fill=CRANE_YELLOW)
    draw.line(
        (mast - width // 3, top + 10, mast + width // 6, top + 10), fill=CRANE_YELLOW, width=12
    )
    draw.line(
        (mast - width // 4, top + 10, mast - width // 4, top + height // 4), fill=(40, 40, 40)
    )


def _barrier(draw: ImageDraw.ImageDraw, rng: random.Random, size, horizon: int) -> None:
    width, height = size
    x = rng.randint(0, width - width // 8)
    y = rng.randint(horizon + height // 8, height - height // 6)
    w, h = width // rng.randint(8, 14), height // 25
    draw.rectangle((x, y, x + w, y + h), fill=SAFETY_ORANGE)
    for stripe in range(x + w // 8, x + w, w // 4):
        draw.rectangle((stripe, y, stripe + w // 12, y + h), fill="white")


def _mark_up(draw: ImageDraw.ImageDraw, rng: random.Random, size) -> None:
    """Spray-paint rings and tape: what a site engineer adds before taking the picture."""
    width, height = size
    x, y = rng.randint(width // 8, width * 7 // 8), rng.randint(height // 3, height * 7 // 8)
    radius = rng.randint(width // 30, width // 12)
    if rng.random() < 0.6:
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), outline=MARKER_RED, width=10)
    else:
        draw.rectangle((x - radius, y - 12, x + radius, y + 12), fill=CRANE_YELLOW)


def _caption(draw: ImageDraw.ImageDraw, size, caption: str) -> None:
    width, height = size
    font = ImageFont.load_default(size=max(24, width // 45))
    band = int(font.size * 2)
    draw.rectangle((0, height - band, width, height), fill=(24, 24, 24))
    draw.text((font.size // 2, height - band + font.size // 2), caption, font=font, fill="white")
