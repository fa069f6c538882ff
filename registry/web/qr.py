"""QR codes as inline SVG, for the wallet card and a second factor's set-up page."""

from __future__ import annotations

import segno
from markupsafe import Markup

#: Error correction of the QR code: M survives a worn or scuffed card (15% of it).
QR_ERROR = "m"


def qr_svg(text: str) -> Markup:
    """`text` as a QR code in inline SVG: a viewBox (no fixed size, the style sheet sizes
    it) and no style attribute, which the page's policy would refuse."""
    code = segno.make(text, error=QR_ERROR, micro=False)
    # segno writes only the modules' path data: nothing of `text` becomes markup.
    return Markup(code.svg_inline(omitsize=True, svgclass="qr-code", lineclass=None))
