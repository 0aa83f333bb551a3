"""Build steps pyproject.toml cannot state: the optional compiled page parser, and the
Table Schemas (kept at the root, in schemas/, for people to read) copied into the wheel."""

from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py


class BuildPyWithSchemas(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "packager" / "schemas"
        target.mkdir(parents=True, exist_ok=True)
        for schema in sorted(Path("schemas").glob("*.json")):
            self.copy_file(str(schema), str(target / schema.name))


setup(
    # optional: where no C compiler is, the build goes on without it and packager reads
    # every page with the Python parser (packager.parse.pagedump).
    ext_modules=[
        Extension(
            "packager.parse._fastpage",
            ["packager/parse/_fastpage.c"],
            optional=True,
            extra_compile_args=["-O2"],
        )
    ],
    cmdclass={"build_py": BuildPyWithSchemas},
)
