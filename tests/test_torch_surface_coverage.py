"""Every public name of PyTorch's ``torch``, ``torch.Tensor``, ``torch.nn``,
``torch.nn.functional``, ``torch.linalg``, ``torch.special`` and ``torch.testing`` is
either present in autodiff (``ad``, ``ad.Tensor``, ``ad.nn``, ``ad.nn.functional``,
``ad.linalg``, ``ad.special``, ``ad.testing``) or listed below in a group with the
reason it is left out.  A name a new PyTorch adds, or one that disappears from
autodiff, fails here by name instead of being silently missing; a name listed here
that autodiff comes to have fails too, so the table only ever lists what is really
absent.  Skipped without PyTorch."""

from __future__ import annotations

import pkgutil

import pytest

import autodiff as ad

torch = pytest.importorskip("torch")


def _names(text: str) -> frozenset:
    return frozenset(text.split())


#: group -> (why the names are left out, {namespace: names}).  The namespaces are those
#: of ``NAMESPACES``.
EXCLUDED = {
    "complex view copies": (
        "ad.view_as_real and ad.view_as_complex record complex values and already give "
        "copies here, but the *_copy spellings are not built; call those instead",
        {"torch": _names("view_as_real_copy view_as_complex_copy")}),
    "sparse and nested layouts": (
        "every tensor here is one dense NumPy array (layout ad.strided)",
        {"torch": _names("sparse sparse_bsc sparse_bsr sparse_coo sparse_csc sparse_csr "
                         "sparse_bsc_tensor sparse_bsr_tensor sparse_coo_tensor "
                         "sparse_csc_tensor sparse_csr_tensor sparse_compressed_tensor "
                         "ccol_indices_copy col_indices_copy crow_indices_copy "
                         "row_indices_copy indices_copy values_copy dsmm hsmm hspmm saddmm "
                         "smm spmm sspaddmm resize_as_sparse_ nested jagged"),
         "Tensor": _names("ccol_indices coalesce col_indices crow_indices indices "
                          "is_coalesced resize_as_sparse_ row_indices smm sparse_mask "
                          "sparse_resize_ sparse_resize_and_clear_ sspaddmm to_sparse "
                          "to_sparse_bsc to_sparse_bsr to_sparse_coo to_sparse_csc "
                          "to_sparse_csr values to_padded_tensor")}),
    "quantization": (
        "integer-quantized tensors and their observers and kernels are not modelled; "
        "train in float and convert with NumPy",
        {"torch": _names("ao quantization qint8 qint32 quint8 quint2x4 quint4x2 qscheme "
                         "per_channel_affine per_channel_affine_float_qparams "
                         "per_channel_symmetric per_tensor_affine per_tensor_symmetric "
                         "quantize_per_channel quantize_per_tensor quantize_per_tensor_dynamic "
                         "dequantize int_repr q_per_channel_axis q_per_channel_scales "
                         "q_per_channel_zero_points q_scale q_zero_point empty_quantized "
                         "fake_quantize_per_channel_affine fake_quantize_per_tensor_affine "
                         "fused_moving_avg_obs_fake_quant choose_qparams_optimized "
                         "quantized_batch_norm quantized_gru quantized_gru_cell "
                         "quantized_lstm quantized_lstm_cell quantized_max_pool1d "
                         "quantized_max_pool2d quantized_max_pool3d "
                         "quantized_rnn_relu_cell quantized_rnn_tanh_cell"),
         "Tensor": _names("dequantize int_repr q_per_channel_axis q_per_channel_scales "
                          "q_per_channel_zero_points q_scale q_zero_point qscheme"),
         "nn": _names("intrinsic qat quantizable quantized")}),
    "dtypes NumPy lacks": (
        "tensors hold NumPy arrays, and NumPy has no such dtype (ad.bfloat16 raises naming "
        "float16/float32)",
        {"torch": _names("bfloat16 BFloat16Tensor chalf complex32 float4_e2m1fn_x2 "
                         "float8_e4m3fn float8_e4m3fnuz float8_e5m2 float8_e5m2fnuz "
                         "float8_e8m0fnu int1 int2 int3 int4 int5 int6 int7 uint1 uint2 "
                         "uint3 uint4 uint5 uint6 uint7 bit bits8 bits16 bits1x8 bits2x4 "
                         "bits4x2")}),
    "NumPy's dtype objects": (
        "ad.float32 ... are NumPy's scalar types, not instances of one dtype class; "
        "use np.dtype(x) to compare or normalize them",
        {"torch": _names("dtype")}),
    "GPU and accelerator backends": (
        "arrays live in NumPy on the CPU; ad.cuda.is_available() is False and moving a "
        "tensor to another device raises",
        {"torch": _names("mps mtia xpu Stream Event AcceleratorError "
                         "OutOfMemoryError get_device_module"),
         "Tensor": _names("record_stream"),
         "F": _names("grouped_mm scaled_mm scaled_grouped_mm ScalingType SwizzleType")}),
    "autocast's internal switches": (
        "the per-backend switches autocast sets inside; use ad.autocast / "
        "ad.is_autocast_enabled",
        {"torch": _names("autocast_decrement_nesting autocast_increment_nesting "
                         "clear_autocast_cache get_autocast_cpu_dtype get_autocast_dtype "
                         "get_autocast_gpu_dtype get_autocast_ipu_dtype "
                         "get_autocast_xla_dtype is_autocast_cache_enabled "
                         "is_autocast_cpu_enabled is_autocast_ipu_enabled "
                         "is_autocast_xla_enabled set_autocast_cache_enabled "
                         "set_autocast_cpu_dtype set_autocast_cpu_enabled "
                         "set_autocast_dtype set_autocast_enabled set_autocast_gpu_dtype "
                         "set_autocast_ipu_dtype set_autocast_ipu_enabled "
                         "set_autocast_xla_dtype set_autocast_xla_enabled")}),
    "cuDNN, MIOpen, MKLDNN and FBGEMM kernels": (
        "vendor kernels behind nn.functional; the F functions compute the same here",
        {"torch": _names("cudnn_affine_grid_generator cudnn_batch_norm cudnn_convolution "
                         "cudnn_convolution_add_relu cudnn_convolution_relu "
                         "cudnn_convolution_transpose cudnn_grid_sampler cudnn_is_acceptable "
                         "miopen_batch_norm miopen_convolution miopen_convolution_add_relu "
                         "miopen_convolution_relu miopen_convolution_transpose "
                         "miopen_ctc_loss miopen_depthwise_convolution miopen_rnn "
                         "mkldnn_adaptive_avg_pool2d mkldnn_convolution "
                         "mkldnn_linear_backward_weights mkldnn_max_pool2d mkldnn_max_pool3d "
                         "mkldnn_rnn_layer fbgemm_linear_fp16_weight "
                         "fbgemm_linear_fp16_weight_fp32_activation fbgemm_linear_int8_weight "
                         "fbgemm_linear_int8_weight_fp32_activation "
                         "fbgemm_linear_quantize_weight fbgemm_pack_gemm_matrix_fp16 "
                         "fbgemm_pack_quantized_matrix"),
         "Tensor": _names("to_mkldnn")}),
    "ATen's kernel-level forms of nn.functional": (
        "the low-level signatures nn.functional and the nn modules call inside (weight "
        "first, saved buffers returned, flat RNN weights, SyncBatchNorm's pieces); "
        "scripts call the F function or module, which exist",
        {"torch": _names("affine_grid_generator grid_sampler grid_sampler_2d "
                         "grid_sampler_3d convolution conv_tbc embedding_bag "
                         "embedding_renorm_ feature_dropout feature_dropout_ native_dropout "
                         "native_norm norm_except_dim gru lstm rnn_relu rnn_tanh "
                         "batch_norm_backward_elemt batch_norm_backward_reduce "
                         "batch_norm_elemt batch_norm_gather_stats "
                         "batch_norm_gather_stats_with_counts batch_norm_stats "
                         "batch_norm_update_stats"),
         "F": _names("conv_tbc GRID_SAMPLE_INTERPOLATION_MODES GRID_SAMPLE_PADDING_MODES")}),
    "TorchScript, JIT and IR internals": (
        "scripting, tracing to TorchScript and its IR and types; ad.compile traces "
        "Python functions instead",
        {"torch": _names("jit classes cpp AliasDb AnyType Argument ArgumentSpec AwaitType "
                         "Block BoolType BufferDict CallStack Capsule ClassType Code "
                         "CompilationUnit CompleteArgumentSpec ComplexType ConcreteModuleType "
                         "ConcreteModuleTypeBuilder DeepCopyMemoTable DeviceObjType DictType "
                         "EnumType ErrorReport ExecutionPlan FatalError FileCheck FloatType "
                         "Future FutureType Gradient Graph GraphExecutorState IODescriptor "
                         "InferredType IntType InterfaceType JITException ListType "
                         "LiteScriptModule LockingLogger LoggerBase ModuleDict Node NoneType "
                         "NoopLogger NumberType OperatorInfo OptionalType ParameterDict "
                         "PyObjectType RRefType ScriptClass ScriptClassFunction ScriptDict "
                         "ScriptDictIterator ScriptDictKeyIterator ScriptFunction ScriptList "
                         "ScriptListIterator ScriptMethod ScriptModule ScriptModuleSerializer "
                         "ScriptObject ScriptObjectProperty StaticModule StreamObjType "
                         "StringType TensorType TracingState TupleType Type UnionType Use "
                         "Value fork wait futures import_ir_module "
                         "import_ir_module_from_buffer merge_type_from_type_comment parse_ir "
                         "parse_schema parse_type_comment unify_type_list"),
         "F": _names("BroadcastingList1 BroadcastingList2 BroadcastingList3 "
                     "boolean_dispatch"),
         "testing": _names("FileCheck")}),
    "compile, export and dispatcher internals": (
        "torch.compile/export/fx/ONNX machinery, the dispatcher and __torch_function__ "
        "overrides; none of it exists here (ops are Python functions on NumPy arrays)",
        {"torch": _names("compiler export fx onnx nativert library package overrides "
                         "DispatchKey DispatchKeySet ExcludeDispatchKeyGuard DisableTorchFunction "
                         "DisableTorchFunctionSubclass Tag FunctionSchema PRIVATE_OPS "
                         "slice_inverse classproperty legacy_contiguous_format"),
         "Tensor": _names("slice_inverse module_load index"),
         "F": _names("handle_torch_function has_torch_function has_torch_function_unary "
                     "has_torch_function_variadic assert_int_or_pair")}),
    "storages": (
        "a tensor here is a NumPy array with no storage object of its own "
        "(t.untyped_storage() raises naming data_ptr/storage_offset); in-place "
        "arbitrary-stride views need a storage (Tensor.as_strided reads a C-contiguous "
        "tensor's elements into a read-only copy instead)",
        {"torch": _names("storage Storage StorageBase TypedStorage UntypedStorage "
                         "BoolStorage ByteStorage CharStorage ShortStorage IntStorage "
                         "LongStorage HalfStorage FloatStorage DoubleStorage "
                         "BFloat16Storage ComplexFloatStorage ComplexDoubleStorage "
                         "QInt8Storage QInt32Storage QUInt8Storage QUInt2x4Storage "
                         "QUInt4x2Storage as_strided_ as_strided_scatter"),
         "Tensor": _names("storage_type set_ as_strided_ as_strided_scatter")}),
    "symbolic shapes": (
        "shapes here are concrete tuples of ints; there is no symbolic tracing of sizes",
        {"torch": _names("SymBool SymBoolType SymFloat SymInt SymIntType "
                         "sym_constrain_range sym_constrain_range_for_size sym_float "
                         "sym_fresh_size sym_int sym_ite sym_max sym_min sym_not sym_sqrt "
                         "sym_sum")}),
    "distributed": (
        "one process computes; there is no process group or data/model parallelism",
        {"torch": _names("distributed"),
         "nn": _names("parallel")}),
    "removed or deprecated legacy API": (
        "removed from PyTorch long ago or deprecated there in favour of a name that "
        "exists here (Tensor.reinforce/volatile; testing.assert_allclose: assert_close)",
        {"Tensor": _names("reinforce volatile"),
         "testing": _names("assert_allclose")}),
    "build configuration, loading and serialization internals": (
        "facts about the PyTorch binary, its C++ module wrappers and its own file, "
        "benchmark, profiling, NUMA and model-hub machinery",
        {"torch": _names("compiled_with_cxx11_abi has_lapack has_mkl has_openmp "
                         "has_spectral get_file_path prepare_multiprocessing_environment "
                         "profiler_allow_cudagraph_cupti_lazy_reinit_cuda12 USE_GLOBAL_DEPS "
                         "USE_RTLD_GLOBAL_WITH_LIBTORCH TYPE_CHECKING version torch_version "
                         "PyTorchFileReader PyTorchFileWriter "
                         "DeserializationStorageContext SerializationStorageContext "
                         "BenchmarkConfig BenchmarkExecutionStats ThroughputBenchmark "
                         "AggregationType AVG SUM monitor hub profiler functional "
                         "return_types contrib numa"),
         "nn": _names("backends cpp")}),
    "modules and typing names the namespace imports": (
        "Python modules and typing helpers PyTorch's modules import, not their API",
        {"torch": _names("builtins ctypes functools glob importlib inspect math os "
                         "platform sys textwrap threading types warnings torch"),
         "nn": _names("common_types factory_kwargs"),
         "F": _names("Callable DType Optional TYPE_CHECKING dataclasses importlib math np "
                     "torch warnings"),
         "special": _names("Tensor torch")}),
    "docstring fragments": (
        "strings PyTorch pastes into its docstrings",
        {"F": _names("reproducibility_notes sparse_support_notes tf32_notes"),
         "linalg": _names("common_notes"),
         "special": _names("common_args multi_dim_common")}),
    "not built yet": (
        "could exist here and do not yet: masked tensors, torch.multiprocessing and "
        "the dtype gradients are cast to",
        {"torch": _names("masked multiprocessing"),
         "Tensor": _names("grad_dtype")}),
}


