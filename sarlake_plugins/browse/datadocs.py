"""The quality gate's Data Docs pages as the browse app serves them: their CDN scripts and styles from the plugin.

Great Expectations writes pages that load jQuery, Bootstrap, bootstrap-table, Font Awesome and Vega from five
CDNs, and an image from GX's own bucket whose URL carries the context's id and the time (a usage beacon). Without
those CDNs (a cluster without internet access, as many DAAC and HPC networks are) the index page lists nothing:
its table of validation results is drawn by bootstrap-table. The browse app rewrites each of those URLs to the same
file installed from npm at the same version (``make browse-assets``, ``sarlake_plugins/browse/vendor``), and the
beacon (and the logo GX's dark-mode style loads from the same bucket) to the logo of the site's own ``static``
folder. A URL whose file is not installed is left as it was. The footer inviting readers to GX's newsletter is left
out.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["CDN_FILES", "localize"]

NODE_MODULES = Path(__file__).parent / "vendor" / "node_modules"
#: where the browse app serves ``NODE_MODULES`` (``GET /sarlake/browse/vendor/npm/...``)
SERVED = "/sarlake/browse/vendor/npm/"
#: each CDN URL a GX 1.x Data Docs page names -> that file in ``node_modules`` (versions: vendor/package.json)
CDN_FILES = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/dist/jquery.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/dist/js/bootstrap.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js/dist/umd/popper.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker/dist/css/bootstrap-datepicker.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker/dist/js/bootstrap-datepicker.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css":
        "@fortawesome/fontawesome-free/css/all.min.css",
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "@forevolve/bootstrap-dark/dist/css/bootstrap-prefers-dark.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css":
        "bootstrap-table/dist/bootstrap-table.min.css",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js":
        "bootstrap-table/dist/bootstrap-table.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js":
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css":
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.css",
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css":
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed/build/vega-embed.min.js",
}
#: GX's logo, fetched from its bucket with the context id and time in the query
_BEACON = re.compile(rb'"https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/logo-long\.png[^"]*"')
_LOGO = b'"/sarlake/browse/data-docs/static/images/logo-long.png"'
#: the logo the pages' dark-mode style draws, also from GX's bucket; the site's own logo stands in for it
_DARK_LOGO = re.compile(rb"url\('https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/[^']*'\)")
#: the footer inviting readers to GX's newsletter (a tracked link): not what an operator's quality report is for
_NEWSLETTER = re.compile(rb"<footer>\s*<p>[^<]*newsletter.*?</footer>", re.DOTALL | re.IGNORECASE)


def localize(page: bytes) -> bytes:
    """``page`` (HTML) with each CDN URL of :data:`CDN_FILES` that is installed pointing at the plugin's copy.

    GX's logos come from the site itself, and the newsletter footer is left out.
    """
    for url, file in CDN_FILES.items():
        if (NODE_MODULES / file).is_file():
            page = page.replace(f'"{url}"'.encode(), f'"{SERVED}{file}"'.encode())
    page = _NEWSLETTER.sub(b"", _DARK_LOGO.sub(b"url(" + _LOGO.replace(b'"', b"'") + b")", page))
    return _BEACON.sub(_LOGO, page)
