"""Facts that travel: values inside dicts, module outputs, modules moved with their submodules, factories, wrappers."""
from __future__ import annotations

import textwrap

import pytest

from np_torch_lint.engine import module_values
from np_torch_lint.engine.values import Device, Kind, Tri

HEADER = "import numpy as np\nimport torch\nimport torch.nn as nn\n"


def values(source: str):
    return module_values(HEADER + textwrap.dedent(source))


def test_dict_literal_keeps_each_value_under_its_key():
    env = values("""
        d = {"x": np.zeros(3), "y": np.zeros(3, dtype=np.float32)}
        x = d["x"]
        y = d["y"]
        either = d[name]
        missing = d["z"]
    """)
    assert env["x"].dtype == "float64" and env["y"].dtype == "float32"
    assert env["either"].kind is Kind.NDARRAY and env["either"].dtype is None  # the join: only the kind agrees
    assert env["missing"].kind is None  # a key the literal lacks: set by code not followed


def test_dict_store_replaces_the_value_and_the_join():
    env = values("""
        d = {"x": np.zeros(3)}
        d["x"] = d["x"].astype(np.float32)
        x = d["x"]
        any_value = d[k]
    """)
    assert env["x"].dtype == "float32"
    assert env["any_value"].dtype == "float32"  # the float64 value is gone from the join too


def test_dict_changed_where_not_followed_forgets_its_contents():
    env = values("""
        a = {"x": np.zeros(3)}
        a.update(extra)
        b = {"x": np.zeros(3)}
        prepare(b)
        c = {"x": np.zeros(3)}
        c2 = dict(c)
        ra, rb = a["x"], b["x"]
    """)
    assert env["ra"].kind is None and env["rb"].kind is None


def test_items_and_comprehensions_carry_the_values():
    env = values("""
        d = {"x": np.zeros(3), "y": np.ones(3)}
        arrays = [arr for key, arr in d.items()]
        keys = [key for key, arr in d.items()]
        built = {k: np.zeros(2) for k in names}
        from_built = built["anything"]
        got = d.get("y")
    """)
    assert env["arrays"].element.dtype == "float64" and env["keys"].element.kind is Kind.PY_STR
    assert env["from_built"].dtype == "float64"
    assert env["got"].dtype == "float64"


def test_attribute_dict_written_by_another_method_is_not_trusted():
    env = values("""
        class Cache:
            def __init__(self):
                self.arrays = {"x": np.zeros(3)}
            def refresh(self, t):
                self.arrays["x"] = t
            def get(self):
                return self.arrays["x"]
        got = Cache().get()
    """)
    assert env["got"].kind is None


def test_module_output_tuple_and_submodules_move_with_the_module():
    env = values("""
        class Two(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Linear(4, 3)
                self.b = nn.Linear(4, 1)
            def forward(self, x):
                return self.a(x), self.b(x)
        built = Two()
        moved = Two().cuda()
        maybe = Two().cuda() if torch.cuda.is_available() else Two()
        p, q = built(torch.randn(2, 4))
        r, s = moved(torch.randn(2, 4))
        u, v = maybe(torch.randn(2, 4))
    """)
    assert env["built"].device is Device.CPU and env["q"].device is Device.CPU
    assert env["s"].device is Device.CUDA
    assert env["maybe"].device is Device.MAYBE_CUDA and env["v"].device is Device.MAYBE_CUDA


@pytest.mark.parametrize("placing", ["cuda()", "to(DEVICE)", "type(torch.cuda.FloatTensor)",
                                     "_apply(lambda t: t.cuda())"])
def test_a_class_that_places_itself_is_not_claimed_on_cpu(placing: str) -> None:
    env = values(f"""
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 3)
                self.{placing}
        class Child(Net):
            pass
        a = Net()
        b = Child()
    """)
    assert env["a"].device is None and env["b"].device is None


@pytest.mark.parametrize("wrapper", ["nn.DataParallel", "nn.parallel.DataParallel",
                                     "nn.parallel.DistributedDataParallel", "nn.parallel.data_parallel.DataParallel"])
def test_each_wrapper_spelling_runs_the_wrapped_module(wrapper: str) -> None:
    env = values(f"""
        model = nn.Linear(3, 2).cuda()
        wrapped = {wrapper}(model)
        out = wrapped(torch.randn(4, 3))
    """)
    assert env["wrapped"].kind is Kind.MODULE and env["wrapped"].device is Device.CUDA
    assert env["out"].device is Device.CUDA


