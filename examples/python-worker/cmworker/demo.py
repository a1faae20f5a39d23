"""Job functions of this worker: the example server's two demo jobs, and a slow resumable countdown.

- demo.factorize(n: BigInt) → the prime factors (BigInt list, ascending), as the server's own worker;
- demo.invertHilbert(size) → {size, determinant, inverse} in exact Fractions, encoded with the tags of
  @comp-manager/codec-math (mathjs.Fraction, mathjs.DenseMatrix), so Node decodes them as mathjs values;
- py.countdown(steps, step_ms) → steps, one step per step_ms, resumable from its checkpoint.
"""

import math
import random
from fractions import Fraction

from .codec import BigInt, register_type

MAX_FACTOR_INPUT = 10**24
MAX_MATRIX_SIZE = 16
WITNESSES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)


class DenseMatrix:
    """A mathjs DenseMatrix: its rows (nested lists)."""

    def __init__(self, rows):
        self.rows = [list(row) for row in rows]

    def __eq__(self, other):
        return isinstance(other, DenseMatrix) and self.rows == other.rows

    def __repr__(self):
        return f"DenseMatrix({self.rows!r})"


def _fraction(value):
    return Fraction(int(value["n"]), int(value["d"]))


def _matrix(value):
    return DenseMatrix(value["data"])


register_type("mathjs.Fraction", Fraction, lambda f: {"n": str(f.numerator), "d": str(f.denominator)}, _fraction)
register_type(
    "mathjs.DenseMatrix",
    DenseMatrix,
    lambda m: {"size": [len(m.rows), len(m.rows[0]) if m.rows else 0], "data": m.rows},
    _matrix,
)


def is_prime(n):
    """Miller–Rabin with the first 13 primes: exact for n < 3.3·10^24."""
    if n < 2:
        return False
    for p in WITNESSES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in WITNESSES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _pollard_brent(n, ctx):
    if n % 2 == 0:
        return 2
    rng = random.Random(n)
    while True:
        y, c, m = rng.randrange(1, n), rng.randrange(1, n), 128
        g = r = q = 1
        while g == 1:
            x = y
            for _ in range(r):
                y = (y * y + c) % n
            k = 0
            while k < r and g == 1:
                ys = y
                for _ in range(min(m, r - k)):
                    y = (y * y + c) % n
                    q = q * abs(x - y) % n
                g = math.gcd(q, n)
                k += m
            r *= 2
            ctx.check()
        if g == n:
            g = 1
            while g == 1:
                ys = (ys * ys + c) % n
                g = math.gcd(abs(x - ys), n)
        if g != n:
            return g


def factorize(ctx, n):
    """The prime factors of 1 ≤ n ≤ 10^24, ascending, with multiplicity, as BigInts."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_FACTOR_INPUT:
        raise ValueError(f"n must be an integer from 1 to 10^24 (got {n!r})")
    bits, factors, rest = n.bit_length(), [], n
    p = 2
    while p < 10_000 and p * p <= rest:
        while rest % p == 0:
            factors.append(p)
            rest //= p
        p += 1 if p == 2 else 2
    stack = [rest] if rest > 1 else []
    while stack:
        ctx.progress(1 - rest.bit_length() / bits if rest > 1 else 1, f"{len(factors)} prime factor(s) found")
        m = stack.pop()
        if is_prime(m):
            factors.append(m)
            rest //= m
            continue
        d = _pollard_brent(m, ctx)
        stack += [d, m // d]
    ctx.progress(1, f"{len(factors)} prime factor(s) found")
    return [BigInt(f) for f in sorted(factors)]


def invert_hilbert(ctx, size):
    """Inverse and determinant of the size × size Hilbert matrix 1/(i+j+1), exactly (Gauss–Jordan)."""
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_MATRIX_SIZE:
        raise ValueError(f"size must be an integer from 1 to {MAX_MATRIX_SIZE} (got {size!r})")
    a = [[Fraction(1, i + j + 1) for j in range(size)] for i in range(size)]
    inv = [[Fraction(int(i == j)) for j in range(size)] for i in range(size)]
    determinant = Fraction(1)
    for col in range(size):  # Hilbert matrices are positive definite: every pivot is non-zero
        pivot = a[col][col]
        determinant *= pivot
        a[col] = [v / pivot for v in a[col]]
        inv[col] = [v / pivot for v in inv[col]]
        for row in range(size):
            if row != col and a[row][col] != 0:
                f = a[row][col]
                a[row] = [v - f * w for v, w in zip(a[row], a[col])]
                inv[row] = [v - f * w for v, w in zip(inv[row], inv[col])]
        ctx.progress((col + 1) / size, f"column {col + 1} of {size}")
    return {"size": size, "determinant": determinant, "inverse": DenseMatrix(inv)}


def countdown(ctx, steps, step_ms=100):
    """Counts `steps` steps of `step_ms` each, saving a checkpoint at every step; returns `steps`.

    Resumed from a checkpoint (after a pause or a shutdown), it goes on from the step it reached.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps <= 100_000:
        raise ValueError(f"steps must be an integer from 0 to 100000 (got {steps!r})")
    done = ctx.checkpoint["done"] if isinstance(ctx.checkpoint, dict) else 0
    while done < steps:
        ctx.sleep(step_ms / 1000)
        done += 1
        ctx.save({"done": done})
        ctx.progress(done / steps, f"step {done} of {steps}")
    return steps


FUNCTIONS = {
    "demo.factorize": factorize,
    "demo.invertHilbert": invert_hilbert,
    "py.countdown": countdown,
}
