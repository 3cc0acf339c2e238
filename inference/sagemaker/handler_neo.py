"""SageMaker Neo handler for the compiled model (packed as inference.py in sourcedir.tar.gz).

The Neo inference container loads and runs the compiled model itself (its default model_fn and
predict_fn); as in the reference study this script supplies only input_fn (the study's
preprocessing, at the sizes of `model.json` beside it) and output_fn (top-5 JSON): the same two
the uncompiled handler serves, `rnbench_io`'s, packed beside this script.
Self-contained: it runs on the container's torch (1.9 on ml_inf1, 2.0 on ml_c5/ml_g4dn).
"""

try:  # in the repository: a module of this package
    from .rnbench_io import input_fn, output_fn
except ImportError:  # in the container: rnbench_io.py, on sys.path beside this script
    from rnbench_io import input_fn, output_fn  # type: ignore[no-redef]

__all__ = ["input_fn", "output_fn"]
