# Shim for scrapyd-deploy, which builds eggs with setup.py; all metadata lives in pyproject.toml.
from setuptools import setup

setup()
