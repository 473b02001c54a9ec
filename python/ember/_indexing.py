"""ember._indexing: advanced indexing (tensor/list/bool indices)."""


def getitem(t, idx):
    raise IndexError(f"advanced indexing with {idx!r} is not supported yet")


def setitem(t, idx, value):
    raise IndexError(f"advanced index assignment with {idx!r} is not supported yet")