def test_classmethod_factory_and_data_parallel_keep_the_module():
    env = values("""
        class Speech(nn.Module):
            def __init__(self, size):
                super().__init__()
                self.fc = nn.Linear(size, 2)
            def forward(self, x):
                return self.fc(x), x.shape[0]
            @classmethod
            def load_model(cls, path):
                model = cls(8)
                return model
        device = torch.device("cuda" if use_gpu else "cpu")
        model = Speech.load_model("m.pt").to(device)
        wrapped = nn.DataParallel(model)
        out, sizes = wrapped(torch.randn(2, 8))
    """)
    assert env["model"].kind is Kind.MODULE and env["model"].device is Device.MAYBE_CUDA
    assert env["wrapped"].device is Device.MAYBE_CUDA
    assert env["out"].device is Device.MAYBE_CUDA
    assert env["sizes"].kind is not Kind.TENSOR  # not every output of a CUDA module is a CUDA tensor


def test_recurrent_outputs_and_container_members():
    env = values("""
        lstm = nn.LSTM(4, 8).cuda()
        out, (h, c) = lstm(torch.randn(5, 1, 4))
        packed_out, state = lstm(packed)
        net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        first = net[0]
        w = net[-1].weight
        layers = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)]).cuda()
        for layer in layers:
            pass
        some = layers[k]
        stacked = nn.Sequential(*blocks)
        unknown_member = stacked[0]
        seen = (first, w, some, unknown_member, torch.from_numpy(np.zeros(1)))  # seeds the planner
    """)
    assert env["out"].kind is Kind.TENSOR and env["out"].device is Device.CUDA
    assert env["h"].kind is Kind.TENSOR and env["c"].requires_grad.value == "yes"
    assert env["packed_out"].kind is None  # a PackedSequence in, a PackedSequence out
    assert env["first"].kind is Kind.MODULE and env["first"].qualname == "Linear"
    assert env["w"].kind is Kind.TENSOR and env["w"].grad_leaf
    assert env["some"].device is Device.CUDA
    assert env["unknown_member"].kind is None


def test_a_second_test_of_the_same_flag_knows_where_the_value_is():
    env = values("""
        gpu = torch.cuda.is_available()
        x = torch.randn(3)
        if gpu:
            x = x.cuda()
        y = x * 2
        if gpu:
            y = y.cpu()
        device = "cuda" if gpu else "cpu"
        z = torch.randn(3).to(device)
        w = torch.randn(3)
        if gpu:
            w = w.cuda()
        gpu = False
        if gpu:
            w = w.cpu()
        seen = (x, y, z, w, torch.from_numpy(np.zeros(1)))
    """)
    assert env["x"].device is Device.MAYBE_CUDA
    assert env["y"].device is Device.CPU  # the path where gpu is false never moved it
    assert env["z"].device is Device.MAYBE_CUDA and env["z"].device_origin.when  # needs gpu to be on CUDA
    assert env["w"].device is Device.MAYBE_CUDA  # the flag was rebound: not the same test any more


def test_layout_facts_on_some_paths_and_rows_of_arrays():
    env = values("""
        a = np.zeros((4, 3))
        if cond:
            a = a[::-1]
        twice = np.zeros(3)[::-1][::-1]
        rows = [r for r in np.random.rand(5, 3)]
        items = [v for v in np.random.rand(4)]
        seen = (a, twice, rows, items, torch.from_numpy(np.zeros(1)))
    """)
    assert env["a"].negative_strides is Tri.MAYBE  # flipped on one path: a conversion fails on that path
    assert env["twice"].negative_strides is Tri.UNKNOWN  # flipped twice: positive again
    assert env["rows"].element.kind is Kind.NDARRAY and env["rows"].element.dtype == "float64"
    assert env["items"].element.kind is Kind.NP_SCALAR


def test_an_object_of_unknown_kind_moved_to_cuda_is_there():
    env = values("""
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        moved = batch.to(device)
        back = moved.cpu()
        unknown_target = batch.to(other_device)
        seen = (moved, back, unknown_target, torch.from_numpy(np.zeros(1)))
    """)
    assert env["moved"].kind is None and env["moved"].device is Device.MAYBE_CUDA
    assert env["back"].device is Device.CPU
    assert env["unknown_target"].device is None


