"""Features and targets as the pipeline hands them over: NumPy's default float64."""
import numpy as np


def load_features(n):
    return np.random.rand(n, 4).astype(np.float32)


def load_targets(n):
    return np.random.rand(n, 1)  # float64: the value the trace must follow
