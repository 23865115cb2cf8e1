"""One product for the product page: its row, met.json, provenance, QA, tags, and its files as images.

Files are served only from inside the lake's products root (``products_root`` setting, a folder or an ``s3://``
prefix) or the archive rolled products go to (``daac.root``): a product row whose URI points elsewhere (or an asset
href with ``..``) is refused, never followed. An archived product is shown from its archive copy.
Raster layers are rendered to PNG on request (2nd-98th percentile stretch, at most 512 px, a colour bar labelled with
the stretch and the band's units below), cached by location and modification time (an object's ETag on S3).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import posixpath
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlparse

from sarlake.workflows.product_listing import date_span, deliveries, jsonable, query_rows

__all__ = ["ProductNotFound", "asset_bytes", "asset_location", "layer_png", "product_detail"]

logger = logging.getLogger(__name__)

#: raster asset name -> matplotlib colormap of its image
COLORMAPS = {"unwrapped_phase": "twilight_shifted", "wrapped_phase": "hsv", "coherence": "gray",
             "connected_components": "tab20", "los_displacement": "RdBu_r", "amplitude": "gray"}
MAX_SIDE = 512


class ProductNotFound(LookupError):
    """No such product, or no such file of it inside the products root (HTTP 404)."""


def _roots() -> list[str]:
    """Where product files are served from: the products root, and the archive that holds rolled products."""
    from lake.settings import get_settings

    settings = get_settings()
    return [r for r in (settings.products_root, settings.daac.root) if r]


def _inside(location: str, root: str) -> bool:
    from lake.settings import is_remote
    from lake.storage import split_s3

    if is_remote(location) or is_remote(root):
        if not (is_remote(location) and is_remote(root)):
            return False
        (bucket, key), (root_bucket, root_key) = split_s3(location), split_s3(root)
        return bucket == root_bucket and key.startswith(root_key.strip("/") + "/")
    return Path(location).is_relative_to(Path(root.removeprefix("file://")).resolve())


def _location(uri: str, href: str = "") -> str:
    """``uri`` (joined with ``href``) as a path or ``s3://`` URI inside the products root or the archive.

    Raises:
        ProductNotFound: outside both (also through ``..``), or a scheme other than file and s3.
    """
    from lake.settings import is_remote
    from lake.storage import split_s3

    parsed = urlparse(uri)
    if is_remote(uri):
        bucket, key = split_s3(uri)
        location = f"s3://{bucket}/{posixpath.normpath(posixpath.join(key, href)) if href else key}"
        shown = posixpath.join(uri, href) if href else uri
    elif parsed.scheme not in ("", "file"):
        raise ProductNotFound(f"{uri}: only products on the local file system or S3 are served (got "
                              f"{parsed.scheme}://)")
    else:
        path = Path(unquote(parsed.path) if parsed.scheme == "file" else uri) / href
        location, shown = str(path.resolve()), str(path)
    roots = _roots()
    if not any(_inside(location, root) for root in roots):
        raise ProductNotFound(f"{shown} is outside the products root {roots[0]} and the archive "
                              f"{' '.join(roots[1:]) or '(none)'}; it is not served")
    return location


def _read(location: str) -> bytes:
    from lake.storage import read_bytes

    try:
        return read_bytes(location)
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise ProductNotFound(f"{location} does not exist") from exc


def _version(location: str) -> str:
    """What changes when the file does: the modification time, or the object's ETag."""
    from lake.settings import is_remote

    if not is_remote(location):
        try:
            return str(Path(location).stat().st_mtime)
        except OSError as exc:
            raise ProductNotFound(f"{location} does not exist") from exc
    from lake.storage import s3_client, split_s3

    bucket, key = split_s3(location)
    client = s3_client()
    try:
        return str(client.head_object(Bucket=bucket, Key=key)["ETag"])
    except client.exceptions.ClientError as exc:
        raise ProductNotFound(f"{location} does not exist") from exc


def _product(con: Any, product_id: str) -> dict[str, Any]:
    rows = query_rows(con, "SELECT * FROM products WHERE product_id = ?", product_id)
    if not rows:
        raise ProductNotFound(f"product {product_id!r} is not in the lake")
    return rows[0]


def asset_location(con: Any, product_id: str, name: str) -> str:
    """Where a product's asset is (a path or ``s3://`` URI; ``browse`` falls back to ``<product>/browse.png``).

    Raises:
        ProductNotFound: unknown product or asset, or a file outside the products root.
    """
    p = _product(con, product_id)
    assets = json.loads(p["assets"] or "{}")
    if name in assets:
        href = assets[name]["href"]
    elif name == "browse":
        href = "browse.png"
    else:
        raise ProductNotFound(f"product {product_id!r} has no asset {name!r} (it has {', '.join(assets) or 'none'})")
    if not p["uri"]:
        raise ProductNotFound(f"product {product_id!r} has no folder (uri)")
    return _location(p["uri"], href)


def asset_bytes(con: Any, product_id: str, name: str) -> bytes:
    """The content of a product's asset (see :func:`asset_location`)."""
    return _read(asset_location(con, product_id, name))


