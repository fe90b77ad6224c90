"""Connectivity measures on synthetic snapshots whose answer is known."""

from __future__ import annotations

import dataclasses

import networkx as nx
import numpy as np
import pytest

from neuroplast.analysis.connectivity import (
    assembly_order,
    assembly_partition,
    born_after_rows,
    connectivity_matrix,
    directed_clustering,
    fraction_born_after,
    small_world_sigma,
    snapshot_rows,
    to_digraph,
)
from neuroplast.analysis.measures import MeasureRow
from neuroplast.plots.connectivity import plot_connectivity_matrices

N = 200
P = 0.1


def snapshot_from_adjacency(adjacency, rng=None):
    i, j = np.nonzero(adjacency)
    w = np.ones(len(i)) if rng is None else rng.lognormal(0.0, 0.5, len(i))
    return {
        "i": i.astype(np.int32),
        "j": j.astype(np.int32),
        "w": w.astype(np.float32),
        "birth_day": np.full(len(i), -1.0, dtype=np.float32),
    }


def erdos_renyi(rng, n=N, p=P):
    adjacency = rng.random((n, n)) < p
    np.fill_diagonal(adjacency, False)
    return adjacency


def values(rows):
    return {row.measure: row.value for row in rows}


def binomial_sd(p, trials):
    return np.sqrt(p * (1 - p) / trials)


def test_erdos_renyi_density_and_assembly_probabilities_match_p():
    rng = np.random.default_rng(0)
    snap = snapshot_from_adjacency(erdos_renyi(rng))
    a = 40
    v = values(
        snapshot_rows(snap, N, {"adaptive": np.arange(a)}, "er", 0, 0.0, graph_metrics=False)
    )
    assert v["ee_density"] == pytest.approx(P, abs=4 * binomial_sd(P, N * (N - 1)))
    assert v["ee_count"] / (N * (N - 1)) == v["ee_density"]
    assert v["assembly_adaptive_p_in"] == pytest.approx(P, abs=4 * binomial_sd(P, a * (a - 1)))
    assert v["assembly_adaptive_p_out"] == pytest.approx(P, abs=4 * binomial_sd(P, 2 * a * (N - a)))
    assert v["ee_in_degree_mean"] == pytest.approx(v["ee_count"] / N)
    # in-degree ~ Binomial(N - 1, p): CV = sqrt((1 - p) / ((N - 1) p))
    assert v["ee_in_degree_cv"] == pytest.approx(np.sqrt((1 - P) / ((N - 1) * P)), rel=0.2)


def test_planted_synapses_raise_p_in_by_the_planted_amount_exactly():
    rng = np.random.default_rng(1)
    adjacency = erdos_renyi(rng)
    members = np.arange(10, 50)
    a = len(members)
    before = values(
        snapshot_rows(
            snapshot_from_adjacency(adjacency), N, {"A": members}, "c", 0, 0, graph_metrics=False
        )
    )
    inside = np.zeros_like(adjacency)
    inside[np.ix_(members, members)] = True
    np.fill_diagonal(inside, False)
    empty_pairs = np.argwhere(inside & ~adjacency)
    planted = empty_pairs[rng.choice(len(empty_pairs), size=150, replace=False)]
    adjacency[planted[:, 0], planted[:, 1]] = True
    after = values(
        snapshot_rows(
            snapshot_from_adjacency(adjacency), N, {"A": members}, "c", 0, 0, graph_metrics=False
        )
    )
    assert after["assembly_A_p_in"] - before["assembly_A_p_in"] == pytest.approx(
        150 / (a * (a - 1)), rel=1e-12
    )
    assert after["assembly_A_p_out"] == before["assembly_A_p_out"]
    assert after["assembly_A_w_in_sum"] - before["assembly_A_w_in_sum"] == pytest.approx(150)


def test_fully_reciprocal_graph_has_reciprocity_one():
    rng = np.random.default_rng(2)
    upper = np.triu(erdos_renyi(rng), k=1)
    v = values(snapshot_rows(snapshot_from_adjacency(upper | upper.T), N, None, "c", 0, 0))
    assert v["ee_reciprocity"] == 1.0
    # in an Erdős–Rényi graph reciprocity is p, so its ratio to chance is 1
    er = values(snapshot_rows(snapshot_from_adjacency(erdos_renyi(rng)), N, None, "c", 0, 0))
    assert er["ee_reciprocity_over_chance"] == pytest.approx(1.0, abs=0.15)
    assert er["ee_clustering_over_chance"] == pytest.approx(1.0, abs=0.1)


def test_directed_clustering_matches_networkx_fagiolo_definition():
    rng = np.random.default_rng(3)
    adjacency = erdos_renyi(rng, n=60, p=0.2)
    snap = snapshot_from_adjacency(adjacency, rng)
    graph = to_digraph(snap, 60)
    weights = nx.to_numpy_array(graph, nodelist=range(60))
    assert directed_clustering(adjacency).mean() == pytest.approx(
        nx.average_clustering(graph, weight=None)
    )
    assert directed_clustering(adjacency, weights).mean() == pytest.approx(
        nx.average_clustering(graph, weight="weight")
    )


