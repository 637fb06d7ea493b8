"""The bulletin's Markdown from its Jinja2 template: the built-in one, or the office's own (KP_BULLETIN_TEMPLATE)."""
import functools
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

from kit.errors import Unavailable
from services.reports.figures import yi

BUILT_IN = Path(__file__).with_name("template.md.j2")


def _inline(value) -> str:
    """Data never changes the document's structure: no line breaks, no table cell separators from a project name."""
    return str(value).replace("\r", " ").replace("\n", " ").replace("|", "｜")


@functools.cache
def _environment(folder: Path) -> Environment:
    environment = Environment(loader=FileSystemLoader(folder), undefined=StrictUndefined, autoescape=False,
                              keep_trailing_newline=True, trim_blocks=True, finalize=_inline)
    environment.filters["yi"] = lambda amount: yi(Decimal(amount))
    environment.filters["pct"] = lambda shown: "—" if shown is None else f"{shown}%"
    return environment


def markdown(context: dict, template: Path | None = None) -> str:
    """The bulletin in Markdown. A broken office template is the deployment's fault, said plainly (503)."""
    path = template or BUILT_IN
    try:
        return _environment(path.parent).get_template(path.name).render(**context)
    except (TemplateError, OSError) as exc:
        raise Unavailable(f"the bulletin template {path} cannot be used: {exc}") from exc
