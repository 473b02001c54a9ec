"""The under-the-hood tour that ends `make demo`: what ember.inspect shows about a trained model."""
import ember
from ember import inspect as I


def rule(title):
    print(f"\n── {title} " + "─" * max(0, 70 - len(title)))


def tour(model, loss_fn, optimizer, x, y):
    """`x`, `y`: one small batch; the model is already trained."""
    w = model.layer4.weight
    rule("a weight and its transpose: same storage, swapped strides")
    print(I.explain(w.detach()))
    print()
    print(I.explain(w.detach().t()))
    print(I.explain_index(w.detach().t(), (1, 0)))
    rule("the layers (ember.inspect.summary)")
    print(I.summary(model, x))
    rule("one training step, op by op (ember.inspect.trace)")
    with I.trace(record_location=False) as tr:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    tr.table()
    rule("the loss's autograd graph (ember.inspect.graph)")
    loss = loss_fn(model(x), y)
    g = I.graph(loss)
    print(" <- ".join(g.names()[:8]) + (" ..." if len(g) > 8 else ""))
    print(g.summary())
    rule("memory (ember.inspect.memory)")
    rep = I.memory()
    print("\n".join(str(rep).splitlines()[:8]))
    print(f"... {len(rep.storages)} live storages; " + ", ".join(f"{d}: {v / 2**20:.2f} MB" for d, v in rep.totals.items()))
    for warning in rep.warnings():
        print("warning:", warning)
