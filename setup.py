"""Packages for setuptools (metadata lives in pyproject.toml).

roles/ sits at the top of the repository because operators edit it as data; it ships inside
the wheel as the package hsmshell.roles. TOML cannot say "every hsmshell* package, plus this
mapped one", so it is said here.
"""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["hsmshell", "hsmshell.*"]) + ["hsmshell.roles"],
    package_dir={"hsmshell.roles": "roles"},
)
