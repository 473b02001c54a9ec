import numpy as np
import ember as torch

a = np.arange(6, dtype=np.float32).reshape(2, 3)
t = torch.from_numpy(a)
a[0, 0] = 100
print(t[0, 0].item(), t.dtype)
t2 = torch.tensor(a)
a[0, 1] = -1
print(t2[0, 1].item())
n = t.numpy()
n[1, 1] = 7
print(t[1, 1].item(), type(n).__name__, n.dtype)
print(torch.as_tensor(np.array([1, 2, 3])).dtype, torch.as_tensor([1.0, 2.0], dtype=torch.float64).dtype)
print(torch.tensor(np.float64(1.5)).dtype, torch.tensor(np.array(2)).shape)
x = torch.ones(2, requires_grad=True)
print(x.detach().numpy().tolist(), x.detach().cpu().numpy().shape)
print(np.asarray(torch.arange(3)).tolist(), torch.arange(3).numpy().dtype)
print((torch.ones(2) + torch.from_numpy(np.ones(2))).dtype)
print(torch.from_numpy(np.array([True, False])).dtype, torch.from_numpy(np.zeros(2, dtype=np.int16)).dtype)
print(np.array(torch.tensor([[1, 2]])).shape, float(torch.tensor([3.5])), int(torch.tensor(4)))
print(torch.stack([torch.from_numpy(np.ones(2)), torch.zeros(2, dtype=torch.float64)]).shape)
print(torch.tensor([np.float32(1.0), np.float32(2.0)]).dtype)
