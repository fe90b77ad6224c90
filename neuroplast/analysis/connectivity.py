"""Structure of the E->E network at one biological day: density, degrees, weights, assemblies.

A *snapshot* holds the live E->E synapses of the candidate pool as numpy arrays of equal length:
``i`` (presynaptic pyramidal index), ``j`` (postsynaptic index), ``w`` (weight, 1 = initial) and
``birth_day`` (biological day of formation, -1 = initial synapse).  An *assembly* is a named set
of pyramidal indices.  :func:`snapshot_rows` turns a snapshot into tidy
:class:`~neuroplast.analysis.measures.MeasureRow` rows (model docs §8):

=============================================  =================================================
measure                                        definition
=============================================  =================================================
``ee_count``                                   live synapses M
``ee_density``                                 p = M / (N (N - 1)), N = ``n_exc``
``ee_in_degree_mean`` / ``_cv``                mean and CV (sd/mean) of live in-degree per cell
``ee_out_degree_mean`` / ``_cv``               same for out-degree
``ee_weight_mean`` / ``_sd`` / ``_median``     of the live weights
``ee_log_weight_mean`` / ``_sd``               lognormal fit: maximum-likelihood mu and sigma of
                                               ln w over w > 0 (Song et al 2005)
``ee_frac_born_after_day_<d>``                 fraction of live synapses with birth_day > d
``assembly_<A>_size``                          |A|
``assembly_<A>_p_in``                          synapses within A / (|A| (|A| - 1))
``assembly_<A>_p_out``                         synapses A->rest plus rest->A / (2 |A| (N - |A|))
``assembly_<A>_p_ratio``                       p_in / p_out
``assembly_<A>_w_in_mean`` / ``_w_out_mean``   mean weight of those synapses
``assembly_<A>_w_in_sum``                      summed weight within A
``assemblies_<A>_<B>_p_between``               synapses A->B plus B->A / (2 (|A||B| - |A∩B|))
``assemblies_<A>_<B>_w_between_mean``          mean weight of those synapses
=============================================  =================================================

With ``graph_metrics=True`` (networkx directed graph, one edge per connected ordered pair, the
summed weight of its synapses as the ``weight`` attribute):

=============================================  =================================================
``ee_reciprocity``                             ``nx.reciprocity``: fraction of edges whose
                                               reverse edge exists
``ee_reciprocity_over_chance``                 reciprocity / edge density (1 in an Erdős–Rényi
                                               graph; Song et al 2005 found about 4 in cortex)
``ee_clustering``                              directed clustering of Fagiolo 2007, averaged over
                                               all cells (as ``nx.average_clustering``)
``ee_clustering_weighted``                     its weighted variant (weights / max weight, so
                                               one strong synapse lowers it everywhere)
``ee_clustering_over_chance``                  ee_clustering / edge density (1 for Erdős–Rényi)
``ee_modularity_assemblies``                   directed weighted modularity of the partition
                                               assemblies + rest (Newman 2006; Leicht & Newman
                                               2008); ``_binary``: unweighted
``ee_modularity_louvain``                      same for ``louvain_communities(seed=rng_seed)``
``ee_louvain_n_communities``                   number of Louvain communities
=============================================  =================================================

With ``small_world=True`` (undirected projection; see :func:`small_world_sigma`):
``ee_small_world_sigma``, ``ee_undirected_clustering``, ``ee_path_length`` and their reference
values ``ee_undirected_clustering_reference`` and ``ee_path_length_reference``.

Cost at N = 800 and 126,000 synapses (one core, networkx 3.6): building the graph 0.25 s,
``nx.reciprocity`` 0.5 s, modularity 0.1 s each, Louvain 1.6 s.  ``nx.average_clustering`` takes
14 s there, so the clustering here uses the closed matrix form of the same Fagiolo definition
(exact, a few ms; checked against networkx in the tests).  ``nx.sigma`` with ``nrand = niter = 1``
took 36 s at N = 100 (1,800 undirected edges) and 535 s at N = 200 (7,000 edges), growing about as
edges squared (it checks connectivity after every rewiring); at N = 800 (114,000 edges) it would
take more than a day.  :func:`small_world_sigma` therefore rewires with ``nx.double_edge_swap``
(Maslov & Sneppen 2002, about 4 s per rewiring of every edge at N = 800) and computes clustering
and path length with matrix products; ``reference="networkx"`` calls ``nx.sigma`` itself, for
small graphs only.

References
----------
Song S, Sjöström PJ, Reigl M, Nelson S, Chklovskii DB (2005) Highly nonrandom features of synaptic
connectivity in local cortical circuits. PLoS Biol 3:e68.
Fagiolo G (2007) Clustering in complex directed networks. Phys Rev E 76:026107.
Newman MEJ (2006) Modularity and community structure in networks. PNAS 103:8577.
Leicht EA, Newman MEJ (2008) Community structure in directed networks. Phys Rev Lett 100:118703.
Blondel VD et al (2008) Fast unfolding of communities in large networks. J Stat Mech P10008.
Humphries MD, Gurney K (2008) Network 'small-world-ness': a quantitative method for determining
canonical network equivalence. PLoS One 3:e0002002.
Maslov S, Sneppen K (2002) Specificity and stability in topology of protein networks. Science
296:910.
networkx documentation: ``reciprocity``, ``average_clustering``, ``community.modularity``,
``community.louvain_communities``, ``sigma`` (https://networkx.org/documentation/stable/).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import combinations

import networkx as nx
import numpy as np

from neuroplast.analysis.measures import MeasureRow

__all__ = [
    "snapshot_rows",
    "born_after_rows",
    "fraction_born_after",
    "to_digraph",
    "directed_clustering",
    "assembly_partition",
    "small_world_sigma",
    "assembly_order",
    "connectivity_matrix",
    "persisting_fraction",
]

#: Name of the community holding the cells in no assembly.
REST = "rest"

#: Rewiring references accepted by :func:`small_world_sigma`.
SMALL_WORLD_REFERENCES = ("degree_preserving", "erdos_renyi", "networkx")


def _live_arrays(snapshot: Mapping[str, np.ndarray], n_exc: int):
    """Presynaptic, postsynaptic indices (int64) and weights (float64), checked."""
    i = np.asarray(snapshot["i"], dtype=np.int64)
    j = np.asarray(snapshot["j"], dtype=np.int64)
    w = np.asarray(snapshot["w"], dtype=np.float64)
    if not len(i) == len(j) == len(w):
        raise ValueError(f"snapshot arrays differ in length: i {len(i)}, j {len(j)}, w {len(w)}")
    if len(i) and (min(i.min(), j.min()) < 0 or max(i.max(), j.max()) >= n_exc):
        raise ValueError(f"snapshot indices outside 0..{n_exc - 1} (n_exc = {n_exc})")
    return i, j, w


def _members(name: str, cells, n_exc: int) -> np.ndarray:
    """Boolean membership mask of one assembly, checked."""
    cells = np.unique(np.asarray(cells, dtype=np.int64))
    if len(cells) and (cells[0] < 0 or cells[-1] >= n_exc):
        raise ValueError(f"assembly {name!r} has cells outside 0..{n_exc - 1}")
    mask = np.zeros(n_exc, dtype=bool)
    mask[cells] = True
    return mask


def _ratio(num: float, den: float) -> float:
    return float(num) / den if den > 0 else float("nan")


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if len(x) else float("nan")


def _cv(x: np.ndarray) -> float:
    mean = x.mean() if len(x) else 0.0
    return float(x.std() / mean) if mean > 0 else float("nan")


def _global_measures(i, j, w, n_exc: int) -> dict[str, float]:
    m = len(i)
    in_degree = np.bincount(j, minlength=n_exc).astype(float)
    out_degree = np.bincount(i, minlength=n_exc).astype(float)
    log_w = np.log(w[w > 0])
    return {
        "ee_count": float(m),
        "ee_density": _ratio(m, n_exc * (n_exc - 1)),
        "ee_in_degree_mean": _mean(in_degree),
        "ee_in_degree_cv": _cv(in_degree),
        "ee_out_degree_mean": _mean(out_degree),
        "ee_out_degree_cv": _cv(out_degree),
        "ee_weight_mean": _mean(w),
        "ee_weight_sd": float(w.std()) if m else float("nan"),
        "ee_weight_median": float(np.median(w)) if m else float("nan"),
        # maximum-likelihood lognormal parameters: mean and population sd of ln w
        "ee_log_weight_mean": _mean(log_w),
        "ee_log_weight_sd": float(log_w.std()) if len(log_w) else float("nan"),
    }


def _assembly_measures(i, j, w, n_exc: int, name: str, mask: np.ndarray) -> dict[str, float]:
    size = int(mask.sum())
    pre_in, post_in = mask[i], mask[j]
    within = pre_in & post_in
    between = pre_in ^ post_in  # one end in A, the other in the rest, either direction
    p_in = _ratio(within.sum(), size * (size - 1))
    p_out = _ratio(between.sum(), 2 * size * (n_exc - size))
    key = f"assembly_{name}"
    return {
        f"{key}_size": float(size),
        f"{key}_p_in": p_in,
        f"{key}_p_out": p_out,
        f"{key}_p_ratio": _ratio(p_in, p_out) if np.isfinite(p_in) else float("nan"),
        f"{key}_w_in_mean": _mean(w[within]),
        f"{key}_w_out_mean": _mean(w[between]),
        f"{key}_w_in_sum": float(w[within].sum()),
    }


def _pair_measures(i, j, w, names: tuple[str, str], masks) -> dict[str, float]:
    a, b = masks
    a_to_b = a[i] & b[j]
    b_to_a = b[i] & a[j]
    # ordered pairs (u in A, v in B, u != v); a synapse inside A∩B counts in both directions,
    # and so does its pair in the denominator
    possible = int(a.sum()) * int(b.sum()) - int((a & b).sum())
    key = f"assemblies_{names[0]}_{names[1]}"
    return {
        f"{key}_p_between": _ratio(a_to_b.sum() + b_to_a.sum(), 2 * possible),
        f"{key}_w_between_mean": _mean(np.concatenate([w[a_to_b], w[b_to_a]])),
    }


def fraction_born_after(snapshot: Mapping[str, np.ndarray], day: float) -> float:
    """Fraction of the live synapses formed after biological day ``day`` (``birth_day > day``).

    Initial synapses carry ``birth_day = -1``, so ``day = 0`` gives the fraction formed by
    structural plasticity during the run.  NaN for an empty snapshot.
    """
    birth = np.asarray(snapshot["birth_day"], dtype=np.float64)
    return _ratio(np.count_nonzero(birth > day), len(birth))


def persisting_fraction(
    before: Mapping[str, np.ndarray], after: Mapping[str, np.ndarray], day: float
) -> float:
    """Share of the live synapses in ``before`` still live, and not formed anew, in ``after``.

    Not formed anew: ``birth_day <= day`` (the biological day of ``before``).  What
    two-photon imaging calls survival: a spine present at the first session and at the
    second; one lost and re-formed in between counts as lost.  ``after`` may be a final
    pool (with ``alive``).  NaN when ``before`` is empty.
    """

    def keys(snapshot, keep):
        i, j = (np.asarray(snapshot[k], dtype=np.int64) for k in ("i", "j"))
        if "alive" in snapshot:
            keep = keep & (np.asarray(snapshot["alive"]) > 0)
        return i[keep] * n + j[keep]

    n = 1 + max(int(np.max(s[k], initial=0)) for s in (before, after) for k in ("i", "j"))
    existing = keys(before, np.ones(len(before["i"]), dtype=bool))
    old = keys(after, np.asarray(after["birth_day"], dtype=np.float64) <= day)
    return _ratio(np.count_nonzero(np.isin(existing, old)), len(existing))


def _born_after_name(day: float) -> str:
    return f"ee_frac_born_after_day_{day:g}"


def born_after_rows(
    snapshot: Mapping[str, np.ndarray],
    day: float,
    condition: str,
    seed: int,
    bio_day: float,
    sim_time: float = float("nan"),
) -> list[MeasureRow]:
    """One row ``ee_frac_born_after_day_<day>``: see :func:`fraction_born_after`.

    Parameters
    ----------
    snapshot : mapping of str to ndarray
        Live E->E synapses (needs ``birth_day``).
    day : float
        Biological day; synapses with ``birth_day > day`` count.
    condition, seed, bio_day, sim_time
        Row labels, as in :func:`snapshot_rows`.
    """
    value = fraction_born_after(snapshot, day)
    return [
        MeasureRow(condition, seed, float(bio_day), float(sim_time), _born_after_name(day), value)
    ]


def to_digraph(snapshot: Mapping[str, np.ndarray], n_exc: int) -> nx.DiGraph:
    """Directed networkx graph of the live E->E synapses, one node per pyramidal cell.

    Several synapses on one ordered pair (possible in principle) become one edge whose
    ``weight`` is their summed weight, and ``count`` their number.
    """
    i, j, w = _live_arrays(snapshot, n_exc)
    pair = i * n_exc + j
    unique, inverse = np.unique(pair, return_inverse=True)
    weight = np.bincount(inverse, weights=w, minlength=len(unique))
    count = np.bincount(inverse, minlength=len(unique))
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n_exc))
    graph.add_edges_from(
        (int(u), int(v), {"weight": float(x), "count": int(c)})
        for u, v, x, c in zip(unique // n_exc, unique % n_exc, weight, count, strict=True)
    )
    return graph


def _dense(i, j, values, n: int) -> np.ndarray:
    """Dense n x n matrix of ``values`` summed per (pre, post) pair."""
    return np.bincount(i * n + j, weights=values, minlength=n * n).reshape(n, n)


def directed_clustering(adjacency: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Directed clustering coefficient of every node (Fagiolo 2007, eqs. 8 and 9).

    ``c_i = [(A + A^T)^3]_ii / (2 [d_tot (d_tot - 1) - 2 d_bi])`` with ``d_tot`` the in- plus
    out-degree and ``d_bi`` the number of reciprocated neighbours: the fraction of all possible
    directed triangles through ``i`` that exist.  With ``weights``, ``A`` is replaced by
    ``(W / max W)^(1/3)`` (the geometric-mean weighted form).  This is the definition networkx
    uses for directed graphs (``nx.clustering``), computed here with matrix products: exact and
    fast for a few thousand cells, where networkx takes 14 s at N = 800.  Nodes without a
    possible triangle get 0, as in networkx.

    Parameters
    ----------
    adjacency : ndarray of shape (N, N)
        Binary adjacency (nonzero = edge pre->post); the diagonal is ignored.
    weights : ndarray of shape (N, N), optional
        Nonnegative edge weights, zero where there is no edge.

    Returns
    -------
    ndarray of shape (N,)
    """
    a = (np.asarray(adjacency) != 0).astype(np.float64)
    np.fill_diagonal(a, 0.0)
    if weights is None:
        x = a
    else:
        w = np.where(a > 0, np.asarray(weights, dtype=np.float64), 0.0)
        top = w.max() if w.size else 0.0
        x = np.cbrt(w / top) if top > 0 else w
    s = x + x.T
    triangles = np.einsum("ij,ji->i", s @ s, s)  # diagonal of s^3 without forming it
    d_tot = a.sum(axis=0) + a.sum(axis=1)
    d_bi = (a * a.T).sum(axis=1)
    possible = 2.0 * (d_tot * (d_tot - 1) - 2 * d_bi)
    return np.divide(triangles, possible, out=np.zeros_like(triangles), where=possible > 0)


