import ember as torch
import ember.nn as nn

torch.manual_seed(0)
gru = nn.GRU(input_size=3, hidden_size=4, num_layers=2, dropout=0.0)
x = torch.randn(5, 2, 3)
h0 = torch.zeros(2, 2, 4)
out, hn = gru(x, h0)
print(out.shape, hn.shape)
print("last equals", torch.allclose(out[-1], hn[-1]))
cell = nn.GRUCell(3, 4)
h = torch.zeros(2, 4)
for t in range(x.size(0)):
    h = cell(x[t], h)
print(h.shape)
lcell = nn.LSTMCell(3, 4)
hx, cx = lcell(x[0])
print(hx.shape, cx.shape)
rnn = nn.RNN(3, 4, nonlinearity="tanh", batch_first=True)
o, hh = rnn(torch.randn(2, 5, 3))
print(o.shape, hh.shape, o.abs().max().item() <= 1)
print([n for n, _ in gru.named_parameters()][:4])
print(gru.weight_ih_l0.shape, gru.weight_hh_l1.shape, gru.bias_hh_l0.shape)