@lru_cache(maxsize=256)
def _render(location: str, version: str, cmap: str) -> bytes:
    import numpy as np
    import rasterio

    from lake.settings import is_remote

    with contextlib.ExitStack() as stack:
        if is_remote(location):
            src = stack.enter_context(stack.enter_context(rasterio.MemoryFile(_read(location))).open())
        else:
            src = stack.enter_context(rasterio.open(location))
        step = max(1, int(np.ceil(max(src.height, src.width) / MAX_SIDE)))
        band = src.read(1, out_shape=(max(1, src.height // step), max(1, src.width // step)), masked=True)
        units = (src.units or (None,))[0] or src.tags(1).get("units") or ""  # GDAL's unit type, or the PGEs' tag
    data = np.ma.masked_invalid(band.astype("float64"))
    vals = data.compressed()
    lo, hi = (np.percentile(vals, [2, 98]) if vals.size else (0.0, 1.0))
    if cmap == "tab20":  # component ids: categories, no scale to read
        return _png(data, cmap, 0.0, 20.0)
    hi = hi if hi > lo else lo + 1
    return _png(data, cmap, float(lo), float(hi), "" if units == "1" else units)


def _png(data: Any, cmap: str, lo: float, hi: float, units: str | None = None) -> bytes:
    """``data`` coloured by ``cmap`` from ``lo`` to ``hi``; with ``units`` (not None) a colour bar below it.

    The bar is labelled with both ends of the stretch (and the units) and the PNG carries them as text too
    (``sarlake:stretch``), so a scientist reads values off the layer, not only shapes.
    """
    import numpy as np
    from matplotlib import colormaps
    from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

    colours = colormaps[cmap]
    # no data (masked, then NaN) takes the colormap's "bad" colour: transparent
    rgba = (colours(np.ma.clip((data - lo) / (hi - lo), 0, 1).filled(np.nan)) * 255).astype("uint8")
    image = Image.fromarray(rgba, "RGBA")
    info = PngImagePlugin.PngInfo()
    if units is not None:
        font = ImageFont.load_default(size=11)
        left, right = f"{lo:.3g}", f"{hi:.3g}" + (f" {units}" if units else "")
        width = max(image.width, 40 + int(ImageDraw.Draw(image).textlength(f"{left}  {right}", font=font)))
        canvas = Image.new("RGBA", (width, image.height + 30), (255, 255, 255, 0))
        canvas.paste(image, (0, 0))
        ramp = (colours(np.linspace(0, 1, width))[None, :, :] * 255).astype("uint8").repeat(8, axis=0)
        canvas.paste(Image.fromarray(ramp, "RGBA"), (0, image.height + 4))
        draw = ImageDraw.Draw(canvas)
        draw.text((0, image.height + 14), left, fill="black", font=font)
        draw.text((width, image.height + 14), right, fill="black", font=font, anchor="ra")
        image = canvas
        info.add_text("sarlake:stretch", f"{lo!r} {hi!r} {units}".strip())
    buf = io.BytesIO()
    image.save(buf, format="png", pnginfo=info)
    return buf.getvalue()


def layer_png(con: Any, product_id: str, name: str) -> bytes:
    """A raster asset of a product rendered as a PNG.

    Raises:
        ProductNotFound: see :func:`asset_location`; or the asset is not a raster.
    """
    location = asset_location(con, product_id, name)
    if not location.lower().endswith((".tif", ".tiff")):
        raise ProductNotFound(f"asset {name!r} of {product_id!r} is not a raster ({posixpath.basename(location)})")
    return _render(location, _version(location), COLORMAPS.get(name, "viridis"))


def product_detail(con: Any, product_id: str) -> dict[str, Any]:
    """Everything the product page shows.

    Raises:
        ProductNotFound: the product is not in the lake.
    """
    from lake.tags import TAG_TYPES, list_tags

    p = _product(con, product_id)
    assets = json.loads(p.get("assets") or "{}")
    met: dict[str, Any] | None = None
    met_error = None
    try:
        met = json.loads(_read(_location(p["met_uri"]))) if p.get("met_uri") else None
    except (ProductNotFound, OSError, ValueError) as exc:
        met_error = str(exc)
    q = quote(product_id, safe="")
    # " (1)": the dimensionless unit, which products made before pges.metadata.layer_title put in their titles
    layers = [{"name": n, "title": str(a.get("title", n)).removesuffix(" (1)"),
               "url": f"api/products/{q}/layers/{n}.png"}
              for n, a in assets.items() if str(a.get("href", "")).lower().endswith((".tif", ".tiff"))]
    tags = [{"user": t["user"], "tag": t["tag"], "comment": t["comment"], "source": t["source"],
             "tagged_at": t["tagged_at"].isoformat() if t["tagged_at"] else None} for t in list_tags(product_id)]
    first, last = date_span(p)
    return {
        "product": {**jsonable([{k: v for k, v in p.items() if k != "assets"}])[0],
                    "first_date": first, "last_date": last},
        "assets": assets,
        "browse_url": f"api/products/{q}/browse.png",
        "layers": layers,
        "met": met,
        "met_error": met_error,
        "provenance": jsonable(query_rows(con, "SELECT * FROM provenance WHERE product_id = ? ORDER BY started_at",
                                     product_id)),
        "qa_features": jsonable(query_rows(con, "SELECT * FROM qa_features WHERE product_id = ?", product_id)),
        "qa_predictions": jsonable(query_rows(con, "SELECT * EXCLUDE (created_at, updated_at) FROM qa_predictions "
                                              "WHERE product_id = ? ORDER BY predicted_at DESC", product_id)),
        "consensus": jsonable(query_rows(con, "SELECT * EXCLUDE (created_at, updated_at) FROM tag_consensus "
                                         "WHERE product_id = ? ORDER BY tag_type", product_id)),
        "tags": tags,
        "tag_types": TAG_TYPES,
        "deliveries": deliveries(con, product_id),
    }
