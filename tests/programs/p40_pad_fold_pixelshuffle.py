import ember as torch
import ember.nn as nn
import ember.nn.functional as F

x = torch.arange(9, dtype=torch.float32).view(1, 1, 3, 3)
print(F.pad(x, (1, 1, 1, 1)))
print(F.pad(x, (1, 1), mode="constant", value=-1)[0, 0, 0].tolist())
print(F.pad(x, [1, 1, 1, 1], mode="reflect")[0, 0])
print(F.pad(x, (2, 0, 0, 1), mode="replicate")[0, 0])
print(F.pad(x, (1, 1, 1, 1), mode="circular")[0, 0, 0].tolist())
print(nn.ZeroPad2d(1)(x).shape, nn.ReflectionPad2d((1, 0, 1, 0))(x).shape, nn.ConstantPad1d(2, 3.5)(torch.ones(1, 2)).tolist())
patches = F.unfold(x, kernel_size=2, stride=1)
print(patches.shape)
print(patches[0, :, 0].tolist())
back = F.fold(patches, output_size=(3, 3), kernel_size=2)
print(back[0, 0])
u = nn.Unfold(kernel_size=(2, 2), padding=1)(x)
print(u.shape)
print(x.unfold(2, 2, 1).shape, torch.arange(6).unfold(0, 2, 2).tolist())
ps = nn.PixelShuffle(2)
y = ps(torch.arange(16.).view(1, 4, 2, 2))
print(y.shape, y[0, 0].tolist())
print(torch.equal(nn.PixelUnshuffle(2)(y), torch.arange(16.).view(1, 4, 2, 2)))
print(F.pad(torch.ones(2, 3), (0, 2)).shape, F.pad(torch.ones(1, 2, 3), (1, 1), "reflect").shape)
