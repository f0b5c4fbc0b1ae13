#!/usr/bin/env python3
"""Writes the seed corpus of the reader fuzzers into corpus/<target>/ (small files only).

Everything is generated here except the JPEG seeds of fuzz_image_decode (rgb8x8.jpg,
grey8x8.jpg), which were written once with TurboJPEG's tjCompress2 and are kept as they are.
"""
import gzip
import io
import os
import struct
import tarfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def idx_images(n, h, w):
    return struct.pack(">IIII", 0x803, n, h, w) + bytes((i * 37) & 255 for i in range(n * h * w))


def idx_labels(labels):
    return struct.pack(">II", 0x801, len(labels)) + bytes(labels)


def cifar(count, seed):
    out = b""
    for i in range(count):
        out += bytes([(seed + i) % 10]) + bytes(((seed * 13 + i * 7 + k) & 255) for k in range(3072))
    return out


def cache(n, c, h, w, classes, labels):
    body = b"TLIMGC1\0" + struct.pack("<II", 1, 0) + struct.pack("<qqqq", n, c, h, w)
    body += struct.pack("<I", len(classes))
    for name in classes:
        body += struct.pack("<I", len(name)) + name.encode()
    body += struct.pack("<qqq", n, 1000, 1700000000000000000)
    body += struct.pack("<QQ", n * c * h * w, n)
    body += bytes((i * 11) & 255 for i in range(n * c * h * w))
    body += b"".join(struct.pack("<i", l) for l in labels)
    return body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)


def png(w, h, channels):
    colour = 2 if channels == 3 else 0
    raw = b"".join(b"\0" + bytes(((x * 30 + y * 50 + k * 70) & 255) for x in range(w) for k in range(channels))
                   for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def gz(data):
    return gzip.compress(data, mtime=0)


def tar_gz(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in entries:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            t.addfile(info, io.BytesIO(data))
    return gz(buf.getvalue())


# parseIdx, 1 and 3 dimensions
put("fuzz_idx", "images-2x4x4", idx_images(2, 4, 4))
put("fuzz_idx", "labels-5", idx_labels([0, 1, 2, 9, 4]))
put("fuzz_idx", "header-only", struct.pack(">IIII", 0x803, 2, 2, 2))
put("fuzz_idx", "huge-dims", struct.pack(">IIII", 0x803, 0x80000000, 0x80000000, 0x80000000))

# readIdxFile (first byte: odd = images, even = labels)
put("fuzz_idx_gzip", "images.gz", b"\x01" + gz(idx_images(3, 5, 5)))
put("fuzz_idx_gzip", "labels.gz", b"\x00" + gz(idx_labels([1, 2, 3, 4])))
put("fuzz_idx_gzip", "images-raw", b"\x01" + idx_images(1, 3, 3))
put("fuzz_idx_gzip", "bomb.gz", b"\x01" + gz(struct.pack(">IIII", 0x803, 2, 4, 4) + bytes(200000)))
put("fuzz_idx_gzip", "two-members.gz", b"\x00" + gz(idx_labels([1, 2])[:6]) + gz(idx_labels([1, 2])[6:]))

# parseCifarRecords
put("fuzz_cifar_records", "two-records", cifar(2, 3))
put("fuzz_cifar_records", "one-record", cifar(1, 0))

# readCifarArchive
names = ["data_batch_%d.bin" % i for i in range(1, 6)] + ["test_batch.bin"]
put("fuzz_cifar_archive", "all-six.tar.gz",
    tar_gz([("cifar-10-batches-bin/" + n, cifar(1, i)) for i, n in enumerate(names)]))
put("fuzz_cifar_archive", "no-test.tar.gz", tar_gz([(n, cifar(1, i)) for i, n in enumerate(names[:5])]))

# parseImageCache
put("fuzz_image_cache", "rgb-3x2x2", cache(3, 3, 2, 2, ["cat", "dog"], [0, 1, 1]))
put("fuzz_image_cache", "grey-2x3x1", cache(2, 1, 3, 1, ["a"], [0, 0]))

# decodeImageFolder
put("fuzz_image_decode", "rgb4x3.png", png(4, 3, 3))
put("fuzz_image_decode", "grey5x2.png", png(5, 2, 1))
