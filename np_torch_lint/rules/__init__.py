"""The rule registry: every rule the engine runs, by code."""
from __future__ import annotations

from typing import Dict, List, Type

from .base import Rule
from .device import LoadWithoutMapLocation, UnguardedCudaPlacement
from .dtype import Float64DatasetItem, Float64ReachesModel, NarrowIntegerTarget
from .grad import NumpyOnCudaTensor, NumpyOnGradTensor
from .hygiene import LegacyConstructorOnArray, TensorFromListOfArrays, TensorOfTensor
from .sharing import (
    AliasedSnapshot,
    MutationThroughSharedMemory,
    NegativeStridesConversion,
    ReadOnlyArrayConversion,
)

ALL_RULES: List[Type[Rule]] = [
    Float64ReachesModel,
    Float64DatasetItem,
    NarrowIntegerTarget,
    NumpyOnGradTensor,
    NumpyOnCudaTensor,
    UnguardedCudaPlacement,
    LoadWithoutMapLocation,
    MutationThroughSharedMemory,
    AliasedSnapshot,
    NegativeStridesConversion,
    ReadOnlyArrayConversion,
    TensorFromListOfArrays,
    TensorOfTensor,
    LegacyConstructorOnArray,
]
RULES_BY_CODE: Dict[str, Type[Rule]] = {rule.code: rule for rule in ALL_RULES}

__all__ = ["ALL_RULES", "RULES_BY_CODE", "Rule"]
