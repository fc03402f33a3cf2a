"""Attribution: rank the candidate speakers of a quotation with a small linear model over the sieve's evidence."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .discourse import NARRATOR, Context

FEATURES = (
    "sieve", "sieve:tag-name", "sieve:tag-pronoun", "sieve:tag-noun", "sieve:action-name",
    "sieve:action-pronoun", "sieve:action-previous", "sieve:vocative-reply", "sieve:turn-taking",
    "sieve:salience", "sieve:continuation", "sieve:paragraph", "sieve:confidence",
    "proposed:action", "proposed:vocative-reply", "proposed:turn-taking",
    "turn-1", "turn-2", "turn-3", "recent-speaker", "exchange-restarted*turn-1",
    "mention:before", "mention:after", "mention:previous-paragraph", "mention:nearness", "salience",
    "vocative-here", "named-here", "addressed-before",
    "pronoun-agrees", "pronoun-disagrees", "gender-unknown",
    "narrator", "narrator*first-person-tag", "narrator*first-person-text",
    "description", "frequency",
    "subject:before", "subject:previous-paragraph", "object:paragraph",
    "untagged*turn-1", "untagged*turn-2", "untagged*mention:before", "untagged*mention:after",
    "untagged*subject:previous-paragraph",
    "addressed-next", "tagged-next", "tagged-after-next",
)
_INDEX = {name: i for i, name in enumerate(FEATURES)}
_SIEVE_RULES = ("tag-name", "tag-pronoun", "tag-noun", "action-name", "action-pronoun", "action-previous",
                "vocative-reply", "turn-taking", "salience", "continuation")
# Not the numeral of a heading: "CHAPTER I", "Part I", "Book I".
_FIRST_PERSON = re.compile(r"(?<!CHAPTER )(?<!Chapter )(?<!PART )(?<!Part )(?<!BOOK )(?<!Book )\b(?:I|me|my|myself)\b")
_WEIGHTS_FILE = "ranker.json"
MAX_CANDIDATES = 12


@dataclass
class Evidence:
    """What the sieve knows about one quotation, for building its candidates' features."""

    quote: str
    start: int
    sieve: str | None
    rule: str
    confidence: float
    pronoun: str | None
    before: str
    """Narration of the quotation's paragraph before it (with a lead-in paragraph, if any)."""
    after: str
    previous: str
    """The narration-only paragraph just before, if any."""
    turns: Sequence[str | None]
    addressed: set[str]
    addressed_before: set[str]
    proposals: list[tuple[str, str]] = field(default_factory=list)
    """(speaker, rule) from the untagged rules, best first."""
    restarted: bool = False
    """A narration paragraph came between this quotation and the last."""
    addressed_next: set[str] = field(default_factory=set)
    """Whom the next dialogue paragraph (if adjacent) calls by name."""
    tagged_next: str | None = None
    """The speaker an explicit name tag gives the next dialogue paragraph (if adjacent)."""
    tagged_after_next: str | None = None
    """The same for the dialogue paragraph after that."""


@dataclass(frozen=True)
class Tree:
    """A regression tree over FEATURES, as flat arrays: node k splits on `feature[k]` at
    `threshold[k]` (rows with a value <= it go to `left[k]`, the others to `right[k]`); a leaf
    has feature -1 and adds `value[k]` to a candidate's score."""

    feature: np.ndarray
    threshold: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray

    def predict(self, x: np.ndarray) -> np.ndarray:
        node = np.zeros(len(x), dtype=int)
        for _ in range(len(self.feature)):
            f = self.feature[node]
            inner = f >= 0
            if not inner.any():
                break
            rows = np.nonzero(inner)[0]
            go_left = x[rows, f[rows]] <= self.threshold[node[rows]]
            node[rows] = np.where(go_left, self.left[node[rows]], self.right[node[rows]])
        return self.value[node]

    def to_dict(self) -> dict:
        return {"feature": [FEATURES[f] if f >= 0 else None for f in self.feature.tolist()],
                "threshold": [float(t) for t in self.threshold],
                "left": self.left.tolist(), "right": self.right.tolist(),
                "value": [round(float(v), 6) for v in self.value]}

    @classmethod
    def from_dict(cls, data: dict) -> Tree:
        feature = np.array([_INDEX[f] if f is not None else -1 for f in data["feature"]], dtype=int)
        return cls(feature, np.array(data["threshold"], dtype=float), np.array(data["left"], dtype=int),
                   np.array(data["right"], dtype=int), np.array(data["value"], dtype=float))


