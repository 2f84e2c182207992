# runtime: clean
"""map_location names a device parameter whose caller passes a module-level device that main() rebinds through `global`.

The module starts with `device = None` and main() sets it from the CUDA probe before
any load runs, so the load is mapped to the chosen device.
"""
import os
import tempfile

import torch
import torch.nn as nn

# Stands in for a training run on a GPU host: the checkpoint's storages are
# tagged "cuda:0", as torch.save writes them for CUDA tensors. The tagger is
# registered ahead of torch's own and answers only while _AS_GPU is set; its
# deserializer returns None, so loading goes through torch's own code.
_AS_GPU = []
torch.serialization.register_package(0, lambda storage: "cuda:0" if _AS_GPU else None, lambda storage, location: None)

device = None


def checkpoint_from_gpu_run(obj, path):
    _AS_GPU.append(True)
    try:
        torch.save(obj, path)
    finally:
        _AS_GPU.clear()


def read_weights(path, device):
    return torch.load(path, map_location=device)


def restore(path):
    vocoder = nn.Linear(4, 4)
    vocoder.load_state_dict(read_weights(path, device))
    return vocoder.to(device)


def main():
    global device
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "vocoder.pt")
        checkpoint_from_gpu_run(nn.Linear(4, 4).state_dict(), path)
        print(restore(path).weight.device)


if __name__ == "__main__":
    main()
