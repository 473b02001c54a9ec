import ember as torch
import ember.nn as nn
import ember.nn.functional as F

x = torch.arange(16, dtype=torch.float32).view(1, 1, 4, 4)
print(F.interpolate(x, scale_factor=0.5, mode="nearest"))
print(F.interpolate(x, size=(2, 2), mode="bilinear", align_corners=False))
print(F.interpolate(x[:, :, :2, :2], scale_factor=2, mode="bilinear", align_corners=True))
print(F.interpolate(torch.arange(4.).view(1, 1, 4), size=6, mode="linear").round(decimals=4))
print(nn.Upsample(scale_factor=2, mode="nearest")(x[:, :, :1, :2]))
theta = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
grid = F.affine_grid(theta, size=(1, 1, 4, 4), align_corners=False)
print(grid.shape)
out = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
print(torch.allclose(out, x, atol=1e-5))
flip = torch.tensor([[[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
print(F.grid_sample(x, F.affine_grid(flip, [1, 1, 4, 4], align_corners=False), align_corners=False)[0, 0, 0].tolist())
print(F.interpolate(x, scale_factor=2, mode="bicubic", align_corners=False).shape)
print(F.interpolate(x, size=3, mode="area").round(decimals=4))
