"""A training step whose data module is chosen by name at run time (importlib + getattr).

Static analysis cannot follow `getattr(store, LOADER)`: it does not know the
targets are float64, so the silent promotion of the loss is invisible to it.
The trace sees it.  The copy-construct on the last lines is visible to both.
"""
import importlib
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

STORE = sys.argv[1] if len(sys.argv) > 1 else "feature_store"
LOADER = "load_targets"

store = importlib.import_module(STORE)
features = torch.from_numpy(store.load_features(16))
targets = torch.from_numpy(getattr(store, LOADER)(16))

model = nn.Linear(4, 1)
loss = F.mse_loss(model(features), targets)
loss.backward()
summary = torch.tensor(loss.detach())
print("loss dtype:", loss.dtype)
print("summary:", summary.dtype)
