"""One-line probes of NumPy on Tensors, the ninth round's (numpy_probe_checks.py has
the check): ufunc methods and loops, in-place updates of float, integer and bool
tensors, indexing, a Tensor's size in arithmetic, float32 through the library's
composite functions, negative and tuple axes, empty batches of linear algebra, and
writes through views."""

import numpy as np
import pytest

from numpy_probe_checks import check_probe, probe_list, shared_inputs

rng, (A, B, V, A32, V32, I, I8, I32, U8, BOOL, E, Z,  # noqa: E741
      SPD, POS, NAN) = shared_inputs()
PROBES, probe = probe_list()


# ---- ufunc methods with kwargs
probe("add.reduce where initial", lambda a: np.add.reduce(a, axis=1, where=a > 0, initial=0.5), A)
probe("add.reduce tuple axis", lambda a: np.add.reduce(a[None], axis=(0, 2)), A)
probe("add.reduce dtype", lambda a: np.add.reduce(a, dtype=np.float64), I8)
probe("multiply.reduce keepdims", lambda a: np.multiply.reduce(a, axis=0, keepdims=True), A)
probe("maximum.reduce initial where",
      lambda a: np.maximum.reduce(a, axis=1, initial=-3.0, where=a < 1), A)
probe("minimum.reduce none", lambda a: np.minimum.reduce(a, axis=None), A)
probe("add.accumulate dtype", lambda a: np.add.accumulate(a, axis=1, dtype=np.float64), I8)
probe("multiply.accumulate", lambda a: np.multiply.accumulate(a, axis=0), A)
probe("maximum.accumulate", lambda a: np.maximum.accumulate(a, axis=1), A)
probe("logaddexp.accumulate", lambda a: np.logaddexp.accumulate(a, axis=1), A)
probe("logaddexp.reduce", lambda a: np.logaddexp.reduce(a, axis=0), A)
probe("add.reduceat", lambda a: np.add.reduceat(a, [0, 2], axis=1), A)
probe("maximum.reduceat", lambda a: np.maximum.reduceat(a, [0, 1, 3], axis=1), A)
probe("add.outer", lambda a, b: np.add.outer(a, b), V, V[:3])
probe("multiply.outer 2d", lambda a, b: np.multiply.outer(a, b), A[:2, :2], V[:2])
probe("subtract.outer", lambda a: np.subtract.outer(a, a), V)
probe("hypot.outer", lambda a: np.hypot.outer(a, a[:2]), V)
probe("add.at tensor",
      lambda a: (lambda b: (np.add.at(b, [0, 0, 2], a[0, :3]), b)[1])(a[1] * 1.0), A)
probe("maximum.at",
      lambda a: (lambda b: (np.maximum.at(b, [0, 0, 1], a[2, :3]), b)[1])(a[0] * 1.0), A)
probe("subtract.at 2d",
      lambda a: (lambda b: (np.subtract.at(b, (np.array([0, 2]), np.array([1, 1])), 1.0),
                            b)[1])(a * 1.0),
      A)
probe("ufunc out tuple", lambda a: (lambda o: (np.exp(a, out=(o,)), o)[1])(np.zeros_like(a)), A)
probe("ufunc out int dtype casting",
      lambda a: (lambda o: np.add(a, 1, out=o))(np.zeros_like(a, dtype=np.float64)), I8)
probe("ufunc out f32 from f64",
      lambda a: (lambda o: np.multiply(a, 2.0, out=o))(np.zeros_like(a, dtype=np.float32)), A)
probe("ufunc out bool error",
      lambda a: (lambda o: np.multiply(a, 2.0, out=o))(np.zeros_like(a, dtype=bool)), A)
probe("ufunc divmod out",
      lambda a: (lambda q, r: (np.divmod(a, 0.7, out=(q, r)), q, r)[1:])(np.zeros_like(a),
                                                                      np.zeros_like(a)),
      A)
probe("modf out",
      lambda a: (lambda f, i: (np.modf(a, f, i), f, i)[1:])(np.zeros_like(a), np.zeros_like(a)), A)
probe("ufunc casting unsafe", lambda a: np.add(a, 1.5, casting="unsafe", dtype=np.int8), I8)
probe("ufunc signature", lambda a: np.add(a, a, signature=(np.float32, np.float32, np.float32)), A)
probe("ufunc order", lambda a: np.exp(a, order="F"), A)
probe("ufunc subok", lambda a: np.sin(a, subok=True), A)
probe("matmul axes", lambda a, b: np.matmul(a, b, axes=[(-2, -1), (-2, -1), (-2, -1)]), A, B)
probe("matmul axis kw error", lambda a: np.matmul(a, a, axis=0), V)
probe("vecdot keepdims", lambda a: np.vecdot(a, a, keepdims=True), A)
probe("negative where", lambda a: np.negative(a, where=a > 0, out=a * 1.0), A)
probe("add reduce empty initial", lambda a: np.add.reduce(a, axis=0, initial=1.0), E)
probe("max reduce empty error", lambda a: np.maximum.reduce(a, axis=0), E)
probe("ufunc identity attr", lambda a: np.add.identity + a.sum(), A)
# ---- in-place ops on int, bool, f32 tensors
probe("iadd f32 + py", lambda a: (lambda b: (b.__iadd__(0.5), b)[1])(a * 1), A32)
probe("iadd f32 + f64 array", lambda a: (lambda b: (b.__iadd__(A), b)[1])(a * 1), A32)
probe("iadd int8 + float error", lambda a: (lambda b: (b.__iadd__(0.5), b)[1])(a * 1), I8)
probe("imul int8", lambda a: (lambda b: (b.__imul__(3), b)[1])(a * 1), I8)
probe("itruediv int error", lambda a: (lambda b: (b.__itruediv__(2), b)[1])(a * 1), I32)
probe("ior bool", lambda a: (lambda b: (b.__ior__(a), b)[1])(~a), BOOL)
probe("setitem int into float", lambda a: (lambda b: (b.__setitem__(0, 7), b)[1])(a * 1.0), A)
probe("setitem float into int truncates",
      lambda a: (lambda b: (b.__setitem__(0, 2.7), b)[1])(a * 1), I)
