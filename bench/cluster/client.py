#!/usr/bin/env python3
"""Round-robin load client for bench/cluster/run.sh: each worker thread keeps one keep-alive connection per replica
and sends request n to replica n mod N. Prints one line: requests, errors, throughput and latency percentiles.

  client.py reads  --urls http://127.0.0.1:18101,http://127.0.0.1:18102 --users users.txt --seconds 20 --workers 8
  client.py writes --urls ... --seconds 20 --workers 8 --acks acks.txt --tag b1   # POST /events, one unique item per event
"""
import argparse, http.client, json, random, threading, time, urllib.parse

def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["reads", "writes"])
    p.add_argument("--urls", required=True)
    p.add_argument("--users")
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--api-key", default="k")
    p.add_argument("--acks", help="writes: file that receives the item id of every acknowledged event")
    p.add_argument("--tag", default="load")
    a = p.parse_args()
    hosts = [urllib.parse.urlparse(u) for u in a.urls.split(",")]
    users = open(a.users).read().split() if a.users else []
    if a.mode == "reads" and not users: raise SystemExit("reads needs --users FILE")
    stop = time.monotonic() + a.seconds
    latencies, errors, acked = [], [0], []
    lock = threading.Lock()

    def worker(w):
        conns = [None] * len(hosts)
        rng = random.Random(w)
        mine, bad, ok = [], 0, []
        n = w
        while time.monotonic() < stop:
            i = n % len(hosts)
            n += 1
            h = hosts[i]
            if a.mode == "reads":
                method, path, body = "GET", f"/users/{rng.choice(users)}/recommendations?k=10", None
                headers = {}
            else:
                item = f"{a.tag}-{w}-{n}"
                method, path = "POST", "/events"
                body = json.dumps({"user": f"{a.tag}-u{w}-{n % 50}", "item": item, "event": "view"})
                headers = {"Content-Type": "application/json", "X-Api-Key": a.api_key}
            t0 = time.perf_counter()
            try:
                if conns[i] is None: conns[i] = http.client.HTTPConnection(h.hostname, h.port, timeout=10)
                conns[i].request(method, path, body=body, headers=headers)
                r = conns[i].getresponse(); r.read()
                if r.status == 200:
                    mine.append(time.perf_counter() - t0)
                    if a.mode == "writes": ok.append(item)
                else: bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                try: conns[i].close()
                except Exception: pass
                conns[i] = None
        with lock:
            latencies.extend(mine); errors[0] += bad; acked.extend(ok)

    threads = [threading.Thread(target=worker, args=(w,)) for w in range(a.workers)]
    t = time.monotonic()
    for th in threads: th.start()
    for th in threads: th.join()
    elapsed = time.monotonic() - t
    if a.acks:
        with open(a.acks, "w") as f: f.write("\n".join(acked) + ("\n" if acked else ""))
    lat = sorted(latencies)
    q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))] * 1000 if lat else float("nan")
    print(f"{a.mode}: {len(lat)} ok, {errors[0]} errors, {len(lat) / elapsed:.0f} req/s, p50 {q(0.5):.1f} ms, p99 {q(0.99):.1f} ms over {elapsed:.1f} s")

main()
