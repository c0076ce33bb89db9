#!/usr/bin/env python3
"""The scikit-learn side of Keel's ML benchmark (bench/ml), driven by bench/run.ts.

Commands, each printing one JSON object on stdout:

    sklearn_bench.py versions
    sklearn_bench.py generate '{"kind": "classification", "rows": 250000, "cols": 20, "train": 200000, "seed": 0}' OUT
    sklearn_bench.py dataset breast_cancer OUT
    sklearn_bench.py run '{"data": PATH, "estimator": "random_forest", "params": {...}, "train": N, ...}'

Datasets are written in the format both sides read (bench/ml/data.ts): a 32-byte header
(b"KEELBNCH", then little-endian uint32 version, rows, cols, train rows, classes, 0), X as
float64 row-major, then y as float64. Timings cover fit and predict only, not loading.
"""

import json
import struct
import sys
import time
import warnings

import numpy as np

MAGIC = b"KEELBNCH"
HEADER = struct.Struct("<8s6I")


def write_dataset(path, X, y, train, n_classes):
    X = np.ascontiguousarray(X, dtype="<f8")
    y = np.ascontiguousarray(y, dtype="<f8")
    with open(path, "wb") as f:
        f.write(HEADER.pack(MAGIC, 1, X.shape[0], X.shape[1], train, n_classes, 0))
        f.write(X.tobytes())
        f.write(y.tobytes())


def read_dataset(path):
    with open(path, "rb") as f:
        magic, version, rows, cols, train, n_classes, _ = HEADER.unpack(f.read(HEADER.size))
        assert magic == MAGIC and version == 1, f"{path} is not a Keel benchmark dataset"
        X = np.fromfile(f, dtype="<f8", count=rows * cols).reshape(rows, cols)
        y = np.fromfile(f, dtype="<f8", count=rows)
    return X, y, train, n_classes


def generate(spec, out):
    from sklearn.datasets import make_classification, make_regression

    rows, cols, seed = spec["rows"], spec["cols"], spec["seed"]
    if spec["kind"] == "classification":
        X, y = make_classification(
            n_samples=rows,
            n_features=cols,
            n_informative=max(2, cols // 2),
            n_redundant=cols // 4,
            n_classes=spec.get("classes", 2),
            flip_y=0.05,
            random_state=seed,
        )
        write_dataset(out, X, y, spec["train"], spec.get("classes", 2))
    else:
        X, y = make_regression(n_samples=rows, n_features=cols, n_informative=cols // 2, noise=10.0, random_state=seed)
        write_dataset(out, X, y, spec["train"], 0)
    return {"rows": rows, "cols": cols}


def dataset(name, out):
    from sklearn import datasets

    loader = {"breast_cancer": datasets.load_breast_cancer, "wine": datasets.load_wine, "digits": datasets.load_digits}
    X, y = loader[name](return_X_y=True)
    # One fixed shuffle, so unshuffled stratified folds (the same on both sides) mix the rows.
    order = np.random.RandomState(0).permutation(len(y))
    write_dataset(out, X[order], y[order], len(y), len(np.unique(y)))
    return {"rows": X.shape[0], "cols": X.shape[1], "classes": int(len(np.unique(y)))}


def make_estimator(name, params, n_jobs):
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.tree import DecisionTreeClassifier

    if name == "random_forest":
        return RandomForestClassifier(n_jobs=n_jobs, random_state=0, **params)
    if name == "hist_gradient_boosting":
        return HistGradientBoostingClassifier(random_state=0, **params)
    if name == "logistic_regression":
        return LogisticRegression(solver="lbfgs", **params)
    if name == "decision_tree":
        return DecisionTreeClassifier(random_state=0, **params)
    if name == "k_neighbors":
        return KNeighborsClassifier(algorithm="brute", n_jobs=n_jobs, **params)
    if name == "gaussian_nb":
        return GaussianNB(**params)
    raise ValueError(f"unknown estimator {name}")


def quality(metric, model, y_true, proba, predicted):
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score

    if metric == "roc_auc":
        return roc_auc_score(y_true, proba[:, 1])
    if metric == "log_loss":
        return log_loss(y_true, proba, labels=model.classes_)
    return accuracy_score(y_true, predicted)


def run(spec):
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    X, y, train, _ = read_dataset(spec["data"])
    rows = spec.get("rows", train)
    model = make_estimator(spec["estimator"], spec["params"], spec["nJobs"])
    if spec.get("mode") == "cv":
        scores = cross_val_score(model, X, y, cv=StratifiedKFold(spec["folds"]), scoring="accuracy")
        return {"metric": float(np.mean(scores))}
    X_train, y_train = X[:rows], y[:rows]
    X_test, y_test = X[train:], y[train:]
    started = time.perf_counter()
    model.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - started
    result = {"fitSeconds": fit_seconds}
    if spec.get("predict", True):
        started = time.perf_counter()
        if spec["predictMethod"] == "proba":
            proba = model.predict_proba(X_test)
            predicted = model.classes_[proba.argmax(axis=1)]
        else:
            proba = None
            predicted = model.predict(X_test)
        result["predictSeconds"] = time.perf_counter() - started
        result["metric"] = float(quality(spec["metric"], model, y_test, proba, predicted))
    return result


def versions():
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    return {
        "python": sys.version.split()[0],
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "threadpools": [
            {k: p.get(k) for k in ("internal_api", "num_threads", "version")} for p in threadpool_info()
        ],
    }


def main(argv):
    warnings.filterwarnings("ignore")  # convergence notices would corrupt nothing, but clutter stderr
    command = argv[1]
    if command == "versions":
        out = versions()
    elif command == "generate":
        out = generate(json.loads(argv[2]), argv[3])
    elif command == "dataset":
        out = dataset(argv[2], argv[3])
    elif command == "run":
        out = run(json.loads(argv[2]))
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv)