def test_true_partition_has_higher_modularity_than_random_partition():
    rng = np.random.default_rng(4)
    blocks = np.repeat(np.arange(4), N // 4)
    same = blocks[:, None] == blocks[None, :]
    adjacency = rng.random((N, N)) < np.where(same, 0.3, 0.03)
    np.fill_diagonal(adjacency, False)
    snap = snapshot_from_adjacency(adjacency)
    true = {f"block{k}": np.flatnonzero(blocks == k) for k in range(3)}  # block 3 is "rest"
    shuffled = rng.permutation(blocks)
    random = {f"block{k}": np.flatnonzero(shuffled == k) for k in range(3)}
    v_true = values(snapshot_rows(snap, N, true, "c", 0, 0))
    v_random = values(snapshot_rows(snap, N, random, "c", 0, 0))
    assert v_true["ee_modularity_assemblies"] > 0.3 > v_random["ee_modularity_assemblies"]
    assert v_true["ee_modularity_louvain"] == pytest.approx(
        v_true["ee_modularity_assemblies"], abs=0.02
    )
    assert v_true["assemblies_block0_block1_p_between"] == pytest.approx(0.03, abs=0.015)


def test_overlapping_cells_go_to_the_first_listed_assembly():
    names, communities = assembly_partition(10, {"a": [0, 1, 2], "b": [2, 3]})
    assert names == ["a", "b", "rest"]
    assert communities == [{0, 1, 2}, {3}, set(range(4, 10))]
    order, bounds = assembly_order(10, {"b": [2, 3], "a": [0, 1, 2]})
    assert order.tolist() == [2, 3, 0, 1, *range(4, 10)]
    assert bounds == {"b": (0, 2), "a": (2, 4), "rest": (4, 10)}


def test_rows_are_tidy_measure_rows():
    rng = np.random.default_rng(5)
    snap = snapshot_from_adjacency(erdos_renyi(rng), rng)
    snap["birth_day"][:100] = 3.0
    rows = snapshot_rows(
        snap,
        N,
        {"x": np.arange(20), "y": np.arange(20, 60)},
        "stress",
        7,
        14.0,
        2.5,
        born_after=[0],
    )
    assert all(isinstance(r, MeasureRow) for r in rows)
    assert {f.name for f in dataclasses.fields(MeasureRow)} == {
        "condition",
        "seed",
        "bio_time_days",
        "sim_time_s",
        "measure",
        "value",
    }
    assert {(r.condition, r.seed, r.bio_time_days, r.sim_time_s) for r in rows} == {
        ("stress", 7, 14.0, 2.5)
    }
    names = [r.measure for r in rows]
    assert len(names) == len(set(names))
    assert all(isinstance(r.value, float) for r in rows)
    assert values(rows)["ee_frac_born_after_day_0"] == pytest.approx(100 / len(snap["i"]))
    assert {"ee_reciprocity", "ee_modularity_louvain", "assemblies_x_y_p_between"} <= set(names)
    (row,) = born_after_rows(snap, 0, "stress", 7, 14.0)
    assert row.measure == "ee_frac_born_after_day_0"
    assert row.value == fraction_born_after(snap, 0)


def test_empty_snapshot_gives_nan_not_errors():
    empty = {k: np.zeros(0) for k in ("i", "j", "w", "birth_day")}
    v = values(snapshot_rows(empty, 20, {"a": np.arange(5)}, "c", 0, 0))
    assert v["ee_count"] == 0.0
    assert np.isnan(v["ee_weight_mean"]) and np.isnan(v["ee_reciprocity"])


def test_matrix_conserves_total_weight():
    rng = np.random.default_rng(6)
    snap = snapshot_from_adjacency(erdos_renyi(rng), rng)
    total = snap["w"].astype(float).sum()
    order, _ = assembly_order(N, {"a": np.arange(150, 190)})
    dense = connectivity_matrix(snap, N, order=order)
    blocks = connectivity_matrix(snap, N, order=order, bins=30)
    assert dense.shape == (N, N) and blocks.shape == (30, 30)
    assert dense.sum() == pytest.approx(total) and blocks.sum() == pytest.approx(total)
    k = 5  # synapse k lands at the positions of its cells in the order
    pos = np.argsort(order)
    assert dense[pos[snap["i"][k]], pos[snap["j"][k]]] == pytest.approx(snap["w"][k])


def test_small_world_sigma_is_one_for_random_and_above_one_for_a_lattice():
    rng = np.random.default_rng(7)
    adjacency = erdos_renyi(rng, n=100, p=0.1)
    random = small_world_sigma(adjacency, reference="erdos_renyi", nrand=3)
    assert random["sigma"] == pytest.approx(1.0, abs=0.25)
    undirected = nx.from_numpy_array((adjacency | adjacency.T).astype(float))
    assert random["path_length"] == pytest.approx(nx.average_shortest_path_length(undirected))
    assert random["clustering"] == pytest.approx(nx.average_clustering(undirected))
    lattice = nx.to_numpy_array(nx.watts_strogatz_graph(100, 8, 0.05, seed=0))
    assert small_world_sigma(lattice, reference="degree_preserving")["sigma"] > 2.0


def test_plot_writes_a_png(tmp_path):
    rng = np.random.default_rng(8)
    snap = snapshot_from_adjacency(erdos_renyi(rng), rng)
    order, bounds = assembly_order(N, {"adaptive": np.arange(30), "stress": np.arange(30, 70)})
    matrices = {
        "day 0": connectivity_matrix(snap, N, order, bins=50),
        "day 14": connectivity_matrix(snap, N, order),
    }
    path = plot_connectivity_matrices(matrices, bounds, tmp_path / "matrices.png")
    assert path.stat().st_size > 10_000
