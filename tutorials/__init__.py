"""Runnable tutorials: questions about backprop, answered with autodiff.

Run them all with ``python -m tutorials`` (``--quick`` for small sizes), or one
with ``python tutorials/05_mlp_from_scratch.py``.  Each module's ``main(argv)``
returns a dict of its key results.
"""

TUTORIALS = (
    "01_softmax_jacobian",
    "02_bump_layer",
    "03_embeddings_vs_indexing",
    "04_custom_gradients",
    "05_mlp_from_scratch",
    "06_gradient_checking",
    "07_gradient_descent",
    "08_gradients_through_sampling",
    "09_forward_and_reverse_mode",
    "10_cnn_digits",
)
