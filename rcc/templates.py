"""Jinja2 for every HTML page the service renders: one environment per domain package, autoescape on.

Templates live beside the code that fills them, in ``rcc/<domain>/templates/*.html.j2`` (installed as
package data). Values are escaped unless a template marks them ``|safe`` (only for HTML the code built
itself, such as a base64 ``<img>`` it produced).
"""

from __future__ import annotations

import functools
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@functools.cache
def environment(package: str) -> Environment:
    """The environment loading ``package``'s ``templates/`` folder; cached per package."""
    return Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(package: str, name: str, **context: Any) -> str:
    """Render ``templates/<name>`` of ``package`` with ``context``."""
    return environment(package).get_template(name).render(**context)
