"""Example: one epoch of a small MLP with DistributedDataParallel, each rank reading its shard.

Run one process per rank (``torchrun --nproc-per-node 2 ddp_train.py DATA OUT`` sets RANK,
WORLD_SIZE, MASTER_ADDR and MASTER_PORT; the test starts the processes itself). Every rank writes
the row ids it trained on to ``OUT.<rank>.json``; a checkpoint is saved by rank 0 after the epoch.
"""

import json
import os
import sys


def main(data: str, out: str) -> None:
    import torch
    import torch.distributed as dist

    from tabprep.handoff import BatchLoader, Checkpoint

    dist.init_process_group("gloo", init_method="env://")
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    loader = BatchLoader(data, ["row", "a", "b"], "y", batch_size=64, split="train", rank=rank, world_size=world,
                         seed=0, output="torch")
    model = torch.nn.parallel.DistributedDataParallel(
        torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1)))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    seen, losses = [], []
    loader.set_epoch(0)
    for X, y in loader:
        seen.extend(X[:, 0].long().tolist())
        optimizer.zero_grad()
        loss = loss_fn(model(torch.nan_to_num(X[:, 1:])).squeeze(1), y.float())
        loss.backward()  # DDP all-reduces the gradients here: every rank must have the same batch count
        optimizer.step()
        losses.append(loss.item())
    if rank == 0:
        Checkpoint(os.path.dirname(out) or ".").save(1, model=model.module, optimizer=optimizer, loader=loader)
    with open(f"{out}.{rank}.json", "w") as fh:
        json.dump({"rows": seen, "batches": len(losses), "loss": losses}, fh)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
