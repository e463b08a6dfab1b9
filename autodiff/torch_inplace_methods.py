"""placeholder"""


class TorchInplaceMethods:
    __slots__ = ()
