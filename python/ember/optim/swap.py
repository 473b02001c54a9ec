"""``swap_in_optimizer_params_and_state``: run optimizer code against other parameter tensors and
another state (e.g. copies), leaving the live optimizer untouched afterwards."""
import contextlib
from collections import defaultdict

__all__ = ["swap_in_optimizer_params_and_state"]


@contextlib.contextmanager
def swap_in_optimizer_params_and_state(optimizer, swapin_parameters, swapin_optim_state):
    """Inside the block the optimizer's parameters are ``swapin_parameters`` (in the order of its
    own, usually ``model.named_parameters()`` order) and its state and per-group options are
    those of ``swapin_optim_state`` (an ``optimizer.state_dict()``-shaped dict, its state tensors
    used in place). Everything is restored on exit."""
    new = list(swapin_parameters.values()) if isinstance(swapin_parameters, dict) else list(swapin_parameters)
    groups = optimizer.param_groups
    count = sum(len(g["params"]) for g in groups)
    if len(new) != count:
        raise ValueError(f"swap_in_optimizer_params_and_state: expected {count} parameters, got {len(new)}")
    saved_groups = [dict(g) for g in groups]
    saved_state = optimizer.state
    packed = swapin_optim_state["param_groups"]
    if len(packed) != len(groups):
        raise ValueError("swapin_optim_state has a different number of parameter groups than the optimizer")
    id_to_param, it = {}, iter(new)
    for g, pg in zip(groups, packed):
        mine = [next(it) for _ in g["params"]]
        if len(pg["params"]) != len(mine):
            raise ValueError("swapin_optim_state: a parameter group doesn't match the size of the optimizer's group")
        id_to_param.update(zip(pg["params"], mine))
        g.clear()
        g.update({k: v for k, v in pg.items() if k != "params"})
        g["params"] = mine
    state = defaultdict(dict)
    for k, v in swapin_optim_state["state"].items():
        state[id_to_param.get(k, k)] = v
    optimizer.state = state
    try:
        yield optimizer
    finally:
        for g, old in zip(groups, saved_groups):
            g.clear()
            g.update(old)
        optimizer.state = saved_state
