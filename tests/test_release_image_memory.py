"""Image uploads stay within a bounded amount of memory: a pixel cap checked before decoding,
and the web rendition made without a full-size RGB copy."""

import io
import subprocess
import sys
import textwrap

import pytest
from PIL import Image

from pressdesk.releases import images


def _png(size: tuple[int, int], mode: str = "1") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, 0).save(buf, "PNG", optimize=True)
    return buf.getvalue()


def _peak_mb(path, call: str) -> float:  # type: ignore[no-untyped-def]
    """Growth of the peak resident memory (MB) of a fresh interpreter doing ``call``."""
    code = textwrap.dedent(f"""
        import resource, sys
        from pressdesk.releases import images
        from pressdesk.config import Settings
        images.settings = lambda: Settings(max_image_mpixels=50)
        data = open({str(path)!r}, "rb").read()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        try:
            {call}
        except images.ImageError as exc:
            print("refused:", exc, file=sys.stderr)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print((after - before) / 1024)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def test_a_tiny_png_claiming_huge_dimensions_is_refused_before_decoding(app, tmp_path):
    bomb = _png((13000, 13000))
    assert len(bomb) < 100_000  # about 20 KB on disk
    with pytest.raises(images.ImageError, match="Megapixel"):
        images.inspect(bomb)
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb)
    # inspect + rendition, as an upload would: refused, and nothing near 870 MB was touched
    assert _peak_mb(path, "images.inspect(data); images.web_rendition(data)") < 40


def test_web_rendition_of_a_large_image_under_the_cap_stays_small_in_memory(app, tmp_path):
    big = _png((7000, 7000))  # 49 MPixel, 1 bit: a full-size RGB copy would be 147 MB
    path = tmp_path / "big.png"
    path.write_bytes(big)
    peak = _peak_mb(path, "images.web_rendition(data)")
    assert peak < 80, f"{peak:.0f} MB"  # the decoded 1-bit image is 49 MB of it; before: 225
    web = Image.open(io.BytesIO(images.web_rendition(big)))
    assert web.format == "JPEG" and web.size == (images.WEB_WIDTH, images.WEB_WIDTH)
