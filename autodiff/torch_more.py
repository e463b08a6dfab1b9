"""The mixins of PyTorch's Tensor methods added beyond ``torch_methods.py``, as one
base of ``Tensor``: math and comparisons, order statistics, shapes and conversions,
the in-place updates and random fills, linear algebra, and the further in-place,
bitwise and out-of-place methods of ``tensor_inplace_more.py`` and
``tensor_methods_more.py``, and ``apply_``, ``map_``, ``resize_`` ... of
``tensor_methods_sixth.py``, and the storage and device queries (``is_cpu``,
``layout``, ``data_ptr`` ...) of ``tensor_flags.py``."""

from __future__ import annotations

from .torch_inplace_methods import TorchInplaceMethods
from .torch_linalg_methods import TorchLinalgMethods
from .torch_methods_extra import TorchExtraMethods
from .torch_math_methods import TorchMathMethods
from .torch_random_fills import TorchRandomFills
from .torch_shape_methods import TorchShapeMethods
from .torch_stats_methods import TorchStatsMethods
from .tensor_inplace_more import TensorInplaceMore
from .tensor_methods_more import TensorMethodsMore
from .tensor_methods_sixth import TensorMethodsSixth
from .tensor_flags import TensorFlags


class TorchMoreMethods(TorchMathMethods, TorchStatsMethods, TorchShapeMethods,
                       TorchInplaceMethods, TorchRandomFills, TorchExtraMethods,
                       TorchLinalgMethods, TensorInplaceMore, TensorMethodsMore,
                       TensorMethodsSixth, TensorFlags):
    """PyTorch's Tensor methods from the mixins above (mixed into ``Tensor``)."""

    __slots__ = ()