probe("setitem f64 into f32",
      lambda a: (lambda b: (b.__setitem__(slice(None), A), b)[1])(a * 1), A32)
probe("setitem bool mask tensor",
      lambda a: (lambda b: (b.__setitem__(b > 0, 0.0), b)[1])(a * 1.0), A)
probe("setitem ellipsis",
      lambda a: (lambda b: (b.__setitem__((Ellipsis, 0), a[:, 1]), b)[1])(a * 1.0), A)
probe("setitem newaxis", lambda a: (lambda b: (b.__setitem__((None, 0), 1.0), b)[1])(a * 1.0), A)
probe("getitem bool 0d", lambda a: a[np.True_], A)
probe("getitem list of lists", lambda a: a[[[0, 1], [2, 0]]], A)
probe("getitem ellipsis none", lambda a: a[..., None, 1:], A)
probe("getitem int tensor index", lambda a, i: a[i[0, :2]], A, np.array([[2, 0, 1]]))
probe("getitem neg step", lambda a: a[::-2, ::-1], A)
probe("getitem bool tensor row", lambda a: a[a[:, 0] > 0], A)
probe("getitem mixed adv", lambda a: a[[0, 2], 1:3], A)
probe("getitem adv sep", lambda a: a.reshape(3, 2, 2)[[0, 2], :, [1, 0]], A)
probe("getitem empty list", lambda a: a[[]], A)
probe("getitem 0d int array idx", lambda a: a[np.array(1)], A)
probe("int tensor as index", lambda a: A[a[0, :2] % 3], I, gradient=False)
probe("bool tensor as mask ndarray", lambda a: A[a], BOOL, gradient=False)
probe("int tensor sort", lambda a: np.sort(a, axis=0), I8)
probe("int tensor cumsum", lambda a: np.cumsum(a, axis=1), I32)
probe("int tensor abs", lambda a: np.abs(a), I32)
probe("int tensor maximum f", lambda a: np.maximum(a, 0.5), I8)
probe("bool tensor sum keepdims", lambda a: np.sum(a, axis=0, keepdims=True), BOOL)
probe("bool tensor logical_not", lambda a: np.logical_not(a), BOOL)
probe("bool tensor where", lambda a: np.where(a, 1, 0), BOOL)
probe("bool tensor astype float", lambda a: a.astype(np.float32), BOOL)
probe("bool & int", lambda a: a & 1, BOOL)
probe("int tensor / int tensor", lambda a, b: a / (b + 10), I8, I8)
probe("int tensor mean keepdims", lambda a: a.mean(axis=1, keepdims=True), I8)
probe("int tensor matmul", lambda a: a @ a.T, I8)
probe("int tensor @ float", lambda a: a @ B, I8)
probe("uint8 sub wrap", lambda a: a - np.uint8(5), U8)
probe("int8 overflow mul", lambda a: a * np.int8(100), I8)
probe("int tensor floor", lambda a: np.floor(a), I8)
probe("int tensor round", lambda a: np.round(a, -1), I)
probe("int tensor clip", lambda a: np.clip(a, 0, 3), I8)
probe("int tensor sign", lambda a: np.sign(a), I8)
probe("int tensor isnan", lambda a: np.isnan(a), I8)
probe("int tensor nanmean", lambda a: np.nanmean(a), I8)
probe("int tensor median", lambda a: np.median(a), I8)
probe("int tensor ptp", lambda a: np.ptp(a, axis=1), I8)
probe("int tensor diff", lambda a: np.diff(a), U8)
probe("int tensor gradient", lambda a: np.gradient(a, axis=1), I8)
probe("int tensor interp", lambda a: np.interp(a, [0, 5], [0.0, 1.0]), I8)
probe("int tensor std", lambda a: np.std(a, axis=0), I32)
probe("int tensor linalg norm", lambda a: np.linalg.norm(a), I8)
probe("int tensor det", lambda a: np.linalg.det(a[:, :3]), I)
probe("int tensor einsum", lambda a: np.einsum("ij,ij->i", a, a), I8)
probe("int tensor dot py", lambda a: np.dot(a[0], a[1]), I8)
probe("bool any tuple", lambda a: np.any(a.reshape(3, 2, 2), axis=(0, 2)), BOOL)
probe("empty int sum", lambda a: np.sum(a), np.zeros((0,), np.int8))
probe("empty bool all", lambda a: np.all(a), np.zeros((0, 2), bool))
probe("empty f32 mean", lambda a: np.mean(a, axis=0), np.zeros((0, 2), np.float32))
probe("empty concatenate f32 f64",
      lambda a: np.concatenate([a, np.zeros((0, 3))]), np.zeros((0, 3), np.float32))
