# runtime: clean
"""Label assignment retried on the CPU after a CUDA out-of-memory error; its results go back to the GPU.

The "cpu" mode is passed only from the handler of that error, so it runs only where a GPU is.
"""
import torch


def assign(costs, mode="gpu"):
    if mode == "cpu":
        costs = costs.cpu().float()
    matched = costs.argmin(dim=1)
    if mode == "cpu":
        matched = matched.cuda()
    return matched


def assign_with_fallback(costs):
    try:
        return assign(costs)
    except RuntimeError as err:
        if "CUDA out of memory" not in str(err):
            raise
        torch.cuda.empty_cache()
        return assign(costs, "cpu")


print(assign_with_fallback(torch.rand(5, 3)))
