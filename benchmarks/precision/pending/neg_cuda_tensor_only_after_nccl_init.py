# runtime: clean
"""Metric reduction across ranks: it returns early unless torch.distributed is initialized, which this file does only with NCCL on a GPU."""
import torch
import torch.distributed as dist


def init_distributed(rank, world_size, url):
    torch.cuda.set_device(rank)
    dist.init_process_group(backend="nccl", init_method=url, world_size=world_size, rank=rank)


def distributed_ready():
    return dist.is_available() and dist.is_initialized()


def reduce_counts(hits, seen):
    if not distributed_ready():
        return hits, seen
    totals = torch.tensor([hits, seen], dtype=torch.float64, device="cuda")
    dist.all_reduce(totals)
    return int(totals[0].item()), int(totals[1].item())


print(reduce_counts(7, 10))