probe("0d int tensor", lambda a: a + 1, np.array(3, np.int8))
probe("0d bool tensor", lambda a: ~a, np.array(True))
probe("0d f32 + py", lambda a: a * 2.5, np.array(1.5, np.float32))
probe("0d f32 + np f64", lambda a: a * np.float64(2.5), np.array(1.5, np.float32))
probe("0d f32 + 0d f64", lambda a: a * np.array(2.5), np.array(1.5, np.float32))
probe("0d f32 neg axis", lambda a: np.sum(a, axis=-1), np.array(1.5, np.float32))
M32 = (A[:, :3].T @ A[:, :3] + np.eye(3)).astype(np.float32)
probe("size div f32", lambda a: a.sum() / a.size, A32)
probe("size mul f32 scalar", lambda a: a.size * a[0, 0], A32)
probe("size sqrt", lambda a: a / np.sqrt(a.size), A32)
probe("size minus one", lambda a: a.sum() / (a.size - 1), A32)
probe("shape[0] div", lambda a: a.sum(axis=0) / a.shape[0], A32)
probe("len div", lambda a: a.sum() / len(a), A32)
probe("ndim mul", lambda a: a * a.ndim, A32)
probe("size in where", lambda a: np.where(a > 0, a, a.size), A32)
probe("size in full_like", lambda a: np.full_like(a, a.size), A32)
probe("size in maximum", lambda a: np.maximum(a, a.size * 0.01), A32)
probe("size as power", lambda a: a ** (1 / a.size), np.abs(A32) + 1)
probe("size int tensor", lambda a: a * a.size, I8)
probe("size in arange", lambda a: a[0] * np.arange(a.shape[1]), A32)
probe("size in dot", lambda a: np.dot(a, a.size), A32)
probe("size in clip", lambda a: np.clip(a, -a.size, a.size), I8)
probe("size np.float32 * size", lambda a: np.float32(0.5) * a.size + a, A32)
probe("size ndarray f32 * size", lambda a: A32 * a.size + a, A32)
probe("f32 inv", lambda a: np.linalg.inv(a), M32)
probe("f32 solve f64 rhs", lambda a: np.linalg.solve(a, np.ones(3)), M32)
probe("f32 det", lambda a: np.linalg.det(a), M32)
probe("f32 cholesky", lambda a: np.linalg.cholesky(a), M32)
probe("f32 eigh", lambda a: np.linalg.eigh(a)[0], M32)
probe("f32 slogdet", lambda a: np.linalg.slogdet(a)[1], M32)
probe("f32 svd", lambda a: np.linalg.svd(a, compute_uv=False), M32)
probe("f32 lstsq", lambda a: np.linalg.lstsq(a, np.ones(3), rcond=None)[0], M32)
probe("f32 norm ord 2", lambda a: np.linalg.norm(a, 2), M32)
probe("f32 einsum f64", lambda a: np.einsum("ij,jk->ik", a, SPD), M32)
probe("f32 tensordot f64", lambda a: np.tensordot(a, SPD), M32)
probe("f32 outer f64", lambda a: np.outer(a[0], SPD[0]), M32)
probe("f32 kron py", lambda a: np.kron(a[:2, :2], 2.0), M32)
probe("f32 cross f64", lambda a: np.cross(a[0], SPD[0]), M32)
probe("f32 convolve f64", lambda a: np.convolve(a[0], SPD[0]), M32)
probe("f32 interp", lambda a: np.interp(a, [0.0, 1.0], [1.0, 2.0]), M32)
probe("f32 polyval f64", lambda a: np.polyval([1.0, 2.0], a), M32)
probe("f32 average weights f64", lambda a: np.average(a, axis=0, weights=np.ones(3)), M32)
probe("f32 cov", lambda a: np.cov(a), M32)
probe("f32 corrcoef", lambda a: np.corrcoef(a), M32)
probe("f32 percentile", lambda a: np.percentile(a, 30), M32)
probe("f32 quantile f64 q", lambda a: np.quantile(a, np.array([0.3])), M32)
probe("f32 median", lambda a: np.median(a, axis=0), M32)
probe("f32 gradient", lambda a: np.gradient(a, axis=0), M32)
probe("f32 gradient f64 spacing", lambda a: np.gradient(a, np.array([0.0, 1.0, 3.0]), axis=0), M32)
probe("f32 trapezoid", lambda a: np.trapezoid(a, dx=0.5), M32)
probe("f32 cumulative_sum", lambda a: np.cumulative_sum(a, axis=0), M32)
probe("f32 diff prepend f64", lambda a: np.diff(a, prepend=np.zeros((3, 1))), M32)
probe("f32 pad f64 constant", lambda a: np.pad(a, 1, constant_values=np.float64(2.0)), M32)
probe("f32 select f64", lambda a: np.select([a > 1], [a], default=np.float64(0.0)), M32)
probe("f32 piecewise", lambda a: np.piecewise(a, [a > 1], [lambda x: x * 2.0, 0.0]), M32)
probe("f32 nan_to_num", lambda a: np.nan_to_num(a), M32)
probe("f32 logaddexp f64", lambda a: np.logaddexp(a, SPD), M32)
probe("f32 heaviside f64", lambda a: np.heaviside(a - 1, np.float64(0.5)), M32)
probe("f32 vander", lambda a: np.vander(a[0], 3), M32)
probe("f32 histogram weights", lambda a: np.histogram(a, bins=2, weights=a)[0], M32)
probe("f32 bincount weights", lambda a: np.bincount([0, 1, 1], weights=a[0]), M32)
probe("f32 sinc", lambda a: np.sinc(a), M32)
probe("f32 i0", lambda a: np.i0(a), M32)
probe("f32 unwrap", lambda a: np.unwrap(a * 4), M32)
probe("f32 angle", lambda a: np.angle(a), M32)
probe("f32 round", lambda a: np.round(a, 2), M32)
probe("f32 ptp", lambda a: np.ptp(a), M32)
probe("f32 linspace f64 end", lambda a: np.linspace(a[0, 0], np.float64(3.0), 3), M32)
probe("f32 linspace py end", lambda a: np.linspace(a[0, 0], 3.0, 3), M32)
probe("f32 ediff1d", lambda a: np.ediff1d(a, to_begin=0.0), M32)
probe("f32 apply_along_axis", lambda a: np.apply_along_axis(np.sum, 0, a), M32)
probe("f32 matrix_power", lambda a: np.linalg.matrix_power(a, 3), M32)
probe("f32 pinv", lambda a: np.linalg.pinv(a), M32)
probe("f32 matrix_norm", lambda a: np.linalg.matrix_norm(a, ord="nuc"), M32)
# (a float32 p-norm of a whole array may differ from NumPy's in the last bit on CPUs
# with a SIMD pow: NumPy takes the root of the sum, a NumPy scalar, with scalar
# arithmetic, where a Tensor's sum is 0-d and takes the ufunc's; float64 is within 1e-12)
probe("f32 vector_norm", lambda a: np.linalg.vector_norm(a, ord=2), M32)
probe("vector_norm p", lambda a: np.linalg.vector_norm(a, ord=1.5), M32.astype(np.float64))
probe("f32 std dtype f64", lambda a: a.std(dtype=np.float64), M32)
probe("f32 nanmean", lambda a: np.nanmean(a), M32)
probe("f32 nanvar", lambda a: np.nanvar(a, axis=0), M32)
probe("f32 count", lambda a: np.count_nonzero(a > 1), M32)
probe("f32 mean where", lambda a: a.mean(where=a > 1), M32)
probe("f32 sum initial py", lambda a: a.sum(initial=0.5), M32)
probe("f32 max initial f64", lambda a: a.max(initial=np.float64(0.5)), M32)
probe("f32 prod", lambda a: a.prod(axis=0), M32)
probe("f32 float_power", lambda a: np.float_power(a, 2), M32)
probe("f32 power f64 0d", lambda a: np.power(a, np.array(2.0)), M32)
probe("f32 divide f64 scalar first", lambda a: np.float64(1.0) / a, M32)
probe("f32 true_divide int", lambda a: np.true_divide(a, 3), M32)
probe("f32 arctan2 py", lambda a: np.arctan2(a, 1.0), M32)
probe("f32 hypot py", lambda a: np.hypot(a, 1), M32)
probe("f32 copysign py", lambda a: np.copysign(2.0, a - 1), M32)
probe("f32 ldexp", lambda a: np.ldexp(a, 2), M32)
probe("f32 where 0d f64 tensor", lambda a, z: np.where(a > 1, a, z), M32, np.array(0.5))
probe("f32 tensor + 0d f64 tensor", lambda a, z: a + z, M32, np.array(0.5))
probe("f32 tensor * f64 scalar tensor mean", lambda a, b: a * b.mean(), M32, A)
probe("np.size axis", lambda a: np.size(a, 1), A, gradient=False)
probe("np.shape", lambda a: np.shape(a), A, gradient=False)
probe("np.ndim", lambda a: np.ndim(a), A, gradient=False)
probe("np.isreal", lambda a: np.isreal(a), A)
probe("np.isrealobj", lambda a: np.isrealobj(a), A, gradient=False)
probe("np.iscomplex", lambda a: np.iscomplex(a), A)
probe("np.copy", lambda a: np.copy(a), A)
probe("np.copy order F", lambda a: np.copy(a, order="F"), A)
probe("np.array_equiv", lambda a: np.array_equiv(a, a[0]), A, gradient=False)
probe("np.sort bool", lambda a: np.sort(a, axis=1), BOOL)
probe("np.take tensor idx", lambda a, i: np.take(a, i, axis=1), A, np.array([1, 3]))
probe("np.array_split tensor idx", lambda a: np.array_split(a, [1], axis=0), A)
probe("np.append axis", lambda a: np.append(a, a[:1], axis=0), A)
probe("np.append flat", lambda a: np.append(a, 1.0), A)
probe("np.insert", lambda a: np.insert(a, 1, 5.0, axis=1), A)
probe("np.insert tensor values", lambda a: np.insert(a, [0, 2], a[:, :1], axis=1), A)
probe("np.delete", lambda a: np.delete(a, [0, 2], axis=1), A)
probe("np.delete slice", lambda a: np.delete(a, slice(0, 2), axis=0), A)
probe("np.delete bool", lambda a: np.delete(a, np.array([True, False, True, False]), axis=1), A)
probe("np.rot90 k=-1", lambda a: np.rot90(a, -1), A)
probe("np.fliplr", lambda a: np.fliplr(a), A)
probe("np.flipud", lambda a: np.flipud(a), A)
probe("np.block 2d", lambda a: np.block([[a, a], [a, a]]), A)
probe("np.block 1d", lambda a: np.block([a[0], 1.0, a[1]]), A)
probe("np.stack out",
      lambda a: (lambda o: (np.stack([a, a], out=o), o)[1])(np.zeros_like(a, shape=(2, 3, 4))), A)
