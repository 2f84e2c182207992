# runtime: clean
"""Embeddings are extracted on the chosen device, moved to the CPU batch by batch and saved; a later step loads the file."""
import os
import tempfile

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

device = "cuda" if torch.cuda.is_available() else "cpu"


def extract(net, loader, path):
    feats = torch.tensor([]).float()
    ids = torch.tensor([]).long()
    with torch.no_grad():
        for images, labels in loader:
            out = net(images.to(device)).cpu()
            feats = torch.cat((feats, out), dim=0)
            ids = torch.cat((ids, labels))
    ids -= 1
    torch.save({"feats": feats, "ids": ids}, path)


def score(path):
    saved = torch.load(path)
    return saved["feats"].norm(dim=1).mean().item(), saved["ids"].tolist()


with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "features.pth")
    data = TensorDataset(torch.randn(6, 4), torch.arange(1, 7))
    extract(nn.Linear(4, 2).to(device), DataLoader(data, batch_size=3), path)
    print(score(path))
