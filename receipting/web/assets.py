"""The stylesheets and script the pages load, served under /assets/.

- `/assets/stylesheets/govuk-frontend.min.css` and `/assets/javascripts/govuk-frontend.min.js`:
  GOV.UK Frontend's compiled files, from the `govuk-frontend` npm package's `dist/govuk` folder.
- `/assets/stylesheets/council.css`: made here from the council's colour (the header's background,
  with white or black text, whichever contrasts more).
- `/assets/javascripts/init.js`: starts GOV.UK Frontend's components; a file of its own because
  the Content-Security-Policy forbids inline script.

GOV.UK Frontend's fonts and images are not served: the GDS Transport typeface and the crown may
only be used on GOV.UK, which a council's service is not. council.css points the typeface's name
at the resident's own Arial instead, so no font is downloaded and text is set in Arial, as GOV.UK
Frontend advises for services off GOV.UK.

Only the files named here are served, by exact name: a request's path never reaches the file
system, and the files are read once, at start-up. When the npm package is missing the pages still
work, unstyled, and a warning says to run `npm ci`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import falcon

import receipting
from receipting.api.openapi import Operation, Parameter, RouteRegistry
from receipting.errors import ConfigurationError
from receipting.settings import Settings
from receipting.web.errors import AssetNotFound

FRONTEND_SUBPATH = Path("node_modules") / "govuk-frontend" / "dist" / "govuk"
FRONTEND_STYLESHEET = "govuk-frontend.min.css"
FRONTEND_SCRIPT = "govuk-frontend.min.js"
COUNCIL_STYLESHEET = "council.css"
INIT_SCRIPT = "init.js"

# GOV.UK Frontend's file names carry no version, so a browser may keep them only as long as an
# upgrade may take to reach residents: a day.
ASSET_MAX_AGE_S = 24 * 60 * 60

# The council's colour can be changed in its configuration; five minutes later every page has it.
COUNCIL_STYLESHEET_MAX_AGE_S = 5 * 60

# GOV.UK's brand blue: the header colour when the council's own is missing or malformed.
DEFAULT_COUNCIL_COLOUR = "#1d70b8"
WHITE = "#ffffff"
# GOV.UK Frontend's text colour, rather than pure black.
BLACK = "#0b0c0c"
# WCAG 2.2 AA for normal text; a council colour that reaches it with neither white nor black
# text is still used, with a warning.
MIN_CONTRAST_RATIO = 4.5

CONTENT_TYPES: Mapping[str, str] = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}

_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")

INIT_SCRIPT_SOURCE = """\
// Starts GOV.UK Frontend's components. A file of its own: the pages allow no inline script.
import { initAll } from './govuk-frontend.min.js'

document.body.classList.add('govuk-frontend-supported')
initAll()
"""

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    content_type: str
    max_age_s: int


# --- finding GOV.UK Frontend ---------------------------------------------------------------------


def find_frontend_dir(
    settings: Settings, *, start_dirs: tuple[Path, ...] | None = None
) -> Path | None:
    """The govuk-frontend `dist/govuk` folder: the setting if given, else the first
    `node_modules/govuk-frontend/dist/govuk` found walking up from the working directory or the
    project's own folder. None (with a warning) when there is none."""
    if settings.frontend_dir is not None:
        configured = Path(settings.frontend_dir).resolve()
        if not (configured / FRONTEND_STYLESHEET).is_file():
            raise ConfigurationError(
                f"RECEIPTING_FRONTEND_DIR is {settings.frontend_dir!r}, which holds no "
                f"{FRONTEND_STYLESHEET}. Point it at the govuk-frontend package's dist/govuk "
                "folder, or unset it to use node_modules beside the project (after `npm ci`)."
            )
        return configured
    starts = start_dirs if start_dirs is not None else (Path.cwd(), _project_dir())
    for start in starts:
        for folder in (start.resolve(), *start.resolve().parents):
            candidate = folder / FRONTEND_SUBPATH
            if (candidate / FRONTEND_STYLESHEET).is_file():
                return candidate
    log.warning(
        "GOV.UK Frontend was not found (no %s above %s): the pages will be shown without "
        "their styles. Run `npm ci` in the project folder, or set RECEIPTING_FRONTEND_DIR.",
        FRONTEND_SUBPATH,
        " or ".join(str(start) for start in starts),
    )
    return None


def _project_dir() -> Path:
    return Path(receipting.__file__).resolve().parents[1]


def inside(root: Path, name: str) -> Path | None:
    """`root/name` if it is a file inside `root`, else None: no NUL, no `..`, no absolute path,
    and no symbolic link leading out of the folder."""
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        return None
    if ".." in Path(name).parts:
        return None
    root = root.resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def _frontend_asset(frontend_dir: Path | None, name: str) -> Asset | None:
    path = None if frontend_dir is None else inside(frontend_dir, name)
    if path is None:
        return None
    return Asset(path.read_bytes(), CONTENT_TYPES[path.suffix], ASSET_MAX_AGE_S)


# --- the council's stylesheet ------------------------------------------------------------------


def checked_colour(colour: str) -> str:
    """The colour as lower-case #rrggbb, or the default (with a warning) if it is not one."""
    if isinstance(colour, str) and _COLOUR.fullmatch(colour.strip()):
        return colour.strip().lower()
    log.warning(
        "The council's colour %r is not a #rrggbb colour such as #1d70b8; the pages use %s "
        "instead. Correct the colour in the council's configuration.",
        colour,
        DEFAULT_COUNCIL_COLOUR,
    )
    return DEFAULT_COUNCIL_COLOUR


