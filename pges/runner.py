"""Running a PGE: staging folder, provenance, publishing, and the result record of the contract."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from pges import __version__
from pges.cleanup import claim, sweep_staging
from pges.contract import RunConfig
from pges.environment import scratch_root
from pges.errors import PGEError, ProcessingError
from pges.metadata import provenance_block
from pges.storage import Publisher, fetch_input

__all__ = ["ProductResult", "RunContext", "execute", "failure_result", "local_code_version", "scratch_root"]

logger = logging.getLogger(__name__)


@dataclass
class ProductResult:
    """One product of a run: staged (to publish) or skipped because it was already published."""

    id: str
    staged_dir: Path | None
    skipped: bool = False


@dataclass
class RunContext:
    """What a PGE's ``run`` gets besides its run-config: a staging area, input fetching, provenance."""

    pge: str
    run_id: str
    workdir: Path
    publisher: Publisher
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def product_dir(self, product_id: str) -> Path:
        """A fresh staging folder for one product (published as ``<output_dir>/<product_id>/``)."""
        path = self.workdir / "products" / product_id
        path.mkdir(parents=True, exist_ok=False)
        return path

    def fetch(self, uri: str) -> Path:
        """Local path of an input URI (``s3://`` objects are downloaded into the work folder)."""
        return fetch_input(uri, self.workdir / "inputs")

    def provenance(self, cfg: RunConfig[Any], **extra_software: str) -> dict[str, Any]:
        """The provenance block for a product of this run (``finished_at`` = now)."""
        import os

        from pges.metadata import software_versions

        software = software_versions()
        software.update(extra_software)
        return provenance_block(
            pge_name=self.pge,
            run_id=self.run_id,
            inputs=list(cfg.inputs),
            parameters=cfg.parameters.model_dump(mode="json"),
            started_at=self.started_at,
            pge_image=os.environ.get("SARLAKE_PGE_IMAGE") or local_code_version(),
            software=software,
        )


def local_code_version() -> str:
    """What ran a local (not containerised) PGE: ``local:pges==<version>[+g<commit>]`` (the git commit when known)."""
    return f"local:pges=={__version__}" + (f"+g{_git_commit()}" if _git_commit() else "")


@lru_cache(maxsize=1)
def _git_commit() -> str:
    import subprocess

    try:
        out = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def execute(name: str, cfg: RunConfig[Any], run_fn: Any) -> dict[str, Any]:
    """Run a PGE in a staging folder and publish its products; return the result record.

    Raises:
        PGEError: the PGE's own errors pass through; any other exception becomes a ProcessingError.
    """
    publisher = Publisher(cfg.output_dir)
    try:
        root = scratch_root()
        root.mkdir(parents=True, exist_ok=True)
        workdir = Path(tempfile.mkdtemp(prefix=f"pge-{name}-", dir=root))
        claim(workdir)
        (workdir / "tmp").mkdir()
    except OSError as exc:
        raise ProcessingError(f"cannot create a staging folder under {root}: {exc}") from exc
    cleaned = sweep_staging(root, keep=workdir)
    ctx = RunContext(pge=name, run_id=cfg.run_id, workdir=workdir, publisher=publisher)
    saved_tmp = (tempfile.tempdir, os.environ.get("TMPDIR"))
    tempfile.tempdir = os.environ["TMPDIR"] = str(workdir / "tmp")  # SNAPHU's and the libraries' temp files
    try:
        outputs = run_fn(cfg, ctx)
        products = []
        for product in outputs.products:
            if product.staged_dir is not None and not product.skipped:
                met_uri = publisher.publish(product.id, product.staged_dir)
            else:
                met_uri = publisher.met_uri(product.id)
            products.append({"id": product.id, "met_uri": met_uri, "skipped": product.skipped})
        rejected = list(getattr(outputs, "rejected", []))  # inputs a PGE left out on request (skip_bad)
        left_out = list(getattr(outputs, "left_out", []))  # files of an input folder that are not its inputs
    except PGEError:
        raise
    except MemoryError as exc:
        raise ProcessingError(f"{name} ran out of memory: {exc}") from exc
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            raise ProcessingError(f"{name}: no space left to write its products ({exc.strerror}) under {workdir} "
                                  f"or {cfg.output_dir}; free space, or set SARLAKE_SCRATCH elsewhere") from exc
        raise ProcessingError(f"{name} failed: {type(exc).__name__}: {exc}") from exc
    except Exception as exc:
        if _refused_by_s3(exc):  # a retry may pass once a pod's role is fixed; it still fails the run (exit 1)
            raise ProcessingError(
                f"{name}: S3 refused the PGE's credentials ({exc}); set SARLAKE_S3__ACCESS_KEY_ID and "
                "SARLAKE_S3__SECRET_ACCESS_KEY (unset: the AWS credential chain, in a pod its service account's "
                f"role) to a key whose policy allows {cfg.output_dir} and the inputs") from exc
        raise ProcessingError(f"{name} failed: {type(exc).__name__}: {exc}") from exc
    finally:
        tempfile.tempdir = saved_tmp[0]
        if saved_tmp[1] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_tmp[1]
        shutil.rmtree(workdir, ignore_errors=True)
    return {
        "pge": name,
        "pge_version": __version__,
        "run_id": cfg.run_id,
        "status": "ok",
        "exit_code": 0,
        "products": products,
        "rejected": rejected,
        "left_out": left_out,
        "cleaned": cleaned,  # leftovers of killed runs this run removed
        "error": None,
    }


def failure_result(name: str, error: PGEError, run_id: str | None = None) -> dict[str, Any]:
    """The result record of a failed run."""
    return {
        "pge": name,
        "pge_version": __version__,
        "run_id": run_id,
        "status": "failed",
        "exit_code": error.exit_code,
        "products": [],
        "error": {"code": error.code, "message": str(error)},
    }


def _refused_by_s3(exc: BaseException) -> bool:
    """Whether ``exc`` is S3 refusing the credentials (HTTP 403 from boto3)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict) or not type(exc).__module__.startswith("botocore"):
        return False
    return bool(response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 403
                and response.get("Error", {}).get("Code") != "ExpiredToken")
