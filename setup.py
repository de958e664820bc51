"""setup.cfg holds the project's metadata; this file says the one thing it cannot.

The paved-path modules live in the repository's top-level ``modules/`` folder and ship
inside the package as ``meshctl.builtin_modules`` (HCL and templates as package data, read
through importlib.resources), so ``modules/`` stays their only copy. setup.cfg cannot add a
package mapped from another folder to ``packages = find:``.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["meshctl", "meshctl.*"]), "meshctl.builtin_modules"],
    package_dir={"meshctl.builtin_modules": "modules"},
)
