"""Draw the site's icon (surveyapp/static/favicon.ico): a white tick in a speech bubble on
the posters' dark blue, at 16, 32 and 48 px. Run once when the design changes:
``.venv/bin/python scripts/make_favicon.py``."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

BLUE = (11, 61, 122, 255)
WHITE = (255, 255, 255, 255)
TARGET = Path(__file__).resolve().parent.parent / "surveyapp" / "static" / "favicon.ico"


def icon(size: int = 256) -> Image.Image:
    """The icon drawn large (scaled down by the ICO writer)."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    unit = size / 16
    draw.rounded_rectangle((0, 0, size - 1, size - 1), radius=3 * unit, fill=BLUE)
    # The speech bubble and its tail.
    draw.rounded_rectangle(
        (2.5 * unit, 3 * unit, 13.5 * unit, 11 * unit), radius=2 * unit, fill=WHITE
    )
    draw.polygon(
        [(5 * unit, 10.5 * unit), (5 * unit, 14 * unit), (8.5 * unit, 10.5 * unit)], fill=WHITE
    )
    # The tick.
    tick = [(5 * unit, 7.2 * unit), (7.2 * unit, 9.2 * unit), (11 * unit, 5 * unit)]
    draw.line(tick, fill=BLUE, width=round(1.6 * unit), joint="curve")
    return image


if __name__ == "__main__":
    icon().save(TARGET, sizes=[(16, 16), (32, 32), (48, 48)])
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes)")
