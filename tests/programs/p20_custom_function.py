import ember as torch
from ember.autograd import Function

class MyReLU(Function):
    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input

class ScaleBy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, k):
        ctx.k = k
        return x * k

    @staticmethod
    def backward(ctx, g):
        return g * ctx.k, None

x = torch.tensor([-1.0, 0.5, 2.0], requires_grad=True)
y = MyReLU.apply(x)
y.sum().backward()
print(y.detach().tolist(), x.grad.tolist())
x.grad.zero_()
z = ScaleBy.apply(x, 3.0)
z.backward(torch.ones_like(z))
print(x.grad.tolist(), z.requires_grad)
xd = torch.randn(4, dtype=torch.double, requires_grad=True)
print(torch.autograd.gradcheck(ScaleBy.apply, (xd, 2.0), eps=1e-6, atol=1e-4))
g, = torch.autograd.grad((x ** 2).sum(), x)
print(g.tolist())
a = torch.tensor(2.0, requires_grad=True)
b = a ** 3
da, = torch.autograd.grad(b, a, create_graph=True)
d2a, = torch.autograd.grad(da, a)
print(da.item(), d2a.item())