def _namespaces():
    return {"torch": (torch, ad), "Tensor": (torch.Tensor, ad.Tensor),
            "nn": (torch.nn, ad.nn), "F": (torch.nn.functional, ad.nn.functional),
            "linalg": (torch.linalg, ad.linalg), "special": (torch.special, ad.special),
            "testing": (torch.testing, ad.testing)}


NAMESPACES = ("torch", "Tensor", "nn", "F", "linalg", "special", "testing")


def _public(obj) -> set:
    """The public names of ``obj``, with the submodules of a package whether imported
    yet or not (``dir(torch)`` shows ``torch.onnx`` only once something imported it)."""
    names = {name for name in dir(obj) if not name.startswith("_")}
    if hasattr(obj, "__path__"):
        names |= {module.name for module in pkgutil.iter_modules(obj.__path__)
                  if not module.name.startswith("_")}
    return names


def _excluded(namespace: str) -> dict:
    return {name: group for group, (_, tables) in EXCLUDED.items()
            for name in tables.get(namespace, ())}


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_public_torch_name_is_present_or_excluded_with_a_reason(namespace):
    theirs, ours = _namespaces()[namespace]
    excluded = _excluded(namespace)
    unexplained = sorted(name for name in _public(theirs)
                         if not hasattr(ours, name) and name not in excluded)
    assert not unexplained, (
        f"{namespace}: PyTorch has {len(unexplained)} public names that autodiff neither "
        f"has nor lists in EXCLUDED with a reason: {unexplained}")


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_excluded_names_are_really_absent(namespace):
    _, ours = _namespaces()[namespace]
    present = sorted(f"{name} ({group})" for name, group in _excluded(namespace).items()
                     if hasattr(ours, name))
    assert not present, (f"{namespace}: these names exist in autodiff now; take them out "
                         f"of EXCLUDED: {present}")


