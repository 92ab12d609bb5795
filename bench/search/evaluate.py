#!/usr/bin/env python3
"""Search quality and latency against a running `trove serve` (GET /items/search).

Labelled set: bench/search/ml100k-queries.tsv (141 queries in four classes, written by hand; how, and the fixed
validation/test split: bench/search/make-queries.py). NDCG@10 with binary gains. The hybrid settings (fusion,
dense weight against BM25 weight 1, adaptive BM25 weight) are searched on the VALIDATION half only, by the mean
NDCG@10 over its queries; the test half is then reported for dense, sparse, the server's default hybrid (no
fusion parameters sent), the best validation setting, and the best validation setting of each fusion.
Then p50/p99 latency of default hybrid requests whose queries are all distinct (every request embeds its query).
Usage: evaluate.py BASE_URL ML100K_DIR [REQUESTS]   (ML100K_DIR "-" = latency only)
"""
import itertools, json, math, os, re, statistics, sys, time, urllib.parse, urllib.request

base, ml = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 300

def search(q, mode, k=10, **params):
    url = f"{base}/items/search?" + urllib.parse.urlencode({"q": q, "mode": mode, "k": k, **params})
    with urllib.request.urlopen(url) as r:
        return [x["item"] for x in json.load(r)["items"]]

def latency(words, label):
    search("warm up", "hybrid")
    lat = []
    for r in range(n):
        q = f"{words[r % len(words)]} {r}"  # distinct text: the query is embedded every time
        t = time.perf_counter(); search(q, "hybrid"); lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    print(f"\nGET /items/search hybrid default ({label}), {n} sequential requests with distinct queries: p50 {lat[n // 2]:.1f} ms, p99 {lat[int(n * 0.99) - 1]:.1f} ms, max {lat[-1]:.1f} ms")

if ml == "-":  # latency only (a catalogue without labels, e.g. `trove simulate --items 100000`)
    latency(["wireless speaker", "running shoes for women", "kitchen rug", "tennis racket", "cheap jeans", "noise cancelling headphones",
             "gift for a gardener", "smart watch", "leather sofa", "yoga mat"], "product queries")
    sys.exit(0)

genres = [l.split("|")[0] for l in open(f"{ml}/u.genre", encoding="latin-1") if l.strip()]
movies = {}  # id -> (set of genres, release year or None)
for line in open(f"{ml}/u.item", encoding="latin-1"):
    f = line.rstrip("\r\n").split("|")
    year = re.search(r"(\d{4})$", f[2])
    movies[f[0]] = ({genres[g] for g in range(len(genres)) if f[5 + g] == "1"}, int(year.group(1)) if year else None)

def relevant(spec):
    if spec.startswith("item:"): return {spec[5:]}
    keep = set(movies)
    for part in spec.split(";"):
        kind, value = part.split(":", 1)
        if kind == "genre": keep = {i for i in keep if set(value.split("+")) <= movies[i][0]}
        elif kind == "years":
            lo, hi = map(int, value.split("-"))
            keep = {i for i in keep if movies[i][1] is not None and lo <= movies[i][1] <= hi}
        else: raise SystemExit(f"ml100k-queries.tsv: unknown relevance '{part}'")
    return keep

queries = []  # (split, class, query, relevant)
tsv = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ml100k-queries.tsv")
for line in open(tsv, encoding="utf-8"):
    if line.startswith("#") or line.startswith("split\t"): continue
    split, cls, rel, q = line.rstrip("\n").split("\t")
    queries.append((split, cls, q, relevant(rel)))
classes = ["genre", "genre-phrase", "decade", "paraphrase"]

def ndcg(ranked, rel, k=10):
    dcg = sum(1 / math.log2(r + 2) for r, i in enumerate(ranked[:k]) if i in rel)
    return dcg / sum(1 / math.log2(r + 2) for r in range(min(k, len(rel))))

def scores(split, mode, params):
    return [(cls, ndcg(search(q, mode, **params), rel)) for s, cls, q, rel in queries if s == split]

def row(label, result):
    per = [statistics.mean([v for c, v in result if c == cls]) for cls in classes]
    return f"| {label} | " + " | ".join(f"{v:.4f}" for v in per) + f" | {statistics.mean(v for _, v in result):.4f} |"

def header(split):
    counts = [sum(1 for s, c, _, _ in queries if s == split and c == cls) for cls in classes]
    total = sum(counts)
    print(f"| {split} | " + " | ".join(f"{c} ({k})" for c, k in zip(classes, counts)) + f" | all ({total}) |")
    print("|---|" + "---:|" * (len(classes) + 1))

def name(p):
    return f"hybrid {p['fusion']}, dense weight {p['denseWeight']:g}, adaptive {str(p['adaptive']).lower()}"

search("warm up", "hybrid")
grid = [{"fusion": f, "denseWeight": w, "sparseWeight": 1, "adaptive": a}
        for f, w, a in itertools.product(["rrf", "minmax", "dbsf"], [0.5, 1, 1.5, 2, 3, 4], [False, True])]
print(f"Validation: dense, sparse and the {len(grid)} hybrid settings (mean NDCG@10 per class and over all validation queries):\n")
header("validation")
validation = {}
for label, mode, params in [("dense", "dense", {}), ("sparse", "sparse", {})] + [(name(p), "hybrid", p) for p in grid]:
    result = scores("validation", mode, params)
    validation[label] = statistics.mean(v for _, v in result)
    print(row(label, result))
hybrid = [(validation[name(p)], p) for p in grid]
best = max(hybrid, key=lambda x: x[0])[1]  # first of the grid's order on ties
best_per_fusion = {f: max([x for x in hybrid if x[1]["fusion"] == f], key=lambda x: x[0])[1] for f in ["rrf", "minmax", "dbsf"]}
print(f"\nBest on validation: {name(best)} ({validation[name(best)]:.4f})\n")

print("Test (settings fixed above; nothing chosen here):\n")
header("test")
print(row("dense", scores("test", "dense", {})))
print(row("sparse", scores("test", "sparse", {})))
print(row("hybrid, the server's default (no fusion parameters)", scores("test", "hybrid", {})))
print(row("hybrid rrf, dense weight 1, adaptive false (the earlier default)", scores("test", "hybrid", {"fusion": "rrf", "denseWeight": 1, "sparseWeight": 1, "adaptive": False})))
for f, p in best_per_fusion.items():
    print(row(f"{name(p)} (best {f} on validation){' = best overall' if p == best else ''}", scores("test", "hybrid", p)))

latency([q for _, _, q, _ in queries], "ml-100k queries")
