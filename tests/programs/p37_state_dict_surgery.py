import ember as torch
import ember.nn as nn
from collections import OrderedDict

class Net(nn.Module):
    def __init__(self, extra=False):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
        self.classifier = nn.Linear(4, 2)
        if extra:
            self.aux = nn.Linear(4, 1)
        self.register_buffer("scale", torch.ones(1))
        self.register_buffer("tmp", torch.zeros(1), persistent=False)

torch.manual_seed(0)
a, b = Net(), Net(extra=True)
sd = a.state_dict()
print(list(sd.keys()))
print(type(sd).__name__, sd["scale"].requires_grad, sd["classifier.weight"].requires_grad)
res = b.load_state_dict(sd, strict=False)
print(res.missing_keys, res.unexpected_keys)
try:
    b.load_state_dict(sd)
except RuntimeError as e:
    print("RuntimeError", "Missing key(s)" in str(e))
sd2 = OrderedDict(("module." + k, v) for k, v in sd.items())
clean = {k.replace("module.", "", 1): v for k, v in sd2.items()}
print(a.load_state_dict(clean))
bad = dict(sd)
bad["classifier.weight"] = torch.zeros(3, 3)
try:
    a.load_state_dict(bad)
except RuntimeError as e:
    print("size mismatch", "size mismatch" in str(e))
filtered = {k: v for k, v in sd.items() if not k.startswith("classifier")}
r = a.load_state_dict(filtered, strict=False)
print(r.missing_keys)
print(a.features[0].weight.data_ptr() != sd["features.0.weight"].clone().data_ptr())
sd["features.0.bias"].fill_(0.5)
print(a.features[0].bias.tolist())
print([k for k, _ in a.named_buffers()], [k for k, _ in a.named_buffers(recurse=False)])
