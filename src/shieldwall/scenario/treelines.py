"""Line numbers of field paths in a ruamel.yaml round-trip tree, for one-line messages."""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq


def line_of(tree: Any, loc: tuple) -> int | None:
    """1-based line of the deepest node of ``tree`` on the path ``loc`` (None without lines)."""
    lc = getattr(tree, "lc", None)
    if lc is None:
        return None
    node, line, i = tree, lc.line + 1, 0
    while i < len(loc):
        if isinstance(node, CommentedMap):
            key, used = _match_key(node, loc, i)
            if used == 0:
                break
            pos = node.lc.data.get(key)
        elif isinstance(node, CommentedSeq) and str(loc[i]).isdigit() and int(loc[i]) < len(node):
            key, used = int(loc[i]), 1
            pos = node.lc.data.get(key)
        else:
            break
        if pos:
            line = pos[0] + 1
        node, i = node[key], i + used
    return line


def _match_key(node: CommentedMap, loc: tuple, i: int) -> tuple[Any, int]:
    """(key, number of loc parts it spans) of the mapping key matching ``loc[i:]``; a dotted
    cross-reference path may split a key that itself holds dots (a group named 'a.b')."""
    part = loc[i]
    candidates = [part, str(part)]
    if isinstance(part, str) and re.fullmatch(r"-?\d+", part):
        candidates.append(int(part))
    for key in candidates:
        try:
            if key in node:
                return key, 1
        except TypeError:
            continue
    for j in range(len(loc), i + 1, -1):
        joined = ".".join(str(p) for p in loc[i:j])
        if joined in node:
            return joined, j - i
    return None, 0
