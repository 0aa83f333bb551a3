"""Build steps pyproject.toml cannot state: the optional compiled page parser and spool
buffer, and the Table Schemas (kept at the root, in schemas/, for people to read) copied
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
    # optional: where no C compiler is, the build goes on without them: packager reads
    # every page with the Python parser (packager.parse.pagedump) and spools rows with
    # pyarrow alone (packager.collect).
    ext_modules=[
        Extension(name, [source], optional=True, extra_compile_args=["-O2"])
        for name, source in [
            ("packager.parse._fastpage", "packager/parse/_fastpage.c"),
            ("packager._spoolrows", "packager/_spoolrows.c"),
        ]
    ],
    cmdclass={"build_py": BuildPyWithSchemas, "build_ext": BuildExtOrNone},
)
