#!/usr/bin/env python3
"""Recall@k of the server's HNSW retrieval against its exact retrieval, as served (seen items
excluded, optional extra filters), over random users: share of the exact top-k that retrieval=hnsw
returns. Usage: served-recall.py URL [--users 500] [--k 10] [--population 50000] [--query category=books]"""
import argparse, json, random, urllib.request

parser = argparse.ArgumentParser()
parser.add_argument("url")
parser.add_argument("--users", type=int, default=500)
parser.add_argument("--k", type=int, default=10)
parser.add_argument("--population", type=int, default=50000)
parser.add_argument("--query", default="", help="extra query parameters, e.g. category=books")
args = parser.parse_args()

def top(user, retrieval):
    url = f"{args.url}/users/{user}/recommendations?k={args.k}&retrieval={retrieval}" + (f"&{args.query}" if args.query else "")
    with urllib.request.urlopen(url) as response:
        body = json.load(response)
    return body["retrieval"], [i["item"] for i in body["items"]]

rng = random.Random(11)
hits = total = 0
used = {}
for _ in range(args.users):
    user = f"u{rng.randint(1, args.population):05d}"
    _, exact = top(user, "exact")
    how, graph = top(user, "hnsw")
    used[how] = used.get(how, 0) + 1
    hits += len(set(exact) & set(graph))
    total += len(exact)
print(f"recall@{args.k} of retrieval=hnsw vs exact over {args.users} users{' with ' + args.query if args.query else ''}: "
      f"{hits / max(1, total):.4f} (answered by: {used})")
