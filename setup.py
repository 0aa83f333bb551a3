"""Build steps pyproject.toml cannot state: the optional compiled page reader, and the
Table Schemas (kept at the root, in schemas/, for people to read) copied
into the wheel."""

from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py


class BuildPyWithSchemas(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "packager" / "schemas"
        target.mkdir(parents=True, exist_ok=True)
        for schema in sorted(Path("schemas").glob("*.json")):
            self.copy_file(str(schema), str(target / schema.name))


class BuildExtOrNone(build_ext):
    """An extension that fails to build leaves no file behind: an older build's module,
    left in build/ or beside its source, would otherwise be installed or imported."""

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except Exception:
            Path(self.get_ext_fullpath(ext.name)).unlink(missing_ok=True)
            raise


setup(
    # optional: where no C compiler is, the build goes on without it, and packager reads
    # every page with the Python reader (packager.inputs.pages.read_pieces).
    ext_modules=[
        Extension(
            "packager.inputs._fastpage",
            ["packager/inputs/_fastpage.c"],
            optional=True,
            extra_compile_args=["-O2"],
        )
    ],
    cmdclass={"build_py": BuildPyWithSchemas, "build_ext": BuildExtOrNone},
)