def assembly_partition(
    n_exc: int, assemblies: Mapping[str, np.ndarray]
) -> tuple[list[str], list[set[int]]]:
    """Partition of the pyramidal cells into the assemblies plus ``"rest"``.

    A cell in several assemblies goes to the first one listed (dict order), so the communities
    do not overlap as modularity requires; empty communities are left out.

    Returns
    -------
    names : list of str
    communities : list of set of int
    """
    owner = np.full(n_exc, -1)
    names = list(assemblies)
    for k, name in reversed(list(enumerate(names))):  # first listed is written last, so wins
        owner[_members(name, assemblies[name], n_exc)] = k
    labelled = [(name, set(np.flatnonzero(owner == k).tolist())) for k, name in enumerate(names)]
    labelled.append((REST, set(np.flatnonzero(owner == -1).tolist())))
    labelled = [(name, cells) for name, cells in labelled if cells]
    return [name for name, _ in labelled], [cells for _, cells in labelled]


def _graph_measures(
    snapshot, n_exc: int, assemblies: Mapping[str, np.ndarray], rng_seed: int
) -> dict[str, float]:
    graph = to_digraph(snapshot, n_exc)
    i, j, w = _live_arrays(snapshot, n_exc)
    adjacency = _dense(i, j, np.ones(len(i)), n_exc)  # synapse counts; nonzero = edge
    weights = _dense(i, j, w, n_exc)
    edge_density = nx.density(graph)
    if graph.number_of_edges() == 0:
        reciprocity = float("nan")  # networkx raises on an empty graph
    else:
        # Song et al 2005 compare bidirectional pairs with p^2; reciprocity r = P(reverse | edge)
        # is p_bi / p, so r / p = p_bi / p^2: 1 for Erdős–Rényi, about 4 in rat visual cortex L5
        reciprocity = nx.reciprocity(graph)
    clustering = directed_clustering(adjacency).mean()
    _, communities = assembly_partition(n_exc, assemblies)
    louvain = nx.community.louvain_communities(graph, weight="weight", seed=rng_seed)
    has_edges = graph.number_of_edges() > 0
    modularity = nx.community.modularity
    return {
        "ee_reciprocity": reciprocity,
        "ee_reciprocity_over_chance": _ratio(reciprocity, edge_density),
        "ee_clustering": float(clustering),
        "ee_clustering_weighted": float(directed_clustering(adjacency, weights).mean()),
        # an Erdős–Rényi digraph has expected Fagiolo clustering p
        "ee_clustering_over_chance": _ratio(clustering, edge_density),
        "ee_modularity_assemblies": (
            modularity(graph, communities, weight="weight") if has_edges else float("nan")
        ),
        "ee_modularity_assemblies_binary": (
            modularity(graph, communities, weight=None) if has_edges else float("nan")
        ),
        "ee_modularity_louvain": (
            modularity(graph, louvain, weight="weight") if has_edges else float("nan")
        ),
        "ee_louvain_n_communities": float(len(louvain)),
    }


