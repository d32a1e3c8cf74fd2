"""Builds the tgauth Python package.

The package is pure Python (ctypes) around the tgauth C ABI. Building it:

* compiles the Rust crate at ``../../Cargo.toml`` in release mode (setuptools-rust,
  ``Binding.NoBinding``: a plain cdylib, no Python C API) and copies the library into the
  package as ``tgauth/_libtgauth.<suffix>``;
* copies the language-neutral RPC error table ``../errors.json`` (shared with the Node
  package) into the package as ``tgauth/errors.json``;
* tags the wheel ``py3-none-<platform>``: the library does not use the Python C API, so one
  wheel serves every Python 3. On Linux the platform is ``manylinux_2_<N>_<arch>``, where
  2.<N> is the newest glibc symbol version the library needs (read from its ELF version
  references), so pip installs it only where that glibc exists.

cargo builds in the crate's target directory (``CARGO_TARGET_DIR`` or ``../../target``), so a
wheel build reuses the dependencies already compiled there.

Both inputs live outside this directory, so the build must run from a checkout of the
repository (pip >= 21.3 builds local directories in place: ``pip install ./bindings/python``).
``TGAUTH_CARGO_MANIFEST`` and ``TGAUTH_ERRORS_JSON`` point at other copies when needed.
"""

import os
import re
import shutil
import struct
from pathlib import Path
from typing import List, Optional, Tuple

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools_rust import Binding, RustExtension, Strip

try:  # setuptools >= 70.1 ships bdist_wheel itself
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # pragma: no cover - older setuptools
    from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent


def _input(env_var: str, default: Path, what: str) -> Path:
    path = Path(os.environ.get(env_var) or default).resolve()
    if not path.is_file():
        raise SystemExit(
            f"tgauth: cannot find {what} at {path}.\n"
            "The Python package is built from a checkout of the tgauth repository: run\n"
            "    pip install ./bindings/python\n"
            "from the repository root with pip >= 21.3 (which builds local directories in place),\n"
            f"or set {env_var} to the file's path."
        )
    return path


CARGO_MANIFEST = _input("TGAUTH_CARGO_MANIFEST", HERE.parent.parent / "Cargo.toml", "the Rust crate (Cargo.toml)")
ERRORS_JSON = _input("TGAUTH_ERRORS_JSON", HERE.parent / "errors.json", "the RPC error table (errors.json)")


class BuildPyWithErrorTable(build_py):
    """build_py that also places the shared error table inside the package."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            # Editable installs import the package from src/: put the table there.
            target = HERE / "src" / "tgauth" / "errors.json"
        else:
            target = Path(self.build_lib) / "tgauth" / "errors.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ERRORS_JSON, target)


SHT_GNU_VERNEED = 0x6FFFFFFE


def elf_needed_versions(data: bytes) -> List[str]:
    """The symbol versions an ELF file needs from other libraries (its .gnu.version_r)."""
    if data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
        return []
    end = "<" if data[5] == 1 else ">"
    if data[4] == 2:  # ELF64
        (shoff,) = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x3A)
        section_format = end + "IIQQQQIIQQ"
    else:  # ELF32
        (shoff,) = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x2E)
        section_format = end + "IIIIIIIIII"
    # name, type, flags, addr, offset, size, link, info, addralign, entsize
    sections = [struct.unpack_from(section_format, data, shoff + i * shentsize) for i in range(shnum)]
    names: List[str] = []
    for section in sections:
        if section[1] != SHT_GNU_VERNEED:
            continue
        strings = sections[section[6]][4]
        entry = section[4]
        for _ in range(section[7]):  # sh_info: the number of Verneed entries
            _version, count, _file, aux_offset, next_entry = struct.unpack_from(end + "HHIII", data, entry)
            aux = entry + aux_offset
            for _ in range(count):
                _hash, _flags, _other, name, next_aux = struct.unpack_from(end + "IHHII", data, aux)
                start = strings + name
                names.append(data[start : data.index(b"\0", start)].decode("ascii", "replace"))
                aux += next_aux
            entry += next_entry
    return names


def glibc_needed(library: Path) -> Optional[Tuple[int, int]]:
    """The newest glibc version (major, minor) the library's symbols need, or None (not glibc)."""
    found = [
        (int(m.group(1)), int(m.group(2)))
        for m in (re.fullmatch(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?", v) for v in elf_needed_versions(library.read_bytes()))
        if m
    ]
    return max(found) if found else None


class BdistWheelAnyPython(bdist_wheel):
    """py3-none-<platform>, with the glibc the bundled library needs in the platform tag."""

    def _bundled_library(self) -> Optional[Path]:
        for base in (self.bdist_dir, getattr(self.get_finalized_command("build"), "build_lib", None)):
            if base:
                for path in sorted(Path(base).rglob("tgauth/_libtgauth*")):
                    if path.is_file():
                        return path
        return None

    def get_tag(self):  # type: ignore[no-untyped-def]
        _python, _abi, platform = super().get_tag()
        if platform.startswith("linux_"):
            library = self._bundled_library()
            glibc = glibc_needed(library) if library else None
            if glibc:
                platform = f"manylinux_{glibc[0]}_{glibc[1]}_{platform[len('linux_'):]}"
        return "py3", "none", platform


setup(
    rust_extensions=[
        RustExtension(
            "tgauth._libtgauth",
            path=str(CARGO_MANIFEST),
            binding=Binding.NoBinding,
            debug=False,
            py_limited_api=False,
            # The release profile keeps debug info for the Rust tools; the wheel needs none.
            strip=Strip.Debug,
        )
    ],
    cmdclass={"build_py": BuildPyWithErrorTable, "bdist_wheel": BdistWheelAnyPython},
)