# --- modules cast or joined since they were built --------------------------------------------

NET = """
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc(x)
"""


def values_after_net(source: str):
    return values(textwrap.dedent(NET) + textwrap.dedent(source))


def test_a_module_joined_over_casts_runs_forward_where_it_is():
    env = values_after_net("""
        def build(fp16):
            model = Net().cuda()
            if fp16:
                model = model.half()
            return model

        out = build(flag)(batch)
    """)
    # on CUDA on both paths (the walk of forward is no longer the CPU module as built); dtype unknown
    assert env["out"].kind is Kind.TENSOR and env["out"].device is Device.CUDA and env["out"].dtype is None


def test_a_half_module_has_half_members_and_outputs():
    env = values_after_net("""
        model = Net().half()
        out = model(batch)
        layer = model.fc
        seen = out.detach().numpy()  # a sink: a file without one is not walked at all
    """)
    assert env["layer"].dtype == "float16" and env["out"].dtype == "float16"


def test_a_module_of_unknown_device_says_nothing_of_its_outputs_device():
    env = values_after_net("""
        model = Net()
        if flag:
            model = wrap(model)
        out = model(batch)
    """)
    assert env["out"].device is None


def test_a_class_that_casts_itself_leaves_its_members_dtype_unknown():
    env = values("""
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 2)
                self.double()

            def forward(self, x):
                return self.fc(x)

        out = Net()(batch)
    """)
    assert env["out"].dtype is None  # was float32, from the member as built


# --- items stored in objects of unknown type ----------------------------------------------------

def test_items_stored_under_constant_keys_of_an_unknown_object_are_read_back():
    env = values("""
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        batch = next(it)
        batch[0] = batch[0].to(device)
        sample = get()
        sample["image"] = np.zeros(3)
        first = batch[0]
        other = batch[1]
        image = sample["image"]
    """)
    assert env["first"].device is Device.MAYBE_CUDA
    assert env["other"] == env["other"].__class__()  # an item never stored: unknown
    assert env["image"].kind is Kind.NDARRAY and env["image"].dtype == "float64"


def test_an_integer_item_counts_only_when_the_item_is_updated_from_itself():
    env = values("""
        rows = make_buffer()
        rows[0] = np.zeros(3)
        row = rows[0]
    """)
    assert env["row"].kind is None  # a preallocated array's row keeps the array's dtype, not float64


def test_an_unknown_object_used_otherwise_forgets_its_items():
    env = values("""
        batch = next(it)
        batch["x"] = np.zeros(3)
        fill(batch)
        after_call = batch["x"]
        sample = next(it)
        sample["x"] = np.zeros(3)
        sample.update(other)
        after_method = sample["x"]
        kept = next(it)
        kept["x"] = np.zeros(3)
        if flag:
            kept["x"] = kept["x"].astype(np.float32)
        joined = kept["x"]
    """)
    assert env["after_call"].kind is None and env["after_method"].kind is None
    assert env["joined"].kind is Kind.NDARRAY and env["joined"].dtype is None


def test_a_known_list_item_store_replaces_that_element():
    env = values("""
        pair = [np.zeros(3), np.zeros(3)]
        pair[1] = pair[1].astype(np.float32)
        a, b = pair
    """)
    assert env["a"].dtype == "float64" and env["b"].dtype == "float32"


def test_a_moved_object_of_unknown_kind_keeps_its_device_through_tensor_shape_methods():
    env = values("""
        x = batch.cuda().permute(0, 2, 1).float()
        y = batch.cuda().cpu().permute(0, 2, 1)
    """)
    assert env["x"].device is Device.CUDA and env["y"].device is Device.CPU


# --- accumulators and distributions ----------------------------------------------------------

def test_an_accumulator_started_from_a_python_float_becomes_the_numpy_scalar():
    env = values("""
        rewards = np.zeros(5)
        g = 0.0
        out = []
        for r in rewards[::-1]:
            g = r + 0.9 * g
            out.append(g)
        after = g
    """)
    assert env["out"].element.kind is Kind.NP_SCALAR and env["out"].element.dtype == "float64"
    assert env["after"].kind is None  # the loop may not run: 0.0 or a float64 scalar


