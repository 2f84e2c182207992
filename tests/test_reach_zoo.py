"""Models from a zoo: torchvision's builders and classes, its registry read by a name known only at
run time (``models.__dict__[args.arch]``, ``getattr(models, name)``) and timm's factory make an
nn.Module with parameters on the CPU; detection, segmentation and flow models return structures
whose only known fact is their device. Names in the namespace that build nothing (weight enums,
their transforms, helpers) stay unknown."""
from __future__ import annotations

import textwrap
from typing import List

import pytest

from np_torch_lint.engine import api, module_values
from np_torch_lint.engine.values import Device, Kind, Tri
from np_torch_lint.lint import analyze

HEADER = "import numpy as np\nimport torch\nimport torchvision\nfrom torchvision import models\n"


def values(source: str):
    return module_values(HEADER + textwrap.dedent(source))


def codes(source: str) -> List[str]:
    return [f"{r.line - 5}:{r.code}" for r in analyze(HEADER + textwrap.dedent(source))]


@pytest.mark.parametrize("qualname", [
    "torchvision.models.resnet18", "torchvision.models.resnet.ResNet", "torchvision.models.detection.fasterrcnn_resnet50_fpn",
    "torchvision.models.quantization.mobilenet_v3_large", "timm.create_model", api.MODEL_ZOO_BY_NAME,
])
def test_builders_make_models(qualname):
    assert api.builds_zoo_model(qualname)


@pytest.mark.parametrize("qualname", [
    "torchvision.models.ResNet18_Weights.DEFAULT.transforms", "torchvision.models.get_model_weights",
    "torchvision.models.list_models", "torchvision.models.feature_extraction.get_graph_node_names",
    "torchvision.models._utils.IntermediateLayerGetter", "torchvision.transforms.Resize", "timm.data.resolve_data_config",
])
def test_other_names_build_nothing(qualname):
    assert not api.builds_zoo_model(qualname)


def test_builder_registry_and_factory_make_cpu_modules_with_parameters():
    env = values("""
        a = torchvision.models.resnet18(pretrained=True)
        b = models.__dict__[arch](num_classes=10)
        c = getattr(models, arch)()
        d = models.__dict__["vgg16"]()
        weights = models.ResNet18_Weights.DEFAULT
        preprocess = weights.transforms()
        _sink = (a, b, c, d, preprocess).numpy()
    """)
    for name in "abcd":
        assert env[name].kind is Kind.MODULE and env[name].device is Device.CPU, name
        assert env[name].parametric is Tri.YES and env[name].dtype == "float32", name
    assert env["d"].qualname == "torchvision.models.vgg16"
    assert env["preprocess"].kind is not Kind.MODULE


def test_classifier_output_follows_the_model_and_needs_grad():
    env = values("""
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        model = models.__dict__[arch]().to(device)
        logits = model(torch.randn(1, 3, 32, 32, device=device))
        _sink = logits.numpy()
    """)
    assert env["logits"].kind is Kind.TENSOR and env["logits"].device is Device.MAYBE_CUDA
    assert env["logits"].requires_grad is Tri.YES


def test_structured_outputs_keep_only_their_device():
    env = values("""
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        det = models.detection.fasterrcnn_resnet50_fpn().to(device).eval()
        found = det([torch.rand(3, 64, 64, device=device)])
        seg = models.segmentation.fcn_resnet50()
        maps = seg(torch.rand(1, 3, 64, 64))
        _sink = (found, maps).numpy()
    """)
    assert env["found"].kind is None and env["found"].device is Device.MAYBE_CUDA
    assert env["maps"].kind is None and env["maps"].device is None


def test_numpy_of_a_moved_zoo_model_output_is_reported():
    assert codes("""
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        model = models.__dict__[arch](pretrained=True).to(device).eval()
        with torch.no_grad():
            top = model(torch.randn(1, 3, 32, 32).to(device)).argmax(1).numpy()
    """) == ["4:NTL202"]


def test_look_alikes_stay_silent():
    assert codes("""
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        model = models.__dict__[arch](pretrained=True).to(device).eval()
        for p in model.parameters():
            p.requires_grad = False
        with torch.no_grad():
            top = model(torch.randn(1, 3, 32, 32).to(device)).argmax(1).cpu().numpy()
        cpu_model = models.resnet18()
        cpu_model.requires_grad_(False)
        feats = cpu_model(torch.randn(1, 3, 32, 32)).numpy()
        weights = models.ResNet18_Weights.DEFAULT
        batch = weights.transforms()(torch.rand(3, 40, 40))
        pixels = batch.numpy()
    """) == []