def _undirected_clustering(u: np.ndarray) -> float:
    """Average clustering of an undirected binary graph: (U^3)_ii / (k (k - 1))."""
    k = u.sum(axis=1)
    triangles = np.einsum("ij,ji->i", u @ u, u)
    possible = k * (k - 1)
    return float(np.divide(triangles, possible, out=np.zeros_like(k), where=possible > 0).mean())


def _mean_path_length(u: np.ndarray) -> float:
    """Mean shortest-path length over connected ordered pairs, breadth-first from every node.

    Equal to ``nx.average_shortest_path_length`` on a connected graph; a disconnected graph
    averages over the pairs that are connected (networkx raises instead).
    """
    n = len(u)
    reached = np.eye(n, dtype=bool)
    frontier = reached.copy()
    total = count = 0
    distance = 0
    step = u.astype(np.float32)  # exact: path counts stay far below 2**24 per entry
    while frontier.any():
        distance += 1
        frontier = ((frontier.astype(np.float32) @ step) > 0) & ~reached
        found = int(frontier.sum())
        total += distance * found
        count += found
        reached |= frontier
    return _ratio(total, count)


def _undirected(adjacency: np.ndarray) -> np.ndarray:
    a = np.asarray(adjacency) != 0
    u = (a | a.T).astype(np.float64)
    np.fill_diagonal(u, 0.0)
    return u


