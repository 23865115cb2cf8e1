# The PGE image: the product generation executables (`python -m pges <name> ...`) and nothing of Airflow.
# Built from the same uv.lock as everything else, so a PGE runs in its pod with the versions it was tested with:
#
#   docker build -f deploy/pge.Dockerfile -t ghcr.io/sarlake/pge:0.1.0 .
#
# Register the pushed image (tag or, better, digest) as the PGE version it holds:
#   sarlake pge-versions register interferogram 0.1.0 --image ghcr.io/sarlake/pge@sha256:...   (sarlake/cli/versions.py)
# Base pinned to an exact Python patch release and Debian release; rebuild to take security updates.
FROM python:3.11.11-slim-bookworm AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/venv
WORKDIR /src
# Dependencies first (cached while only the code changes), exactly as locked, without the dev group.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project --python /usr/local/bin/python3.11
COPY lake/ lake/
COPY pges/ pges/
COPY sarlake/ sarlake/
COPY sarlake_plugins/ sarlake_plugins/
COPY expectations/ expectations/
RUN uv sync --frozen --no-dev --no-editable --python /usr/local/bin/python3.11

FROM python:3.11.11-slim-bookworm
RUN groupadd --gid 10001 pge && useradd --uid 10001 --gid 10001 --create-home --shell /usr/sbin/nologin pge
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DO_NOT_TRACK=true \
    SARLAKE_SCRATCH=/tmp/sarlake-scratch \
    NUMBA_CACHE_DIR=/opt/numba-cache
# The numba kernels compiled now, not in every pod (pges/jit_warmup.py: ~12 s of LLVM otherwise); numba needs
# its cache directory writable by the user that loads from it.
RUN python -m pges.jit_warmup && chown -R 10001:10001 /opt/numba-cache
# Non-root; the pod's securityContext (runAsNonRoot) relies on the numeric user.
USER 10001:10001
WORKDIR /home/pge
# The pod operator passes the command (python -m pges <name> --result-file ... --run-config-json ...).
ENTRYPOINT ["python", "-m", "pges"]
CMD ["--list"]