probe("np.concatenate out",
      lambda a: (lambda o: (np.concatenate([a, a], out=o), o)[1])(np.zeros_like(a, shape=(6, 4))),
      A)
probe("np.tri like", lambda a: np.tri(3, 4, like=a) * a, A)
probe("np.identity like", lambda a: np.identity(3, like=a) @ a, A)
probe("np.ones like dtype", lambda a: np.ones(4, dtype=np.float32, like=a) + a, A)
probe("np.empty like", lambda a: np.empty((2,), like=a).shape, A, gradient=False)
probe("np.asarray like", lambda a: np.asarray([1.0, 2.0], like=a), A, gradient=False)
probe("np.array like nested tensors", lambda a: np.array([a[0, 0], a[1, 1]], like=a), A)
probe("np.fromfunction like",
      lambda a: np.fromfunction(lambda i, j: i + j, (2, 2), like=a), A, gradient=False)
probe("np.indices", lambda a: a[tuple(np.indices((2, 2)))], A)
probe("np.mgrid", lambda a: a[:3, :3] * np.mgrid[0:3, 0:3][0], A)
probe("np.ogrid", lambda a: a[:3, :3] * np.ogrid[0:3, 0:3][1], A)
probe("np.hamming", lambda a: a[0] * np.hamming(4), A)
probe("np.kaiser", lambda a: a[0] * np.kaiser(4, 2.0), A)
probe("np.blackman f32", lambda a: a[0] * np.blackman(4), A32)
probe("np.nan_to_num copy false",
      lambda a: (lambda b: (np.nan_to_num(b, copy=False), b)[1])(a * 1.0), NAN)