def _random_reference(u: np.ndarray, reference: str, niter: int, rng) -> np.ndarray:
    n = len(u)
    upper = np.triu_indices(n, k=1)
    n_edges = int(u[upper].sum())
    if reference == "erdos_renyi":  # G(n, M): same nodes and edges, placed uniformly
        chosen = rng.choice(len(upper[0]), size=n_edges, replace=False)
        out = np.zeros_like(u)
        out[upper[0][chosen], upper[1][chosen]] = 1.0
        return out + out.T
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(*np.nonzero(np.triu(u)), strict=True))
    swaps = niter * n_edges
    # Maslov & Sneppen 2002 degree-preserving rewiring, without networkx's per-swap
    # connectivity check (the cost of nx.random_reference); dense graphs reject many tries
    nx.double_edge_swap(graph, nswap=swaps, max_tries=100 * swaps, seed=int(rng.integers(2**31)))
    return nx.to_numpy_array(graph, nodelist=range(n))


def small_world_sigma(
    adjacency: np.ndarray,
    reference: str = "degree_preserving",
    nrand: int = 1,
    niter: int = 1,
    seed: int = 0,
) -> dict[str, float]:
    """Small-world coefficient sigma of the undirected projection (Humphries & Gurney 2008).

    ``sigma = (C / C_r) / (L / L_r)`` with ``C`` the average clustering and ``L`` the mean
    shortest-path length of the undirected graph (an edge where either direction exists), and
    ``C_r``, ``L_r`` their means over ``nrand`` random reference graphs.  sigma > 1 marks a
    small world.  **Costly**: see the module docstring for measured times.

    Parameters
    ----------
    adjacency : ndarray of shape (N, N)
        Directed or undirected adjacency; nonzero = edge.
    reference : {"degree_preserving", "erdos_renyi", "networkx"}
        ``degree_preserving``: each edge rewired ``niter`` times on average by
        ``nx.double_edge_swap`` (about 4 s per graph at N = 800, 114,000 edges);
        ``erdos_renyi``: G(N, M) graphs with the same number of edges (milliseconds);
        ``networkx``: ``nx.sigma(G, niter, nrand, seed)`` itself, which checks connectivity
        at every swap (36 s at N = 100; more than a day at N = 800).
    nrand : int
        Number of reference graphs.
    niter : int
        Rewirings per edge (``degree_preserving`` and ``networkx`` only).
    seed : int
        Seed of the rewiring.

    Returns
    -------
    dict
        ``sigma``, ``clustering``, ``path_length``, ``clustering_reference``,
        ``path_length_reference`` (the last two NaN for ``reference="networkx"``).
    """
    if reference not in SMALL_WORLD_REFERENCES:
        raise ValueError(f"reference must be one of {SMALL_WORLD_REFERENCES}, got {reference!r}")
    u = _undirected(adjacency)
    clustering, path_length = _undirected_clustering(u), _mean_path_length(u)
    nan = float("nan")
    if reference == "networkx":
        graph = nx.from_numpy_array(u)
        sigma = nx.sigma(graph, niter=niter, nrand=nrand, seed=seed)
        return {
            "sigma": float(sigma),
            "clustering": clustering,
            "path_length": path_length,
            "clustering_reference": nan,
            "path_length_reference": nan,
        }
    rng = np.random.default_rng(seed)
    refs = [_random_reference(u, reference, niter, rng) for _ in range(nrand)]
    c_ref = float(np.mean([_undirected_clustering(r) for r in refs]))
    l_ref = float(np.mean([_mean_path_length(r) for r in refs]))
    return {
        "sigma": _ratio(_ratio(clustering, c_ref), _ratio(path_length, l_ref)),
        "clustering": clustering,
        "path_length": path_length,
        "clustering_reference": c_ref,
        "path_length_reference": l_ref,
    }


