"""Jinja2 for every HTML page the service renders: one environment per domain package, autoescape on.

Templates live beside the code that fills them, in ``rcc/<domain>/templates/*.html.j2`` (installed as
package data). Values are escaped unless a template marks them ``|safe`` (only for HTML the code built
itself, such as a base64 ``<img>`` it produced).
"""

from __future__ import annotations

import functools
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


def _blank_none(value: Any) -> Any:
    """``None`` prints as nothing (as the reports always printed missing values), never as 'None'."""
    return "" if value is None else value


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
        finalize=_blank_none,
    )


def render(package: str, template: str, /, **context: Any) -> str:
    """Render ``templates/<template>`` of ``package`` with ``context``."""
    return environment(package).get_template(template).render(**context)
