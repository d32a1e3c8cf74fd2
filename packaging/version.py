#!/usr/bin/env python3
"""One version for everything: the crate's Cargo.toml is the source.

The C library reports it (tg_version() reads CARGO_PKG_VERSION), `make install` names
libtgauth.so.X.Y.Z and writes it into tgauth.pc and tgauthConfigVersion.cmake. The Python and
Node packages carry copies, which this script keeps equal:

    packaging/version.py            print the version
    packaging/version.py --check    exit 1, naming each file, when a copy differs
    packaging/version.py --set X.Y.Z  write X.Y.Z into Cargo.toml and every copy

`make version` runs --check; `make version NEW=X.Y.Z` runs --set.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Callable, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
# Plain X.Y.Z: Cargo (SemVer) and Python (PEP 440) spell pre-releases differently.
VERSION = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


def _cargo_toml(text: str) -> Tuple[int, int]:
    """The span of the version in Cargo.toml's [package] table."""
    section = re.search(r"(?ms)^\[package\]\s*$(.*?)(?=^\[|\Z)", text)
    if not section:
        raise SystemExit("version: Cargo.toml has no [package] table")
    m = re.search(r'(?m)^version\s*=\s*"([^"]*)"', section.group(1))
    if not m:
        raise SystemExit("version: Cargo.toml's [package] table has no version")
    base = section.start(1)
    return base + m.start(1), base + m.end(1)


def _cargo_lock(text: str) -> List[Tuple[int, int]]:
    m = re.search(r'(?m)^name = "tgauth"\nversion = "([^"]*)"', text)
    return [m.span(1)] if m else []


def _pyproject(text: str) -> List[Tuple[int, int]]:
    section = re.search(r"(?ms)^\[project\]\s*$(.*?)(?=^\[|\Z)", text)
    m = section and re.search(r'(?m)^version\s*=\s*"([^"]*)"', section.group(1))
    return [(section.start(1) + m.start(1), section.start(1) + m.end(1))] if m else []


def _python_init(text: str) -> List[Tuple[int, int]]:
    m = re.search(r'(?m)^__version__\s*=\s*"([^"]*)"', text)
    return [m.span(1)] if m else []


def _package_json(text: str) -> List[Tuple[int, int]]:
    # The package's own version: the first "version" key at the top level (two spaces in).
    m = re.search(r'(?m)^  "version": "([^"]*)"', text)
    return [m.span(1)] if m else []


def _package_lock(text: str) -> List[Tuple[int, int]]:
    spans = _package_json(text)
    # packages[""] (the root package) repeats it.
    root = re.search(r'(?ms)^    "": \{\n(.*?)^    \}', text)
    m = root and re.search(r'(?m)^      "version": "([^"]*)"', root.group(1))
    if m:
        spans.append((root.start(1) + m.start(1), root.start(1) + m.end(1)))
    return spans


# Every copy: path, how to find the version in it, how many places it must hold.
COPIES: List[Tuple[str, Callable[[str], List[Tuple[int, int]]], int]] = [
    ("Cargo.lock", _cargo_lock, 1),
    ("bindings/python/pyproject.toml", _pyproject, 1),
    ("bindings/python/src/tgauth/__init__.py", _python_init, 1),
    ("bindings/node/package.json", _package_json, 1),
    ("bindings/node/package-lock.json", _package_lock, 2),
]


def current() -> str:
    text = (ROOT / "Cargo.toml").read_text()
    start, end = _cargo_toml(text)
    return text[start:end]


def _spans(rel: str, find: Callable[[str], List[Tuple[int, int]]], want: int) -> Tuple[str, List[Tuple[int, int]]]:
    text = (ROOT / rel).read_text()
    spans = find(text)
    if len(spans) != want:
        raise SystemExit(f"version: cannot find the version in {rel} (found {len(spans)} of {want} places)")
    return text, spans


def check() -> int:
    version = current()
    bad = 0
    for rel, find, want in COPIES:
        text, spans = _spans(rel, find, want)
        for start, end in spans:
            if text[start:end] != version:
                print(f"version: {rel} says {text[start:end]}, Cargo.toml says {version}", file=sys.stderr)
                bad += 1
    if bad:
        print("version: run `make version NEW=<version>` to set one version everywhere", file=sys.stderr)
        return 1
    print(version)
    return 0


def _replace(text: str, spans: List[Tuple[int, int]], version: str) -> str:
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + version + text[end:]
    return text


def set_version(version: str) -> int:
    if not VERSION.match(version):
        print(f"version: {version!r} is not a version like 1.2.3", file=sys.stderr)
        return 2
    # Read everything first: a file without a findable version changes nothing.
    cargo = (ROOT / "Cargo.toml").read_text()
    edits = [("Cargo.toml", cargo, [_cargo_toml(cargo)])]
    edits += [(rel, *_spans(rel, find, want)) for rel, find, want in COPIES]
    for rel, text, spans in edits:
        (ROOT / rel).write_text(_replace(text, spans, version))
        print(f"version: {rel} -> {version}")
    return 0


def main(argv: List[str]) -> int:
    if not argv:
        print(current())
        return 0
    if argv == ["--check"]:
        return check()
    if len(argv) == 2 and argv[0] == "--set":
        return set_version(argv[1])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