@dataclass
class Ranker:
    """A linear model over FEATURES plus boosted trees; a quotation's speaker is the
    best-scoring candidate, and the softmax of the scores its probability."""

    weights: np.ndarray
    meta: dict = field(default_factory=dict)
    trees: tuple[Tree, ...] = ()

    def __post_init__(self) -> None:
        self._forest = _stack(self.trees) if self.trees else None

    @property
    def margin(self) -> float:
        """How much more probable than the sieve's choice the ranker's must be to replace it."""
        return float(self.meta.get("override_margin", 0.0))

    def scores(self, features: np.ndarray) -> np.ndarray:
        scores = features @ self.weights
        if self._forest is not None:
            scores = scores + _forest_predict(self._forest, features)
        return scores

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        scores = self.scores(features)
        scores = scores - scores.max()
        exp = np.exp(scores)
        return exp / exp.sum()

    def to_dict(self) -> dict:
        out = {"features": list(FEATURES), "weights": [round(float(w), 6) for w in self.weights], **self.meta}
        if self.trees:
            out["trees"] = [t.to_dict() for t in self.trees]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> Ranker:
        by_name = dict(zip(data["features"], data["weights"]))
        return cls(np.array([float(by_name.get(f, 0.0)) for f in FEATURES]),
                   {k: v for k, v in data.items() if k not in ("features", "weights", "trees")},
                   tuple(Tree.from_dict(t) for t in data.get("trees", ())))


def _stack(trees: Sequence[Tree]) -> tuple[np.ndarray, ...]:
    """All trees in (trees x nodes) arrays, padded with leaves, to walk them all at once."""
    width = max(len(t.feature) for t in trees)

    def pad(name: str, fill: float) -> np.ndarray:
        return np.array([np.pad(getattr(t, name), (0, width - len(t.feature)), constant_values=fill) for t in trees])

    depth = max(_depth(t) for t in trees)
    return pad("feature", -1), pad("threshold", 0.0), pad("left", 0), pad("right", 0), pad("value", 0.0), depth


def _depth(tree: Tree, k: int = 0) -> int:
    if tree.feature[k] < 0:
        return 0
    return 1 + max(_depth(tree, int(tree.left[k])), _depth(tree, int(tree.right[k])))


def _forest_predict(forest: tuple[np.ndarray, ...], x: np.ndarray) -> np.ndarray:
    """The summed output of all trees for each row of `x`."""
    feature, threshold, left, right, value, depth = forest
    trees = np.arange(len(feature))[:, None]
    rows = np.arange(len(x))[None, :]
    node = np.zeros((len(feature), len(x)), dtype=int)
    for _ in range(depth):
        f = feature[trees, node]
        inner = f >= 0
        go_left = x[rows, np.where(inner, f, 0)] <= threshold[trees, node]
        node = np.where(inner, np.where(go_left, left[trees, node], right[trees, node]), node)
    return value[trees, node].sum(0)


def load_ranker(path: Path | None = None) -> Ranker | None:
    """The ranker from a JSON file, or the one shipped beside this module (None if absent)."""
    if path is not None:
        return Ranker.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    try:
        text = resources.files(__package__).joinpath(_WEIGHTS_FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):
        return None
    return Ranker.from_dict(json.loads(text))


def first_person_share(narration: str) -> float:
    """How much the narration says "I": first-person words per 100 words, capped at 1."""
    words = max(1, len(narration.split()))
    return min(1.0, 100 * len(_FIRST_PERSON.findall(narration)) / words / 3)


