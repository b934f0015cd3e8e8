"""FAISS side of `npm run bench:search`: IVF-PQ (+ exact refine) over the same vectors, the same filters.

Reads vectors.f32 [n, d], meta.f64 [n, 5] (min_lon, min_lat, max_lon, max_lat, time_ms),
queries.f32 [q, d], filters.json [{bbox, from_ms, to_ms}], truth.json (exact top-10 ids
per query from the Node side), builds IndexIVFPQ (inner product, nlist, m sub-vectors),
and for each nprobe prints recall@10 and p50/p95 latency with the filter applied through
an IDSelectorBatch (FAISS's prefilter). One JSON object on stdout.
"""
import json
import sys
import time

import faiss
import numpy as np


def main() -> None:
    d_dir, dim, nlist, m = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    faiss.omp_set_num_threads(int(sys.argv[5]) if len(sys.argv) > 5 else 2)
    xb = np.fromfile(f"{d_dir}/vectors.f32", dtype="<f4").reshape(-1, dim)
    meta = np.fromfile(f"{d_dir}/meta.f64", dtype="<f8").reshape(-1, 5)
    xq = np.fromfile(f"{d_dir}/queries.f32", dtype="<f4").reshape(-1, dim)
    filters = json.load(open(f"{d_dir}/filters.json"))
    truth = json.load(open(f"{d_dir}/truth.json"))
    t0 = time.perf_counter()
    quant = faiss.IndexFlatIP(dim)
    index = faiss.IndexIVFPQ(quant, dim, nlist, m, 8, faiss.METRIC_INNER_PRODUCT)
    train = xb[np.random.default_rng(0).choice(len(xb), min(len(xb), 256 * nlist), replace=False)]
    index.train(train)
    index.add(xb)
    build_s = time.perf_counter() - t0
    sels = []
    tf = time.perf_counter()
    for f in filters:
        w, s, e, n = f["bbox"]
        ok = (meta[:, 2] >= w) & (meta[:, 0] <= e) & (meta[:, 3] >= s) & (meta[:, 1] <= n) & (meta[:, 4] >= f["from_ms"]) & (meta[:, 4] <= f["to_ms"])
        sels.append(np.nonzero(ok)[0].astype("int64"))
    # FAISS has no scalar index: evaluating the filter is a numpy scan per query, timed
    # apart so the search latencies compare index work with index work.
    filter_ms = (time.perf_counter() - tf) * 1000 / max(1, len(filters))
    out = {"faiss": faiss.__version__, "build_s": build_s, "filter_ms": filter_ms, "runs": []}
    for nprobe in (4, 8, 16, 32, 64, 128):
        lat, rec = [], []
        for qi in range(len(xq)):
            # The selector is built per query outside the timer, as LanceDB's scalar
            # indexes exist before the query; FAISS has no such index of its own.
            sel = faiss.IDSelectorBatch(sels[qi])
            params = faiss.SearchParametersIVF(sel=sel, nprobe=nprobe)
            t = time.perf_counter()
            _, cand = index.search(xq[qi:qi + 1], 100, params=params)
            # Exact re-scoring of the 10 × k PQ candidates, as LanceDB's refineFactor(10) does
            # (FAISS 1.7.3 has no refine parameters that combine with a selector).
            cand = cand[0][cand[0] >= 0]
            ids = cand[np.argsort(-(xb[cand] @ xq[qi]))[:10]]
            lat.append((time.perf_counter() - t) * 1000)
            want = set(truth[qi])
            rec.append(len(want & set(int(i) for i in ids)) / max(1, len(want)))
        out["runs"].append({"nprobe": nprobe, "recall10": float(np.mean(rec)), "p50_ms": float(np.percentile(lat, 50)), "p95_ms": float(np.percentile(lat, 95))})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
