"""``python -m pges``: run a PGE from a run-config, per ``docs/contracts.md``.

::

    python -m pges <name> --run-config FILE [--result-file FILE]
    python -m pges <name> --run-config-json '{"pge": ..., ...}'
    python -m pges --list
    python -m pges --print-default-config <name>

Exit codes: 0 success, 2 invalid input (never retried), 1 processing failure (retried). The CLI does no
science: it validates the run-config, calls the PGE's ``run`` and writes the result file. Logging is
configured here and nowhere else. Heavy modules are imported only when a PGE runs.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from pathlib import Path
from typing import Any

__all__ = ["main"]

logger = logging.getLogger("pges")

XCOM_RETURN = Path("/airflow/xcom/return.json")


#: Kubernetes' default terminationMessagePath: the PodOperator reads it to route INVALID_INPUT (no retry).
TERMINATION_LOG = Path("/dev/termination-log")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pges",
        description="Run a sarlake product generation executable (PGE) from a run-config.",
        epilog="Exit codes: 0 ok, 1 processing failure (retry), 2 invalid input (do not retry).",
    )
    parser.add_argument("name", nargs="?", help="PGE to run (see --list)")
    src = parser.add_mutually_exclusive_group()
    src.add_argument("--run-config", metavar="FILE", help="run-config file (YAML or JSON)")
    src.add_argument("--run-config-json", metavar="JSON", help="run-config given inline as JSON")
    parser.add_argument("--result-file", metavar="FILE", help="write the result JSON here too")
    parser.add_argument("--list", action="store_true", help="list the PGEs and exit")
    parser.add_argument("--print-default-config", metavar="NAME", help="print a commented default run-config")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser


def _configure_logging(verbose: bool) -> None:
    level = logging.DEBUG if verbose else getattr(logging, os.environ.get("SARLAKE_LOG_LEVEL", "INFO").upper(), 20)
    logging.basicConfig(
        level=level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    for noisy in ("numba", "rasterio", "botocore", "boto3", "s3transfer", "urllib3", "matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _write_result(result: dict[str, Any], result_file: str | None) -> None:
    text = json.dumps(result, indent=2)
    targets = [Path(result_file)] if result_file else []
    if XCOM_RETURN.parent.is_dir():  # inside a KubernetesPodOperator pod with do_xcom_push
        targets.append(XCOM_RETURN)
    for target in targets:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text + "\n")
        except OSError as exc:
            logger.error("cannot write result file %s: %s", target, exc)
    print(json.dumps(result), flush=True)


def _write_termination_message(text: str) -> None:
    """Inside a Kubernetes pod, leave the error where the pod status (and so the operator) shows it."""
    if TERMINATION_LOG.exists():
        try:
            TERMINATION_LOG.write_text(text[:4000])
        except OSError as exc:
            logger.warning("cannot write %s: %s", TERMINATION_LOG, exc)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m pges``; returns the process exit code."""
    args = _parser().parse_args(argv)
    _configure_logging(args.verbose)

    from pges import registry
    from pges.errors import InputValidationError, PGEError, ProcessingError

    if args.list:
        for spec in registry.PGES.values():
            print(f"{spec.name:15s} {spec.summary}")
        return 0
    if args.print_default_config:
        try:
            spec = registry.get(args.print_default_config)
        except PGEError as exc:
            print(f"error [{exc.code}]: {exc}", file=sys.stderr)
            return exc.exit_code
        from pges.contract import default_config_yaml

        sys.stdout.write(default_config_yaml(spec.name, spec.parameters_model()))
        return 0
    if not args.name:
        _parser().print_usage(sys.stderr)
        print("error [INVALID_INPUT]: name a PGE (see --list)", file=sys.stderr)
        return 2

    name = args.name
    run_id: str | None = None
    try:
        from pges.contract import load_run_config, parse_run_config
        from pges.runner import execute

        spec = registry.get(name)
        model = spec.run_config_model()
        if args.run_config:
            cfg = load_run_config(model, args.run_config, pge=name)
        elif args.run_config_json:
            cfg = parse_run_config(model, args.run_config_json, pge=name)
        else:
            raise InputValidationError("give --run-config FILE or --run-config-json JSON")
        run_id = cfg.run_id
        logger.info("running %s (run_id=%s) -> %s", name, cfg.run_id, cfg.output_dir)
        result = execute(name, cfg, spec.run_function())
    except PGEError as exc:
        from pges.runner import failure_result

        if isinstance(exc, ProcessingError) and exc.__cause__ is not None:
            logger.error("".join(traceback.format_exception(exc.__cause__)).rstrip())
        print(f"error [{exc.code}]: {exc}", file=sys.stderr)
        _write_termination_message(f"{exc.code}: {exc}")
        _write_result(failure_result(name, exc, run_id), args.result_file)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    for product in result["products"]:
        logger.info("%s %s", "kept" if product.get("skipped") else "wrote", product["met_uri"])
    _write_result(result, args.result_file)
    return 0