def candidates(ctx: Context, ev: Evidence, first_person: float) -> tuple[list[str], np.ndarray]:
    """The plausible speakers of a quotation and their feature rows."""
    names: list[str] = []
    # "she said" is never the first-person narrator's line ("I said" is).
    third_person = ev.rule.startswith("tag-pronoun") and ev.pronoun in ("he", "she")

    def add(name: str | None) -> None:
        if name and name not in names and len(names) < MAX_CANDIDATES and not (third_person and name == NARRATOR):
            names.append(name)

    add(ev.sieve)
    for name, _ in ev.proposals:
        add(name)
    for name in reversed([t for t in ev.turns[-3:] if t]):
        add(name)
    for name in sorted(ev.addressed_next):
        add(name)
    add(ev.tagged_after_next)
    before = ctx.mentioned_in(ev.start - len(ev.before), ev.start)
    after = ctx.mentioned_in(ev.start + len(ev.quote), ev.start + len(ev.quote) + len(ev.after))
    earlier = ctx.mentioned_in(ev.start - len(ev.before) - len(ev.previous), ev.start - len(ev.before))
    for name in (*reversed(before), *after, *reversed(earlier)):
        add(name)
    for name in reversed(ctx.speakers[-4:]):
        add(name)
    for name in reversed(ctx.mentioned_in(ev.start - 3000, ev.start)):
        add(name)
    if first_person > 0.1 or ev.sieve == NARRATOR:
        add(NARRATOR)
    for name in ctx.ranked(ev.start, set()):
        add(name)
    rows = np.zeros((len(names), len(FEATURES)))
    salience = _salience(ctx, ev.start)
    top = max(salience.values(), default=1.0) or 1.0
    proposed = {}
    for name, rule in ev.proposals:
        proposed.setdefault(name, set()).add(rule)
    said_i = bool(_FIRST_PERSON.search(ev.before[-120:] + " " + ev.after[:80]))
    pronoun_gender = {"he": "male", "she": "female"}.get(ev.pronoun or "")
    named_here = ctx.named_in(ev.quote)
    para_start = ev.start - len(ev.before)
    subjects_before = set(ctx.subjects_in(para_start, ev.start))
    subjects_earlier = set(ctx.subjects_in(para_start - len(ev.previous), para_start))
    objects = ctx.objects_in(para_start, ev.start + len(ev.quote) + len(ev.after))
    untagged = not ev.rule.startswith("tag-")
    for row, name in zip(rows, names):
        f = {}
        if name == ev.sieve:
            f["sieve"] = 1.0
            base = ev.rule.split("+")[0]
            if base in _SIEVE_RULES:
                f["sieve:" + base] = 1.0
            if ev.rule.endswith("+paragraph"):
                f["sieve:paragraph"] = 1.0
            f["sieve:confidence"] = ev.confidence
        rules = proposed.get(name, set())
        if any(r.startswith("action") for r in rules):
            f["proposed:action"] = 1.0
        if "vocative-reply" in rules:
            f["proposed:vocative-reply"] = 1.0
        if "turn-taking" in rules:
            f["proposed:turn-taking"] = 1.0
        turns = list(ev.turns)
        for k in (1, 2, 3):
            if len(turns) >= k and turns[-k] == name:
                f[f"turn-{k}"] = 1.0
        if name in ctx.speakers[-4:]:
            f["recent-speaker"] = 1.0 / (len(ctx.speakers) - ctx.speakers.index(name))
        if ev.restarted and turns and turns[-1] == name:
            f["exchange-restarted*turn-1"] = 1.0
        f["mention:before"] = float(name in before)
        f["mention:after"] = float(name in after)
        f["mention:previous-paragraph"] = float(name in earlier)
        distance = ctx.distance_to_mention(name, ev.start)
        f["mention:nearness"] = math.exp(-distance / 800) if distance is not None else 0.0
        f["salience"] = salience.get(name, 0.0) / top
        f["vocative-here"] = float(name in ev.addressed)
        f["named-here"] = float(name in named_here and name not in ev.addressed)
        f["addressed-before"] = float(name in ev.addressed_before)
        f["addressed-next"] = float(name in ev.addressed_next)
        f["tagged-next"] = float(name == ev.tagged_next)
        f["tagged-after-next"] = float(name == ev.tagged_after_next)
        gender = ctx.gender.get(name, "unknown")
        if pronoun_gender:
            if gender == pronoun_gender:
                f["pronoun-agrees"] = 1.0
            elif gender != "unknown" or name == NARRATOR:
                f["pronoun-disagrees"] = 1.0
        f["gender-unknown"] = float(gender == "unknown" and name != NARRATOR)
        if name == NARRATOR:
            f["narrator"] = 1.0
            f["narrator*first-person-tag"] = float(said_i)
            f["narrator*first-person-text"] = first_person
        f["description"] = float(name in ctx.descriptions)
        f["frequency"] = math.log1p(ctx.mention_count.get(name, 0)) / 5
        f["subject:before"] = float(name in subjects_before)
        f["subject:previous-paragraph"] = float(name in subjects_earlier)
        f["object:paragraph"] = float(name in objects)
        if untagged:
            f["untagged*turn-1"] = f.get("turn-1", 0.0)
            f["untagged*turn-2"] = f.get("turn-2", 0.0)
            f["untagged*mention:before"] = f["mention:before"]
            f["untagged*mention:after"] = f["mention:after"]
            f["untagged*subject:previous-paragraph"] = f["subject:previous-paragraph"]
        for key, value in f.items():
            row[_INDEX[key]] = value
    return names, rows


def _salience(ctx: Context, pos: int, window: int = 3000) -> dict[str, float]:
    score: dict[str, float] = {}
    for p, name in ctx.mentions_between(pos - window, pos):
        score[name] = score.get(name, 0.0) + 1.0 - (pos - p) / (2 * window)
    return score


