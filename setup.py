"""Packaging: the repository keeps the rules and the Gherkin features at its top level (rules/, features/);
the wheel carries them inside the packages, as ``engine/rulebase`` and ``service/features`` (engine/paths.py
looks there first). Data folders are namespace packages, as setuptools expects. The rest is in pyproject.toml.
"""

from setuptools import find_namespace_packages, setup

MAPPED = {"engine.rulebase": "rules", "service.features": "features"}

packages = find_namespace_packages(
    include=["engine", "engine.*", "service", "service.*"], exclude=["*.__pycache__"]
)
for name, folder in MAPPED.items():
    packages += [name, *(f"{name}.{sub}" for sub in find_namespace_packages(where=folder))]

setup(packages=packages, package_dir=MAPPED)
