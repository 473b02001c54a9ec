"""`make demo`: a short tour of ember's strided tensor (the training demo replaces it later)."""
import ember

x = ember.arange(12, dtype=ember.float32).reshape(3, 4)
print("x =", x.tolist())
print("shape", tuple(x.shape), "strides", x.stride(), "offset", x.storage_offset())
s = x.untyped_storage()
print(f"storage: {s.nbytes()} bytes at 0x{s.data_ptr():x}")
y = x.t()
print("x.t(): shape", tuple(y.shape), "strides", y.stride(), "contiguous?", y.is_contiguous())
print("same storage:", y.untyped_storage().data_ptr() == s.data_ptr())
y[0, 1] = 100.0
print("after y[0,1] = 100, x[1,0] =", x[1, 0].item())
