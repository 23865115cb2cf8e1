"""An fsspec ``file://`` file system that reads under one root and refuses every write (see :mod:`lake.sandbox`)."""

from __future__ import annotations

from typing import Any

from fsspec.implementations.local import LocalFileSystem

__all__ = ["ReadOnlyFileSystem"]

_WRITE_MODES = set("wax+")


class ReadOnlyFileSystem(LocalFileSystem):
    """fsspec ``file://`` file system that reads under one root and refuses every write.

    Args:
        root: the only folder it may read (the warehouse).
    """

    protocol = ("file",)
    root_marker = "/"

    def __init__(self, root: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._root = root.rstrip("/") + "/"

    def _refuse(self, path: Any, action: str = "write") -> None:
        raise PermissionError(f"the lake is read-only through SQL: cannot {action} {path}")

    def _check_read(self, path: Any) -> None:
        from lake.names import check_under

        check_under(self._strip_protocol(str(path)), self._root, "file")

    def _open(self, path: Any, mode: str = "rb", **kwargs: Any) -> Any:
        if _WRITE_MODES & set(mode):
            self._refuse(path)
        self._check_read(path)
        return super()._open(path, mode, **kwargs)

    def rm(self, path: Any, *args: Any, **kwargs: Any) -> None:  # noqa: D102 - refuses
        self._refuse(path, "delete")

    def rm_file(self, path: Any) -> None:  # noqa: D102 - refuses
        self._refuse(path, "delete")

    def mv(self, path1: Any, path2: Any, *args: Any, **kwargs: Any) -> None:  # noqa: D102 - refuses
        self._refuse(path1, "move")

    def cp_file(self, path1: Any, path2: Any, **kwargs: Any) -> None:  # noqa: D102 - refuses
        self._refuse(path2)

    def mkdir(self, path: Any, *args: Any, **kwargs: Any) -> None:  # noqa: D102 - refuses
        self._refuse(path, "create")

    def makedirs(self, path: Any, *args: Any, **kwargs: Any) -> None:  # noqa: D102 - refuses
        self._refuse(path, "create")

    def touch(self, path: Any, *args: Any, **kwargs: Any) -> None:  # noqa: D102 - refuses
        self._refuse(path)

    def put_file(self, lpath: Any, rpath: Any, *args: Any, **kwargs: Any) -> None:  # noqa: D102 - refuses
        self._refuse(rpath)