def fit(groups: Sequence[tuple[np.ndarray, np.ndarray]], l2: float = 0.01, steps: int = 400) -> np.ndarray:
    """Weights maximising the probability of the right candidates (a conditional logit model).

    Each group is (feature rows, 0/1 right-candidate mask) for one quotation with at least one
    right candidate. Gradient ascent with Adam; `l2` keeps weights small.
    """
    groups = [(x, y) for x, y in groups if y.any() and len(y) > 1]
    dim = len(FEATURES)
    w = np.zeros(dim)
    m = np.zeros(dim)
    v = np.zeros(dim)
    sizes = np.array([len(y) for _, y in groups])
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    x_all = np.vstack([x for x, _ in groups]) if groups else np.zeros((0, dim))
    y_all = np.concatenate([y for _, y in groups]).astype(bool) if groups else np.zeros(0, bool)
    seg = np.repeat(np.arange(len(groups)), sizes)
    for t in range(1, steps + 1):
        scores = x_all @ w
        peak = np.full(len(groups), -np.inf)
        np.maximum.at(peak, seg, scores)
        exp = np.exp(scores - peak[seg])
        total = np.add.reduceat(exp, offsets[:-1])
        right = np.add.reduceat(np.where(y_all, exp, 0.0), offsets[:-1])
        p_all = exp / total[seg]
        p_right = np.where(y_all, exp / right[seg], 0.0)
        grad = ((p_right - p_all)[:, None] * x_all).sum(0) / max(1, len(groups)) - l2 * w
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        w += 0.05 * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
    return w


def boost(groups: Sequence[tuple[np.ndarray, np.ndarray]], weights: np.ndarray, rounds: int = 60,
          depth: int = 3, rate: float = 0.1, l2: float = 5.0, min_hessian: float = 2.0) -> tuple[Tree, ...]:
    """Regression trees that, added to the linear `weights`, raise the probability of the right
    candidates (gradient boosting of the same conditional logit, one Newton step per leaf).

    Split points are a few quantiles of each feature; `l2` and `min_hessian` keep leaves from
    fitting a handful of quotations.
    """
    groups = [(x, y) for x, y in groups if y.any() and len(y) > 1]
    if not groups:
        return ()
    sizes = np.array([len(y) for _, y in groups])
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    x_all = np.vstack([x for x, _ in groups])
    y_all = np.concatenate([y for _, y in groups]).astype(bool)
    seg = np.repeat(np.arange(len(groups)), sizes)
    cuts = [np.unique(np.quantile(x_all[:, f], np.linspace(0.05, 0.95, 12))) for f in range(x_all.shape[1])]
    scores = x_all @ weights
    trees = []
    for _ in range(rounds):
        peak = np.full(len(groups), -np.inf)
        np.maximum.at(peak, seg, scores)
        exp = np.exp(scores - peak[seg])
        total = np.add.reduceat(exp, offsets[:-1])
        right = np.add.reduceat(np.where(y_all, exp, 0.0), offsets[:-1])
        p_all = exp / total[seg]
        p_right = np.where(y_all, exp / right[seg], 0.0)
        grad = p_all - p_right  # of the negative log-likelihood
        hess = np.maximum(p_all * (1 - p_all), 1e-6)
        tree = _grow(x_all, grad, hess, cuts, depth, l2, min_hessian, rate)
        scores = scores + tree.predict(x_all)
        trees.append(tree)
    return tuple(trees)


def _grow(x: np.ndarray, grad: np.ndarray, hess: np.ndarray, cuts: list[np.ndarray], depth: int,
          l2: float, min_hessian: float, rate: float) -> Tree:
    feature, threshold, left, right, value = [], [], [], [], []

    def node(rows: np.ndarray, level: int) -> int:
        k = len(feature)
        feature.append(-1)
        threshold.append(0.0)
        left.append(-1)
        right.append(-1)
        g, h = grad[rows].sum(), hess[rows].sum()
        value.append(-rate * g / (h + l2))
        if level == depth or len(rows) < 2:
            return k
        best = (0.0, -1, 0.0)
        base = g * g / (h + l2)
        for f, fcuts in enumerate(cuts):
            col = x[rows, f]
            for t in fcuts:
                mask = col <= t
                hl = hess[rows][mask].sum()
                hr = h - hl
                if hl < min_hessian or hr < min_hessian:
                    continue
                gl = grad[rows][mask].sum()
                gain = gl * gl / (hl + l2) + (g - gl) ** 2 / (hr + l2) - base
                if gain > best[0]:
                    best = (gain, f, float(t))
        if best[1] < 0:
            return k
        _, f, t = best
        mask = x[rows, f] <= t
        feature[k], threshold[k] = f, t
        left[k] = node(rows[mask], level + 1)
        right[k] = node(rows[~mask], level + 1)
        return k

    node(np.arange(len(x)), 0)
    return Tree(np.array(feature, dtype=int), np.array(threshold), np.array(left, dtype=int),
                np.array(right, dtype=int), np.array(value))