def test_an_accumulator_of_python_floats_stays_python():
    env = values("""
        g = 0.0
        out = []
        for r in [1.0, 2.0]:
            g = r + 0.9 * g
            out.append(g)
        t = torch.tensor(out)
    """)
    assert env["t"].dtype == "float32"


def test_a_distribution_keeps_its_parameter_dtype_device_and_grad():
    env = values("""
        logits = torch.randn(4, 3, requires_grad=True)
        dist = torch.distributions.Categorical(logits=logits)
        action = dist.sample()
        logp = dist.log_prob(action)
        normal = torch.distributions.Normal(torch.zeros(3), torch.ones(3))
        draw = normal.sample()
        other = normal.log_prob(torch.zeros(3, dtype=torch.float64))
        seen = [t.detach().numpy() for t in (logp, draw, other)]  # a sink: statements far from one are not walked
    """)
    assert env["action"].dtype == "int64" and env["action"].requires_grad is Tri.NO
    assert env["logp"].dtype == "float32" and env["logp"].requires_grad is Tri.YES
    assert env["draw"].dtype == "float32" and env["other"].dtype is None  # a float64 value promotes


# --- OpenCV images (facts checked with opencv-python-headless 5.0) ---------------------------

def test_opencv_imread_is_a_uint8_color_image_and_resize_keeps_the_dtype():
    env = values("""
        import cv2
        image = cv2.imread("photo.png")
        small = cv2.resize(image.astype(np.float32), (32, 32))
        gray = cv2.imread("photo.png", cv2.IMREAD_GRAYSCALE)
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
        seen = torch.from_numpy(small)
    """)
    assert env["image"].kind is Kind.NDARRAY and env["image"].dtype == "uint8" and env["image"].ndim == 3
    assert env["small"].dtype == "float32" and env["rgb"].dtype == "uint8"
    assert env["gray"].kind is None  # a flag: dtype and dimensions not known


def test_a_flipped_value_of_unknown_kind_keeps_its_dtype_and_strides_through_a_transpose():
    env = values("""
        frame = np.float32(decode())
        flipped = frame[..., ::-1].transpose(2, 0, 1)
        seen = torch.from_numpy(flipped)
    """)
    assert env["flipped"].negative_strides is Tri.YES and env["flipped"].dtype == "float32"


# --- each row of the new tables changes a verdict (kills benchmarks/mutation/mutate.py's row mutants) ---

DISTRIBUTIONS = [
    ("categorical.Categorical", "logits=p"), ("normal.Normal", "p, p"), ("bernoulli.Bernoulli", "logits=p"),
    ("beta.Beta", "p, p"), ("multivariate_normal.MultivariateNormal", "p, scale_tril=q"),
    ("uniform.Uniform", "p, p + 1"), ("one_hot_categorical.OneHotCategorical", "logits=p"),
    ("laplace.Laplace", "p, p"), ("gamma.Gamma", "p, p"), ("dirichlet.Dirichlet", "p"),
    ("poisson.Poisson", "p"), ("geometric.Geometric", "logits=p"),
]


def _spellings():
    for path, args in DISTRIBUTIONS:
        yield f"torch.distributions.{path}", args
        yield f"torch.distributions.{path.split('.')[1]}", args


import pytest  # noqa: E402


@pytest.mark.parametrize("cls, args", list(_spellings()))
def test_every_distribution_keeps_its_parameters_grad(cls, args):
    env = values(f"""
        p = torch.rand(3, requires_grad=True)
        q = torch.eye(3)
        d = {cls}({args})
        e = d.entropy()
        seen = e.detach().numpy()
    """)
    assert env["e"].requires_grad is Tri.YES and env["e"].dtype == "float32"


@pytest.mark.parametrize("method", ["rsample", "cdf", "icdf", "log_prob"])
def test_each_float_method_of_a_distribution(method):
    env = values(f"""
        p = torch.rand(3, requires_grad=True)
        d = torch.distributions.Normal(p, p)
        v = d.{method}(torch.zeros(3)) if "{method}" != "rsample" else d.rsample()
        seen = v.detach().numpy()
    """)
    assert env["v"].requires_grad is Tri.YES


