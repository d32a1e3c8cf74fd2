"""Builds the tgauth Python package.

The package is pure Python (ctypes) around the tgauth C ABI. Building it:

* compiles the Rust crate at ``../../Cargo.toml`` in release mode (setuptools-rust,
  ``Binding.NoBinding``: a plain cdylib, no Python C API) and copies the library into the
  package as ``tgauth/_libtgauth.<suffix>``;
* copies the language-neutral RPC error table ``../errors.json`` (shared with the Node
  package) into the package as ``tgauth/errors.json``.

Both inputs live outside this directory, so the build must run from a checkout of the
repository (pip >= 21.3 builds local directories in place: ``pip install ./bindings/python``).
``TGAUTH_CARGO_MANIFEST`` and ``TGAUTH_ERRORS_JSON`` point at other copies when needed.
"""

import os
import shutil
from pathlib import Path

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


class BdistWheelAnyPython(bdist_wheel):
    """The bundled library does not use the Python C API: one wheel serves every Python 3."""

    def get_tag(self):  # type: ignore[no-untyped-def]
        _python, _abi, platform = super().get_tag()
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
