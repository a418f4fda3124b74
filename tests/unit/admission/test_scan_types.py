"""The scan type is read from the bytes, never from the name: a table of real and forged files.

Every file is built here: real images with Pillow, a minimal PDF written by hand, and forgeries
(other formats renamed, broken images, an image header claiming billions of pixels).
"""

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from admission.documents.uploads import SCAN_MAX_PIXELS, ScanRefused, detect_scan_type, megabytes

MINIMAL_PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
    b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n0000000115 00000 n \n"
    b"trailer << /Size 4 /Root 1 0 R >>\nstartxref\n186\n%%EOF\n"
)


def _image(kind: str, size: tuple[int, int] = (16, 12)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, kind)
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_claiming(width: int, height: int) -> bytes:
    """A well-formed PNG whose header claims width x height pixels, with a few bytes of data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


PNG = _image("PNG")
JPEG = _image("JPEG")

ACCEPTED = [
    ("scan.png", PNG, "image/png"),
    ("scan.jpg", JPEG, "image/jpeg"),
    ("scan.pdf", MINIMAL_PDF, "application/pdf"),
    # The name lies the other way: still accepted, with the type of the content.
    ("anh-chup.pdf", PNG, "image/png"),
    ("don.png", MINIMAL_PDF, "application/pdf"),
    ("no-extension", JPEG, "image/jpeg"),
    # Trailing bytes after the end-of-file marker (scanner padding) are tolerated.
    ("padded.pdf", MINIMAL_PDF + b"\r\n" * 100, "application/pdf"),
]

NOT_A_SCAN = "không phải PDF, JPEG hay PNG (kiểm tra theo nội dung tệp, không theo tên)"
BROKEN_IMAGE = "nội dung ảnh bị hỏng"
REFUSED = [
    ("png-signature-then-garbage.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 50, BROKEN_IMAGE),
    ("jpeg-start-then-garbage.jpg", b"\xff\xd8\xff\xe0" + b"garbage" * 50, BROKEN_IMAGE),
    ("truncated.png", PNG[: len(PNG) // 2], BROKEN_IMAGE),
    (
        "setup.pdf",
        b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode",
        NOT_A_SCAN,
    ),
    ("archive.png", b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 100, NOT_A_SCAN),
    ("page.pdf", b"<!doctype html><html><script>alert(1)</script></html>", NOT_A_SCAN),
    ("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', NOT_A_SCAN),
    ("scan.jpg", "Đây là một tệp văn bản, không phải ảnh.".encode(), NOT_A_SCAN),
    ("animation.png", _image("GIF"), NOT_A_SCAN),
    # The PDF header with its end cut off, as an interrupted upload leaves it.
    ("cut.pdf", MINIMAL_PDF[:-20], "không phải PDF hoàn chỉnh"),
    ("empty.pdf", b"", "rỗng"),
    # Headers claiming more pixels than allowed: refused before a single pixel is decoded,
    # whether Pillow's own limit (about 89 million, error at twice that) or ours is the lower.
    ("bomb.png", _png_claiming(100_000, 100_000), "quá lớn"),  # Pillow's DecompressionBombError
    ("warned.png", _png_claiming(10_000, 10_000), "quá lớn"),  # Pillow's warning, raised as a refusal
    ("big.png", _png_claiming(7_000, 7_000), "quá lớn (7000 × 7000 điểm ảnh"),
]


@pytest.mark.parametrize(("name", "content", "expected"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_it_accepts_real_scans_by_content(name: str, content: bytes, expected: str) -> None:
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")

    assert detect_scan_type(upload) == expected
    assert upload.tell() == 0  # left ready for hashing and saving


@pytest.mark.parametrize(("name", "content", "message"), REFUSED, ids=[c[0] for c in REFUSED])
def test_it_refuses_anything_else_with_a_message_naming_the_file(name: str, content: bytes, message: str) -> None:
    # The browser's claim agrees with the name: neither is read.
    claimed = "application/pdf" if name.endswith(".pdf") else "image/png"
    upload = SimpleUploadedFile(name, content, content_type=claimed)

    with pytest.raises(ScanRefused) as refused:
        detect_scan_type(upload)

    assert message in refused.value.message
    assert f"«{name}»" in refused.value.message


def test_the_pixel_limit_lets_an_a4_page_at_600_dpi_through() -> None:
    assert 4_961 * 7_016 < SCAN_MAX_PIXELS < 7_000 * 7_000


def test_it_checks_the_size_before_reading_the_content() -> None:
    # Over the limit and not even an image: the size is what the message is about.
    upload = SimpleUploadedFile("huge.pdf", b"x" * 3_000)

    with pytest.raises(ScanRefused) as refused:
        detect_scan_type(upload, max_bytes=2_000)

    assert "vượt giới hạn" in refused.value.message
    assert upload.tell() == 0  # nothing was read


def test_a_file_of_exactly_the_limit_is_accepted() -> None:
    assert detect_scan_type(SimpleUploadedFile("s.png", PNG), max_bytes=len(PNG)) == "image/png"


@pytest.mark.parametrize(
    ("size", "round_up", "expected"),
    [
        (10 * 1024 * 1024, False, "10"),
        (10 * 1024 * 1024 + 1, True, "10,1"),
        (int(10.5 * 1024 * 1024), True, "10,5"),
        (1024 * 1024 - 1, False, "0,9"),
    ],
)
def test_sizes_are_shown_in_megabytes_with_a_vietnamese_decimal_comma(size: int, round_up: bool, expected: str) -> None:
    assert megabytes(size, round_up=round_up) == expected