probe("np.real_if_close", lambda a: np.real_if_close(a), A)
probe("np.around out", lambda a: (lambda o: (np.around(a, 1, out=o), o)[1])(np.zeros_like(a)), A)
probe("np.cumsum axis None", lambda a: np.cumsum(a, axis=None), A)
probe("np.diff bool", lambda a: np.diff(a, axis=1), BOOL)
probe("np.diff int8", lambda a: np.diff(a), I8)
probe("np.histogram tensor bins",
      lambda a: np.histogram(a[1:], bins=np.sort(a[0]))[0], A, gradient=False)
probe("np.digitize tensor bins", lambda a: np.digitize(a[1:], np.sort(a[0])), A)
probe("np.searchsorted tensor both", lambda a: np.searchsorted(np.sort(a[0]), a[1:]), A)
probe("np.dot list tensor", lambda a: np.dot([1.0, 2.0, 3.0, 4.0], a[0]), A)
probe("np.concatenate tuple gen", lambda a: np.concatenate(tuple(r[None] for r in a)), A)
probe("np.stack generator err", lambda a: np.stack([r for r in a]), A)
probe("np.sum generator", lambda a: sum(r.sum() for r in a), A)
probe("builtin max", lambda a: max(a[0, 0], a[1, 1]), A)
probe("builtin min of row", lambda a: min(a[0]), A)
probe("builtin sum of row", lambda a: sum(a[0]), A)
probe("builtin abs", lambda a: abs(a), A)
probe("builtin pow 3-arg err", lambda a: pow(a, 2), A)
probe("math-free round method", lambda a: a.round(), A)
probe("np.add(t, list)", lambda a: np.add(a[0], [1.0, 2.0, 3.0, 4.0]), A)
probe("t + list", lambda a: a[0] + [1.0, 2.0, 3.0, 4.0], A)
probe("list + t", lambda a: [1.0, 2.0, 3.0, 4.0] + a[0], A)
probe("t * tuple", lambda a: a[0] * (1.0, 2.0, 3.0, 4.0), A)
probe("t == list", lambda a: a[0] == [1.0, 2.0, 3.0, 4.0], A)
probe("t @ list", lambda a: a @ [1.0, 2.0, 3.0, 4.0], A)
probe("t.T @ t f32 mixed", lambda a: a.T @ A, A32)
probe("np.einsum f32 py scalar operand", lambda a: np.einsum("ij,->ij", a, 2.0), A32)
probe("np.einsum int f", lambda a: np.einsum("ij,ij->", a, I8), A)
T = rng.normal(size=(2, 3, 4))
TN = T.copy()
TN[0, 1, 2] = np.nan
for name, f in [
    ("trapezoid", lambda a: np.trapezoid(a, axis=-2)),
    ("gradient", lambda a: np.gradient(a, axis=-1)),
    ("gradient tuple", lambda a: np.gradient(a, axis=(-1, 0))),
    ("diff", lambda a: np.diff(a, axis=-2)),
    ("cumsum", lambda a: np.cumsum(a, axis=-2)),
    ("cumprod", lambda a: np.cumprod(a, axis=-3)),
    ("sort", lambda a: np.sort(a, axis=-2)),
    ("take_along_axis", lambda a: np.take_along_axis(a, np.argsort(a, axis=-2), axis=-2)),
    ("apply_along_axis", lambda a: np.apply_along_axis(lambda r: r ** 2, -1, a)),
    ("median", lambda a: np.median(a, axis=-2)),
    ("median tuple", lambda a: np.median(a, axis=(-1, -2))),
    ("percentile tuple", lambda a: np.percentile(a, 30, axis=(-1, 0))),
    ("quantile tuple keepdims", lambda a: np.quantile(a, [0.2, 0.8], axis=(0, 2), keepdims=True)),
    ("flip", lambda a: np.flip(a, axis=-1)),
    ("roll", lambda a: np.roll(a, 2, axis=-1)),
    ("expand_dims", lambda a: np.expand_dims(a, -2)),
    ("stack", lambda a: np.stack([a, a], axis=-2)),
    ("concatenate", lambda a: np.concatenate([a, a], axis=-1)),
    ("split", lambda a: np.split(a, 2, axis=-1)),
    ("norm", lambda a: np.linalg.norm(a, axis=-2)),
    ("norm tuple", lambda a: np.linalg.norm(a, axis=(-1, -3))),
    ("norm fro tuple", lambda a: np.linalg.norm(a, "fro", axis=(0, 2))),
    ("norm nuc tuple", lambda a: np.linalg.norm(a, "nuc", axis=(-1, -2))),
    ("ptp", lambda a: np.ptp(a, axis=-2)),
    ("ptp tuple", lambda a: np.ptp(a, axis=(0, -1))),
    ("count_nonzero tuple", lambda a: np.count_nonzero(a > 0, axis=(0, -1))),
    ("average", lambda a: np.average(a, axis=-2)),
    ("average tuple weights", lambda a: np.average(a, axis=(0, 2), weights=np.abs(T) + 0.1)),
    ("all tuple", lambda a: np.all(a > -1, axis=(-1, 0))),
    ("sum tuple neg", lambda a: np.sum(a, axis=(-1, -3))),
    ("std tuple neg", lambda a: np.std(a, axis=(-1, -2), ddof=1)),
    ("var tuple keepdims", lambda a: np.var(a, axis=(0, -1), keepdims=True)),
    ("max tuple", lambda a: np.max(a, axis=(0, 1))),
    ("argmax tuple err", lambda a: np.argmax(a, axis=(0, 1))),
    ("min tuple where", lambda a: np.min(a, axis=(0, 2), where=a > -1, initial=5.0)),
    ("prod tuple", lambda a: np.prod(a, axis=(-2, -1))),
    ("logsumexp-like", lambda a: np.log(np.exp(a).sum(axis=(-1,), keepdims=True))),
    ("mean tuple dtype", lambda a: np.mean(a, axis=(0, 1), dtype=np.float32)),
    ("einsum batched", lambda a: np.einsum("bij,bkj->bik", a, a)),
    ("matmul batched T", lambda a: a @ np.swapaxes(a, -1, -2)),
    ("tensordot", lambda a: np.tensordot(a, a, axes=([0, 2], [0, 2]))),
    ("moveaxis neg", lambda a: np.moveaxis(a, -1, 0)),
    ("squeeze neg", lambda a: np.squeeze(a[:, :1], axis=-2)),
    ("take neg axis", lambda a: np.take(a, [0, -1], axis=-1)),
    ("repeat neg axis", lambda a: np.repeat(a, 2, axis=-2)),
    ("tile", lambda a: np.tile(a, 2)),
    ("pad per axis", lambda a: np.pad(a, ((0, 0), (1, 1), (2, 0)))),
    ("diagonal neg axes", lambda a: np.diagonal(a, axis1=-1, axis2=-2)),
    ("trace neg axes", lambda a: np.trace(a, axis1=-2, axis2=-1)),
    ("cross neg axis", lambda a: np.cross(a[..., :3], a[..., 1:], axis=-1)),
    ("unique axis -1", lambda a: np.unique(np.round(a), axis=-1)),
    ("argsort neg", lambda a: np.argsort(a, axis=-3)),
    ("partition neg", lambda a: np.partition(a, 1, axis=-2)),
    ("compress neg", lambda a: np.compress([True, False, True, True], a, axis=-1)),
    ("delete neg", lambda a: np.delete(a, 1, axis=-2)),
    ("insert neg", lambda a: np.insert(a, 0, 1.0, axis=-1)),
    ("append neg", lambda a: np.append(a, a, axis=-3)),
    ("array_split neg", lambda a: np.array_split(a, 3, axis=-1)),
    ("cumulative_sum neg", lambda a: np.cumulative_sum(a, axis=-1, include_initial=True)),
    ("vecdot neg", lambda a: np.vecdot(a, a, axis=-2)),
    ("linalg.vector_norm tuple keepdims",
     lambda a: np.linalg.vector_norm(a, axis=(0, -1), keepdims=True)),
    ("linalg.matrix_norm neg", lambda a: np.linalg.matrix_norm(a, ord=1)),
]:
    probe("neg/tuple axes " + name, f, T)