def relative_luminance(colour: str) -> float:
    """WCAG 2's relative luminance of a #rrggbb colour, 0 (black) to 1 (white)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    red, green, blue = linear
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2's contrast ratio of two colours, 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour_on(background: str) -> str:
    """White or black, whichever has the better contrast on `background`."""
    on_white, on_black = contrast_ratio(background, WHITE), contrast_ratio(background, BLACK)
    best = max(on_white, on_black)
    if best < MIN_CONTRAST_RATIO:
        log.warning(
            "The council's colour %s gives text a contrast of only %.1f:1 (WCAG asks for %.1f:1). "
            "Choose a darker or lighter colour.",
            background,
            best,
            MIN_CONTRAST_RATIO,
        )
    return WHITE if on_white >= on_black else BLACK


def council_stylesheet(colour: str) -> str:
    background = checked_colour(colour)
    text = text_colour_on(background)
    return f"""\
/* Made from the council's colour {background}, with {text} text for the better contrast. */
@media screen {{
  .govuk-generic-header {{
    --govuk-text-colour: {text};
    color: {text};
    background-color: {background};
  }}

  .govuk-footer {{
    border-top-color: {background};
  }}
}}

/* The sign-out form's button, drawn as the navigation's other links are. */
.council-sign-out {{
  display: inline;
  margin: 0;
}}

.council-link-button {{
  margin: 0;
  padding: 0;
  border: 0;
  background: none;
  font: inherit;
  color: var(--govuk-link-colour, #1a65a6);
  cursor: pointer;
}}

.council-link-button:hover {{
  color: var(--govuk-link-hover-colour, #0f385c);
  text-decoration: underline;
}}

/* GDS Transport is for GOV.UK only: its name is pointed at the resident's own Arial (or a
   font of the same measure), so no font is downloaded and none of GOV.UK's is used. */
@font-face {{
  font-family: "GDS Transport";
  font-style: normal;
  font-weight: normal;
  src: local("Arial"), local("ArialMT"), local("Helvetica"), local("Liberation Sans"),
    local("Arimo");
}}

@font-face {{
  font-family: "GDS Transport";
  font-style: normal;
  font-weight: bold;
  src: local("Arial Bold"), local("Arial-BoldMT"), local("Helvetica Bold"),
    local("Liberation Sans Bold"), local("Arimo Bold");
}}
"""


# --- resources -----------------------------------------------------------------------------------


class AssetResource:
    auth_public = True  # a browser has no API key: stylesheets and scripts are for everyone

    def __init__(self, files: Mapping[str, Callable[[], Asset | None]]) -> None:
        self._files = dict(files)

    def on_get(self, req: falcon.Request, resp: falcon.Response, name: str) -> None:
        make = self._files.get(name)
        asset = make() if make is not None else None
        if asset is None:
            raise AssetNotFound(
                f"There is no asset {req.path}. The pages load only "
                "/assets/stylesheets/govuk-frontend.min.css, /assets/stylesheets/council.css, "
                "/assets/javascripts/govuk-frontend.min.js and /assets/javascripts/init.js; if "
                "one of those is missing, run `npm ci` in the project folder."
            )
        resp.content_type = asset.content_type
        resp.data = asset.body
        resp.set_headers(
            {
                "Cache-Control": f"public, max-age={asset.max_age_s}",
                "X-Content-Type-Options": "nosniff",
            }
        )


ASSET_NAME = Parameter(
    "name",
    "path",
    "The file's name.",
    {"type": "string", "maxLength": 100},
)
TAGS = ("pages",)

STYLESHEET_OPERATION = Operation(
    operation_id="webStylesheet",
    summary="A stylesheet of the pages (govuk-frontend.min.css or council.css)",
    description=(
        "GOV.UK Frontend's compiled styles, and council.css, made from the council's colour. "
        "Public, cached by browsers."
    ),
    response_schema={"type": "string", "description": "A CSS stylesheet."},
    success_media_type="text/css",
    parameters=(ASSET_NAME,),
    errors=(AssetNotFound,),
    tags=TAGS,
)
SCRIPT_OPERATION = Operation(
    operation_id="webScript",
    summary="A script of the pages (govuk-frontend.min.js or init.js, both ES modules)",
    description=(
        "GOV.UK Frontend's components, and init.js, which starts them (the pages allow no "
        "inline script). Public, cached by browsers."
    ),
    response_schema={"type": "string", "description": "A JavaScript module."},
    success_media_type="text/javascript",
    parameters=(ASSET_NAME,),
    errors=(AssetNotFound,),
    tags=TAGS,
)


def register_assets(
    routes: RouteRegistry, settings: Settings, council_colour: Callable[[], str]
) -> None:
    """Add /assets/stylesheets/{name} and /assets/javascripts/{name} to the app."""
    frontend_dir = find_frontend_dir(settings)
    stylesheet = _frontend_asset(frontend_dir, FRONTEND_STYLESHEET)
    script = _frontend_asset(frontend_dir, FRONTEND_SCRIPT)
    init = Asset(INIT_SCRIPT_SOURCE.encode("utf-8"), CONTENT_TYPES[".js"], ASSET_MAX_AGE_S)

    def council() -> Asset:
        css = council_stylesheet(council_colour())
        return Asset(css.encode("utf-8"), CONTENT_TYPES[".css"], COUNCIL_STYLESHEET_MAX_AGE_S)

    routes.add(
        "/assets/stylesheets/{name}",
        AssetResource({FRONTEND_STYLESHEET: lambda: stylesheet, COUNCIL_STYLESHEET: council}),
        {"GET": STYLESHEET_OPERATION},
    )
    routes.add(
        "/assets/javascripts/{name}",
        AssetResource({FRONTEND_SCRIPT: lambda: script, INIT_SCRIPT: lambda: init}),
        {"GET": SCRIPT_OPERATION},
    )
