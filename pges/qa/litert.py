"""The QA ConvNet served by LiteRT (TensorFlow Lite's runtime), without importing TensorFlow.

TensorFlow takes 5-7 s to import on these machines, and every QA task and every ``sarlake qa score`` paid that
(plus Keras's model loading and first trace) before scoring one product. At training time the Keras model is
also converted to a LiteRT flatbuffer (float32, no quantisation) and saved as an extra file of its MLflow model
(:func:`to_litert`, which does need TensorFlow); a scorer that finds that file runs it with LiteRT's interpreter
(``ai-edge-litert``, 0.5 s to import). The Keras model stays the registered model of record: MLflow loads it as
the ``tensorflow`` flavour as before, and the tests hold LiteRT's probabilities to Keras's on the same tiles.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["LITERT_FILE", "LiteRTModel", "litert_file", "to_litert"]

logger = logging.getLogger(__name__)

#: the flatbuffer's name among the MLflow model's extra files
LITERT_FILE = "model.tflite"


def to_litert(model: Any, path: str | Path) -> Path:
    """Convert a Keras model to a LiteRT flatbuffer at ``path`` (float32 kernels, no optimisation)."""
    import tensorflow as tf

    # Keras exports the model first and prints the export's 40-odd lines of endpoints and captured tensors on
    # stdout (they filled the demo's output): kept for DEBUG
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        data = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    for line in printed.getvalue().splitlines():
        logger.debug("keras export: %s", line)
    out = Path(path)
    out.write_bytes(data)
    return out


def litert_file(model_dir: str | Path, meta: dict[str, Any]) -> Path | None:
    """The LiteRT flatbuffer saved with an MLflow ``tensorflow`` model (from its MLmodel ``meta``), if any."""
    flavor = (meta.get("flavors") or {}).get("tensorflow") or {}
    for entry in flavor.get("extra_files") or []:
        rel = entry.get("path") if isinstance(entry, dict) else None
        if rel and Path(rel).name == LITERT_FILE and (Path(model_dir) / rel).is_file():
            return Path(model_dir) / rel
    return None


class LiteRTModel:
    """A LiteRT model called as MLflow's pyfunc would call the Keras one: ``predict(x) -> (n, 4)``.

    The interpreter is resized to each batch; one lock serialises calls (an interpreter is not thread-safe).
    """

    def __init__(self, path: str | Path) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        self._interpreter = Interpreter(model_path=str(self.path))
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        self._shape: tuple[int, ...] | None = None
        self._lock = threading.Lock()

    def predict(self, inputs: Any) -> np.ndarray:
        """Class probabilities of a batch of tiles ``(n, 64, 64, 2)``."""
        x = np.ascontiguousarray(inputs, dtype=self._input["dtype"])
        expected = tuple(int(v) for v in self._input["shape_signature"][1:])
        if x.ndim != len(expected) + 1 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"{self.path}: the model takes tiles of shape (n, {', '.join(map(str, expected))}), "
                             f"got {x.shape}")
        if len(x) == 0:
            return np.zeros((0, int(self._output["shape"][-1])), dtype=np.float32)
        with self._lock:
            if self._shape != x.shape:
                self._interpreter.resize_tensor_input(self._input["index"], list(x.shape))
                if self._shape is None:
                    _allocate_quietly(self._interpreter)
                else:
                    self._interpreter.allocate_tensors()
                self._shape = x.shape
            self._interpreter.set_tensor(self._input["index"], x)
            self._interpreter.invoke()
            return np.array(self._interpreter.get_tensor(self._output["index"]))


def _allocate_quietly(interpreter: Any) -> None:
    """First allocation, without LiteRT's note that it made its XNNPACK delegate (other output goes to stderr).

    The note is printed by the C++ runtime on file descriptor 2 at the first allocation, whatever
    ``TF_CPP_MIN_LOG_LEVEL`` says; it would be the only line a ``sarlake qa score`` prints besides its results.
    """
    from pges.fd_capture import captured_fd

    printed: list[str] = []
    with captured_fd(2, printed):
        interpreter.allocate_tensors()
    other = [line + "\n" for line in printed if "XNNPACK delegate for CPU" not in line]
    if other:
        sys.stderr.write("".join(other))