for name, f in [
    ("nanmean tuple", lambda a: np.nanmean(a, axis=(0, -1))),
    ("nansum tuple keepdims", lambda a: np.nansum(a, axis=(-1, -2), keepdims=True)),
    ("nanstd neg", lambda a: np.nanstd(a, axis=-2)),
    ("nanmax tuple", lambda a: np.nanmax(a, axis=(0, 2))),
    ("nanmedian tuple", lambda a: np.nanmedian(a, axis=(1, 2))),
    ("nanpercentile neg", lambda a: np.nanpercentile(a, 75, axis=-1)),
    ("nancumsum neg", lambda a: np.nancumsum(a, axis=-2)),
    ("nanargmin neg", lambda a: np.nanargmin(a, axis=-1)),
]:
    probe("nan axes " + name, f, TN, gradient=False)
# empty batches of linear algebra
EB = np.zeros((0, 3, 3))
for name, f in [
    ("inv", lambda a: np.linalg.inv(a)), ("det", lambda a: np.linalg.det(a)),
    ("slogdet", lambda a: np.linalg.slogdet(a)),
    ("solve", lambda a: np.linalg.solve(a, np.zeros((0, 3, 1)))),
    ("eigh", lambda a: np.linalg.eigh(a)), ("cholesky", lambda a: np.linalg.cholesky(a)),
    ("svd", lambda a: np.linalg.svd(a)), ("qr", lambda a: np.linalg.qr(a)),
    ("matmul", lambda a: a @ a), ("norm", lambda a: np.linalg.norm(a, axis=(1, 2))),
    ("pinv", lambda a: np.linalg.pinv(a)), ("matrix_power", lambda a: np.linalg.matrix_power(a, 2)),
    ("trace", lambda a: np.trace(a, axis1=1, axis2=2)),
    ("einsum", lambda a: np.einsum("bii->b", a)),
]:
    probe("empty batch " + name, f, EB)
