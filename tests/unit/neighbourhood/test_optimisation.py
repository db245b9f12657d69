"""A producer's optimisation: the MILP is optimal, the bounds hold, heuristics never worsen."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mosaik_components.massca_neighbourhood.optimisation import (
    HEURISTICS,
    SolverOptions,
    components,
    gap,
    lower_bound,
    solve,
    solve_descent,
    solve_milp,
    subproblem,
)

from .helpers import random_problem


def brute_force(problem):
    """The least grid energy over every combination of candidate starts."""
    sizes = [range(job.size) for job in problem.jobs]
    return min(problem.grid(choice) for choice in itertools.product(*sizes))


seeds = st.integers(0, 2**32 - 1)


@settings(max_examples=40, deadline=None)
@given(seed=seeds, jobs=st.integers(1, 3))
def test_the_milp_is_optimal_on_brute_forced_cases(seed, jobs):
    problem = random_problem(np.random.default_rng(seed), jobs, max_candidates=5)
    solution = solve_milp(problem)
    assert solution.optimal
    assert solution.grid_wh == pytest.approx(brute_force(problem), abs=1e-6)
    assert solution.grid_wh == pytest.approx(problem.grid(solution.choice))


@settings(max_examples=40, deadline=None)
@given(seed=seeds, jobs=st.integers(1, 4))
def test_the_lower_bound_never_exceeds_the_optimum(seed, jobs):
    problem = random_problem(np.random.default_rng(seed), jobs, max_candidates=4)
    assert lower_bound(problem) <= brute_force(problem) + 1e-6


@settings(max_examples=25, deadline=None)
@given(seed=seeds, jobs=st.integers(2, 5))
def test_groups_share_no_interval_so_they_can_be_solved_apart(seed, jobs):
    problem = random_problem(np.random.default_rng(seed), jobs, max_candidates=8)
    groups = components(problem)
    assert sorted(j for g in groups for j in g) == list(range(jobs))
    spans = [set(range(int(job.offsets[0]), job.end)) for job in problem.jobs]
    for a, b in itertools.combinations(groups, 2):
        assert not set().union(*(spans[j] for j in a)) & set().union(*(spans[j] for j in b))
    together = solve_milp(problem).grid_wh
    floor = float(np.maximum(problem.fixed - problem.production, 0).sum())
    apart = sum(solve_milp(subproblem(problem, g)).grid_wh - floor for g in groups) + floor
    assert apart == pytest.approx(together, abs=1e-6)


@pytest.mark.parametrize("method", [*HEURISTICS, "descent"])
def test_heuristics_never_do_worse_than_where_they_start_or_the_grid_fallback(method):
    rng = np.random.default_rng(11)
    options = SolverOptions(method=method, niter=3)
    for _ in range(6):
        problem = random_problem(rng, 3, max_candidates=10)
        latest = [job.size - 1 for job in problem.jobs]  # PySSMic's grid fallback placement
        solution = solve(problem, options, np.random.default_rng(0), latest)
        assert solution.grid_wh <= problem.grid(latest) + 1e-9
        energy = sum(job.energy for job in problem.jobs) + problem.fixed.sum()
        assert solution.grid_wh <= energy + 1e-9  # never worse than all from the grid
        assert solution.grid_wh >= solve_milp(problem).grid_wh - 1e-6
        for job, i in zip(problem.jobs, solution.choice, strict=True):
            assert job.starts[0] <= job.starts[i] <= job.starts[-1]


def test_descent_ends_where_no_single_job_can_improve():
    rng = np.random.default_rng(5)
    for _ in range(10):
        problem = random_problem(rng, 4, max_candidates=12)
        solution = solve_descent(problem, [0] * 4)
        for j, job in enumerate(problem.jobs):
            for i in range(job.size):
                moved = list(solution.choice)
                moved[j] = i
                assert problem.grid(moved) >= solution.grid_wh - 1e-6


def test_heuristics_are_deterministic_per_seed():
    problem = random_problem(np.random.default_rng(3), 3, max_candidates=10)
    options = SolverOptions(method="SLSQP", niter=3)
    one = solve(problem, options, np.random.default_rng(42), [0, 0, 0])
    two = solve(problem, options, np.random.default_rng(42), [0, 0, 0])
    assert one.choice == two.choice


def test_gap_compares_a_heuristic_with_the_optimum():
    problem = random_problem(np.random.default_rng(8), 3, max_candidates=8)
    result = gap(problem, SolverOptions(method="TNC", niter=2), np.random.default_rng(0),
                 [0, 0, 0])
    assert result.optimal and result.gap_wh >= -1e-9
    assert result.gap_wh == pytest.approx(result.heuristic_wh - result.optimum_wh)
    energy = sum(job.energy for job in problem.jobs)
    assert result.relative == pytest.approx(result.gap_wh / energy)


@pytest.mark.parametrize(("field", "value"), [("method", "nelder"), ("eps", 0.0),
                                              ("tol", float("nan")), ("niter", -1)])
def test_solver_options_are_validated(field, value):
    with pytest.raises(ValueError, match=field):
        SolverOptions(**{field: value})
