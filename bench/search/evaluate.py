#!/usr/bin/env python3
"""Search quality and latency against a running `trove serve` (GET /items/search).

Labelled set from ml-100k (u.item, u.genre): 18 genre-name queries (relevant: every movie with that genre) and
20 title paraphrases written by hand without the title's words where possible (relevant: that one movie).
NDCG@10 with binary gains for dense, sparse and hybrid; then p50/p99 latency of hybrid requests whose queries
are all distinct (so every request embeds its query: no cache hit hides the MiniLM cost).
"""
import json, math, statistics, sys, time, urllib.parse, urllib.request

base, ml = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 300

def search(q, mode, k=10, dense_weight=1):
    url = f"{base}/items/search?" + urllib.parse.urlencode({"q": q, "mode": mode, "k": k, "denseWeight": dense_weight})
    with urllib.request.urlopen(url) as r:
        return [x["item"] for x in json.load(r)["items"]]

def latency(words, label):
    search("warm up", "hybrid")
    lat = []
    for r in range(n):
        q = f"{words[r % len(words)]} {r}"  # distinct text: the query is embedded every time
        t = time.perf_counter(); search(q, "hybrid"); lat.append((time.perf_counter() - t) * 1000)
    lat.sort()
    print(f"\nGET /items/search hybrid ({label}), {n} sequential requests with distinct queries: p50 {lat[n // 2]:.1f} ms, p99 {lat[int(n * 0.99) - 1]:.1f} ms, max {lat[-1]:.1f} ms")

if ml == "-":  # latency only (a catalogue without labels, e.g. `trove simulate --items 100000`)
    latency(["wireless speaker", "running shoes for women", "kitchen rug", "tennis racket", "cheap jeans", "noise cancelling headphones",
             "gift for a gardener", "smart watch", "leather sofa", "yoga mat"], "product queries")
    sys.exit(0)

genres = [l.split("|")[0] for l in open(f"{ml}/u.genre", encoding="latin-1") if l.strip() and not l.startswith("unknown")]
items = {}
for line in open(f"{ml}/u.item", encoding="latin-1"):
    f = line.rstrip("\n").split("|")
    items[f[0]] = [genres[g - 1] for g in range(1, 19) if f[5 + g] == "1"]

paraphrases = {
    "1": "animated cowboy doll and space ranger action figure come to life",
    "22": "scottish rebel fights the english king for freedom",
    "28": "astronauts stranded after an oxygen tank explodes on the way to the moon",
    "50": "farm boy joins rebels to fight the galactic empire",
    "56": "hitmen, a boxer and a gangster's wife in interlocking los angeles crime stories",
    "64": "banker wrongly jailed for murder escapes prison after decades",
    "69": "slow-witted man from alabama witnesses decades of american history",
    "71": "young lion prince flees after his father's death then reclaims the throne",
    "82": "cloned dinosaurs escape on an island theme park",
    "94": "boy left behind by his family at christmas defends the house from burglars",
    "95": "street thief finds a magic lamp with a genie",
    "96": "cyborg from the future protects a boy from a liquid metal killer robot",
    "98": "fbi trainee asks a cannibal psychiatrist to help catch a serial killer",
    "100": "pregnant police chief investigates a kidnapping in snowy minnesota",
    "121": "aliens attack the world's cities on the fourth of july",
    "127": "aging mafia don hands the crime family to his reluctant son",
    "173": "farm boy turned pirate rescues his true love from an evil prince",
    "174": "archaeologist races nazis to find the ark of the covenant",
    "204": "teenager travels thirty years into the past in a time machine car",
    "313": "romance aboard the doomed ocean liner that hit an iceberg",
}
queries = [("genre", g, {i for i, gs in items.items() if g in gs}) for g in genres]
queries += [("paraphrase", q, {i}) for i, q in paraphrases.items()]

def ndcg(ranked, relevant, k=10):
    dcg = sum(1 / math.log2(r + 2) for r, i in enumerate(ranked[:k]) if i in relevant)
    ideal = sum(1 / math.log2(r + 2) for r in range(min(k, len(relevant))))
    return dcg / ideal

search("warm up", "hybrid")
print("| mode | NDCG@10 genre names (18) | NDCG@10 title paraphrases (20) | NDCG@10 all (38) |")
print("|---|---|---|---|")
# The weighted rows were chosen after seeing the equal-weight result on these same queries: optimistic.
for mode, w in [("dense", 1), ("sparse", 1), ("hybrid", 1), ("hybrid", 2), ("hybrid", 3)]:
    scores = {"genre": [], "paraphrase": []}
    for kind, q, rel in queries:
        scores[kind].append(ndcg(search(q, mode, dense_weight=w), rel))
    allq = scores["genre"] + scores["paraphrase"]
    label = mode if mode != "hybrid" else f"hybrid (dense weight {w}, sparse 1)"
    print(f"| {label} | {statistics.mean(scores['genre']):.4f} | {statistics.mean(scores['paraphrase']):.4f} | {statistics.mean(allq):.4f} |")

latency([q for _, q, _ in queries], "ml-100k queries")
