"""Headless Chromium for the HTML tests: the DOM after the page's scripts ran, and a screenshot.

Chromium is Debian's (scripts/bootstrap.sh --tests installs it); a machine without it fails
these tests with that said, it does not skip them.
"""
import os
import shutil
import struct
import subprocess
import tempfile
import zlib

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars"]


def chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "chromium is not installed: scripts/bootstrap.sh --tests installs Debian's chromium"
    return path


def run(page, *extra, size=(1400, 700)):
    with tempfile.TemporaryDirectory() as profile:
        p = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}",
                            *extra, "file://" + os.path.abspath(page)],
                           capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout


def dom(page):
    """The page's DOM after load, as serialized by the browser."""
    return run(page, "--dump-dom", "--virtual-time-budget=5000")


def screenshot(page, png, size=(1400, 700)):
    run(page, f"--screenshot={png}", size=size)
    return png


def png_colors(path):
    """The number of distinct RGB colors of a PNG (8-bit RGB or RGBA, as Chromium writes)."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), (depth, ctype)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    colors = set()
    for row in range(height):
        ftype = raw[row * (stride + 1)]
        line = bytearray(raw[row * (stride + 1) + 1:(row + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        if row % 4 == 0:
            for i in range(0, stride, bpp * 4):
                colors.add(bytes(line[i:i + 3]))
        prev = line
    return len(colors)
