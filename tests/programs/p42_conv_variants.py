import ember as torch
import ember.nn as nn
import ember.nn.functional as F

x = torch.arange(2 * 3 * 10, dtype=torch.float32).view(2, 3, 10) / 10
c1 = nn.Conv1d(3, 4, kernel_size=3, stride=2, padding=1, dilation=1, groups=1)
print(c1(x).shape)
w = torch.ones(2, 3, 3)
print(F.conv1d(x, w, padding="same").shape, F.conv1d(x, w, bias=torch.zeros(2), stride=1).shape)
img = torch.arange(1 * 4 * 5 * 5, dtype=torch.float32).view(1, 4, 5, 5) / 100
print(nn.Conv2d(4, 8, (3, 1), padding=(1, 0), groups=2)(img).shape, nn.Conv2d(4, 4, 3, padding="same", padding_mode="reflect")(img).shape)
print(nn.Conv2d(4, 4, 3, groups=4, bias=False)(img).shape, nn.Conv2d(4, 2, kernel_size=1)(img).shape)
ct = nn.ConvTranspose2d(4, 2, kernel_size=2, stride=2)
print(ct(img).shape, nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)(img).shape)
print(nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1)(x).shape)
print(F.conv2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 2, 2)).tolist())
print(F.conv_transpose2d(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2), stride=1).tolist())
print(nn.Conv3d(1, 2, kernel_size=2)(torch.ones(1, 1, 3, 3, 3)).shape, nn.MaxPool3d(2)(torch.ones(1, 1, 4, 4, 4)).shape)
print(nn.MaxPool1d(2)(x).shape, nn.AvgPool1d(3, stride=1, padding=1)(x).shape, nn.AdaptiveMaxPool1d(4)(x).shape)
print(F.max_pool2d(img, 2, return_indices=True)[1].dtype, nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)(img).shape, nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False)(img).shape)
print(F.adaptive_avg_pool2d(img, 1).view(1, -1).shape, F.adaptive_max_pool2d(img, (2, 3)).shape, nn.AdaptiveAvgPool2d((None, 2))(img).shape)
print(nn.GroupNorm(2, 4)(img).shape, nn.InstanceNorm2d(4)(img).shape, nn.LayerNorm([5, 5])(img).shape, nn.LocalResponseNorm(2)(img).shape)
c = nn.Conv2d(2, 2, 3)
print(c.weight.shape, c.kernel_size, c.stride, c.padding, c.in_channels, c.out_channels, c.bias.shape)
