"""Saving matplotlib figures without font warnings on the user's terminal."""

from __future__ import annotations

import warnings
from typing import Any


def save_figure(fig: Any, target: Any, **kwargs: Any) -> None:
    """``fig.savefig(target, **kwargs)`` without matplotlib's "Glyph ... missing from font"
    warnings: a name in a scenario may hold characters (an emoji, say) that the bundled
    DejaVu fonts lack; they are drawn as boxes, and stderr stays for real problems."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"Glyph .* missing from font", category=UserWarning
        )
        fig.savefig(target, **kwargs)