probe("zero-size matrix inv", lambda a: np.linalg.inv(a), np.zeros((0, 0)))
probe("zero-size det", lambda a: np.linalg.det(a), np.zeros((2, 0, 0)))
def inplace(f):
    def g(a):
        b = a * 1.0
        f(b)
        return b
    return g
probe("view slice iadd", inplace(lambda b: b[::2].__iadd__(1.0)), A)
probe("view T setitem", inplace(lambda b: b.T.__setitem__(0, 2.0)), A)
probe("reshape view setitem", inplace(lambda b: b.reshape(-1).__setitem__(slice(0, 3), 0.0)), A)
probe("ravel view setitem", inplace(lambda b: b.ravel().__setitem__(1, 9.0)), A)
probe("out= into row view", inplace(lambda b: np.multiply(b[0], 2.0, out=b[1])), A)
probe("out= into column view", inplace(lambda b: np.exp(b[:, 0], out=b[:, 1])), A)
probe("sort in place axis 0", inplace(lambda b: b.sort(axis=0)), A)
probe("sort in place none err", inplace(lambda b: b.sort(axis=None)), A)
probe("resize method", inplace(lambda b: b.resize((2, 6))), A)
probe("fill method", inplace(lambda b: b.fill(1.5)), A)
probe("setitem broadcast row", inplace(lambda b: b.__setitem__(slice(None), b[0])), A)
probe("setitem self overlap", inplace(lambda b: b.__setitem__(slice(1, None), b[:-1])), A)
probe("iadd self overlap", inplace(lambda b: b[1:].__iadd__(b[:-1])), A)
probe("np.copyto", inplace(lambda b: np.copyto(b, A[::-1])), A)
probe("np.copyto where", inplace(lambda b: np.copyto(b, 0.0, where=b < 0)), A)
probe("np.copyto casting", inplace(lambda b: np.copyto(b, I, casting="same_kind")), A)
probe("np.putmask tensor vals", inplace(lambda b: np.putmask(b, b < 0, b ** 2)), A)
probe("np.put_along_axis tensor vals",
      inplace(lambda b: np.put_along_axis(b, np.zeros((3, 1), int), b[:, 1:2] * 3, axis=1)), A)
probe("np.add.at neg idx",
      inplace(lambda b: np.add.at(b, (np.array([-1, 0]), np.array([0, -1])), 1.0)), A)
probe("np.negative out self", inplace(lambda b: np.negative(b, out=b)), A)
probe("np.clip out self", inplace(lambda b: np.clip(b, -0.3, 0.3, out=b)), A)
probe("np.cumsum out self", inplace(lambda b: np.cumsum(b, axis=1, out=b)), A)
probe("np.matmul out self err", inplace(lambda b: np.matmul(b[:, :3], b[:3, :3], out=b[:, :3])), A)
probe("ipow neg", inplace(lambda b: b.__ipow__(2)), A)
probe("imatmul", lambda a: (lambda b: (b.__imatmul__(np.eye(4)), b)[1])(a * 1.0), A)
probe("ifloordiv", inplace(lambda b: b.__ifloordiv__(0.5)), A)
probe("imod", inplace(lambda b: b.__imod__(0.5)), A)
probe("itruediv by tensor", inplace(lambda b: b.__itruediv__(b[0] ** 2 + 1)), A)
probe("bool mask setitem tensor values", inplace(lambda b: b.__setitem__(b > 0, b[b > 0] * 2)), A)
probe("setitem int tensor key",
      lambda a: (lambda b: (b.__setitem__(np.argmax(b, axis=1)[:1], 0.0), b)[1])(a * 1.0), A)
