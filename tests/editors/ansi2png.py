#!/usr/bin/python3
"""Render a terminal capture (`tmux capture-pane -p -e`) to a PNG.

    ansi2png.py CAPTURE.txt OUT.png [--cursor X,Y] [--title TEXT]

Understands the SGR sequences tmux emits: bold, dim, italic, underline,
reverse, the 16 colours, the 256-colour palette and 24-bit colours. Draws the
cursor as a block when --cursor is given. Needs Pillow (Debian: python3-pil)
and the DejaVu Sans Mono font (fonts-dejavu-core).
"""

import argparse
import re
import sys

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
FONT_SIZE = 15
PAD = 12
TITLE_H = 28

# Background, foreground and the 16 base colours (a dark theme close to
# xterm's defaults, a little softened).
BG = (0x1d, 0x1f, 0x21)
FG = (0xd8, 0xd8, 0xd8)
BASE16 = [
    (0x1d, 0x1f, 0x21), (0xcc, 0x34, 0x2b), (0x19, 0x88, 0x44), (0xd4, 0xa0, 0x1c),
    (0x39, 0x71, 0xed), (0xa3, 0x6a, 0xc7), (0x3f, 0xa4, 0xb0), (0xc5, 0xc8, 0xc6),
    (0x96, 0x98, 0x96), (0xf0, 0x5c, 0x52), (0x4c, 0xc2, 0x72), (0xfb, 0xd3, 0x4c),
    (0x6a, 0x9f, 0xff), (0xc3, 0x8c, 0xe6), (0x6f, 0xd3, 0xdf), (0xff, 0xff, 0xff),
]


def palette(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + 10 * (n - 232)
    return (v, v, v)


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.reverse = False

    def copy(self):
        s = Style()
        s.__dict__.update(self.__dict__)
        return s

    def apply(self, params):
        ps = [int(p) if p else 0 for p in params.split(";")] if params else [0]
        i = 0
        while i < len(ps):
            p = ps[i]
            if p == 0:
                self.reset()
            elif p == 1:
                self.bold = True
            elif p == 2:
                self.dim = True
            elif p == 3:
                self.italic = True
            elif p in (4, 21):
                self.underline = True
            elif p == 7:
                self.reverse = True
            elif p == 22:
                self.bold = self.dim = False
            elif p == 23:
                self.italic = False
            elif p == 24:
                self.underline = False
            elif p == 27:
                self.reverse = False
            elif 30 <= p <= 37:
                self.fg = palette(p - 30)
            elif 90 <= p <= 97:
                self.fg = palette(p - 90 + 8)
            elif 40 <= p <= 47:
                self.bg = palette(p - 40)
            elif 100 <= p <= 107:
                self.bg = palette(p - 100 + 8)
            elif p == 39:
                self.fg = None
            elif p == 49:
                self.bg = None
            elif p in (38, 48, 58) and i + 1 < len(ps):
                if ps[i + 1] == 5 and i + 2 < len(ps):
                    color = palette(ps[i + 2])
                    i += 2
                elif ps[i + 1] == 2 and i + 4 < len(ps):
                    color = tuple(ps[i + 2:i + 5])
                    i += 4
                else:
                    color = None
                    i += 1
                if p == 38:
                    self.fg = color
                elif p == 48:
                    self.bg = color
            i += 1


SEQ = re.compile(r"\x1b\[([0-9;:]*)([A-Za-z])|\x1b[()][A-Za-z0-9]|\x1b[=>]")


def parse(text):
    """Lines of (char, Style) cells."""
    rows = []
    style = Style()
    for line in text.split("\n"):
        cells = []
        pos = 0
        for m in SEQ.finditer(line):
            for ch in line[pos:m.start()]:
                cells.append((ch, style.copy()))
            pos = m.end()
            if m.group(2) == "m":
                style.apply(m.group(1).replace(":", ";"))
        for ch in line[pos:]:
            cells.append((ch, style.copy()))
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def render(rows, out, cols, cursor=None, title=None):
    fonts = {
        (False, False): ImageFont.truetype(FONT_DIR + "DejaVuSansMono.ttf", FONT_SIZE),
        (True, False): ImageFont.truetype(FONT_DIR + "DejaVuSansMono-Bold.ttf", FONT_SIZE),
        (False, True): ImageFont.truetype(FONT_DIR + "DejaVuSansMono-Oblique.ttf", FONT_SIZE),
        (True, True): ImageFont.truetype(FONT_DIR + "DejaVuSansMono-BoldOblique.ttf", FONT_SIZE),
    }
    base = fonts[(False, False)]
    cw = round(base.getlength("M"))
    ascent, descent = base.getmetrics()
    ch = ascent + descent + 2
    top = PAD + (TITLE_H if title else 0)
    width = PAD * 2 + cw * cols
    height = top + PAD + ch * len(rows)
    img = Image.new("RGB", (width, height), (0x2b, 0x2d, 0x30))
    draw = ImageDraw.Draw(img)
    draw.rectangle([PAD // 2, PAD // 2 + (TITLE_H if title else 0), width - PAD // 2,
                    height - PAD // 2], fill=BG)
    if title:
        for i, c in enumerate([(0xff, 0x5f, 0x57), (0xfe, 0xbc, 0x2e), (0x28, 0xc8, 0x40)]):
            x = PAD + 8 + i * 20
            draw.ellipse([x - 6, 10, x + 6, 22], fill=c)
        tw = fonts[(True, False)].getlength(title)
        draw.text(((width - tw) / 2, 7), title, font=fonts[(True, False)], fill=(0xb0, 0xb0, 0xb0))
    for y, cells in enumerate(rows):
        for x, (char, st) in enumerate(cells[:cols]):
            fg = st.fg or FG
            bg = st.bg
            if st.reverse:
                fg, bg = (bg or BG), fg
            if cursor == (x, y):
                fg, bg = BG, FG
            if st.dim:
                fg = tuple((c + b) // 2 for c, b in zip(fg, BG))
            px, py = PAD + x * cw, top + y * ch
            if bg is not None:
                draw.rectangle([px, py, px + cw - 1, py + ch - 1], fill=bg)
            if char != " ":
                draw.text((px, py + 1), char, font=fonts[(st.bold, st.italic)], fill=fg)
            if st.underline:
                draw.line([px, py + ascent + 2, px + cw - 1, py + ascent + 2], fill=fg)
        if cursor and cursor[1] == y and cursor[0] >= len(cells):
            px, py = PAD + cursor[0] * cw, top + y * ch
            draw.rectangle([px, py, px + cw - 1, py + ch - 1], fill=FG)
    img.save(out, optimize=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("capture")
    ap.add_argument("out")
    ap.add_argument("--cols", type=int, default=0)
    ap.add_argument("--cursor", help="X,Y (0-based)")
    ap.add_argument("--title")
    args = ap.parse_args()
    with open(args.capture, encoding="utf-8", errors="replace") as f:
        rows = parse(f.read())
    cols = args.cols or max(len(r) for r in rows)
    cursor = tuple(int(v) for v in args.cursor.split(",")) if args.cursor else None
    render(rows, args.out, cols, cursor, args.title)


if __name__ == "__main__":
    sys.exit(main())