def snapshot_rows(
    snapshot: Mapping[str, np.ndarray],
    n_exc: int,
    assemblies: Mapping[str, np.ndarray] | None,
    condition: str,
    seed: int,
    bio_day: float,
    sim_time: float = float("nan"),
    graph_metrics: bool = True,
    small_world: bool = False,
    rng_seed: int = 0,
    born_after: Iterable[float] = (),
    small_world_reference: str = "degree_preserving",
) -> list[MeasureRow]:
    """Tidy rows describing one connectivity snapshot; the measures are listed in the module doc.

    Parameters
    ----------
    snapshot : mapping of str to ndarray
        Live E->E synapses: ``i``, ``j``, ``w`` and (for ``born_after``) ``birth_day``.
    n_exc : int
        Number of pyramidal cells N.
    assemblies : mapping of str to ndarray, or None
        Named sets of pyramidal indices; every pair of them also gets ``p_between``.
    condition : str
    seed : int
        The run's root seed.
    bio_day : float
        Biological day of the snapshot (``bio_time_days`` of the rows).
    sim_time : float
        Network time (s) of the snapshot, NaN if unknown.
    graph_metrics : bool
        Add reciprocity, clustering and modularity (about 2 s at N = 800, 126,000 synapses).
    small_world : bool
        Add the small-world sigma (costly: about 5 s more at N = 800 with the default
        reference; see :func:`small_world_sigma`).
    rng_seed : int
        Seed of Louvain and of the small-world reference graphs.
    born_after : iterable of float
        Days ``d`` for ``ee_frac_born_after_day_<d>``.
    small_world_reference : str
        ``reference`` of :func:`small_world_sigma`.

    Returns
    -------
    list of MeasureRow
    """
    i, j, w = _live_arrays(snapshot, n_exc)
    assemblies = dict(assemblies or {})
    values = _global_measures(i, j, w, n_exc)
    for day in born_after:
        values[_born_after_name(day)] = fraction_born_after(snapshot, day)
    masks = {name: _members(name, cells, n_exc) for name, cells in assemblies.items()}
    for name, mask in masks.items():
        values.update(_assembly_measures(i, j, w, n_exc, name, mask))
    for a, b in combinations(masks, 2):
        values.update(_pair_measures(i, j, w, (a, b), (masks[a], masks[b])))
    if graph_metrics:
        values.update(_graph_measures(snapshot, n_exc, assemblies, rng_seed))
    if small_world:
        adjacency = _dense(i, j, np.ones(len(i)), n_exc)
        sw = small_world_sigma(adjacency, small_world_reference, seed=rng_seed)
        values.update(
            {
                "ee_small_world_sigma": sw["sigma"],
                "ee_undirected_clustering": sw["clustering"],
                "ee_undirected_clustering_reference": sw["clustering_reference"],
                "ee_path_length": sw["path_length"],
                "ee_path_length_reference": sw["path_length_reference"],
            }
        )
    day, t = float(bio_day), float(sim_time)
    return [MeasureRow(condition, seed, day, t, name, float(v)) for name, v in values.items()]