probe("flat setitem step", inplace(lambda b: b.flat.__setitem__(slice(None, None, 3), 0.0)), A)
probe("diagonal write err", inplace(lambda b: np.fill_diagonal(b, np.arange(3.0))), A)
probe("swapaxes setitem", inplace(lambda b: np.swapaxes(b, 0, 1).__setitem__((0, 0), 5.0)), A)
probe("expand_dims view write", inplace(lambda b: np.expand_dims(b, 0).__setitem__((0, 0), 1.0)), A)
probe("broadcast_to write err",
      inplace(lambda b: np.broadcast_to(b[0], (3, 4)).__setitem__(0, 1.0)), A)
probe("squeeze view write", inplace(lambda b: b[None].squeeze(0).__setitem__(0, 1.0)), A)
probe("real view write", inplace(lambda b: b.real.__setitem__(0, 1.0)), A)
probe("np.asarray(t) is t? write", inplace(lambda b: np.atleast_2d(b).__setitem__(0, 1.0)), A)
probe("moveaxis view write", inplace(lambda b: np.moveaxis(b, 0, 1).__setitem__(0, 3.0)), A)
probe("diagonal view write err", inplace(lambda b: np.diagonal(b).__setitem__(0, 1.0)), A)


# ---- later probes: np.emath, polynomial evaluation, dtype= of composite functions
probe("emath.log pos", lambda a: np.emath.log(a), POS)
probe("emath.sqrt pos", lambda a: np.emath.sqrt(a), POS)
probe("emath.logn", lambda a: np.emath.logn(2, a), POS)
probe("sliding_window axis", lambda a: np.lib.stride_tricks.sliding_window_view(a, 2, axis=0), A)
probe("broadcast_shapes", lambda a: np.broadcast_shapes(a.shape, (1, 4)), A, gradient=False)
probe("finfo eps", lambda a: np.finfo(a.dtype).eps * a, A32)
probe("iinfo max", lambda a: np.iinfo(a.dtype).max + 0 * a, I8)
probe("hermval", lambda a: np.polynomial.hermite.hermval(a, [1.0, 0.5, 0.2]), V)
probe("lagval", lambda a: np.polynomial.laguerre.lagval(a, [1.0, 0.5]), V)
probe("norm ord 0.5", lambda a: np.linalg.norm(a, 0.5), V)
probe("median out",
      lambda a: (lambda o: (np.median(a, axis=0, out=o), o)[1])(np.zeros_like(a[0])), A)
probe("cov y", lambda a: np.cov(a[0], a[1]), A)
probe("bincount minlength only", lambda a: np.bincount(a.ravel() % 3, minlength=4), np.abs(I))
probe("power int base f32", lambda a: np.power(2, a), A32)
probe("true_divide f32 int8", lambda a: a / I8[0, :4], A32[0])
for dtype in (np.float32, np.float64):
    probe(f"cov dtype {dtype.__name__}", lambda a, dt=dtype: np.cov(a, dtype=dt), A)
    probe(f"corrcoef dtype {dtype.__name__}", lambda a, dt=dtype: np.corrcoef(a, dtype=dt), A)
    probe(f"clip dtype {dtype.__name__}", lambda a, dt=dtype: np.clip(a, -0.5, 0.5, dtype=dt), A)
    probe(f"clip None dtype {dtype.__name__}", lambda a, dt=dtype: np.clip(a, None, 0.5, dtype=dt),
          A32)
    probe(f"nanmean dtype {dtype.__name__}",
          lambda a, dt=dtype: np.nanmean(a, axis=0, dtype=dt), NAN, gradient=False)
    probe(f"cumulative_prod dtype {dtype.__name__}",
          lambda a, dt=dtype: np.cumulative_prod(a, axis=0, dtype=dt), A)
probe("clip int dtype", lambda a: np.clip(a, 0, 3, dtype=np.int64), I8)
probe("clip int unsafe", lambda a: np.clip(a, -0.5, 0.5, dtype=np.int64, casting="unsafe"), A)
probe("cov int dtype error", lambda a: np.cov(a, dtype=np.int64), A)
probe("add out int loop", lambda a: (lambda o: np.add(a, 2, out=o, dtype=np.int16))(
      np.zeros_like(a)), I8)
probe("add out int loop into int8 error",
      lambda a: (lambda o: np.add(a, 2, out=o, dtype=np.int16))(np.zeros_like(a, dtype=np.int8)),
      I8)


@pytest.mark.parametrize("call, inputs, gradient", PROBES)
def test_a_probe_is_numpys_with_its_gradient(call, inputs, gradient):
    check_probe(call, inputs, gradient)
