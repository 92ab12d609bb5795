#!/usr/bin/env python3
"""Writes N synthetic 320x240 PNG product photos (a coloured disc on a gradient; stdlib only) and a universal JSON
file whose items point at them with paths relative to the JSON file, plus random purchases. Usage: make_images.py N DIR"""
import json, os, random, struct, sys, zlib

def png(path, width, height, pixel):
    rows = b"".join(b"\x00" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))

def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(7)
    os.makedirs(os.path.join(out, "img"), exist_ok=True)
    items = []
    for i in range(n):
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        cx, cy, r2 = rng.randrange(100, 220), rng.randrange(80, 160), rng.randrange(40, 90) ** 2
        png(os.path.join(out, "img", f"p{i}.png"), 320, 240,
            lambda x, y: colour if (x - cx) ** 2 + (y - cy) ** 2 < r2 else (x * 255 // 320, y * 255 // 240, 128))
        items.append({"item_id": f"p{i}", "image": {"photo": f"img/p{i}.png"}})
    interactions = [{"user_id": f"u{u}", "item_id": f"p{rng.randrange(n)}", "interaction_type": "purchase"} for u in range(50) for _ in range(5)]
    with open(os.path.join(out, "data.json"), "w") as f:
        json.dump({"item_data": items, "interactions": interactions}, f)

main()
