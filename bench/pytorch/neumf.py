#!/usr/bin/python3
"""NeuMF (He et al. 2017) in PyTorch on ncf-ml-100k, set up like Trove's `ncf` defaults, to compare
training speed (examples/second per epoch) and quality (HR@10 / NDCG@10, NCF protocol) on the same machine.

Benchmark only: nothing in the build or CI runs this script.

    /usr/bin/python3 bench/pytorch/neumf.py   # Debian python3-torch 1.13.1 (apt-get install python3-torch) --data ../shared/datasets/ncf-ml-100k --epochs 10 --threads 2

Model (Trove's `ncf` defaults): GMF embeddings 64, MLP embeddings 32 + 32 -> ReLU layers 32, 16, 8 with
dropout 0.1 after each, output layer over [GMF product (64), MLP top (8)]; embeddings N(0, 0.01),
MLP weights He-normal, output Xavier-uniform, zero biases. Training: every positive with 4 negatives
(items the user never rated, resampled every epoch), shuffled, batches of 256, BCE with logits, Adam
lr 0.001, weight decay 1e-5. One difference: PyTorch's Adam updates every embedding row at every
step (dense gradients), Trove's lazy Adam only the rows in the batch.
Evaluation: the held-out item of each user against the file's 99 negatives; HR@10 and NDCG@10,
ties count against the held-out item.
"""
import argparse
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn


def read_ratings(path):
    users, items = [], []
    with open(path) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 2:
                users.append(int(fields[0]))
                items.append(int(fields[1]))
    return np.array(users, dtype=np.int64), np.array(items, dtype=np.int64)


def read_negatives(path):
    users, held, negatives = [], [], []
    with open(path) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            u, i = fields[0].strip("()").split(",")
            users.append(int(u))
            held.append(int(i))
            negatives.append([int(x) for x in fields[1:] if x])
    return np.array(users), np.array(held), np.array(negatives, dtype=np.int64)


class NeuMF(nn.Module):
    def __init__(self, n_users, n_items, factors=64, layers=(64, 32, 16, 8), dropout=0.1, init_std=0.01):
        super().__init__()
        self.gmf_user = nn.Embedding(n_users, factors)
        self.gmf_item = nn.Embedding(n_items, factors)
        self.mlp_user = nn.Embedding(n_users, layers[0] // 2)
        self.mlp_item = nn.Embedding(n_items, layers[0] // 2)
        mlp = []
        for a, b in zip(layers[:-1], layers[1:]):
            linear = nn.Linear(a, b)
            nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
            nn.init.zeros_(linear.bias)
            mlp += [linear, nn.ReLU(), nn.Dropout(dropout)]
        self.mlp = nn.Sequential(*mlp)
        self.out = nn.Linear(factors + layers[-1], 1)
        nn.init.xavier_uniform_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        for e in (self.gmf_user, self.gmf_item, self.mlp_user, self.mlp_item):
            nn.init.normal_(e.weight, std=init_std)

    def forward(self, users, items):
        gmf = self.gmf_user(users) * self.gmf_item(items)
        mlp = self.mlp(torch.cat([self.mlp_user(users), self.mlp_item(items)], dim=1))
        return self.out(torch.cat([gmf, mlp], dim=1)).squeeze(1)


def sample_epoch(train_users, train_items, n_items, rated, negatives, rng):
    """Every positive followed by `negatives` items the user never rated, then shuffled."""
    n = len(train_users)
    neg_users = np.repeat(train_users, negatives)
    neg_items = rng.integers(0, n_items, size=n * negatives)
    bad = rated[neg_users, neg_items]
    while bad.any():  # rejection sampling against the user's rated items
        neg_items[bad] = rng.integers(0, n_items, size=int(bad.sum()))
        bad = rated[neg_users, neg_items]
    users = np.concatenate([train_users, neg_users])
    items = np.concatenate([train_items, neg_items])
    labels = np.concatenate([np.ones(n, dtype=np.float32), np.zeros(n * negatives, dtype=np.float32)])
    order = rng.permutation(len(users))
    return users[order], items[order], labels[order]


@torch.no_grad()
def evaluate(model, users, held, negatives, k=10):
    model.eval()
    candidates = np.concatenate([held[:, None], negatives], axis=1)  # held-out item first
    u = torch.from_numpy(np.repeat(users, candidates.shape[1]))
    i = torch.from_numpy(candidates.reshape(-1))
    scores = model(u, i).reshape(candidates.shape).numpy()
    better = (scores[:, 1:] >= scores[:, :1]).sum(axis=1)  # ties count against the held-out item
    hits = better < k
    ndcg = np.where(hits, 1.0 / np.log2(better + 2.0), 0.0)
    model.train()
    return hits.mean(), ndcg.mean()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/datasets/ncf-ml-100k")
    parser.add_argument("--prefix", default="ml-100k")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--negatives", type=int, default=4)
    parser.add_argument("--lr", type=float, default=0.001)
    parser.add_argument("--weight-decay", type=float, default=1e-5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--eval-every-epoch", action="store_true", help="also print HR@10/NDCG@10 after each epoch (not timed)")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    base = os.path.join(args.data, args.prefix)
    train_users, train_items = read_ratings(base + ".train.rating")
    test_users, held, negatives = read_negatives(base + ".test.negative")
    n_users = int(max(train_users.max(), test_users.max())) + 1
    n_items = int(max(train_items.max(), held.max(), negatives.max())) + 1
    rated = np.zeros((n_users, n_items), dtype=bool)
    rated[train_users, train_items] = True
    rated[test_users, held] = True  # as in Trove's NCF reader: the held-out item is never a training negative

    model = NeuMF(n_users, n_items)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    loss_fn = nn.BCEWithLogitsLoss()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}; {n_users} users, {n_items} items, "
          f"{len(train_users)} training positives, {args.negatives} negatives each, batch {args.batch_size}")
    rates = []
    for epoch in range(1, args.epochs + 1):
        start, cpu_start = time.perf_counter(), time.process_time()
        users, items, labels = sample_epoch(train_users, train_items, n_items, rated, args.negatives, rng)
        sampled = time.perf_counter()
        users_t, items_t, labels_t = torch.from_numpy(users), torch.from_numpy(items), torch.from_numpy(labels)
        total = 0.0
        for s in range(0, len(users), args.batch_size):
            e = s + args.batch_size
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(users_t[s:e], items_t[s:e]), labels_t[s:e])
            loss.backward()
            optimizer.step()
            total += loss.item() * (min(e, len(users)) - s)
        end = time.perf_counter()
        seconds, cpu = end - start, time.process_time() - cpu_start
        rates.append(len(users) / seconds)
        line = (f"epoch {epoch}/{args.epochs} loss {total / len(users):.4f} examples {len(users)} "
                f"seconds {seconds:.2f} (sampling {sampled - start:.2f}) examples/s {len(users) / seconds:,.0f} "
                f"cpu s {cpu:.2f} examples per cpu s {len(users) / cpu:,.0f}")
        if args.eval_every_epoch:
            hr, ndcg = evaluate(model, test_users, held, negatives)
            line += f" hr@10 {hr:.4f} ndcg@10 {ndcg:.4f}"
        print(line, flush=True)
    hr, ndcg = evaluate(model, test_users, held, negatives)
    print(f"final HR@10 {hr:.4f} NDCG@10 {ndcg:.4f}; median examples/s per epoch {np.median(rates):,.0f}")


if __name__ == "__main__":
    main()