@pytest.mark.parametrize("function", ["resize", "cvtColor", "GaussianBlur", "medianBlur", "warpAffine", "copyMakeBorder"])
def test_each_opencv_image_function_keeps_the_dtype(function):
    env = values(f"""
        import cv2
        out = cv2.{function}(np.zeros((4, 4, 3), dtype=np.float32), 3)
        seen = torch.from_numpy(out)
    """)
    assert env["out"].kind is Kind.NDARRAY and env["out"].dtype == "float32"


@pytest.mark.parametrize("base", ["nn.modules.Module", "nn.Sequential", "nn.ModuleList", "nn.ModuleDict"])
def test_each_module_base_makes_a_module(base):
    env = values(f"""
        class Net({base}):
            def forward(self, x):
                return x
        net = Net().cuda()
        seen = net(batch).numpy()
    """)
    assert env["net"].kind is Kind.MODULE and env["net"].device is Device.CUDA


@pytest.mark.parametrize("qual", ["torch.autograd.Variable", "torch.autograd.variable.Variable"])
def test_both_spellings_of_the_legacy_variable(qual):
    env = values(f"""
        import torch.autograd.variable
        v = {qual}(torch.zeros(3), requires_grad=True)
        seen = v.numpy()
    """)
    assert env["v"].requires_grad is Tri.YES


@pytest.mark.parametrize("qual", ["torch.utils.data.DataLoader", "torch.utils.data.dataloader.DataLoader"])
def test_both_spellings_of_the_data_loader_walk_the_collate_function(qual):
    from np_torch_lint.lint import analyze

    source = HEADER + textwrap.dedent(f"""
        import torch.utils.data
        import torch.utils.data.dataloader

        class Items(torch.utils.data.Dataset):
            def __getitem__(self, i):
                return np.zeros(3)

        def collate(batch):
            rows = [item for item in batch]
            return torch.tensor(rows)

        loader = {qual}(Items(), collate_fn=collate)
    """)
    # the list of the dataset's arrays reaches torch.tensor only through the collate walk (NTL501),
    # whose float64 batch keeps the item's NTL102
    assert sorted(r.code for r in analyze(source)) == ["NTL102", "NTL501"]


def test_a_container_iterated_layer_by_layer_runs_each_layer():
    # The loop variable is one of the members on each iteration: a call of it is the call of
    # whichever layer it is (values.Value.choices), so the result stays a tensor on the device.
    env = values("""
        seq = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.Hardtanh(0, 20)).to("cuda")
        x = torch.zeros(2, 1, 8, 8, device="cuda")
        for layer in seq:
            x = layer(x)
        seen = x.numpy()
    """)
    assert (env["x"].kind, env["x"].device) == (Kind.TENSOR, Device.CUDA)
    assert env["x"].requires_grad is Tri.UNKNOWN  # Conv2d's output needs grad, Hardtanh's of x not


def test_dict_constructors_hold_what_they_are_given():
    env = values("""
        pairs = []
        for i in range(3):
            pairs.append(("layer", nn.Linear(3, 3)))
        from collections import OrderedDict
        named = OrderedDict(pairs)
        plain = dict(pairs)
        copied = dict({"a": np.zeros(3)})
        empty = dict()
        seq = nn.Sequential(named).to("cuda")
        first = seq[0]
        seen = (named, plain, copied["a"], empty, first).numpy()
    """)
    assert env["named"].kind is Kind.DICT and env["named"].element.qualname == "Linear"
    assert env["plain"].element.qualname == "Linear"
    assert env["copied"].keys == ("a",) and env["copied"].elements[0].dtype == "float64"
    assert (env["empty"].kind, env["empty"].elements) == (Kind.DICT, ())
    assert (env["first"].qualname, env["first"].device) == ("Linear", Device.CUDA)


def test_packed_sequences_keep_their_data_facts():
    env = values("""
        rnn = nn.LSTM(4, 4).to("cuda")
        x = torch.zeros(5, 2, 4, device="cuda")
        packed = nn.utils.rnn.pack_padded_sequence(x, torch.tensor([5, 3]))
        seen = packed
        out, state = rnn(packed)
        padded, lengths = nn.utils.rnn.pad_packed_sequence(out)
        probe = (seen, padded, lengths, state).numpy()
    """)
    assert env["seen"].kind is Kind.OBJECT and env["seen"].device is Device.CUDA  # no .numpy() on it
    assert (env["padded"].kind, env["padded"].device, env["padded"].requires_grad) == (Kind.TENSOR, Device.CUDA, Tri.YES)
    assert (env["lengths"].dtype, env["lengths"].device) == ("int64", Device.CPU)


