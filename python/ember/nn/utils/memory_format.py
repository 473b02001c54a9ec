"""Converting the weights of convolution layers to a memory format (channels_last for faster
NHWC kernels). ember's ``.data`` assignment copies values into the existing layout, so the
weight is replaced by a new Parameter holding the converted tensor: convert before building the
optimizer, as PyTorch's docs also advise."""
from ..parameter import Parameter

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _convert(module, memory_format, classes):
    if isinstance(module, classes):
        w = module.weight.detach().contiguous(memory_format=memory_format)
        module.weight = Parameter(w, module.weight.requires_grad)
    for child in module.children():
        _convert(child, memory_format, classes)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    """Lays out the weight of every Conv2d / ConvTranspose2d in ``module`` in ``memory_format``."""
    from ..modules.conv import Conv2d
    from ..modules.conv_extra import ConvTranspose2d
    return _convert(module, memory_format, (Conv2d, ConvTranspose2d))


def convert_conv3d_weight_memory_format(module, memory_format):
    """Lays out the weight of every Conv3d / ConvTranspose3d in ``module`` in ``memory_format``."""
    from ..modules.conv_extra import Conv3d, ConvTranspose3d
    return _convert(module, memory_format, (Conv3d, ConvTranspose3d))
