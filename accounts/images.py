"""Uploaded pictures (avatars, organisations' images), checked with Pillow before anything is kept.

Only JPEG, PNG, WebP and GIF are read. The header is read first: a file over the byte limit, a
picture over the pixel limit (a decompression bomb: a tiny PNG that would unpack into gigabytes)
or anything Pillow does not recognise as one of those formats (an SVG, which can carry scripts,
a PDF, a text file) is refused before its pixels are decoded. What is kept is re-encoded from the
pixels alone, turned upright, shrunk to fit `max_side`: EXIF (GPS position, camera serial) and
every other metadata block are left behind.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from realtime.errors import AppError

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
STORED_FORMAT, STORED_TYPE = "WEBP", "image/webp"


@dataclass(frozen=True)
class StoredImage:
    data: bytes
    content_type: str
    width: int
    height: int


def _looks_like_svg(head: bytes) -> bool:
    start = head.lstrip()[:512].lower()
    return start.startswith(b"<?xml") or b"<svg" in start


def image_size_check(length: int | None) -> None:
    """Refuse an upload by its announced length, before reading it."""
    limit = settings.IMAGE_UPLOAD_MAX_BYTES
    if length is not None and length > limit:
        raise AppError("too_large", f"the image is larger than {limit // (1024 * 1024)} MB")


def request_image_bytes(request) -> bytes:
    """The raw body of an upload: refused by its announced length before it is read, and read
    no further than the limit otherwise."""
    length = request.headers.get("Content-Length")
    image_size_check(int(length) if length and length.isdigit() else None)
    data = request.read(settings.IMAGE_UPLOAD_MAX_BYTES + 1)
    image_size_check(len(data))
    return data


def image_checked(data: bytes, *, max_side: int) -> StoredImage:
    """The picture in `data`, re-encoded without metadata and fitted into `max_side` pixels;
    `bad_request` (not a picture, SVG, unreadable, too many pixels) or `too_large` (bytes)."""
    image_size_check(len(data))
    if not data:
        raise AppError("bad_request", "the upload is empty; send a JPEG, PNG, WebP or GIF picture")
    if _looks_like_svg(data[:1024]):
        raise AppError("bad_request", "SVG images are refused (they can carry scripts); send JPEG, PNG, WebP or GIF")
    max_pixels = settings.IMAGE_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            # Pillow warns past its own limit and raises at twice it: both are refusals here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
            width, height = image.size
            if width * height > max_pixels:
                raise AppError(
                    "bad_request", f"the picture has too many pixels ({width}×{height}); at most {max_pixels:,} pixels"
                )
            image.seek(0)  # the first frame of an animation
            image.load()
    except AppError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise AppError("bad_request", f"the picture has too many pixels; at most {max_pixels:,} pixels") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise AppError("bad_request", "this file is not a picture we accept: send JPEG, PNG, WebP or GIF") from None
    image = ImageOps.exif_transpose(image)
    image = image.convert("RGBA" if "A" in image.getbands() or image.mode == "P" else "RGB")
    image.thumbnail((max_side, max_side))
    out = io.BytesIO()
    # A fresh image built from the pixels: no EXIF, ICC, XMP or comment goes with it.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    clean.save(out, STORED_FORMAT, quality=85, method=4)
    return StoredImage(out.getvalue(), STORED_TYPE, clean.size[0], clean.size[1])
