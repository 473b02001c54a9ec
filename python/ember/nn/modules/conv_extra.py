"""Conv3d and the transposed convolutions (composed in nn.functional from the native 2-D kernel)."""

from ... import _device
from ..parameter import Parameter
from .. import functional as F
from .conv import _ConvNd, _tuple

__all__ = ["Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]


class Conv3d(_ConvNd):
    _n = 3

    def forward(self, input):
        input, padding = self._padded(input)
        return F.conv3d(input, self.weight, self.bias, self.stride, padding, self.dilation, self.groups)


class _ConvTransposeNd(_ConvNd):
    """Weight (in_channels, out_channels / groups, *kernel_size), as PyTorch stores it."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__} does not support string padding (got {padding!r})")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode,
                         device, dtype)
        self.transposed = True
        self.output_padding = _tuple(output_padding, self._n)
        w = self.weight
        self.weight = Parameter(_device.empty([in_channels, out_channels // groups, *self.kernel_size], w.dtype,
                                              device))
        self.reset_parameters()

    def extra_repr(self):
        s = super().extra_repr()
        if self.output_padding != (0,) * self._n:
            s += ", output_padding={}".format(self.output_padding)
        return s

    def _op(self, input, output_size):
        from .._functional_spatial import _output_padding
        op = _output_padding(input, output_size, self.stride, self.padding, self.kernel_size, self.dilation, self._n)
        return self.output_padding if op is None else op

    def forward(self, input, output_size=None):
        fn = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[self._n]
        return fn(input, self.weight, self.bias, self.stride, self.padding, self._op(input, output_size), self.groups,
                  self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    _n = 1


class ConvTranspose2d(_ConvTransposeNd):
    _n = 2


class ConvTranspose3d(_ConvTransposeNd):
    _n = 3
