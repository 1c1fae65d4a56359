"""Read a PDF the bot sent back: its text (pypdf) and its QR codes (pypdfium2 + zxing-cpp)."""

from __future__ import annotations

import io

import pypdfium2
import zxingcpp
from pypdf import PdfReader


def pdf_text(data: bytes) -> str:
    """The text of every page, joined (spacing as pypdf extracts it)."""
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def pdf_pages(data: bytes) -> int:
    """How many pages the PDF has."""
    return len(PdfReader(io.BytesIO(data)).pages)


def qr_codes(data: bytes, *, scale: float = 2.0) -> list[str]:
    """The text of every QR code on the first page, rendered at `scale` x 72 dpi."""
    document = pypdfium2.PdfDocument(data)
    try:
        image = document[0].render(scale=scale).to_pil()
    finally:
        document.close()
    return [r.text for r in zxingcpp.read_barcodes(image)]