def test_each_name_is_excluded_once_with_a_reason():
    seen = {}
    for group, (reason, tables) in EXCLUDED.items():
        assert reason.strip() and tables, group
        assert set(tables) <= set(NAMESPACES), group
        for namespace, names in tables.items():
            for name in names:
                key = (namespace, name)
                assert key not in seen, f"{key} is in both {seen[key]!r} and {group!r}"
                seen[key] = group


#: The groups of names that are no API at all (imports, docstring text).
NOT_API = ("modules and typing names the namespace imports", "docstring fragments")

#: The least share of each namespace's API names autodiff must have: a guard against
#: the table growing into a way of hiding gaps.
LEAST_SHARE = {"torch": 0.6, "Tensor": 0.9, "nn": 0.9, "F": 0.85, "linalg": 0.95,
               "special": 0.95, "testing": 0.5}


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_the_table_leaves_out_only_a_minority(namespace):
    theirs, ours = _namespaces()[namespace]
    not_api = {name for name, group in _excluded(namespace).items() if group in NOT_API}
    api = _public(theirs) - not_api
    present = {name for name in api if hasattr(ours, name)}
    assert len(present) >= LEAST_SHARE[namespace] * len(api), (
        f"{namespace}: autodiff has {len(present)} of PyTorch's {len(api)} API names")
