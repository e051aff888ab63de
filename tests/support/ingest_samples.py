"""Real files to ingest, made on the fly: PDFs written object by object (so a test controls
every byte, hostile ones included), HTML pages and Markdown articles."""

from __future__ import annotations

import io
import zipfile
import zlib

_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
_PAGE = (
    b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] "
    b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
)


def pdf_file(objects: list[bytes], info: bytes | None = None) -> bytes:
    """A PDF of `objects` (object 1 is the catalog), with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    bodies = objects + ([info] if info is not None else [])
    offsets = []
    for number, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(bodies) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    info_ref = b"/Info %d 0 R " % len(bodies) if info is not None else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\n" % (len(bodies) + 1, info_ref)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def stream(data: bytes, compress: bool = False) -> bytes:
    if compress:
        data = zlib.compress(data, 9)
    flate = b"/Filter /FlateDecode " if compress else b""
    return b"<< /Length %d %s>>\nstream\n%s\nendstream" % (len(data), flate, data)


def _pdf_string(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1") + b")"


def text_page(lines: list[str]) -> bytes:
    """A content stream showing `lines` one under the other."""
    shown = b" ".join(_pdf_string(line) + b" Tj 0 -16 Td" for line in lines)
    return b"BT /F1 12 Tf 72 720 Td " + shown + b" ET"


def text_pdf(pages: list[list[str]], title: str | None = None, created: str | None = None) -> bytes:
    """A real PDF: one page per entry, each a list of lines; optional title and date."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", _FONT]
    kids = []
    for lines in pages:
        page_number = len(objects) + 1
        objects.append(_PAGE % (2, 3, page_number + 1))
        objects.append(stream(text_page(lines), compress=True))
        kids.append(b"%d 0 R" % page_number)
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(kids), len(pages))
    info = None
    if title is not None or created is not None:
        info = b"<< "
        info += b"/Title " + _pdf_string(title) + b" " if title is not None else b""
        info += b"/CreationDate " + _pdf_string(created) + b" " if created is not None else b""
        info += b">>"
    return pdf_file(objects, info)


def page_tree_bomb(depth: int = 30) -> bytes:
    """A few KB whose page tree names one page 2**depth times (each node lists its child
    twice); /Count says 1, so only walking the tree finds out."""
    objects = [b"", _FONT, stream(text_page(["Hello from the bomb page."]))]
    objects.append(
        b"<< /Type /Page /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 2 0 R >> >> /Contents 3 0 R >>"
    )
    child = len(objects)
    for _ in range(depth):
        objects.append(b"<< /Type /Pages /Kids [%d 0 R %d 0 R] /Count 1 >>" % (child, child))
        child = len(objects)
    objects[0] = b"<< /Type /Catalog /Pages %d 0 R >>" % child
    return pdf_file(objects)


def deflate_bomb(megabytes: int) -> bytes:
    """A one-page PDF whose content stream inflates from ~1 MB to `megabytes` MB."""
    packer = zlib.compressobj(9)
    block = b" " * (1 << 20)
    packed = b"".join(packer.compress(block) for _ in range(megabytes)) + packer.flush()
    content = b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (
        len(packed),
        packed,
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        _FONT,
        _PAGE % (2, 3, 5),
        content,
    ]
    return pdf_file(objects)


def operator_bomb(operators: int = 2_000_000) -> bytes:
    """A one-page PDF whose small compressed content stream holds millions of operators."""
    content = b"BT /F1 12 Tf " + b"(a) Tj " * operators + b"ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        _FONT,
        _PAGE % (2, 3, 5),
        stream(content, compress=True),
    ]
    return pdf_file(objects)


def encrypted_pdf(text: str, user_password: str) -> bytes:
    """A real PDF with `text`, encrypted by pypdf (RC4: no extra dependency to read it).
    An empty user password is the common "owner-only" lock: anyone may read the text."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf([[text]]))))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_file(members: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return out.getvalue()


def news_page(title: str, date: str, paragraphs: list[str]) -> bytes:
    """An HTML news page with the clutter real ones have around the article."""
    body = "\n".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Daily Planet</title>
<meta property="og:title" content="{title}">
<meta property="article:published_time" content="{date}T08:00:00Z">
<script>window.tracker = function() {{ return "tracking pixel"; }};</script>
<style>body {{ font-family: serif; }}</style></head>
<body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
<article><h1>{title}</h1>
{body}
</article>
<footer>Copyright Daily Planet. Subscribe to our newsletter.</footer>
</body></html>""".encode()


def script_only_page() -> bytes:
    scripts = "\n".join(
        f"<script>var s{i} = 'not an article, only code number {i}';</script>" for i in range(200)
    )
    return f"<html><head>{scripts}</head><body>{scripts}</body></html>".encode()