def assembly_order(
    n_exc: int, assemblies: Mapping[str, np.ndarray]
) -> tuple[np.ndarray, dict[str, tuple[int, int]]]:
    """Cells ordered assembly by assembly, then the rest, for matrix figures.

    A cell in several assemblies is placed with the first one listed (as in
    :func:`assembly_partition`); within a block cells keep ascending index.

    Returns
    -------
    order : ndarray of int
        ``order[k]`` is the cell shown at position ``k``.
    bounds : dict of str to (int, int)
        ``[start, stop)`` positions of each assembly and of ``"rest"`` (non-empty ones only).
    """
    names, communities = assembly_partition(n_exc, assemblies)
    order, bounds, start = [], {}, 0
    for name, cells in zip(names, communities, strict=True):
        order.extend(sorted(cells))
        bounds[name] = (start, start + len(cells))
        start += len(cells)
    return np.asarray(order, dtype=np.int64), bounds


def connectivity_matrix(
    snapshot: Mapping[str, np.ndarray],
    n_exc: int,
    order: np.ndarray | None = None,
    bins: int | None = None,
) -> np.ndarray:
    """Summed synaptic weight between cells (rows presynaptic, columns postsynaptic).

    Parameters
    ----------
    snapshot : mapping of str to ndarray
        Live E->E synapses (``i``, ``j``, ``w``).
    n_exc : int
        Number of pyramidal cells.
    order : ndarray of int, optional
        A permutation of ``range(n_exc)``: row and column ``k`` show cell ``order[k]``
        (see :func:`assembly_order`).  Default: cell index order.
    bins : int, optional
        Sum into ``bins x bins`` blocks of consecutive positions (block edges
        ``round(linspace(0, n_exc, bins + 1))``).  Default: one row per cell.

    Returns
    -------
    ndarray of shape (n_exc, n_exc) or (bins, bins)
        Summed weights; the total equals the snapshot's total weight.
    """
    i, j, w = _live_arrays(snapshot, n_exc)
    position = np.arange(n_exc)
    if order is not None:
        order = np.asarray(order, dtype=np.int64)
        if not np.array_equal(np.sort(order), np.arange(n_exc)):
            raise ValueError(f"order must be a permutation of range({n_exc})")
        position[order] = np.arange(n_exc)
    pre, post = position[i], position[j]
    if bins is None:
        return _dense(pre, post, w, n_exc)
    if not 1 <= bins <= n_exc:
        raise ValueError(f"bins must be between 1 and n_exc = {n_exc}, got {bins}")
    edges = np.round(np.linspace(0, n_exc, bins + 1)).astype(np.int64)
    block = np.searchsorted(edges, np.arange(n_exc), side="right") - 1
    return _dense(block[pre], block[post], w, bins)
