"""The retry strategy pyiceberg's S3 file IO uses: pyarrow's standard one, bounded by the settings.

pyiceberg builds it by class path with no arguments (``s3.retry-strategy-impl``, set in
:func:`lake.catalog.fileio_properties`), so it reads ``SARLAKE_S3__MAX_ATTEMPTS`` itself. Kept in its own
module so that importing :mod:`lake.catalog` does not import pyarrow.
"""

from __future__ import annotations

from pyarrow.fs import AwsStandardS3RetryStrategy

from lake.settings import get_settings

__all__ = ["BoundedS3Retry"]


class BoundedS3Retry(AwsStandardS3RetryStrategy):  # type: ignore[misc]
    """pyarrow's standard S3 retry strategy with ``SARLAKE_S3__MAX_ATTEMPTS`` attempts."""

    def __init__(self) -> None:
        super().__init__(max_attempts=get_settings().s3.max_attempts)