def test_an_optional_module_is_the_module_where_it_is_used():
    env = values("""
        class Block(nn.Module):
            def __init__(self, width, norm=True, cell=nn.GRU):
                super().__init__()
                self.norm = nn.LayerNorm(width) if norm else None
                self.cell = cell(width, width)

        block = Block(4)
        norm = block.norm
        cell = block.cell
        probe = (norm, cell).numpy()
    """)
    assert (env["norm"].kind, env["norm"].qualname) == (Kind.MODULE, "LayerNorm")
    assert env["cell"].qualname == "GRU"  # a library default argument (cell=nn.GRU) is the class it names


def test_functions_mapped_over_items_are_called_with_an_item():
    env = values("""
        def halve(a):
            return a / 2

        class Worker:
            def __init__(self, scale):
                self.scale = scale

            def __call__(self, a):
                return torch.from_numpy(a) * self.scale

        arrays = [np.zeros(3), np.ones(3)]
        halves = list(map(halve, arrays))
        with pool_factory() as pool:
            scaled = pool.map(Worker(2.0), arrays)
            pairs = pool.starmap(np.add, [(np.zeros(2), np.ones(2))])
        first = halves[0]
        tensor = scaled[0]
        probe = (first, tensor, pairs).numpy()
    """)
    assert (env["first"].kind, env["first"].dtype) == (Kind.NDARRAY, "float64")
    assert (env["tensor"].kind, env["tensor"].dtype) == (Kind.TENSOR, "float64")
    assert env["pairs"].kind is None  # a library function mapped: not walked here


def test_a_function_that_may_return_none_returns_its_value_where_used():
    # Falling off the end (or `return None`) on one path: any use of the result that could make a
    # finding fails on None anyway, so it is the tensor, array or module of the other paths.
    env = values("""
        def pick(x, kind):
            if kind == "double":
                return x * 2
            if kind == "none":
                return None

        def place(d):
            device = None
            if d:
                device = torch.device("cuda")
            return device

        y = pick(torch.zeros(3, dtype=torch.float64), name)
        where = place(flag)
        probe = (y, where).numpy()
    """)
    assert (env["y"].kind, env["y"].dtype) == (Kind.TENSOR, "float64")
    assert env["where"].kind is None  # a device or None: .to(None) stays put, so no device is claimed


@pytest.mark.parametrize("statement", ["model.cuda().eval()", "model.eval().cuda()", "model.train().to('cuda').float()"])
def test_a_chain_of_module_methods_as_a_statement_moves_the_module(statement):
    env = values(f"""
        model = nn.Linear(3, 1)
        {statement}
        out = model(torch.randn(2, 3, device="cuda"))
        _sink = out.numpy()
    """)
    assert env["model"].kind is Kind.MODULE and env["model"].device is Device.CUDA


def test_a_chain_on_an_attribute_in_a_method_moves_the_attribute():
    env = values("""
        class Runner:
            def __init__(self):
                self.net = nn.Linear(3, 1)
                self.net.to("cuda").eval()

        net = Runner().net
        _sink = net(torch.randn(2, 3)).numpy()
    """)
    assert env["net"].device in (Device.CUDA, Device.MAYBE_CUDA)  # (joined with the store before the move)
    chain_without_a_move = values("""
        model = nn.Linear(3, 1)
        model.eval().train()
        _sink = model(torch.randn(2, 3)).numpy()
    """)
    assert chain_without_a_move["model"].device is Device.CPU


def test_a_float64_array_combined_with_an_unknown_operand_stays_float64():
    env = values("""
        from elsewhere import unread
        bound = unread()
        grid = np.zeros((2, 3))
        shifted = (grid - bound) / bound
        scalar = np.float64(2.0) * bound
        narrow = np.zeros(3, dtype=np.float32) - bound
        floored = grid // bound
        _sink = [shifted, scalar, narrow, floored].numpy()
    """)
    assert env["shifted"].dtype == "float64" and env["shifted"].kind is None  # a tensor operand makes a tensor
    for name in ("scalar", "narrow", "floored"):
        assert env[name].dtype != "float64" or env[name].kind is Kind.NP_SCALAR, name
